#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "normalize/salesforce_map.h"
#include "normalize/sf_time.h"
#include "normalize_test_util.h"

using namespace custody::normalize;
using namespace custody::normalize::testing;
using custody::ErrorCode;
using custody::Status;

namespace {
std::string When(const Record& r) { return r.timestamp_ms ? FormatUtcMillis(*r.timestamp_ms) : "none"; }
}  // namespace

// ----------------------------------------------------------------------------------------------
// Field history

TEST_CASE("map AccountHistory from a REST record", "[normalize][map]") {
  const Record r = MapJson(Ctx("AccountHistory", "field-history"), R"({
    "attributes": {"type": "AccountHistory", "url": "/services/data/v62.0/sobjects/AccountHistory/0175j00000AbCdEAAV"},
    "Id": "0175j00000AbCdEAAV", "AccountId": "0015j00000XyZ12AAB", "CreatedById": "0055j000000utlPAAQ",
    "CreatedBy": {"attributes": {"type": "User", "url": "/services/data/v62.0/sobjects/User/0055j000000utlPAAQ"},
                  "Name": "Jane Doe"},
    "CreatedDate": "2026-04-15T12:34:56.000+0000", "Field": "Phone", "DataType": "Text",
    "OldValue": "+1 555 0100", "NewValue": null, "IsDeleted": false})");
  CHECK(r.time_status == TimeStatus::kOk);
  CHECK(When(r) == "2026-04-15T12:34:56.000Z");
  CHECK(r.timestamp_original == "2026-04-15T12:34:56.000+0000");
  CHECK(r.timestamp_field == "CreatedDate");
  CHECK(r.source == "salesforce:00D5j000000VI3n");
  CHECK(r.stream == "field-history");
  CHECK(r.event_type == "AccountHistory");
  CHECK(r.action == "field-changed");
  CHECK(r.actor_user_id == "0055j000000utlPAAQ");
  CHECK(r.actor_username == "Jane Doe");  // display name: nothing better in the row
  CHECK(r.target_object == "Account");
  CHECK(r.target_record_id == "0015j00000XyZ12AAB");
  CHECK(r.target_field == "Phone");
  CHECK(r.old_value == "+1 555 0100");
  CHECK_FALSE(r.new_value);
  CHECK(r.event_id == "0175j00000AbCdEAAV");
  CHECK_FALSE(r.client_ip);
  CHECK(r.message == "0055j000000utlPAAQ changed Account 0015j00000XyZ12AAB Phone: \"+1 555 0100\" -> null");
}

TEST_CASE("map a history row prefers a username over CreatedBy.Name", "[normalize][map]") {
  const Fields f{{"Id", "0175j00000AbCdEAAV"}, {"CaseId", "5005j00000Abc12AAA"}, {"CreatedById", "0055j000000utlPAAQ"},
                 {"CreatedBy.Name", "Jane Doe"}, {"CreatedBy.Username", "jane@example.com"},
                 {"CreatedDate", "2026-04-15T12:34:56.000Z"}, {"Field", "Status"}, {"OldValue", "New"},
                 {"NewValue", "Closed"}};
  const Record r = MapFields(Ctx("CaseHistory"), f);
  CHECK(r.actor_username == "jane@example.com");
  CHECK(r.target_object == "Case");
  CHECK(r.target_record_id == "5005j00000Abc12AAA");
  CHECK(When(r) == "2026-04-15T12:34:56.000Z");
}

