// lib/auth against a scripted fake Transport: the request each grant sends, the JWT it signs, how
// refusals and broken answers become errors, renewal by generation, and where secrets come from.

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <rapidjson/document.h>

#include <atomic>
#include <cctype>
#include <deque>
#include <latch>
#include <map>
#include <mutex>
#include <thread>

#include "auth/salesforce_auth.h"
#include "core/encoding.h"
#include "crypto/keys.h"
#include "support/test_support.h"

namespace custody::auth {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kNowUnix = 1775000000;  // 2026-03-31T23:33:20Z

class FixedClock final : public Clock {
 public:
  UtcSeconds Now() const override { return UtcSeconds(std::chrono::seconds(kNowUnix)); }
};

// One scripted answer: a completed exchange (status, body) or a transport error.
struct Answer {
  int status = 200;
  std::string body;
  std::optional<Error> error;
};

std::string SuccessBody(int n, const std::string& extra = "") {
  return R"({"access_token":"00Dxx0000001gPL!AQ4AQFakeToken)" + std::to_string(n) +
         R"(","instance_url":"https://acme.my.salesforce.com/","id":"https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SvogAAC","token_type":"Bearer","issued_at":"1775000000123","scope":"api refresh_token","signature":"c2ln")" +
         extra + "}";
}

// Records every request; answers from the script, then with a fresh success.
class FakeTransport final : public http::Transport {
 public:
  Result<http::Response> Perform(const http::Request& request, http::BodySink& sink) override {
    Answer answer;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(request);
      if (!script_.empty()) {
        answer = script_.front();
        script_.pop_front();
      } else {
        answer.body = SuccessBody(static_cast<int>(requests_.size()));
      }
    }
    // Widens the window in which concurrent renewals could overlap (not a timing assertion).
    if (slow_) std::this_thread::sleep_for(20ms);
    if (answer.error) return *answer.error;
    http::ResponseHead head;
    head.status = answer.status;
    head.headers = {{"Content-Type", "application/json;charset=UTF-8"}};
    CUSTODY_RETURN_IF_ERROR(sink.OnHead(head));
    CUSTODY_RETURN_IF_ERROR(sink.OnBody(AsBytes(answer.body)));
    http::Response response;
    response.head = head;
    response.body_bytes = answer.body.size();
    return response;
  }

  void Script(Answer answer) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(answer));
  }
  std::vector<http::Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  void set_slow(bool slow) { slow_ = slow; }

 private:
  mutable std::mutex mu_;
  std::deque<Answer> script_;
  std::vector<http::Request> requests_;
  std::atomic<bool> slow_{false};
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      REQUIRE(i + 2 < s.size());
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      REQUIRE(hi >= 0);
      REQUIRE(lo >= 0);
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Decodes an application/x-www-form-urlencoded body; REQUIREs every raw byte to be unreserved or
// part of a %XX escape (so nothing in a value can split the form).
std::map<std::string, std::string> DecodeForm(const std::string& body) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string::npos) end = body.size();
    const std::string pair = body.substr(start, end - start);
    const size_t eq = pair.find('=');
    REQUIRE(eq != std::string::npos);
    for (char c : pair.substr(eq + 1)) {
      const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' ||
                      c == '%';
      INFO("raw character in a form value: " << c);
      REQUIRE(ok);
    }
    const std::string name = PercentDecode(pair.substr(0, eq));
    REQUIRE(fields.count(name) == 0);
    fields[name] = PercentDecode(pair.substr(eq + 1));
    start = end + 1;
  }
  return fields;
}

std::string Base64UrlDecode(std::string_view s) {
  std::string b64(s);
  for (char& c : b64) {
    REQUIRE(c != '=');
    REQUIRE(c != '+');
    REQUIRE(c != '/');
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (b64.size() % 4 != 0) b64.push_back('=');
  auto bytes = Base64Decode(b64);
  REQUIRE(bytes.has_value());
  return std::string(bytes->begin(), bytes->end());
}

rapidjson::Document ParseObject(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  return d;
}

struct DecodedJwt {
  std::string header;
  std::string claims;
  std::string signing_input;
  std::string signature;
};

DecodedJwt SplitJwt(const std::string& jwt) {
  const size_t dot1 = jwt.find('.');
  REQUIRE(dot1 != std::string::npos);
  const size_t dot2 = jwt.find('.', dot1 + 1);
  REQUIRE(dot2 != std::string::npos);
  REQUIRE(jwt.find('.', dot2 + 1) == std::string::npos);
  return {Base64UrlDecode(jwt.substr(0, dot1)), Base64UrlDecode(jwt.substr(dot1 + 1, dot2 - dot1 - 1)),
          jwt.substr(0, dot2), Base64UrlDecode(jwt.substr(dot2 + 1))};
}

bool VerifyRs256(EVP_PKEY* key, const std::string& data, const std::string& signature) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1 &&
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  crypto::TakeOpenSslErrors();
  return ok;
}

