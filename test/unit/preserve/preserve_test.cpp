// The nightly series' state folder parts: the seen set, the state file, the lock, and the
// timeline that recognises records sealed before.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/file_system.h"
#include "normalize/timeline.h"
#include "preserve/dedup_timeline.h"
#include "preserve/seen_set.h"
#include "preserve/series_state.h"
#include "preserve/state_lock.h"
#include "support/test_support.h"

namespace {

using custody::preserve::DedupTimeline;
using custody::preserve::IdentityOf;
using custody::preserve::SeenSet;
using custody::test::ReadFile;
using custody::test::TempDir;

std::string Line(const std::string& stream, const std::string& type, const std::string& event_id,
                 const std::string& request_id, const std::string& raw_sha = "ab") {
  std::string c = "{";
  if (!event_id.empty()) c += "\"event_id\":\"" + event_id + "\"";
  if (!request_id.empty()) c += std::string(event_id.empty() ? "" : ",") + "\"request_id\":\"" + request_id + "\"";
  c += "}";
  return "{\"@timestamp\":\"2026-04-01T00:00:00.000Z\",\"timestamp_original\":\"x\",\"source\":\"salesforce:00D\","
         "\"stream\":\"" + stream + "\",\"event_type\":\"" + type + "\",\"correlation\":" + c +
         ",\"provenance\":{\"raw_sha256\":\"" + raw_sha + "\"}}";
}

}  // namespace

TEST_CASE("record identity: the source's id first, then the request id, then the raw bytes", "[preserve]") {
  auto a = IdentityOf("s", "logins", "LoginHistory", std::string("0Ya1"), std::nullopt, "r1", "t1");
  CHECK(a == IdentityOf("s", "logins", "LoginHistory", std::string("0Ya1"), std::string("other"), "r2", "t2"));
  CHECK(a != IdentityOf("s", "logins", "LoginHistory", std::string("0Ya2"), std::nullopt, "r1", "t1"));
  CHECK(a != IdentityOf("s", "exports", "LoginHistory", std::string("0Ya1"), std::nullopt, "r1", "t1"));
  // An hourly and a daily event log file row of one request: the same identity, whatever the bytes.
  auto h = IdentityOf("s", "logins", "EventLogFile:Login", std::nullopt, std::string("4Zx"), "hourly-bytes", "a");
  CHECK(h == IdentityOf("s", "logins", "EventLogFile:Login", std::nullopt, std::string("4Zx"), "daily-bytes", "b"));
  // The same request id in another event type is another row (API and ApiTotalUsage share them).
  CHECK(h != IdentityOf("s", "logins", "EventLogFile:ApiTotalUsage", std::nullopt, std::string("4Zx"), "x", "a"));
  // Neither id: the raw bytes with the time as received.
  auto r = IdentityOf("s", "x", "T", std::nullopt, std::nullopt, "sha", "t");
  CHECK(r != IdentityOf("s", "x", "T", std::nullopt, std::nullopt, "sha", "u"));
}

TEST_CASE("seen set: saved and loaded exactly, pruned by event time, refuses a damaged file", "[preserve]") {
  TempDir dir;
  auto& fs = custody::io::RealFileSystem();
  SeenSet set;
  auto a = IdentityOf("s", "x", "T", std::string("1"), std::nullopt, "", "");
  auto b = IdentityOf("s", "x", "T", std::string("2"), std::nullopt, "", "");
  CHECK(set.Insert(a, 1000));
  CHECK_FALSE(set.Insert(a, 2000));
  CHECK(set.Insert(b, 5000));
  REQUIRE(set.Save(fs, dir / "seen.bin"));
  auto loaded = SeenSet::Load(dir / "seen.bin");
  REQUIRE(loaded);
  CHECK(loaded->size() == 2);
  CHECK(loaded->Contains(a));
  CHECK(loaded->Prune(3000) == 1);  // a's newest time is 2000
  CHECK_FALSE(loaded->Contains(a));
  CHECK(loaded->Contains(b));
  auto missing = SeenSet::Load(dir / "none.bin");
  REQUIRE(missing);
  CHECK(missing->size() == 0);
  std::string bytes = ReadFile(dir / "seen.bin");
  custody::test::WriteFile(dir / "short.bin", bytes.substr(0, bytes.size() - 3));
  auto shorter = SeenSet::Load(dir / "short.bin");
  REQUIRE_FALSE(shorter);
  CHECK(shorter.error().message().find("truncated") != std::string::npos);
  custody::test::WriteFile(dir / "other.bin", "not a seen file at all\n");
  REQUIRE_FALSE(SeenSet::Load(dir / "other.bin"));
}

