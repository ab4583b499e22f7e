// The simulated FHIR AuditEvent server end to end: started in-process on port 0 and queried with
// httplib::Client, as the collector's FHIR connector will query it.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "fhir/fhir_auth.h"
#include "fhir/fhir_server.h"
#include "fhir/fhir_time.h"
#include "json/json.h"
#include "support/test_support.h"

namespace {

using custody::sim::fhir::FhirOptions;
using custody::sim::fhir::FhirServer;

constexpr int64_t kStart = 1775001600000;  // 2026-04-01T00:00:00Z
constexpr int64_t kDay = 86400000;

std::string FixturesRoot() { return std::string(CUSTODY_FIXTURES_DIR) + "/ehr/real"; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

FhirOptions BaseOptions(const custody::test::TempDir& dir) {
  FhirOptions o;
  o.common.work_dir = dir.path().string();
  o.common.seed = 7;
  o.common.start = kStart;
  o.common.days = 7;
  o.common.frozen_now = true;
  o.common.now = kStart + 8 * kDay;
  o.common.fixtures_root = FixturesRoot();
  o.events = 300;
  return o;
}

// One server running on its own thread for the length of a test.
class Running {
 public:
  explicit Running(FhirOptions o) {
    auto s = FhirServer::Create(std::move(o));
    if (!s) FAIL(s.error().message());
    server_ = std::move(*s);
    startup_.Parse(server_->StartupJson().c_str());
    REQUIRE_FALSE(startup_.HasParseError());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Running() {
    server_->Stop();
    thread_.join();
  }
  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_connection_timeout(10);
    c->set_read_timeout(30);
    return c;
  }
  std::string S(const char* key) const { return startup_[key].GetString(); }
  const rapidjson::Document& startup() const { return startup_; }
  httplib::Headers Auth() const { return {{"Authorization", "Bearer " + S("access_token")}}; }
  // The path and query of an absolute URL on this server.
  std::string Local(const std::string& url) const {
    const std::string origin = "http://127.0.0.1:" + std::to_string(server_->port());
    REQUIRE(url.rfind(origin, 0) == 0);
    return url.substr(origin.size());
  }

 private:
  std::unique_ptr<FhirServer> server_;
  rapidjson::Document startup_;
  std::thread thread_;
};

std::string Link(const rapidjson::Value& bundle, const char* relation) {
  if (!bundle.HasMember("link")) return {};
  for (const auto& l : bundle["link"].GetArray()) {
    if (std::string(l["relation"].GetString()) == relation) return l["url"].GetString();
  }
  return {};
}

struct Sweep {
  std::vector<std::string> ids;
  std::vector<std::string> recorded;
  int pages = 0;
  int64_t first_total = -1;
  bool last_page_had_next = false;
};

Sweep RunSweep(const Running& r, httplib::Client& c, std::string path, const httplib::Headers& headers) {
  Sweep s;
  for (int guard = 0; guard < 10000 && !path.empty(); ++guard) {
    auto res = c.Get(path.c_str(), headers);
    REQUIRE(res);
    INFO(path << " -> " << res->body.substr(0, 400));
    REQUIRE(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "application/fhir+json;charset=UTF-8");
    auto d = ParseJson(res->body);
    CHECK(std::string(d["type"].GetString()) == "searchset");
    if (s.pages == 0 && d.HasMember("total")) s.first_total = d["total"].GetInt64();
    ++s.pages;
    if (d.HasMember("entry")) {
      for (const auto& e : d["entry"].GetArray()) {
        if (std::string(e["search"]["mode"].GetString()) != "match") continue;
        const std::string id = e["resource"]["id"].GetString();
        CHECK(std::string(e["fullUrl"].GetString()) == r.S("base_url") + "/AuditEvent/" + id);
        s.ids.push_back(id);
        s.recorded.push_back(e["resource"]["recorded"].GetString());
      }
    }
    const std::string next = Link(d, "next");
    path = next.empty() ? std::string() : r.Local(next);
  }
  return s;
}

int64_t RecordedLo(const std::string& text) {
  custody::sim::fhir::TimeRange r;
  std::string why;
  REQUIRE(custody::sim::fhir::ParseFhirTime(text, &r, &why));
  return r.lo;
}

// A client assertion signed with the startup line's keys, as a SMART client makes it.
std::string SignJwt(const std::string& key_path, const std::string& alg, const std::string& kid,
                    const std::string& claims, const std::string& typ = "JWT") {
  using custody::sim::fhir::Base64UrlEncode;
  const std::string header = R"({"alg":")" + alg + R"(","kid":")" + kid + R"(","typ":")" + typ + R"("})";
  const std::string signing_input = Base64UrlEncode(header) + "." + Base64UrlEncode(claims);
  const std::string pem = ReadText(key_path);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(key != nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha384(), nullptr, key) == 1);
  size_t len = 0;
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                         signing_input.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (alg == "ES384") {
    // OpenSSL signs ECDSA as DER; JWS wants r || s, 48 bytes each.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    REQUIRE(es != nullptr);
    std::string raw(96, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 48);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 48, 48);
    ECDSA_SIG_free(es);
    sig = raw;
  }
  return signing_input + "." + Base64UrlEncode(sig);
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Claims(const Running& r, const std::string& jti, int64_t exp_in = 240, const std::string& aud = "") {
  return R"({"iss":")" + r.S("client_id") + R"(","sub":")" + r.S("client_id") + R"(","aud":")" +
         (aud.empty() ? r.S("token_url") : aud) + R"(","exp":)" + std::to_string(NowSeconds() + exp_in) +
         R"(,"jti":")" + jti + R"("})";
}

httplib::Result TokenRequest(const Running& r, httplib::Client& c, const std::string& assertion,
                             const std::string& scope = "system/AuditEvent.rs") {
  httplib::Params form = {{"grant_type", "client_credentials"},
                          {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                          {"client_assertion", assertion},
                          {"scope", scope}};
  return c.Post(r.Local(r.S("token_url")).c_str(), form);
}

std::string FirstIssueCode(const std::string& body) {
  auto d = ParseJson(body);
  REQUIRE(std::string(d["resourceType"].GetString()) == "OperationOutcome");
  return d["issue"][0]["code"].GetString();
}

}  // namespace

TEST_CASE("fhir sim startup object matches its schema and names working key files", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  const std::string schema = ReadText(std::string(CUSTODY_SOURCE_DIR) + "/schemas/sim-fhir.schema.json");
  REQUIRE_FALSE(schema.empty());
  CHECK(custody::json::ValidateAgainstSchema(r.startup(), schema));
  CHECK(std::filesystem::exists(r.S("rs384_private_key")));
  CHECK(std::filesystem::exists(r.S("es384_private_key")));
  CHECK(r.startup()["ca_file"].IsNull());
  CHECK(r.startup()["fixture_events"].GetInt() == 11);
  CHECK(r.S("fhir_version") == "4.0.1");
}

TEST_CASE("fhir sim refuses bad options with the option named", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.paging = "pages";
  auto s = FhirServer::Create(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().code() == custody::ErrorCode::kInvalidArgument);
  CHECK(s.error().message().find("--fhir-paging") != std::string::npos);
  o = BaseOptions(dir);
  o.faults = {"teapot@1"};
  s = FhirServer::Create(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().message().find("teapot") != std::string::npos);
  o = BaseOptions(dir);
  o.common.fixtures_root = dir.path().string() + "/missing";
  s = FhirServer::Create(o);
  REQUIRE_FALSE(s);
  CHECK(s.error().message().find("fixtures") != std::string::npos);
}

TEST_CASE("fhir sim metadata is an R4 CapabilityStatement without $export unless enabled", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  auto res = c->Get("/fhir/metadata");  // no credentials: the CapabilityStatement is public
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/fhir+json;charset=UTF-8");
  CHECK_FALSE(res->get_header_value("Date").empty());
  auto d = ParseJson(res->body);
  CHECK(std::string(d["resourceType"].GetString()) == "CapabilityStatement");
  CHECK(std::string(d["fhirVersion"].GetString()) == "4.0.1");
  const auto& resource = d["rest"][0]["resource"][0];
  CHECK(std::string(resource["type"].GetString()) == "AuditEvent");
  std::set<std::string> params;
  for (const auto& p : resource["searchParam"].GetArray()) params.insert(p["name"].GetString());
  for (const char* p : {"date", "_lastUpdated", "action", "type", "subtype", "patient", "agent", "entity", "outcome"}) {
    CHECK(params.count(p) == 1);
  }
  CHECK_FALSE(d["rest"][0].HasMember("operation"));
  CHECK(std::string(d["rest"][0]["security"]["extension"][0]["extension"][0]["valueUri"].GetString()) ==
        r.S("token_url"));
}

