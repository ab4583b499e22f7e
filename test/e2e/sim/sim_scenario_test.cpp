#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <map>

#include "json/json.h"
#include "json/schemas.h"
#include "support/sim_process.h"
#include "support/test_support.h"

using custody::test::DeterministicArgs;
using custody::test::ReadFile;
using custody::test::SimProcess;

namespace {

// Every key the answer key names must be reachable the way a collector would reach it: by SOQL
// for objects, by downloading the day's files for "EventLogFile:<Type>".
void CheckAnswerKey(const std::string& scenario) {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--scenario", scenario, "--gzip", "never"});
  SimProcess sim(args);
  REQUIRE(sim.startup()["answer_key"].IsString());
  rapidjson::Document key;
  key.Parse(ReadFile(sim.Get("answer_key")).c_str());
  REQUIRE(!key.HasParseError());
  REQUIRE(custody::json::ValidateAgainstSchema(key, custody::json::kSimAnswerKeySchema).ok());
  CHECK(std::string(key["scenario"].GetString()) == scenario);
  REQUIRE(key["events"].Size() > 0);
  auto api = sim.Instance();
  std::map<std::string, std::string> elf_text;  // EventType -> all its files, concatenated
  auto elf = [&](const std::string& type) -> const std::string& {
    auto it = elf_text.find(type);
    if (it != elf_text.end()) return it->second;
    std::string all;
    auto list = api->Get(sim.ApiPath("query").c_str(),
                         httplib::Params{{"q", "SELECT Id, LogFile FROM EventLogFile WHERE EventType = '" + type + "'"}},
                         sim.Auth());
    REQUIRE(list);
    REQUIRE(list->status == 200);
    rapidjson::Document d;
    d.Parse(list->body.c_str());
    for (const auto& r : d["records"].GetArray()) {
      auto file = api->Get(r["LogFile"].GetString(), sim.Auth());
      REQUIRE(file);
      all += file->body;
    }
    return elf_text[type] = all;
  };
  size_t checked = 0;
  for (const auto& event : key["events"].GetArray()) {
    for (const auto& ev : event["evidence"].GetArray()) {
      const std::string log = ev["log"].GetString();
      const std::string field = ev["key_field"].GetString();
      const std::string value = ev["key"].GetString();
      INFO(scenario << ": " << log << " " << field << "=" << value);
      if (log.rfind("EventLogFile:", 0) == 0) {
        CHECK(elf(log.substr(13)).find(value) != std::string::npos);
      } else {
        // Event storage objects filter on EventDate only, so ask for the event's whole day.
        const std::string day = std::string(event["time"].GetString()).substr(0, 10);
        const bool storage = log.size() > 5 && (log.substr(log.size() - 5) == "Event" || log.find("EventStore") != std::string::npos);
        const std::string soql =
            storage ? "SELECT FIELDS(STANDARD) FROM " + log + " WHERE EventDate >= " + day + "T00:00:00Z AND EventDate < " +
                          day + "T23:59:59Z"
                    : "SELECT " + field + " FROM " + log + " WHERE " + field + " = '" + value + "'";
        auto r = api->Get(sim.ApiPath("queryAll").c_str(), httplib::Params{{"q", soql}}, sim.Auth());
        REQUIRE(r);
        INFO(r->body.substr(0, 300));
        REQUIRE(r->status == 200);
        CHECK(r->body.find("\"" + value + "\"") != std::string::npos);
      }
      ++checked;
    }
  }
  CHECK(checked >= 5);
}

}  // namespace

TEST_CASE("each scenario's answer key names rows a collector can find through the API", "[sim][e2e][scenario]") {
  for (const char* scenario : {"report-exfiltration", "bulk-exfiltration", "foreign-login-mass-update"}) {
    CheckAnswerKey(scenario);
  }
}

TEST_CASE("custody-sim --list-scenarios names every scenario", "[sim][e2e][scenario]") {
  const auto run = custody::test::RunSimToExit({"--list-scenarios"});
  CHECK(run.code == 0);
  CHECK(run.out == "report-exfiltration\nbulk-exfiltration\nforeign-login-mass-update\n");
}