// One RSA key for the whole run: generating 3072-bit keys is slow in a Debug build.
EVP_PKEY* RsaKey() {
  static crypto::EvpPkeyPtr key = [] {
    auto k = crypto::GenerateKey(crypto::KeyType::kRsa3072);
    REQUIRE(k);
    return std::move(*k);
  }();
  return key.get();
}

std::string RsaPem(const std::optional<std::string>& passphrase = std::nullopt) {
  auto pem = crypto::PrivateKeyToPem(RsaKey(), passphrase);
  REQUIRE(pem);
  return *pem;
}

const std::string kClientSecret = "cs+With/Special=Chars&more 0123";
const std::string kRefreshToken = "5Aep861rT0ken/With+Plus==";
const std::string kAccessToken = "00Dxx0000001gPL!AQ4AQStaticTokenFromEnv";

SalesforceAuthConfig JwtConfig() {
  SalesforceAuthConfig c;
  c.mode = SalesforceAuthMode::kJwt;
  c.instance_url = "https://acme.my.salesforce.com";
  c.login_url = "https://login.salesforce.com/";
  c.client_id = "3MVG9client.id";
  c.username = "integration@acme.example";
  c.jwt_key_file = "/keys/jwt.pem";
  return c;
}

SalesforceAuthConfig ClientCredentialsConfig() {
  SalesforceAuthConfig c;
  c.mode = SalesforceAuthMode::kClientCredentials;
  c.instance_url = "https://acme.my.salesforce.com/";
  c.client_id = "3MVG9client.id";
  return c;
}

SalesforceAuthConfig RefreshConfig() {
  SalesforceAuthConfig c;
  c.mode = SalesforceAuthMode::kRefreshToken;
  c.instance_url = "https://acme.my.salesforce.com";
  c.login_url = "https://test.salesforce.com";
  c.client_id = "3MVG9client.id";
  return c;
}

std::unique_ptr<TokenProvider> MakeProvider(const SalesforceAuthConfig& config, SalesforceSecrets secrets,
                                            Redactor* redactor = nullptr) {
  static FixedClock clock;
  auto provider = MakeSalesforceTokenProvider(config, std::move(secrets), clock, redactor);
  INFO((provider ? std::string() : provider.error().message()));
  REQUIRE(provider);
  return std::move(*provider);
}

SalesforceSecrets JwtSecrets() {
  SalesforceSecrets s;
  s.jwt_key_pem = Secret(RsaPem());
  return s;
}

SalesforceSecrets ClientCredentialsSecrets() {
  SalesforceSecrets s;
  s.client_secret = Secret(kClientSecret);
  return s;
}

SalesforceSecrets RefreshSecrets(bool with_client_secret) {
  SalesforceSecrets s;
  s.refresh_token = Secret(kRefreshToken);
  if (with_client_secret) s.client_secret = Secret(kClientSecret);
  return s;
}

void CheckFormRequest(const http::Request& request, const std::string& url) {
  CHECK(request.method == "POST");
  CHECK(request.url == url);
  bool found = false;
  for (const auto& [name, value] : request.headers) {
    if (name == "Content-Type") {
      found = true;
      CHECK(value == "application/x-www-form-urlencoded");
    }
  }
  CHECK(found);
}

