#pragma once
// A small fake audit-log API for the generic HTTP-JSON connector's tests, served in-process by
// cpp-httplib on 127.0.0.1: the same events behind one endpoint per paging mode (offset/limit,
// page number, cursor in a POST body, next link in the body, Link header, id watermark, time
// slices with a server cap), every auth mode (Basic, static bearer, OAuth2 client credentials
// with a secret or a private_key_jwt assertion, a session login with cookie and CSRF token), and
// scripted faults (429 with Retry-After, 503, an HTML page, a dropped connection, a 401).

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "normalize/ehr_time.h"

namespace custody::test {

class FakeAuditApi {
 public:
  // 2026-04-01T00:00:00Z, the tests' window start; event i happens i minutes later.
  static constexpr std::int64_t kSinceMs = 1775001600000;
  static constexpr const char* kUser = "auditor";
  static constexpr const char* kPassword = "pw-S3cret-basic-41";
  static constexpr const char* kStaticToken = "tok-STATIC-abc123def";
  static constexpr const char* kClientId = "custody-client";
  static constexpr const char* kClientSecret = "cs-S3cret-xyz-9876";
  static constexpr const char* kCookie = "sess-COOKIE-7777abcd";
  static constexpr const char* kCsrf = "csrf-TOKEN-5555efgh";

  // auth: "none", "basic", "bearer", "oauth_post", "oauth_basic", "oauth_jwt", "session".
  explicit FakeAuditApi(std::string auth = "none", int events = 25) : auth_(std::move(auth)), events_(events) {
    Routes();
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs (httplib 0.11): wait for it, or a quick test's
    // destructor could stop nothing and join forever.
    for (int i = 0; i < 10000 && port_ > 0 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~FakeAuditApi() {
    server_.stop();
    thread_.join();
  }
  FakeAuditApi(const FakeAuditApi&) = delete;
  FakeAuditApi& operator=(const FakeAuditApi&) = delete;

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int events() const { return events_; }
  // The next answers of `path` (in turn): "ok" (a normal answer), "429", "503", "html", "drop", "401".
  void Fault(const std::string& path, const std::string& kind) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_[path].push_back(kind);
  }
  void SetCap(int cap) { cap_ = cap; }
  // A refused client_credentials grant quotes the client_secret it was sent after `n` bytes of
  // padding in its error_description (0 = it does not).
  void EchoSecretInRefusalAfter(size_t n) { echo_secret_after_ = n; }
  // Tokens stop working after this many data requests each (0 = never): forces a renewal.
  void ExpireTokensAfter(int n) { expire_after_ = n; }
  // The cursor endpoint hands out the same cursor forever.
  void LoopCursor() { loop_cursor_ = true; }
  // The watermark endpoint ignores its parameter: the same page again and again.
  void StuckWatermark() { stuck_watermark_ = true; }
  // The next-link endpoint points to another host.
  void ForeignNextLink() { foreign_next_ = true; }
  // Repeats the last event of each offset page at the start of the next (an overlapping server).
  void OverlapPages() { overlap_pages_ = true; }
  int grants() const { return grants_.load(); }
  int logins() const { return logins_.load(); }
  std::vector<std::string> Seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::vector<std::string> Bodies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

  static std::string Iso(std::int64_t ms) { return normalize::FormatUtcMs(ms); }
  static std::int64_t TimeOf(int id) { return kSinceMs + static_cast<std::int64_t>(id) * 60000; }
  // Event id as JSON; times in ISO 8601 with milliseconds, and in epoch ms.
  static std::string Event(int id) {
    return "{\"id\":" + std::to_string(id) + ",\"time\":\"" + Iso(TimeOf(id)) + "\",\"ts_ms\":" +
           std::to_string(TimeOf(id)) + ",\"user\":\"alice\",\"action\":\"record.read\",\"ip\":\"10.1.2." +
           std::to_string(id % 250) + "\",\"target\":\"Patient/" + std::to_string(100 + id) +
           "\",\"result\":\"" + (id % 5 == 0 ? "DENIED" : "OK") + "\"}";
  }
  static std::string Events(const std::vector<int>& ids) {
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + Event(ids[i]);
    return out + "]";
  }

 private:
  bool Faulted(const httplib::Request& req, httplib::Response& res) {
    std::string kind;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(req.method + " " + req.path + (req.params.empty() ? "" : "?" + Query(req)));
      bodies_.push_back(req.body);
      auto it = faults_.find(req.path);
      if (it == faults_.end() || it->second.empty()) return false;
      kind = it->second.front();
      it->second.pop_front();
    }
    if (kind == "ok") return false;
    if (kind == "429") {
      res.status = 429;
      res.set_header("Retry-After", "1");
      res.set_content("{\"error\":\"slow down\"}", "application/json");
    } else if (kind == "503") {
      res.status = 503;
      res.set_content("<html><body>Service Unavailable</body></html>", "text/html");
    } else if (kind == "html") {
      res.status = 200;
      res.set_content("<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in to the portal"
                      "</body></html>",
                      "text/html");
    } else if (kind == "401") {
      res.status = 401;
      res.set_content("{\"error\":\"invalid_token\"}", "application/json");
    } else if (kind == "drop") {
      // Promises 4000 bytes, sends 20, then closes: a connection dropped mid-body.
      res.set_content_provider(4000, "application/json", [](size_t offset, size_t, httplib::DataSink& sink) {
        if (offset == 0) sink.write("{\"data\":[{\"id\":1,\"t", 20);
        return false;
      });
    }
    return true;
  }

