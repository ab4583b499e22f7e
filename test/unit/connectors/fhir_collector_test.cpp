// The FHIR collector against a scripted in-memory FHIR server: next-link paging, Bundle.total,
// outcome entries, duplicates, expired cursors, HTML pages, OperationOutcome errors and a wrong
// base URL. The end-to-end tests (test/e2e/ehr/) run the same paths against custody-sim.

#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/fhir/collector.h"
#include "core/encoding.h"
#include "normalize/timeline.h"
#include "support/test_support.h"

namespace custody::connectors::fhir {
namespace {

constexpr const char* kBase = "https://fhir.test/fhir";
constexpr const char* kToken = "tok-SECRET-9f8e7d";

struct Answer {
  int status = 200;
  std::string content_type = "application/fhir+json";
  std::string body;
  http::Headers headers;
};

struct FakeServer {
  std::map<std::string, std::deque<Answer>> routes;  // URL → answers in turn (the last repeats)
  std::vector<http::Request> seen;
  void On(const std::string& url, Answer a) { routes[url].push_back(std::move(a)); }
};

class FakeTransport final : public http::Transport {
 public:
  explicit FakeTransport(FakeServer* server) : server_(server) {}
  Result<http::Response> Perform(const http::Request& request, http::BodySink& sink) override {
    server_->seen.push_back(request);
    auto it = server_->routes.find(request.url);
    Answer a;
    if (it == server_->routes.end() || it->second.empty()) {
      a.status = 404;
      a.content_type = "text/html";
      a.body = "<html><body>Not Found</body></html>";
    } else {
      a = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
    }
    http::Response r;
    r.head.status = a.status;
    r.head.headers = a.headers;
    r.head.headers.emplace_back("Content-Type", a.content_type);
    r.head.headers.emplace_back("Date", "Wed, 01 Apr 2026 12:00:00 GMT");
    if (Status s = sink.OnHead(r.head); !s) return s.error();
    if (Status s = sink.OnBody(AsBytes(a.body)); !s) return s.error();
    r.body_bytes = a.body.size();
    return r;
  }

 private:
  FakeServer* server_;
};

class FixedClock final : public Clock {
 public:
  UtcSeconds Now() const override { return UtcSeconds(std::chrono::seconds(1775044800)); }
};

std::string Capability(const std::string& version = "4.0.1") {
  return R"({"resourceType":"CapabilityStatement","status":"active","fhirVersion":")" + version +
         R"(","rest":[{"mode":"server","resource":[{"type":"AuditEvent","searchParam":[{"name":"date","type":"date"}]}]}]})";
}

std::string Event(const std::string& id, const std::string& recorded) {
  return R"({"fullUrl":"https://fhir.test/fhir/AuditEvent/)" + id +
         R"(","resource":{"resourceType":"AuditEvent","id":")" + id +
         R"(","type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest"},)"
         R"("action":"R","recorded":")" + recorded +
         R"(","outcome":"0","agent":[{"who":{"display":"Dr Who"},"requestor":true}],)"
         R"("source":{"observer":{"display":"ehr"}}},"search":{"mode":"match"}})";
}

std::string Bundle(const std::vector<std::string>& entries, std::optional<int> total, const std::string& next) {
  std::string s = R"({"resourceType":"Bundle","type":"searchset")";
  if (total) s += ",\"total\":" + std::to_string(*total);
  s += R"(,"link":[{"relation":"self","url":"x"})";
  if (!next.empty()) s += R"(,{"relation":"next","url":")" + next + "\"}";
  s += "],\"entry\":[";
  for (size_t i = 0; i < entries.size(); ++i) s += (i ? "," : "") + entries[i];
  return s + "]}";
}

const std::string kFirst =
    "https://fhir.test/fhir/AuditEvent?date=ge2026-04-01T00%3A00%3A00Z&date=lt2026-04-01T12%3A00%3A00Z&_count=2&_sort=date";
const std::string kNext = "https://fhir.test/fhir/AuditEvent?_getpages=abc&_getpagesoffset=2&_count=2";

