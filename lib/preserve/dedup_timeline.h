#pragma once
// A timeline writer for runs of a series: every record line passes through here on its way to
// the merged timeline. A record the series sealed in an earlier bundle (its identity is in the
// previous runs' SeenSet) or one already added in this run is counted, not added again. The
// counts and each stream's newest record are kept per (source index, stream) for the bundle's
// incremental metadata and the next run's watermarks.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "normalize/timeline.h"
#include "preserve/seen_set.h"

namespace custody::preserve {

struct StreamTally {
  std::uint64_t new_records = 0;
  std::uint64_t already_sealed = 0;     // in an earlier bundle of the series
  std::uint64_t repeated_in_run = 0;    // a second copy within this run (an hourly and a daily file)
  std::optional<std::int64_t> newest_ms;  // the newest new record's time
  std::string newest_id;                  // and its id (event_id, request_id or "")
};

class DedupTimeline : public normalize::TimelineWriter {
 public:
  // `sealed`: what earlier bundles hold (read only here). New identities go into fresh().
  DedupTimeline(std::unique_ptr<normalize::TimelineWriter> inner, const SeenSet& sealed);

  Status Add(std::int64_t timestamp_ms, std::string line) override;
  Status AddOrdered(std::int64_t timestamp_ms, std::uint64_t order_key, std::string line) override;
  Status Finish(const std::filesystem::path& out) override { return inner_->Finish(out); }
  std::uint64_t count() const override { return inner_->count(); }
  Result<std::uint64_t> Close() override { return inner_->Close(); }
  Status WriteTo(const Sink& sink) override { return inner_->WriteTo(sink); }

  // Keyed by (source index: the order key's top 8 bits, or 0 for Add; the record's "stream").
  std::map<std::pair<std::uint64_t, std::string>, StreamTally> tallies() const;
  // The identities added in this run, with their times.
  const SeenSet& fresh() const { return fresh_; }

 private:
  // true: add it.
  Result<bool> Admit(std::uint64_t source_index, std::int64_t timestamp_ms, const std::string& line);
  std::unique_ptr<normalize::TimelineWriter> inner_;
  const SeenSet& sealed_;
  mutable std::mutex mu_;
  SeenSet fresh_;
  std::map<std::pair<std::uint64_t, std::string>, StreamTally> tallies_;
};

}  // namespace custody::preserve
