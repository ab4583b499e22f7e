// SMART Backend Services client assertions (RS384, ES384) and the client_credentials grant.

#include <catch2/catch.hpp>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <deque>
#include <set>
#include <string>

#include "auth/smart_auth.h"
#include "core/encoding.h"
#include "crypto/keys.h"

namespace custody::auth {
namespace {

class FixedClock final : public Clock {
 public:
  UtcSeconds Now() const override { return UtcSeconds(std::chrono::seconds(1775044800)); }  // 2026-04-01T12:00:00Z
};

std::string Pem(crypto::KeyType type, const std::optional<std::string>& passphrase = std::nullopt) {
  auto key = crypto::GenerateKey(type);
  REQUIRE(key);
  auto pem = crypto::PrivateKeyToPem(key->get(), passphrase);
  REQUIRE(pem);
  return *pem;
}

std::string B64UrlDecode(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4 != 0) s.push_back('=');
  auto bytes = Base64Decode(s);
  REQUIRE(bytes);
  return std::string(bytes->begin(), bytes->end());
}

struct Jwt {
  rapidjson::Document header;
  rapidjson::Document claims;
  std::string signing_input;
  std::string signature;
};

Jwt Split(const std::string& jwt) {
  size_t a = jwt.find('.');
  size_t b = jwt.find('.', a + 1);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  Jwt out;
  std::string h = B64UrlDecode(jwt.substr(0, a));
  std::string c = B64UrlDecode(jwt.substr(a + 1, b - a - 1));
  out.header.Parse(h.c_str());
  out.claims.Parse(c.c_str());
  REQUIRE_FALSE(out.header.HasParseError());
  REQUIRE_FALSE(out.claims.HasParseError());
  out.signing_input = jwt.substr(0, b);
  out.signature = B64UrlDecode(jwt.substr(b + 1));
  return out;
}

bool VerifySha384(EVP_PKEY* key, const std::string& data, const std::string& sig) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

// JWS raw r||s back to DER, as a verifier that knows only OpenSSL would.
std::string RawToDer(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, static_cast<int>(raw.size() / 2), nullptr);
  BIGNUM* s = BN_bin2bn(p + raw.size() / 2, static_cast<int>(raw.size() / 2), nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

ClientAssertion Claims() {
  ClientAssertion c;
  c.client_id = "custody-collector";
  c.token_url = "https://ehr.test/auth/token";
  c.kid = "key-1";
  c.now = FixedClock().Now();
  return c;
}

}  // namespace

TEST_CASE("smart: an RSA key signs RS384 with kid, typ and the SMART claims", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kRsa3072), "");
  REQUIRE(key);
  CHECK(key->alg == JwsAlgorithm::kRs384);
  auto jwt = MakeSmartClientAssertion(*key, Claims());
  REQUIRE(jwt);
  Jwt j = Split(*jwt);
  CHECK(std::string(j.header["alg"].GetString()) == "RS384");
  CHECK(std::string(j.header["kid"].GetString()) == "key-1");
  CHECK(std::string(j.header["typ"].GetString()) == "JWT");
  CHECK(std::string(j.claims["iss"].GetString()) == "custody-collector");
  CHECK(std::string(j.claims["sub"].GetString()) == "custody-collector");
  CHECK(std::string(j.claims["aud"].GetString()) == "https://ehr.test/auth/token");
  CHECK(j.claims["exp"].GetInt64() == 1775044800 + 300);
  CHECK(std::string(j.claims["jti"].GetString()).size() == 32);
  CHECK(VerifySha384(key->key.get(), j.signing_input, j.signature));
  CHECK(jwt->find('=') == std::string::npos);
}

TEST_CASE("smart: an EC P-384 key signs ES384 with a raw 96-byte r||s signature", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP384), "");
  REQUIRE(key);
  CHECK(key->alg == JwsAlgorithm::kEs384);
  // Several signatures: r or s with leading zero bytes must still come out as 48 bytes each.
  for (int i = 0; i < 8; ++i) {
    auto jwt = MakeSmartClientAssertion(*key, Claims());
    REQUIRE(jwt);
    Jwt j = Split(*jwt);
    CHECK(std::string(j.header["alg"].GetString()) == "ES384");
    REQUIRE(j.signature.size() == 96);
    CHECK(VerifySha384(key->key.get(), j.signing_input, RawToDer(j.signature)));
  }
}

