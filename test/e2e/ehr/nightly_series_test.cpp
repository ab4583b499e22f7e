// Nightly preservation (collect --config --state-dir): several simulated nights against the real
// custody-sim and custody binaries, with the org's data clock advanced between runs, hourly event
// log files that arrive late and daily files that are re-delivered, a run killed with SIGKILL in
// the middle, a run stopped at the API budget, tokens that expire mid-run, and a run that finds the
// state folder locked. Afterwards `custody verify --chain` passes, and the bundles together hold
// every row the simulator served (its --served-ledger) exactly once.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e/ehr/fhir_support.h"
#include "e2e/ehr/nightly_support.h"
#include "json/json.h"
#include "support/sim_process.h"
#include "support/test_support.h"

namespace {

namespace fs = std::filesystem;
using custody::test::Keys;
using custody::test::MakeKeys;
using custody::test::ProcessResult;
using custody::test::ReadFile;
using custody::test::RunProcess;
using custody::test::SimProcess;
using custody::test::TempDir;
using custody::test::nightly::Advance;
using custody::test::nightly::ParseJson;
using custody::test::nightly::SealedRecords;
using custody::test::nightly::SummaryOf;
using custody::test::nightly::Tars;

class Series {
 public:
  explicit Series(const SimProcess& sim) : sim_(sim), keys_(MakeKeys(dir_.path(), "examiner")) {
    std::ofstream(dir_ / "sf.secret") << sim.Get("client_secret") << "\n";
  }
  fs::path bundles() const { return dir_ / "bundles"; }
  fs::path state() const { return dir_ / "state"; }
  const TempDir& dir() const { return dir_; }

