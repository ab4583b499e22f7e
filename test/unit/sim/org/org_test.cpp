#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "activity.h"
#include "elf.h"
#include "model.h"
#include "org/ids.h"
#include "org/population.h"
#include "org/rng.h"
#include "org/sim_org.h"

namespace custody::sim {
namespace {

constexpr TimeMs kDayMs = 86400000;

OrgConfig SmallConfig() {
  OrgConfig c;
  c.seed = 20260401;
  c.users = 40;
  c.patients = 500;
  c.history_rows = 6000;
  c.days = 7;
  c.elf_bytes_per_day = 400000;
  return c;
}

std::unique_ptr<Org> Build(const OrgConfig& config) {
  std::string error;
  auto org = MakeOrg(config, &error);
  INFO(error);
  REQUIRE(org != nullptr);
  return org;
}

TimeMs End(const Org& org) { return org.config().start + org.config().days * kDayMs; }

void AppendValue(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kNull: *out += "null"; break;
    case Value::Kind::kString: *out += '"' + v.text + '"'; break;
    case Value::Kind::kBoolean: *out += v.number ? "true" : "false"; break;
    case Value::Kind::kInt: *out += std::to_string(v.number); break;
    case Value::Kind::kDouble: *out += FormatSfDouble(v.real); break;
    case Value::Kind::kDateTime: *out += FormatSfDateTime(v.number); break;
    case Value::Kind::kDate: *out += FormatSfDate(v.number); break;
  }
}

std::string Render(const Record& r) {
  std::string out = r.def->name + "{";
  for (size_t i = 0; i < r.values.size(); ++i) {
    out += r.def->fields[i].name + "=";
    AppendValue(r.values[i], &out);
    out += ",";
  }
  out += "flags=" + std::to_string(r.flags) + "}\n";
  return out;
}

// A rendering of several thousand rows across every table, and of every activity sequence.
std::string RenderOrg(const Org& org) {
  const TimeMs now = End(org) + kDayMs;
  std::string out;
  for (const ObjectDef* def : org.Objects()) {
    const Table* t = org.FindTable(def->name);
    const uint64_t n = t->Count(now);
    out += def->name + " count=" + std::to_string(n) + "\n";
    const uint64_t step = std::max<uint64_t>(1, n / 150);
    for (uint64_t i = 0; i < n; i += step) out += Render(t->Row(i, now));
  }
  const Activity* a = ActivityOf(org);
  REQUIRE(a != nullptr);
  for (uint64_t i = 0; i < a->UriViews().Size(); i += 50) {
    const UriActivity u = a->UriViews().At(i);
    out += std::to_string(u.time) + u.uri + u.login_key + u.client_ip + "\n";
  }
  for (uint64_t i = 0; i < a->ContentTransfers().Size(); i += 10) {
    const ContentTransferActivity c = a->ContentTransfers().At(i);
    out += std::to_string(c.time) + c.document_id + c.transaction_type + c.request_id + "\n";
  }
  return out;
}

uint64_t Fnv(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

TEST_CASE("same config renders the same bytes, another seed differs", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.scenario = "report-exfiltration";
  c.field_audit_trail = true;
  const std::string a = RenderOrg(*Build(c));
  const std::string b = RenderOrg(*Build(c));
  CHECK(a.size() > 200000);
  CHECK(Fnv(a) == Fnv(b));
  CHECK(a == b);
  c.seed += 1;
  const std::string other = RenderOrg(*Build(c));
  CHECK(Fnv(other) != Fnv(a));
}

TEST_CASE("users have healthcare roles and synthetic example.com-style identities", "[sim-org]") {
  auto org = Build(SmallConfig());
  const auto& users = org->Users();
  REQUIRE(users.size() == 40);
  std::set<std::string> usernames;
  std::set<std::string> profiles;
  int integrations = 0;
  for (const UserInfo& u : users) {
    CHECK(u.id.size() == 18);
    CHECK(u.username.find("@stmarys-health.example") != std::string::npos);
    usernames.insert(u.username);
    profiles.insert(u.profile);
    if (u.is_integration) ++integrations;
    CHECK(org->FindUserById(u.id) == &u);
    CHECK(org->FindUserByUsername(u.username) == &u);
  }
  CHECK(usernames.size() == users.size());
  CHECK(integrations == 2);
  CHECK(profiles.count("System Administrator") == 1);
  CHECK(profiles.count("Clinician") == 1);
  CHECK(profiles.count("Scheduler") == 1);
  const UserInfo& run_as = org->IntegrationUser();
  CHECK(run_as.is_integration);
  CHECK(run_as.view_all_data);
  CHECK(run_as.name == "EHR Sync Integration");
  bool mirth = false;
  for (const UserInfo& u : users) mirth = mirth || u.name == "Mirth Connect Integration";
  CHECK(mirth);
}

Value FieldOf(const Record& r, const char* name) {
  const Value* v = r.Get(name);
  REQUIRE(v != nullptr);
  return *v;
}

bool TypeMatches(FieldType type, const Value& v) {
  if (v.is_null()) return true;
  switch (type) {
    case FieldType::kId:
    case FieldType::kReference:
    case FieldType::kString:
    case FieldType::kPicklist:
    case FieldType::kTextArea:
    case FieldType::kAnyType:
    case FieldType::kBase64: return v.kind == Value::Kind::kString;
    case FieldType::kBoolean: return v.kind == Value::Kind::kBoolean;
    case FieldType::kInt: return v.kind == Value::Kind::kInt;
    case FieldType::kDouble: return v.kind == Value::Kind::kDouble;
    case FieldType::kDateTime: return v.kind == Value::Kind::kDateTime;
    case FieldType::kDate: return v.kind == Value::Kind::kDate;
  }
  return false;
}

TEST_CASE("every table's rows match its schema and ascend on the order field", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.field_audit_trail = true;
  c.scenario = "foreign-login-mass-update";
  auto org = Build(c);
  const TimeMs now = End(*org) + kDayMs;
  for (const ObjectDef* def : org->Objects()) {
    if (def->name == "EventLogFile") continue;  // not ours
    const Table* t = org->FindTable(def->name);
    REQUIRE(t != nullptr);
    std::string lower = def->name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    CHECK(org->FindTable(lower) == t);
    const uint64_t n = t->Count(now);
    INFO(def->name << " rows=" << n);
    CHECK(n > 0);
    for (const FieldDef& f : def->fields) {
      if (f.type == FieldType::kReference) CHECK_FALSE(f.reference_to.empty());
      if (f.type == FieldType::kReference) CHECK_FALSE(f.relationship_name.empty());
    }
    const int order = def->order_field.empty() ? -1 : def->IndexOf(def->order_field);
    if (!def->order_field.empty()) REQUIRE(order >= 0);
    TimeMs previous = INT64_MIN;
    const uint64_t step = std::max<uint64_t>(1, n / 3000);
    for (uint64_t i = 0; i < n; i += step) {
      const Record r = t->Row(i, now);
      REQUIRE(r.def == def);
      REQUIRE(r.values.size() == def->fields.size());
      for (size_t f = 0; f < r.values.size(); ++f) {
        INFO(def->fields[f].name);
        CHECK(TypeMatches(def->fields[f].type, r.values[f]));
        if (!def->fields[f].nillable) CHECK_FALSE(r.values[f].is_null());
      }
      if (order >= 0) {
        const TimeMs t_i = r.values[static_cast<size_t>(order)].number;
        CHECK(t_i >= previous);
        previous = t_i;
      }
    }
  }
}

TEST_CASE("Count, LowerBound and Row agree with a linear scan", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.scenario = "report-exfiltration";
  auto org = Build(c);
  const TimeMs start = org->config().start;
  const TimeMs end = End(*org);
  gen::Rng r(77);
  for (const ObjectDef* def : org->Objects()) {
    if (def->order_field.empty() || def->name == "EventLogFile") continue;
    const Table* t = org->FindTable(def->name);
    const int order = def->IndexOf(def->order_field);
    const TimeMs now = start + static_cast<TimeMs>(r.Below(static_cast<uint64_t>(end - start)));
    const uint64_t n = t->Count(now);
    std::vector<TimeMs> keys;
    for (uint64_t i = 0; i < n; ++i) keys.push_back(t->Row(i, now).values[static_cast<size_t>(order)].number);
    INFO(def->name << " rows=" << n);
    CHECK(std::is_sorted(keys.begin(), keys.end()));
    if (n < t->Count(end + kDayMs)) {
      // The next row is created after `now` (prefix property).
      const Record next = t->Row(n, end + kDayMs);
      const Value* created = next.Get(def->rule == QueryRule::kEventStorage ? "EventDate" : def->order_field);
      REQUIRE(created != nullptr);
      CHECK(created->number > now - 11000);
    }
    for (int k = 0; k < 60; ++k) {
      const TimeMs probe = start - kDayMs + static_cast<TimeMs>(r.Below(static_cast<uint64_t>(end - start + 2 * kDayMs)));
      const uint64_t linear = static_cast<uint64_t>(std::lower_bound(keys.begin(), keys.end(), probe) - keys.begin());
      CHECK(t->LowerBound(probe, now) == linear);
    }
  }
}

TEST_CASE("activity sequences ascend, LowerBound works, logouts close real logins", "[sim-org]") {
  auto org = Build(SmallConfig());
  const Activity& a = *ActivityOf(*org);
  auto check = [](const auto& seq, const char* name) {
    INFO(name);
    REQUIRE(seq.Size() > 0);
    std::vector<TimeMs> times;
    for (uint64_t i = 0; i < seq.Size(); ++i) times.push_back(seq.At(i).time);
    CHECK(std::is_sorted(times.begin(), times.end()));
    gen::Rng r(5);
    for (int k = 0; k < 50; ++k) {
      const TimeMs t = times.front() - 1000 + static_cast<TimeMs>(r.Below(static_cast<uint64_t>(times.back() - times.front() + 2000)));
      CHECK(seq.LowerBound(t) == static_cast<uint64_t>(std::lower_bound(times.begin(), times.end(), t) - times.begin()));
    }
  };
  check(a.Logins(), "logins");
  check(a.Logouts(), "logouts");
  check(a.LoginAs(), "login-as");
  check(a.Reports(), "reports");
  check(a.ApiCalls(), "api calls");
  check(a.BulkJobs(), "bulk jobs");
  check(a.ContentTransfers(), "content");
  check(a.ListViews(), "list views");
  check(a.UriViews(), "uri");

  // Each logout belongs to an earlier login of the same user with the same session and LOGIN_KEY.
  std::map<std::string, LoginActivity> by_key;
  for (uint64_t i = 0; i < a.Logins().Size(); ++i) {
    const LoginActivity l = a.Logins().At(i);
    if (!l.login_key.empty()) by_key[l.login_key] = l;
  }
  uint64_t recorded = 0;
  for (const auto& [key, l] : by_key) recorded += l.is_logout_recorded ? 1 : 0;
  CHECK(recorded == a.Logouts().Size());
  for (uint64_t i = 0; i < a.Logouts().Size(); ++i) {
    const LogoutActivity out = a.Logouts().At(i);
    const auto it = by_key.find(out.login_key);
    REQUIRE(it != by_key.end());
    CHECK(it->second.user == out.user);
    CHECK(it->second.session_key == out.session_key);
    CHECK(it->second.client_ip == out.client_ip);
    CHECK(it->second.time < out.time);
    CHECK(it->second.is_logout_recorded);
  }
  // Reports run inside real sessions of the same user, from the login's IP.
  uint64_t matched = 0;
  for (uint64_t i = 0; i < a.Reports().Size(); ++i) {
    const ReportActivity rep = a.Reports().At(i);
    const auto it = by_key.find(rep.login_key);
    if (it == by_key.end()) continue;
    ++matched;
    CHECK(it->second.user == rep.user);
    CHECK(it->second.client_ip == rep.client_ip);
    CHECK(it->second.time < rep.time);
  }
  CHECK(matched * 10 > a.Reports().Size() * 8);
  // Users log in during their own business hours: most human logins fall 11:00-23:00 UTC in April.
  uint64_t day_logins = 0;
  uint64_t human_logins = 0;
  for (uint64_t i = 0; i < a.Logins().Size(); ++i) {
    const LoginActivity l = a.Logins().At(i);
    if (org->Users()[l.user].is_integration) continue;
    ++human_logins;
    const int hour = static_cast<int>((l.time % kDayMs) / 3600000);
    if (hour >= 11 && hour < 23) ++day_logins;
  }
  CHECK(day_logins * 10 > human_logins * 7);
}

TEST_CASE("API volume follows elf_bytes_per_day", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.elf_bytes_per_day = 8 << 20;
  auto org = Build(c);
  const double per_day = static_cast<double>(ActivityOf(*org)->ApiCalls().Size()) / c.days;
  const double expected = static_cast<double>(c.elf_bytes_per_day) / 800.0;
  CHECK(per_day > expected * 0.9);
  CHECK(per_day < expected * 1.1);
  const Activity& a = *ActivityOf(*org);
  std::set<std::string> families;
  std::set<std::string> ips;
  for (uint64_t i = 0; i < 2000; ++i) {
    const ApiActivity call = a.ApiCalls().At(i);
    families.insert(call.api_family);
    ips.insert(call.client_ip);
  }
  CHECK(families.count("REST") == 1);
  CHECK(families.count("SOAP") == 1);
  CHECK(ips.count("Salesforce.com IP") == 1);
}

TEST_CASE("field history: lookup pairs, deleted rows, FLS rows, long text", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.history_rows = 40000;
  auto org = Build(c);
  const TimeMs now = End(*org) + kDayMs;
  const Table* t = org->FindTable("Patient__History");
  REQUIRE(t != nullptr);
  CHECK(t->def().Find("ParentId")->relationship_name == "Parent");
  CHECK(t->def().Find("ParentId")->reference_to == std::vector<std::string>{"Patient__c"});
  CHECK(org->FindTable("AccountHistory")->def().Find("AccountId")->relationship_name == "Account");
  const uint64_t n = t->Count(now);
  int pairs = 0;
  int deleted = 0;
  int fls = 0;
  int long_text = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const Record r = t->Row(i, now);
    CHECK(FieldOf(r, "CreatedDate").number % 1000 == 0);
    CHECK(FieldOf(r, "IsDeleted").number == ((r.flags & kRecordDeleted) ? 1 : 0));
    if (r.flags & kRecordDeleted) ++deleted;
    const std::string field = FieldOf(r, "Field").text;
    if (field == "Diagnosis_Code__c") {
      CHECK((r.flags & kRecordFlsRestricted) != 0);
      ++fls;
    }
    if (field == "Clinical_Notes__c") {
      CHECK(FieldOf(r, "OldValue").is_null());
      CHECK(FieldOf(r, "NewValue").is_null());
      CHECK(FieldOf(r, "DataType").text == "TextArea");
      ++long_text;
    }
    if (field == "Primary_Provider__c") {
      CHECK(FieldOf(r, "DataType").text == "EntityId");
      const std::string value = FieldOf(r, "NewValue").text;
      if (value.rfind("005", 0) != 0) {
        // Display-name row: the next row is the id row of the same change.
        REQUIRE(i + 1 < n);
        const Record next = t->Row(i + 1, now);
        CHECK(FieldOf(next, "Field").text == "Primary_Provider__c");
        CHECK(FieldOf(next, "CreatedDate").number == FieldOf(r, "CreatedDate").number);
        CHECK(FieldOf(next, "ParentId").text == FieldOf(r, "ParentId").text);
        CHECK(FieldOf(next, "CreatedById").text == FieldOf(r, "CreatedById").text);
        const std::string id = FieldOf(next, "NewValue").text;
        REQUIRE(id.rfind("005", 0) == 0);
        const UserInfo* provider = org->FindUserById(id);
        REQUIRE(provider != nullptr);
        CHECK(provider->name == value);
        ++pairs;
        ++i;
      }
    }
  }
  CHECK(pairs > 50);
  CHECK(deleted > 0);
  CHECK(fls > 10);
  CHECK(long_text > 10);
  // Deleted rows only become deleted once their parent is recycled.
  const Record early = t->Row(0, org->config().start);
  CHECK((early.flags & kRecordDeleted) == 0);

  const Table* cases = org->FindTable("CaseHistory");
  bool created = false;
  bool owner = false;
  for (uint64_t i = 0; i < 200; ++i) {
    const std::string field = FieldOf(cases->Row(i, now), "Field").text;
    created = created || field == "created";
    owner = owner || field == "ownerAssignment";
  }
  CHECK(created);
  CHECK(owner);
  // Every "created" row's case exists from that moment, with that CreatedDate.
  for (uint64_t i = 0; i < 400; ++i) {
    const Record r = cases->Row(i, now);
    if (FieldOf(r, "Field").text != "created") continue;
    const auto parent = org->FindById(FieldOf(r, "CaseId").text, FieldOf(r, "CreatedDate").number);
    REQUIRE(parent);
    CHECK(FieldOf(*parent, "CreatedDate").number == FieldOf(r, "CreatedDate").number);
    CHECK_FALSE(org->FindById(FieldOf(r, "CaseId").text, FieldOf(r, "CreatedDate").number - 1000));
  }
  // Total history rows = the configured number.
  uint64_t total = 0;
  for (const char* name : {"AccountHistory", "ContactHistory", "CaseHistory", "OpportunityFieldHistory",
                           "Patient__History", "HealthCloudGA__EhrPatientMedication__History"}) {
    total += org->FindTable(name)->Count(now);
  }
  CHECK(total == c.history_rows);
}

TEST_CASE("LoginHistory filters only on the documented fields", "[sim-org]") {
  auto org = Build(SmallConfig());
  const ObjectDef& def = org->FindTable("LoginHistory")->def();
  std::set<std::string> filterable;
  for (const FieldDef& f : def.fields) {
    if (f.filterable) filterable.insert(f.name);
  }
  const std::set<std::string> documented = {"AuthenticationServiceId", "CipherSuite", "CountryIso", "Id",
                                            "LoginTime", "LoginType", "LoginUrl", "NetworkId", "OptionsIsGet",
                                            "OptionsIsPost", "TlsProtocol", "UserId"};
  CHECK(filterable == documented);
  for (const char* f : {"SourceIp", "ForwardedForIp", "LoginSubType", "Status", "Application", "Browser",
                        "Platform", "ApiType", "ApiVersion", "ClientVersion", "LoginGeoId", "AuthMethodReference"}) {
    CHECK(def.Find(f) != nullptr);
  }
  CHECK(def.order_field == "LoginTime");
  // History rows: OldValue/NewValue are anyType.
  const ObjectDef& history = org->FindTable("ContactHistory")->def();
  CHECK(history.Find("OldValue")->type == FieldType::kAnyType);
  CHECK(history.Find("ContactId")->reference_to == std::vector<std::string>{"Contact"});
  CHECK(history.order_field == "CreatedDate");
  std::vector<std::string> names;
  for (const FieldDef& f : history.fields) names.push_back(f.name);
  CHECK(names == std::vector<std::string>{"Id", "IsDeleted", "ContactId", "CreatedById", "CreatedDate", "Field",
                                          "DataType", "OldValue", "NewValue"});
}

TEST_CASE("licence switches add and remove objects", "[sim-org]") {
  OrgConfig c = SmallConfig();
  auto names = [](const Org& org) {
    std::set<std::string> out;
    for (const ObjectDef* d : org.Objects()) out.insert(d->name);
    return out;
  };
  c.shield = true;
  c.field_audit_trail = false;
  auto shield = Build(c);
  const auto with = names(*shield);
  for (const char* n : {"LoginEvent", "LogoutEvent", "LoginAsEvent", "ReportEvent", "ApiEvent",
                        "BulkApiResultEventStore", "ListViewEvent"}) {
    CHECK(with.count(n) == 1);
    CHECK(shield->FindTable(n) != nullptr);
    CHECK(shield->FindTable(n)->def().rule == QueryRule::kEventStorage);
    CHECK(shield->FindTable(n)->def().order_field == "EventDate");
  }
  CHECK(shield->FindTable("FieldHistoryArchive") == nullptr);
  CHECK(shield->FindTable("loginevent") == shield->FindTable("LoginEvent"));
  for (const char* n : {"User", "Profile", "Account", "Contact", "Case", "Opportunity", "Patient__c", "Appointment__c",
                        "AccountHistory", "ContactHistory", "CaseHistory", "OpportunityFieldHistory",
                        "Patient__History", "HealthCloudGA__EhrPatientMedication__History", "LoginHistory",
                        "SetupAuditTrail"}) {
    CHECK(with.count(n) == 1);
  }
  CHECK(with.count("Appointment__History") == 0);
  // describeGlobal order: by name.
  std::vector<std::string> order;
  for (const ObjectDef* d : shield->Objects()) order.push_back(d->name);
  CHECK(std::is_sorted(order.begin(), order.end(), [](const std::string& a, const std::string& b) {
    std::string x = a;
    std::string y = b;
    for (char& ch : x) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (char& ch : y) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return x < y;
  }));

  c.shield = false;
  c.field_audit_trail = true;
  auto fat = Build(c);
  const auto without = names(*fat);
  CHECK(without.count("LoginEvent") == 0);
  CHECK(fat->FindTable("LoginEvent") == nullptr);
  CHECK(fat->FindTable("ReportEvent") == nullptr);
  const Table* archive = fat->FindTable("FieldHistoryArchive");
  REQUIRE(archive != nullptr);
  CHECK(archive->def().rule == QueryRule::kBigObjectIndex);
  CHECK(archive->def().index_fields == std::vector<std::string>{"FieldHistoryType", "ParentId", "CreatedDate"});
  // Index order: FieldHistoryType ASC, ParentId ASC, CreatedDate DESC.
  const TimeMs now = End(*fat);
  const uint64_t n = archive->Count(now);
  REQUIRE(n > 100);
  std::string prev_type;
  std::string prev_parent;
  TimeMs prev_created = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const Record r = archive->Row(i, now);
    const std::string type = FieldOf(r, "FieldHistoryType").text;
    const std::string parent = FieldOf(r, "ParentId").text;
    const TimeMs created = FieldOf(r, "CreatedDate").number;
    CHECK(created < fat->config().start);
    if (type == prev_type && parent == prev_parent) {
      CHECK(created <= prev_created);
    } else if (type == prev_type) {
      CHECK(parent > prev_parent);
    } else {
      CHECK(type > prev_type);
    }
    prev_type = type;
    prev_parent = parent;
    prev_created = created;
  }

