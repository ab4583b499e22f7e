#pragma once
// `custody collect fhir`: AuditEvents of a FHIR server (R4 or R5) over a time window. Reads
// /metadata first (version, search parameters, whether $export is offered), then either sweeps
// AuditEvent?date=ge..&date=lt.. following the Bundle's next links verbatim, or runs a Bulk Data
// $export of AuditEvent. Every response is captured byte for byte through a Session; each entry
// is normalized with its exact byte range. It never seals: the caller does, with the
// SourceReport this returns. docs/connectors/fhir.md is the operator's manual.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "auth/salesforce_auth.h"
#include "connectors/common/session.h"
#include "connectors/common/source_report.h"
#include "connectors/fhir/fhir_auth.h"
#include "core/time.h"
#include "http/transport.h"

namespace custody::connectors::fhir {

inline constexpr const char* kStreamAuditEvents = "audit-events";

struct FhirCollectOptions {
  std::string source = "fhir";     // source name: folder under data/raw, "fhir:<name>" in records
  std::string base_url;            // the FHIR base ("https://ehr.example/fhir"), no trailing slash
  FhirAuthConfig auth;
  http::TransportOptions transport;
  UtcSeconds since{};
  UtcSeconds until{};
  int page_size = 100;             // _count asked for (servers may clamp it)
  bool use_export = true;          // $export when /metadata advertises it
  std::filesystem::path payload_root;  // becomes data/ in the bundle
  SessionPolicy policy;
  const std::atomic<bool>* cancel = nullptr;
  auth::EnvLookup env;             // default: the process environment
  std::function<void(const std::string& stream, const std::string& what)> progress;
  // Test seam: how transports are made (default: MakeCurlTransport(transport)).
  std::function<Result<std::unique_ptr<http::Transport>>()> make_transport;
  // Bulk status polling: the wait when the server gives no Retry-After, and how long to poll.
  std::chrono::milliseconds export_poll_default{std::chrono::seconds(2)};
  std::chrono::seconds export_timeout{std::chrono::hours(2)};
};

// Errors (nothing collected worth sealing): kInvalidArgument for missing flags or secrets and for
// a base URL that answers but is not a FHIR server ("https://x/fhir/metadata answered 200
// text/html, not a FHIR CapabilityStatement"); kNetwork when it cannot be reached; kAuth when the
// first credential is refused before anything was collected; kCancelled when interrupted before
// the search started. Everything after that is reported in the SourceReport (incomplete items,
// gaps, stop reason), with every capture kept.
Result<SourceReport> CollectFhir(const FhirCollectOptions& options, const Clock& clock, auth::Redactor& redactor,
                                 RecordSink& sink);

// "error exception: <diagnostics>; warning ..." from an OperationOutcome body (its issues'
// severity, code, details.text and diagnostics); "" when the text is not one.
std::string OperationOutcomeText(std::string_view body);

}  // namespace custody::connectors::fhir