TEST_CASE("fhir sim metadata in R5 mode says 5.0.0, R5 parameters and $export when enabled", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.version = "r5";
  o.export_enabled = true;
  Running r(o);
  auto c = r.Client();
  auto d = ParseJson(c->Get("/fhir/metadata")->body);
  CHECK(std::string(d["fhirVersion"].GetString()) == "5.0.0");
  std::set<std::string> params;
  for (const auto& p : d["rest"][0]["resource"][0]["searchParam"].GetArray()) params.insert(p["name"].GetString());
  CHECK(params.count("category") == 1);
  CHECK(params.count("code") == 1);
  CHECK(params.count("type") == 0);
  CHECK(params.count("subtype") == 0);
  REQUIRE(d["rest"][0].HasMember("operation"));
  CHECK(std::string(d["rest"][0]["operation"][0]["name"].GetString()) == "export");
}

TEST_CASE("fhir sim R5 events use the renamed elements and hold no R4 fixtures", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.version = "r5";
  Running r(o);
  auto c = r.Client();
  Sweep s = RunSweep(r, *c, "/fhir/AuditEvent?_count=100", r.Auth());
  CHECK(s.ids.size() == 300);
  auto res = c->Get("/fhir/AuditEvent?_count=100", r.Auth());
  auto d = ParseJson(res->body);
  bool saw_network_string = false, saw_patient = false, saw_outcome_code = false;
  for (const auto& e : d["entry"].GetArray()) {
    const auto& ae = e["resource"];
    CHECK_FALSE(ae.HasMember("type"));
    CHECK_FALSE(ae.HasMember("subtype"));
    CHECK(ae["category"].IsArray());
    CHECK(ae["code"].IsObject());
    CHECK(ae["recorded"].IsString());
    REQUIRE(ae["outcome"].IsObject());
    saw_outcome_code = saw_outcome_code || ae["outcome"]["code"].HasMember("code");
    saw_patient = saw_patient || ae.HasMember("patient");
    for (const auto& a : ae["agent"].GetArray()) {
      CHECK_FALSE(a.HasMember("network"));
      CHECK(a.HasMember("who"));
      saw_network_string = saw_network_string || a.HasMember("networkString");
    }
    if (ae.HasMember("entity")) {
      for (const auto& en : ae["entity"].GetArray()) {
        CHECK_FALSE(en.HasMember("type"));
        CHECK_FALSE(en.HasMember("description"));
      }
    }
  }
  CHECK(saw_network_string);
  CHECK(saw_patient);
  CHECK(saw_outcome_code);
  // R5 has category/code parameters; the R4 type parameter is unknown there (strict: refused).
  auto cat = c->Get("/fhir/AuditEvent?category=http://terminology.hl7.org/CodeSystem/audit-event-type|rest&_count=5",
                    r.Auth());
  CHECK(cat->status == 200);
  httplib::Headers strict = r.Auth();
  strict.emplace("Prefer", "handling=strict");
  CHECK(c->Get("/fhir/AuditEvent?type=rest", strict)->status == 400);
}

TEST_CASE("fhir sim offset paging reaches every event once with no next on the last page", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  Sweep s = RunSweep(r, *c, "/fhir/AuditEvent?_count=40", r.Auth());
  CHECK(s.first_total == 311);
  CHECK(s.ids.size() == 311);
  CHECK(std::set<std::string>(s.ids.begin(), s.ids.end()).size() == 311);
  CHECK(s.pages == 8);
  // Default order: recorded ascending.
  for (size_t i = 1; i < s.recorded.size(); ++i) CHECK(RecordedLo(s.recorded[i - 1]) <= RecordedLo(s.recorded[i]));
  auto first = ParseJson(c->Get("/fhir/AuditEvent?_count=40", r.Auth())->body);
  CHECK(Link(first, "next").find("_offset=40") != std::string::npos);
  auto last = ParseJson(c->Get("/fhir/AuditEvent?_count=40&_offset=280", r.Auth())->body);
  CHECK(last["entry"].Size() == 31);
  CHECK(Link(last, "next").empty());
  CHECK_FALSE(Link(last, "previous").empty());
}

TEST_CASE("fhir sim cursor paging walks a snapshot to the end", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.paging = "cursor";
  o.total = false;
  Running r(o);
  auto c = r.Client();
  Sweep s = RunSweep(r, *c, "/fhir/AuditEvent?_count=50", r.Auth());
  CHECK(s.first_total == -1);  // total absent
  CHECK(s.ids.size() == 311);
  CHECK(std::set<std::string>(s.ids.begin(), s.ids.end()).size() == 311);
  CHECK(s.pages == 7);
  auto first = ParseJson(c->Get("/fhir/AuditEvent?_count=50", r.Auth())->body);
  CHECK(Link(first, "next").find("/fhir/AuditEvent?_cursor=") != std::string::npos);
  // A made-up cursor is refused; an offset is not this mode's paging.
  CHECK(c->Get("/fhir/AuditEvent?_cursor=bm9wZTowOjUw", r.Auth())->status == 410);
  CHECK(c->Get("/fhir/AuditEvent?_cursor=!!", r.Auth())->status == 400);
  CHECK(c->Get("/fhir/AuditEvent?_offset=50", r.Auth())->status == 400);
}

TEST_CASE("fhir sim HAPI paging uses _getpages links and answers 410 once the search expired", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.paging = "hapi";
  o.faults = {"expire-cursor@4"};
  Running r(o);
  auto c = r.Client();
  auto first = ParseJson(c->Get("/fhir/AuditEvent?date=ge2026-04-01&_count=100", r.Auth())->body);  // request 1
  const std::string next = Link(first, "next");
  CHECK(next.find(r.S("base_url") + "?_getpages=") == 0);
  CHECK(next.find("&_getpagesoffset=100&_count=100&_bundletype=searchset") != std::string::npos);
  CHECK(first["total"].GetInt() == 300);
  auto p2 = c->Get(r.Local(next).c_str(), r.Auth());  // request 2
  REQUIRE(p2->status == 200);
  auto d2 = ParseJson(p2->body);
  CHECK(Link(d2, "self") == next);
  auto p3 = c->Get(r.Local(Link(d2, "next")).c_str(), r.Auth());  // request 3
  REQUIRE(p3->status == 200);
  auto d3 = ParseJson(p3->body);
  CHECK(d3["entry"].Size() == 100);
  CHECK(Link(d3, "next").empty());
  // Request 4: the server forgets its searches; the cached page is gone.
  auto gone = c->Get(r.Local(next).c_str(), r.Auth());
  CHECK(gone->status == 410);
  CHECK(FirstIssueCode(gone->body) == "processing");
  CHECK(gone->body.find("does not exist and may have expired") != std::string::npos);
}

