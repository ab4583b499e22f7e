#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "json/json.h"
#include "json/schemas.h"
#include "normalize/record.h"
#include "normalize/sf_time.h"
#include "normalize_test_util.h"

using namespace custody::normalize;
using namespace custody::normalize::testing;

namespace {

Record Full() {
  Record r;
  r.timestamp_ms = 1776256496789;  // 2026-04-15T12:34:56.789Z
  r.time_status = TimeStatus::kOk;
  r.timestamp_original = "2026-04-15T12:34:56.789+0000";
  r.timestamp_field = "EventDate";
  r.source = "salesforce:00D5j000000VI3n";
  r.stream = "exports";
  r.event_type = "ReportEvent";
  r.action = "report-run";
  r.actor_user_id = "0055j000000utlPAAQ";
  r.actor_username = "user@example.com";
  r.target_object = "Account";
  r.target_record_id = "00O5j000000Rep1EAA";
  r.target_field = "f";
  r.old_value = "o";
  r.new_value = "n";
  r.client_ip = "198.51.100.7";
  r.request_id = "TID:1";
  r.login_key = "lk";
  r.session_key = "sk";
  r.event_id = "ev";
  r.raw_file = "data/raw/salesforce/ReportEvent/page-0001.json";
  r.record_index = 3;
  r.byte_offset = 1024;
  r.byte_length = 512;
  r.raw_sha256 = std::string(64, 'a');
  r.message = "report-run by user@example.com";
  return r;
}

void CheckValid(const std::string& line) {
  INFO(line);
  CHECK(line.find('\n') == std::string::npos);
  CHECK(custody::IsValidUtf8(line));
  auto doc = custody::json::Parse(line, "record");
  REQUIRE(doc);
  const custody::Status s = custody::json::ValidateAgainstSchema(*doc, custody::json::kRecordSchema);
  INFO((s.ok() ? std::string() : s.error().message()));
  CHECK(s.ok());
}

}  // namespace

TEST_CASE("ToJsonLine writes every member in the documented order", "[normalize][record]") {
  const std::string line = ToJsonLine(Full());
  CHECK(line ==
        R"({"@timestamp":"2026-04-15T12:34:56.789Z","timestamp_original":"2026-04-15T12:34:56.789+0000",)"
        R"("timestamp_field":"EventDate","timestamp_status":"ok","source":"salesforce:00D5j000000VI3n",)"
        R"("stream":"exports","event_type":"ReportEvent","action":"report-run",)"
        R"("actor":{"user_id":"0055j000000utlPAAQ","username":"user@example.com"},)"
        R"("target":{"object":"Account","record_id":"00O5j000000Rep1EAA","field":"f","old_value":"o","new_value":"n"},)"
        R"("client_ip":"198.51.100.7",)"
        R"("correlation":{"request_id":"TID:1","login_key":"lk","session_key":"sk","event_id":"ev","x_request_id":null},)"
        R"("provenance":{"raw_file":"data/raw/salesforce/ReportEvent/page-0001.json","record_index":3,)"
        R"("byte_offset":1024,"byte_length":512,"raw_sha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},)"
        R"("outcome":null,"patient_id":null,"collector_activity":false,"timestamp_precision":null,"clock_correction_ms":null,)"
        R"("message":"report-run by user@example.com","datetime":"2026-04-15T12:34:56.789Z","timestamp_desc":"EventDate"})");
  CheckValid(line);
}

TEST_CASE("ToJsonLine writes absent values and times as null", "[normalize][record]") {
  Record r;
  r.source = "salesforce:00D5j000000VI3n";
  r.stream = "field-history";
  r.event_type = "AccountHistory";
  r.action = "field-changed";
  r.timestamp_field = "CreatedDate";
  r.raw_file = "data/raw/x.json";
  r.raw_sha256 = std::string(64, '0');
  const std::string line = ToJsonLine(r);
  CHECK_THAT(line, Catch::StartsWith(R"({"@timestamp":null,"timestamp_original":"","timestamp_field":"CreatedDate",)"
                                     R"("timestamp_status":"missing",)"));
  CHECK_THAT(line, Catch::Contains(R"("actor":{"user_id":null,"username":null})"));
  CHECK_THAT(line, Catch::Contains(R"("client_ip":null,)"));
  CHECK_THAT(line, Catch::EndsWith(R"("datetime":null,"timestamp_desc":"CreatedDate"})"));
  CheckValid(line);

  // An unparseable time keeps its text and has no @timestamp even if a value was left behind.
  r.time_status = TimeStatus::kUnparseable;
  r.timestamp_original = "2026-04-15T12:34:56";
  r.timestamp_ms = 5;
  const std::string bad = ToJsonLine(r);
  CHECK_THAT(bad, Catch::Contains(R"("@timestamp":null,"timestamp_original":"2026-04-15T12:34:56")"));
  CHECK_THAT(bad, Catch::Contains(R"("timestamp_status":"unparseable")"));
  CheckValid(bad);
}

