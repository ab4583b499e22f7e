// json: strict parsing, RFC 8785 canonical form, typed accessors and schema validation against
// the schemas compiled in from schemas/.

#include "json/json.h"

#include <catch2/catch.hpp>

#include <string>

#include "json/schemas.h"

using namespace custody;

namespace {
// Parses text (REQUIREs success) and returns its canonical form, or the error message.
std::string CanonicalOf(const std::string& text) {
  Result<rapidjson::Document> doc = json::Parse(text, "test");
  INFO(text);
  REQUIRE(doc);
  Result<std::string> c = json::Canonical(*doc);
  return c ? *c : "error: " + c.error().message();
}
}  // namespace

TEST_CASE("canonical JSON sorts members, drops whitespace and keeps array order", "[json]") {
  CHECK(CanonicalOf(R"( { "b" : 1 , "a" : [ 3 , 1 , 2 ] , "c" : { "z" : null , "y" : true } } )") ==
        R"({"a":[3,1,2],"b":1,"c":{"y":true,"z":null}})");
  CHECK(CanonicalOf(R"({"literals":[null,true,false]})") == R"({"literals":[null,true,false]})");
  CHECK(CanonicalOf("{}") == "{}");
  CHECK(CanonicalOf("[]") == "[]");
  CHECK(CanonicalOf(R"({"aa":1,"a":2,"B":3,"":4})") == R"({"":4,"B":3,"a":2,"aa":1})");
}

TEST_CASE("canonical JSON sorts non-ASCII member names by UTF-16 code units (RFC 8785 3.2.3)", "[json]") {
  // The RFC's own example. U+1F600 (a surrogate pair, D83D DE00) sorts before U+FB33 in UTF-16,
  // although it sorts after it by code point or in UTF-8.
  const std::string input = R"({
    "\u20ac": "Euro Sign",
    "\r": "Carriage Return",
    "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One",
    "\ud83d\ude00": "Emoji: Grinning Face",
    "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis"
  })";
  const std::string expected =
      "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
      "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
      "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}";
  CHECK(CanonicalOf(input) == expected);
}

TEST_CASE("canonical JSON uses the minimal string escapes of RFC 8785", "[json]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      // RFC 8785 3.2.2.2's example string.
      {R"("\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/")", "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\""},
      {R"("\b\f\n\r\t")", R"("\b\f\n\r\t")"},
      {R"("\u0000\u0001\u001f")", R"("\u0000\u0001\u001f")"},
      {R"("\u007f")", "\"\x7f\""},             // DEL is not escaped
      {R"("\u00e9\u2028")", "\"\xc3\xa9\xe2\x80\xa8\""},  // non-ASCII is written as UTF-8
      {R"("\/")", R"("/")"},
  }));
  CAPTURE(input);
  CHECK(CanonicalOf(input) == expected);
}

TEST_CASE("canonical JSON writes integers exactly and refuses what RFC 8785 would round", "[json]") {
  CHECK(CanonicalOf("[0,-1,42,9007199254740991,-9007199254740991]") == "[0,-1,42,9007199254740991,-9007199254740991]");
  CHECK(CanonicalOf("-0") == "0");
  auto [text, why] = GENERATE(table<std::string, std::string>({
      {"1.5", "floating-point"},
      {"1.0", "floating-point"},
      {"1e2", "floating-point"},
      {"-0.0", "floating-point"},
      {R"({"a":[0.1]})", "floating-point"},
      {"9007199254740992", "2^53"},
      {"-9007199254740992", "2^53"},
      {"18446744073709551615", "2^53"},
  }));
  CAPTURE(text);
  Result<rapidjson::Document> doc = json::Parse(text, "test");
  REQUIRE(doc);
  Result<std::string> c = json::Canonical(*doc);
  REQUIRE_FALSE(c);
  CHECK(c.error().code() == ErrorCode::kParse);
  CHECK(c.error().message().find(why) != std::string::npos);
}

TEST_CASE("canonical JSON refuses duplicate member names, even nested", "[json]") {
  std::string text = GENERATE(as<std::string>{}, R"({"a":1,"a":2})", R"({"x":{"k":1,"k":1}})",
                              R"([{"\u00e9":1,"é":2}])");
  CAPTURE(text);
  Result<rapidjson::Document> doc = json::Parse(text, "test");
  REQUIRE(doc);  // RapidJSON keeps duplicates; the canonical form must not pick one silently
  Result<std::string> c = json::Canonical(*doc);
  REQUIRE_FALSE(c);
  CHECK(c.error().message().find("duplicate") != std::string::npos);
}

