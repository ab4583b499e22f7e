#pragma once
// What every `custody collect <source>` subcommand shares: the window, case and signing flags,
// the work folder, progress and log output, the merged timeline, and sealing with the
// completeness each source reports. A subcommand adds its own flags, calls PrepareCollection,
// runs its connector(s) into a RecordSink on the prepared timeline, then SealCollection.

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"
#include "bundle/seal.h"
#include "connectors/common/source_report.h"
#include "context.h"
#include "crypto/keys.h"
#include "http/transport.h"
#include "normalize/timeline.h"

namespace custody::cli {

struct CommonCollectFlags {
  std::string since;
  std::string until;
  std::string case_id;
  std::string examiner;
  std::string key;
  std::string cert;
  std::string out;
  std::string work_dir;
  bool keep_work_dir = false;
  bool force = false;
  std::string ca_file;
  int max_attempts = 5;
  int retry_delay_ms = 500;
  std::string log_format = "text";
};

// --since (required) --until --case --examiner --key --cert --out (required) --force --work-dir
// --keep-work-dir --ca-file --max-attempts --retry-delay-ms --log-format.
void AddCommonCollectFlags(CLI::App* cmd, CommonCollectFlags& flags);

// "7d"/"12h"/"30m"/"90s" as a duration; nullopt when it is not one.
std::optional<std::chrono::seconds> ParseDuration(std::string_view text);

// "7d"/"12h"/"30m"/"90s" before now, or RFC 3339 with a zone; a time without a zone is refused.
Result<UtcSeconds> ParseTimeFlag(const char* flag, const std::string& text, UtcSeconds now);

// Serializes progress and log lines from worker threads: on a terminal one redrawn progress
// line; with --log-format json one JSON object per line on stderr; otherwise silent.
class Reporter {
 public:
  Reporter(std::ostream& err, bool json, bool tty);
  void Progress(const std::string& stream, const std::string& what);
  void Info(const std::string& what);
  void EndProgress();

 private:
  void Line(const char* event, const std::string& stream, const std::string& what);
  std::mutex mu_;
  std::ostream& err_;
  bool json_;
  bool tty_;
  bool dirty_ = false;
  std::vector<std::pair<std::string, std::string>> latest_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

// Everything checked and made before the first request: the window, the signing identity, the
// output (must not exist unless --force; its folder must), the work folder (must not exist) with
// payload/ (becomes data/ in the bundle) and scratch/, the timeline writer and the reporter.
struct PreparedCollection {
  UtcSeconds since{};
  UtcSeconds until{};
  std::filesystem::path work;          // <out>.work or --work-dir
  std::filesystem::path payload_root;  // work/payload
  std::filesystem::path scratch;       // work/scratch (timeline runs, untimed files)
  std::optional<crypto::SigningIdentity> identity;
  std::unique_ptr<normalize::TimelineWriter> timeline;
  std::unique_ptr<Reporter> reporter;
  http::TransportOptions transport;    // ca_file and user agent from the flags
  int max_attempts = 5;
  std::chrono::milliseconds retry_delay{500};
  auth::Redactor redactor;             // add every secret as soon as it is read

