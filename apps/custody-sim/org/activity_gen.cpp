#include "org/activity_gen.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "org/calendar.h"
#include "org/ids.h"
#include "org/records.h"
#include "org/rng.h"

namespace custody::sim::gen {
namespace {

constexpr double kReportsPerPresentHour = 0.25;
constexpr double kListViewsPerPresentHour = 0.6;
constexpr double kUriViewsPerPresentHour = 1.0;
constexpr double kTransfersPerPresentHour = 0.12;
constexpr double kElfBytesPerApiCall = 800;  // two ELF rows (API|RestApi + ApiTotalUsage) of ~400 B

void ApplySession(const Session& s, ActivityBase* a) {
  a->user = s.user;
  a->client_ip = s.client_ip;
  a->session_key = s.session_key;
  a->login_key = s.login_key;
}

std::string IsoSeconds(TimeMs t) {
  std::string s = FormatIsoZ(FloorTo(t, kSecond));
  return s.substr(0, 19) + "Z";
}

std::vector<double> HumanExpected(const Timeline& timeline, double per_present_hour) {
  std::vector<double> out(timeline.buckets());
  for (uint32_t b = 0; b < timeline.buckets(); ++b) {
    out[b] = timeline.presence()[b] * per_present_hour * (static_cast<double>(kBucketLen) / kHour);
  }
  return out;
}

// A generated source whose times come from a Grid.
template <typename T>
class GridSource : public Source<T> {
 public:
  GridSource(const World& world, const LoginModel& logins, std::shared_ptr<const Grid> grid)
      : world_(world), logins_(logins), grid_(std::move(grid)) {}
  uint64_t Size() const override { return grid_->size(); }
  TimeMs TimeAt(uint64_t i) const override { return grid_->TimeAt(i); }
  uint64_t LowerBound(TimeMs t) const override { return grid_->LowerBound(t); }
  T At(uint64_t i) const override {
    const auto [b, k] = grid_->Locate(i);
    return Build(i, grid_->Time(b, k), b, k);
  }

 protected:
  virtual T Build(uint64_t i, TimeMs t, uint32_t b, uint32_t k) const = 0;
  const World& world_;
  const LoginModel& logins_;
  std::shared_ptr<const Grid> grid_;
};

class ReportModel final : public GridSource<ReportActivity> {
 public:
  using GridSource::GridSource;

 private:
  ReportActivity Build(uint64_t i, TimeMs t, uint32_t, uint32_t) const override {
    Rng r(world_.seed(), kStreamReport, i);
    ReportActivity a;
    a.time = t;
    ApplySession(logins_.HumanSessionAt(t, r.Next(), false), &a);
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    const auto& catalog = ReportCatalog();
    const uint64_t report = r.Below(catalog.size());
    const ReportDef& def = catalog[report];
    a.report_id = ReportId(report);
    a.report_name = def.name;
    a.entity = DataObjectName(def.entity);
    const double n = static_cast<double>(BaseRecordCount(world_, def.entity));
    a.rows = std::max<uint64_t>(1, static_cast<uint64_t>(n * def.fraction * (0.5 + r.Unit())));
    a.columns = def.columns;
    a.column_headers = def.column_headers;
    const double x = r.Unit();
    a.exported = x < 0.06;
    a.format = a.exported ? (r.Chance(0.85) ? "csv" : "xlsx") : (x < 0.08 ? "printable" : "");
    const double s = r.Unit();
    a.event_source = s < 0.85 ? "Lightning" : (s < 0.95 ? "Classic" : "API");
    return a;
  }
};

// "2026-04-15T12:34:56Z" for the second of t (FormatIsoZ without the milliseconds), appended to
// *out without a temporary: the API calls' SOQL carries one per call.
void AppendIsoSeconds(TimeMs t, std::string* out) {
  const TimeMs secs = FloorTo(t, kSecond) / kSecond;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const CivilDate c = CivilFromDays(days);
  const int64_t year = c.year;
  const unsigned month = c.month;
  const unsigned day = c.day;
  if (year < 0 || year > 9999) {  // not four digits: the general formatter's exact text
    out->append(IsoSeconds(t));
    return;
  }
  const auto y = static_cast<unsigned>(year);
  const auto hour = static_cast<unsigned>(rem / 3600);
  const auto minute = static_cast<unsigned>(rem / 60 % 60);
  const auto second = static_cast<unsigned>(rem % 60);
  char buf[20] = {static_cast<char>('0' + y / 1000), static_cast<char>('0' + y / 100 % 10),
                  static_cast<char>('0' + y / 10 % 10), static_cast<char>('0' + y % 10), '-',
                  static_cast<char>('0' + month / 10), static_cast<char>('0' + month % 10), '-',
                  static_cast<char>('0' + day / 10), static_cast<char>('0' + day % 10), 'T',
                  static_cast<char>('0' + hour / 10), static_cast<char>('0' + hour % 10), ':',
                  static_cast<char>('0' + minute / 10), static_cast<char>('0' + minute % 10), ':',
                  static_cast<char>('0' + second / 10), static_cast<char>('0' + second % 10), 'Z'};
  out->append(buf, sizeof buf);
}

// An integration user's session over a span of times it is known to cover. The session of an
// integration user at t is its latest token grant at or before t (LoginModel::IntegrationSessionAt),
// a step function of t, so the same session at two times is the session of every time between.
struct SessionSpan {
  uint32_t user = UINT32_MAX;
  TimeMs lo = 0;
  TimeMs hi = -1;
  Session session;
};

bool SameSession(const Session& a, const Session& b) {
  return a.user == b.user && a.mobile == b.mobile && a.client_ip == b.client_ip && a.session_key == b.session_key &&
         a.login_key == b.login_key && a.login_history_id == b.login_history_id;
}

// What an API-call cursor keeps between calls: the storage its views point into, and caches.
struct ApiFillState {
  std::array<SessionSpan, 4> spans;  // integration sessions (two integration users call the API)
  size_t next_span = 0;
  bool cache_sessions = true;         // false: one call only (spans would cost a probe for nothing)
  Session session;                    // the last call's session when not from `spans`
  char request_id[kRequestIdLength] = {};
  uint64_t event_hash = 0;            // the draw event_identifier is made from
  std::string uri;
  // SOQL texts: one per query shape, rebuilt when the second in them changes.
  struct Query {
    TimeMs second = INT64_MIN;
    std::string text;
  };
  std::array<Query, 5> queries;
};

class ApiModel final : public GridSource<ApiActivity> {
 public:
  using GridSource::GridSource;

