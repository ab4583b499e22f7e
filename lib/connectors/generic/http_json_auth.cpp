#include "connectors/generic/http_json_auth.h"
#include "connectors/common/text.h"

#include <openssl/crypto.h>
#include <strings.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "auth/auth_text.h"
#include "capture/capture.h"
#include "core/encoding.h"
#include "json/json.h"

namespace custody::connectors::generic {

namespace {

constexpr size_t kMaxAuthBody = 1u << 20;

std::string JsonBody(const Fields& fields) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.StartObject();
  for (const auto& [k, v] : fields) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

std::string Str(const rapidjson::Value& v, const char* member) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(member);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool HeaderSafe(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

std::string ReadSmall(const std::filesystem::path& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string out(max, '\0');
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

bool DefaultSleep(std::chrono::milliseconds d, const std::atomic<bool>* cancel) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (cancel != nullptr && cancel->load()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - std::chrono::steady_clock::now(),
                                                                             std::chrono::milliseconds(50)));
  }
  return cancel == nullptr || !cancel->load();
}

}  // namespace

std::string CookieJar(const http::Headers& headers) {
  std::vector<std::pair<std::string, std::string>> jar;
  for (const auto& [name, value] : headers) {
    if (name.size() != 10 || strncasecmp(name.c_str(), "set-cookie", 10) != 0) continue;
    std::string_view v = value;
    size_t semi = v.find(';');
    std::string pair(v.substr(0, semi));
    while (!pair.empty() && pair.front() == ' ') pair.erase(pair.begin());
    while (!pair.empty() && pair.back() == ' ') pair.pop_back();
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string n = pair.substr(0, eq);
    auto it = std::find_if(jar.begin(), jar.end(), [&](const auto& p) { return p.first == n; });
    // A later Set-Cookie of the same name replaces the earlier one, as a browser would.
    if (it != jar.end()) {
      it->second = pair.substr(eq + 1);
    } else {
      jar.emplace_back(n, pair.substr(eq + 1));
    }
  }
  std::string out;
  for (const auto& [n, v] : jar) {
    if (v.empty()) continue;  // a deletion
    if (!out.empty()) out += "; ";
    out += n + "=" + v;
  }
  return out;
}

Status HeaderAuthenticator::Apply(http::Request& request, std::uint64_t* generation) {
  request.headers.emplace_back(name_, value_);
  if (generation != nullptr) *generation = 1;
  return Status::Ok();
}

Status HeaderAuthenticator::Renew(std::uint64_t) { return Error(ErrorCode::kAuth, hint_); }

ClientSecretAuthenticator::ClientSecretAuthenticator(const AuthOptions& options,
                                                     std::unique_ptr<http::Transport> transport, const Clock& clock,
                                                     auth::Redactor& redactor)
    : o_(options), transport_(std::move(transport)), clock_(clock), redactor_(redactor) {
  redactor_.Add(o_.client_secret.reveal());
}