void CheckNoSecret(const std::string& text) {
  for (const std::string& secret : {kClientSecret, kRefreshToken, kAccessToken, std::string("cs%2BWith")}) {
    INFO(text);
    CHECK(text.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("auth mode names round-trip and an unknown name is a usage error", "[auth]") {
  for (auto mode : {SalesforceAuthMode::kToken, SalesforceAuthMode::kJwt, SalesforceAuthMode::kClientCredentials,
                    SalesforceAuthMode::kRefreshToken}) {
    auto parsed = ParseSalesforceAuthMode(SalesforceAuthModeName(mode));
    REQUIRE(parsed);
    CHECK(*parsed == mode);
  }
  CHECK(GrantType(SalesforceAuthMode::kToken).empty());
  CHECK(GrantType(SalesforceAuthMode::kJwt) == "urn:ietf:params:oauth:grant-type:jwt-bearer");
  CHECK(GrantType(SalesforceAuthMode::kClientCredentials) == "client_credentials");
  CHECK(GrantType(SalesforceAuthMode::kRefreshToken) == "refresh_token");
  auto bad = ParseSalesforceAuthMode("password");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(bad.error().message(), Catch::Contains("password") && Catch::Contains("client-credentials"));
}

TEST_CASE("the jwt-bearer grant posts a signed RS256 assertion to the login URL", "[auth][jwt]") {
  FakeTransport transport;
  Redactor redactor;
  auto provider = MakeProvider(JwtConfig(), JwtSecrets(), &redactor);
  CHECK(provider->CanRenew());
  auto token = provider->Current(transport);
  REQUIRE(token);
  CHECK(token->access_token.reveal() == "00Dxx0000001gPL!AQ4AQFakeToken1");
  CHECK(token->instance_url == "https://acme.my.salesforce.com");
  CHECK(token->identity_url == "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001SvogAAC");
  CHECK(token->issued_at == "1775000000123");
  CHECK(token->scope == "api refresh_token");
  CHECK(token->generation == 1);

  auto requests = transport.requests();
  REQUIRE(requests.size() == 1);
  // The trailing '/' of the login URL is not doubled.
  CheckFormRequest(requests[0], "https://login.salesforce.com/services/oauth2/token");
  auto form = DecodeForm(requests[0].body);
  CHECK(form.size() == 2);
  CHECK(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer");

  const DecodedJwt jwt = SplitJwt(form["assertion"]);
  CHECK(jwt.header == R"({"alg":"RS256"})");
  auto claims = ParseObject(jwt.claims);
  CHECK(claims.MemberCount() == 4);
  CHECK(std::string(claims["iss"].GetString()) == "3MVG9client.id");
  CHECK(std::string(claims["sub"].GetString()) == "integration@acme.example");
  CHECK(std::string(claims["aud"].GetString()) == "https://login.salesforce.com");
  REQUIRE(claims["exp"].IsInt64());
  CHECK(claims["exp"].GetInt64() == kNowUnix + 180);
  CHECK(VerifyRs256(RsaKey(), jwt.signing_input, jwt.signature));
  CHECK_FALSE(VerifyRs256(RsaKey(), jwt.signing_input + "x", jwt.signature));

  auto grants = provider->Grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer");
  CHECK(grants[0].token_url == "https://login.salesforce.com/services/oauth2/token");
  CHECK(grants[0].requested_at == "2026-03-31T23:33:20Z");
  CHECK(grants[0].http_status == 200);
  CHECK(grants[0].identity_url == token->identity_url);
  CHECK(grants[0].instance_url == "https://acme.my.salesforce.com");
  CHECK(grants[0].issued_at == "1775000000123");
  CHECK(grants[0].error.empty());
  // The access token obtained is a secret too.
  CHECK(redactor.Apply("Bearer 00Dxx0000001gPL!AQ4AQFakeToken1") == "Bearer [REDACTED]");
}

TEST_CASE("the JWT audience follows the login host unless given", "[auth][jwt]") {
  auto audience_for = [](const std::string& login_url, const std::string& audience) {
    FakeTransport transport;
    SalesforceAuthConfig config = JwtConfig();
    config.login_url = login_url;
    config.jwt_audience = audience;
    auto provider = MakeProvider(config, JwtSecrets());
    REQUIRE(provider->Current(transport));
    auto requests = transport.requests();
    REQUIRE(requests.size() == 1);
    auto claims = ParseObject(SplitJwt(DecodeForm(requests[0].body)["assertion"]).claims);
    return std::make_pair(requests[0].url, std::string(claims["aud"].GetString()));
  };
  CHECK(audience_for("https://test.salesforce.com", "") ==
        std::make_pair(std::string("https://test.salesforce.com/services/oauth2/token"),
                       std::string("https://test.salesforce.com")));
  CHECK(audience_for("", "") == std::make_pair(std::string("https://login.salesforce.com/services/oauth2/token"),
                                               std::string("https://login.salesforce.com")));
  CHECK(audience_for("https://acme.my.salesforce.com", "https://acme.my.site.com") ==
        std::make_pair(std::string("https://acme.my.salesforce.com/services/oauth2/token"),
                       std::string("https://acme.my.site.com")));
}

TEST_CASE("MakeJwtAssertion escapes claims and needs an RSA key", "[auth][jwt]") {
  const UtcSeconds now{std::chrono::seconds(kNowUnix)};
  auto jwt = MakeJwtAssertion(RsaPem(), "", "iss\"quoted", "user@example.com", "https://login.salesforce.com", now);
  REQUIRE(jwt);
  auto decoded = SplitJwt(*jwt);
  CHECK(std::string(ParseObject(decoded.claims)["iss"].GetString()) == "iss\"quoted");
  CHECK(VerifyRs256(RsaKey(), decoded.signing_input, decoded.signature));

  auto ec = crypto::GenerateKey(crypto::KeyType::kEcP256);
  REQUIRE(ec);
  auto ec_pem = crypto::PrivateKeyToPem(ec->get(), std::nullopt);
  REQUIRE(ec_pem);
  auto refused = MakeJwtAssertion(*ec_pem, "", "iss", "sub", "aud", now);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(refused.error().message(), Catch::Contains("RSA") && Catch::Contains("RS256"));

  auto garbage = MakeJwtAssertion("not a key", "", "iss", "sub", "aud", now);
  REQUIRE_FALSE(garbage);
  CHECK_THAT(garbage.error().message(), Catch::Contains("not a PEM private key"));

  // The provider refuses the EC key up front, naming the key file.
  SalesforceSecrets secrets;
  secrets.jwt_key_pem = Secret(*ec_pem);
  FixedClock clock;
  auto provider = MakeSalesforceTokenProvider(JwtConfig(), secrets, clock, nullptr);
  REQUIRE_FALSE(provider);
  CHECK(provider.error().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(provider.error().message(), Catch::Contains("--jwt-key /keys/jwt.pem") && Catch::Contains("RSA"));
}

TEST_CASE("an encrypted JWT key needs SF_JWT_KEY_PASSPHRASE and never prompts", "[auth][jwt]") {
  const std::string passphrase = "correct horse battery";
  const std::string pem = RsaPem(passphrase);
  const UtcSeconds now{std::chrono::seconds(kNowUnix)};
  auto without = MakeJwtAssertion(pem, "", "iss", "sub", "aud", now);
  REQUIRE_FALSE(without);
  CHECK_THAT(without.error().message(), Catch::Contains("SF_JWT_KEY_PASSPHRASE") && Catch::Contains("encrypted"));
  auto wrong = MakeJwtAssertion(pem, "wrong passphrase", "iss", "sub", "aud", now);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error().message(), Catch::Contains("wrong SF_JWT_KEY_PASSPHRASE"));
  CHECK_THAT(wrong.error().message(), !Catch::Contains("wrong passphrase"));
  auto right = MakeJwtAssertion(pem, passphrase, "iss", "sub", "aud", now);
  REQUIRE(right);
  auto decoded = SplitJwt(*right);
  CHECK(VerifyRs256(RsaKey(), decoded.signing_input, decoded.signature));
}

TEST_CASE("the JWT key's load failures name SF_JWT_KEY_PASSPHRASE and say which failure", "[auth][jwt]") {
  const UtcSeconds now{std::chrono::seconds(kNowUnix)};
  const std::string passphrase(crypto::kMaxPassphraseBytes, 'k');
  const std::string pem = RsaPem(passphrase);

  auto without = MakeJwtAssertion(pem, "", "iss", "sub", "aud", now);
  REQUIRE_FALSE(without);
  CHECK(without.error().code() == ErrorCode::kCrypto);
  CHECK(without.error().message() ==
        "the JWT key is encrypted: put its passphrase in the SF_JWT_KEY_PASSPHRASE environment variable");

  auto wrong = MakeJwtAssertion(pem, "Tr0ub4dor&3", "iss", "sub", "aud", now);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code() == ErrorCode::kCrypto);
  CHECK(wrong.error().message() == "the JWT key could not be decrypted: wrong SF_JWT_KEY_PASSPHRASE?");

  auto too_long = MakeJwtAssertion(pem, passphrase + "k", "iss", "sub", "aud", now);
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code() == ErrorCode::kCrypto);
  CHECK(too_long.error().message() ==
        "the JWT key could not be decrypted: the passphrase in the SF_JWT_KEY_PASSPHRASE environment variable"
        " is longer than the 1024 bytes OpenSSL accepts");
  CHECK_THAT(too_long.error().message(), !Catch::Contains("kkkk"));

  // Text that is not a key is a key that cannot be parsed: kCrypto, exit 1, as for the signing key.
  auto garbage = MakeJwtAssertion("", "", "iss", "sub", "aud", now);
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().code() == ErrorCode::kCrypto);
  CHECK_THAT(garbage.error().message(), Catch::StartsWith("the JWT key is not a PEM private key ("));

  CHECK(MakeJwtAssertion(pem, passphrase, "iss", "sub", "aud", now));

  // Decrypted by the shared reader, an EC key still meets the RS256 check.
  auto ec = crypto::GenerateKey(crypto::KeyType::kEcP384);
  REQUIRE(ec);
  auto ec_pem = crypto::PrivateKeyToPem(ec->get(), std::string("Tr0ub4dor&3"));
  REQUIRE(ec_pem);
  auto ec_refused = MakeJwtAssertion(*ec_pem, "Tr0ub4dor&3", "iss", "sub", "aud", now);
  REQUIRE_FALSE(ec_refused);
  CHECK(ec_refused.error().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(ec_refused.error().message(), Catch::StartsWith("the JWT key is EC: ") && Catch::Contains("RS256"));
}

TEST_CASE("the client_credentials grant posts to the instance URL with the secret encoded", "[auth]") {
  FakeTransport transport;
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto token = provider->Current(transport);
  REQUIRE(token);
  CHECK(token->generation == 1);
  auto requests = transport.requests();
  REQUIRE(requests.size() == 1);
  CheckFormRequest(requests[0], "https://acme.my.salesforce.com/services/oauth2/token");
  auto form = DecodeForm(requests[0].body);
  CHECK(form == std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                   {"client_id", "3MVG9client.id"},
                                                   {"client_secret", kClientSecret}});
  CHECK_THAT(requests[0].body, Catch::Contains("client_secret=cs%2BWith%2FSpecial%3DChars%26more%200123"));
  auto grants = provider->Grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].grant_type == "client_credentials");
}