  // At(i) as a view into *state.
  void FillAt(uint64_t i, ApiCallView* out, ApiFillState* state) const {
    const auto [b, k] = grid_->Locate(i);
    Fill(i, grid_->Time(b, k), k, out, state);
  }

 private:
  // The one definition of a call: the fast cursor's view, copied.
  ApiActivity Build(uint64_t i, TimeMs t, uint32_t, uint32_t k) const override {
    ApiFillState state;
    state.cache_sessions = false;
    ApiCallView v;
    Fill(i, t, k, &v, &state);
    ApiActivity a;
    a.time = v.time;
    a.user = v.user;
    a.client_ip = v.client_ip;
    a.request_id = v.request_id;
    a.session_key = v.session_key;
    a.login_key = v.login_key;
    a.event_identifier = Uuid(state.event_hash);
    a.api_family = v.api_family;
    a.method = v.method;
    a.uri = v.uri;
    a.entity = v.entity;
    a.query = v.query;
    a.rows = v.rows;
    a.response_bytes = v.response_bytes;
    a.status_code = v.status_code;
    a.client_name = v.client_name;
    a.connected_app_id = v.connected_app_id;
    a.connected_app_name = v.connected_app_name;
    a.user_agent = v.user_agent;
    return a;
  }

  static void ViewSession(const Session& s, ApiCallView* v) {
    v->user = s.user;
    v->client_ip = s.client_ip;
    v->session_key = s.session_key;
    v->login_key = s.login_key;
  }

  const Session& IntegrationSession(uint32_t user, TimeMs t, ApiFillState* state) const {
    if (!state->cache_sessions) {
      state->session = logins_.IntegrationSessionAt(user, t);
      return state->session;
    }
    SessionSpan* span = nullptr;
    for (SessionSpan& s : state->spans) {
      if (s.user == user) span = &s;
    }
    if (span != nullptr && t >= span->lo && t <= span->hi) return span->session;
    Session s = logins_.IntegrationSessionAt(user, t);
    if (span != nullptr && SameSession(s, span->session)) {
      span->lo = std::min(span->lo, t);
      span->hi = std::max(span->hi, t);
    } else {
      if (span == nullptr) {
        span = &state->spans[state->next_span];
        state->next_span = (state->next_span + 1) % state->spans.size();
      }
      span->user = user;
      span->lo = t;
      span->hi = t;
      span->session = std::move(s);
    }
    // Look ahead: grants are hours apart, so most probes extend the span past many calls.
    for (const TimeMs ahead : {10 * kMinute, kMinute, 5 * kSecond}) {
      if (t + ahead <= span->hi) break;
      if (SameSession(logins_.IntegrationSessionAt(user, t + ahead), span->session)) {
        span->hi = t + ahead;
        break;
      }
    }
    return span->session;
  }

