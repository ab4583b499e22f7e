#include "fhir/fhir_faults.h"

#include <charconv>

namespace custody::sim::fhir {
namespace {

struct KindName {
  std::string_view name;
  FhirFaultKind kind;
};
constexpr KindName kKinds[] = {
    {"429", FhirFaultKind::k429},
    {"429-date", FhirFaultKind::k429Date},
    {"503", FhirFaultKind::k503},
    {"500", FhirFaultKind::k500},
    {"html", FhirFaultKind::kHtml},
    {"outcome-warning", FhirFaultKind::kOutcomeWarning},
    {"no-next", FhirFaultKind::kNoNext},
    {"drop", FhirFaultKind::kDrop},
    {"expire-token", FhirFaultKind::kExpireToken},
    {"expire-cursor", FhirFaultKind::kExpireCursor},
};

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<FaultSpec> ParseFhirFault(std::string_view text, std::string* error) {
  FaultSpec spec;
  std::string_view rest = text;
  std::string_view when;
  bool has_when = false;
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    when = rest.substr(at + 1);
    rest = rest.substr(0, at);
    has_when = true;
  }
  std::string_view arg;
  bool has_arg = false;
  if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
    arg = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    has_arg = true;
  }
  bool known = false;
  for (const KindName& k : kKinds) {
    if (k.name == rest) {
      spec.kind = k.kind;
      known = true;
    }
  }
  if (!known) {
    std::string names;
    for (const KindName& k : kKinds) names += (names.empty() ? "" : ", ") + std::string(k.name);
    *error = "unknown fault kind \"" + std::string(rest) + "\" (one of " + names + ")";
    return std::nullopt;
  }
  if (has_arg) {
    uint64_t v = 0;
    const bool takes_arg = spec.kind == FhirFaultKind::k429 || spec.kind == FhirFaultKind::k429Date ||
                           spec.kind == FhirFaultKind::k503;
    if (!takes_arg || !ParseUint(arg, &v) || v > 86400) {
      *error = takes_arg ? "ARG must be seconds, 0..86400" : "this fault kind takes no :ARG";
      return std::nullopt;
    }
    spec.arg = static_cast<int64_t>(v);
  }
  if (has_when) {
    size_t i = 0;
    while (i <= when.size()) {
      size_t j = when.find(',', i);
      if (j == std::string_view::npos) j = when.size();
      const std::string_view item = when.substr(i, j - i);
      uint64_t a = 0, b = 0;
      const size_t dash = item.find('-');
      const bool ok = dash == std::string_view::npos
                          ? ParseUint(item, &a) && (b = a, true)
                          : ParseUint(item.substr(0, dash), &a) && ParseUint(item.substr(dash + 1), &b);
      if (!ok || a == 0 || b < a) {
        *error = "request numbers must be N, N-M or a comma list of them (1-based, N <= M)";
        return std::nullopt;
      }
      spec.requests.emplace_back(a, b);
      i = j + 1;
    }
  }
  return spec;
}

FaultHits FaultPlan::For(uint64_t request) const {
  FaultHits h;
  for (const FaultSpec& s : specs_) {
    bool hit = s.requests.empty();
    for (const auto& [a, b] : s.requests) hit = hit || (request >= a && request <= b);
    if (!hit) continue;
    switch (s.kind) {
      case FhirFaultKind::k429:
      case FhirFaultKind::k429Date:
        h.http_status = 429;
        h.retry_after = s.arg;
        h.retry_after_date = s.kind == FhirFaultKind::k429Date;
        break;
      case FhirFaultKind::k503:
        h.http_status = 503;
        h.retry_after = s.arg;
        break;
      case FhirFaultKind::k500:
        h.http_status = 500;
        break;
      case FhirFaultKind::kHtml:
        h.html = true;
        break;
      case FhirFaultKind::kOutcomeWarning:
        h.outcome_warning = true;
        break;
      case FhirFaultKind::kNoNext:
        h.no_next = true;
        break;
      case FhirFaultKind::kDrop:
        h.drop = true;
        break;
      case FhirFaultKind::kExpireToken:
        h.expire_token = true;
        break;
      case FhirFaultKind::kExpireCursor:
        h.expire_cursor = true;
        break;
    }
  }
  return h;
}

}  // namespace custody::sim::fhir
