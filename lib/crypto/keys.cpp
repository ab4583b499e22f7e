#include "crypto/keys.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <limits>

#include "core/encoding.h"
#include "crypto/digest.h"

namespace custody::crypto {

static_assert(kMaxPassphraseBytes == PEM_BUFSIZE, "the PEM password callback's buffer size");

namespace {
Error CryptoError(std::string what) {
  std::string detail = TakeOpenSslErrors();
  return Error(ErrorCode::kCrypto, detail.empty() ? what : what + ": " + detail);
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}
}  // namespace

Result<KeyType> KeyTypeFromName(std::string_view name) {
  if (name == "p256") return KeyType::kEcP256;
  if (name == "p384") return KeyType::kEcP384;
  if (name == "rsa3072") return KeyType::kRsa3072;
  return Error(ErrorCode::kInvalidArgument, "unknown key type '" + std::string(name) + "' (p256, p384 or rsa3072)");
}

Result<EvpPkeyPtr> GenerateKey(KeyType type) {
  EVP_PKEY* key = nullptr;
  switch (type) {
    case KeyType::kEcP256: key = EVP_EC_gen("P-256"); break;
    case KeyType::kEcP384: key = EVP_EC_gen("P-384"); break;
    case KeyType::kRsa3072: key = EVP_RSA_gen(3072); break;
  }
  if (key == nullptr) return CryptoError("generate key");
  return EvpPkeyPtr(key);
}

Result<X509NamePtr> ParseSubject(std::string_view subject) {
  X509NamePtr name(X509_NAME_new());
  std::vector<std::string> parts;
  std::string current;
  for (size_t i = 0; i < subject.size(); ++i) {
    if (subject[i] == '\\' && i + 1 < subject.size()) {
      current += subject[++i];
    } else if (subject[i] == ',') {
      parts.push_back(current);
      current.clear();
    } else {
      current += subject[i];
    }
  }
  parts.push_back(current);
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(' ');
    size_t e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  for (const std::string& raw : parts) {
    std::string part = trim(raw);
    size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size()) {
      return Error(ErrorCode::kInvalidArgument,
                   "subject '" + std::string(subject) + "': expected KEY=VALUE pairs such as CN=Jane Doe,O=Example");
    }
    std::string key = trim(part.substr(0, eq));
    std::string value = trim(part.substr(eq + 1));
    if (!IsValidUtf8(value)) return Error(ErrorCode::kInvalidArgument, "subject value is not UTF-8");
    if (OBJ_txt2nid(key.c_str()) == NID_undef) {
      TakeOpenSslErrors();
      return Error(ErrorCode::kInvalidArgument, "subject '" + std::string(subject) + "': unknown attribute '" + key +
                                                    "' (use CN, O, OU, C, ST, L, emailAddress)");
    }
    if (X509_NAME_add_entry_by_txt(name.get(), key.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) != 1) {
      // A known attribute with a value X.520 does not allow: a CN over 64 characters, C=USA, ...
      std::string detail = TakeOpenSslErrors();
      return Error(ErrorCode::kInvalidArgument, "subject '" + std::string(subject) + "': invalid value for " + key +
                                                    (detail.empty() ? "" : " (" + detail + ")"));
    }
  }
  return name;
}

Result<X509Ptr> MakeSelfSignedCertificate(EVP_PKEY* key, std::string_view subject, UtcSeconds not_before,
                                          int days) {
  if (days < 1 || days > 36500) return Error(ErrorCode::kInvalidArgument, "--days must be between 1 and 36500");
  auto name = ParseSubject(subject);
  if (!name) return name.error();
  X509Ptr cert(X509_new());
  if (!cert) return CryptoError("create certificate");
  X509_set_version(cert.get(), X509_VERSION_3);
  std::uint8_t serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return CryptoError("random serial");
  serial[0] &= 0x7f;
  serial[0] |= 0x01;  // positive and full length
  CPtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) return CryptoError("serial");
  time_t start = static_cast<time_t>(not_before.time_since_epoch().count());
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), start) ||
      !ASN1_TIME_adj(X509_getm_notAfter(cert.get()), start, days, 0)) {
    return CryptoError("validity");
  }
  X509_set_subject_name(cert.get(), name->get());
  X509_set_issuer_name(cert.get(), name->get());
  if (X509_set_pubkey(cert.get(), key) != 1) return CryptoError("set public key");
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> extensions[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,nonRepudiation"},
      {NID_subject_key_identifier, "hash"},
  };
  for (const auto& [nid, value] : extensions) {
    X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) return CryptoError("certificate extension");
  }
  const EVP_MD* md = EVP_PKEY_get_bits(key) == 384 ? EVP_sha384() : EVP_sha256();
  if (X509_sign(cert.get(), key, md) == 0) return CryptoError("self-sign certificate");
  return cert;
}

Result<std::string> PrivateKeyToPem(EVP_PKEY* key, const std::optional<std::string>& passphrase) {
  if (passphrase && (passphrase->empty() || passphrase->size() > kMaxPassphraseBytes)) {
    // LoadPrivateKey could never decrypt such a key: OpenSSL hands the callback PEM_BUFSIZE bytes.
    return Error(ErrorCode::kInvalidArgument, "the key passphrase must be 1 to " + std::to_string(kMaxPassphraseBytes) +
                                                  " bytes long");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok;
  if (passphrase) {
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), passphrase->data(),
                                       static_cast<int>(passphrase->size()), nullptr, nullptr);
  } else {
    ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  if (ok != 1) return CryptoError("encode private key");
  return BioToString(bio.get());
}

Result<std::string> CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return CryptoError("encode certificate");
  return BioToString(bio.get());
}

