#include "http/transport.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

using custody::ErrorCode;
using custody::http::CheckUrlPolicy;
using custody::http::FindHeader;
using custody::http::Headers;
using custody::http::Origin;
using custody::http::ResponseHead;
using custody::http::StringSink;
using custody::http::UrlEncode;

namespace {

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("FindHeader matches names case-insensitively and returns the first of duplicates", "[http]") {
  const Headers headers = {{"Content-Type", "text/plain"}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}, {"X-Empty", ""}};
  CHECK(FindHeader(headers, "content-type") == "text/plain");
  CHECK(FindHeader(headers, "CONTENT-TYPE") == "text/plain");
  CHECK(FindHeader(headers, "Set-Cookie") == "a=1");
  CHECK(FindHeader(headers, "x-empty") == "");
  CHECK_FALSE(FindHeader(headers, "Content-Length").has_value());
  CHECK_FALSE(FindHeader(headers, "Content-Typ").has_value());
  CHECK_FALSE(FindHeader({}, "anything").has_value());
}

TEST_CASE("StringSink keeps the head and the whole body up to its cap", "[http]") {
  StringSink sink(10);
  ResponseHead head;
  head.status = 200;
  head.reason = "OK";
  head.headers = {{"A", "1"}};
  REQUIRE(sink.OnHead(head).ok());
  REQUIRE(sink.OnBody(Bytes("01234")).ok());
  REQUIRE(sink.OnBody(Bytes("56789")).ok());  // exactly at the cap
  CHECK(sink.body() == "0123456789");
  CHECK(sink.head().status == 200);
  CHECK(sink.head().headers == head.headers);
}

TEST_CASE("StringSink refuses a body over its cap with a kRemote error naming the cap and never truncates",
          "[http]") {
  StringSink sink(10);
  REQUIRE(sink.OnHead(ResponseHead{}).ok());
  REQUIRE(sink.OnBody(Bytes("0123456")).ok());
  const auto over = sink.OnBody(Bytes("7890"));
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().code() == ErrorCode::kRemote);
  CHECK(over.error().message().find("10") != std::string::npos);
  CHECK(sink.body() == "0123456");  // nothing of the refused chunk was kept

  StringSink zero(0);
  REQUIRE(zero.OnHead(ResponseHead{}).ok());
  CHECK(zero.OnBody({}).ok());
  CHECK_FALSE(zero.OnBody(Bytes("x")).ok());
}

TEST_CASE("StringSink starts a fresh body when a new head arrives", "[http]") {
  StringSink sink;
  REQUIRE(sink.OnHead(ResponseHead{}).ok());
  REQUIRE(sink.OnBody(Bytes("first")).ok());
  ResponseHead again;
  again.status = 503;
  REQUIRE(sink.OnHead(again).ok());
  CHECK(sink.body().empty());
  CHECK(sink.head().status == 503);
}

TEST_CASE("CheckUrlPolicy allows https anywhere and plain http only to loopback", "[http][policy]") {
  for (const char* url : {"https://example.my.salesforce.com/services/data/", "https://192.0.2.1/", "HTTPS://Example.COM",
                          "https://[2001:db8::1]:8443/x?y#z", "http://127.0.0.1/", "http://127.0.0.1:8080/a?b",
                          "http://127.255.3.4:1", "http://localhost/", "http://LOCALHOST:9", "http://[::1]/",
                          "http://[::1]:5000/services", "HTTP://127.0.0.1"}) {
    INFO(url);
    CHECK(CheckUrlPolicy(url).ok());
  }
}

TEST_CASE("CheckUrlPolicy refuses other schemes, non-loopback http and ambiguous hosts with kInvalidArgument",
          "[http][policy]") {
  for (const char* url : {"http://192.0.2.1/", "http://example.com/", "http://10.0.0.1:80/", "http://128.0.0.1/",
                          "http://[::2]/", "http://[::ffff:127.0.0.1]/", "ftp://127.0.0.1/", "file:///etc/passwd",
                          "gopher://localhost/", "ldap://127.0.0.1/", "127.0.0.1/path", "//127.0.0.1/",
                          "", "https://", "http:///path",
                          // Spellings some parsers read as loopback and others as something else.
                          "http://127.1/", "http://0177.0.0.1/", "http://127.0.0.01/", "http://0x7f.0.0.1/",
                          "http://127.0.0.1.example.com/", "http://localhost.evil.example/", "http://localhost./",
                          "http://127.0.0.1 .example.com/", "http://127.0.0.1\\@example.com/",
                          "http://127.0.0.1:80x/", "http://127.0.0.256/"}) {
    INFO(url);
    const auto status = CheckUrlPolicy(url);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == ErrorCode::kInvalidArgument);
  }
  const auto refused = CheckUrlPolicy("http://192.0.2.1/services");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message().find("http://192.0.2.1/services") != std::string::npos);
}

TEST_CASE("CheckUrlPolicy refuses user information in a URL without echoing it", "[http][policy]") {
  for (const char* url : {"https://user:hunter2@example.com/", "http://evil.example@127.0.0.1/",
                          "http://127.0.0.1:1@evil.example/"}) {
    INFO(url);
    const auto status = CheckUrlPolicy(url);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code() == ErrorCode::kInvalidArgument);
    CHECK(status.error().message().find("hunter2") == std::string::npos);
  }
}

TEST_CASE("UrlEncode keeps RFC 3986 unreserved characters and percent-encodes the rest", "[http]") {
  CHECK(UrlEncode("") == "");
  CHECK(UrlEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(UrlEncode("a b") == "a%20b");
  CHECK(UrlEncode("a+b") == "a%2Bb");
  CHECK(UrlEncode("SELECT Id FROM Account WHERE Name = 'x&y'") ==
        "SELECT%20Id%20FROM%20Account%20WHERE%20Name%20%3D%20%27x%26y%27");
  CHECK(UrlEncode("/?#[]@!$&'()*,;=%") == "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2C%3B%3D%25");
  CHECK(UrlEncode("\xc3\xa9") == "%C3%A9");  // UTF-8 bytes, upper-case hex
  CHECK(UrlEncode(std::string("\0\n", 2)) == "%00%0A");
}

TEST_CASE("Origin keeps scheme and authority of an absolute URL", "[http]") {
  CHECK(Origin("https://h:1/a/b?c") == "https://h:1");
  CHECK(Origin("https://h/a") == "https://h");
  CHECK(Origin("https://h") == "https://h");
  CHECK(Origin("https://h?q=1") == "https://h");
  CHECK(Origin("https://h#frag") == "https://h");
  CHECK(Origin("http://[::1]:8080/x") == "http://[::1]:8080");
  CHECK(Origin("https://na1.my.salesforce.com/services/data/v62.0/query?q=x") == "https://na1.my.salesforce.com");
  CHECK(Origin("/services/data") == "");
  CHECK(Origin("h:1/a") == "");
  CHECK(Origin("") == "");
  CHECK(Origin("https:///a") == "");
}