  // prefix + the second of t in ISO form, cached per shape.
  static std::string_view QueryText(ApiFillState* state, size_t shape, std::string_view prefix, TimeMs t) {
    ApiFillState::Query& q = state->queries[shape];
    const TimeMs second = FloorTo(t, kSecond);
    if (q.second != second || q.text.empty()) {
      q.text.assign(prefix);
      AppendIsoSeconds(t, &q.text);
      q.second = second;
    }
    return q.text;
  }

  static std::string_view ConnectedAppId(int n) {
    static const std::string kIds[] = {MakeId("0H4", 0, 1), MakeId("0H4", 0, 2), MakeId("0H4", 0, 3)};
    return kIds[n - 1];
  }

  // Every field of *out is written; the texts point into *state, constants and the model.
  void Fill(uint64_t i, TimeMs t, uint32_t k, ApiCallView* out, ApiFillState* state) const {
    using std::string_view_literals::operator""sv;
    ApiCallView& a = *out;
    a = ApiCallView{};
    const bool write = k % 4 == 3;
    Rng r(world_.seed(), kStreamApi, i);
    const double who = r.Unit();
    a.time = t;
    RequestIdTo(r.Next(), state->request_id);
    a.request_id = std::string_view(state->request_id, kRequestIdLength);
    state->event_hash = r.Next();
    if (who < 0.58) {
      ViewSession(IntegrationSession(kUserMirth, t, state), &a);
      a.api_family = "REST"sv;
      a.client_name = "MirthConnect/4.5.0"sv;
      a.connected_app_id = ConnectedAppId(1);
      a.connected_app_name = "Mirth Connect"sv;
      a.user_agent = "Apache-HttpClient/4.5.14 (Java/17.0.10)"sv;
      const bool patient = r.Chance(0.6);
      if (!write) {
        a.method = "GET"sv;
        a.uri = "/services/data/v62.0/query"sv;
        a.entity = patient ? "Patient__c"sv : "Appointment__c"sv;
        a.query = patient ? QueryText(state, 0,
                                      "SELECT Id, MRN__c, Name, Status__c, Primary_Provider__c FROM Patient__c "
                                      "WHERE SystemModstamp > "sv,
                                      t - 5 * kMinute)
                          : QueryText(state, 1,
                                      "SELECT Id, Patient__c, Start_Time__c, Status__c FROM Appointment__c WHERE "
                                      "SystemModstamp > "sv,
                                      t - 5 * kMinute);
        a.rows = r.Below(30);
        a.response_bytes = 380 + a.rows * 240;
      } else if (patient) {
        a.method = "PATCH"sv;
        a.entity = "Patient__c"sv;
        state->uri.assign("/services/data/v62.0/sobjects/Patient__c/MRN__c/"sv);
        state->uri.append(world_.Mrn(r.Below(world_.patients())));
        a.uri = state->uri;
        a.rows = 1;
        a.status_code = 204;
      } else {
        a.method = "POST"sv;
        a.entity = "Appointment__c"sv;
        a.uri = "/services/data/v62.0/sobjects/Appointment__c"sv;
        a.rows = 1;
        a.status_code = 201;
        a.response_bytes = 58;
      }
    } else if (who < 0.95) {
      ViewSession(IntegrationSession(kUserEhrSync, t, state), &a);
      if (r.Chance(0.25)) a.client_ip = "Salesforce.com IP"sv;
      a.api_family = "SOAP"sv;
      a.uri = "/services/Soap/u/62.0"sv;
      a.client_name = "EHRSync/2.3"sv;
      a.connected_app_id = ConnectedAppId(2);
      a.connected_app_name = "EHR Sync"sv;
      a.user_agent = "EHRSync/2.3 (Axis2/1.8.2)"sv;
      static constexpr std::string_view kQueries[] = {
          "SELECT Id, Name, LastModifiedDate FROM Contact WHERE SystemModstamp > ",
          "SELECT Id, Name, LastModifiedDate FROM Case WHERE SystemModstamp > ",
          "SELECT Id, Name, LastModifiedDate FROM HealthCloudGA__EhrPatientMedication__c WHERE SystemModstamp > "};
      static constexpr std::string_view kEntities[] = {"Contact", "Case", "HealthCloudGA__EhrPatientMedication__c"};
      const uint64_t entity = r.Below(3);
      a.entity = kEntities[entity];
      if (!write) {
        a.method = r.Chance(0.8) ? "query"sv : "queryMore"sv;
        a.query = QueryText(state, 2 + entity, kQueries[entity], t - 15 * kMinute);
        a.rows = r.Below(200);
        a.response_bytes = 600 + a.rows * 520;
      } else {
        a.method = "upsert"sv;
        a.rows = 1 + r.Below(200);
        a.response_bytes = 300 + a.rows * 90;
      }
    } else {
      state->session = logins_.HumanSessionAt(t, r.Next(), true);
      ViewSession(state->session, &a);
      a.api_family = "REST"sv;
      a.client_name = "SalesforceMobileSDK/11.1.0 iOS/17.4"sv;
      a.connected_app_id = ConnectedAppId(3);
      a.connected_app_name = "Salesforce for iOS"sv;
      a.user_agent = "SalesforceMobileSDK/11.1.0 iPhone15,2 (iOS 17.4) Salesforce/248.010"sv;
      a.entity = "Patient__c"sv;
      state->uri.assign("/services/data/v62.0/ui-api/records/"sv);
      state->uri.append(MakeId(DataObjectPrefix(kObjPatient), 0, r.Below(world_.patients())));
      a.uri = state->uri;
      a.method = write ? "PATCH"sv : "GET"sv;
      a.rows = 1;
      a.response_bytes = write ? 1800 : 2400;
    }
  }
};

// ApiCallViews(): a cursor fills one view straight from the model (scenario calls are viewed in
// place).
class ApiModelCursor final : public ApiCallCursor {
 public:
  ApiModelCursor(const MergedSequence<ApiActivity>& merged, const ApiModel& model) : merged_(merged), model_(model) {}
  const ApiCallView& At(uint64_t i) override {
    const MergedPos p = merged_.Resolve(i);
    if (p.extra) {
      view_ = ViewOf(merged_.extras()[p.index]);
    } else {
      model_.FillAt(p.index, &view_, &state_);
    }
    return view_;
  }

