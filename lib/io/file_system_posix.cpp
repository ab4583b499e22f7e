#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/file_system.h"

namespace custody::io {

Error ErrnoError(const std::string& what, int err) {
  ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Error(code, what + ": " + std::strerror(err));
}

namespace {

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, std::uint64_t size, std::string name) : fd_(fd), size_(size), name_(std::move(name)) {}
  ~PosixReadableFile() override { ::close(fd_); }
  Result<size_t> Read(std::span<std::uint8_t> buffer) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer.data(), buffer.size());
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) return ErrnoError("read " + name_, errno);
    }
  }
  std::uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::uint64_t size_;
  std::string name_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::span<const std::uint8_t> data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("write " + name_, errno);
      }
      data = data.subspan(static_cast<size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoError("fsync " + name_, errno);
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return ErrnoError("close " + name_, errno);
    return Status::Ok();
  }
  int fd() const override { return fd_; }

 private:
  int fd_;
  std::string name_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<ReadableFile>> OpenForRead(const std::filesystem::path& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
      if (errno == ELOOP) return Error(ErrorCode::kInvalidArgument, "open " + path.string() + ": is a symbolic link");
      return ErrnoError("open " + path.string(), errno);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoError("stat " + path.string(), err);
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return Error(ErrorCode::kInvalidArgument, "open " + path.string() + ": not a regular file");
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    return std::unique_ptr<ReadableFile>(
        new PosixReadableFile(fd, static_cast<std::uint64_t>(st.st_size), path.string()));
  }

  Result<std::unique_ptr<WritableFile>> CreateNew(const std::filesystem::path& path, mode_t mode) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return ErrnoError("create " + path.string(), errno);
    // The umask must not loosen or tighten what the caller asked for (a key is 0600).
    if (::fchmod(fd, mode) != 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return ErrnoError("chmod " + path.string(), err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path.string()));
  }

  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to, bool replace) override {
    if (replace) {
      if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoError("rename to " + to.string(), errno);
      return Status::Ok();
    }
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return Status::Ok();
    if (errno == EEXIST) return Error(ErrorCode::kInvalidArgument, to.string() + " already exists");
    if (errno != EINVAL && errno != ENOSYS) return ErrnoError("rename to " + to.string(), errno);
    // The file system cannot rename without replacing: link() never replaces either.
    if (::link(from.c_str(), to.c_str()) != 0) {
      if (errno == EEXIST) return Error(ErrorCode::kInvalidArgument, to.string() + " already exists");
      return ErrnoError("link " + to.string(), errno);
    }
    ::unlink(from.c_str());
    return Status::Ok();
  }

  Status Remove(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoError("remove " + path.string(), errno);
    return Status::Ok();
  }

  Status SyncDirectory(const std::filesystem::path& dir) override {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError("open directory " + dir.string(), errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL) return ErrnoError("fsync directory " + dir.string(), err);
    return Status::Ok();
  }
};

}  // namespace

FileSystem& RealFileSystem() {
  static PosixFileSystem fs;
  return fs;
}

Result<std::string> ReadSmallFile(FileSystem& fs, const std::filesystem::path& path, size_t max_bytes) {
  auto file = fs.OpenForRead(path);
  if (!file) return file.error();
  if ((*file)->size() > max_bytes) {
    return Error(ErrorCode::kInvalidArgument, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::string out;
  out.resize(static_cast<size_t>((*file)->size()));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + 4096);
    auto n = (*file)->Read({reinterpret_cast<std::uint8_t*>(out.data()) + got, out.size() - got});
    if (!n) return n.error();
    if (*n == 0) break;
    got += *n;
    if (got > max_bytes) {
      return Error(ErrorCode::kInvalidArgument, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  out.resize(got);
  return out;
}

}  // namespace custody::io
