#pragma once
// Test doubles for the EventLogFile store: a small deterministic Activity (every kind materialised
// in vectors), a generated ApiCalls sequence for throughput runs (no memory per event), users, an
// RFC 4180 CSV parser and stream helpers.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "activity.h"
#include "elf.h"
#include "model.h"

namespace custody::sim::testing {

inline constexpr TimeMs kHour = 3600 * 1000;
inline constexpr TimeMs kDay = 24 * kHour;

template <typename T>
class VectorSequence final : public Sequence<T> {
 public:
  std::vector<T> items;
  uint64_t Size() const override { return items.size(); }
  T At(uint64_t i) const override { return items[i]; }
  uint64_t LowerBound(TimeMs t) const override {
    const auto it =
        std::lower_bound(items.begin(), items.end(), t, [](const T& a, TimeMs v) { return a.time < v; });
    return static_cast<uint64_t>(it - items.begin());
  }
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t x = (s_ += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool OneIn(uint64_t n) { return Below(n) == 0; }
  std::string Chars(size_t n, std::string_view alphabet =
                                  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
    std::string s(n, '0');
    for (char& c : s) c = alphabet[Below(alphabet.size())];
    return s;
  }

 private:
  uint64_t s_;
};

inline std::vector<UserInfo> MakeUsers(size_t n) {
  std::vector<UserInfo> users;
  for (size_t i = 0; i < n; ++i) {
    UserInfo u;
    std::string num = std::to_string(100000 + i);  // 6 digits
    u.id = "0055f0000" + num + "AAA";              // 15 + suffix
    u.username = "user" + std::to_string(i) + "@stmarys-health.example";
    u.name = "User " + std::to_string(i);
    u.profile = i == 0 ? "System Administrator" : (i % 7 == 3 ? "Integration User" : "Clinician");
    u.user_type = "Standard";
    u.is_integration = u.profile == "Integration User";
    u.view_all_data = i == 0;
    users.push_back(u);
  }
  return users;
}

struct FakeOptions {
  uint64_t seed = 11;
  TimeMs start = 1775001600000;  // 2026-04-01T00:00:00Z
  int days = 4;
  uint32_t users = 12;
  int logins_per_day = 40;
  int logouts_per_day = 20;
  int login_as_per_day = 3;
  int reports_per_day = 30;
  int api_per_day = 240;
  int bulk_per_day = 4;
  int content_per_day = 30;
  int uri_per_day = 60;
};

// Every activity kind in vectors, time-ordered, unique request ids.
class FakeActivity final : public Activity {
 public:
  explicit FakeActivity(const FakeOptions& o = FakeOptions()) : rng_(o.seed), o_(o) {
    Fill(logins_, o.logins_per_day, [this](LoginActivity& a) {
      const bool api = rng_.OneIn(3);
      a.login_type = api ? "Remote Access 2.0" : "Application";
      a.login_type_code = api ? "i" : "A";
      a.login_sub_type = api ? "OauthClientCredentials" : "UsernamePasswordUiLogin";
      a.login_url = "login.salesforce.com";
      a.application = api ? "Mirth Connect Integration" : "Browser";
      a.browser = api ? "Unknown" : (rng_.OneIn(2) ? "Chrome 124" : "Firefox 125");
      a.platform = api ? "Unknown" : "Windows 10";
      a.api_type = api ? "REST" : "N/A";
      a.api_version = api ? "62.0" : "N/A";
      a.status = rng_.OneIn(8) ? "Invalid Password" : "Success";
      a.country_iso = "US";
      a.country = "United States";
      a.city = "Boston";
      a.tls_protocol = "TLS 1.3";
      a.cipher_suite = "TLS_AES_256_GCM_SHA384";
      a.uri = api ? "/services/oauth2/token" : "/index.jsp";
    });
    Fill(logouts_, o.logouts_per_day, [this](LogoutActivity& a) {
      a.session_type = "UI";
      a.session_level = "STANDARD";
      a.user_initiated = !rng_.OneIn(4);
    });
    Fill(login_as_, o.login_as_per_day, [this](LoginAsActivity& a) { a.delegated_user = 0; });
    Fill(reports_, o.reports_per_day, [this](ReportActivity& a) {
      static const char* kNames[] = {"Patients by Provider", "Discharges, last 30 days",
                                     "MRN \"export\" list", "Open Cases"};
      a.report_id = "00O5f00000" + rng_.Chars(5) + "AAA";
      a.report_name = kNames[rng_.Below(4)];
      a.entity = rng_.OneIn(2) ? "Patient__c" : "Contact";
      a.rows = rng_.Below(5000);
      a.columns = static_cast<uint32_t>(3 + rng_.Below(20));
      a.exported = rng_.OneIn(3);
      a.format = a.exported ? (rng_.OneIn(2) ? "csv" : "xlsx") : "";
      a.event_source = rng_.OneIn(2) ? "Lightning" : "Classic";
      a.column_headers = "[Patient Name, MRN, Date of Birth]";
    });
    Fill(api_, o.api_per_day, [this](ApiActivity& a) { FillApi(rng_, a); });
    Fill(bulk_, o.bulk_per_day, [this](BulkJobActivity& a) {
      a.job_id = "7505f00000" + rng_.Chars(5) + "AAA";
      a.entity = "Contact";
      a.operation = rng_.OneIn(3) ? "queryAll" : "query";
      a.query = "SELECT Id, Name, Email FROM Contact";
      a.rows = rng_.Below(200000);
      a.result_size_mb = static_cast<double>(rng_.Below(50000)) / 100.0;
      a.client_name = "custody-collector";
    });
    Fill(content_, o.content_per_day, [this](ContentTransferActivity& a) {
      static const char* kTx[] = {"VersionDownloadAction", "VersionDownloadApi", "VersionRenditionDownload",
                                  "saveVersion"};
      static const char* kTypes[] = {"PDF", "DOCX", "CSV", "PNG"};
      a.document_id = "0695f00000" + rng_.Chars(5) + "AAA";
      a.version_id = "0685f00000" + rng_.Chars(5) + "AAA";
      a.file_type = kTypes[rng_.Below(4)];
      a.transaction_type = kTx[rng_.Below(4)];
      a.size_bytes = rng_.Below(10000000);
    });
    Fill(uri_, o.uri_per_day, [this](UriActivity& a) {
      a.uri = rng_.OneIn(2) ? "/003/o" : "/a0B5f00000" + rng_.Chars(5);
      a.referrer_uri = "https://stmarys-health.my.salesforce.com/home/home.jsp";
    });
  }