TEST_CASE("canonical JSON refuses a built value holding a string that is not UTF-8", "[json]") {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  SECTION("in a value") {
    doc.AddMember("name", rapidjson::Value("bad\xff", a), a);
  }
  SECTION("in a member name") {
    doc.AddMember(rapidjson::Value("bad\xc3", a), rapidjson::Value("v", a), a);
  }
  Result<std::string> c = json::Canonical(doc);
  REQUIRE_FALSE(c);
  CHECK(c.error().message().find("UTF-8") != std::string::npos);
}

TEST_CASE("Parse accepts one JSON text with surrounding whitespace", "[json]") {
  Result<rapidjson::Document> doc = json::Parse(" \n{\"a\":1}\r\n\t ", "test");
  REQUIRE(doc);
  CHECK((*doc)["a"].GetInt() == 1);
}

TEST_CASE("Parse refuses trailing content, non-JSON numbers and invalid UTF-8, naming what it parsed", "[json]") {
  std::string text = GENERATE(as<std::string>{},
                              "",
                              "{} x",
                              "{}{}",
                              "1 2",
                              "[1,]",
                              "{\"a\":1,}",
                              "NaN",
                              "Infinity",
                              "[-Infinity]",
                              "'single'",
                              "\"\xff\"",                   // invalid UTF-8 in a string
                              "{\"\xc0\x80\":1}",           // an overlong in a member name
                              "\"\xed\xa0\x80\"",           // a raw surrogate
                              R"("\udc00")",                // a lone low surrogate escape
                              R"("\ud800")",                // a lone high surrogate escape
                              R"("\ud800\u0041")",          // a high surrogate with no low one
                              std::string("{}\0{}", 5),     // RapidJSON alone stops at a NUL
                              std::string("[\"a\0\"]", 6));
  CAPTURE(text);
  Result<rapidjson::Document> doc = json::Parse(text, "custody event");
  REQUIRE_FALSE(doc);
  CHECK(doc.error().code() == ErrorCode::kParse);
  CHECK(doc.error().message().rfind("custody event: ", 0) == 0);
}

TEST_CASE("typed accessors name the member they could not read", "[json]") {
  Result<rapidjson::Document> doc = json::Parse(R"({"s":"text","i":-7,"o":{"k":1},"f":1.5,"n":null})", "test");
  REQUIRE(doc);
  REQUIRE(json::GetString(*doc, "s"));
  CHECK(*json::GetString(*doc, "s") == "text");
  REQUIRE(json::GetInt(*doc, "i"));
  CHECK(*json::GetInt(*doc, "i") == -7);
  REQUIRE(json::GetObject(*doc, "o"));
  CHECK((*json::GetObject(*doc, "o"))->HasMember("k"));

  CHECK(json::GetString(*doc, "missing").error().message() == "missing \"missing\"");
  CHECK(json::GetString(*doc, "i").error().message() == "\"i\" is not a string");
  CHECK(json::GetInt(*doc, "f").error().message() == "\"f\" is not an integer");
  CHECK(json::GetInt(*doc, "s").error().message() == "\"s\" is not an integer");
  CHECK(json::GetObject(*doc, "n").error().message() == "\"n\" is not an object");
  CHECK_FALSE(json::GetString((*doc)["s"], "s"));  // not an object at all
}

TEST_CASE("Pretty keeps insertion order and ends with a newline", "[json]") {
  Result<rapidjson::Document> doc = json::Parse(R"({"b":1,"a":[true]})", "test");
  REQUIRE(doc);
  CHECK(json::Pretty(*doc) == "{\n  \"b\": 1,\n  \"a\": [\n    true\n  ]\n}\n");
}

namespace {

const char* const kGoodEvent = R"({
  "seq": 1,
  "time": "2026-11-23T11:37:13Z",
  "action": "sealed",
  "actor": {"subject": "CN=Jane", "cert_sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "certificate": "AAAA"},
  "statement_sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  "prev_sha256": "0000000000000000000000000000000000000000000000000000000000000000",
  "details": {"bundle_id": "x", "case_id": "IR-1"},
  "tool": "custody 0.1.0",
  "signature_algorithm": "sha256",
  "signature": "AAAA"
})";