namespace {
struct PassphraseContext {
  std::string_view passphrase;  // empty: none
  bool asked = false;
  bool too_long = false;
};

// OpenSSL calls this only for an encrypted key. Returning -1 fails the load instead of prompting
// on the terminal, which an unattended collector must never do.
int PassphraseCallback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* ctx = static_cast<PassphraseContext*>(user);
  ctx->asked = true;
  if (ctx->passphrase.empty()) return -1;
  if (size < 0 || ctx->passphrase.size() > static_cast<size_t>(size)) {
    ctx->too_long = true;
    return -1;
  }
  std::memcpy(buf, ctx->passphrase.data(), ctx->passphrase.size());
  return static_cast<int>(ctx->passphrase.size());
}
}  // namespace

Result<EvpPkeyPtr> ReadPemPrivateKey(std::string_view pem, const PemKeyLabel& label, std::string_view passphrase) {
  if (pem.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Error(label.not_a_key, label.key + " is too large to be a PEM private key");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error(ErrorCode::kCrypto, label.key + " could not be read: " + TakeOpenSslErrors());
  PassphraseContext ctx{passphrase};
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback, &ctx));
  // Taken whether or not the load worked, so nothing is left queued for an unrelated later call.
  const std::string detail = TakeOpenSslErrors();
  if (key) return key;
  // None of these messages may quote the passphrase, only where it comes from.
  if (ctx.asked && passphrase.empty()) {
    return Error(ErrorCode::kCrypto, label.key + " is encrypted: put its passphrase in " + label.passphrase_from);
  }
  if (ctx.too_long) {
    return Error(ErrorCode::kCrypto, label.key + " could not be decrypted: the passphrase in " + label.passphrase_from +
                                         " is longer than the " + std::to_string(kMaxPassphraseBytes) +
                                         " bytes OpenSSL accepts");
  }
  if (ctx.asked) {
    return Error(ErrorCode::kCrypto, label.key + " could not be decrypted: wrong " + label.passphrase + "?");
  }
  return Error(label.not_a_key,
               label.key + " is not a PEM private key" + (detail.empty() ? std::string() : " (" + detail + ")"));
}

Result<EvpPkeyPtr> LoadPrivateKey(std::string_view pem, std::string_view what,
                                  const std::optional<std::string>& passphrase) {
  const PemKeyLabel label{"key " + std::string(what), "the CUSTODY_KEY_PASSPHRASE environment variable",
                          "passphrase"};
  auto key = ReadPemPrivateKey(pem, label, passphrase ? std::string_view(*passphrase) : std::string_view());
  if (!key) return key.error();
  const int id = EVP_PKEY_get_base_id(key->get());
  if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA) {
    return Error(ErrorCode::kCrypto,
                 label.key + ": only ECDSA (P-256, P-384) and RSA keys can make CMS signatures here");
  }
  if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key->get()) < 2048) {
    return Error(ErrorCode::kCrypto, label.key + ": RSA keys must have at least 2048 bits");
  }
  return key;
}

Result<std::vector<X509Ptr>> LoadCertificates(std::string_view pem, std::string_view what) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<X509Ptr> out;
  for (;;) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) break;
    out.emplace_back(cert);
  }
  // The loop ends on "no start line" when the text holds no further certificate. Any other
  // error is a damaged certificate block, which must not shorten the chain silently.
  unsigned long last = ERR_peek_last_error();
  bool clean_end = last == 0 || (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE);
  std::string detail = TakeOpenSslErrors();
  if (!clean_end) {
    return Error(ErrorCode::kCrypto, "certificate " + std::string(what) + ": certificate " +
                                         std::to_string(out.size() + 1) + " is damaged (" + detail + ")");
  }
  if (out.empty()) {
    return Error(ErrorCode::kCrypto, "certificate " + std::string(what) + " holds no PEM certificate");
  }
  return out;
}

Status CheckKeyMatchesCertificate(EVP_PKEY* key, X509* cert) {
  if (X509_check_private_key(cert, key) != 1) {
    TakeOpenSslErrors();
    return Error(ErrorCode::kCrypto, "the key does not match the certificate " + SubjectString(cert));
  }
  return Status::Ok();
}

Status CheckValidAt(X509* cert, UtcSeconds at) {
  time_t t = static_cast<time_t>(at.time_since_epoch().count());
  if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0) {
    return Error(ErrorCode::kCrypto, "the certificate " + SubjectString(cert) + " is not valid yet at " + FormatRfc3339(at));
  }
  if (X509_cmp_time(X509_get0_notAfter(cert), &t) < 0) {
    return Error(ErrorCode::kCrypto, "the certificate " + SubjectString(cert) + " had expired at " + FormatRfc3339(at));
  }
  return Status::Ok();
}

std::string SubjectString(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, (XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV & ~ASN1_STRFLGS_ESC_MSB));
  return BioToString(bio.get());
}

Result<std::string> CertificateDer(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  if (len <= 0) return CryptoError("encode certificate");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string CertificateSha256(X509* cert) {
  auto der = CertificateDer(cert);
  return der ? Sha256Hex(*der) : std::string();
}

Result<X509Ptr> CertificateFromDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (cert == nullptr || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    if (cert) X509_free(cert);
    return CryptoError("decode certificate");
  }
  return X509Ptr(cert);
}

Result<std::string> SignBytes(EVP_PKEY* key, std::string_view data) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return CryptoError("sign");
  size_t len = 0;
  auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) return CryptoError("sign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, data.size()) != 1) {
    return CryptoError("sign");
  }
  sig.resize(len);
  return sig;
}

bool VerifyBytes(X509* cert, std::string_view data, std::string_view signature) {
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = pub != nullptr && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  TakeOpenSslErrors();
  return ok;
}

}  // namespace custody::crypto
