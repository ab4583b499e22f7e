// ParseJsonArrayElements: the DOM of a page and the exact byte ranges of the elements of the array
// at a JSON pointer, Mirth's one-element collapsing, absent lists and text that is not JSON. The
// ranges are checked against facts found independently of the tracker: hand-written offsets, the
// bytes between neighbours (only spaces and one comma), each element's bytes parsed on their own,
// and RapidJSON's own parse and JSON pointer over the whole text.

#include <catch2/catch.hpp>

#include <rapidjson/pointer.h>

#include <random>
#include <string>
#include <vector>

#include "normalize/json_elements.h"

using namespace custody::normalize;
using custody::ErrorCode;
using custody::Status;

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// The first byte before `at` that is not JSON whitespace; '\0' when there is none.
char PreviousNonSpace(std::string_view text, size_t at) {
  while (at > 0 && IsJsonSpace(text[at - 1])) --at;
  return at == 0 ? '\0' : text[at - 1];
}

// The first byte from `at` on that is not JSON whitespace; '\0' when there is none.
char NextNonSpace(std::string_view text, size_t at) {
  while (at < text.size() && IsJsonSpace(text[at])) ++at;
  return at == text.size() ? '\0' : text[at];
}

// The same JSON value, member by member in order (RapidJSON's own == looks members up by name, so
// it calls two equal objects with a repeated name different), numbers of the same kind.
bool Same(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.GetType() != b.GetType()) return false;
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) return false;
    for (auto x = a.MemberBegin(), y = b.MemberBegin(); x != a.MemberEnd(); ++x, ++y) {
      if (!Same(x->name, y->name) || !Same(x->value, y->value)) return false;
    }
    return true;
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) return false;
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.IsString()) {
    return std::string_view(a.GetString(), a.GetStringLength()) == std::string_view(b.GetString(), b.GetStringLength());
  }
  if (a.IsNumber()) {
    if (a.IsInt64() != b.IsInt64() || a.IsUint64() != b.IsUint64() || a.IsDouble() != b.IsDouble()) return false;
    if (a.IsUint64()) return a.GetUint64() == b.GetUint64();
    if (a.IsInt64()) return a.GetInt64() == b.GetInt64();
    return a.GetDouble() == b.GetDouble();
  }
  return a == b;  // true, false, null: the type says it all
}

// What a successful parse must satisfy, whatever the tracker did: the whole-text DOM is the one
// RapidJSON builds on its own, value is what RapidJSON's own JSON pointer finds there, and the
// elements are exactly the values of that array (or the lone value), in order, each one's bytes
// parsing on their own to that value, with nothing but spaces and one comma between neighbours.
void CheckIndependently(std::string_view text, std::string_view pointer, bool numbers_as_strings,
                        const ParsedElements& parsed) {
  rapidjson::Document whole;
  if (numbers_as_strings) {
    whole.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.data(), text.size());
  } else {
    whole.Parse(text.data(), text.size());
  }
  REQUIRE_FALSE(whole.HasParseError());
  CHECK(Same(parsed.doc, whole));

  const rapidjson::Pointer rfc6901(pointer.data(), pointer.size());
  REQUIRE(rfc6901.IsValid());
  const rapidjson::Value* expected = rfc6901.Get(whole);
  std::vector<const rapidjson::Value*> expected_elements;  // in whole
  if (expected == nullptr || expected->IsNull()) {
    CHECK(parsed.value == nullptr);
  } else {
    REQUIRE(parsed.value != nullptr);
    CHECK(Same(*parsed.value, *expected));
    if (expected->IsArray()) {
      for (const rapidjson::Value& v : expected->GetArray()) expected_elements.push_back(&v);
    } else {
      expected_elements.push_back(expected);  // Mirth's collapsing: the value itself
    }
  }
  REQUIRE(parsed.elements.size() == expected_elements.size());

  for (size_t i = 0; i < parsed.elements.size(); ++i) {
    const JsonElement& e = parsed.elements[i];
    CAPTURE(i, e.byte_offset, e.byte_length);
    CHECK(e.index == i);
    REQUIRE(e.byte_length > 0);
    REQUIRE(e.byte_offset + e.byte_length <= text.size());
    const std::string_view bytes = text.substr(e.byte_offset, e.byte_length);
    CHECK_FALSE(IsJsonSpace(bytes.front()));
    CHECK_FALSE(IsJsonSpace(bytes.back()));
    rapidjson::Document alone;
    if (numbers_as_strings) {
      alone.Parse<rapidjson::kParseNumbersAsStringsFlag>(bytes.data(), bytes.size());
    } else {
      alone.Parse(bytes.data(), bytes.size());
    }
    REQUIRE_FALSE(alone.HasParseError());
    CHECK(Same(alone, *expected_elements[i]));
    if (!expected->IsArray()) continue;
    // Inside the array: '[' before the first, ']' after the last, and between neighbours nothing
    // but spaces and exactly one comma (so the ranges increase and do not overlap).
    if (i == 0) CHECK(PreviousNonSpace(text, e.byte_offset) == '[');
    if (i + 1 == parsed.elements.size()) CHECK(NextNonSpace(text, e.byte_offset + e.byte_length) == ']');
    if (i > 0) {
      const JsonElement& before = parsed.elements[i - 1];
      REQUIRE(before.byte_offset + before.byte_length < e.byte_offset);
      const std::string_view between =
          text.substr(before.byte_offset + before.byte_length, e.byte_offset - before.byte_offset - before.byte_length);
      size_t commas = 0;
      for (char c : between) {
        if (c == ',') {
          ++commas;
        } else {
          CHECK(IsJsonSpace(c));
        }
      }
      CHECK(commas == 1);
    }
  }
}

