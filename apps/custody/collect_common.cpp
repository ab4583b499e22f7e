#include "collect_common.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fstream>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bundle/seal.h"
#include "exit_codes.h"
#include "signing.h"
#include "tool_info.h"

namespace custody::cli {

namespace {

// "7d", "12h", "30m", "90s": that long before now.
std::optional<std::chrono::seconds> ParseRelative(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  std::int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || n > 1000000) return std::nullopt;
    n = n * 10 + (text[i] - '0');
  }
  switch (text.back()) {
    case 'd': return std::chrono::seconds(n * 86400);
    case 'h': return std::chrono::seconds(n * 3600);
    case 'm': return std::chrono::seconds(n * 60);
    case 's': return std::chrono::seconds(n);
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<std::chrono::seconds> ParseDuration(std::string_view text) { return ParseRelative(text); }

namespace {

// How serious a stop reason is, to pick the one a multi-source collection reports.
int Severity(const std::string& stop) {
  if (stop == "interrupted") return 4;
  if (stop == "auth") return 3;
  if (stop == "api-budget") return 2;
  if (stop == "failed") return 1;
  return 0;
}

int ExitForStop(const std::string& stop, bool complete) {
  if (complete) return kExitOk;
  if (stop == "interrupted") return kExitInterrupted;
  if (stop == "auth") return kExitAuth;
  if (stop == "api-budget") return kExitApiBudget;
  return kExitPartial;
}

}  // namespace

void AddCommonCollectFlags(CLI::App* cmd, CommonCollectFlags& f) {
  cmd->add_option("--since", f.since, "Start of the window: RFC 3339 with Z or an offset, or 7d/12h/30m ago")
      ->required();
  cmd->add_option("--until", f.until, "End of the window (exclusive; default now)");
  cmd->add_option("--case", f.case_id, "Case identifier")->required();
  cmd->add_option("--examiner", f.examiner, "Name of the examiner collecting")->required();
  cmd->add_option("--key", f.key, "Signing key (PEM; CUSTODY_KEY_PASSPHRASE if encrypted)")->required();
  cmd->add_option("--cert", f.cert, "Signer's certificate (PEM)")->required();
  cmd->add_option("--out", f.out, "Bundle to write (.tar)")->required();
  cmd->add_flag("--force", f.force, "Replace an existing bundle at --out");
  cmd->add_option("--work-dir", f.work_dir, "Where captures are kept until sealed (default <out>.work)");
  cmd->add_flag("--keep-work-dir", f.keep_work_dir, "Keep the work folder after sealing");
  cmd->add_option("--ca-file", f.ca_file, "CA certificates (PEM) to trust instead of the system's");
  cmd->add_option("--max-attempts", f.max_attempts, "Attempts per request before giving up (default 5)");
  cmd->add_option("--retry-delay-ms", f.retry_delay_ms,
                  "First retry delay; doubles per attempt, with jitter (default 500)");
  cmd->add_option("--log-format", f.log_format,
                  "text (progress on a terminal) or json (one JSON object a line on stderr)");
}

Result<UtcSeconds> ParseTimeFlag(const char* flag, const std::string& text, UtcSeconds now) {
  if (auto rel = ParseRelative(text)) return now - *rel;
  auto t = ParseRfc3339(text);
  if (!t) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string(flag) + " '" + text +
                     "' is neither RFC 3339 with a zone (2026-04-01T00:00:00Z, 2026-04-01T02:00:00+02:00) nor a "
                     "relative time (7d, 12h, 30m); a time without a zone is refused, never read as local time");
  }
  return *t;
}

Reporter::Reporter(std::ostream& err, bool json, bool tty) : err_(err), json_(json), tty_(tty) {}

void Reporter::Progress(const std::string& stream, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (json_) {
    Line("progress", stream, what);
    return;
  }
  if (!tty_) return;
  auto it = std::find_if(latest_.begin(), latest_.end(), [&](const auto& p) { return p.first == stream; });
  if (it == latest_.end()) {
    latest_.emplace_back(stream, what);
  } else {
    it->second = what;
  }
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string line = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - start_).count()) + "s";
  for (const auto& [name, step] : latest_) line += "  [" + name + "] " + step;
  size_t width = 100;
  struct winsize ws {};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10) width = ws.ws_col - 1;
  if (line.size() > width) line.resize(width);
  err_ << "\r\033[K" << line << std::flush;
  dirty_ = true;
}

void Reporter::Info(const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (json_) {
    Line("info", "", what);
    return;
  }
  if (dirty_) err_ << "\r\033[K";
  dirty_ = false;
  if (tty_) err_ << what << "\n";
}