TEST_CASE("fhir sim date window filtering matches the recorded instants, offsets included", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  Sweep all = RunSweep(r, *c, "/fhir/AuditEvent?_count=100", r.Auth());
  const int64_t lo = (kStart + 2 * kDay) * 1000, hi = (kStart + 4 * kDay) * 1000;
  size_t expected = 0;
  for (const std::string& t : all.recorded) {
    const int64_t v = RecordedLo(t);
    if (v >= lo && v < hi) ++expected;
  }
  REQUIRE(expected > 50);
  Sweep window = RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-04-03T00:00:00Z&date=lt2026-04-05T00:00:00Z&_count=30",
                          r.Auth());
  CHECK(window.ids.size() == expected);
  CHECK(window.first_total == static_cast<int64_t>(expected));
  // The same window written with a +02:00 offset (the '+' sent as %2B).
  Sweep shifted = RunSweep(
      r, *c, "/fhir/AuditEvent?date=ge2026-04-03T02:00:00%2B02:00&date=lt2026-04-05T02:00:00%2B02:00&_count=30", r.Auth());
  CHECK(shifted.ids == window.ids);
  // Day precision: eq2026-04-03 is that whole UTC day; ge/lt on days equal the instants above.
  Sweep days = RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-04-03&date=lt2026-04-05&_count=30", r.Auth());
  CHECK(days.ids == window.ids);
  Sweep one_day = RunSweep(r, *c, "/fhir/AuditEvent?date=2026-04-03&_count=100", r.Auth());
  Sweep next_day = RunSweep(r, *c, "/fhir/AuditEvent?date=eq2026-04-04&_count=100", r.Auth());
  CHECK(one_day.ids.size() + next_day.ids.size() == expected);
  // The fixtures (2012-2020) sit outside the generated window.
  Sweep old = RunSweep(r, *c, "/fhir/AuditEvent?date=lt2021&_count=100", r.Auth());
  CHECK(old.ids.size() == 11);
  // _sort=-date reverses the order.
  Sweep desc = RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-04-03&date=lt2026-04-05&_sort=-date&_count=30", r.Auth());
  std::vector<std::string> reversed(window.ids.rbegin(), window.ids.rend());
  CHECK(desc.ids.size() == reversed.size());
  for (size_t i = 1; i < desc.recorded.size(); ++i) CHECK(RecordedLo(desc.recorded[i - 1]) >= RecordedLo(desc.recorded[i]));
}

TEST_CASE("fhir sim _lastUpdated filters on meta.lastUpdated and fixtures without one never match", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  Sweep s = RunSweep(r, *c, "/fhir/AuditEvent?_lastUpdated=ge2000-01-01&_count=100&_sort=_lastUpdated", r.Auth());
  CHECK(s.ids.size() == 300);
  for (const std::string& id : s.ids) CHECK(id.rfind("g", 0) == 0);
}

TEST_CASE("fhir sim clamps _count silently and accepts _count=0 as a count", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  auto d = ParseJson(c->Get("/fhir/AuditEvent?_count=1000", r.Auth())->body);
  CHECK(d["entry"].Size() == 100);
  CHECK(Link(d, "self").find("_count=100") != std::string::npos);
  auto dflt = ParseJson(c->Get("/fhir/AuditEvent", r.Auth())->body);
  CHECK(dflt["entry"].Size() == 50);
  auto zero = ParseJson(c->Get("/fhir/AuditEvent?_count=0", r.Auth())->body);
  CHECK(zero["total"].GetInt() == 311);
  CHECK_FALSE(zero.HasMember("entry"));
  auto bad = c->Get("/fhir/AuditEvent?_count=-3", r.Auth());
  CHECK(bad->status == 400);
  CHECK(FirstIssueCode(bad->body) == "invalid");
}

TEST_CASE("fhir sim token parameters: action, type, subtype, patient, agent, outcome", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  auto all = ParseJson(c->Get("/fhir/AuditEvent?_count=100&date=ge2026-01-01", r.Auth())->body);
  std::map<std::string, int> actions;
  std::string some_patient, some_agent;
  for (const auto& e : all["entry"].GetArray()) {
    const auto& ae = e["resource"];
    ++actions[ae["action"].GetString()];
    if (some_patient.empty() && ae.HasMember("entity")) {
      for (const auto& en : ae["entity"].GetArray()) {
        if (en.HasMember("what") && en["what"].HasMember("reference") &&
            std::string(en["what"]["reference"].GetString()).rfind("Patient/", 0) == 0) {
          some_patient = en["what"]["reference"].GetString();
        }
      }
    }
    for (const auto& a : ae["agent"].GetArray()) {
      if (some_agent.empty() && a["who"].HasMember("reference") &&
          std::string(a["who"]["reference"].GetString()).rfind("Practitioner/", 0) == 0) {
        some_agent = a["who"]["reference"].GetString();
      }
    }
  }
  REQUIRE(actions["R"] > 0);
  Sweep reads = RunSweep(r, *c, "/fhir/AuditEvent?action=R&date=ge2026-01-01&_count=100", r.Auth());
  Sweep reads_sys = RunSweep(r, *c, "/fhir/AuditEvent?action=http://hl7.org/fhir/audit-event-action|R&date=ge2026-01-01",
                             r.Auth());
  Sweep wrong_sys = RunSweep(r, *c, "/fhir/AuditEvent?action=http://example.org|R", r.Auth());
  CHECK(reads.ids == reads_sys.ids);
  CHECK(wrong_sys.ids.empty());
  Sweep either = RunSweep(r, *c, "/fhir/AuditEvent?action=R,C&date=ge2026-01-01&_count=100", r.Auth());
  Sweep creates = RunSweep(r, *c, "/fhir/AuditEvent?action=C&date=ge2026-01-01&_count=100", r.Auth());
  CHECK(either.ids.size() == reads.ids.size() + creates.ids.size());
  Sweep logins = RunSweep(r, *c, "/fhir/AuditEvent?subtype=http://dicom.nema.org/resources/ontology/DCM|110122", r.Auth());
  Sweep auth_type = RunSweep(r, *c, "/fhir/AuditEvent?type=110114", r.Auth());
  CHECK_FALSE(logins.ids.empty());
  CHECK(auth_type.ids.size() >= logins.ids.size());
  REQUIRE_FALSE(some_patient.empty());
  Sweep by_patient = RunSweep(r, *c, "/fhir/AuditEvent?patient=" + some_patient, r.Auth());
  Sweep by_patient_id = RunSweep(r, *c, "/fhir/AuditEvent?patient=" + some_patient.substr(8), r.Auth());
  CHECK_FALSE(by_patient.ids.empty());
  CHECK(by_patient.ids == by_patient_id.ids);
  REQUIRE_FALSE(some_agent.empty());
  CHECK_FALSE(RunSweep(r, *c, "/fhir/AuditEvent?agent=" + some_agent, r.Auth()).ids.empty());
  Sweep fixture_patient = RunSweep(r, *c, "/fhir/AuditEvent?patient=Patient/ex-patient", r.Auth());
  CHECK(fixture_patient.ids.size() == 2);  // the two BALP samples
  Sweep failures = RunSweep(r, *c, "/fhir/AuditEvent?outcome=4,8,12&_count=100", r.Auth());
  Sweep successes = RunSweep(r, *c, "/fhir/AuditEvent?outcome=0&_count=100", r.Auth());
  CHECK(failures.ids.size() + successes.ids.size() == 311);
}

TEST_CASE("fhir sim unknown parameters: dropped from self leniently, 400 with handling=strict", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  auto res = c->Get("/fhir/AuditEvent?foo=bar&action=R&_count=10", r.Auth());
  REQUIRE(res->status == 200);
  auto d = ParseJson(res->body);
  CHECK(Link(d, "self") == r.S("base_url") + "/AuditEvent?action=R&_count=10");
  httplib::Headers strict = r.Auth();
  strict.emplace("Prefer", "handling=strict");
  auto refused = c->Get("/fhir/AuditEvent?foo=bar&action=R", strict);
  CHECK(refused->status == 400);
  CHECK(FirstIssueCode(refused->body) == "not-supported");
  CHECK(refused->body.find("foo") != std::string::npos);
  CHECK(c->Get("/fhir/AuditEvent?action=R", strict)->status == 200);
  // An unsupported modifier is refused as the R4 example says it.
  auto modifier = c->Get("/fhir/AuditEvent?agent:exact=x", r.Auth());
  CHECK(modifier->status == 400);
  CHECK(FirstIssueCode(modifier->body) == "code-invalid");
}

TEST_CASE("fhir sim answers 400 invalid to malformed dates, a '+' sent raw included", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  c->set_url_encode(false);  // send a raw '+', which a server decodes as a space
  for (const char* q : {"date=2026-13-01", "date=xx2026-04-01", "date=ge2026-04-01T10:00:00", "date=yesterday",
                        "date=ge2026-04-01T10:00:00+02:00", "_lastUpdated=2026-04-31"}) {
    INFO(q);
    auto res = c->Get((std::string("/fhir/AuditEvent?") + q).c_str(), r.Auth());
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(FirstIssueCode(res->body) == "invalid");
  }
}

