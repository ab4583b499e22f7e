#include "org/grid.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "org/rng.h"

namespace custody::sim::gen {
namespace {

// Modular inverse of a mod n (gcd(a, n) == 1, n >= 1).
uint64_t ModInverse(uint64_t a, uint64_t n) {
  int64_t t = 0;
  int64_t new_t = 1;
  int64_t r = static_cast<int64_t>(n);
  int64_t new_r = static_cast<int64_t>(a % n);
  while (new_r != 0) {
    const int64_t q = r / new_r;
    const int64_t t2 = t - q * new_t;
    t = new_t;
    new_t = t2;
    const int64_t r2 = r - q * new_r;
    r = new_r;
    new_r = r2;
  }
  if (t < 0) t += static_cast<int64_t>(n);
  return static_cast<uint64_t>(t) % n;
}

}  // namespace

Grid Grid::FromCounts(TimeMs start, TimeMs bucket_len, const std::vector<uint32_t>& counts,
                      uint64_t salt) {
  Grid g;
  g.start_ = start;
  g.len_ = bucket_len;
  g.salt_ = salt;
  g.prefix_.resize(counts.size() + 1);
  g.prefix_[0] = 0;
  for (size_t b = 0; b < counts.size(); ++b) g.prefix_[b + 1] = g.prefix_[b] + counts[b];
  return g;
}

Grid Grid::FromExpected(TimeMs start, TimeMs bucket_len, const std::vector<double>& expected,
                        uint64_t salt) {
  std::vector<uint32_t> counts(expected.size());
  for (size_t b = 0; b < expected.size(); ++b) {
    const double e = std::max(0.0, expected[b]);
    const double u = Rng(salt, kStreamGridCount, b).Unit();
    counts[b] = static_cast<uint32_t>(std::floor(e + u));
  }
  return FromCounts(start, bucket_len, counts, salt);
}

Grid Grid::FromTotal(TimeMs start, TimeMs bucket_len, const std::vector<double>& weights,
                     uint64_t total, uint64_t salt) {
  std::vector<uint32_t> counts(weights.size(), 0);
  double sum = 0;
  for (double w : weights) sum += std::max(0.0, w);
  if (sum <= 0 || weights.empty()) {
    if (!counts.empty()) {
      // Evenly, when no weight is given.
      for (size_t b = 0; b < counts.size(); ++b) {
        counts[b] = static_cast<uint32_t>(total * (b + 1) / counts.size() - total * b / counts.size());
      }
    }
    return FromCounts(start, bucket_len, counts, salt);
  }
  double cumulative = 0;
  uint64_t assigned = 0;
  for (size_t b = 0; b < weights.size(); ++b) {
    cumulative += std::max(0.0, weights[b]);
    uint64_t upto = b + 1 == weights.size()
                        ? total
                        : std::min<uint64_t>(total, static_cast<uint64_t>(std::floor(
                                                        static_cast<double>(total) * (cumulative / sum))));
    upto = std::max(upto, assigned);
    counts[b] = static_cast<uint32_t>(upto - assigned);
    assigned = upto;
  }
  return FromCounts(start, bucket_len, counts, salt);
}

std::pair<uint32_t, uint32_t> Grid::Locate(uint64_t i) const {
  // Last bucket whose first index is <= i and that is non-empty.
  const auto it = std::upper_bound(prefix_.begin(), prefix_.end(), i);
  const uint32_t b = static_cast<uint32_t>(it - prefix_.begin() - 1);
  return {b, static_cast<uint32_t>(i - prefix_[b])};
}

TimeMs Grid::Time(uint32_t b, uint32_t k) const {
  // floor((k + u / 2^32) * len / c). Dropping the low 32 bits of u*len never changes the quotient;
  // for buckets up to ~3 days everything fits in 64 bits.
  const uint64_t c = count(b);
  const uint64_t u = Hash(salt_, kStreamGridTime + (b >> 20), (static_cast<uint64_t>(b) << 32) | k) >> 32;
  const uint64_t len = static_cast<uint64_t>(len_);
  if (len < (1ULL << 28)) {
    const uint64_t scaled = static_cast<uint64_t>(k) * len + ((u * len) >> 32);
    return BucketStart(b) + static_cast<TimeMs>(scaled / c);
  }
  const U128 scaled = static_cast<U128>(k) * len + ((static_cast<U128>(u) * len) >> 32);
  return BucketStart(b) + static_cast<TimeMs>(scaled / c);
}

TimeMs Grid::StratumEnd(uint32_t b, uint32_t k) const {
  const uint64_t c = count(b);
  const uint64_t len = static_cast<uint64_t>(len_);
  if (len < (1ULL << 28)) return BucketStart(b) + static_cast<TimeMs>((static_cast<uint64_t>(k) + 1) * len / c);
  return BucketStart(b) + static_cast<TimeMs>((static_cast<U128>(k) + 1) * len / c);
}

uint64_t Grid::LowerBound(TimeMs t) const {
  if (prefix_.empty() || t <= start_) return 0;
  if (t >= end()) return size();
  const uint32_t b = static_cast<uint32_t>((t - start_) / len_);
  uint32_t lo = 0;
  uint32_t hi = count(b);
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (Time(b, mid) < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return prefix_[b] + lo;
}

AffinePerm::AffinePerm(uint64_t n, uint64_t h) : n_(n) {
  if (n <= 1) return;
  // A multiplier near the golden section of n, nudged by the hash, coprime with n.
  uint64_t a = static_cast<uint64_t>(static_cast<double>(n) * 0.6180339887) + (h % 7);
  a = a % n;
  if (a == 0) a = 1;
  while (std::gcd(a, n) != 1) a = a + 1 == n ? 1 : a + 1;
  a_ = a;
  a_inv_ = ModInverse(a, n);
  offset_ = (h >> 17) % n;
}

}  // namespace custody::sim::gen
