// Schema checks, in Salesforce's order: the object, the SELECT list, WHERE, ORDER BY, LIMIT/OFFSET.

#include <algorithm>
#include <set>

#include "soql_errors.h"
#include "soql_plan.h"

namespace custody::sim::soql {
namespace {

constexpr int64_t kDayMs = 86400000;
constexpr uint64_t kMaxOffset = 2000;
constexpr uint64_t kMaxFieldsFunctionLimit = 200;

enum class TypeClass { kString, kId, kBoolean, kNumber, kDateTime, kDate };

TypeClass Classify(FieldType t) {
  switch (t) {
    case FieldType::kId:
    case FieldType::kReference: return TypeClass::kId;
    case FieldType::kBoolean: return TypeClass::kBoolean;
    case FieldType::kInt:
    case FieldType::kDouble: return TypeClass::kNumber;
    case FieldType::kDateTime: return TypeClass::kDateTime;
    case FieldType::kDate: return TypeClass::kDate;
    default: return TypeClass::kString;
  }
}

// The SOAP type name Salesforce uses in "must be of type ..." messages.
std::string_view TypeName(FieldType t) {
  switch (t) {
    case FieldType::kId:
    case FieldType::kReference: return "id";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kInt: return "int";
    case FieldType::kDouble: return "double";
    case FieldType::kDateTime: return "dateTime";
    case FieldType::kDate: return "date";
    case FieldType::kAnyType: return "anyType";
    case FieldType::kBase64: return "base64";
    default: return "string";
  }
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

bool IsIdLiteral(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() != 15 && s.size() != 18) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

class Binder {
 public:
  Binder(const ParsedQuery& parsed, std::string_view text, const Org& org, const QueryOptions& options)
      : parsed_(parsed), q_(parsed.query), source_(text), org_(org), options_(options) {}

  std::variant<Plan, SoqlError> Run() {
    if (!BindObject() || !BindSelect() || !BindWhere() || !BindOrderBy() || !BindLimits()) {
      if (!error_) return MakeError(kMalformedQuery, "unsupported query");
      return std::move(*error_);
    }
    return std::move(plan_);
  }

 private:
  bool Fail(std::string_view code, uint32_t at, Span clause, std::string_view detail) {
    error_ = MakeError(code, source_.CaretMessage(at, clause, detail));
    return false;
  }

  bool BindObject() {
    const Table* table = org_.FindTable(q_.object);
    if (table == nullptr || !table->def().queryable) {
      return Fail(kInvalidType, q_.object_span.begin, q_.clauses.from,
                  "sObject type '" + q_.object +
                      "' is not supported. If you are attempting to use a custom object, be sure to append the "
                      "'__c' after the entity name. Please reference your WSDL or the describe call for the "
                      "appropriate names.");
    }
    plan_.table = table;
    def_ = &table->def();
    return true;
  }

  bool BindSelect() {
    if (!parsed_.aggregate.empty()) {
      return Fail(kMalformedQuery, parsed_.aggregate_span.begin, q_.clauses.select,
                  "aggregate function " + parsed_.aggregate + " is not supported on entity '" + def_->name +
                      "'; only COUNT() is supported");
    }
    std::set<std::string> seen;
    auto add = [&](FieldRef ref, Span at) {
      if (!seen.insert(Lower(ref.dotted)).second) {
        return Fail(kMalformedQuery, at.begin, q_.clauses.select, "duplicate field selected: " + ref.dotted);
      }
      plan_.columns.push_back(std::move(ref));
      return true;
    };
    for (const SelectItem& item : q_.select) {
      switch (item.kind) {
        case SelectKind::kCount:
          if (q_.select.size() != 1) {
            return Fail(kMalformedQuery, item.span.begin, q_.clauses.select,
                        "COUNT() must be the only element in the SELECT list");
          }
          plan_.count = true;
          break;
        case SelectKind::kField: {
          FieldRef ref;
          if (!ResolvePath(item.path, q_.clauses.select, &ref)) return false;
          if (!add(std::move(ref), item.span)) return false;
          break;
        }
        case SelectKind::kFieldsStandard:
        case SelectKind::kFieldsAll:
        case SelectKind::kFieldsCustom: {
          if (item.kind != SelectKind::kFieldsStandard && (!q_.limit || *q_.limit > kMaxFieldsFunctionLimit)) {
            return Fail(kMalformedQuery, item.span.begin, q_.clauses.select,
                        "The SOQL FIELDS function must have a LIMIT of at most 200");
          }
          for (size_t i = 0; i < def_->fields.size(); ++i) {
            const FieldDef& f = def_->fields[i];
            const bool wanted = item.kind == SelectKind::kFieldsAll ||
                                (item.kind == SelectKind::kFieldsStandard) == f.standard;
            if (!wanted) continue;
            FieldRef ref;
            ref.leaf_def = def_;
            ref.leaf_index = static_cast<int>(i);
            ref.leaf = &f;
            ref.dotted = f.name;
            if (!add(std::move(ref), item.span)) return false;
          }
          break;
        }
      }
    }
    return true;
  }

  // Resolves a dotted path from the queried object; INVALID_FIELD when a part does not exist.
  bool ResolvePath(const Path& path, Span clause, FieldRef* out) {
    const ObjectDef* current = def_;
    for (size_t i = 0; i + 1 < path.parts.size(); ++i) {
      const std::string& name = path.parts[i];
      const FieldDef* ref_field = nullptr;
      if (current != nullptr) {
        for (const FieldDef& f : current->fields) {
          if (f.type == FieldType::kReference && !f.relationship_name.empty() &&
              EqualsIgnoreCase(f.relationship_name, name)) {
            ref_field = &f;
            break;
          }
        }
      }
      const ObjectDef* target = nullptr;
      if (ref_field != nullptr) {
        for (const std::string& to : ref_field->reference_to) {
          if (const Table* t = org_.FindTable(to); t != nullptr) {
            target = &t->def();
            break;
          }
        }
      }
      if (target == nullptr) {
        return Fail(kInvalidField, path.span.begin, clause,
                    "Didn't understand relationship '" + name +
                        "' in field path. If you are attempting to use a custom relationship, be sure to append "
                        "the '__r' after the custom relationship name. Please reference your WSDL or the describe "
                        "call for the appropriate names.");
      }
      FieldRef::Hop hop;
      hop.ref_index = current->IndexOf(ref_field->name);
      hop.relationship = ref_field->relationship_name;
      const bool polymorphic = ref_field->reference_to.size() > 1;
      hop.target = polymorphic ? nullptr : target;
      out->hops.push_back(std::move(hop));
      out->dotted += ref_field->relationship_name + ".";
      // A polymorphic relationship ends the path: only the target's own fields are reachable.
      current = polymorphic && i + 2 < path.parts.size() ? nullptr : target;
    }
    const std::string& leaf_name = path.parts.back();
    const FieldDef* leaf = current == nullptr ? nullptr : current->Find(leaf_name);
    if (leaf == nullptr) {
      return Fail(kInvalidField, path.span.begin, clause,
                  "No such column '" + leaf_name + "' on entity '" + current->name +
                      "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom "
                      "field name. Please reference your WSDL or the describe call for the appropriate names.");
    }
    out->leaf_def = current;
    out->leaf_index = current->IndexOf(leaf->name);
    out->leaf = leaf;
    out->dotted += leaf->name;
    return true;
  }

  // ---- WHERE ----

  bool BindWhere() {
    if (!q_.where) return true;
    if (def_->rule != QueryRule::kGeneral && !CheckConjunctive(*q_.where)) return false;
    Predicate p;
    if (!BindExpr(*q_.where, &p)) return false;
    if (def_->rule == QueryRule::kBigObjectIndex && !CheckIndexPrefix(*q_.where)) return false;
    plan_.where = std::move(p);
    return true;
  }

  // Event storage and big objects take AND-ed comparisons only.
  bool CheckConjunctive(const Expr& e) {
    if (e.kind == Expr::Kind::kAnd) {
      for (const Expr& c : e.children) {
        if (!CheckConjunctive(c)) return false;
      }
      return true;
    }
    if (e.kind == Expr::Kind::kCompare) return true;
    return Fail(kInvalidFilterOperator, e.op_span.begin, q_.clauses.where,
                std::string(e.kind == Expr::Kind::kOr ? "OR" : "NOT") + " is not supported in filters on " + def_->name +
                    ": " + RuleDescription());
  }

  std::string RuleDescription() const {
    if (def_->rule == QueryRule::kEventStorage) {
      return def_->name + " can only be filtered on " + EventDateName() +
             " with =, <, <=, > or >= joined by AND";
    }
    return def_->name + " can only be filtered on its index fields in index order (" +
           JoinNames(def_->index_fields) +
           ") joined by AND, with = on every field before the last one filtered and =, <, <=, > or >= on the last";
  }

  std::string EventDateName() const {
    if (const FieldDef* f = def_->Find("EventDate"); f != nullptr) return f->name;
    return def_->order_field;
  }

  bool BindExpr(const Expr& e, Predicate* out) {
    switch (e.kind) {
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr:
        out->kind = e.kind == Expr::Kind::kAnd ? Predicate::Kind::kAnd : Predicate::Kind::kOr;
        for (const Expr& c : e.children) {
          Predicate child;
          if (!BindExpr(c, &child)) return false;
          out->children.push_back(std::move(child));
        }
        return true;
      case Expr::Kind::kNot: {
        out->kind = Predicate::Kind::kNot;
        Predicate child;
        if (!BindExpr(e.children.front(), &child)) return false;
        out->children.push_back(std::move(child));
        return true;
      }
      case Expr::Kind::kCompare:
        return BindCompare(e, out);
    }
    return false;
  }

  bool BindCompare(const Expr& e, Predicate* out) {
    const Span clause = q_.clauses.where;
    out->kind = Predicate::Kind::kCompare;
    out->op = e.op;
    if (!ResolvePath(e.field, clause, &out->field)) return false;
    const FieldDef& f = *out->field.leaf;
    const bool range_op = e.op == CompareOp::kEq || e.op == CompareOp::kLt || e.op == CompareOp::kLe ||
                          e.op == CompareOp::kGt || e.op == CompareOp::kGe;
    if (def_->rule == QueryRule::kEventStorage) {
      if (!out->field.hops.empty() || !EqualsIgnoreCase(f.name, EventDateName())) {
        return Fail(kMalformedQuery, e.field.span.begin, clause,
                    "field '" + out->field.dotted + "' can not be filtered in a query on " + def_->name + ": " +
                        RuleDescription());
      }
      if (!range_op) return Fail(kInvalidFilterOperator, e.op_span.begin, clause, RuleDescription());
    }
    if (def_->rule == QueryRule::kBigObjectIndex) {
      const bool indexed = out->field.hops.empty() &&
                           std::any_of(def_->index_fields.begin(), def_->index_fields.end(),
                                       [&](const std::string& n) { return EqualsIgnoreCase(n, f.name); });
      if (!indexed) {
        return Fail(kMalformedQuery, e.field.span.begin, clause,
                    "field '" + out->field.dotted + "' can not be filtered in a query on " + def_->name + ": " +
                        RuleDescription());
      }
      if (!range_op) return Fail(kMalformedQuery, e.op_span.begin, clause, RuleDescription());
    }
    if (!f.filterable) {
      return Fail(kInvalidField, e.field.span.begin, clause,
                  "field '" + f.name + "' can not be filtered in a query call");
    }
    const TypeClass type = Classify(f.type);
    const bool ordering_op =
        e.op == CompareOp::kLt || e.op == CompareOp::kLe || e.op == CompareOp::kGt || e.op == CompareOp::kGe;
    if ((e.op == CompareOp::kLike && type != TypeClass::kString) || (ordering_op && type == TypeClass::kBoolean)) {
      return Fail(kInvalidFilterOperator, e.op_span.begin, clause,
                  "invalid operator on " + std::string(TypeName(f.type)) + " field");
    }
    for (const Literal& lit : e.values) {
      Operand op;
      if (!BindLiteral(lit, f, type, e.op, &op)) return false;
      out->operands.push_back(std::move(op));
    }
    return true;
  }

  bool TypeMismatch(const Literal& lit, const FieldDef& f, TypeClass type) {
    const bool quoted = type == TypeClass::kString || type == TypeClass::kId;
    return Fail(kInvalidField, lit.span.begin, q_.clauses.where,
                "value of filter criterion for field '" + f.name + "' must be of type " +
                    std::string(TypeName(f.type)) + " and should " + (quoted ? "" : "not ") +
                    "be enclosed in quotes");
  }

  bool BindLiteral(const Literal& lit, const FieldDef& f, TypeClass type, CompareOp op, Operand* out) {
    if (lit.kind == Literal::Kind::kNull) {
      if (op == CompareOp::kLike) return TypeMismatch(lit, f, type);
      out->is_null = true;
      return true;
    }
    switch (type) {
      case TypeClass::kString:
      case TypeClass::kId:
        if (lit.kind != Literal::Kind::kString) return TypeMismatch(lit, f, type);
        if (type == TypeClass::kId && !IsIdLiteral(lit.text)) {
          return Fail(kInvalidFilterOperator, lit.span.begin, q_.clauses.where, "invalid ID field: " + lit.text);
        }
        out->text = lit.text;
        out->like = lit.like_pattern;
        return true;
      case TypeClass::kBoolean:
        if (lit.kind != Literal::Kind::kBoolean) return TypeMismatch(lit, f, type);
        out->boolean = lit.boolean;
        return true;
      case TypeClass::kNumber:
        if (lit.kind != Literal::Kind::kNumber) return TypeMismatch(lit, f, type);
        out->real = lit.real;
        out->integer = lit.integer;
        out->is_integer = lit.is_integer;
        return true;
      case TypeClass::kDateTime:
      case TypeClass::kDate: {
        const bool datetime = type == TypeClass::kDateTime;
        if (lit.kind == Literal::Kind::kRelative) {
          int64_t lo = 0;
          int64_t hi = 0;
          RelativeDays(lit, &lo, &hi);
          out->lo = datetime ? lo * kDayMs : lo;
          out->hi = datetime ? hi * kDayMs : hi;
          return true;
        }
        if (lit.kind != (datetime ? Literal::Kind::kDateTime : Literal::Kind::kDate)) {
          return TypeMismatch(lit, f, type);
        }
        out->lo = lit.value;
        out->hi = lit.value + 1;
        return true;
      }
    }
    return TypeMismatch(lit, f, type);
  }

  // The whole UTC days [lo, hi) a relative literal covers, counted from options.now.
  void RelativeDays(const Literal& lit, int64_t* lo, int64_t* hi) const {
    const int64_t today = FloorDiv(options_.now, kDayMs);
    switch (lit.relative) {
      case RelativeDate::kToday: *lo = today; *hi = today + 1; break;
      case RelativeDate::kYesterday: *lo = today - 1; *hi = today; break;
      case RelativeDate::kTomorrow: *lo = today + 1; *hi = today + 2; break;
      case RelativeDate::kLastNDays: *lo = today - lit.n; *hi = today + 1; break;
      case RelativeDate::kNextNDays: *lo = today + 1; *hi = today + 1 + lit.n; break;
      case RelativeDate::kNDaysAgo: *lo = today - lit.n; *hi = today - lit.n + 1; break;
    }
  }

  // Big objects: the filtered fields must be a prefix of the index, = on all but the last.
  bool CheckIndexPrefix(const Expr& where) {
    std::vector<const Expr*> compares;
    CollectCompares(where, &compares);
    const std::vector<std::string>& index = def_->index_fields;
    auto position = [&](const Expr* e) {
      for (size_t i = 0; i < index.size(); ++i) {
        if (EqualsIgnoreCase(index[i], e->field.parts.back())) return i;
      }
      return index.size();
    };
    size_t used = 0;  // filtered prefix length
    for (const Expr* e : compares) used = std::max(used, position(e) + 1);
    for (size_t i = 0; i < used; ++i) {
      const bool filtered = std::any_of(compares.begin(), compares.end(), [&](const Expr* e) { return position(e) == i; });
      if (!filtered) {
        const Expr* beyond = *std::find_if(compares.begin(), compares.end(), [&](const Expr* e) { return position(e) > i; });
        return Fail(kMalformedQuery, beyond->field.span.begin, q_.clauses.where,
                    "filter on '" + index[i] + "' is missing: " + RuleDescription());
      }
    }
    for (const Expr* e : compares) {
      if (position(e) + 1 < used && e->op != CompareOp::kEq) {
        return Fail(kMalformedQuery, e->op_span.begin, q_.clauses.where, RuleDescription());
      }
    }
    return true;
  }

  static void CollectCompares(const Expr& e, std::vector<const Expr*>* out) {
    if (e.kind == Expr::Kind::kCompare) {
      out->push_back(&e);
      return;
    }
    for (const Expr& c : e.children) CollectCompares(c, out);
  }

  // ---- ORDER BY ----

  bool BindOrderBy() {
    const Span clause = q_.clauses.order_by;
    for (size_t i = 0; i < q_.order_by.size(); ++i) {
      const OrderItem& item = q_.order_by[i];
      SortKey key;
      if (!ResolvePath(item.path, clause, &key.field)) return false;
      const FieldDef& f = *key.field.leaf;
      if (def_->rule == QueryRule::kEventStorage) {
        const bool ok = i == 0 && q_.order_by.size() == 1 && key.field.hops.empty() &&
                        EqualsIgnoreCase(f.name, EventDateName()) && item.descending &&
                        item.nulls != OrderItem::Nulls::kFirst;
        if (!ok) {
          return Fail(kMalformedQuery, item.span.begin, clause,
                      def_->name + " can only be ordered by " + EventDateName() + " DESC");
        }
      }
      if (def_->rule == QueryRule::kBigObjectIndex) {
        const bool ok = key.field.hops.empty() && i < def_->index_fields.size() &&
                        EqualsIgnoreCase(def_->index_fields[i], f.name);
        if (!ok) {
          return Fail(kMalformedQuery, item.span.begin, clause,
                      def_->name + " can only be ordered by its index fields in index order (" +
                          JoinNames(def_->index_fields) + ")");
        }
      }
      if (!f.sortable) {
        return Fail(kInvalidField, item.path.span.begin, clause,
                    "field '" + f.name + "' can not be sorted in a query call");
      }
      key.descending = item.descending;
      key.nulls_first = item.nulls == OrderItem::Nulls::kDefault ? !item.descending
                                                                 : item.nulls == OrderItem::Nulls::kFirst;
      plan_.order.push_back(std::move(key));
    }
    return true;
  }

  bool BindLimits() {
    plan_.limit = q_.limit;
    if (q_.offset) {
      if (*q_.offset > kMaxOffset) {
        return Fail(kNumberOutsideRange, q_.offset_span.begin, q_.clauses.offset,
                    "Maximum SOQL offset allowed is 2000");
      }
      plan_.offset = *q_.offset;
    }
    return true;
  }

  const ParsedQuery& parsed_;
  const Query& q_;
  SourceText source_;
  const Org& org_;
  const QueryOptions& options_;
  const ObjectDef* def_ = nullptr;
  Plan plan_;
  std::optional<SoqlError> error_;
};

}  // namespace

std::variant<Plan, SoqlError> Bind(const ParsedQuery& parsed, std::string_view text, const Org& org,
                                   const QueryOptions& options) {
  return Binder(parsed, text, org, options).Run();
}

}  // namespace custody::sim::soql
