#pragma once
// Authentication to a Mirth Connect / NextGen Connect / Open Integration Engine REST API
// (research ehr-middleware.md §2.1): a form login to POST /api/users/_login that yields a
// JSESSIONID cookie (renewed when the session expires), or HTTP Basic on every call. Every
// login and logout answer is captured like any other response; neither the password nor the
// cookie is ever recorded, logged or put in an error (both are registered with the Redactor).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "auth/salesforce_auth.h"  // Secret, Redactor, GrantRecord
#include "connectors/common/session.h"
#include "core/time.h"
#include "http/transport.h"

namespace custody::connectors::mirth {

enum class MirthAuthMode { kSession, kBasic };
// "session" | "basic".
Result<MirthAuthMode> ParseMirthAuthMode(std::string_view name);
std::string MirthAuthModeName(MirthAuthMode mode);

// Mirth refuses any request without it (a Jetty HTML 400, §2.1); its value does not matter.
inline constexpr const char* kRequestedWithHeader = "X-Requested-With";
inline constexpr const char* kRequestedWithValue = "XMLHttpRequest";

// One login as the bundle records it (collection.json details "collector_logins"): when the
// collector logged in, so that Mirth's own "Login" event for it can be told apart.
struct MirthLogin {
  std::string requested_at;   // local clock, RFC 3339 UTC
  std::string server_date;    // the answer's Date header, verbatim ("" when none)
  int http_status = 0;
  std::string status;         // LoginStatus.status ("SUCCESS", "FAIL_LOCKED_OUT", ...) or ""
  std::string bag_path;       // the captured answer
};

struct MirthAuthConfig {
  MirthAuthMode mode = MirthAuthMode::kSession;
  std::string base_url;        // https://host:8443/api (no trailing slash)
  std::string username;
  auth::Secret password;
  std::string source = "mirth";  // captures go to raw/<source>/auth/
  std::filesystem::path payload_root;
  int max_attempts = 5;        // per login: "Server is still starting", 5xx, 429, dropped connections
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds retry_cap{8000};
  const std::atomic<bool>* cancel = nullptr;
};

class MirthAuthenticator final : public Authenticator {
 public:
  // The password (its Basic form too) is registered with the redactor here, before any request.
  MirthAuthenticator(MirthAuthConfig config, std::unique_ptr<http::Transport> transport, const Clock& clock,
                     auth::Redactor& redactor);

  // Session mode: logs in now (the first credential), so a refused password stops the collection
  // before any other request. kAuth for refused credentials (FAIL, FAIL_LOCKED_OUT, ...) with
  // the server's status and message; kRemote for an answer that is not a Mirth LoginStatus (a
  // wrong base URL), naming URL, HTTP status and content type; kNetwork when it could not
  // connect; kCancelled. Basic mode: nothing to do.
  Status Login();
  // Session mode: POST /api/users/_logout (captured). Basic mode: nothing.
  Status Logout();

  Status Apply(http::Request& request, std::uint64_t* generation) override;
  Status Renew(std::uint64_t stale_generation) override;
  std::vector<auth::GrantRecord> Grants() const override;

  std::vector<MirthLogin> Logins() const;
  MirthAuthMode mode() const { return config_.mode; }

 private:
  Status LoginLocked();
  std::string NextCaptureName(const char* what);

  MirthAuthConfig config_;
  std::unique_ptr<http::Transport> transport_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  mutable std::mutex mu_;
  std::string cookie_;            // "JSESSIONID=..." (secret)
  std::string basic_header_;      // "Basic ..." (secret)
  std::uint64_t generation_ = 0;  // of the cookie in force; 0 = none yet
  Status last_failure_;           // a refused login is not retried by later Apply calls
  bool refused_ = false;
  std::vector<auth::GrantRecord> grants_;
  std::vector<MirthLogin> logins_;
  std::uint64_t captures_ = 0;
};

// The LoginStatus in a login answer: JSON {"com.mirth.connect.model.LoginStatus":{...}} (also
// unwrapped {"status":...}) or XML <com.mirth.connect.model.LoginStatus>. False when the body
// is not one (an HTML page, an empty body).
struct LoginStatus {
  std::string status;
  std::string message;
};
bool ParseLoginStatus(std::string_view body, LoginStatus* out);

}  // namespace custody::connectors::mirth
