// custody collect salesforce: collect, normalize and seal in one command.

#include <unistd.h>

#include "bundle/seal.h"
#include "collect_common.h"
#include "commands.h"
#include "connectors/salesforce/collector.h"
#include "exit_codes.h"
#include "signing.h"
#include "tool_info.h"

namespace custody::cli {

namespace {

// The flags every collect subcommand has (CommonCollectFlags), so the seal request and the
// summary's last lines are made as for the other sources (CollectSealRequest, PrintSealedBundle),
// plus Salesforce's own. All are added one by one in AddCollectCommand rather than with
// AddCommonCollectFlags, which keeps this subcommand's --help in its own order.
struct CollectFlags : CommonCollectFlags {
  std::string instance_url;
  std::string auth = "token";
  std::string login_url;
  std::string client_id;
  std::string username;
  std::string jwt_key;
  std::string streams = "field-history,logins,exports";
  std::string api_version = "62.0";
  int budget_reserve = 10;
  int batch_size = 2000;
  std::uint64_t bulk_threshold = 2000000;
};

// True when a stream captured anything (discovery alone, who we are and what the org has, is not
// evidence worth keeping a work folder for).
bool HoldsCaptures(const std::filesystem::path& raw) {
  std::error_code ec;
  for (const auto& source : std::filesystem::directory_iterator(raw, ec)) {
    for (const auto& stream : std::filesystem::directory_iterator(source.path(), ec)) {
      if (stream.path().filename() != "discovery") return true;
    }
  }
  return false;
}

int ExitFor(const connectors::salesforce::CollectReport& r) {
  using connectors::SourceStop;
  if (r.complete) return kExitOk;
  switch (r.stop) {
    case SourceStop::kInterrupted: return kExitInterrupted;
    case SourceStop::kAuth: return kExitAuth;
    case SourceStop::kApiBudget: return kExitApiBudget;
    default: return kExitPartial;
  }
}

Status RunCollectSalesforce(const CollectFlags& f, Context& ctx) {
  namespace sf = connectors::salesforce;
  if (f.log_format != "text" && f.log_format != "json") {
    return Error(ErrorCode::kInvalidArgument, "--log-format must be text or json");
  }
  UtcSeconds now = ctx.clock.Now();
  auto since = ParseTimeFlag("--since", f.since, now);
  if (!since) return since.error();
  UtcSeconds until = now;
  if (!f.until.empty()) {
    auto u = ParseTimeFlag("--until", f.until, now);
    if (!u) return u.error();
    until = *u;
  }
  if (*since >= until) {
    return Error(ErrorCode::kInvalidArgument, "--since " + FormatRfc3339(*since) + " is not before --until " +
                                                  FormatRfc3339(until));
  }
  sf::CollectOptions o;
  o.since = *since;
  o.until = until;
  o.api_version = f.api_version;
  o.streams.clear();
  {
    std::string rest = f.streams;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string s = rest.substr(0, comma);
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
      if (s != sf::kStreamFieldHistory && s != sf::kStreamLogins && s != sf::kStreamExports) {
        return Error(ErrorCode::kInvalidArgument,
                     "--streams: unknown stream '" + s + "' (known: field-history, logins, exports)");
      }
      if (std::find(o.streams.begin(), o.streams.end(), s) == o.streams.end()) o.streams.push_back(s);
    }
    if (o.streams.empty()) return Error(ErrorCode::kInvalidArgument, "--streams names no stream");
  }
  auto mode = auth::ParseSalesforceAuthMode(f.auth);
  if (!mode) return mode.error();
  o.auth.mode = *mode;
  auto trim = [](std::string u) {
    while (!u.empty() && u.back() == '/') u.pop_back();
    return u;
  };
  o.auth.instance_url = trim(f.instance_url);
  o.auth.login_url = trim(f.login_url);
  o.auth.client_id = f.client_id;
  o.auth.username = f.username;
  o.auth.jwt_key_file = f.jwt_key;
  o.transport.ca_file = f.ca_file;
  o.transport.user_agent = "custody/" + CurrentToolInfo().version;
  if (f.budget_reserve < 0 || f.budget_reserve > 100) {
    return Error(ErrorCode::kInvalidArgument, "--api-budget-reserve must be a percentage from 0 to 100");
  }
  o.budget_reserve = f.budget_reserve / 100.0;
  if (f.batch_size < 200 || f.batch_size > 2000) {
    return Error(ErrorCode::kInvalidArgument, "--batch-size must be from 200 to 2000 (Salesforce's range)");
  }
  o.batch_size = f.batch_size;
  if (f.max_attempts < 1 || f.retry_delay_ms < 0) {
    return Error(ErrorCode::kInvalidArgument, "--max-attempts must be at least 1 and --retry-delay-ms not negative");
  }
  o.retry.max_attempts = f.max_attempts;
  o.retry.base = std::chrono::milliseconds(f.retry_delay_ms);
  o.bulk_threshold = f.bulk_threshold;
  o.cancel = ctx.cancel;
  if (Status s = http::CheckUrlPolicy(o.auth.instance_url); !s) return s.error().Context("--instance-url");
  if (!o.auth.login_url.empty()) {
    if (Status s = http::CheckUrlPolicy(o.auth.login_url); !s) return s.error().Context("--login-url");
  }