 private:
  const MergedSequence<ApiActivity>& merged_;
  const ApiModel& model_;
  ApiCallView view_;
  ApiFillState state_;
};

class ApiReadModel final : public Source<ApiActivity> {
 public:
  ApiReadModel(const Source<ApiActivity>& api, const Grid* grid) : api_(api), sub_(grid, 4, 3, nullptr) {}
  uint64_t Size() const override { return sub_.size(); }
  TimeMs TimeAt(uint64_t i) const override { return sub_.TimeAt(i); }
  ApiActivity At(uint64_t i) const override { return api_.At(sub_.ParentIndex(i)); }
  uint64_t LowerBound(TimeMs t) const override { return sub_.LowerBound(t); }

 private:
  const Source<ApiActivity>& api_;
  SubGrid sub_;
};

class BulkModel final : public GridSource<BulkJobActivity> {
 public:
  using GridSource::GridSource;

 private:
  BulkJobActivity Build(uint64_t i, TimeMs t, uint32_t, uint32_t) const override {
    Rng r(world_.seed(), kStreamBulk, i);
    BulkJobActivity a;
    a.time = t;
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    a.job_id = MakeId("750", 0, i);
    a.operation = "query";
    const bool nightly = ToLocal(TimeZone::kNewYork, t).hour < 6;
    double bytes_per_row = 200;
    if (nightly) {
      ApplySession(logins_.IntegrationSessionAt(kUserEhrSync, t), &a);
      static const DataObject kEntities[] = {kObjPatient, kObjContact, kObjAppointment, kObjMedication};
      const DataObject entity = kEntities[r.Below(4)];
      a.entity = DataObjectName(entity);
      a.rows = 20 + r.Below(600);
      a.client_name = "EHRSync/2.3";
      a.query = "SELECT Id, Name, LastModifiedDate FROM " + a.entity + " WHERE SystemModstamp > " +
                IsoSeconds(t - kDay);
      bytes_per_row = entity == kObjContact ? 220 : 160;
    } else {
      const uint32_t admin = r.Chance(0.5) ? kUserAdmin : kUserAdmin2;
      ApplySession(logins_.OrphanSession(admin, r.Next()), &a);
      a.entity = "Contact";
      a.rows = world_.contacts();
      a.client_name = "Dataloader Bulk";
      a.query = "SELECT Id, FirstName, LastName, Email, Phone, MailingStreet, AccountId FROM Contact";
      bytes_per_row = 230;
    }
    a.result_size_mb = std::round(static_cast<double>(a.rows) * bytes_per_row / 10485.76) / 100.0;
    return a;
  }
};

class ContentModel final : public GridSource<ContentTransferActivity> {
 public:
  using GridSource::GridSource;

 private:
  ContentTransferActivity Build(uint64_t i, TimeMs t, uint32_t, uint32_t) const override {
    Rng r(world_.seed(), kStreamContent, i);
    ContentTransferActivity a;
    a.time = t;
    ApplySession(logins_.HumanSessionAt(t, r.Next(), true), &a);
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    const uint64_t doc = r.Below(4000);
    a.document_id = MakeId("069", 0, doc);
    a.version_id = MakeId("068", 0, doc * 3 + r.Below(3));
    static const char* const kTypes[] = {"PDF", "PDF", "PDF", "WORD_X", "JPG", "PNG", "EXCEL_X"};
    a.file_type = kTypes[r.Below(std::size(kTypes))];
    const double x = r.Unit();
    a.transaction_type = x < 0.45   ? "VersionDownloadAction"
                         : x < 0.8  ? "VersionRenditionDownload"
                         : x < 0.95 ? "saveVersion"
                                    : "VersionDownloadApi";
    a.size_bytes = 20000 + r.Below(8000000);
    return a;
  }
};

class ListViewModel final : public GridSource<ListViewActivity> {
 public:
  using GridSource::GridSource;

