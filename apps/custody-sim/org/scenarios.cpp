#include "org/scenarios.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "org/grid.h"
#include "org/history.h"
#include "org/ids.h"
#include "org/logins.h"
#include "org/records.h"
#include "org/rng.h"

namespace custody::sim::gen {
namespace {

constexpr const char* kReportExfiltration = "report-exfiltration";
constexpr const char* kBulkExfiltration = "bulk-exfiltration";
constexpr const char* kForeignLoginMassUpdate = "foreign-login-mass-update";

TimeMs ScenarioDay(const World& world) {
  return world.start() + std::min(2, world.days() - 1) * kDay;
}

TimeMs At(TimeMs day, int h, int m, int s, int ms) {
  return day + h * kHour + m * kMinute + s * kSecond + ms;
}

// Builds scenario items with ids in the scenario namespaces and tokens from their own stream.
class Builder {
 public:
  Builder(const World& world, Scenario* out) : world_(world), out_(out) {}

  Rng Tokens(uint64_t salt) const { return Rng(world_.seed(), kStreamScenario, salt); }

  // A login from `site` (ip) by `user`; returns its index in the scenario logins.
  size_t Login(TimeMs t, uint32_t user, int site, const std::string& ip, bool success, bool api_client) {
    const size_t j = out_->activities.logins.size();
    Rng r = Tokens(0x1000 + j);
    LoginActivity a;
    a.time = t;
    a.user = user;
    a.client_ip = ip;
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    const uint64_t session_h = r.Next();
    const uint64_t key_noise = r.Next();
    if (success) {
      a.session_key = SessionKey(session_h);
      a.login_key = MakeLoginKey(world_.seed(), kKeyScenarioLogin, j, key_noise);
    }
    a.login_history_id = MakeId("0Ya", 1, j);
    a.api_type = "N/A";
    a.api_version = "N/A";
    a.status = success ? "Success" : "Invalid Password";
    a.tls_protocol = "TLS 1.3";
    a.cipher_suite = "TLS_AES_256_GCM_SHA384";
    if (api_client) {
      a.login_type = "Remote Access 2.0";
      a.login_type_code = "i";
      a.login_sub_type = "OauthUsernamePassword";
      a.login_url = "login.salesforce.com";
      a.application = "Mirth Connect";
      a.browser = "Unknown";
      a.platform = "Unknown";
      a.uri = "/services/oauth2/token";
      a.tls_protocol = "TLS 1.2";
      a.cipher_suite = "ECDHE-RSA-AES256-GCM-SHA384";
    } else {
      a.login_type = "Application";
      a.login_type_code = "A";
      a.login_sub_type = "UsernamePasswordUiLogin";
      a.login_url = world_.InstanceHost();
      a.application = "Browser";
      a.browser = site == kSiteForeignBucharest ? "Firefox 125" : "Chrome 124";
      a.platform = site == kSiteForeignBucharest ? "Linux" : "Windows 10";
      a.uri = "/index.jsp";
    }
    FillLoginGeo(site, &a);
    a.scenario = true;
    out_->activities.logins.push_back(a);

    KeyEvent e;
    e.time = t;
    e.action = success ? (api_client ? "api-token-grant" : "login") : "failed-login";
    e.source_ip = ip;
    e.evidence.push_back({"LoginHistory", "Id", a.login_history_id, Evidence::Needs::kNothing});
    e.evidence.push_back({"LoginEvent", "EventIdentifier", a.event_identifier, Evidence::Needs::kShield});
    e.evidence.push_back({"EventLogFile:Login", "REQUEST_ID", a.request_id, Evidence::Needs::kElfFree});
    out_->events.push_back(std::move(e));
    return j;
  }

  void Logout(TimeMs t, const LoginActivity& login) {
    Rng r = Tokens(0x2000 + out_->activities.logouts.size());
    LogoutActivity a;
    a.time = t;
    a.user = login.user;
    a.client_ip = login.client_ip;
    a.session_key = login.session_key;
    a.login_key = login.login_key;
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    a.session_type = "UI";
    a.session_level = "STANDARD";
    a.user_initiated = true;
    a.scenario = true;
    out_->activities.logouts.push_back(a);

    KeyEvent e;
    e.time = t;
    e.action = "logout";
    e.source_ip = login.client_ip;
    e.evidence.push_back({"LogoutEvent", "EventIdentifier", a.event_identifier, Evidence::Needs::kShield});
    e.evidence.push_back({"EventLogFile:Logout", "REQUEST_ID", a.request_id, Evidence::Needs::kElfFree});
    out_->events.push_back(std::move(e));
  }

