#pragma once
// A small in-memory org for query-engine tests: tables are vectors of records kept in order of
// their order field, with a Row() call counter to check that windows do not scan whole tables.
//
// TestOrg() builds the fixed schema used by the tests:
//   User (005), Profile (00e), Account (001): plain objects with relationships User.Profile;
//   AccountHistory (017): order field CreatedDate, AccountId -> Account (Account),
//     CreatedById -> User (CreatedBy), OldValue/NewValue/Note__c not filterable, IsDeleted/FLS flags;
//   LoginHistory (0Ya): only Id, UserId, LoginTime, LoginType filterable;
//   LoginEvent: event storage, Id 000000000000000AAA, order field EventDate;
//   FieldHistoryArchive: big object indexed on FieldHistoryType, ParentId, CreatedDate;
//   EventLogFile (0AT): LogFile blob, LogFileLength double, no Interval field;
//   SetupAuditTrail (0Ym).

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model.h"

namespace custody::sim::testing {

inline constexpr TimeMs kQueryDay = 86400000;
// 2026-04-01T00:00:00Z
inline constexpr TimeMs kApril1 = 1775001600000;

inline std::string LowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool filterable = true;
  bool sortable = true;
  bool standard = true;
  std::vector<std::string> reference_to = {};
  std::string relationship = {};
};

inline ObjectDef MakeDef(std::string name, std::string prefix, std::vector<FieldSpec> fields,
                         std::string order_field, QueryRule rule = QueryRule::kGeneral,
                         std::vector<std::string> index_fields = {}) {
  ObjectDef d;
  d.name = std::move(name);
  d.label = d.name;
  d.label_plural = d.name;
  d.key_prefix = std::move(prefix);
  d.rule = rule;
  d.index_fields = std::move(index_fields);
  d.order_field = std::move(order_field);
  for (FieldSpec& s : fields) {
    FieldDef f;
    f.name = s.name;
    f.label = s.name;
    f.type = s.type;
    f.filterable = s.filterable;
    f.sortable = s.sortable;
    f.standard = s.standard;
    f.reference_to = s.reference_to;
    f.relationship_name = s.relationship;
    d.fields.push_back(std::move(f));
  }
  return d;
}

class FakeTable final : public Table {
 public:
  explicit FakeTable(ObjectDef def) : def_(std::move(def)) {
    order_index_ = def_.order_field.empty() ? -1 : def_.IndexOf(def_.order_field);
  }
  FakeTable(const FakeTable&) = delete;
  FakeTable& operator=(const FakeTable&) = delete;

  const ObjectDef& def() const override { return def_; }
  uint64_t Count(TimeMs now) const override {
    if (order_index_ < 0) return rows_.size();
    return Bound(now + 1);
  }
  Record Row(uint64_t i, TimeMs) const override {
    row_calls.fetch_add(1, std::memory_order_relaxed);
    return rows_.at(i);
  }
  uint64_t LowerBound(TimeMs t, TimeMs now) const override { return std::min(Bound(t), Count(now)); }

  // Appends a row; rows must be added in order of the order field.
  void Add(std::vector<Value> values, uint32_t flags = 0) {
    Record r;
    r.def = &def_;
    r.values = std::move(values);
    r.values.resize(def_.fields.size());
    r.flags = flags;
    rows_.push_back(std::move(r));
  }
  // Stable sort on the order field, for tables filled out of order.
  void SortRows() {
    if (order_index_ < 0) return;
    const auto i = static_cast<size_t>(order_index_);
    std::stable_sort(rows_.begin(), rows_.end(),
                     [i](const Record& a, const Record& b) { return a.values[i].number < b.values[i].number; });
  }
  const std::vector<Record>& rows() const { return rows_; }
  std::vector<Record>& mutable_rows() { return rows_; }
  int order_index() const { return order_index_; }

  mutable std::atomic<uint64_t> row_calls{0};

 private:
  uint64_t Bound(TimeMs t) const {
    const auto i = static_cast<size_t>(order_index_);
    const auto it = std::lower_bound(rows_.begin(), rows_.end(), t,
                                     [i](const Record& r, TimeMs v) { return r.values[i].number < v; });
    return static_cast<uint64_t>(it - rows_.begin());
  }

  ObjectDef def_;
  int order_index_ = -1;
  std::vector<Record> rows_;
};

