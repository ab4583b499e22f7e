#pragma once
// `custody collect salesforce`: discovers what the org has, collects the field-history, logins
// and exports streams concurrently into byte-exact captures, then derives the normalized
// records and the merged timeline from those captures. It never seals: the caller does, with the
// completeness this returns.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"
#include "connectors/common/source_report.h"
#include "connectors/salesforce/client.h"
#include "core/time.h"
#include "http/transport.h"
#include "normalize/ordered_workers.h"
#include "normalize/timeline.h"

namespace custody::connectors::salesforce {

inline constexpr const char* kStreamFieldHistory = "field-history";
inline constexpr const char* kStreamLogins = "logins";
inline constexpr const char* kStreamExports = "exports";

struct CollectOptions {
  std::string source = "salesforce";      // folder name under data/raw and data/normalized
  std::string api_version = "62.0";
  auth::SalesforceAuthConfig auth;
  http::TransportOptions transport;
  UtcSeconds since{};
  UtcSeconds until{};
  std::vector<std::string> streams = {kStreamFieldHistory, kStreamLogins, kStreamExports};
  std::filesystem::path payload_root;     // the folder that becomes data/ in the bundle
  std::filesystem::path work_dir;         // scratch (timeline runs); not sealed
  RetryPolicy retry;
  double budget_reserve = 0.10;
  int batch_size = 2000;                  // Sforce-Query-Options batchSize (200..2000)
  std::uint64_t bulk_threshold = 2000000; // switch history objects to Bulk API 2.0 above this many
                                          // rows (0 = never)
  std::uint64_t bulk_chunk_records = 50000;  // maxRecords per Bulk API results request
  // Threads per stream that map the rows of a CSV capture (event log files, Bulk API results) to
  // records; 0 maps them on the stream's normalizing thread. The records are the same bytes either
  // way.
  unsigned csv_mapping_threads = normalize::OrderedWorkers::DefaultWorkers(4);
  std::size_t csv_batch_rows = 1024;  // rows handed to a mapping thread at a time (at least 1)
  const std::atomic<bool>* cancel = nullptr;
  // Several sources in one bundle (custody collect --config): when set, timed records go to this
  // shared timeline with order keys under source_index, untimed ones to untimed_path, and the
  // caller finishes both; otherwise the collector writes data/normalized/ itself.
  normalize::TimelineWriter* shared_timeline = nullptr;
  std::uint64_t source_index = 0;
  std::filesystem::path untimed_path;
  std::int64_t clock_correction_ms = 0;   // as connectors::RecordSink::SetClockCorrection
  // Where SF_ACCESS_TOKEN and the other secrets are looked up (default: the process environment;
  // a case file maps its secret references here).
  auth::EnvLookup env;
  // A run of a nightly series (custody collect --config --state-dir): where each stream's window
  // starts (a stream not named starts at `since`), where the event log file listing starts (it
  // re-checks an overlap for late and re-delivered files), and the files already sealed in the
  // series (Id -> CreatedDate): those are listed but not downloaded again. A file with a known Id
  // and another CreatedDate is a re-delivery and is downloaded.
  std::map<std::string, UtcSeconds> stream_since;
  std::optional<UtcSeconds> log_file_since;
  std::map<std::string, std::string> known_log_files;
  // Progress and log lines; called from worker threads (the callee serializes).
  std::function<void(const std::string& stream, const std::string& what)> progress;
};

// One query, log file listing or log file download set, and what the source said about it.
struct ItemReport {
  std::string stream;
  std::string object;       // "AccountHistory", "EventLogFile:ReportExport", "LoginEvent"
  std::string method;       // "rest-queryAll", "rest-query", "bulk-2.0", "log-file"
  std::string status;       // "complete", "incomplete", "unavailable"
  std::string soql;
  std::optional<std::uint64_t> expected;  // totalSize, Sforce-NumberOfRecords sum, LogFileLength sum
  std::string expected_from;              // "totalSize", "LogFileLength", ...
  std::uint64_t received = 0;             // records or bytes
  std::string unit;                       // "records" or "bytes"
  std::uint64_t pages = 0;                // pages, chunks or files
  std::vector<std::string> gaps;          // why it is incomplete
  std::vector<std::string> notes;         // what happened that did not make it incomplete
  std::string server_answer;              // for unavailable: "INVALID_TYPE: sObject type ... is not supported"
};

using LogFileDownload = connectors::LogFileDownload;

struct StreamReport {
  std::string name;
  std::string status;       // "complete", "incomplete"
  std::vector<ItemReport> items;
  std::uint64_t records = 0;  // normalized records
};

struct CollectReport {
  std::string org_id;
  std::string user_id;
  std::string username;
  std::string instance_url;
  std::string api_version;
  std::vector<StreamReport> streams;
  std::vector<auth::GrantRecord> grants;
  ClockEvidence clock;
  SharedState::Budget budget;
  std::uint64_t requests = 0;
  std::uint64_t normalized_records = 0;
  std::uint64_t untimed_records = 0;
  std::vector<LogFileDownload> log_files;  // downloaded complete, in listing order per stream
  std::uint64_t log_files_skipped = 0;     // listed, already sealed in the series (known_log_files)
  SourceStop stop = SourceStop::kNone;
  std::string stop_detail;
  bool complete = false;
};

// Collects. An error return means nothing useful could be collected (bad options, the first
// authentication failed); everything else, including partial failure, is a report: the caller
// seals what was captured and says what is missing.
Result<CollectReport> CollectSalesforce(const CollectOptions& options, const Clock& clock, auth::Redactor& redactor);

// The report as the "collection" member of metadata/collection.json.
std::string ReportJson(const CollectReport& report, const CollectOptions& options);
// The source's own element of that member's "sources" (for collections of several sources).
std::string SalesforceSourceJson(const CollectReport& report, const CollectOptions& options);

}  // namespace custody::connectors::salesforce
