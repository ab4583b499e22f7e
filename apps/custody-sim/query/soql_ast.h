#pragma once
// The parsed form of one SOQL statement, before it is checked against a schema. Every node keeps
// the byte span of its source text so errors can point at it the way Salesforce does.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace custody::sim::soql {

// Byte offsets [begin, end) into the statement text (after leading/trailing whitespace is trimmed).
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

// A dotted field reference as written: "CreatedBy.Profile.Name" -> {"CreatedBy", "Profile", "Name"}.
struct Path {
  std::vector<std::string> parts;
  std::vector<Span> part_spans;
  Span span;
};

enum class SelectKind { kField, kFieldsStandard, kFieldsAll, kFieldsCustom, kCount };

struct SelectItem {
  SelectKind kind = SelectKind::kField;
  Path path;  // kField
  Span span;
};

// Relative date literals; each denotes a range of whole UTC days around QueryOptions::now.
enum class RelativeDate { kToday, kYesterday, kTomorrow, kLastNDays, kNextNDays, kNDaysAgo };

struct Literal {
  enum class Kind { kString, kNumber, kBoolean, kNull, kDate, kDateTime, kRelative };
  Kind kind = Kind::kNull;
  Span span;
  std::string text;          // kString: decoded; also the raw token text for messages otherwise
  std::string like_pattern;  // kString: decoded, but \% \_ \\ kept escaped for LIKE
  double real = 0;           // kNumber
  int64_t integer = 0;       // kNumber when is_integer
  bool is_integer = false;
  bool boolean = false;      // kBoolean
  int64_t value = 0;         // kDate: days since epoch; kDateTime: ms since epoch (UTC)
  RelativeDate relative = RelativeDate::kToday;
  int64_t n = 0;             // kRelative with ":n"
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kIn, kNotIn };

struct Expr {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  Span span;
  std::vector<Expr> children;  // kAnd/kOr: two or more; kNot: one
  Span op_span;                // the operator: first AND/OR keyword, NOT, or the comparison
  // kCompare:
  Path field;
  CompareOp op = CompareOp::kEq;
  std::vector<Literal> values;  // one, or the IN list
};

struct OrderItem {
  enum class Nulls { kDefault, kFirst, kLast };
  Path path;
  bool descending = false;
  Nulls nulls = Nulls::kDefault;
  Span span;
};

// Spans of whole clauses, for the echo line of error messages.
struct Clauses {
  Span select;   // "SELECT ... <last item>"
  Span from;     // "SELECT ... FROM <object>"
  Span where;    // the condition after WHERE
  Span order_by; // the list after ORDER BY
  Span limit;    // the number after LIMIT
  Span offset;   // the number after OFFSET
};

struct Query {
  std::vector<SelectItem> select;
  std::string object;
  Span object_span;
  std::optional<Expr> where;
  std::vector<OrderItem> order_by;
  std::optional<uint64_t> limit;
  std::optional<uint64_t> offset;
  Span offset_span;
  Clauses clauses;
};

}  // namespace custody::sim::soql
