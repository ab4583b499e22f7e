// Properties: the engine (range narrowing, reverse walks, tie sorting, early LIMIT stops, the
// compact row list) returns exactly what a brute-force scan returns; windows read only the rows in
// them; no input crashes it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "query/soql_rows.h"
#include "query_test_util.h"

namespace custody::sim::testing {
namespace {

const char* const kFields[] = {"Name", "name", "Phone", "Owner", "Industry", "Website"};

// `n` AccountHistory rows over 10 days with many shared timestamps, ~10% deleted, ~10% FLS.
void AddRandomHistory(FakeOrg& org, uint64_t seed, uint64_t n) {
  std::mt19937_64 rng(seed);
  FakeTable& t = org.table("AccountHistory");
  TimeMs at = kApril1;
  for (uint64_t i = 1; i <= n; ++i) {
    if (rng() % 3 != 0) at += static_cast<TimeMs>(rng() % (10 * kQueryDay / n * 3 + 1));
    std::vector<Value> v(HistoryDef().fields.size());
    uint32_t flags = 0;
    if (rng() % 10 == 0) flags |= kRecordDeleted;
    if (rng() % 10 == 0) flags |= kRecordFlsRestricted;
    v[kHId] = S(Id("017", i));
    v[kHIsDeleted] = Value::Bool((flags & kRecordDeleted) != 0);
    const uint64_t user = rng() % 5;  // 4: null
    v[kHCreatedById] = user == 4 ? N() : S(Id("005", user));
    v[kHCreatedDate] = T(at);
    v[kHField] = S(kFields[rng() % 6]);
    v[kHAmount] = rng() % 5 == 0 ? N() : Value::Double(static_cast<double>(rng() % 200) / 4 - 10);
    v[kHCount] = Value::Int(static_cast<int64_t>(rng() % 10));
    t.Add(std::move(v), flags);
  }
}

std::string FormatLiteral(TimeMs t, std::mt19937_64& rng) {
  // The same instant in a random zone form: Z, +hh:mm, -hh:mm, +hhmm, with or without millis.
  const int kind = static_cast<int>(rng() % 4);
  const int offset_minutes = kind == 0 ? 0 : static_cast<int>(rng() % 14 * 60 + (rng() % 2) * 30) * (kind == 2 ? -1 : 1);
  std::string s = FormatIsoZ(t + offset_minutes * 60000LL);  // 2026-04-15T12:34:56.000Z
  s.pop_back();
  if (t % 1000 == 0 && rng() % 2 == 0) s.resize(s.size() - 4);
  if (kind == 0) return s + "Z";
  const int m = std::abs(offset_minutes);
  char zone[8];
  std::snprintf(zone, sizeof zone, kind == 3 ? "%c%02d%02d" : "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', m / 60,
                m % 60);
  return s + zone;
}

struct Window {
  const char* op;
  TimeMs t;
};

bool Holds(const Window& w, TimeMs x) {
  const std::string op = w.op;
  if (op == ">") return x > w.t;
  if (op == ">=") return x >= w.t;
  if (op == "<") return x < w.t;
  if (op == "<=") return x <= w.t;
  return x == w.t;
}

int CompareText(const std::string& a, const std::string& b) {
  return LowerCase(a).compare(LowerCase(b));
}

struct OrderSpec {
  const char* soql;
  bool reverse_natural;  // first key is CreatedDate DESC
  // Compares rows a and b; 0 for ties.
  int (*cmp)(const Record&, const Record&);
};

int ByCreated(const Record& a, const Record& b) {
  const int64_t x = a.values[kHCreatedDate].number;
  const int64_t y = b.values[kHCreatedDate].number;
  return x < y ? -1 : x > y ? 1 : 0;
}
int ById(const Record& a, const Record& b) { return a.values[kHId].text.compare(b.values[kHId].text); }
int ByField(const Record& a, const Record& b) { return CompareText(a.values[kHField].text, b.values[kHField].text); }
// Amount DESC NULLS FIRST
int ByAmountDescNullsFirst(const Record& a, const Record& b) {
  const Value& x = a.values[kHAmount];
  const Value& y = b.values[kHAmount];
  if (x.is_null() || y.is_null()) return x.is_null() == y.is_null() ? 0 : x.is_null() ? -1 : 1;
  return x.real > y.real ? -1 : x.real < y.real ? 1 : 0;
}

const OrderSpec kOrders[] = {
    {"", false, [](const Record&, const Record&) { return 0; }},
    {" ORDER BY CreatedDate", false, ByCreated},
    {" ORDER BY CreatedDate DESC", true, [](const Record& a, const Record& b) { return -ByCreated(a, b); }},
    {" ORDER BY CreatedDate ASC NULLS FIRST, Id DESC", false,
     [](const Record& a, const Record& b) { return ByCreated(a, b) != 0 ? ByCreated(a, b) : -ById(a, b); }},
    {" ORDER BY CreatedDate DESC, Field", true,
     [](const Record& a, const Record& b) { return ByCreated(a, b) != 0 ? -ByCreated(a, b) : ByField(a, b); }},
    {" ORDER BY Amount__c DESC NULLS FIRST, Id", false,
     [](const Record& a, const Record& b) {
       return ByAmountDescNullsFirst(a, b) != 0 ? ByAmountDescNullsFirst(a, b) : ById(a, b);
     }},
    {" ORDER BY Field, CreatedDate DESC", false,
     [](const Record& a, const Record& b) { return ByField(a, b) != 0 ? ByField(a, b) : -ByCreated(a, b); }},
};

TEST_CASE("random windows, filters and orders match a brute-force scan", "[sim][query][property]") {
  auto org = TestOrg();
  AddRandomHistory(*org, 42, 3000);
  const FakeTable& table = org->table("AccountHistory");
  const std::vector<Record>& rows = table.rows();
  std::mt19937_64 rng(1234);
  const TimeMs first = rows.front().values[kHCreatedDate].number;
  const TimeMs last = rows.back().values[kHCreatedDate].number;

  for (int iteration = 0; iteration < 300; ++iteration) {
    QueryOptions options = Options(iteration % 7 == 0 ? first + (last - first) / 2 : last + kQueryDay);
    options.all_rows = rng() % 2 == 0;
    options.view_all_data = rng() % 2 == 0;

    std::vector<Window> windows;
    std::string where;
    const int n_windows = static_cast<int>(rng() % 3);
    for (int w = 0; w < n_windows; ++w) {
      static const char* const kOps[] = {">", ">=", "<", "<=", "="};
      TimeMs t = rng() % 2 == 0 ? rows[rng() % rows.size()].values[kHCreatedDate].number
                                : first - kQueryDay + static_cast<TimeMs>(rng() % static_cast<uint64_t>(last - first + 2 * kQueryDay));
      if (rng() % 4 == 0) t -= t % 1000;
      const char* op = kOps[rng() % (rng() % 8 == 0 ? 5 : 4)];
      windows.push_back({op, t});
      where += (where.empty() ? "" : " AND ") + std::string("CreatedDate ") + op + " " + FormatLiteral(t, rng);
    }
    const int extra = static_cast<int>(rng() % 5);
    const std::string field = kFields[rng() % 6];
    const double amount = static_cast<double>(rng() % 100) / 4 - 5;
    if (extra == 1) where = (where.empty() ? "" : where + " AND ") + "Field = '" + field + "'";
    if (extra == 2) where = (where.empty() ? "" : where + " AND ") + "Amount__c > " + std::to_string(amount);
    if (extra == 3) where = (where.empty() ? "" : where + " AND ") + "(Field = '" + field + "' OR Amount__c = null)";
    if (extra == 4) where = (where.empty() ? "" : "(" + where + ") AND ") + "NOT CreatedBy.Name = 'Jane Doe'";

    const OrderSpec& order = kOrders[rng() % (sizeof kOrders / sizeof kOrders[0])];
    std::optional<uint64_t> limit;
    uint64_t offset = 0;
    if (rng() % 2 == 0) limit = rng() % 60;
    if (rng() % 3 == 0) offset = rng() % 40;
    std::string soql = "SELECT Id FROM AccountHistory";
    if (!where.empty()) soql += " WHERE " + where;
    soql += order.soql;
    if (limit) soql += " LIMIT " + std::to_string(*limit);
    if (offset > 0) soql += " OFFSET " + std::to_string(offset);

    // Brute force.
    const uint64_t count = table.Count(options.now);
    std::vector<uint64_t> expected;
    for (uint64_t i = 0; i < count; ++i) {
      const Record& r = rows[i];
      if ((r.flags & kRecordDeleted) != 0 && !options.all_rows) continue;
      if ((r.flags & kRecordFlsRestricted) != 0 && !options.view_all_data) continue;
      const TimeMs at = r.values[kHCreatedDate].number;
      if (!std::all_of(windows.begin(), windows.end(), [&](const Window& w) { return Holds(w, at); })) continue;
      const Value& amt = r.values[kHAmount];
      if (extra == 1 && CompareText(r.values[kHField].text, field) != 0) continue;
      if (extra == 2 && (amt.is_null() || !(amt.real > std::stod(std::to_string(amount))))) continue;
      if (extra == 3 && CompareText(r.values[kHField].text, field) != 0 && !amt.is_null()) continue;
      if (extra == 4 && r.values[kHCreatedById].text == Id("005", 1)) continue;
      expected.push_back(i);
    }
    if (order.reverse_natural) std::reverse(expected.begin(), expected.end());
    std::stable_sort(expected.begin(), expected.end(),
                     [&](uint64_t a, uint64_t b) { return order.cmp(rows[a], rows[b]) < 0; });
    const uint64_t total = expected.size();
    expected.erase(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(offset, total)));
    if (limit && expected.size() > *limit) expected.resize(*limit);
    std::vector<std::string> expected_ids;
    for (uint64_t i : expected) expected_ids.push_back(rows[i].values[kHId].text);

    INFO(soql);
    INFO("all_rows=" << options.all_rows << " view_all_data=" << options.view_all_data << " now=" << options.now);
    auto result = RunOk(*org, soql, options);
    CHECK(result->total_size() == expected_ids.size());
    CHECK(Column(*result, "Id") == expected_ids);

    std::string count_soql = "SELECT COUNT() FROM AccountHistory";
    if (!where.empty()) count_soql += " WHERE " + where;
    if (limit) count_soql += " LIMIT " + std::to_string(*limit);
    if (offset > 0) count_soql += " OFFSET " + std::to_string(offset);
    CHECK(RunOk(*org, count_soql, options)->total_size() == expected_ids.size());
  }
}

TEST_CASE("a time window reads only the rows inside it", "[sim][query][property]") {
  auto org = TestOrg();
  FakeTable& t = org->table("AccountHistory");
  for (uint64_t i = 0; i < 100000; ++i) {
    std::vector<Value> v(HistoryDef().fields.size());
    v[kHId] = S(Id("017", i));
    v[kHCreatedDate] = T(kApril1 + static_cast<TimeMs>(i) * 1000);
    v[kHField] = S(i % 2 == 0 ? "Name" : "Phone");
    t.Add(std::move(v), i % 1000 == 0 ? uint32_t{kRecordDeleted} : 0u);
  }
  // 1000 rows: 10:00:00 <= CreatedDate < 10:16:40.
  const std::string window = "CreatedDate >= 2026-04-01T10:00:00Z AND CreatedDate < 2026-04-01T12:16:40+02:00";

  QueryOptions everything = Options();
  everything.all_rows = true;
  t.row_calls = 0;
  auto pure = RunOk(*org, "SELECT Id FROM AccountHistory WHERE " + window, everything);
  CHECK(pure->total_size() == 1000);
  CHECK(t.row_calls == 0);  // nothing to check per row: just the index range

  t.row_calls = 0;
  auto flagged = RunOk(*org, "SELECT Id FROM AccountHistory WHERE " + window + " ORDER BY CreatedDate DESC");
  CHECK(flagged->total_size() == 999);  // row 36000 is deleted
  CHECK(t.row_calls == 1000);
  std::string page;
  flagged->AppendJsonRecords(0, 1, &page);
  CHECK(page.find(Id("017", 36999)) != std::string::npos);

  t.row_calls = 0;
  auto filtered = RunOk(*org, "SELECT Id FROM AccountHistory WHERE Field = 'Phone' AND " + window + " LIMIT 10");
  CHECK(filtered->total_size() == 10);
  CHECK(t.row_calls <= 21);  // LIMIT stops the walk

  t.row_calls = 0;
  CHECK(RunOk(*org, "SELECT COUNT() FROM AccountHistory WHERE " + window, everything)->total_size() == 1000);
  CHECK(t.row_calls == 0);

  // The (CreatedDate, Id) resume condition reads from the resume point on.
  t.row_calls = 0;
  auto resumed = RunOk(*org, "SELECT Id FROM AccountHistory WHERE (CreatedDate > 2026-04-01T10:00:00Z OR "
                             "(CreatedDate = 2026-04-01T10:00:00Z AND Id > '" + Id("017", 36000) + "')) AND "
                             "CreatedDate < 2026-04-01T10:16:40Z ORDER BY CreatedDate ASC NULLS FIRST, Id ASC");
  CHECK(resumed->total_size() == 999);
  CHECK(t.row_calls == 1000);
  t.row_calls = 0;
  CHECK(RunOk(*org, "SELECT Id FROM AccountHistory WHERE CreatedDate IN (2026-04-01T10:00:01Z, "
                    "2026-04-01T10:00:03Z)")->total_size() == 2);
  CHECK(t.row_calls == 3);

  // A lookup by Id reads only the rows sharing its timestamp.
  t.row_calls = 0;
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory WHERE Id = '" + Id("017", 54321) + "'") ==
        std::vector<std::string>{Id("017", 54321)});
  CHECK(t.row_calls <= 2);
}

