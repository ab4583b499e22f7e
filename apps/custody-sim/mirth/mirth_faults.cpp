#include "mirth/mirth_faults.h"

namespace custody::sim::mirth {
namespace {

bool ParseNumber(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<MirthFault> ParseMirthFault(std::string_view text, std::string* error) {
  MirthFault f;
  f.text = std::string(text);
  std::string_view spec = text;
  std::string_view calls;
  if (const size_t at = spec.find('@'); at != std::string_view::npos) {
    calls = spec.substr(at + 1);
    spec = spec.substr(0, at);
    if (calls.empty()) {
      *error = std::string(text) + ": nothing after @";
      return std::nullopt;
    }
  }
  std::string_view arg;
  if (const size_t colon = spec.find(':'); colon != std::string_view::npos) {
    arg = spec.substr(colon + 1);
    spec = spec.substr(0, colon);
  }
  std::string_view status_text = spec;
  if (status_text.size() > 6 && status_text.substr(status_text.size() - 6) == "-empty") {
    status_text = status_text.substr(0, status_text.size() - 6);
    f.empty_body = true;
  }
  if (status_text == "401" || status_text == "403" || status_text == "500" || status_text == "502" ||
      status_text == "503") {
    f.kind = MirthFaultKind::kStatus;
    f.status = std::stoi(std::string(status_text));
  } else if (spec == "slow") f.kind = MirthFaultKind::kSlow;
  else if (spec == "drop") f.kind = MirthFaultKind::kDrop;
  else if (spec == "expire") f.kind = MirthFaultKind::kExpire;
  else {
    *error = std::string(text) + ": unknown kind '" + std::string(spec) +
             "' (401, 403, 500, 502, 503, each also -empty, slow:MS, drop, expire)";
    return std::nullopt;
  }
  if (f.kind == MirthFaultKind::kSlow) {
    uint64_t ms = 0;
    if (!ParseNumber(arg, &ms) || ms > 600000) {
      *error = std::string(text) + ": slow needs milliseconds, as slow:250 (at most 600000)";
      return std::nullopt;
    }
    f.arg = static_cast<int64_t>(ms);
  } else if (!arg.empty()) {
    *error = std::string(text) + ": " + std::string(spec) + " takes no argument";
    return std::nullopt;
  }
  while (!calls.empty()) {
    const size_t comma = calls.find(',');
    const std::string_view part = calls.substr(0, comma);
    calls = comma == std::string_view::npos ? std::string_view() : calls.substr(comma + 1);
    uint64_t a = 0;
    uint64_t b = 0;
    const size_t dash = part.find('-');
    if (dash == std::string_view::npos) {
      if (!ParseNumber(part, &a) || a == 0) {
        *error = std::string(text) + ": bad request number '" + std::string(part) + "' (1-based)";
        return std::nullopt;
      }
      b = a;
    } else if (!ParseNumber(part.substr(0, dash), &a) || !ParseNumber(part.substr(dash + 1), &b) || a == 0 || b < a) {
      *error = std::string(text) + ": bad request range '" + std::string(part) + "' (N-M, 1 <= N <= M)";
      return std::nullopt;
    }
    f.calls.emplace_back(a, b);
  }
  return f;
}

MirthFaultHits FaultsFor(const std::vector<MirthFault>& faults, uint64_t request) {
  MirthFaultHits hits;
  for (const MirthFault& f : faults) {
    bool on = f.calls.empty();
    for (const auto& [a, b] : f.calls) on = on || (request >= a && request <= b);
    if (!on) continue;
    switch (f.kind) {
      case MirthFaultKind::kStatus:
        hits.status = f.status;
        hits.empty_body = f.empty_body;
        break;
      case MirthFaultKind::kSlow: hits.slow_ms += f.arg; break;
      case MirthFaultKind::kDrop: hits.drop = true; break;
      case MirthFaultKind::kExpire: hits.expire = true; break;
    }
  }
  return hits;
}

}  // namespace custody::sim::mirth
