#pragma once
// What happened in the simulated org, once. Every log is a projection of these activities: one login
// is a LoginHistory row, a LoginEvent row and a row of the day's Login EventLogFile, with the same
// user, IP, time, LOGIN_KEY and request id. That cross-log consistency is what responders correlate
// on, so the simulator must have it.
//
// Each kind is a time-ordered sequence addressable by index and generated on the fly from the seed
// (scenario activities merged in), so a year of activity costs no memory.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "model.h"

namespace custody::sim {

template <typename T>
class Sequence {
 public:
  virtual ~Sequence() = default;
  virtual uint64_t Size() const = 0;
  virtual T At(uint64_t i) const = 0;  // ascending by T::time
  virtual uint64_t LowerBound(TimeMs t) const = 0;  // first index with time >= t, Size() if none
};

// Fields common to every activity.
struct ActivityBase {
  TimeMs time = 0;           // when it happened (ms precision)
  uint32_t user = 0;         // index into Org::Users()
  std::string client_ip;     // IPv4, IPv6 or "Salesforce.com IP"
  std::string request_id;    // 22-char, e.g. "3nWgxWbDKWWDIk0FKfF5DV"
  std::string session_key;   // 16-char
  std::string login_key;     // 16-char, ties a session together
  std::string event_identifier;  // UUID, RTEM EventIdentifier
  bool scenario = false;     // injected by a breach scenario (the answer key names it)
};

struct LoginActivity : ActivityBase {
  std::string login_history_id;   // "0Ya..." 18-char
  std::string login_type;         // LoginHistory label: "Application", "Remote Access 2.0", ...
  std::string login_type_code;    // ELF LOGIN_TYPE: "A", "i", ...
  std::string login_sub_type;     // "UsernamePasswordUiLogin", "OauthClientCredentials", ...
  std::string login_url;          // "login.salesforce.com"
  std::string application;        // "Browser", "Salesforce for iOS", "Mirth Connect Integration" ...
  std::string browser;            // "Chrome 120", "Unknown"
  std::string platform;           // "Windows 10", "Unknown"
  std::string api_type;           // "N/A", "REST"
  std::string api_version;        // "N/A", "62.0"; ELF writes 9998.0 for UI logins
  std::string status;             // "Success", "Invalid Password", ...
  std::string country_iso;        // "US"
  std::string country;            // "United States"
  std::string city;
  std::string subdivision;
  double latitude = 0;
  double longitude = 0;
  std::string tls_protocol;       // "TLS 1.3"
  std::string cipher_suite;       // "TLS_AES_256_GCM_SHA384"
  std::string uri;                // "/index.jsp", "/services/oauth2/token"
  bool is_logout_recorded = false;  // a LogoutActivity follows for this session
};

struct LogoutActivity : ActivityBase {
  std::string session_type;   // "UI"
  std::string session_level;  // "STANDARD"
  bool user_initiated = true;
};

struct LoginAsActivity : ActivityBase {
  uint32_t delegated_user = 0;  // the admin who logged in as `user`
};

struct ReportActivity : ActivityBase {
  std::string report_id;        // "00O..." 18-char
  std::string report_name;      // "Patients by Provider"
  std::string entity;           // "Patient__c", "Contact"
  uint64_t rows = 0;
  uint32_t columns = 0;
  bool exported = false;        // Details Only export (ReportExport ELF, ReportEvent Operation=ReportExported)
  std::string format;           // "", "csv", "xlsx", "printable"
  std::string event_source;     // "Lightning", "Classic", "API"
  std::string column_headers;   // "[Patient Name, MRN, Date of Birth]"
};

struct ApiActivity : ActivityBase {
  std::string api_family;       // "SOAP", "REST"
  std::string method;           // "query", "queryMore", "GET"
  std::string uri;              // "/services/data/v62.0/query"
  std::string entity;           // "Contact"
  std::string query;            // SOQL text
  uint64_t rows = 0;
  uint64_t response_bytes = 0;
  int status_code = 200;
  std::string client_name;      // Sforce-Call-Options client=
  std::string connected_app_id; // "0H4..."
  std::string connected_app_name;
  std::string user_agent;
};

struct BulkJobActivity : ActivityBase {
  std::string job_id;           // "750..."
  std::string entity;
  std::string operation;        // "query", "queryAll"
  std::string query;
  uint64_t rows = 0;
  double result_size_mb = 0;
  std::string client_name;
};

struct ContentTransferActivity : ActivityBase {
  std::string document_id;      // "069..."
  std::string version_id;       // "068..."
  std::string file_type;        // "PDF"
  std::string transaction_type; // "VersionDownloadAction", "VersionDownloadApi", ...
  uint64_t size_bytes = 0;
};

struct ListViewActivity : ActivityBase {
  std::string list_view_id;     // "00B..."
  std::string name;
  std::string entity;
  uint64_t rows = 0;
};

// Classic UI page views (URI ELF).
struct UriActivity : ActivityBase {
  std::string uri;
  std::string referrer_uri;
};

// An API call as its EventLogFile rows need it (every ApiActivity field but event_identifier and
// scenario), text as views into storage the cursor that made it owns.
struct ApiCallView {
  TimeMs time = 0;
  uint32_t user = 0;
  std::string_view client_ip;
  std::string_view request_id;
  std::string_view session_key;
  std::string_view login_key;
  std::string_view api_family;
  std::string_view method;
  std::string_view uri;
  std::string_view entity;
  std::string_view query;
  uint64_t rows = 0;
  uint64_t response_bytes = 0;
  int status_code = 200;
  std::string_view client_name;
  std::string_view connected_app_id;
  std::string_view connected_app_name;
  std::string_view user_agent;
};

inline ApiCallView ViewOf(const ApiActivity& a) {
  ApiCallView v;
  v.time = a.time;
  v.user = a.user;
  v.client_ip = a.client_ip;
  v.request_id = a.request_id;
  v.session_key = a.session_key;
  v.login_key = a.login_key;
  v.api_family = a.api_family;
  v.method = a.method;
  v.uri = a.uri;
  v.entity = a.entity;
  v.query = a.query;
  v.rows = a.rows;
  v.response_bytes = a.response_bytes;
  v.status_code = a.status_code;
  v.client_name = a.client_name;
  v.connected_app_id = a.connected_app_id;
  v.connected_app_name = a.connected_app_name;
  v.user_agent = a.user_agent;
  return v;
}

// Reads API calls as views, for bulk readers (an EventLogFile of millions of rows): At(i) holds the
// values of Activity::ApiCalls().At(i), for any i in any order, and stays valid until the next
// call. A cursor may reuse its storage and keep caches between calls: one cursor per thread.
class ApiCallCursor {
 public:
  virtual ~ApiCallCursor() = default;
  virtual const ApiCallView& At(uint64_t i) = 0;
};

// The cursor any Sequence<ApiActivity> has: At() copied, then viewed.
class CopyingApiCallCursor final : public ApiCallCursor {
 public:
  explicit CopyingApiCallCursor(const Sequence<ApiActivity>& calls) : calls_(calls) {}
  const ApiCallView& At(uint64_t i) override {
    call_ = calls_.At(i);
    view_ = ViewOf(call_);
    return view_;
  }

 private:
  const Sequence<ApiActivity>& calls_;
  ApiActivity call_;
  ApiCallView view_;
};

// Every activity kind of one org.
class Activity {
 public:
  virtual ~Activity() = default;
  virtual const Sequence<LoginActivity>& Logins() const = 0;
  virtual const Sequence<LogoutActivity>& Logouts() const = 0;
  virtual const Sequence<LoginAsActivity>& LoginAs() const = 0;
  virtual const Sequence<ReportActivity>& Reports() const = 0;
  virtual const Sequence<ApiActivity>& ApiCalls() const = 0;
  virtual const Sequence<BulkJobActivity>& BulkJobs() const = 0;
  virtual const Sequence<ContentTransferActivity>& ContentTransfers() const = 0;
  virtual const Sequence<ListViewActivity>& ListViews() const = 0;
  virtual const Sequence<UriActivity>& UriViews() const = 0;
  // A cursor over ApiCalls() (the default one copies each call). The activity must outlive it.
  virtual std::unique_ptr<ApiCallCursor> ApiCallViews() const {
    return std::make_unique<CopyingApiCallCursor>(ApiCalls());
  }
};

}  // namespace custody::sim
