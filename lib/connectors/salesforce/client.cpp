#include "connectors/salesforce/client.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <thread>

#include "core/time.h"

namespace custody::connectors::salesforce {

namespace {

std::int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string WithAttempt(const std::string& name, std::uint32_t attempt) {
  if (attempt <= 1) return name;
  size_t dot = name.find('.');
  std::string suffix = ".attempt-" + std::to_string(attempt);
  return dot == std::string::npos ? name + suffix : name.substr(0, dot) + suffix + name.substr(dot);
}

std::string ReadHead(const std::filesystem::path& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

bool IsRetryableStatus(int status) { return status == 500 || status == 502 || status == 503 || status == 504; }

}  // namespace

void ParseErrorBody(std::string_view body, std::string& code, std::string& message) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError()) return;
  const rapidjson::Value* e = &d;
  if (d.IsArray()) {
    if (d.Empty()) return;
    e = &d[0];
  }
  if (!e->IsObject()) return;
  auto get = [e](const char* k) -> std::string {
    auto it = e->FindMember(k);
    return it != e->MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
  };
  code = get("errorCode");
  message = get("message");
  if (code.empty()) {
    code = get("error");
    message = get("error_description");
  }
}

void SharedState::ObserveLimitInfo(std::string_view value) {
  // "api-usage=25/15000", possibly with other pairs: "api-usage=25/15000;
  // per-app-api-usage=17/250(appName=x)". The org's count is the pair named exactly api-usage,
  // not the connected app's per-app-api-usage, whichever comes first.
  constexpr std::string_view kKey = "api-usage=";
  size_t p = value.find(kKey);
  while (p != std::string_view::npos && p > 0 && value[p - 1] != ' ' && value[p - 1] != ';' && value[p - 1] != ',') {
    p = value.find(kKey, p + 1);
  }
  if (p == std::string_view::npos) return;
  std::string_view rest = value.substr(p + kKey.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return;
  std::int64_t used = 0, max = 0;
  size_t i = 0;
  for (; i < slash; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return;
    used = used * 10 + (rest[i] - '0');
  }
  for (i = slash + 1; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i) max = max * 10 + (rest[i] - '0');
  if (i == slash + 1) return;
  std::lock_guard<std::mutex> lock(budget_mu_);
  if (budget_.first_used < 0) budget_.first_used = used;
  // Concurrent responses arrive out of order: keep the highest count seen.
  budget_.used = std::max(budget_.used, used);
  budget_.max = max;
}

bool SharedState::BudgetExhausted() {
  std::string detail;
  {
    std::lock_guard<std::mutex> lock(budget_mu_);
    if (budget_.max <= 0) return false;
    double remaining = static_cast<double>(budget_.max - budget_.used);
    if (remaining > reserve_ * static_cast<double>(budget_.max)) return false;
    detail = "stopped before the daily API budget fell under the reserve: api-usage " + std::to_string(budget_.used) +
             "/" + std::to_string(budget_.max) + ", reserve " +
             std::to_string(static_cast<int>(reserve_ * 100 + 0.5)) + " %";
  }
  Stop(SourceStop::kApiBudget, detail);
  return true;
}

SharedState::Budget SharedState::budget() const {
  std::lock_guard<std::mutex> lock(budget_mu_);
  return budget_;
}

Client::Client(std::unique_ptr<http::Transport> transport, auth::TokenProvider& tokens, SharedState& shared,
               const auth::Redactor& redactor, std::filesystem::path payload_root, RetryPolicy retry,
               const std::atomic<bool>* cancel, std::uint64_t seed)
    : transport_(std::move(transport)),
      tokens_(tokens),
      shared_(shared),
      redactor_(redactor),
      root_(std::move(payload_root)),
      retry_(retry),
      cancel_(cancel),
      rng_(seed) {}

std::chrono::milliseconds Client::Backoff(int attempt) {
  // Full jitter (AWS architecture blog's "exponential backoff and jitter"): uniform in
  // [0, min(cap, base * 2^(attempt-1))].
  std::int64_t ceiling = retry_.base.count();
  for (int i = 1; i < attempt && ceiling < retry_.cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, retry_.cap.count());
  if (ceiling <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<std::int64_t> dist(ceiling / 2, ceiling);
  return std::chrono::milliseconds(dist(rng_));
}

bool Client::SleepUnlessCancelled(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (Cancelled()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(std::chrono::milliseconds(50), d));
  }
  return !Cancelled();
}

Status Client::Authenticate() {
  auto token = tokens_.Current(*transport_);
  if (!token) return Error(token.error().code(), redactor_.Apply(token.error().message()));
  return Status::Ok();
}

CallResult Client::Execute(Call call) {
  CallResult result = Run(std::move(call));
  // Auth, budget and interruption stop the whole collection; a request that failed after its
  // retries is a gap in its own stream only.
  if (!result.ok && result.stop != SourceStop::kNone) shared_.Stop(result.stop, result.error);
  return result;
}

CallResult Client::Run(Call call) {
  CallResult result;
  // Names the collector in the org's own API logs (research §8.1), so its calls can be told apart.
  if (!http::FindHeader(call.request.headers, "Sforce-Call-Options")) {
    call.request.headers.emplace_back("Sforce-Call-Options", "client=custody");
  }
  int failures = 0;
  int renewals = 0;
  std::uint32_t attempt = 0;
  std::string last_problem;
  for (;;) {
    if (Cancelled()) {
      result.stop = SourceStop::kInterrupted;
      result.error = "interrupted";
      return result;
    }
    if (shared_.BudgetExhausted()) {
      result.stop = SourceStop::kApiBudget;
      result.error = shared_.stop_detail();
      return result;
    }
    auto token = tokens_.Current(*transport_);
    if (!token) {
      result.stop = token.error().code() == ErrorCode::kNetwork ? SourceStop::kFailed : SourceStop::kAuth;
      result.error = redactor_.Apply(token.error().message());
      return result;
    }
    ++attempt;
    call.purpose.attempt = attempt;
    http::Request req = call.request;
    req.headers.emplace_back("Authorization", "Bearer " + token->access_token.reveal());
    auto capture = capture::CaptureFile::Create(root_, call.dir, WithAttempt(call.name, attempt));
    if (!capture) {
      result.stop = SourceStop::kFailed;
      result.error = capture.error().message();
      return result;
    }
    ++requests_;
    auto response = transport_->Perform(req, **capture);
    std::int64_t received_ms = NowUnixMs();
    result.attempts.push_back((*capture)->bag_path());
    if (!response) {
      std::string why = redactor_.Apply(response.error().message());
      Status fin = (*capture)->Finish(call.request, call.purpose, nullptr, why);
      if (!fin) {
        result.stop = SourceStop::kFailed;
        result.error = fin.error().message();
        return result;
      }
      if (response.error().code() == ErrorCode::kCancelled || Cancelled()) {
        result.stop = SourceStop::kInterrupted;
        result.error = "interrupted";
        return result;
      }
      last_problem = why;
      if (++failures >= retry_.max_attempts) break;
      if (!SleepUnlessCancelled(Backoff(failures))) continue;
      continue;
    }
    const http::ResponseHead& head = response->head;
    if (auto limit = http::FindHeader(head.headers, "Sforce-Limit-Info")) shared_.ObserveLimitInfo(*limit);
    if (auto date = http::FindHeader(head.headers, "Date")) shared_.ObserveDate(*date, received_ms);
    int status = head.status;
    std::string code, message;
    std::vector<std::string> notes;
    std::optional<std::string> problem;
    if (status < 200 || status >= 300) {
      ParseErrorBody(ReadHead((*capture)->path(), 64 << 10), code, message);
      message = redactor_.Apply(message);
    } else if (call.validate) {
      problem = call.validate(**capture);
      if (problem) notes.push_back("rejected, retried: " + *problem);
    }
    Status fin = (*capture)->Finish(call.request, call.purpose, &*response, problem ? *problem : "", notes);
    if (!fin) {
      result.stop = SourceStop::kFailed;
      result.error = fin.error().message();
      return result;
    }
    if (status == 401) {
      if (!tokens_.CanRenew() || renewals >= retry_.max_renewals) {
        result.stop = SourceStop::kAuth;
        result.error = "401 " + code + ": " + message +
                       (tokens_.CanRenew() ? " (after " + std::to_string(renewals) + " re-authentications)"
                                           : "; the access token cannot be renewed with --auth token");
        result.status = status;
        result.error_code = code;
        result.error_message = message;
        return result;
      }
      ++renewals;
      auto renewed = tokens_.Renew(*transport_, token->generation);
      if (!renewed) {
        result.stop = renewed.error().code() == ErrorCode::kNetwork ? SourceStop::kFailed : SourceStop::kAuth;
        result.error = redactor_.Apply(renewed.error().message());
        return result;
      }
      continue;
    }
    if (status == 403 && code == "REQUEST_LIMIT_EXCEEDED") {
      shared_.Stop(SourceStop::kApiBudget, "the org's daily API limit is exhausted: 403 REQUEST_LIMIT_EXCEEDED: " +
                                               message);
      result.stop = SourceStop::kApiBudget;
      result.error = "403 REQUEST_LIMIT_EXCEEDED: " + message;
      return result;
    }
    bool timeout = code == "QUERY_TIMEOUT" || (status == 500 && message.find("query timeout") != std::string::npos);
    if (IsRetryableStatus(status) || timeout || problem) {
      last_problem = problem ? *problem
                             : std::to_string(status) + (code.empty() ? "" : " " + code) +
                                   (message.empty() ? "" : ": " + message);
      if (++failures >= retry_.max_attempts) break;
      SleepUnlessCancelled(Backoff(failures));
      continue;
    }
    result.ok = true;
    result.status = status;
    result.body_path = (*capture)->path().string();
    result.bag_path = (*capture)->bag_path();
    result.bytes = (*capture)->bytes();
    result.sha256 = (*capture)->sha256();
    result.error_code = code;
    result.error_message = message;
    result.headers = head.headers;
    return result;
  }
  result.stop = SourceStop::kFailed;
  result.error = "gave up after " + std::to_string(failures) + " attempts: " + last_problem;
  return result;
}

}  // namespace custody::connectors::salesforce
