#include <curl/curl.h>
#include "tool_info.h"

#include <archive.h>
#include <openssl/crypto.h>
#include <rapidjson/rapidjson.h>

#include <CLI/Version.hpp>

#include "build_info.h"
#include "crypto/digest.h"
#include "io/file_system.h"

#include <filesystem>
#include <vector>

namespace custody::cli {

std::string VersionString() {
  return std::string("custody ") + kCustodyVersion + " (commit " + kCustodyGitCommit + ")";
}

bundle::ToolInfo CurrentToolInfo() {
  bundle::ToolInfo info;
  info.version = kCustodyVersion;
  info.git_commit = kCustodyGitCommit;
#if defined(__clang__)
  info.compiler = std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  info.compiler = std::string("GCC ") + __VERSION__;
#else
  info.compiler = "unknown";
#endif
  info.binary_sha256 = "unknown";
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto self = io::RealFileSystem().OpenForRead(ec ? std::filesystem::path("/proc/self/exe") : exe);
  if (self) {
    crypto::Hasher h;
    std::vector<std::uint8_t> buf(1 << 20);
    for (;;) {
      auto n = (*self)->Read(buf);
      if (!n || *n == 0) break;
      h.Update(std::span<const std::uint8_t>(buf.data(), *n));
    }
    info.binary_sha256 = h.FinishHex();
  }
  // libarchive's archive_version_details() leaks its buffer when called more than once in a
  // process (tests run many commands in one process): ask once.
  static const std::string libarchive_details = archive_version_details();
  info.libraries = {{"cli11", CLI11_VERSION},
                    {"libarchive", libarchive_details},
                    {"openssl", OpenSSL_version(OPENSSL_VERSION)},
                    {"rapidjson", RAPIDJSON_VERSION_STRING},
                    {"libcurl", curl_version()}};
  return info;
}

}  // namespace custody::cli