TEST_CASE("smart: every assertion has its own jti", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP384), "");
  REQUIRE(key);
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto jwt = MakeSmartClientAssertion(*key, Claims());
    REQUIRE(jwt);
    seen.insert(Split(*jwt).claims["jti"].GetString());
  }
  CHECK(seen.size() == 20);
}

TEST_CASE("smart: assertions live at most five minutes", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP384), "");
  REQUIRE(key);
  ClientAssertion c = Claims();
  c.lifetime = std::chrono::seconds(301);
  auto jwt = MakeSmartClientAssertion(*key, c);
  REQUIRE_FALSE(jwt);
  CHECK(jwt.error().code() == ErrorCode::kInvalidArgument);
  c.lifetime = std::chrono::seconds(60);
  c.kid.clear();
  CHECK_FALSE(MakeSmartClientAssertion(*key, c));
}

TEST_CASE("smart: keys that cannot sign RS384 or ES384 are refused with what they are", "[fhir][smart]") {
  auto p256 = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP256), "");
  REQUIRE_FALSE(p256);
  CHECK(p256.error().code() == ErrorCode::kInvalidArgument);
  CHECK(p256.error().message().find("prime256v1") != std::string::npos);
  CHECK(p256.error().message().find("P-384") != std::string::npos);
  auto garbage = LoadSmartSigningKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message().find("not a PEM private key") != std::string::npos);
}

TEST_CASE("smart: an encrypted key needs FHIR_KEY_PASSPHRASE, and the right one", "[fhir][smart]") {
  const std::string pem = Pem(crypto::KeyType::kEcP384, std::string("correct horse"));
  auto none = LoadSmartSigningKey(pem, "");
  REQUIRE_FALSE(none);
  CHECK(none.error().message().find("FHIR_KEY_PASSPHRASE") != std::string::npos);
  auto wrong = LoadSmartSigningKey(pem, "battery staple");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message().find("wrong FHIR_KEY_PASSPHRASE") != std::string::npos);
  CHECK(wrong.error().message().find("battery") == std::string::npos);
  CHECK(LoadSmartSigningKey(pem, "correct horse"));
}

