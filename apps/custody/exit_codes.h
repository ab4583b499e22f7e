#pragma once
// The one table of exit codes. docs/cli.md and --help repeat it; keep all three in step.

#include "core/error.h"

namespace custody::cli {

enum ExitCode : int {
  kExitOk = 0,             // verified / done
  kExitFailure = 1,        // the tool failed: I/O, a bad key, a full disk, ...
  kExitUsage = 2,          // the command line or its input is wrong
  kExitVerifyFailed = 3,   // the tool worked; the evidence did not check out
  kExitPartial = 4,        // collect: sealed, but a stream is incomplete (the bundle says which)
  kExitAuth = 5,           // collect: a source refused the credentials
  kExitApiBudget = 6,      // collect: stopped at the API budget reserve (sealed as incomplete)
  kExitLocked = 7,         // collect --state-dir: another run holds the state folder (nothing done)
  kExitInterrupted = 130,  // SIGINT or SIGTERM; nothing partial was left behind
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes:\n"
    "  0    verified / done\n"
    "  1    the tool failed (I/O, bad key or certificate, full disk, ...)\n"
    "  2    usage: a wrong flag, a missing or unusable input, an existing output\n"
    "  3    the evidence failed verification\n"
    "  4    collect: sealed, but incomplete (the bundle and the output say what is missing)\n"
    "  5    collect: authentication failed (sealed as incomplete if anything was collected)\n"
    "  6    collect: stopped at the API budget reserve (sealed as incomplete)\n"
    "  7    collect --state-dir: another run holds the state folder's lock; nothing was done\n"
    "  130  interrupted (SIGINT/SIGTERM); no partial output is left, except that collect seals\n"
    "       what it received as an incomplete bundle\n";

inline ExitCode ToExitCode(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInvalidArgument: return kExitUsage;
    case ErrorCode::kIntegrity: return kExitVerifyFailed;
    case ErrorCode::kCancelled: return kExitInterrupted;
    case ErrorCode::kAuth: return kExitAuth;
    default: return kExitFailure;
  }
}

}  // namespace custody::cli
