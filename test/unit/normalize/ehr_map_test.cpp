// EHR-side mapping: every real FHIR R4 AuditEvent example and IHE BALP example, an R5-renamed
// variant, searchset entries (outcome entries skipped), and Mirth server events and messages in
// the JSON form Mirth's XML-to-JSON conversion gives (one-item and many-item lists).

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "json/json.h"
#include "json/schemas.h"
#include "normalize/ehr_map.h"
#include "normalize/json_elements.h"
#include "normalize/record.h"
#include "support/test_support.h"

using namespace custody::normalize;
using custody::Status;

namespace {

std::string Ehr(const std::string& name) {
  return custody::test::ReadFile(std::filesystem::path(CUSTODY_FIXTURES_DIR) / "ehr" / "real" / name);
}

EhrContext Fhir(std::string collector = "") {
  return EhrContext{"fhir:test", "audit-events", "4.0.1", std::move(collector), ""};
}
EhrContext Mirth(std::string stream = "server-events", std::string collector = "", std::string collector_id = "") {
  return EhrContext{"mirth:test", std::move(stream), "", std::move(collector), std::move(collector_id)};
}

// The exact bytes of each element at pointer, found as the collectors find them: FHIR pages in
// situ with json::Parse's UTF-8 rules, Mirth pages with numbers kept as text.
enum class PageKind { kFhir, kMirth };
std::vector<std::string_view> ElementBytes(std::string_view text, std::string_view pointer, PageKind page) {
  ParsedElements parsed;
  const Status s = ParseJsonArrayElements(text, pointer, page == PageKind::kMirth, page == PageKind::kFhir, parsed);
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  std::vector<std::string_view> out;
  for (const JsonElement& e : parsed.elements) {
    REQUIRE(e.index == out.size());
    out.push_back(text.substr(e.byte_offset, e.byte_length));
  }
  return out;
}

// The record's JSON line is valid against the schema (provenance filled as a collector would).
void CheckValid(Record r) {
  if (r.raw_file.empty()) r.raw_file = "data/raw/ehr/page-0001.json";
  if (r.raw_sha256.empty()) r.raw_sha256 = std::string(64, 'a');
  const std::string line = ToJsonLine(r);
  INFO(line);
  auto doc = custody::json::Parse(line, "record");
  REQUIRE(doc);
  const Status s = custody::json::ValidateAgainstSchema(*doc, custody::json::kRecordSchema);
  INFO((s.ok() ? std::string() : s.error().message()));
  CHECK(s.ok());
}

// Replaces the first occurrence of from (which must be there).
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("FHIR R4 example AuditEvents map to records", "[normalize][ehr_map]") {
  SECTION("login with an offsetless Z time, the requestor and its IP") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-login.json"));
    CHECK(r.time_status == TimeStatus::kOk);
    CHECK(r.timestamp_ms == 1371771683000);
    CHECK(r.timestamp_original == "2013-06-20T23:41:23Z");
    CHECK(r.timestamp_field == "recorded");
    CHECK(r.timestamp_precision == 0);
    CHECK(r.source == "fhir:test");
    CHECK(r.stream == "audit-events");
    CHECK(r.event_type == "AuditEvent:110114/110122");
    CHECK(r.action == "login");
    CHECK(r.actor_user_id == "95");
    CHECK(r.actor_username == "Grahame Grieve");
    CHECK(r.client_ip == "127.0.0.1");
    CHECK(r.outcome == "success");
    CHECK(r.event_id == "example-login");
    CHECK_FALSE(r.patient_id);
    CHECK_FALSE(r.x_request_id);
    CHECK_FALSE(r.collector_activity);
    CHECK_THAT(r.message, Catch::Contains("outcome 0"));
    CheckValid(r);
  }
  SECTION("logout") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-logout.json"));
    CHECK(r.action == "logout");
    CHECK(r.event_type == "AuditEvent:110114/110123");
    CHECK(r.timestamp_ms == 1371772001000);
    CheckValid(r);
  }
  SECTION("an offset time and no requestor agent") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example.json"));
    CHECK(r.timestamp_ms == 1351163067000);  // 2012-10-25T22:04:27+11:00
    CHECK(r.timestamp_original == "2012-10-25T22:04:27+11:00");
    CHECK(r.event_type == "AuditEvent:110100/110120");
    CHECK(r.action == "execute");
    CHECK(r.actor_user_id == "Grahame");  // the first agent: none is the requestor
    CHECK(r.client_ip == "127.0.0.1");
    CHECK_THAT(r.message, Catch::Contains("no requestor agent"));
    CheckValid(r);
  }
  SECTION("a RESTful vread of a patient version") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-rest.json"));
    CHECK(r.event_type == "AuditEvent:rest/vread");
    CHECK(r.action == "read:vread");
    CHECK(r.target_object == "Patient");
    CHECK(r.target_record_id == "example");
    CHECK(r.patient_id == "Patient/example");
    CHECK_FALSE(r.client_ip);  // the requestor has no network; the other agent's is a machine name
    CheckValid(r);
  }
  SECTION("a search") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-search.json"));
    CHECK(r.event_type == "AuditEvent:rest/search");
    CHECK(r.action == "execute:search");
    CHECK(r.outcome == "success");
    CheckValid(r);
  }
  SECTION("a failed create keeps the source outcome code and text") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-error.json"));
    CHECK(r.action == "create");
    CHECK(r.outcome == "failure");
    CHECK_THAT(r.message, Catch::Contains("outcome 8 (Invalid request to create an Operation resource on the Patient endpoint.)"));
    CHECK(r.target_object == "OperationOutcome");  // a contained reference, typed by the entity
    CHECK(r.target_record_id == "#o1");
    CheckValid(r);
  }
  SECTION("a disclosure: the patient apart from the acted-on version") {
    const Record r = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-disclosure.json"));
    CHECK(r.action == "read");
    CHECK(r.actor_user_id == "SomeIdiot@nowhere");
    CHECK(r.actor_username == "That guy everyone wishes would be caught");
    CHECK(r.client_ip == "custodian.net");
    CHECK(r.patient_id == "Patient/example");
    CHECK(r.target_object == "Patient");
    CHECK(r.target_record_id == "example");
    CHECK_THAT(r.message, Catch::Contains("Successful  Disclosure"));
    CheckValid(r);
  }
  SECTION("media export and PIX query: identifiers only, no references to patients") {
    const Record media = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-media.json"));
    CHECK(media.event_type == "AuditEvent:110106/ITI-32");
    CHECK(media.actor_user_id == "95");
    CHECK(media.target_object == "DocumentManifest");
    CHECK(media.target_record_id == "example");
    CHECK_FALSE(media.patient_id);
    CheckValid(media);
    const Record pix = MapFhirAuditEvent(Fhir(), Ehr("fhir-r4-core-examples/AuditEvent-example-pixQuery.json"));
    CHECK(pix.event_type == "AuditEvent:110112/ITI-9");
    CHECK(pix.timestamp_ms == 1440632544000);  // 2015-08-26T23:42:24Z
    CHECK_FALSE(pix.target_object);
    CheckValid(pix);
  }
}

