#include "soql_execute.h"

#include <algorithm>
#include <limits>

namespace custody::sim::soql {
namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > kUnlimited - b ? kUnlimited : a + b; }

bool SameValue(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null();
  return a.kind == b.kind && CompareValues(a, b, FieldType::kId) == 0;
}

struct Entry {
  uint64_t pos = 0;
  std::vector<Value> keys;
};

class Executor {
 public:
  Executor(const Plan& plan, const Org& org, const QueryOptions& options)
      : plan_(plan),
        table_(*plan.table),
        def_(table_.def()),
        options_(options),
        resolver_(org, options.now),
        org_(org) {}

  RowSet Run() {
    Narrow();
    const bool check_flags = !options_.all_rows || !options_.view_all_data;
    const uint64_t need = plan_.limit ? SaturatingAdd(plan_.offset, *plan_.limit) : kUnlimited;

    // Order: natural (possibly reversed) with tie-breaking keys, or a full sort.
    bool reverse = false;
    bool full_sort = false;
    if (!plan_.count && !plan_.order.empty()) {
      const SortKey& first = plan_.order.front();
      if (IsOrderField(first.field)) {
        reverse = first.descending;
        tie_keys_.assign(plan_.order.begin() + 1, plan_.order.end());
      } else {
        full_sort = true;
        tie_keys_ = plan_.order;
      }
    }

    if (!residual_ && !check_flags && !full_sort && tie_keys_.empty()) {
      RowSet rows = RowSet::Range(begin_, end_, reverse);
      rows.Slice(plan_.offset, plan_.limit);
      return plan_.count ? RowSet::CountOnly(rows.size()) : rows;
    }
    if (need == 0) return plan_.count ? RowSet::CountOnly(0) : RowSet();
    if (plan_.count) return CountMatches(need);
    if (full_sort) return SortAll(need);
    return Walk(reverse, need);
  }

 private:
  bool IsOrderField(const FieldRef& f) const {
    return f.hops.empty() && f.leaf_def == &def_ && order_index_ >= 0 && f.leaf_index == order_index_;
  }

  bool Matches(const Record& rec) {
    if ((rec.flags & kRecordDeleted) != 0 && !options_.all_rows) return false;
    if ((rec.flags & kRecordFlsRestricted) != 0 && !options_.view_all_data) return false;
    return !residual_ || Evaluate(*residual_, rec, resolver_);
  }

  uint64_t LowerBound(TimeMs t) const { return std::min(table_.LowerBound(t, options_.now), count_); }

  // Turns order-field comparisons among the top-level ANDs into [begin_, end_); the rest of the
  // WHERE clause becomes residual_. Other conjuncts (an OR of windows, an IN list of instants)
  // narrow the range to their hull but stay in residual_.
  void Narrow() {
    count_ = table_.Count(options_.now);
    begin_ = 0;
    end_ = count_;
    order_index_ = def_.order_field.empty() ? -1 : def_.IndexOf(def_.order_field);
    by_time_ = order_index_ >= 0 && def_.fields[static_cast<size_t>(order_index_)].type == FieldType::kDateTime;
    if (!plan_.where) return;

    std::vector<const Predicate*> conjuncts;
    if (plan_.where->kind == Predicate::Kind::kAnd) {
      for (const Predicate& c : plan_.where->children) conjuncts.push_back(&c);
    } else {
      conjuncts.push_back(&*plan_.where);
    }
    std::vector<const Predicate*> rest;
    for (const Predicate* c : conjuncts) {
      Range r = Hull(*c);
      begin_ = std::max(begin_, r.begin);
      end_ = std::min(end_, r.end);
      if (!IsWindow(*c)) rest.push_back(c);
    }
    if (by_time_) {
      for (const Predicate* c : rest) {
        if (NarrowById(*c)) break;
      }
    }
    if (begin_ > end_) begin_ = end_;
    if (rest.size() == 1) {
      residual_ = *rest.front();
    } else if (!rest.empty()) {
      Predicate all;
      all.kind = Predicate::Kind::kAnd;
      for (const Predicate* c : rest) all.children.push_back(*c);
      residual_ = std::move(all);
    }
  }

  struct Range {
    uint64_t begin;
    uint64_t end;  // empty when begin >= end
  };

