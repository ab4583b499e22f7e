// QueryEngine::Run: trim, parse, bind against the org, execute; and the QueryResult that renders
// pages of the fixed row list as Salesforce JSON records or Bulk API 2.0 CSV.

#include "query_engine.h"

#include <utility>
#include <vector>

#include "soql_errors.h"
#include "soql_execute.h"
#include "soql_parser.h"
#include "soql_plan.h"
#include "soql_render.h"
#include "soql_rows.h"

namespace custody::sim {
namespace {

using soql::AppendCsvQuoted;
using soql::AppendDate;
using soql::AppendDateTime;
using soql::AppendDouble;
using soql::AppendInt;
using soql::AppendJsonString;
using soql::FieldRef;
using soql::Plan;
using soql::RecordResolver;
using soql::RowSet;

// Salesforce's limit on the length of a SOQL statement.
constexpr size_t kMaxSoqlLength = 100000;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view IdOf(const Record& rec) {
  return !rec.values.empty() && rec.values.front().kind == Value::Kind::kString ? std::string_view(rec.values.front().text)
                                                                                 : std::string_view();
}

class SoqlResult final : public QueryResult {
 public:
  SoqlResult(const Org& org, Plan plan, RowSet rows, const QueryOptions& options)
      : org_(org), plan_(std::move(plan)), rows_(std::move(rows)), options_(options), def_(plan_.table->def()) {
    sobjects_ = "/services/data/v" + options_.api_version + "/sobjects/";
    for (const FieldRef& col : plan_.columns) AddColumn(col);
  }

  const std::string& object_name() const override { return def_.name; }
  uint64_t total_size() const override { return rows_.size(); }
  bool is_count() const override { return plan_.count; }

  void AppendJsonRecords(uint64_t offset, uint64_t count, std::string* out) const override {
    if (plan_.count) return;
    RecordResolver resolver(org_, options_.now);
    const uint64_t end = offset + std::min(count, rows_.size() - std::min(offset, rows_.size()));
    for (uint64_t k = offset; k < end; ++k) {
      if (k != offset) out->push_back(',');
      const Record rec = plan_.table->Row(rows_.At(k), options_.now);
      AppendObject(rec, def_.name, nodes_, resolver, out);
      resolver.Trim();
    }
  }

  void AppendCsvHeader(std::string* out) const override {
    if (plan_.count) return;
    for (size_t i = 0; i < plan_.columns.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendCsvQuoted(out, plan_.columns[i].dotted);
    }
    out->push_back('\n');
  }

  void AppendCsvRows(uint64_t offset, uint64_t count, std::string* out) const override {
    if (plan_.count) return;
    RecordResolver resolver(org_, options_.now);
    const uint64_t end = offset + std::min(count, rows_.size() - std::min(offset, rows_.size()));
    for (uint64_t k = offset; k < end; ++k) {
      const Record rec = plan_.table->Row(rows_.At(k), options_.now);
      for (size_t i = 0; i < plan_.columns.size(); ++i) {
        if (i > 0) out->push_back(',');
        const FieldRef& col = plan_.columns[i];
        const Record* owner = soql::FollowHops(col, col.hops.size(), rec, resolver);
        if (owner != nullptr) AppendCsvValue(col, *owner, out);
      }
      out->push_back('\n');
      resolver.Trim();
    }
  }

  void VisitRecords(uint64_t offset, uint64_t count, const std::function<void(const Record&)>& visit) const override {
    if (plan_.count) return;
    const uint64_t end = offset + std::min(count, rows_.size() - std::min(offset, rows_.size()));
    for (uint64_t k = offset; k < end; ++k) visit(plan_.table->Row(rows_.At(k), options_.now));
  }

 private:
  // The SELECT list as a tree: fields, and relationships holding the fields selected through them
  // in first-appearance order.
  struct Node {
    std::string key;  // ,"Name":
    const FieldRef* field = nullptr;  // a field; else a relationship
    int ref_index = -1;
    const ObjectDef* target = nullptr;
    std::string relationship;
    std::vector<Node> children;
  };

  void AddColumn(const FieldRef& col) {
    std::vector<Node>* level = &nodes_;
    for (const FieldRef::Hop& hop : col.hops) {
      Node* found = nullptr;
      for (Node& n : *level) {
        if (n.field == nullptr && n.relationship == hop.relationship) found = &n;
      }
      if (found == nullptr) {
        Node n;
        n.key = ",\"" + hop.relationship + "\":";
        n.ref_index = hop.ref_index;
        n.target = hop.target;
        n.relationship = hop.relationship;
        level->push_back(std::move(n));
        found = &level->back();
      }
      level = &found->children;
    }
    Node leaf;
    leaf.key = ",\"" + col.leaf->name + "\":";
    leaf.field = &col;
    level->push_back(std::move(leaf));
  }