// Parses (numbers as RapidJSON reads them, in situ, UTF-8 unchecked), requires success, checks
// the result independently and returns the element texts in order.
std::vector<std::string> Elements(std::string_view text, std::string_view pointer) {
  ParsedElements parsed;
  const Status s = ParseJsonArrayElements(text, pointer, false, false, parsed);
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  CHECK_FALSE(parsed.error_offset);
  CheckIndependently(text, pointer, false, parsed);
  std::vector<std::string> out;
  for (const JsonElement& e : parsed.elements) out.emplace_back(text.substr(e.byte_offset, e.byte_length));
  return out;
}

// The (offset, length) pairs of the elements.
std::vector<std::pair<std::uint64_t, std::uint64_t>> Ranges(std::string_view text, std::string_view pointer) {
  ParsedElements parsed;
  REQUIRE(ParseJsonArrayElements(text, pointer, false, false, parsed).ok());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const JsonElement& e : parsed.elements) out.emplace_back(e.byte_offset, e.byte_length);
  return out;
}

// A refusal: kParse, where, and nothing handed out.
Status Refused(std::string_view text, std::string_view pointer) {
  ParsedElements parsed;
  const Status s = ParseJsonArrayElements(text, pointer, false, false, parsed);
  if (s.ok()) return s;
  CHECK(s.error().code() == ErrorCode::kParse);
  CHECK(parsed.elements.empty());
  CHECK(parsed.value == nullptr);
  CHECK(parsed.doc.IsNull());
  REQUIRE(parsed.error_offset);
  CHECK(*parsed.error_offset <= text.size());
  CHECK_THAT(s.error().message(), Catch::Contains("byte offset " + std::to_string(*parsed.error_offset)));
  return s;
}

}  // namespace