TEST_CASE("BALP AuditEvents give the X-Request-Id, the user and the client address", "[normalize][ehr_map]") {
  const Record q = MapFhirAuditEvent(Fhir(), Ehr("ihe-balp-1.1.x/AuditEvent-ex-auditBasicQueryGetServer.json"));
  CHECK(q.timestamp_ms == 1588153740000);
  CHECK(q.timestamp_precision == 3);
  CHECK(q.event_type == "AuditEvent:rest/search");
  CHECK(q.action == "execute:search");
  CHECK(q.x_request_id == "cc6d168e-5871-11ec-bf63-0242ac130002");
  CHECK_FALSE(q.actor_user_id);
  CHECK(q.actor_username == "John Smith");                         // the requestor
  CHECK(q.client_ip == "2001:0db8:85a3:0000:0000:8a2e:0370:7334");  // the Source Role agent
  CHECK(q.patient_id == "Patient/ex-patient");
  CHECK(q.event_id == "ex-auditBasicQueryGetServer");
  // The base64 query is decoded into the message, first line only.
  CHECK_THAT(q.message, Catch::Contains("query: GET test.fhir.org/r4/Observation?patient=ex-patient"));
  CHECK_THAT(q.message, !Catch::Contains("Accept:"));
  CheckValid(q);

  const Record r = MapFhirAuditEvent(Fhir(), Ehr("ihe-balp-1.1.x/AuditEvent-ex-auditBasicReadClient.json"));
  CHECK(r.action == "read");  // subtype read equals the verb
  CHECK(r.event_type == "AuditEvent:rest/read");
  CHECK(r.x_request_id == "76d148b6-586d-11ec-bf63-0242ac130002");
  CHECK(r.target_object == "List");
  CHECK(r.target_record_id == "ex-list");
  // Here the address with type 2 is on the Destination Role agent (the server): not the client.
  CHECK_FALSE(r.client_ip);
  CHECK(r.patient_id == "Patient/ex-patient");
  const std::string line = ToJsonLine(r);
  CHECK_THAT(line, Catch::Contains(R"("event_id":"ex-auditBasicReadClient","x_request_id":"76d148b6-586d-11ec-bf63-0242ac130002"})"));
  CheckValid(r);
}

