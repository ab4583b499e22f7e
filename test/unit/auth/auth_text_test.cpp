// lib/auth/auth_text: the text helpers the token clients share, edges first (empty input, the exact
// limit, cut UTF-8, control and non-UTF-8 bytes, characters a form body must escape), then the two
// behaviours the Salesforce and SMART clients got from sharing them: a bounded error description,
// and redaction before the excerpt is cut.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "auth/auth_text.h"
#include "auth/salesforce_auth.h"
#include "auth/smart_auth.h"
#include "core/encoding.h"
#include "crypto/keys.h"

namespace custody::auth {
namespace {

// One row of a table test: what goes in, what must come out, and why (shown when a row fails).
struct Row {
  std::string in;
  std::string out;
  const char* why;
};

TEST_CASE("auth text: Printable blanks control bytes and shows only ASCII of text that is not UTF-8", "[auth]") {
  const std::vector<Row> rows = {
      {"", "", "empty"},
      {"plain text, with ~ and !", "plain text, with ~ and !", "printable ASCII is kept"},
      // Every byte below 0x20, and DEL, becomes one space: the length never changes.
      {std::string("a\x1b[31mred\r\nb\tc\x7f", 15), "a [31mred  b c ", "escape, line breaks, tab, DEL"},
      {std::string("nul\0byte", 8), "nul byte", "a NUL byte"},
      {"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "valid UTF-8 is kept"},
      // One stray byte makes the whole text suspect: each byte from 0x80 up becomes '?', also
      // those of what would otherwise be a valid sequence, since the text cannot show as UTF-8.
      {"busy \xff\xfe\xc3 now", "busy ??? now", "bytes that are not UTF-8"},
      {"caf\xc3\xa9 \xff", "caf?? ?", "a valid sequence in text that is not UTF-8"},
      {"cut \xe6\x97", "cut ??", "a sequence cut short"},
      {"\x80\n\x01", "?  ", "control and high bytes together"},
  };
  for (const Row& row : rows) {
    INFO(row.why);
    CHECK(Printable(row.in) == row.out);
  }
}

TEST_CASE("auth text: Excerpt keeps text up to the limit whole and marks a cut", "[auth]") {
  CHECK(Excerpt("", 0) == "");
  CHECK(Excerpt("", 10) == "");
  CHECK(Excerpt("abc", 3) == "abc");  // exactly the limit: whole, no "..."
  CHECK(Excerpt("abcd", 3) == "abc...");
  CHECK(Excerpt("abc", 0) == "...");
  const std::string long_text(1000, 'x');
  CHECK(Excerpt(long_text, 200) == std::string(200, 'x') + "...");
}

TEST_CASE("auth text: Excerpt does not cut a UTF-8 sequence in half", "[auth]") {
  const std::string e_acute = "\xc3\xa9";          // two bytes
  const std::string ri = "\xe6\x97\xa5";            // three bytes
  const std::string emoji = "\xf0\x9f\x94\x91";     // four bytes
  CHECK(Excerpt("a" + e_acute + "b", 2) == "a...");  // the cut falls inside the sequence
  CHECK(Excerpt("a" + e_acute + "b", 3) == "a" + e_acute + "...");
  CHECK(Excerpt(ri + ri, 4) == ri + "...");
  CHECK(Excerpt(ri + ri, 5) == ri + "...");
  CHECK(Excerpt(ri + ri, 6) == ri + ri);
  CHECK(Excerpt("ab" + emoji, 5) == "ab...");
  CHECK(IsValidUtf8(Excerpt("x" + emoji + emoji, 7)));
  // Nothing but continuation bytes (not UTF-8 at all): the cut backs off to nothing, still bounded.
  CHECK(Excerpt("\x80\x80\x80\x80", 2) == "...");
}

TEST_CASE("auth text: QuoteServerText cuts at 200 bytes, then makes the excerpt printable", "[auth]") {
  CHECK(kServerTextExcerptBytes == 200);
  CHECK(QuoteServerText("") == "");
  CHECK(QuoteServerText(std::string(200, 'x')) == std::string(200, 'x'));
  CHECK(QuoteServerText(std::string(201, 'x')) == std::string(200, 'x') + "...");
  CHECK(QuoteServerText("line one\r\nline two\x1b[0m") == "line one  line two [0m");
  CHECK(QuoteServerText("token_type\nX", 5) == "token...");
  // A byte that is not UTF-8 beyond the cut does not spoil the UTF-8 the excerpt shows.
  const std::string head = "caf\xc3\xa9" + std::string(195, 'x');  // 200 bytes, valid UTF-8
  CHECK(QuoteServerText(head + "\xff") == head + "...");
  CHECK(QuoteServerText(head.substr(0, 199) + "\xff") == "caf??" + std::string(194, 'x') + "?");
}

TEST_CASE("auth text: StatusWithBody names the status and quotes the body", "[auth]") {
  CHECK(StatusWithBody(502, "") == "HTTP 502 with an empty body");
  CHECK(StatusWithBody(503, "busy \xff now") == "HTTP 503: busy ? now");
  CHECK(StatusWithBody(500, "<html>\r\n<body>oops</body>") == "HTTP 500: <html>  <body>oops</body>");
  const std::string said = StatusWithBody(502, std::string(400, 'y') + "TAIL");
  CHECK(said == "HTTP 502: " + std::string(200, 'y') + "...");
}

TEST_CASE("auth text: OAuthErrorText joins an error and its description", "[auth]") {
  CHECK(OAuthErrorText("invalid_grant", "") == "invalid_grant");
  CHECK(OAuthErrorText("invalid_grant", "expired access/refresh token") ==
        "invalid_grant: expired access/refresh token");
  // Server text passes through unchanged: quoting it is the caller's step, after redaction.
  CHECK(OAuthErrorText("invalid_client", "bad\nline") == "invalid_client: bad\nline");
}

TEST_CASE("auth text: FormBody percent-encodes every name and value", "[auth]") {
  CHECK(FormBody({}) == "");
  CHECK(FormBody({{"grant_type", "client_credentials"}}) == "grant_type=client_credentials");
  CHECK(FormBody({{"a", ""}, {"b", "1"}}) == "a=&b=1");  // an empty value stays a field
  // The characters that would split a field or change a value are escaped, unreserved ones kept.
  CHECK(FormBody({{"client_secret", "cs+With/Special=Chars&more 0123"}}) ==
        "client_secret=cs%2BWith%2FSpecial%3DChars%26more%200123");
  CHECK(FormBody({{"k", "-._~"}}) == "k=-._~");
  CHECK(FormBody({{"k", "%?#"}}) == "k=%25%3F%23");
  CHECK(FormBody({{"na me&", "v"}}) == "na%20me%26=v");
  // Control and non-ASCII bytes, as upper-case hex; a NUL is a byte like any other.
  CHECK(FormBody({{"k", std::string("\r\n\0\xc3\xa9\xff", 6)}}) == "k=%0D%0A%00%C3%A9%FF");
  CHECK(FormBody({{"z", "1"}, {"a", "2"}}) == "z=1&a=2");  // order kept
}

TEST_CASE("auth text: IsHeaderSafe admits visible ASCII only", "[auth]") {
  CHECK(IsHeaderSafe(""));  // emptiness is the caller's check
  CHECK(IsHeaderSafe("00Dxx0000001gPL!AQ4AQFhs.token-_~/+="));
  CHECK(IsHeaderSafe("!"));   // 0x21, the lowest byte admitted
  CHECK(IsHeaderSafe("~"));   // 0x7E, the highest
  CHECK_FALSE(IsHeaderSafe("abc\r\nX-Evil: 1"));
  CHECK_FALSE(IsHeaderSafe("abc def"));
  CHECK_FALSE(IsHeaderSafe("abc\tdef"));
  CHECK_FALSE(IsHeaderSafe("abc\x7f"));
  CHECK_FALSE(IsHeaderSafe("caf\xc3\xa9"));
  CHECK_FALSE(IsHeaderSafe(std::string("a\0b", 3)));
}

TEST_CASE("auth text: JoinMissing lists the missing settings as a sentence would", "[auth]") {
  CHECK(JoinMissing({}) == "");
  CHECK(JoinMissing({"--client-id"}) == "--client-id");
  CHECK(JoinMissing({"--client-id", "--kid"}) == "--client-id and --kid");
  CHECK(JoinMissing({"--client-id", "--client-key", "--kid"}) == "--client-id, --client-key and --kid");
}

// The token clients --------------------------------------------------------------------------------

class FixedClock final : public Clock {
 public:
  UtcSeconds Now() const override { return UtcSeconds(std::chrono::seconds(1775044800)); }  // 2026-04-01T12:00:00Z
};

// Answers every request with one status and body.
class OneAnswer final : public http::Transport {
 public:
  OneAnswer(int status, std::string body) : status_(status), body_(std::move(body)) {}
  Result<http::Response> Perform(const http::Request&, http::BodySink& sink) override {
    http::Response r;
    r.head.status = status_;
    if (Status s = sink.OnHead(r.head); !s) return s.error();
    if (Status s = sink.OnBody(AsBytes(body_)); !s) return s.error();
    return r;
  }

 private:
  int status_;
  std::string body_;
};

TEST_CASE("auth text: a Salesforce error description is quoted to 200 bytes, like SMART's", "[auth]") {
  const std::string description = "see " + std::string(1000, 'd') + " END-NOT-SHOWN";
  OneAnswer transport(400, R"({"error":"invalid_client","error_description":")" + description + R"("})");
  SalesforceAuthConfig config;
  config.mode = SalesforceAuthMode::kClientCredentials;
  config.instance_url = "https://acme.my.salesforce.com";
  config.client_id = "3MVG9client";
  SalesforceSecrets secrets;
  secrets.client_secret = Secret("cs-0123456789");
  FixedClock clock;
  auto provider = MakeSalesforceTokenProvider(config, secrets, clock, nullptr);
  REQUIRE(provider);
  auto token = (*provider)->Current(transport);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kAuth);
  const std::string quoted = Excerpt("invalid_client: " + description, 200);
  CHECK(token.error().message() ==
        "salesforce client_credentials grant refused by https://acme.my.salesforce.com/services/oauth2/token: " +
            quoted);
  const auto grants = (*provider)->Grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].error == quoted);
  CHECK(grants[0].error.size() == 203);
}

