#pragma once
// The org's activity (activity.h) and the other time-ordered generated rows (field history, setup
// audit trail), each a MergedSequence of a seeded generator and the scenario's injected items.
//
// Volumes: logins ~0.35 per present user-hour; report runs 0.25, list views 0.6, Classic page views
// 1.0 and file transfers 0.12 per present user-hour, all inside a real login session; API calls
// from the integration users at steady rates scaled so EventLogFile volume is about
// OrgConfig::elf_bytes_per_day (two ELF rows of ~400 bytes per call); nightly Bulk API 2.0 sync
// jobs plus a weekly Data Loader export; a handful of Setup Audit Trail rows per weekday, every
// fourth of them an admin's Login-As (which is also the LoginAs activity).

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "activity.h"
#include "org/grid.h"
#include "org/history.h"
#include "org/logins.h"
#include "org/population.h"
#include "org/sequence.h"

namespace custody::sim::gen {

struct ReportDef {
  const char* name;
  const char* developer_name;
  const char* folder;
  DataObject entity;
  const char* column_headers;  // "[Patient Name, MRN, Date of Birth]"
  uint32_t columns;
  double fraction;             // typical share of the entity's records a run returns
};
const std::vector<ReportDef>& ReportCatalog();
std::string ReportId(uint64_t report);  // "00O..."

struct ListViewDef {
  const char* name;
  DataObject entity;
  double fraction;
};
const std::vector<ListViewDef>& ListViewCatalog();

// The Setup Audit Trail Action for a Data Export request. The exact string Salesforce writes is
// not documented in any source we have (research/salesforce.md §4.7, §10): this is our stand-in,
// kept in one place so it can be changed when the real value is known.
inline constexpr const char* kDataExportAction = "dataExportRequested";
inline constexpr const char* kDataExportSection = "Data Export";

struct AuditRow {
  TimeMs time = 0;  // CreatedDate, whole seconds
  std::string id;   // "0Ym..."
  std::string action;
  std::string section;
  std::string display;
  uint32_t created_by = 0;
  std::string delegate_user;
  bool scenario = false;
};

// Items a breach scenario injects, each list sorted by time.
struct ScenarioActivities {
  std::vector<LoginActivity> logins;
  std::vector<LogoutActivity> logouts;
  std::vector<LoginAsActivity> login_as;
  std::vector<ReportActivity> reports;
  std::vector<ApiActivity> api_calls;
  std::vector<BulkJobActivity> bulk_jobs;
  std::vector<ContentTransferActivity> content_transfers;
  std::vector<ListViewActivity> list_views;
  std::vector<UriActivity> uri_views;
  std::array<std::vector<HistoryRow>, kHistoryObjectCount> history;
  std::vector<AuditRow> audit;
};

// True for API calls ApiEvent records (read-only: query, queryMore, GET).
bool IsReadOnlyApiCall(const ApiActivity& call);

class Generator final : public Activity {
 public:
  Generator(const World& world, ScenarioActivities scenario);

  const Sequence<LoginActivity>& Logins() const override { return *logins_; }
  const Sequence<LogoutActivity>& Logouts() const override { return *logouts_; }
  const Sequence<LoginAsActivity>& LoginAs() const override { return *login_as_; }
  const Sequence<ReportActivity>& Reports() const override { return *reports_; }
  const Sequence<ApiActivity>& ApiCalls() const override { return *api_calls_; }
  const Sequence<BulkJobActivity>& BulkJobs() const override { return *bulk_jobs_; }
  const Sequence<ContentTransferActivity>& ContentTransfers() const override { return *content_; }
  const Sequence<ListViewActivity>& ListViews() const override { return *list_views_; }
  const Sequence<UriActivity>& UriViews() const override { return *uri_views_; }
  std::unique_ptr<ApiCallCursor> ApiCallViews() const override;

  // The read-only subset of ApiCalls() (ApiEvent's rows), same order.
  const MergedSequence<ApiActivity>& ApiReadCalls() const { return *api_reads_; }
  const MergedSequence<HistoryRow>& History(HistoryObject o) const { return *history_[static_cast<size_t>(o)]; }
  const HistoryModel& history_model(HistoryObject o) const { return *history_models_[static_cast<size_t>(o)]; }
  const MergedSequence<AuditRow>& Audit() const { return *audit_; }
  const MergedSequence<LoginActivity>& merged_logins() const { return *logins_; }
  const LoginModel& login_model() const { return *login_model_; }
  const World& world() const { return world_; }
  // Window-created cases (CaseHistory "created" rows), for the Case table.
  uint64_t WindowCases() const { return history_models_[kHistCase]->WindowCases(); }

 private:
  const World& world_;
  Timeline timeline_;
  const LoginModel* login_model_ = nullptr;
  std::array<const HistoryModel*, kHistoryObjectCount> history_models_{};
  std::unique_ptr<Grid> audit_grid_;
  std::unique_ptr<MergedSequence<LoginActivity>> logins_;
  std::unique_ptr<MergedSequence<LogoutActivity>> logouts_;
  std::unique_ptr<MergedSequence<LoginAsActivity>> login_as_;
  std::unique_ptr<MergedSequence<ReportActivity>> reports_;
  std::unique_ptr<MergedSequence<ApiActivity>> api_calls_;
  const Source<ApiActivity>* api_model_ = nullptr;  // api_calls_'s generated part
  std::unique_ptr<MergedSequence<ApiActivity>> api_reads_;
  std::unique_ptr<MergedSequence<BulkJobActivity>> bulk_jobs_;
  std::unique_ptr<MergedSequence<ContentTransferActivity>> content_;
  std::unique_ptr<MergedSequence<ListViewActivity>> list_views_;
  std::unique_ptr<MergedSequence<UriActivity>> uri_views_;
  std::array<std::unique_ptr<MergedSequence<HistoryRow>>, kHistoryObjectCount> history_;
  std::unique_ptr<MergedSequence<AuditRow>> audit_;
};

// Splits `total` history rows over the history objects by their shares (exact sum).
std::array<uint64_t, kHistoryObjectCount> SplitHistoryRows(uint64_t total);

}  // namespace custody::sim::gen
