#include "org/sequence.h"

namespace custody::sim::gen {

SubGrid::SubGrid(const Grid* grid, uint32_t mod, uint32_t keep, const std::function<bool(uint32_t)>& skip_bucket)
    : grid_(grid), mod_(mod), keep_(keep) {
  const uint32_t n = grid->buckets();
  prefix_.assign(static_cast<size_t>(n) + 1, 0);
  skipped_.assign(n, false);
  for (uint32_t b = 0; b < n; ++b) {
    skipped_[b] = skip_bucket && skip_bucket(b);
    const uint32_t c = grid->count(b);
    const uint64_t kept = skipped_[b] ? 0 : static_cast<uint64_t>(c / mod_) * keep_ + std::min(c % mod_, keep_);
    prefix_[b + 1] = prefix_[b] + kept;
  }
}

uint64_t SubGrid::ParentIndex(uint64_t j) const {
  const auto it = std::upper_bound(prefix_.begin(), prefix_.end(), j);
  const uint32_t b = static_cast<uint32_t>(it - prefix_.begin() - 1);
  return grid_->first(b) + LocalToK(j - prefix_[b]);
}

uint64_t SubGrid::LowerBound(TimeMs t) const {
  if (prefix_.size() < 2 || t <= grid_->start()) return 0;
  if (t >= grid_->end()) return size();
  const uint32_t b = static_cast<uint32_t>((t - grid_->start()) / grid_->bucket_len());
  uint64_t lo = 0;
  uint64_t hi = prefix_[b + 1] - prefix_[b];
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (grid_->Time(b, LocalToK(mid)) < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return prefix_[b] + lo;
}

}  // namespace custody::sim::gen
