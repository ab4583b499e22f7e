#pragma once
// SMART Backend Services (HL7 SMART App Launch, "Backend Services"): the private_key_jwt client
// assertion, signed RS384 or ES384, and the client_credentials grant that trades it for an access
// token. The token leaves this module only as a Secret, registered with the redactor first; what
// a bundle records of a grant is its GrantRecord. The token response is never written anywhere.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/salesforce_auth.h"  // Secret, Redactor, GrantRecord
#include "core/error.h"
#include "core/time.h"
#include "crypto/openssl_ptr.h"
#include "http/transport.h"

namespace custody::auth {

// The environment variable an encrypted SMART key's passphrase comes from (named in messages).
inline constexpr const char* kEnvFhirKeyPassphrase = "FHIR_KEY_PASSPHRASE";

// The two algorithms SMART clients SHALL support.
enum class JwsAlgorithm { kRs384, kEs384 };
std::string JwsAlgorithmName(JwsAlgorithm alg);  // "RS384", "ES384"

struct SmartSigningKey {
  crypto::EvpPkeyPtr key;
  JwsAlgorithm alg = JwsAlgorithm::kRs384;
};

// The algorithm follows the key: RSA (2048 bits or more) signs RS384, EC P-384 signs ES384.
// Anything else is kInvalidArgument naming what the key is. An encrypted key without its
// passphrase, or with a wrong one, is kCrypto naming where the passphrase comes from (never the
// passphrase): the FHIR_KEY_PASSPHRASE environment variable, or passphrase_setting when given
// (the case-file setting that holds it).
Result<SmartSigningKey> LoadSmartSigningKey(std::string_view pem, const std::string& passphrase,
                                            std::string_view passphrase_setting = {});

struct ClientAssertion {
  std::string client_id;   // iss and sub
  std::string token_url;   // aud
  std::string kid;         // the key's id in the client's registered JWKS (required by SMART)
  std::string jti;         // unique per assertion; NewJti() when empty
  UtcSeconds now{};
  std::chrono::seconds lifetime{300};  // SMART: exp no more than five minutes ahead
};

// header {"alg","kid","typ":"JWT"}, claims {"iss","sub","aud","exp","jti"}, base64url without
// padding. ES384's signature is JWS's raw r||s (96 bytes), not OpenSSL's DER.
// kInvalidArgument for a lifetime over 300 s or under 1 s, or an empty client id, URL or kid.
Result<std::string> MakeSmartClientAssertion(const SmartSigningKey& key, const ClientAssertion& claims);

// 128 random bits as 32 hex digits.
std::string NewJti();

// A DER ECDSA-Sig-Value as JWS wants it (RFC 7518 §3.4): r and s as unsigned big-endian integers,
// each left-padded to `size` bytes (48 for P-384).
Result<std::string> EcdsaDerToRaw(std::string_view der, size_t size);

std::string Base64UrlEncode(std::string_view data);

struct SmartGrantRequest {
  std::string token_url;
  std::string client_id;
  std::string kid;
  std::string scope;  // "system/AuditEvent.read" (SMART v1) or "system/AuditEvent.rs" (v2)
  // The token server's clock minus ours: the assertion's exp is set by the server's clock, so a
  // server whose clock is minutes off does not see a fresh assertion as expired or too far ahead.
  std::chrono::seconds clock_skew{0};
};

struct SmartToken {
  Secret access_token;
  std::string token_type;      // "bearer" (case-insensitive per RFC 6749)
  std::string scope;           // as granted ("" when the response had none)
  std::int64_t expires_in = 0; // seconds; 0 when the response had none
  UtcSeconds obtained_at{};    // the local clock when the request was sent
};

// POSTs grant_type=client_credentials with a fresh client assertion to the token URL. The body is
// read into memory only (it holds the token) and is never captured; the token is added to the
// redactor before this returns. *record (when not null) is filled either way. A refusal is kAuth
// with the server's OAuth error and description (redacted); a transport failure stays kNetwork.
// *server_date_ms (when not null) gets the token response's Date header as Unix milliseconds, or
// nullopt.
Result<SmartToken> RequestSmartToken(http::Transport& transport, const SmartGrantRequest& request,
                                     const SmartSigningKey& key, const Clock& clock, Redactor& redactor,
                                     GrantRecord* record, std::optional<std::int64_t>* server_date_ms = nullptr);

}  // namespace custody::auth
