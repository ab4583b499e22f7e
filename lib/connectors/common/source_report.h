#pragma once
// What one source's collection got, in the shape of an element of collection.json's "sources"
// (schemas/collection.schema.json), and where its normalized records go. Shared by the FHIR,
// Mirth and generic HTTP-JSON connectors and by `custody collect --config`, which puts several
// sources into one bundle with one merged timeline.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"
#include "connectors/common/session.h"
#include "core/time.h"
#include "normalize/record.h"
#include "normalize/timeline.h"

namespace custody::connectors {

// One search, listing or download set, and what the source said about it.
struct SourceItem {
  std::string object;       // "AuditEvent", "ServerEvent", "messages:<channel id>"
  std::string method;       // "fhir-search", "fhir-export", "mirth-events", "mirth-messages", ...
  std::string status;       // "complete", "incomplete", "unavailable"
  std::string request;      // the first request's path and query (never a secret)
  std::optional<std::uint64_t> expected;  // what the source said there is (Bundle.total, a count)
  std::string expected_from;              // "Bundle.total", "events/count", ...
  std::uint64_t received = 0;
  std::string unit = "records";
  std::uint64_t pages = 0;
  std::vector<std::string> gaps;     // why it is incomplete
  std::vector<std::string> notes;    // what happened that did not make it incomplete
  std::string server_answer;         // for unavailable / errors: the server's own words
};

struct SourceStream {
  std::string name;         // "audit-events", "server-events", "messages"
  std::string status = "complete";
  std::vector<SourceItem> items;
  std::uint64_t records = 0;  // normalized records
};

// An event log file downloaded in full, for a nightly series' state and its supplements.
struct LogFileDownload {
  std::string stream;
  std::string id;
  std::string event_type;
  std::string log_date;
  std::string interval;
  std::string sequence;
  std::string created_date;
  std::string bag_path;  // "data/raw/..."
  std::string sha256;
  std::uint64_t bytes = 0;
};

struct SourceReport {
  std::string name;         // the source's name: folder under data/raw ("fhir", "mirth", a config name)
  std::string type;         // "fhir", "mirth", "http-json"
  std::string base_url;
  std::string auth_mode;    // "token", "smart", "basic", "session", "none", ...
  std::string client_id;    // SMART / OAuth client id, or "" 
  std::string collector_identity;  // the user or client the collector authenticated as
  std::vector<auth::GrantRecord> grants;
  ClockEvidence clock;
  std::uint64_t requests = 0;
  std::vector<SourceStream> streams;
  std::uint64_t normalized_records = 0;
  std::uint64_t untimed_records = 0;
  SourceStop stop = SourceStop::kNone;
  std::string stop_detail;
  bool complete = false;
  std::string details_json = "{}";  // type-specific facts as one JSON object ({"fhir_version":"4.0.1"})
  // A source type with its own report shape (Salesforce: SalesforceSourceJson) sets its element
  // here; SourceJson then returns it as is, and the members above serve the printed summary.
  std::string json_override;
  // Salesforce: the event log files downloaded in full, and how many listed files were skipped
  // because the series had sealed them already.
  std::vector<LogFileDownload> log_files;
  std::uint64_t log_files_skipped = 0;
};

// The element of collection.json's "sources" for this report.
std::string SourceJson(const SourceReport& report);

// The whole "collection" member: window, overall completeness and stop reason (the first,
// most serious, of the sources), the sources (each a JSON object text, e.g. SourceJson's) and the
// normalized totals.
struct CollectionSummary {
  UtcSeconds since{};
  UtcSeconds until{};
  bool complete = false;
  std::string stop_reason = "none";
  std::string stop_detail;
  std::vector<std::string> source_jsons;
  std::uint64_t normalized_records = 0;
  std::uint64_t untimed_records = 0;
  std::string clock_probes_json;  // a collection of several sources: ClockProbesJson's array
  std::string incremental_json;   // a run of a nightly series: the "incremental" object
};
std::string CollectionJson(const CollectionSummary& summary);

// Where a source's normalized records go: a timed record into the shared timeline with an order
// key (source 8 bits | stream 4 | capture 20 | record 32) that makes ties independent of thread
// interleaving; an untimed one, as a JSON line, to the source's own untimed file. Emit is
// thread-safe.
class RecordSink {
 public:
  RecordSink(normalize::TimelineWriter& timeline, std::uint64_t source_index, std::filesystem::path untimed_path);
  Status Open();
  Status Emit(const normalize::Record& record, std::uint64_t stream, std::uint64_t capture);
  Status Close();
  // Orders this source's timed records at @timestamp minus `ms` in the merged timeline (a clock
  // measured that far ahead of the collector's), and says so in each record. 0: no correction.
  // Set before the first Emit.
  void SetClockCorrection(std::int64_t ms) { clock_correction_ms_ = ms; }
  std::int64_t clock_correction_ms() const { return clock_correction_ms_; }
  std::uint64_t records() const { return records_; }
  std::uint64_t untimed() const { return untimed_; }
  const std::filesystem::path& untimed_path() const { return untimed_path_; }

 private:
  normalize::TimelineWriter& timeline_;
  std::uint64_t source_index_;
  std::filesystem::path untimed_path_;
  std::mutex mu_;
  std::ofstream untimed_out_;
  std::uint64_t records_ = 0;
  std::uint64_t untimed_ = 0;
  std::int64_t clock_correction_ms_ = 0;
};

}  // namespace custody::connectors