TEST_CASE("ParseJsonArrayElements gives the exact bytes of each element", "[normalize][json_elements]") {
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

TEST_CASE("ParseJsonArrayElements finds hand-counted offsets", "[normalize][json_elements]") {
  using R = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  CHECK(Ranges(" [ {\"a\":1} , {\"b\":2} ] ", "") == R{{3, 7}, {13, 7}});
  CHECK(Ranges("{\"e\":[1,\"two\" ,\t[3], {\"f\":4},null]}", "/e") == R{{6, 1}, {8, 5}, {16, 3}, {21, 7}, {29, 4}});
  CHECK(Ranges(R"({"list":{"event":{"id":7}}})", "/list/event") == R{{17, 8}});
  CHECK(Ranges("\r\n{\"id\":1}\t", "") == R{{2, 8}});
  CHECK(Ranges(R"({"a":[[1,2],[3]]})", "/a/1") == R{{13, 1}});
  // Containers as elements, deep down.
  CHECK(Ranges(R"({"a":[{"b":[[1], {"c":[2]}]}]})", "/a/0/b") == R{{12, 3}, {17, 9}});
  CHECK(Ranges(R"({"a":[{"b":{"c":[{"d":[[]]}]}}]})", "/a/0/b/c") == R{{17, 10}});
  // Multi-byte UTF-8 counts as bytes: "é" is two.
  CHECK(Ranges("[\"\xC3\xA9\",1]", "") == R{{1, 4}, {6, 1}});
}

TEST_CASE("ParseJsonArrayElements follows nested pointers and array indexes", "[normalize][json_elements]") {
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
  CHECK(Refused(R"({"e":[1],"e":[2,)", "/e").error().code() == ErrorCode::kParse);
}

TEST_CASE("ParseJsonArrayElements treats a single value as a one-element array", "[normalize][json_elements]") {
  // Mirth's XML-to-JSON conversion collapses a one-item list into the item.
  const std::string one = R"({"list":{"event":{"id":457,"name":"Login"}}})";
  CHECK(Elements(one, "/list/event") == std::vector<std::string>{R"({"id":457,"name":"Login"})"});
  CHECK(Elements(R"({"v":"only"})", "/v") == std::vector<std::string>{R"("only")"});
  CHECK(Elements(R"({"v":0})", "/v") == std::vector<std::string>{"0"});
  CHECK(Elements(R"({"v":  -0.5e-7 })", "/v") == std::vector<std::string>{"-0.5e-7"});
  CHECK(Elements(R"({"id":1})", "") == std::vector<std::string>{R"({"id":1})"});
  CHECK(Elements("  7  ", "") == std::vector<std::string>{"7"});
}

TEST_CASE("ParseJsonArrayElements gives no elements for absent or null lists", "[normalize][json_elements]") {
  CHECK(Elements(R"({"list":null})", "/list/event").empty());
  CHECK(Elements(R"({"list":""})", "/list/event").empty());  // Mirth's other empty list
  CHECK(Elements(R"("")", "/list/event").empty());
  CHECK(Elements(R"({"list":{"event":null}})", "/list/event").empty());
  CHECK(Elements(R"({"list":{}})", "/list/event").empty());
  CHECK(Elements(R"({"resourceType":"Bundle","total":0})", "/entry").empty());
  CHECK(Elements("null", "").empty());
}

TEST_CASE("ParseJsonArrayElements is not fooled by brackets and escapes in strings", "[normalize][json_elements]") {
  const std::string tricky =
      R"({"x":"] } [ {","entry":[{"s":"a \"quoted\" ] value }"},{"s":"back\\slash\\"},{"s":"\u005d\ud83d\ude00"},)"
      R"({"entry":[9]}],"after":"\"entry\":[1]"})";
  const auto e = Elements(tricky, "/entry");
  REQUIRE(e.size() == 4);
  CHECK(e[0] == R"({"s":"a \"quoted\" ] value }"})");
  CHECK(e[1] == R"({"s":"back\\slash\\"})");
  CHECK(e[2] == R"({"s":"\u005d\ud83d\ude00"})");
  CHECK(e[3] == R"({"entry":[9]})");
  CHECK(Elements(tricky, "/x") == std::vector<std::string>{R"("] } [ {")"});
  CHECK(Elements(tricky, "/after") == std::vector<std::string>{R"("\"entry\":[1]")"});
  // Multi-byte UTF-8 counts as bytes.
  const std::string utf8 = "{\"entry\":[\"\xC3\xA9t\xC3\xA9\",{\"n\":\"\xE2\x82\xAC\"}]}";
  CHECK(Elements(utf8, "/entry") == std::vector<std::string>{"\"\xC3\xA9t\xC3\xA9\"", "{\"n\":\"\xE2\x82\xAC\"}"});
}