  // Everything that could make sealing fail is checked before the first request.
  auto identity = LoadSigningIdentity(ctx.fs, f.key, f.cert);
  if (!identity) return identity.error();
  std::error_code ec;
  if (!f.force && std::filesystem::exists(f.out, ec)) {
    return Error(ErrorCode::kInvalidArgument, "the output " + f.out + " exists; pass --force to replace it");
  }
  // Checked before the first request, not discovered at sealing time: and the default work folder
  // beside the bundle must not create folders the user did not ask for.
  const std::filesystem::path out_dir = std::filesystem::absolute(f.out, ec).parent_path();
  if (!std::filesystem::is_directory(out_dir, ec)) {
    return Error(ErrorCode::kInvalidArgument, "the folder of --out " + f.out + " does not exist");
  }
  std::filesystem::path work = f.work_dir.empty() ? std::filesystem::path(f.out + ".work") : std::filesystem::path(f.work_dir);
  if (std::filesystem::exists(work, ec)) {
    return Error(ErrorCode::kInvalidArgument,
                 "the work folder " + work.string() +
                     " exists (a previous collection's captures?); move it away or pass another --work-dir");
  }
  o.payload_root = work / "payload";
  o.work_dir = work / "scratch";
  std::filesystem::create_directories(o.payload_root, ec);
  if (!ec) std::filesystem::create_directories(o.work_dir, ec);
  if (ec) return Error(ErrorCode::kIo, "create the work folder " + work.string() + ": " + ec.message());

  // The collector writes the records into this timeline and the untimed ones straight into the
  // payload; the timeline itself is written by the seal (SealWithTimeline).
  const std::filesystem::path normalized_dir = o.payload_root / "normalized";
  std::filesystem::create_directories(normalized_dir, ec);
  if (ec) return Error(ErrorCode::kIo, "create the work folder " + work.string() + ": " + ec.message());
  // 32 MiB of lines in memory at most; the rest in sorted runs on disk.
  auto timeline = normalize::TimelineWriter::Create(o.work_dir / "timeline-runs", 32u << 20);
  if (!timeline) return timeline.error();
  o.shared_timeline = timeline->get();
  o.source_index = 0;
  o.untimed_path = normalized_dir / "untimed.jsonl";

  Reporter reporter(ctx.err, f.log_format == "json", ::isatty(STDERR_FILENO) == 1);
  o.progress = [&reporter](const std::string& stream, const std::string& what) { reporter.Progress(stream, what); };
  reporter.Info("collecting " + o.auth.instance_url + " from " + FormatRfc3339(o.since) + " to " +
                FormatRfc3339(o.until) + " into " + work.string());
  auth::Redactor redactor;
  auto report = sf::CollectSalesforce(o, ctx.clock, redactor);
  reporter.EndProgress();
  if (!report) {
    Error e = report.error();
    std::string message = "collect salesforce " + o.auth.instance_url + ": " + e.message();
    if (HoldsCaptures(o.payload_root / "raw")) {
      // It failed after collecting (a full disk while normalizing): every byte received stays.
      message += " (nothing was sealed; the captures are kept in " + work.string() + ")";
    } else {
      // Nothing but discovery was asked: no bundle, and no work folder left behind.
      std::filesystem::remove_all(work, ec);
    }
    return Error(e.code(), redactor.Apply(message));
  }

  auto request = CollectSealRequest(f, o.payload_root, *identity, o.since, o.until, ctx);
  if (!request) return request.error();
  request->collection_json = sf::ReportJson(*report, o);
  const std::string kept = " (the captures are kept in " + work.string() + ")";
  auto timeline_bytes = (*timeline)->Close();
  if (!timeline_bytes) return timeline_bytes.error().Context("timeline" + kept);
  auto sealed = SealWithTimeline(ctx.fs, **timeline, *timeline_bytes, normalized_dir, f.keep_work_dir, kept, *request);
  if (!sealed) return sealed.error();
  if (!f.keep_work_dir) std::filesystem::remove_all(work, ec);