TEST_CASE("auth text: a SMART error description is redacted before it is cut", "[auth][smart]") {
  // A secret the redactor knows, placed so that the 200-byte cut falls inside it: cut first, the
  // excerpt would keep its first 10 bytes, which no longer match the secret and so would show.
  const std::string secret = "S3cretValue-0123456789abcdef";
  const std::string description = std::string(190 - std::string("invalid_client: ").size(), 'x') + secret;
  OneAnswer transport(401, R"({"error":"invalid_client","error_description":")" + description + R"("})");
  auto generated = crypto::GenerateKey(crypto::KeyType::kEcP384);
  REQUIRE(generated);
  auto pem = crypto::PrivateKeyToPem(generated->get(), std::nullopt);
  REQUIRE(pem);
  auto key = LoadSmartSigningKey(*pem, "");
  REQUIRE(key);
  Redactor redactor;
  redactor.Add(secret);
  GrantRecord record;
  SmartGrantRequest request{"https://ehr.test/auth/token", "custody-collector", "key-1", "system/AuditEvent.read"};
  auto token = RequestSmartToken(transport, request, *key, FixedClock(), redactor, &record);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kAuth);
  const std::string shown = "invalid_client: " + std::string(description.size() - secret.size(), 'x') + "[REDACTED]";
  CHECK(record.error == shown);
  CHECK(token.error().message() ==
        "SMART client_credentials grant at https://ehr.test/auth/token refused: " + shown);
  CHECK(record.error.find("S3cret") == std::string::npos);
  CHECK(token.error().message().find("S3cret") == std::string::npos);
}

}  // namespace
}  // namespace custody::auth
