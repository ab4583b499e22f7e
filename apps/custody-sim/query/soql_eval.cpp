// Per-row semantics: relationship resolution, filter comparisons, sort comparisons.
//
// As in SOQL: text comparisons and LIKE ignore case; an id literal of 15 characters matches the
// first 15 of an 18-character id; "x != value" and "x NOT IN (...)" are true for null x; ordering
// comparisons with null are false.

#include <cmath>
#include <cstring>

#include "soql_plan.h"

namespace custody::sim::soql {
namespace {

char Fold(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int CompareIgnoreCase(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(Fold(a[i]));
    const auto y = static_cast<unsigned char>(Fold(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

template <typename T>
int Three(T a, T b) {
  return a < b ? -1 : b < a ? 1 : 0;
}

bool IsIdType(FieldType t) { return t == FieldType::kId || t == FieldType::kReference; }
bool IsDateType(FieldType t) { return t == FieldType::kDateTime || t == FieldType::kDate; }

size_t CodePointLength(std::string_view s, size_t i) {
  size_t n = 1;
  while (i + n < s.size() && (static_cast<unsigned char>(s[i + n]) & 0xC0) == 0x80) ++n;
  return n;
}

// SOQL LIKE: % any run, _ one character, backslash escapes, case-insensitive. Linear backtracking
// over the last %, so no pattern is exponential.
bool LikeMatch(std::string_view text, std::string_view pattern) {
  struct Element {
    enum Kind { kChar, kOne, kAny } kind;
    char c;
  };
  std::vector<Element> pat;
  pat.reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      pat.push_back({Element::kChar, pattern[++i]});
    } else if (c == '%') {
      if (pat.empty() || pat.back().kind != Element::kAny) pat.push_back({Element::kAny, 0});
    } else if (c == '_') {
      pat.push_back({Element::kOne, 0});
    } else {
      pat.push_back({Element::kChar, c});
    }
  }
  size_t p = 0;
  size_t t = 0;
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pat.size() && pat[p].kind == Element::kOne) {
      t += CodePointLength(text, t);
      ++p;
    } else if (p < pat.size() && pat[p].kind == Element::kChar && Fold(pat[p].c) == Fold(text[t])) {
      ++t;
      ++p;
    } else if (p < pat.size() && pat[p].kind == Element::kAny) {
      star_p = p++;
      star_t = t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p].kind == Element::kAny) ++p;
  return p == pat.size();
}

bool IdEquals(std::string_view value, std::string_view literal) {
  if (literal.empty() || value.size() < 15) return value == literal;
  if (literal.size() != 15 && literal.size() != 18) return value == literal;
  if (std::memcmp(value.data(), literal.data(), 15) != 0) return false;
  if (literal.size() == 15 || value.size() < 18) return true;
  return CompareIgnoreCase(value.substr(15, 3), literal.substr(15, 3)) == 0;
}

bool Holds(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kEq: return c == 0;
    case CompareOp::kNe: return c != 0;
    case CompareOp::kLt: return c < 0;
    case CompareOp::kLe: return c <= 0;
    case CompareOp::kGt: return c > 0;
    case CompareOp::kGe: return c >= 0;
    default: return false;
  }
}

// One comparison "value op operand" for op in = != < <= > >= LIKE.
bool CompareOne(const Value& v, CompareOp op, const Operand& o, FieldType type) {
  if (o.is_null) {
    if (op == CompareOp::kEq) return v.is_null();
    if (op == CompareOp::kNe) return !v.is_null();
    return false;
  }
  if (v.is_null()) return op == CompareOp::kNe;
  if (IsDateType(type)) {
    if (v.kind != Value::Kind::kDateTime && v.kind != Value::Kind::kDate && v.kind != Value::Kind::kInt) {
      return op == CompareOp::kNe;
    }
    const int64_t x = v.number;
    switch (op) {
      case CompareOp::kEq: return x >= o.lo && x < o.hi;
      case CompareOp::kNe: return x < o.lo || x >= o.hi;
      case CompareOp::kLt: return x < o.lo;
      case CompareOp::kLe: return x < o.hi;
      case CompareOp::kGt: return x >= o.hi;
      case CompareOp::kGe: return x >= o.lo;
      default: return false;
    }
  }
  switch (v.kind) {
    case Value::Kind::kString:
      if (op == CompareOp::kLike) return LikeMatch(v.text, o.like);
      if (IsIdType(type)) {
        if (op == CompareOp::kEq) return IdEquals(v.text, o.text);
        if (op == CompareOp::kNe) return !IdEquals(v.text, o.text);
        return Holds(op, v.text.compare(o.text) < 0 ? -1 : v.text.compare(o.text) > 0 ? 1 : 0);
      }
      return Holds(op, CompareIgnoreCase(v.text, o.text));
    case Value::Kind::kBoolean:
      return Holds(op, Three<int>(v.number != 0, o.boolean));
    case Value::Kind::kInt:
      if (o.is_integer) return Holds(op, Three(v.number, o.integer));
      return Holds(op, Three(static_cast<double>(v.number), o.real));
    case Value::Kind::kDouble:
      if (std::isnan(v.real) || std::isnan(o.real)) return op == CompareOp::kNe;
      return Holds(op, Three(v.real, o.real));
    default:
      return op == CompareOp::kNe;
  }
}

const Value& NullValue() {
  static const Value kNull;
  return kNull;
}

}  // namespace

