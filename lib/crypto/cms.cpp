#include "crypto/cms.h"

#include <openssl/err.h>

#include <limits>

namespace custody::crypto {

namespace {
Error CryptoError(std::string what) {
  std::string detail = TakeOpenSslErrors();
  return Error(ErrorCode::kCrypto, detail.empty() ? what : what + ": " + detail);
}
// A read-only memory BIO over bytes; null only when OpenSSL cannot take that many. An empty view
// may have no data pointer, which BIO_new_mem_buf refuses, so it reads from a static empty buffer.
BioPtr MemoryBio(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return nullptr;
  static const char kEmpty[1] = {};
  return BioPtr(BIO_new_mem_buf(bytes.empty() ? kEmpty : bytes.data(), static_cast<int>(bytes.size())));
}
}  // namespace

Result<std::string> CmsSignDetached(std::string_view content, const SigningIdentity& signer) {
  BioPtr in = MemoryBio(content);
  if (!in) return CryptoError("CMS sign: content too large");
  X509StackPtr extra(sk_X509_new_null());
  for (size_t i = 1; i < signer.chain.size(); ++i) sk_X509_push(extra.get(), signer.chain[i].get());
  const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
  CmsPtr cms(CMS_sign(nullptr, nullptr, extra.get(), nullptr, flags));
  if (!cms) return CryptoError("CMS sign");
  if (CMS_add1_signer(cms.get(), signer.certificate(), signer.key.get(), EVP_sha256(), CMS_BINARY | CMS_NOSMIMECAP) == nullptr) {
    return CryptoError("CMS add signer");
  }
  if (CMS_final(cms.get(), in.get(), nullptr, CMS_DETACHED | CMS_BINARY) != 1) return CryptoError("CMS final");
  unsigned char* der = nullptr;
  int len = i2d_CMS_ContentInfo(cms.get(), &der);
  if (len <= 0) return CryptoError("CMS encode");
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<CmsCheck> CmsVerifyDetached(std::string_view der, std::string_view content) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return CryptoError("not a DER CMS structure");
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    return Error(ErrorCode::kCrypto, "the CMS structure is not SignedData");
  }
  CmsCheck check;
  STACK_OF(X509)* certs = CMS_get1_certs(cms.get());
  if (certs != nullptr) {
    for (int i = 0; i < sk_X509_num(certs); ++i) check.embedded.emplace_back(sk_X509_value(certs, i));
    sk_X509_free(certs);  // ownership moved into `embedded`
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (infos == nullptr || sk_CMS_SignerInfo_num(infos) != 1) {
    check.problem = "expected exactly one signer";
    return check;
  }
  BioPtr in = MemoryBio(content);
  if (!in) return CryptoError("CMS verify: content too large");
  // Cryptographic check only; trust in the signer is decided separately.
  int ok = CMS_verify(cms.get(), nullptr, nullptr, in.get(), nullptr,
                      CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_DETACHED);
  if (ok != 1) {
    std::string detail = TakeOpenSslErrors();
    check.problem = detail.empty() ? "verification failure" : detail;
  } else {
    check.signature_valid = true;
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  for (const X509Ptr& c : check.embedded) {
    if (CMS_SignerInfo_cert_cmp(si, c.get()) == 0) {
      X509_up_ref(c.get());
      check.signer.reset(c.get());
      break;
    }
  }
  if (!check.signer && check.signature_valid) {
    check.signature_valid = false;
    check.problem = "the signer's certificate is not in the signature";
  }
  TakeOpenSslErrors();
  return check;
}

Status CheckTrusted(X509* cert, const std::vector<X509Ptr>& untrusted, const std::vector<X509Ptr>& trusted,
                    UtcSeconds at) {
  X509StorePtr store(X509_STORE_new());
  for (const X509Ptr& t : trusted) X509_STORE_add_cert(store.get(), t.get());
  X509StackPtr chain(sk_X509_new_null());
  for (const X509Ptr& u : untrusted) sk_X509_push(chain.get(), u.get());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert, chain.get()) != 1) {
    return CryptoError("certificate store");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(at.time_since_epoch().count()));
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_ANY);
  if (X509_verify_cert(ctx.get()) == 1) return Status::Ok();
  int err = X509_STORE_CTX_get_error(ctx.get());
  TakeOpenSslErrors();
  return Error(ErrorCode::kIntegrity, X509_verify_cert_error_string(err));
}

}  // namespace custody::crypto