  std::uint64_t unavailable = 0;
  for (const auto& s : report->streams) {
    for (const auto& i : s.items) unavailable += i.status == "unavailable" ? 1 : 0;
  }
  ctx.out << "collected    " << report->normalized_records << " records from " << o.auth.instance_url << " in "
          << report->requests << " requests\n";
  for (const auto& s : report->streams) PrintStreamSummary(ctx.out, s);
  if (unavailable > 0) ctx.out << "unavailable  " << unavailable << " objects or logs (not licensed; see the bundle)\n";
  PrintSealedBundle(ctx.out, f, *request, *sealed, report->complete, connectors::SourceStopName(report->stop),
                    report->stop_detail);
  ctx.exit_override = ExitFor(*report);
  return Status::Ok();
}

}  // namespace

void AddCollectCommand(CLI::App& app, Context& ctx) {
  CLI::App* collect = app.add_subcommand("collect", "Collect logs from a source into a sealed evidence bundle");
  // A source subcommand, or --config with a case file naming several sources.
  collect->require_subcommand(0, 1);
  auto f = std::make_shared<CollectFlags>();
  CLI::App* cmd = collect->add_subcommand(
      "salesforce", "Field history, login and export logs of a Salesforce org, sealed with their completeness");
  cmd->add_option("--instance-url", f->instance_url, "The org's My Domain URL (https://...my.salesforce.com)")
      ->required();
  cmd->add_option("--auth", f->auth, "token (SF_ACCESS_TOKEN), jwt, client-credentials (SF_CLIENT_SECRET) or "
                                     "refresh-token (SF_REFRESH_TOKEN)")
      ->required();
  cmd->add_option("--login-url", f->login_url, "Token endpoint host for jwt and refresh-token "
                                               "(default https://login.salesforce.com)");
  cmd->add_option("--client-id", f->client_id, "Connected app consumer key");
  cmd->add_option("--username", f->username, "User the JWT is issued for (--auth jwt)");
  cmd->add_option("--jwt-key", f->jwt_key, "RSA private key (PEM) of the connected app's certificate (--auth jwt)");
  cmd->add_option("--ca-file", f->ca_file, "CA certificates (PEM) to trust instead of the system's");
  cmd->add_option("--since", f->since, "Start of the window: RFC 3339 with Z or an offset, or 7d/12h/30m ago")
      ->required();
  cmd->add_option("--until", f->until, "End of the window (exclusive; default now)");
  cmd->add_option("--streams", f->streams, "Comma-separated: field-history,logins,exports (default all)");
  cmd->add_option("--case", f->case_id, "Case identifier")->required();
  cmd->add_option("--examiner", f->examiner, "Name of the examiner collecting")->required();
  cmd->add_option("--key", f->key, "Signing key (PEM; CUSTODY_KEY_PASSPHRASE if encrypted)")->required();
  cmd->add_option("--cert", f->cert, "Signer's certificate (PEM)")->required();
  cmd->add_option("--out", f->out, "Bundle to write (.tar)")->required();
  cmd->add_flag("--force", f->force, "Replace an existing bundle at --out");
  cmd->add_option("--work-dir", f->work_dir, "Where captures are kept until sealed (default <out>.work)");
  cmd->add_flag("--keep-work-dir", f->keep_work_dir, "Keep the work folder after sealing");
  cmd->add_option("--api-version", f->api_version, "REST API version (default 62.0)");
  cmd->add_option("--api-budget-reserve", f->budget_reserve,
                  "Stop when less than this percentage of the daily API requests is left (default 10)");
  cmd->add_option("--batch-size", f->batch_size, "Query page size asked for, 200..2000 (default 2000)");
  cmd->add_option("--bulk-threshold", f->bulk_threshold,
                  "History objects with more rows than this are read with Bulk API 2.0 (default 2000000; 0 = never)");
  cmd->add_option("--max-attempts", f->max_attempts, "Attempts per request before giving up (default 5)");
  cmd->add_option("--retry-delay-ms", f->retry_delay_ms, "First retry delay; doubles per attempt, with jitter "
                                                         "(default 500)");
  cmd->add_option("--log-format", f->log_format, "text (progress on a terminal) or json (one JSON object a line on "
                                                 "stderr)");
  cmd->footer(
      "Secrets never go on the command line: SF_ACCESS_TOKEN, SF_CLIENT_SECRET, SF_REFRESH_TOKEN,\n"
      "SF_JWT_KEY_PASSPHRASE and CUSTODY_KEY_PASSPHRASE come from the environment, the JWT key from a file.");
  cmd->callback([f, &ctx] { ctx.status = RunCollectSalesforce(*f, ctx); });
  AddCollectFhirCommand(collect, ctx);
  AddCollectMirthCommand(collect, ctx);
  AddCollectConfig(collect, ctx);
}

}  // namespace custody::cli