TEST_CASE("ParseJsonArrayElements refuses text that is not JSON and says where", "[normalize][json_elements]") {
  ParsedElements parsed;
  // A good page first: a refusal afterwards must not leave any of it behind.
  REQUIRE(ParseJsonArrayElements(R"({"entry":[1,2]})", "/entry", false, false, parsed).ok());
  REQUIRE(parsed.elements.size() == 2);
  const Status html = ParseJsonArrayElements("<html><body>400 Bad Request</body></html>", "/list/event", false, false, parsed);
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().code() == ErrorCode::kParse);
  CHECK_THAT(html.error().message(), Catch::Contains("byte offset 0"));
  CHECK(parsed.error_offset == 0u);
  CHECK(parsed.elements.empty());
  CHECK(parsed.value == nullptr);
  CHECK(parsed.doc.IsNull());
  // A body cut short: no element is handed out, even those before the cut.
  const std::string cut = R"({"entry":[{"id":1},{"id":2},{"id":)";
  const Status truncated = Refused(cut, "/entry");
  REQUIRE_FALSE(truncated.ok());
  CHECK(parsed.error_offset);
  const Status after = Refused(R"({"entry":[{"id":1}]} trailing)", "/entry");
  REQUIRE_FALSE(after.ok());
  CHECK_THAT(after.error().message(), Catch::Contains("byte offset 21"));
  // RapidJSON reads a NUL byte as the end of the text; a NUL after the value or inside a string
  // is refused all the same, where it is.
  const Status nul_after = Refused(std::string("[1]\0[2]", 7), "");
  REQUIRE_FALSE(nul_after.ok());
  CHECK_THAT(nul_after.error().message(), Catch::Contains("byte offset 3: a NUL byte"));
  const Status nul_inside = Refused(std::string("[\"a\0b\"]", 7), "");
  REQUIRE_FALSE(nul_inside.ok());
  CHECK_THAT(nul_inside.error().message(), Catch::Contains("byte offset 3"));

  for (const char* bad : {"", "   ", R"({"a":1,})", R"({"a" 1})", R"([1 2])", R"({"a":01})", R"({"a":1.})",
                          R"({"a":-})", R"({"a":"\x"})", "{\"a\":\"tab\there\"}", R"({"a":tru})", R"({'a':1})",
                          R"({"a":[1,]})", R"({"a":"\u12G4"})", R"({"a":"unterminated)", R"({"a":NaN})",
                          R"({"a":[1]}})", R"({"a":[1}})", "[\"a\nb\"]"}) {
    INFO(bad);
    CHECK_FALSE(Refused(bad, "/a").ok());
  }
  const Status deep = Refused(std::string(10000, '[') + std::string(10000, ']'), "");
  REQUIRE_FALSE(deep.ok());
  CHECK_THAT(deep.error().message(), Catch::Contains("nesting deeper than 512"));
  // 512 levels are fine, 513 are not.
  CHECK(Elements(std::string(512, '[') + std::string(512, ']'), "").size() == 1);
  CHECK_FALSE(Refused(std::string(513, '[') + std::string(513, ']'), "").ok());
}

TEST_CASE("ParseJsonArrayElements refuses a malformed pointer without reading the text", "[normalize][json_elements]") {
  ParsedElements parsed;
  REQUIRE(ParseJsonArrayElements("[1]", "", false, false, parsed).ok());
  for (const char* pointer : {"entry", "/a~2", "/a~"}) {
    CAPTURE(pointer);
    // The text is not JSON either: the pointer is what is refused.
    const Status s = ParseJsonArrayElements("<html>", pointer, false, false, parsed);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInvalidArgument);
    CHECK_FALSE(parsed.error_offset);
    CHECK(parsed.elements.empty());
    CHECK(parsed.doc.IsNull());
  }
}