  // EventLogFile is listed exactly when the store exists.
  CHECK((fat->FindTable("EventLogFile") != nullptr) == HasEventLogFiles(*fat));
  CHECK((without.count("EventLogFile") == 1) == HasEventLogFiles(*fat));
  if (!HasEventLogFiles(*fat)) CHECK(fat->EventLogFiles().Count(now) == 0);
}

TEST_CASE("FindById resolves every id prefix back to its row", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.field_audit_trail = true;
  c.scenario = "foreign-login-mass-update";
  auto org = Build(c);
  const TimeMs now = End(*org) + kDayMs;
  std::set<std::string> prefixes;
  for (const ObjectDef* def : org->Objects()) {
    if (def->rule == QueryRule::kEventStorage || def->name == "EventLogFile") continue;
    const Table* t = org->FindTable(def->name);
    const uint64_t n = t->Count(now);
    const uint64_t step = std::max<uint64_t>(1, n / 40);
    INFO(def->name);
    for (uint64_t i = 0; i < n; i += step) {
      const Record r = t->Row(i, now);
      const std::string id = FieldOf(r, "Id").text;
      const auto found = org->FindById(id, now);
      REQUIRE(found);
      CHECK(found->def == &t->def());
      CHECK(Render(*found) == Render(r));
      CHECK(org->FindById(id.substr(0, 15), now));
      prefixes.insert(id.substr(0, 3));
    }
    // The last row too (scenario rows sit among generated ones).
    const Record last = t->Row(n - 1, now);
    CHECK(org->FindById(FieldOf(last, "Id").text, now));
  }
  for (const char* p : {"005", "00e", "00O", "001", "003", "500", "006", "a0X", "a0Y", "a1B", "017", "0Ya", "04F",
                        "0Ym", "0FH"}) {
    CHECK(prefixes.count(p) == 1);
  }
  CHECK_FALSE(org->FindById("001000000000000AAA", now));
  CHECK_FALSE(org->FindById("garbage", now));
  // Not visible before it exists.
  const Table* lh = org->FindTable("LoginHistory");
  const Record later = lh->Row(lh->Count(now) - 1, now);
  CHECK_FALSE(org->FindById(FieldOf(later, "Id").text, org->config().start));
}

