#pragma once
// What the nightly-series end-to-end tests share: the run summary, the bundles of a series
// folder, the simulator's data clock, and the records of every bundle's timeline.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "e2e/ehr/fhir_support.h"
#include "support/sim_process.h"
#include "support/test_support.h"

namespace custody::test::nightly {

inline rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// The last line of a run's stdout: its summary.
inline rapidjson::Document SummaryOf(const ProcessResult& r) {
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const auto nl = out.rfind('\n');
  rapidjson::Document d = ParseJson(nl == std::string::npos ? out : out.substr(nl + 1));
  REQUIRE(d.IsObject());
  REQUIRE(std::string(d["event"].GetString()) == "custody.run.summary");
  return d;
}

// The bundles (*.tar) in a series folder, by name.
inline std::set<std::string> Tars(const std::filesystem::path& dir) {
  std::set<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".tar") names.insert(e.path().filename().string());
  }
  return names;
}

// Moves the simulated org's data clock forward.
inline void Advance(const SimProcess& sim, int seconds) {
  auto r = sim.Instance()->Post(("/__sim/advance?seconds=" + std::to_string(seconds)).c_str(),
                                {{"X-Sim-Admin", sim.Get("admin_token")}}, "", "text/plain");
  REQUIRE(r);
  REQUIRE(r->status == 200);
}

// Every record of every bundle's timeline and untimed file as (event type, key), with how many
// times it occurs across the folder. The key is the source's id (correlation.event_id), else the
// request id (an event log file row's REQUEST_ID), else "".
inline std::map<std::pair<std::string, std::string>, int> SealedRecords(const std::filesystem::path& bundles,
                                                                         const std::filesystem::path& scratch) {
  std::map<std::pair<std::string, std::string>, int> rows;
  for (const auto& name : Tars(bundles)) {
    const std::filesystem::path out = scratch / ("x-" + name);
    std::filesystem::create_directories(out);
    REQUIRE(RunShell("tar -xf '" + (bundles / name).string() + "' -C '" + out.string() + "'").code == 0);
    std::filesystem::path top;
    for (const auto& e : std::filesystem::directory_iterator(out)) top = e.path();
    std::ifstream timeline(top / "data/normalized/timeline.jsonl");
    std::ifstream untimed(top / "data/normalized/untimed.jsonl");
    for (std::string line; std::getline(timeline, line) || std::getline(untimed, line);) {
      rapidjson::Document d = ParseJson(line);
      const rapidjson::Value& c = d["correlation"];
      std::string key;
      if (c.HasMember("event_id") && c["event_id"].IsString()) key = c["event_id"].GetString();
      if (key.empty() && c.HasMember("request_id") && c["request_id"].IsString()) key = c["request_id"].GetString();
      ++rows[{d["event_type"].GetString(), key}];
    }
  }
  return rows;
}

}  // namespace custody::test::nightly