TEST_CASE("map OpportunityFieldHistory and custom history objects", "[normalize][map]") {
  Record r = MapFields(Ctx("OpportunityFieldHistory"),
                       {{"Id", "0175j00000Opp01AAA"}, {"OpportunityId", "0065j00000Opp01AAA"},
                        {"CreatedById", "0055j000000utlPAAQ"}, {"CreatedDate", "2026-04-15T12:34:56.000+0000"},
                        {"Field", "Amount"}, {"OldValue", "1000"}, {"NewValue", "2000"}});
  CHECK(r.target_object == "Opportunity");
  CHECK(r.target_record_id == "0065j00000Opp01AAA");
  CHECK(r.action == "field-changed");

  r = MapFields(Ctx("Patient__History"),
                {{"Id", "0175j00000Pat01AAA"}, {"ParentId", "a015j00000Pat01AAA"}, {"CreatedById", "0055j000000utlPAAQ"},
                 {"CreatedDate", "2026-04-15T12:34:56.000+0000"}, {"Field", "Phone__c"}, {"OldValue", ""},
                 {"NewValue", ""}});
  CHECK(r.target_object == "Patient__c");
  CHECK(r.target_record_id == "a015j00000Pat01AAA");
  CHECK(r.target_field == "Phone__c");
  CHECK_FALSE(r.old_value);  // long text areas are logged without values
  CHECK(r.message == "0055j000000utlPAAQ changed Patient__c a015j00000Pat01AAA Phone__c");

  r = MapFields(Ctx("HealthCloudGA__EhrPatient__History"),
                {{"ParentId", "a025j00000Ehr01AAA"}, {"CreatedDate", "2026-04-15T12:34:56.000+0000"},
                 {"Field", "HealthCloudGA__Status__c"}});
  CHECK(r.target_object == "HealthCloudGA__EhrPatient__c");
  CHECK(r.target_record_id == "a025j00000Ehr01AAA");
  CHECK_FALSE(r.actor_user_id);
  CHECK_THAT(r.message, Catch::StartsWith("unknown user changed HealthCloudGA__EhrPatient__c"));
}

TEST_CASE("map history rows that stand for a created or deleted record", "[normalize][map]") {
  Record r = MapFields(Ctx("LeadHistory"), {{"LeadId", "00Q5j00000Lead1AAA"}, {"CreatedById", "0055j000000utlPAAQ"},
                                            {"CreatedDate", "2026-04-15T12:34:56.000+0000"}, {"Field", "created"}});
  CHECK(r.action == "created");
  CHECK(r.message == "0055j000000utlPAAQ created Lead 00Q5j00000Lead1AAA");
  r = MapFields(Ctx("LeadHistory"), {{"LeadId", "00Q5j00000Lead1AAA"}, {"CreatedDate", "2026-04-15T12:34:56.000+0000"},
                                     {"Field", "deleted"}});
  CHECK(r.action == "deleted");
}

TEST_CASE("map FieldHistoryArchive", "[normalize][map]") {
  const Record r = MapJson(Ctx("FieldHistoryArchive", "field-history"), R"({
    "attributes": {"type": "FieldHistoryArchive"}, "Id": "0Fx5j000000Arch1AAA",
    "ArchiveFieldName": "Phone", "ArchiveParentName": "Acme", "ArchiveParentType": "Account",
    "ArchiveTimestamp": "2026-05-01T00:00:00.000+0000", "CreatedById": "0055j000000utlPAAQ",
    "CreatedDate": "2024-01-02T03:04:05.000+0000", "Field": "Phone", "FieldHistoryType": "Account",
    "HistoryId": "0175j00000AbCdEAAV", "NewValue": "+1 555 0199", "OldValue": "+1 555 0100",
    "ParentId": "0015j00000XyZ12AAB"})");
  CHECK(r.action == "field-changed");
  CHECK(When(r) == "2024-01-02T03:04:05.000Z");  // the change, not the archiving
  CHECK(r.target_object == "Account");
  CHECK(r.target_record_id == "0015j00000XyZ12AAB");
  CHECK(r.target_field == "Phone");
  CHECK(r.old_value == "+1 555 0100");
  CHECK(r.new_value == "+1 555 0199");
  CHECK(r.event_id == "0Fx5j000000Arch1AAA");
}

// ----------------------------------------------------------------------------------------------
// Logins

TEST_CASE("map LoginHistory success, failure and a row without status", "[normalize][map]") {
  Fields f{{"Id", "0Ya5j00003k2scQCAQ"}, {"UserId", "0055j00000AT6I1AAL"},
           {"LoginTime", "2023-07-23T16:18:23.000+0000"}, {"LoginType", "Remote Access 2.0"},
           {"SourceIp", "203.0.113.9"}, {"Status", "Success"}};
  Record r = MapFields(Ctx("LoginHistory", "logins"), f);
  CHECK(r.action == "login");
  CHECK(r.timestamp_field == "LoginTime");
  CHECK(When(r) == "2023-07-23T16:18:23.000Z");
  CHECK(r.actor_user_id == "0055j00000AT6I1AAL");
  CHECK(r.client_ip == "203.0.113.9");
  CHECK(r.event_id == "0Ya5j00003k2scQCAQ");
  CHECK(r.message == "login by 0055j00000AT6I1AAL from 203.0.113.9: Success");

  f["Status"] = "Failed: Missing Consumer Key Parameter";
  r = MapFields(Ctx("LoginHistory", "logins"), f);
  CHECK(r.action == "login-failed");
  CHECK(r.message == "login by 0055j00000AT6I1AAL from 203.0.113.9: Failed: Missing Consumer Key Parameter");

  f["Status"] = "";
  r = MapFields(Ctx("LoginHistory", "logins"), f);
  CHECK(r.action == "login-attempt");
}

