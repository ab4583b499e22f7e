#pragma once
// Fault injection for the simulated Mirth server, by request number so tests are deterministic.
//
//   --mirth-fault KIND[:ARG][@CALLS]     CALLS = N | N-M, comma-separated (1-based numbers of
//                                        requests under /api, in arrival order); no @: every request
//
// Kinds (what Jetty/Jersey send: never a JSON error body):
//   401 403 500 502 503   that status with Jetty's HTML error page (what Jersey's sendError makes of
//                         a MirthApiException without an entity)
//   401-empty ... 503-empty   that status with an empty body
//   slow:MS    the response waits MS milliseconds
//   drop       the connection closes halfway through the declared body
//   expire     every session is invalidated at that request (it and later calls with the old
//              cookie answer 401; a new login works)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace custody::sim::mirth {

enum class MirthFaultKind { kStatus, kSlow, kDrop, kExpire };

struct MirthFault {
  MirthFaultKind kind = MirthFaultKind::kStatus;
  int status = 500;         // kStatus
  bool empty_body = false;  // kStatus: no body instead of the HTML page
  int64_t arg = 0;          // slow: milliseconds
  std::vector<std::pair<uint64_t, uint64_t>> calls;  // inclusive; empty = every request
  std::string text;
};

// nullopt and *error on a bad spec.
std::optional<MirthFault> ParseMirthFault(std::string_view text, std::string* error);

struct MirthFaultHits {
  int status = 0;           // 401/403/500/502/503
  bool empty_body = false;  // with status: no body
  int64_t slow_ms = 0;
  bool drop = false;
  bool expire = false;
};

MirthFaultHits FaultsFor(const std::vector<MirthFault>& faults, uint64_t request);

}  // namespace custody::sim::mirth