TEST_CASE("collector_activity marks AuditEvents whose agent is the collector", "[normalize][ehr_map]") {
  const std::string balp = Ehr("ihe-balp-1.1.x/AuditEvent-ex-auditBasicReadClient.json");
  CHECK(MapFhirAuditEvent(Fhir("ex-device"), balp).collector_activity);        // Device/ex-device
  CHECK(MapFhirAuditEvent(Fhir("Device/ex-device"), balp).collector_activity);
  CHECK(MapFhirAuditEvent(Fhir("myMachine.example.org"), balp).collector_activity);
  CHECK_FALSE(MapFhirAuditEvent(Fhir("ex-devic"), balp).collector_activity);
  CHECK_FALSE(MapFhirAuditEvent(Fhir("x-device"), balp).collector_activity);
  CHECK_FALSE(MapFhirAuditEvent(Fhir(""), balp).collector_activity);
  const std::string login = Ehr("fhir-r4-core-examples/AuditEvent-example-login.json");
  CHECK(MapFhirAuditEvent(Fhir("601847123"), login).collector_activity);  // altId
  CHECK_THAT(ToJsonLine(MapFhirAuditEvent(Fhir("95"), login)), Catch::Contains(R"("collector_activity":true)"));
}

TEST_CASE("an R5-shaped AuditEvent maps like its R4 original", "[normalize][ehr_map]") {
  // The BALP read example rewritten with R5 element names: category/code, outcome {code},
  // networkString, patient, occurredDateTime.
  std::string r5 = Ehr("ihe-balp-1.1.x/AuditEvent-ex-auditBasicReadClient.json");
  r5 = Replace(r5, "\"type\" : {\n    \"system\" : \"http://terminology.hl7.org/CodeSystem/audit-event-type\",",
               "\"category\" : [{\"coding\" : [{\n    \"system\" : \"http://terminology.hl7.org/CodeSystem/audit-event-type\",");
  r5 = Replace(r5, "\"display\" : \"Restful Operation\"\n  },", "\"display\" : \"Restful Operation\"\n  }]}],");
  r5 = Replace(r5, "\"subtype\" : [", "\"code\" : {\"coding\" : [");
  r5 = Replace(r5, "\"display\" : \"read\"\n  }],", "\"display\" : \"read\"\n  }]},");
  r5 = Replace(r5, "\"outcome\" : \"0\"",
               "\"outcome\" : {\"code\" : {\"system\" : \"http://terminology.hl7.org/CodeSystem/audit-event-outcome\", "
               "\"code\" : \"0\"}}, \"occurredDateTime\" : \"2020-04-29T09:48:59.500Z\", "
               "\"patient\" : {\"reference\" : \"Patient/r5-patient\"}");
  r5 = Replace(r5, "\"requestor\" : true", "\"requestor\" : true, \"networkString\" : \"2001:db8::7334\"");
  INFO(r5);
  REQUIRE(custody::json::Parse(r5, "r5"));
  REQUIRE(r5.find("\"subtype\"") == std::string::npos);
  EhrContext ctx = Fhir();
  ctx.fhir_version = "5.0.0";
  const Record r = MapFhirAuditEvent(ctx, r5);
  CHECK(r.timestamp_ms == 1588153740000);  // recorded, not occurred
  CHECK(r.timestamp_field == "recorded");
  CHECK(r.event_type == "AuditEvent:rest/read");
  CHECK(r.action == "read");
  CHECK(r.outcome == "success");
  CHECK(r.client_ip == "2001:db8::7334");
  CHECK(r.patient_id == "Patient/r5-patient");  // AuditEvent.patient wins
  CHECK(r.x_request_id == "76d148b6-586d-11ec-bf63-0242ac130002");
  CHECK_THAT(r.message, Catch::Contains("occurred 2020-04-29T09:48:59.500Z"));
  CheckValid(r);
  // Told nothing about the version, the element names decide.
  ctx.fhir_version = "";
  CHECK(MapFhirAuditEvent(ctx, r5).event_type == "AuditEvent:rest/read");

  const std::string failed = Replace(r5, "\"code\" : \"0\"}}", "\"code\" : \"8\"}, \"detail\" : [{\"text\" : \"denied\"}]}");
  const Record f = MapFhirAuditEvent(ctx, failed);
  CHECK(f.outcome == "failure");
  CHECK_THAT(f.message, Catch::Contains("outcome 8 (denied)"));
}

