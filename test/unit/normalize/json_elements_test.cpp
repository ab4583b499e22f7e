// ForEachJsonArrayElement: exact byte ranges of array elements at a JSON pointer, Mirth's
// one-element collapsing, absent lists and text that is not JSON.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "normalize/json_elements.h"

using namespace custody::normalize;
using custody::ErrorCode;
using custody::Status;

namespace {

// The element texts, in order (their indexes checked on the way).
std::vector<std::string> Elements(std::string_view text, std::string_view pointer) {
  std::vector<std::string> out;
  const Status s = ForEachJsonArrayElement(text, pointer, [&](const JsonElement& e) {
    CHECK(e.index == out.size());
    REQUIRE(e.byte_offset + e.byte_length <= text.size());
    out.emplace_back(text.substr(e.byte_offset, e.byte_length));
    return Status::Ok();
  });
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  return out;
}

Status Walk(std::string_view text, std::string_view pointer, int* calls = nullptr) {
  return ForEachJsonArrayElement(text, pointer, [&](const JsonElement&) {
    if (calls != nullptr) ++*calls;
    return Status::Ok();
  });
}

}  // namespace

TEST_CASE("ForEachJsonArrayElement gives the exact bytes of each element", "[normalize][json_elements]") {
  const std::string bundle =
      "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\n \"entry\" : [ {\"fullUrl\":\"a\",\"resource\":{\"id\":1}} ,\n"
      "\t{\"fullUrl\":\"b\"},\"text\",  12.5e3 , null, true, [1, [2]] ],\"link\":[{\"relation\":\"next\"}]}";
  const auto e = Elements(bundle, "/entry");
  REQUIRE(e.size() == 7);
  CHECK(e[0] == "{\"fullUrl\":\"a\",\"resource\":{\"id\":1}}");
  CHECK(e[1] == "{\"fullUrl\":\"b\"}");
  CHECK(e[2] == "\"text\"");
  CHECK(e[3] == "12.5e3");
  CHECK(e[4] == "null");
  CHECK(e[5] == "true");
  CHECK(e[6] == "[1, [2]]");
  CHECK(Elements(bundle, "/link") == std::vector<std::string>{"{\"relation\":\"next\"}"});
  CHECK(Elements("[]", "").empty());
  CHECK(Elements(" [ {\"a\":1} , {\"b\":2} ] ", "") == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
}

TEST_CASE("ForEachJsonArrayElement follows nested pointers and array indexes", "[normalize][json_elements]") {
  const std::string mirth = R"({"list":{"event":[{"id":2},{"id":1}]},"other":{"event":[{"id":9}]}})";
  CHECK(Elements(mirth, "/list/event") == std::vector<std::string>{R"({"id":2})", R"({"id":1})"});
  CHECK(Elements(mirth, "/other/event") == std::vector<std::string>{R"({"id":9})"});
  const std::string nested = R"({"a":[{"b":[1,2]},{"b":[3,4,5]}]})";
  CHECK(Elements(nested, "/a/1/b") == std::vector<std::string>{"3", "4", "5"});
  CHECK(Elements(nested, "/a/0/b") == std::vector<std::string>{"1", "2"});
  CHECK(Elements(nested, "/a/2/b").empty());
  CHECK(Elements(nested, "/a/01/b").empty());  // not an array index in RFC 6901
  // "~1" is '/' and "~0" is '~' in a pointer token; keys with escapes are compared unescaped.
  CHECK(Elements(R"({"a/b":[1],"m~n":[2],"\u0071":[3]})", "/a~1b") == std::vector<std::string>{"1"});
  CHECK(Elements(R"({"a/b":[1],"m~n":[2],"\u0071":[3]})", "/m~0n") == std::vector<std::string>{"2"});
  CHECK(Elements(R"({"a/b":[1],"m~n":[2],"\u0071":[3]})", "/q") == std::vector<std::string>{"3"});
  // The first of repeated names is the one; later ones are still checked.
  CHECK(Elements(R"({"e":[1],"e":[2,3]})", "/e") == std::vector<std::string>{"1"});
}

TEST_CASE("ForEachJsonArrayElement treats a single value as a one-element array", "[normalize][json_elements]") {
  // Mirth's XML-to-JSON conversion collapses a one-item list into the item.
  const std::string one = R"({"list":{"event":{"id":457,"name":"Login"}}})";
  CHECK(Elements(one, "/list/event") == std::vector<std::string>{R"({"id":457,"name":"Login"})"});
  CHECK(Elements(R"({"v":"only"})", "/v") == std::vector<std::string>{R"("only")"});
  CHECK(Elements(R"({"v":0})", "/v") == std::vector<std::string>{"0"});
  CHECK(Elements(R"({"id":1})", "") == std::vector<std::string>{R"({"id":1})"});
}

TEST_CASE("ForEachJsonArrayElement gives no elements for absent or null lists", "[normalize][json_elements]") {
  CHECK(Elements(R"({"list":null})", "/list/event").empty());
  CHECK(Elements(R"({"list":""})", "/list/event").empty());  // Mirth's other empty list
  CHECK(Elements(R"("")", "/list/event").empty());
  CHECK(Elements(R"({"list":{"event":null}})", "/list/event").empty());
  CHECK(Elements(R"({"list":{}})", "/list/event").empty());
  CHECK(Elements(R"({"resourceType":"Bundle","total":0})", "/entry").empty());
  CHECK(Elements("null", "").empty());
}

TEST_CASE("ForEachJsonArrayElement is not fooled by brackets and escapes in strings", "[normalize][json_elements]") {
  const std::string tricky =
      R"({"x":"] } [ {","entry":[{"s":"a \"quoted\" ] value }"},{"s":"back\\slash\\"},{"s":"\u005d\ud83d\ude00"},)"
      R"({"entry":[9]}],"after":"\"entry\":[1]"})";
  const auto e = Elements(tricky, "/entry");
  REQUIRE(e.size() == 4);
  CHECK(e[0] == R"({"s":"a \"quoted\" ] value }"})");
  CHECK(e[1] == R"({"s":"back\\slash\\"})");
  CHECK(e[2] == R"({"s":"\u005d\ud83d\ude00"})");
  CHECK(e[3] == R"({"entry":[9]})");
  // Multi-byte UTF-8 counts as bytes.
  const std::string utf8 = "{\"entry\":[\"\xC3\xA9t\xC3\xA9\",{\"n\":\"\xE2\x82\xAC\"}]}";
  CHECK(Elements(utf8, "/entry") == std::vector<std::string>{"\"\xC3\xA9t\xC3\xA9\"", "{\"n\":\"\xE2\x82\xAC\"}"});
}

