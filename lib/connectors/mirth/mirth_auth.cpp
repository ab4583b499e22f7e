#include "connectors/mirth/mirth_auth.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "capture/capture.h"
#include "core/encoding.h"

namespace custody::connectors::mirth {

namespace {

// A login answer is a few hundred bytes; more than this is not a LoginStatus.
constexpr size_t kMaxLoginBody = 1u << 20;

std::string ReadSmall(const std::filesystem::path& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string out(max, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::string Pad6(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(n));
  return buf;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != hay.end();
}

// The text between <tag> and </tag>, XML entities for & < > left as sent (only for messages).
std::string XmlElementText(std::string_view body, const std::string& tag) {
  const std::string open = "<" + tag + ">";
  const std::string close = "</" + tag + ">";
  size_t a = body.find(open);
  if (a == std::string_view::npos) return "";
  a += open.size();
  size_t b = body.find(close, a);
  if (b == std::string_view::npos) return "";
  return std::string(body.substr(a, b - a));
}

std::string JsonString(const rapidjson::Value& v, const char* member) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(member);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// "JSESSIONID=node0x.node0" from the Set-Cookie headers; "" when there is none.
std::string SessionCookie(const http::Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (name.size() != 10 || !ContainsNoCase(name, "set-cookie")) continue;
    std::string_view v = value;
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.substr(0, 11) != "JSESSIONID=") continue;
    size_t semi = v.find(';');
    std::string cookie(v.substr(0, semi));
    while (!cookie.empty() && cookie.back() == ' ') cookie.pop_back();
    if (cookie.size() > 11) return cookie;
  }
  return "";
}

std::string ContentType(const http::Headers& headers) {
  auto ct = http::FindHeader(headers, "Content-Type");
  return ct ? *ct : "no content type";
}

}  // namespace

Result<MirthAuthMode> ParseMirthAuthMode(std::string_view name) {
  if (name == "session") return MirthAuthMode::kSession;
  if (name == "basic") return MirthAuthMode::kBasic;
  return Error(ErrorCode::kInvalidArgument, "--auth must be session or basic, not '" + std::string(name) + "'");
}

std::string MirthAuthModeName(MirthAuthMode mode) { return mode == MirthAuthMode::kBasic ? "basic" : "session"; }

bool ParseLoginStatus(std::string_view body, LoginStatus* out) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return false;
  if (body[first] == '{') {
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    if (d.HasParseError() || !d.IsObject()) return false;
    const rapidjson::Value* v = &d;
    auto wrapped = d.FindMember("com.mirth.connect.model.LoginStatus");
    if (wrapped != d.MemberEnd()) v = &wrapped->value;
    if (!v->IsObject() || !v->HasMember("status")) return false;
    out->status = JsonString(*v, "status");
    out->message = JsonString(*v, "message");
    return !out->status.empty();
  }
  if (body[first] == '<' && body.find("LoginStatus") != std::string_view::npos) {
    out->status = XmlElementText(body, "status");
    out->message = XmlElementText(body, "message");
    return !out->status.empty();
  }
  return false;
}

MirthAuthenticator::MirthAuthenticator(MirthAuthConfig config, std::unique_ptr<http::Transport> transport,
                                       const Clock& clock, auth::Redactor& redactor)
    : config_(std::move(config)), transport_(std::move(transport)), clock_(clock), redactor_(redactor) {
  const std::string& pw = config_.password.reveal();
  if (!pw.empty()) redactor_.Add(pw);
  if (config_.mode == MirthAuthMode::kBasic) {
    const std::string pair = config_.username + ":" + pw;
    const std::string b64 = Base64Encode(AsBytes(pair));
    redactor_.Add(b64);
    basic_header_ = "Basic " + b64;
  }
}

std::string MirthAuthenticator::NextCaptureName(const char* what) {
  return std::string(what) + "-" + Pad6(++captures_) + ".json";
}

Status MirthAuthenticator::Login() {
  if (config_.mode == MirthAuthMode::kBasic) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ != 0) return Status::Ok();
  if (refused_) return last_failure_;
  return LoginLocked();
}

