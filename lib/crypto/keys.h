#pragma once
// Signing keys and X.509 certificates: generation, PEM encoding, loading and matching.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "crypto/openssl_ptr.h"

namespace custody::crypto {

enum class KeyType { kEcP256, kEcP384, kRsa3072 };

Result<KeyType> KeyTypeFromName(std::string_view name);  // "p256", "p384", "rsa3072"

Result<EvpPkeyPtr> GenerateKey(KeyType type);

// A self-signed X.509 v3 certificate for signing evidence: keyUsage digitalSignature and
// nonRepudiation, CA:FALSE, valid from not_before for `days` days.
// subject is "CN=...,O=..."; a comma inside a value is written "\,". An unknown attribute or a
// value the attribute does not allow (a CN over 64 characters, a C that is not two letters) is
// kInvalidArgument naming the attribute.
Result<X509Ptr> MakeSelfSignedCertificate(EVP_PKEY* key, std::string_view subject, UtcSeconds not_before,
                                          int days);
Result<X509NamePtr> ParseSubject(std::string_view subject);

// The longest passphrase OpenSSL passes to a PEM password callback (PEM_BUFSIZE).
inline constexpr size_t kMaxPassphraseBytes = 1024;

// PKCS#8 PEM; encrypted with AES-256-CBC when a passphrase is given. A passphrase that is empty or
// longer than kMaxPassphraseBytes is refused (kInvalidArgument): the key could never be loaded.
Result<std::string> PrivateKeyToPem(EVP_PKEY* key, const std::optional<std::string>& passphrase);
Result<std::string> CertificateToPem(X509* cert);

// How ReadPemPrivateKey's messages name a key and its passphrase. Each caller has its own
// wording, which its users, docs and tests already know.
struct PemKeyLabel {
  std::string key;             // the start of every message: "key /keys/ex.key", "the JWT key"
  std::string passphrase_from;  // where the passphrase comes from, as a message says it:
                               // "the CUSTODY_KEY_PASSPHRASE environment variable"
  std::string passphrase;      // how "wrong ...?" names it: "passphrase", or the variable itself
  // The code of "is not a PEM private key" (and of an input too large to be one). kCrypto, which
  // exits 1 as docs/cli.md says of a key that cannot be parsed; only the SMART loader still asks
  // for kInvalidArgument (exit 2), the code it had before this reader was shared.
  ErrorCode not_a_key = ErrorCode::kCrypto;
};

// Reads a PEM private key of any type (PKCS#8, encrypted PKCS#8 or a traditional RSA/EC block);
// checking the type is the caller's job. An empty passphrase means none, as it always did for the
// Salesforce and SMART keys: the CLI drops an empty CUSTODY_KEY_PASSPHRASE too, and PrivateKeyToPem
// never encrypts under one. Never prompts on a terminal. Errors, each starting with label.key and
// never holding the passphrase:
//   kCrypto  "... is encrypted: put its passphrase in <passphrase_from>"
//   kCrypto  "... could not be decrypted: the passphrase in <passphrase_from> is longer than the
//            1024 bytes OpenSSL accepts"
//   kCrypto  "... could not be decrypted: wrong <passphrase>?"
//   not_a_key "... is not a PEM private key (<OpenSSL's reason>)"
Result<EvpPkeyPtr> ReadPemPrivateKey(std::string_view pem, const PemKeyLabel& label, std::string_view passphrase);

// The evidence signing key: ReadPemPrivateKey with the passphrase from CUSTODY_KEY_PASSPHRASE,
// messages naming "key <what>", then only an EC key or an RSA key of 2048 bits or more (kCrypto).
Result<EvpPkeyPtr> LoadPrivateKey(std::string_view pem, std::string_view what,
                                  const std::optional<std::string>& passphrase);
// Every certificate in a PEM file, in order (the signer first, then its chain). Text outside the
// PEM blocks is ignored; a damaged certificate block is an error, never a shorter chain.
Result<std::vector<X509Ptr>> LoadCertificates(std::string_view pem, std::string_view what);

Status CheckKeyMatchesCertificate(EVP_PKEY* key, X509* cert);
// Error (kCrypto) when `at` is outside the certificate's notBefore..notAfter.
Status CheckValidAt(X509* cert, UtcSeconds at);

// RFC 2253 one-line subject: "CN=Jane Examiner,O=Example Health".
std::string SubjectString(X509* cert);
std::string CertificateSha256(X509* cert);  // hex of the DER encoding's SHA-256
Result<std::string> CertificateDer(X509* cert);
Result<X509Ptr> CertificateFromDer(std::string_view der);

// A key and the certificate chain that vouches for it (signer first).
struct SigningIdentity {
  EvpPkeyPtr key;
  std::vector<X509Ptr> chain;
  X509* certificate() const { return chain.front().get(); }
};

// Signs with SHA-256 (ECDSA DER signature, or RSA PKCS#1 v1.5).
Result<std::string> SignBytes(EVP_PKEY* key, std::string_view data);
// True when the signature verifies under the certificate's public key.
bool VerifyBytes(X509* cert, std::string_view data, std::string_view signature);

}  // namespace custody::crypto
