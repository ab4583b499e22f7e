// Render throughput check, hidden from normal runs (tag [.perf]); prints rows per second:
//   custody_sim_query_tests "[.perf]"
// The fake table's Row() copies a stored record, so the numbers include one record copy per row.

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

#include "query_test_util.h"

namespace custody::sim::testing {
namespace {

TEST_CASE("render throughput of 2,000-row pages", "[.perf]") {
  auto org = TestOrg();
  FakeTable& t = org->table("AccountHistory");
  constexpr uint64_t kRows = 200000;
  for (uint64_t i = 0; i < kRows; ++i) {
    std::vector<Value> v(HistoryDef().fields.size());
    v[kHId] = S(Id("017", i));
    v[kHIsDeleted] = Value::Bool(false);
    v[kHAccountId] = S(Id("001", 1 + i % 2));
    v[kHCreatedById] = S(Id("005", 1 + i % 3));
    v[kHCreatedDate] = T(kApril1 + static_cast<TimeMs>(i) * 1000);
    v[kHField] = S(i % 2 == 0 ? "Phone" : "Patient_Status__c");
    v[kHDataType] = S("Text");
    v[kHOldValue] = S("(555) 010-" + std::to_string(1000 + i % 9000));
    v[kHNewValue] = S("Discharged \"home\" " + std::to_string(i));
    v[kHAmount] = Value::Double(static_cast<double>(i % 1000) / 8);
    t.Add(std::move(v), i % 50 == 0 ? uint32_t{kRecordDeleted} : 0u);
  }
  auto measure = [&](const char* label, const std::string& soql, bool csv) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = RunOk(*org, soql);
    const auto t1 = std::chrono::steady_clock::now();
    std::string page;
    uint64_t bytes = 0;
    for (uint64_t offset = 0; offset < r->total_size(); offset += 2000) {
      page.clear();
      if (csv) {
        r->AppendCsvRows(offset, 2000, &page);
      } else {
        r->AppendJsonRecords(offset, 2000, &page);
      }
      bytes += page.size();
    }
    const auto t2 = std::chrono::steady_clock::now();
    const double run_s = std::chrono::duration<double>(t1 - t0).count();
    const double render_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("%-44s run %.3f s, render %llu rows in %.3f s = %.0f rows/s (%.1f MB/s)\n", label, run_s,
                static_cast<unsigned long long>(r->total_size()), render_s,
                static_cast<double>(r->total_size()) / render_s, static_cast<double>(bytes) / render_s / 1e6);
  };
  const std::string ten = "SELECT Id, IsDeleted, AccountId, CreatedById, CreatedDate, Field, DataType, OldValue, "
                          "NewValue, Amount__c FROM AccountHistory";
  t.row_calls = 0;
  const auto c0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < kRows; ++i) (void)t.Row(i, 0);
  const double copy_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
  std::printf("%-44s %.0f rows/s\n", "Row() copy alone", static_cast<double>(kRows) / copy_s);
  measure("JSON, 10 fields", ten, false);
  measure("JSON, 10 fields, ORDER BY CreatedDate DESC", ten + " ORDER BY CreatedDate DESC", false);
  measure("JSON, 8 fields + CreatedBy.Name", "SELECT Id, AccountId, CreatedDate, Field, DataType, OldValue, "
          "NewValue, Amount__c, CreatedBy.Name FROM AccountHistory", false);
  measure("JSON, 10 fields, ORDER BY Field, Amount__c", ten + " ORDER BY Field, Amount__c DESC", false);
  measure("CSV, 10 fields", ten, true);
}

}  // namespace
}  // namespace custody::sim::testing