  // A comparison of the order field whose truth is exactly "row index inside its range".
  bool IsWindow(const Predicate& c) const {
    return by_time_ && c.kind == Predicate::Kind::kCompare && IsOrderField(c.field) && c.operands.size() == 1 &&
           !c.operands.front().is_null &&
           (c.op == CompareOp::kEq || c.op == CompareOp::kLt || c.op == CompareOp::kLe || c.op == CompareOp::kGt ||
            c.op == CompareOp::kGe);
  }

  // The smallest index range outside which `p` is false.
  Range Hull(const Predicate& p) const {
    const Range all{0, count_};
    if (!by_time_) return all;
    switch (p.kind) {
      case Predicate::Kind::kAnd: {
        Range r = all;
        for (const Predicate& c : p.children) {
          const Range h = Hull(c);
          r = {std::max(r.begin, h.begin), std::min(r.end, h.end)};
        }
        return r;
      }
      case Predicate::Kind::kOr: {
        Range r{count_, 0};
        for (const Predicate& c : p.children) {
          const Range h = Hull(c);
          if (h.begin >= h.end) continue;
          r = {std::min(r.begin, h.begin), std::max(r.end, h.end)};
        }
        return r;
      }
      case Predicate::Kind::kNot:
        return all;
      case Predicate::Kind::kCompare:
        break;
    }
    if (!IsOrderField(p.field)) return all;
    if (p.op == CompareOp::kIn) {
      Range r{count_, 0};
      for (const Operand& o : p.operands) {
        if (o.is_null) continue;
        r = {std::min(r.begin, LowerBound(o.lo)), std::max(r.end, LowerBound(o.hi))};
      }
      return r;
    }
    if (!IsWindow(p)) return all;
    const Operand& o = p.operands.front();
    switch (p.op) {
      case CompareOp::kEq: return {LowerBound(o.lo), LowerBound(o.hi)};
      case CompareOp::kGe: return {LowerBound(o.lo), count_};
      case CompareOp::kGt: return {LowerBound(o.hi), count_};
      case CompareOp::kLt: return {0, LowerBound(o.lo)};
      case CompareOp::kLe: return {0, LowerBound(o.hi)};
      default: return all;
    }
  }

  // "Id = '<id>'": the row's order-field value bounds the range; the comparison itself stays.
  bool NarrowById(const Predicate& c) {
    if (c.kind != Predicate::Kind::kCompare || c.op != CompareOp::kEq || !c.field.hops.empty() ||
        c.field.leaf_def != &def_ || c.field.leaf->type != FieldType::kId || c.operands.size() != 1) {
      return false;
    }
    const std::string& id = c.operands.front().text;
    if (id.size() != 15 && id.size() != 18) return false;
    const std::optional<Record> rec = org_.FindById(id, options_.now);
    if (!rec || rec->def == nullptr || rec->def->name != def_.name) return false;
    const Value* t = rec->Get(def_.order_field);
    if (t == nullptr || t->kind != Value::Kind::kDateTime) return false;
    begin_ = std::max(begin_, LowerBound(t->number));
    if (t->number < std::numeric_limits<TimeMs>::max()) end_ = std::min(end_, LowerBound(t->number + 1));
    return true;
  }

  std::vector<Value> Keys(const Record& rec) {
    std::vector<Value> keys;
    keys.reserve(tie_keys_.size());
    for (const SortKey& k : tie_keys_) keys.push_back(ResolveField(k.field, rec, resolver_));
    return keys;
  }

  bool Before(const Entry& a, const Entry& b) const {
    for (size_t i = 0; i < tie_keys_.size(); ++i) {
      const Value& x = a.keys[i];
      const Value& y = b.keys[i];
      if (x.is_null() || y.is_null()) {
        if (x.is_null() && y.is_null()) continue;
        return x.is_null() == tie_keys_[i].nulls_first;
      }
      int c = CompareValues(x, y, tie_keys_[i].field.leaf->type);
      if (tie_keys_[i].descending) c = -c;
      if (c != 0) return c < 0;
    }
    return a.pos < b.pos;
  }

