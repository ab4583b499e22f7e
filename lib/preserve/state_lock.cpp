#include "preserve/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace custody::preserve {

namespace {
constexpr std::string_view kBusyPrefix = "the state folder is in use by another run";
}

Result<std::unique_ptr<StateLock>> StateLock::Acquire(const std::filesystem::path& dir, const std::string& holder) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::kIo, "create the state folder " + dir.string() + ": " + ec.message());
  const std::filesystem::path path = dir / "lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorCode::kIo, "open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string other;
    char buf[256];
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) other.assign(buf, static_cast<std::size_t>(n));
    while (!other.empty() && (other.back() == '\n' || other.back() == '\0')) other.pop_back();
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Error(ErrorCode::kInvalidArgument, std::string(kBusyPrefix) + " (" + path.string() + ": " +
                                                    (other.empty() ? "holder unknown" : other) + ")");
    }
    return Error(ErrorCode::kIo, "lock " + path.string() + ": " + std::strerror(err));
  }
  std::string text = holder + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    return Error(ErrorCode::kIo, "write " + path.string() + ": " + std::strerror(errno));
  }
  return std::unique_ptr<StateLock>(new StateLock(fd));
}

StateLock::~StateLock() {
  // The holder text stays (it is history); the lock goes with the descriptor.
  ::close(fd_);
}

bool StateLock::IsBusy(const Error& e) {
  return e.message().rfind(std::string(kBusyPrefix), 0) == 0;
}

}  // namespace custody::preserve
