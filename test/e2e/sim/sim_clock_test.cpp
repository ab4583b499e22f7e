#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <ctime>
#include <set>

#include "support/sim_process.h"

using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {

rapidjson::Document Json(const httplib::Result& r) {
  REQUIRE(r);
  INFO(r->body.substr(0, 300));
  REQUIRE(r->status == 200);
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

std::set<std::string> LogFileIds(const SimProcess& sim) {
  auto d = Json(sim.Instance()->Get(sim.ApiPath("query").c_str(),
                                    httplib::Params{{"q", "SELECT Id FROM EventLogFile"}}, sim.Auth()));
  std::set<std::string> ids;
  for (const auto& r : d["records"].GetArray()) ids.insert(r["Id"].GetString());
  return ids;
}

void Advance(const SimProcess& sim, int64_t seconds) {
  auto r = sim.Instance()->Post(("/__sim/advance?seconds=" + std::to_string(seconds)).c_str(),
                                {{"X-Sim-Admin", sim.Get("admin_token")}}, "", "text/plain");
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

}  // namespace

TEST_CASE("advancing the data clock makes new rows and log files appear and old files expire", "[sim][e2e][clock]") {
  // Mid-window: only the first days' daily files exist yet.
  SimProcess sim({"--seed", "7", "--start", "2026-04-01T00:00:00Z", "--days", "7", "--now", "2026-04-03T12:00:00Z",
                  "--gzip", "never"});
  auto count = [&](const std::string& object) {
    auto d = Json(sim.Instance()->Get(sim.ApiPath("query").c_str(),
                                      httplib::Params{{"q", "SELECT COUNT() FROM " + object}}, sim.Auth()));
    return d["totalSize"].GetUint64();
  };
  const uint64_t history_before = count("AccountHistory");
  const std::set<std::string> files_before = LogFileIds(sim);
  Advance(sim, 3 * 86400);
  CHECK(count("AccountHistory") > history_before);
  const std::set<std::string> files_after = LogFileIds(sim);
  CHECK(files_after.size() > files_before.size());
  for (const std::string& id : files_before) CHECK(files_after.count(id) == 1);

  // 30 days after their CreatedDate, files are gone: not listed and their LogFile answers 404.
  REQUIRE_FALSE(files_before.empty());
  const std::string old_id = *files_before.begin();
  Advance(sim, 40 * 86400);
  CHECK(LogFileIds(sim).count(old_id) == 0);
  auto gone = sim.Instance()->Get(sim.ApiPath("sobjects/EventLogFile/" + old_id + "/LogFile").c_str(), sim.Auth());
  REQUIRE(gone);
  CHECK(gone->status == 404);
}

TEST_CASE("hourly event log files carry Interval and Sequence only with the hourly licence", "[sim][e2e][clock]") {
  auto args = DeterministicArgs();
  args.push_back("--hourly-elf");
  SimProcess sim(args);
  auto d = Json(sim.Instance()->Get(
      sim.ApiPath("query").c_str(),
      httplib::Params{{"q", "SELECT Id, Interval, Sequence, LogDate FROM EventLogFile WHERE Interval = 'Hourly'"}},
      sim.Auth()));
  REQUIRE(d["totalSize"].GetUint64() > 0);
  for (const auto& r : d["records"].GetArray()) {
    CHECK(std::string(r["Interval"].GetString()) == "Hourly");
    CHECK(r["Sequence"].GetInt() >= 1);
  }
}

TEST_CASE("the --clock-offset flag moves the Date header by that much, not the data", "[sim][e2e][clock]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--clock-offset", "-3600"});
  SimProcess sim(args);
  auto r = sim.Instance()->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  REQUIRE(r);
  const std::string date = r->get_header_value("Date");
  std::tm tm{};
  REQUIRE(strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr);
  const int64_t server = static_cast<int64_t>(timegm(&tm));
  const int64_t local =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(local - server >= 3595);
  CHECK(local - server <= 3605);
  CHECK(sim.startup()["clock_offset_ms"].GetInt64() == -3600000);
}

TEST_CASE("a sixth token for a user revokes the oldest, and the admin endpoint revokes all", "[sim][e2e][oauth]") {
  SimProcess sim(DeterministicArgs());
  auto api = sim.Instance();
  const httplib::Params form{{"grant_type", "client_credentials"},
                             {"client_id", sim.Get("client_id")},
                             {"client_secret", sim.Get("client_secret")}};
  std::string newest;
  for (int i = 0; i < 5; ++i) {
    auto t = Json(api->Post("/services/oauth2/token", form));
    newest = t["access_token"].GetString();
  }
  // The startup token belongs to the same integration user and was the oldest of six.
  auto old = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  REQUIRE(old);
  CHECK(old->status == 401);
  const httplib::Headers fresh{{"Authorization", "Bearer " + newest}};
  CHECK(api->Get(sim.ApiPath("limits").c_str(), fresh)->status == 200);
  auto revoke = api->Post("/__sim/revoke", {{"X-Sim-Admin", sim.Get("admin_token")}}, "", "text/plain");
  REQUIRE(revoke);
  CHECK(revoke->status == 200);
  CHECK(api->Get(sim.ApiPath("limits").c_str(), fresh)->status == 401);
  auto state = Json(api->Get("/__sim/state", {{"X-Sim-Admin", sim.Get("admin_token")}}));
  CHECK(state["api_calls_total"].GetUint64() == 1);  // refused calls are not counted
}