 private:
  ListViewActivity Build(uint64_t i, TimeMs t, uint32_t, uint32_t) const override {
    Rng r(world_.seed(), kStreamListView, i);
    ListViewActivity a;
    a.time = t;
    ApplySession(logins_.HumanSessionAt(t, r.Next(), false), &a);
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    const auto& catalog = ListViewCatalog();
    const uint64_t lv = r.Below(catalog.size());
    a.list_view_id = MakeId("00B", 0, lv + 1);
    a.name = catalog[lv].name;
    a.entity = DataObjectName(catalog[lv].entity);
    const double n = static_cast<double>(BaseRecordCount(world_, catalog[lv].entity));
    a.rows = std::clamp<uint64_t>(static_cast<uint64_t>(n * catalog[lv].fraction * (0.5 + r.Unit())), 1, 2000);
    return a;
  }
};

class UriModel final : public GridSource<UriActivity> {
 public:
  using GridSource::GridSource;

 private:
  UriActivity Build(uint64_t i, TimeMs t, uint32_t, uint32_t) const override {
    Rng r(world_.seed(), kStreamUri, i);
    UriActivity a;
    a.time = t;
    ApplySession(logins_.HumanSessionAt(t, r.Next(), false), &a);
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    const std::string base = "https://" + world_.InstanceHost();
    switch (r.Below(6)) {
      case 0:
        a.uri = "/" + MakeId(DataObjectPrefix(kObjPatient), 0, r.Below(world_.patients()));
        a.referrer_uri = base + "/a0X/o";
        break;
      case 1:
        a.uri = "/" + MakeId(DataObjectPrefix(kObjCase), 0, r.Below(world_.cases_before_window()));
        a.referrer_uri = base + "/500/o";
        break;
      case 2:
        a.uri = "/home/home.jsp";
        a.referrer_uri = base + "/";
        break;
      case 3:
        a.uri = "/a0X/o";
        a.referrer_uri = base + "/home/home.jsp";
        break;
      case 4:
        a.uri = "/00O/o";
        a.referrer_uri = base + "/home/home.jsp";
        break;
      default:
        a.uri = "/" + ReportId(r.Below(ReportCatalog().size()));
        a.referrer_uri = base + "/00O/o";
        break;
    }
    return a;
  }
};

struct LoginAsPair {
  uint32_t admin;
  uint32_t target;
};

LoginAsPair LoginAsPairFor(const World& world, uint64_t audit_index) {
  Rng r(world.seed(), kStreamAudit, audit_index);
  const uint32_t admin = r.Chance(0.5) ? kUserAdmin : kUserAdmin2;
  const auto& humans = world.humans();  // the two admins come first
  const uint32_t target = humans[2 + r.Below(humans.size() - 2)];
  return {admin, target};
}

bool IsExportBucket(const World& world, uint32_t b) {
  const LocalTime local = ToLocal(TimeZone::kNewYork, world.start() + static_cast<TimeMs>(b) * kBucketLen);
  return local.weekday == 0 && local.hour >= 1.0 && local.hour < 1.25;
}

class AuditModel final : public GridSource<AuditRow> {
 public:
  AuditModel(const World& world, const LoginModel& logins, std::shared_ptr<const Grid> grid)
      : GridSource(world, logins, std::move(grid)) {}
  TimeMs TimeAt(uint64_t i) const override { return FloorTo(grid_->TimeAt(i), kSecond); }
  uint64_t LowerBound(TimeMs t) const override { return grid_->LowerBound(CeilTo(t, kSecond)); }