TEST_CASE("fhir sim POST _search with a form body equals the GET search", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  auto get = ParseJson(c->Get("/fhir/AuditEvent?action=R&_count=7", r.Auth())->body);
  auto post = c->Post("/fhir/AuditEvent/_search", r.Auth(), "action=R&_count=7", "application/x-www-form-urlencoded");
  REQUIRE(post->status == 200);
  auto p = ParseJson(post->body);
  CHECK(Link(p, "self") == Link(get, "self"));
  CHECK(p["entry"].Size() == get["entry"].Size());
  CHECK(c->Post("/fhir/AuditEvent/_search", r.Auth(), "{}", "application/json")->status == 415);
}

TEST_CASE("fhir sim serves the real fixture AuditEvents byte for byte", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  for (const char* name : {"fhir-r4-core-examples/AuditEvent-example-search.json",
                           "fhir-r4-core-examples/AuditEvent-example.json",
                           "ihe-balp-1.1.x/AuditEvent-ex-auditBasicQueryGetServer.json"}) {
    INFO(name);
    const std::string file = ReadText(FixturesRoot() + "/" + name);
    auto d = ParseJson(file);
    const std::string id = d["id"].GetString();
    auto read = c->Get(("/fhir/AuditEvent/" + id).c_str(), r.Auth());
    REQUIRE(read->status == 200);
    CHECK(read->body == file);
    // Inside a searchset Bundle the resource text is the file's JSON object exactly.
    auto search = c->Get(("/fhir/AuditEvent?_id=" + id).c_str(), r.Auth());
    REQUIRE(search->status == 200);
    std::string object = file;
    while (!object.empty() && std::isspace(static_cast<unsigned char>(object.back()))) object.pop_back();
    CHECK(search->body.find("\"resource\":" + object + ",\"search\"") != std::string::npos);
  }
  auto missing = c->Get("/fhir/AuditEvent/no-such-event", r.Auth());
  CHECK(missing->status == 404);
  CHECK(FirstIssueCode(missing->body) == "not-found");
  CHECK(c->Get("/fhir/Patient/1", r.Auth())->status == 404);
}

TEST_CASE("fhir sim generated events vary zones, precision, agents and carry BALP pairs", "[sim][fhir]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  Sweep s = RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-01-01&_count=100", r.Auth());
  std::set<std::string> forms;
  for (const std::string& t : s.recorded) {
    const bool z = t.back() == 'Z';
    const size_t dot = t.find('.');
    const size_t frac = dot == std::string::npos ? 0 : (z ? t.size() - 1 : t.size() - 6) - dot - 1;
    forms.insert(std::string(z ? "Z" : t[t.size() - 6] == '+' ? "+" : "-") + std::to_string(frac));
  }
  for (const char* f : {"Z0", "Z3", "Z6", "+0", "+3", "-3", "-6"}) CHECK(forms.count(f) == 1);
  bool identifier_only = false, no_network = false, ipv6 = false, query = false;
  std::map<std::string, int> request_ids;
  std::string path = "/fhir/AuditEvent?date=ge2026-01-01&_count=100";
  while (!path.empty()) {
    auto page = ParseJson(c->Get(path.c_str(), r.Auth())->body);
    for (const auto& e : page["entry"].GetArray()) {
      const auto& ae = e["resource"];
      for (const auto& a : ae["agent"].GetArray()) {
        if (a["who"].HasMember("identifier") && !a["who"].HasMember("reference")) identifier_only = true;
        if (a["requestor"].GetBool() && !a.HasMember("network")) no_network = true;
        if (a.HasMember("network") && std::string(a["network"]["address"].GetString()).find(':') != std::string::npos &&
            std::string(a["network"]["type"].GetString()) == "2") {
          ipv6 = true;
        }
      }
      if (ae.HasMember("entity")) {
        for (const auto& en : ae["entity"].GetArray()) {
          if (en.HasMember("query")) {
            std::string decoded;
            auto bytes = custody::Base64Decode(en["query"].GetString());
            REQUIRE(bytes);
            decoded.assign(bytes->begin(), bytes->end());
            CHECK(decoded.rfind("GET https://ehr.example.org/fhir/", 0) == 0);
            CHECK(decoded.find("\nX-Request-Id: ") != std::string::npos);
            query = true;
          }
          if (en.HasMember("type") && std::string(en["type"]["code"].GetString()) == "XrequestId") {
            ++request_ids[en["what"]["identifier"]["value"].GetString()];
          }
        }
      }
    }
    const std::string next = Link(page, "next");
    path = next.empty() ? "" : r.Local(next);
  }
  CHECK(identifier_only);
  CHECK(no_network);
  CHECK(ipv6);
  CHECK(query);
  int pairs = 0;
  for (const auto& [id, n] : request_ids) pairs += n == 2 ? 1 : 0;
  CHECK(pairs > 20);
}

TEST_CASE("fhir sim answers byte-identical pages for the same seed and options", "[sim][fhir]") {
  custody::test::TempDir dir_a, dir_b;
  auto strip = [](std::string body) {
    // The Bundle's meta.lastUpdated is the server's clock: the only stamped time.
    const size_t at = body.find(R"("meta":{"lastUpdated":")");
    REQUIRE(at != std::string::npos);
    body.erase(at, 48);
    return body;
  };
  for (const char* paging : {"offset", "cursor", "hapi"}) {
    INFO(paging);
    FhirOptions oa = BaseOptions(dir_a), ob = BaseOptions(dir_b);
    oa.paging = ob.paging = paging;
    Running a(oa), b(ob);
    auto ca = a.Client(), cb = b.Client();
    std::string pa = "/fhir/AuditEvent?_count=60", pb = pa;
    int pages = 0;
    while (!pa.empty()) {
      auto ra = ca->Get(pa.c_str(), a.Auth());
      auto rb = cb->Get(pb.c_str(), b.Auth());
      REQUIRE(ra->status == 200);
      std::string ba = ra->body, bb = rb->body;
      // Ports differ between the two servers.
      const std::string oa_origin = a.S("base_url"), ob_origin = b.S("base_url");
      for (size_t p = 0; (p = bb.find(ob_origin, p)) != std::string::npos;) bb.replace(p, ob_origin.size(), oa_origin);
      CHECK(strip(ba) == strip(bb));
      auto da = ParseJson(ba);
      const std::string na = Link(da, "next");
      pa = na.empty() ? "" : a.Local(na);
      auto db = ParseJson(rb->body);
      const std::string nb = Link(db, "next");
      pb = nb.empty() ? "" : b.Local(nb);
      ++pages;
    }
    CHECK(pages == 6);
  }
}

TEST_CASE("fhir sim auth: missing, wrong and disabled credentials get 401 OperationOutcome", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.auth = {"basic"};
  Running r(o);
  auto c = r.Client();
  auto none = c->Get("/fhir/AuditEvent");
  CHECK(none->status == 401);
  CHECK(FirstIssueCode(none->body) == "login");
  CHECK_FALSE(none->get_header_value("WWW-Authenticate").empty());
  CHECK(c->Get("/fhir/AuditEvent", r.Auth())->status == 401);  // static token not enabled
  c->set_basic_auth(r.S("basic_username"), r.S("basic_password"));
  CHECK(c->Get("/fhir/AuditEvent?_count=1")->status == 200);
  c->set_basic_auth(r.S("basic_username"), "wrong");
  auto wrong = c->Get("/fhir/AuditEvent?_count=1");
  CHECK(wrong->status == 401);
  CHECK(FirstIssueCode(wrong->body) == "security");
}

TEST_CASE("fhir sim SMART backend services issues tokens for RS384 and ES384 assertions", "[sim][fhir][smart]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  auto config = c->Get("/fhir/.well-known/smart-configuration");
  REQUIRE(config->status == 200);
  auto sc = ParseJson(config->body);
  CHECK(std::string(sc["token_endpoint"].GetString()) == r.S("token_url"));
  CHECK(config->body.find("private_key_jwt") != std::string::npos);
  CHECK(config->body.find("ES384") != std::string::npos);
  for (const auto& [key, alg, kid] : {std::tuple{r.S("rs384_private_key"), std::string("RS384"), r.S("rs384_kid")},
                                      std::tuple{r.S("es384_private_key"), std::string("ES384"), r.S("es384_kid")}}) {
    INFO(alg);
    auto res = TokenRequest(r, *c, SignJwt(key, alg, kid, Claims(r, "jti-ok-" + alg)));
    REQUIRE(res);
    INFO(res->body);
    REQUIRE(res->status == 200);
    CHECK(res->get_header_value("Cache-Control") == "no-store");
    auto t = ParseJson(res->body);
    CHECK(std::string(t["token_type"].GetString()) == "bearer");
    CHECK(t["expires_in"].GetInt() == 300);
    CHECK(std::string(t["scope"].GetString()) == "system/AuditEvent.rs");
    CHECK_FALSE(t.HasMember("refresh_token"));
    const std::string token = t["access_token"].GetString();
    CHECK(c->Get("/fhir/AuditEvent?_count=1", {{"Authorization", "Bearer " + token}})->status == 200);
  }
  auto jwks = ParseJson(c->Get("/jwks.json")->body);
  CHECK(jwks["keys"].Size() == 2);
}