// Parses the good event, applies `edit`, validates against the custody-event schema.
template <typename Edit>
Status ValidateEditedEvent(Edit edit) {
  Result<rapidjson::Document> doc = json::Parse(kGoodEvent, "event");
  REQUIRE(doc);
  edit(*doc);
  return json::ValidateAgainstSchema(*doc, json::kCustodyEventSchema);
}

}  // namespace

TEST_CASE("a well-formed custody event passes the custody-event schema", "[json]") {
  CHECK(ValidateEditedEvent([](rapidjson::Document&) {}).ok());
}

TEST_CASE("custody events that break the schema fail with the keyword and both pointers", "[json]") {
  using Doc = rapidjson::Document;
  std::string keyword;
  std::string pointer;
  Status s = Status::Ok();
  SECTION("a required member missing") {
    s = ValidateEditedEvent([](Doc& d) { d.RemoveMember("signature"); });
    keyword = "required";
  }
  SECTION("an unknown member") {
    s = ValidateEditedEvent([](Doc& d) { d.AddMember("extra", 1, d.GetAllocator()); });
    keyword = "additionalProperties";
  }
  SECTION("an action outside the enum") {
    s = ValidateEditedEvent([](Doc& d) { d["action"].SetString("deleted"); });
    keyword = "enum";
    pointer = "#/action";
  }
  SECTION("a time with an offset instead of Z") {
    s = ValidateEditedEvent([](Doc& d) { d["time"].SetString("2026-11-23T11:37:13+00:00"); });
    keyword = "pattern";
    pointer = "#/time";
  }
  SECTION("an upper-case digest") {
    s = ValidateEditedEvent([](Doc& d) {
      d["statement_sha256"].SetString("0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
    });
    keyword = "pattern";
    pointer = "#/statement_sha256";
  }
  SECTION("sequence number zero") {
    s = ValidateEditedEvent([](Doc& d) { d["seq"].SetInt(0); });
    keyword = "minimum";
    pointer = "#/seq";
  }
  SECTION("a sequence number that is a string") {
    s = ValidateEditedEvent([](Doc& d) { d["seq"].SetString("1"); });
    keyword = "type";
    pointer = "#/seq";
  }
  SECTION("a detail that is not a string") {
    s = ValidateEditedEvent([](Doc& d) { d["details"]["case_id"].SetInt(5); });
    keyword = "type";
    pointer = "#/details/case_id";
  }
  SECTION("an unknown member of the actor") {
    s = ValidateEditedEvent([](Doc& d) { d["actor"].AddMember("email", "x", d.GetAllocator()); });
    keyword = "additionalProperties";
  }
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kSchema);
  CHECK(s.error().message().find("'" + keyword + "'") != std::string::npos);
  CHECK(s.error().message().find(", document " + pointer) != std::string::npos);
}

TEST_CASE("collection metadata is checked against the collection schema", "[json]") {
  const std::string good = R"({
    "format": "custody-collection/1",
    "bundle_id": "04aa969a-5c8f-8581-a531-d1e8a4ce9f55",
    "case_id": "IR-2026-014", "examiner": "Jane", "sealed_at": "2026-11-23T11:37:13Z", "kind": "seal",
    "collector": {"os_user": "jane", "uid": 1000, "host": "ws1"},
    "tool": {"name": "custody", "version": "0.1.0", "git_commit": "abc", "binary_sha256": "unknown",
             "compiler": "GNU 12"},
    "libraries": {"OpenSSL": "3.0"},
    "command_line": ["custody", "seal"],
    "source": {"folder": "/cases/x"},
    "payload": {"files": 1, "bytes": 0},
    "signer": {"subject": "CN=Jane", "cert_sha256": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
  })";
  Result<rapidjson::Document> doc = json::Parse(good, "metadata");
  REQUIRE(doc);
  REQUIRE(json::ValidateAgainstSchema(*doc, json::kCollectionSchema).ok());  // before each edit below

  SECTION("a bundle id that is not a version-8 UUID") {
    (*doc)["bundle_id"].SetString("04aa969a-5c8f-4581-a531-d1e8a4ce9f55");
  }
  SECTION("a payload of no files") { (*doc)["payload"]["files"].SetInt(0); }
  SECTION("an unknown format") { (*doc)["format"].SetString("custody-collection/2"); }
  SECTION("a negative uid") { (*doc)["collector"]["uid"].SetInt(-1); }
  SECTION("an empty case id") { (*doc)["case_id"].SetString(""); }
  SECTION("a command line that is not strings") { (*doc)["command_line"].PushBack(1, doc->GetAllocator()); }
  Status s = json::ValidateAgainstSchema(*doc, json::kCollectionSchema);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kSchema);
}

