#pragma once
// OAuth 2.0 as a Salesforce org answers it: the token endpoint's four grants (JWT bearer, client
// credentials, refresh token, password) with Salesforce's success and error bodies, and the access
// tokens they issue, which expire by time or request count and can be revoked all at once.

#include <openssl/evp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model.h"

namespace custody::sim {

struct OAuthConfig {
  std::string client_id;       // consumer key, "3MVG9..."
  std::string client_secret;
  std::string password;        // every simulated user's password (password grant)
  std::string login_url;       // "http://127.0.0.1:PORT": client_credentials is refused here
  std::string instance_url;
  std::vector<std::string> audiences;  // accepted JWT aud values
  EVP_PKEY* jwt_public_key = nullptr;  // the connected app's trusted certificate's key (not owned)
  int64_t token_ttl_ms = 2 * 3600 * 1000;  // session timeout
  uint64_t token_max_requests = 0;         // 0: unlimited
  size_t max_tokens_per_user = 5;          // older tokens are revoked beyond this
  bool rotate_refresh_tokens = false;      // a refresh token is single-use, the answer carries a new one
  int64_t jwt_clock_skew_ms = 3 * 60 * 1000;
};

// An HTTP answer: status and JSON body.
struct OAuthAnswer {
  int status = 200;
  std::string body;
};

class OAuthServer {
 public:
  OAuthServer(const Org& org, OAuthConfig config);

  // POST /services/oauth2/token with the form already decoded. `on_login_host` is true when the
  // request came to the login URL rather than the instance (My Domain) URL.
  OAuthAnswer Token(const std::multimap<std::string, std::string>& form, bool on_login_host,
                    TimeMs wall_now);

  // Checks a bearer token and counts the request against it. Null: invalid, expired or revoked.
  const UserInfo* Authenticate(std::string_view bearer, TimeMs wall_now);
  // Issues a token without a grant (the startup line's access_token).
  std::string IssueToken(const UserInfo& user, TimeMs wall_now);
  std::string IssueRefreshToken(const UserInfo& user);
  // Revokes every access token issued so far (fault "expire", admin endpoint).
  void RevokeAll();

  // GET /services/oauth2/userinfo and the identity URL, for the token's user.
  std::string UserInfoJson(const UserInfo& user) const;
  std::string IdentityJson(const UserInfo& user) const;
  std::string IdentityUrl(const UserInfo& user) const;
  const OAuthConfig& config() const { return config_; }

 private:
  struct IssuedToken {
    const UserInfo* user = nullptr;
    TimeMs issued = 0;
    uint64_t requests = 0;
    uint64_t serial = 0;
  };
  OAuthAnswer Success(const UserInfo& user, TimeMs wall_now, bool with_refresh,
                      const std::string& refresh_token);
  OAuthAnswer JwtBearer(std::string_view assertion, TimeMs wall_now);
  std::string NewTokenLocked(const UserInfo& user, TimeMs wall_now);

  const Org& org_;
  OAuthConfig config_;
  std::mutex mu_;
  std::map<std::string, IssuedToken, std::less<>> tokens_;
  std::map<std::string, const UserInfo*, std::less<>> refresh_tokens_;
  uint64_t serial_ = 0;
};

// Base64url without padding, as JWTs use.
std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace custody::sim
