#include "connectors/common/session.h"
#include "connectors/common/text.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <thread>

#include "core/time.h"

namespace custody::connectors {

namespace {

std::int64_t SystemNowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string WithAttempt(const std::string& name, std::uint32_t attempt) {
  if (attempt <= 1) return name;
  size_t dot = name.find('.');
  std::string suffix = ".attempt-" + std::to_string(attempt);
  return dot == std::string::npos ? name + suffix : name.substr(0, dot) + suffix + name.substr(dot);
}

int Num(std::string_view s, size_t pos, size_t len) {
  if (pos + len > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int MonthOf(std::string_view abbrev) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (abbrev == kMonths[i]) return i + 1;
  }
  return 0;
}

std::optional<std::int64_t> ToUnixMs(int year, int month, int day, int hh, int mm, int ss) {
  if (year < 0 || month < 1 || day < 1 || hh < 0 || mm < 0 || ss < 0) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  auto t = std::chrono::sys_days(ymd) + std::chrono::hours(hh) + std::chrono::minutes(mm) + std::chrono::seconds(ss);
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// An HTTP-date (RFC 9110 §5.6.7): the IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" that servers
// must send, and the two obsolete forms recipients must still accept, RFC 850
// "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994".
std::optional<std::int64_t> ParseHttpDateImpl(std::string_view s) {
  if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
    return ToUnixMs(Num(s, 12, 4), MonthOf(s.substr(8, 3)), Num(s, 5, 2), Num(s, 17, 2), Num(s, 20, 2),
                    Num(s, 23, 2));
  }
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ' && s[10] == ' ') {
    int day = s[8] == ' ' ? Num(s, 9, 1) : Num(s, 8, 2);
    return ToUnixMs(Num(s, 20, 4), MonthOf(s.substr(4, 3)), day, Num(s, 11, 2), Num(s, 14, 2), Num(s, 17, 2));
  }
  size_t comma = s.find(", ");
  if (comma != std::string_view::npos && s.size() == comma + 2 + 22 && s.substr(s.size() - 4) == " GMT") {
    std::string_view r = s.substr(comma + 2);  // "06-Nov-94 08:49:37 GMT"
    if (r[2] != '-' || r[6] != '-') return std::nullopt;
    int yy = Num(r, 7, 2);
    if (yy < 0) return std::nullopt;
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    int year = yy < 70 ? 2000 + yy : 1900 + yy;
    return ToUnixMs(year, MonthOf(r.substr(3, 3)), Num(r, 0, 2), Num(r, 10, 2), Num(r, 13, 2), Num(r, 16, 2));
  }
  return std::nullopt;
}

bool DefaultRetryable(int status) { return status == 429 || (status >= 500 && status <= 599); }

Verdict DefaultClassify(const capture::CaptureFile& capture, std::string* problem) {
  int status = capture.head().status;
  if (status == 401) {
    *problem = "401: the credential was refused";
    return Verdict::kAuthFailed;
  }
  if (DefaultRetryable(status)) {
    *problem = std::to_string(status) + (capture.head().reason.empty() ? "" : " " + capture.head().reason);
    return Verdict::kRetry;
  }
  return Verdict::kAccept;
}

}  // namespace

std::optional<std::int64_t> ParseHttpDateMs(std::string_view value) { return ParseHttpDateImpl(value); }

std::string SourceStopName(SourceStop stop) {
  switch (stop) {
    case SourceStop::kNone: return "none";
    case SourceStop::kFailed: return "failed";
    case SourceStop::kApiBudget: return "api-budget";
    case SourceStop::kAuth: return "auth";
    case SourceStop::kInterrupted: return "interrupted";
  }
  return "unknown";
}

Status NoAuthenticator::Apply(http::Request&, std::uint64_t* generation) {
  if (generation != nullptr) *generation = 0;
  return Status::Ok();
}

Status NoAuthenticator::Renew(std::uint64_t) {
  return Error(ErrorCode::kAuth, "the server asks for credentials and none were configured");
}

void SourceState::ObserveDate(std::string_view http_date, std::int64_t local_unix_ms) {
  auto server = ParseHttpDateMs(http_date);
  if (!server) return;
  std::int64_t skew = *server - local_unix_ms;
  std::lock_guard<std::mutex> lock(mu_);
  if (clock_.samples == 0) {
    clock_.min_skew_ms = clock_.max_skew_ms = skew;
    clock_.first_date = std::string(http_date);
    std::int64_t secs = local_unix_ms / 1000 - (local_unix_ms % 1000 < 0 ? 1 : 0);
    clock_.first_local = FormatRfc3339(UtcSeconds(std::chrono::seconds(secs)));
  }
  clock_.min_skew_ms = std::min(clock_.min_skew_ms, skew);
  clock_.max_skew_ms = std::max(clock_.max_skew_ms, skew);
  ++clock_.samples;
}

