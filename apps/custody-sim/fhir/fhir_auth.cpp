#include "fhir/fhir_auth.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>

#include "core/encoding.h"
#include "crypto/keys.h"

namespace custody::sim::fhir {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

Error Fail(const std::string& what) { return Error(ErrorCode::kCrypto, "custody-sim fhir: " + what); }

Status WriteFile(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Error(ErrorCode::kIo, "custody-sim fhir: cannot write " + path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return Error(ErrorCode::kIo, "custody-sim fhir: cannot write " + path);
  return Status::Ok();
}

std::string BnBytes(EVP_PKEY* key, const char* param, size_t width) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) return {};
  const int n = BN_num_bytes(bn);
  std::string out(std::max(static_cast<size_t>(n), width), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

std::string Json(const std::vector<std::pair<std::string, std::string>>& fields) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& [k, v] : fields) {
    w.Key(k.c_str());
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return buf.GetString();
}

TokenAnswer OAuthError(int status, const std::string& error, const std::string& description) {
  return TokenAnswer{status, Json({{"error", error}, {"error_description", description}})};
}

std::string Param(const std::multimap<std::string, std::string>& form, const std::string& key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

std::string MemberString(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool VerifySignature(EVP_PKEY* key, bool ec, std::string_view signed_part, const std::string& sig) {
  std::string der;
  if (ec) {
    // JWS ES384: the signature is r || s, 48 bytes each, never DER.
    if (sig.size() != 96) return false;
    ECDSA_SIG* s = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 48, nullptr);
    BIGNUM* ss = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 48, 48, nullptr);
    ECDSA_SIG_set0(s, r, ss);
    unsigned char* p = nullptr;
    const int len = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char*>(p), static_cast<size_t>(len));
    OPENSSL_free(p);
  } else {
    der = sig;
  }
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string s = Base64Encode(AsBytes(bytes));
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return s;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return false;
  }
  while (s.size() % 4 != 0) s.push_back('=');
  const auto bytes = Base64Decode(s);
  if (!bytes) return false;
  out->assign(bytes->begin(), bytes->end());
  return true;
}

