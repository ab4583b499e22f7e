// EventLogFile CSV content: quoting, headers per type and API version, value styles and quirks
// (TIMESTAMP variants, empty TIMESTAMP_DERIVED, doubled quotes, newlines in values, no final
// newline), and consistency with the activity.

#include <algorithm>
#include <catch2/catch.hpp>
#include <ctime>
#include <map>
#include <set>

#include "elf.h"
#include "fake_activity.h"

namespace custody::sim {
namespace {

using testing::FakeActivity;
using testing::FakeOptions;
using testing::kDay;
using testing::kHour;
using testing::ParseCsv;
using testing::SplitComma;
using testing::StreamAll;

constexpr char kLogin2023Header[] =
    "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\"RUN_TIME\",\"CPU_TIME\","
    "\"URI\",\"SESSION_KEY\",\"LOGIN_KEY\",\"USER_TYPE\",\"REQUEST_STATUS\",\"DB_TOTAL_TIME\",\"LOGIN_TYPE\","
    "\"BROWSER_TYPE\",\"API_TYPE\",\"API_VERSION\",\"USER_NAME\",\"TLS_PROTOCOL\",\"CIPHER_SUITE\","
    "\"AUTHENTICATION_METHOD_REFERENCE\",\"LOGIN_SUB_TYPE\",\"TIMESTAMP_DERIVED\",\"USER_ID_DERIVED\","
    "\"CLIENT_IP\",\"URI_ID_DERIVED\",\"LOGIN_STATUS\",\"SOURCE_IP\"\n";
// The 2022 header (elastic mock): the same without LOGIN_TYPE / LOGIN_SUB_TYPE.
constexpr char kLogin2022Header[] =
    "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\"RUN_TIME\",\"CPU_TIME\","
    "\"URI\",\"SESSION_KEY\",\"LOGIN_KEY\",\"USER_TYPE\",\"REQUEST_STATUS\",\"DB_TOTAL_TIME\","
    "\"BROWSER_TYPE\",\"API_TYPE\",\"API_VERSION\",\"USER_NAME\",\"TLS_PROTOCOL\",\"CIPHER_SUITE\","
    "\"AUTHENTICATION_METHOD_REFERENCE\",\"TIMESTAMP_DERIVED\",\"USER_ID_DERIVED\","
    "\"CLIENT_IP\",\"URI_ID_DERIVED\",\"LOGIN_STATUS\",\"SOURCE_IP\"\n";
constexpr char kLogoutHeader[] =
    "\"EVENT_TYPE\",\"TIMESTAMP\",\"REQUEST_ID\",\"ORGANIZATION_ID\",\"USER_ID\",\"USER_TYPE\",\"SESSION_"
    "TYPE\","
    "\"SESSION_LEVEL\",\"BROWSER_TYPE\",\"PLATFORM_TYPE\",\"RESOLUTION_TYPE\",\"APP_TYPE\",\"CLIENT_"
    "VERSION\","
    "\"API_TYPE\",\"API_VERSION\",\"USER_INITIATED_LOGOUT\",\"SESSION_KEY\",\"LOGIN_KEY\",\"TIMESTAMP_"
    "DERIVED\","
    "\"USER_ID_DERIVED\",\"CLIENT_IP\"\n";

struct File {
  LogFileInfo info;
  std::string names;
  std::string types;
  std::string csv;
  std::vector<std::vector<std::string>> rows;
};

struct Corpus {
  OrgConfig config;
  FakeActivity activity;
  std::vector<UserInfo> users;
  std::unique_ptr<ElfStore> store;
  std::vector<File> files;

