// WHERE, ORDER BY, LIMIT/OFFSET, COUNT() and visibility semantics over the sample history rows
// (see AddSampleHistory in query_test_util.h).

#include <catch2/catch.hpp>

#include <string>

#include "query_test_util.h"

namespace custody::sim::testing {
namespace {

std::vector<std::string> Where(const Org& org, const std::string& condition, const QueryOptions& o = Options()) {
  return Ids(org, "SELECT Id FROM AccountHistory WHERE " + condition, o);
}

TEST_CASE("comparison operators, null semantics and case-insensitive text", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory") == HistoryIds({1, 2, 3, 4, 6, 7}));
  CHECK(Where(*org, "Field = 'name'") == HistoryIds({1, 3}));
  CHECK(Where(*org, "Field != 'Name'") == HistoryIds({2, 4, 6, 7}));
  CHECK(Where(*org, "Field <> 'NAME'") == HistoryIds({2, 4, 6, 7}));
  CHECK(Where(*org, "Amount__c < 7.25") == HistoryIds({3, 4, 7}));
  CHECK(Where(*org, "Amount__c <= 7.25") == HistoryIds({3, 4, 6, 7}));
  CHECK(Where(*org, "Amount__c > 7.25") == HistoryIds({1}));
  CHECK(Where(*org, "Amount__c >= 10.5") == HistoryIds({1}));
  CHECK(Where(*org, "Amount__c > -3") == HistoryIds({1, 4, 6, 7}));
  CHECK(Where(*org, "Amount__c = null") == HistoryIds({2}));
  CHECK(Where(*org, "Amount__c != null") == HistoryIds({1, 3, 4, 6, 7}));
  CHECK(Where(*org, "Amount__c > null").empty());
  CHECK(Where(*org, "Count__c = 2") == HistoryIds({2}));
  CHECK(Where(*org, "Count__c >= 2.5") == HistoryIds({3, 6, 7}));
  CHECK(Where(*org, "Count__c IN (1, 3)") == HistoryIds({1, 3}));
  CHECK(Where(*org, "Count__c NOT IN (1, 3)") == HistoryIds({2, 4, 6, 7}));
  CHECK(Where(*org, "Count__c IN (1, null)") == HistoryIds({1, 4}));
  CHECK(Where(*org, "Count__c NOT IN (1, null)") == HistoryIds({2, 3, 6, 7}));
  CHECK(Where(*org, "Field IN ('PHONE', 'website')") == HistoryIds({2, 7}));
  CHECK(Where(*org, "Field NOT IN ('PHONE', 'website')") == HistoryIds({1, 3, 4, 6}));
  CHECK(Where(*org, "IsDeleted = false") == HistoryIds({1, 2, 3, 4, 6, 7}));
  CHECK(Where(*org, "IsDeleted != false").empty());
  CHECK(Where(*org, "Field < 'O'") == HistoryIds({1, 3, 6}));
  CHECK(Where(*org, "Field >= 'phone'") == HistoryIds({2, 7}));
}

TEST_CASE("LIKE matches case-insensitively with % and _ and escapes", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  CHECK(Where(*org, "Field LIKE 'na%'") == HistoryIds({1, 3, 6}));
  CHECK(Where(*org, "Field LIKE '%E'") == HistoryIds({1, 2, 3, 7}));
  CHECK(Where(*org, "Field LIKE '_hone'") == HistoryIds({2}));
  CHECK(Where(*org, "Field LIKE 'Name\\%\\_%'") == HistoryIds({6}));
  CHECK(Where(*org, "Field LIKE '%a%e%'") == HistoryIds({1, 3, 6}));
  CHECK(Where(*org, "Field LIKE 'name'") == HistoryIds({1, 3}));
  CHECK(Where(*org, "Field LIKE '%'") == HistoryIds({1, 2, 3, 4, 6, 7}));
}

TEST_CASE("AND binds tighter than OR, parentheses and NOT", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  CHECK(Where(*org, "Field = 'Phone' OR Field = 'Owner' AND Amount__c = 5") == HistoryIds({2}));
  CHECK(Where(*org, "Field = 'Owner' AND Amount__c = 5 OR Field = 'Phone'") == HistoryIds({2}));
  CHECK(Where(*org, "(Field = 'Phone' OR Field = 'Owner') AND Amount__c = 0") == HistoryIds({4}));
  CHECK(Where(*org, "Field = 'Phone' OR (Field = 'Owner' AND Amount__c = 0)") == HistoryIds({2, 4}));
  CHECK(Where(*org, "NOT Field = 'Name'") == HistoryIds({2, 4, 6, 7}));
  CHECK(Where(*org, "NOT (Amount__c > 0)") == HistoryIds({2, 3, 4}));
  CHECK(Where(*org, "NOT NOT (Amount__c > 0)") == HistoryIds({1, 6, 7}));
  CHECK(Where(*org, "((Count__c = 1) or (count__c = 2)) and not (field = 'phone')") == HistoryIds({1}));
  CHECK(Where(*org, "Field = 'a' OR Field = 'Phone' OR Field = 'Website' AND Count__c = 7") == HistoryIds({2, 7}));
}

TEST_CASE("dateTime literals in every zone form compare in UTC", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  for (const char* literal : {"2026-04-01T10:30:00.250Z", "2026-04-01T12:30:00.25+02:00", "2026-04-01T05:00:00.250-05:30",
                              "2026-04-01T10:30:00.2509999Z", "2026-04-01T12:30:00.250+0200",
                              "2026-03-31T23:30:00.250-11:00"}) {
    INFO(literal);
    CHECK(Where(*org, std::string("CreatedDate = ") + literal) == HistoryIds({2}));
  }
  CHECK(Where(*org, "CreatedDate = 2026-04-01T10:30:00Z").empty());
  CHECK(Where(*org, "CreatedDate > 2026-04-01T10:30:00.250Z") == HistoryIds({3, 4, 6, 7}));
  CHECK(Where(*org, "CreatedDate >= 2026-04-02T02:00:00+02:00") == HistoryIds({3, 4, 6, 7}));
  CHECK(Where(*org, "CreatedDate < 2026-04-02T00:00:00Z") == HistoryIds({1, 2}));
  CHECK(Where(*org, "CreatedDate <= 2026-04-02T00:00:00Z") == HistoryIds({1, 2, 3, 4}));
  CHECK(Where(*org, "CreatedDate != 2026-04-02T00:00:00Z") == HistoryIds({1, 2, 6, 7}));
  CHECK(Where(*org, "CreatedDate IN (2026-04-01T00:00:00Z, 2026-04-05T00:00:00Z)") == HistoryIds({1, 7}));
  CHECK(Where(*org, "CreatedDate > 2026-04-01T00:00:00Z AND CreatedDate < 2026-04-04T23:59:59.999Z") ==
        HistoryIds({2, 3, 4}));
  CHECK(Where(*org, "CreatedDate > 2026-04-05T00:00:00Z").empty());
  CHECK(Where(*org, "CreatedDate < 2026-04-01T00:00:00Z OR CreatedDate > 2026-04-04T12:00:00Z") == HistoryIds({6, 7}));
}

TEST_CASE("date literals and relative date literals", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  CHECK(Where(*org, "Day__c = 2026-04-02") == HistoryIds({3, 4}));
  CHECK(Where(*org, "Day__c > 2026-04-02") == HistoryIds({6, 7}));
  CHECK(Where(*org, "Day__c <= 2026-04-01") == HistoryIds({1}));
  CHECK(Where(*org, "Day__c = null") == HistoryIds({2}));

  const QueryOptions o = Options(At(5, 10));  // 2026-04-05T10:00:00Z
  CHECK(Where(*org, "CreatedDate = TODAY", o) == HistoryIds({7}));
  CHECK(Where(*org, "CreatedDate = YESTERDAY", o) == HistoryIds({6}));
  CHECK(Where(*org, "CreatedDate >= YESTERDAY", o) == HistoryIds({6, 7}));
  CHECK(Where(*org, "CreatedDate > YESTERDAY", o) == HistoryIds({7}));
  CHECK(Where(*org, "CreatedDate < YESTERDAY", o) == HistoryIds({1, 2, 3, 4}));
  CHECK(Where(*org, "CreatedDate <= YESTERDAY", o) == HistoryIds({1, 2, 3, 4, 6}));
  CHECK(Where(*org, "CreatedDate != TODAY", o) == HistoryIds({1, 2, 3, 4, 6}));
  CHECK(Where(*org, "CreatedDate > TODAY", o).empty());
  CHECK(Where(*org, "CreatedDate = TOMORROW", o).empty());
  CHECK(Where(*org, "CreatedDate = NEXT_N_DAYS:3", o).empty());
  CHECK(Where(*org, "CreatedDate = LAST_N_DAYS:2", o) == HistoryIds({6, 7}));
  CHECK(Where(*org, "CreatedDate < LAST_N_DAYS:3", o) == HistoryIds({1, 2}));
  CHECK(Where(*org, "CreatedDate = N_DAYS_AGO:3", o) == HistoryIds({3, 4}));
  CHECK(Where(*org, "Day__c = LAST_N_DAYS:1", o) == HistoryIds({6, 7}));
  CHECK(Where(*org, "Day__c = TODAY", o) == HistoryIds({7}));
  CHECK(Where(*org, "Day__c IN (YESTERDAY, N_DAYS_AGO:4)", o) == HistoryIds({1, 6}));
  // Rows created after `now` do not exist yet.
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory", Options(At(2))) == HistoryIds({1, 2, 3, 4}));
}

TEST_CASE("ORDER BY: directions, NULLS FIRST/LAST, several keys, relationships", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  auto ordered = [&](const std::string& order) { return Ids(*org, "SELECT Id FROM AccountHistory ORDER BY " + order); };
  CHECK(ordered("Amount__c") == HistoryIds({2, 3, 4, 7, 6, 1}));
  CHECK(ordered("Amount__c ASC") == HistoryIds({2, 3, 4, 7, 6, 1}));
  CHECK(ordered("Amount__c DESC") == HistoryIds({1, 6, 7, 4, 3, 2}));
  CHECK(ordered("Amount__c ASC NULLS LAST") == HistoryIds({3, 4, 7, 6, 1, 2}));
  CHECK(ordered("Amount__c DESC NULLS FIRST") == HistoryIds({2, 1, 6, 7, 4, 3}));
  CHECK(ordered("Day__c DESC, Field ASC") == HistoryIds({7, 6, 3, 4, 1, 2}));
  CHECK(ordered("Day__c DESC, Field DESC") == HistoryIds({7, 6, 4, 3, 1, 2}));
  CHECK(ordered("Field") == HistoryIds({1, 3, 6, 4, 2, 7}));
  CHECK(ordered("CreatedDate") == HistoryIds({1, 2, 3, 4, 6, 7}));
  CHECK(ordered("CreatedDate DESC") == HistoryIds({7, 6, 4, 3, 2, 1}));
  CHECK(ordered("CreatedDate ASC NULLS FIRST, Id ASC") == HistoryIds({1, 2, 3, 4, 6, 7}));
  CHECK(ordered("CreatedDate ASC, Id DESC") == HistoryIds({1, 2, 4, 3, 6, 7}));
  CHECK(ordered("CreatedDate ASC, Field DESC") == HistoryIds({1, 2, 4, 3, 6, 7}));
  CHECK(ordered("CreatedDate DESC, Field ASC") == HistoryIds({7, 6, 3, 4, 2, 1}));
  CHECK(ordered("Id DESC") == HistoryIds({7, 6, 4, 3, 2, 1}));
  CHECK(ordered("IsDeleted, Count__c DESC") == HistoryIds({7, 6, 3, 2, 1, 4}));
  CHECK(ordered("CreatedBy.Name, Id") == HistoryIds({4, 7, 1, 3, 2, 6}));
  CHECK(ordered("CreatedBy.Name DESC NULLS LAST, Id DESC") == HistoryIds({6, 2, 3, 1, 7, 4}));
  CHECK(ordered("Account.Name, CreatedDate DESC") == HistoryIds({4, 7, 3, 1, 6, 2}));
}

TEST_CASE("LIMIT and OFFSET apply after ordering, totalSize counts returned rows", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  auto r = RunOk(*org, "SELECT Id FROM AccountHistory ORDER BY CreatedDate LIMIT 2");
  CHECK(r->total_size() == 2);
  CHECK(Column(*r, "Id") == HistoryIds({1, 2}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory LIMIT 2 OFFSET 3") == HistoryIds({4, 6}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory OFFSET 4") == HistoryIds({6, 7}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory LIMIT 0").empty());
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory OFFSET 10").empty());
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory ORDER BY Amount__c DESC LIMIT 2 OFFSET 1") == HistoryIds({6, 7}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory ORDER BY CreatedDate DESC LIMIT 3") == HistoryIds({7, 6, 4}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory ORDER BY CreatedDate, Id DESC LIMIT 3 OFFSET 1") ==
        HistoryIds({2, 4, 3}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory WHERE Count__c > 1 ORDER BY Field LIMIT 100") ==
        HistoryIds({3, 6, 2, 7}));
  // Pages can be fetched in any order and overlap.
  auto all = RunOk(*org, "SELECT Id FROM AccountHistory ORDER BY Field DESC");
  std::string page;
  all->AppendJsonRecords(4, 10, &page);
  CHECK(page.find(Id("017", 3)) != std::string::npos);
  CHECK(page.find(Id("017", 1)) != std::string::npos);
  std::string none;
  all->AppendJsonRecords(6, 10, &none);
  all->AppendJsonRecords(600, 10, &none);
  CHECK(none.empty());
}

TEST_CASE("COUNT() counts matches, honours LIMIT, has no records", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  auto count = [&](const std::string& soql, QueryOptions o = Options()) {
    auto r = RunOk(*org, soql, o);
    CHECK(r->is_count());
    std::string out;
    r->AppendJsonRecords(0, 100, &out);
    CHECK(out.empty());
    return r->total_size();
  };
  CHECK(count("SELECT COUNT() FROM AccountHistory") == 6);
  CHECK(count("select count() from accounthistory where Field = 'name'") == 2);
  CHECK(count("SELECT COUNT() FROM AccountHistory LIMIT 3") == 3);
  CHECK(count("SELECT COUNT() FROM AccountHistory WHERE CreatedDate >= 2026-04-02T00:00:00Z") == 4);
  QueryOptions all = Options();
  all.all_rows = true;
  CHECK(count("SELECT COUNT() FROM AccountHistory", all) == 7);
  QueryOptions no_fls = Options();
  no_fls.view_all_data = false;
  CHECK(count("SELECT COUNT() FROM AccountHistory", no_fls) == 5);
  no_fls.all_rows = true;
  CHECK(count("SELECT COUNT() FROM AccountHistory", no_fls) == 6);
  CHECK(count("SELECT COUNT() FROM SetupAuditTrail") == 0);
  CHECK_FALSE(RunOk(*org, "SELECT Id FROM AccountHistory")->is_count());
}

TEST_CASE("queryAll returns deleted rows, FLS-restricted rows need View All Data", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  QueryOptions all = Options();
  all.all_rows = true;
  auto r = RunOk(*org, "SELECT Id, IsDeleted FROM AccountHistory WHERE Field = 'Industry'", all);
  REQUIRE(r->total_size() == 1);
  std::string json;
  r->AppendJsonRecords(0, 1, &json);
  CHECK(json.find("\"IsDeleted\":true") != std::string::npos);
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory WHERE Field = 'Industry'").empty());
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory", all) == HistoryIds({1, 2, 3, 4, 5, 6, 7}));

  QueryOptions restricted = Options();
  restricted.view_all_data = false;
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory", restricted) == HistoryIds({1, 2, 3, 4, 7}));
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory ORDER BY Amount__c", restricted) == HistoryIds({2, 3, 4, 7, 1}));
  restricted.all_rows = true;
  CHECK(Ids(*org, "SELECT Id FROM AccountHistory ORDER BY CreatedDate DESC", restricted) ==
        HistoryIds({7, 5, 4, 3, 2, 1}));
}

TEST_CASE("relationship paths filter through the related record", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  CHECK(Where(*org, "CreatedBy.Name = 'jane doe'") == HistoryIds({1, 3}));
  CHECK(Where(*org, "CreatedBy.Name != 'Jane Doe'") == HistoryIds({2, 4, 6, 7}));
  CHECK(Where(*org, "CreatedBy.Name = null") == HistoryIds({4, 7}));
  CHECK(Where(*org, "CreatedBy.Profile.Name = 'Clinician'") == HistoryIds({1, 3}));
  CHECK(Where(*org, "Account.Name LIKE 'glo%' AND CreatedBy.IsActive = true") == HistoryIds({2, 6}));
  CHECK(Where(*org, "CreatedById = '" + Id("005", 2) + "'") == HistoryIds({2, 6}));
  // A 15-character id matches its 18-character form.
  CHECK(Where(*org, "CreatedById = '" + Id("005", 2).substr(0, 15) + "'") == HistoryIds({2, 6}));
  CHECK(Where(*org, "CreatedById IN ('" + Id("005", 1) + "', '" + Id("005", 9) + "')") == HistoryIds({1, 3, 7}));
  CHECK(Where(*org, "Id = '" + Id("017", 3) + "'") == HistoryIds({3}));
  CHECK(Where(*org, "Id = '" + Id("017", 5) + "'").empty());
  CHECK(Where(*org, "Id = '017000000000042AAA'").empty());
  CHECK(Where(*org, "Id > '" + Id("017", 4) + "' AND CreatedDate >= 2026-04-02T00:00:00Z") == HistoryIds({6, 7}));
}

TEST_CASE("FIELDS(STANDARD) expands to the standard fields in describe order", "[sim][query][eval]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  auto r = RunOk(*org, "SELECT FIELDS(STANDARD) FROM AccountHistory WHERE Id = '" + Id("017", 1) + "'");
  rapidjson::Document d = ParseJson(AllJson(*r));
  REQUIRE(d.Size() == 1);
  std::vector<std::string> names;
  for (const auto& m : d[0].GetObject()) names.push_back(m.name.GetString());
  CHECK(names == std::vector<std::string>{"attributes", "Id", "IsDeleted", "AccountId", "CreatedById", "CreatedDate",
                                          "Field", "DataType", "OldValue", "NewValue"});
  std::string header;
  RunOk(*org, "SELECT FIELDS(CUSTOM), CreatedBy.Name FROM AccountHistory LIMIT 1")->AppendCsvHeader(&header);
  CHECK(header == "\"Amount__c\",\"Count__c\",\"Day__c\",\"Note__c\",\"CreatedBy.Name\"\n");
}

}  // namespace
}  // namespace custody::sim::testing
