// Record JSON and Bulk API 2.0 CSV, byte for byte.

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <random>
#include <string>

#include "query/soql_render.h"
#include "query_test_util.h"

namespace custody::sim::testing {
namespace {

const std::string kUrl = "/services/data/v62.0/sobjects/";

std::string One(const Org& org, const std::string& soql, const QueryOptions& o = Options()) {
  auto r = RunOk(org, soql, o);
  REQUIRE(r->total_size() >= 1);
  std::string out;
  r->AppendJsonRecords(0, 1, &out);
  return out;
}

TEST_CASE("a record renders exactly as Salesforce's JSON", "[sim][query][render]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  const std::string json =
      One(*org, "SELECT Id, Field, CreatedDate, CreatedBy.Name, Amount__c, Count__c, Day__c, IsDeleted, OldValue, "
                "NewValue, Account.Name FROM AccountHistory WHERE Field = 'Phone'");
  CHECK(json ==
        "{\"attributes\":{\"type\":\"AccountHistory\",\"url\":\"" + kUrl + "AccountHistory/017000000000002AAA\"},"
        "\"Id\":\"017000000000002AAA\",\"Field\":\"Phone\",\"CreatedDate\":\"2026-04-01T10:30:00.250+0000\","
        "\"CreatedBy\":{\"attributes\":{\"type\":\"User\",\"url\":\"" + kUrl + "User/005000000000002AAA\"},"
        "\"Name\":\"Zoë \\\"Z\\\" Ångström\"},\"Amount__c\":null,\"Count__c\":2,\"Day__c\":null,\"IsDeleted\":false,"
        "\"OldValue\":null,\"NewValue\":\"555\",\"Account\":{\"attributes\":{\"type\":\"Account\",\"url\":\"" +
        kUrl + "Account/001000000000002AAA\"},\"Name\":\"Globex\"}}");

  // Names come out in schema case whatever the query's case; doubles keep a fraction.
  CHECK(One(*org, "select field, amount__c, count__c, day__c from accounthistory where count__c = 3") ==
        "{\"attributes\":{\"type\":\"AccountHistory\",\"url\":\"" + kUrl + "AccountHistory/017000000000003AAA\"},"
        "\"Field\":\"name\",\"Amount__c\":-3.0,\"Count__c\":3,\"Day__c\":\"2026-04-02\"}");
  CHECK(One(*org, "SELECT Amount__c FROM AccountHistory WHERE Count__c = null").find("\"Amount__c\":0.0}") !=
        std::string::npos);
  // Control characters and quotes are escaped.
  QueryOptions o = Options();
  o.view_all_data = true;
  CHECK(One(*org, "SELECT OldValue, NewValue FROM AccountHistory WHERE Count__c = 6", o)
            .find("\"OldValue\":\"a\\\"b\",\"NewValue\":\"line\\nbreak\\t\\u0001\"}") != std::string::npos);
}

TEST_CASE("relationship fields nest, share one object per relationship, and null lookups are null",
          "[sim][query][render]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  const std::string json = One(*org,
                               "SELECT CreatedBy.Name, Id, CreatedBy.Email, CreatedBy.Profile.Name, CreatedBy.Id "
                               "FROM AccountHistory WHERE Count__c = 1");
  CHECK(json == "{\"attributes\":{\"type\":\"AccountHistory\",\"url\":\"" + kUrl +
                    "AccountHistory/017000000000001AAA\"},\"CreatedBy\":{\"attributes\":{\"type\":\"User\",\"url\":\"" +
                    kUrl + "User/005000000000001AAA\"},\"Name\":\"Jane Doe\",\"Email\":\"jdoe@example.com\","
                    "\"Profile\":{\"attributes\":{\"type\":\"Profile\",\"url\":\"" + kUrl +
                    "Profile/00e000000000002AAA\"},\"Name\":\"Clinician\"},\"Id\":\"005000000000001AAA\"},"
                    "\"Id\":\"017000000000001AAA\"}");
  const std::string null_lookup =
      One(*org, "SELECT Id, CreatedBy.Name, CreatedBy.Profile.Name FROM AccountHistory WHERE Field = 'Owner'");
  CHECK(null_lookup.find(",\"CreatedBy\":null}") != std::string::npos);
  const std::string dangling = One(*org, "SELECT CreatedBy.Name FROM AccountHistory WHERE Field = 'Website'");
  CHECK(dangling.find("\"CreatedBy\":null") != std::string::npos);
  // A user with no profile: the nested relationship is null inside the user.
  QueryOptions all = Options();
  all.all_rows = true;
  CHECK(One(*org, "SELECT CreatedBy.Profile.Name, CreatedBy.Email FROM AccountHistory WHERE Field = 'Industry'", all)
            .find("\"Name\":") == std::string::npos);
  CHECK(One(*org, "SELECT CreatedBy.Profile.Name, CreatedBy.Email FROM AccountHistory WHERE Field = 'Industry'", all)
            .find("\"Profile\":null,\"Email\":null}") != std::string::npos);
  // Polymorphic relationships take the type of the record found.
  FakeTable& fha = org->table("FieldHistoryArchive");
  fha.Add({S("000000000000000AAA"), S("Account"), S(Id("001", 1)), T(At(1)), S("Name")});
  fha.Add({S("000000000000000AAA"), S("User"), S(Id("005", 3)), T(At(2)), S("Email")});
  auto r = RunOk(*org, "SELECT Parent.Name FROM FieldHistoryArchive");
  const std::string both = AllJson(*r);
  CHECK(both.find("\"Parent\":{\"attributes\":{\"type\":\"Account\",\"url\":\"" + kUrl +
                  "Account/001000000000001AAA\"},\"Name\":\"Acme\"}") != std::string::npos);
  CHECK(both.find("\"Parent\":{\"attributes\":{\"type\":\"User\",\"url\":\"" + kUrl +
                  "User/005000000000003AAA\"},\"Name\":\"Integration User\"}") != std::string::npos);
}

TEST_CASE("attributes use the record id even when Id is not selected, and the API version",
          "[sim][query][render]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  QueryOptions o = Options();
  o.api_version = "58.0";
  CHECK(One(*org, "SELECT Field FROM AccountHistory", o) ==
        "{\"attributes\":{\"type\":\"AccountHistory\",\"url\":\"/services/data/v58.0/sobjects/AccountHistory/"
        "017000000000001AAA\"},\"Field\":\"Name\"}");
}

TEST_CASE("event storage rows look like the real LoginEvent response", "[sim][query][render]") {
  auto org = TestOrg();
  FakeTable& t = org->table("LoginEvent");
  t.Add({S("000000000000000AAA"), T(At(1, 5, 44, 24, 973)), S("00044326-ed4a-421a-a0a8-e62ea626f3af"),
         S(Id("005", 1)), S("jdoe@example.com"), S("Success"), S("134.238.252.19"), T(At(1, 5, 44, 34, 942)),
         Value::Double(19.0748)});
  t.Add({S("000000000000000AAA"), T(At(2)), S("e2"), S(Id("005", 2)), S("zoe@example.com"), S("Failed"),
         S("Salesforce.com IP"), T(At(2, 0, 0, 5)), Value::Double(72.0)});
  auto r = RunOk(*org, "SELECT FIELDS(STANDARD) FROM LoginEvent WHERE EventDate > 2026-03-01T00:00:00Z AND "
                       "EventDate <= 2026-04-02T00:00:00Z ORDER BY EventDate DESC");
  REQUIRE(r->total_size() == 2);
  std::string json;
  r->AppendJsonRecords(1, 1, &json);
  CHECK(json == "{\"attributes\":{\"type\":\"LoginEvent\",\"url\":\"" + kUrl +
                    "LoginEvent/000000000000000AAA\"},\"Id\":\"000000000000000AAA\",\"EventDate\":"
                    "\"2026-04-01T05:44:24.973+0000\",\"EventIdentifier\":\"00044326-ed4a-421a-a0a8-e62ea626f3af\","
                    "\"UserId\":\"005000000000001AAA\",\"Username\":\"jdoe@example.com\",\"Status\":\"Success\","
                    "\"SourceIp\":\"134.238.252.19\",\"CreatedDate\":\"2026-04-01T05:44:34.942+0000\"}");
  CHECK(Column(*r, "EventIdentifier") == std::vector<std::string>{"e2", "00044326-ed4a-421a-a0a8-e62ea626f3af"});
  CHECK(One(*org, "SELECT LoginLatitude FROM LoginEvent").find("\"LoginLatitude\":19.0748}") != std::string::npos);
}

TEST_CASE("EventLogFile LogFile renders as its blob URL and lengths as doubles", "[sim][query][render]") {
  auto org = TestOrg();
  org->table("EventLogFile").Add({S("0AT5j00002LqQTxGAN"), S("Login"), T(At(1)), N(), Value::Double(2692), Value::Int(0),
                                  T(At(2, 3))});
  CHECK(One(*org, "SELECT Id, EventType, LogFile, LogDate, LogFileLength, Sequence FROM EventLogFile") ==
        "{\"attributes\":{\"type\":\"EventLogFile\",\"url\":\"" + kUrl + "EventLogFile/0AT5j00002LqQTxGAN\"},"
        "\"Id\":\"0AT5j00002LqQTxGAN\",\"EventType\":\"Login\",\"LogFile\":\"" + kUrl +
        "EventLogFile/0AT5j00002LqQTxGAN/LogFile\",\"LogDate\":\"2026-04-01T00:00:00.000+0000\","
        "\"LogFileLength\":2692.0,\"Sequence\":0}");
  std::string csv;
  auto r = RunOk(*org, "SELECT LogFile, LogFileLength FROM EventLogFile");
  r->AppendCsvHeader(&csv);
  r->AppendCsvRows(0, 1, &csv);
  CHECK(csv == "\"LogFile\",\"LogFileLength\"\n\"" + kUrl + "EventLogFile/0AT5j00002LqQTxGAN/LogFile\",\"2692.0\"\n");
}

TEST_CASE("Bulk API 2.0 CSV: quoted header and values, ISO Z datetimes, empty nulls", "[sim][query][render]") {
  auto org = TestOrg();
  AddSampleHistory(*org);
  auto r = RunOk(*org, "SELECT Id, CreatedDate, CreatedBy.Name, Amount__c, IsDeleted, Field, Day__c, Count__c "
                       "FROM AccountHistory ORDER BY CreatedDate LIMIT 3");
  std::string csv;
  r->AppendCsvHeader(&csv);
  r->AppendCsvRows(0, 2, &csv);
  r->AppendCsvRows(2, 5, &csv);
  CHECK(csv ==
        "\"Id\",\"CreatedDate\",\"CreatedBy.Name\",\"Amount__c\",\"IsDeleted\",\"Field\",\"Day__c\",\"Count__c\"\n"
        "\"017000000000001AAA\",\"2026-04-01T00:00:00.000Z\",\"Jane Doe\",\"10.5\",\"false\",\"Name\","
        "\"2026-04-01\",\"1\"\n"
        "\"017000000000002AAA\",\"2026-04-01T10:30:00.250Z\",\"Zoë \"\"Z\"\" Ångström\",,\"false\",\"Phone\",,\"2\"\n"
        "\"017000000000003AAA\",\"2026-04-02T00:00:00.000Z\",\"Jane Doe\",\"-3.0\",\"false\",\"name\","
        "\"2026-04-02\",\"3\"\n");
  std::string multiline;
  RunOk(*org, "SELECT NewValue FROM AccountHistory WHERE Count__c = 6")->AppendCsvRows(0, 1, &multiline);
  CHECK(multiline == "\"line\nbreak\t\x01\"\n");
  std::string lower_header;
  RunOk(*org, "SELECT createdby.profile.name, id FROM accounthistory")->AppendCsvHeader(&lower_header);
  CHECK(lower_header == "\"CreatedBy.Profile.Name\",\"Id\"\n");
}

TEST_CASE("fast value formatting matches model.h's formatters", "[sim][query][render]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> span(-62135596800000, 253402300799999);  // years 1..9999
  for (int i = 0; i < 20000; ++i) {
    const TimeMs t = i < 4 ? std::array<TimeMs, 4>{0, -1, 1775001600000, 253402300799999}[static_cast<size_t>(i)]
                           : span(rng);
    std::string a;
    std::string b;
    soql::AppendDateTime(&a, t, false);
    soql::AppendDateTime(&b, t, true);
    REQUIRE(a == FormatSfDateTime(t));
    REQUIRE(b == FormatIsoZ(t));
    std::string d;
    soql::AppendDate(&d, t / kQueryDay);
    REQUIRE(d == FormatSfDate(t / kQueryDay));
  }
  std::string s;
  soql::AppendJsonString(&s, std::string("a\"\\/\b\f\n\r\t\x1f\x7f\xc3\xa9", 13));
  CHECK(s == "\"a\\\"\\\\/\\b\\f\\n\\r\\t\\u001f\x7f\xc3\xa9\"");
  std::string n;
  soql::AppendDouble(&n, std::nan(""), "null");
  soql::AppendDouble(&n, 0.5, "null");
  soql::AppendInt(&n, -9223372036854775807 - 1);
  CHECK(n == "null0.5-9223372036854775808");
}

}  // namespace
}  // namespace custody::sim::testing
