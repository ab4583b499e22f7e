#pragma once
// One conversation with an HTTP source other than Salesforce (FHIR servers, Mirth/NextGen
// Connect, generic HTTP-JSON APIs): every response captured byte for byte (capture::CaptureFile,
// with its sidecar), retried with bounded exponential backoff and full jitter, 429/503
// Retry-After honoured (delta-seconds and HTTP-date forms, capped), re-authenticated through an
// Authenticator after an authentication failure, and the server's clock sampled from Date
// headers. One Session per worker thread (it owns a Transport); the Authenticator and the
// SourceState are shared between the sessions of one source.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"  // Redactor, GrantRecord
#include "capture/capture.h"
#include "core/error.h"
#include "http/transport.h"

namespace custody::connectors {

// Why a source's collection stopped early, ordered by how much an operator must do about it.
// Names as in collection.json's stop_reason: "none", "failed", "api-budget", "auth", "interrupted".
enum class SourceStop { kNone, kFailed, kApiBudget, kAuth, kInterrupted };
std::string SourceStopName(SourceStop stop);

// Adds credentials to requests and renews them. Thread-safe: shared by every session of a source.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Adds the credential headers (Authorization, Cookie, ...) to the request, getting the first
  // credential if there is none yet. *generation identifies the credential applied, for Renew.
  // Errors are already redacted.
  virtual Status Apply(http::Request& request, std::uint64_t* generation) = 0;
  // Called after the server refused the credential of `stale_generation` (401, an expired
  // session): gets a new one unless another thread already did. kAuth when renewal is impossible
  // (a static token, a refused grant).
  virtual Status Renew(std::uint64_t stale_generation) = 0;
  // Every grant or login made so far (never a token or password), for the bundle.
  virtual std::vector<auth::GrantRecord> Grants() const = 0;
};

// No credentials (a public server, or tests).
class NoAuthenticator final : public Authenticator {
 public:
  Status Apply(http::Request&, std::uint64_t* generation) override;
  Status Renew(std::uint64_t) override;
  std::vector<auth::GrantRecord> Grants() const override { return {}; }
};

struct ClockEvidence {
  std::uint64_t samples = 0;
  std::int64_t min_skew_ms = 0;  // server Date minus local clock at receipt (Date has 1 s resolution)
  std::int64_t max_skew_ms = 0;
  std::string first_date;        // the first Date header seen, verbatim
  std::string first_local;       // the local time it was received, RFC 3339 UTC
};

// Shared by the sessions of one source: the first reason to stop, the clock evidence and the
// request count.
class SourceState {
 public:
  void ObserveDate(std::string_view http_date, std::int64_t local_unix_ms);
  void Stop(SourceStop stop, const std::string& detail);  // keeps the first
  SourceStop stop() const;
  std::string stop_detail() const;
  ClockEvidence clock() const;
  void CountRequest() { requests_.fetch_add(1); }
  std::uint64_t requests() const { return requests_.load(); }

 private:
  mutable std::mutex mu_;
  ClockEvidence clock_;
  SourceStop stop_ = SourceStop::kNone;
  std::string stop_detail_;
  std::atomic<std::uint64_t> requests_{0};
};

struct SessionPolicy {
  int max_attempts = 5;                    // per request, not counting re-authentications
  std::chrono::milliseconds base{500};     // first backoff; doubles per attempt, full jitter
  std::chrono::milliseconds cap{30000};    // longest backoff
  std::chrono::milliseconds max_retry_after{std::chrono::seconds(120)};  // longer Retry-After: give up
  int max_renewals = 3;                    // per request
};

// What kind of answer a final response is; the connector decides from status and body.
enum class Verdict {
  kAccept,       // a final answer (success, or an error to report as it is)
  kRetry,        // transient: back off and try again (a 5xx, a truncated body)
  kAuthFailed,   // the credential was refused: renew it and repeat the request
};

struct SessionCall {
  http::Request request;            // absolute URL; the Authenticator adds credentials
  capture::Purpose purpose;         // recorded in the sidecar
  std::string dir;                  // capture folder, relative to the payload root
  std::string name;                 // capture file name of attempt 1 ("000001.json"); later attempts
                                    // get ".attempt-N" before the extension
  // Classifies a completed exchange. Default (empty): 2xx and 4xx other than 401/429 accepted,
  // 401 kAuthFailed, 429/5xx kRetry. `problem` is set to why (kept in the capture's notes).
  std::function<Verdict(const capture::CaptureFile& capture, std::string* problem)> classify;
};

struct SessionResult {
  bool ok = false;                  // a final answer was captured (any status; see status)
  int status = 0;
  std::string body_path;            // absolute path of the final capture's body
  std::string bag_path;             // "data/..."
  std::uint64_t bytes = 0;
  std::string sha256;
  std::vector<std::string> attempts;  // bag paths of every capture made for this call, in order
  std::string error;                // when !ok: why (redacted), naming the URL
  SourceStop stop = SourceStop::kNone;  // when !ok because the collection must stop
  http::Headers headers;            // the final answer's response headers
};

class Session {
 public:
  Session(std::unique_ptr<http::Transport> transport, Authenticator& auth, SourceState& state,
          const auth::Redactor& redactor, std::filesystem::path payload_root, SessionPolicy policy,
          const std::atomic<bool>* cancel, std::uint64_t seed);

  // Runs the call to a final answer, or fails after the retries (every attempt stays captured).
  // A cancel request stops between attempts with SourceStop::kInterrupted.
  SessionResult Execute(SessionCall call);

  // Test seams: how a wait is done (returns false to stop: interrupted) and the wall clock used
  // for HTTP-date Retry-After values and Date skew samples (Unix ms).
  void SetSleepForTest(std::function<bool(std::chrono::milliseconds)> sleep);
  void SetNowForTest(std::function<std::int64_t()> now);

 private:
  SessionResult Run(SessionCall call);
  std::chrono::milliseconds Backoff(int failures);
  bool Sleep(std::chrono::milliseconds d);
  bool Cancelled() const;
  std::int64_t NowUnixMs() const;

  std::unique_ptr<http::Transport> transport_;
  Authenticator& auth_;
  SourceState& state_;
  const auth::Redactor& redactor_;
  std::filesystem::path root_;
  SessionPolicy policy_;
  const std::atomic<bool>* cancel_;
  std::mt19937_64 rng_;
  std::function<bool(std::chrono::milliseconds)> sleep_;
  std::function<std::int64_t()> now_;
};

// An HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime forms) as Unix milliseconds.
std::optional<std::int64_t> ParseHttpDateMs(std::string_view value);

// Retry-After as a delay from `now_unix_ms`: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2026 07:28:00 GMT"); nullopt when absent or malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, std::int64_t now_unix_ms);

}  // namespace custody::connectors
