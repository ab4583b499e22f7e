#pragma once
// The simulated FHIR AuditEvent server (R4 4.0.1 or R5 5.0.0) that the collector's FHIR connector is
// proven against: CapabilityStatement, AuditEvent search and read, three paging styles (HAPI
// _getpages, live offsets, snapshot cursors), SMART Backend Services (private_key_jwt with RS384
// and ES384), Basic and static bearer auth, seeded faults, events inserted during a sweep, and a
// Bulk Data $export. docs/custody-sim-fhir.md is the manual; schemas/sim-fhir.schema.json describes
// StartupJson().

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "ehr/ehr_common.h"

namespace CLI {
class App;
}

namespace custody::sim::fhir {

// The largest --fhir-clock-offset either way: a year (a wrong-year clock is still a clock).
constexpr double kMaxFhirClockOffsetSeconds = 366.0 * 86400.0;

struct FhirOptions {
  ehr::EhrCommon common;
  std::string version = "r4";        // "r4" (4.0.1) or "r5" (5.0.0)
  std::string paging = "offset";     // "offset" (live _offset links), "cursor" (snapshot), "hapi" (_getpages)
  uint64_t events = 2000;            // generated AuditEvents spread over the data window
  int default_count = 50;            // page size without _count
  int max_count = 100;               // _count above this is clamped silently
  bool total = true;                 // Bundle.total present (true) or absent (false)
  std::vector<std::string> auth = {"smart", "token", "basic"};  // accepted: smart, token, basic, none
  int64_t token_ttl_seconds = 300;   // SMART access token lifetime (expires_in)
  uint64_t token_max_requests = 0;   // a SMART token stops working after this many requests; 0 = never
  int64_t cursor_ttl_seconds = 600;  // HAPI/cursor search snapshots expire (410) after this
  size_t max_snapshots = 64;         // oldest snapshots are forgotten (410) beyond this
  std::vector<std::string> faults;   // KIND[:ARG][@N[-M][,N...]] (see docs/custody-sim-fhir.md)
  uint64_t insert_every = 0;         // every N-th search request inserts `insert_count` events; 0 = never
  uint64_t insert_count = 1;
  bool export_enabled = false;       // Bulk Data $export (advertised in /metadata only when on)
  int export_polls = 2;              // status polls answered 202 before the manifest
  int64_t export_retry_after_seconds = 1;  // Retry-After on 202; a faster poll gets 429 (0: never)
  uint64_t export_file_events = 100000;    // resources per ndjson file
  // --fhir-clock-offset: this server's clock minus true UTC, seconds (rounded to whole ms). When
  // set it replaces common.clock_offset_ms for this server only: main.cpp overwrites `common` with
  // the org's shared options after the flags are parsed, so the per-server value lives here.
  std::optional<double> clock_offset_seconds;
};

// Adds --fhir (sets enabled) and every --fhir-* flag to the custody-sim command line.
void AddFhirFlags(CLI::App& app, FhirOptions& options, bool& enabled);

class FhirServer {
 public:
  // Loads the fixtures, writes the SMART client's keys into common.work_dir, binds the port
  // (0 = any). Errors name what failed; a bad option is kInvalidArgument.
  static custody::Result<std::unique_ptr<FhirServer>> Create(FhirOptions options);
  virtual ~FhirServer() = default;
  // One JSON object: everything a client needs (schemas/sim-fhir.schema.json).
  virtual std::string StartupJson() const = 0;
  virtual int port() const = 0;
  // The AuditEvents this server holds of the scenario's steps (common.scenario_events of kind
  // "ehr-patient-search"), as a JSON array of answer-key rows (schemas/sim-answer-key.schema.json,
  // "ehr_evidence"): {"system":"fhir","log":"AuditEvent","key_field":"id","key","label","time"}.
  // "[]" without such steps.
  virtual std::string AnswerKeyEvidenceJson() const = 0;
  // Serves until Stop().
  virtual void Run() = 0;
  // Safe from another thread, also before Run has started listening.
  virtual void Stop() = 0;
};

}  // namespace custody::sim::fhir