Status ClientSecretAuthenticator::GrantLocked() {
  auth::GrantRecord record;
  record.grant_type = "client_credentials";
  record.token_url = o_.token_url;
  const UtcSeconds now = clock_.Now();
  record.requested_at = FormatRfc3339(now);
  const std::string what = "OAuth2 client_credentials grant for client '" + o_.client_id + "' at " + o_.token_url;
  Fields fields = {{"grant_type", "client_credentials"}};
  if (!o_.scope.empty()) fields.emplace_back("scope", o_.scope);
  for (const auto& f : o_.token_params) fields.push_back(f);
  http::Request req;
  req.method = "POST";
  req.url = o_.token_url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  if (o_.client_auth == ClientAuth::kSecretBasic) {
    // RFC 6749 §2.3.1: both parts form-urlencoded before the Basic encoding.
    const std::string pair = http::UrlEncode(o_.client_id) + ":" + http::UrlEncode(o_.client_secret.reveal());
    const std::string b64 = Base64Encode(AsBytes(pair));
    redactor_.Add(b64);
    req.headers.emplace_back("Authorization", "Basic " + b64);
  } else {
    fields.emplace_back("client_id", o_.client_id);
    fields.emplace_back("client_secret", o_.client_secret.reveal());
  }
  req.body = auth::FormBody(fields);
  req.timeout = std::chrono::seconds(60);
  http::StringSink sink(kMaxAuthBody);
  auto response = transport_->Perform(req, sink);
  OPENSSL_cleanse(req.body.data(), req.body.size());
  auto fail = [&](ErrorCode code, const std::string& error) -> Status {
    record.error = redactor_.Apply(error);
    grants_.push_back(record);
    return Error(code, redactor_.Apply(what + ": " + error));
  };
  if (!response) return fail(response.error().code(), response.error().message());
  record.http_status = response->head.status;
  rapidjson::Document d;
  d.Parse(sink.body().data(), sink.body().size());
  const bool is_object = !d.HasParseError() && d.IsObject();
  // Registered before anything could echo it.
  if (is_object && !Str(d, "access_token").empty()) redactor_.Add(Str(d, "access_token"));
  if (response->head.status != 200) {
    std::string said = is_object && !Str(d, "error").empty()
                           ? auth::OAuthErrorText(Str(d, "error"), Str(d, "error_description"))
                           : "HTTP " + std::to_string(response->head.status) + ": " + Gist(redactor_.Apply(sink.body()));
    // Redacted before the cut: a secret the cut went through would no longer be recognised.
    return fail(ErrorCode::kAuth, "refused: " + Gist(redactor_.Apply(said), 300));
  }
  if (!is_object) return fail(ErrorCode::kAuth, "HTTP 200 with a body that is not a JSON object: " + Gist(redactor_.Apply(sink.body())));
  const std::string token = Str(d, "access_token");
  if (!HeaderSafe(token)) return fail(ErrorCode::kAuth, "HTTP 200 without a usable access_token");
  const std::string type = Str(d, "token_type");
  if (!type.empty() && strcasecmp(type.c_str(), "bearer") != 0) {
    return fail(ErrorCode::kAuth, "HTTP 200 with token_type '" + Gist(type, 40) + "', not bearer");
  }
  token_ = token;
  expires_in_ = 0;
  if (auto it = d.FindMember("expires_in"); it != d.MemberEnd()) {
    if (it->value.IsInt64()) expires_in_ = it->value.GetInt64();
    if (it->value.IsString()) {
      std::string v = it->value.GetString();
      if (!v.empty() && v.size() < 10 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        expires_in_ = std::stoll(v);
      }
    }
  }
  obtained_at_ = now;
  record.issued_at = FormatRfc3339(now);
  record.identity_url = o_.client_id;
  grants_.push_back(record);
  ++generation_;
  return Status::Ok();
}

Status ClientSecretAuthenticator::Apply(http::Request& request, std::uint64_t* generation) {
  std::lock_guard<std::mutex> lock(mu_);
  bool expiring = false;
  if (!token_.empty() && expires_in_ > 0) {
    // A token about to expire would fail mid-request: get the next one first.
    expiring = clock_.Now() + std::chrono::seconds(30) >= obtained_at_ + std::chrono::seconds(expires_in_);
  }
  if (token_.empty() || expiring) {
    if (Status s = GrantLocked(); !s) return s;
  }
  request.headers.emplace_back("Authorization", "Bearer " + token_);
  if (generation != nullptr) *generation = generation_;
  return Status::Ok();
}

Status ClientSecretAuthenticator::Renew(std::uint64_t stale_generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_.empty() && generation_ != stale_generation) return Status::Ok();
  return GrantLocked();
}

std::vector<auth::GrantRecord> ClientSecretAuthenticator::Grants() const {
  std::lock_guard<std::mutex> lock(mu_);
  return grants_;
}

SessionLoginAuthenticator::SessionLoginAuthenticator(const AuthOptions& options, SessionLoginSettings settings,
                                                     std::unique_ptr<http::Transport> transport, const Clock& clock,
                                                     auth::Redactor& redactor)
    : o_(options), s_(std::move(settings)), transport_(std::move(transport)), clock_(clock), redactor_(redactor) {
  redactor_.Add(o_.password.reveal());
}

Status SessionLoginAuthenticator::Login() {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ != 0) return Status::Ok();
  if (refused_) return last_failure_;
  return LoginLocked();
}