  static std::string Query(const httplib::Request& req) {
    std::string q;
    for (const auto& [k, v] : req.params) q += (q.empty() ? "" : "&") + k + "=" + v;
    return q;
  }

  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    const std::string authz = req.get_header_value("Authorization");
    bool ok = true;
    if (auth_ == "basic") {
      const std::string pair = std::string(kUser) + ":" + kPassword;
      ok = authz == "Basic " + Base64Encode(AsBytes(pair));
    } else if (auth_ == "bearer") {
      ok = authz == std::string("Bearer ") + kStaticToken;
    } else if (auth_.rfind("oauth", 0) == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      ok = !token_.empty() && authz == "Bearer " + token_;
      if (ok && expire_after_ > 0 && ++token_uses_ > expire_after_) ok = false;
    } else if (auth_ == "session") {
      ok = req.get_header_value("Cookie").find(std::string("SESSION=") + kCookie) != std::string::npos &&
           req.get_header_value("X-CSRF-Token") == kCsrf;
    }
    if (!ok) {
      res.status = 401;
      res.set_content("{\"error\":\"unauthorized\"}", "application/json");
    }
    return ok;
  }

  std::vector<int> Range(int from, int count) const {
    std::vector<int> ids;
    for (int i = from; i <= events_ && static_cast<int>(ids.size()) < count; ++i) ids.push_back(i);
    return ids;
  }

  static int IntParam(const httplib::Request& req, const char* name, int fallback) {
    if (!req.has_param(name)) return fallback;
    return std::stoi(req.get_param_value(name));
  }