// Keeps the first reason of the most serious kind: an authentication stop after a failure says
// more about what the operator must do than the failure does.
void SourceState::Stop(SourceStop stop, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(stop) > static_cast<int>(stop_)) {
    stop_ = stop;
    stop_detail_ = detail;
  }
}

SourceStop SourceState::stop() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

std::string SourceState::stop_detail() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_detail_;
}

ClockEvidence SourceState::clock() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, std::int64_t now_unix_ms) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // More than ten digits is more than 300 years: treat as "very long" rather than overflow.
    if (value.size() > 10) return std::chrono::milliseconds(std::int64_t{9999999999} * 1000);
    std::int64_t seconds = 0;
    for (char c : value) seconds = seconds * 10 + (c - '0');
    return std::chrono::milliseconds(seconds * 1000);
  }
  auto at = ParseHttpDateImpl(value);
  if (!at) return std::nullopt;
  // A date already past means "now".
  return std::chrono::milliseconds(std::max<std::int64_t>(0, *at - now_unix_ms));
}

Session::Session(std::unique_ptr<http::Transport> transport, Authenticator& auth, SourceState& state,
                 const auth::Redactor& redactor, std::filesystem::path payload_root, SessionPolicy policy,
                 const std::atomic<bool>* cancel, std::uint64_t seed)
    : transport_(std::move(transport)),
      auth_(auth),
      state_(state),
      redactor_(redactor),
      root_(std::move(payload_root)),
      policy_(policy),
      cancel_(cancel),
      rng_(seed) {}

void Session::SetSleepForTest(std::function<bool(std::chrono::milliseconds)> sleep) { sleep_ = std::move(sleep); }
void Session::SetNowForTest(std::function<std::int64_t()> now) { now_ = std::move(now); }

std::int64_t Session::NowUnixMs() const { return now_ ? now_() : SystemNowUnixMs(); }

bool Session::Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

bool Session::Sleep(std::chrono::milliseconds d) {
  if (sleep_) return sleep_(d) && !Cancelled();
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (Cancelled()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(50)));
  }
  return !Cancelled();
}

