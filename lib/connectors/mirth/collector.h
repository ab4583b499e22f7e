#pragma once
// `custody collect mirth`: the server event log (Mirth's audit trail) and channel message
// metadata of a Mirth Connect / NextGen Connect / Open Integration Engine server, through its
// REST API (research ehr-middleware.md §2), captured byte for byte and normalized into a
// RecordSink. It never seals: the caller does, with the SourceReport this returns.
// docs/connectors/mirth.md describes the requests, paging and what the bundle records.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"
#include "connectors/common/session.h"
#include "connectors/common/source_report.h"
#include "connectors/mirth/mirth_auth.h"
#include "core/time.h"
#include "http/transport.h"

namespace custody::connectors::mirth {

inline constexpr const char* kStreamServerEvents = "server-events";
inline constexpr const char* kStreamMessages = "messages";

struct MirthCollectOptions {
  std::string source = "mirth";   // folder under data/raw; "mirth:<source>" in records
  std::string base_url;           // https://host:8443/api (trailing slashes removed)
  std::string username;
  auth::Secret password;          // MIRTH_PASSWORD
  MirthAuthMode auth = MirthAuthMode::kSession;
  http::TransportOptions transport;
  UtcSeconds since{};
  UtcSeconds until{};             // exclusive
  std::vector<std::string> streams = {kStreamServerEvents, kStreamMessages};
  std::vector<std::string> channels;  // channel ids; empty = every channel the server lists
  bool include_content = false;   // messages: includeContent=true (PHI; opt-in)
  int page_size = 1000;           // records per page (limit = page_size + 1)
  std::filesystem::path payload_root;
  SessionPolicy policy;
  std::uint64_t source_index = 0; // this source's number in the bundle (the RecordSink given to
                                  // CollectMirth already carries it for its order keys)
  const std::atomic<bool>* cancel = nullptr;
  std::uint64_t seed = 0;         // backoff jitter; 0 = from the clock
  // Progress lines (stream, what); the callee serializes.
  std::function<void(const std::string& stream, const std::string& what)> progress;
  // Tests inject transports; default libcurl with `transport`.
  std::function<Result<std::unique_ptr<http::Transport>>()> make_transport;
};

// Collects. An error return means nothing could be collected (bad options, the login refused or
// not a Mirth server at base_url: kAuth / kRemote / kNetwork with a message naming the URL and
// never a secret); everything else, partial failure included, is a report whose items say what is
// missing and why.
Result<SourceReport> CollectMirth(const MirthCollectOptions& options, const Clock& clock, auth::Redactor& redactor,
                                  RecordSink& sink);

}  // namespace custody::connectors::mirth