TEST_CASE("map LoginEvent from the real query responses", "[normalize][map]") {
  auto records = MapPage(Ctx("LoginEvent", "logins"), Fixture("beats-loginevent-query-response.json"));
  REQUIRE(records.size() == 1);
  Record r = records[0];
  CHECK(r.action == "login");
  CHECK(r.timestamp_field == "EventDate");
  CHECK(When(r) == "2023-12-06T05:44:24.973Z");
  CHECK(r.actor_user_id == "0055j00000AT6I1AAL");
  CHECK(r.actor_username == "salesforceinstance@devtest.in");
  CHECK(r.client_ip == "134.238.252.19");
  CHECK(r.login_key == "pgOVoLbV96U9o08W");
  CHECK_FALSE(r.session_key);
  CHECK(r.event_id == "00044326-ed4a-421a-a0a8-e62ea626f3af");  // EventIdentifier, not Id
  CHECK(r.message == "login by salesforceinstance@devtest.in from 134.238.252.19: Success");

  records = MapPage(Ctx("LoginEvent", "logins"), Fixture("elastic-mock-loginevent-query-response.json"));
  REQUIRE(records.size() == 1);
  r = records[0];
  CHECK(When(r) == "2024-06-05T05:41:17.937Z");
  CHECK(r.actor_username == "user.name@email.com");
  CHECK_FALSE(r.session_key);  // JSON null
  CHECK(r.login_key == "JpXdXgpRCtdCFkqA");
}

TEST_CASE("map LoginEvent pipeline rows incl. a failure and a seconds-only time", "[normalize][map]") {
  const auto lines = Lines(Fixture("elastic-pipeline-loginevent-object-rows.ndjson"));
  REQUIRE(lines.size() == 2);
  Record r = MapJson(Ctx("LoginEvent", "logins"), lines[0]);
  CHECK(r.action == "login");
  CHECK(When(r) == "2021-10-19T11:47:22.000Z");
  CHECK(r.timestamp_original == "2021-10-19T11:47:22Z");
  CHECK(r.actor_user_id == "0056j000000utlQAAR");  // UserId, not the CreatedById of the storage row
  CHECK(r.event_id == "06af6d92-1167-467d-a826-ee8583f7134d");
  r = MapJson(Ctx("LoginEvent", "logins"), lines[1]);
  CHECK(r.action == "login-failed");
  CHECK(When(r) == "2024-07-08T07:26:18.239Z");
  CHECK(r.message ==
        "login by salesforceinstance@devtest.in from 89.160.20.112: Failed: Missing Consumer Key Parameter");
}

TEST_CASE("map LogoutEvent and LoginAsEvent", "[normalize][map]") {
  auto records = MapPage(Ctx("LogoutEvent", "logins"), Fixture("elastic-mock-logoutevent-query-response.json"));
  REQUIRE(records.size() == 1);
  CHECK(records[0].action == "logout");
  CHECK(records[0].session_key == "KVpUGBG7dN8Vk40A");
  CHECK(records[0].login_key == "NDIjdAAkZgP5AAUA");
  CHECK(When(records[0]) == "2024-06-05T05:32:41.057Z");
  CHECK(records[0].message == "logout by user.name@email.com from 103.108.207.58");

  const auto lines = Lines(Fixture("elastic-pipeline-logoutevent-object-rows.ndjson"));
  REQUIRE(lines.size() == 1);
  const Record r = MapJson(Ctx("LogoutEvent", "logins"), lines[0]);
  CHECK(r.action == "logout");
  CHECK(When(r) == "2021-10-19T11:38:54.000Z");
  CHECK(r.session_key == "6/HAElgoPCwskqBU");

  const Record as = MapFields(Ctx("LoginAsEvent", "logins"),
                              {{"EventDate", "2026-04-15T12:34:56.789+0000"}, {"EventIdentifier", "e-1"},
                               {"UserId", "0055j000000admin"}, {"Username", "admin@example.com"},
                               {"DelegatedUsername", "victim@example.com"}, {"SourceIp", "198.51.100.7"}});
  CHECK(as.action == "login-as");
  CHECK(as.event_id == "e-1");
  CHECK(as.message == "login-as by admin@example.com from 198.51.100.7 as victim@example.com");
}