  void Report(TimeMs t, const LoginActivity& login, uint64_t report, bool exported) {
    Rng r = Tokens(0x3000 + out_->activities.reports.size());
    const ReportDef& def = ReportCatalog()[report];
    ReportActivity a;
    a.time = t;
    a.user = login.user;
    a.client_ip = login.client_ip;
    a.session_key = login.session_key;
    a.login_key = login.login_key;
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    a.report_id = ReportId(report);
    a.report_name = def.name;
    a.entity = DataObjectName(def.entity);
    a.rows = BaseRecordCount(world_, def.entity);
    a.columns = def.columns;
    a.column_headers = def.column_headers;
    a.exported = exported;
    a.format = exported ? "csv" : "";
    a.event_source = "Lightning";
    a.scenario = true;
    out_->activities.reports.push_back(a);

    KeyEvent e;
    e.time = t;
    e.action = exported ? "report-export" : "report-run";
    e.source_ip = login.client_ip;
    e.records.push_back(a.report_id);
    e.evidence.push_back({"ReportEvent", "EventIdentifier", a.event_identifier, Evidence::Needs::kShield});
    e.evidence.push_back({"EventLogFile:Report", "REQUEST_ID", a.request_id, Evidence::Needs::kElfMonitoring});
    if (exported) {
      e.evidence.push_back({"EventLogFile:ReportExport", "REQUEST_ID", a.request_id, Evidence::Needs::kElfMonitoring});
    }
    out_->events.push_back(std::move(e));
  }

  void BulkJob(TimeMs t, const LoginActivity& login, DataObject entity, const std::string& query) {
    const size_t j = out_->activities.bulk_jobs.size();
    Rng r = Tokens(0x4000 + j);
    BulkJobActivity a;
    a.time = t;
    a.user = login.user;
    a.client_ip = login.client_ip;
    a.session_key = login.session_key;
    a.login_key = login.login_key;
    a.request_id = RequestId(r.Next());
    a.event_identifier = Uuid(r.Next());
    a.job_id = MakeId("750", 1, j);
    a.entity = DataObjectName(entity);
    a.operation = "query";
    a.query = query;
    a.rows = BaseRecordCount(world_, entity);
    a.result_size_mb = static_cast<double>(a.rows * 412 / 10486) / 100.0;
    a.client_name = "";
    a.scenario = true;
    out_->activities.bulk_jobs.push_back(a);

    KeyEvent e;
    e.time = t;
    e.action = "bulk-query-job";
    e.source_ip = login.client_ip;
    e.records.push_back(a.job_id);
    e.evidence.push_back({"BulkApiResultEventStore", "EventIdentifier", a.event_identifier, Evidence::Needs::kShield});
    // Event log files carry 15-character ids.
    e.evidence.push_back({"EventLogFile:BulkApi2", "JOB_ID", a.job_id.substr(0, 15), Evidence::Needs::kElfMonitoring});
    out_->events.push_back(std::move(e));
  }

  // One field changed on `count` records, a few seconds apart, from `t`. Returns the end time.
  TimeMs MassUpdate(TimeMs t, uint32_t user, const std::string& ip, HistoryObject object, const std::string& field_name,
                    uint64_t count, const std::string& new_value, int min_gap_s, int max_gap_s) {
    const HistorySpec& spec = HistorySpecs()[object];
    uint32_t field = 0;
    while (field < spec.fields.size() && spec.fields[field].name != field_name) ++field;
    const uint64_t n = BaseRecordCount(world_, spec.parent);
    const AffinePerm pick(n, Hash(world_.seed(), kStreamScenario, 0x5000 + static_cast<uint64_t>(object)));
    auto& rows = out_->activities.history[static_cast<size_t>(object)];
    KeyEvent e;
    e.time = FloorTo(t, kSecond);
    e.action = "mass-update " + std::string(DataObjectName(spec.parent)) + "." + field_name;
    e.source_ip = ip;
    Rng gaps = Tokens(0x6000 + static_cast<uint64_t>(object));
    uint64_t taken = 0;
    for (uint64_t k = 0; taken < count && k < n; ++k) {
      const uint64_t parent = pick.Apply(k);
      if (RecycledAt(world_, spec.parent, parent) != kNever) continue;
      HistoryRow row;
      row.time = FloorTo(t, kSecond);
      row.id = MakeId("017", HistoryIdNamespace(object, true), rows.size());
      row.parent = parent;
      row.created_by = user;
      row.field = field;
      // The old value is the record's current value (same hash as the record's own field).
      std::string old_value;
      if (spec.parent == kObjPatient) old_value = world_.Phone(FieldHash(world_, kObjPatient, 2, parent));
      if (spec.parent == kObjContact) old_value = world_.PersonEmail(parent, FieldHash(world_, kObjContact, 2, parent));
      row.old_value = Value::String(old_value);
      row.new_value = Value::String(new_value);
      row.scenario = true;
      e.records.push_back(MakeId(DataObjectPrefix(spec.parent), 0, parent));
      e.evidence.push_back({spec.name, "Id", row.id, Evidence::Needs::kNothing});
      rows.push_back(std::move(row));
      ++taken;
      t += static_cast<TimeMs>(gaps.Range(min_gap_s, max_gap_s)) * kSecond + static_cast<TimeMs>(gaps.Below(1000));
    }
    out_->events.push_back(std::move(e));
    return t;
  }

