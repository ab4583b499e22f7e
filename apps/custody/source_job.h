#pragma once
// One source of a case file, built and checked from its [[source]] table before the first request
// of `custody collect --config` (cmd_collect_config.cpp), ready to run on its own thread.

#include <cstdint>
#include <functional>
#include <string>

#include "case_config.h"
#include "collect_common.h"
#include "connectors/common/source_report.h"
#include "context.h"
#include "http/transport.h"

namespace custody::cli {

// One source, ready to run: everything was read and checked before the first request.
struct SourceJob {
  std::string name;
  std::string type;
  std::string url;
  std::function<Result<connectors::SourceReport>(connectors::RecordSink& sink)> run;
  // Where the clock probe asks for a Date header, and how the measured correction is applied.
  std::string probe_url;
  http::Headers probe_headers;
  std::function<void(std::int64_t ms, connectors::RecordSink& sink)> set_correction =
      [](std::int64_t ms, connectors::RecordSink& sink) { sink.SetClockCorrection(ms); };
};

// A getter's value into `out`, or its error.
template <typename T>
Status Take(Result<std::optional<T>> r, std::optional<T>& out) {
  if (!r) return r.error();
  out = std::move(*r);
  return Status::Ok();
}

// A base URL without trailing slashes.
inline std::string TrimSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The generic HTTP-JSON connector's source (type "http-json"; config_http_json.cpp).
Result<SourceJob> HttpJsonJob(const SourceSection& section, PreparedCollection& prepared, Context& ctx,
                              std::uint64_t index);

// The case file with the command line's flags over it; checks that what a bundle needs is set
// (a series needs no since after its first run: `series`).
Result<CaseConfig> LoadCaseWithFlags(const std::string& config_path, CommonCollectFlags& flags, bool series);

// Builds every source of the case file, probes their clocks, collects them concurrently into the
// prepared collection and seals it (SealCollection).
Status CollectCaseSources(const CaseConfig& config, PreparedCollection& prepared, const CommonCollectFlags& flags,
                          Context& ctx);

// collect --config --state-dir: one run of a nightly series (cmd_collect_series.cpp).
struct SeriesFlags {
  std::string state_dir;
  std::string overlap = "72h";
  std::string event_overlap = "1h";
  int keep_days = -1;  // -1: keep every bundle
};
Status RunSeries(const std::string& config_path, CommonCollectFlags flags, const SeriesFlags& series, Context& ctx);

}  // namespace custody::cli