  explicit Corpus(bool hourly) : activity(Options()), users(testing::MakeUsers(Options().users)) {
    config.days = Options().days;
    config.hourly_elf = hourly;
    store = MakeElfStore(config, activity, users);
    const TimeMs now = config.start + (config.days + 3) * kDay;
    for (uint64_t i = 0; i < store->Count(now); ++i) {
      const Record r = store->Row(i, now);
      File f;
      f.info = *store->FindFile(r.Get("Id")->text, now);
      f.names = r.Get("LogFileFieldNames")->text;
      f.types = r.Get("LogFileFieldTypes")->text;
      f.csv = StreamAll(*store, f.info);
      bool all_quoted = false;
      REQUIRE(ParseCsv(f.csv, &f.rows, &all_quoted));
      REQUIRE(all_quoted);
      files.push_back(std::move(f));
    }
  }
  static FakeOptions Options() {
    FakeOptions o;
    o.days = 4;
    return o;
  }
};

const Corpus& Daily() {
  static const Corpus corpus(false);
  return corpus;
}

size_t Col(const File& f, std::string_view name) {
  for (size_t i = 0; i < f.rows[0].size(); ++i) {
    if (f.rows[0][i] == name) return i;
  }
  return SIZE_MAX;
}

TimeMs ParseCompact(const std::string& ts) {
  // yyyyMMddHHmmss[.S{1,3}] -> ms; fraction padded right.
  REQUIRE(ts.size() >= 14);
  std::tm tm{};
  tm.tm_year = std::stoi(ts.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(ts.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(ts.substr(6, 2));
  tm.tm_hour = std::stoi(ts.substr(8, 2));
  tm.tm_min = std::stoi(ts.substr(10, 2));
  tm.tm_sec = std::stoi(ts.substr(12, 2));
  TimeMs ms = static_cast<TimeMs>(timegm(&tm)) * 1000;
  if (ts.size() > 14) {
    REQUIRE(ts[14] == '.');
    std::string frac = ts.substr(15);
    while (frac.size() < 3) frac += '0';
    ms += std::stoi(frac);
  }
  return ms;
}

TEST_CASE("Every file is an all-quoted CSV whose header matches the manifest", "[elf][csv]") {
  const Corpus& c = Daily();
  REQUIRE(!c.files.empty());
  for (const File& f : c.files) {
    INFO(f.info.id << " " << f.info.event_type);
    const std::vector<std::string> names = SplitComma(f.names);
    CHECK(f.rows[0] == names);
    const std::vector<std::string> types = SplitComma(f.types);
    REQUIRE(types.size() == names.size());
    for (const std::string& t : types) {
      CHECK((t == "String" || t == "Id" || t == "Number" || t == "DateTime" || t == "Boolean" || t == "IP"));
    }
    // Header line: every name quoted, LF-terminated.
    std::string header;
    for (size_t i = 0; i < names.size(); ++i) header += (i ? ",\"" : "\"") + names[i] + "\"";
    CHECK(f.csv.compare(0, header.size() + 1, header + "\n") == 0);
    CHECK(f.csv.find('\r') == std::string::npos);
    for (size_t i = 1; i < f.rows.size(); ++i) {
      REQUIRE(f.rows[i].size() == names.size());
      CHECK(f.rows[i][0] == f.info.event_type);
    }
    // The common columns, in the documented relative order.
    CHECK(names[0] == "EVENT_TYPE");
    CHECK(names[1] == "TIMESTAMP");
    CHECK(names[2] == "REQUEST_ID");
    CHECK(names[3] == "ORGANIZATION_ID");
    CHECK(names[4] == "USER_ID");
    CHECK(types[Col(f, "TIMESTAMP_DERIVED")] == "DateTime");
    CHECK(types[Col(f, "CLIENT_IP")] == "IP");
    CHECK(types[Col(f, "USER_ID")] == "Id");
  }
}

TEST_CASE("Login and Logout headers are the real ones, per API version", "[elf][csv]") {
  const Corpus& c = Daily();
  int login62 = 0, login61 = 0, logout = 0;
  for (const File& f : c.files) {
    const std::string first_line = f.csv.substr(0, f.csv.find('\n') + 1);
    if (f.info.event_type == "Login") {
      if (f.info.api_version == "62.0") {
        CHECK(first_line == kLogin2023Header);
        ++login62;
      } else {
        CHECK(f.info.api_version == "61.0");
        CHECK(first_line == kLogin2022Header);
        ++login61;
      }
    } else if (f.info.event_type == "Logout") {
      CHECK(first_line == kLogoutHeader);
      ++logout;
    }
  }
  CHECK(login62 > 0);
  CHECK(login61 > 0);
  CHECK(logout > 0);
}

TEST_CASE("Values have the ELF styles and agree with the activity", "[elf][csv]") {
  const Corpus& c = Daily();
  std::map<std::string, const ActivityBase*> by_request;
  for (const auto& a : c.activity.logins_.items) by_request[a.request_id] = &a;
  for (const auto& a : c.activity.api_.items) by_request[a.request_id] = &a;
  for (const auto& a : c.activity.reports_.items) by_request[a.request_id] = &a;
  for (const auto& a : c.activity.uri_.items) by_request[a.request_id] = &a;
  for (const auto& a : c.activity.content_.items) by_request[a.request_id] = &a;
  for (const auto& a : c.activity.logouts_.items) by_request[a.request_id] = &a;

  std::map<size_t, int> timestamp_lengths;
  int empty_derived = 0, rows = 0, sfdc_ip = 0, ipv6 = 0, newline_values = 0, quoted_values = 0;
  int triple_quotes = 0, no_final_newline = 0, final_newline = 0, commas = 0;
  for (const File& f : c.files) {
    INFO(f.info.id << " " << f.info.event_type);
    if (f.csv.back() == '\n')
      ++final_newline;
    else
      ++no_final_newline;
    if (f.csv.find("\"\"\"") != std::string::npos) ++triple_quotes;
    const size_t ts = Col(f, "TIMESTAMP");
    const size_t derived = Col(f, "TIMESTAMP_DERIVED");
    const size_t org = Col(f, "ORGANIZATION_ID");
    const size_t user = Col(f, "USER_ID");
    const size_t user18 = Col(f, "USER_ID_DERIVED");
    const size_t ip = Col(f, "CLIENT_IP");
    const size_t request = Col(f, "REQUEST_ID");
    const size_t login_key = Col(f, "LOGIN_KEY");
    for (size_t i = 1; i < f.rows.size(); ++i) {
      const std::vector<std::string>& row = f.rows[i];
      ++rows;
      ++timestamp_lengths[row[ts].size()];
      const TimeMs t = ParseCompact(row[ts]);
      CHECK(t >= f.info.log_date);
      CHECK(t < f.info.log_date + kDay);
      if (row[derived].empty()) {
        ++empty_derived;
      } else {
        CHECK(row[derived].size() == 24);
        CHECK(row[derived].back() == 'Z');
        if (row[ts].size() == 18) CHECK(row[derived] == FormatIsoZ(t));
        // TIMESTAMP is the same instant, possibly with a shorter fraction.
        CHECK(row[derived].substr(0, 19) == FormatIsoZ(t).substr(0, 19));
      }
      CHECK(row[org] == c.config.org_id.substr(0, 15));
      CHECK(row[user].size() == 15);
      CHECK(row[user18].size() == 18);
      CHECK(row[user18].compare(0, 15, row[user]) == 0);
      if (row[ip] == "Salesforce.com IP") ++sfdc_ip;
      if (row[ip].find(':') != std::string::npos) ++ipv6;
      for (const std::string& v : row) {
        if (v.find('\n') != std::string::npos) ++newline_values;
        if (v.find('"') != std::string::npos) ++quoted_values;
        if (v.find(',') != std::string::npos) ++commas;
      }
      // Same event as the activity: user, IP, login key, time.
      const auto it = by_request.find(row[request]);
      if (it != by_request.end() && f.info.event_type != "BulkApi2") {
        const ActivityBase& a = *it->second;
        CHECK(row[user18] == c.users[a.user].id);
        CHECK(row[ip] == a.client_ip);
        CHECK(t / 1000 == a.time / 1000);
        if (login_key != SIZE_MAX) CHECK(row[login_key] == a.login_key);
      }
    }
  }
  INFO(rows << " rows");
  CHECK(timestamp_lengths[18] > 0);  // .SSS
  CHECK(timestamp_lengths[17] > 0);  // .SS
  CHECK(timestamp_lengths[14] > 0);  // no fraction
  CHECK(timestamp_lengths[18] > rows / 2);
  CHECK(empty_derived > 0);
  CHECK(empty_derived < rows / 10);
  CHECK(sfdc_ip > 0);
  CHECK(ipv6 > 0);
  CHECK(newline_values > 0);
  CHECK(quoted_values > 0);
  CHECK(triple_quotes > 0);
  CHECK(commas > 0);
  CHECK(no_final_newline > 0);
  CHECK(final_newline > no_final_newline);
}

TEST_CASE("Type-specific columns carry the activity's values", "[elf][csv]") {
  const Corpus& c = Daily();
  std::map<std::string, const ReportActivity*> reports;
  for (const auto& a : c.activity.reports_.items) reports[a.request_id] = &a;
  std::map<std::string, const ApiActivity*> api;
  for (const auto& a : c.activity.api_.items) api[a.request_id] = &a;
  std::map<std::string, const LoginActivity*> logins;
  for (const auto& a : c.activity.logins_.items) logins[a.request_id] = &a;
  std::set<std::string> seen;
  for (const File& f : c.files) {
    const size_t request = Col(f, "REQUEST_ID");
    for (size_t i = 1; i < f.rows.size(); ++i) {
      const auto& row = f.rows[i];
      const std::string& type = f.info.event_type;
      seen.insert(type);
      if (type == "Login") {
        const LoginActivity& a = *logins.at(row[request]);
        CHECK(row[Col(f, "USER_NAME")] == c.users[a.user].username);
        CHECK(row[Col(f, "LOGIN_STATUS")] ==
              (a.status == "Success" ? "LOGIN_NO_ERROR" : "LOGIN_ERROR_INVALID_PASSWORD"));
        CHECK(row[Col(f, "URI")] == a.uri);
        CHECK(row[Col(f, "TLS_PROTOCOL")] == "TLSv1.3");
        CHECK(row[Col(f, "API_VERSION")] == (a.api_version == "N/A" ? "9998.0" : a.api_version));
        CHECK(row[Col(f, "SESSION_KEY")].empty());
        if (f.info.api_version == "62.0") CHECK(row[Col(f, "LOGIN_TYPE")] == a.login_type_code);
        if (a.client_ip != "Salesforce.com IP")
          CHECK(row[Col(f, "SOURCE_IP")] == a.client_ip);
        else
          CHECK(row[Col(f, "SOURCE_IP")].rfind("13.", 0) == 0);
      } else if (type == "Report" || type == "ReportExport") {
        const ReportActivity& a = *reports.at(row[request]);
        if (type == "Report") {
          CHECK(row[Col(f, "REPORT_ID")] == a.report_id.substr(0, 15));
          CHECK(row[Col(f, "REPORT_ID_DERIVED")] == a.report_id);
          CHECK(row[Col(f, "ROW_COUNT")] == std::to_string(a.rows));
          CHECK(row[Col(f, "ENTITY_NAME")] == a.entity);
        } else {
          CHECK(a.exported);
          const std::string& d = row[Col(f, "REPORT_DESCRIPTION")];
          CHECK((d == a.report_name || d == "\"" + a.report_name + "\""));
        }
      } else if (type == "API" || type == "RestApi" || type == "ApiTotalUsage") {
        const ApiActivity& a = *api.at(row[request]);
        if (type == "API") {
          CHECK(a.api_family == "SOAP");
          std::string q = row[Col(f, "QUERY")];
          std::replace(q.begin(), q.end(), '\n', ' ');
          CHECK(q == a.query);
          CHECK(row[Col(f, "METHOD_NAME")] == a.method);
          CHECK(row[Col(f, "API_VERSION")] == "62.0");
        } else if (type == "RestApi") {
          CHECK(a.api_family == "REST");
          CHECK(row[Col(f, "STATUS_CODE")] == std::to_string(a.status_code));
          CHECK(row[Col(f, "URI")] == a.uri);
          CHECK(row[Col(f, "CONNECTED_APP_ID")] == a.connected_app_id.substr(0, 15));
        } else {
          CHECK(row[Col(f, "API_FAMILY")] == a.api_family);
          CHECK(row[Col(f, "USER_NAME")] == c.users[a.user].username);
        }
      } else if (type == "BulkApi2") {
        const std::string& status = row[Col(f, "JOB_STATUS")];
        CHECK((status == "UploadComplete" || status == "InProgress" || status == "JobComplete"));
      }
    }
  }
  CHECK(seen.size() == 12);
}

TEST_CASE("Hourly files use the same rows as the daily file", "[elf][csv]") {
  static const Corpus hourly(true);
  // Each event of a day appears once in the daily file and once across that day's hourly files,
  // with byte-identical rows.
  std::map<std::pair<std::string, TimeMs>, std::multiset<std::string>> daily_rows, hourly_rows;
  for (const File& f : hourly.files) {
    const TimeMs day = f.info.log_date - f.info.log_date % kDay;
    auto& bucket =
        f.info.hourly ? hourly_rows[{f.info.event_type, day}] : daily_rows[{f.info.event_type, day}];
    for (size_t i = 1; i < f.rows.size(); ++i) {
      std::string joined;
      for (const std::string& v : f.rows[i]) joined += v + "\x1f";
      bucket.insert(joined);
    }
  }
  REQUIRE(!daily_rows.empty());
  for (const auto& [key, rows] : daily_rows) {
    INFO(key.first << " " << key.second);
    CHECK(hourly_rows[key] == rows);
  }
}

}  // namespace
}  // namespace custody::sim