  void AppendObject(const Record& rec, std::string_view type, const std::vector<Node>& nodes,
                    RecordResolver& resolver, std::string* out) const {
    const std::string_view id = IdOf(rec);
    out->append("{\"attributes\":{\"type\":\"");
    out->append(type);
    out->append("\",\"url\":\"");
    out->append(sobjects_);
    out->append(type);
    out->push_back('/');
    soql::AppendJsonEscaped(out, id);
    out->append("\"}");
    for (const Node& n : nodes) {
      out->append(n.key);
      if (n.field != nullptr) {
        AppendJsonValue(*n.field, rec, out);
        continue;
      }
      const auto i = static_cast<size_t>(n.ref_index);
      const Record* target = nullptr;
      if (n.ref_index >= 0 && i < rec.values.size() && rec.values[i].kind == Value::Kind::kString &&
          !rec.values[i].text.empty()) {
        target = resolver.Find(rec.values[i].text);
      }
      if (target == nullptr) {
        out->append("null");
        continue;
      }
      const std::string_view target_type = target->def != nullptr ? std::string_view(target->def->name)
                                           : n.target != nullptr  ? std::string_view(n.target->name)
                                                                  : std::string_view();
      AppendObject(*target, target_type, n.children, resolver, out);
    }
    out->push_back('}');
  }

  // The blob URL a base64 field renders as.
  void AppendBlobUrl(const Record& owner, const FieldDef& f, std::string* url) const {
    const std::string_view type = owner.def != nullptr ? std::string_view(owner.def->name) : std::string_view(def_.name);
    url->append(sobjects_).append(type).push_back('/');
    url->append(IdOf(owner)).push_back('/');
    url->append(f.name);
  }

  void AppendJsonValue(const FieldRef& col, const Record& rec, std::string* out) const {
    const FieldDef& f = *col.leaf;
    if (f.type == FieldType::kBase64) {
      std::string url;
      AppendBlobUrl(rec, f, &url);
      AppendJsonString(out, url);
      return;
    }
    const Value& v = soql::LeafValue(col, rec);
    switch (v.kind) {
      case Value::Kind::kNull: out->append("null"); break;
      case Value::Kind::kString: AppendJsonString(out, v.text); break;
      case Value::Kind::kBoolean: out->append(v.number != 0 ? "true" : "false"); break;
      case Value::Kind::kInt:
        if (f.type == FieldType::kDouble) {
          AppendDouble(out, static_cast<double>(v.number), "null");
        } else {
          AppendInt(out, v.number);
        }
        break;
      case Value::Kind::kDouble: AppendDouble(out, v.real, "null"); break;
      case Value::Kind::kDateTime:
        out->push_back('"');
        AppendDateTime(out, v.number, false);
        out->push_back('"');
        break;
      case Value::Kind::kDate:
        out->push_back('"');
        AppendDate(out, v.number);
        out->push_back('"');
        break;
    }
  }

  void AppendCsvValue(const FieldRef& col, const Record& owner, std::string* out) const {
    const FieldDef& f = *col.leaf;
    if (f.type == FieldType::kBase64) {
      std::string url;
      AppendBlobUrl(owner, f, &url);
      AppendCsvQuoted(out, url);
      return;
    }
    const Value& v = soql::LeafValue(col, owner);
    if (v.kind == Value::Kind::kNull) return;
    if (v.kind == Value::Kind::kString) {
      AppendCsvQuoted(out, v.text);
      return;
    }
    // The other kinds never contain a quote.
    out->push_back('"');
    switch (v.kind) {
      case Value::Kind::kBoolean: out->append(v.number != 0 ? "true" : "false"); break;
      case Value::Kind::kInt:
        if (f.type == FieldType::kDouble) {
          AppendDouble(out, static_cast<double>(v.number), "");
        } else {
          AppendInt(out, v.number);
        }
        break;
      case Value::Kind::kDouble: AppendDouble(out, v.real, ""); break;
      case Value::Kind::kDateTime: AppendDateTime(out, v.number, true); break;
      case Value::Kind::kDate: AppendDate(out, v.number); break;
      default: break;
    }
    out->push_back('"');
  }

  const Org& org_;
  const Plan plan_;
  const RowSet rows_;
  const QueryOptions options_;
  const ObjectDef& def_;
  std::string sobjects_;  // "/services/data/v62.0/sobjects/"
  std::vector<Node> nodes_;
};

}  // namespace

std::variant<std::shared_ptr<const QueryResult>, SoqlError> QueryEngine::Run(std::string_view soql,
                                                                             const QueryOptions& options) const {
  size_t begin = 0;
  size_t end = soql.size();
  while (begin < end && IsSpace(soql[begin])) ++begin;
  while (end > begin && IsSpace(soql[end - 1])) --end;
  const std::string_view text = soql.substr(begin, end - begin);
  if (text.empty()) return soql::MakeError(soql::kMalformedQuery, "SOQL statements cannot be empty or null");
  if (text.size() > kMaxSoqlLength) {
    return soql::MakeError(soql::kMalformedQuery, "SOQL statements cannot be longer than 100,000 characters");
  }
  auto parsed = soql::Parse(text);
  if (auto* err = std::get_if<SoqlError>(&parsed)) return std::move(*err);
  auto plan = soql::Bind(std::get<soql::ParsedQuery>(parsed), text, org_, options);
  if (auto* err = std::get_if<SoqlError>(&plan)) return std::move(*err);
  Plan& bound = std::get<Plan>(plan);
  RowSet rows = soql::Execute(bound, org_, options);
  return std::make_shared<const SoqlResult>(org_, std::move(bound), std::move(rows), options);
}

}  // namespace custody::sim
