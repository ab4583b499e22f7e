#pragma once
// Counter-based randomness: every value is a pure function of (seed, stream, index), so row i of any
// sequence is computable without generating rows 0..i-1, and two orgs built from the same config
// produce the same bytes. Streams are small integers naming what a draw is for (see Stream below).

#include <cstdint>

namespace custody::sim::gen {

// 128-bit arithmetic for exact scaling (a GCC/Clang extension).
__extension__ typedef unsigned __int128 U128;

// SplitMix64's finalizer: a bijection on 64-bit integers with good avalanche.
constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Inverse of Mix64 (used to decode login keys back to the login they belong to).
constexpr uint64_t Unmix64(uint64_t x) {
  x ^= (x >> 31) ^ (x >> 62);
  x *= 0x319642b2d24d8ec3ULL;
  x ^= (x >> 27) ^ (x >> 54);
  x *= 0x96de1b173f119089ULL;
  x ^= (x >> 30) ^ (x >> 60);
  return x;
}

constexpr uint64_t Hash(uint64_t seed, uint64_t stream, uint64_t index) {
  return Mix64(Mix64(seed * 0x9e3779b97f4a7c15ULL + stream) ^ (index * 0xd6e8feb86659fd93ULL + 0x632be59bd9b4e019ULL));
}

// A short sequential generator for the several draws one row needs.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream, uint64_t index) : state_(Hash(seed, stream, index)) {}
  explicit Rng(uint64_t state) : state_(state) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }
  // Uniform in [0, n); 0 when n == 0.
  uint64_t Below(uint64_t n) {
    if (n == 0) return 0;
    return static_cast<uint64_t>((static_cast<U128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi] (inclusive).
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  double Unit() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
  bool Chance(double p) { return Unit() < p; }

 private:
  uint64_t state_;
};

// What a draw is for. Values are part of the determinism contract: renumbering changes every org.
enum Stream : uint64_t {
  kStreamUserNames = 1,
  kStreamUserShape,
  kStreamRecord,          // + object ordinal * 16
  kStreamRecordTime = 0x100,
  kStreamRecycle = 0x200,
  kStreamGridCount = 0x300,
  kStreamGridTime = 0x400,
  kStreamPerm = 0x500,
  kStreamLogin = 0x600,
  kStreamLoginKey,
  kStreamLogout,
  kStreamLoginAs,
  kStreamReport,
  kStreamApi,
  kStreamBulk,
  kStreamContent,
  kStreamListView,
  kStreamUri,
  kStreamSession,
  kStreamAudit,
  kStreamStorageLag,
  kStreamHistory = 0x700,  // + history object ordinal
  kStreamHistoryRow2 = 0x780,
  kStreamArchive = 0x800,
  kStreamScenario = 0x900,
  kStreamGeo = 0xa00,
  kStreamField = 0xb00,  // + data object * 32 + field salt
};

}  // namespace custody::sim::gen