TEST_CASE("smart: each key load failure names FHIR_KEY_PASSPHRASE or says what the key is", "[fhir][smart]") {
  const std::string passphrase(crypto::kMaxPassphraseBytes, 'k');
  const std::string pem = Pem(crypto::KeyType::kEcP384, passphrase);

  auto none = LoadSmartSigningKey(pem, "");
  REQUIRE_FALSE(none);
  CHECK(none.error().code() == ErrorCode::kCrypto);
  CHECK(none.error().message() ==
        "the SMART key is encrypted: put its passphrase in the FHIR_KEY_PASSPHRASE environment variable");

  auto wrong = LoadSmartSigningKey(pem, "Tr0ub4dor&3");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code() == ErrorCode::kCrypto);
  CHECK(wrong.error().message() == "the SMART key could not be decrypted: wrong FHIR_KEY_PASSPHRASE?");

  auto too_long = LoadSmartSigningKey(pem, passphrase + "k");
  REQUIRE_FALSE(too_long);
  CHECK(too_long.error().code() == ErrorCode::kCrypto);
  CHECK(too_long.error().message() ==
        "the SMART key could not be decrypted: the passphrase in the FHIR_KEY_PASSPHRASE environment variable"
        " is longer than the 1024 bytes OpenSSL accepts");

  CHECK(LoadSmartSigningKey(pem, passphrase));

  // From a case file, the passphrase is a setting (a reference to a variable or a file), and the
  // messages name the setting instead.
  const std::string setting = "auth.client_key_passphrase";
  auto none_in_file = LoadSmartSigningKey(pem, "", setting);
  REQUIRE_FALSE(none_in_file);
  CHECK(none_in_file.error().message() == "the SMART key is encrypted: put its passphrase in auth.client_key_passphrase");
  auto wrong_in_file = LoadSmartSigningKey(pem, "Tr0ub4dor&3", setting);
  REQUIRE_FALSE(wrong_in_file);
  CHECK(wrong_in_file.error().message() == "the SMART key could not be decrypted: wrong auth.client_key_passphrase?");
  CHECK(LoadSmartSigningKey(pem, passphrase, setting));

  // Text that is not a key stays a usage error here (exit 2), as it was before the reader was shared.
  for (const std::string text : {"", "not a key\n"}) {
    auto garbage = LoadSmartSigningKey(text, "");
    REQUIRE_FALSE(garbage);
    CHECK(garbage.error().code() == ErrorCode::kInvalidArgument);
    CHECK(garbage.error().message().rfind("the SMART key is not a PEM private key (", 0) == 0);
  }

  // The type checks run on the decrypted key.
  auto p256 = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP256, std::string("Tr0ub4dor&3")), "Tr0ub4dor&3");
  REQUIRE_FALSE(p256);
  CHECK(p256.error().code() == ErrorCode::kInvalidArgument);
  CHECK(p256.error().message() == "the SMART key is EC on prime256v1; ES384 needs P-384 (secp384r1)");
  crypto::EvpPkeyPtr small(EVP_RSA_gen(1024));
  REQUIRE(small);
  auto small_pem = crypto::PrivateKeyToPem(small.get(), std::nullopt);
  REQUIRE(small_pem);
  auto rsa1024 = LoadSmartSigningKey(*small_pem, "");
  REQUIRE_FALSE(rsa1024);
  CHECK(rsa1024.error().code() == ErrorCode::kInvalidArgument);
  CHECK(rsa1024.error().message() == "the SMART key is RSA with 1024 bits; RS384 needs at least 2048");
}

TEST_CASE("smart: DER ECDSA signatures convert to fixed-width r||s", "[fhir][smart]") {
  // SEQUENCE { INTEGER 0x01, INTEGER 0x00ff (a leading zero keeps it positive) }
  const std::string der("\x30\x07\x02\x01\x01\x02\x02\x00\xff", 9);
  auto raw = EcdsaDerToRaw(der, 4);
  REQUIRE(raw);
  CHECK(*raw == std::string("\x00\x00\x00\x01\x00\x00\x00\xff", 8));
  CHECK_FALSE(EcdsaDerToRaw("not der", 48));
  CHECK_FALSE(EcdsaDerToRaw(der + "x", 4));  // trailing bytes
}

namespace {

class TokenEndpoint final : public http::Transport {
 public:
  int status = 200;
  std::string body;
  std::string error;  // a transport failure
  http::Request last;
  Result<http::Response> Perform(const http::Request& request, http::BodySink& sink) override {
    last = request;
    if (!error.empty()) return Error(ErrorCode::kNetwork, error);
    http::Response r;
    r.head.status = status;
    if (Status s = sink.OnHead(r.head); !s) return s.error();
    if (Status s = sink.OnBody(AsBytes(body)); !s) return s.error();
    return r;
  }
};

std::string FormValue(const std::string& body, const std::string& name) {
  size_t p = 0;
  while (p < body.size()) {
    size_t amp = body.find('&', p);
    std::string pair = body.substr(p, amp == std::string::npos ? std::string::npos : amp - p);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    if (amp == std::string::npos) break;
    p = amp + 1;
  }
  return "";
}

}  // namespace

TEST_CASE("smart: the client_credentials grant sends the assertion and returns the token", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP384), "");
  REQUIRE(key);
  TokenEndpoint endpoint;
  endpoint.body = R"({"access_token":"at-0123456789","token_type":"bearer","expires_in":300,)"
                  R"("scope":"system/AuditEvent.read"})";
  Redactor redactor;
  GrantRecord record;
  SmartGrantRequest req{"https://ehr.test/auth/token", "custody-collector", "key-1", "system/AuditEvent.read"};
  auto token = RequestSmartToken(endpoint, req, *key, FixedClock(), redactor, &record);
  REQUIRE(token);
  CHECK(token->access_token.reveal() == "at-0123456789");
  CHECK(token->expires_in == 300);
  CHECK(token->scope == "system/AuditEvent.read");
  CHECK(endpoint.last.method == "POST");
  CHECK(endpoint.last.url == "https://ehr.test/auth/token");
  CHECK(record.grant_type == "client_credentials");
  CHECK(record.http_status == 200);
  CHECK(record.error.empty());
  CHECK(record.requested_at == "2026-04-01T12:00:00Z");
  CHECK(redactor.Apply("Bearer at-0123456789") == "Bearer [REDACTED]");
}

