// The generic HTTP-JSON connector's building blocks: time parameter forms, templates, Link
// headers, next-link resolution, JSON pointers and the record mapping for every timestamp form.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <string>

#include "connectors/generic/http_json.h"
#include "json/json.h"

namespace custody::connectors::generic {
namespace {

constexpr std::int64_t kT = 1775001600000;  // 2026-04-01T00:00:00Z

rapidjson::Document Json(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

TEST_CASE("http-json time placeholders are written in each configured form", "[http-json]") {
  CHECK(FormatTimeParam(kT, TimeParamFormat::kIso8601) == "2026-04-01T00:00:00Z");
  CHECK(FormatTimeParam(kT + 5, TimeParamFormat::kIso8601) == "2026-04-01T00:00:00.005Z");
  CHECK(FormatTimeParam(kT, TimeParamFormat::kIso8601Ms) == "2026-04-01T00:00:00.000Z");
  CHECK(FormatTimeParam(kT - 1, TimeParamFormat::kRfc822Offset) == "2026-03-31T23:59:59.999+0000");
  CHECK(FormatTimeParam(kT, TimeParamFormat::kEpochMs) == "1775001600000");
  CHECK(FormatTimeParam(kT + 999, TimeParamFormat::kEpochS) == "1775001600");
  CHECK(FormatTimeParam(kT - 1, TimeParamFormat::kEpochS) == "1775001599");  // floor
  CHECK(FormatTimeParam(kT + 61000, TimeParamFormat::kOdbcUtc) == "2026-04-01 00:01:01");
}

TEST_CASE("http-json templates replace known placeholders only, escaped for where they go", "[http-json]") {
  auto value = [](std::string_view n) -> std::optional<std::string> {
    if (n == "start") return std::string("2026-04-01T00:00:00+02:00");
    if (n == "limit") return std::string("100");
    if (n == "cursor") return std::string("a\"b\\c");
    return std::nullopt;
  };
  CHECK(Expand("from={start}&n={limit}", value, Escape::kUrl) == "from=2026-04-01T00%3A00%3A00%2B02%3A00&n=100");
  CHECK(Expand("{\"c\":\"{cursor}\",\"n\":{limit},\"x\":{\"y\":1}}", value, Escape::kJson) ==
        "{\"c\":\"a\\\"b\\\\c\",\"n\":100,\"x\":{\"y\":1}}");
  // A placeholder without a value yet: the whole template has none.
  CHECK_FALSE(Expand("maxId={watermark}", value, Escape::kUrl).has_value());
  // Unknown names and other braces are left as they are.
  CHECK(Expand("{org}/{}", value, Escape::kNone) == "{org}/{}");
  CHECK(PlaceholdersIn("{\"a\":{start},\"b\":\"{nope}\",\"c\":{}}") == std::vector<std::string>{"start", "nope"});
}

TEST_CASE("http-json reads rel=next from RFC 8288 Link headers", "[http-json]") {
  CHECK(LinkNext("<https://a.test/x?p=2>; rel=\"next\"") == "https://a.test/x?p=2");
  CHECK(LinkNext("<https://a.test/x?p=1>; rel=\"first\", <https://a.test/x?p=3>; rel=next") == "https://a.test/x?p=3");
  CHECK(LinkNext("</x?p=4>; title=\"n\"; rel=\"prefetch next\"") == "/x?p=4");
  CHECK(LinkNext("<https://a.test/x?p=1>; rel=\"prev\"") == "");
  CHECK(LinkNext("") == "");
}

TEST_CASE("http-json resolves next links against the page that gave them", "[http-json]") {
  const std::string cur = "https://api.test:8443/v1/logs?page=1";
  CHECK(ResolveUrl(cur, "https://api.test:8443/v1/logs?page=2") == "https://api.test:8443/v1/logs?page=2");
  CHECK(ResolveUrl(cur, "/v2/logs?c=x") == "https://api.test:8443/v2/logs?c=x");
  CHECK(ResolveUrl(cur, "?page=3") == "https://api.test:8443/v1/logs?page=3");
  CHECK(ResolveUrl(cur, "logs?page=4") == "https://api.test:8443/v1/logs?page=4");
  CHECK(ResolveUrl(cur, "//other.test/x") == "https://other.test/x");
}

TEST_CASE("http-json JSON pointers tell absent from null on the way", "[http-json]") {
  auto d = Json(R"({"list":null,"a":{"b~c":[10,{"d/e":"x"}]}})");
  bool null_on_path = false;
  CHECK(At(d, "/list/event", &null_on_path) == nullptr);
  CHECK(null_on_path);
  CHECK(At(d, "/missing", &null_on_path) == nullptr);
  CHECK_FALSE(null_on_path);
  REQUIRE(At(d, "/a/b~0c/1/d~1e") != nullptr);
  CHECK(json::ScalarText(*At(d, "/a/b~0c/1/d~1e")) == "x");
  CHECK(json::ScalarText(*At(d, "/a/b~0c/0")) == "10");
  CHECK(At(d, "/a/b~0c/2") == nullptr);
  CHECK(At(d, "") == &d);
}

TEST_CASE("http-json maps a record with each timestamp form to UTC, keeping the original", "[http-json]") {
  struct Row {
    TimestampFormat format;
    std::string value;  // JSON
    std::string zone;
    normalize::TimeStatus status;
    std::optional<std::int64_t> utc;
    std::string original;
    int precision;
  };
  auto row = GENERATE(
      Row{TimestampFormat::kIso8601, "\"2026-04-01T02:00:00.123456+02:00\"", "", normalize::TimeStatus::kOk, kT + 123,
          "2026-04-01T02:00:00.123456+02:00", 6},
      Row{TimestampFormat::kIso8601, "\"2026-04-01T00:00:00\"", "", normalize::TimeStatus::kUnparseable, std::nullopt,
          "2026-04-01T00:00:00", 0},
      Row{TimestampFormat::kEpochMs, "1775001600007", "", normalize::TimeStatus::kOk, kT + 7, "1775001600007", 3},
      Row{TimestampFormat::kEpochMs, "\"1775001600007\"", "", normalize::TimeStatus::kOk, kT + 7, "1775001600007", 3},
      Row{TimestampFormat::kEpochS, "1775001600.5", "", normalize::TimeStatus::kOk, kT + 500, "1775001600.5", 1},
      Row{TimestampFormat::kCalendarObject, "{\"time\":1775001600000,\"timezone\":\"America/New_York\"}", "",
          normalize::TimeStatus::kOk, kT, "1775001600000 America/New_York", 3},
      Row{TimestampFormat::kBasicIso8601, "\"20260401T130000.415+1300\"", "", normalize::TimeStatus::kOk, kT + 415,
          "20260401T130000.415+1300", 3},
      Row{TimestampFormat::kRfc822Offset, "\"2026-03-31T17:00:00.000-0700\"", "", normalize::TimeStatus::kOk, kT,
          "2026-03-31T17:00:00.000-0700", 3},
      Row{TimestampFormat::kOdbc, "\"2026-04-01 00:00:00\"", "UTC", normalize::TimeStatus::kOk, kT,
          "2026-04-01 00:00:00", 0},
      Row{TimestampFormat::kOdbc, "\"2026-11-01 01:30:00\"", "America/New_York", normalize::TimeStatus::kAmbiguous,
          std::nullopt, "2026-11-01 01:30:00", 0},
      Row{TimestampFormat::kIso8601, "null", "", normalize::TimeStatus::kMissing, std::nullopt, "", 0});
  CAPTURE(row.value);
  RecordOptions o;
  o.timestamp_field = "/when";
  o.timestamp_format = row.format;
  o.timestamp_zone = row.zone;
  auto d = Json("{\"when\":" + row.value + "}");
  normalize::Record r = MapRecord(o, "http-json:x", "records", d);
  CHECK(r.time_status == row.status);
  CHECK(r.timestamp_ms == row.utc);
  CHECK(r.timestamp_original == row.original);
  CHECK(r.timestamp_field == "/when");
  if (row.utc) CHECK(r.timestamp_precision == row.precision);
}

TEST_CASE("http-json maps the configured fields and outcome codes of a record", "[http-json]") {
  RecordOptions o;
  o.id_field = "/id";
  o.event_type_field = "/type";
  o.action_field = "/act";
  o.actor_field = "/who/name";
  o.actor_id_field = "/who/id";
  o.ip_field = "/ip";
  o.target_field = "/obj/id";
  o.target_type_field = "/obj/kind";
  o.outcome_field = "/result";
  o.outcome_success = {"OK"};
  o.outcome_failure = {"DENIED", "ERROR"};
  o.patient_field = "/patient";
  o.request_id_field = "/rid";
  auto d = Json(R"({"id":42,"type":"audit","act":"read","who":{"name":"alice","id":7},"ip":"10.0.0.1",
      "obj":{"id":"P1","kind":"Patient"},"result":"DENIED","patient":"Patient/P1","rid":"req-1"})");
  normalize::Record r = MapRecord(o, "http-json:x", "records", d);
  CHECK(r.event_id == "42");
  CHECK(r.event_type == "audit");
  CHECK(r.action == "read");
  CHECK(r.actor_username == "alice");
  CHECK(r.actor_user_id == "7");
  CHECK(r.client_ip == "10.0.0.1");
  CHECK(r.target_record_id == "P1");
  CHECK(r.target_object == "Patient");
  CHECK(r.outcome == "failure");
  CHECK(r.patient_id == "Patient/P1");
  CHECK(r.x_request_id == "req-1");
  CHECK(r.message.find("DENIED") != std::string::npos);  // the source's own code is kept
  CHECK(r.time_status == normalize::TimeStatus::kMissing);

  auto other = Json(R"({"result":"MAYBE"})");
  normalize::Record u = MapRecord(o, "http-json:x", "records", other);
  CHECK(u.outcome == "unknown");
  CHECK(u.event_type == "record");  // the constant default when the field is absent
  CHECK(u.action == "event");
  CHECK_FALSE(u.event_id.has_value());
}

TEST_CASE("http-json setting names round-trip and unknown names are refused", "[http-json]") {
  for (const char* n : {"none", "basic", "bearer", "oauth2_client_credentials", "session_login"}) {
    REQUIRE(ParseAuthMode(n));
    CHECK(AuthModeName(*ParseAuthMode(n)) == n);
  }
  for (const char* n : {"none", "offset_limit", "page_number", "cursor", "next_link", "id_watermark", "time_slicing"}) {
    REQUIRE(ParsePagingMode(n));
    CHECK(PagingModeName(*ParsePagingMode(n)) == n);
  }
  CHECK_FALSE(ParseAuthMode("oauth"));
  CHECK_FALSE(ParsePagingMode("offset"));
  CHECK_FALSE(ParseTimestampFormat("strptime"));
  CHECK_FALSE(ParseTimeParamFormat("rfc3339"));
}

}  // namespace
}  // namespace custody::connectors::generic