Status SessionLoginAuthenticator::LoginLocked() {
  const std::string& url = o_.login_url;
  const std::string dir = "raw/" + s_.source + "/auth";
  const int max_attempts = std::max(1, s_.max_attempts);
  // A login answer that carries a token in its body is a secret: kept in memory only.
  const bool body_is_secret = !o_.token_pointer.empty() || !o_.csrf_pointer.empty();
  Fields fields = {{o_.username_field, o_.username}, {o_.password_field, o_.password.reveal()}};
  for (const auto& f : o_.login_fields) fields.push_back(f);
  for (int attempt = 1;; ++attempt) {
    if (s_.cancel != nullptr && s_.cancel->load()) return Error(ErrorCode::kCancelled, "interrupted while logging in at " + url);
    http::Request req;
    req.method = "POST";
    req.url = url;
    req.headers = s_.headers;
    if (!http::FindHeader(req.headers, "Accept")) req.headers.emplace_back("Accept", "application/json");
    req.headers.emplace_back("Content-Type", o_.login_body == BodyType::kJson ? "application/json"
                                                                                : "application/x-www-form-urlencoded");
    req.body = o_.login_body == BodyType::kJson ? JsonBody(fields) : auth::FormBody(fields);
    req.timeout = std::chrono::seconds(120);
    auth::GrantRecord grant;
    grant.grant_type = "session-login";
    grant.token_url = url;
    grant.requested_at = FormatRfc3339(clock_.Now());
    grant.identity_url = o_.username;

    std::unique_ptr<capture::CaptureFile> cap;
    http::StringSink mem(kMaxAuthBody);
    http::BodySink* sink = &mem;
    if (!body_is_secret) {
      char name[48];
      std::snprintf(name, sizeof name, "login-%06llu.json", static_cast<unsigned long long>(++captures_));
      auto c = capture::CaptureFile::Create(s_.payload_root, dir, name);
      if (!c) return c.error();
      cap = std::move(*c);
      sink = cap.get();
    }
    requests_.fetch_add(1);
    auto resp = transport_->Perform(req, *sink);
    OPENSSL_cleanse(req.body.data(), req.body.size());
    const std::string transfer_error = resp ? "" : redactor_.Apply(resp.error().message());
    std::string body;
    if (cap) {
      capture::Purpose purpose{s_.source, "auth", "Login", "login", "", 0, static_cast<std::uint32_t>(attempt)};
      if (Status st = cap->Finish(req, purpose, resp ? &*resp : nullptr, transfer_error); !st) return st;
      body = ReadSmall(cap->path(), kMaxAuthBody);
    } else {
      body = mem.body();
    }
    const std::string kept = cap ? " (the answer is kept at " + cap->bag_path() + ")" : "";
    auto retry = [&](ErrorCode code, const std::string& why) -> std::optional<Status> {
      grant.error = redactor_.Apply(why);
      grants_.push_back(grant);
      if (attempt >= max_attempts) {
        return Status(Error(code, redactor_.Apply("log in at " + url + ": " + why + " (after " + std::to_string(attempt) +
                                                  " attempts)" + kept)));
      }
      auto delay = s_.retry_base * (1LL << std::min(attempt - 1, 10));
      const bool go_on = s_.sleep ? s_.sleep(delay) : DefaultSleep(delay, s_.cancel);
      if (!go_on) return Status(Error(ErrorCode::kCancelled, "interrupted while logging in at " + url));
      return std::nullopt;
    };
    if (!resp) {
      if (resp.error().code() == ErrorCode::kInvalidArgument) return Error(ErrorCode::kInvalidArgument, transfer_error);
      if (auto done = retry(ErrorCode::kNetwork, transfer_error)) return *done;
      continue;
    }
    const int status = resp->head.status;
    grant.http_status = status;
    if (auto date = http::FindHeader(resp->head.headers, "Date")) grant.issued_at = *date;
    rapidjson::Document d;
    d.Parse(body.data(), body.size());
    const bool json = !d.HasParseError();
    std::string token;
    std::string csrf;
    if (json && !o_.token_pointer.empty()) {
      if (const rapidjson::Value* v = At(d, o_.token_pointer)) token = json::ScalarText(*v);
    }
    if (json && !o_.csrf_pointer.empty()) {
      if (const rapidjson::Value* v = At(d, o_.csrf_pointer)) csrf = json::ScalarText(*v);
    }
    if (!o_.csrf_header.empty()) {
      if (auto h = http::FindHeader(resp->head.headers, o_.csrf_header)) csrf = *h;
    }
    if (!token.empty()) redactor_.Add(token);
    if (!csrf.empty()) redactor_.Add(csrf);
    const std::string said = Gist(redactor_.Apply(body));
    if (status == 429 || status >= 500) {
      if (auto done = retry(ErrorCode::kRemote, "HTTP " + std::to_string(status) + (said.empty() ? "" : ": " + said))) {
        return *done;
      }
      continue;
    }
    bool success = status >= 200 && status < 300;
    std::string why;
    if (success && !o_.success_pointer.empty()) {
      const rapidjson::Value* v = json ? At(d, o_.success_pointer) : nullptr;
      const std::string value = v != nullptr ? json::ScalarText(*v) : "";
      if (std::find(o_.success_values.begin(), o_.success_values.end(), value) == o_.success_values.end()) {
        success = false;
        why = o_.success_pointer + " is '" + Gist(value, 60) + "'";
      }
    }
    const std::string cookies = CookieJar(resp->head.headers);
    if (success && !o_.token_pointer.empty() && !HeaderSafe(token)) {
      success = false;
      why = "no session token at " + o_.token_pointer;
    } else if (success && o_.token_pointer.empty() && cookies.empty()) {
      success = false;
      why = "no Set-Cookie in the answer";
    } else if (success && (!o_.csrf_header.empty() || !o_.csrf_pointer.empty()) && !HeaderSafe(csrf)) {
      success = false;
      why = "no CSRF token in " + (o_.csrf_header.empty() ? "the body at " + o_.csrf_pointer : "header " + o_.csrf_header);
    }
    if (success) {
      for (const auto& part : [&] {
             std::vector<std::string> values;
             size_t pos = 0;
             while (pos < cookies.size()) {
               size_t semi = cookies.find("; ", pos);
               std::string pair = cookies.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
               size_t eq = pair.find('=');
               if (eq != std::string::npos) values.push_back(pair.substr(eq + 1));
               pos = semi == std::string::npos ? cookies.size() : semi + 2;
             }
             return values;
           }()) {
        if (part.size() >= 4) redactor_.Add(part);
      }
      cookies_ = cookies;
      token_ = token;
      csrf_ = csrf;
      ++generation_;
      grants_.push_back(grant);
      return Status::Ok();
    }
    if (why.empty()) why = "HTTP " + std::to_string(status);
    grant.error = redactor_.Apply(why + (said.empty() ? "" : ": " + said));
    grants_.push_back(grant);
    refused_ = true;
    last_failure_ = Error(ErrorCode::kAuth, redactor_.Apply("the login of user '" + o_.username + "' at " + url +
                                                            " was refused: " + grant.error + kept));
    return last_failure_;
  }
}