// ----------------------------------------------------------------------------------------------
// RTEM exports

TEST_CASE("map ReportEvent with and without Operation", "[normalize][map]") {
  Fields f{{"EventDate", "2020-01-20T19:12:26.965Z"}, {"EventIdentifier", "3a9a4a4e-0000-4000-8000-000000000001"},
           {"Id", "000000000000000AAA"}, {"Operation", "ReportExported"}, {"QueriedEntities", "Account"},
           {"ReportId", "00O5j000000Rep1EAA"}, {"Name", "All Accounts"}, {"RowsProcessed", "2500"},
           {"UserId", "0055j000000utlPAAQ"}, {"Username", "user@example.com"}, {"SourceIp", "198.51.100.7"},
           {"SessionKey", "sk"}, {"LoginKey", "lk"}, {"RequestIdentifier", "TID:123"}};
  Record r = MapFields(Ctx("ReportEvent", "exports"), f);
  CHECK(r.action == "report-reportexported");
  CHECK(When(r) == "2020-01-20T19:12:26.965Z");
  CHECK(r.target_object == "Account");
  CHECK(r.target_record_id == "00O5j000000Rep1EAA");
  CHECK(r.request_id == "TID:123");
  CHECK(r.event_id == "3a9a4a4e-0000-4000-8000-000000000001");
  CHECK(r.message ==
        "report-reportexported by user@example.com from 198.51.100.7 report \"All Accounts\" on Account (2500 rows)");
  f.erase("Operation");
  r = MapFields(Ctx("ReportEvent", "exports"), f);
  CHECK(r.action == "report-run");
}

TEST_CASE("map ApiEvent, BulkApiResultEventStore and ListViewEvent", "[normalize][map]") {
  const Fields base{{"EventDate", "2026-04-15T12:34:56.789+0000"}, {"EventIdentifier", "ev-1"},
                    {"UserId", "0055j000000utlPAAQ"}, {"Username", "user@example.com"},
                    {"SourceIp", "198.51.100.7"}, {"QueriedEntities", "Contact"}};
  Record r = MapFields(Ctx("ApiEvent", "exports"), base);
  CHECK(r.action == "api-query");
  CHECK(r.target_object == "Contact");
  Fields bulk = base;
  bulk["JobId"] = "7505j000000Job1AAA";
  r = MapFields(Ctx("BulkApiResultEventStore", "exports"), bulk);
  CHECK(r.action == "bulk-result-download");
  CHECK(r.target_record_id == "7505j000000Job1AAA");
  Fields lv = base;
  lv["ListViewId"] = "00B5j000000Lv01AAA";
  r = MapFields(Ctx("ListViewEvent", "exports"), lv);
  CHECK(r.action == "list-view");
  CHECK(r.target_record_id == "00B5j000000Lv01AAA");
  CHECK(When(r) == "2026-04-15T12:34:56.789Z");
  // Another storage object still maps its common fields.
  r = MapFields(Ctx("FileEventStore", "exports"), base);
  CHECK(r.action == "file-event-store");
  CHECK(r.timestamp_field == "EventDate");
  CHECK(r.actor_username == "user@example.com");
}

TEST_CASE("map SetupAuditTrail from the pipeline row", "[normalize][map]") {
  const auto lines = Lines(Fixture("elastic-pipeline-setupaudittrail-rows.ndjson"));
  REQUIRE(lines.size() == 1);
  const Record r = MapJson(Ctx("SetupAuditTrail", "setup"), lines[0]);
  CHECK(r.action == "setup-change");
  CHECK(When(r) == "2022-08-16T09:26:38.000Z");
  CHECK(r.actor_user_id == "0055j000000utlPAAQ");
  CHECK_FALSE(r.actor_username);
  CHECK(r.target_field == "Connected Apps");
  CHECK(r.new_value == "For user user@elastic.co, the User Verified Email status changed to verified");
  CHECK(r.event_id == "0Ym5j000019nwonCAA");
  CHECK(r.message ==
        "0055j000000utlPAAQ setup-change in Connected Apps (insertConnectedApplication): For user user@elastic.co, "
        "the User Verified Email status changed to verified [delegate user1]");
}

// ----------------------------------------------------------------------------------------------
// EventLogFile rows

