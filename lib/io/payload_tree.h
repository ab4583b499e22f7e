#pragma once
// Lists the files of a folder to be sealed, in the bundle's order, and refuses what a bundle
// cannot hold faithfully: symbolic links (never followed), devices, sockets and FIFOs, and names
// that BagIt would have to percent-encode (so that `sha256sum -c` could not check them).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace custody::io {

struct TreeEntry {
  std::string relative;  // '/'-separated, no leading "./"
  bool is_directory = false;
  std::uint64_t size = 0;
};

// Entries sorted bytewise by relative path, so every folder precedes its contents. The root must
// be a real folder: a symbolic link to one is refused like any other link.
Result<std::vector<TreeEntry>> ListPayloadTree(const std::filesystem::path& root);

// Why a name cannot be sealed as is, or empty when it can.
std::string CheckPayloadName(const std::string& name);

}  // namespace custody::io
