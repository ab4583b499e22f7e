#pragma once
// Publishes a file atomically: bytes go to a temporary name beside the target, then
// Commit() syncs, closes and renames. If Commit() is never reached, the destructor removes the
// temporary file, so a failed or interrupted run never leaves a partial file at the target.

#include <filesystem>
#include <memory>

#include "io/file_system.h"

namespace custody::io {

class AtomicOutput {
 public:
  // Fails early when the target exists and overwrite is false.
  static Result<std::unique_ptr<AtomicOutput>> Create(FileSystem& fs, std::filesystem::path target, mode_t mode,
                                                      bool overwrite);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  WritableFile& file() { return *file_; }
  const std::filesystem::path& temp_path() const { return temp_; }
  Status Commit();

 private:
  AtomicOutput(FileSystem& fs, std::filesystem::path target, std::filesystem::path temp,
               std::unique_ptr<WritableFile> file, bool overwrite)
      : fs_(fs), target_(std::move(target)), temp_(std::move(temp)), file_(std::move(file)), overwrite_(overwrite) {}
  FileSystem& fs_;
  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::unique_ptr<WritableFile> file_;
  bool overwrite_;
  bool committed_ = false;
};

// Writes bytes to a new file atomically (key, certificate, small outputs).
Status WriteFileAtomically(FileSystem& fs, const std::filesystem::path& target, std::string_view bytes, mode_t mode,
                           bool overwrite);

}  // namespace custody::io