TEST_CASE("map the real ELF Login CSV", "[normalize][map][elf]") {
  const std::string text = Fixture("beats-eventlogfile-login-logfile-2rows.csv");
  const auto records = MapCsv(Ctx("EventLogFile", "logins", "Login"), text);
  REQUIRE(records.size() == 2);
  const Record& r = records[0];
  CHECK(r.event_type == "EventLogFile:Login");
  CHECK(r.action == "login");
  CHECK(r.timestamp_field == "TIMESTAMP");
  CHECK(r.timestamp_original == "20231218054831.655");
  CHECK(When(r) == "2023-12-18T05:48:31.655Z");
  CHECK(r.actor_user_id == "0055j00000AT6I1AAL");  // USER_ID_DERIVED (18 characters)
  CHECK(r.actor_username == "salesforceinstance@devtest.in");
  CHECK(r.client_ip == "Salesforce.com IP");        // as given, not replaced by SOURCE_IP
  CHECK(r.request_id == "4u6LyuMrDvb_G-l1cJIQk-");
  CHECK(r.login_key == "bY5Wfv8t/Ith7WVE");
  CHECK_FALSE(r.session_key);
  CHECK_FALSE(r.event_id);
  CHECK_FALSE(r.target_object);  // a login's URI is its endpoint, not a target
  CHECK(r.message == "login by salesforceinstance@devtest.in from Salesforce.com IP: LOGIN_NO_ERROR");
  CHECK(records[1].client_ip == "103.108.207.58");
  CHECK(records[1].record_index == 1);
  CHECK(text.substr(records[1].byte_offset, records[1].byte_length).starts_with("\"Login\",\"20231218054832.003\""));
}

TEST_CASE("map the real ELF Logout CSV and pipeline rows", "[normalize][map][elf]") {
  const auto records = MapCsv(Ctx("EventLogFile", "logins", "Logout"), Fixture("elastic-mock-eventlogfile-logout-logfile.csv"));
  REQUIRE(records.size() == 1);
  CHECK(records[0].action == "logout");
  CHECK(When(records[0]) == "2022-11-22T07:37:25.779Z");
  CHECK(records[0].session_key == "WvtsJ1235oW24EbH");
  CHECK(records[0].client_ip == "81.2.69.142");

  // The trimmed TIMESTAMP ".13" is 130 ms; the derived copy (.128) is not used to "correct" it.
  const auto lines = Lines(Fixture("elastic-pipeline-logout-eventlogfile-rows.ndjson"));
  REQUIRE(lines.size() == 1);
  const Record r = MapJson(Ctx("EventLogFile", "logins", "Logout"), lines[0]);
  CHECK(r.timestamp_field == "TIMESTAMP");
  CHECK(When(r) == "2021-10-19T05:07:07.130Z");

  const auto login = Lines(Fixture("elastic-pipeline-login-eventlogfile-rows.ndjson"));
  REQUIRE(login.size() == 1);
  const Record l = MapJson(Ctx("EventLogFile", "logins", "Login"), login[0]);
  CHECK(l.action == "login");
  CHECK(l.client_ip == "175.16.199.0");
  CHECK(l.login_key == "NK2oPJrJze8tH+vC");
}

TEST_CASE("map ELF rows of an unknown type by their common columns", "[normalize][map][elf]") {
  const auto lines = Lines(Fixture("elastic-pipeline-apex-eventlogfile-rows.ndjson"));
  REQUIRE(lines.size() == 2);
  // No EventType in the context: the row's EVENT_TYPE names it.
  const Record r = MapJson(Ctx("EventLogFile", "apex"), lines[0]);
  CHECK(r.event_type == "EventLogFile:ApexExecution");
  CHECK(r.action == "apex-execution");
  CHECK(When(r) == "2022-10-01T17:00:00.885Z");
  CHECK(r.actor_user_id == "0055j000000utlP001");
  CHECK(r.request_id == "4lc-XEdmLH121-l1cJ0001");
  CHECK(r.target_object == "/home/home.jsp");
  CHECK(r.target_record_id == "AQB00530000009M943");
  const Record c = MapJson(Ctx("EventLogFile", "apex", "ApexCallout"), lines[1]);
  CHECK(c.action == "apex-callout");
  CHECK_FALSE(c.login_key);  // "" is absent
}

