#pragma once
// An io::FileSystem that forwards to another (the real one by default) and injects faults, the
// way leveldb's ErrorEnv does: an unreadable file, a disk that fills up after N bytes, a hook
// that runs after every read (to raise the cancel flag mid-file). It records the paths it
// created and removed, so tests can prove a temporary file existed and was cleaned up.

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "io/file_system.h"

namespace custody::test {

class FaultyFileSystem final : public io::FileSystem {
 public:
  explicit FaultyFileSystem(io::FileSystem& base = io::RealFileSystem()) : base_(base) {}

  // OpenForRead(path) fails as the real file system would report errno `err`.
  void FailOpenForRead(const std::filesystem::path& path, int err) { open_failures_[Key(path)] = err; }
  // All files created through this object accept `bytes` in total; then Append writes what still
  // fits and fails with errno `err` (ENOSPC: "No space left on device").
  void FailWritesAfter(std::uint64_t bytes, int err = ENOSPC) {
    write_budget_ = bytes;
    write_errno_ = err;
  }
  // SyncDirectory fails with errno `err` (EIO: a directory that cannot be made durable).
  void FailSyncDirectory(int err = EIO) { sync_dir_errno_ = err; }
  // Runs after every successful Read of a file opened through this object.
  void OnRead(std::function<void(const std::filesystem::path&)> hook) { on_read_ = std::move(hook); }

  const std::vector<std::filesystem::path>& created() const { return created_; }
  const std::vector<std::filesystem::path>& removed() const { return removed_; }
  std::uint64_t bytes_written() const { return written_; }

  Result<std::unique_ptr<io::ReadableFile>> OpenForRead(const std::filesystem::path& path) override {
    if (auto it = open_failures_.find(Key(path)); it != open_failures_.end()) {
      return io::ErrnoError("open " + path.string(), it->second);
    }
    auto file = base_.OpenForRead(path);
    if (!file) return file.error();
    return std::unique_ptr<io::ReadableFile>(new Readable(*this, path, std::move(*file)));
  }

  Result<std::unique_ptr<io::WritableFile>> CreateNew(const std::filesystem::path& path, mode_t mode) override {
    auto file = base_.CreateNew(path, mode);
    if (!file) return file.error();
    created_.push_back(path);
    return std::unique_ptr<io::WritableFile>(new Writable(*this, path, std::move(*file)));
  }

  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to, bool replace) override {
    return base_.Rename(from, to, replace);
  }

  Status Remove(const std::filesystem::path& path) override {
    removed_.push_back(path);
    return base_.Remove(path);
  }

  Status SyncDirectory(const std::filesystem::path& dir) override {
    if (sync_dir_errno_ != 0) return io::ErrnoError("fsync directory " + dir.string(), sync_dir_errno_);
    return base_.SyncDirectory(dir);
  }

 private:
  int sync_dir_errno_ = 0;
  static std::filesystem::path Key(const std::filesystem::path& path) { return path.lexically_normal(); }

  class Readable final : public io::ReadableFile {
   public:
    Readable(FaultyFileSystem& fs, std::filesystem::path path, std::unique_ptr<io::ReadableFile> inner)
        : fs_(fs), path_(std::move(path)), inner_(std::move(inner)) {}
    Result<size_t> Read(std::span<std::uint8_t> buffer) override {
      auto n = inner_->Read(buffer);
      if (n && *n > 0 && fs_.on_read_) fs_.on_read_(path_);
      return n;
    }
    std::uint64_t size() const override { return inner_->size(); }

   private:
    FaultyFileSystem& fs_;
    std::filesystem::path path_;
    std::unique_ptr<io::ReadableFile> inner_;
  };

  class Writable final : public io::WritableFile {
   public:
    Writable(FaultyFileSystem& fs, std::filesystem::path path, std::unique_ptr<io::WritableFile> inner)
        : fs_(fs), path_(std::move(path)), inner_(std::move(inner)) {}
    Status Append(std::span<const std::uint8_t> data) override {
      if (fs_.write_budget_) {
        std::uint64_t left = *fs_.write_budget_ > fs_.written_ ? *fs_.write_budget_ - fs_.written_ : 0;
        if (data.size() > left) {
          auto fits = data.first(static_cast<size_t>(left));
          if (!fits.empty()) CUSTODY_RETURN_IF_ERROR(inner_->Append(fits));
          fs_.written_ += fits.size();
          return io::ErrnoError("write " + path_.string(), fs_.write_errno_);
        }
      }
      CUSTODY_RETURN_IF_ERROR(inner_->Append(data));
      fs_.written_ += data.size();
      return Status::Ok();
    }
    Status Sync() override { return inner_->Sync(); }
    Status Close() override { return inner_->Close(); }
    int fd() const override { return inner_->fd(); }

   private:
    FaultyFileSystem& fs_;
    std::filesystem::path path_;
    std::unique_ptr<io::WritableFile> inner_;
  };

  io::FileSystem& base_;
  std::map<std::filesystem::path, int> open_failures_;
  std::optional<std::uint64_t> write_budget_;
  int write_errno_ = ENOSPC;
  std::uint64_t written_ = 0;
  std::function<void(const std::filesystem::path&)> on_read_;
  std::vector<std::filesystem::path> created_;
  std::vector<std::filesystem::path> removed_;
};

}  // namespace custody::test
