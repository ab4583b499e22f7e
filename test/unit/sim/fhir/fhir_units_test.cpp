// The FHIR simulator's parts on their own: FHIR time values, fault specs, command-line flags, and
// the TLS listener.
#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <rapidjson/document.h>

#include <thread>

#include "fhir/fhir_faults.h"
#include "fhir/fhir_server.h"
#include "fhir/fhir_time.h"
#include "server/tls.h"
#include "support/test_support.h"

using custody::sim::fhir::FaultPlan;
using custody::sim::fhir::FormatInstant;
using custody::sim::fhir::HttpDate;
using custody::sim::fhir::kUsPerDay;
using custody::sim::fhir::kUsPerSecond;
using custody::sim::fhir::ParseFhirFault;
using custody::sim::fhir::ParseFhirTime;
using custody::sim::fhir::TimeRange;

namespace {
constexpr int64_t kApril1 = 1775001600LL * kUsPerSecond;  // 2026-04-01T00:00:00Z
}

TEST_CASE("fhir time values read as the range their precision implies", "[sim][fhir][time]") {
  TimeRange r;
  std::string why;
  REQUIRE(ParseFhirTime("2026-04-01", &r, &why));
  CHECK(r.lo == kApril1);
  CHECK(r.hi == kApril1 + kUsPerDay);
  REQUIRE(ParseFhirTime("2026-04", &r, &why));
  CHECK(r.lo == kApril1);
  CHECK(r.hi == kApril1 + 30 * kUsPerDay);
  REQUIRE(ParseFhirTime("2026", &r, &why));
  CHECK(r.hi - r.lo == 365 * kUsPerDay);
  REQUIRE(ParseFhirTime("2026-04-01T02:00:00+02:00", &r, &why));
  CHECK(r.lo == kApril1);
  CHECK(r.hi == kApril1 + kUsPerSecond);
  REQUIRE(ParseFhirTime("2026-03-31T19:30-04:30", &r, &why));
  CHECK(r.lo == kApril1);
  CHECK(r.hi == kApril1 + 60 * kUsPerSecond);
  REQUIRE(ParseFhirTime("2026-04-01T00:00:00.5Z", &r, &why));
  CHECK(r.lo == kApril1 + 500000);
  CHECK(r.hi == kApril1 + 600000);
  REQUIRE(ParseFhirTime("2026-04-01T00:00:00.123456789Z", &r, &why));
  CHECK(r.lo == kApril1 + 123456);
  CHECK(r.hi == r.lo + 1);
  for (const char* bad : {"", "26-04-01", "2026-4-01", "2026-02-30", "2026-04-01T10:00", "2026-04-01T10:00:00",
                          "2026-04-01T24:00:00Z", "2026-04-01T10:00:00+15:00", "2026-04-01T10:00:00 02:00",
                          "2026-04-01T10:00:00.Z", "2026-04-01T10:00:00Zjunk", "0000"}) {
    INFO(bad);
    CHECK_FALSE(ParseFhirTime(bad, &r, &why));
    CHECK_FALSE(why.empty());
  }
  CHECK_FALSE(ParseFhirTime("2026-04-01T10:00:00 02:00", &r, &why));
  CHECK(why.find("%2B") != std::string::npos);
}

TEST_CASE("fhir instants render with the chosen zone and fraction, truncated", "[sim][fhir][time]") {
  const int64_t t = kApril1 + 3723 * kUsPerSecond + 456789;  // 01:02:03.456789Z
  CHECK(FormatInstant(t, 0, true, 0) == "2026-04-01T01:02:03Z");
  CHECK(FormatInstant(t, 0, true, 3) == "2026-04-01T01:02:03.456Z");
  CHECK(FormatInstant(t, 330, false, 6) == "2026-04-01T06:32:03.456789+05:30");
  CHECK(FormatInstant(t, -300, false, 3) == "2026-03-31T20:02:03.456-05:00");
  CHECK(FormatInstant(t, 0, false, 0) == "2026-04-01T01:02:03+00:00");
  CHECK(HttpDate(1775001600000) == "Wed, 01 Apr 2026 00:00:00 GMT");
}