 private:
  AuditRow Build(uint64_t i, TimeMs t, uint32_t b, uint32_t k) const override {
    AuditRow row;
    row.time = FloorTo(t, kSecond);
    row.id = MakeId("0Ym", 0, i);
    if (IsExportBucket(world_, b)) {
      row.created_by = kUserAdmin;
      row.action = kDataExportAction;
      row.section = kDataExportSection;
      row.display = "Requested a scheduled weekly data export (include images, documents and attachments)";
      return row;
    }
    if (k % 4 == 0) {
      const LoginAsPair pair = LoginAsPairFor(world_, i);
      row.created_by = pair.admin;
      row.action = "suOrgAdminLogin";
      row.section = "Manage Users";
      row.display = "Logged in using Login-As access for " + world_.user(pair.target).info.name;
      return row;
    }
    Rng r(world_.seed(), kStreamAudit, i);
    r.Next();
    r.Next();
    row.created_by = r.Chance(0.5) ? kUserAdmin : kUserAdmin2;
    const auto& humans = world_.humans();
    const UserInfo& target = world_.user(humans[2 + r.Below(humans.size() - 2)]).info;
    switch (r.Below(6)) {
      case 0:
        row.action = "PermSetAssign";
        row.section = "Manage Users";
        row.display = "Permission set Patient Records Editor: assigned to user " + target.username;
        break;
      case 1:
        row.action = "PermSetUnassign";
        row.section = "Manage Users";
        row.display = "Permission set Report Builder: unassigned from user " + target.username;
        break;
      case 2:
        row.action = "resetpassword";
        row.section = "Manage Users";
        row.display = "Reset password for " + target.username;
        break;
      case 3:
        row.action = "changedroleforuser";
        row.section = "Manage Users";
        row.display = "Changed role for user " + target.username + " from Unassigned to " + world_.user(humans[2]).title;
        break;
      case 4:
        row.action = "changedCustomFieldFLS";
        row.section = "Customize Patients";
        row.display = "Changed Diagnosis Code field-level security for profile Scheduler";
        break;
      default:
        row.action = "changedListViewFilter";
        row.section = "Customize Patients";
        row.display = "Changed filter of list view All Active Patients";
        break;
    }
    return row;
  }
};

class LoginAsModel final : public Source<LoginAsActivity> {
 public:
  LoginAsModel(const World& world, const LoginModel& logins, const Grid* audit_grid, const SubGrid& sub)
      : world_(world), logins_(logins), grid_(audit_grid), sub_(sub) {}
  uint64_t Size() const override { return sub_.size(); }
  TimeMs TimeAt(uint64_t i) const override { return sub_.TimeAt(i); }
  uint64_t LowerBound(TimeMs t) const override { return sub_.LowerBound(t); }
  LoginAsActivity At(uint64_t i) const override {
    const uint64_t p = sub_.ParentIndex(i);
    const LoginAsPair pair = LoginAsPairFor(world_, p);
    LoginAsActivity a;
    a.time = grid_->TimeAt(p);
    Rng r(world_.seed(), kStreamLoginAs, p);
    const Session admin = logins_.OrphanSession(pair.admin, r.Next());
    a.user = pair.target;
    a.delegated_user = pair.admin;
    a.client_ip = admin.client_ip;
    a.session_key = SessionKey(r.Next());
    a.login_key = admin.login_key;
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    return a;
  }