TEST_CASE("map ELF export event types", "[normalize][map][elf]") {
  struct Case {
    std::string type;
    Fields extra;
    std::string action;
  };
  const std::vector<Case> cases = {
      {"ReportExport", {{"URI", "/00O5j000000Rep1"}, {"REPORT_DESCRIPTION", "All Accounts"}}, "report-export"},
      {"Report", {{"REPORT_ID_DERIVED", "00O5j000000Rep1EAA"}, {"ENTITY_NAME", "Account"}, {"ROW_COUNT", "2500"}},
       "report-run"},
      {"API", {{"ENTITY_NAME", "Contact"}, {"METHOD_NAME", "query"}, {"ROWS_PROCESSED", "2000"}}, "api-request"},
      {"RestApi", {{"ENTITY_NAME", "Contact"}, {"URI", "/services/data/v62.0/query"}}, "api-request"},
      {"BulkApi", {{"ENTITY_TYPE", "Contact"}, {"JOB_ID", "7505j000000Job1"}}, "bulk-api"},
      {"BulkApi2", {{"ENTITY_TYPE", "Contact"}, {"JOB_ID", "7505j000000Job2"}}, "bulk-api"},
      {"ContentTransfer", {{"TRANSACTION_TYPE", "VersionDownloadApi"}, {"DOCUMENT_ID_DERIVED", "0695j000000Doc1AAA"}},
       "file-versiondownloadapi"},
      {"ContentTransfer", {{"TRANSACTION_TYPE", ""}}, "file-transfer"},
      {"DocumentAttachmentDownloads", {{"ENTITY_ID", "00P5j000000Att1"}}, "document-download"},
      {"DocumentAttachmentDownoads", {{"ENTITY_ID", "00P5j000000Att1"}}, "document-download"},
      {"URI", {{"URI", "/0015j00000XyZ12"}, {"URI_ID_DERIVED", "0015j00000XyZ12AAB"}}, "page-view"},
      {"LoginAs", {{"DELEGATED_USER_NAME", "victim@example.com"}}, "login-as"},
  };
  for (const Case& c : cases) {
    INFO(c.type);
    Fields f{{"EVENT_TYPE", c.type}, {"TIMESTAMP", "20240101120000.000"}, {"REQUEST_ID", "4exLFFQZ1234xFl1cJNwOV"},
             {"USER_ID", "0055j000000utlP"}, {"USER_ID_DERIVED", "0055j000000utlPAAQ"}, {"CLIENT_IP", "81.2.69.142"},
             {"SESSION_KEY", "WvtsJ1235oW24EbH"}, {"LOGIN_KEY", "Obv9123BzbaxqCo1"},
             {"TIMESTAMP_DERIVED", "2024-01-01T12:00:00.000Z"}};
    for (const auto& [k, v] : c.extra) f[k] = v;
    const Record r = MapFields(Ctx("EventLogFile", "exports", c.type), f);
    CHECK(r.action == c.action);
    CHECK(r.event_type == "EventLogFile:" + c.type);
    CHECK(When(r) == "2024-01-01T12:00:00.000Z");
    CHECK(r.session_key == "WvtsJ1235oW24EbH");
    CHECK(r.message.find('\n') == std::string::npos);
    if (c.type == "Report") {
      CHECK(r.target_object == "Account");
      CHECK(r.target_record_id == "00O5j000000Rep1EAA");
      CHECK(r.message == "report-run by 0055j000000utlPAAQ from 81.2.69.142 Account 00O5j000000Rep1EAA (2500 rows)");
    }
    if (c.type == "ContentTransfer" && c.action != "file-transfer") CHECK(r.target_record_id == "0695j000000Doc1AAA");
    if (c.type == "URI") {
      CHECK(r.target_object == "/0015j00000XyZ12");
      CHECK(r.target_record_id == "0015j00000XyZ12AAB");
    }
    if (c.type == "BulkApi") CHECK(r.target_object == "Contact");
    if (c.type == "LoginAs") CHECK_THAT(r.message, Catch::Contains("as victim@example.com"));
  }
}

// ----------------------------------------------------------------------------------------------
// Time flags