TEST_CASE("fhir fault specs parse kinds, arguments and request lists", "[sim][fhir][faults]") {
  std::string why;
  auto f = ParseFhirFault("429:5@2-3,7", &why);
  REQUIRE(f);
  FaultPlan plan({*f});
  CHECK(plan.For(1).http_status == 0);
  CHECK(plan.For(2).http_status == 429);
  CHECK(plan.For(2).retry_after == 5);
  CHECK(plan.For(3).http_status == 429);
  CHECK(plan.For(4).http_status == 0);
  CHECK(plan.For(7).http_status == 429);
  auto always = ParseFhirFault("outcome-warning", &why);
  REQUIRE(always);
  CHECK(FaultPlan({*always}).For(12345).outcome_warning);
  for (const char* bad : {"teapot", "500:3", "429:x", "drop@0", "drop@5-2", "drop@", "no-next@1,,2"}) {
    INFO(bad);
    CHECK_FALSE(ParseFhirFault(bad, &why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("fhir flags fill the options", "[sim][fhir][cli]") {
  CLI::App app;
  custody::sim::fhir::FhirOptions o;
  bool enabled = false;
  custody::sim::fhir::AddFhirFlags(app, o, enabled);
  const char* argv[] = {"custody-sim", "--fhir", "--fhir-version", "r5", "--fhir-paging", "hapi", "--fhir-events",
                        "1234", "--fhir-no-total", "--fhir-auth", "smart,basic", "--fhir-fault", "500@3",
                        "--fhir-fault", "drop@4", "--fhir-insert-every", "3", "--fhir-export", "--fhir-token-requests",
                        "9"};
  app.parse(static_cast<int>(std::size(argv)), argv);
  CHECK(enabled);
  CHECK(o.version == "r5");
  CHECK(o.paging == "hapi");
  CHECK(o.events == 1234);
  CHECK_FALSE(o.total);
  CHECK(o.auth == std::vector<std::string>{"smart", "basic"});
  CHECK(o.faults == std::vector<std::string>{"500@3", "drop@4"});
  CHECK(o.insert_every == 3);
  CHECK(o.export_enabled);
  CHECK(o.token_max_requests == 9);
  CLI::App bad;
  custody::sim::fhir::FhirOptions o2;
  custody::sim::fhir::AddFhirFlags(bad, o2, enabled);
  const char* wrong[] = {"custody-sim", "--fhir-paging", "pages"};
  CHECK_THROWS(bad.parse(3, wrong));
}

TEST_CASE("fhir flags: --fhir-clock-offset takes signed seconds and stays unset without the flag", "[sim][fhir][cli]") {
  auto parse = [](std::vector<const char*> args, custody::sim::fhir::FhirOptions* o) {
    CLI::App app;
    bool enabled = false;
    custody::sim::fhir::AddFhirFlags(app, *o, enabled);
    args.insert(args.begin(), "custody-sim");
    app.parse(static_cast<int>(args.size()), args.data());
  };
  custody::sim::fhir::FhirOptions none;
  parse({"--fhir"}, &none);
  CHECK_FALSE(none.clock_offset_seconds.has_value());
  custody::sim::fhir::FhirOptions behind;
  parse({"--fhir-clock-offset", "-120"}, &behind);  // a negative value after a space, not a flag
  REQUIRE(behind.clock_offset_seconds.has_value());
  CHECK(*behind.clock_offset_seconds == -120.0);
  custody::sim::fhir::FhirOptions ahead;
  parse({"--fhir-clock-offset=300.25"}, &ahead);
  REQUIRE(ahead.clock_offset_seconds.has_value());
  CHECK(*ahead.clock_offset_seconds == 300.25);
  custody::sim::fhir::FhirOptions far;
  CHECK_THROWS(parse({"--fhir-clock-offset", "1e9"}, &far));  // beyond a year
  custody::sim::fhir::FhirOptions word;
  CHECK_THROWS(parse({"--fhir-clock-offset", "soon"}, &word));
}

TEST_CASE("fhir sim serves HTTPS with the CA named in its startup object", "[sim][fhir][tls]") {
  custody::test::TempDir dir;
  auto tls = custody::sim::MakeTlsMaterial(dir.path().string());
  REQUIRE(tls);
  custody::sim::fhir::FhirOptions o;
  o.common.work_dir = dir.path().string();
  o.common.tls = true;
  o.common.tls_cert_path = tls->cert_path;
  o.common.tls_key_path = tls->key_path;
  o.common.ca_path = tls->ca_path;
  o.common.start = kApril1 / 1000;
  o.events = 10;
  auto server = custody::sim::fhir::FhirServer::Create(o);
  REQUIRE(server);
  rapidjson::Document d;
  d.Parse((*server)->StartupJson().c_str());
  CHECK(std::string(d["base_url"].GetString()).rfind("https://127.0.0.1:", 0) == 0);
  CHECK(std::string(d["ca_file"].GetString()) == tls->ca_path);
  std::thread t([&] { (*server)->Run(); });
  httplib::SSLClient client("127.0.0.1", (*server)->port());
  client.set_ca_cert_path(tls->ca_path);
  client.enable_server_certificate_verification(true);
  auto res = client.Get("/fhir/AuditEvent?_count=5",
                        {{"Authorization", std::string("Bearer ") + d["access_token"].GetString()}});
  REQUIRE(res);
  CHECK(res->status == 200);
  rapidjson::Document b;
  b.Parse(res->body.c_str());
  CHECK(std::string(b["entry"][0]["fullUrl"].GetString()).rfind("https://", 0) == 0);
  (*server)->Stop();
  t.join();
}

TEST_CASE("fhir sim Stop before Run returns promptly", "[sim][fhir]") {
  custody::test::TempDir dir;
  custody::sim::fhir::FhirOptions o;
  o.common.work_dir = dir.path().string();
  o.events = 0;
  auto server = custody::sim::fhir::FhirServer::Create(o);
  REQUIRE(server);
  (*server)->Stop();
  (*server)->Run();
  SUCCEED();
}