TEST_CASE("fhir sim SMART rejects bad client assertions with invalid_client", "[sim][fhir][smart]") {
  custody::test::TempDir dir;
  Running r(BaseOptions(dir));
  auto c = r.Client();
  const std::string rs = r.S("rs384_private_key"), es = r.S("es384_private_key");
  const std::string rs_kid = r.S("rs384_kid"), es_kid = r.S("es384_kid");
  struct Case {
    const char* what;
    std::string assertion;
    const char* why;
  };
  const std::string reused = SignJwt(rs, "RS384", rs_kid, Claims(r, "jti-reused"));
  REQUIRE(TokenRequest(r, *c, reused)->status == 200);
  const std::vector<Case> cases = {
      {"wrong aud", SignJwt(rs, "RS384", rs_kid, Claims(r, "j1", 240, "https://elsewhere.example/token")), "aud"},
      {"reused jti", reused, "jti"},
      {"exp too far", SignJwt(es, "ES384", es_kid, Claims(r, "j2", 900)), "exp"},
      {"expired", SignJwt(es, "ES384", es_kid, Claims(r, "j3", -10)), "expired"},
      {"unknown kid", SignJwt(rs, "RS384", "someone-else", Claims(r, "j4")), "kid"},
      {"kid of the other key", SignJwt(rs, "RS384", es_kid, Claims(r, "j5")), "ES384"},
      {"signed by the other key", SignJwt(es, "ES384", rs_kid, Claims(r, "j6")), "RS384"},
      {"typ not JWT", SignJwt(rs, "RS384", rs_kid, Claims(r, "j7"), "JOSE"), "typ"},
      {"iss not the client", SignJwt(rs, "RS384", rs_kid,
                                     R"({"iss":"x","sub":"x","aud":")" + r.S("token_url") + R"(","exp":)" +
                                         std::to_string(NowSeconds() + 60) + R"(,"jti":"j8"})"),
       "iss"},
  };
  for (const Case& k : cases) {
    INFO(k.what);
    auto res = TokenRequest(r, *c, k.assertion);
    REQUIRE(res);
    INFO(res->body);
    CHECK(res->status == 401);
    auto d = ParseJson(res->body);
    CHECK(std::string(d["error"].GetString()) == "invalid_client");
    CHECK(std::string(d["error_description"].GetString()).find(k.why) != std::string::npos);
  }
  // A tampered signature, and an ES384 signature in DER form instead of r||s.
  std::string tampered = SignJwt(es, "ES384", es_kid, Claims(r, "j9"));
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  CHECK(TokenRequest(r, *c, tampered)->status == 401);
  // Wrong grant and scope are refused with their own errors.
  auto scope = TokenRequest(r, *c, SignJwt(rs, "RS384", rs_kid, Claims(r, "j10")), "system/Patient.rs");
  CHECK(scope->status == 400);
  CHECK(scope->body.find("invalid_scope") != std::string::npos);
  auto grant = c->Post(r.Local(r.S("token_url")).c_str(), httplib::Params{{"grant_type", "password"}});
  CHECK(grant->status == 400);
  CHECK(grant->body.find("unsupported_grant_type") != std::string::npos);
}

TEST_CASE("fhir sim SMART token expires mid-sweep with 401 login and the sweep resumes", "[sim][fhir][smart]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.token_max_requests = 2;
  o.paging = "cursor";
  Running r(o);
  auto c = r.Client();
  auto token_for = [&](const std::string& jti) {
    auto res = TokenRequest(r, *c, SignJwt(r.S("rs384_private_key"), "RS384", r.S("rs384_kid"), Claims(r, jti)));
    REQUIRE(res->status == 200);
    return httplib::Headers{{"Authorization", "Bearer " + std::string(ParseJson(res->body)["access_token"].GetString())}};
  };
  httplib::Headers auth = token_for("sweep-1");
  std::string path = "/fhir/AuditEvent?_count=100";
  std::vector<std::string> ids;
  int refusals = 0;
  while (!path.empty()) {
    auto res = c->Get(path.c_str(), auth);
    if (res->status == 401) {
      CHECK(FirstIssueCode(res->body) == "login");
      ++refusals;
      REQUIRE(refusals < 5);
      auth = token_for("sweep-" + std::to_string(refusals + 1));
      continue;  // the same next link again
    }
    REQUIRE(res->status == 200);
    auto d = ParseJson(res->body);
    for (const auto& e : d["entry"].GetArray()) ids.push_back(e["resource"]["id"].GetString());
    const std::string next = Link(d, "next");
    path = next.empty() ? "" : r.Local(next);
  }
  CHECK(refusals == 1);
  CHECK(ids.size() == 311);
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 311);
}

TEST_CASE("fhir sim faults fire by data-request number", "[sim][fhir][faults]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.faults = {"429:7@1", "429-date:3@2", "503:2@3", "500@4", "html@5", "outcome-warning@6", "no-next@7", "drop@8",
              "expire-token@9"};
  Running r(o);
  auto c = r.Client();
  CHECK(c->Get("/fhir/metadata")->status == 200);  // not a data request: not counted
  auto r1 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  CHECK(r1->status == 429);
  CHECK(r1->get_header_value("Retry-After") == "7");
  CHECK(FirstIssueCode(r1->body) == "throttled");
  auto r2 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  CHECK(r2->status == 429);
  CHECK(r2->get_header_value("Retry-After").find(" GMT") != std::string::npos);
  auto r3 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  CHECK(r3->status == 503);
  CHECK(r3->get_header_value("Retry-After") == "2");
  CHECK(FirstIssueCode(r3->body) == "transient");
  auto r4 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  CHECK(r4->status == 500);
  CHECK(FirstIssueCode(r4->body) == "exception");
  auto r5 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  CHECK(r5->status == 200);
  CHECK(r5->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  CHECK(r5->body.rfind("<!DOCTYPE html>", 0) == 0);
  auto r6 = ParseJson(c->Get("/fhir/AuditEvent?_count=10", r.Auth())->body);
  CHECK(std::string(r6["entry"][0]["search"]["mode"].GetString()) == "outcome");
  CHECK(std::string(r6["entry"][0]["resource"]["issue"][0]["severity"].GetString()) == "warning");
  CHECK(r6["entry"].Size() == 11);
  auto r7 = ParseJson(c->Get("/fhir/AuditEvent?_count=10", r.Auth())->body);
  CHECK(r7["entry"].Size() == 10);
  CHECK(Link(r7, "next").empty());  // a truncated sweep: total says more
  CHECK(r7["total"].GetInt() == 311);
  auto r8 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  CHECK_FALSE(r8);  // the connection closed halfway through the body
  auto r9 = c->Get("/fhir/AuditEvent?_count=10", r.Auth());
  REQUIRE(r9);
  CHECK(r9->status == 401);
  CHECK(FirstIssueCode(r9->body) == "login");
  CHECK(c->Get("/fhir/AuditEvent?_count=10", r.Auth())->status == 200);
}

