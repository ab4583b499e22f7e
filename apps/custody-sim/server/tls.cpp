#include "server/tls.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <utility>
#include <vector>

#include "crypto/keys.h"

namespace custody::sim {
namespace {

Error Fail(const std::string& what) { return Error(ErrorCode::kCrypto, "custody-sim: " + what); }

Status WriteFile(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Error(ErrorCode::kIo, "custody-sim: cannot write " + path);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return Error(ErrorCode::kIo, "custody-sim: cannot write " + path);
  return Status::Ok();
}

Result<crypto::X509Ptr> MakeCert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key,
                                 const std::vector<std::pair<int, const char*>>& extensions) {
  crypto::X509Ptr cert(X509_new());
  if (!cert) return Fail("create certificate");
  X509_set_version(cert.get(), X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] = static_cast<unsigned char>((serial[0] & 0x7f) | 0x01);
  crypto::CPtr<BIGNUM, BN_free> bn(BN_bin2bn(serial, sizeof serial, nullptr));
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()));
  const time_t now = std::time(nullptr);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 3600);
  ASN1_TIME_adj(X509_getm_notAfter(cert.get()), now, 30, 0);
  crypto::X509NamePtr name(X509_NAME_new());
  X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("custody-sim"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name.get());
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    crypto::X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) return Fail("certificate extension");
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return Fail("sign certificate");
  }
  return cert;
}

Status WriteKeyAndCert(EVP_PKEY* key, X509* cert, const std::string& key_path, const std::string& cert_path) {
  auto key_pem = crypto::PrivateKeyToPem(key, std::nullopt);
  if (!key_pem) return key_pem.error();
  auto cert_pem = crypto::CertificateToPem(cert);
  if (!cert_pem) return cert_pem.error();
  if (Status s = WriteFile(key_path, *key_pem); !s) return s;
  return WriteFile(cert_path, *cert_pem);
}

}  // namespace

Result<JwtMaterial> MakeJwtMaterial(const std::string& dir) {
  // Salesforce's JWT bearer flow takes RS256 only, so the connected app's key is RSA.
  crypto::EvpPkeyPtr key(EVP_RSA_gen(2048));
  if (!key) return Fail("generate the JWT RSA key");
  auto cert = MakeCert(key.get(), "custody-sim connected app", nullptr, nullptr,
                       {{NID_basic_constraints, "critical,CA:FALSE"},
                        {NID_key_usage, "critical,digitalSignature"}});
  if (!cert) return cert.error();
  JwtMaterial m;
  m.private_key_path = dir + "/jwt-key.pem";
  m.certificate_path = dir + "/jwt-cert.pem";
  if (Status s = WriteKeyAndCert(key.get(), cert->get(), m.private_key_path, m.certificate_path); !s) return s.error();
  EVP_PKEY_up_ref(key.get());
  m.public_key.reset(key.get());
  return m;
}

Result<TlsMaterial> MakeTlsMaterial(const std::string& dir) {
  crypto::EvpPkeyPtr ca_key(EVP_EC_gen("P-256"));
  crypto::EvpPkeyPtr leaf_key(EVP_EC_gen("P-256"));
  if (!ca_key || !leaf_key) return Fail("generate TLS keys");
  auto ca = MakeCert(ca_key.get(), "custody-sim test CA", nullptr, nullptr,
                     {{NID_basic_constraints, "critical,CA:TRUE"},
                      {NID_key_usage, "critical,keyCertSign,cRLSign"},
                      {NID_subject_key_identifier, "hash"}});
  if (!ca) return ca.error();
  auto leaf = MakeCert(leaf_key.get(), "127.0.0.1", ca->get(), ca_key.get(),
                       {{NID_basic_constraints, "critical,CA:FALSE"},
                        {NID_key_usage, "critical,digitalSignature"},
                        {NID_ext_key_usage, "serverAuth"},
                        {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                        {NID_authority_key_identifier, "keyid"}});
  if (!leaf) return leaf.error();
  TlsMaterial m;
  m.ca_path = dir + "/ca.pem";
  m.cert_path = dir + "/server-cert.pem";
  m.key_path = dir + "/server-key.pem";
  auto ca_pem = crypto::CertificateToPem(ca->get());
  if (!ca_pem) return ca_pem.error();
  if (Status s = WriteFile(m.ca_path, *ca_pem); !s) return s.error();
  if (Status s = WriteKeyAndCert(leaf_key.get(), leaf->get(), m.key_path, m.cert_path); !s) return s.error();
  return m;
}

}  // namespace custody::sim