TEST_CASE("map flags missing and unparseable times and keeps the original", "[normalize][map][time]") {
  Record r = MapFields(Ctx("AccountHistory"), {{"AccountId", "0015j00000XyZ12AAB"}, {"Field", "Phone"}});
  CHECK(r.time_status == TimeStatus::kMissing);
  CHECK_FALSE(r.timestamp_ms);
  CHECK(r.timestamp_original.empty());
  CHECK(r.timestamp_field == "CreatedDate");

  r = MapFields(Ctx("AccountHistory"), {{"CreatedDate", "2026-04-15T12:34:56.000"}});  // no zone
  CHECK(r.time_status == TimeStatus::kUnparseable);
  CHECK_FALSE(r.timestamp_ms);
  CHECK(r.timestamp_original == "2026-04-15T12:34:56.000");

  r = MapJson(Ctx("LoginEvent"), R"({"EventDate": null, "CreatedDate": "2024-06-05T05:41:20.358+0000", "Status": "Success"})");
  CHECK(r.time_status == TimeStatus::kMissing);  // CreatedDate is storage time, never a stand-in
  CHECK(r.timestamp_field == "EventDate");

  r = MapFields(Ctx("LoginHistory"), {{"LoginTime", "23/07/2023 16:18"}});
  CHECK(r.time_status == TimeStatus::kUnparseable);
  CHECK(r.timestamp_original == "23/07/2023 16:18");
}

TEST_CASE("map ELF uses TIMESTAMP_DERIVED only when TIMESTAMP is empty", "[normalize][map][time]") {
  const RowContext ctx = Ctx("EventLogFile", "exports", "URI");
  Record r = MapFields(ctx, {{"TIMESTAMP", ""}, {"TIMESTAMP_DERIVED", "2015-07-27T11:32:59.555Z"}});
  CHECK(r.time_status == TimeStatus::kOk);
  CHECK(r.timestamp_field == "TIMESTAMP_DERIVED");
  CHECK(When(r) == "2015-07-27T11:32:59.555Z");

  r = MapFields(ctx, {{"TIMESTAMP", "2015-07-27 11:32"}, {"TIMESTAMP_DERIVED", "2015-07-27T11:32:59.555Z"}});
  CHECK(r.time_status == TimeStatus::kUnparseable);
  CHECK(r.timestamp_field == "TIMESTAMP");
  CHECK(r.timestamp_original == "2015-07-27 11:32");

  r = MapFields(ctx, {{"TIMESTAMP", ""}, {"TIMESTAMP_DERIVED", ""}});
  CHECK(r.time_status == TimeStatus::kMissing);
  CHECK(r.timestamp_field == "TIMESTAMP");

  r = MapFields(ctx, {{"TIMESTAMP", ""}, {"TIMESTAMP_DERIVED", "not a time"}});
  CHECK(r.time_status == TimeStatus::kUnparseable);
  CHECK(r.timestamp_field == "TIMESTAMP_DERIVED");
  CHECK(r.timestamp_original == "not a time");
}

// ----------------------------------------------------------------------------------------------
// Query response pages

namespace {

// Each record's byte range holds exactly that record: re-parsing the slice gives the same value
// as the page's records[i].
void CheckRanges(const std::string& page) {
  rapidjson::Document doc;
  doc.Parse(page.data(), page.size());
  REQUIRE_FALSE(doc.HasParseError());
  const auto& records = doc["records"];
  std::uint64_t seen = 0;
  const Status s = ForEachQueryRecord(page, [&](const JsonRecordView& view) {
    REQUIRE(view.index == seen);
    REQUIRE(view.byte_offset + view.byte_length <= page.size());
    const std::string slice = page.substr(view.byte_offset, view.byte_length);
    CHECK(slice.front() == '{');
    CHECK(slice.back() == '}');
    rapidjson::Document one;
    one.Parse(slice.data(), slice.size());
    REQUIRE_FALSE(one.HasParseError());
    CHECK(one == records[static_cast<rapidjson::SizeType>(view.index)]);
    ++seen;
    return Status::Ok();
  });
  REQUIRE(s.ok());
  CHECK(seen == records.Size());
}

}  // namespace

TEST_CASE("query pages give the exact byte range of each real record", "[normalize][json]") {
  for (const char* name : {"beats-eventlogfile-login-query-response.json", "beats-loginevent-query-response.json",
                           "elastic-mock-empty-query-response.json",
                           "elastic-mock-eventlogfile-login-query-response.json",
                           "elastic-mock-loginevent-query-response.json",
                           "elastic-mock-logoutevent-query-response.json"}) {
    INFO(name);
    CheckRanges(Fixture(name));
  }
}