Status MirthAuthenticator::LoginLocked() {
  const std::string url = config_.base_url + "/users/_login";
  const std::string dir = "raw/" + config_.source + "/auth";
  const int max_attempts = std::max(1, config_.max_attempts);
  std::string last_problem;
  for (int attempt = 1;; ++attempt) {
    if (config_.cancel != nullptr && config_.cancel->load()) {
      return Error(ErrorCode::kCancelled, "interrupted while logging in to Mirth at " + url);
    }
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.headers = {{kRequestedWithHeader, kRequestedWithValue},
                   {"Accept", "application/json"},
                   {"Content-Type", "application/x-www-form-urlencoded"}};
    req.body = "username=" + http::UrlEncode(config_.username) + "&password=" + http::UrlEncode(config_.password.reveal());
    req.timeout = std::chrono::seconds(120);  // Mirth holds a login up to ~5 s while starting

    auto cap = capture::CaptureFile::Create(config_.payload_root, dir, NextCaptureName("login"));
    if (!cap) return cap.error();
    auth::GrantRecord grant;
    grant.grant_type = "mirth-session-login";
    grant.token_url = url;
    grant.instance_url = config_.base_url;
    grant.requested_at = FormatRfc3339(clock_.Now());
    MirthLogin login;
    login.requested_at = grant.requested_at;

    auto resp = transport_->Perform(req, **cap);
    const std::string transfer_error = resp ? "" : redactor_.Apply(resp.error().message());
    capture::Purpose purpose{config_.source, "auth", "LoginStatus", "login", "", 0,
                             static_cast<std::uint32_t>(attempt)};
    if (Status s = (*cap)->Finish(req, purpose, resp ? &*resp : nullptr, transfer_error); !s) return s;
    login.bag_path = (*cap)->bag_path();

    auto retry_or = [&](Error error) -> std::optional<Status> {
      if (attempt >= max_attempts) return Status(std::move(error));
      auto delay = config_.retry_base * (1LL << std::min(attempt - 1, 20));
      if (delay > config_.retry_cap) delay = config_.retry_cap;
      const auto until = std::chrono::steady_clock::now() + delay;
      while (std::chrono::steady_clock::now() < until) {
        if (config_.cancel != nullptr && config_.cancel->load()) break;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            until - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
      }
      return std::nullopt;
    };

    if (!resp) {
      grant.error = transfer_error;
      grants_.push_back(grant);
      logins_.push_back(login);
      last_problem = transfer_error;
      auto done = retry_or(Error(resp.error().code() == ErrorCode::kInvalidArgument ? ErrorCode::kInvalidArgument
                                                                                     : ErrorCode::kNetwork,
                                 "log in to Mirth at " + url + ": " + transfer_error +
                                     (attempt > 1 ? " (after " + std::to_string(attempt) + " attempts)" : "")));
      if (done) return *done;
      continue;
    }
    const int status = resp->head.status;
    grant.http_status = status;
    login.http_status = status;
    if (auto date = http::FindHeader(resp->head.headers, "Date")) login.server_date = *date;
    const std::string body = ReadSmall((*cap)->path(), kMaxLoginBody);
    LoginStatus ls;
    const bool parsed = ParseLoginStatus(body, &ls);
    login.status = ls.status;
    const std::string server_words =
        ls.status + (ls.message.empty() ? "" : ": " + redactor_.Apply(ls.message));

    if (parsed && (ls.status == "SUCCESS" || ls.status == "SUCCESS_GRACE_PERIOD") && status >= 200 && status < 300) {
      std::string cookie = SessionCookie(resp->head.headers);
      if (cookie.empty()) {
        grant.error = "no JSESSIONID cookie in the answer";
        grants_.push_back(grant);
        logins_.push_back(login);
        return Error(ErrorCode::kRemote, "Mirth at " + url + " accepted the login of user '" + config_.username +
                                             "' but set no JSESSIONID cookie (the answer is kept at " +
                                             login.bag_path + ")");
      }
      redactor_.Add(cookie.substr(11));
      cookie_ = std::move(cookie);
      ++generation_;
      grant.issued_at = login.server_date;
      grant.identity_url = config_.username;
      grants_.push_back(grant);
      logins_.push_back(login);
      return Status::Ok();
    }

    // "Server is still starting": Mirth holds the login ~5 s, then answers FAIL with that text.
    const bool starting = parsed && ContainsNoCase(ls.message, "still starting");
    if (starting || status == 429 || status >= 500) {
      grant.error = starting ? server_words : "HTTP " + std::to_string(status);
      grants_.push_back(grant);
      logins_.push_back(login);
      std::string what = starting ? "Mirth at " + config_.base_url + " is still starting (" + server_words + ")"
                                  : "log in to Mirth at " + url + ": HTTP " + std::to_string(status) + " (" +
                                        ContentType(resp->head.headers) + ")";
      auto done = retry_or(Error(ErrorCode::kRemote, what + "; gave up after " + std::to_string(attempt) +
                                                         " login attempts (the answers are kept under data/" + dir +
                                                         ")"));
      if (done) return *done;
      continue;
    }

    grants_.push_back(grant);
    logins_.push_back(login);
    if (parsed || status == 401 || status == 403) {
      std::string words = parsed ? server_words : "HTTP " + std::to_string(status) + " without a LoginStatus";
      grants_.back().error = words;
      refused_ = true;
      last_failure_ = Error(ErrorCode::kAuth, "Mirth at " + config_.base_url + " refused the login of user '" +
                                                  config_.username + "': " + words +
                                                  " (check the user name and MIRTH_PASSWORD)");
      return last_failure_;
    }
    grants_.back().error = "not a Mirth LoginStatus: HTTP " + std::to_string(status);
    refused_ = true;
    last_failure_ = Error(ErrorCode::kInvalidArgument,
                          "POST " + url + " answered HTTP " + std::to_string(status) + " (" +
                              ContentType(resp->head.headers) +
                              ") where a Mirth LoginStatus was expected: is --base-url the Mirth REST API, "
                              "e.g. https://host:8443/api? (the answer is kept at " + login.bag_path + ")");
    return last_failure_;
  }
}