TEST_CASE("the row list stays compact and answers positions like the plain list", "[sim][query][property]") {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 200; ++round) {
    const uint64_t begin = rng() % 1000;
    const uint64_t n = rng() % 5000;
    const bool reverse = rng() % 2 == 0;
    const uint64_t miss_permille = round % 4 == 0 ? 990 : rng() % 1000;
    soql::RowSetBuilder builder(begin, begin + n, reverse);
    std::vector<uint64_t> reference;
    uint64_t hits = 0;
    const uint64_t stop = rng() % 3 == 0 ? rng() % (n + 1) : n;
    for (uint64_t pos = 0; pos < stop; ++pos) {
      if (rng() % 1000 < miss_permille) {
        builder.Miss(pos);
      } else {
        builder.Hit(pos);
        ++hits;
        reference.push_back(reverse ? begin + n - 1 - pos : begin + pos);
      }
    }
    const uint64_t offset = rng() % 3 == 0 ? rng() % 100 : 0;
    const std::optional<uint64_t> limit = rng() % 3 == 0 ? std::optional<uint64_t>(rng() % 500) : std::nullopt;
    soql::RowSet rows = builder.Finish(offset, limit);
    reference.erase(reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(offset, reference.size())));
    if (limit && reference.size() > *limit) reference.resize(*limit);
    REQUIRE(rows.size() == reference.size());
    for (uint64_t k = 0; k < rows.size(); ++k) REQUIRE(rows.At(k) == reference[k]);
    // At most 8 bytes per matching row, plus the fixed slack while misses are few.
    CHECK(rows.MemoryBytes() <= 8 * (hits + 1025));
  }
  soql::RowSet range = soql::RowSet::Range(10, 20, true);
  range.Slice(2, 3);
  CHECK(range.size() == 3);
  CHECK(range.At(0) == 17);
  CHECK(range.At(2) == 15);
  CHECK(range.MemoryBytes() == 0);
}