TEST_CASE("query pages with tricky strings, nesting and layout", "[normalize][json]") {
  const std::string page =
      "{\n  \"totalSize\" : 3,\n  \"meta\": {\"records\": [{\"x\": 1}], \"s\": \"]}\\\"[{\"},\n"
      "  \"done\": false, \"nextRecordsUrl\": \"/services/data/v62.0/query/01gD0000002HU6KIAW-2000\",\n"
      "  \"records\" : [ {\"Id\": \"a\", \"Text\": \"brace } bracket ] quote \\\" backslash \\\\\"} ,\n"
      "    {\"Id\": \"b\", \"Sub\": {\"records\": [{\"Id\": \"c\"}]}, \"Arr\": [1, [2, {\"k\": \"}\"}]]},"
      "{\"Id\":\"\\u00e9\\n\"}\n  ]\n}\n";
  CheckRanges(page);
  std::vector<std::string> ids;
  REQUIRE(ForEachQueryRecord(page, [&](const JsonRecordView& v) {
            ids.push_back(v.get("Id").value_or("?"));
            return Status::Ok();
          }).ok());
  CHECK(ids == std::vector<std::string>{"a", "b", "\xC3\xA9\n"});
}

TEST_CASE("query record getter: dotted names, null, numbers and attributes", "[normalize][json]") {
  const std::string page = R"({"totalSize":1,"done":true,"records":[{"attributes":{"type":"EventLogFile","url":"/x"},
    "Id":"0ATD000000001bROAQ","LogFileLength":2692.0,"Sequence":0,"Big":12345678901234567890,"Neg":-1.5e3,
    "Flag":true,"Off":false,"Nothing":null,"Empty":"",
    "CreatedBy":{"attributes":{"type":"User"},"Name":"Jane Doe","Manager":{"Name":"Boss"}},
    "List":[1,"two"]}]})";
  int calls = 0;
  REQUIRE(ForEachQueryRecord(page, [&](const JsonRecordView& v) {
            ++calls;
            CHECK(v.get("Id") == "0ATD000000001bROAQ");
            CHECK(v.get("LogFileLength") == "2692.0");  // the JSON text, not 2692
            CHECK(v.get("Sequence") == "0");
            CHECK(v.get("Big") == "12345678901234567890");
            CHECK(v.get("Neg") == "-1.5e3");
            CHECK(v.get("Flag") == "true");
            CHECK(v.get("Off") == "false");
            CHECK_FALSE(v.get("Nothing"));
            CHECK(v.get("Empty") == "");
            CHECK_FALSE(v.get("Missing"));
            CHECK(v.get("CreatedBy.Name") == "Jane Doe");
            CHECK(v.get("CreatedBy.Manager.Name") == "Boss");
            CHECK_FALSE(v.get("CreatedBy.Missing"));
            CHECK_FALSE(v.get("Id.Sub"));
            CHECK_FALSE(v.get("attributes"));
            CHECK_FALSE(v.get("attributes.type"));
            CHECK_FALSE(v.get("CreatedBy.attributes.type"));
            CHECK(v.get("List") == "[1,\"two\"]");  // as received, numbers stay numbers
            CHECK(v.get("CreatedBy.Manager") == "{\"Name\":\"Boss\"}");
            CHECK(v.get("CreatedBy") ==
                  "{\"attributes\":{\"type\":\"User\"},\"Name\":\"Jane Doe\",\"Manager\":{\"Name\":\"Boss\"}}");
            return Status::Ok();
          }).ok());
  CHECK(calls == 1);
}

TEST_CASE("query pages that are not query responses are kParse", "[normalize][json]") {
  auto noop = [](const JsonRecordView&) { return Status::Ok(); };
  for (const std::string& page :
       {Fixture("elastic-mock-error-query-timeout.json"), std::string("{\"totalSize\":0,\"done\":true}"),
        std::string("{\"records\":{}}"), std::string("{\"records\":[{}]"), std::string("not json"),
        std::string("{\"records\":[]} trailing"), std::string("")}) {
    INFO(page);
    const Status s = ForEachQueryRecord(page, noop);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kParse);
  }
}

TEST_CASE("query page callback errors stop the walk", "[normalize][json]") {
  const std::string page = R"({"records":[{"Id":"1"},{"Id":"2"},{"Id":"3"}]})";
  int calls = 0;
  const Status s = ForEachQueryRecord(page, [&](const JsonRecordView&) {
    ++calls;
    return calls == 2 ? Status(custody::Error(ErrorCode::kIo, "disk full")) : Status::Ok();
  });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kIo);
  CHECK(calls == 2);
}