TEST_CASE("AuditEvent times that do not parse are kept and flagged", "[normalize][ehr_map]") {
  const std::string login = Ehr("fhir-r4-core-examples/AuditEvent-example-login.json");
  const Record no_zone = MapFhirAuditEvent(Fhir(), Replace(login, "2013-06-20T23:41:23Z", "2013-06-20T23:41:23"));
  CHECK(no_zone.time_status == TimeStatus::kUnparseable);
  CHECK_FALSE(no_zone.timestamp_ms);
  CHECK_FALSE(no_zone.timestamp_precision);
  CHECK(no_zone.timestamp_original == "2013-06-20T23:41:23");
  CHECK_THAT(no_zone.message, Catch::Contains("recorded: no zone"));
  CHECK_THAT(ToJsonLine(no_zone), Catch::StartsWith(R"({"@timestamp":null,"timestamp_original":"2013-06-20T23:41:23")"));
  CheckValid(no_zone);
  const Record missing = MapFhirAuditEvent(Fhir(), Replace(login, "\"recorded\": \"2013-06-20T23:41:23Z\",", ""));
  CHECK(missing.time_status == TimeStatus::kMissing);
  CheckValid(missing);
  const Record junk = MapFhirAuditEvent(Fhir(), "<html>502 Bad Gateway</html>");
  CHECK(junk.action == "unparseable");
  CHECK(junk.time_status == TimeStatus::kMissing);
  CHECK_THAT(junk.message, Catch::Contains("not JSON"));
  CheckValid(junk);
}

TEST_CASE("searchset entries: AuditEvents map, outcome entries are skipped with their issues", "[normalize][ehr_map]") {
  // A Bundle as a FHIR server returns it, walked with exact byte ranges.
  const std::string login = Ehr("fhir-r4-core-examples/AuditEvent-example-login.json");
  const std::string warning = Ehr("fhir-r4-core-examples/Bundle-bundle-search-warning.json");
  std::vector<std::string> outcome_entries;
  for (std::string_view bytes : ElementBytes(warning, "/entry", PageKind::kFhir)) outcome_entries.emplace_back(bytes);
  REQUIRE(outcome_entries.size() == 1);
  std::string skipped;
  CHECK_FALSE(MapFhirBundleEntry(Fhir(), outcome_entries[0], &skipped));
  CHECK_THAT(skipped, Catch::StartsWith("OperationOutcome (search.mode outcome)"));
  CHECK_THAT(skipped, Catch::Contains("warning"));
  CHECK_THAT(skipped, Catch::Contains("There is no matching patient"));

  const std::string bundle = R"({"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"fullUrl":"http://x/fhir/AuditEvent/example-login","resource":)" +
                             login + R"(,"search":{"mode":"match"}},)" + outcome_entries[0] + "]}";
  std::vector<Record> records;
  std::vector<std::string> skips;
  for (std::string_view bytes : ElementBytes(bundle, "/entry", PageKind::kFhir)) {
    std::string why;
    auto r = MapFhirBundleEntry(Fhir(), bytes, &why);
    if (r) {
      records.push_back(*r);
    } else {
      skips.push_back(why);
    }
  }
  REQUIRE(records.size() == 1);
  CHECK(records[0].event_id == "example-login");
  CHECK(records[0].action == "login");
  REQUIRE(skips.size() == 1);

  CHECK_FALSE(MapFhirBundleEntry(Fhir(), R"({"fullUrl":"x","resource":{"resourceType":"Patient","id":"1"}})", &skipped));
  CHECK(skipped == "Patient");
  CHECK_FALSE(MapFhirBundleEntry(Fhir(), R"({"fullUrl":"x"})", &skipped));
  CHECK(skipped == "bundle entry without a resource");
  CHECK_FALSE(MapFhirBundleEntry(Fhir(), "not json", nullptr));
  CHECK_FALSE(MapFhirBundleEntry(Fhir(), "not json", &skipped));
  CHECK_THAT(skipped, Catch::StartsWith("bundle entry not JSON"));
  // An AuditEvent with search.mode outcome is not a match.
  CHECK_FALSE(MapFhirBundleEntry(Fhir(), R"({"resource":{"resourceType":"AuditEvent"},"search":{"mode":"outcome"}})", &skipped));
}

