#include "soql_rows.h"

#include <algorithm>

namespace custody::sim::soql {

RowSet RowSet::Range(uint64_t begin, uint64_t end, bool reverse) {
  RowSet r;
  r.explicit_ = false;
  r.begin_ = begin;
  r.end_ = std::max(begin, end);
  r.reverse_ = reverse;
  r.size_ = r.end_ - r.begin_;
  return r;
}

RowSet RowSet::CountOnly(uint64_t n) {
  RowSet r;
  r.explicit_ = false;
  r.size_ = n;
  return r;
}

uint64_t RowSet::At(uint64_t k) const {
  if (explicit_) return indices_[k];
  const uint64_t p = skip_ + k;
  // The p-th (0-based) scan position not in misses_: misses_[i] - i is non-decreasing, and the
  // answer is p + (number of i with misses_[i] - i <= p).
  uint64_t lo = 0;
  uint64_t hi = misses_.size();
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (misses_[mid] - mid <= p) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  const uint64_t pos = p + lo;
  return reverse_ ? end_ - 1 - pos : begin_ + pos;
}

void RowSet::Slice(uint64_t offset, std::optional<uint64_t> limit) {
  const uint64_t drop = std::min(offset, size_);
  uint64_t keep = size_ - drop;
  if (limit) keep = std::min(keep, *limit);
  if (explicit_) {
    indices_.erase(indices_.begin(), indices_.begin() + static_cast<std::ptrdiff_t>(drop));
    indices_.resize(keep);
    indices_.shrink_to_fit();
  } else {
    skip_ += drop;
  }
  size_ = keep;
}

void RowSetBuilder::Hit(uint64_t pos) {
  ++hits_;
  recorded_end_ = std::max(recorded_end_, pos + 1);
  if (explicit_) indices_.push_back(IndexAt(pos));
}

void RowSetBuilder::Miss(uint64_t pos) {
  recorded_end_ = std::max(recorded_end_, pos + 1);
  if (explicit_) return;
  misses_.push_back(pos);
  if (misses_.size() > hits_ + kSlack) MakeExplicit();
}

void RowSetBuilder::MakeExplicit() {
  if (explicit_) return;
  indices_.reserve(hits_);
  size_t m = 0;
  for (uint64_t pos = 0; pos < recorded_end_; ++pos) {
    if (m < misses_.size() && misses_[m] == pos) {
      ++m;
      continue;
    }
    indices_.push_back(IndexAt(pos));
  }
  misses_.clear();
  misses_.shrink_to_fit();
  explicit_ = true;
}

void RowSetBuilder::PushExplicit(uint64_t pos) {
  MakeExplicit();
  ++hits_;
  recorded_end_ = std::max(recorded_end_, pos + 1);
  indices_.push_back(IndexAt(pos));
}

RowSet RowSetBuilder::Finish(uint64_t offset, std::optional<uint64_t> limit) {
  RowSet r;
  r.explicit_ = explicit_;
  if (explicit_) {
    r.indices_ = std::move(indices_);
    r.size_ = r.indices_.size();
  } else {
    r.begin_ = begin_;
    r.end_ = end_;
    r.reverse_ = reverse_;
    r.misses_ = std::move(misses_);
    r.misses_.shrink_to_fit();
    r.size_ = hits_;
  }
  r.Slice(offset, limit);
  return r;
}

}  // namespace custody::sim::soql
