#pragma once
// The simulated Mirth Connect / NextGen Connect / Open Integration Engine REST API (/api): login
// (session cookie or Basic), the server event log (the Mirth audit trail), channels and message
// metadata, with the quirks a collector must survive (X-Requested-With, the strict date format,
// Staxon JSON, construction-time dateTime, DB timestamp precision, events appended while a sweep
// pages). docs/custody-sim-mirth.md is the manual; research/ehr-middleware.md §2 and §5.2 are the
// reference it follows.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "ehr/ehr_common.h"

namespace CLI {
class App;
}

namespace custody::sim::mirth {

enum class DbPrecision { kMillis, kSeconds, kSqlServer };

struct MirthOptions {
  ehr::EhrCommon common;
  std::string version = "3.12";        // 3.12 | 4.0 (no patientId/channel* fields) | 4.2 | 4.5
  std::string timezone = "Etc/UTC";    // the JVM zone id written into every Calendar
  DbPrecision db_precision = DbPrecision::kMillis;
  uint64_t events = 2000;              // generated server events
  int channels = 3;
  uint64_t messages_per_channel = 40;
  std::string username = "admin";      // a simulator's throwaway credentials (Mirth's default pair)
  std::string password = "admin";
  bool require_requested_with = true;  // server.api.require-requested-with
  uint64_t append_every = 0;           // every N event-list requests ...
  uint64_t append_count = 1;           // ... K new events are appended first (0 / N: off)
  int64_t session_ttl_seconds = 72 * 3600;  // idle timeout of a JSESSIONID
  uint64_t session_max_requests = 0;   // a session expires after this many requests (0: never)
  int lockout_failures = 0;            // consecutive bad passwords that lock a user (0: never)
  int64_t lockout_seconds = 300;
  uint64_t starting_logins = 0;        // the first N logins answer "Server is still starting"
  std::vector<std::string> faults;     // KIND[:ARG][@N[-M][,N...]] (see mirth_faults.h)
  // --mirth-clock-offset: this server's clock minus true UTC, in seconds. Given, it replaces
  // common.clock_offset_ms (kept apart because main.cpp overwrites `common` after parsing).
  std::optional<double> clock_offset_seconds;
};

// Adds --mirth (sets enabled) and every --mirth-* flag to the custody-sim command line.
void AddMirthFlags(CLI::App& app, MirthOptions& options, bool& enabled);

class MirthServer {
 public:
  // Generates the data and binds (port 0 = any). Errors name what failed.
  static custody::Result<std::unique_ptr<MirthServer>> Create(MirthOptions options);
  virtual ~MirthServer() = default;
  // One JSON object (schemas/sim-mirth.schema.json).
  virtual std::string StartupJson() const = 0;
  virtual int port() const = 0;
  // The rows this server added for common.scenario_events, for the answer key: a JSON array of
  // {"system":"mirth","log":"ServerEvent","key_field":"id","key":"<id>","label":...,"time":...}
  // ("[]" when none).
  virtual std::string AnswerKeyEvidenceJson() const = 0;
  // Serves until Stop().
  virtual void Run() = 0;
  // Safe from another thread, also before Run has started listening.
  virtual void Stop() = 0;
};

}  // namespace custody::sim::mirth
