#pragma once
// Verifies a bundle (a .tar or its extracted folder) or, with bag_only, any BagIt bag.
// Links no network code: an opposing expert can audit this module and what it links.

#include <atomic>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "crypto/openssl_ptr.h"
#include "verify/finding.h"

namespace custody::verify {

struct VerifyOptions {
  bool bag_only = false;
  const std::atomic<bool>* cancel = nullptr;  // set by SIGINT/SIGTERM: stop reading, return kCancelled
  std::vector<crypto::X509Ptr> trusted;  // --trusted-cert: the signer must be, or chain to, one of these
};

// An Error means the target could not be opened at all; everything else is a Finding.
Result<VerifyReport> Verify(const std::filesystem::path& target, const VerifyOptions& options);

}  // namespace custody::verify