Status MirthAuthenticator::Logout() {
  if (config_.mode == MirthAuthMode::kBasic) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ == 0 || cookie_.empty()) return Status::Ok();
  const std::string url = config_.base_url + "/users/_logout";
  http::Request req;
  req.method = "POST";
  req.url = url;
  req.headers = {{kRequestedWithHeader, kRequestedWithValue}, {"Accept", "application/json"}, {"Cookie", cookie_}};
  req.timeout = std::chrono::seconds(60);
  auto cap = capture::CaptureFile::Create(config_.payload_root, "raw/" + config_.source + "/auth",
                                          NextCaptureName("logout"));
  if (!cap) return cap.error();
  auto resp = transport_->Perform(req, **cap);
  const std::string transfer_error = resp ? "" : redactor_.Apply(resp.error().message());
  capture::Purpose purpose{config_.source, "auth", "Logout", "logout", "", 0, 1};
  if (Status s = (*cap)->Finish(req, purpose, resp ? &*resp : nullptr, transfer_error); !s) return s;
  cookie_.clear();
  if (!resp) return Error(ErrorCode::kNetwork, "log out of Mirth at " + url + ": " + transfer_error);
  if (resp->head.status >= 300) {
    return Error(ErrorCode::kRemote, "log out of Mirth at " + url + ": HTTP " + std::to_string(resp->head.status));
  }
  return Status::Ok();
}

Status MirthAuthenticator::Apply(http::Request& request, std::uint64_t* generation) {
  // Every Mirth call needs it (else a Jetty HTML 400); set here so no call can miss it.
  if (!http::FindHeader(request.headers, kRequestedWithHeader)) {
    request.headers.emplace_back(kRequestedWithHeader, kRequestedWithValue);
  }
  if (config_.mode == MirthAuthMode::kBasic) {
    request.headers.emplace_back("Authorization", basic_header_);
    if (generation != nullptr) *generation = 1;
    return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ == 0 || cookie_.empty()) {
    if (refused_) return last_failure_;
    if (Status s = LoginLocked(); !s) return s;
  }
  request.headers.emplace_back("Cookie", cookie_);
  if (generation != nullptr) *generation = generation_;
  return Status::Ok();
}

Status MirthAuthenticator::Renew(std::uint64_t stale_generation) {
  if (config_.mode == MirthAuthMode::kBasic) {
    return Error(ErrorCode::kAuth, "Mirth at " + config_.base_url + " refused the HTTP Basic credentials of user '" +
                                       config_.username + "' (check the user name and MIRTH_PASSWORD)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ != 0 && generation_ != stale_generation && !cookie_.empty()) return Status::Ok();
  if (refused_) return last_failure_;
  // The session expired (idle timeout, a server restart, an administrator's logout): log in again.
  cookie_.clear();
  return LoginLocked();
}

std::vector<auth::GrantRecord> MirthAuthenticator::Grants() const {
  std::lock_guard<std::mutex> lock(mu_);
  return grants_;
}

std::vector<MirthLogin> MirthAuthenticator::Logins() const {
  std::lock_guard<std::mutex> lock(mu_);
  return logins_;
}

}  // namespace custody::connectors::mirth
