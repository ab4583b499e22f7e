#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "io/file_system.h"

namespace custody::cli {

// Loads --key and --cert, checks they belong together. Messages name the files.
Result<crypto::SigningIdentity> LoadSigningIdentity(io::FileSystem& fs, const std::filesystem::path& key,
                                                    const std::filesystem::path& cert);

// Every certificate of the --trusted-cert files. A file that cannot be read or holds no
// certificate is a usage error naming it.
Result<std::vector<crypto::X509Ptr>> LoadTrustedCertificates(io::FileSystem& fs,
                                                             const std::vector<std::string>& paths);

}  // namespace custody::cli