  // ApiCalls' fields, shared with the generated sequence below.
  static void FillApi(Rng& rng, ApiActivity& a) {
    const bool soap = rng.OneIn(3);
    a.api_family = soap ? "SOAP" : "REST";
    a.method = soap ? (rng.OneIn(2) ? "query" : "queryMore") : (rng.OneIn(5) ? "POST" : "GET");
    a.uri = soap ? "/services/Soap/u/62.0/00D5f000000SIMA" : "/services/data/v62.0/query";
    a.entity = rng.OneIn(2) ? "Contact" : "Patient__c";
    a.query = "SELECT Id, Name, Email, Phone, MailingCity, LastModifiedDate FROM " + a.entity +
              " WHERE LastModifiedDate > 2026-03-01T00:00:00Z ORDER BY Id";
    a.rows = rng.Below(2000);
    a.response_bytes = rng.Below(5000000);
    a.status_code = rng.OneIn(20) ? (rng.OneIn(2) ? 401 : 400) : 200;
    a.client_name = "custody-collector";
    a.connected_app_id = "0H45f000000CUSTAAA";
    a.connected_app_name = "Custody Collector";
    a.user_agent = "custody/0.1 (linux; x86_64) libcurl/8.5.0";
  }

  static void FillBase(Rng& rng, uint32_t users, ActivityBase& a) {
    a.user = static_cast<uint32_t>(rng.Below(users));
    const uint64_t ip = rng.Below(10);
    if (ip == 0) {
      a.client_ip = "Salesforce.com IP";
    } else if (ip == 1) {
      a.client_ip = "2001:db8:85a3::8a2e:370:" + std::to_string(rng.Below(9000) + 1000);
    } else {
      a.client_ip = "203.0.113." + std::to_string(rng.Below(254) + 1);
    }
    a.request_id = rng.Chars(22);
    a.session_key = rng.Chars(16);
    a.login_key = rng.Chars(16);
    a.event_identifier =
        rng.Chars(8, "0123456789abcdef") + "-0000-4000-8000-" + rng.Chars(12, "0123456789abcdef");
  }

  const Sequence<LoginActivity>& Logins() const override { return logins_; }
  const Sequence<LogoutActivity>& Logouts() const override { return logouts_; }
  const Sequence<LoginAsActivity>& LoginAs() const override { return login_as_; }
  const Sequence<ReportActivity>& Reports() const override { return reports_; }
  const Sequence<ApiActivity>& ApiCalls() const override {
    if (api_override_) return *api_override_;
    return api_;
  }
  const Sequence<BulkJobActivity>& BulkJobs() const override { return bulk_; }
  const Sequence<ContentTransferActivity>& ContentTransfers() const override { return content_; }
  const Sequence<ListViewActivity>& ListViews() const override { return list_views_; }
  const Sequence<UriActivity>& UriViews() const override { return uri_; }