TEST_CASE("ForEachJsonArrayElement refuses text that is not JSON and says where", "[normalize][json_elements]") {
  int calls = 0;
  const Status html = Walk("<html><body>400 Bad Request</body></html>", "/list/event", &calls);
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().code() == ErrorCode::kParse);
  CHECK_THAT(html.error().message(), Catch::Contains("byte offset 0"));
  CHECK_THAT(html.error().message(), Catch::Contains("'<'"));
  // A body cut short: no element is handed out, even those before the cut.
  const Status cut = Walk(R"({"entry":[{"id":1},{"id":2},{"id":)", "/entry", &calls);
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().code() == ErrorCode::kParse);
  CHECK_THAT(cut.error().message(), Catch::Contains("unexpected end of text"));
  CHECK(calls == 0);
  const Status after = Walk(R"({"entry":[{"id":1}]} trailing)", "/entry", &calls);
  REQUIRE_FALSE(after.ok());
  CHECK_THAT(after.error().message(), Catch::Contains("byte offset 21"));
  CHECK(calls == 0);

  for (const char* bad : {"", "   ", R"({"a":1,})", R"({"a" 1})", R"([1 2])", R"({"a":01})", R"({"a":1.})",
                          R"({"a":-})", R"({"a":"\x"})", "{\"a\":\"tab\there\"}", R"({"a":tru})", R"({'a':1})",
                          R"({"a":[1,]})", R"({"a":"\u12G4"})", R"({"a":"unterminated)", R"({"a":NaN})"}) {
    INFO(bad);
    const Status s = Walk(bad, "/a");
    CHECK_FALSE(s.ok());
    if (!s.ok()) CHECK(s.error().code() == ErrorCode::kParse);
  }
  const Status deep = Walk(std::string(10000, '[') + std::string(10000, ']'), "");
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(deep.error().message(), Catch::Contains("nesting deeper"));
}