TEST_CASE("the official Bundle example has no AuditEvent entries", "[normalize][ehr_map]") {
  const std::string bundle = Ehr("fhir-r4-core-examples/Bundle-bundle-example.json");
  int entries = 0;
  for (std::string_view bytes : ElementBytes(bundle, "/entry", PageKind::kFhir)) {
    ++entries;
    std::string why;
    CHECK_FALSE(MapFhirBundleEntry(Fhir(), bytes, &why));
    CHECK_FALSE(why.empty());
  }
  CHECK(entries == 2);
}

namespace {

// JSON equivalents of mirth-3.12.0-apiexamples/get-serverEventList.xml (one event: Staxon
// collapses the list to an object) and post-serverEventList.xml + a second event (an array),
// built by the rules of research §2.2: numbers auto-typed, the attribute map's single entry an
// object with a "string" [key, value] pair.
const char* const kOneEventList =
    R"({"list":{"event":{"dateTime":1643719194113,"nanoTime":1907483347599000,"id":0,)"
    R"("eventTime":{"time":1643719194113,"timezone":"Etc/UTC"},"level":"INFORMATION","name":"Name 1",)"
    R"("attributes":{"@class":"linked-hash-map","entry":{"string":["key","value"]}},"outcome":"SUCCESS",)"
    R"("userId":0,"ipAddress":"0:0:0:0:0:0:0:1","serverId":"7d84c1f7-b598-41cc-b854-382e2c4e6d86"}}})";

const char* const kManyEventList =
    R"({"list":{"event":[{"dateTime":1706792115280,"nanoTime":519692191911200,"id":457,)"
    R"("eventTime":{"time":1711929600000,"timezone":"America/New_York"},"level":"INFORMATION","name":"Login",)"
    R"("attributes":{"@class":"linked-hash-map","entry":[{"string":["username","custody-collector\n"]},)"
    R"({"string":["alertIds",null]}]},"outcome":"SUCCESS","userId":7,"ipAddress":"[0:0:0:0:0:0:0:1]",)"
    R"("serverId":"0041505e-0000-0000-0000-000000000000"},)"
    R"({"dateTime":1706792115281,"nanoTime":519692191911300,"id":456,)"
    R"("eventTime":{"time":1711843200000,"timezone":"UTC"},"level":"WARNING","name":"Login",)"
    R"("attributes":{"@class":"linked-hash-map","entry":{"string":["username","mallory\n"]}},)"
    R"("outcome":"FAILURE","userId":0,"ipAddress":"203.0.113.9","serverId":"0041505e-0000-0000-0000-000000000000"},)"
    R"({"dateTime":1706792115282,"nanoTime":519692191911400,"id":455,)"
    R"("eventTime":{"time":1711756800123,"timezone":"Etc/UTC"},"level":"INFORMATION","name":"Get message content",)"
    R"("attributes":{"@class":"linked-hash-map","entry":[)"
    R"({"string":["channel","Channel[id=2082b324-a2ae-4c00-afb4-fa4d0aafa15a,name=ADT Inbound]\n"]},)"
    R"({"string":["messageId","12\n"]},{"string":["patientId","MRN-0042\n"]},{"string":"includeContent","boolean":false}]},)"
    R"("outcome":"SUCCESS","userId":7,"ipAddress":"198.51.100.4","serverId":"0041505e-0000-0000-0000-000000000000"}]}})";

std::vector<Record> MapEvents(const EhrContext& ctx, const std::string& text) {
  std::vector<Record> out;
  ParsedElements parsed;
  const Status s = ParseJsonArrayElements(text, "/list/event", true, false, parsed);
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  for (const JsonElement& e : parsed.elements) {
    Record r = MapMirthServerEvent(ctx, std::string_view(text).substr(e.byte_offset, e.byte_length));
    r.record_index = e.index;
    r.byte_offset = e.byte_offset;
    r.byte_length = e.byte_length;
    r.raw_file = "data/raw/mirth/events-0001.json";
    r.raw_sha256 = std::string(64, '0');
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("the Mirth JSON equivalents carry the values of the real XML samples", "[normalize][ehr_map]") {
  const std::string xml = Ehr("mirth-3.12.0-apiexamples/get-serverEventList.xml");
  for (const char* part : {"<dateTime>1643719194113</dateTime>", "<time>1643719194113</time>", "<timezone>Etc/UTC</timezone>",
                           "<name>Name 1</name>", "<string>key</string>", "<string>value</string>", "<userId>0</userId>",
                           "<ipAddress>0:0:0:0:0:0:0:1</ipAddress>", "7d84c1f7-b598-41cc-b854-382e2c4e6d86"}) {
    INFO(part);
    CHECK(xml.find(part) != std::string::npos);
  }
  const std::string messages = Ehr("mirth-3.12.0-apiexamples/get-messages.multiple.xml");
  for (const char* part : {"<messageId>1</messageId>", "<messageId>2</messageId>", "<time>1643708252778</time>",
                           "<channelName>Channel 1</channelName>", "<status>SENT</status>",
                           "2082b324-a2ae-4c00-afb4-fa4d0aafa15a"}) {
    INFO(part);
    CHECK(messages.find(part) != std::string::npos);
  }
}

TEST_CASE("a one-event Mirth list maps with eventTime, not dateTime", "[normalize][ehr_map]") {
  const auto records = MapEvents(Mirth(), kOneEventList);
  REQUIRE(records.size() == 1);
  const Record& r = records[0];
  CHECK(r.time_status == TimeStatus::kOk);
  CHECK(r.timestamp_ms == 1643719194113);
  CHECK(r.timestamp_original == "1643719194113 Etc/UTC");
  CHECK(r.timestamp_field == "eventTime");
  CHECK(r.timestamp_precision == 3);
  CHECK(r.event_id == "0");
  CHECK(r.event_type == "ServerEvent:Name 1");
  CHECK(r.action == "name-1");
  CHECK(r.actor_user_id == "0");
  CHECK_FALSE(r.actor_username);
  CHECK(r.client_ip == "0:0:0:0:0:0:0:1");
  CHECK(r.outcome == "success");
  CHECK(r.source == "mirth:test");
  CHECK(r.stream == "server-events");
  CHECK(r.byte_offset == 17);
  CHECK_THAT(r.message, Catch::StartsWith("Name 1 (INFORMATION, SUCCESS) by system from 0:0:0:0:0:0:0:1"));
  CheckValid(r);

  // The same event as GET /api/events/{id} returns it: {"event":{...}}.
  const std::string single = R"({"event":)" + std::string(kOneEventList).substr(17, r.byte_length) + "}";
  const Record s = MapMirthServerEvent(Mirth(), single);
  CHECK(s.timestamp_ms == 1643719194113);
  CHECK(s.event_id == "0");
}

TEST_CASE("a many-event Mirth list: logins, failures, attributes, channel and patient", "[normalize][ehr_map]") {
  const auto records = MapEvents(Mirth("server-events", "custody-collector"), kManyEventList);
  REQUIRE(records.size() == 3);

  const Record& login = records[0];
  CHECK(login.timestamp_ms == 1711929600000);
  CHECK(login.timestamp_original == "1711929600000 America/New_York");
  CHECK(login.event_id == "457");
  CHECK(login.event_type == "ServerEvent:Login");
  CHECK(login.action == "login");
  CHECK(login.actor_user_id == "7");
  CHECK(login.actor_username == "custody-collector");  // the trailing "\n" dropped
  CHECK(login.client_ip == "[0:0:0:0:0:0:0:1]");
  CHECK(login.collector_activity);
  CheckValid(login);

  const Record& failed = records[1];
  CHECK(failed.action == "login-failed");
  CHECK(failed.outcome == "failure");
  CHECK(failed.actor_username == "mallory");
  CHECK_FALSE(failed.collector_activity);
  CHECK_THAT(failed.message, Catch::StartsWith("Login (WARNING, FAILURE) by mallory from 203.0.113.9"));
  CheckValid(failed);

  const Record& content = records[2];
  CHECK(content.action == "get-message-content");
  CHECK(content.timestamp_ms == 1711756800123);
  CHECK(content.target_object == "Message");
  CHECK(content.target_record_id == "2082b324-a2ae-4c00-afb4-fa4d0aafa15a-12");
  CHECK(content.patient_id == "MRN-0042");
  CHECK_THAT(content.message, Catch::Contains("channel ADT Inbound"));
  CHECK_FALSE(content.collector_activity);  // only userId 7 says who: the id is not known here
  CheckValid(content);
  const auto with_id = MapEvents(Mirth("server-events", "custody-collector", "7"), kManyEventList);
  CHECK(with_id[2].collector_activity);
  CHECK_FALSE(with_id[1].collector_activity);

  // Provenance ranges cover exactly each event object.
  const std::string text = kManyEventList;
  for (const Record& r : records) {
    CHECK(text[r.byte_offset] == '{');
    CHECK(text[r.byte_offset + r.byte_length - 1] == '}');
    CHECK(text.substr(r.byte_offset, r.byte_length).find("\"id\":" + *r.event_id) != std::string::npos);
  }
}

TEST_CASE("Mirth 4.2 event fields win over attributes", "[normalize][ehr_map]") {
  const Record r = MapMirthServerEvent(
      Mirth(), R"({"id":9,"eventTime":{"time":"1711929600000","timezone":"UTC"},"level":"INFORMATION",)"
               R"("name":"Channel deployed","attributes":{"@class":"linked-hash-map","entry":)"
               R"({"string":["channel","Channel[id=old,name=Old]\n"]}},"outcome":"SUCCESS","userId":1,)"
               R"("ipAddress":"10.0.0.1","channelId":"c-42","channelName":"Lab Results","patientId":"P-1"})");
  CHECK(r.timestamp_ms == 1711929600000);  // a string time is read the same
  CHECK(r.target_object == "Channel");
  CHECK(r.target_record_id == "c-42");
  CHECK(r.patient_id == "P-1");
  CHECK_THAT(r.message, Catch::Contains("channel Lab Results"));
  CheckValid(r);
}

TEST_CASE("Mirth events without a usable eventTime are flagged, never dated by dateTime", "[normalize][ehr_map]") {
  const Record none = MapMirthServerEvent(Mirth(), R"({"id":1,"dateTime":1706792115280,"name":"Get alerts","outcome":"SUCCESS"})");
  CHECK(none.time_status == TimeStatus::kMissing);
  CHECK_FALSE(none.timestamp_ms);
  CHECK(none.timestamp_field == "eventTime");
  CheckValid(none);
  // A hand-written mock's ISO string is not Mirth's form.
  const Record iso = MapMirthServerEvent(
      Mirth(), R"({"id":2,"eventTime":{"time":"2026-04-21T10:00:00Z","timezone":"UTC"},"name":"Login","outcome":"SUCCESS"})");
  CHECK(iso.time_status == TimeStatus::kUnparseable);
  CHECK(iso.timestamp_original == "2026-04-21T10:00:00Z UTC");
  CHECK_THAT(iso.message, Catch::Contains("eventTime: "));
  CheckValid(iso);
  const Record no_time = MapMirthServerEvent(Mirth(), R"({"id":3,"eventTime":{"timezone":"UTC"},"name":"Login"})");
  CHECK(no_time.time_status == TimeStatus::kUnparseable);
  CHECK(no_time.timestamp_original == " UTC");
  CHECK_FALSE(no_time.outcome);
  CheckValid(no_time);
  const Record junk = MapMirthServerEvent(Mirth(), "<html>400</html>");
  CHECK(junk.action == "unparseable");
  CHECK(junk.event_type == "ServerEvent");
  CheckValid(junk);
}

TEST_CASE("Mirth message metadata maps to a record per message", "[normalize][ehr_map]") {
  // get-messages.multiple.xml as JSON: two messages, each with one connector message (collapsed).
  const std::string list =
      R"({"list":{"message":[)"
      R"({"serverId":"ec905ad6-3c2b-414c-97d5-a1cc3d32905e","channelId":"2082b324-a2ae-4c00-afb4-fa4d0aafa15a","messageId":1,)"
      R"("receivedDate":{"time":1643708252777,"timezone":"Etc/UTC"},"processed":true,)"
      R"("connectorMessages":{"@class":"linked-hash-map","entry":{"int":1,"connectorMessage":{"messageId":1,"metaDataId":0,)"
      R"("channelId":"d5958173-5327-4042-aea6-5a50debabd90","channelName":"Channel 1","serverId":"4979a6b2-b1e0-46d2-958b-d17eef985234",)"
      R"("receivedDate":{"time":1643708252777,"timezone":"Etc/UTC"},"status":"SENT","metaDataMap":"","errorCode":0,"sendAttempts":0,"chainId":0,"orderId":0}}}},)"
      R"({"serverId":"ec905ad6-3c2b-414c-97d5-a1cc3d32905e","channelId":"2082b324-a2ae-4c00-afb4-fa4d0aafa15a","messageId":2,)"
      R"("receivedDate":{"time":1643708252778,"timezone":"Etc/UTC"},"processed":true,)"
      R"("connectorMessages":{"@class":"linked-hash-map","entry":[{"int":0,"connectorMessage":{"messageId":2,"metaDataId":0,)"
      R"("channelName":"Channel 1","status":"TRANSFORMED","errorCode":0}},)"
      R"({"int":1,"connectorMessage":{"messageId":2,"metaDataId":1,"channelName":"Channel 1","status":"ERROR","errorCode":1,)"
      R"("metaDataMap":{"@class":"linked-hash-map","entry":{"string":["PatientID","MRN-7"]}}}}]}}]}})";
  std::vector<Record> records;
  for (std::string_view bytes : ElementBytes(list, "/list/message", PageKind::kMirth)) {
    records.push_back(MapMirthMessage(Mirth("messages"), bytes));
  }
  REQUIRE(records.size() == 2);
  const Record& first = records[0];
  CHECK(first.timestamp_ms == 1643708252777);
  CHECK(first.timestamp_original == "1643708252777 Etc/UTC");
  CHECK(first.timestamp_field == "receivedDate");
  CHECK(first.event_type == "Message");
  CHECK(first.action == "message-received");
  CHECK(first.event_id == "2082b324-a2ae-4c00-afb4-fa4d0aafa15a-1");
  CHECK(first.target_object == "Message");
  CHECK(first.outcome == "success");
  CHECK_FALSE(first.patient_id);
  CHECK_THAT(first.message, Catch::StartsWith("message 1 on channel Channel 1; processed true; connectors: 0 SENT"));
  CheckValid(first);
  const Record& second = records[1];
  CHECK(second.timestamp_ms == 1643708252778);
  CHECK(second.outcome == "failure");
  CHECK(second.patient_id == "MRN-7");
  CHECK_THAT(second.message, Catch::Contains("connectors: 0 TRANSFORMED, 1 ERROR error 1"));
  CheckValid(second);

  // One message alone ({"message":{...}}), still queued: outcome unknown.
  const Record queued = MapMirthMessage(
      Mirth("messages"), R"({"message":{"channelId":"c","messageId":5,"receivedDate":{"time":1,"timezone":"UTC"},)"
                         R"("processed":false,"connectorMessages":{"entry":{"int":0,"connectorMessage":{"metaDataId":0,"status":"QUEUED"}}}}})");
  CHECK(queued.event_id == "c-5");
  CHECK(queued.timestamp_ms == 1);
  CHECK(queued.outcome == "unknown");
  CheckValid(queued);
}

// The Mirth collector parses each page once and maps each element from the page's DOM; the record
// must be the one the text mapper makes from the element's bytes, and the one a parse of those
// bytes alone gives.
TEST_CASE("Mirth events and messages map the same from a parsed element as from its text", "[normalize][ehr_map]") {
  const std::string events = kManyEventList;
  const std::string one = kOneEventList;
  const std::string messages =
      R"({"list":{"message":{"channelId":"c","messageId":5,"receivedDate":{"time":1,"timezone":"UTC"},)"
      R"("processed":false,"connectorMessages":{"entry":{"int":0,"connectorMessage":{"metaDataId":0,"status":"QUEUED"}}}}}})";
  int compared = 0;
  auto same = [&](const std::string& text, const char* pointer, bool is_event) {
    ParsedElements page;
    REQUIRE(ParseJsonArrayElements(text, pointer, true, false, page).ok());
    REQUIRE(page.value != nullptr);
    for (const JsonElement& e : page.elements) {
      const std::string_view bytes = std::string_view(text).substr(e.byte_offset, e.byte_length);
      rapidjson::Document d;
      d.Parse<kMirthParseFlags>(bytes.data(), bytes.size());
      REQUIRE_FALSE(d.HasParseError());
      const rapidjson::Value& in_page =
          page.value->IsArray() ? (*page.value)[static_cast<rapidjson::SizeType>(e.index)] : *page.value;
      CHECK(in_page == d);
      const Record from_text = is_event ? MapMirthServerEvent(Mirth(), bytes) : MapMirthMessage(Mirth("messages"), bytes);
      const Record from_dom = is_event ? MapMirthServerEventValue(Mirth(), d) : MapMirthMessageValue(Mirth("messages"), d);
      const Record from_page =
          is_event ? MapMirthServerEventValue(Mirth(), in_page) : MapMirthMessageValue(Mirth("messages"), in_page);
      CHECK(ToJsonLine(from_dom) == ToJsonLine(from_text));
      CHECK(ToJsonLine(from_page) == ToJsonLine(from_text));
      ++compared;
    }
  };
  same(events, "/list/event", true);
  same(one, "/list/event", true);
  same(messages, "/list/message", false);
  CHECK(compared == 5);

  // A parsed value that is not an object: the same unreadable record as its text gives.
  rapidjson::Document array;
  array.Parse<kMirthParseFlags>("[1,2]");
  const Record event = MapMirthServerEventValue(Mirth(), array);
  CHECK(event.action == "unparseable");
  CHECK(event.event_type == MapMirthServerEvent(Mirth(), "[1,2]").event_type);
  CHECK_FALSE(event.timestamp_ms);
  CheckValid(event);
  const Record message = MapMirthMessageValue(Mirth("messages"), array);
  CHECK(message.action == MapMirthMessage(Mirth("messages"), "[1,2]").action);
  CheckValid(message);
}