TEST_CASE("the refresh_token grant sends the client secret only when there is one", "[auth]") {
  for (bool with_secret : {false, true}) {
    FakeTransport transport;
    auto provider = MakeProvider(RefreshConfig(), RefreshSecrets(with_secret));
    REQUIRE(provider->Current(transport));
    auto requests = transport.requests();
    REQUIRE(requests.size() == 1);
    CheckFormRequest(requests[0], "https://test.salesforce.com/services/oauth2/token");
    auto form = DecodeForm(requests[0].body);
    std::map<std::string, std::string> expected{
        {"grant_type", "refresh_token"}, {"refresh_token", kRefreshToken}, {"client_id", "3MVG9client.id"}};
    if (with_secret) expected["client_secret"] = kClientSecret;
    CHECK(form == expected);
  }
}

TEST_CASE("a rotated refresh token is used for the next grant and is redacted", "[auth]") {
  FakeTransport transport;
  Redactor redactor;
  auto provider = MakeProvider(RefreshConfig(), RefreshSecrets(false), &redactor);
  transport.Script({200, SuccessBody(1, R"(,"refresh_token":"5Aep861Rotated/Next+1")"), std::nullopt});
  transport.Script({200, SuccessBody(2), std::nullopt});  // no rotation this time
  auto first = provider->Current(transport);
  REQUIRE(first);
  auto second = provider->Renew(transport, first->generation);
  REQUIRE(second);
  CHECK(second->generation == 2);
  auto third = provider->Renew(transport, second->generation);
  REQUIRE(third);
  auto requests = transport.requests();
  REQUIRE(requests.size() == 3);
  CHECK(DecodeForm(requests[0].body)["refresh_token"] == kRefreshToken);
  CHECK(DecodeForm(requests[1].body)["refresh_token"] == "5Aep861Rotated/Next+1");
  CHECK(DecodeForm(requests[2].body)["refresh_token"] == "5Aep861Rotated/Next+1");
  CHECK(redactor.Apply("old " + kRefreshToken + " new 5Aep861Rotated/Next+1 form 5Aep861Rotated%2FNext%2B1") ==
        "old [REDACTED] new [REDACTED] form [REDACTED]");
}