  const LoginActivity& login(size_t j) const { return out_->activities.logins[j]; }

 private:
  const World& world_;
  Scenario* out_;
};

uint32_t FirstWithRole(const World& world, Role role) {
  for (uint32_t i = kFirstHuman; i < world.users().size(); ++i) {
    if (world.user(i).role == role) return i;
  }
  return kFirstHuman;
}

std::string SiteIp(int site) {
  const Site& s = SiteAt(site);
  return std::string(s.ip_prefix) + std::to_string(s.host_lo);
}

void ReportExfiltration(const World& world, Scenario* out) {
  Builder b(world, out);
  const TimeMs day = ScenarioDay(world);
  const uint32_t actor = world.physicians().front();
  const std::string ip = SiteIp(kSiteForeignBucharest);
  out->actor = actor;
  out->summary = "Compromised physician account " + world.user(actor).info.username +
                 " signs in from " + ip + " (Bucharest, RO) at 02:11 America/New_York after two failed "
                 "attempts, runs the patient demographics report and exports four patient and contact "
                 "reports as Details Only CSV, then logs out.";
  b.Login(At(day, 6, 11, 52, 318), actor, kSiteForeignBucharest, ip, false, false);
  b.Login(At(day, 6, 12, 11, 940), actor, kSiteForeignBucharest, ip, false, false);
  const size_t j = b.Login(At(day, 6, 12, 31, 904), actor, kSiteForeignBucharest, ip, true, false);
  const LoginActivity login = b.login(j);
  b.Report(At(day, 6, 14, 5, 221), login, 0, false);
  b.Report(At(day, 6, 15, 40, 876), login, 0, true);
  b.Report(At(day, 6, 19, 12, 403), login, 2, true);
  b.Report(At(day, 6, 23, 48, 150), login, 1, true);
  b.Report(At(day, 6, 27, 30, 662), login, 11, true);
  b.Logout(At(day, 6, 31, 2, 517), login);
}

void BulkExfiltration(const World& world, Scenario* out) {
  Builder b(world, out);
  const TimeMs day = ScenarioDay(world);
  const uint32_t actor = kUserMirth;
  const std::string ip = SiteIp(kSiteForeignAmsterdam);
  out->actor = actor;
  out->summary = "The Mirth Connect integration user's credentials are used from " + ip +
                 " (Amsterdam, NL) instead of the interface engine's data-center address to obtain a token "
                 "and run three Bulk API 2.0 query jobs exporting every Patient__c, Contact and "
                 "medication record.";
  const size_t j = b.Login(At(day, 3, 41, 9, 512), actor, kSiteForeignAmsterdam, ip, true, true);
  const LoginActivity login = b.login(j);
  b.BulkJob(At(day, 3, 42, 30, 118), login, kObjPatient,
            "SELECT Id, Name, MRN__c, Date_of_Birth__c, Phone__c, Email__c, Mailing_Address__c, Insurance_Plan__c, "
            "Diagnosis_Code__c FROM Patient__c");
  b.BulkJob(At(day, 3, 49, 10, 774), login, kObjContact,
            "SELECT Id, FirstName, LastName, Email, Phone, MobilePhone, MailingStreet, Birthdate FROM Contact");
  b.BulkJob(At(day, 3, 55, 44, 31), login, kObjMedication,
            "SELECT Id, HealthCloudGA__Patient__c, HealthCloudGA__MedicationName__c, HealthCloudGA__DosageQuantity__c "
            "FROM HealthCloudGA__EhrPatientMedication__c");
}

void ForeignLoginMassUpdate(const World& world, Scenario* out) {
  Builder b(world, out);
  const TimeMs day = ScenarioDay(world);
  const uint32_t actor = FirstWithRole(world, Role::kScheduler);
  const std::string ip = SiteIp(kSiteForeignSaoPaulo);
  out->actor = actor;
  out->summary = "Scheduler account " + world.user(actor).info.username + " signs in from " + ip +
                 " (Sao Paulo, BR) just after midnight America/New_York and changes the phone number of 60 "
                 "patients and the email address of 40 contacts to attacker-controlled values.";
  const size_t j = b.Login(At(day, 4, 5, 33, 207), actor, kSiteForeignSaoPaulo, ip, true, false);
  const LoginActivity login = b.login(j);
  const TimeMs end1 = b.MassUpdate(At(day, 4, 7, 10, 0), actor, ip, kHistPatient, "Phone__c", 60, "(305) 555-0199", 9, 16);
  const TimeMs end2 =
      b.MassUpdate(end1 + 40 * kSecond, actor, ip, kHistContact, "Email", 40, "records-update@example.net", 8, 14);
  b.Logout(end2 + 2 * kMinute + 317, login);
}

void Write(rapidjson::Writer<rapidjson::StringBuffer>& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string Rfc3339Seconds(TimeMs t) {
  const std::string s = FormatIsoZ(t);
  return s.substr(0, 19) + "Z";
}

bool Available(Evidence::Needs needs, const LogAvailability& logs) {
  switch (needs) {
    case Evidence::Needs::kNothing: return true;
    case Evidence::Needs::kShield: return logs.shield;
    case Evidence::Needs::kElfFree: return logs.elf_store;
    case Evidence::Needs::kElfMonitoring: return logs.elf_store && logs.event_monitoring;
  }
  return false;
}

}  // namespace

std::vector<std::string> ScenarioList() { return {kReportExfiltration, kBulkExfiltration, kForeignLoginMassUpdate}; }

bool BuildScenario(const World& world, const std::string& name, Scenario* out) {
  out->name = name;
  if (name == kReportExfiltration) {
    ReportExfiltration(world, out);
  } else if (name == kBulkExfiltration) {
    BulkExfiltration(world, out);
  } else if (name == kForeignLoginMassUpdate) {
    ForeignLoginMassUpdate(world, out);
  } else {
    return false;
  }
  std::stable_sort(out->events.begin(), out->events.end(),
                   [](const KeyEvent& a, const KeyEvent& b) { return a.time < b.time; });
  return true;
}

std::string AnswerKeyJson(const World& world, const Scenario& scenario, const LogAvailability& logs) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  Write(w, "format", "custody-sim-answer-key/1");
  Write(w, "scenario", scenario.name);
  w.Key("seed");
  w.Uint64(world.seed());
  Write(w, "org_id", world.config().org_id);
  Write(w, "summary", scenario.summary);
  const UserInfo& actor = world.user(scenario.actor).info;
  w.Key("actor");
  w.StartObject();
  Write(w, "user_id", actor.id);
  Write(w, "username", actor.username);
  Write(w, "name", actor.name);
  w.EndObject();
  TimeMs first = scenario.events.empty() ? world.start() : scenario.events.front().time;
  TimeMs last = first;
  for (const KeyEvent& e : scenario.events) last = std::max(last, e.time);
  w.Key("window");
  w.StartObject();
  Write(w, "start", Rfc3339Seconds(FloorTo(first, kMinute)));
  Write(w, "end", Rfc3339Seconds(CeilTo(last + 1, kMinute)));
  w.EndObject();
  w.Key("events");
  w.StartArray();
  for (const KeyEvent& e : scenario.events) {
    w.StartObject();
    Write(w, "time", FormatIsoZ(e.time));
    Write(w, "action", e.action);
    Write(w, "source_ip", e.source_ip);
    w.Key("records");
    w.StartArray();
    for (const std::string& r : e.records) w.String(r.c_str(), static_cast<rapidjson::SizeType>(r.size()));
    w.EndArray();
    w.Key("evidence");
    w.StartArray();
    for (const Evidence& ev : e.evidence) {
      if (!Available(ev.needs, logs)) continue;
      w.StartObject();
      Write(w, "log", ev.log);
      Write(w, "key_field", ev.key_field);
      Write(w, "key", ev.key);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace custody::sim::gen