std::chrono::milliseconds Session::Backoff(int failures) {
  // Full jitter (AWS architecture blog, "Exponential backoff and jitter"): uniform in
  // [0, min(cap, base * 2^(failures-1))], so many collectors retrying one server spread out.
  std::int64_t ceiling = policy_.base.count();
  for (int i = 1; i < failures && ceiling < policy_.cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, policy_.cap.count());
  if (ceiling <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<std::int64_t> dist(0, ceiling);
  return std::chrono::milliseconds(dist(rng_));
}

SessionResult Session::Execute(SessionCall call) {
  SessionResult result = Run(std::move(call));
  if (!result.ok && result.stop != SourceStop::kNone) state_.Stop(result.stop, result.error);
  return result;
}

SessionResult Session::Run(SessionCall call) {
  SessionResult result;
  const std::string what = call.request.method + " " + call.request.url;
  int failures = 0;
  int renewals = 0;
  std::uint32_t attempt = 0;
  std::string last_problem;
  auto fail = [&](SourceStop stop, std::string message) {
    result.ok = false;
    result.stop = stop;
    result.error = redactor_.Apply(message);
    return result;
  };
  for (;;) {
    if (Cancelled()) return fail(SourceStop::kInterrupted, what + ": interrupted");
    http::Request req = call.request;
    std::uint64_t generation = 0;
    if (Status s = auth_.Apply(req, &generation); !s) {
      return fail(s.error().code() == ErrorCode::kNetwork ? SourceStop::kFailed : SourceStop::kAuth,
                  what + ": " + s.error().message());
    }
    ++attempt;
    call.purpose.attempt = attempt;
    auto capture = capture::CaptureFile::Create(root_, call.dir, WithAttempt(call.name, attempt));
    if (!capture) return fail(SourceStop::kFailed, capture.error().message());
    capture::CaptureFile& cap = **capture;
    state_.CountRequest();
    auto response = transport_->Perform(req, cap);
    std::int64_t received_ms = NowUnixMs();
    result.attempts.push_back(cap.bag_path());

    if (!response) {
      std::string why = redactor_.Apply(response.error().message());
      if (Status fin = cap.Finish(call.request, call.purpose, nullptr, why); !fin) {
        return fail(SourceStop::kFailed, fin.error().message());
      }
      if (response.error().code() == ErrorCode::kCancelled || Cancelled()) {
        return fail(SourceStop::kInterrupted, what + ": interrupted");
      }
      if (response.error().code() == ErrorCode::kInvalidArgument) {
        // A URL the transport policy refuses will be refused again: no retry.
        result.error = redactor_.Apply(why);
        return result;
      }
      last_problem = why;
      if (++failures >= policy_.max_attempts) break;
      if (!Sleep(Backoff(failures))) return fail(SourceStop::kInterrupted, what + ": interrupted");
      continue;
    }

    const http::ResponseHead& head = response->head;
    if (auto date = http::FindHeader(head.headers, "Date")) state_.ObserveDate(*date, received_ms);
    std::string problem;
    Verdict verdict = call.classify ? call.classify(cap, &problem) : DefaultClassify(cap, &problem);
    problem = redactor_.Apply(problem);
    std::vector<std::string> notes;
    std::optional<std::chrono::milliseconds> wait;
    std::string wait_note;
    bool give_up_retry_after = false;
    if (verdict == Verdict::kRetry) {
      if (auto ra = http::FindHeader(head.headers, "Retry-After")) {
        wait = ParseRetryAfter(*ra, received_ms);
        if (wait && *wait > policy_.max_retry_after) {
          give_up_retry_after = true;
          notes.push_back("the server asked to wait " + std::to_string(wait->count() / 1000) +
                          " s (Retry-After: " + *ra + "), more than the " +
                          std::to_string(policy_.max_retry_after.count() / 1000) + " s limit: not retried");
        } else if (wait) {
          wait_note = "retried after " + std::to_string(wait->count()) + " ms as the server asked (Retry-After: " +
                      *ra + ")";
        } else {
          wait_note = "Retry-After '" + Excerpt(*ra, 64) + "' is not delta-seconds or an HTTP-date: backed off";
        }
      }
      if (!give_up_retry_after && failures + 1 < policy_.max_attempts) {
        notes.push_back(wait_note.empty() ? "retried: " + problem : wait_note + ": " + problem);
      }
    } else if (verdict == Verdict::kAuthFailed) {
      notes.push_back("credential refused; " +
                      std::string(renewals < policy_.max_renewals ? "renewed and repeated" : "no more renewals"));
    } else if (!problem.empty()) {
      notes.push_back(problem);
    }
    // A body the connector rejected (HTML for JSON, a truncated page) is recorded as an error in
    // its sidecar; an accepted final answer has none.
    const std::string sidecar_error = verdict == Verdict::kRetry ? problem : "";
    if (Status fin = cap.Finish(call.request, call.purpose, &*response, sidecar_error, notes); !fin) {
      return fail(SourceStop::kFailed, fin.error().message());
    }

    if (verdict == Verdict::kAuthFailed) {
      std::string said = Excerpt(redactor_.Apply(ReadHead(cap.path(), 2048)), 300);
      if (renewals >= policy_.max_renewals) {
        result.status = head.status;
        return fail(SourceStop::kAuth, what + ": " + std::to_string(head.status) + " credential refused after " +
                                           std::to_string(renewals) + " re-authentications" +
                                           (said.empty() ? "" : ": " + said));
      }
      ++renewals;
      if (Status s = auth_.Renew(generation); !s) {
        result.status = head.status;
        return fail(s.error().code() == ErrorCode::kNetwork ? SourceStop::kFailed : SourceStop::kAuth,
                    what + ": " + std::to_string(head.status) + " credential refused" +
                        (said.empty() ? "" : " (" + said + ")") + "; renewal failed: " + s.error().message());
      }
      continue;
    }
    if (verdict == Verdict::kRetry) {
      last_problem = problem.empty() ? std::to_string(head.status) : problem;
      result.status = head.status;
      result.headers = head.headers;
      if (give_up_retry_after) {
        result.error = redactor_.Apply(what + ": " + last_problem + "; " + notes.back());
        return result;
      }
      if (++failures >= policy_.max_attempts) break;
      if (!Sleep(wait ? *wait : Backoff(failures))) return fail(SourceStop::kInterrupted, what + ": interrupted");
      continue;
    }
    result.ok = true;
    result.status = head.status;
    result.body_path = cap.path().string();
    result.bag_path = cap.bag_path();
    result.bytes = cap.bytes();
    result.sha256 = cap.sha256();
    result.headers = head.headers;
    result.error.clear();
    return result;
  }
  // Out of attempts: a gap for the connector to record, not a reason to stop the whole source.
  result.ok = false;
  result.stop = SourceStop::kNone;
  result.error = redactor_.Apply(what + ": gave up after " + std::to_string(failures) + " attempts: " + last_problem);
  return result;
}

}  // namespace custody::connectors
