// The shared captured-HTTP session: retries, Retry-After, re-authentication, every attempt
// captured, cancellation, clock evidence and redacted errors, driven by a scripted transport.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "connectors/common/session.h"
#include "core/encoding.h"
#include "support/test_support.h"

namespace custody::connectors {
namespace {

struct Scripted {
  int status = 200;
  http::Headers headers;
  std::string body;
  bool drop_after_body = false;  // deliver the body, then fail as a connection dropped mid-body
  std::string error;             // non-empty: fail before any head with this kNetwork message
};

class ScriptedTransport final : public http::Transport {
 public:
  explicit ScriptedTransport(std::deque<Scripted>* script, std::vector<http::Request>* seen)
      : script_(script), seen_(seen) {}
  Result<http::Response> Perform(const http::Request& request, http::BodySink& sink) override {
    seen_->push_back(request);
    REQUIRE_FALSE(script_->empty());
    Scripted s = script_->front();
    if (script_->size() > 1) script_->pop_front();  // the last answer repeats
    if (!s.error.empty()) return Error(ErrorCode::kNetwork, s.error);
    http::Response r;
    r.head.status = s.status;
    r.head.reason = s.status == 200 ? "OK" : "";
    r.head.headers = s.headers;
    r.http_version = "1.1";
    r.timing.started_unix_ms = 1775044800000;
    if (Status st = sink.OnHead(r.head); !st) return st.error();
    if (Status st = sink.OnBody(AsBytes(s.body)); !st) return st.error();
    if (s.drop_after_body) return Error(ErrorCode::kNetwork, "connection closed with 40 bytes of the body missing");
    r.body_bytes = s.body.size();
    return r;
  }

 private:
  std::deque<Scripted>* script_;
  std::vector<http::Request>* seen_;
};

// A bearer token per generation ("tok-1", "tok-2", ...), renewed unless told to refuse.
class CountingAuthenticator final : public Authenticator {
 public:
  Status Apply(http::Request& request, std::uint64_t* generation) override {
    request.headers.emplace_back("Authorization", "Bearer tok-" + std::to_string(generation_));
    *generation = generation_;
    return Status::Ok();
  }
  Status Renew(std::uint64_t stale) override {
    ++renew_calls;
    if (refuse) return Error(ErrorCode::kAuth, "token endpoint said invalid_client for secret-value-123");
    if (stale == generation_) ++generation_;
    return Status::Ok();
  }
  std::vector<auth::GrantRecord> Grants() const override { return {}; }
  std::uint64_t generation_ = 1;
  int renew_calls = 0;
  bool refuse = false;
};

constexpr std::int64_t kNow = 1775044800000;  // 2026-04-01T12:00:00Z

struct Harness {
  test::TempDir dir;
  std::deque<Scripted> script;
  std::vector<http::Request> seen;
  std::vector<std::chrono::milliseconds> sleeps;
  CountingAuthenticator auth;
  SourceState state;
  auth::Redactor redactor;
  std::atomic<bool> cancel{false};
  SessionPolicy policy;
  bool cancel_on_sleep = false;

