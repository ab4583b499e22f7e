#pragma once
// How the generic HTTP-JSON connector authenticates: none, HTTP Basic, a static bearer/API-key
// header, OAuth2 client credentials (client_secret_post, client_secret_basic, or private_key_jwt
// through the SMART authenticator), or a session login (a POST of a form or JSON to a login URL,
// a cookie jar, an optional session token and CSRF token replayed as headers). Secrets are
// registered with the redactor before any request; tokens and cookies are never written down.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/common/session.h"
#include "connectors/generic/http_json.h"
#include "core/time.h"
#include "http/transport.h"

namespace custody::connectors::generic {

// A static header credential (a bearer token under another header name, an API key).
class HeaderAuthenticator final : public Authenticator {
 public:
  HeaderAuthenticator(std::string name, std::string value, std::string refused_hint)
      : name_(std::move(name)), value_(std::move(value)), hint_(std::move(refused_hint)) {}
  Status Apply(http::Request& request, std::uint64_t* generation) override;
  Status Renew(std::uint64_t) override;
  std::vector<auth::GrantRecord> Grants() const override { return {}; }

 private:
  std::string name_;
  std::string value_;
  std::string hint_;
};

// OAuth2 client_credentials with a client secret (in the form, or as HTTP Basic). The token
// response is read into memory only and never captured; the token is redacted. Renewed shortly
// before it expires and after a 401.
class ClientSecretAuthenticator final : public Authenticator {
 public:
  ClientSecretAuthenticator(const AuthOptions& options, std::unique_ptr<http::Transport> transport, const Clock& clock,
                            auth::Redactor& redactor);
  Status Apply(http::Request& request, std::uint64_t* generation) override;
  Status Renew(std::uint64_t stale_generation) override;
  std::vector<auth::GrantRecord> Grants() const override;

 private:
  Status GrantLocked();
  AuthOptions o_;
  std::unique_ptr<http::Transport> transport_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  mutable std::mutex mu_;
  std::string token_;
  std::int64_t expires_in_ = 0;
  UtcSeconds obtained_at_{};
  std::uint64_t generation_ = 0;
  std::vector<auth::GrantRecord> grants_;
};

struct SessionLoginSettings {
  std::string source;                 // captures go to raw/<source>/auth/
  std::filesystem::path payload_root;
  http::Headers headers;              // the request's static headers (X-Requested-With, ...)
  int max_attempts = 5;
  std::chrono::milliseconds retry_base{500};
  std::function<bool(std::chrono::milliseconds)> sleep;  // false = stop (interrupted)
  const std::atomic<bool>* cancel = nullptr;
};

// A session login: cookies (every Set-Cookie name=value of the login answer), an optional
// token and CSRF token. The login answer is captured unless it carries a token the settings
// read from its body (then only its status is recorded, as a grant). Logs in again after a 401.
class SessionLoginAuthenticator final : public Authenticator {
 public:
  SessionLoginAuthenticator(const AuthOptions& options, SessionLoginSettings settings,
                            std::unique_ptr<http::Transport> transport, const Clock& clock, auth::Redactor& redactor);
  // Logs in now: kAuth for refused credentials (with the server's words), kNetwork when the login
  // URL cannot be reached, kRemote for answers that are neither (a 5xx after every attempt).
  Status Login();
  // POST logout_url (captured) when one is configured.
  Status Logout();
  Status Apply(http::Request& request, std::uint64_t* generation) override;
  Status Renew(std::uint64_t stale_generation) override;
  std::vector<auth::GrantRecord> Grants() const override;
  std::uint64_t requests() const { return requests_.load(); }

 private:
  Status LoginLocked();
  AuthOptions o_;
  SessionLoginSettings s_;
  std::unique_ptr<http::Transport> transport_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  mutable std::mutex mu_;
  std::string cookies_;    // "a=1; b=2" (secret)
  std::string token_;      // secret
  std::string csrf_;       // secret
  std::uint64_t generation_ = 0;
  bool refused_ = false;
  Status last_failure_;
  std::vector<auth::GrantRecord> grants_;
  std::uint64_t captures_ = 0;
  std::atomic<std::uint64_t> requests_{0};
};

// "name=value" pairs of every Set-Cookie header (attributes dropped), joined as a Cookie header.
std::string CookieJar(const http::Headers& headers);

}  // namespace custody::connectors::generic
