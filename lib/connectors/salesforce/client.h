#pragma once
// One Salesforce REST conversation: every request authenticated with the shared token, captured
// byte for byte, retried with bounded exponential backoff and jitter, re-authenticated after a
// 401, and stopped before the org's daily API budget falls under the reserve. One Client per
// worker thread (it owns a Transport); the token, the budget and the clock evidence are shared.

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

#include "auth/salesforce_auth.h"
#include "capture/capture.h"
#include "connectors/common/session.h"
#include "core/error.h"
#include "http/transport.h"

namespace custody::connectors::salesforce {

// Shared by all workers: the server clock seen in Date headers and the first reason to stop (as
// for every source, SourceState), and the API budget seen in Sforce-Limit-Info.
class SharedState : public SourceState {
 public:
  explicit SharedState(double budget_reserve) : reserve_(budget_reserve) {}
  // Records "api-usage=<used>/<max>".
  void ObserveLimitInfo(std::string_view value);
  // True when the remaining budget is under the reserve; then stops with kApiBudget (unless a
  // more serious stop came first).
  bool BudgetExhausted();

  struct Budget {
    std::int64_t used = -1;
    std::int64_t max = -1;
    std::int64_t first_used = -1;
  };
  Budget budget() const;
  double reserve() const { return reserve_; }

 private:
  mutable std::mutex budget_mu_;
  double reserve_;
  Budget budget_;
};

struct RetryPolicy {
  int max_attempts = 5;                        // per request, not counting re-authentications
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{30000};
  int max_renewals = 3;                        // per request
};

struct Call {
  http::Request request;            // URL absolute; the Authorization header is added here
  capture::Purpose purpose;
  std::string dir;                  // capture folder, relative to the payload root
  std::string name;                 // capture file name for attempt 1 ("000001.json"); later attempts
                                    // get ".attempt-N" before the extension
  // Checks a completed 2xx capture; returns a problem ("body is not JSON", "1200 bytes, expected
  // 2400") to retry, or nullopt when the body is good.
  std::function<std::optional<std::string>(const capture::CaptureFile&)> validate;
};

struct CallResult {
  bool ok = false;                  // a final answer was captured (any status; see status)
  int status = 0;
  std::string body_path;            // absolute path of the final capture's body
  std::string bag_path;             // "data/..."
  std::uint64_t bytes = 0;
  std::string sha256;
  std::vector<std::string> attempts;  // bag paths of every capture made for this call, in order
  std::string error;                // when !ok: why (redacted)
  SourceStop stop = SourceStop::kNone;  // when !ok because the collection must stop
  std::string error_code;           // Salesforce errorCode of a non-2xx final answer
  std::string error_message;        // its message
  http::Headers headers;            // the final answer's response headers
};

class Client {
 public:
  Client(std::unique_ptr<http::Transport> transport, auth::TokenProvider& tokens, SharedState& shared,
         const auth::Redactor& redactor, std::filesystem::path payload_root, RetryPolicy retry,
         const std::atomic<bool>* cancel, std::uint64_t seed);

  // Runs the call to a final answer: a 2xx that validates, or a non-retryable status (its body
  // captured, errorCode parsed), or failure after the retries. Never throws away a capture.
  CallResult Execute(Call call);
  // Gets the first token (a grant, except with --auth token); the error is redacted.
  Status Authenticate();
  std::uint64_t requests() const { return requests_; }
  const SharedState& shared() const { return shared_; }

 private:
  CallResult Run(Call call);
  std::chrono::milliseconds Backoff(int attempt);
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }
  bool SleepUnlessCancelled(std::chrono::milliseconds d);

  std::unique_ptr<http::Transport> transport_;
  auth::TokenProvider& tokens_;
  SharedState& shared_;
  const auth::Redactor& redactor_;
  std::filesystem::path root_;
  RetryPolicy retry_;
  const std::atomic<bool>* cancel_;
  std::mt19937_64 rng_;
  std::uint64_t requests_ = 0;
};

// Parses a Salesforce REST error body ([{"message","errorCode"}] or {"error","error_description"}).
void ParseErrorBody(std::string_view body, std::string& code, std::string& message);

}  // namespace custody::connectors::salesforce