TEST_CASE("ParseJsonArrayElements finds every element of a large list", "[normalize][json_elements]") {
  // 200,000 Mirth-shaped events: offsets must line up with the text exactly.
  std::string text = R"({"list":{"event":[)";
  constexpr int kCount = 200000;
  for (int i = 0; i < kCount; ++i) {
    if (i > 0) text += i % 3 == 0 ? ",\n " : ",";
    text += R"({"id":)" + std::to_string(i) +
            R"(,"eventTime":{"time":1706792105485,"timezone":"UTC"},"attributes":{"entry":{"string":["k","v\n"]}}})";
  }
  text += "]}}";
  ParsedElements parsed;
  const Status s = ParseJsonArrayElements(text, "/list/event", false, false, parsed);
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  REQUIRE(parsed.elements.size() == kCount);
  REQUIRE(parsed.value != nullptr);
  REQUIRE(parsed.value->Size() == kCount);
  std::uint64_t last_end = 0;
  int bad = 0;
  for (const JsonElement& e : parsed.elements) {
    const std::string head = "{\"id\":" + std::to_string(e.index) + ",";
    const bool ok = e.byte_offset > last_end && text.compare(e.byte_offset, head.size(), head) == 0 &&
                    text.compare(e.byte_offset + e.byte_length - 3, 3, "}}}") == 0 &&
                    (text[e.byte_offset + e.byte_length] == ',' || text[e.byte_offset + e.byte_length] == ']') &&
                    (*parsed.value)[static_cast<rapidjson::SizeType>(e.index)]["id"].GetInt64() ==
                        static_cast<std::int64_t>(e.index);
    if (!ok) ++bad;
    last_end = e.byte_offset + e.byte_length;
  }
  CHECK(bad == 0);
  CHECK(last_end == text.size() - 3);
}

// RapidJSON's string scan and the tracker's offsets: a quote, a backslash or a control byte must
// be handled wherever it falls in a string.
TEST_CASE("ParseJsonArrayElements finds quotes, escapes and control bytes at every offset", "[normalize][json_elements]") {
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
    // A raw control byte or line feed inside a string is not JSON; the refusal points at it.
    for (char bad : {'\x01', '\n', '\x1f'}) {
      const Status s = Refused("[\"" + before + std::string(1, bad) + after + "\"]", "");
      REQUIRE_FALSE(s.ok());
      CHECK_THAT(s.error().message(), Catch::Contains("byte offset " + std::to_string(2 + at) + ":"));
    }
    // Bytes above 0x7F are plain string bytes.
    const std::string utf8 = "\"" + before + "\xc3\xa9" + after + "\"";
    CHECK(Elements("[" + utf8 + "]", "") == std::vector<std::string>{utf8});
  }
}

namespace {

// A random JSON value with varied spacing, escapes and nesting; names drawn from a small set so
// that pointers hit (and repeat within an object).
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
    out += (i ? sp() + "," + sp() : "") + "\"" + names[pick(7)] + "\"" + sp() + ":" + sp() + RandomJson(rng, depth - 1);
  }
  return out + sp() + "}";
}

void CheckBothWays(const std::string& text, const std::string& pointer) {
  CAPTURE(text, pointer);
  for (bool numbers_as_strings : {false, true}) {
    CAPTURE(numbers_as_strings);
    ParsedElements parsed;
    const Status s = ParseJsonArrayElements(text, pointer, numbers_as_strings, false, parsed);
    INFO((s.ok() ? std::string() : s.error().message()));
    REQUIRE(s.ok());
    CheckIndependently(text, pointer, numbers_as_strings, parsed);
  }
}

}  // namespace

