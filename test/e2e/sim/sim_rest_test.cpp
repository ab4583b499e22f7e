#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <set>

#include "support/sim_process.h"

using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {
constexpr const char* kNotFound = R"([{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}])";
}

TEST_CASE("the version list needs no token and is not counted, retired and unknown versions", "[sim][e2e][rest]") {
  SimProcess sim(DeterministicArgs());
  auto api = sim.Instance();
  auto versions = api->Get("/services/data/");
  REQUIRE(versions);
  REQUIRE(versions->status == 200);
  CHECK_FALSE(versions->has_header("Sforce-Limit-Info"));
  rapidjson::Document d;
  d.Parse(versions->body.c_str());
  REQUIRE(d.IsArray());
  std::set<std::string> seen;
  for (const auto& v : d.GetArray()) seen.insert(v["version"].GetString());
  CHECK(seen.count("31.0") == 1);
  CHECK(seen.count("62.0") == 1);
  CHECK(seen.count("30.0") == 0);
  CHECK(d[static_cast<rapidjson::SizeType>(62 - 31)]["label"].GetString() == std::string("Winter '25"));

  auto retired = api->Get("/services/data/v25.0/limits", sim.Auth());
  REQUIRE(retired);
  CHECK(retired->status == 410);
  auto future = api->Get("/services/data/v99.0/limits", sim.Auth());
  REQUIRE(future);
  CHECK(future->status == 404);
  CHECK(future->body == kNotFound);
  auto unknown = api->Get(sim.ApiPath("no/such/thing").c_str(), sim.Auth());
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->body == kNotFound);
  auto outside = api->Get("/not-salesforce");
  REQUIRE(outside);
  CHECK(outside->status == 404);
  CHECK(outside->body == kNotFound);
  auto anonymous = api->Get(sim.ApiPath("limits").c_str());
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
}

TEST_CASE("Sforce-Limit-Info counts every authenticated call, at the limit REQUEST_LIMIT_EXCEEDED", "[sim][e2e][rest]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--api-limit", "4"});
  SimProcess sim(args);
  auto api = sim.Instance();
  for (int i = 1; i <= 4; ++i) {
    auto r = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Sforce-Limit-Info") == "api-usage=" + std::to_string(i) + "/4");
    if (i == 3) {
      rapidjson::Document d;
      d.Parse(r->body.c_str());
      CHECK(d["DailyApiRequests"]["Max"].GetUint64() == 4);
      CHECK(d["DailyApiRequests"]["Remaining"].GetUint64() == 1);
    }
  }
  auto over = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  REQUIRE(over);
  CHECK(over->status == 403);
  CHECK(over->body == R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])");
  CHECK(over->get_header_value("Sforce-Limit-Info") == "api-usage=5/4");
}

TEST_CASE("the daily API counter starts again when the simulated day changes", "[sim][e2e][rest]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--api-limit", "2"});
  SimProcess sim(args);
  auto api = sim.Instance();
  for (int i = 0; i < 3; ++i) api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  auto advance = api->Post("/__sim/advance?seconds=86400", {{"X-Sim-Admin", sim.Get("admin_token")}}, "", "text/plain");
  REQUIRE(advance);
  REQUIRE(advance->status == 200);
  CHECK(advance->body.find("2026-04-11T00:00:00") != std::string::npos);
  auto r = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Sforce-Limit-Info") == "api-usage=1/2");
  auto no_admin = api->Post("/__sim/advance?seconds=1", "", "text/plain");
  REQUIRE(no_admin);
  CHECK(no_admin->status == 403);
}

TEST_CASE("gzip when asked: always, never, or some responses only", "[sim][e2e][rest]") {
  auto count_gzipped = [](const std::string& mode) {
    auto args = DeterministicArgs();
    args.insert(args.end(), {"--gzip", mode});
    SimProcess sim(args);
    auto api = sim.Instance();
    int gzipped = 0;
    for (int i = 0; i < 6; ++i) {
      httplib::Headers h = sim.Auth();
      h.emplace("Accept-Encoding", "gzip");
      auto r = api->Get(sim.ApiPath("sobjects").c_str(), h);
      REQUIRE(r);
      REQUIRE(r->status == 200);
      rapidjson::Document d;
      d.Parse(r->body.c_str());  // httplib has already decoded it
      CHECK(d.IsObject());
      gzipped += r->get_header_value("Content-Encoding") == "gzip" ? 1 : 0;
    }
    return gzipped;
  };
  CHECK(count_gzipped("always") == 6);
  CHECK(count_gzipped("never") == 0);
  const int some = count_gzipped("sometimes");
  CHECK(some > 0);
  CHECK(some < 6);
}

TEST_CASE("an oversized URI is refused with 414", "[sim][e2e][rest]") {
  SimProcess sim(DeterministicArgs());
  const std::string soql = "SELECT Id FROM Account WHERE Name IN ('" + std::string(20000, 'a') + "')";
  auto r = sim.Instance()->Get(sim.ApiPath("query").c_str(), httplib::Params{{"q", soql}}, sim.Auth());
  REQUIRE(r);
  CHECK(r->status == 414);
}