TEST_CASE("seen set: merge keeps the later time, and a file out of order is read sorted", "[preserve]") {
  TempDir dir;
  auto& fs = custody::io::RealFileSystem();
  SeenSet a;
  SeenSet b;
  std::vector<custody::preserve::RecordId> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(IdentityOf("s", "x", "T", std::to_string(i), std::nullopt, "", ""));
  for (int i = 0; i < 30; ++i) a.Insert(ids[i], 100 + i);
  for (int i = 20; i < 50; ++i) b.Insert(ids[i], 1000 + i);
  a.Merge(b);
  CHECK(a.size() == 50);
  for (const auto& id : ids) CHECK(a.Contains(id));
  CHECK(a.Prune(1000) == 20);  // 0..19 kept their early times; 20..29 took b's later ones
  CHECK(a.Contains(ids[25]));
  CHECK_FALSE(a.Contains(ids[5]));
  CHECK_FALSE(a.Insert(ids[25], 5));  // already there, and inserting again changes nothing
  CHECK(a.Insert(ids[5], 5));
  // Entries written in reverse order (not by this version) load as a proper set.
  REQUIRE(a.Save(fs, dir / "seen.bin"));
  std::string bytes = ReadFile(dir / "seen.bin");
  const std::string magic = "custody-seen/1\n";
  std::string reversed = magic;
  for (size_t at = bytes.size(); at > magic.size(); at -= 24) reversed += bytes.substr(at - 24, 24);
  reversed += bytes.substr(bytes.size() - 24, 24);  // and one duplicate
  custody::test::WriteFile(dir / "reversed.bin", reversed);
  auto loaded = SeenSet::Load(dir / "reversed.bin");
  REQUIRE(loaded);
  CHECK(loaded->size() == a.size());
  CHECK(loaded->Contains(ids[5]));
  for (int i = 6; i < 20; ++i) CHECK_FALSE(loaded->Contains(ids[i]));  // pruned above
  for (int i = 20; i < 50; ++i) CHECK(loaded->Contains(ids[i]));
}

TEST_CASE("dedup timeline: a record sealed before or repeated in the run is counted, not added", "[preserve]") {
  TempDir dir;
  SeenSet sealed;
  sealed.Insert(IdentityOf("salesforce:00D", "logins", "LoginHistory", std::string("old"), std::nullopt, "ab", "x"), 1);
  auto inner = custody::normalize::TimelineWriter::Create(dir / "runs");
  REQUIRE(inner);
  DedupTimeline t(std::move(*inner), sealed);
  const std::uint64_t source1 = std::uint64_t{1} << 56;
  REQUIRE(t.AddOrdered(10, source1 | 1, Line("logins", "LoginHistory", "old", "")));
  REQUIRE(t.AddOrdered(20, source1 | 2, Line("logins", "LoginHistory", "new", "")));
  REQUIRE(t.AddOrdered(30, source1 | 3, Line("logins", "EventLogFile:Login", "", "REQ1", "hourly")));
  REQUIRE(t.AddOrdered(30, source1 | 4, Line("logins", "EventLogFile:Login", "", "REQ1", "daily")));
  REQUIRE(t.Finish(dir / "timeline.jsonl"));
  const std::string out = ReadFile(dir / "timeline.jsonl");
  CHECK(out.find("\"old\"") == std::string::npos);
  CHECK(out.find("\"new\"") != std::string::npos);
  CHECK(out.find("hourly") != std::string::npos);
  CHECK(out.find("daily") == std::string::npos);
  auto tallies = t.tallies();
  REQUIRE(tallies.count({1, "logins"}) == 1);
  const auto& tally = tallies.at({1, "logins"});
  CHECK(tally.new_records == 2);
  CHECK(tally.already_sealed == 1);
  CHECK(tally.repeated_in_run == 1);
  CHECK(tally.newest_ms == 30);
  CHECK(tally.newest_id == "REQ1");
  CHECK(t.fresh().size() == 2);
  REQUIRE_FALSE(t.AddOrdered(40, source1 | 5, "not json"));
}