TEST_CASE("ParseJsonArrayElements agrees with RapidJSON's own parse and JSON pointer", "[normalize][json_elements]") {
  const std::string bundle =
      "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\n \"entry\" : [ {\"fullUrl\":\"a\",\"resource\":{\"id\":1}} ,\n"
      "\t{\"fullUrl\":\"b\"},\"text\",  12.5e3 , null, true, [1, [2]] ],\"link\":[{\"relation\":\"next\"}]}";
  const std::string mirth = R"({"list":{"event":[{"id":2},{"id":1}]},"other":{"event":[{"id":9}]}})";
  const std::string nested = R"({"a":[{"b":[1,2]},{"b":[3,4,5]}]})";
  const std::string escaped = R"({"a/b":[1],"m~n":[2],"\u0071":[3],"e":[1],"e":[2,3]})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {bundle, "/entry"}, {bundle, "/link"}, {bundle, "/missing"}, {bundle, ""}, {"[]", ""},
      {" [ {\"a\":1} , {\"b\":2} ] ", ""}, {mirth, "/list/event"}, {mirth, "/other/event"}, {nested, "/a/1/b"},
      {nested, "/a/0/b"}, {nested, "/a/2/b"}, {nested, "/a/01/b"}, {nested, "/a"}, {escaped, "/a~1b"},
      {escaped, "/m~0n"}, {escaped, "/q"}, {escaped, "/e"}, {R"({"list":{"event":{"id":457,"name":"Login"}}})", "/list/event"},
      {R"({"v":"only"})", "/v"}, {R"({"v":0})", "/v"}, {R"({"v":  -0.5e-7 })", "/v"}, {R"({"id":1})", ""},
      {R"({"list":null})", "/list/event"}, {R"({"list":""})", "/list/event"}, {R"("")", "/list/event"},
      {R"({"list":{"event":null}})", "/list/event"}, {R"({"list":{}})", "/list/event"}, {"null", ""}, {"  7  ", ""},
      {R"({"a":[{"b":[[1], {"c":[2]}, "x", [[{}]]]}]})", "/a/0/b"}, {R"({"a":[{"b":{"c":[{"d":[[]]}]}}]})", "/a/0/b/c"}};
  for (const auto& [text, pointer] : cases) CheckBothWays(text, pointer);

  std::mt19937 rng(20261207);
  const char* pointers[] = {"", "/a", "/entry", "/list/event", "/a/0", "/a/1/b", "/a~1b", "/m~0n", "/0", "/b/entry"};
  for (int i = 0; i < 3000; ++i) CheckBothWays(RandomJson(rng, 5), pointers[i % 10]);

  ParsedElements parsed;
  REQUIRE(ParseJsonArrayElements(bundle, "/entry", false, true, parsed).ok());
  CHECK(std::string(parsed.doc["resourceType"].GetString()) == "Bundle");
  REQUIRE(parsed.value != nullptr);
  CHECK(parsed.value == &parsed.doc["entry"]);
  CHECK(parsed.doc["entry"][3].IsDouble());
}

TEST_CASE("ParseJsonArrayElements keeps numbers as text when asked", "[normalize][json_elements]") {
  ParsedElements parsed;
  const std::string text = R"({"list":{"event":{"id":12345678901234567890,"t":1.50}}})";
  REQUIRE(ParseJsonArrayElements(text, "/list/event", true, false, parsed).ok());
  REQUIRE(parsed.elements.size() == 1);
  CHECK(parsed.elements[0].byte_offset == 17);
  CHECK(parsed.elements[0].byte_length == text.size() - 19);
  REQUIRE(parsed.value != nullptr);
  REQUIRE((*parsed.value)["id"].IsString());
  CHECK(std::string((*parsed.value)["id"].GetString()) == "12345678901234567890");
  CHECK(std::string((*parsed.value)["t"].GetString()) == "1.50");
  CheckIndependently(text, "/list/event", true, parsed);
  // Without: numbers as RapidJSON reads them.
  REQUIRE(ParseJsonArrayElements(text, "/list/event", false, false, parsed).ok());
  CHECK((*parsed.value)["id"].IsUint64());
  CHECK((*parsed.value)["t"].IsDouble());
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
  CHECK_FALSE(parsed.error_offset);  // the text as a whole is refused
  CHECK(parsed.elements.empty());
  CHECK(parsed.doc.IsNull());
  // A lone low surrogate escape decodes to bytes that are not UTF-8 (RapidJSON itself refuses a
  // lone high one): refused when strict, in a key too.
  for (const char* lone : {R"({"entry":["\udc00"]})", R"({"entry":[{"\udc00":1}]})"}) {
    CAPTURE(lone);
    CHECK(ParseJsonArrayElements(lone, "/entry", false, false, parsed).ok());
    s = ParseJsonArrayElements(lone, "/entry", false, true, parsed);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message().find("lone surrogate") != std::string::npos);
    CHECK(parsed.error_offset);
  }
  // A surrogate pair is one code point: fine.
  CHECK(ParseJsonArrayElements(R"({"entry":["\ud83d\ude00"]})", "/entry", false, true, parsed).ok());
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (bool numbers_as_strings : {false, true}) {
    s = ParseJsonArrayElements(deep, "", numbers_as_strings, false, parsed);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message().find("nesting deeper than 512") != std::string::npos);
    CHECK(parsed.error_offset == 513u);  // just after the 513th '['
    CHECK(parsed.value == nullptr);
    CHECK(parsed.elements.empty());
  }
}
