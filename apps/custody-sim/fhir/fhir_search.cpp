#include "fhir/fhir_search.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace custody::sim::fhir {
namespace {

enum class ParamKind { kDate, kToken, kReference, kString, kStringToken, kId };

struct ParamDef {
  const char* name;
  ParamKind kind;
  bool r4;
  bool r5;
};

constexpr ParamDef kParams[] = {
    {"_id", ParamKind::kId, true, true},
    {"_lastUpdated", ParamKind::kDate, true, true},
    {"date", ParamKind::kDate, true, true},
    {"type", ParamKind::kToken, true, false},
    {"subtype", ParamKind::kToken, true, false},
    {"category", ParamKind::kToken, false, true},
    {"code", ParamKind::kToken, false, true},
    {"action", ParamKind::kToken, true, true},
    {"outcome", ParamKind::kToken, true, true},
    {"patient", ParamKind::kReference, true, true},
    {"agent", ParamKind::kReference, true, true},
    {"entity", ParamKind::kReference, true, true},
    {"address", ParamKind::kString, true, false},
    {"site", ParamKind::kStringToken, true, false},
};

const ParamDef* FindParam(std::string_view name, bool r5) {
  for (const ParamDef& p : kParams) {
    if (name == p.name && (r5 ? p.r5 : p.r4)) return &p;
  }
  return nullptr;
}

// Result-control parameters the server accepts and keeps in the self link.
bool IsControl(std::string_view name) {
  return name == "_count" || name == "_sort" || name == "_total" || name == "_format" || name == "_pretty" ||
         name == "_summary";
}

std::vector<std::string> SplitComma(const std::string& v) {
  // FHIR escapes a literal comma in a value as "\,".
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size() && v[i + 1] == ',') {
      cur.push_back(',');
      ++i;
    } else if (v[i] == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(v[i]);
    }
  }
  out.push_back(cur);
  return out;
}

bool ParseDateValue(const std::string& text, DateValue* out, std::string* why) {
  static const char* kPrefixes[] = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"};
  std::string_view v = text;
  out->prefix = "eq";
  if (v.size() >= 2 && std::isalpha(static_cast<unsigned char>(v[0]))) {
    bool known = false;
    for (const char* p : kPrefixes) {
      if (v.substr(0, 2) == p) known = true;
    }
    if (!known) {
      *why = "unknown prefix '" + std::string(v.substr(0, 2)) + "'";
      return false;
    }
    out->prefix = std::string(v.substr(0, 2));
    v = v.substr(2);
  }
  return ParseFhirTime(v, &out->range, why);
}

bool DateMatches(const DateValue& d, int64_t lo, int64_t hi) {
  const TimeRange& p = d.range;
  const std::string& x = d.prefix;
  if (x == "eq") return lo >= p.lo && hi <= p.hi;
  if (x == "ne") return !(lo >= p.lo && hi <= p.hi);
  if (x == "gt") return hi > p.hi;
  if (x == "lt") return lo < p.lo;
  if (x == "ge") return hi > p.lo;
  if (x == "le") return lo < p.hi;
  if (x == "sa") return lo >= p.hi;
  if (x == "eb") return hi <= p.lo;
  // ap: the value's range widened by a day on either side overlaps the target.
  return lo < p.hi + kUsPerDay && hi > p.lo - kUsPerDay;
}

bool AnyDate(const std::vector<DateValue>& alts, int64_t lo, int64_t hi) {
  for (const DateValue& d : alts) {
    if (DateMatches(d, lo, hi)) return true;
  }
  return false;
}

TokenValue ParseToken(const std::string& v) {
  TokenValue t;
  const size_t bar = v.find('|');
  if (bar == std::string::npos) {
    t.code = v;
  } else {
    t.has_system = true;
    t.system = v.substr(0, bar);
    t.code = v.substr(bar + 1);
  }
  return t;
}