TEST_CASE("RTEM rows share the login's identity with LoginHistory", "[sim-org]") {
  auto org = Build(SmallConfig());
  const TimeMs now = End(*org) + kDayMs;
  const Table* history = org->FindTable("LoginHistory");
  const Table* events = org->FindTable("LoginEvent");
  REQUIRE(history->Count(now) == events->Count(now));
  for (uint64_t i = 0; i < history->Count(now); i += 7) {
    const Record h = history->Row(i, now);
    const Record e = events->Row(i, now);
    CHECK(FieldOf(e, "Id").text == "000000000000000AAA");
    CHECK(FieldOf(e, "LoginHistoryId").text == FieldOf(h, "Id").text);
    CHECK(FieldOf(e, "UserId").text == FieldOf(h, "UserId").text);
    CHECK(FieldOf(e, "SourceIp").text == FieldOf(h, "SourceIp").text);
    CHECK(FieldOf(e, "EventDate").number / 1000 * 1000 == FieldOf(h, "LoginTime").number);
    const TimeMs lag = FieldOf(e, "CreatedDate").number - FieldOf(e, "EventDate").number;
    CHECK(lag > 0);
    CHECK(lag < 10000);
    CHECK(FieldOf(e, "EventIdentifier").text.size() == 36);
  }
  // ApiEvent rows link to the integration user's token grant.
  const Table* api = org->FindTable("ApiEvent");
  int linked = 0;
  for (uint64_t i = 0; i < 300 && i < api->Count(now); ++i) {
    const Record r = api->Row(i, now);
    const Value lh = FieldOf(r, "LoginHistoryId");
    if (lh.is_null()) continue;
    const auto login = org->FindById(lh.text, now);
    REQUIRE(login);
    CHECK(FieldOf(*login, "UserId").text == FieldOf(r, "UserId").text);
    CHECK(FieldOf(*login, "LoginTime").number <= FieldOf(r, "EventDate").number);
    ++linked;
  }
  CHECK(linked > 100);
}