TEST_CASE("a refused grant is kAuth with the endpoint, error and error_description, never a secret", "[auth]") {
  FakeTransport transport;
  SECTION("jwt-bearer") {
    transport.Script({400, R"({"error":"invalid_grant","error_description":"user hasn't approved this consumer"})",
                      std::nullopt});
    auto provider = MakeProvider(JwtConfig(), JwtSecrets());
    auto token = provider->Current(transport);
    REQUIRE_FALSE(token);
    CHECK(token.error().code() == ErrorCode::kAuth);
    CHECK(token.error().message() ==
          "salesforce jwt-bearer grant refused by https://login.salesforce.com/services/oauth2/token: "
          "invalid_grant: user hasn't approved this consumer");
    auto grants = provider->Grants();
    REQUIRE(grants.size() == 1);
    CHECK(grants[0].http_status == 400);
    CHECK(grants[0].error == "invalid_grant: user hasn't approved this consumer");
    CHECK(grants[0].identity_url.empty());
  }
  SECTION("client_credentials, with the server echoing the secret") {
    transport.Script({401,
                      R"({"error":"invalid_client","error_description":"invalid client credentials: )" +
                          std::string("cs+With/Special=Chars&more 0123") + R"("})",
                      std::nullopt});
    Redactor redactor;
    auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets(), &redactor);
    auto token = provider->Current(transport);
    REQUIRE_FALSE(token);
    CHECK(token.error().code() == ErrorCode::kAuth);
    CHECK(token.error().message() ==
          "salesforce client_credentials grant refused by https://acme.my.salesforce.com/services/oauth2/token: "
          "invalid_client: invalid client credentials: [REDACTED]");
    CheckNoSecret(token.error().message());
    for (const GrantRecord& g : provider->Grants()) CheckNoSecret(g.error);
  }
  SECTION("refresh_token, expired") {
    transport.Script({400, R"({"error":"invalid_grant","error_description":"expired access/refresh token"})",
                      std::nullopt});
    auto provider = MakeProvider(RefreshConfig(), RefreshSecrets(true));
    auto token = provider->Current(transport);
    REQUIRE_FALSE(token);
    CHECK(token.error().code() == ErrorCode::kAuth);
    CHECK_THAT(token.error().message(),
               Catch::EndsWith("test.salesforce.com/services/oauth2/token: invalid_grant: expired access/refresh token"));
    CheckNoSecret(token.error().message());
    // The refusal is not cached: the next call tries again.
    auto retry = provider->Current(transport);
    REQUIRE(retry);
    CHECK(retry->generation == 1);
    CHECK(provider->Grants().size() == 2);
  }
}

