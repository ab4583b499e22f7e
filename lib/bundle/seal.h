#pragma once
// Seals a folder of collected files as a bundle: one streaming pass over the payload (read,
// hash, write to the tar), then the tag files, the signed statement and the custody log's first
// event. The tar is published atomically; on any failure nothing is left at the output path.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "crypto/keys.h"
#include "io/file_system.h"

namespace custody::bundle {

// Facts about the running tool, recorded in the collection metadata.
struct ToolInfo {
  std::string name = "custody";
  std::string version;
  std::string git_commit;
  std::string binary_sha256;
  std::string compiler;
  std::vector<std::pair<std::string, std::string>> libraries;  // name -> version
};

struct SealRequest {
  std::filesystem::path source_dir;
  std::filesystem::path out;
  bool overwrite = false;
  std::string case_id;
  std::string examiner;
  const crypto::SigningIdentity* signer = nullptr;
  UtcSeconds sealed_at{};
  std::string previous_statement_sha256 = "none";
  // "seal" for a folder sealed as is; "collect" for a collection, which also gives the window it
  // claims to cover ("<since>/<until>", RFC 3339 UTC) and its report (a JSON object, written as
  // the "collection" member of metadata/collection.json).
  std::string kind = "seal";
  std::string time_window = "none";
  std::string collection_json;
  std::vector<std::string> command_line;  // already redacted
  ToolInfo tool;
  const std::atomic<bool>* cancel = nullptr;  // set by a signal handler: stop and clean up
  // Payload files whose bytes are produced while sealing rather than read from source_dir, so a
  // large derived file (the merged timeline) goes into the bundle without first being written
  // to disk and read back. Keyed by the path relative to source_dir, where an empty regular file
  // must stand in for it (it keeps the file's place in the listing). write hands its bytes, in
  // pieces, to the given function; they are hashed and written like a file's, and must come to
  // exactly size bytes, or the seal fails.
  struct GeneratedFile {
    std::uint64_t size = 0;
    std::function<Status(const std::function<Status(std::span<const std::uint8_t>)>& chunk)> write;
  };
  std::map<std::string, GeneratedFile> generated;
};

struct SealResult {
  std::string bundle_id;
  std::string top_folder;
  std::string statement_sha256;
  std::string sealed_at;  // RFC 3339 UTC, as in the statement
  std::uint64_t payload_files = 0;
  std::uint64_t payload_bytes = 0;
};

Result<SealResult> Seal(io::FileSystem& fs, const SealRequest& request);

// The bundle's top folder name: "<case>_<YYYYMMDDTHHMMSSZ>", with every character outside
// [A-Za-z0-9._-] of the case id (its first 64 bytes) replaced by '_'.
std::string TopFolderName(std::string_view case_id, UtcSeconds sealed_at);

// A deterministic UUID (version 8, RFC 9562) from a SHA-256 over the given text.
std::string DeterministicUuid(std::string_view seed);

}  // namespace custody::bundle