TEST_CASE("setup audit trail logs data exports and login-as", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.days = 14;
  auto org = Build(c);
  const TimeMs now = End(*org) + kDayMs;
  const Table* sat = org->FindTable("SetupAuditTrail");
  int exports = 0;
  int login_as = 0;
  for (uint64_t i = 0; i < sat->Count(now); ++i) {
    const Record r = sat->Row(i, now);
    CHECK(FieldOf(r, "Id").text.rfind("0Ym", 0) == 0);
    if (FieldOf(r, "Section").text == "Data Export") ++exports;
    if (FieldOf(r, "Action").text == "suOrgAdminLogin") ++login_as;
  }
  CHECK(exports == 2);
  CHECK(static_cast<uint64_t>(login_as) == ActivityOf(*org)->LoginAs().Size());
  CHECK(org->FindTable("SetupAuditTrail")->def().Find("CreatedById")->relationship_name == "CreatedBy");
}

// Finds a row of `table` near `time` whose `field` equals `key`.
bool FindKey(const Table& table, const std::string& field, const std::string& key, TimeMs time, TimeMs now) {
  const uint64_t n = table.Count(now);
  for (uint64_t i = table.LowerBound(time - 60000, now); i < n; ++i) {
    const Record r = table.Row(i, now);
    const Value* order = r.Get(table.def().order_field);
    if (order != nullptr && order->number > time + 3600000) break;
    const Value* v = r.Get(field);
    if (v != nullptr && v->text == key) return true;
  }
  return false;
}