Result<SmartKeys> MakeSmartKeys(const std::string& dir) {
  SmartKeys k;
  k.rs384.reset(EVP_RSA_gen(2048));
  k.es384.reset(EVP_EC_gen("P-384"));
  if (!k.rs384 || !k.es384) return Fail("generate the SMART client keys");
  k.rs384_private_key_path = dir + "/fhir-client-rs384.pem";
  k.es384_private_key_path = dir + "/fhir-client-es384.pem";
  for (auto [key, path] : {std::pair{k.rs384.get(), k.rs384_private_key_path},
                           std::pair{k.es384.get(), k.es384_private_key_path}}) {
    auto pem = crypto::PrivateKeyToPem(key, std::nullopt);
    if (!pem) return pem.error();
    if (Status s = WriteFile(path, *pem); !s) return s.error();
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  auto kv = [&w](const char* name, const std::string& v) {
    w.Key(name);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  w.Key("keys");
  w.StartArray();
  w.StartObject();
  kv("kty", "RSA");
  kv("kid", k.rs384_kid);
  kv("alg", "RS384");
  kv("use", "sig");
  kv("n", Base64UrlEncode(BnBytes(k.rs384.get(), OSSL_PKEY_PARAM_RSA_N, 0)));
  kv("e", Base64UrlEncode(BnBytes(k.rs384.get(), OSSL_PKEY_PARAM_RSA_E, 0)));
  w.EndObject();
  w.StartObject();
  kv("kty", "EC");
  kv("kid", k.es384_kid);
  kv("alg", "ES384");
  kv("use", "sig");
  kv("crv", "P-384");
  kv("x", Base64UrlEncode(BnBytes(k.es384.get(), OSSL_PKEY_PARAM_EC_PUB_X, 48)));
  kv("y", Base64UrlEncode(BnBytes(k.es384.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 48)));
  w.EndObject();
  w.EndArray();
  w.EndObject();
  k.jwks_json = buf.GetString();
  return k;
}

bool TokenAuthority::VerifyAssertion(std::string_view jwt, int64_t now_ms, std::string* why) {
  const size_t a = jwt.find('.');
  const size_t b = a == std::string_view::npos ? a : jwt.find('.', a + 1);
  if (b == std::string_view::npos || jwt.find('.', b + 1) != std::string_view::npos) {
    *why = "client_assertion is not a JWS compact serialization (header.payload.signature)";
    return false;
  }
  std::string header_text, payload_text, signature;
  if (!Base64UrlDecode(jwt.substr(0, a), &header_text) || !Base64UrlDecode(jwt.substr(a + 1, b - a - 1), &payload_text) ||
      !Base64UrlDecode(jwt.substr(b + 1), &signature)) {
    *why = "client_assertion has a part that is not base64url";
    return false;
  }
  rapidjson::Document header, payload;
  header.Parse(header_text.data(), header_text.size());
  payload.Parse(payload_text.data(), payload_text.size());
  if (header.HasParseError() || !header.IsObject() || payload.HasParseError() || !payload.IsObject()) {
    *why = "client_assertion header or claims are not a JSON object";
    return false;
  }
  const std::string alg = MemberString(header, "alg");
  const std::string kid = MemberString(header, "kid");
  if (MemberString(header, "typ") != "JWT") {
    *why = "client_assertion header typ must be \"JWT\"";
    return false;
  }
  if (kid.empty()) {
    *why = "client_assertion header has no kid";
    return false;
  }
  EVP_PKEY* key = nullptr;
  bool ec = false;
  if (kid == keys_.rs384_kid) {
    key = keys_.rs384.get();
    if (alg != "RS384") {
      *why = "kid " + kid + " is registered for RS384, not " + alg;
      return false;
    }
  } else if (kid == keys_.es384_kid) {
    key = keys_.es384.get();
    ec = true;
    if (alg != "ES384") {
      *why = "kid " + kid + " is registered for ES384, not " + alg;
      return false;
    }
  } else {
    *why = "unknown kid \"" + kid + "\" (not in the client's registered JWKS)";
    return false;
  }
  if (!VerifySignature(key, ec, jwt.substr(0, b), signature)) {
    *why = "client_assertion signature does not verify";
    return false;
  }
  if (MemberString(payload, "iss") != config_.client_id || MemberString(payload, "sub") != config_.client_id) {
    *why = "iss and sub must both be the client_id";
    return false;
  }
  bool aud_ok = false;
  if (payload.HasMember("aud")) {
    const rapidjson::Value& aud = payload["aud"];
    if (aud.IsString()) aud_ok = config_.token_url == aud.GetString();
    if (aud.IsArray()) {
      for (const auto& x : aud.GetArray()) aud_ok = aud_ok || (x.IsString() && config_.token_url == x.GetString());
    }
  }
  if (!aud_ok) {
    *why = "aud must be the token URL " + config_.token_url;
    return false;
  }
  if (!payload.HasMember("exp") || !payload["exp"].IsInt64()) {
    *why = "exp is missing or not an integer";
    return false;
  }
  const int64_t exp = payload["exp"].GetInt64();
  const int64_t now_s = now_ms / 1000;
  if (exp <= now_s) {
    *why = "client_assertion has expired";
    return false;
  }
  if (exp - now_s > config_.max_assertion_lifetime_s) {
    *why = "exp is more than " + std::to_string(config_.max_assertion_lifetime_s) + " seconds in the future";
    return false;
  }
  const std::string jti = MemberString(payload, "jti");
  if (jti.empty()) {
    *why = "jti is missing";
    return false;
  }
  std::lock_guard lock(mu_);
  for (auto it = seen_jti_.begin(); it != seen_jti_.end();) {
    if (it->second < now_s) it = seen_jti_.erase(it);
    else ++it;
  }
  if (!seen_jti_.emplace(jti, exp).second) {
    *why = "jti has already been used";
    return false;
  }
  return true;
}

TokenAnswer TokenAuthority::Token(const std::multimap<std::string, std::string>& form, int64_t now_ms) {
  if (Param(form, "grant_type") != "client_credentials") {
    return OAuthError(400, "unsupported_grant_type", "grant_type must be client_credentials");
  }
  if (Param(form, "client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
    return OAuthError(400, "invalid_request",
                      "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  }
  const std::string assertion = Param(form, "client_assertion");
  if (assertion.empty()) return OAuthError(400, "invalid_request", "client_assertion is missing");
  std::string why;
  if (!VerifyAssertion(assertion, now_ms, &why)) return OAuthError(401, "invalid_client", why);
  std::string scope = Param(form, "scope");
  if (scope.empty()) return OAuthError(400, "invalid_scope", "scope is missing");
  // Only system-level read/search scopes for AuditEvent (or every type) are granted.
  std::string granted;
  size_t i = 0;
  while (i < scope.size()) {
    size_t j = scope.find(' ', i);
    if (j == std::string::npos) j = scope.size();
    const std::string s = scope.substr(i, j - i);
    i = j + 1;
    if (s.empty()) continue;
    static const char* kAllowed[] = {"system/AuditEvent.rs", "system/AuditEvent.read", "system/AuditEvent.r",
                                     "system/AuditEvent.s",  "system/*.rs",            "system/*.read",
                                     "system/*.r",           "system/*.s"};
    bool ok = false;
    for (const char* a : kAllowed) ok = ok || s == a;
    if (ok) granted += (granted.empty() ? "" : " ") + s;
  }
  if (granted.empty()) {
    return OAuthError(400, "invalid_scope", "no requested scope can be granted (system/AuditEvent.rs or .read)");
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return OAuthError(500, "server_error", "no randomness");
  const std::string token = Base64UrlEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  {
    std::lock_guard lock(mu_);
    tokens_[token] = Issued{now_ms, 0, false};
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("access_token");
  w.String(token.c_str());
  w.Key("token_type");
  w.String("bearer");
  w.Key("expires_in");
  w.Int64(config_.token_ttl_ms / 1000);
  w.Key("scope");
  w.String(granted.c_str());
  w.EndObject();
  return TokenAnswer{200, buf.GetString()};
}

TokenAuthority::Check TokenAuthority::Authenticate(std::string_view token, int64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return Check::kUnknown;
  Issued& t = it->second;
  if (t.revoked || now_ms - t.issued_ms >= config_.token_ttl_ms ||
      (config_.token_max_requests > 0 && t.requests >= config_.token_max_requests)) {
    t.revoked = true;
    return Check::kExpired;
  }
  ++t.requests;
  return Check::kOk;
}

void TokenAuthority::RevokeAll() {
  std::lock_guard lock(mu_);
  for (auto& [k, t] : tokens_) t.revoked = true;
}

}  // namespace custody::sim::fhir