  // A run of a nightly series (collect --config --state-dir; cmd_collect_series.cpp) sets these.
  struct SourcePlan {
    UtcSeconds since{};                                  // the source's window starts here
    std::map<std::string, UtcSeconds> stream_since;      // Salesforce: per stream
    std::optional<UtcSeconds> log_file_since;            // Salesforce: the EventLogFile listing
    std::map<std::string, std::string> known_log_files;  // Salesforce: Id -> CreatedDate sealed
  };
  std::map<std::string, SourcePlan> plans;               // by source name; empty outside a series
  std::string previous_statement_sha256 = "none";
  // After the timeline is written, before sealing: the collection's "incremental" member (and the
  // series writes its pending state). Then, after sealing, with what was sealed.
  std::function<Result<std::string>(const std::vector<connectors::SourceReport>&, const connectors::CollectionSummary&)>
      before_seal;
  std::function<Status(const bundle::SealResult&)> after_seal;
};
Result<std::unique_ptr<PreparedCollection>> PrepareCollection(const CommonCollectFlags& flags, Context& ctx);

// Fills what every EHR-side connector's options take from a prepared collection (FHIR, Mirth and
// HTTP-JSON options share these member names): the window, transport, payload folder, retry
// policy, the interrupt flag, and progress lines (prefixed "<prefix>/" when a prefix is given).
template <typename Options>
void ApplyPrepared(Options& o, PreparedCollection& p, const Context& ctx, const std::string& progress_prefix = "") {
  o.since = p.since;
  o.until = p.until;
  o.transport = p.transport;
  o.payload_root = p.payload_root;
  o.policy.max_attempts = p.max_attempts;
  o.policy.base = p.retry_delay;
  o.cancel = ctx.cancel;
  Reporter* reporter = p.reporter.get();
  o.progress = [reporter, progress_prefix](const std::string& stream, const std::string& what) {
    reporter->Progress(progress_prefix.empty() ? stream : progress_prefix + "/" + stream, what);
  };
}

// In a nightly series, a source's window starts where its plan says.
template <typename Options>
void ApplyPlan(Options& o, const PreparedCollection& p, const std::string& source) {
  auto it = p.plans.find(source);
  if (it != p.plans.end()) o.since = it->second.since;
}

// One source collected and sealed on its own (`collect fhir`, `collect mirth`): `run` fills a new
// sink. When it fails (nothing collected: a wrong base URL, refused credentials) no bundle is
// sealed and the work folder goes, since discovery alone is not evidence of the window; the error
// says "collect <what> <url>: ..." with every secret redacted.
Status CollectOneSource(PreparedCollection& prepared, const CommonCollectFlags& flags, Context& ctx,
                        const std::string& what, const std::string& url,
                        const std::function<Result<connectors::SourceReport>(connectors::RecordSink&)>& run);

// A RecordSink for source number `index` (0-based, in the order the sources are collected) on
// the prepared timeline, with its untimed file in scratch/.
std::unique_ptr<connectors::RecordSink> MakeRecordSink(PreparedCollection& prepared, std::uint64_t index);

// The SealRequest members every collection shares, whatever its source: the payload folder,
// --out, --force, --case and --examiner, the signer, the seal time read now from ctx.clock, kind
// "collect", the window, the redacted command line and the tool. The caller adds its own
// collection_json (and a nightly series its previous statement).
Result<bundle::SealRequest> CollectSealRequest(const CommonCollectFlags& flags,
                                               const std::filesystem::path& payload_root,
                                               const crypto::SigningIdentity& signer, UtcSeconds since,
                                               UtcSeconds until, const Context& ctx);

// Seals request with the merged timeline as data/normalized/timeline.jsonl of the bundle, after
// timeline.Close() gave its size (bytes). Normally the seal writes it straight into the bundle
// from the sorted runs, with an empty stand-in in normalized_dir, so its gigabytes are not written
// to disk and read back once more; with keep_work_dir the file is written into the work folder
// first, so the kept folder holds every payload file. If the seal fails the timeline is written
// over its stand-in, so the work folder that is kept holds the normalized records too. kept ends
// every error message (it says where the work folder is kept): "timeline<kept>: ..." when the
// timeline could not be staged, "seal the collection<kept>: ..." when the seal failed, followed
// by a note when the timeline could not be written after it either.
Result<bundle::SealResult> SealWithTimeline(io::FileSystem& fs, normalize::TimelineWriter& timeline,
                                            std::uint64_t bytes, const std::filesystem::path& normalized_dir,
                                            bool keep_work_dir, const std::string& kept,
                                            bundle::SealRequest& request);

// The lines under a source's "collected ..." line for one of its streams: the stream's status
// and records, then the first gap of each incomplete item and every note. A template because
// Salesforce's StreamReport and the other sources' SourceStream are separate types with the
// same member names (name, status, records, items with object, status, gaps and notes).
template <typename Stream>
void PrintStreamSummary(std::ostream& out, const Stream& s) {
  out << "  " << s.name << std::string(s.name.size() < 14 ? 14 - s.name.size() : 1, ' ') << s.status << ", "
      << s.records << " records\n";
  for (const auto& i : s.items) {
    if (i.status == "incomplete") {
      out << "    INCOMPLETE " << i.object << ": " << (i.gaps.empty() ? "" : i.gaps.front()) << "\n";
    }
    for (const auto& n : i.notes) out << "    note " << i.object << ": " << n << "\n";
  }
}

// The lines that end every collection's summary: the window, the bundle (marked INCOMPLETE with
// the stop reason), its id and statement hash, why it stopped (when it says), and how to verify it.
void PrintSealedBundle(std::ostream& out, const CommonCollectFlags& flags, const bundle::SealRequest& request,
                       const bundle::SealResult& sealed, bool complete, const std::string& stop_reason,
                       const std::string& stop_detail);

// Writes data/normalized/timeline.jsonl and untimed.jsonl (the sinks' untimed files, in order),
// seals payload/ as a bundle whose collection.json holds every source's report, prints the
// summary to ctx.out and sets ctx.exit_override from the completeness (0 complete, 4 partial,
// 5 auth, 6 API budget, 130 interrupted). On a sealing failure the work folder is kept and the
// error says where.
// clock_probes_json: for several sources, the clock probes (connectors::ClockProbesJson).
Status SealCollection(PreparedCollection& prepared, const CommonCollectFlags& flags,
                      std::vector<std::unique_ptr<connectors::RecordSink>>& sinks,
                      const std::vector<connectors::SourceReport>& reports, Context& ctx,
                      const std::string& clock_probes_json = "");

}  // namespace custody::cli