class FakeOrg final : public Org {
 public:
  FakeTable& AddTable(ObjectDef def) {
    auto table = std::make_unique<FakeTable>(std::move(def));
    FakeTable& ref = *table;
    tables_[LowerCase(ref.def().name)] = std::move(table);
    return ref;
  }
  FakeTable& table(std::string_view name) { return *tables_.at(LowerCase(name)); }
  void Unlicense(std::string_view name) { tables_.erase(LowerCase(name)); }

  const OrgConfig& config() const override { return config_; }
  std::vector<const ObjectDef*> Objects() const override {
    std::vector<const ObjectDef*> out;
    for (const auto& [name, t] : tables_) out.push_back(&t->def());
    return out;
  }
  const Table* FindTable(std::string_view object_name) const override {
    auto it = tables_.find(LowerCase(object_name));
    return it == tables_.end() ? nullptr : it->second.get();
  }
  std::optional<Record> FindById(std::string_view id, TimeMs now) const override {
    find_by_id_calls.fetch_add(1, std::memory_order_relaxed);
    for (const auto& [name, t] : tables_) {
      // As in Salesforce, the key prefix names the object.
      if (t->def().key_prefix.empty() || id.substr(0, 3) != t->def().key_prefix) continue;
      const uint64_t n = t->Count(now);
      for (uint64_t i = 0; i < n; ++i) {
        const Record& r = t->rows()[i];
        if (!r.values.empty() && r.values[0].text == id) return r;
      }
    }
    return std::nullopt;
  }
  const std::vector<UserInfo>& Users() const override { return users_; }
  const UserInfo* FindUserByUsername(std::string_view) const override { return nullptr; }
  const UserInfo* FindUserById(std::string_view) const override { return nullptr; }
  const UserInfo& IntegrationUser() const override { return integration_; }
  [[noreturn]] const ElfStore& EventLogFiles() const override { std::abort(); }
  std::string AnswerKeyJson() const override { return ""; }

  mutable std::atomic<uint64_t> find_by_id_calls{0};

 private:
  OrgConfig config_;
  std::map<std::string, std::unique_ptr<FakeTable>> tables_;
  std::vector<UserInfo> users_;
  UserInfo integration_;
};

inline Value S(std::string s) { return Value::String(std::move(s)); }
inline Value T(TimeMs t) { return Value::DateTime(t); }
inline Value N() { return Value::Null(); }

// An 18-character id: prefix + zero-padded number + "AAA".
inline std::string Id(std::string_view prefix, uint64_t n) {
  std::string digits = std::to_string(n);
  std::string id(prefix);
  id.append(12 - digits.size(), '0');
  id += digits;
  id += "AAA";
  return id;
}

inline constexpr FieldType kId = FieldType::kId;
inline constexpr FieldType kRef = FieldType::kReference;
inline constexpr FieldType kStr = FieldType::kString;
inline constexpr FieldType kPick = FieldType::kPicklist;
inline constexpr FieldType kText = FieldType::kTextArea;
inline constexpr FieldType kBool = FieldType::kBoolean;
inline constexpr FieldType kInt = FieldType::kInt;
inline constexpr FieldType kDbl = FieldType::kDouble;
inline constexpr FieldType kDt = FieldType::kDateTime;
inline constexpr FieldType kDate = FieldType::kDate;
inline constexpr FieldType kAny = FieldType::kAnyType;
inline constexpr FieldType kBlob = FieldType::kBase64;

// AccountHistory field order: Id, IsDeleted, AccountId, CreatedById, CreatedDate, Field, DataType,
// OldValue, NewValue, Amount__c, Count__c, Day__c, Note__c.
enum HistoryField { kHId, kHIsDeleted, kHAccountId, kHCreatedById, kHCreatedDate, kHField, kHDataType, kHOldValue,
                    kHNewValue, kHAmount, kHCount, kHDay, kHNote };

inline ObjectDef HistoryDef() {
  return MakeDef("AccountHistory", "017",
                 {{"Id", kId},
                  {"IsDeleted", kBool},
                  {"AccountId", kRef, true, true, true, {"Account"}, "Account"},
                  {"CreatedById", kRef, true, true, true, {"User"}, "CreatedBy"},
                  {"CreatedDate", kDt},
                  {"Field", kPick},
                  {"DataType", kPick},
                  {"OldValue", kAny, false, false},
                  {"NewValue", kAny, false, false},
                  {"Amount__c", kDbl, true, true, false},
                  {"Count__c", kInt, true, true, false},
                  {"Day__c", kDate, true, true, false},
                  {"Note__c", kText, false, false, false}},
                 "CreatedDate");
}