struct Run {
  test::TempDir dir;
  FakeServer server;
  auth::Redactor redactor;
  std::unique_ptr<normalize::TimelineWriter> timeline;
  std::unique_ptr<RecordSink> sink;
  FhirCollectOptions o;

  Run() {
    server.On(std::string(kBase) + "/metadata", Answer{200, "application/fhir+json", Capability(), {}});
    auto t = normalize::TimelineWriter::Create(dir / "runs");
    REQUIRE(t);
    timeline = std::move(*t);
    sink = std::make_unique<RecordSink>(*timeline, 0, dir / "untimed.jsonl");
    REQUIRE(sink->Open());
    o.base_url = kBase;
    o.auth.mode = FhirAuthMode::kToken;
    o.env = [](const char* name) -> std::optional<std::string> {
      if (std::string(name) == "FHIR_ACCESS_TOKEN") return std::string(kToken);
      return std::nullopt;
    };
    o.since = UtcSeconds(std::chrono::seconds(1775001600));  // 2026-04-01T00:00:00Z
    o.until = UtcSeconds(std::chrono::seconds(1775044800));  // 2026-04-01T12:00:00Z
    o.page_size = 2;
    o.payload_root = dir / "payload";
    o.policy.max_attempts = 2;
    o.policy.base = std::chrono::milliseconds(1);
    o.make_transport = [this]() -> Result<std::unique_ptr<http::Transport>> {
      return std::unique_ptr<http::Transport>(std::make_unique<FakeTransport>(&server));
    };
  }
  Result<SourceReport> Collect() {
    auto r = CollectFhir(o, FixedClock(), redactor, *sink);
    REQUIRE(sink->Close());
    REQUIRE(timeline->Finish(dir / "timeline.jsonl"));
    return r;
  }
  const SourceItem& Item(const SourceReport& r) { return r.streams.at(0).items.at(0); }
};

bool AnyContains(const std::vector<std::string>& list, const std::string& what) {
  for (const auto& s : list) {
    if (s.find(what) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("fhir collector: follows next links to the end and normalizes every entry once", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{200, "application/fhir+json",
                               Bundle({Event("a1", "2026-04-01T01:00:00Z"), Event("a2", "2026-04-01T03:00:00+02:00")}, 3,
                                      kNext),
                               {}});
  const std::string warning =
      R"({"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"warning","code":"informational",)"
      R"("diagnostics":"results may be partial"}]},"search":{"mode":"outcome"}})";
  run.server.On(kNext, Answer{200, "application/fhir+json",
                              Bundle({Event("a3", "2026-04-01T05:00:00.123456Z"), warning}, 3, ""), {}});
  auto r = run.Collect();
  REQUIRE(r);
  const SourceItem& item = run.Item(*r);
  CHECK(item.status == "complete");
  CHECK(item.method == "fhir-search");
  CHECK(item.received == 3);
  CHECK(item.expected == std::optional<std::uint64_t>(3));
  CHECK(item.pages == 2);
  CHECK(AnyContains(item.notes, "results may be partial"));
  CHECK(r->complete);
  CHECK(r->normalized_records == 3);
  CHECK(r->auth_mode == "token");
  CHECK(r->clock.samples >= 3);
  CHECK(r->details_json.find("\"fhir_version\":\"4.0.1\"") != std::string::npos);
  CHECK(r->details_json.find("\"paging\":\"next-link\"") != std::string::npos);
  // The next link is followed verbatim, with the token.
  REQUIRE(run.server.seen.size() == 3);
  CHECK(run.server.seen[2].url == kNext);
  CHECK(http::FindHeader(run.server.seen[2].headers, "Authorization") ==
        std::optional<std::string>(std::string("Bearer ") + kToken));
  CHECK(std::filesystem::exists(run.dir / "payload/raw/fhir/discovery/metadata.json"));
  CHECK(std::filesystem::exists(run.dir / "payload/raw/fhir/audit-events/page-000001.json"));
  CHECK(std::filesystem::exists(run.dir / "payload/raw/fhir/audit-events/page-000002.json"));
  const std::string timeline = test::ReadFile(run.dir / "timeline.jsonl");
  CHECK(timeline.find("2026-04-01T01:00:00.000Z") < timeline.find("2026-04-01T05:00:00.123Z"));
  CHECK(timeline.find("2026-04-01T03:00:00+02:00") != std::string::npos);  // the original kept
  CHECK(timeline.find(kToken) == std::string::npos);
}

TEST_CASE("fhir collector: a last page without next before Bundle.total is a gap", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{200, "application/fhir+json",
                               Bundle({Event("a1", "2026-04-01T01:00:00Z"), Event("a2", "2026-04-01T02:00:00Z")}, 5,
                                      kNext),
                               {}});
  run.server.On(kNext, Answer{200, "application/fhir+json", Bundle({Event("a3", "2026-04-01T03:00:00Z")}, 5, ""), {}});
  auto r = run.Collect();
  REQUIRE(r);
  const SourceItem& item = run.Item(*r);
  CHECK(item.status == "incomplete");
  REQUIRE(item.gaps.size() == 1);
  CHECK(item.gaps[0].find("page 2 had no next link after 3 distinct entries of the 5 in Bundle.total") !=
        std::string::npos);
  CHECK_FALSE(r->complete);
  CHECK(r->normalized_records == 3);  // what came is kept
}

