// custody collect --config: Salesforce, FHIR and Mirth in one run, one bundle, one timeline on one
// clock, against the real custody-sim and custody binaries.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "e2e/ehr/fhir_support.h"
#include "core/time.h"
#include "crypto/keys.h"
#include "json/json.h"
#include "json/schemas.h"
#include "support/sim_process.h"
#include "support/test_support.h"

namespace {

using custody::test::Keys;
using custody::test::MakeKeys;
using custody::test::ProcessResult;
using custody::test::ReadFile;
using custody::test::RunProcess;
using custody::test::SimProcess;
using custody::test::TempDir;

const char* kSince = "2026-04-01T00:00:00Z";
const char* kUntil = "2026-04-08T00:00:00Z";

std::vector<std::string> SimArgs(std::vector<std::string> extra, const std::string& seed = "7") {
  std::vector<std::string> a = custody::test::DeterministicArgs(seed);
  a.insert(a.end(), {"--history-rows", "300", "--patients", "40", "--elf-bytes-per-day", "20000", "--fhir-events", "300",
                     "--mirth-events", "300", "--mirth-messages", "5",
                     // A password that cannot occur by chance (the default, "admin", is also the user name).
                     "--mirth-password", "m1rth-pw-" + seed + "-7f3e9c"});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

struct Collected {
  ProcessResult run;
  std::filesystem::path bundle;
  std::filesystem::path top;
  rapidjson::Document collection;
  std::vector<rapidjson::Document> timeline;
  std::string tar_bytes;
  const rapidjson::Value* Source(const std::string& name) const {
    for (const auto& s : collection["collection"]["sources"].GetArray()) {
      if (name == s["name"].GetString()) return &s;
    }
    return nullptr;
  }
};

// A case folder: keys, a case file written by the test, the secrets in files beside it.
class Case {
 public:
  Case() : keys_(MakeKeys(dir_.path(), "examiner")) {}
  const TempDir& dir() const { return dir_; }
  void Secret(const std::string& name, const std::string& value) { std::ofstream(dir_ / name) << value << "\n"; }
  std::string Header() const {
    return "[case]\nid = \"IR-MULTI-1\"\nexaminer = \"Jane Examiner\"\nsince = \"" + std::string(kSince) +
           "\"\nuntil = \"" + kUntil + "\"\nout = \"bundle.tar\"\nkey = \"" + keys_.key.string() + "\"\ncert = \"" +
           keys_.cert.string() + "\"\n";
  }
  static std::string Salesforce(const SimProcess& sim, const std::string& name = "sf") {
    return "\n[[source]]\nname = \"" + name + "\"\ntype = \"salesforce\"\ninstance_url = \"" +
           sim.Get("instance_url") + "\"\nauth = \"token\"\naccess_token = { file = \"" + name + ".token\" }\n";
  }
  static std::string Fhir(const SimProcess& sim, const std::string& name = "ehr") {
    return "\n[[source]]\nname = \"" + name + "\"\ntype = \"fhir\"\nbase_url = \"" + sim.Get("fhir", "base_url") +
           "\"\nauth = \"smart\"\nclient_id = \"" + sim.Get("fhir", "client_id") + "\"\nclient_key = \"" +
           sim.Get("fhir", "es384_private_key") + "\"\nkid = \"" + sim.Get("fhir", "es384_kid") + "\"\n";
  }
  static std::string Mirth(const SimProcess& sim, const std::string& name = "engine",
                           const std::string& env = "CASE_MIRTH_PASSWORD") {
    return "\n[[source]]\nname = \"" + name + "\"\ntype = \"mirth\"\nbase_url = \"" + sim.Get("mirth", "base_url") +
           "\"\nusername = \"" + sim.Get("mirth", "username") + "\"\npassword = { env = \"" + env + "\" }\n";
  }

  Collected Run(const std::string& case_text, const std::map<std::string, std::string>& env = {},
                const std::vector<std::string>& extra = {}) {
    Collected c;
    const std::filesystem::path file = dir_ / "case.toml";
    std::ofstream(file) << case_text;
    c.bundle = dir_ / "bundle.tar";
    std::vector<std::string> args = {"collect", "--config", file.string(), "--retry-delay-ms", "10", "--log-format",
                                     "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    c.run = RunProcess(CUSTODY_BINARY, args, env, dir_.path());
    INFO("custody exit " << c.run.code << "\nstdout:\n" << c.run.out << "\nstderr:\n" << c.run.err);
    if (!std::filesystem::exists(c.bundle)) return c;
    c.tar_bytes = ReadFile(c.bundle);
    const std::filesystem::path unpacked = dir_ / "unpacked";
    std::filesystem::remove_all(unpacked);
    std::filesystem::create_directories(unpacked);
    REQUIRE(custody::test::RunShell("tar -xf '" + c.bundle.string() + "' -C '" + unpacked.string() + "'").code == 0);
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
  ProcessResult Verify(const Collected& c) {
    return RunProcess(CUSTODY_BINARY, {"verify", c.bundle.string(), "--trusted-cert", keys_.cert.string()}, {},
                      dir_.path());
  }

 private:
  TempDir dir_;
  Keys keys_;
};

std::int64_t ParseMs(const std::string& utc) {
  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  auto t = custody::ParseRfc3339(utc.substr(0, 19) + "Z");
  REQUIRE(t.has_value());
  return static_cast<std::int64_t>(t->time_since_epoch().count()) * 1000 + std::stoi(utc.substr(20, 3));
}

// The merged timeline is ordered by @timestamp minus the source's clock correction; returns the
// count of records per source prefix ("salesforce", "fhir", "mirth").
std::map<std::string, int> CheckTimelineOrder(const Collected& c) {
  std::map<std::string, int> per_source;
  std::int64_t last = INT64_MIN;
  for (const auto& r : c.timeline) {
    REQUIRE(r["@timestamp"].IsString());
    std::int64_t t = ParseMs(r["@timestamp"].GetString());
    if (r["clock_correction_ms"].IsInt64()) t -= r["clock_correction_ms"].GetInt64();
    CHECK(t >= last);
    last = t;
    const std::string source = r["source"].GetString();
    per_source[source.substr(0, source.find(':'))] += 1;
    const custody::Status s = custody::json::ValidateAgainstSchema(r, custody::json::kRecordSchema);
    if (!s.ok()) FAIL(s.error().message());
  }
  return per_source;
}

}  // namespace

TEST_CASE("collect --config puts Salesforce, FHIR and Mirth into one bundle with one timeline", "[multi][e2e]") {
  SimProcess sim(SimArgs({"--fhir", "--mirth", "--mirth-timezone", "America/New_York"}));
  Case k;
  k.Secret("sf.token", sim.Get("access_token"));
  Collected c = k.Run(k.Header() + Case::Salesforce(sim) + Case::Fhir(sim) + Case::Mirth(sim),
                      {{"CASE_MIRTH_PASSWORD", sim.Get("mirth", "password")}});
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  REQUIRE_FALSE(c.top.empty());
  CHECK(custody::json::ValidateAgainstSchema(c.collection, custody::json::kCollectionSchema).ok());
  const auto& col = c.collection["collection"];
  CHECK(col["complete"].GetBool());
  REQUIRE(col["sources"].Size() == 3);
  // In case-file order, each with its own report shape and completeness.
  CHECK(std::string(col["sources"][0]["type"].GetString()) == "salesforce");
  CHECK(std::string(col["sources"][1]["type"].GetString()) == "fhir");
  CHECK(std::string(col["sources"][2]["type"].GetString()) == "mirth");
  CHECK(std::string(c.Source("engine")->operator[]("collector_identity").GetString()) ==
        sim.Get("mirth", "username"));
  // Each source's captures sit under its own name, clock probes included.
  for (const char* name : {"sf", "ehr", "engine"}) {
    CHECK(std::filesystem::is_directory(c.top / "data/raw" / name));
    CHECK(std::filesystem::exists(c.top / "data/raw" / name / "clock/probe-1.http.json"));
  }
  REQUIRE(col["clock_probes"].Size() == 3);
  for (const auto& p : col["clock_probes"].GetArray()) {
    CHECK(p["samples"].GetUint64() == 3);
    CHECK(p["correction_ms"].GetInt64() == 0);  // same machine, same clock
  }
  auto per_source = CheckTimelineOrder(c);
  CHECK(per_source["salesforce"] > 0);
  CHECK(per_source["fhir"] > 0);
  CHECK(per_source["mirth"] > 0);
  // Totals add up: every normalized record is in the timeline or in untimed.jsonl.
  std::uint64_t untimed = 0;
  {
    std::ifstream in(c.top / "data/normalized/untimed.jsonl");
    for (std::string line; std::getline(in, line);) ++untimed;
  }
  CHECK(col["normalized"]["records"].GetUint64() == c.timeline.size() + untimed);
  // No secret from the case file's references anywhere in the bundle or the output.
  for (const std::string& secret : {sim.Get("access_token"), sim.Get("mirth", "password")}) {
    CHECK(c.tar_bytes.find(secret) == std::string::npos);
    CHECK(c.run.out.find(secret) == std::string::npos);
    CHECK(c.run.err.find(secret) == std::string::npos);
  }
  ProcessResult v = k.Verify(c);
  INFO(v.out << v.err);
  CHECK(v.code == 0);
}

TEST_CASE("sources with skewed clocks are put on the collector's clock in the merged timeline", "[multi][e2e]") {
  // Two simulated sites: the FHIR server's clock runs 5 minutes fast, the Mirth server's 2 minutes
  // slow; each stamps its own events with its own clock, as a real server would.
  SimProcess fast(SimArgs({"--fhir", "--fhir-clock-offset", "300"}));
  SimProcess slow(SimArgs({"--mirth", "--mirth-clock-offset", "-120"}, "8"));
  SimProcess plain(SimArgs({"--fhir", "--mirth"}));
  Case k;
  Collected c = k.Run(k.Header() + Case::Fhir(fast, "ehr-fast") + Case::Mirth(slow, "engine-slow", "SLOW_PASSWORD") +
                          Case::Fhir(plain, "ehr") + Case::Mirth(plain, "engine"),
                      {{"SLOW_PASSWORD", slow.Get("mirth", "password")},
                       {"CASE_MIRTH_PASSWORD", plain.Get("mirth", "password")}});
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  std::map<std::string, std::int64_t> correction;
  for (const auto& p : c.collection["collection"]["clock_probes"].GetArray()) {
    correction[p["source"].GetString()] = p["correction_ms"].GetInt64();
  }
  CHECK(correction["ehr-fast"] == 300000);
  CHECK(correction["engine-slow"] == -120000);
  CHECK(correction["ehr"] == 0);
  CHECK(correction["engine"] == 0);
  // Every record of a skewed source says how it was placed; its @timestamp is what the source said.
  std::map<std::string, int> corrected;
  for (const auto& r : c.timeline) {
    const std::string source = r["source"].GetString();
    if (source == "fhir:ehr-fast") {
      REQUIRE(r["clock_correction_ms"].IsInt64());
      CHECK(r["clock_correction_ms"].GetInt64() == 300000);
      corrected[source]++;
    } else if (source == "mirth:engine-slow") {
      REQUIRE(r["clock_correction_ms"].IsInt64());
      CHECK(r["clock_correction_ms"].GetInt64() == -120000);
      corrected[source]++;
    } else {
      CHECK(r["clock_correction_ms"].IsNull());
    }
  }
  CHECK(corrected["fhir:ehr-fast"] > 0);
  CHECK(corrected["mirth:engine-slow"] > 0);
  CheckTimelineOrder(c);
  // The same generated event from the fast and the plain FHIR server (same seed, same data): the
  // fast one recorded it 300 s later by its own clock, and the timeline puts both at one instant.
  std::map<std::string, std::int64_t> fast_at, plain_at;
  for (const auto& r : c.timeline) {
    const std::string source = r["source"].GetString();
    if (!r["correlation"]["event_id"].IsString()) continue;
    const std::string id = r["correlation"]["event_id"].GetString();
    std::int64_t t = ParseMs(r["@timestamp"].GetString());
    if (source == "fhir:ehr-fast") fast_at[id] = t;
    if (source == "fhir:ehr") plain_at[id] = t;
  }
  int compared = 0;
  for (const auto& [id, t] : fast_at) {
    auto it = plain_at.find(id);
    if (it == plain_at.end()) continue;
    CHECK(t - it->second == 300000);
    ++compared;
  }
  CHECK(compared > 0);
  ProcessResult v = k.Verify(c);
  CHECK(v.code == 0);
}

TEST_CASE("a source that cannot be reached is listed as such and the others are sealed", "[multi][e2e]") {
  SimProcess sim(SimArgs({"--mirth"}));
  Case k;
  k.Secret("sf.token", sim.Get("access_token"));
  // Nothing listens on port 9 of loopback.
  std::string dead = "\n[[source]]\nname = \"ehr\"\ntype = \"fhir\"\nbase_url = \"http://127.0.0.1:9/fhir\"\n"
                     "auth = \"token\"\naccess_token = { env = \"CASE_FHIR_TOKEN\" }\n";
  Collected c = k.Run(k.Header() + Case::Salesforce(sim) + dead + Case::Mirth(sim),
                      {{"CASE_MIRTH_PASSWORD", sim.Get("mirth", "password")}, {"CASE_FHIR_TOKEN", "not-used-token"}});
  INFO(c.run.out << c.run.err);
  CHECK(c.run.code == 4);
  REQUIRE_FALSE(c.top.empty());
  CHECK(custody::json::ValidateAgainstSchema(c.collection, custody::json::kCollectionSchema).ok());
  CHECK_FALSE(c.collection["collection"]["complete"].GetBool());
  const rapidjson::Value* ehr = c.Source("ehr");
  REQUIRE(ehr != nullptr);
  CHECK_FALSE((*ehr)["complete"].GetBool());
  CHECK_THAT(std::string((*ehr)["stop_detail"].GetString()), Catch::Contains("127.0.0.1:9"));
  CHECK((*c.Source("engine"))["complete"].GetBool());
  CHECK_THAT(c.run.err, Catch::Contains("collect ehr"));
  ProcessResult v = k.Verify(c);
  INFO(v.out);
  CHECK(v.code == 0);  // sound evidence of what it holds...
  CHECK_THAT(v.out, Catch::Contains("collection-incomplete"));  // ...and says what it lacks
}

TEST_CASE("a SMART key its passphrase setting does not open is refused with its line", "[multi][e2e]") {
  SimProcess sim(SimArgs({"--fhir"}));
  Case k;
  // The simulator's registered ES384 key, encrypted under a passphrase.
  const std::string plain_path = sim.Get("fhir", "es384_private_key");
  auto key = custody::crypto::LoadPrivateKey(ReadFile(plain_path), plain_path, std::nullopt);
  REQUIRE(key);
  const std::string passphrase = "case-key-Passphrase-4711";
  auto encrypted = custody::crypto::PrivateKeyToPem(key->get(), passphrase);
  REQUIRE(encrypted);
  const std::filesystem::path key_path = k.dir() / "smart-encrypted.pem";
  std::ofstream(key_path) << *encrypted;
  std::string fhir = Case::Fhir(sim);
  fhir.replace(fhir.find(plain_path), plain_path.size(), key_path.string());

  // No passphrase setting: line 16 is client_key; the message names the setting, not the flag's
  // environment variable, and nothing is created.
  Collected none = k.Run(k.Header() + fhir);
  CHECK(none.run.code == 2);
  CHECK_THAT(none.run.err, Catch::Contains("case.toml:16: source 'ehr'") &&
                               Catch::Contains("the SMART key is encrypted: put its passphrase in client_key_passphrase"));
  CHECK(none.run.err.find("FHIR_KEY_PASSPHRASE") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(k.dir() / "bundle.tar.work"));

  // A wrong passphrase behind the reference: refused the same way, never echoed.
  const std::string with_setting = fhir + "client_key_passphrase = { env = \"CASE_KEY_PASS\" }\n";
  Collected wrong = k.Run(k.Header() + with_setting, {{"CASE_KEY_PASS", "not-the-" + passphrase}});
  CHECK(wrong.run.code == 2);
  CHECK_THAT(wrong.run.err, Catch::Contains("case.toml:16: source 'ehr'") &&
                                Catch::Contains("could not be decrypted: wrong client_key_passphrase?"));
  CHECK(wrong.run.err.find(passphrase) == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(k.dir() / "bundle.tar.work"));

  // The right one: the collection runs, and the passphrase is nowhere in the bundle.
  Collected right = k.Run(k.Header() + with_setting, {{"CASE_KEY_PASS", passphrase}});
  INFO(right.run.out << right.run.err);
  CHECK(right.run.code == 0);
  REQUIRE(std::filesystem::exists(k.dir() / "bundle.tar"));
  CHECK(right.tar_bytes.find(passphrase) == std::string::npos);
}

TEST_CASE("a wrong case file is refused with its line before any request", "[multi][e2e]") {
  SimProcess sim(SimArgs({"--mirth"}));
  Case k;
  // The password written as a value: refused, not echoed, nothing created.
  std::string bad = k.Header() + "\n[[source]]\nname = \"engine\"\ntype = \"mirth\"\nbase_url = \"" +
                    sim.Get("mirth", "base_url") + "\"\nusername = \"admin\"\npassword = \"" +
                    sim.Get("mirth", "password") + "-literal\"\n";
  Collected c = k.Run(bad);
  CHECK(c.run.code == 2);
  CHECK_THAT(c.run.err, Catch::Contains("case.toml:15") && Catch::Contains("must be a reference"));
  CHECK(c.run.err.find("-literal") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(k.dir() / "bundle.tar"));
  CHECK_FALSE(std::filesystem::exists(k.dir() / "bundle.tar.work"));
  // A misspelt setting names its line and the known ones.
  Collected c2 = k.Run(k.Header() + "\n[[source]]\nname = \"engine\"\ntype = \"mirth\"\nbase_ur = \"x\"\n");
  CHECK(c2.run.code == 2);
  CHECK_THAT(c2.run.err, Catch::Contains("case.toml:13: source 'engine': unknown setting 'base_ur'"));
  // A missing environment variable behind a reference.
  Collected c3 = k.Run(k.Header() + Case::Mirth(sim));
  CHECK(c3.run.code == 2);
  CHECK_THAT(c3.run.err, Catch::Contains("CASE_MIRTH_PASSWORD, which is not set"));
  CHECK_FALSE(std::filesystem::exists(k.dir() / "bundle.tar.work"));
}

TEST_CASE("the bulk-exfiltration answer key names rows in Salesforce, the middleware and the FHIR log", "[multi][e2e]") {
  SimProcess sim(SimArgs({"--fhir", "--mirth", "--scenario", "bulk-exfiltration"}));
  const std::string key_path = sim.Get("answer_key");
  rapidjson::Document key;
  key.Parse(ReadFile(key_path).c_str());
  REQUIRE_FALSE(key.HasParseError());
  REQUIRE(key.HasMember("ehr_evidence"));
  std::set<std::string> systems;
  for (const auto& e : key["ehr_evidence"].GetArray()) systems.insert(e["system"].GetString());
  CHECK(systems == std::set<std::string>{"mirth", "fhir"});

  Case k;
  k.Secret("sf.token", sim.Get("access_token"));
  Collected c = k.Run(k.Header() + Case::Salesforce(sim) + Case::Fhir(sim) + Case::Mirth(sim),
                      {{"CASE_MIRTH_PASSWORD", sim.Get("mirth", "password")}});
  INFO(c.run.out << c.run.err);
  REQUIRE(c.run.code == 0);
  // Every EHR-side row of the answer key is in the merged timeline, from the right source.
  for (const auto& e : key["ehr_evidence"].GetArray()) {
    const std::string system = e["system"].GetString();
    const std::string id = e["key"].GetString();
    bool found = false;
    for (const auto& r : c.timeline) {
      const std::string source = r["source"].GetString();
      if (source.rfind(system + ":", 0) == 0 && r["correlation"]["event_id"].IsString() &&
          id == r["correlation"]["event_id"].GetString()) {
        found = true;
        CHECK(std::string(r["@timestamp"].GetString()) == e["time"].GetString());
      }
    }
    INFO(system << " " << id);
    CHECK(found);
  }
  // And the Salesforce side of the same story: the token grant from the same address.
  const std::string ip = key["events"][0]["source_ip"].GetString();
  bool sf_login = false, mirth_login = false;
  for (const auto& r : c.timeline) {
    if (!r["client_ip"].IsString() || ip != r["client_ip"].GetString()) continue;
    const std::string source = r["source"].GetString();
    if (source.rfind("salesforce:", 0) == 0) sf_login = true;
    if (source.rfind("mirth:", 0) == 0) mirth_login = true;
  }
  CHECK(sf_login);
  CHECK(mirth_login);
}