TEST_CASE("a non-JSON error body is kAuth with the status and a redacted excerpt", "[auth]") {
  FakeTransport transport;
  const std::string body = "<html><head><title>502 Bad Gateway</title></head>\r\n<body>upstream said " +
                           kClientSecret + "\x1b[31m" + std::string(400, 'x') + "TAIL-NOT-SHOWN</body></html>";
  transport.Script({502, body, std::nullopt});
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto token = provider->Current(transport);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kAuth);
  const std::string& message = token.error().message();
  CHECK_THAT(message, Catch::StartsWith("salesforce client_credentials grant refused by "
                                        "https://acme.my.salesforce.com/services/oauth2/token: HTTP 502: <html>"));
  CHECK_THAT(message, Catch::Contains("upstream said [REDACTED]"));
  CHECK_THAT(message, !Catch::Contains("TAIL-NOT-SHOWN"));
  CHECK(message.find('\x1b') == std::string::npos);
  CHECK(message.find('\n') == std::string::npos);
  CheckNoSecret(message);
  auto grants = provider->Grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].http_status == 502);
  CheckNoSecret(grants[0].error);
}

TEST_CASE("an error body that is not UTF-8 is shown as ASCII", "[auth]") {
  FakeTransport transport;
  transport.Script({503, "busy \xff\xfe\xc3 now", std::nullopt});
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto token = provider->Current(transport);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kAuth);
  CHECK_THAT(token.error().message(), Catch::EndsWith("HTTP 503: busy ??? now"));
}

TEST_CASE("a token response over 1 MiB is refused, not truncated", "[auth]") {
  FakeTransport transport;
  transport.Script({200, std::string((1u << 20) + 1, ' '), std::nullopt});
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto token = provider->Current(transport);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kRemote);
  CHECK_THAT(token.error().message(), Catch::Contains("exceeds the 1048576-byte limit"));
  REQUIRE(provider->Grants().size() == 1);
}

TEST_CASE("a 200 without a usable access token is kAuth", "[auth]") {
  FakeTransport transport;
  SECTION("no access_token") {
    transport.Script({200, R"({"instance_url":"https://acme.my.salesforce.com","token_type":"Bearer"})",
                      std::nullopt});
  }
  SECTION("an empty access_token") { transport.Script({200, R"({"access_token":""})", std::nullopt}); }
  SECTION("an access_token that would break the header") {
    transport.Script({200, R"({"access_token":"abc\r\nX-Evil: 1"})", std::nullopt});
  }
  SECTION("not JSON") { transport.Script({200, "OK", std::nullopt}); }
  SECTION("a JSON array") { transport.Script({200, "[]", std::nullopt}); }
  SECTION("an instance_url that is not a URL") {
    transport.Script({200, R"json({"access_token":"00Dabc!tok","instance_url":"javascript:alert(1)"})json", std::nullopt});
  }
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto token = provider->Current(transport);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kAuth);
  CHECK_THAT(token.error().message(), Catch::Contains("https://acme.my.salesforce.com/services/oauth2/token"));
  CheckNoSecret(token.error().message());
  auto grants = provider->Grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].http_status == 200);
  CHECK_FALSE(grants[0].error.empty());
}

TEST_CASE("a transport failure stays kNetwork with context and is recorded", "[auth]") {
  FakeTransport transport;
  transport.Script({0, "", Error(ErrorCode::kNetwork, "connect to acme.my.salesforce.com:443: Connection refused")});
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto token = provider->Current(transport);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kNetwork);
  CHECK(token.error().message() ==
        "salesforce client_credentials grant: POST https://acme.my.salesforce.com/services/oauth2/token: "
        "connect to acme.my.salesforce.com:443: Connection refused");
  auto grants = provider->Grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].http_status == 0);
  CHECK_THAT(grants[0].error, Catch::Contains("Connection refused"));
}

TEST_CASE("Renew makes a grant only for the current generation", "[auth][renew]") {
  FakeTransport transport;
  auto provider = MakeProvider(JwtConfig(), JwtSecrets());
  auto first = provider->Current(transport);
  REQUIRE(first);
  CHECK(first->generation == 1);
  auto again = provider->Current(transport);
  REQUIRE(again);
  CHECK(again->generation == 1);
  CHECK(transport.count() == 1);

  auto renewed = provider->Renew(transport, 1);
  REQUIRE(renewed);
  CHECK(renewed->generation == 2);
  CHECK(renewed->access_token.reveal() != first->access_token.reveal());
  CHECK(transport.count() == 2);

  // A worker still holding generation 1 gets generation 2 without a grant.
  auto late = provider->Renew(transport, 1);
  REQUIRE(late);
  CHECK(late->generation == 2);
  CHECK(late->access_token.reveal() == renewed->access_token.reveal());
  CHECK(transport.count() == 2);
  CHECK(provider->Grants().size() == 2);
}