bool TokenMatches(const TokenValue& t, const Coding& c) {
  if (c.code.empty()) return false;
  if (t.has_system) {
    if (t.system != c.system) return false;
    return t.code.empty() || t.code == c.code;
  }
  return t.code == c.code;
}

bool AnyToken(const std::vector<TokenValue>& alts, const std::vector<Coding>& codings) {
  for (const TokenValue& t : alts) {
    for (const Coding& c : codings) {
      if (TokenMatches(t, c)) return true;
    }
  }
  return false;
}

// A reference search value against stored references ("Type/id").
bool RefMatches(const std::string& value, const std::string& ref) {
  if (value.find('/') != std::string::npos) return value == ref;
  const size_t slash = ref.rfind('/');
  return slash != std::string::npos && ref.compare(slash + 1, std::string::npos, value) == 0;
}

bool AnyRef(const std::vector<std::string>& alts, const std::vector<std::string>& refs) {
  for (const std::string& v : alts) {
    for (const std::string& r : refs) {
      if (RefMatches(v, r)) return true;
    }
  }
  return false;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool AnyStringPrefix(const std::vector<std::string>& alts, const std::vector<std::string>& values) {
  for (const std::string& a : alts) {
    const std::string la = Lower(a);
    for (const std::string& v : values) {
      if (Lower(v).rfind(la, 0) == 0) return true;
    }
  }
  return false;
}

bool NeedsFacts(const SearchQuery& q) {
  return !q.type.empty() || !q.subtype.empty() || !q.action.empty() || !q.outcome.empty() || !q.patient.empty() ||
         !q.agent.empty() || !q.entity.empty() || !q.address.empty() || !q.site.empty();
}

bool MatchFacts(const SearchQuery& q, const SearchFacts& f) {
  for (const auto& alts : q.type) {
    if (!AnyToken(alts, f.type)) return false;
  }
  for (const auto& alts : q.subtype) {
    if (!AnyToken(alts, f.subtype)) return false;
  }
  for (const auto& alts : q.action) {
    if (!AnyToken(alts, {f.action})) return false;
  }
  for (const auto& alts : q.outcome) {
    if (!AnyToken(alts, {f.outcome})) return false;
  }
  for (const auto& alts : q.patient) {
    if (!AnyRef(alts, f.patient)) return false;
  }
  for (const auto& alts : q.agent) {
    if (!AnyRef(alts, f.agent)) return false;
  }
  for (const auto& alts : q.entity) {
    if (!AnyRef(alts, f.entity)) return false;
  }
  for (const auto& alts : q.address) {
    if (!AnyStringPrefix(alts, f.address)) return false;
  }
  for (const auto& alts : q.site) {
    if (std::find(alts.begin(), alts.end(), f.site) == alts.end()) return false;
  }
  return true;
}

}  // namespace

bool IsPagingParam(const std::string& name) {
  return name == "_offset" || name == "_cursor" || name == "_getpages" || name == "_getpagesoffset" ||
         name == "_bundletype";
}

std::string PercentEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/' || c == '|' ||
        c == ',') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string EncodeParams(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncode(k) + "=" + PercentEncode(v);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> SupportedParams(bool r5) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const ParamDef& p : kParams) {
    if (!(r5 ? p.r5 : p.r4)) continue;
    const char* type = p.kind == ParamKind::kDate        ? "date"
                       : p.kind == ParamKind::kReference ? "reference"
                       : p.kind == ParamKind::kString    ? "string"
                                                          : "token";
    out.emplace_back(p.name, type);
  }
  return out;
}

