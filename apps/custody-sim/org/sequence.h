#pragma once
// Building blocks for index-addressable, time-ordered sequences:
//  - Source<T>: a dense generated sequence (row i is a pure function of the seed and i);
//  - MergedSequence<T>: a Source plus a short sorted list of injected items (breach scenarios),
//    still O(log n) per At/LowerBound and O(extras) memory;
//  - SubGrid: the events of a Grid whose in-bucket position k satisfies k % mod < keep, itself
//    time-ordered and index-addressable (ApiEvent's read-only calls, login-as rows of the audit trail).

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "activity.h"
#include "model.h"
#include "org/grid.h"

namespace custody::sim::gen {

template <typename T>
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t Size() const = 0;
  virtual TimeMs TimeAt(uint64_t i) const = 0;  // the value T::time of At(i), cheaper
  virtual T At(uint64_t i) const = 0;
  virtual uint64_t LowerBound(TimeMs t) const = 0;  // first i with TimeAt(i) >= t
};

// Where a merged index points: the i-th generated item or the j-th injected one.
struct MergedPos {
  bool extra = false;
  uint64_t index = 0;
};

template <typename T>
class MergedSequence final : public Sequence<T> {
 public:
  // `extras` must be sorted by time. An extra goes after every base item with the same time.
  MergedSequence(std::unique_ptr<Source<T>> base, std::vector<T> extras)
      : base_(std::move(base)), extras_(std::move(extras)) {
    base_upper_.reserve(extras_.size());
    for (const T& e : extras_) base_upper_.push_back(base_->LowerBound(e.time + 1));
  }

  uint64_t Size() const override { return base_->Size() + extras_.size(); }
  T At(uint64_t i) const override {
    const MergedPos p = Resolve(i);
    return p.extra ? extras_[p.index] : base_->At(p.index);
  }
  uint64_t LowerBound(TimeMs t) const override {
    const auto it = std::lower_bound(extras_.begin(), extras_.end(), t,
                                     [](const T& e, TimeMs x) { return e.time < x; });
    return base_->LowerBound(t) + static_cast<uint64_t>(it - extras_.begin());
  }
  TimeMs TimeAt(uint64_t i) const {
    const MergedPos p = Resolve(i);
    return p.extra ? extras_[p.index].time : base_->TimeAt(p.index);
  }

  MergedPos Resolve(uint64_t i) const {
    // Extra j sits at merged position base_upper_[j] + j (strictly increasing in j).
    uint64_t lo = 0;
    uint64_t hi = extras_.size();
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (base_upper_[mid] + mid < i) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo < extras_.size() && base_upper_[lo] + lo == i) return {true, lo};
    return {false, i - lo};
  }
  uint64_t MergedOfBase(uint64_t b) const {
    return b + static_cast<uint64_t>(std::upper_bound(base_upper_.begin(), base_upper_.end(), b) -
                                     base_upper_.begin());
  }
  uint64_t MergedOfExtra(uint64_t j) const { return base_upper_[j] + j; }

  const Source<T>& base() const { return *base_; }
  const std::vector<T>& extras() const { return extras_; }

 private:
  std::unique_ptr<Source<T>> base_;
  std::vector<T> extras_;
  std::vector<uint64_t> base_upper_;  // base items with time <= extras_[j].time
};

class SubGrid {
 public:
  SubGrid() = default;
  // skip_bucket(b) == true removes every event of bucket b.
  SubGrid(const Grid* grid, uint32_t mod, uint32_t keep, const std::function<bool(uint32_t)>& skip_bucket);
  uint64_t size() const { return prefix_.empty() ? 0 : prefix_.back(); }
  uint64_t ParentIndex(uint64_t j) const;
  TimeMs TimeAt(uint64_t j) const { return grid_->TimeAt(ParentIndex(j)); }
  uint64_t LowerBound(TimeMs t) const;
  // True if event k of bucket b belongs to the sub-grid.
  bool Contains(uint32_t b, uint32_t k) const { return !skipped_[b] && k % mod_ < keep_; }

 private:
  uint32_t LocalToK(uint64_t r) const {
    return static_cast<uint32_t>((r / keep_) * mod_ + r % keep_);
  }
  const Grid* grid_ = nullptr;
  uint32_t mod_ = 1;
  uint32_t keep_ = 1;
  std::vector<uint64_t> prefix_;
  std::vector<bool> skipped_;
};

}  // namespace custody::sim::gen
