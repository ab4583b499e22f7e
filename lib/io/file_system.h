#pragma once
// The one door to the operating system's files. Abstract so tests can inject failures
// (a full disk, an unreadable file) the way leveldb's ErrorEnv does.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "core/error.h"

namespace custody::io {

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to buffer.size() bytes; 0 means end of file.
  virtual Result<size_t> Read(std::span<std::uint8_t> buffer) = 0;
  virtual std::uint64_t size() const = 0;
};

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::span<const std::uint8_t> data) = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  virtual int fd() const = 0;  // -1 when the file has no descriptor (fakes)
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Opens a regular file for reading; never follows a symlink at the last component.
  virtual Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::filesystem::path& path) = 0;
  // Creates a new file; fails if anything exists at the path.
  virtual Result<std::unique_ptr<WritableFile>> CreateNew(const std::filesystem::path& path,
                                                         mode_t mode) = 0;
  // Renames; with replace=false fails when the destination exists (never overwrites).
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to,
                        bool replace) = 0;
  virtual Status Remove(const std::filesystem::path& path) = 0;
  virtual Status SyncDirectory(const std::filesystem::path& dir) = 0;
};

// The POSIX implementation.
FileSystem& RealFileSystem();

// Reads a whole file of at most max_bytes; larger files are an error, not a truncation.
Result<std::string> ReadSmallFile(FileSystem& fs, const std::filesystem::path& path, size_t max_bytes);

// "open a.csv: Permission denied (errno 13)"
Error ErrnoError(const std::string& what, int err);

}  // namespace custody::io
