#pragma once
// RAII owners for OpenSSL handles. No bare *_free calls outside this header.

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace custody::crypto {

template <auto Free>
struct CFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
template <typename T, auto Free>
using CPtr = std::unique_ptr<T, CFree<Free>>;

using EvpPkeyPtr = CPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpMdCtxPtr = CPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using X509Ptr = CPtr<X509, X509_free>;
using X509NamePtr = CPtr<X509_NAME, X509_NAME_free>;
using X509StorePtr = CPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = CPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using X509ExtensionPtr = CPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BioPtr = CPtr<BIO, BIO_free_all>;
using CmsPtr = CPtr<CMS_ContentInfo, CMS_ContentInfo_free>;

// STACK_OF(X509) frees through a macro, so it needs a functor. Frees the stack, not the certs.
struct X509StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;

// The queued OpenSSL errors as one line (and clears the queue); "" when none.
std::string TakeOpenSslErrors();

}  // namespace custody::crypto