  RowSet CountMatches(uint64_t need) {
    uint64_t hits = 0;
    for (uint64_t i = begin_; i < end_ && hits < need; ++i) {
      if (Matches(table_.Row(i, options_.now))) ++hits;
      resolver_.Trim();
    }
    RowSet rows = RowSet::CountOnly(hits);
    rows.Slice(plan_.offset, plan_.limit);
    return rows;
  }

  // Every match, sorted; with a LIMIT only the first offset + limit are kept (a bounded heap).
  RowSet SortAll(uint64_t need) {
    std::vector<Entry> entries;
    auto before = [this](const Entry& a, const Entry& b) { return Before(a, b); };
    for (uint64_t pos = 0; pos < end_ - begin_; ++pos) {
      const Record rec = table_.Row(begin_ + pos, options_.now);
      if (Matches(rec)) {
        entries.push_back(Entry{pos, Keys(rec)});
        if (need != kUnlimited) {
          std::push_heap(entries.begin(), entries.end(), before);
          if (entries.size() > need) {
            std::pop_heap(entries.begin(), entries.end(), before);
            entries.pop_back();
          }
        }
      }
      resolver_.Trim();
    }
    if (need != kUnlimited) {
      std::sort_heap(entries.begin(), entries.end(), before);
    } else {
      std::sort(entries.begin(), entries.end(), before);
    }
    RowSetBuilder builder(begin_, end_, false);
    builder.MakeExplicit();
    for (const Entry& e : entries) builder.PushExplicit(e.pos);
    return builder.Finish(plan_.offset, plan_.limit);
  }

  // Walks the range in natural (or reverse) order. With tie keys, rows sharing an order-field
  // value are buffered and sorted by the remaining keys before they are emitted.
  RowSet Walk(bool reverse, uint64_t need) {
    RowSetBuilder builder(begin_, end_, reverse);
    struct Pending {
      uint64_t pos;
      bool hit;
    };
    std::vector<Pending> group;
    std::vector<Entry> group_hits;
    Value group_key;
    auto flush = [&] {
      if (group.empty()) return;
      std::stable_sort(group_hits.begin(), group_hits.end(),
                       [this](const Entry& a, const Entry& b) { return Before(a, b); });
      bool in_scan_order = true;
      for (size_t i = 1; i < group_hits.size() && in_scan_order; ++i) {
        in_scan_order = group_hits[i - 1].pos < group_hits[i].pos;
      }
      if (in_scan_order) {
        for (const Pending& p : group) p.hit ? builder.Hit(p.pos) : builder.Miss(p.pos);
      } else {
        builder.MakeExplicit();
        for (const Pending& p : group) {
          if (!p.hit) builder.Miss(p.pos);
        }
        for (const Entry& e : group_hits) builder.PushExplicit(e.pos);
      }
      group.clear();
      group_hits.clear();
    };
    const bool grouping = !tie_keys_.empty();
    const auto order_index = static_cast<size_t>(order_index_);
    for (uint64_t pos = 0; pos < end_ - begin_; ++pos) {
      const Record rec = table_.Row(builder.IndexAt(pos), options_.now);
      if (grouping) {
        const Value& key = order_index < rec.values.size() ? rec.values[order_index] : group_key;
        if (!group.empty() && !SameValue(key, group_key)) {
          flush();
          if (builder.hits() >= need) break;
        }
        if (group.empty()) group_key = key;
        const bool hit = Matches(rec);
        group.push_back({pos, hit});
        if (hit) group_hits.push_back(Entry{pos, Keys(rec)});
      } else {
        if (Matches(rec)) {
          builder.Hit(pos);
          if (builder.hits() >= need) break;
        } else {
          builder.Miss(pos);
        }
      }
      resolver_.Trim();
    }
    flush();
    return builder.Finish(plan_.offset, plan_.limit);
  }

  const Plan& plan_;
  const Table& table_;
  const ObjectDef& def_;
  const QueryOptions& options_;
  RecordResolver resolver_;
  const Org& org_;
  uint64_t count_ = 0;
  uint64_t begin_ = 0;
  uint64_t end_ = 0;
  int order_index_ = -1;
  bool by_time_ = false;
  std::optional<Predicate> residual_;
  std::vector<SortKey> tie_keys_;
};

}  // namespace

RowSet Execute(const Plan& plan, const Org& org, const QueryOptions& options) {
  return Executor(plan, org, options).Run();
}

}  // namespace custody::sim::soql