TEST_CASE("fhir collector: an expired cursor is a gap with the server's OperationOutcome", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{200, "application/fhir+json",
                               Bundle({Event("a1", "2026-04-01T01:00:00Z"), Event("a2", "2026-04-01T02:00:00Z")}, 4,
                                      kNext),
                               {}});
  run.server.On(kNext, Answer{410, "application/fhir+json",
                              R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",)"
                              R"("diagnostics":"Search id abc has expired"}]})",
                              {}});
  auto r = run.Collect();
  REQUIRE(r);
  const SourceItem& item = run.Item(*r);
  CHECK(item.status == "incomplete");
  REQUIRE(item.gaps.size() == 1);
  CHECK(item.gaps[0].find("410") != std::string::npos);
  CHECK(item.gaps[0].find("error not-found: Search id abc has expired") != std::string::npos);
  CHECK(item.gaps[0].find("cursor expired") != std::string::npos);
  CHECK(item.gaps[0].find("after the 2 received (of the 4 in Bundle.total)") != std::string::npos);
}

TEST_CASE("fhir collector: HTML where a page was expected is retried, kept and reported", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{200, "application/fhir+json",
                               Bundle({Event("a1", "2026-04-01T01:00:00Z"), Event("a2", "2026-04-01T02:00:00Z")}, 4,
                                      kNext),
                               {}});
  run.server.On(kNext, Answer{200, "text/html", "<html><body>Session expired, please sign in</body></html>", {}});
  auto r = run.Collect();
  REQUIRE(r);
  const SourceItem& item = run.Item(*r);
  CHECK(item.status == "incomplete");
  REQUIRE(item.gaps.size() == 1);
  CHECK(item.gaps[0].find("answered 200 text/html, not FHIR JSON") != std::string::npos);
  CHECK(item.gaps[0].find("Session expired") != std::string::npos);
  CHECK(std::filesystem::exists(run.dir / "payload/raw/fhir/audit-events/page-000002.json"));
  CHECK(std::filesystem::exists(run.dir / "payload/raw/fhir/audit-events/page-000002.attempt-2.json"));
}

TEST_CASE("fhir collector: entries repeated across pages are counted and normalized once", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{200, "application/fhir+json",
                               Bundle({Event("a1", "2026-04-01T01:00:00Z"), Event("a2", "2026-04-01T02:00:00Z")}, 3,
                                      kNext),
                               {}});
  run.server.On(kNext, Answer{200, "application/fhir+json",
                              Bundle({Event("a2", "2026-04-01T02:00:00Z"), Event("a3", "2026-04-01T03:00:00Z")}, 3, ""),
                              {}});
  auto r = run.Collect();
  REQUIRE(r);
  const SourceItem& item = run.Item(*r);
  CHECK(item.status == "complete");
  CHECK(item.received == 3);
  CHECK(r->normalized_records == 3);
  CHECK(AnyContains(item.notes, "1 entries repeated an AuditEvent already received"));
}