Status SessionLoginAuthenticator::Logout() {
  std::lock_guard<std::mutex> lock(mu_);
  if (o_.logout_url.empty() || generation_ == 0) return Status::Ok();
  http::Request req;
  req.method = "POST";
  req.url = o_.logout_url;
  req.headers = s_.headers;
  if (!cookies_.empty()) req.headers.emplace_back("Cookie", cookies_);
  if (!token_.empty()) req.headers.emplace_back(o_.token_header, o_.token_prefix + token_);
  if (!csrf_.empty()) req.headers.emplace_back(o_.csrf_request_header, csrf_);
  req.timeout = std::chrono::seconds(60);
  char name[48];
  std::snprintf(name, sizeof name, "logout-%06llu.json", static_cast<unsigned long long>(++captures_));
  auto cap = capture::CaptureFile::Create(s_.payload_root, "raw/" + s_.source + "/auth", name);
  if (!cap) return cap.error();
  requests_.fetch_add(1);
  auto resp = transport_->Perform(req, **cap);
  const std::string transfer_error = resp ? "" : redactor_.Apply(resp.error().message());
  capture::Purpose purpose{s_.source, "auth", "Logout", "logout", "", 0, 1};
  if (Status st = (*cap)->Finish(req, purpose, resp ? &*resp : nullptr, transfer_error); !st) return st;
  cookies_.clear();
  token_.clear();
  if (!resp) return Error(ErrorCode::kNetwork, "log out at " + o_.logout_url + ": " + transfer_error);
  if (resp->head.status >= 300) {
    return Error(ErrorCode::kRemote, "log out at " + o_.logout_url + ": HTTP " + std::to_string(resp->head.status));
  }
  return Status::Ok();
}

Status SessionLoginAuthenticator::Apply(http::Request& request, std::uint64_t* generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ == 0 || (cookies_.empty() && token_.empty())) {
    if (refused_) return last_failure_;
    if (Status s = LoginLocked(); !s) return s;
  }
  if (!cookies_.empty()) request.headers.emplace_back("Cookie", cookies_);
  if (!token_.empty()) request.headers.emplace_back(o_.token_header, o_.token_prefix + token_);
  if (!csrf_.empty()) request.headers.emplace_back(o_.csrf_request_header, csrf_);
  if (generation != nullptr) *generation = generation_;
  return Status::Ok();
}

Status SessionLoginAuthenticator::Renew(std::uint64_t stale_generation) {
  std::lock_guard<std::mutex> lock(mu_);
  if (generation_ != 0 && generation_ != stale_generation && (!cookies_.empty() || !token_.empty())) {
    return Status::Ok();
  }
  if (refused_) return last_failure_;
  // The session expired (idle timeout, a restart): log in again.
  cookies_.clear();
  token_.clear();
  csrf_.clear();
  return LoginLocked();
}

std::vector<auth::GrantRecord> SessionLoginAuthenticator::Grants() const {
  std::lock_guard<std::mutex> lock(mu_);
  return grants_;
}

}  // namespace custody::connectors::generic
