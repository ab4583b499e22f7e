// CollectHttpJson in-process against the fake audit API on loopback (real libcurl transport):
// termination rules, loops and stuck watermarks, duplicates, records that are not where the
// settings say, credential refusals and renewals, and no secret in any file.

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/generic/http_json.h"
#include "crypto/digest.h"
#include "e2e/ehr/http_json_fake_api.h"
#include "normalize/timeline.h"
#include "support/test_support.h"

namespace custody::connectors::generic {
namespace {

using test::FakeAuditApi;

class FixedClock final : public Clock {
 public:
  UtcSeconds Now() const override { return UtcSeconds(std::chrono::seconds(1775044800)); }
};

struct Harness {
  test::TempDir dir;
  auth::Redactor redactor;
  std::unique_ptr<normalize::TimelineWriter> timeline;
  std::unique_ptr<RecordSink> sink;
  HttpJsonOptions o;
  std::vector<std::chrono::milliseconds> sleeps;

  explicit Harness(const FakeAuditApi& api) {
    auto t = normalize::TimelineWriter::Create(dir / "runs");
    REQUIRE(t);
    timeline = std::move(*t);
    sink = std::make_unique<RecordSink>(*timeline, 0, dir / "untimed.jsonl");
    REQUIRE(sink->Open());
    o.source = "audit";
    o.base_url = api.base();
    o.since = UtcSeconds(std::chrono::seconds(1775001600));
    o.until = UtcSeconds(std::chrono::seconds(1775088000));
    o.payload_root = dir / "payload";
    o.policy.max_attempts = 3;
    o.policy.base = std::chrono::milliseconds(1);
    o.sleep = [this](std::chrono::milliseconds d) {
      sleeps.push_back(d);
      return true;
    };
    o.request.path = "/offset";
    o.request.query = {{"offset", "{offset}"}, {"limit", "{limit}"}};
    o.paging.mode = PagingMode::kOffsetLimit;
    o.paging.limit = 10;
    o.records.pointer = "/data";
    o.records.id_field = "/id";
    o.records.timestamp_field = "/time";
  }
  Result<SourceReport> Collect() {
    auto r = CollectHttpJson(o, FixedClock(), redactor, *sink);
    REQUIRE(sink->Close());
    REQUIRE(timeline->Finish(dir / "timeline.jsonl"));
    return r;
  }
  static const SourceItem& Item(const SourceReport& r) { return r.streams.at(0).items.at(0); }
  // Every byte custody wrote under the payload.
  std::string AllPayload() const {
    std::string all;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (e.is_regular_file()) all += test::ReadFile(e.path());
    }
    return all;
  }
};

bool AnyContains(const std::vector<std::string>& list, const std::string& what) {
  for (const auto& s : list) {
    if (s.find(what) != std::string::npos) return true;
  }
  return false;
}

// A normalized record's provenance, as written in the timeline.
struct Cited {
  std::string event_id;
  std::string raw_file;  // "data/raw/..."
  std::uint64_t record_index = 0;
  std::uint64_t byte_offset = 0;
  std::uint64_t byte_length = 0;
  std::string raw_sha256;
};

std::vector<Cited> CitedRecords(const std::filesystem::path& timeline) {
  std::vector<Cited> out;
  std::istringstream lines(test::ReadFile(timeline));
  for (std::string line; std::getline(lines, line);) {
    rapidjson::Document d;
    d.Parse(line.data(), line.size());
    REQUIRE_FALSE(d.HasParseError());
    const rapidjson::Value& p = d["provenance"];
    out.push_back(Cited{d["correlation"]["event_id"].GetString(), p["raw_file"].GetString(), p["record_index"].GetUint64(),
                        p["byte_offset"].GetUint64(), p["byte_length"].GetUint64(), p["raw_sha256"].GetString()});
  }
  return out;
}

std::string Joined(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += s + "\n";
  return out;
}

TEST_CASE("http-json offset_limit stops at the reported total and at a short page", "[http-json]") {
  FakeAuditApi api("none", 25);
  Harness h(api);
  SECTION("total known: no empty page asked for") {
    h.o.paging.total_pointer = "/total";
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(r->complete);
    CHECK(Harness::Item(*r).received == 25);
    CHECK(Harness::Item(*r).expected == 25u);
    CHECK(Harness::Item(*r).pages == 3);
    CHECK(api.Seen().size() == 3);
  }
  SECTION("probe: limit+1 asked, the extra record is the next page's first") {
    h.o.paging.probe = true;
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(Harness::Item(*r).received == 25);
    CHECK(api.Seen().front().find("limit=11") != std::string::npos);
    CHECK(api.Seen().size() == 3);
  }
  SECTION("exact multiple of the page size: the empty page ends it") {
    FakeAuditApi api20("none", 20);
    Harness h2(api20);
    auto r = h2.Collect();
    REQUIRE(r);
    CHECK(Harness::Item(*r).received == 20);
    CHECK(api20.Seen().size() == 3);
  }
}

TEST_CASE("http-json cites each record's exact bytes in its capture", "[http-json]") {
  FakeAuditApi api("none", 25);
  Harness h(api);
  h.o.paging.probe = true;  // each page's 11th record is the next page's first, cited there only
  auto r = h.Collect();
  REQUIRE(r);
  REQUIRE(r->complete);
  const std::vector<Cited> records = CitedRecords(h.dir / "timeline.jsonl");
  REQUIRE(records.size() == 25);
  std::map<int, int> seen;
  std::map<std::string, std::string> pages;
  for (const Cited& c : records) {
    CAPTURE(c.event_id, c.raw_file, c.record_index, c.byte_offset, c.byte_length);
    const int id = std::stoi(c.event_id);
    ++seen[id];
    REQUIRE(c.raw_file.rfind("data/raw/audit/records/page-", 0) == 0);
    if (!pages.count(c.raw_file)) pages[c.raw_file] = test::ReadFile(h.o.payload_root / c.raw_file.substr(5));
    const std::string& page = pages[c.raw_file];
    REQUIRE(c.byte_offset + c.byte_length <= page.size());
    const std::string_view bytes = std::string_view(page).substr(c.byte_offset, c.byte_length);
    // The bytes are the event exactly as the server wrote it, at the place it wrote it: the page
    // is {"total":25,"data":[e1,e2,...]} with no spaces.
    CHECK(bytes == FakeAuditApi::Event(id));
    CHECK(c.raw_sha256 == crypto::Sha256Hex(bytes));
    CHECK(c.record_index == static_cast<std::uint64_t>((id - 1) % 10));
    CHECK(c.record_index < 10);  // never the look-ahead record
    std::uint64_t offset = std::string("{\"total\":25,\"data\":[").size();
    for (int before = id - static_cast<int>(c.record_index); before < id; ++before) {
      offset += FakeAuditApi::Event(before).size() + 1;
    }
    CHECK(c.byte_offset == offset);
  }
  for (int id = 1; id <= 25; ++id) CHECK(seen[id] == 1);
  CHECK(pages.size() == 3);
}

TEST_CASE("http-json recognises records seen twice and normalizes them once", "[http-json]") {
  FakeAuditApi api("none", 25);
  api.OverlapPages();
  Harness h(api);
  auto r = h.Collect();
  REQUIRE(r);
  INFO(Joined(Harness::Item(*r).notes));
  CHECK(Harness::Item(*r).received == 25);
  CHECK(AnyContains(Harness::Item(*r).notes, "2 records seen again"));
  CHECK(h.sink->records() == 25);
}

TEST_CASE("http-json stops a looping cursor, a stuck watermark and a foreign next link with a gap", "[http-json]") {
  FakeAuditApi api("none", 25);
  Harness h(api);
  std::string expect;
  SECTION("cursor") {
    api.LoopCursor();
    h.o.request.method = "POST";
    h.o.request.path = "/cursor";
    h.o.request.query.clear();
    h.o.request.first_body = "{\"limit\":{limit}}";
    h.o.request.body = "{\"cursor\":\"{cursor}\",\"limit\":{limit}}";
    h.o.paging.mode = PagingMode::kCursor;
    h.o.paging.cursor_pointer = "/paging/next";
    expect = "gave cursor 'c2' again";
  }
  SECTION("watermark") {
    api.StuckWatermark();
    h.o.request.path = "/watermark";
    h.o.request.query = {{"maxId", "{watermark}"}, {"limit", "{limit}"}};
    h.o.paging.mode = PagingMode::kIdWatermark;
    h.o.records.pointer = "/result/events";
    expect = "does not move the watermark";
  }
  SECTION("next link to another host") {
    api.ForeignNextLink();
    h.o.request.path = "/next";
    h.o.request.query.clear();
    h.o.paging.mode = PagingMode::kNextLink;
    h.o.paging.next_pointer = "/links/next";
    expect = "outside " + api.base() + ": not followed";
  }
  auto r = h.Collect();
  REQUIRE(r);
  INFO(Joined(Harness::Item(*r).gaps));
  CHECK_FALSE(r->complete);
  CHECK(AnyContains(Harness::Item(*r).gaps, expect));
  CHECK(Harness::Item(*r).received > 0);  // what came before is kept
}

TEST_CASE("http-json says where the records were not", "[http-json]") {
  FakeAuditApi api("none", 25);
  Harness h(api);
  SECTION("absent pointer") {
    h.o.records.pointer = "/records";
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(AnyContains(Harness::Item(*r).gaps, "no records at /records"));
    CHECK(Harness::Item(*r).received == 0);
    CHECK(std::filesystem::exists(h.o.payload_root / "raw/audit/records/page-000001.json"));
  }
  SECTION("an object where the array should be") {
    h.o.records.pointer = "";
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(AnyContains(Harness::Item(*r).gaps, "are an object, not an array (single_or_array"));
  }
  SECTION("a lone object read as one record") {
    h.o.records.pointer = "/data/0";
    h.o.records.single_or_array = true;
    h.o.paging.mode = PagingMode::kNone;
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(r->complete);
    CHECK(Harness::Item(*r).received == 1);
    // Its bytes are the object itself, index 0.
    const std::vector<Cited> records = CitedRecords(h.dir / "timeline.jsonl");
    REQUIRE(records.size() == 1);
    CHECK(records[0].record_index == 0);
    CHECK(records[0].byte_offset == std::string("{\"total\":25,\"data\":[").size());
    CHECK(records[0].byte_length == FakeAuditApi::Event(1).size());
  }
}

TEST_CASE("http-json time slices split when a slice hits the server cap", "[http-json]") {
  FakeAuditApi api("none", 25);
  api.SetCap(4);
  Harness h(api);
  h.o.request.path = "/slices";
  h.o.request.query = {{"from", "{start}"}, {"to", "{end}"}};
  h.o.request.start_format = TimeParamFormat::kEpochMs;
  h.o.request.end_format = TimeParamFormat::kEpochMs;
  h.o.paging.mode = PagingMode::kTimeSlicing;
  h.o.paging.slice = std::chrono::hours(6);
  h.o.paging.server_cap = 4;
  h.o.records.pointer = "/logs";
  SECTION("split until every slice is under the cap") {
    auto r = h.Collect();
    REQUIRE(r);
    INFO(Joined(Harness::Item(*r).gaps));
    CHECK(r->complete);
    CHECK(Harness::Item(*r).received == 25);
    CHECK(AnyContains(Harness::Item(*r).notes, "split in two"));
  }
  SECTION("a slice that cannot be split further is a gap") {
    h.o.paging.min_slice = std::chrono::hours(6);
    auto r = h.Collect();
    REQUIRE(r);
    CHECK_FALSE(r->complete);
    CHECK(AnyContains(Harness::Item(*r).gaps, "no longer than min_slice: more may exist"));
    CHECK(Harness::Item(*r).received == 4);
  }
  SECTION("overlap re-reads each slice's start and dedupes by id") {
    api.SetCap(0);
    h.o.paging.server_cap = 0;
    h.o.paging.slice = std::chrono::minutes(10);
    h.o.paging.overlap = std::chrono::seconds(120);
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(Harness::Item(*r).received == 25);
    CHECK(AnyContains(Harness::Item(*r).notes, "seen again"));
  }
}

TEST_CASE("http-json authenticates each way and never writes a secret", "[http-json]") {
  auto mode = GENERATE(std::string("basic"), std::string("bearer"), std::string("oauth_post"),
                       std::string("oauth_basic"), std::string("session"));
  CAPTURE(mode);
  FakeAuditApi api(mode, 25);
  Harness h(api);
  AuthOptions& a = h.o.auth;
  a.username = FakeAuditApi::kUser;
  a.password = auth::Secret(FakeAuditApi::kPassword);
  if (mode == "basic") a.mode = AuthMode::kBasic;
  if (mode == "bearer") {
    a.mode = AuthMode::kBearer;
    a.token = auth::Secret(FakeAuditApi::kStaticToken);
  }
  if (mode.rfind("oauth", 0) == 0) {
    a.mode = AuthMode::kOAuth2ClientCredentials;
    a.token_url = api.base() + "/oauth/token";
    a.client_id = FakeAuditApi::kClientId;
    a.client_secret = auth::Secret(FakeAuditApi::kClientSecret);
    a.client_auth = mode == "oauth_post" ? ClientAuth::kSecretPost : ClientAuth::kSecretBasic;
    api.ExpireTokensAfter(2);  // the token dies mid-sweep: renewed once per expiry
  }
  if (mode == "session") {
    a.mode = AuthMode::kSessionLogin;
    a.login_url = api.base() + "/login";
    a.username_field = "user";
    a.password_field = "pass";
    a.csrf_header = "X-CSRF-Token";
    a.csrf_request_header = "X-CSRF-Token";
  }
  auto r = h.Collect();
  REQUIRE(r);
  INFO(Joined(Harness::Item(*r).gaps));
  CHECK(r->complete);
  CHECK(Harness::Item(*r).received == 25);
  if (mode.rfind("oauth", 0) == 0) {
    CHECK(api.grants() == 2);
    CHECK(r->grants.size() == 2);
    CHECK(r->collector_identity == FakeAuditApi::kClientId);
  }
  const std::string all = h.AllPayload();
  for (const std::string& secret : std::vector<std::string>{FakeAuditApi::kPassword, FakeAuditApi::kStaticToken, FakeAuditApi::kClientSecret,
                                   FakeAuditApi::kCookie, FakeAuditApi::kCsrf, std::string("at-ISSUED-")}) {
    CHECK(all.find(secret) == std::string::npos);
  }
}

TEST_CASE("http-json refused credentials stop before anything is collected", "[http-json]") {
  auto mode = GENERATE(std::string("basic"), std::string("oauth_post"), std::string("session"));
  CAPTURE(mode);
  FakeAuditApi api(mode, 25);
  Harness h(api);
  AuthOptions& a = h.o.auth;
  a.username = FakeAuditApi::kUser;
  a.password = auth::Secret("wrong-password-123");
  a.client_id = FakeAuditApi::kClientId;
  a.client_secret = auth::Secret("wrong-secret-456");
  a.token_url = api.base() + "/oauth/token";
  a.login_url = api.base() + "/login";
  a.username_field = "user";
  a.password_field = "pass";
  a.mode = mode == "basic" ? AuthMode::kBasic : mode == "session" ? AuthMode::kSessionLogin
                                                                   : AuthMode::kOAuth2ClientCredentials;
  auto r = h.Collect();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kAuth);
  INFO(r.error().message());
  CHECK(r.error().message().find("wrong-") == std::string::npos);
  if (mode == "session") CHECK(r.error().message().find("bad credentials") != std::string::npos);
  if (mode == "oauth_post") CHECK(r.error().message().find("invalid_client") != std::string::npos);
  CHECK(h.AllPayload().find("wrong-") == std::string::npos);
}