bool FindInLogFiles(const Org& org, const std::string& type, const std::string& key, TimeMs now) {
  const ElfStore& store = org.EventLogFiles();
  for (uint64_t i = 0; i < store.Count(now); ++i) {
    const Record r = store.Row(i, now);
    const Value* t = r.Get("EventType");
    const Value* id = r.Get("Id");
    if (t == nullptr || id == nullptr || t->text != type) continue;
    const auto info = store.FindFile(id->text, now);
    if (!info) continue;
    std::string body;
    store.Stream(*info, 0, [&](const char* data, size_t size) {
      body.append(data, size);
      return true;
    });
    if (body.find(key) != std::string::npos) return true;
  }
  return false;
}

void CheckAnswerKey(const Org& org, const std::string& scenario) {
  const std::string json = org.AnswerKeyJson();
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["format"].GetString()) == "custody-sim-answer-key/1");
  CHECK(std::string(doc["scenario"].GetString()) == scenario);
  CHECK(doc["seed"].GetUint64() == org.config().seed);
  CHECK(std::string(doc["summary"].GetString()).size() > 40);
  const UserInfo* actor = org.FindUserById(doc["actor"]["user_id"].GetString());
  REQUIRE(actor != nullptr);
  CHECK(actor->username == doc["actor"]["username"].GetString());
  const std::string window_start = doc["window"]["start"].GetString();
  const std::string window_end = doc["window"]["end"].GetString();
  CHECK(window_start.size() == 20);
  CHECK(window_start.back() == 'Z');
  CHECK(window_start < window_end);
  const TimeMs now = End(org) + 2 * kDayMs;
  const auto& events = doc["events"];
  REQUIRE(events.IsArray());
  REQUIRE(events.Size() >= 2);
  int checked = 0;
  for (const auto& e : events.GetArray()) {
    const std::string time_text = e["time"].GetString();
    REQUIRE(time_text.size() == 24);
    CHECK(time_text >= window_start.substr(0, 19));
    // Parse back "YYYY-MM-DDTHH:MM:SS.mmmZ".
    std::tm tm{};
    int ms = 0;
    REQUIRE(std::sscanf(time_text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                        &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) == 7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const TimeMs time = static_cast<TimeMs>(timegm(&tm)) * 1000 + ms;
    CHECK(FormatIsoZ(time) == time_text);
    CHECK(std::string(e["source_ip"].GetString()).rfind("203.0.113.", 0) == 0);
    for (const auto& rec : e["records"].GetArray()) {
      const std::string id = rec.GetString();
      if (id.rfind("750", 0) == 0) continue;  // Bulk job ids are not records
      CHECK(org.FindById(id, now));
    }
    REQUIRE(e["evidence"].Size() > 0);
    for (const auto& ev : e["evidence"].GetArray()) {
      const std::string log = ev["log"].GetString();
      const std::string field = ev["key_field"].GetString();
      const std::string key = ev["key"].GetString();
      INFO(log << " " << field << "=" << key);
      if (log.rfind("EventLogFile:", 0) == 0) {
        REQUIRE(HasEventLogFiles(org));
        CHECK(FindInLogFiles(org, log.substr(13), key, now));
      } else {
        const Table* table = org.FindTable(log);
        REQUIRE(table != nullptr);
        CHECK(FindKey(*table, field, key, time, now));
      }
      ++checked;
    }
  }
  CHECK(checked >= 4);
}