TEST_CASE("smart: the form carries grant type, scope and assertion type", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kRsa3072), "");
  REQUIRE(key);
  // A transport that keeps a copy of the body before the caller wipes it.
  class Keeping final : public http::Transport {
   public:
    std::string body;
    Result<http::Response> Perform(const http::Request& request, http::BodySink& sink) override {
      body = request.body;
      http::Response r;
      r.head.status = 200;
      if (Status s = sink.OnHead(r.head); !s) return s.error();
      const std::string b = R"({"access_token":"x1","token_type":"Bearer"})";
      if (Status s = sink.OnBody(AsBytes(b)); !s) return s.error();
      return r;
    }
  } endpoint;
  Redactor redactor;
  SmartGrantRequest req{"https://ehr.test/auth/token", "cid", "k", "system/AuditEvent.rs"};
  REQUIRE(RequestSmartToken(endpoint, req, *key, FixedClock(), redactor, nullptr));
  CHECK(FormValue(endpoint.body, "grant_type") == "client_credentials");
  CHECK(FormValue(endpoint.body, "scope") == "system%2FAuditEvent.rs");
  CHECK(FormValue(endpoint.body, "client_assertion_type") ==
        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer");
  Jwt j = Split(FormValue(endpoint.body, "client_assertion"));
  CHECK(std::string(j.header["alg"].GetString()) == "RS384");
  CHECK(std::string(j.claims["aud"].GetString()) == "https://ehr.test/auth/token");
}

TEST_CASE("smart: a refused grant is an auth error with the server's words", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP384), "");
  REQUIRE(key);
  TokenEndpoint endpoint;
  endpoint.status = 401;
  endpoint.body = R"({"error":"invalid_client","error_description":"unknown kid key-9"})";
  Redactor redactor;
  GrantRecord record;
  SmartGrantRequest req{"https://ehr.test/auth/token", "cid", "key-9", "system/AuditEvent.read"};
  auto token = RequestSmartToken(endpoint, req, *key, FixedClock(), redactor, &record);
  REQUIRE_FALSE(token);
  CHECK(token.error().code() == ErrorCode::kAuth);
  CHECK(token.error().message().find("invalid_client: unknown kid key-9") != std::string::npos);
  CHECK(record.http_status == 401);
  CHECK(record.error == "invalid_client: unknown kid key-9");
}

TEST_CASE("smart: a 200 without a usable token is refused", "[fhir][smart]") {
  auto key = LoadSmartSigningKey(Pem(crypto::KeyType::kEcP384), "");
  REQUIRE(key);
  TokenEndpoint endpoint;
  Redactor redactor;
  SmartGrantRequest req{"https://ehr.test/auth/token", "cid", "k", ""};
  endpoint.body = "<html>sign in</html>";
  auto html = RequestSmartToken(endpoint, req, *key, FixedClock(), redactor, nullptr);
  REQUIRE_FALSE(html);
  CHECK(html.error().message().find("not a JSON object") != std::string::npos);
  endpoint.body = R"({"access_token":"abc","token_type":"mac"})";
  auto mac = RequestSmartToken(endpoint, req, *key, FixedClock(), redactor, nullptr);
  REQUIRE_FALSE(mac);
  CHECK(mac.error().message().find("not bearer") != std::string::npos);
  CHECK(mac.error().message().find("abc") == std::string::npos);
  endpoint.error = "connection refused";
  auto down = RequestSmartToken(endpoint, req, *key, FixedClock(), redactor, nullptr);
  REQUIRE_FALSE(down);
  CHECK(down.error().code() == ErrorCode::kNetwork);
}

}  // namespace custody::auth