TEST_CASE("fhir sim inserts during a sweep: offset paging shows duplicates, cursor paging does not", "[sim][fhir]") {
  for (const char* paging : {"offset", "cursor"}) {
    INFO(paging);
    custody::test::TempDir dir;
    FhirOptions o = BaseOptions(dir);
    o.paging = paging;
    o.insert_every = 2;
    o.insert_count = 5;
    o.common.fixtures_root.clear();
    Running r(o);
    auto c = r.Client();
    Sweep s = RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-04-01&date=lt2026-04-08&_count=25", r.Auth());
    const std::set<std::string> unique(s.ids.begin(), s.ids.end());
    if (std::string(paging) == "offset") {
      // Live offsets over growing data: earlier pages shift, so events repeat.
      CHECK(s.ids.size() > unique.size());
      CHECK(s.first_total == 300);
    } else {
      CHECK(s.ids.size() == 300);
      CHECK(unique.size() == 300);
      for (const std::string& id : s.ids) CHECK(id.rfind("g", 0) == 0);
    }
    // The inserted events exist afterwards, inside the window, readable by id.
    auto after = ParseJson(c->Get("/fhir/AuditEvent?date=ge2026-04-01&date=lt2026-04-08&_count=0", r.Auth())->body);
    CHECK(after["total"].GetInt() > 300);
    // Inserted events are stamped lastUpdated = the data clock (frozen here at --now).
    Sweep fresh = RunSweep(r, *c, "/fhir/AuditEvent?_lastUpdated=eq2026-04-09T00:00:00.000Z&_count=100", r.Auth());
    REQUIRE_FALSE(fresh.ids.empty());
    const std::string newest = fresh.ids.front();
    CHECK(newest.rfind("n", 0) == 0);
    CHECK(c->Get(("/fhir/AuditEvent/" + newest).c_str(), r.Auth())->status == 200);
    CHECK(c->Get("/fhir/AuditEvent/n0-00000000", r.Auth())->status == 404);
  }
}

TEST_CASE("fhir sim $export: kick-off, polling with 429 when too fast, manifest, ndjson, cancel", "[sim][fhir][export]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.export_enabled = true;
  o.export_polls = 1;
  o.export_retry_after_seconds = 120;
  o.export_file_events = 200;
  Running r(o);
  auto c = r.Client();
  CHECK(c->Get("/fhir/$export?_type=AuditEvent", r.Auth())->status == 400);  // no Prefer: respond-async
  httplib::Headers h = r.Auth();
  h.emplace("Prefer", "respond-async");
  h.emplace("Accept", "application/fhir+json");
  CHECK(c->Get("/fhir/$export?_type=Patient", h)->status == 400);
  CHECK(c->Get("/fhir/$export?_type=AuditEvent", {{"Prefer", "respond-async"}})->status == 401);
  auto kick = c->Get("/fhir/$export?_type=AuditEvent&_since=2026-04-01T00:00:00Z", h);
  REQUIRE(kick->status == 202);
  const std::string status_url = kick->get_header_value("Content-Location");
  REQUIRE(status_url.find("/fhir/$export-poll-status?_jobId=") != std::string::npos);
  auto p1 = c->Get(r.Local(status_url).c_str(), r.Auth());
  CHECK(p1->status == 202);
  CHECK_FALSE(p1->get_header_value("X-Progress").empty());
  CHECK(p1->get_header_value("Retry-After") == "120");
  auto p2 = c->Get(r.Local(status_url).c_str(), r.Auth());
  CHECK(p2->status == 429);  // polled again long before Retry-After
  CHECK(p2->get_header_value("Retry-After") == "120");
  // Cancel: the job is gone.
  CHECK(c->Delete(r.Local(status_url).c_str(), r.Auth())->status == 202);
  CHECK(c->Get(r.Local(status_url).c_str(), r.Auth())->status == 404);
}

TEST_CASE("fhir sim $export completes with a manifest and bearer-protected ndjson files", "[sim][fhir][export]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.export_enabled = true;
  o.export_polls = 2;
  o.export_retry_after_seconds = 0;
  o.export_file_events = 200;
  Running r(o);
  auto c = r.Client();
  httplib::Headers h = r.Auth();
  h.emplace("Prefer", "respond-async");
  auto kick = c->Get("/fhir/$export?_type=AuditEvent&_outputFormat=application/fhir%2Bndjson", h);
  REQUIRE(kick->status == 202);
  const std::string status = r.Local(kick->get_header_value("Content-Location"));
  CHECK(c->Get(status.c_str(), r.Auth())->status == 202);
  CHECK(c->Get(status.c_str(), r.Auth())->status == 202);
  auto done = c->Get(status.c_str(), r.Auth());
  REQUIRE(done->status == 200);
  CHECK(done->get_header_value("Content-Type") == "application/json;charset=UTF-8");
  CHECK_FALSE(done->get_header_value("Expires").empty());
  auto m = ParseJson(done->body);
  CHECK(m["requiresAccessToken"].GetBool());
  CHECK(m["error"].IsArray());
  CHECK(std::string(m["request"].GetString()).find("/fhir/$export?_type=AuditEvent") != std::string::npos);
  REQUIRE(m["output"].Size() == 2);
  size_t lines = 0;
  std::set<std::string> ids;
  for (const auto& out : m["output"].GetArray()) {
    CHECK(std::string(out["type"].GetString()) == "AuditEvent");
    const std::string url = r.Local(out["url"].GetString());
    CHECK(c->Get(url.c_str())->status == 401);
    auto file = c->Get(url.c_str(), r.Auth());
    REQUIRE(file->status == 200);
    CHECK(file->get_header_value("Content-Type") == "application/fhir+ndjson");
    std::istringstream in(file->body);
    std::string line;
    size_t here = 0;
    while (std::getline(in, line)) {
      auto d = ParseJson(line);
      CHECK(std::string(d["resourceType"].GetString()) == "AuditEvent");
      ids.insert(d["id"].GetString());
      ++here;
    }
    CHECK(here == static_cast<size_t>(out["count"].GetInt()));
    lines += here;
  }
  CHECK(lines == 311);  // no _since: the fixtures too
  CHECK(ids.size() == 311);
}

TEST_CASE("fhir sim logs a scenario's patient search as a BALP pair named in the answer key", "[sim][fhir]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.common.clock_offset_ms = -90000;  // the EHR's clock runs 90 s behind
  const int64_t step_time = kStart + 3 * kDay + 12 * 3600000 + 651;
  o.common.scenario_events = {
      {kStart + kDay, "middleware-login", "integration", "203.0.113.9", "", "not this server's"},
      {step_time, "ehr-patient-search", "mirth-connect", "10.20.40.5", "a1f6c2e0-5b7d-4c3e-9f1a-0b0e7f1a2c3d",
       "the engine's FHIR client searches every patient"}};
  Running r(o);
  auto c = r.Client();
  // The answer key rows come from the server itself.
  auto s = FhirServer::Create(o);
  REQUIRE(s);
  auto key = ParseJson((*s)->AnswerKeyEvidenceJson());
  REQUIRE(key.IsArray());
  REQUIRE(key.Size() == 2);
  for (const auto& row : key.GetArray()) {
    CHECK(std::string(row["system"].GetString()) == "fhir");
    CHECK(std::string(row["log"].GetString()) == "AuditEvent");
    CHECK(std::string(row["key_field"].GetString()) == "id");
    const std::string id = row["key"].GetString();
    auto res = c->Get(("/fhir/AuditEvent/" + id).c_str(), r.Auth());
    REQUIRE(res->status == 200);
    auto ae = ParseJson(res->body);
    // Stamped by the server's own clock: the step's true time plus the offset.
    CHECK(std::string(ae["recorded"].GetString()) == row["time"].GetString());
    CHECK(RecordedLo(ae["recorded"].GetString()) / 1000 - (step_time - 90000) < 2000);
    CHECK(RecordedLo(ae["recorded"].GetString()) / 1000 >= step_time - 90000);
    CHECK(std::string(ae["subtype"][0]["code"].GetString()) == "search");
    bool request_id = false, address = false;
    for (const auto& en : ae["entity"].GetArray()) {
      if (std::string(en["type"]["code"].GetString()) == "XrequestId") {
        request_id = std::string(en["what"]["identifier"]["value"].GetString()) == "a1f6c2e0-5b7d-4c3e-9f1a-0b0e7f1a2c3d";
      }
    }
    for (const auto& a : ae["agent"].GetArray()) {
      address = address || (a.HasMember("network") && std::string(a["network"]["address"].GetString()) == "10.20.40.5");
    }
    CHECK(request_id);
    CHECK(address);
  }
  CHECK(std::string(key[0]["key"].GetString()) != key[1]["key"].GetString());
  // Without such steps the evidence is an empty array.
  custody::test::TempDir dir2;
  auto plain = FhirServer::Create(BaseOptions(dir2));
  REQUIRE(plain);
  CHECK((*plain)->AnswerKeyEvidenceJson() == "[]");
}

// --- --fhir-clock-offset: a server whose clock is off stamps with its own clock ------------------