TEST_CASE("scenario answer keys name rows that really exist", "[sim-org]") {
  for (const std::string& name : ScenarioNames()) {
    SECTION(name) {
      OrgConfig c = SmallConfig();
      c.scenario = name;
      auto org = Build(c);
      CheckAnswerKey(*org, name);
      // The same org without Shield names no Shield rows.
      c.shield = false;
      auto plain = Build(c);
      CHECK(plain->AnswerKeyJson().find("\"LoginEvent\"") == std::string::npos);
      CHECK(plain->AnswerKeyJson().find("\"LoginHistory\"") != std::string::npos);
      CheckAnswerKey(*plain, name);
    }
  }
}

TEST_CASE("scenario activities are merged and flagged", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.scenario = "report-exfiltration";
  auto org = Build(c);
  const Activity& a = *ActivityOf(*org);
  int flagged_logins = 0;
  int exports = 0;
  for (uint64_t i = 0; i < a.Logins().Size(); ++i) flagged_logins += a.Logins().At(i).scenario ? 1 : 0;
  for (uint64_t i = 0; i < a.Reports().Size(); ++i) {
    const ReportActivity r = a.Reports().At(i);
    if (r.scenario) {
      exports += r.exported ? 1 : 0;
      CHECK(r.rows >= 500);
      CHECK(r.client_ip == "203.0.113.217");
    }
  }
  CHECK(flagged_logins == 3);
  CHECK(exports == 4);
  // Without the scenario, the generated rows are the same ones.
  OrgConfig plain = c;
  plain.scenario = "";
  auto base = Build(plain);
  CHECK(base->AnswerKeyJson().empty());
  CHECK(ActivityOf(*base)->Logins().Size() + 3 == a.Logins().Size());
  CHECK(ActivityOf(*base)->Logins().At(0).request_id == a.Logins().At(0).request_id);
}