TEST_CASE("a verify report is checked against the verify-report schema", "[json]") {
  const std::string good = R"({
    "format": "custody-verify-report/1", "target": "b.tar", "mode": "bundle", "verified": false,
    "signer": {"subject": "CN=Jane", "cert_sha256": "ab", "trusted": null},
    "summary": {"errors": 1, "warnings": 0},
    "findings": [{"severity": "error", "kind": "hash-mismatch", "path": "data/a.csv", "message": "m"}]
  })";
  Result<rapidjson::Document> doc = json::Parse(good, "report");
  REQUIRE(doc);
  CHECK(json::ValidateAgainstSchema(*doc, json::kVerifyReportSchema).ok());

  auto [member, bad_kind] = GENERATE(table<std::string, std::string>({
      {"kind", "Hash_Mismatch"},
      {"kind", "1st-kind"},
      {"severity", "info"},
  }));
  CAPTURE(member, bad_kind);
  (*doc)["findings"][0][member.c_str()].SetString(bad_kind.c_str(), doc->GetAllocator());
  Status s = json::ValidateAgainstSchema(*doc, json::kVerifyReportSchema);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("document #/findings/0/" + member) != std::string::npos);
}

TEST_CASE("a schema that is not JSON is a schema error, not a pass", "[json]") {
  Result<rapidjson::Document> doc = json::Parse("{}", "doc");
  REQUIRE(doc);
  Status s = json::ValidateAgainstSchema(*doc, "{not json");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kSchema);
}

TEST_CASE("every embedded schema is valid JSON", "[json]") {
  const char* schema = GENERATE(json::kCustodyEventSchema, json::kCollectionSchema, json::kVerifyReportSchema);
  Result<rapidjson::Document> doc = json::Parse(schema, "schema");
  REQUIRE(doc);
  CHECK((*doc)["$schema"] == "http://json-schema.org/draft-04/schema#");
}

TEST_CASE("WellFormed accepts one JSON value and says where anything else stops", "[json]") {
  for (const char* good : {"{}", "[]", " {\"a\":[1,2.5,-3e4,true,false,null,\"x\\u00e9\"]} ", "\"text\"", "0"}) {
    CAPTURE(good);
    CHECK(json::WellFormed(good));
  }
  struct Bad {
    const char* text;
    std::size_t offset;
  };
  CHECK_FALSE(json::WellFormed(std::string("[1]\0[2]", 7)));
  for (const Bad& bad : {Bad{"", 0}, Bad{"{\"a\":1,}", 7}, Bad{"[1] x", 4}, Bad{"<html>", 0}, Bad{"{\"a\":tru}", 8},
                         Bad{"[\"cut", 5}}) {
    CAPTURE(bad.text);
    std::size_t at = 12345;
    CHECK_FALSE(json::WellFormed(bad.text, &at));
    CHECK(at == bad.offset);
    CHECK_FALSE(json::WellFormed(bad.text));  // no offset asked
  }
}

TEST_CASE("ScalarText gives a scalar's text and nothing for null, objects and arrays", "[json]") {
  Result<rapidjson::Document> doc = json::Parse(
      R"({"s":"a\"b","empty":"","i":-42,"u":18446744073709551615,"d":1.50,"e":1e3,"t":true,"f":false,)"
      R"("n":null,"o":{"x":1},"a":[1]})",
      "test");
  REQUIRE(doc);
  const rapidjson::Value& d = *doc;
  CHECK(json::ScalarText(d["s"]) == "a\"b");
  CHECK(json::ScalarText(d["empty"]).empty());
  CHECK(json::ScalarText(d["i"]) == "-42");
  CHECK(json::ScalarText(d["u"]) == "18446744073709551615");
  CHECK(json::ScalarText(d["d"]) == "1.5");     // a double as RapidJSON writes it, not as it was sent
  CHECK(json::ScalarText(d["e"]) == "1000.0");
  CHECK(json::ScalarText(d["t"]) == "true");
  CHECK(json::ScalarText(d["f"]) == "false");
  CHECK(json::ScalarText(d["n"]).empty());
  CHECK(json::ScalarText(d["o"]).empty());
  CHECK(json::ScalarText(d["a"]).empty());
}
