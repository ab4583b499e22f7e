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