// Builds the schema above with a few users and accounts and no history rows.
inline std::unique_ptr<FakeOrg> TestOrg() {
  auto org = std::make_unique<FakeOrg>();
  FakeTable& profiles = org->AddTable(MakeDef("Profile", "00e", {{"Id", kId}, {"Name", kStr}}, ""));
  profiles.Add({S(Id("00e", 1)), S("System Administrator")});
  profiles.Add({S(Id("00e", 2)), S("Clinician")});

  FakeTable& users = org->AddTable(MakeDef("User", "005",
                                           {{"Id", kId},
                                            {"Name", kStr},
                                            {"Email", kStr},
                                            {"ProfileId", kRef, true, true, true, {"Profile"}, "Profile"},
                                            {"IsActive", kBool},
                                            {"CreatedDate", kDt}},
                                           "CreatedDate"));
  users.Add({S(Id("005", 1)), S("Jane Doe"), S("jdoe@example.com"), S(Id("00e", 2)), Value::Bool(true),
             T(kApril1 - 30 * kQueryDay)});
  users.Add({S(Id("005", 2)), S("Zoë \"Z\" Ångström"), S("zoe@example.com"), S(Id("00e", 1)), Value::Bool(true),
             T(kApril1 - 20 * kQueryDay)});
  users.Add({S(Id("005", 3)), S("Integration User"), N(), N(), Value::Bool(false), T(kApril1 - 10 * kQueryDay)});

  FakeTable& accounts = org->AddTable(MakeDef("Account", "001",
                                              {{"Id", kId},
                                               {"Name", kStr},
                                               {"Description", kText, false, false},
                                               {"LastModifiedDate", kDt}},
                                              "LastModifiedDate"));
  accounts.Add({S(Id("001", 1)), S("Acme"), S("first"), T(kApril1 - 5 * kQueryDay)});
  accounts.Add({S(Id("001", 2)), S("Globex"), N(), T(kApril1 - 4 * kQueryDay)});

  org->AddTable(HistoryDef());

  org->AddTable(MakeDef("LoginHistory", "0Ya",
                        {{"Id", kId},
                         {"UserId", kRef, true, true, true, {"User"}, ""},
                         {"LoginTime", kDt},
                         {"LoginType", kPick},
                         {"Status", kStr, false},
                         {"SourceIp", kStr, false},
                         {"Application", kStr, false}},
                        "LoginTime"));

  org->AddTable(MakeDef("LoginEvent", "",
                        {{"Id", kId},
                         {"EventDate", kDt},
                         {"EventIdentifier", kStr},
                         {"UserId", kRef, true, true, true, {"User"}, ""},
                         {"Username", kStr},
                         {"Status", kStr},
                         {"SourceIp", kStr},
                         {"CreatedDate", kDt},
                         {"LoginLatitude", kDbl, true, true, false}},
                        "EventDate", QueryRule::kEventStorage));

  org->AddTable(MakeDef("FieldHistoryArchive", "",
                        {{"Id", kId},
                         {"FieldHistoryType", kPick},
                         {"ParentId", kRef, true, true, true, {"Account", "User"}, "Parent"},
                         {"CreatedDate", kDt},
                         {"Field", kStr},
                         {"OldValue", kAny, false, false},
                         {"NewValue", kAny, false, false}},
                        "CreatedDate", QueryRule::kBigObjectIndex, {"FieldHistoryType", "ParentId", "CreatedDate"}));

  org->AddTable(MakeDef("EventLogFile", "0AT",
                        {{"Id", kId},
                         {"EventType", kPick},
                         {"LogDate", kDt},
                         {"LogFile", kBlob, false, false},
                         {"LogFileLength", kDbl},
                         {"Sequence", kInt},
                         {"CreatedDate", kDt}},
                        "CreatedDate"));

  org->AddTable(MakeDef("SetupAuditTrail", "0Ym",
                        {{"Id", kId},
                         {"Action", kStr},
                         {"Section", kStr},
                         {"CreatedById", kRef, true, true, true, {"User"}, "CreatedBy"},
                         {"CreatedDate", kDt},
                         {"Display", kStr},
                         {"DelegateUser", kStr}},
                        "CreatedDate"));
  return org;
}

}  // namespace custody::sim::testing
