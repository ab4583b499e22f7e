#pragma once
// The time skeleton of every generated sequence. The window is cut into equal buckets; bucket b holds
// count(b) events, and event k of the bucket falls in its own stratum [k, k+1) * len / count(b) of
// the bucket at a hashed offset. So event times ascend with the global index, event i is found by one
// binary search over the bucket prefix sums, and LowerBound(t) is arithmetic plus a search inside one
// bucket. Memory is one integer per bucket, whatever the number of events.

#include <cstdint>
#include <utility>
#include <vector>

#include "model.h"

namespace custody::sim::gen {

class Grid {
 public:
  Grid() = default;
  // Counts drawn by stochastic rounding of expected[b] (so totals vary with the seed).
  static Grid FromExpected(TimeMs start, TimeMs bucket_len, const std::vector<double>& expected,
                           uint64_t salt);
  // Exactly `total` events, spread in proportion to weights[b] (all >= 0, some > 0 when total > 0).
  static Grid FromTotal(TimeMs start, TimeMs bucket_len, const std::vector<double>& weights,
                        uint64_t total, uint64_t salt);
  // Explicit counts.
  static Grid FromCounts(TimeMs start, TimeMs bucket_len, const std::vector<uint32_t>& counts,
                         uint64_t salt);

  uint64_t size() const { return prefix_.empty() ? 0 : prefix_.back(); }
  uint32_t buckets() const { return prefix_.empty() ? 0 : static_cast<uint32_t>(prefix_.size() - 1); }
  uint32_t count(uint32_t b) const { return static_cast<uint32_t>(prefix_[b + 1] - prefix_[b]); }
  uint64_t first(uint32_t b) const { return prefix_[b]; }
  TimeMs start() const { return start_; }
  TimeMs bucket_len() const { return len_; }
  TimeMs end() const { return start_ + static_cast<TimeMs>(buckets()) * len_; }
  TimeMs BucketStart(uint32_t b) const { return start_ + static_cast<TimeMs>(b) * len_; }

  // (bucket, k) of event i < size().
  std::pair<uint32_t, uint32_t> Locate(uint64_t i) const;
  // Time of event k of bucket b; ascending in (b, k).
  TimeMs Time(uint32_t b, uint32_t k) const;
  // First instant after event (b, k)'s stratum (exclusive bound for extra times in the stratum).
  TimeMs StratumEnd(uint32_t b, uint32_t k) const;
  TimeMs TimeAt(uint64_t i) const {
    const auto [b, k] = Locate(i);
    return Time(b, k);
  }
  // First index with time >= t (size() if none).
  uint64_t LowerBound(TimeMs t) const;

 private:
  TimeMs start_ = 0;
  TimeMs len_ = 1;
  uint64_t salt_ = 0;
  std::vector<uint64_t> prefix_;
};

// A permutation of [0, n): x -> (a*x + offset) mod n, with its inverse. n < 2^32.
class AffinePerm {
 public:
  AffinePerm(uint64_t n, uint64_t h);
  uint64_t Apply(uint64_t x) const { return n_ == 0 ? 0 : (a_ * x + offset_) % n_; }
  uint64_t Invert(uint64_t y) const { return n_ == 0 ? 0 : a_inv_ * ((y + n_ - offset_) % n_) % n_; }

 private:
  uint64_t n_;
  uint64_t a_ = 1;
  uint64_t a_inv_ = 1;
  uint64_t offset_ = 0;
};

}  // namespace custody::sim::gen
