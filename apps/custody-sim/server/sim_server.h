#pragma once
// The simulated org's HTTP front: a login host (token endpoint, userinfo, identity) and an instance
// host (REST data API, Bulk API 2.0, EventLogFile downloads, admin endpoints), each on its own
// loopback port, plain HTTP or TLS. docs/custody-sim.md is the reference for every endpoint.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "model.h"
#include "server/faults.h"

namespace custody::sim {

class ServedLedger;

enum class GzipMode { kNever, kSometimes, kAlways };

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 0;                      // login host port; 0 picks one. The instance host gets its own.
  bool tls = false;
  OrgConfig org;
  std::string work_dir;              // keys, certificates and the answer key are written here
  std::vector<FaultSpec> faults;
  bool frozen_now = false;           // data clock frozen at `now` (tests); else it follows real time
  TimeMs now = 0;                    // data clock at start-up when frozen
  int64_t clock_offset_ms = 0;       // the org's wall clock minus true UTC (Date headers, tokens)
  int64_t token_ttl_seconds = 7200;
  uint64_t token_max_requests = 0;   // 0: unlimited
  bool rotate_refresh_tokens = false;
  uint64_t daily_api_limit = 100000;
  int64_t locator_ttl_seconds = 2 * 86400;
  size_t max_cursors = 2000;
  std::string api_version = "62.0";
  GzipMode gzip = GzipMode::kSometimes;
  std::string fixtures_dir;          // non-empty: fixtures mode, serve the real samples only
  ServedLedger* served_ledger = nullptr;  // --served-ledger (not owned; outlives the server); null: off
};

// Everything a client needs, printed as the first stdout line (schemas/sim-startup.schema.json).
struct StartupInfo {
  std::string json;
};

class SimServer {
 public:
  // Builds the org, key material and listeners; binds both ports. Errors name what failed.
  static Result<std::unique_ptr<SimServer>> Create(SimOptions options);
  virtual ~SimServer() = default;
  virtual std::string StartupJson() const = 0;
  // Serves until Stop(); returns once both listeners have stopped.
  virtual void Run() = 0;
  virtual void Stop() = 0;
};

}  // namespace custody::sim
