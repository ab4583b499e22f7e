#pragma once
// Reads a bag, serialized as a tar or extracted as a folder, as a stream of entries. It never
// writes anything and never follows a link: entries that would escape the bag (absolute paths,
// "..", links, devices, duplicates, a second top folder) are reported as problems and their data
// is never read.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>

#include "core/error.h"

namespace custody::bundle {

struct EntryProblem {
  std::string kind;     // a finding kind: "unsafe-path", "link-entry", "special-entry", ...
  std::string path;     // as it appears in the archive or folder
  std::string message;
};

class BagVisitor {
 public:
  virtual ~BagVisitor() = default;
  virtual void OnProblem(EntryProblem problem) = 0;
  virtual void OnDirectory(const std::string& /*path*/) {}
  // A regular file at `path` (relative to the bag's base, '/'-separated). Return true to have its
  // bytes delivered to OnData, then OnFileEnd; false skips them.
  virtual bool OnFile(const std::string& path, std::uint64_t size) = 0;
  virtual Status OnData(std::span<const std::uint8_t> /*chunk*/) { return Status::Ok(); }
  virtual void OnFileEnd() {}
};

struct ScanSummary {
  std::string top;                      // tar: the single top folder; folder: its name
  std::uint64_t entries = 0;
  std::string last_path;                // the last entry's path (tar order)
  std::int64_t last_header_offset = -1; // tar: byte offset of the last entry's header
  bool readable = true;                 // false when the archive is damaged or truncated
  std::string unreadable_reason;
};

// Error only when the file cannot be opened at all; damage is reported in ScanSummary.
Result<ScanSummary> ScanTar(const std::filesystem::path& tar, BagVisitor& visitor);
Result<ScanSummary> ScanFolder(const std::filesystem::path& folder, BagVisitor& visitor);

}  // namespace custody::bundle
