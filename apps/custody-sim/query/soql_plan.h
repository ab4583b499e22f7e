#pragma once
// A SOQL statement checked against the org's schemas: every field resolved to an index, every
// literal converted to the compared field's type. Built by Bind, run by Execute, rendered by the
// query result.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "model.h"
#include "query_engine.h"
#include "soql_ast.h"
#include "soql_parser.h"

namespace custody::sim::soql {

// A field of the queried object, or of a record reached through relationship fields.
struct FieldRef {
  struct Hop {
    int ref_index = -1;             // the reference field in the current object ("CreatedById")
    std::string relationship;       // schema case ("CreatedBy")
    const ObjectDef* target = nullptr;  // the object it points to; null when polymorphic
  };
  std::vector<Hop> hops;
  const ObjectDef* leaf_def = nullptr;  // object the leaf was found on
  int leaf_index = -1;                  // index into leaf_def->fields
  const FieldDef* leaf = nullptr;
  std::string dotted;                   // schema case: "CreatedBy.Name"
};

// A literal converted for one field. Dates and dateTimes are ranges [lo, hi) in days or ms: a
// point literal is [t, t + 1), a relative literal (TODAY, LAST_N_DAYS:n) its whole days.
struct Operand {
  bool is_null = false;
  std::string text;  // strings and ids
  std::string like;  // LIKE pattern with \% \_ \\ escapes
  double real = 0;
  int64_t integer = 0;
  bool is_integer = false;
  bool boolean = false;
  int64_t lo = 0;
  int64_t hi = 0;
};

struct Predicate {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::vector<Predicate> children;
  FieldRef field;
  CompareOp op = CompareOp::kEq;
  std::vector<Operand> operands;
};

struct SortKey {
  FieldRef field;
  bool descending = false;
  bool nulls_first = true;
};

struct Plan {
  const Table* table = nullptr;
  bool count = false;               // SELECT COUNT()
  std::vector<FieldRef> columns;    // the SELECT list, FIELDS(...) expanded
  std::optional<Predicate> where;
  std::vector<SortKey> order;
  std::optional<uint64_t> limit;
  uint64_t offset = 0;
};

// Checks `parsed` against the org's schemas with Salesforce's error codes and messages.
// `text` is the trimmed statement the spans refer to.
std::variant<Plan, SoqlError> Bind(const ParsedQuery& parsed, std::string_view text, const Org& org,
                                   const QueryOptions& options);

// Records reached through relationship fields during one scan or one page render, cached by id.
// Not thread-safe; one per call.
class RecordResolver {
 public:
  RecordResolver(const Org& org, TimeMs now) : org_(org), now_(now) {}
  const Record* Find(std::string_view id);
  // Call between rows: bounds the cache.
  void Trim() {
    if (cache_.size() > kMaxCached) cache_.clear();
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static constexpr size_t kMaxCached = 4096;
  const Org& org_;
  TimeMs now_;
  std::unordered_map<std::string, std::optional<Record>, Hash, std::equal_to<>> cache_;
};

// The value `ref` names on `row`: a pointer into `row` or a resolved record, or to a null Value
// when a relationship on the way is null or dangling. Valid until resolver.Trim().
const Value& ResolveField(const FieldRef& ref, const Record& row, RecordResolver& resolver);
// The value of the leaf field of `ref` on `rec`, a record of ref.leaf_def (or one found by name).
const Value& LeafValue(const FieldRef& ref, const Record& rec);
// The record the hops of `ref` lead to (the first `depth` hops), or null.
const Record* FollowHops(const FieldRef& ref, size_t depth, const Record& row, RecordResolver& resolver);

bool Evaluate(const Predicate& p, const Record& row, RecordResolver& resolver);

// Sort order of two non-null values of a field of `type`: <0, 0, >0.
int CompareValues(const Value& a, const Value& b, FieldType type);

}  // namespace custody::sim::soql
