#pragma once

#include <filesystem>

#include "crypto/keys.h"
#include "io/file_system.h"

namespace custody::cli {

// Loads --key and --cert, checks they belong together. Messages name the files.
Result<crypto::SigningIdentity> LoadSigningIdentity(io::FileSystem& fs, const std::filesystem::path& key,
                                                    const std::filesystem::path& cert);

}  // namespace custody::cli