TEST_CASE("ForEachJsonArrayElement refuses a malformed pointer and passes callback errors on",
          "[normalize][json_elements]") {
  const Status p = Walk("[]", "entry");
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code() == ErrorCode::kInvalidArgument);
  CHECK_FALSE(Walk("[]", "/a~2").ok());
  int calls = 0;
  const Status s = ForEachJsonArrayElement("[1,2,3]", "", [&](const JsonElement& e) -> Status {
    ++calls;
    if (e.index == 1) return custody::Error(ErrorCode::kIo, "disk full");
    return Status::Ok();
  });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kIo);
  CHECK(calls == 2);
}

TEST_CASE("ForEachJsonArrayElement walks a large list in one pass", "[normalize][json_elements]") {
  // 200,000 Mirth-shaped events: offsets must line up with the text exactly.
  std::string text = R"({"list":{"event":[)";
  constexpr int kCount = 200000;
  for (int i = 0; i < kCount; ++i) {
    if (i > 0) text += ',';
    text += R"({"id":)" + std::to_string(i) +
            R"(,"eventTime":{"time":1706792105485,"timezone":"UTC"},"attributes":{"entry":{"string":["k","v\n"]}}})";
  }
  text += "]}}";
  std::uint64_t n = 0;
  std::uint64_t last_end = 0;
  const Status s = ForEachJsonArrayElement(text, "/list/event", [&](const JsonElement& e) {
    if (text.compare(e.byte_offset, 7, "{\"id\":" + std::to_string(e.index).substr(0, 1)) != 0 ||
        text[e.byte_offset + e.byte_length - 1] != '}' || e.byte_offset <= last_end) {
      return Status(custody::Error(ErrorCode::kInternal, "bad range at " + std::to_string(e.index)));
    }
    last_end = e.byte_offset + e.byte_length;
    ++n;
    return Status::Ok();
  });
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  CHECK(n == kCount);
}

// The scanner skips string bytes eight at a time: a quote, a backslash or a control byte must be
// found wherever it falls relative to those words.
TEST_CASE("ForEachJsonArrayElement finds quotes, escapes and control bytes at every offset",
          "[normalize][json_elements]") {
  for (size_t at = 0; at < 20; ++at) {
    const std::string before(at, 'x');
    const std::string after(19 - at, 'y');
    CAPTURE(at);
    // An escaped quote and an escaped backslash inside the string.
    const std::string quoted = "\"" + before + "\\\"" + after + "\"";
    const std::string slashed = "\"" + before + "\\\\" + after + "\"";
    CHECK(Elements("[" + quoted + "," + slashed + "]", "") == std::vector<std::string>{quoted, slashed});
    // The string ends there: the next element follows.
    const std::string shortened = "\"" + before + "\"";
    CHECK(Elements("[" + shortened + ",1]", "") == std::vector<std::string>{shortened, "1"});
    // A raw control byte or line feed inside a string is not JSON.
    for (char bad : {'\x01', '\n', '\x1f'}) {
      const Status s = Walk("[\"" + before + std::string(1, bad) + after + "\"]", "");
      CHECK(s.error().code() == ErrorCode::kParse);
      CHECK(s.error().message().find("control character") != std::string::npos);
    }
    // Bytes above 0x7F are plain string bytes.
    const std::string utf8 = "\"" + before + "\xc3\xa9" + after + "\"";
    CHECK(Elements("[" + utf8 + "]", "") == std::vector<std::string>{utf8});
  }
}

