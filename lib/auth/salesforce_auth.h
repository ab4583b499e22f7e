#pragma once
// Salesforce OAuth for collectors: the four ways custody gets an access token, secrets kept out of
// argv, logs, errors and bundles, and a token that many worker threads share and renew once.

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "http/transport.h"

namespace custody::auth {

// A secret value. It has no stream operator and no implicit conversion, so it cannot end up in
// a message by accident; reveal() is grep-able.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

// Replaces every occurrence of every registered secret (and its URL-encoded form) with
// "[REDACTED]". Thread-safe. Applied to anything custody writes that could echo a secret back
// (error bodies, log lines).
class Redactor {
 public:
  void Add(const std::string& secret);
  std::string Apply(std::string_view text) const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> secrets_;
};

enum class SalesforceAuthMode { kToken, kJwt, kClientCredentials, kRefreshToken };

// "token", "jwt", "client-credentials", "refresh-token".
Result<SalesforceAuthMode> ParseSalesforceAuthMode(std::string_view name);
std::string SalesforceAuthModeName(SalesforceAuthMode mode);
// The OAuth grant_type value sent for the mode ("" for kToken).
std::string GrantType(SalesforceAuthMode mode);

struct SalesforceAuthConfig {
  SalesforceAuthMode mode = SalesforceAuthMode::kToken;
  std::string instance_url;             // https://example.my.salesforce.com
  std::string login_url;                // token endpoint host for jwt and refresh-token; default
                                        // https://login.salesforce.com
  std::string client_id;                // jwt, client-credentials, refresh-token
  std::string username;                 // jwt (the sub claim)
  std::filesystem::path jwt_key_file;   // jwt: PEM RSA private key
  std::string jwt_audience;             // default: https://test.salesforce.com when login_url is a
                                        // test.salesforce.com URL, otherwise https://login.salesforce.com
};

// Secrets, read only from the environment (SF_ACCESS_TOKEN, SF_CLIENT_SECRET, SF_REFRESH_TOKEN,
// SF_JWT_KEY_PASSPHRASE) and from the JWT key file.
struct SalesforceSecrets {
  Secret access_token;   // kToken
  Secret client_secret;  // kClientCredentials (required), kRefreshToken (optional)
  Secret refresh_token;  // kRefreshToken
  Secret jwt_key_pem;    // kJwt: the key file's contents
  Secret jwt_key_passphrase;
};

using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
EnvLookup ProcessEnvironment();

// Checks that the mode has what it needs (flags and secrets) and loads the secrets. Errors are
// kInvalidArgument and name the missing flag or environment variable, never a secret's value.
Result<SalesforceSecrets> LoadSalesforceSecrets(const SalesforceAuthConfig& config, const EnvLookup& env);

struct Token {
  Secret access_token;
  std::string instance_url;   // from the grant response (or the config for kToken)
  std::string identity_url;   // "id" of the grant response: https://login.../id/<org>/<user>
  std::string issued_at;      // epoch milliseconds as sent
  std::string scope;
  std::uint64_t generation = 0;  // 1 for the first token, +1 per renewal
};

// One token request as recorded in the bundle's metadata: never the token itself.
struct GrantRecord {
  std::string grant_type;
  std::string token_url;          // e.g. https://login.salesforce.com/services/oauth2/token
  std::string requested_at;       // RFC 3339 UTC, the local clock
  int http_status = 0;            // 0 when the request did not complete
  std::string identity_url;       // on success
  std::string instance_url;       // on success
  std::string issued_at;          // on success
  std::string error;              // on failure: "invalid_grant: user hasn't approved this consumer"
};

// Shared by every worker of a collection. Current() returns the token in force (acquiring the
// first one); Renew(stale) is called after a 401 INVALID_SESSION_ID with the token that failed:
// if another thread already renewed it returns the newer token without a second grant, so N
// workers hitting one expiry cause one grant. kToken cannot renew: Renew is kAuth naming
// SF_ACCESS_TOKEN as expired. A refused grant is kAuth with the endpoint and the server's
// error and error_description; a transport failure stays kNetwork.
class TokenProvider {
 public:
  virtual ~TokenProvider() = default;
  virtual Result<Token> Current(http::Transport& transport) = 0;
  virtual Result<Token> Renew(http::Transport& transport, std::uint64_t stale_generation) = 0;
  virtual bool CanRenew() const = 0;
  virtual std::vector<GrantRecord> Grants() const = 0;
};

// The secrets are registered with the redactor (when given) before any request is made.
Result<std::unique_ptr<TokenProvider>> MakeSalesforceTokenProvider(const SalesforceAuthConfig& config,
                                                                   SalesforceSecrets secrets, const Clock& clock,
                                                                   Redactor* redactor);

// An RS256 JWT for the jwt-bearer grant: header {"alg":"RS256"}, claims iss, sub, aud and exp
// (now + 3 minutes, Unix seconds), base64url without padding. The key must be RSA.
Result<std::string> MakeJwtAssertion(std::string_view key_pem, const std::string& passphrase, std::string_view iss,
                                     std::string_view sub, std::string_view aud, UtcSeconds now);

}  // namespace custody::auth
