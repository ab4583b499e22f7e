#pragma once
// Writes a deterministic POSIX (pax, restricted to ustar when names fit) tar through an
// io::WritableFile: uid/gid 0, no owner names, fixed modes, one fixed mtime, no padding
// past the two end-of-archive records.

#include <archive.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"
#include "io/file_system.h"

namespace custody::bundle {

class TarWriter {
 public:
  static Result<std::unique_ptr<TarWriter>> Open(io::WritableFile& out, UtcSeconds mtime);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  Status AddDirectory(std::string_view path);
  // A file entry of exactly `size` bytes, then its data through WriteData.
  Status BeginFile(std::string_view path, std::uint64_t size);
  Status WriteData(std::span<const std::uint8_t> data);
  Status AddFile(std::string_view path, std::string_view contents);
  // Writes the end-of-archive records. The WritableFile is left open for the caller to sync.
  Status Finish();

 private:
  TarWriter(io::WritableFile& out, UtcSeconds mtime) : out_(out), mtime_(mtime) {}
  static la_ssize_t WriteCallback(struct archive*, void* self, const void* buffer, size_t length);
  Status ArchiveError(std::string_view what);
  Status AddHeader(std::string_view path, bool directory, std::uint64_t size);

  io::WritableFile& out_;
  UtcSeconds mtime_;
  struct archive* archive_ = nullptr;
  Status write_status_;
  std::uint64_t remaining_ = 0;
  bool finished_ = false;
};

}  // namespace custody::bundle
