#pragma once
// Fault injection, by API call number or seeded probability. docs/custody-sim.md lists every kind.
//
//   --fault KIND[:ARG][@CALLS | %PERCENT]
//   CALLS = N | N-M | N,M,...  (1-based numbers of authenticated API calls, as counted by
//                               Sforce-Limit-Info); without @ or %, every call.
//
// Kinds: expire (every token issued so far is revoked at that call, which answers 401
// INVALID_SESSION_ID, as does every later call with an old token; a new token works),
// limit (the daily API limit is reached: 403 REQUEST_LIMIT_EXCEEDED from that call on), 500, 502,
// 503, query-timeout (400 QUERY_TIMEOUT), query-timeout-500 (500, as the Elastic mock answers),
// locator-expired (400 INVALID_QUERY_LOCATOR on a queryMore), drop (the connection closes halfway
// through the body), truncate (the body ends early but the HTTP framing is complete), slow:MS
// (the response waits MS milliseconds), short-page (a query page holds fewer rows than the batch),
// bad-csv (a LogFile download is served at its full length with one row's line feed, the one
// nearest the middle of the file, turned into a lone CR: the CSV is malformed).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace custody::sim {

enum class FaultKind {
  kExpire,
  kLimit,
  kHttp500,
  kHttp502,
  kHttp503,
  kQueryTimeout,
  kQueryTimeout500,
  kLocatorExpired,
  kDrop,
  kTruncate,
  kSlow,
  kShortPage,
  kBadCsv,
};

struct FaultSpec {
  FaultKind kind = FaultKind::kHttp500;
  int64_t arg = 0;                 // slow: milliseconds
  std::vector<std::pair<uint64_t, uint64_t>> calls;  // inclusive ranges; empty with percent < 0 = all
  double percent = -1;             // >= 0: seeded probability per call
  std::string text;                // as given, for the startup line
};

// Parses one --fault value; nullopt and *error on a bad spec.
std::optional<FaultSpec> ParseFault(std::string_view text, std::string* error);

// Which faults fire on one call.
struct FaultHits {
  bool expire = false;
  bool limit = false;
  int http_status = 0;  // 500/502/503
  bool query_timeout = false;
  bool query_timeout_500 = false;
  bool locator_expired = false;
  bool drop = false;
  bool truncate = false;
  int64_t slow_ms = 0;
  bool short_page = false;
  bool bad_csv = false;  // LogFile downloads only; other calls are answered as usual
};

class FaultPlan {
 public:
  FaultPlan(std::vector<FaultSpec> specs, uint64_t seed) : specs_(std::move(specs)), seed_(seed) {}
  // Faults for API call number `call` (1-based). Deterministic for a seed.
  FaultHits For(uint64_t call) const;
  const std::vector<FaultSpec>& specs() const { return specs_; }

 private:
  std::vector<FaultSpec> specs_;
  uint64_t seed_;
};

}  // namespace custody::sim
