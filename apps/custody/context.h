#pragma once
// What every subcommand gets: its output streams, the clock, the interrupt flag, the command
// line (for metadata, redacted), and where it reports its outcome.

#include <atomic>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "io/file_system.h"

namespace custody::cli {

struct Context {
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
  io::FileSystem& fs;
  const std::atomic<bool>* cancel = nullptr;
  std::vector<std::string> argv;
  Status status;
  int exit_override = -1;  // a command that finished its work but must exit non-zero (verify: 3)
};

// The key passphrase from CUSTODY_KEY_PASSPHRASE, never from argv.
std::optional<std::string> KeyPassphraseFromEnvironment();

// Replaces the values of secret-bearing flags with "[REDACTED]".
std::vector<std::string> RedactCommandLine(const std::vector<std::string>& argv);

}  // namespace custody::cli