 private:
  const World& world_;
  const LoginModel& logins_;
  const Grid* grid_;
  SubGrid sub_;
};

template <typename T>
std::vector<T> Sorted(std::vector<T> items) {
  std::stable_sort(items.begin(), items.end(), [](const T& a, const T& b) { return a.time < b.time; });
  return items;
}

template <typename T, typename Model, typename... Args>
std::unique_ptr<MergedSequence<T>> Merge(std::vector<T> extras, Args&&... args) {
  return std::make_unique<MergedSequence<T>>(std::make_unique<Model>(std::forward<Args>(args)...),
                                             Sorted(std::move(extras)));
}

}  // namespace

const std::vector<ReportDef>& ReportCatalog() {
  static const std::vector<ReportDef> catalog = {
      {"All Active Patients - Demographics", "All_Active_Patients_Demographics", "Patient Access", kObjPatient,
       "[Patient Name, MRN, Date of Birth, Gender, Phone, Email, Mailing Address, Insurance Plan]", 8, 0.9},
      {"Patients by Primary Provider", "Patients_by_Primary_Provider", "Clinical Operations", kObjPatient,
       "[Primary Provider, Patient Name, MRN, Date of Birth, Status]", 5, 0.9},
      {"Patient Contact Directory", "Patient_Contact_Directory", "Patient Access", kObjContact,
       "[Full Name, Email, Phone, Mobile, Mailing Street, Birthdate]", 6, 0.95},
      {"My Patients Today", "My_Patients_Today", "Clinical Operations", kObjPatient,
       "[Patient Name, MRN, Appointment Time, Reason]", 4, 0.006},
      {"Appointments - Next 7 Days", "Appointments_Next_7_Days", "Scheduling", kObjAppointment,
       "[Start Time, Patient, Provider, Location, Status]", 5, 0.04},
      {"No-Show Appointments This Month", "No_Show_Appointments_This_Month", "Scheduling", kObjAppointment,
       "[Start Time, Patient, Provider, Status]", 4, 0.01},
      {"Open Cases by Owner", "Open_Cases_by_Owner", "Care Management", kObjCase,
       "[Case Owner, Case Number, Subject, Status, Priority, Opened Date]", 6, 0.3},
      {"Escalated Cases", "Escalated_Cases", "Care Management", kObjCase,
       "[Case Number, Subject, Patient, Escalated Date]", 4, 0.04},
      {"Active Medications by Patient", "Active_Medications_by_Patient", "Clinical Operations", kObjMedication,
       "[Patient, Medication, Dosage, Status, Prescriber]", 5, 0.2},
      {"Payer Accounts", "Payer_Accounts", "Revenue Cycle", kObjAccount,
       "[Account Name, Type, Phone, Billing City]", 4, 0.25},
      {"Referral Pipeline", "Referral_Pipeline", "Business Development", kObjOpportunity,
       "[Opportunity Name, Account, Stage, Amount, Close Date]", 5, 0.6},
      {"Patients by Insurance Plan", "Patients_by_Insurance_Plan", "Revenue Cycle", kObjPatient,
       "[Insurance Plan, Patient Name, MRN, Status]", 4, 0.5},
      {"Inactive Patients", "Inactive_Patients", "Patient Access", kObjPatient,
       "[Patient Name, MRN, Status, Last Modified]", 4, 0.08},
      {"Case Aging", "Case_Aging", "Care Management", kObjCase,
       "[Case Number, Age (Days), Owner, Status]", 4, 0.2},
      {"Provider Panel Sizes", "Provider_Panel_Sizes", "Clinical Operations", kObjPatient,
       "[Primary Provider, Record Count]", 2, 0.9},
      {"New Patients This Week", "New_Patients_This_Week", "Patient Access", kObjPatient,
       "[Patient Name, MRN, Created Date, Primary Provider]", 4, 0.01},
  };
  return catalog;
}

std::string ReportId(uint64_t report) { return MakeId("00O", 0, report + 1); }

const std::vector<ListViewDef>& ListViewCatalog() {
  static const std::vector<ListViewDef> catalog = {
      {"All Active Patients", kObjPatient, 0.9},  {"My Patients", kObjPatient, 0.02},
      {"Recently Viewed Patients", kObjPatient, 0.005}, {"Today's Appointments", kObjAppointment, 0.01},
      {"My Open Cases", kObjCase, 0.02},          {"All Open Cases", kObjCase, 0.3},
      {"All Contacts", kObjContact, 0.9},         {"Payer Accounts", kObjAccount, 0.25},
      {"Active Medications", kObjMedication, 0.4}, {"Open Referrals", kObjOpportunity, 0.5},
  };
  return catalog;
}

bool IsReadOnlyApiCall(const ApiActivity& call) {
  return call.method == "GET" || call.method == "query" || call.method == "queryMore";
}

std::unique_ptr<ApiCallCursor> Generator::ApiCallViews() const {
  return std::make_unique<ApiModelCursor>(*api_calls_, *static_cast<const ApiModel*>(api_model_));
}

std::array<uint64_t, kHistoryObjectCount> SplitHistoryRows(uint64_t total) {
  std::array<uint64_t, kHistoryObjectCount> rows{};
  uint64_t share_sum = 0;
  for (const HistorySpec& spec : HistorySpecs()) share_sum += spec.share;
  uint64_t assigned = 0;
  for (int o = 0; o < kHistoryObjectCount; ++o) {
    rows[static_cast<size_t>(o)] =
        static_cast<uint64_t>(static_cast<U128>(total) * HistorySpecs()[static_cast<size_t>(o)].share /
                              share_sum);
    assigned += rows[static_cast<size_t>(o)];
  }
  for (size_t o = 0; assigned < total; o = (o + 1) % kHistoryObjectCount, ++assigned) ++rows[o];
  return rows;
}

Generator::Generator(const World& world, ScenarioActivities scenario) : world_(world), timeline_(world) {
  const uint64_t seed = world.seed();
  const TimeMs start = world.start();

  auto login_model = std::make_unique<LoginModel>(world, timeline_);
  login_model_ = login_model.get();
  const LoginModel& logins = *login_model_;
  logouts_ = Merge<LogoutActivity, LogoutModel>(std::move(scenario.logouts), logins);
  logins_ = std::make_unique<MergedSequence<LoginActivity>>(std::move(login_model), Sorted(std::move(scenario.logins)));

  auto human_grid = [&](double rate, uint64_t stream) {
    return std::make_shared<const Grid>(
        Grid::FromExpected(start, kBucketLen, HumanExpected(timeline_, rate), Hash(seed, stream, ~0ULL)));
  };
  reports_ = Merge<ReportActivity, ReportModel>(std::move(scenario.reports), world, logins,
                                                human_grid(kReportsPerPresentHour, kStreamReport));
  list_views_ = Merge<ListViewActivity, ListViewModel>(std::move(scenario.list_views), world, logins,
                                                       human_grid(kListViewsPerPresentHour, kStreamListView));
  uri_views_ = Merge<UriActivity, UriModel>(std::move(scenario.uri_views), world, logins,
                                            human_grid(kUriViewsPerPresentHour, kStreamUri));
  content_ = Merge<ContentTransferActivity, ContentModel>(std::move(scenario.content_transfers), world, logins,
                                                          human_grid(kTransfersPerPresentHour, kStreamContent));

  // API calls: steady integration traffic that follows clinical activity a little.
  {
    const double per_day = std::max(200.0, static_cast<double>(world.config().elf_bytes_per_day) / kElfBytesPerApiCall);
    const double total = per_day * world.days();
    std::vector<double> weights(timeline_.buckets());
    double sum = 0;
    for (uint32_t b = 0; b < timeline_.buckets(); ++b) {
      weights[b] = 0.35 + 0.65 * timeline_.presence()[b] / timeline_.max_presence();
      sum += weights[b];
    }
    for (double& w : weights) w = w * total / sum;
    auto grid = std::make_shared<const Grid>(Grid::FromExpected(start, kBucketLen, weights, Hash(seed, kStreamApi, ~0ULL)));
    auto model = std::make_unique<ApiModel>(world, logins, grid);
    const ApiModel* api = model.get();
    std::vector<ApiActivity> reads;
    for (const ApiActivity& call : scenario.api_calls) {
      if (IsReadOnlyApiCall(call)) reads.push_back(call);
    }
    api_calls_ = std::make_unique<MergedSequence<ApiActivity>>(std::move(model), Sorted(std::move(scenario.api_calls)));
    api_model_ = api;
    api_reads_ = std::make_unique<MergedSequence<ApiActivity>>(std::make_unique<ApiReadModel>(*api, grid.get()),
                                                               Sorted(std::move(reads)));
  }

  // Bulk API 2.0: nightly EHR sync jobs, a weekly Data Loader export by an admin.
  {
    std::vector<double> expected(timeline_.buckets(), 0);
    for (uint32_t b = 0; b < timeline_.buckets(); ++b) {
      const LocalTime local = ToLocal(TimeZone::kNewYork, start + static_cast<TimeMs>(b) * kBucketLen);
      if (local.hour >= 2.0 && local.hour < 2.5) expected[b] = 1.5;
      if (local.weekday == 2 && local.hour >= 10.0 && local.hour < 10.25) expected[b] = 1.0;
    }
    bulk_jobs_ = Merge<BulkJobActivity, BulkModel>(
        std::move(scenario.bulk_jobs), world, logins,
        std::make_shared<const Grid>(Grid::FromExpected(start, kBucketLen, expected, Hash(seed, kStreamBulk, ~0ULL))));
  }

  // Setup Audit Trail, and the Login-As activity that is every fourth of its rows.
  {
    std::vector<double> expected(timeline_.buckets(), 0);
    for (uint32_t b = 0; b < timeline_.buckets(); ++b) {
      const LocalTime local = ToLocal(TimeZone::kNewYork, start + static_cast<TimeMs>(b) * kBucketLen);
      const bool weekday = local.weekday >= 1 && local.weekday <= 5;
      expected[b] = IsExportBucket(world, b) ? 1.0 : (weekday && local.hour >= 8 && local.hour < 18 ? 0.12 : 0.004);
    }
    auto grid = std::make_shared<const Grid>(Grid::FromExpected(start, kBucketLen, expected, Hash(seed, kStreamAudit, ~0ULL)));
    audit_grid_ = std::make_unique<Grid>(*grid);
    const SubGrid sub(audit_grid_.get(), 4, 1, [&world](uint32_t b) { return IsExportBucket(world, b); });
    login_as_ = Merge<LoginAsActivity, LoginAsModel>(std::move(scenario.login_as), world, logins, audit_grid_.get(), sub);
    audit_ = Merge<AuditRow, AuditModel>(std::move(scenario.audit), world, logins, grid);
  }

  // Field history.
  {
    std::vector<double> weights(timeline_.buckets());
    for (uint32_t b = 0; b < timeline_.buckets(); ++b) {
      weights[b] = 0.15 + timeline_.presence()[b] / timeline_.max_presence();
    }
    const auto rows = SplitHistoryRows(world.config().history_rows);
    for (int o = 0; o < kHistoryObjectCount; ++o) {
      auto model = std::make_unique<HistoryModel>(world, static_cast<HistoryObject>(o), rows[static_cast<size_t>(o)],
                                                  weights, kBucketLen);
      history_models_[static_cast<size_t>(o)] = model.get();
      history_[static_cast<size_t>(o)] = std::make_unique<MergedSequence<HistoryRow>>(
          std::move(model), Sorted(std::move(scenario.history[static_cast<size_t>(o)])));
    }
  }
}

}  // namespace custody::sim::gen