TEST_CASE("ToJsonLine replaces invalid UTF-8 and escapes control characters", "[normalize][record]") {
  Record r = Full();
  r.message = std::string("caf\xE9 \xFF\xFE ok \xC3\xA9 \xF0\x9F\x98\x80 line1\nline2\ttab \x01 nul:") + std::string(1, '\0');
  r.new_value = std::string("\xC0\xAF overlong, \xED\xA0\x80 surrogate, \xF4\x90\x80\x80 too big, \xE2\x82 cut");
  r.actor_username = std::string("\x80");
  const std::string line = ToJsonLine(r);
  CheckValid(line);
  auto doc = custody::json::Parse(line, "record");
  REQUIRE(doc);
  const std::string message = (*doc)["message"].GetString();
  CHECK(message.substr(0, 13) == "caf\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(message.find("\xC3\xA9 \xF0\x9F\x98\x80 line1\nline2\ttab \x01 nul:") != std::string::npos);
  CHECK(std::string((*doc)["actor"]["username"].GetString()) == "\xEF\xBF\xBD");
  CHECK_THAT(line, Catch::Contains("\\u0001"));
  CHECK_THAT(line, Catch::Contains("\\u0000"));
  const std::string nv = (*doc)["target"]["new_value"].GetString();
  CHECK(custody::IsValidUtf8(nv));
  CHECK(nv.find("\xEF\xBF\xBD\xEF\xBF\xBD overlong") == 0);
}

TEST_CASE("the record schema refuses malformed lines", "[normalize][record]") {
  auto check = [](const std::string& text) {
    auto doc = custody::json::Parse(text, "record");
    REQUIRE(doc);
    return custody::json::ValidateAgainstSchema(*doc, custody::json::kRecordSchema).ok();
  };
  const std::string good = ToJsonLine(Full());
  REQUIRE(check(good));
  auto replace = [&good](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
  };
  CHECK_FALSE(check(replace(R"("2026-04-15T12:34:56.789Z")", R"("2026-04-15T12:34:56Z")")));
  CHECK_FALSE(check(replace(R"("2026-04-15T12:34:56.789Z")", R"("2026-04-15T12:34:56.789+00:00")")));
  CHECK_FALSE(check(replace(R"("timestamp_status":"ok")", R"("timestamp_status":"guessed")")));
  CHECK_FALSE(check(replace(R"("raw_sha256":"aaaa)", R"("raw_sha256":"AAAA)")));
  CHECK_FALSE(check(replace(R"("record_index":3)", R"("record_index":-3)")));
  CHECK_FALSE(check(replace(R"("client_ip":"198.51.100.7",)", "")));
  CHECK_FALSE(check(replace(R"("username":"user@example.com")", R"("username":7)")));
  CHECK_FALSE(check(replace(R"("message":)", R"("extra":1,"message":)")));
}

TEST_CASE("every mapped fixture record is a valid line", "[normalize][record]") {
  std::vector<Record> all;
  auto add = [&all](std::vector<Record> records) {
    for (auto& r : records) all.push_back(std::move(r));
  };
  add(MapPage(Ctx("LoginEvent", "logins"), Fixture("beats-loginevent-query-response.json")));
  add(MapPage(Ctx("LoginEvent", "logins"), Fixture("elastic-mock-loginevent-query-response.json")));
  add(MapPage(Ctx("LogoutEvent", "logins"), Fixture("elastic-mock-logoutevent-query-response.json")));
  add(MapPage(Ctx("EventLogFile", "exports"), Fixture("elastic-mock-eventlogfile-login-query-response.json")));
  add(MapCsv(Ctx("EventLogFile", "logins", "Login"), Fixture("beats-eventlogfile-login-logfile-2rows.csv")));
  add(MapCsv(Ctx("EventLogFile", "logins", "Login"), Fixture("elastic-mock-eventlogfile-login-logfile.csv")));
  add(MapCsv(Ctx("EventLogFile", "logins", "Logout"), Fixture("elastic-mock-eventlogfile-logout-logfile.csv")));
  add(MapCsv(Ctx("Contact", "bulk"), Fixture("simple-salesforce-bulk2-query-results.csv")));
  for (const auto& [object, file] : std::vector<std::pair<std::string, std::string>>{
           {"LoginEvent", "elastic-pipeline-loginevent-object-rows.ndjson"},
           {"LogoutEvent", "elastic-pipeline-logoutevent-object-rows.ndjson"},
           {"SetupAuditTrail", "elastic-pipeline-setupaudittrail-rows.ndjson"},
           {"EventLogFile", "elastic-pipeline-login-eventlogfile-rows.ndjson"},
           {"EventLogFile", "elastic-pipeline-logout-eventlogfile-rows.ndjson"},
           {"EventLogFile", "elastic-pipeline-apex-eventlogfile-rows.ndjson"}}) {
    for (const std::string& line : Lines(Fixture(file))) add(MapPage(Ctx(object, "test"), Page(line)));
  }
  // Rows with missing, unparseable and non-UTF-8 values.
  add(MapPage(Ctx("AccountHistory"), Page(R"({"AccountId":null,"CreatedDate":null,"Field":"Phone"})")));
  add(MapPage(Ctx("Patient__History"), Page(R"({"ParentId":"a01","CreatedDate":"yesterday","NewValue":"\u00e9"})")));
  add(MapCsv(Ctx("EventLogFile", "exports", "URI"),
             std::string("\"EVENT_TYPE\",\"TIMESTAMP\",\"URI\",\"USER_NAME\"\n\"URI\",\"\",\"/caf\xE9\",\"\xFF\"\n")));
  REQUIRE(all.size() >= 20);
  for (const Record& r : all) CheckValid(ToJsonLine(r));
}

namespace {

// The line as RapidJSON's Writer writes it (ToJsonLine's implementation before it wrote the line
// by hand): the reference the hand-written one must match byte for byte. Strings are passed
// already valid UTF-8 (the generator below makes them so; invalid input is covered above).
std::string ReferenceLine(const Record& r) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto str = [&](const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto opt = [&](const char* key, const std::optional<std::string>& v) {
    w.Key(key);
    if (v) {
      str(*v);
    } else {
      w.Null();
    }
  };
  const char* status = r.time_status == TimeStatus::kOk            ? "ok"
                       : r.time_status == TimeStatus::kMissing     ? "missing"
                       : r.time_status == TimeStatus::kAmbiguous   ? "ambiguous"
                       : r.time_status == TimeStatus::kNonexistent ? "nonexistent"
                                                                   : "unparseable";
  std::optional<std::string> when;
  if (r.time_status == TimeStatus::kOk && r.timestamp_ms) when = FormatUtcMillis(*r.timestamp_ms);
  w.StartObject();
  opt("@timestamp", when);
  w.Key("timestamp_original");
  str(r.timestamp_original);
  w.Key("timestamp_field");
  str(r.timestamp_field);
  w.Key("timestamp_status");
  w.String(status);
  w.Key("source");
  str(r.source);
  w.Key("stream");
  str(r.stream);
  w.Key("event_type");
  str(r.event_type);
  w.Key("action");
  str(r.action);
  w.Key("actor");
  w.StartObject();
  opt("user_id", r.actor_user_id);
  opt("username", r.actor_username);
  w.EndObject();
  w.Key("target");
  w.StartObject();
  opt("object", r.target_object);
  opt("record_id", r.target_record_id);
  opt("field", r.target_field);
  opt("old_value", r.old_value);
  opt("new_value", r.new_value);
  w.EndObject();
  opt("client_ip", r.client_ip);
  w.Key("correlation");
  w.StartObject();
  opt("request_id", r.request_id);
  opt("login_key", r.login_key);
  opt("session_key", r.session_key);
  opt("event_id", r.event_id);
  opt("x_request_id", r.x_request_id);
  w.EndObject();
  w.Key("provenance");
  w.StartObject();
  w.Key("raw_file");
  str(r.raw_file);
  w.Key("record_index");
  w.Uint64(r.record_index);
  w.Key("byte_offset");
  w.Uint64(r.byte_offset);
  w.Key("byte_length");
  w.Uint64(r.byte_length);
  w.Key("raw_sha256");
  str(r.raw_sha256);
  w.EndObject();
  opt("outcome", r.outcome);
  opt("patient_id", r.patient_id);
  w.Key("collector_activity");
  w.Bool(r.collector_activity);
  w.Key("timestamp_precision");
  if (r.timestamp_precision) {
    w.Int(*r.timestamp_precision);
  } else {
    w.Null();
  }
  w.Key("clock_correction_ms");
  if (r.clock_correction_ms) {
    w.Int64(*r.clock_correction_ms);
  } else {
    w.Null();
  }
  w.Key("message");
  str(r.message);
  opt("datetime", when);
  w.Key("timestamp_desc");
  str(r.timestamp_field);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Valid UTF-8 that exercises every escape: quotes, backslashes, every control byte, DEL, slashes,
// multi-byte characters, at every position relative to eight-byte words.
std::string RandomText(std::mt19937& rng) {
  static const std::vector<std::string> pieces = {
      "a", "Z", "0", " ", "\"", "\\", "/", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "abcdefgh",
      "\n", "\r", "\t", "\b", "\f", std::string(1, '\0'), "\x01", "\x1f", "\x0b", "</script>", "\\u0000"};
  std::string out;
  const int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
  return out;
}

}  // namespace

TEST_CASE("ToJsonLine writes the bytes RapidJSON's Writer writes", "[normalize][record]") {
  std::mt19937 rng(7);
  auto opt = [&]() -> std::optional<std::string> {
    if (rng() % 4 == 0) return std::nullopt;
    return RandomText(rng);
  };
  CHECK(ToJsonLine(Full()) == ReferenceLine(Full()));
  for (int i = 0; i < 2000; ++i) {
    Record r;
    const TimeStatus statuses[] = {TimeStatus::kOk, TimeStatus::kMissing, TimeStatus::kUnparseable, TimeStatus::kAmbiguous,
                                   TimeStatus::kNonexistent};
    r.time_status = statuses[rng() % 5];
    if (rng() % 3 != 0) r.timestamp_ms = static_cast<std::int64_t>(rng() % 4000000000000ull) - 100000000000;
    r.timestamp_original = RandomText(rng);
    r.timestamp_field = RandomText(rng);
    r.source = RandomText(rng);
    r.stream = RandomText(rng);
    r.event_type = RandomText(rng);
    r.action = RandomText(rng);
    r.actor_user_id = opt();
    r.actor_username = opt();
    r.target_object = opt();
    r.target_record_id = opt();
    r.target_field = opt();
    r.old_value = opt();
    r.new_value = opt();
    r.client_ip = opt();
    r.request_id = opt();
    r.login_key = opt();
    r.session_key = opt();
    r.event_id = opt();
    r.raw_file = RandomText(rng);
    r.record_index = rng() % 2 ? rng() : UINT64_MAX - rng() % 3;
    r.byte_offset = rng();
    r.byte_length = rng() % 100000;
    r.raw_sha256 = RandomText(rng);
    r.message = RandomText(rng);
    r.x_request_id = opt();
    r.outcome = opt();
    r.patient_id = opt();
    r.collector_activity = rng() % 2 == 0;
    if (rng() % 2) r.timestamp_precision = static_cast<int>(rng() % 10) - 1;
    if (rng() % 2) r.clock_correction_ms = rng() % 2 ? INT64_MIN + static_cast<std::int64_t>(rng() % 5) : -static_cast<std::int64_t>(rng());
    const std::string line = ToJsonLine(r);
    CAPTURE(i, line);
    REQUIRE(line == ReferenceLine(r));
  }
}