TEST_CASE("http-json never shows part of a secret a refusal quotes across the message's cut", "[http-json]") {
  // The refusal is quoted as "refused: invalid_client: <description>", cut at 300 bytes of
  // "invalid_client: <description>" (16 + description). With 278 bytes of padding the secret the
  // server echoes starts at byte 294: a cut before redaction would leave "wrong-" showing, which
  // the redactor no longer recognises as part of the secret.
  FakeAuditApi api("oauth_post", 25);
  api.EchoSecretInRefusalAfter(278);
  Harness h(api);
  AuthOptions& a = h.o.auth;
  a.mode = AuthMode::kOAuth2ClientCredentials;
  a.client_id = FakeAuditApi::kClientId;
  a.client_secret = auth::Secret("wrong-secret-456");
  a.token_url = api.base() + "/oauth/token";
  auto r = h.Collect();
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kAuth);
  const std::string message = r.error().message();
  INFO(message);
  CHECK(message.find("refused: invalid_client: xxxx") != std::string::npos);
  CHECK(message.find("wrong-") == std::string::npos);
  CHECK(message.find("wrong") == std::string::npos);
  CHECK(h.AllPayload().find("wrong-") == std::string::npos);
}

TEST_CASE("http-json honours Retry-After and reports a server it never reached", "[http-json]") {
  FakeAuditApi api("none", 25);
  SECTION("429 with Retry-After: 1") {
    api.Fault("/offset", "429");
    Harness h(api);
    auto r = h.Collect();
    REQUIRE(r);
    CHECK(r->complete);
    REQUIRE_FALSE(h.sleeps.empty());
    CHECK(h.sleeps.front() == std::chrono::milliseconds(1000));
  }
  SECTION("nothing listens") {
    Harness h(api);
    h.o.base_url = "http://127.0.0.1:1";
    auto r = h.Collect();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kNetwork);
  }
}

}  // namespace
}  // namespace custody::connectors::generic
