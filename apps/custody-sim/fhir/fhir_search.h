#pragma once
// AuditEvent search as the simulated FHIR server understands it: parameters parsed from the query
// (and form body) into a SearchQuery, then run over the EventStore. Semantics follow FHIR R4/R5
// search: date prefixes over precision ranges, repeated parameters AND, comma values OR, tokens as
// system|code, |code, system| or code, references as Type/id, id or an absolute URL on this server.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fhir/fhir_data.h"
#include "fhir/fhir_time.h"

namespace custody::sim::fhir {

using Params = std::vector<std::pair<std::string, std::string>>;  // decoded, in request order

struct DateValue {
  std::string prefix;  // eq ne gt lt ge le sa eb ap
  TimeRange range;
};

struct TokenValue {
  bool has_system = false;  // a '|' was given
  std::string system;       // "" with has_system: the code must have no system
  std::string code;         // "" : any code in `system`
};

enum class SortKey { kRecordedAsc, kRecordedDesc, kLastUpdatedAsc, kLastUpdatedDesc };

struct SearchQuery {
  // Each inner vector is one occurrence of the parameter (its comma-separated values OR); the
  // occurrences AND.
  std::vector<std::vector<DateValue>> date, last_updated;
  std::vector<std::vector<TokenValue>> type, subtype, action, outcome;
  std::vector<std::vector<std::string>> patient, agent, entity, address, site, id;
  SortKey sort = SortKey::kRecordedAsc;
  int count = 0;             // page size after clamping
  bool count_only = false;   // _count=0 or _summary=count
  Params kept;               // the parameters the server used, for the self link (no paging params)
  std::vector<std::string> ignored;  // unknown parameters dropped in lenient mode
};

struct SearchError {
  int status = 400;
  std::string severity = "error";
  std::string code = "invalid";  // OperationOutcome IssueType
  std::string diagnostics;
};

struct SearchLimits {
  int default_count = 50;
  int max_count = 100;
  bool strict = false;       // Prefer: handling=strict
  bool r5 = false;
  std::string base_url;      // absolute references on this server are accepted and stripped
};

// Parameters the caller handles itself (paging) and that parsing skips: _offset, _cursor,
// _getpages, _getpagesoffset, _bundletype.
bool IsPagingParam(const std::string& name);

bool ParseSearch(const Params& params, const SearchLimits& limits, SearchQuery* q, SearchError* error);

// Positions of the matching events in the query's order.
std::vector<uint32_t> RunSearch(const SearchQuery& q, const EventStore& store);

// The AuditEvent search parameters the server supports (CapabilityStatement), name and type.
std::vector<std::pair<std::string, std::string>> SupportedParams(bool r5);

// "a=1&b=2" with each name and value percent-encoded (RFC 3986 unreserved kept).
std::string EncodeParams(const Params& params);
std::string PercentEncode(std::string_view text);

}  // namespace custody::sim::fhir
