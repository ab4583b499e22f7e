#pragma once
// How the FHIR connector authenticates: a static bearer token (FHIR_ACCESS_TOKEN), HTTP Basic
// (--username + FHIR_PASSWORD), or SMART Backend Services (client_credentials with a
// private_key_jwt assertion, RS384 or ES384, re-granted before the token expires and after a 401).
// Secrets come only from the environment and the key file, and are registered with the redactor
// as soon as they are read; grants are recorded as GrantRecords, never the token.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"
#include "auth/smart_auth.h"
#include "connectors/common/session.h"
#include "core/time.h"
#include "http/transport.h"

namespace custody::connectors::fhir {

inline constexpr const char* kEnvAccessToken = "FHIR_ACCESS_TOKEN";
inline constexpr const char* kEnvPassword = "FHIR_PASSWORD";

enum class FhirAuthMode { kToken, kBasic, kSmart, kNone };
// "token", "basic", "smart", "none".
Result<FhirAuthMode> ParseFhirAuthMode(std::string_view name);
std::string FhirAuthModeName(FhirAuthMode mode);

struct FhirAuthConfig {
  FhirAuthMode mode = FhirAuthMode::kToken;
  std::string username;              // basic
  std::string client_id;             // smart
  std::filesystem::path key_file;    // smart: PEM private key (RSA → RS384, EC P-384 → ES384)
  std::string kid;                   // smart: the key's id in the registered JWKS
  std::string token_url;             // smart: "" = from .well-known/smart-configuration
  std::string scope;                 // smart: "" = system/AuditEvent.read, or .rs when the server
                                     // only speaks SMART v2 scopes
};

struct FhirSecrets {
  auth::Secret access_token;   // token
  auth::Secret password;       // basic
  auth::Secret key_pem;        // smart
  auth::Secret key_passphrase; // smart, optional
};

// Checks the mode has what it needs and reads the secrets (FHIR_ACCESS_TOKEN, FHIR_PASSWORD,
// FHIR_KEY_PASSPHRASE, the key file), registering each with the redactor at once. Errors are
// kInvalidArgument naming the missing flag or variable, never a value.
Result<FhirSecrets> LoadFhirSecrets(const FhirAuthConfig& config, const auth::EnvLookup& env,
                                    auth::Redactor& redactor);

// A static credential (bearer or Basic): applied to every request, cannot be renewed.
class StaticAuthenticator final : public Authenticator {
 public:
  // header_value: "Bearer <token>" or "Basic <base64>"; refused_hint says what to do when the
  // server refuses it (named in the error).
  StaticAuthenticator(std::string header_value, std::string refused_hint)
      : header_(std::move(header_value)), hint_(std::move(refused_hint)) {}
  Status Apply(http::Request& request, std::uint64_t* generation) override;
  Status Renew(std::uint64_t stale_generation) override;
  std::vector<auth::GrantRecord> Grants() const override { return {}; }

 private:
  std::string header_;
  std::string hint_;
};

// "Basic " + base64(username ":" password); the encoded form is registered with the redactor.
std::string BasicHeader(const std::string& username, const auth::Secret& password, auth::Redactor& redactor);

struct SmartSettings {
  std::string token_url;
  std::string client_id;
  std::string kid;
  std::string scope;           // the scope asked for
  std::string fallback_scope;  // asked for once when the first is refused with invalid_scope ("" = none)
  // Re-grant when less than this is left of the token's life (SMART tokens live about 5 minutes).
  std::chrono::seconds renew_margin{30};
};

// SMART Backend Services: one token shared by every session of the source. Apply gets the first
// token (or a new one when the current is about to expire); Renew after a 401 re-grants unless
// another session already did. Thread-safe; the grant's HTTP exchange happens under the lock so
// waiting sessions get the new token instead of making grants of their own.
class SmartAuthenticator final : public Authenticator {
 public:
  SmartAuthenticator(SmartSettings settings, auth::SmartSigningKey key, std::unique_ptr<http::Transport> transport,
                     const Clock& clock, auth::Redactor& redactor);
  Status Apply(http::Request& request, std::uint64_t* generation) override;
  Status Renew(std::uint64_t stale_generation) override;
  std::vector<auth::GrantRecord> Grants() const override;
  std::string granted_scope() const;
  auth::JwsAlgorithm alg() const { return key_.alg; }

 private:
  Status GrantLocked();

  SmartSettings settings_;
  auth::SmartSigningKey key_;
  std::unique_ptr<http::Transport> transport_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  mutable std::mutex mu_;
  std::optional<auth::SmartToken> token_;
  std::uint64_t generation_ = 0;
  std::vector<auth::GrantRecord> grants_;
  bool fallback_used_ = false;
  // The token server's clock minus ours, learnt from a refused grant's Date header.
  std::chrono::seconds clock_skew_{0};
  static constexpr std::int64_t kSkewWorthRetryMs = 30000;
};

}  // namespace custody::connectors::fhir