bool ParseSearch(const Params& params, const SearchLimits& limits, SearchQuery* q, SearchError* error) {
  auto fail = [&](std::string code, std::string diagnostics, std::string severity = "error") {
    error->status = 400;
    error->code = std::move(code);
    error->diagnostics = std::move(diagnostics);
    error->severity = std::move(severity);
    return false;
  };
  q->count = limits.default_count;
  for (const auto& [raw_name, value] : params) {
    if (IsPagingParam(raw_name)) continue;
    std::string name = raw_name;
    std::string modifier;
    if (const size_t colon = name.find(':'); colon != std::string::npos) {
      modifier = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (IsControl(name)) {
      if (!modifier.empty()) return fail("invalid", "The \"" + name + "\" parameter takes no modifier");
      if (name == "_count") {
        int n = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || p != value.data() + value.size() || n < 0) {
          if (ec == std::errc::result_out_of_range && !value.empty() && value[0] != '-') {
            n = limits.max_count;
          } else {
            return fail("invalid", "Invalid _count value \"" + value + "\": expected a whole number >= 0");
          }
        }
        q->count_only = n == 0;
        q->count = std::min(n, limits.max_count);
        continue;  // the server writes the clamped _count itself
      }
      if (name == "_sort") {
        const std::string first = SplitComma(value).front();
        if (first == "date") q->sort = SortKey::kRecordedAsc;
        else if (first == "-date") q->sort = SortKey::kRecordedDesc;
        else if (first == "_lastUpdated") q->sort = SortKey::kLastUpdatedAsc;
        else if (first == "-_lastUpdated") q->sort = SortKey::kLastUpdatedDesc;
        else return fail("invalid", "Unknown _sort value \"" + value + "\": supported are date, -date, _lastUpdated, -_lastUpdated");
      } else if (name == "_summary") {
        if (value == "count") q->count_only = true;
        else if (value != "false") return fail("not-supported", "_summary=" + value + " is not supported by this server");
      } else if (name == "_format") {
        if (value.find("json") == std::string::npos) {
          error->status = 406;
          error->code = "not-supported";
          error->diagnostics = "_format " + value + " is not supported: this server answers application/fhir+json";
          error->severity = "error";
          return false;
        }
      }
      q->kept.emplace_back(raw_name, value);
      continue;
    }
    const ParamDef* def = FindParam(name, limits.r5);
    if (def == nullptr) {
      if (limits.strict) {
        std::string valid;
        for (const auto& [n, t] : SupportedParams(limits.r5)) valid += (valid.empty() ? "" : ", ") + n;
        return fail("not-supported", "Unknown search parameter \"" + name + "\" for resource type \"AuditEvent\". "
                                     "Valid search parameters for this search are: [" + valid + "]");
      }
      q->ignored.push_back(raw_name);
      continue;
    }
    if (!modifier.empty()) {
      // As the R4 example OperationOutcome-searchfail says it.
      return fail("code-invalid", "The \"" + name + "\" parameter has the modifier \"" + modifier +
                                      "\" which is not supported by this server", "fatal");
    }
    const std::vector<std::string> values = SplitComma(value);
    switch (def->kind) {
      case ParamKind::kDate: {
        std::vector<DateValue> alts;
        for (const std::string& v : values) {
          DateValue d;
          std::string why;
          if (!ParseDateValue(v, &d, &why)) {
            return fail("invalid", "Invalid date/time format: \"" + v + "\" for parameter " + name + ": " + why);
          }
          alts.push_back(d);
        }
        (name == "date" ? q->date : q->last_updated).push_back(std::move(alts));
        break;
      }
      case ParamKind::kToken: {
        std::vector<TokenValue> alts;
        for (const std::string& v : values) alts.push_back(ParseToken(v));
        if (name == "type" || name == "category") q->type.push_back(std::move(alts));
        else if (name == "subtype" || name == "code") q->subtype.push_back(std::move(alts));
        else if (name == "action") q->action.push_back(std::move(alts));
        else q->outcome.push_back(std::move(alts));
        break;
      }
      case ParamKind::kReference: {
        std::vector<std::string> alts;
        for (std::string v : values) {
          if (!limits.base_url.empty() && v.rfind(limits.base_url + "/", 0) == 0) v = v.substr(limits.base_url.size() + 1);
          if (name == "patient" && v.find('/') == std::string::npos) v = "Patient/" + v;
          alts.push_back(v);
        }
        (name == "patient" ? q->patient : name == "agent" ? q->agent : q->entity).push_back(std::move(alts));
        break;
      }
      case ParamKind::kString:
        q->address.push_back(values);
        break;
      case ParamKind::kStringToken:
        q->site.push_back(values);
        break;
      case ParamKind::kId:
        q->id.push_back(values);
        break;
    }
    q->kept.emplace_back(raw_name, value);
  }
  return true;
}