TEST_CASE("series state: round trip, and a file of another format or a damaged one is refused", "[preserve]") {
  TempDir dir;
  auto& fs = custody::io::RealFileSystem();
  custody::preserve::SeriesState s;
  s.case_id = "IR-1";
  s.series_since = "2026-04-01T00:00:00Z";
  s.sequence = 2;
  s.bundles.push_back({"a.tar", "id-a", std::string(64, 'a'), "2026-04-02T06:00:00Z", "2026-04-01T00:00:00Z",
                       "2026-04-02T06:00:00Z", true, ""});
  s.streams.push_back({"sf", "logins", *custody::ParseRfc3339("2026-04-02T06:00:00Z"), "complete", 123, "x"});
  s.streams.push_back({"sf", "exports", std::nullopt, "incomplete", std::nullopt, ""});
  s.log_files.push_back({"sf", "0AT1", "Login", "2026-04-01T00:00:00.000+0000", "Daily", "0",
                         "2026-04-02T02:00:00.000+0000", "id-a", "a.tar", "data/raw/x.csv", std::string(64, 'b'), 42});
  REQUIRE(custody::preserve::SaveSeriesState(fs, dir / "state.json", s));
  auto loaded = custody::preserve::LoadSeriesState(dir / "state.json");
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK(custody::preserve::SeriesStateJson(**loaded) == ReadFile(dir / "state.json"));
  CHECK((*loaded)->FindStream("sf", "exports")->covered_until == std::nullopt);
  CHECK((*loaded)->FindLogFile("sf", "0AT1")->bytes == 42);
  auto none = custody::preserve::LoadSeriesState(dir / "absent.json");
  REQUIRE(none);
  CHECK_FALSE(*none);
  std::string text = ReadFile(dir / "state.json");
  custody::test::WriteFile(dir / "v2.json", std::string(text).replace(text.find("custody-state/1"), 15, "custody-state/2"));
  auto v2 = custody::preserve::LoadSeriesState(dir / "v2.json");
  REQUIRE_FALSE(v2);
  CHECK(v2.error().message().find("custody-state/2") != std::string::npos);
  custody::test::WriteFile(dir / "cut.json", text.substr(0, text.size() / 2));
  REQUIRE_FALSE(custody::preserve::LoadSeriesState(dir / "cut.json"));
}

