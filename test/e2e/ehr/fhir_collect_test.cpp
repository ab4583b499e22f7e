// `custody collect fhir` end to end against custody-sim's FHIR server: every auth mode, every
// paging mode, the faults, bad input, R5 and $export. Each run is the real custody binary with
// its secrets only in its environment; each sealed bundle is verified.

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e/ehr/fhir_support.h"
#include "http/transport.h"

namespace custody::test {
namespace {

// 150 events over the week, 50 a page: 3 pages (plus the fixtures the sim serves in R4).
const std::vector<std::string> kSmall = {"--fhir-events", "150"};

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<std::string> kPage50 = {"--page-size", "50"};

std::uint64_t U(const rapidjson::Value& v, const char* name) {
  REQUIRE(v.HasMember(name));
  REQUIRE(v[name].IsUint64());
  return v[name].GetUint64();
}

void CheckNoSecrets(const FhirHarness& h, const FhirCollected& c) {
  for (const std::string& s : h.Secrets()) {
    INFO("secret starting " << s.substr(0, 6));
    CHECK(c.tar_bytes.find(s) == std::string::npos);
    CHECK(c.run.err.find(s) == std::string::npos);
    CHECK(c.run.out.find(s) == std::string::npos);
  }
  // No token response and no credential header was kept anywhere.
  CHECK(c.tar_bytes.find("\"access_token\"") == std::string::npos);
  CHECK(c.tar_bytes.find("Bearer ") == std::string::npos);
  CHECK(c.tar_bytes.find("client_assertion") == std::string::npos);
}

// The timeline is ordered by UTC time and every offset in the source became Z.
void CheckTimeline(const FhirCollected& c, bool expect_request_id = true) {
  REQUIRE_FALSE(c.timeline.empty());
  std::string previous;
  bool saw_offset = false;
  bool saw_request_id = false;
  for (const std::string& line : c.timeline) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d["@timestamp"].IsString());
    const std::string ts = d["@timestamp"].GetString();
    CHECK(ts.back() == 'Z');
    CHECK(ts >= previous);
    previous = ts;
    const std::string original = d["timestamp_original"].GetString();
    if (original.back() != 'Z') saw_offset = true;
    if (d["correlation"]["x_request_id"].IsString()) saw_request_id = true;
    CHECK(std::string(d["provenance"]["raw_file"].GetString()).rfind("data/raw/fhir/", 0) == 0);
  }
  CHECK(saw_offset);      // the sim's recorded times carry offsets; they were normalized
  if (expect_request_id) CHECK(saw_request_id);  // BALP X-Request-Id kept as the correlation key
}

}  // namespace