void Reporter::EndProgress() {
  std::lock_guard<std::mutex> lock(mu_);
  if (dirty_) err_ << "\r\033[K" << std::flush;
  dirty_ = false;
}

void Reporter::Line(const char* event, const std::string& stream, const std::string& what) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("time");
  w.String(FormatRfc3339(SystemClock().Now()).c_str());
  w.Key("event");
  w.String(event);
  if (!stream.empty()) {
    w.Key("stream");
    w.String(stream.c_str());
  }
  w.Key("message");
  w.String(what.c_str());
  w.EndObject();
  err_ << b.GetString() << "\n" << std::flush;
}

Result<std::unique_ptr<PreparedCollection>> PrepareCollection(const CommonCollectFlags& f, Context& ctx) {
  auto p = std::make_unique<PreparedCollection>();
  if (f.log_format != "text" && f.log_format != "json") {
    return Error(ErrorCode::kInvalidArgument, "--log-format must be text or json");
  }
  const UtcSeconds now = ctx.clock.Now();
  auto since = ParseTimeFlag("--since", f.since, now);
  if (!since) return since.error();
  p->since = *since;
  p->until = now;
  if (!f.until.empty()) {
    auto u = ParseTimeFlag("--until", f.until, now);
    if (!u) return u.error();
    p->until = *u;
  }
  if (p->since >= p->until) {
    return Error(ErrorCode::kInvalidArgument,
                 "--since " + FormatRfc3339(p->since) + " is not before --until " + FormatRfc3339(p->until));
  }
  if (f.max_attempts < 1 || f.retry_delay_ms < 0) {
    return Error(ErrorCode::kInvalidArgument, "--max-attempts must be at least 1 and --retry-delay-ms not negative");
  }
  p->max_attempts = f.max_attempts;
  p->retry_delay = std::chrono::milliseconds(f.retry_delay_ms);
  p->transport.ca_file = f.ca_file;
  p->transport.user_agent = "custody/" + CurrentToolInfo().version;

  // Everything that could make sealing fail is checked before the first request.
  auto identity = LoadSigningIdentity(ctx.fs, f.key, f.cert);
  if (!identity) return identity.error();
  p->identity.emplace(std::move(*identity));
  std::error_code ec;
  if (!f.force && std::filesystem::exists(f.out, ec)) {
    return Error(ErrorCode::kInvalidArgument, "the output " + f.out + " exists; pass --force to replace it");
  }
  const std::filesystem::path out_dir = std::filesystem::absolute(f.out, ec).parent_path();
  if (!std::filesystem::is_directory(out_dir, ec)) {
    return Error(ErrorCode::kInvalidArgument, "the folder of --out " + f.out + " does not exist");
  }
  p->work = f.work_dir.empty() ? std::filesystem::path(f.out + ".work") : std::filesystem::path(f.work_dir);
  if (std::filesystem::exists(p->work, ec)) {
    return Error(ErrorCode::kInvalidArgument,
                 "the work folder " + p->work.string() +
                     " exists (a previous collection's captures?); move it away or pass another --work-dir");
  }
  p->payload_root = p->work / "payload";
  p->scratch = p->work / "scratch";
  std::filesystem::create_directories(p->payload_root, ec);
  if (!ec) std::filesystem::create_directories(p->scratch, ec);
  if (ec) return Error(ErrorCode::kIo, "create the work folder " + p->work.string() + ": " + ec.message());
  // 32 MiB of lines in memory at most; the rest in sorted runs on disk.
  auto timeline = normalize::TimelineWriter::Create(p->scratch / "timeline-runs", 32u << 20);
  if (!timeline) return timeline.error();
  p->timeline = std::move(*timeline);
  p->reporter = std::make_unique<Reporter>(ctx.err, f.log_format == "json", ::isatty(STDERR_FILENO) == 1);
  return p;
}

Status CollectOneSource(PreparedCollection& p, const CommonCollectFlags& flags, Context& ctx, const std::string& what,
                        const std::string& url,
                        const std::function<Result<connectors::SourceReport>(connectors::RecordSink&)>& run) {
  std::vector<std::unique_ptr<connectors::RecordSink>> sinks;
  sinks.push_back(MakeRecordSink(p, 0));
  if (Status s = sinks.back()->Open(); !s) return s;
  auto report = run(*sinks.back());
  p.reporter->EndProgress();
  if (!report) {
    (void)sinks.back()->Close();
    std::error_code ec;
    std::filesystem::remove_all(p.work, ec);
    const Error& e = report.error();
    return Error(e.code(), p.redactor.Apply("collect " + what + " " + url + ": " + e.message()));
  }
  std::vector<connectors::SourceReport> reports = {std::move(*report)};
  return SealCollection(p, flags, sinks, reports, ctx);
}

