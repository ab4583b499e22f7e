#pragma once
// The unified record (schemas/record.schema.json): one event from any source, its time in UTC
// with the original text kept, and a pointer back to the raw bytes it came from.

#include <cstdint>
#include <optional>
#include <string>

namespace custody::normalize {

// kAmbiguous/kNonexistent: a local wall-clock time that a DST overlap makes occur twice, or a
// DST gap makes never occur, in the source's zone. Never resolved by guessing.
enum class TimeStatus { kOk, kMissing, kUnparseable, kAmbiguous, kNonexistent };

struct Record {
  std::optional<std::int64_t> timestamp_ms;  // UTC; nullopt unless time_status == kOk
  TimeStatus time_status = TimeStatus::kMissing;
  std::string timestamp_original;            // the text as received ("" when missing)
  std::string timestamp_field;               // which field it came from ("CreatedDate", "TIMESTAMP")

  std::string source;       // "salesforce:<org id>" (or the instance host when the org is unknown)
  std::string stream;       // "field-history", "logins", "exports"
  std::string event_type;   // object or log: "AccountHistory", "LoginHistory", "EventLogFile:ReportExport"
  std::string action;       // short verb: "field-changed", "login", "login-failed", "report-export", ...

  std::optional<std::string> actor_user_id;
  std::optional<std::string> actor_username;

  std::optional<std::string> target_object;
  std::optional<std::string> target_record_id;
  std::optional<std::string> target_field;
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;

  std::optional<std::string> client_ip;
  std::optional<std::string> request_id;   // ELF REQUEST_ID, RTEM RequestIdentifier
  std::optional<std::string> login_key;
  std::optional<std::string> session_key;
  std::optional<std::string> event_id;     // Id of a history/LoginHistory row, EventIdentifier of RTEM

  // Provenance. raw_file is the bag path of the capture ("data/raw/..."). JSON records carry
  // record_index (0-based within the file) and byte_offset/byte_length of the record's object;
  // CSV rows carry record_index (0-based, header excluded) and byte_offset/byte_length of the row.
  std::string raw_file;
  std::uint64_t record_index = 0;
  std::uint64_t byte_offset = 0;
  std::uint64_t byte_length = 0;
  std::string raw_sha256;   // of exactly those bytes

  std::string message;      // one human line (Timesketch "message")

  // EHR-side additions (kept after the original members so older code is unaffected).
  std::optional<std::string> x_request_id;  // BALP X-Request-Id entity: follows one transaction
                                            // across Salesforce, middleware and EHR
  std::optional<std::string> outcome;       // "success" | "failure" | "unknown"; the source's own
                                            // code is kept in message
  std::optional<std::string> patient_id;    // FHIR Patient reference ("Patient/123") / Mirth patientId
  bool collector_activity = false;          // the event is the collector's own doing (its login,
                                            // its own FHIR reads)
  std::optional<int> timestamp_precision;   // fraction digits of the source time as received
  // In a collection of several sources: how far this source's clock was measured ahead of the
  // collector's (whole seconds, only when at least 2 s). The merged timeline orders the record at
  // @timestamp minus this; @timestamp itself stays what the source said. nullopt: no correction.
  std::optional<std::int64_t> clock_correction_ms;
};

// One JSON line (no trailing LF) per schemas/record.schema.json, members in a fixed order:
// "@timestamp" (string or null), "timestamp_original", "timestamp_field", "timestamp_status"
// ("ok"|"missing"|"unparseable"|"ambiguous"|"nonexistent"), "source", "stream", "event_type",
// "action", "actor" {"user_id","username"},
// "target" {"object","record_id","field","old_value","new_value"}, "client_ip",
// "correlation" {"request_id","login_key","session_key","event_id","x_request_id"},
// "provenance" {"raw_file","record_index","byte_offset","byte_length","raw_sha256"},
// "outcome", "patient_id", "collector_activity" (bool), "timestamp_precision" (int or null),
// "clock_correction_ms" (int or null), "message", "datetime" (= @timestamp), "timestamp_desc" (= timestamp_field).
// The EHR-side members (x_request_id and the four before "message") were added later; they sit
// at the end of their object / before the Timesketch trio so earlier members keep their places.
// Absent optionals are null. Strings are written as valid UTF-8 JSON (invalid bytes in source
// text become U+FFFD in the normalized copy only; the raw capture keeps them).
std::string ToJsonLine(const Record& record);

}  // namespace custody::normalize
