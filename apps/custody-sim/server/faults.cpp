#include "server/faults.h"

#include <charconv>

namespace custody::sim {
namespace {

struct KindName {
  std::string_view name;
  FaultKind kind;
};
constexpr KindName kKinds[] = {
    {"expire", FaultKind::kExpire},
    {"limit", FaultKind::kLimit},
    {"500", FaultKind::kHttp500},
    {"502", FaultKind::kHttp502},
    {"503", FaultKind::kHttp503},
    {"query-timeout", FaultKind::kQueryTimeout},
    {"query-timeout-500", FaultKind::kQueryTimeout500},
    {"locator-expired", FaultKind::kLocatorExpired},
    {"drop", FaultKind::kDrop},
    {"truncate", FaultKind::kTruncate},
    {"slow", FaultKind::kSlow},
    {"short-page", FaultKind::kShortPage},
    {"bad-csv", FaultKind::kBadCsv},
};

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::optional<FaultSpec> ParseFault(std::string_view text, std::string* error) {
  FaultSpec spec;
  spec.text = std::string(text);
  std::string_view rest = text;
  std::string_view when;
  char when_kind = 0;
  if (const size_t at = rest.find_first_of("@%"); at != std::string_view::npos) {
    when_kind = rest[at];
    when = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  std::string_view arg;
  if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
    arg = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  bool known = false;
  for (const KindName& k : kKinds) {
    if (k.name == rest) {
      spec.kind = k.kind;
      known = true;
    }
  }
  if (!known) {
    *error = "unknown fault kind '" + std::string(rest) +
             "' (expected expire, limit, 500, 502, 503, query-timeout, query-timeout-500, "
             "locator-expired, drop, truncate, slow:MS, short-page or bad-csv)";
    return std::nullopt;
  }
  if (spec.kind == FaultKind::kSlow) {
    std::string_view ms = arg;
    if (ms.size() > 2 && ms.substr(ms.size() - 2) == "ms") ms.remove_suffix(2);
    uint64_t v = 0;
    if (!ParseUint(ms, &v) || v > 600000) {
      *error = "fault '" + spec.text + "': slow needs a delay such as slow:250ms (at most 600000)";
      return std::nullopt;
    }
    spec.arg = static_cast<int64_t>(v);
  } else if (!arg.empty()) {
    *error = "fault '" + spec.text + "': '" + std::string(rest) + "' takes no argument";
    return std::nullopt;
  }
  if (when_kind == '%') {
    double p = 0;
    auto [ptr, ec] = std::from_chars(when.data(), when.data() + when.size(), p);
    if (ec != std::errc() || ptr != when.data() + when.size() || p < 0 || p > 100) {
      *error = "fault '" + spec.text + "': the probability after % must be 0..100";
      return std::nullopt;
    }
    spec.percent = p;
  } else if (when_kind == '@') {
    size_t start = 0;
    while (start <= when.size()) {
      size_t comma = when.find(',', start);
      if (comma == std::string_view::npos) comma = when.size();
      const std::string_view item = when.substr(start, comma - start);
      uint64_t lo = 0;
      uint64_t hi = 0;
      const size_t dash = item.find('-');
      const bool ok = dash == std::string_view::npos
                          ? ParseUint(item, &lo) && (hi = lo, true)
                          : ParseUint(item.substr(0, dash), &lo) && ParseUint(item.substr(dash + 1), &hi);
      if (!ok || lo == 0 || hi < lo) {
        *error = "fault '" + spec.text + "': calls after @ must be N, N-M or a comma list (1-based)";
        return std::nullopt;
      }
      spec.calls.emplace_back(lo, hi);
      start = comma + 1;
    }
  }
  return spec;
}

FaultHits FaultPlan::For(uint64_t call) const {
  FaultHits hits;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const FaultSpec& s = specs_[i];
    bool fire = false;
    if (s.percent >= 0) {
      const uint64_t r = Mix(seed_ ^ Mix(call * 131 + i)) % 1000000;
      fire = static_cast<double>(r) < s.percent * 10000.0;
    } else if (s.calls.empty()) {
      fire = true;
    } else {
      for (const auto& [lo, hi] : s.calls) fire = fire || (call >= lo && call <= hi);
    }
    // The limit is a state: once reached it holds for every later call (until the day rolls over).
    if (!fire && s.kind == FaultKind::kLimit && !s.calls.empty() && s.percent < 0) {
      fire = call >= s.calls.front().first;
    }
    if (!fire) continue;
    switch (s.kind) {
      case FaultKind::kExpire: hits.expire = true; break;
      case FaultKind::kLimit: hits.limit = true; break;
      case FaultKind::kHttp500: hits.http_status = 500; break;
      case FaultKind::kHttp502: hits.http_status = 502; break;
      case FaultKind::kHttp503: hits.http_status = 503; break;
      case FaultKind::kQueryTimeout: hits.query_timeout = true; break;
      case FaultKind::kQueryTimeout500: hits.query_timeout_500 = true; break;
      case FaultKind::kLocatorExpired: hits.locator_expired = true; break;
      case FaultKind::kDrop: hits.drop = true; break;
      case FaultKind::kTruncate: hits.truncate = true; break;
      case FaultKind::kSlow: hits.slow_ms = s.arg; break;
      case FaultKind::kShortPage: hits.short_page = true; break;
      case FaultKind::kBadCsv: hits.bad_csv = true; break;
    }
  }
  return hits;
}

}  // namespace custody::sim