  void Routes() {
    server_.Post("/oauth/token", [this](const httplib::Request& req, httplib::Response& res) {
      bool ok = req.get_param_value("grant_type") == "client_credentials";
      if (auth_ == "oauth_post") {
        ok = ok && req.get_param_value("client_id") == kClientId && req.get_param_value("client_secret") == kClientSecret;
      } else if (auth_ == "oauth_basic") {
        const std::string pair = std::string(kClientId) + ":" + kClientSecret;
        ok = ok && req.get_header_value("Authorization") == "Basic " + Base64Encode(AsBytes(pair));
      } else if (auth_ == "oauth_jwt") {
        const std::string a = req.get_param_value("client_assertion");
        ok = ok && req.get_param_value("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
             std::count(a.begin(), a.end(), '.') == 2;
      } else {
        ok = false;
      }
      if (!ok) {
        res.status = 401;
        std::string description = "client authentication failed";
        if (echo_secret_after_ > 0) {
          // A careless server quoting what it was sent, at a given place in its answer.
          description = std::string(echo_secret_after_, 'x') + req.get_param_value("client_secret");
        }
        res.set_content("{\"error\":\"invalid_client\",\"error_description\":\"" + description + "\"}",
                        "application/json");
        return;
      }
      const int n = ++grants_;
      std::lock_guard<std::mutex> lock(mu_);
      token_ = "at-ISSUED-" + std::to_string(n) + "-qwertyuiop";
      token_uses_ = 0;
      res.set_content("{\"access_token\":\"" + token_ + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}",
                      "application/json");
    });
    server_.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      ++logins_;
      if (req.get_param_value("user") != kUser || req.get_param_value("pass") != kPassword) {
        res.status = 401;
        res.set_content("{\"status\":\"FAIL\",\"message\":\"bad credentials\"}", "application/json");
        return;
      }
      res.set_header("Set-Cookie", std::string("SESSION=") + kCookie + "; Path=/; HttpOnly");
      res.set_header("X-CSRF-Token", kCsrf);
      res.set_content("{\"status\":\"SUCCESS\"}", "application/json");
    });
    server_.Post("/logout", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
    // offset/limit: {"data":[...],"total":N}
    server_.Get("/offset", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      int offset = IntParam(req, "offset", 0);
      int limit = IntParam(req, "limit", 10);
      if (overlap_pages_ && offset > 0) {
        --offset;
        ++limit;
      }
      res.set_content("{\"total\":" + std::to_string(events_) + ",\"data\":" + Events(Range(offset + 1, limit)) + "}",
                      "application/json");
    });
    // page number: {"items":[...]} (page 1 first)
    server_.Get("/pages", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      const int page = IntParam(req, "page", 1);
      const int size = IntParam(req, "size", 10);
      res.set_content("{\"items\":" + Events(Range((page - 1) * size + 1, size)) + "}", "application/json");
    });
    // cursor in a POST body: {"cursor": "...", "limit": n} -> {"data":[...],"next":"..."}
    server_.Post("/cursor", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      int from = 1;
      const size_t c = req.body.find("\"cursor\":\"c");
      if (c != std::string::npos) from = std::stoi(req.body.substr(c + 11));
      int limit = 10;
      const size_t l = req.body.find("\"limit\":");
      if (l != std::string::npos) limit = std::stoi(req.body.substr(l + 8));
      std::vector<int> ids = Range(from, limit);
      std::string next = "null";
      if (!ids.empty() && ids.back() < events_) next = "\"c" + std::to_string(loop_cursor_ ? 2 : ids.back() + 1) + "\"";
      res.set_content("{\"data\":" + Events(ids) + ",\"paging\":{\"next\":" + next + "}}", "application/json");
    });
    // next link in the body: {"data":[...],"links":{"next":"/next?after=N"}}
    server_.Get("/next", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      const int after = IntParam(req, "after", 0);
      std::vector<int> ids = Range(after + 1, 7);
      std::string next;
      if (!ids.empty() && ids.back() < events_) {
        next = (foreign_next_ ? "https://elsewhere.example/next?after=" : "/next?after=") + std::to_string(ids.back());
      }
      res.set_content("{\"data\":" + Events(ids) + ",\"links\":{\"next\":" + (next.empty() ? "null" : "\"" + next + "\"") +
                          "}}",
                      "application/json");
    });
    // RFC 8288 Link header: a bare array body
    server_.Get("/linked", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      const int page = IntParam(req, "p", 1);
      std::vector<int> ids = Range((page - 1) * 6 + 1, 6);
      if (!ids.empty() && ids.back() < events_) {
        res.set_header("Link", "<" + base() + "/linked?p=1>; rel=\"first\", <linked?p=" + std::to_string(page + 1) +
                                   ">; rel=\"next\"");
      }
      res.set_content(Events(ids), "application/json");
    });
    // id watermark, newest first: maxId (inclusive) and limit.
    server_.Get("/watermark", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      const int max_id = stuck_watermark_ ? events_ : IntParam(req, "maxId", events_);
      const int limit = IntParam(req, "limit", 10);
      std::vector<int> ids;
      for (int i = std::min(max_id, events_); i >= 1 && static_cast<int>(ids.size()) < limit; --i) ids.push_back(i);
      res.set_content("{\"result\":{\"events\":" + Events(ids) + "}}", "application/json");
    });
    // time slices [from, to) in epoch ms, at most cap records (the first ones).
    server_.Get("/slices", [this](const httplib::Request& req, httplib::Response& res) {
      if (Faulted(req, res) || !Authorized(req, res)) return;
      const std::int64_t from = std::stoll(req.get_param_value("from"));
      const std::int64_t to = std::stoll(req.get_param_value("to"));
      std::vector<int> ids;
      for (int i = 1; i <= events_; ++i) {
        if (TimeOf(i) >= from && TimeOf(i) < to && (cap_ == 0 || static_cast<int>(ids.size()) < cap_)) ids.push_back(i);
      }
      res.set_content("{\"logs\":" + Events(ids) + "}", "application/json");
    });
  }

  std::string auth_;
  int events_;
  size_t echo_secret_after_ = 0;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<std::string>> faults_;
  std::vector<std::string> seen_;
  std::vector<std::string> bodies_;
  std::string token_;
  int token_uses_ = 0;
  std::atomic<int> grants_{0};
  std::atomic<int> logins_{0};
  std::atomic<int> cap_{0};
  std::atomic<int> expire_after_{0};
  std::atomic<bool> loop_cursor_{false};
  std::atomic<bool> stuck_watermark_{false};
  std::atomic<bool> foreign_next_{false};
  std::atomic<bool> overlap_pages_{false};
};

}  // namespace custody::test
