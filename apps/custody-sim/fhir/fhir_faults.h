#pragma once
// Fault injection for the simulated FHIR server, by data-request number (1-based; every request
// except /metadata, the SMART configuration, /token and /jwks.json counts), so tests are exact.
//
//   --fhir-fault KIND[:ARG][@N | @N-M | @N,M,...]   (without @: every data request)
//
// Kinds: 429 (Retry-After: ARG seconds, default 1), 429-date (Retry-After as an HTTP-date),
// 503 (Retry-After ARG when given), 500 (OperationOutcome exception), html (200 with an HTML
// sign-in page), outcome-warning (the searchset carries a search.mode=outcome warning entry),
// no-next (the page omits its next link although more results exist), drop (the connection
// closes halfway through the body), expire-token (every SMART token issued so far is revoked and
// this request answers 401), expire-cursor (every paging snapshot is forgotten: 410 on their pages).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace custody::sim::fhir {

enum class FhirFaultKind {
  k429,
  k429Date,
  k503,
  k500,
  kHtml,
  kOutcomeWarning,
  kNoNext,
  kDrop,
  kExpireToken,
  kExpireCursor,
};

struct FaultSpec {
  FhirFaultKind kind = FhirFaultKind::k500;
  int64_t arg = 0;
  std::vector<std::pair<uint64_t, uint64_t>> requests;  // inclusive ranges; empty = every request
};

std::optional<FaultSpec> ParseFhirFault(std::string_view text, std::string* error);

struct FaultHits {
  int http_status = 0;  // 429, 500, 503
  int64_t retry_after = 0;
  bool retry_after_date = false;
  bool html = false;
  bool outcome_warning = false;
  bool no_next = false;
  bool drop = false;
  bool expire_token = false;
  bool expire_cursor = false;
};

class FaultPlan {
 public:
  explicit FaultPlan(std::vector<FaultSpec> specs) : specs_(std::move(specs)) {}
  FaultHits For(uint64_t request) const;

 private:
  std::vector<FaultSpec> specs_;
};

}  // namespace custody::sim::fhir
