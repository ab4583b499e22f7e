#pragma once
// Detached CMS (RFC 5652) signatures in DER, verifiable with `openssl cms -verify`.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "crypto/keys.h"

namespace custody::crypto {

// Signs content (binary, detached) with SHA-256; the signer's certificate chain is embedded.
Result<std::string> CmsSignDetached(std::string_view content, const SigningIdentity& signer);

struct CmsCheck {
  bool signature_valid = false;
  std::string problem;               // why the signature did not verify
  X509Ptr signer;                    // the signer's certificate, when the structure names one
  std::vector<X509Ptr> embedded;     // every certificate carried in the signature
};

// Checks the signature over content with the certificate the CMS structure carries. Does not
// decide whether that certificate is trusted: see CheckTrusted. An Error means the DER is not a
// CMS SignedData at all.
Result<CmsCheck> CmsVerifyDetached(std::string_view der, std::string_view content);

// True when cert is one of the trusted certificates or chains to one (intermediates taken from
// `untrusted`), judged at the time `at` (the moment of sealing, not today).
Status CheckTrusted(X509* cert, const std::vector<X509Ptr>& untrusted, const std::vector<X509Ptr>& trusted,
                    UtcSeconds at);

}  // namespace custody::crypto