const Value& LeafValue(const FieldRef& ref, const Record& rec) {
  const auto i = static_cast<size_t>(ref.leaf_index);
  if ((rec.def == ref.leaf_def || rec.def == nullptr) && ref.leaf_index >= 0 && i < rec.values.size()) {
    return rec.values[i];
  }
  const Value* v = rec.Get(ref.leaf->name);
  return v == nullptr ? NullValue() : *v;
}

const Record* RecordResolver::Find(std::string_view id) {
  auto it = cache_.find(id);
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(id), org_.FindById(id, now_)).first;
  }
  return it->second ? &*it->second : nullptr;
}

const Record* FollowHops(const FieldRef& ref, size_t depth, const Record& row, RecordResolver& resolver) {
  const Record* rec = &row;
  for (size_t h = 0; h < depth && h < ref.hops.size(); ++h) {
    const auto i = static_cast<size_t>(ref.hops[h].ref_index);
    if (ref.hops[h].ref_index < 0 || i >= rec->values.size()) return nullptr;
    const Value& id = rec->values[i];
    if (id.kind != Value::Kind::kString || id.text.empty()) return nullptr;
    rec = resolver.Find(id.text);
    if (rec == nullptr) return nullptr;
  }
  return rec;
}

const Value& ResolveField(const FieldRef& ref, const Record& row, RecordResolver& resolver) {
  if (ref.hops.empty()) return LeafValue(ref, row);
  const Record* rec = FollowHops(ref, ref.hops.size(), row, resolver);
  return rec == nullptr ? NullValue() : LeafValue(ref, *rec);
}

bool Evaluate(const Predicate& p, const Record& row, RecordResolver& resolver) {
  switch (p.kind) {
    case Predicate::Kind::kAnd:
      for (const Predicate& c : p.children) {
        if (!Evaluate(c, row, resolver)) return false;
      }
      return true;
    case Predicate::Kind::kOr:
      for (const Predicate& c : p.children) {
        if (Evaluate(c, row, resolver)) return true;
      }
      return false;
    case Predicate::Kind::kNot:
      return !Evaluate(p.children.front(), row, resolver);
    case Predicate::Kind::kCompare:
      break;
  }
  const Value& v = ResolveField(p.field, row, resolver);
  const FieldType type = p.field.leaf->type;
  if (p.op == CompareOp::kIn || p.op == CompareOp::kNotIn) {
    bool found = false;
    for (const Operand& o : p.operands) {
      if (CompareOne(v, CompareOp::kEq, o, type)) {
        found = true;
        break;
      }
    }
    return p.op == CompareOp::kIn ? found : !found;
  }
  return CompareOne(v, p.op, p.operands.front(), type);
}

int CompareValues(const Value& a, const Value& b, FieldType type) {
  if (a.kind == Value::Kind::kString || b.kind == Value::Kind::kString) {
    if (a.kind != b.kind) return a.kind == Value::Kind::kString ? 1 : -1;
    if (IsIdType(type)) return Three(a.text.compare(b.text), 0);
    return CompareIgnoreCase(a.text, b.text);
  }
  if (a.kind == Value::Kind::kDouble || b.kind == Value::Kind::kDouble) {
    const double x = a.kind == Value::Kind::kDouble ? a.real : static_cast<double>(a.number);
    const double y = b.kind == Value::Kind::kDouble ? b.real : static_cast<double>(b.number);
    if (std::isnan(x) || std::isnan(y)) return Three<int>(std::isnan(x), std::isnan(y));
    return Three(x, y);
  }
  return Three(a.number, b.number);
}

}  // namespace custody::sim::soql
