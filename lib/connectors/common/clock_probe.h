#pragma once
// How far a source's clock is from the collector's, measured before a collection of several
// sources starts, so their records can be put on one clock. A few GETs to the source's base URL
// (any status will do: only the Date header matters), each captured like any other response. The
// Date header has a resolution of one second, so the estimate is Date + 500 ms minus the local
// receipt time, and only a skew of at least 2 s is corrected, in whole seconds.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "http/transport.h"

namespace custody::connectors {

struct ClockProbeResult {
  std::string source;
  std::string url;
  std::uint64_t samples = 0;         // responses with a readable Date header
  std::int64_t skew_ms = 0;          // median estimate: the source's clock minus the collector's
  std::int64_t correction_ms = 0;    // what the merged timeline subtracts: whole seconds, 0 under 2 s
  std::vector<std::string> captures; // bag paths of the probe captures
  std::string error;                 // why there is no sample (then no correction)
};

inline constexpr std::int64_t kMinClockCorrectionMs = 2000;

// The correction for a measured skew: 0 when |skew| < 2 s, else the skew rounded to whole seconds.
std::int64_t ClockCorrectionFor(std::int64_t skew_ms);

// `samples` GETs to url (with extra headers such as X-Requested-With), captured under
// raw/<source>/clock/ in payload_root. Never fails: problems are in .error.
ClockProbeResult ProbeClock(const std::filesystem::path& payload_root, const std::string& source, const std::string& url,
                            const http::Headers& headers, const http::TransportOptions& transport, int samples = 3);

// The "clock_probes" array of a collection report.
std::string ClockProbesJson(const std::vector<ClockProbeResult>& probes);

}  // namespace custody::connectors