namespace {

// Every entry's resource of a sweep, compact JSON text, in the order served.
std::vector<std::string> SweepResources(const Running& r, httplib::Client& c, std::string path) {
  std::vector<std::string> out;
  for (int guard = 0; guard < 1000 && !path.empty(); ++guard) {
    auto res = c.Get(path.c_str(), r.Auth());
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto d = ParseJson(res->body);
    if (d.HasMember("entry")) {
      for (const auto& e : d["entry"].GetArray()) {
        rapidjson::StringBuffer buf;
        rapidjson::Writer<rapidjson::StringBuffer> w(buf);
        e["resource"].Accept(w);
        out.emplace_back(buf.GetString(), buf.GetSize());
      }
    }
    const std::string next = Link(d, "next");
    path = next.empty() ? std::string() : r.Local(next);
  }
  return out;
}

// How an instant is written, apart from the instant: fraction length and zone ("3|+05:30", "0|Z").
std::string InstantStyle(const std::string& text) {
  REQUIRE(text.size() > 19);
  size_t zone = 19;
  while (zone < text.size() && text[zone] != 'Z' && text[zone] != '+' && text[zone] != '-') ++zone;
  REQUIRE(zone < text.size());
  const size_t fraction = zone == 19 ? 0 : zone - 20;  // digits after the '.'
  return std::to_string(fraction) + "|" + text.substr(zone);
}

// The times a server stamps on an event, taken out of it, and the rest as compact text.
struct Stamps {
  std::vector<std::pair<std::string, std::string>> times;  // (where, text)
  std::string rest;
};

Stamps TakeStamps(const std::string& resource) {
  rapidjson::Document d = ParseJson(resource);
  Stamps s;
  s.times.emplace_back("recorded", d["recorded"].GetString());
  d.RemoveMember("recorded");
  if (d.HasMember("meta") && d["meta"].HasMember("lastUpdated")) {
    s.times.emplace_back("meta.lastUpdated", d["meta"]["lastUpdated"].GetString());
    d["meta"].RemoveMember("lastUpdated");
  }
  for (const char* period : {"period", "occurredPeriod"}) {
    if (!d.HasMember(period)) continue;
    s.times.emplace_back(std::string(period) + ".start", d[period]["start"].GetString());
    s.times.emplace_back(std::string(period) + ".end", d[period]["end"].GetString());
    d.RemoveMember(period);
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  s.rest.assign(buf.GetString(), buf.GetSize());
  return s;
}

// "Wed, 01 Apr 2026 10:11:12 GMT" as seconds since the epoch.
int64_t ParseHttpDate(const std::string& text) {
  char week[4] = {}, month[4] = {}, zone[4] = {};
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  REQUIRE(std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", week, &day, month, &year, &h, &m, &s, zone) == 8);
  REQUIRE(std::string(zone) == "GMT");
  const std::string months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const size_t at = months.find(month);
  REQUIRE(at != std::string::npos);
  const int64_t days = custody::sim::fhir::DaysFromCivil(year, static_cast<unsigned>(at / 3 + 1), static_cast<unsigned>(day));
  return days * 86400 + h * 3600 + m * 60 + s;
}

}  // namespace

TEST_CASE("fhir sim clock offset moves every stamped instant and keeps ids, order, count and styles", "[sim][fhir][clock]") {
  for (const char* version : {"r4", "r5"}) {
    for (const double offset_s : {300.0, -120.0}) {
      INFO(version << " offset " << offset_s << " s");
      const int64_t offset_us = static_cast<int64_t>(offset_s) * 1000000;
      custody::test::TempDir zero_dir, off_dir;
      FhirOptions zero = BaseOptions(zero_dir);
      zero.version = version;
      FhirOptions off = BaseOptions(off_dir);
      off.version = version;
      off.common.clock_offset_ms = 45000;  // the shared offset: --fhir-clock-offset replaces it
      off.clock_offset_seconds = offset_s;
      Running rz(zero), ro(off);
      CHECK(ro.startup()["clock_offset_ms"].GetInt64() == static_cast<int64_t>(offset_s * 1000));
      CHECK(rz.startup()["clock_offset_ms"].GetInt64() == 0);
      auto cz = rz.Client();
      auto co = ro.Client();
      const std::vector<std::string> a = SweepResources(rz, *cz, "/fhir/AuditEvent?_count=100");
      const std::vector<std::string> b = SweepResources(ro, *co, "/fhir/AuditEvent?_count=100");
      REQUIRE(a.size() == (std::string(version) == "r4" ? 311u : 300u));
      REQUIRE(b.size() == a.size());
      size_t generated = 0, fixtures = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        const std::string id = ParseJson(a[i])["id"].GetString();
        INFO(id);
        REQUIRE(ParseJson(b[i])["id"].GetString() == id);  // same ids in the same order
        if (id.rfind("g", 0) != 0) {
          CHECK(b[i] == a[i]);  // a real sample keeps its own times
          ++fixtures;
          continue;
        }
        ++generated;
        const Stamps sa = TakeStamps(a[i]);
        const Stamps sb = TakeStamps(b[i]);
        CHECK(sb.rest == sa.rest);  // nothing else changes
        REQUIRE(sb.times.size() == sa.times.size());
        for (size_t k = 0; k < sa.times.size(); ++k) {
          INFO(sa.times[k].first << ": " << sa.times[k].second << " vs " << sb.times[k].second);
          CHECK(sb.times[k].first == sa.times[k].first);
          CHECK(RecordedLo(sb.times[k].second) - RecordedLo(sa.times[k].second) == offset_us);
          CHECK(InstantStyle(sb.times[k].second) == InstantStyle(sa.times[k].second));
        }
      }
      CHECK(generated == 300);
      CHECK(fixtures == (std::string(version) == "r4" ? 11u : 0u));
    }
  }
}

TEST_CASE("fhir sim clock offset: fixtures are served byte for byte", "[sim][fhir][clock]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.clock_offset_seconds = 300;
  Running r(o);
  auto c = r.Client();
  for (const char* name : {"fhir-r4-core-examples/AuditEvent-example.json",
                           "ihe-balp-1.1.x/AuditEvent-ex-auditBasicQueryGetServer.json"}) {
    INFO(name);
    const std::string file = ReadText(FixturesRoot() + "/" + name);
    const std::string id = ParseJson(file)["id"].GetString();
    auto read = c->Get(("/fhir/AuditEvent/" + id).c_str(), r.Auth());
    REQUIRE(read->status == 200);
    CHECK(read->body == file);
    auto search = c->Get(("/fhir/AuditEvent?_id=" + id).c_str(), r.Auth());
    REQUIRE(search->status == 200);
    std::string object = file;
    while (!object.empty() && std::isspace(static_cast<unsigned char>(object.back()))) object.pop_back();
    CHECK(search->body.find("\"resource\":" + object + ",\"search\"") != std::string::npos);
  }
  // Their own 2012-2020 times still answer a date search.
  CHECK(RunSweep(r, *c, "/fhir/AuditEvent?date=lt2021&_count=100", r.Auth()).ids.size() == 11);
}

TEST_CASE("fhir sim clock offset: Date header, Bundle lastUpdated and startup object read the server's clock", "[sim][fhir][clock]") {
  for (const int64_t offset_s : {int64_t{300}, int64_t{-120}}) {
    INFO("offset " << offset_s);
    custody::test::TempDir dir;
    FhirOptions o = BaseOptions(dir);
    o.clock_offset_seconds = static_cast<double>(offset_s);
    Running r(o);
    const std::string schema = ReadText(std::string(CUSTODY_SOURCE_DIR) + "/schemas/sim-fhir.schema.json");
    CHECK(custody::json::ValidateAgainstSchema(r.startup(), schema));
    auto c = r.Client();
    const int64_t before = NowSeconds();
    auto meta = c->Get("/fhir/metadata");
    auto page = c->Get("/fhir/AuditEvent?_count=1", r.Auth());
    const int64_t after = NowSeconds();
    REQUIRE(meta->status == 200);
    REQUIRE(page->status == 200);
    for (const httplib::Result* res : {&meta, &page}) {
      const int64_t date = ParseHttpDate((*res)->get_header_value("Date"));
      CHECK(date >= before + offset_s);
      CHECK(date <= after + offset_s);
    }
    const int64_t last_updated = RecordedLo(ParseJson(page->body)["meta"]["lastUpdated"].GetString()) / 1000;
    CHECK(last_updated >= (before + offset_s) * 1000);
    CHECK(last_updated < (after + 1 + offset_s) * 1000);
  }
}

TEST_CASE("fhir sim clock offset: a date search compares with the stamped recorded times", "[sim][fhir][clock]") {
  custody::test::TempDir zero_dir, off_dir;
  FhirOptions zero = BaseOptions(zero_dir);
  zero.events = 3000;
  FhirOptions off = zero;
  off.common.work_dir = off_dir.path().string();
  off.clock_offset_seconds = 300;
  Running rz(zero), ro(off);
  auto cz = rz.Client();
  auto co = ro.Client();
  const std::string window = "date=ge2026-04-03T00:00:00Z&date=lt2026-04-05T00:00:00Z&_count=100";
  Sweep stamped = RunSweep(ro, *co, "/fhir/AuditEvent?" + window, ro.Auth());
  REQUIRE(stamped.ids.size() > 500);
  // Every answer's stamped recorded lies in the window asked for.
  for (const std::string& t : stamped.recorded) {
    CHECK(RecordedLo(t) >= (kStart + 2 * kDay) * 1000);
    CHECK(RecordedLo(t) < (kStart + 4 * kDay) * 1000);
  }
  // They are the events whose true times lie 300 s earlier: the zero-offset server's answer to
  // the window moved back by the offset.
  Sweep truth = RunSweep(rz, *cz, "/fhir/AuditEvent?date=ge2026-04-02T23:55:00Z&date=lt2026-04-04T23:55:00Z&_count=100",
                         rz.Auth());
  CHECK(stamped.ids == truth.ids);
  // The same window asked of the zero-offset server differs at the edges (events move in and out).
  Sweep plain = RunSweep(rz, *cz, "/fhir/AuditEvent?" + window, rz.Auth());
  CHECK(plain.ids != stamped.ids);
}

TEST_CASE("fhir sim clock offset: inserted events are stamped with the server's clock", "[sim][fhir][clock]") {
  custody::test::TempDir zero_dir, off_dir;
  FhirOptions zero = BaseOptions(zero_dir);
  zero.common.fixtures_root.clear();
  zero.insert_every = 1;
  zero.insert_count = 3;
  FhirOptions off = zero;
  off.common.work_dir = off_dir.path().string();
  off.clock_offset_seconds = -120;
  Running rz(zero), ro(off);
  auto cz = rz.Client();
  auto co = ro.Client();
  REQUIRE(cz->Get("/fhir/AuditEvent?_count=1", rz.Auth())->status == 200);  // inserts n0..n2
  REQUIRE(co->Get("/fhir/AuditEvent?_count=1", ro.Auth())->status == 200);
  // The data clock is frozen at 2026-04-09T00:00:00Z; the server's clock reads 120 s less. (Each
  // of these searches first inserts n3..n5; reads below insert nothing.)
  Sweep fresh = RunSweep(ro, *co, "/fhir/AuditEvent?_lastUpdated=eq2026-04-08T23:58:00.000Z&_count=100", ro.Auth());
  Sweep fresh_zero = RunSweep(rz, *cz, "/fhir/AuditEvent?_lastUpdated=eq2026-04-09T00:00:00.000Z&_count=100", rz.Auth());
  CHECK(fresh.ids.size() == 6);
  CHECK(std::set<std::string>(fresh.ids.begin(), fresh.ids.end()) ==
        std::set<std::string>(fresh_zero.ids.begin(), fresh_zero.ids.end()));
  for (const std::string& id : fresh.ids) {
    INFO(id);
    CHECK(id.rfind("n", 0) == 0);
    auto a = cz->Get(("/fhir/AuditEvent/" + id).c_str(), rz.Auth());
    auto b = co->Get(("/fhir/AuditEvent/" + id).c_str(), ro.Auth());
    REQUIRE(a->status == 200);
    REQUIRE(b->status == 200);
    auto da = ParseJson(a->body);
    auto db = ParseJson(b->body);
    CHECK(std::string(da["meta"]["lastUpdated"].GetString()) == "2026-04-09T00:00:00.000Z");
    CHECK(std::string(db["meta"]["lastUpdated"].GetString()) == "2026-04-08T23:58:00.000Z");
    CHECK(RecordedLo(db["recorded"].GetString()) - RecordedLo(da["recorded"].GetString()) == -120 * 1000000LL);
    CHECK(InstantStyle(db["recorded"].GetString()) == InstantStyle(da["recorded"].GetString()));
  }
}

TEST_CASE("fhir sim clock offset: SMART assertions are checked against the server's clock", "[sim][fhir][smart][clock]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.clock_offset_seconds = 300;
  Running r(o);
  auto c = r.Client();
  const std::string key = r.S("rs384_private_key"), kid = r.S("rs384_kid");
  // exp 240 s after true now is already past on a clock 300 s ahead.
  auto stale = TokenRequest(r, *c, SignJwt(key, "RS384", kid, Claims(r, "jti-skew-1", 240)));
  REQUIRE(stale);
  CHECK(stale->status == 401);
  CHECK(stale->body.find("expired") != std::string::npos);
  // exp 400 s after true now is 100 s ahead of the server's clock: accepted, and the token works
  // (issued and checked on the same clock).
  auto ok = TokenRequest(r, *c, SignJwt(key, "RS384", kid, Claims(r, "jti-skew-2", 400)));
  REQUIRE(ok);
  INFO(ok->body);
  REQUIRE(ok->status == 200);
  const std::string token = ParseJson(ok->body)["access_token"].GetString();
  CHECK(c->Get("/fhir/AuditEvent?_count=1", {{"Authorization", "Bearer " + token}})->status == 200);
}

TEST_CASE("fhir sim clock offset: scenario steps and their answer-key times carry the server's clock", "[sim][fhir][clock]") {
  custody::test::TempDir dir;
  FhirOptions o = BaseOptions(dir);
  o.common.clock_offset_ms = -90000;  // the shared offset, replaced by this server's own
  o.clock_offset_seconds = 300;
  const int64_t step_time = kStart + 3 * kDay + 12 * 3600000 + 651;
  o.common.scenario_events = {{step_time, "ehr-patient-search", "mirth-connect", "10.20.40.5",
                               "a1f6c2e0-5b7d-4c3e-9f1a-0b0e7f1a2c3d", "the engine's FHIR client searches every patient"}};
  Running r(o);
  auto c = r.Client();
  auto s = FhirServer::Create(o);
  REQUIRE(s);
  auto key = ParseJson((*s)->AnswerKeyEvidenceJson());
  REQUIRE(key.Size() == 2);
  using custody::sim::fhir::FormatMsZ;
  CHECK(std::string(key[0]["time"].GetString()) == FormatMsZ(step_time + 300000));          // the server's record
  CHECK(std::string(key[1]["time"].GetString()) == FormatMsZ(step_time + 300000 + 1284));   // the client's
  for (const auto& row : key.GetArray()) {
    auto res = c->Get(("/fhir/AuditEvent/" + std::string(row["key"].GetString())).c_str(), r.Auth());
    REQUIRE(res->status == 200);
    CHECK(std::string(ParseJson(res->body)["recorded"].GetString()) == row["time"].GetString());
  }
  // A date search on the stamped time finds the pair; on the true time it does not.
  CHECK(RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-04-04T12:05:00Z&date=lt2026-04-04T12:05:02Z", r.Auth()).ids.size() == 2);
  CHECK(RunSweep(r, *c, "/fhir/AuditEvent?date=ge2026-04-04T12:00:00Z&date=lt2026-04-04T12:00:02Z", r.Auth()).ids.empty());
}

TEST_CASE("fhir sim refuses a clock offset that is not a number of seconds within a year", "[sim][fhir][clock]") {
  custody::test::TempDir dir;
  for (const double bad : {std::nan(""), 400.0 * 86400.0, -400.0 * 86400.0}) {
    FhirOptions o = BaseOptions(dir);
    o.clock_offset_seconds = bad;
    auto s = FhirServer::Create(o);
    REQUIRE_FALSE(s);
    CHECK(s.error().code() == custody::ErrorCode::kInvalidArgument);
    CHECK(s.error().message().find("--fhir-clock-offset") != std::string::npos);
  }
}