  void WriteCase(int budget_reserve_percent = 10) const {
    std::ofstream(dir_ / "case.toml")
        << "[case]\nid = \"NIGHTLY-7\"\nexaminer = \"Night Examiner\"\nsince = \"2026-04-01T00:00:00Z\"\n"
        << "out = \"" << bundles().string() << "\"\nkey = \"" << keys_.key.string() << "\"\ncert = \""
        << keys_.cert.string() << "\"\n\n[[source]]\nname = \"sf\"\ntype = \"salesforce\"\ninstance_url = \""
        << sim_.Get("instance_url") << "\"\nlogin_url = \"" << sim_.Get("login_url")
        << "\"\nauth = \"client-credentials\"\nclient_id = \"" << sim_.Get("client_id")
        << "\"\nclient_secret = { file = \"" << (dir_ / "sf.secret").string() << "\" }\napi_budget_reserve = "
        << budget_reserve_percent << "\n";
  }
  std::vector<std::string> Args(const std::string& until) const {
    return {"collect", "--config", (dir_ / "case.toml").string(), "--state-dir", state().string(), "--until", until,
            "--retry-delay-ms", "10", "--log-format", "json"};
  }
  ProcessResult Run(const std::string& until) const {
    ProcessResult r = RunProcess(CUSTODY_BINARY, Args(until), {}, dir_.path());
    UNSCOPED_INFO("custody exit " << r.code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    return r;
  }
  // Starts a run and kills it with SIGKILL once it has captured its first history page.
  custody::test::CliResult RunAndKill(const std::string& until) const {
    std::string cmd = "cd '" + dir_.path().string() + "' && '" + std::string(CUSTODY_BINARY) + "'";
    for (const auto& a : Args(until)) cmd += " '" + a + "'";
    cmd += " > killed.out 2> killed.err & pid=$!; for i in $(seq 1 3000); do "
           "if ls '" + state().string() + "'/runs/*/payload/raw/sf/field-history/*/* >/dev/null 2>&1; then break; fi; "
           "sleep 0.01; done; kill -KILL $pid; wait $pid; echo \"killed $?\"";
    return custody::test::RunShell(cmd);
  }

 private:
  const SimProcess& sim_;
  TempDir dir_;
  Keys keys_;
};

}  // namespace

TEST_CASE("nightly series: five nights with late and re-delivered log files, a killed run, the API budget and "
          "expiring tokens hold every served row exactly once in a verified chain",
          "[ehr][e2e][nightly]") {
  TempDir sim_dir;
  const fs::path ledger = sim_dir / "ledger.jsonl";
  // The data clock starts mid-window so that each advance brings a new day of rows and files.
  SimProcess sim({"--seed", "11", "--start", "2026-04-01T00:00:00Z", "--days", "7", "--now", "2026-04-02T06:00:00Z",
                  "--hourly-elf", "--history-rows", "300", "--patients", "40", "--elf-bytes-per-day", "20000",
                  "--fault", "expire%2", "--api-limit", "2000", "--served-ledger", ledger.string()});
  Series series(sim);
  series.WriteCase();
  std::vector<std::string> statements;

  // Night 1: the first run of the series starts at [case] since.
  ProcessResult n1 = series.Run("2026-04-02T06:00:00Z");
  REQUIRE(n1.code == 0);
  auto s1 = SummaryOf(n1);
  CHECK(std::string(s1["status"].GetString()) == "complete");
  CHECK(std::string(s1["previous_statement_sha256"].GetString()) == "none");
  CHECK(s1["new_records"].GetUint64() > 1000);
  CHECK(s1["already_sealed"].GetUint64() == 0);
  statements.push_back(s1["statement_sha256"].GetString());
  REQUIRE(Tars(series.bundles()).size() == 1);

  // A second run while the state folder is locked does nothing and says so (exit 7).
  {
    auto locked = custody::test::RunShell("flock '" + (series.state() / "lock").string() + "' sh -c \"'" +
                                          std::string(CUSTODY_BINARY) + "' collect --config '" +
                                          (series.dir() / "case.toml").string() + "' --state-dir '" +
                                          series.state().string() + "' --until 2026-04-02T06:00:00Z; echo exit=\\$?\"");
    INFO(locked.out);
    CHECK(locked.out.find("exit=7") != std::string::npos);
    CHECK(locked.out.find("the state folder is in use by another run") != std::string::npos);
    CHECK(locked.out.find("\"status\":\"locked\"") != std::string::npos);
    CHECK(Tars(series.bundles()).size() == 1);
  }

  // Night 2: killed with SIGKILL mid-collection. No bundle, the lock is not left stuck, and the
  // next run moves the dead run's captures aside and covers its window.
  Advance(sim, 86400);
  auto killed = series.RunAndKill("2026-04-03T06:00:00Z");
  INFO(killed.out);
  REQUIRE(killed.out.find("killed 137") != std::string::npos);
  CHECK(Tars(series.bundles()).size() == 1);
  REQUIRE(fs::exists(series.state() / "runs"));
  CHECK_FALSE(fs::is_empty(series.state() / "runs"));
  ProcessResult n2 = series.Run("2026-04-03T06:00:00Z");
  REQUIRE(n2.code == 0);
  auto s2 = SummaryOf(n2);
  CHECK(std::string(s2["previous_statement_sha256"].GetString()) == statements.back());
  CHECK(s2["new_records"].GetUint64() > 0);
  CHECK(s2["already_sealed"].GetUint64() > 0);  // the event overlap re-read rows sealed on night 1
  CHECK(s2["log_files_skipped"].GetUint64() > 0);
  statements.push_back(s2["statement_sha256"].GetString());
  CHECK(fs::is_empty(series.state() / "runs"));
  REQUIRE(fs::exists(series.state() / "interrupted"));
  CHECK_FALSE(fs::is_empty(series.state() / "interrupted"));

  // Night 3: stopped at the API budget reserve: sealed as incomplete (exit 6); its streams'
  // watermarks do not move, so night 4 covers the window again.
  Advance(sim, 86400);
  series.WriteCase(99);
  ProcessResult n3 = series.Run("2026-04-04T06:00:00Z");
  REQUIRE(n3.code == 6);
  auto s3 = SummaryOf(n3);
  CHECK(std::string(s3["status"].GetString()) == "api-budget");
  CHECK(std::string(s3["previous_statement_sha256"].GetString()) == statements.back());
  statements.push_back(s3["statement_sha256"].GetString());
  series.WriteCase();

  // Nights 4 and 5: normal again.
  for (const char* until : {"2026-04-05T06:00:00Z", "2026-04-06T06:00:00Z"}) {
    Advance(sim, 86400);
    ProcessResult n = series.Run(until);
    REQUIRE(n.code == 0);
    auto s = SummaryOf(n);
    CHECK(std::string(s["previous_statement_sha256"].GetString()) == statements.back());
    statements.push_back(s["statement_sha256"].GetString());
  }
  REQUIRE(Tars(series.bundles()).size() == 5);

  // The chain verifies: links, every bundle, no gap in any stream's covered windows.
  ProcessResult chain =
      RunProcess(CUSTODY_BINARY, {"verify", "--chain", series.bundles().string(), "--json"}, {}, series.dir().path());
  INFO(chain.out << chain.err);
  REQUIRE(chain.code == 0);

  // Supplements: late hourly files and re-delivered daily files, each naming what it supersedes.
  std::set<std::string> kinds;
  bool named_earlier_bundle = false;
  const fs::path scratch = series.dir() / "scratch";
  for (const auto& name : Tars(series.bundles())) {
    const fs::path out = scratch / ("meta-" + name);
    fs::create_directories(out);
    REQUIRE(custody::test::RunShell("tar -xf '" + (series.bundles() / name).string() + "' -C '" + out.string() +
                                    "' --wildcards '*/metadata/collection.json'")
                .code == 0);
    fs::path top;
    for (const auto& e : fs::directory_iterator(out)) top = e.path();
    auto collection = ParseJson(ReadFile(top / "metadata/collection.json"));
    const rapidjson::Value& inc = collection["collection"]["incremental"];
    REQUIRE(inc.IsObject());
    for (const auto& sup : inc["supplements"].GetArray()) {
      const std::string kind = sup["kind"].GetString();
      kinds.insert(kind);
      if (kind == "re-delivered") {
        REQUIRE(sup["supersedes"].IsObject());
        const std::string earlier = sup["supersedes"]["bundle_file"].GetString();
        CHECK(earlier != name);
        CHECK(Tars(series.bundles()).count(earlier) == 1);
        CHECK(std::string(sup["supersedes"]["created_date"].GetString()) != sup["created_date"].GetString());
        named_earlier_bundle = true;
      }
    }
  }
  CHECK(kinds.count("late") == 1);
  CHECK(kinds.count("re-delivered") == 1);
  CHECK(named_earlier_bundle);

  // The state folder's state.json is what its schema says.
  {
    rapidjson::Document state = ParseJson(ReadFile(series.state() / "state.json"));
    const std::string schema = ReadFile(fs::path(CUSTODY_SOURCE_DIR) / "schemas/state.schema.json");
    auto valid = custody::json::ValidateAgainstSchema(state, schema);
    INFO((valid ? std::string() : valid.error().message()));
    CHECK(valid);
    CHECK(state["sequence"].GetUint64() == 5);
    CHECK(state["bundles"].Size() == 5);
  }

  // Exactly once: every (log, key) the simulator served is in exactly one bundle's timeline.
  sim.Stop();
  std::set<std::pair<std::string, std::string>> served;
  {
    std::ifstream in(ledger);
    for (std::string line; std::getline(in, line);) {
      auto d = ParseJson(line);
      served.insert({d["log"].GetString(), d["key"].GetString()});
    }
  }
  REQUIRE(served.size() > 1000);
  auto sealed = SealedRecords(series.bundles(), scratch);
  std::vector<std::string> twice, missing, unexpected;
  for (const auto& [row, n] : sealed) {
    if (n > 1) twice.push_back(row.first + " " + row.second);
    if (served.count(row) == 0) unexpected.push_back(row.first + " " + row.second);
  }
  for (const auto& row : served) {
    if (sealed.count(row) == 0) missing.push_back(row.first + " " + row.second);
  }
  INFO("served " << served.size() << ", sealed " << sealed.size());
  INFO("first twice: " << (twice.empty() ? "" : twice.front()));
  INFO("first missing: " << (missing.empty() ? "" : missing.front()));
  INFO("first unexpected: " << (unexpected.empty() ? "" : unexpected.front()));
  CHECK(twice.empty());
  CHECK(missing.empty());
  CHECK(unexpected.empty());
}