TEST_CASE("no input crashes the engine", "[sim][query][fuzz]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  org->table("LoginEvent").Add({S("000000000000000AAA"), T(At(1)), S("e1")});
  const std::vector<std::string> seeds = {
      "SELECT Id, CreatedBy.Name, Field FROM AccountHistory WHERE CreatedDate >= 2026-04-01T00:00:00.123+02:00 AND "
      "(Field IN ('Name', 'Phone') OR NOT Amount__c < 3.5) ORDER BY CreatedDate DESC NULLS LAST, Id LIMIT 5 OFFSET 1",
      "SELECT FIELDS(STANDARD) FROM LoginEvent WHERE EventDate > 2026-04-01T00:00:00Z AND EventDate <= "
      "LAST_N_DAYS:30 ORDER BY EventDate DESC",
      "SELECT COUNT() FROM AccountHistory WHERE Field LIKE 'N\\%a_%' AND Day__c != 2026-04-02",
      "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account' AND ParentId = '001000000000001AAA'",
      "SELECT Parent.Name, CreatedBy.Profile.Name FROM AccountHistory WHERE CreatedById NOT IN ('005000000000001')",
  };
  std::mt19937_64 rng(2024);
  const std::string alphabet = "SELECTFROMWHEREANDORNOTIN()=<>!,.'\"\\:%_ -+0123456789TZabcxyz\n\t\x01\xc3\xa9\xff";
  QueryEngine engine(*org);
  int ok = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string q;
    if (i % 10 == 0) {
      q.resize(rng() % 200);
      for (char& c : q) c = static_cast<char>(rng() % 256);
    } else {
      q = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !q.empty(); ++e) {
        const size_t at = rng() % q.size();
        switch (rng() % 5) {
          case 0: q[at] = alphabet[rng() % alphabet.size()]; break;
          case 1: q.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
          case 2: q.erase(at, 1 + rng() % 8); break;
          case 3: q.resize(at); break;
          default: q.insert(at, q.substr(rng() % q.size(), rng() % 20)); break;
        }
      }
    }
    QueryOptions o = Options();
    o.all_rows = rng() % 2 == 0;
    auto r = engine.Run(q, o);
    if (auto* err = std::get_if<SoqlError>(&r)) {
      REQUIRE(err->http_status == 400);
      REQUIRE_FALSE(err->error_code.empty());
      REQUIRE_FALSE(err->message.empty());
      continue;
    }
    ++ok;
    const auto& result = std::get<0>(r);
    std::string out;
    result->AppendJsonRecords(0, 50, &out);
    result->AppendCsvHeader(&out);
    result->AppendCsvRows(0, 50, &out);
  }
  // Deep nesting is refused, not recursed into.
  CHECK(engine.Run("SELECT Id FROM AccountHistory WHERE " + std::string(60000, '('), Options()).index() == 1);
  CHECK(engine.Run("SELECT Id FROM AccountHistory WHERE " + std::string(5000, 'N'), Options()).index() == 1);
  std::string nots = "SELECT Id FROM AccountHistory WHERE ";
  for (int i = 0; i < 10000; ++i) nots += "NOT ";
  CHECK(engine.Run(nots + "Field = 'x'", Options()).index() == 1);
  CHECK(ok > 50);
}

}  // namespace
}  // namespace custody::sim::testing
