// custody collect --config case.toml --state-dir DIR: one run of a nightly preservation series.
// Each stream starts where the series' complete coverage of it ends (less an overlap), records
// sealed before are recognised rather than repeated, event log files sealed before are not
// downloaded again, late and re-delivered files are sealed as supplements that name what they
// supersede, and the bundle's statement carries the previous bundle's statement digest. The
// state folder changes only after the bundle is sealed (docs/nightly.md).

#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bundle/bag_reader.h"
#include "bundle/layout.h"
#include "bundle/statement.h"
#include "collect_common.h"
#include "crypto/digest.h"
#include "io/atomic_output.h"
#include "exit_codes.h"
#include "preserve/dedup_timeline.h"
#include "preserve/seen_set.h"
#include "preserve/series_state.h"
#include "preserve/state_lock.h"
#include "source_job.h"
#include "verify/verifier.h"

namespace custody::cli {

namespace {

namespace fs = std::filesystem;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kPending = "@pending";  // stands for the bundle being sealed

// Crash-recovery tests kill the run at a named point of its commit, as a power loss would:
// CUSTODY_TEST_CRASH_AT=after-pending (state written to pending/, bundle not yet published) or
// after-publish (bundle published, state not yet recorded). docs/cli.md, Environment.
void CrashPoint(const char* name) {
  const char* at = std::getenv("CUSTODY_TEST_CRASH_AT");
  if (at != nullptr && std::string(at) == name) ::raise(SIGKILL);
}

void Str(JsonWriter& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
void Key(JsonWriter& w, const char* k) { w.Key(k); }
void OptTime(JsonWriter& w, const std::optional<UtcSeconds>& t) {
  if (t) {
    Str(w, FormatRfc3339(*t));
  } else {
    w.Null();
  }
}

struct Paths {
  fs::path dir, state, seen, pending, runs, interrupted, out;
};

// A sealed bundle's statement: its bytes' digest and its headers.
struct StatementFacts {
  std::string sha256;
  bundle::Statement statement;
};

Result<StatementFacts> ReadStatement(const fs::path& tar) {
  class Visitor final : public bundle::BagVisitor {
   public:
    void OnProblem(bundle::EntryProblem) override {}
    bool OnFile(const std::string& path, std::uint64_t size) override {
      want_ = path == bundle::kStatement && size < (1u << 26);
      return want_;
    }
    Status OnData(std::span<const std::uint8_t> chunk) override {
      if (want_) text.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
      return Status::Ok();
    }
    void OnFileEnd() override {
      if (want_) found = true;
      want_ = false;
    }
    std::string text;
    bool found = false;

   private:
    bool want_ = false;
  } visitor;
  auto scanned = bundle::ScanTar(tar, visitor);
  if (!scanned) return scanned.error();
  if (!visitor.found) return Error(ErrorCode::kIntegrity, tar.string() + " holds no statement.txt");
  auto parsed = bundle::ParseStatement(visitor.text);
  if (!parsed) return parsed.error().Context(tar.string());
  return StatementFacts{crypto::Sha256Hex(visitor.text), std::move(*parsed)};
}

// Replaces the placeholders of the bundle being sealed with what was sealed.
void FillPending(preserve::SeriesState& s, const std::string& bundle_id, const std::string& statement_sha256,
                 const std::string& sealed_at) {
  for (auto& b : s.bundles) {
    if (b.bundle_id == kPending) b.bundle_id = bundle_id;
    if (b.statement_sha256 == kPending) b.statement_sha256 = statement_sha256;
    if (b.sealed_at == kPending) b.sealed_at = sealed_at;
  }
  for (auto& f : s.log_files) {
    if (f.bundle_id == kPending) f.bundle_id = bundle_id;
  }
}

// The commit of a run: DIR/pending holds the next state and seen set (written before sealing),
// the sealed bundle's name, and becomes the live state once the bundle is published. A run killed
// between publishing the bundle and writing the state leaves pending/ behind; the next run
// finishes that commit from the bundle itself, or discards it when no bundle was published.
Status WritePending(io::FileSystem& fsys, const Paths& paths, const preserve::SeriesState& next,
                    const preserve::SeenSet& next_seen, const std::string& bundle_file) {
  std::error_code ec;
  fs::remove_all(paths.pending, ec);
  fs::create_directories(paths.pending, ec);
  if (ec) return Error(ErrorCode::kIo, "create " + paths.pending.string() + ": " + ec.message());
  CUSTODY_RETURN_IF_ERROR(preserve::SaveSeriesState(fsys, paths.pending / "state.json", next));
  CUSTODY_RETURN_IF_ERROR(next_seen.Save(fsys, paths.pending / "seen.bin"));
  // Written last: its presence says the other two are whole.
  return io::WriteFileAtomically(fsys, paths.pending / "bundle", bundle_file + "\n", 0600, true);
}

Status CommitPending(io::FileSystem& fsys, const Paths& paths, const StatementFacts& sealed) {
  auto text = io::ReadSmallFile(fsys, paths.pending / "state.json", std::size_t{64} << 20);
  if (!text) return text.error().Context("the pending state of " + paths.pending.string());
  auto next = preserve::ParseSeriesState(*text, (paths.pending / "state.json").string());
  if (!next) return next.error();
  FillPending(*next, sealed.statement.bundle_id, sealed.sha256, sealed.statement.sealed_at);
  // The seen set first: a state without its seen set would repeat records; the reverse only
  // recognises some records early. It was written whole before the marker, so when it is gone
  // an earlier commit already moved it into place.
  std::error_code ec;
  if (fs::exists(paths.pending / "seen.bin", ec)) {
    CUSTODY_RETURN_IF_ERROR(fsys.Rename(paths.pending / "seen.bin", paths.seen, true));
    CUSTODY_RETURN_IF_ERROR(fsys.SyncDirectory(paths.dir));
  }
  CUSTODY_RETURN_IF_ERROR(preserve::SaveSeriesState(fsys, paths.state, *next));
  // The marker goes first, so a crash while pending/ is removed leaves no half commit behind.
  fs::remove(paths.pending / "bundle", ec);
  if (ec) return Error(ErrorCode::kIo, "remove " + (paths.pending / "bundle").string() + ": " + ec.message());
  CUSTODY_RETURN_IF_ERROR(fsys.SyncDirectory(paths.pending));
  fs::remove_all(paths.pending, ec);
  return Status::Ok();
}

// What an earlier run left: a pending commit, work folders of runs that were killed.
Result<std::vector<std::string>> Recover(io::FileSystem& fsys, const Paths& paths,
                                         std::vector<std::pair<std::string, std::string>>& interrupted) {
  std::vector<std::string> notes;
  std::error_code ec;
  if (fs::exists(paths.pending / "bundle", ec)) {
    auto name = io::ReadSmallFile(fsys, paths.pending / "bundle", 4096);
    if (!name) return name.error();
    std::string file = *name;
    while (!file.empty() && file.back() == '\n') file.pop_back();
    const fs::path tar = paths.out / file;
    if (fs::exists(tar, ec)) {
      auto facts = ReadStatement(tar);
      if (!facts) return facts.error().Context("finish the previous run's commit of " + tar.string());
      CUSTODY_RETURN_IF_ERROR(CommitPending(fsys, paths, *facts));
      notes.push_back("the previous run sealed " + file + " but stopped before recording it; recorded now");
    } else {
      fs::remove_all(paths.pending, ec);
      notes.push_back("the previous run stopped before publishing its bundle " + file + "; its window is collected again");
    }
  } else if (fs::exists(paths.pending, ec)) {
    fs::remove_all(paths.pending, ec);
  }
  if (fs::is_directory(paths.runs, ec)) {
    for (const auto& entry : fs::directory_iterator(paths.runs, ec)) {
      fs::create_directories(paths.interrupted, ec);
      const fs::path kept = paths.interrupted / entry.path().filename();
      fs::rename(entry.path(), kept, ec);
      if (ec) return Error(ErrorCode::kIo, "move " + entry.path().string() + " to " + kept.string() + ": " + ec.message());
      interrupted.emplace_back(entry.path().filename().string(), fs::absolute(kept).string());
      notes.push_back("run " + entry.path().filename().string() + " was interrupted before sealing; what it received is kept in " +
                      kept.string() + " and its window is collected again");
    }
  }
  return notes;
}

// The series' state after this run, from the reports and the timeline's tallies. Log files get
// the placeholder bundle id; the caller fills it once sealed.
struct RunOutcome {
  std::string incremental_json;
  preserve::SeriesState next;
  std::uint64_t new_records = 0;
  std::uint64_t already_sealed = 0;
  std::uint64_t supplements = 0;
  std::uint64_t log_files_skipped = 0;
  std::uint64_t api_calls = 0;
};

struct RunContext {
  std::string run_id;
  std::string bundle_file;
  std::string series_since;
  UtcSeconds until{};
  std::chrono::seconds overlap{};
  std::chrono::seconds event_overlap{};
  std::vector<std::string> source_names;  // config order = source index
  std::map<std::string, PreparedCollection::SourcePlan> plans;
  std::vector<std::pair<std::string, std::string>> interrupted;
};

RunOutcome BuildOutcome(const RunContext& rc, const preserve::SeriesState& prev,
                        const std::map<std::pair<std::uint64_t, std::string>, preserve::StreamTally>& tallies,
                        const std::vector<connectors::SourceReport>& reports, bool complete) {
  RunOutcome o;
  o.next = prev;
  preserve::SeriesState& next = o.next;
  if (next.series_since.empty()) next.series_since = rc.series_since;
  ++next.sequence;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Key(w, "series"); Str(w, next.case_id);
  Key(w, "run_id"); Str(w, rc.run_id);
  Key(w, "sequence"); w.Uint64(next.sequence);
  Key(w, "previous");
  if (const auto* last = prev.last()) {
    w.StartObject();
    Key(w, "bundle_id"); Str(w, last->bundle_id);
    Key(w, "statement_sha256"); Str(w, last->statement_sha256);
    Key(w, "file"); Str(w, last->file);
    Key(w, "until"); Str(w, last->until);
    w.EndObject();
  } else {
    w.Null();
  }
  Key(w, "overlap_seconds"); w.Int64(rc.overlap.count());
  Key(w, "event_overlap_seconds"); w.Int64(rc.event_overlap.count());
  Key(w, "streams");
  w.StartArray();
  for (const auto& r : reports) {
    o.api_calls += r.requests;
    o.log_files_skipped += r.log_files_skipped;
    const auto index_it = std::find(rc.source_names.begin(), rc.source_names.end(), r.name);
    const std::uint64_t index = static_cast<std::uint64_t>(index_it - rc.source_names.begin());
    const auto plan_it = rc.plans.find(r.name);
    std::vector<std::pair<std::string, std::string>> streams;  // name, status
    for (const auto& s : r.streams) streams.emplace_back(s.name, s.status);
    if (r.streams.empty()) {
      // A source that could not be collected at all: its known streams are not covered.
      for (const auto& st : prev.streams) {
        if (st.source == r.name) streams.emplace_back(st.stream, "failed");
      }
    }
    for (const auto& [name, status] : streams) {
      UtcSeconds since = plan_it != rc.plans.end() ? plan_it->second.since : *ParseRfc3339(rc.series_since);
      if (plan_it != rc.plans.end()) {
        auto ss = plan_it->second.stream_since.find(name);
        if (ss != plan_it->second.stream_since.end()) since = ss->second;
      }
      preserve::StreamTally tally;
      if (auto t = tallies.find({index, name}); t != tallies.end()) tally = t->second;
      o.new_records += tally.new_records;
      o.already_sealed += tally.already_sealed;
      preserve::StreamState* st = next.FindStream(r.name, name);
      if (st == nullptr) {
        next.streams.push_back({r.name, name, std::nullopt, "", std::nullopt, ""});
        st = &next.streams.back();
      }
      const std::optional<UtcSeconds> before = st->covered_until;
      const bool stream_complete = status == "complete";
      w.StartObject();
      Key(w, "source"); Str(w, r.name);
      Key(w, "stream"); Str(w, name);
      Key(w, "since"); Str(w, FormatRfc3339(since));
      Key(w, "until"); Str(w, FormatRfc3339(rc.until));
      Key(w, "complete"); w.Bool(stream_complete);
      Key(w, "previously_covered_until"); OptTime(w, before);
      Key(w, "new_records"); w.Uint64(tally.new_records);
      Key(w, "already_sealed"); w.Uint64(tally.already_sealed);
      Key(w, "repeated_in_run"); w.Uint64(tally.repeated_in_run);
      w.EndObject();
      // The watermark moves only over a window collected completely.
      if (stream_complete) st->covered_until = rc.until;
      st->last_status = status;
      if (tally.newest_ms && (!st->newest_ms || *tally.newest_ms >= *st->newest_ms)) {
        st->newest_ms = tally.newest_ms;
        st->newest_id = tally.newest_id;
      }
    }
  }
  w.EndArray();
  Key(w, "supplements");
  w.StartArray();
  for (const auto& r : reports) {
    for (const auto& d : r.log_files) {
      preserve::LogFileState* known = next.FindLogFile(r.name, d.id);
      std::string kind;
      std::optional<preserve::LogFileState> supersedes;
      if (known != nullptr && known->created_date != d.created_date) {
        kind = "re-delivered";
        supersedes = *known;
      } else if (known == nullptr && !d.sequence.empty() && d.sequence != "0" && d.sequence != "1") {
        kind = "late";
        // The file it adds to: the same hour's file of the sequence before it.
        const std::string before_seq = std::to_string(std::atoi(d.sequence.c_str()) - 1);
        for (const auto& f : next.log_files) {
          if (f.source == r.name && f.event_type == d.event_type && f.log_date == d.log_date && f.sequence == before_seq) {
            supersedes = f;
          }
        }
      }
      if (!kind.empty()) {
        ++o.supplements;
        w.StartObject();
        Key(w, "source"); Str(w, r.name);
        Key(w, "kind"); Str(w, kind);
        Key(w, "object"); Str(w, "EventLogFile:" + d.event_type);
        Key(w, "file_id"); Str(w, d.id);
        Key(w, "log_date"); Str(w, d.log_date);
        Key(w, "sequence"); Str(w, d.sequence);
        Key(w, "created_date"); Str(w, d.created_date);
        Key(w, "path"); Str(w, d.bag_path);
        Key(w, "sha256"); Str(w, d.sha256);
        Key(w, "supersedes");
        if (supersedes) {
          w.StartObject();
          Key(w, "bundle_id"); Str(w, supersedes->bundle_id);
          Key(w, "bundle_file"); Str(w, supersedes->bundle_file);
          Key(w, "path"); Str(w, supersedes->path);
          Key(w, "created_date"); Str(w, supersedes->created_date);
          Key(w, "sha256"); Str(w, supersedes->sha256);
          w.EndObject();
        } else {
          w.Null();
        }
        w.EndObject();
      }
      preserve::LogFileState entry{r.name,     d.id,       d.event_type, d.log_date,  d.interval, d.sequence,
                                   d.created_date, kPending, rc.bundle_file, d.bag_path, d.sha256,  d.bytes};
      if (known != nullptr) {
        *known = entry;
      } else {
        next.log_files.push_back(entry);
      }
    }
  }
  w.EndArray();
  Key(w, "interrupted_runs");
  w.StartArray();
  for (const auto& [id, kept] : rc.interrupted) {
    w.StartObject();
    Key(w, "run_id"); Str(w, id);
    Key(w, "kept_at"); Str(w, kept);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  o.incremental_json.assign(buf.GetString(), buf.GetSize());
  preserve::BundleRef ref;
  ref.file = rc.bundle_file;
  ref.bundle_id = kPending;
  ref.statement_sha256 = kPending;
  ref.sealed_at = kPending;
  ref.since = FormatRfc3339(rc.plans.empty() ? *ParseRfc3339(rc.series_since) : rc.plans.begin()->second.since);
  for (const auto& [name, plan] : rc.plans) {
    if (FormatRfc3339(plan.since) < ref.since) ref.since = FormatRfc3339(plan.since);
  }
  ref.until = FormatRfc3339(rc.until);
  ref.complete = complete;
  next.bundles.push_back(ref);
  return o;
}

// Plans each source's window from the state: a stream restarts event_overlap before its covered
// end, event log file listings `overlap` before; nothing starts before the series does.
std::map<std::string, PreparedCollection::SourcePlan> PlanSources(const preserve::SeriesState& state,
                                                                  const std::vector<std::string>& sources,
                                                                  UtcSeconds series_since,
                                                                  std::chrono::seconds overlap,
                                                                  std::chrono::seconds event_overlap) {
  std::map<std::string, PreparedCollection::SourcePlan> plans;
  for (const auto& name : sources) {
    PreparedCollection::SourcePlan plan;
    std::optional<UtcSeconds> min_since;
    std::optional<UtcSeconds> log_since;
    for (const auto& st : state.streams) {
      if (st.source != name) continue;
      UtcSeconds since = series_since;
      if (st.covered_until) since = std::max(series_since, *st.covered_until - event_overlap);
      plan.stream_since[st.stream] = since;
      min_since = min_since ? std::min(*min_since, since) : since;
      if (st.covered_until && (st.stream == "logins" || st.stream == "exports")) {
        UtcSeconds l = std::max(series_since, *st.covered_until - overlap);
        log_since = log_since ? std::min(*log_since, l) : l;
      }
    }
    plan.since = min_since.value_or(series_since);
    plan.log_file_since = log_since;
    for (const auto& f : state.log_files) {
      if (f.source == name) plan.known_log_files[f.id] = f.created_date;
    }
    plans[name] = std::move(plan);
  }
  return plans;
}

// Deletes bundles older than keep_days, oldest first, never the newest, each only once its
// successor verifies and links to it. Returns what it did, for the log.
std::vector<std::string> ApplyRetention(preserve::SeriesState& state, const Paths& paths, int keep_days,
                                        UtcSeconds now, const std::atomic<bool>* cancel) {
  std::vector<std::string> lines;
  const std::string cutoff = FormatRfc3339(now - std::chrono::days(keep_days));
  while (state.bundles.size() > 1 && state.bundles.front().sealed_at < cutoff) {
    const preserve::BundleRef& old = state.bundles.front();
    const preserve::BundleRef& successor = state.bundles[1];
    verify::VerifyOptions options;
    options.cancel = cancel;
    auto report = verify::Verify(paths.out / successor.file, options);
    auto facts = ReadStatement(paths.out / successor.file);
    if (!report || !report->ok() || !facts || facts->statement.previous_statement_sha256 != old.statement_sha256) {
      lines.push_back("retention: kept " + old.file + ": its successor " + successor.file +
                      " did not verify or does not link to it");
      break;
    }
    std::error_code ec;
    fs::remove(paths.out / old.file, ec);
    if (ec) {
      lines.push_back("retention: could not delete " + old.file + ": " + ec.message());
      break;
    }
    preserve::BundleRef retired = old;
    retired.deleted_at = FormatRfc3339(now);
    state.retired.push_back(retired);
    lines.push_back("retention: deleted " + retired.file + " (sealed " + retired.sealed_at + "); " + successor.file +
                    " verified and links to it");
    state.bundles.erase(state.bundles.begin());
  }
  return lines;
}

std::string StatusName(int exit_code) {
  switch (exit_code) {
    case kExitOk: return "complete";
    case kExitPartial: return "partial";
    case kExitAuth: return "auth-failed";
    case kExitApiBudget: return "api-budget";
    case kExitInterrupted: return "interrupted";
    case kExitLocked: return "locked";
    case kExitUsage: return "usage";
    default: return "failed";
  }
}

struct Summary {
  int exit_code = kExitFailure;
  std::string case_id;
  std::string bundle;
  std::string statement_sha256;
  std::string previous = "none";
  std::string since, until;
  RunOutcome* outcome = nullptr;
  std::vector<connectors::SourceReport>* reports = nullptr;
  std::string error;
  std::int64_t duration_ms = 0;
};

std::string SummaryLine(const Summary& s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  auto opt = [&](const char* key, const std::string& v) {
    Key(w, key);
    if (v.empty()) {
      w.Null();
    } else {
      Str(w, v);
    }
  };
  w.StartObject();
  Key(w, "event"); Str(w, "custody.run.summary");
  Key(w, "status"); Str(w, StatusName(s.exit_code));
  Key(w, "exit_code"); w.Int(s.exit_code);
  opt("case", s.case_id);
  opt("bundle", s.bundle);
  opt("statement_sha256", s.statement_sha256);
  Key(w, "previous_statement_sha256"); Str(w, s.previous);
  Key(w, "window");
  if (s.since.empty()) {
    w.Null();
  } else {
    w.StartObject();
    Key(w, "since"); Str(w, s.since);
    Key(w, "until"); Str(w, s.until);
    w.EndObject();
  }
  const RunOutcome empty;
  const RunOutcome& o = s.outcome != nullptr ? *s.outcome : empty;
  Key(w, "new_records"); w.Uint64(o.new_records);
  Key(w, "already_sealed"); w.Uint64(o.already_sealed);
  Key(w, "log_files_skipped"); w.Uint64(o.log_files_skipped);
  Key(w, "supplements"); w.Uint64(o.supplements);
  Key(w, "api_calls"); w.Uint64(o.api_calls);
  Key(w, "duration_ms"); w.Int64(s.duration_ms);
  Key(w, "sources");
  w.StartArray();
  if (s.reports != nullptr) {
    for (const auto& r : *s.reports) {
      w.StartObject();
      Key(w, "name"); Str(w, r.name);
      Key(w, "type"); Str(w, r.type);
      Key(w, "status"); Str(w, r.complete ? "complete" : connectors::SourceStopName(r.stop));
      Key(w, "records"); w.Uint64(r.normalized_records);
      Key(w, "requests"); w.Uint64(r.requests);
      w.EndObject();
    }
  }
  w.EndArray();
  opt("error", s.error);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

Status RunSeries(const std::string& config_path, CommonCollectFlags f, const SeriesFlags& series, Context& ctx) {
  const auto started = std::chrono::steady_clock::now();
  Summary summary;
  RunOutcome outcome;
  std::vector<connectors::SourceReport> final_reports;
  auto finish = [&](Status status) -> Status {
    summary.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    if (!status) {
      summary.exit_code = ToExitCode(status.error());
      summary.error = status.error().message();
    } else {
      summary.exit_code = ctx.exit_override >= 0 ? ctx.exit_override : kExitOk;
    }
    ctx.out << SummaryLine(summary) << "\n";
    if (!status && f.log_format == "json") {
      // Unattended runs read stderr as JSON lines: the error is one too (and not repeated as text).
      rapidjson::StringBuffer buf;
      JsonWriter w(buf);
      w.StartObject();
      Key(w, "time"); Str(w, FormatRfc3339(ctx.clock.Now()));
      Key(w, "event"); Str(w, "error");
      Key(w, "message"); Str(w, status.error().message());
      Key(w, "exit_code"); w.Int(summary.exit_code);
      w.EndObject();
      ctx.err << buf.GetString() << "\n";
      ctx.exit_override = summary.exit_code;
      return Status::Ok();
    }
    return status;
  };

  auto config = LoadCaseWithFlags(config_path, f, true);
  if (!config) return finish(config.error());
  summary.case_id = f.case_id;
  auto overlap = ParseDuration(series.overlap);
  auto event_overlap = ParseDuration(series.event_overlap);
  if (!overlap || !event_overlap) {
    return finish(Error(ErrorCode::kInvalidArgument, "--overlap and --event-overlap take a duration such as 72h or 30m"));
  }
  if (series.keep_days < -1 || series.keep_days == 0) {
    return finish(Error(ErrorCode::kInvalidArgument, "--keep-days must be at least 1"));
  }
  if (!f.work_dir.empty()) {
    return finish(Error(ErrorCode::kInvalidArgument, "with --state-dir the work folder is in the state folder; "
                                                     "remove work_dir / --work-dir"));
  }
  Paths paths;
  paths.dir = fs::absolute(series.state_dir);
  paths.state = paths.dir / "state.json";
  paths.seen = paths.dir / "seen.bin";
  paths.pending = paths.dir / "pending";
  paths.runs = paths.dir / "runs";
  paths.interrupted = paths.dir / "interrupted";
  paths.out = fs::absolute(f.out);
  std::error_code ec;
  fs::create_directories(paths.out, ec);
  if (ec || !fs::is_directory(paths.out)) {
    return finish(Error(ErrorCode::kInvalidArgument, "with --state-dir, out (" + f.out +
                                                         ") is the folder of the series' bundles and could not be made"));
  }
  const UtcSeconds start = ctx.clock.Now();
  const std::string run_id = FormatCompact(start) + "-" + std::to_string(::getpid());
  auto lock = preserve::StateLock::Acquire(paths.dir, "pid " + std::to_string(::getpid()) + " since " +
                                                          FormatRfc3339(start) + " (case " + f.case_id + ")");
  if (!lock) {
    if (preserve::StateLock::IsBusy(lock.error())) {
      ctx.exit_override = kExitLocked;
      if (f.log_format == "json") {
        Reporter(ctx.err, true, false).Info(lock.error().message());
      } else {
        ctx.err << "custody: " << lock.error().message() << "\n";
      }
      summary.error = lock.error().message();
      return finish(Status::Ok());
    }
    return finish(lock.error());
  }
  RunContext rc;
  rc.run_id = run_id;
  auto recovered = Recover(ctx.fs, paths, rc.interrupted);
  if (!recovered) return finish(recovered.error());

  auto loaded = preserve::LoadSeriesState(paths.state);
  if (!loaded) return finish(loaded.error());
  preserve::SeriesState state;
  if (*loaded) {
    state = std::move(**loaded);
    if (state.case_id != f.case_id) {
      return finish(Error(ErrorCode::kInvalidArgument, "the state folder " + paths.dir.string() + " belongs to case '" +
                                                           state.case_id + "', not '" + f.case_id + "'"));
    }
    rc.series_since = state.series_since;
    if (const auto* last = state.last()) summary.previous = last->statement_sha256;
  } else {
    if (f.since.empty()) {
      return finish(Error(ErrorCode::kInvalidArgument,
                          config_path + ": [case] since is not set (nor --since): the first run of a series starts there"));
    }
    auto since = ParseTimeFlag("--since", f.since, start);
    if (!since) return finish(since.error());
    state.case_id = f.case_id;
    rc.series_since = FormatRfc3339(*since);
  }
  const UtcSeconds series_since = *ParseRfc3339(rc.series_since);
  rc.until = start;
  if (!f.until.empty()) {
    auto u = ParseTimeFlag("--until", f.until, start);
    if (!u) return finish(u.error());
    rc.until = std::min(rc.until, *u);
  }
  rc.overlap = *overlap;
  rc.event_overlap = *event_overlap;
  for (const auto& s : config->sources) rc.source_names.push_back(s.name());
  rc.plans = PlanSources(state, rc.source_names, series_since, rc.overlap, rc.event_overlap);
  UtcSeconds window_since = rc.until;
  for (const auto& [name, plan] : rc.plans) window_since = std::min(window_since, plan.since);
  if (window_since >= rc.until) {
    return finish(Error(ErrorCode::kInvalidArgument, "nothing to collect: the series already covers every stream up to " +
                                                         FormatRfc3339(rc.until)));
  }
  // Named by the run's start; a run that starts within the same second as the last one gets a
  // suffix rather than a refusal.
  rc.bundle_file = bundle::TopFolderName(f.case_id, start) + ".tar";
  for (int n = 2; fs::exists(paths.out / rc.bundle_file, ec) && n < 100; ++n) {
    // ("_" sorts after ".", so a listing by name stays in sealing order.)
    rc.bundle_file = bundle::TopFolderName(f.case_id, start) + "_" + std::to_string(n) + ".tar";
  }
  f.since = FormatRfc3339(window_since);
  f.until = FormatRfc3339(rc.until);
  f.out = (paths.out / rc.bundle_file).string();
  f.work_dir = (paths.runs / run_id).string();
  fs::create_directories(paths.runs, ec);
  summary.since = f.since;
  summary.until = f.until;

  auto seen = preserve::SeenSet::Load(paths.seen);
  if (!seen) return finish(seen.error());
  auto prepared = PrepareCollection(f, ctx);
  if (!prepared) return finish(prepared.error());
  PreparedCollection& p = **prepared;
  for (const auto& n : *recovered) {
    if (f.log_format == "json") {
      p.reporter->Info(n);
    } else {
      ctx.err << "custody: " << n << "\n";
    }
  }
  auto dedup = std::make_unique<preserve::DedupTimeline>(std::move(p.timeline), *seen);
  preserve::DedupTimeline* timeline = dedup.get();
  p.timeline = std::move(dedup);
  p.plans = rc.plans;
  if (const auto* last = state.last()) {
    p.previous_statement_sha256 = last->statement_sha256;
    summary.previous = last->statement_sha256;
  }
  p.before_seal = [&](const std::vector<connectors::SourceReport>& reports,
                      const connectors::CollectionSummary& cs) -> Result<std::string> {
    final_reports = reports;
    outcome = BuildOutcome(rc, state, timeline->tallies(), reports, cs.complete);
    // Entries older than any later window can reach (less a week for late re-deliveries) go.
    // The timeline is finished: the set it read can take this run's records in place.
    preserve::SeenSet& next_seen = *seen;
    next_seen.Merge(timeline->fresh());
    std::optional<UtcSeconds> oldest;
    for (const auto& st : outcome.next.streams) {
      UtcSeconds reach = st.covered_until.value_or(series_since) - std::max(rc.overlap, rc.event_overlap);
      oldest = oldest ? std::min(*oldest, reach) : reach;
    }
    if (oldest) {
      next_seen.Prune(std::chrono::duration_cast<std::chrono::milliseconds>(
                          (*oldest - std::chrono::days(7)).time_since_epoch())
                          .count());
      // Event log files expire 30 days after they are created; older entries cannot come back.
      const std::string keep_from = FormatRfc3339(*oldest - std::chrono::days(31));
      std::erase_if(outcome.next.log_files,
                    [&](const preserve::LogFileState& lf) { return lf.log_date < keep_from; });
    }
    CUSTODY_RETURN_IF_ERROR(WritePending(ctx.fs, paths, outcome.next, next_seen, rc.bundle_file));
    CrashPoint("after-pending");
    return outcome.incremental_json;
  };
  p.after_seal = [&](const bundle::SealResult& sealed) -> Status {
    summary.bundle = f.out;
    summary.statement_sha256 = sealed.statement_sha256;
    CrashPoint("after-publish");
    StatementFacts facts;
    facts.sha256 = sealed.statement_sha256;
    facts.statement.bundle_id = sealed.bundle_id;
    facts.statement.sealed_at = sealed.sealed_at;
    return CommitPending(ctx.fs, paths, facts);
  };
  Status collected = CollectCaseSources(*config, p, f, ctx);
  summary.reports = &final_reports;
  summary.outcome = &outcome;
  if (!collected) return finish(collected);
  if (!summary.bundle.empty() && series.keep_days > 0) {
    auto reloaded = preserve::LoadSeriesState(paths.state);
    if (reloaded && *reloaded) {
      preserve::SeriesState after = std::move(**reloaded);
      auto lines = ApplyRetention(after, paths, series.keep_days, ctx.clock.Now(), ctx.cancel);
      for (const auto& l : lines) p.reporter->Info(l);
      if (!lines.empty()) {
        if (Status s = preserve::SaveSeriesState(ctx.fs, paths.state, after); !s) return finish(s);
      }
    }
  }
  return finish(Status::Ok());
}

}  // namespace custody::cli
