// custody collect --config with generic HTTP-JSON sources, end to end: the real custody binary
// against an in-process fake audit API (every auth mode, every paging mode, faults, bad input)
// and against the real custody-sim Mirth server described only by settings.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "crypto/digest.h"
#include "e2e/ehr/fhir_support.h"
#include "e2e/ehr/http_json_fake_api.h"
#include "json/json.h"
#include "json/schemas.h"
#include "support/sim_process.h"
#include "support/test_support.h"

namespace {

using custody::test::FakeAuditApi;
using custody::test::ProcessResult;
using custody::test::ReadFile;
using custody::test::RunProcess;
using custody::test::TempDir;

struct Collected {
  ProcessResult run;
  std::filesystem::path top;
  rapidjson::Document collection;
  std::vector<rapidjson::Document> timeline;
  std::string tar_bytes;
  const rapidjson::Value& Source() const { return collection["collection"]["sources"][0]; }
  const rapidjson::Value& Item() const { return Source()["streams"][0]["items"][0]; }
  std::string Str(const rapidjson::Value& v, const char* k) const { return v[k].IsString() ? v[k].GetString() : ""; }
  bool AnyIn(const char* member, const std::string& what) const {
    for (const auto& g : Item()[member].GetArray()) {
      if (std::string(g.GetString()).find(what) != std::string::npos) return true;
    }
    return false;
  }
  std::string All(const char* member) const {
    std::string out;
    for (const auto& g : Item()[member].GetArray()) out += std::string(g.GetString()) + "\n";
    return out;
  }
};

class Case {
 public:
  Case() : keys_(custody::test::MakeKeys(dir_.path(), "examiner")) {}
  const TempDir& dir() const { return dir_; }
  void File(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::string Header(const std::string& since = "2026-04-01T00:00:00Z",
                     const std::string& until = "2026-04-02T00:00:00Z") const {
    return "[case]\nid = \"IR-GEN-1\"\nexaminer = \"Jane Examiner\"\nsince = \"" + since + "\"\nuntil = \"" + until +
           "\"\nout = \"bundle.tar\"\nkey = \"" + keys_.key.string() + "\"\ncert = \"" + keys_.cert.string() + "\"\n";
  }
  Collected Run(const std::string& text, const std::map<std::string, std::string>& env = {}) {
    Collected c;
    std::filesystem::remove(dir_ / "bundle.tar");
    File("case.toml", text);
    c.run = RunProcess(CUSTODY_BINARY,
                       {"collect", "--config", (dir_ / "case.toml").string(), "--retry-delay-ms", "10", "--max-attempts",
                        "3", "--log-format", "json"},
                       env, dir_.path());
    if (!std::filesystem::exists(dir_ / "bundle.tar")) return c;
    c.tar_bytes = ReadFile(dir_ / "bundle.tar");
    const auto unpacked = dir_ / "unpacked";
    std::filesystem::remove_all(unpacked);
    std::filesystem::create_directories(unpacked);
    REQUIRE(custody::test::RunShell("tar -xf '" + (dir_ / "bundle.tar").string() + "' -C '" + unpacked.string() + "'")
                .code == 0);
    for (const auto& e : std::filesystem::directory_iterator(unpacked)) c.top = e.path();
    c.collection.Parse(ReadFile(c.top / "metadata/collection.json").c_str());
    REQUIRE_FALSE(c.collection.HasParseError());
    std::ifstream in(c.top / "data/normalized/timeline.jsonl");
    for (std::string line; std::getline(in, line);) {
      rapidjson::Document d;
      d.Parse(line.c_str());
      REQUIRE_FALSE(d.HasParseError());
      c.timeline.push_back(std::move(d));
    }
    return c;
  }
  int Verify() {
    return RunProcess(CUSTODY_BINARY, {"verify", (dir_ / "bundle.tar").string(), "--trusted-cert", keys_.cert.string()},
                      {}, dir_.path())
        .code;
  }

 private:
  TempDir dir_;
  custody::test::Keys keys_;
};

// [source.auth] for each mode of the fake API, with secrets as references.
std::string AuthToml(const std::string& mode) {
  if (mode == "none") return "";
  if (mode == "basic") {
    return "[source.auth]\nmode = \"basic\"\nusername = \"auditor\"\npassword = { env = \"HJ_PASSWORD\" }\n";
  }
  if (mode == "bearer") return "[source.auth]\nmode = \"bearer\"\ntoken = { env = \"HJ_TOKEN\" }\n";
  if (mode == "oauth_post" || mode == "oauth_basic") {
    return std::string("[source.auth]\nmode = \"oauth2_client_credentials\"\ntoken_url = \"/oauth/token\"\n") +
           "client_id = \"custody-client\"\nclient_secret = { file = \"client.secret\" }\nclient_auth = \"" +
           (mode == "oauth_post" ? "client_secret_post" : "client_secret_basic") + "\"\n";
  }
  if (mode == "oauth_jwt") {
    return "[source.auth]\nmode = \"oauth2_client_credentials\"\ntoken_url = \"/oauth/token\"\n"
           "client_id = \"custody-client\"\nclient_auth = \"private_key_jwt\"\nclient_key = \"client.pem\"\n"
           "kid = \"k-1\"\n";
  }
  return "[source.auth]\nmode = \"session_login\"\nlogin_url = \"/login\"\nlogout_url = \"/logout\"\n"
         "username = \"auditor\"\npassword = { env = \"HJ_PASSWORD\" }\nusername_field = \"user\"\n"
         "password_field = \"pass\"\ncsrf_header = \"X-CSRF-Token\"\n";
}

// [source.request], [source.paging] and [source.records] for each paging mode of the fake API.
std::string PagingToml(const std::string& mode) {
  const std::string iso_records = "id_field = \"id\"\ntimestamp_field = \"time\"\ntimestamp_format = \"iso8601\"\n"
                                  "actor_field = \"user\"\naction_field = \"action\"\nip_field = \"ip\"\n"
                                  "target_field = \"target\"\noutcome_field = \"result\"\noutcome_success = [\"OK\"]\n"
                                  "outcome_failure = [\"DENIED\"]\nevent_type = \"audit\"\n";
  if (mode == "offset_limit") {
    return "[source.request]\npath = \"/offset\"\nquery = [\"offset={offset}\", \"limit={limit}\", \"from={start}\", "
           "\"to={end}\"]\n[source.paging]\nmode = \"offset_limit\"\nlimit = 10\ntotal_pointer = \"/total\"\n"
           "[source.records]\npointer = \"/data\"\n" + iso_records;
  }
  if (mode == "page_number") {
    return "[source.request]\npath = \"/pages\"\nquery = [\"page={page}\", \"size={limit}\"]\n"
           "[source.paging]\nmode = \"page_number\"\nlimit = 10\n[source.records]\npointer = \"/items\"\n" + iso_records;
  }
  if (mode == "cursor") {
    return "[source.request]\nmethod = \"POST\"\npath = \"/cursor\"\nstart_format = \"epoch_ms\"\n"
           "end_format = \"epoch_ms\"\n"
           "first_body = '{\"limit\":{limit},\"startDate\":{start},\"endDate\":{end}}'\n"
           "body = '{\"cursor\":\"{cursor}\",\"limit\":{limit},\"startDate\":{start},\"endDate\":{end}}'\n"
           "[source.paging]\nmode = \"cursor\"\nlimit = 10\ncursor_pointer = \"/paging/next\"\n"
           "[source.records]\npointer = \"/data\"\n" + iso_records;
  }
  if (mode == "next_link") {
    return "[source.request]\npath = \"/next\"\n[source.paging]\nmode = \"next_link\"\nnext_pointer = \"/links/next\"\n"
           "[source.records]\npointer = \"/data\"\n" + iso_records;
  }
  if (mode == "link_header") {
    return "[source.request]\npath = \"/linked\"\n[source.paging]\nmode = \"next_link\"\nlink_header = true\n"
           "[source.records]\npointer = \"\"\n" + iso_records;
  }
  if (mode == "id_watermark") {
    return "[source.request]\npath = \"/watermark\"\nquery = [\"maxId={watermark}\", \"limit={limit}\"]\n"
           "[source.paging]\nmode = \"id_watermark\"\nlimit = 10\nsort_order = \"desc\"\n"
           "[source.records]\npointer = \"/result/events\"\n" + iso_records;
  }
  // time_slicing: epoch-ms windows, a server cap of 4 forcing recursive splits.
  return "[source.request]\npath = \"/slices\"\nquery = [\"from={start}\", \"to={end}\"]\nstart_format = \"epoch_ms\"\n"
         "end_format = \"epoch_ms\"\n[source.paging]\nmode = \"time_slicing\"\nslice_seconds = 21600\nserver_cap = 4\n"
         "[source.records]\npointer = \"/logs\"\nid_field = \"id\"\ntimestamp_field = \"ts_ms\"\n"
         "timestamp_format = \"epoch_ms\"\n";
}

std::string Source(const FakeAuditApi& api, const std::string& auth, const std::string& paging,
                   const std::string& name = "audit") {
  return "\n[[source]]\nname = \"" + name + "\"\ntype = \"http-json\"\nbase_url = \"" + api.base() + "\"\n" +
         AuthToml(auth) + PagingToml(paging);
}

std::map<std::string, std::string> Env() {
  return {{"HJ_PASSWORD", FakeAuditApi::kPassword}, {"HJ_TOKEN", FakeAuditApi::kStaticToken}};
}

void WriteSecrets(Case& k) {
  k.File("client.secret", std::string(FakeAuditApi::kClientSecret) + "\n");
  auto key = custody::crypto::GenerateKey(custody::crypto::KeyType::kEcP384);
  REQUIRE(key);
  auto pem = custody::crypto::PrivateKeyToPem(key->get(), std::nullopt);
  REQUIRE(pem);
  k.File("client.pem", *pem);
}

// Every record of the fake API, once, with its time, from its exact raw bytes.
void CheckAllRecords(const Collected& c, const FakeAuditApi& api) {
  REQUIRE(c.timeline.size() == static_cast<size_t>(api.events()));
  std::set<std::string> ids;
  for (const auto& r : c.timeline) {
    CHECK(std::string(r["source"].GetString()) == "http-json:audit");
    CHECK(std::string(r["timestamp_status"].GetString()) == "ok");
    ids.insert(r["correlation"]["event_id"].GetString());
    const auto& prov = r["provenance"];
    const std::string raw = ReadFile(c.top / prov["raw_file"].GetString());
    const std::string bytes = raw.substr(prov["byte_offset"].GetUint64(), prov["byte_length"].GetUint64());
    CHECK(custody::crypto::Sha256Hex(bytes) == prov["raw_sha256"].GetString());
    CHECK(bytes.find("\"id\":" + std::string(r["correlation"]["event_id"].GetString()) + ",") != std::string::npos);
    const custody::Status s = custody::json::ValidateAgainstSchema(r, custody::json::kRecordSchema);
    if (!s.ok()) FAIL(s.error().message());
  }
  CHECK(ids.size() == static_cast<size_t>(api.events()));
}

void CheckNoSecrets(const Collected& c) {
  for (const std::string& secret : std::vector<std::string>{FakeAuditApi::kPassword, FakeAuditApi::kStaticToken, FakeAuditApi::kClientSecret,
                                   FakeAuditApi::kCookie, FakeAuditApi::kCsrf, std::string("at-ISSUED-")}) {
    CHECK(c.tar_bytes.find(secret) == std::string::npos);
    CHECK(c.run.out.find(secret) == std::string::npos);
    CHECK(c.run.err.find(secret) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("ehr: http-json collects every auth mode and every paging mode end to end", "[http-json][e2e]") {
  // Each auth mode with one paging mode, and each paging mode at least once.
  auto [auth, paging] = GENERATE(table<std::string, std::string>({{"none", "offset_limit"},
                                                                  {"basic", "page_number"},
                                                                  {"bearer", "next_link"},
                                                                  {"oauth_post", "cursor"},
                                                                  {"oauth_basic", "link_header"},
                                                                  {"oauth_jwt", "id_watermark"},
                                                                  {"session", "time_slicing"},
                                                                  {"session", "offset_limit"}}));
  CAPTURE(auth, paging);
  FakeAuditApi api(auth);
  Case k;
  WriteSecrets(k);
  Collected c = k.Run(k.Header() + Source(api, auth, paging), Env());
  INFO("exit " << c.run.code << "\n" << c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  REQUIRE_FALSE(c.top.empty());
  CHECK(custody::json::ValidateAgainstSchema(c.collection, custody::json::kCollectionSchema).ok());
  const auto& src = c.Source();
  CHECK(c.Str(src, "type") == "http-json");
  CHECK(src["complete"].GetBool());
  INFO(c.All("gaps"));
  CHECK(c.Str(c.Item(), "status") == "complete");
  CHECK(c.Item()["received"].GetUint64() == static_cast<std::uint64_t>(api.events()));
  CheckAllRecords(c, api);
  CheckNoSecrets(c);
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/records/page-000001.json"));
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/records/page-000001.json.http.json"));
  if (auth == "session") {
    CHECK(c.Str(src, "collector_identity") == "auditor");
    CHECK(std::filesystem::exists(c.top / "data/raw/audit/auth/login-000001.json"));
    CHECK(api.logins() == 1);
  }
  if (auth.rfind("oauth", 0) == 0) {
    CHECK(c.Str(src, "collector_identity") == "custody-client");
    CHECK(api.grants() == 1);
  }
  if (paging == "time_slicing") CHECK(c.AnyIn("notes", "split in two"));
  if (paging == "cursor") {
    // The first page's body has no cursor; the later ones carry the server's.
    const auto bodies = api.Bodies();
    REQUIRE(bodies.size() >= 3);
    CHECK(bodies[0].find("cursor") == std::string::npos);
    CHECK(bodies[1].find("\"cursor\":\"c11\"") != std::string::npos);
    CHECK(bodies[0].find("\"startDate\":1775001600000") != std::string::npos);
  }
  CHECK(k.Verify() == 0);
}

TEST_CASE("ehr: http-json rides out 429, 503 and dropped connections and keeps every attempt", "[http-json][e2e]") {
  auto kind = GENERATE(std::string("429"), std::string("503"), std::string("drop"));
  CAPTURE(kind);
  FakeAuditApi api("none");
  api.Fault("/offset", "ok");
  api.Fault("/offset", kind);
  Case k;
  Collected c = k.Run(k.Header() + Source(api, "none", "offset_limit"));
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  CHECK(c.Item()["received"].GetUint64() == 25);
  CheckAllRecords(c, api);
  // The failed attempt is evidence too: page 2's first try and its retry.
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/records/page-000002.json.http.json"));
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/records/page-000002.attempt-2.json"));
  if (kind == "429") {
    const std::string sidecar = ReadFile(c.top / "data/raw/audit/records/page-000002.json.http.json");
    CHECK(sidecar.find("Retry-After") != std::string::npos);
  }
}

TEST_CASE("ehr: http-json turns HTML where JSON was expected into a gap and keeps what came before",
          "[http-json][e2e]") {
  FakeAuditApi api("none");
  api.Fault("/offset", "ok");
  api.Fault("/offset", "html");
  Case k;
  Collected c = k.Run(k.Header() + Source(api, "none", "offset_limit"));
  INFO(c.run.out << c.run.err);
  CHECK(c.run.code == 4);  // sealed, incomplete
  REQUIRE_FALSE(c.top.empty());
  CHECK_FALSE(c.Source()["complete"].GetBool());
  CHECK(c.Str(c.Item(), "status") == "incomplete");
  INFO(c.All("gaps"));
  CHECK(c.AnyIn("gaps", "page 2 not collected"));
  CHECK(c.AnyIn("gaps", "text/html"));
  CHECK(c.AnyIn("gaps", "not JSON"));
  CHECK(c.AnyIn("gaps", "Please sign in"));
  CHECK(c.Item()["received"].GetUint64() == 10);
  CHECK(c.timeline.size() == 10);
  // The HTML page itself is in the bundle, byte for byte.
  CHECK(ReadFile(c.top / "data/raw/audit/records/page-000002.json").find("<!DOCTYPE html>") == 0);
  CHECK(k.Verify() == 0);
}

TEST_CASE("ehr: http-json records retries exhausted as a gap naming the request", "[http-json][e2e]") {
  FakeAuditApi api("none");
  api.Fault("/offset", "ok");
  for (int i = 0; i < 3; ++i) api.Fault("/offset", "503");
  Case k;
  Collected c = k.Run(k.Header() + Source(api, "none", "offset_limit"));
  INFO(c.run.out << c.run.err);
  CHECK(c.run.code == 4);
  INFO(c.All("gaps"));
  CHECK(c.AnyIn("gaps", "gave up after 3 attempts"));
  CHECK(c.AnyIn("gaps", "/offset?offset=10&limit=10"));
  CHECK(c.timeline.size() == 10);
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/records/page-000002.attempt-3.json"));
}

TEST_CASE("ehr: http-json refuses an invalid case file naming the offending line", "[http-json][e2e]") {
  FakeAuditApi api("none");
  Case k;
  const std::string base = k.Header() + Source(api, "none", "offset_limit");
  struct Bad {
    std::string find, replace, expect, line_of;
  };
  auto bad = GENERATE(
      Bad{"mode = \"offset_limit\"", "mode = \"offset\"", "'offset' is not one of", "mode = \"offset\""},
      Bad{"pointer = \"/data\"", "pointer = \"/data\"\nid_feld = \"id\"", "unknown setting 'id_feld'", "id_feld"},
      Bad{"[source.paging]", "[source.paging]\nslice_seconds = 60", "only used with mode time_slicing", "slice_seconds"},
      Bad{"\"to={end}\"]", "\"to={ending}\"]", "{ending}, which is not a placeholder", "query = "},
      Bad{"[source.request]",
          "[source.auth]\nmode = \"basic\"\nusername = \"u\"\npassword = \"hunter2-literal\"\n[source.request]",
          "must be a reference", "password = "});
  CAPTURE(bad.expect);
  std::string text = base;
  const size_t at = text.find(bad.find);
  REQUIRE(at != std::string::npos);
  text.replace(at, bad.find.size(), bad.replace);
  const size_t key_at = text.find(bad.line_of);
  REQUIRE(key_at != std::string::npos);
  const int line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(key_at), '\n')) + 1;
  Collected c = k.Run(text, Env());
  INFO(c.run.err);
  CHECK(c.run.code == 2);
  CHECK(c.run.err.find(bad.expect) != std::string::npos);
  CHECK(c.run.err.find("case.toml:" + std::to_string(line) + ":") != std::string::npos);
  CHECK(c.run.err.find("hunter2-literal") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(k.dir() / "bundle.tar"));
}

TEST_CASE("ehr: http-json describes the real custody-sim Mirth server by settings alone", "[http-json][e2e][mirth]") {
  std::vector<std::string> args = custody::test::DeterministicArgs();
  args.insert(args.end(), {"--mirth", "--mirth-events", "250", "--mirth-password", "Mirth-Gen3ric-pw!"});
  custody::test::SimProcess sim(args);
  const rapidjson::Value& m = sim.startup()["mirth"];
  REQUIRE(m.IsObject());
  Case k;
  const std::string text =
      k.Header("2026-04-01T00:00:00Z", "2026-04-08T00:00:00Z") + "\n[[source]]\nname = \"audit\"\ntype = \"http-json\"\n"
      "base_url = \"" + std::string(m["base_url"].GetString()) + "\"\nstream = \"server-events\"\n"
      "[source.auth]\nmode = \"session_login\"\nlogin_url = \"/users/_login\"\nlogout_url = \"/users/_logout\"\n"
      "username = \"" + std::string(m["username"].GetString()) + "\"\npassword = { env = \"CASE_MIRTH_PASSWORD\" }\n"
      "success_pointer = \"/com.mirth.connect.model.LoginStatus/status\"\n"
      "success_values = [\"SUCCESS\", \"SUCCESS_GRACE_PERIOD\"]\n"
      "[source.request]\npath = \"/events\"\n"
      "headers = [\"X-Requested-With: XMLHttpRequest\", \"Accept: application/json\"]\n"
      "query = [\"startDate={start}\", \"endDate={end}\", \"maxEventId={watermark}\", \"limit={limit}\"]\n"
      "start_format = \"rfc822_offset\"\nend_format = \"rfc822_offset\"\nend_inclusive = true\n"
      "[source.paging]\nmode = \"id_watermark\"\nlimit = 100\nsort_order = \"desc\"\n"
      "[source.records]\npointer = \"/list/event\"\nsingle_or_array = true\nid_field = \"id\"\n"
      "timestamp_field = \"eventTime\"\ntimestamp_format = \"calendar_object\"\nevent_type = \"mirth-server-event\"\n"
      "action_field = \"name\"\nactor_id_field = \"userId\"\nip_field = \"ipAddress\"\noutcome_field = \"outcome\"\n"
      "outcome_success = [\"SUCCESS\"]\noutcome_failure = [\"FAILURE\"]\n";
  Collected c = k.Run(text, {{"CASE_MIRTH_PASSWORD", m["password"].GetString()}});
  INFO("exit " << c.run.code << "\n" << c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  INFO(c.All("gaps"));
  CHECK(c.Source()["complete"].GetBool());
  // Every generated event lies in the window (the collector's own login, at the sim's frozen
  // now of 2026-04-10, does not).
  CHECK(c.Item()["received"].GetUint64() == 250);
  CHECK(c.Item()["pages"].GetUint64() == 3);
  REQUIRE(c.timeline.size() == 250);
  std::set<std::string> ids;
  for (const auto& r : c.timeline) {
    CHECK(std::string(r["timestamp_status"].GetString()) == "ok");
    CHECK(std::string(r["stream"].GetString()) == "server-events");
    // The calendar object's zone is kept with the epoch in the original.
    CHECK(std::string(r["timestamp_original"].GetString()).find(' ') != std::string::npos);
    ids.insert(r["correlation"]["event_id"].GetString());
  }
  CHECK(ids.size() == 250);
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/auth/login-000001.json"));
  CHECK(std::filesystem::exists(c.top / "data/raw/audit/auth/logout-000002.json"));
  CHECK(c.tar_bytes.find(m["password"].GetString()) == std::string::npos);
  CHECK(k.Verify() == 0);
}