std::unique_ptr<connectors::RecordSink> MakeRecordSink(PreparedCollection& p, std::uint64_t index) {
  return std::make_unique<connectors::RecordSink>(*p.timeline, index,
                                                  p.scratch / ("untimed-" + std::to_string(index) + ".jsonl"));
}

namespace {

Status WriteTimelineFile(normalize::TimelineWriter& timeline, const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error(ErrorCode::kIo, "create " + path.string());
  Status written = timeline.WriteTo([&](std::string_view bytes) -> Status {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Error(ErrorCode::kIo, "write " + path.string());
    return Status::Ok();
  });
  if (!written) return written;
  out.close();
  if (!out) return Error(ErrorCode::kIo, "write " + path.string());
  return Status::Ok();
}

// Puts the closed timeline (bytes long) into request as normalized/timeline.jsonl: as a file
// the seal generates from the sorted runs, behind an empty stand-in in normalized_dir, or, with
// keep_work_dir, as the file itself written into the work folder.
Status StageTimeline(normalize::TimelineWriter& timeline, std::uint64_t bytes,
                     const std::filesystem::path& normalized_dir, bool keep_work_dir, bundle::SealRequest& request) {
  const std::filesystem::path path = normalized_dir / "timeline.jsonl";
  if (keep_work_dir) return WriteTimelineFile(timeline, path);
  {
    std::ofstream stand_in(path, std::ios::binary | std::ios::trunc);
    stand_in.close();
    if (!stand_in) return Error(ErrorCode::kIo, "create " + path.string());
  }
  bundle::SealRequest::GeneratedFile file;
  file.size = bytes;
  file.write = [&timeline](const std::function<Status(std::span<const std::uint8_t>)>& chunk) {
    return timeline.WriteTo([&chunk](std::string_view b) {
      return chunk({reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
    });
  };
  request.generated["normalized/timeline.jsonl"] = std::move(file);
  return Status::Ok();
}

// After a failed seal: writes the staged timeline over its stand-in, so the work folder that is
// kept holds the normalized records too. A failure to do so removes the file's partial bytes and
// says so in the returned text (empty when it worked).
std::string KeepStagedTimeline(normalize::TimelineWriter& timeline, const std::filesystem::path& normalized_dir) {
  const std::filesystem::path path = normalized_dir / "timeline.jsonl";
  Status written = WriteTimelineFile(timeline, path);
  if (written) return "";
  std::error_code ec;
  std::filesystem::resize_file(path, 0, ec);
  return "; " + path.string() + " could not be written (" + written.error().message() +
         "): the normalized records can be made again from the captures";
}

}  // namespace

Result<bundle::SealRequest> CollectSealRequest(const CommonCollectFlags& f,
                                               const std::filesystem::path& payload_root,
                                               const crypto::SigningIdentity& signer, UtcSeconds since,
                                               UtcSeconds until, const Context& ctx) {
  auto sealed_at = SealTime(ctx.clock);
  if (!sealed_at) return sealed_at.error();
  bundle::SealRequest request;
  request.source_dir = payload_root;
  request.out = f.out;
  request.overwrite = f.force;
  request.case_id = f.case_id;
  request.examiner = f.examiner;
  request.signer = &signer;
  request.sealed_at = *sealed_at;
  request.kind = "collect";
  request.time_window = FormatRfc3339(since) + "/" + FormatRfc3339(until);
  request.command_line = RedactCommandLine(ctx.argv);
  request.tool = CurrentToolInfo();
  // Not ctx.cancel: after Ctrl-C what was received is still sealed, as incomplete.
  request.cancel = nullptr;
  return request;
}

Result<bundle::SealResult> SealWithTimeline(io::FileSystem& fs, normalize::TimelineWriter& timeline,
                                            std::uint64_t bytes, const std::filesystem::path& normalized_dir,
                                            bool keep_work_dir, const std::string& kept,
                                            bundle::SealRequest& request) {
  if (Status s = StageTimeline(timeline, bytes, normalized_dir, keep_work_dir, request); !s) {
    return s.error().Context("timeline" + kept);
  }
  auto sealed = bundle::Seal(fs, request);
  if (!sealed) {
    // Only a timeline the seal was to generate is missing from the work folder; with
    // keep_work_dir it was written there already.
    const std::string also = request.generated.empty() ? "" : KeepStagedTimeline(timeline, normalized_dir);
    Error e = sealed.error();
    e.Context("seal the collection" + kept);
    return Error(e.code(), e.message() + also);
  }
  return sealed;
}

void PrintSealedBundle(std::ostream& out, const CommonCollectFlags& f, const bundle::SealRequest& request,
                       const bundle::SealResult& sealed, bool complete, const std::string& stop_reason,
                       const std::string& stop_detail) {
  out << "window       " << request.time_window << "\n"
      << "bundle       " << f.out << (complete ? "" : " (INCOMPLETE: " + stop_reason + ")") << "\n"
      << "bundle id    " << sealed.bundle_id << "\n"
      << "statement    sha256 " << sealed.statement_sha256 << "\n";
  if (!stop_detail.empty()) out << "stopped      " << stop_detail << "\n";
  out << "next         custody verify " << f.out << " --trusted-cert " << f.cert << "\n";
}

Status SealCollection(PreparedCollection& p, const CommonCollectFlags& f,
                      std::vector<std::unique_ptr<connectors::RecordSink>>& sinks,
                      const std::vector<connectors::SourceReport>& reports, Context& ctx,
                      const std::string& clock_probes_json) {
  p.reporter->EndProgress();
  const std::string kept = " (the captures are kept in " + p.work.string() + ")";
  const std::filesystem::path normalized = p.payload_root / "normalized";
  std::error_code ec;
  std::filesystem::create_directories(normalized, ec);
  if (ec) return Error(ErrorCode::kIo, "create " + normalized.string() + ": " + ec.message() + kept);
  {
    std::ofstream out(normalized / "untimed.jsonl", std::ios::binary);
    if (!out) return Error(ErrorCode::kIo, "create " + (normalized / "untimed.jsonl").string() + kept);
    for (auto& sink : sinks) {
      if (Status s = sink->Close(); !s) return s.error().Context("normalize" + kept);
      std::ifstream in(sink->untimed_path(), std::ios::binary);
      // (Inserting an empty streambuf would set failbit on out.)
      if (in && in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
    }
    out.close();
    if (!out) return Error(ErrorCode::kIo, "write " + (normalized / "untimed.jsonl").string() + kept);
  }
  auto timeline_bytes = p.timeline->Close();
  if (!timeline_bytes) return timeline_bytes.error().Context("timeline" + kept);

  connectors::CollectionSummary summary;
  summary.since = p.since;
  summary.until = p.until;
  summary.complete = !reports.empty();
  summary.clock_probes_json = clock_probes_json;
  for (const auto& r : reports) {
    summary.source_jsons.push_back(connectors::SourceJson(r));
    summary.normalized_records += r.normalized_records;
    summary.untimed_records += r.untimed_records;
    if (!r.complete) summary.complete = false;
    const std::string stop = connectors::SourceStopName(r.stop);
    if (Severity(stop) > Severity(summary.stop_reason)) {
      summary.stop_reason = stop;
      summary.stop_detail = r.name + ": " + r.stop_detail;
    }
  }
  if (ctx.cancel != nullptr && ctx.cancel->load()) {
    summary.complete = false;
    summary.stop_reason = "interrupted";
    summary.stop_detail = "interrupted by a signal";
  }
  if (!summary.complete && summary.stop_reason == "none") summary.stop_reason = "failed";

  if (p.before_seal) {
    auto incremental = p.before_seal(reports, summary);
    if (!incremental) return incremental.error().Context("record the series state" + kept);
    summary.incremental_json = std::move(*incremental);
  }
  auto request = CollectSealRequest(f, p.payload_root, *p.identity, p.since, p.until, ctx);
  if (!request) return request.error();
  request->previous_statement_sha256 = p.previous_statement_sha256;
  request->collection_json = connectors::CollectionJson(summary);
  auto sealed = SealWithTimeline(ctx.fs, *p.timeline, *timeline_bytes, normalized, f.keep_work_dir, kept, *request);
  if (!sealed) return sealed.error();
  if (p.after_seal) {
    if (Status s = p.after_seal(*sealed); !s) return s.error().Context("record the sealed bundle in the series state");
  }
  if (!f.keep_work_dir) std::filesystem::remove_all(p.work, ec);

  for (const auto& r : reports) {
    ctx.out << "collected    " << r.normalized_records << " records from " << r.name << " (" << r.type << " "
            << r.base_url << ") in " << r.requests << " requests\n";
    for (const auto& s : r.streams) PrintStreamSummary(ctx.out, s);
  }
  PrintSealedBundle(ctx.out, f, *request, *sealed, summary.complete, summary.stop_reason, summary.stop_detail);
  ctx.exit_override = ExitForStop(summary.stop_reason, summary.complete);
  return Status::Ok();
}

}  // namespace custody::cli