TEST_CASE("concurrent renewals of one stale token make exactly one grant", "[auth][renew]") {
  FakeTransport transport;
  auto provider = MakeProvider(ClientCredentialsConfig(), ClientCredentialsSecrets());
  auto first = provider->Current(transport);
  REQUIRE(first);
  transport.set_slow(true);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<std::optional<Result<Token>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      results[static_cast<size_t>(i)].emplace(provider->Renew(transport, first->generation));
    });
  }
  for (auto& t : threads) t.join();
  CHECK(transport.count() == 2);
  CHECK(provider->Grants().size() == 2);
  for (auto& r : results) {
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK((*r)->generation == 2);
    CHECK((*r)->access_token.reveal() == "00Dxx0000001gPL!AQ4AQFakeToken2");
  }
}

TEST_CASE("an access token from SF_ACCESS_TOKEN is used as is and cannot be renewed", "[auth][renew]") {
  FakeTransport transport;
  SalesforceAuthConfig config;
  config.mode = SalesforceAuthMode::kToken;
  config.instance_url = "https://acme.my.salesforce.com/";
  SalesforceSecrets secrets;
  secrets.access_token = Secret(kAccessToken);
  Redactor redactor;
  auto provider = MakeProvider(config, secrets, &redactor);
  CHECK_FALSE(provider->CanRenew());
  auto token = provider->Current(transport);
  REQUIRE(token);
  CHECK(token->access_token.reveal() == kAccessToken);
  CHECK(token->instance_url == "https://acme.my.salesforce.com");
  CHECK(token->generation == 1);
  auto renewed = provider->Renew(transport, token->generation);
  REQUIRE_FALSE(renewed);
  CHECK(renewed.error().code() == ErrorCode::kAuth);
  CHECK(renewed.error().message() ==
        "the access token from SF_ACCESS_TOKEN was refused (expired or revoked); export a fresh one or use "
        "--auth jwt|client-credentials|refresh-token");
  CHECK(transport.count() == 0);
  CHECK(provider->Grants().empty());
  CHECK(redactor.Apply("Authorization: Bearer " + kAccessToken) == "Authorization: Bearer [REDACTED]");
}

TEST_CASE("the provider registers secrets with the redactor before any request", "[auth]") {
  Redactor redactor;
  auto provider = MakeProvider(RefreshConfig(), RefreshSecrets(true), &redactor);
  CHECK(redactor.Apply(kRefreshToken) == "[REDACTED]");
  CHECK(redactor.Apply(kClientSecret) == "[REDACTED]");
  CHECK(redactor.Apply("client_secret=cs%2BWith%2FSpecial%3DChars%26more%200123&x") ==
        "client_secret=[REDACTED]&x");
}