TEST_CASE("bulk and mass-update scenarios inject their rows", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.scenario = "bulk-exfiltration";
  auto bulk = Build(c);
  int jobs = 0;
  const auto& seq = ActivityOf(*bulk)->BulkJobs();
  for (uint64_t i = 0; i < seq.Size(); ++i) {
    const BulkJobActivity j = seq.At(i);
    if (!j.scenario) continue;
    ++jobs;
    CHECK(j.client_ip == "203.0.113.189");
    CHECK(bulk->Users()[j.user].name == "Mirth Connect Integration");
    CHECK(j.rows >= 500);
  }
  CHECK(jobs == 3);

  c.scenario = "foreign-login-mass-update";
  auto update = Build(c);
  const TimeMs now = End(*update) + kDayMs;
  const Table* patients = update->FindTable("Patient__History");
  int changed = 0;
  for (uint64_t i = 0; i < patients->Count(now); ++i) {
    const Record r = patients->Row(i, now);
    if (FieldOf(r, "NewValue").text == "(305) 555-0199") {
      ++changed;
      // The old value is the patient's phone number on record.
      const auto patient = update->FindById(FieldOf(r, "ParentId").text, now);
      REQUIRE(patient);
      CHECK(FieldOf(*patient, "Phone__c").text == FieldOf(r, "OldValue").text);
    }
  }
  CHECK(changed == 60);
}