TEST_CASE("state lock: a second holder is refused and named, and a dead holder's lock is free", "[preserve]") {
  TempDir dir;
  {
    auto first = custody::preserve::StateLock::Acquire(dir.path(), "pid 1 since test");
    REQUIRE(first);
    // Another process: flock locks belong to the open file description, so a fork that opens
    // the file again is a second holder.
    pid_t child = fork();
    if (child == 0) {
      auto second = custody::preserve::StateLock::Acquire(dir.path(), "pid 2");
      _exit(!second && custody::preserve::StateLock::IsBusy(second.error()) &&
                    second.error().message().find("pid 1 since test") != std::string::npos
                ? 0
                : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  // The holder is gone (here: released; a killed process's lock goes the same way).
  pid_t child = fork();
  if (child == 0) {
    auto again = custody::preserve::StateLock::Acquire(dir.path(), "pid 3");
    _exit(again ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
}

namespace {

std::string CaseFile(const TempDir& dir, const std::string& id) {
  return "[case]\nid = \"" + id + "\"\nexaminer = \"E\"\nsince = \"2026-04-01T00:00:00Z\"\nout = \"" +
         (dir / "bundles").string() + "\"\nkey = \"" + (dir / "k.key").string() + "\"\ncert = \"" +
         (dir / "k.pem").string() +
         "\"\n\n[[source]]\nname = \"sf\"\ntype = \"salesforce\"\ninstance_url = \"http://127.0.0.1:9\"\n"
         "auth = \"token\"\naccess_token = { env = \"NO_SUCH_TOKEN_VAR_FOR_TEST\" }\n";
}

}  // namespace

TEST_CASE("collect --state-dir: a state folder of another case is refused, as JSON under --log-format json",
          "[preserve][cli]") {
  TempDir dir;
  custody::preserve::SeriesState other;
  other.case_id = "IR-OTHER";
  other.series_since = "2026-04-01T00:00:00Z";
  std::filesystem::create_directories(dir / "state");
  REQUIRE(custody::preserve::SaveSeriesState(custody::io::RealFileSystem(), dir / "state" / "state.json", other));
  custody::test::WriteFile(dir / "case.toml", CaseFile(dir, "IR-MINE"));
  auto r = custody::test::RunCli({"collect", "--config", (dir / "case.toml").string(), "--state-dir",
                                  (dir / "state").string(), "--log-format", "json"});
  CHECK(r.code == 2);
  CHECK(r.err.find("{\"time\":") == 0);
  CHECK(r.err.find("\"event\":\"error\"") != std::string::npos);
  CHECK(r.err.find("belongs to case 'IR-OTHER', not 'IR-MINE'") != std::string::npos);
  CHECK(r.err.find("custody: ") == std::string::npos);
  CHECK(r.out.find("\"event\":\"custody.run.summary\",\"status\":\"usage\",\"exit_code\":2") != std::string::npos);
  // The state was not touched.
  auto kept = custody::preserve::LoadSeriesState(dir / "state" / "state.json");
  REQUIRE(kept);
  REQUIRE(*kept);
  CHECK((*kept)->case_id == "IR-OTHER");
  // In text mode the same error is the usual one line.
  auto text = custody::test::RunCli({"collect", "--config", (dir / "case.toml").string(), "--state-dir",
                                     (dir / "state").string()});
  CHECK(text.code == 2);
  CHECK(text.err.find("custody: the state folder") == 0);
}

TEST_CASE("collect --state-dir: the series flags are checked, and need --state-dir", "[preserve][cli]") {
  TempDir dir;
  custody::test::WriteFile(dir / "case.toml", CaseFile(dir, "IR-MINE"));
  auto bad_overlap = custody::test::RunCli({"collect", "--config", (dir / "case.toml").string(), "--state-dir",
                                            (dir / "state").string(), "--overlap", "three days"});
  CHECK(bad_overlap.code == 2);
  CHECK(bad_overlap.err.find("--overlap and --event-overlap take a duration") != std::string::npos);
  auto keep_zero = custody::test::RunCli({"collect", "--config", (dir / "case.toml").string(), "--state-dir",
                                          (dir / "state").string(), "--keep-days", "0"});
  CHECK(keep_zero.code == 2);
  CHECK(keep_zero.err.find("--keep-days must be at least 1") != std::string::npos);
  auto no_state = custody::test::RunCli({"collect", "--config", (dir / "case.toml").string(), "--keep-days", "3"});
  CHECK(no_state.code == 2);
  CHECK(no_state.err.find("need --state-dir") != std::string::npos);
  auto work_dir = custody::test::RunCli({"collect", "--config", (dir / "case.toml").string(), "--state-dir",
                                         (dir / "state").string(), "--work-dir", (dir / "w").string()});
  CHECK(work_dir.code == 2);
  CHECK(work_dir.err.find("the work folder is in the state folder") != std::string::npos);
}