  // Replaces ApiCalls (throughput runs).
  void OverrideApiCalls(std::unique_ptr<Sequence<ApiActivity>> s) { api_override_ = std::move(s); }

  VectorSequence<LoginActivity> logins_;
  VectorSequence<LogoutActivity> logouts_;
  VectorSequence<LoginAsActivity> login_as_;
  VectorSequence<ReportActivity> reports_;
  VectorSequence<ApiActivity> api_;
  VectorSequence<BulkJobActivity> bulk_;
  VectorSequence<ContentTransferActivity> content_;
  VectorSequence<ListViewActivity> list_views_;
  VectorSequence<UriActivity> uri_;

 private:
  template <typename T, typename F>
  void Fill(VectorSequence<T>& seq, int per_day, F fill) {
    for (int d = 0; d < o_.days; ++d) {
      for (int i = 0; i < per_day; ++i) {
        T a;
        a.time = o_.start + d * kDay + static_cast<TimeMs>(rng_.Below(kDay));
        FillBase(rng_, o_.users, a);
        fill(a);
        seq.items.push_back(std::move(a));
      }
    }
    std::sort(seq.items.begin(), seq.items.end(), [](const T& a, const T& b) { return a.time < b.time; });
  }

  Rng rng_;
  FakeOptions o_;
  std::unique_ptr<Sequence<ApiActivity>> api_override_;
};

// ApiCalls generated from the index alone: `count` calls `step_ms` apart from `start`. At(i) copies
// one of 1024 pre-built calls (so a throughput run measures the store, not string building) and
// sets its time; memory does not grow with `count`.
class GeneratedApiSequence final : public Sequence<ApiActivity> {
 public:
  GeneratedApiSequence(TimeMs start, uint64_t count, TimeMs step_ms, uint32_t users)
      : start_(start), count_(count), step_(step_ms) {
    Rng rng(99);
    pool_.resize(1024);
    for (ApiActivity& a : pool_) {
      FakeActivity::FillBase(rng, users, a);
      FakeActivity::FillApi(rng, a);
    }
  }
  uint64_t Size() const override { return count_; }
  ApiActivity At(uint64_t i) const override {
    ApiActivity a = pool_[i % pool_.size()];
    a.time = start_ + static_cast<TimeMs>(i) * step_;
    return a;
  }
  uint64_t LowerBound(TimeMs t) const override {
    if (t <= start_) return 0;
    const auto k = static_cast<uint64_t>((t - start_ + step_ - 1) / step_);
    return std::min(k, count_);
  }

 private:
  TimeMs start_;
  uint64_t count_;
  TimeMs step_;
  std::vector<ApiActivity> pool_;
};

// RFC 4180 parser. Fails (returns false) on anything malformed. `all_quoted` is set false if any
// field was not enclosed in quotes.
inline bool ParseCsv(std::string_view text, std::vector<std::vector<std::string>>* rows, bool* all_quoted) {
  rows->clear();
  *all_quoted = true;
  size_t i = 0;
  const size_t n = text.size();
  std::vector<std::string> row;
  while (i < n) {
    std::string field;
    if (text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= n) return false;  // unterminated quote
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          field += text[i++];
        }
      }
      if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') return false;
    } else {
      *all_quoted = false;
      while (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        if (text[i] == '"') return false;
        field += text[i++];
      }
    }
    row.push_back(std::move(field));
    if (i >= n) {
      rows->push_back(std::move(row));
      row.clear();
      break;
    }
    if (text[i] == ',') {
      ++i;
      if (i >= n) {  // trailing comma: empty last field
        row.emplace_back();
        rows->push_back(std::move(row));
        row.clear();
      }
      continue;
    }
    if (text[i] == '\r') ++i;
    if (i < n && text[i] == '\n') ++i;
    rows->push_back(std::move(row));
    row.clear();
  }
  return true;
}

inline std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    out.emplace_back(
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Streams the whole file (or from `offset`); records chunk sizes.
inline std::string StreamAll(const ElfStore& store, const LogFileInfo& info, uint64_t offset = 0,
                             std::vector<size_t>* chunks = nullptr, bool* ok = nullptr) {
  std::string out;
  const bool result = store.Stream(info, offset, [&](const char* data, size_t size) {
    out.append(data, size);
    if (chunks != nullptr) chunks->push_back(size);
    return true;
  });
  if (ok != nullptr) *ok = result;
  return out;
}

}  // namespace custody::sim::testing
