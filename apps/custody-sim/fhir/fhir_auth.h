#pragma once
// Authentication of the simulated FHIR server: SMART Backend Services (client_credentials with a
// private_key_jwt client assertion signed RS384 or ES384, checked as SMART App Launch 2 says), the
// bearer tokens it issues (expiring by time or by request count), plus the static bearer token and
// Basic credentials the startup line prints.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "crypto/openssl_ptr.h"

namespace custody::sim::fhir {

// The registered client's two key pairs. The private keys are written as PEM files for the client
// to use; the server keeps the public halves and publishes them as a JWKS.
struct SmartKeys {
  std::string rs384_private_key_path;
  std::string es384_private_key_path;
  std::string rs384_kid = "custody-sim-rs384";
  std::string es384_kid = "custody-sim-es384";
  crypto::EvpPkeyPtr rs384;
  crypto::EvpPkeyPtr es384;
  std::string jwks_json;
};

Result<SmartKeys> MakeSmartKeys(const std::string& dir);

std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

struct TokenAnswer {
  int status = 200;
  std::string body;  // JSON
};

struct AuthorityConfig {
  std::string client_id;
  std::string token_url;
  int64_t token_ttl_ms = 300000;
  uint64_t token_max_requests = 0;  // 0: unlimited
  int64_t max_assertion_lifetime_s = 300;
};

class TokenAuthority {
 public:
  TokenAuthority(AuthorityConfig config, const SmartKeys& keys) : config_(std::move(config)), keys_(keys) {}

  // POST /token with the form decoded.
  TokenAnswer Token(const std::multimap<std::string, std::string>& form, int64_t now_ms);

  enum class Check { kOk, kUnknown, kExpired };
  // Checks a bearer token issued by Token() and counts the request against it.
  Check Authenticate(std::string_view token, int64_t now_ms);
  // Every token issued so far stops working (the expire-token fault).
  void RevokeAll();

 private:
  struct Issued {
    int64_t issued_ms = 0;
    uint64_t requests = 0;
    bool revoked = false;
  };
  bool VerifyAssertion(std::string_view jwt, int64_t now_ms, std::string* why);

  AuthorityConfig config_;
  const SmartKeys& keys_;
  std::mutex mu_;
  std::map<std::string, Issued, std::less<>> tokens_;
  std::map<std::string, int64_t, std::less<>> seen_jti_;  // jti -> exp (seconds)
};

}  // namespace custody::sim::fhir