namespace {

// Both ways of finding elements, on one text: the same outcome and the same byte ranges.
void SameAsWalker(const std::string& text, const std::string& pointer) {
  CAPTURE(text, pointer);
  std::vector<JsonElement> walked;
  const Status w = ForEachJsonArrayElement(text, pointer, [&](const JsonElement& e) {
    walked.push_back(e);
    return Status::Ok();
  });
  ParsedElements parsed;
  const Status p = ParseJsonArrayElements(text, pointer, false, false, parsed);
  REQUIRE(w.ok() == p.ok());
  if (!p.ok()) {
    CHECK(p.error().code() == ErrorCode::kParse);
    return;
  }
  REQUIRE(parsed.elements.size() == walked.size());
  for (size_t i = 0; i < walked.size(); ++i) {
    CHECK(parsed.elements[i].index == walked[i].index);
    CHECK(parsed.elements[i].byte_offset == walked[i].byte_offset);
    CHECK(parsed.elements[i].byte_length == walked[i].byte_length);
  }
  // The value at the pointer is what the elements came from.
  if (parsed.value == nullptr) {
    CHECK(walked.empty());
  } else if (parsed.value->IsArray()) {
    CHECK(parsed.value->Size() == walked.size());
  } else {
    CHECK(walked.size() == 1);
  }
}

// A random JSON value with varied spacing, escapes and nesting; names drawn from a small set so
// that pointers hit.
std::string RandomJson(std::mt19937& rng, int depth) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* spaces[] = {"", " ", "\n", " \t ", "\r\n  "};
  auto sp = [&]() { return std::string(spaces[pick(5)]); };
  const char* names[] = {"a", "entry", "list", "event", "b", "a/b", "m~n"};
  const char* scalars[] = {"0", "-1.5e3", "12345678901234567890", "true", "false", "null", "\"\"", "\"x\"",
                           "\"q\\\"uote ] }\"", "\"back\\\\slash\"", "\"\\u00e9\\ud83d\\ude00\"", "\"\xc3\xa9t\xc3\xa9\""};
  if (depth <= 0 || pick(3) == 0) return scalars[pick(12)];
  const int n = pick(4);
  std::string out;
  if (pick(2) == 0) {
    out = "[" + sp();
    for (int i = 0; i < n; ++i) out += (i ? sp() + "," + sp() : "") + RandomJson(rng, depth - 1);
    return out + sp() + "]";
  }
  out = "{" + sp();
  for (int i = 0; i < n; ++i) {
    std::string name = names[pick(7)];
    std::string key;
    for (char c : name) key += c == '/' ? std::string("/") : std::string(1, c);
    out += (i ? sp() + "," + sp() : "") + "\"" + key + "\"" + sp() + ":" + sp() + RandomJson(rng, depth - 1);
  }
  return out + sp() + "}";
}

}  // namespace

