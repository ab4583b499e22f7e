#pragma once
// Helpers for the query-engine tests: run a statement, expect success or an error, read records
// back as JSON.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fake_org.h"
#include "query_engine.h"

namespace custody::sim::testing {

inline TimeMs At(int day, int hour = 0, int minute = 0, int second = 0, int millis = 0) {
  return kApril1 + (day - 1) * kQueryDay + hour * 3600000LL + minute * 60000LL + second * 1000LL + millis;
}

// Seven AccountHistory rows (ids 017...1AAA to 017...7AAA), visible at the default `now`:
//   #  CreatedDate               Field     CreatedBy   Account Amount Count Day    flags
//   1  04-01 00:00:00.000        Name      Jane        Acme    10.5   1     04-01
//   2  04-01 10:30:00.250        Phone     Zoë         Globex  null   2     null
//   3  04-02 00:00:00.000        name      Jane        Acme    -3     3     04-02
//   4  04-02 00:00:00.000        Owner     null        null    0      null  04-02
//   5  04-03 12:00:00.000        Industry  Integration Acme    100    5     04-03  deleted
//   6  04-04 23:59:59.999        Name%_x   Zoë         Globex  7.25   6     04-04  FLS-restricted
//   7  04-05 00:00:00.000        Website   (dangling)  Acme    2      7     04-05
inline void AddSampleHistory(FakeOrg& org) {
  FakeTable& t = org.table("AccountHistory");
  struct Row {
    TimeMs at;
    const char* field;
    int user;  // 0: null, 9: dangling
    int account;
    std::optional<double> amount;
    std::optional<int64_t> count;
    int day;  // 0: null
    uint32_t flags;
    const char* old_value;
    const char* new_value;
  };
  const Row rows[] = {
      {At(1), "Name", 1, 1, 10.5, 1, 1, 0, "Acme", "Acme Corp"},
      {At(1, 10, 30, 0, 250), "Phone", 2, 2, std::nullopt, 2, 0, 0, nullptr, "555"},
      {At(2), "name", 1, 1, -3.0, 3, 2, 0, "Acme Corp", "Acme"},
      {At(2), "Owner", 0, 0, 0.0, std::nullopt, 2, 0, "Jane Doe", "Zoë"},
      {At(3, 12), "Industry", 3, 1, 100.0, 5, 3, kRecordDeleted, nullptr, "Health"},
      {At(4, 23, 59, 59, 999), "Name%_x", 2, 2, 7.25, 6, 4, kRecordFlsRestricted, "a\"b", "line\nbreak\t\x01"},
      {At(5), "Website", 9, 1, 2.0, 7, 5, 0, nullptr, nullptr},
  };
  uint64_t n = 0;
  for (const Row& r : rows) {
    ++n;
    std::vector<Value> v(HistoryDef().fields.size());
    v[kHId] = S(Id("017", n));
    v[kHIsDeleted] = Value::Bool((r.flags & kRecordDeleted) != 0);
    v[kHAccountId] = r.account == 0 ? N() : S(Id("001", static_cast<uint64_t>(r.account)));
    v[kHCreatedById] = r.user == 0 ? N() : S(Id("005", static_cast<uint64_t>(r.user)));
    v[kHCreatedDate] = T(r.at);
    v[kHField] = S(r.field);
    v[kHDataType] = S("Text");
    v[kHOldValue] = r.old_value == nullptr ? N() : S(r.old_value);
    v[kHNewValue] = r.new_value == nullptr ? N() : S(r.new_value);
    v[kHAmount] = r.amount ? Value::Double(*r.amount) : N();
    v[kHCount] = r.count ? Value::Int(*r.count) : N();
    v[kHDay] = r.day == 0 ? N() : Value::Date((kApril1 / kQueryDay) + r.day - 1);
    v[kHNote] = S("note " + std::to_string(n));
    t.Add(std::move(v), r.flags);
  }
}

// "017...<n>AAA" for each n.
inline std::vector<std::string> HistoryIds(std::initializer_list<int> ns) {
  std::vector<std::string> out;
  for (int n : ns) out.push_back(Id("017", static_cast<uint64_t>(n)));
  return out;
}

inline QueryOptions Options(TimeMs now = kApril1 + 30 * kQueryDay) {
  QueryOptions o;
  o.now = now;
  return o;
}

inline std::shared_ptr<const QueryResult> RunOk(const Org& org, const std::string& soql,
                                                const QueryOptions& options = Options()) {
  auto r = QueryEngine(org).Run(soql, options);
  if (auto* err = std::get_if<SoqlError>(&r)) {
    INFO(soql);
    INFO(err->error_code << ": " << err->message);
    FAIL("query failed");
  }
  return std::get<0>(std::move(r));
}

inline SoqlError RunErr(const Org& org, const std::string& soql, const QueryOptions& options = Options()) {
  auto r = QueryEngine(org).Run(soql, options);
  if (!std::holds_alternative<SoqlError>(r)) {
    INFO(soql);
    FAIL("query unexpectedly succeeded");
  }
  return std::get<SoqlError>(std::move(r));
}

// All records of a result as one JSON array text.
inline std::string AllJson(const QueryResult& r) {
  std::string out = "[";
  r.AppendJsonRecords(0, r.total_size(), &out);
  out += "]";
  return out;
}

inline rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  INFO(text.substr(0, 500));
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// The values of one top-level string field (e.g. "Id") of every record, in order.
inline std::vector<std::string> Column(const QueryResult& r, const char* field) {
  rapidjson::Document d = ParseJson(AllJson(r));
  std::vector<std::string> out;
  for (const auto& rec : d.GetArray()) {
    const auto& v = rec[field];
    out.push_back(v.IsNull() ? "null" : v.IsString() ? v.GetString() : "?");
  }
  return out;
}

inline std::vector<std::string> Ids(const Org& org, const std::string& soql, const QueryOptions& options = Options()) {
  return Column(*RunOk(org, soql, options), "Id");
}

}  // namespace custody::sim::testing