std::vector<uint32_t> RunSearch(const SearchQuery& q, const EventStore& store) {
  // Narrow by recorded first: every recorded range is at most a second wide, so bounds on the
  // range's low end follow from each single-valued date parameter.
  int64_t lower = INT64_MIN, upper = INT64_MAX;
  for (const auto& alts : q.date) {
    if (alts.size() != 1) continue;
    const DateValue& d = alts[0];
    const TimeRange& p = d.range;
    if (d.prefix == "ge") lower = std::max(lower, p.lo - kUsPerSecond);
    else if (d.prefix == "gt") lower = std::max(lower, p.hi - kUsPerSecond);
    else if (d.prefix == "sa") lower = std::max(lower, p.hi);
    else if (d.prefix == "lt") upper = std::min(upper, p.lo);
    else if (d.prefix == "le") upper = std::min(upper, p.hi);
    else if (d.prefix == "eb") upper = std::min(upper, p.lo);
    else if (d.prefix == "eq") {
      lower = std::max(lower, p.lo);
      upper = std::min(upper, p.hi);
    }
  }
  const std::vector<uint32_t>& order = store.by_recorded();
  auto less_lo = [&store](uint32_t pos, int64_t t) { return store.at(pos).recorded_lo < t; };
  auto begin = lower == INT64_MIN ? order.begin() : std::lower_bound(order.begin(), order.end(), lower, less_lo);
  auto end = upper == INT64_MAX ? order.end() : std::lower_bound(begin, order.end(), upper, less_lo);
  const bool facts = NeedsFacts(q);
  std::vector<uint32_t> out;
  for (auto it = begin; it < end; ++it) {
    const uint32_t pos = *it;
    const StoredEvent& e = store.at(pos);
    bool ok = true;
    for (const auto& alts : q.date) {
      if (!AnyDate(alts, e.recorded_lo, e.recorded_hi)) {
        ok = false;
        break;
      }
    }
    for (size_t i = 0; ok && i < q.last_updated.size(); ++i) {
      // An event without meta.lastUpdated has no value: it never matches.
      ok = e.last_updated_ms != kNoLastUpdated &&
           AnyDate(q.last_updated[i], e.last_updated_ms * 1000, e.last_updated_ms * 1000 + 1000);
    }
    for (size_t i = 0; ok && i < q.id.size(); ++i) {
      const std::string id = store.Id(pos);
      ok = std::find(q.id[i].begin(), q.id[i].end(), id) != q.id[i].end();
    }
    if (ok && facts) ok = MatchFacts(q, store.Facts(pos));
    if (ok) out.push_back(pos);
  }
  switch (q.sort) {
    case SortKey::kRecordedAsc:
      break;
    case SortKey::kRecordedDesc:
      std::reverse(out.begin(), out.end());
      break;
    case SortKey::kLastUpdatedAsc:
    case SortKey::kLastUpdatedDesc: {
      const bool desc = q.sort == SortKey::kLastUpdatedDesc;
      // Events without meta.lastUpdated sort last either way.
      std::stable_sort(out.begin(), out.end(), [&store, desc](uint32_t a, uint32_t b) {
        const int64_t x = store.at(a).last_updated_ms, y = store.at(b).last_updated_ms;
        if ((x == kNoLastUpdated) != (y == kNoLastUpdated)) return y == kNoLastUpdated;
        if (x == y) return a < b;
        return desc ? x > y : x < y;
      });
      break;
    }
  }
  return out;
}

}  // namespace custody::sim::fhir