TEST_CASE("ParseJsonArrayElements finds the walker's byte ranges and builds the DOM", "[normalize][json_elements]") {
  const std::string bundle =
      "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\n \"entry\" : [ {\"fullUrl\":\"a\",\"resource\":{\"id\":1}} ,\n"
      "\t{\"fullUrl\":\"b\"},\"text\",  12.5e3 , null, true, [1, [2]] ],\"link\":[{\"relation\":\"next\"}]}";
  const std::string mirth = R"({"list":{"event":[{"id":2},{"id":1}]},"other":{"event":[{"id":9}]}})";
  const std::string nested = R"({"a":[{"b":[1,2]},{"b":[3,4,5]}]})";
  const std::string escaped = R"({"a/b":[1],"m~n":[2],"\u0071":[3],"e":[1],"e":[2,3]})";
  const std::string tricky =
      R"({"x":"] } [ {","entry":[{"s":"a \"quoted\" ] value }"},{"s":"back\\slash\\"},{"s":"\u005d\ud83d\ude00"},)"
      R"({"entry":[9]}],"after":"\"entry\":[1]"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {bundle, "/entry"}, {bundle, "/link"}, {bundle, "/missing"}, {bundle, ""}, {"[]", ""},
      {" [ {\"a\":1} , {\"b\":2} ] ", ""}, {mirth, "/list/event"}, {mirth, "/other/event"}, {nested, "/a/1/b"},
      {nested, "/a/0/b"}, {nested, "/a/2/b"}, {nested, "/a/01/b"}, {nested, "/a"}, {escaped, "/a~1b"},
      {escaped, "/m~0n"}, {escaped, "/q"}, {escaped, "/e"}, {R"({"list":{"event":{"id":457,"name":"Login"}}})", "/list/event"},
      {R"({"v":"only"})", "/v"}, {R"({"v":0})", "/v"}, {R"({"v":  -0.5e-7 })", "/v"}, {R"({"id":1})", ""},
      {R"({"list":null})", "/list/event"}, {R"({"list":""})", "/list/event"}, {R"("")", "/list/event"},
      {R"({"list":{"event":null}})", "/list/event"}, {R"({"list":{}})", "/list/event"}, {"null", ""}, {"  7  ", ""},
      {tricky, "/entry"}, {tricky, "/x"}, {tricky, "/after"},
      // Not JSON: both refuse.
      {"<html>502</html>", "/entry"}, {"{\"entry\":[1,2", "/entry"}, {"{\"entry\":[1,2]} trailing", "/entry"},
      {"{\"entry\":[1,]}", "/entry"}, {"", ""}, {"[\"a\nb\"]", ""},
      // A NUL byte after the value, and one inside a string: neither is JSON.
      {std::string("[1]\0[2]", 7), ""}, {std::string("[\"a\0b\"]", 7), ""}};
  for (const auto& [text, pointer] : cases) SameAsWalker(text, pointer);

  std::mt19937 rng(20261207);
  const char* pointers[] = {"", "/a", "/entry", "/list/event", "/a/0", "/a/1/b", "/a~1b", "/m~0n", "/0", "/b/entry"};
  for (int i = 0; i < 3000; ++i) SameAsWalker(RandomJson(rng, 5), pointers[i % 10]);

  ParsedElements parsed;
  REQUIRE(ParseJsonArrayElements(bundle, "/entry", false, true, parsed).ok());
  CHECK(std::string(parsed.doc["resourceType"].GetString()) == "Bundle");
  REQUIRE(parsed.value != nullptr);
  CHECK(parsed.value == &parsed.doc["entry"]);
  CHECK(parsed.doc["entry"][3].IsDouble());
}

TEST_CASE("ParseJsonArrayElements keeps numbers as text when asked", "[normalize][json_elements]") {
  ParsedElements parsed;
  REQUIRE(ParseJsonArrayElements(R"({"list":{"event":{"id":12345678901234567890,"t":1.50}}})", "/list/event", true, false,
                                 parsed).ok());
  REQUIRE(parsed.elements.size() == 1);
  REQUIRE(parsed.value != nullptr);
  REQUIRE((*parsed.value)["id"].IsString());
  CHECK(std::string((*parsed.value)["id"].GetString()) == "12345678901234567890");
  CHECK(std::string((*parsed.value)["t"].GetString()) == "1.50");
}

TEST_CASE("ParseJsonArrayElements checks UTF-8 only when strict, and refuses deep nesting", "[normalize][json_elements]") {
  ParsedElements parsed;
  const std::string latin1 = "{\"entry\":[\"caf\xe9\"]}";
  CHECK(ParseJsonArrayElements(latin1, "/entry", false, false, parsed).ok());
  CHECK(parsed.elements.size() == 1);
  Status s = ParseJsonArrayElements(latin1, "/entry", false, true, parsed);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kParse);
  CHECK(s.error().message().find("UTF-8") != std::string::npos);
  // A lone low surrogate escape decodes to bytes that are not UTF-8 (RapidJSON itself refuses a
  // lone high one): refused when strict, in a key too.
  for (const char* lone : {R"({"entry":["\udc00"]})", R"({"entry":[{"\udc00":1}]})"}) {
    CAPTURE(lone);
    CHECK(ParseJsonArrayElements(lone, "/entry", false, false, parsed).ok());
    s = ParseJsonArrayElements(lone, "/entry", false, true, parsed);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message().find("lone surrogate") != std::string::npos);
  }
  // A surrogate pair is one code point: fine.
  CHECK(ParseJsonArrayElements(R"({"entry":["\ud83d\ude00"]})", "/entry", false, true, parsed).ok());
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  s = ParseJsonArrayElements(deep, "", false, false, parsed);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("nesting deeper than 512") != std::string::npos);
  CHECK(parsed.value == nullptr);
  CHECK(parsed.elements.empty());
}