  Harness() {
    policy.base = std::chrono::milliseconds(100);
    policy.cap = std::chrono::milliseconds(1000);
    redactor.Add("secret-value-123");
  }
  SessionResult Run(SessionCall call = {}) {
    if (call.request.url.empty()) call.request.url = "https://fhir.test/fhir/AuditEvent?_count=10";
    if (call.dir.empty()) call.dir = "raw/fhir/audit-events";
    if (call.name.empty()) call.name = "000001.json";
    call.purpose.source = "fhir";
    call.purpose.stream = "audit-events";
    call.purpose.role = "search-page";
    Session session(std::make_unique<ScriptedTransport>(&script, &seen), auth, state, redactor, dir.path(), policy,
                    &cancel, 42);
    session.SetSleepForTest([this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      if (cancel_on_sleep) cancel = true;
      return true;
    });
    session.SetNowForTest([] { return kNow; });
    return session.Execute(std::move(call));
  }
  rapidjson::Document Sidecar(const std::string& bag_path) const {
    rapidjson::Document d;
    std::string text = test::ReadFile(dir.path() / (bag_path.substr(5) + ".http.json"));
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    return d;
  }
  std::string Body(const std::string& bag_path) const { return test::ReadFile(dir.path() / bag_path.substr(5)); }
};

Scripted Reply(int status, http::Headers headers, std::string body) {
  Scripted s;
  s.status = status;
  s.headers = std::move(headers);
  s.body = std::move(body);
  return s;
}

Scripted Ok(std::string body) { return Reply(200, {{"Content-Type", "application/fhir+json"}}, std::move(body)); }

}  // namespace

TEST_CASE("session: a 503 is retried after a jittered backoff and both attempts are captured", "[fhir][session]") {
  Harness h;
  h.script = {Reply(503, {}, "busy"), Ok(R"({"resourceType":"Bundle"})")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  CHECK(r.status == 200);
  REQUIRE(r.attempts.size() == 2);
  CHECK(r.attempts[0] == "data/raw/fhir/audit-events/000001.json");
  CHECK(r.attempts[1] == "data/raw/fhir/audit-events/000001.attempt-2.json");
  CHECK(r.bag_path == r.attempts[1]);
  CHECK(h.Body(r.attempts[0]) == "busy");
  CHECK(h.Body(r.attempts[1]) == R"({"resourceType":"Bundle"})");
  REQUIRE(h.sleeps.size() == 1);
  CHECK(h.sleeps[0] <= std::chrono::milliseconds(100));  // full jitter in [0, base]
  auto first = h.Sidecar(r.attempts[0]);
  CHECK(first["response"]["status"].GetInt() == 503);
  CHECK(first["attempt"].GetUint() == 1);
  CHECK_FALSE(first["body"]["complete"].GetBool());
  auto second = h.Sidecar(r.attempts[1]);
  CHECK(second["attempt"].GetUint() == 2);
  CHECK(second["body"]["complete"].GetBool());
  CHECK(h.state.requests() == 2);
  CHECK(h.state.stop() == SourceStop::kNone);
}

TEST_CASE("session: Retry-After in delta-seconds is waited exactly", "[fhir][session]") {
  Harness h;
  h.script = {Reply(429, {{"Retry-After", "7"}}, "{}"), Ok("{}")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  REQUIRE(h.sleeps.size() == 1);
  CHECK(h.sleeps[0] == std::chrono::milliseconds(7000));
  auto side = h.Sidecar(r.attempts[0]);
  REQUIRE(side["notes"].Size() == 1);
  CHECK(std::string(side["notes"][0].GetString()).find("Retry-After: 7") != std::string::npos);
}

TEST_CASE("session: Retry-After as an HTTP-date is waited until that time", "[fhir][session]") {
  Harness h;
  // kNow is 12:00:00Z; the server asks to come back at 12:00:30.
  h.script = {Reply(503, {{"Retry-After", "Wed, 01 Apr 2026 12:00:30 GMT"}}, ""), Ok("{}")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  REQUIRE(h.sleeps.size() == 1);
  CHECK(h.sleeps[0] == std::chrono::milliseconds(30000));
}

TEST_CASE("session: a Retry-After longer than the cap is not waited and the reason is given", "[fhir][session]") {
  Harness h;
  h.script = {Reply(429, {{"Retry-After", "3600"}}, "slow down"), Ok("{}")};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  CHECK(r.stop == SourceStop::kNone);  // a gap in this stream, not a reason to stop the source
  CHECK(r.status == 429);
  CHECK(h.sleeps.empty());
  CHECK(r.attempts.size() == 1);
  CHECK(r.error.find("3600 s") != std::string::npos);
  CHECK(r.error.find("120 s limit") != std::string::npos);
}

TEST_CASE("session: gives up after max_attempts, every attempt kept", "[fhir][session]") {
  Harness h;
  h.policy.max_attempts = 3;
  h.script = {Reply(500, {}, R"({"resourceType":"OperationOutcome"})")};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  CHECK(r.stop == SourceStop::kNone);
  CHECK(r.attempts.size() == 3);
  CHECK(h.sleeps.size() == 2);
  CHECK(h.sleeps[1] <= std::chrono::milliseconds(200));  // doubles: [0, 2 * base]
  CHECK(r.error.find("gave up after 3 attempts") != std::string::npos);
  CHECK(r.error.find("https://fhir.test/fhir/AuditEvent") != std::string::npos);
  for (const auto& a : r.attempts) CHECK(std::filesystem::exists(h.dir.path() / (a.substr(5) + ".http.json")));
}

TEST_CASE("session: backoff never exceeds the cap", "[fhir][session]") {
  Harness h;
  h.policy.max_attempts = 8;
  h.policy.base = std::chrono::milliseconds(100);
  h.policy.cap = std::chrono::milliseconds(250);
  h.script = {Reply(502, {}, "")};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  REQUIRE(h.sleeps.size() == 7);
  for (auto d : h.sleeps) CHECK(d <= std::chrono::milliseconds(250));
}

TEST_CASE("session: a 401 renews the credential and repeats the request", "[fhir][session]") {
  Harness h;
  h.script = {Reply(401, {}, R"({"resourceType":"OperationOutcome","issue":[{"code":"login"}]})"), Ok("{}")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  CHECK(h.auth.renew_calls == 1);
  REQUIRE(h.seen.size() == 2);
  CHECK(http::FindHeader(h.seen[0].headers, "Authorization") == std::optional<std::string>("Bearer tok-1"));
  CHECK(http::FindHeader(h.seen[1].headers, "Authorization") == std::optional<std::string>("Bearer tok-2"));
  CHECK(h.sleeps.empty());
  CHECK(r.attempts.size() == 2);
  // The credential never reaches a sidecar.
  for (const auto& a : r.attempts) {
    CHECK(test::ReadFile(h.dir.path() / (a.substr(5) + ".http.json")).find("tok-") == std::string::npos);
  }
}

TEST_CASE("session: re-authentication stops after max_renewals with an auth stop", "[fhir][session]") {
  Harness h;
  h.policy.max_renewals = 2;
  h.script = {Reply(401, {}, "expired")};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  CHECK(r.stop == SourceStop::kAuth);
  CHECK(h.auth.renew_calls == 2);
  CHECK(r.attempts.size() == 3);
  CHECK(r.error.find("after 2 re-authentications") != std::string::npos);
  CHECK(h.state.stop() == SourceStop::kAuth);
}

TEST_CASE("session: a refused renewal stops the source with the redacted reason", "[fhir][session]") {
  Harness h;
  h.auth.refuse = true;
  h.script = {Reply(401, {}, "token secret-value-123 expired")};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  CHECK(r.stop == SourceStop::kAuth);
  CHECK(r.error.find("secret-value-123") == std::string::npos);
  CHECK(r.error.find("[REDACTED]") != std::string::npos);
  CHECK(r.error.find("invalid_client") != std::string::npos);
}

TEST_CASE("session: a body dropped mid-transfer is kept and the request retried", "[fhir][session]") {
  Harness h;
  Scripted dropped = Ok(R"({"resourceType":"Bundle","entry":[)");
  dropped.drop_after_body = true;
  h.script = {dropped, Ok(R"({"resourceType":"Bundle","entry":[]})")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  REQUIRE(r.attempts.size() == 2);
  CHECK(h.Body(r.attempts[0]) == R"({"resourceType":"Bundle","entry":[)");
  auto side = h.Sidecar(r.attempts[0]);
  CHECK_FALSE(side["body"]["complete"].GetBool());
  CHECK(std::string(side["error"].GetString()).find("connection closed") != std::string::npos);
  CHECK(side["response"]["status"].GetInt() == 200);  // the head that did arrive is recorded
}

TEST_CASE("session: a connection failure is retried and its message redacted", "[fhir][session]") {
  Harness h;
  h.policy.max_attempts = 2;
  h.script = {Scripted{0, {}, "", false, "could not connect with secret-value-123"}};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  CHECK(r.attempts.size() == 2);
  CHECK(r.error.find("secret-value-123") == std::string::npos);
  CHECK(r.error.find("could not connect") != std::string::npos);
  auto side = h.Sidecar(r.attempts[0]);
  CHECK(side["response"].IsNull());
  CHECK(std::string(side["error"].GetString()).find("secret-value-123") == std::string::npos);
}

TEST_CASE("session: a cancel request stops between attempts as interrupted", "[fhir][session]") {
  Harness h;
  h.cancel_on_sleep = true;
  h.script = {Reply(503, {}, ""), Ok("{}")};
  SessionResult r = h.Run();
  CHECK_FALSE(r.ok);
  CHECK(r.stop == SourceStop::kInterrupted);
  CHECK(r.attempts.size() == 1);
  CHECK(h.state.stop() == SourceStop::kInterrupted);
}

TEST_CASE("session: a cancel before the first request sends nothing", "[fhir][session]") {
  Harness h;
  h.cancel = true;
  h.script = {Ok("{}")};
  SessionResult r = h.Run();
  CHECK(r.stop == SourceStop::kInterrupted);
  CHECK(h.seen.empty());
}

TEST_CASE("session: Date headers are kept as clock skew evidence", "[fhir][session]") {
  Harness h;
  h.script = {Reply(503, {{"Date", "Wed, 01 Apr 2026 12:00:05 GMT"}}, ""),
              Reply(200, {{"Date", "Wed, 01 Apr 2026 11:59:58 GMT"}}, "{}")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  ClockEvidence c = h.state.clock();
  CHECK(c.samples == 2);
  CHECK(c.max_skew_ms == 5000);
  CHECK(c.min_skew_ms == -2000);
  CHECK(c.first_date == "Wed, 01 Apr 2026 12:00:05 GMT");
  CHECK(c.first_local == "2026-04-01T12:00:00Z");
}

TEST_CASE("session: a classifier can reject a body, which is retried and marked in its sidecar", "[fhir][session]") {
  Harness h;
  h.policy.max_attempts = 2;
  h.script = {Reply(200, {{"Content-Type", "text/html"}}, "<html>login</html>")};
  SessionCall call;
  call.classify = [](const capture::CaptureFile& cap, std::string* problem) {
    if (http::FindHeader(cap.head().headers, "Content-Type") == std::optional<std::string>("text/html")) {
      *problem = "answered text/html, not FHIR JSON";
      return Verdict::kRetry;
    }
    return Verdict::kAccept;
  };
  SessionResult r = h.Run(std::move(call));
  CHECK_FALSE(r.ok);
  CHECK(r.status == 200);
  CHECK(r.attempts.size() == 2);
  CHECK(r.error.find("text/html, not FHIR JSON") != std::string::npos);
  auto side = h.Sidecar(r.attempts[1]);
  CHECK(std::string(side["error"].GetString()) == "answered text/html, not FHIR JSON");
  CHECK(h.Body(r.attempts[1]) == "<html>login</html>");
}

TEST_CASE("session: a 404 is a final answer, captured and returned", "[fhir][session]") {
  Harness h;
  h.script = {Reply(404, {}, "not here")};
  SessionResult r = h.Run();
  REQUIRE(r.ok);
  CHECK(r.status == 404);
  CHECK(h.sleeps.empty());
  CHECK(r.bytes == 8);
  CHECK(r.sha256.size() == 64);
}

TEST_CASE("session: NoAuthenticator cannot renew", "[fhir][session]") {
  NoAuthenticator none;
  http::Request req;
  std::uint64_t gen = 9;
  CHECK(none.Apply(req, &gen));
  CHECK(gen == 0);
  Status s = none.Renew(0);
  REQUIRE_FALSE(s);
  CHECK(s.error().code() == ErrorCode::kAuth);
}

TEST_CASE("session: Retry-After forms", "[fhir][session]") {
  auto [text, expected] = GENERATE(table<std::string, std::int64_t>({
      {"0", 0},
      {"120", 120000},
      {" 5 ", 5000},
      {"Wed, 01 Apr 2026 12:01:00 GMT", 60000},
      {"Wednesday, 01-Apr-26 12:00:10 GMT", 10000},
      {"Wed Apr  1 12:00:02 2026", 2000},
      {"Wed, 01 Apr 2026 11:00:00 GMT", 0},  // already past: now
  }));
  CAPTURE(text);
  auto d = ParseRetryAfter(text, kNow);
  REQUIRE(d);
  CHECK(d->count() == expected);
}

TEST_CASE("session: malformed Retry-After values are refused", "[fhir][session]") {
  auto text = GENERATE(as<std::string>{}, "", "-5", "1.5", "soon", "Wed, 31 Feb 2026 12:00:00 GMT",
                       "Wed, 01 Apr 2026 12:00:00 UTC", "2026-04-01T12:00:00Z");
  CAPTURE(text);
  CHECK_FALSE(ParseRetryAfter(text, kNow));
}

TEST_CASE("session: source stop keeps the most serious reason", "[fhir][session]") {
  SourceState s;
  s.Stop(SourceStop::kFailed, "disk");
  s.Stop(SourceStop::kAuth, "refused");
  s.Stop(SourceStop::kFailed, "later");
  CHECK(s.stop() == SourceStop::kAuth);
  CHECK(s.stop_detail() == "refused");
  CHECK(SourceStopName(SourceStop::kApiBudget) == "api-budget");
}

}  // namespace custody::connectors