TEST_CASE("unknown scenario fails with the list of valid names", "[sim-org]") {
  OrgConfig c = SmallConfig();
  c.scenario = "no-such-story";
  std::string error;
  CHECK(MakeOrg(c, &error) == nullptr);
  CHECK(error.find("no-such-story") != std::string::npos);
  for (const std::string& name : ScenarioNames()) CHECK(error.find(name) != std::string::npos);
  CHECK(ScenarioNames().size() >= 3);
}

long ResidentKb() {
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * 4;
}

TEST_CASE("a 5,000,000-row history org builds in little memory and serves its last rows", "[sim-org]") {
  // Memory, not time: rows are generated on demand, so building the org allocates almost nothing.
  // (Row() speed is measured by the query engine's hidden [.perf] check, never asserted here.)
  OrgConfig c;
  c.seed = 9;
  c.history_rows = 5'000'000;
  c.elf_bytes_per_day = 1 << 20;
  const long before = ResidentKb();
  auto org = Build(c);
  const long grown = ResidentKb() - before;
  CHECK(grown < 64 * 1024);
  const TimeMs now = End(*org) + kDayMs;
  uint64_t total = 0;
  for (const char* name : {"AccountHistory", "ContactHistory", "CaseHistory", "OpportunityFieldHistory",
                           "Patient__History", "HealthCloudGA__EhrPatientMedication__History"}) {
    const Table* t = org->FindTable(name);
    const uint64_t n = t->Count(now);
    total += n;
    const Record last = t->Row(n - 1, now);
    CHECK(FieldOf(last, "CreatedDate").number < End(*org));
    CHECK(org->FindById(FieldOf(last, "Id").text, now));
  }
  CHECK(total == 5'000'000);
  const Table* patients = org->FindTable("Patient__History");
  REQUIRE(patients->Count(now) > 1'000'000);
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < 1000; ++i) bytes += Render(patients->Row(patients->Count(now) - 1 - i * 7, now)).size();
  CHECK(bytes > 0);
}

TEST_CASE("medical record numbers are MRN- and eight digits, the same as printf's %08llu", "[sim-org]") {
  const gen::World world(SmallConfig());
  CHECK(world.Mrn(0) == "MRN-10000000");
  CHECK(world.Mrn(1) == "MRN-10000007");
  for (const uint64_t patient : {2ull, 499ull, 12857142ull, 12857143ull, 89999998ull, 1000000007ull, ~0ull / 7}) {
    char want[32];
    std::snprintf(want, sizeof want, "MRN-%08llu",
                  static_cast<unsigned long long>(10000000 + patient * 7 % 89999999));
    INFO(patient);
    CHECK(world.Mrn(patient) == want);
  }
}

}  // namespace
}  // namespace custody::sim