TEST_CASE("fhir e2e: static token, complete, verified, no secret in the bundle", "[fhir][e2e]") {
  FhirHarness h(kSmall);
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  REQUIRE(c.has_bundle());
  CHECK(c.Status() == "complete");
  CHECK(std::string(c.Item()["method"].GetString()) == "fhir-search");
  CHECK(U(c.Item(), "received") == U(c.Item(), "expected"));
  CHECK(U(c.Item(), "pages") >= 3);
  CHECK(c.timeline.size() == U(c.Item(), "received"));
  CHECK(std::string(c.Source()["auth"]["mode"].GetString()) == "token");
  CHECK(c.Source()["clock"]["samples"].GetUint64() >= 3);
  CHECK(c.HasPayload("data/raw/fhir/discovery/metadata.json"));
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000001.json"));
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000001.json.http.json"));
  CheckTimeline(c);
  CheckNoSecrets(h, c);
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: basic auth, complete, password never written", "[fhir][e2e]") {
  FhirHarness h(kSmall);
  FhirCollected c = h.Run("basic", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(std::string(c.Source()["collector_identity"].GetString()) == h.F("basic_username"));
  CheckNoSecrets(h, c);
  CHECK(c.tar_bytes.find("Basic ") == std::string::npos);
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: SMART Backend Services with RS384 and ES384 keys", "[fhir][e2e][smart]") {
  const std::string mode = GENERATE(as<std::string>{}, "smart-rs384", "smart-es384");
  CAPTURE(mode);
  FhirHarness h(kSmall);
  FhirCollected c = h.Run(mode, kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  const rapidjson::Value& grants = c.Source()["auth"]["grants"];
  REQUIRE(grants.Size() == 1);
  CHECK(std::string(grants[0]["grant_type"].GetString()) == "client_credentials");
  CHECK(grants[0]["http_status"].GetInt() == 200);
  CHECK(std::string(c.Source()["details"]["jws_alg"].GetString()) == (mode == "smart-es384" ? "ES384" : "RS384"));
  CHECK(std::string(c.Source()["auth"]["client_id"].GetString()) == h.F("client_id"));
  CHECK(c.HasPayload("data/raw/fhir/discovery/smart-configuration.json"));
  CheckNoSecrets(h, c);
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: a token that expires mid-sweep is renewed and the sweep resumes at its next link",
          "[fhir][e2e][smart]") {
  // Request 2 (the second search page) revokes every token and answers 401.
  FhirHarness h(With(kSmall, {"--fhir-fault", "expire-token@2"}));
  FhirCollected c = h.Run("smart-es384", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(c.Strings("gaps").empty());
  CHECK(U(c.Item(), "received") == U(c.Item(), "expected"));
  CHECK(c.Source()["auth"]["grants"].Size() == 2);
  // The refused page is kept, and its repeat asked the very same next link.
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000002.json"));
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000002.attempt-2.json"));
  const std::string first = ReadFile(c.top / "data/raw/fhir/audit-events/page-000002.json.http.json");
  const std::string second = ReadFile(c.top / "data/raw/fhir/audit-events/page-000002.attempt-2.json.http.json");
  rapidjson::Document a, b;
  a.Parse(first.c_str());
  b.Parse(second.c_str());
  CHECK(a["response"]["status"].GetInt() == 401);
  CHECK(std::string(a["request"]["url"].GetString()) == b["request"]["url"].GetString());
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: every paging style is followed to the end", "[fhir][e2e]") {
  const std::string paging = GENERATE(as<std::string>{}, "offset", "cursor", "hapi");
  CAPTURE(paging);
  FhirHarness h(With(kSmall, {"--fhir-paging", paging}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(U(c.Item(), "received") == U(c.Item(), "expected"));
  CHECK(U(c.Item(), "pages") >= 3);
}

TEST_CASE("fhir e2e: without Bundle.total the sweep ends at the last next link", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-no-total"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(c.Item()["expected"].IsNull());
  CHECK(U(c.Item(), "received") > 100);
}

TEST_CASE("fhir e2e: 429 (both Retry-After forms) and 503 are waited out, nothing lost", "[fhir][e2e]") {
  const std::string fault = GENERATE(as<std::string>{}, "429:1@2", "429-date@2", "503:1@2");
  CAPTURE(fault);
  FhirHarness h(With(kSmall, {"--fhir-fault", fault}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(U(c.Item(), "received") == U(c.Item(), "expected"));
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000002.attempt-2.json"));
  const std::string refused = ReadFile(c.top / "data/raw/fhir/audit-events/page-000002.json.http.json");
  CHECK(refused.find("Retry-After") != std::string::npos);
  CHECK(c.AnyNoteContains("page 2 was received on attempt 2"));
}

TEST_CASE("fhir e2e: a persistent 500 OperationOutcome is a gap with the server's text, exit 4", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-fault", "500@2-99"}));
  FhirCollected c = h.Run("token", With(kPage50, {"--max-attempts", "2"}));
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 4);
  REQUIRE(c.has_bundle());
  CHECK(c.Status() == "incomplete");
  CHECK(c.AnyGapContains("500 OperationOutcome"));
  CHECK(c.AnyGapContains("exception"));
  CHECK(c.AnyGapContains("page 2"));
  CHECK(c.timeline.size() == 50);  // page 1 kept and normalized
  CHECK(c.run.out.find("INCOMPLETE") != std::string::npos);
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: a search.mode=outcome warning is noted", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-fault", "outcome-warning@1"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(c.AnyNoteContains("page 1: OperationOutcome"));
  CHECK(c.AnyNoteContains("warning"));
}

TEST_CASE("fhir e2e: HTML where JSON was expected is kept, named and leaves the bundle incomplete", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-fault", "html@2-99"}));
  FhirCollected c = h.Run("token", With(kPage50, {"--max-attempts", "2"}));
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 4);
  CHECK(c.Status() == "incomplete");
  CHECK(c.AnyGapContains("answered 200 text/html, not FHIR JSON"));
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000002.json"));
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000002.attempt-2.json"));
  CHECK(ReadFile(c.top / "data/raw/fhir/audit-events/page-000002.json").find("<html") != std::string::npos);
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: a page without next mid-sweep is a stated gap, exit 4", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-fault", "no-next@2"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 4);
  CHECK(c.Status() == "incomplete");
  CHECK(c.AnyGapContains("page 2 had no next link after 100 distinct entries"));
  CHECK(c.timeline.size() == 100);
  CHECK(h.Verify(c.bundle) == 0);
}

TEST_CASE("fhir e2e: an expired paging cursor is a gap naming the OperationOutcome", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-paging", "hapi", "--fhir-fault", "expire-cursor@3"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 4);
  CHECK(c.AnyGapContains("410"));
  CHECK(c.AnyGapContains("paging cursor expired"));
}

TEST_CASE("fhir e2e: a connection dropped mid-body is retried and both answers kept", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-fault", "drop@2"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Status() == "complete");
  CHECK(c.HasPayload("data/raw/fhir/audit-events/page-000002.attempt-2.json"));
}

TEST_CASE("fhir e2e: events inserted during an offset sweep are recognised", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-paging", "offset", "--fhir-insert-every", "1", "--fhir-insert-count", "3"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  // Inserted events shift the offsets: repeats are counted and normalized once; whatever the
  // offsets skipped is stated as a gap.
  CHECK((c.run.code == 0 || c.run.code == 4));
  REQUIRE(c.has_bundle());
  std::vector<std::string> ids;
  for (const auto& line : c.timeline) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    ids.push_back(d["correlation"]["event_id"].GetString());
  }
  std::sort(ids.begin(), ids.end());
  CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  if (c.run.code == 4) CHECK(c.AnyGapContains("Bundle.total grew"));
  if (c.AnyNoteContains("repeated")) CHECK(c.AnyNoteContains("normalized once"));
}

TEST_CASE("fhir e2e: a wrong base URL is a clear usage error and leaves nothing behind", "[fhir][e2e]") {
  FhirHarness h(kSmall);
  const std::string wrong = http::Origin(h.F("base_url")) + "/not-fhir";
  FhirCollected c = h.Run("token", {}, wrong);
  CHECK(c.run.code == 2);
  CHECK_FALSE(c.has_bundle());
  CHECK(c.run.err.find(wrong + "/metadata answered 404") != std::string::npos);
  CHECK(c.run.err.find("not a FHIR CapabilityStatement") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(c.bundle.string() + ".work"));
}

TEST_CASE("fhir e2e: R5 servers are read and mapped as R5", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-version", "r5"}));
  FhirCollected c = h.Run("token", kPage50);
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(std::string(c.Source()["details"]["fhir_version"].GetString()) == "5.0.0");
  CHECK(c.Status() == "complete");
  // R5 has no entity.type: BALP's XrequestId type is on what.identifier.type, and the mapper
  // reads it there, so the correlation key survives the version change.
  CheckTimeline(c, true);
}

TEST_CASE("fhir e2e: $export is used when advertised, with its files captured", "[fhir][e2e]") {
  FhirHarness h(With(kSmall, {"--fhir-export", "--fhir-export-polls", "1", "--fhir-export-file-events", "60"}));
  FhirCollected c = h.Run("smart-rs384");
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(std::string(c.Item()["method"].GetString()) == "fhir-export");
  CHECK(std::string(c.Source()["details"]["paging"].GetString()) == "export");
  CHECK(c.Source()["details"]["export_advertised"].GetBool());
  CHECK(c.Status() == "complete");
  CHECK(c.HasPayload("data/raw/fhir/export/kickoff.json"));
  CHECK(c.HasPayload("data/raw/fhir/export/AuditEvent-0001.ndjson"));
  CHECK(c.HasPayload("data/raw/fhir/export/AuditEvent-0002.ndjson"));
  CHECK(c.AnyNoteContains("meta.lastUpdated"));
  CHECK_FALSE(c.timeline.empty());
  CheckNoSecrets(h, c);
  CHECK(h.Verify(c.bundle) == 0);

  // --no-export sweeps by search instead.
  FhirCollected s = h.Run("smart-rs384", {"--no-export"});
  REQUIRE(s.run.code == 0);
  CHECK(std::string(s.Item()["method"].GetString()) == "fhir-search");
}

TEST_CASE("fhir e2e: a refused SMART client is exit 5 with the server's reason", "[fhir][e2e][smart]") {
  FhirHarness h(kSmall);
  // The ES384 key announced under the RS384 kid: the server cannot verify the assertion.
  const std::filesystem::path scratch = h.dir() / "refused";
  std::filesystem::create_directories(scratch);
  auto args = h.Args("smart-es384", scratch / "b.tar", h.F("base_url"));
  auto kid = std::find(args.begin(), args.end(), "--kid");
  REQUIRE(kid != args.end());
  *(kid + 1) = h.F("rs384_kid");
  ProcessResult r = RunProcess(CUSTODY_BINARY, args, {}, scratch);
  CHECK(r.code == 5);
  CHECK(r.err.find("invalid_client") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(scratch / "b.tar"));
  CHECK_FALSE(std::filesystem::exists(scratch / "b.tar.work"));
}

TEST_CASE("fhir e2e: missing secrets and misplaced flags are usage errors", "[fhir][e2e]") {
  FhirHarness h(kSmall);
  const std::filesystem::path scratch = h.dir() / "usage";
  std::filesystem::create_directories(scratch);
  auto args = h.Args("token", scratch / "b.tar", h.F("base_url"));
  ProcessResult r = RunProcess(CUSTODY_BINARY, args, {}, scratch);  // no FHIR_ACCESS_TOKEN
  CHECK(r.code == 2);
  CHECK(r.err.find("FHIR_ACCESS_TOKEN") != std::string::npos);
  args.insert(args.end(), {"--client-id", "x"});
  r = RunProcess(CUSTODY_BINARY, args, {{"FHIR_ACCESS_TOKEN", h.F("access_token")}}, scratch);
  CHECK(r.code == 2);
  CHECK(r.err.find("are for --auth smart") != std::string::npos);
}

}  // namespace custody::test
