// --fhir and the --fhir-* flags of custody-sim (docs/custody-sim-fhir.md describes each).
#include <CLI/CLI.hpp>

#include "fhir/fhir_server.h"

namespace custody::sim::fhir {

void AddFhirFlags(CLI::App& app, FhirOptions& o, bool& enabled) {
  const char* group = "FHIR AuditEvent server";
  app.add_flag("--fhir", enabled, "also serve a simulated FHIR AuditEvent server (its JSON is under \"fhir\" in the "
                                  "startup line)")
      ->group(group);
  app.add_option("--fhir-port", o.common.port, "port of the FHIR server (0: any free port)")
      ->capture_default_str()->check(CLI::Range(0, 65535))->group(group);
  app.add_option("--fhir-version", o.version, "FHIR release: r4 (4.0.1) or r5 (5.0.0)")
      ->capture_default_str()->check(CLI::IsMember({"r4", "r5"}))->group(group);
  app.add_option("--fhir-paging", o.paging,
                 "paging links: offset (live _offset), cursor (snapshot _cursor) or hapi (_getpages snapshot)")
      ->capture_default_str()->check(CLI::IsMember({"offset", "cursor", "hapi"}))->group(group);
  app.add_option("--fhir-events", o.events, "generated AuditEvents spread over the data window")
      ->capture_default_str()->check(CLI::Range(uint64_t{0}, uint64_t{4000000000ULL}))->group(group);
  app.add_option("--fhir-default-count", o.default_count, "page size when the client sends no _count")
      ->capture_default_str()->check(CLI::Range(1, 100000))->group(group);
  app.add_option("--fhir-max-count", o.max_count, "largest page: a bigger _count is clamped silently")
      ->capture_default_str()->check(CLI::Range(1, 100000))->group(group);
  app.add_flag("--fhir-total,!--fhir-no-total", o.total, "searchset pages carry Bundle.total (--fhir-no-total: leave it out)")
      ->group(group);
  app.add_option("--fhir-auth", o.auth, "accepted authentication: smart, token, basic, none (comma list)")
      ->delimiter(',')->capture_default_str()->check(CLI::IsMember({"smart", "token", "basic", "none"}))->group(group);
  app.add_option("--fhir-token-ttl", o.token_ttl_seconds, "SMART access token lifetime, seconds")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400}))->group(group);
  app.add_option("--fhir-token-requests", o.token_max_requests,
                 "a SMART access token stops working after this many requests (0: never)")
      ->capture_default_str()->group(group);
  app.add_option("--fhir-cursor-ttl", o.cursor_ttl_seconds, "seconds a cursor/_getpages search snapshot lives")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400 * 7}))->group(group);
  app.add_option("--fhir-fault", o.faults, "inject a fault: KIND[:ARG][@N[-M][,...]] by data-request number "
                                           "(repeatable; see docs/custody-sim-fhir.md)")
      ->group(group);
  app.add_option("--fhir-insert-every", o.insert_every,
                 "every N-th search request first inserts --fhir-insert-count new events (0: never)")
      ->capture_default_str()->group(group);
  app.add_option("--fhir-insert-count", o.insert_count, "events inserted each time")
      ->capture_default_str()->check(CLI::Range(uint64_t{1}, uint64_t{100000}))->group(group);
  app.add_flag("--fhir-export", o.export_enabled, "offer Bulk Data $export of AuditEvent")->group(group);
  app.add_option("--fhir-export-polls", o.export_polls, "status polls answered 202 before the manifest")
      ->capture_default_str()->check(CLI::Range(0, 1000))->group(group);
  app.add_option("--fhir-export-retry-after", o.export_retry_after_seconds,
                 "Retry-After on 202 polls; polling again sooner gets 429 (0: never 429)")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{3600}))->group(group);
  app.add_option("--fhir-export-file-events", o.export_file_events, "resources per ndjson file")
      ->capture_default_str()->check(CLI::Range(uint64_t{1}, uint64_t{100000000}))->group(group);
  app.add_option_function<double>(
         "--fhir-clock-offset", [&o](const double& seconds) { o.clock_offset_seconds = seconds; },
         "this server's clock is SECONDS ahead of true UTC (negative: behind); it stamps its events, Date headers "
         "and token checks with it. Default: the shared clock offset")
      ->type_name("SECONDS")->check(CLI::Range(-kMaxFhirClockOffsetSeconds, kMaxFhirClockOffsetSeconds))->group(group);
}

}  // namespace custody::sim::fhir
