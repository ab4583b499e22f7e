#include <catch2/catch.hpp>

#include <filesystem>

#include "json/json.h"
#include "json/schemas.h"
#include "support/sim_process.h"

using custody::test::DeterministicArgs;
using custody::test::RunSimToExit;
using custody::test::SimProcess;

TEST_CASE("custody-sim prints one startup line that matches its schema and exits 0 on SIGTERM", "[sim][e2e]") {
  SimProcess sim(DeterministicArgs());
  REQUIRE(custody::json::ValidateAgainstSchema(sim.startup(), custody::json::kSimStartupSchema).ok());
  CHECK(sim.Get("login_url") != sim.Get("instance_url"));
  CHECK(sim.Get("login_url").rfind("http://127.0.0.1:", 0) == 0);
  CHECK(std::filesystem::exists(sim.Get("jwt_private_key")));
  CHECK(std::filesystem::exists(sim.Get("jwt_certificate")));
  CHECK(sim.startup()["ca_file"].IsNull());
  CHECK(sim.Get("data_now") == "2026-04-10T00:00:00.000Z");
  CHECK(sim.Get("access_token").rfind(sim.Get("org_id").substr(0, 15) + "!", 0) == 0);
  CHECK(sim.Stop() == 0);
}

TEST_CASE("with --tls the simulator serves HTTPS that verifies against the CA it prints, and only against it",
          "[sim][e2e][tls]") {
  auto args = DeterministicArgs();
  args.push_back("--tls");
  SimProcess sim(args);
  REQUIRE(sim.startup()["ca_file"].IsString());
  CHECK(sim.Get("instance_url").rfind("https://", 0) == 0);
  auto ok = sim.Instance()->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  REQUIRE(ok);
  CHECK(ok->status == 200);

  httplib::Client untrusting(sim.Get("instance_url"));
  untrusting.enable_server_certificate_verification(true);
  untrusting.set_ca_cert_path("/nonexistent-ca.pem");
  auto refused = untrusting.Get("/services/data/");
  CHECK_FALSE(refused);
}

TEST_CASE("bad flags exit 2 with a message naming the flag", "[sim][e2e]") {
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const Case cases[] = {
      {{"--fault", "bogus"}, "bogus"},
      {{"--listen", "0.0.0.0:0"}, "loopback"},
      {{"--listen", "127.0.0.1"}, "HOST:PORT"},
      {{"--start", "2026-04-01T00:00:00"}, "--start"},
      {{"--now", "yesterday"}, "--now"},
      {{"--scenario", "no-such-story"}, "no-such-story"},
      {{"--gzip", "maybe"}, "gzip"},
      {{"--fixtures", "/nonexistent-fixtures"}, "/nonexistent-fixtures"},
  };
  for (const Case& c : cases) {
    INFO(c.args[0] << " " << c.args[1]);
    const auto run = RunSimToExit(c.args);
    CHECK(run.code == 2);
    CHECK(run.err.find(c.needle) != std::string::npos);
    CHECK(run.out.empty());
  }
}

TEST_CASE("the same seed serves the same data byte for byte, another seed differs", "[sim][e2e]") {
  auto body = [](const std::string& seed) {
    SimProcess sim(DeterministicArgs(seed));
    httplib::Params q{{"q", "SELECT Id, AccountId, CreatedById, CreatedDate, Field, OldValue, NewValue FROM "
                            "AccountHistory ORDER BY CreatedDate ASC, Id ASC LIMIT 500"}};
    auto r = sim.Instance()->Get(sim.ApiPath("queryAll").c_str(), q, sim.Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto elf = sim.Instance()->Get(sim.ApiPath("query").c_str(),
                                   httplib::Params{{"q", "SELECT Id, EventType, LogDate, LogFileLength FROM EventLogFile"}},
                                   sim.Auth());
    REQUIRE(elf);
    REQUIRE(elf->status == 200);
    return r->body + elf->body;
  };
  const std::string a = body("7");
  CHECK(a == body("7"));
  CHECK(a != body("8"));
}
