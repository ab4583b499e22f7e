// core/encoding: hex, strict base64 (RFC 4648) and UTF-8 validation.

#include "core/encoding.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace custody;

namespace {
std::vector<std::uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("ToHex writes two lower-case digits a byte", "[core]") {
  CHECK(ToHex({}).empty());
  const std::vector<std::uint8_t> bytes{0x00, 0x0f, 0xf0, 0xff, 0xa5};
  CHECK(ToHex(bytes) == "000ff0ffa5");
  CHECK(ToHex(AsBytes("abc")) == "616263");
}

TEST_CASE("IsLowerHex wants exactly the length and only 0-9a-f", "[core]") {
  CHECK(IsLowerHex("0123456789abcdef", 16));
  CHECK_FALSE(IsLowerHex("0123456789abcdef", 15));
  CHECK_FALSE(IsLowerHex("0123456789ABCDEF", 16));
  CHECK_FALSE(IsLowerHex("0123456789abcdeg", 16));
  CHECK(IsLowerHex("", 0));
}

TEST_CASE("base64 matches the RFC 4648 test vectors both ways", "[core]") {
  auto [plain, encoded] = GENERATE(table<std::string, std::string>({
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  }));
  CAPTURE(plain);
  CHECK(Base64Encode(AsBytes(plain)) == encoded);
  auto decoded = Base64Decode(encoded);
  REQUIRE(decoded);
  CHECK(*decoded == Bytes(plain));
}

TEST_CASE("base64 round-trips every byte value at every padding length", "[core]") {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  for (size_t trim = 0; trim < 3; ++trim) {
    std::vector<std::uint8_t> bytes(all.begin(), all.end() - static_cast<std::ptrdiff_t>(trim));
    std::string text = Base64Encode(bytes);
    CHECK(text.size() % 4 == 0);
    auto back = Base64Decode(text);
    REQUIRE(back);
    CHECK(*back == bytes);
  }
}

TEST_CASE("strict base64 refuses anything but the canonical padded encoding", "[core]") {
  std::string text = GENERATE(as<std::string>{},
                              "Zg",          // missing padding
                              "Zg=",         // short padding
                              "Zm9",         // length not a multiple of 4
                              "Zm9v\n",      // a line break
                              "Zm 9v",       // a space
                              " Zm9v",       // leading whitespace
                              "Zm9v====",    // a group of padding only
                              "=Zm9",        // padding first
                              "Z===",        // three padding characters
                              "Zg==Zm9v",    // data after padding
                              "Zm=v",        // padding in the middle of a group
                              "Zm-v",        // base64url alphabet
                              "Zm_v",        // base64url alphabet
                              "Zh==",        // non-zero bits under the padding ("f" is "Zg==")
                              "Zm9=");       // non-zero bits under the padding ("fo" is "Zm8=")
  CAPTURE(text);
  CHECK_FALSE(Base64Decode(text));
}

TEST_CASE("strict base64 refuses an embedded NUL", "[core]") {
  CHECK_FALSE(Base64Decode(std::string("Zm9v\0\0\0\0", 8)));
  CHECK_FALSE(Base64Decode(std::string("Zm\0v", 4)));
}

TEST_CASE("valid UTF-8 is accepted, including the extremes of each length", "[core]") {
  std::string text = GENERATE(as<std::string>{},
                              "",
                              "plain ASCII",
                              "\x7f",                  // DEL is a valid code point
                              "\xc2\x80",              // U+0080, the smallest two-byte
                              "Z\xc3\xab notes",       // Zoë
                              "\xdf\xbf",              // U+07FF
                              "\xe0\xa0\x80",          // U+0800, the smallest three-byte
                              "\xe2\x82\xac",          // €
                              "\xed\x9f\xbf",          // U+D7FF, just below the surrogates
                              "\xee\x80\x80",          // U+E000, just above them
                              "\xef\xbf\xbf",          // U+FFFF
                              "\xf0\x90\x80\x80",      // U+10000, the smallest four-byte
                              "\xf0\x9f\x98\x80",      // 😀
                              "\xf4\x8f\xbf\xbf");     // U+10FFFF, the largest
  CAPTURE(text);
  CHECK(IsValidUtf8(text));
}

TEST_CASE("an embedded NUL is valid UTF-8", "[core]") { CHECK(IsValidUtf8(std::string("a\0b", 3))); }

TEST_CASE("overlongs, surrogates, truncated and stray bytes are not UTF-8", "[core]") {
  std::string text = GENERATE(as<std::string>{},
                              "\xc0\x80",              // overlong NUL
                              "\xc1\xbf",              // overlong U+007F
                              "\xe0\x80\x80",          // overlong NUL, three bytes
                              "\xe0\x9f\xbf",          // overlong U+07FF
                              "\xf0\x80\x80\x80",      // overlong NUL, four bytes
                              "\xf0\x8f\xbf\xbf",      // overlong U+FFFF
                              "\xed\xa0\x80",          // U+D800, a high surrogate
                              "\xed\xbf\xbf",          // U+DFFF, a low surrogate
                              "\xed\xa0\xbd\xed\xb8\x80",  // a surrogate pair in CESU-8
                              "\xf4\x90\x80\x80",      // U+110000, beyond Unicode
                              "\xf5\x80\x80\x80",      // lead byte F5
                              "\xf8\x88\x80\x80\x80",  // five-byte form
                              "\xfe",                  // never valid
                              "\xff",                  // never valid
                              "\x80",                  // a lone continuation byte
                              "a\xbf" "b",             // a continuation byte between letters
                              "\xc3",                  // truncated two-byte at the end
                              "\xe2\x82",              // truncated three-byte at the end
                              "\xf0\x9f\x98",          // truncated four-byte at the end
                              "\xc3" "A",              // a lead byte followed by ASCII
                              "\xe2\x82" "A",          // a short three-byte followed by ASCII
                              "ok\xf0\x9f\x98\x80\xf0\x9f");  // good, then truncated
  CAPTURE(text);
  CHECK_FALSE(IsValidUtf8(text));
}

// IsValidUtf8 skips ASCII eight bytes at a time: a bad or multi-byte sequence must be seen at
// every position relative to those words, including the very last bytes.
TEST_CASE("IsValidUtf8 finds a bad byte at every offset of a long ASCII text", "[core]") {
  for (size_t length : {1u, 7u, 8u, 9u, 15u, 16u, 17u, 40u}) {
    for (size_t at = 0; at < length; ++at) {
      std::string text(length, 'a');
      text[at] = '\xff';
      CAPTURE(length, at);
      CHECK_FALSE(IsValidUtf8(text));
      text[at] = '\x80';  // a lone continuation byte
      CHECK_FALSE(IsValidUtf8(text));
      text[at] = '\0';  // NUL is ASCII
      CHECK(IsValidUtf8(text));
    }
    for (size_t at = 0; at + 2 <= length; ++at) {
      std::string text(length, 'a');
      text.replace(at, 2, "\xc3\xa9");  // é
      CAPTURE(length, at);
      CHECK(IsValidUtf8(text));
      if (at + 3 <= length) {
        std::string cut = text;
        cut[at + 1] = 'x';  // the lead byte followed by ASCII
        CHECK_FALSE(IsValidUtf8(cut));
      }
    }
    std::string truncated(length, 'a');
    truncated += "\xe2\x82";  // a three-byte form cut short at the very end
    CAPTURE(length);
    CHECK_FALSE(IsValidUtf8(truncated));
  }
}

TEST_CASE("HasJsonSpecialByte8 matches quotes, backslashes and control bytes at each of eight places", "[core]") {
  for (int at = 0; at < 8; ++at) {
    for (int b = 0; b < 256; ++b) {
      char word[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
      word[at] = static_cast<char>(b);
      const bool special = b == '"' || b == '\\' || b < 0x20;
      CAPTURE(at, b);
      CHECK(custody::HasJsonSpecialByte8(word) == special);
    }
  }
  CHECK_FALSE(custody::HasJsonSpecialByte8("\xc3\xa9\xe2\x82\xac\x7f /"));  // UTF-8, DEL and '/' are plain
}