TEST_CASE("the provider refuses a config without what its mode needs", "[auth]") {
  FixedClock clock;
  SalesforceAuthConfig config = ClientCredentialsConfig();
  auto no_secret = MakeSalesforceTokenProvider(config, SalesforceSecrets{}, clock, nullptr);
  REQUIRE_FALSE(no_secret);
  CHECK(no_secret.error().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(no_secret.error().message(), Catch::Contains("SF_CLIENT_SECRET"));
  config.instance_url = "acme.my.salesforce.com";
  auto bad_url = MakeSalesforceTokenProvider(config, ClientCredentialsSecrets(), clock, nullptr);
  REQUIRE_FALSE(bad_url);
  CHECK_THAT(bad_url.error().message(), Catch::Contains("--instance-url"));
}

TEST_CASE("LoadSalesforceSecrets names each missing flag and environment variable", "[auth][secrets]") {
  std::map<std::string, std::string> vars;
  EnvLookup env = [&vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto error_of = [&](const SalesforceAuthConfig& config) {
    auto secrets = LoadSalesforceSecrets(config, env);
    REQUIRE_FALSE(secrets);
    CHECK(secrets.error().code() == ErrorCode::kInvalidArgument);
    return secrets.error().message();
  };

  SECTION("token") {
    SalesforceAuthConfig config;
    config.mode = SalesforceAuthMode::kToken;
    CHECK_THAT(error_of(config), Catch::Contains("--instance-url") && Catch::Contains("SF_ACCESS_TOKEN"));
    config.instance_url = "https://acme.my.salesforce.com";
    vars["SF_ACCESS_TOKEN"] = "";  // empty counts as missing
    CHECK_THAT(error_of(config), Catch::Contains("SF_ACCESS_TOKEN") && !Catch::Contains("--instance-url"));
    vars["SF_ACCESS_TOKEN"] = kAccessToken;
    vars["SF_CLIENT_SECRET"] = kClientSecret;  // not this mode's: ignored
    auto secrets = LoadSalesforceSecrets(config, env);
    REQUIRE(secrets);
    CHECK(secrets->access_token.reveal() == kAccessToken);
    CHECK(secrets->client_secret.empty());
  }
  SECTION("client-credentials") {
    SalesforceAuthConfig config;
    config.mode = SalesforceAuthMode::kClientCredentials;
    config.instance_url = "https://acme.my.salesforce.com";
    const std::string message = error_of(config);
    CHECK_THAT(message, Catch::Contains("--client-id") && Catch::Contains("SF_CLIENT_SECRET") &&
                            Catch::Contains("client-credentials"));
    config.client_id = "3MVG9";
    vars["SF_CLIENT_SECRET"] = kClientSecret;
    auto secrets = LoadSalesforceSecrets(config, env);
    REQUIRE(secrets);
    CHECK(secrets->client_secret.reveal() == kClientSecret);
  }
  SECTION("refresh-token") {
    SalesforceAuthConfig config;
    config.mode = SalesforceAuthMode::kRefreshToken;
    config.instance_url = "https://acme.my.salesforce.com";
    config.client_id = "3MVG9";
    const std::string message = error_of(config);
    CHECK_THAT(message, Catch::Contains("SF_REFRESH_TOKEN") && !Catch::Contains("SF_CLIENT_SECRET"));
    vars["SF_REFRESH_TOKEN"] = kRefreshToken;
    auto without_secret = LoadSalesforceSecrets(config, env);
    REQUIRE(without_secret);
    CHECK(without_secret->refresh_token.reveal() == kRefreshToken);
    CHECK(without_secret->client_secret.empty());
    vars["SF_CLIENT_SECRET"] = kClientSecret;
    auto with_secret = LoadSalesforceSecrets(config, env);
    REQUIRE(with_secret);
    CHECK(with_secret->client_secret.reveal() == kClientSecret);
  }
  SECTION("jwt") {
    test::TempDir dir;
    SalesforceAuthConfig config;
    config.mode = SalesforceAuthMode::kJwt;
    config.instance_url = "https://acme.my.salesforce.com";
    const std::string message = error_of(config);
    CHECK_THAT(message, Catch::Contains("--client-id") && Catch::Contains("--username") &&
                            Catch::Contains("--jwt-key"));
    config.client_id = "3MVG9";
    config.username = "integration@acme.example";
    config.jwt_key_file = dir / "missing.pem";
    auto missing_file = LoadSalesforceSecrets(config, env);
    REQUIRE_FALSE(missing_file);
    CHECK(missing_file.error().code() == ErrorCode::kInvalidArgument);
    CHECK(missing_file.error().message() == "--jwt-key " + (dir / "missing.pem").string() + ": no such file");

    test::WriteFile(dir / "big.pem", std::string((1u << 20) + 1, 'k'));
    config.jwt_key_file = dir / "big.pem";
    auto too_big = LoadSalesforceSecrets(config, env);
    REQUIRE_FALSE(too_big);
    CHECK_THAT(too_big.error().message(), Catch::Contains("1 MiB"));

    const std::string pem = RsaPem();
    test::WriteFile(dir / "key.pem", pem);
    config.jwt_key_file = dir / "key.pem";
    vars["SF_JWT_KEY_PASSPHRASE"] = "";
    auto secrets = LoadSalesforceSecrets(config, env);
    REQUIRE(secrets);
    CHECK(secrets->jwt_key_pem.reveal() == pem);
    CHECK(secrets->jwt_key_passphrase.empty());
    vars["SF_JWT_KEY_PASSPHRASE"] = "pass phrase";
    auto with_passphrase = LoadSalesforceSecrets(config, env);
    REQUIRE(with_passphrase);
    CHECK(with_passphrase->jwt_key_passphrase.reveal() == "pass phrase");
  }
}

TEST_CASE("the Redactor hides plain and URL-encoded secrets", "[auth][redact]") {
  Redactor redactor;
  CHECK(redactor.Apply("nothing registered") == "nothing registered");
  redactor.Add("");
  CHECK(redactor.Apply("") == "");
  redactor.Add("s3cr3t/value+x");
  CHECK(redactor.Apply("a s3cr3t/value+x b") == "a [REDACTED] b");
  CHECK(redactor.Apply("form: client_secret=s3cr3t%2Fvalue%2Bx&") == "form: client_secret=[REDACTED]&");
  CHECK(redactor.Apply("twice s3cr3t/value+xs3cr3t/value+x") == "twice [REDACTED]");
  CHECK(redactor.Apply("harmless text") == "harmless text");

  // Overlapping secrets are both hidden, and a secret is never found inside "[REDACTED]".
  redactor.Add("value+xyz-more");
  redactor.Add("REDACTED");
  CHECK(redactor.Apply("s3cr3t/value+xyz-more!") == "[REDACTED]!");
  CHECK(redactor.Apply("REDACTED") == "[REDACTED]");

  // Any non-empty secret counts, so a very short one over-redacts (the safe failure).
  Redactor short_secret;
  short_secret.Add("ab");
  CHECK(short_secret.Apply("cab") == "c[REDACTED]");
}

}  // namespace custody::auth
