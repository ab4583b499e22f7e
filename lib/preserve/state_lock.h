#pragma once
// One run at a time per state folder: an exclusive flock(2) on DIR/lock, held for the whole run.
// The kernel drops it when the holder exits or dies (SIGKILL, a crash, a power loss), so a dead
// run never leaves it stuck. The file's text (pid, start time) is for the humans who find it.

#include <filesystem>
#include <memory>
#include <string>

#include "core/error.h"

namespace custody::preserve {

class StateLock {
 public:
  // Creates DIR if needed. When another process holds the lock the error says which (IsBusy tells
  // it apart from an I/O failure). `holder` describes this run ("pid 123 since ...Z").
  static Result<std::unique_ptr<StateLock>> Acquire(const std::filesystem::path& dir, const std::string& holder);
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  // Whether an error from Acquire means "another run holds it" (and what that run wrote).
  static bool IsBusy(const Error& e);

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace custody::preserve
