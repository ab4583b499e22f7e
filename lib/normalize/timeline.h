#pragma once
// The merged timeline: JSON Lines sorted by time, stable, with bounded memory (sorted runs
// spilled to a work folder, then a k-way merge). Order: @timestamp ascending, then the order in
// which records were added (so the same inputs in the same order give the same bytes).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace custody::normalize {

class TimelineWriter {
 public:
  // work_dir is created if needed and holds run files until Finish; memory_budget bounds the
  // bytes of lines held before a run is spilled.
  static Result<std::unique_ptr<TimelineWriter>> Create(const std::filesystem::path& work_dir,
                                                       std::size_t memory_budget = 64u << 20);
  virtual ~TimelineWriter() = default;
  // One JSON line (no LF) with its UTC time in milliseconds. Ties keep the order of the calls.
  virtual Status Add(std::int64_t timestamp_ms, std::string line) = 0;
  // The same with an explicit tie-breaker: ties are ordered by order_key, so several threads can
  // add in any interleaving and the output is still the same bytes. Keys must be unique and must
  // not be mixed with Add in one writer. Add and AddOrdered are thread-safe.
  virtual Status AddOrdered(std::int64_t timestamp_ms, std::uint64_t order_key, std::string line) = 0;
  // Writes the sorted lines, each with a LF, to out (created new) and removes the run files.
  virtual Status Finish(const std::filesystem::path& out) = 0;
  virtual std::uint64_t count() const = 0;

  // The other way to finish, for a caller that streams the timeline into something else (the
  // seal writes it straight into the bundle, so its bytes are not written to disk twice):
  // Close ends the input and returns the exact number of bytes the timeline will have; WriteTo
  // then hands over those bytes, in order and in pieces of any size, to sink. WriteTo can be
  // called again (each call produces the same bytes), so a caller whose first use failed can
  // still write the timeline out; the run files stay until the writer is destroyed. A sink error
  // stops WriteTo and is returned. Neither may be mixed with Finish.
  using Sink = std::function<Status(std::string_view bytes)>;
  virtual Result<std::uint64_t> Close() = 0;
  virtual Status WriteTo(const Sink& sink) = 0;
};

}  // namespace custody::normalize