TEST_CASE("fhir collector: a 500 OperationOutcome is reported with its text", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{500, "application/fhir+json",
                               R"({"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception",)"
                               R"("diagnostics":"database connection lost"}]})",
                               {}});
  auto r = run.Collect();
  REQUIRE(r);
  const SourceItem& item = run.Item(*r);
  CHECK(item.status == "incomplete");
  REQUIRE(item.gaps.size() == 1);
  CHECK(item.gaps[0].find("fatal exception: database connection lost") != std::string::npos);
  CHECK(item.gaps[0].find("gave up after 2 attempts") != std::string::npos);
}

TEST_CASE("fhir collector: a refused static token stops the source as auth", "[fhir][collector]") {
  Run run;
  run.server.On(kFirst, Answer{401, "application/fhir+json",
                               R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login",)"
                               R"("diagnostics":"token expired"}]})",
                               {}});
  auto r = run.Collect();
  REQUIRE(r);
  CHECK(r->stop == SourceStop::kAuth);
  CHECK_FALSE(r->complete);
  CHECK(r->stop_detail.find("FHIR_ACCESS_TOKEN") != std::string::npos);
  CHECK(r->stop_detail.find(kToken) == std::string::npos);
}

TEST_CASE("fhir collector: a base URL that is not a FHIR server is a clear usage error", "[fhir][collector]") {
  Run run;
  run.server.routes.clear();
  run.server.On(std::string(kBase) + "/metadata", Answer{200, "text/html", "<html><body>Welcome</body></html>", {}});
  auto r = run.Collect();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  CHECK(r.error().message().find("https://fhir.test/fhir/metadata answered 200 text/html, not a FHIR "
                                 "CapabilityStatement") != std::string::npos);

  Run missing;
  missing.server.routes.clear();  // every URL answers 404 HTML
  auto m = missing.Collect();
  REQUIRE_FALSE(m);
  CHECK(m.error().code() == ErrorCode::kInvalidArgument);
  CHECK(m.error().message().find("answered 404 text/html") != std::string::npos);
}

TEST_CASE("fhir collector: missing secrets are named, never guessed", "[fhir][collector]") {
  Run run;
  run.o.env = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  auto r = run.Collect();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  CHECK(r.error().message().find("FHIR_ACCESS_TOKEN") != std::string::npos);
  CHECK(run.server.seen.empty());
}

TEST_CASE("fhir collector: R5 servers are mapped as R5", "[fhir][collector]") {
  Run run;
  run.server.routes.clear();
  run.server.On(std::string(kBase) + "/metadata", Answer{200, "application/fhir+json", Capability("5.0.0"), {}});
  run.server.On(kFirst, Answer{200, "application/fhir+json", Bundle({Event("a1", "2026-04-01T01:00:00Z")}, 1, ""), {}});
  auto r = run.Collect();
  REQUIRE(r);
  CHECK(r->details_json.find("\"fhir_version\":\"5.0.0\"") != std::string::npos);
  CHECK(run.Item(*r).status == "complete");
}

TEST_CASE("fhir collector: OperationOutcome text", "[fhir][collector]") {
  CHECK(OperationOutcomeText(R"({"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"code-invalid",)"
                             R"("details":{"text":"modifier exact not supported"}},{"severity":"warning","code":"x"}]})") ==
        "fatal code-invalid: modifier exact not supported; warning x");
  CHECK(OperationOutcomeText("<html/>").empty());
  CHECK(OperationOutcomeText(R"({"resourceType":"Bundle"})").empty());
}

}  // namespace custody::connectors::fhir
