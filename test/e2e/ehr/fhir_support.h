#pragma once
// End-to-end harness for `custody collect fhir`: runs the real custody-sim with its FHIR server
// and the real custody binary as child processes (secrets only in the child's environment),
// unpacks the bundle it seals and verifies it with `custody verify`.

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "support/sim_process.h"
#include "support/test_support.h"

namespace custody::test {

struct ProcessResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs `binary args...` with exactly `env` as its environment (plus PATH), waits for it.
inline ProcessResult RunProcess(const std::string& binary, const std::vector<std::string>& args,
                                const std::map<std::string, std::string>& env, const std::filesystem::path& scratch) {
  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage = {"PATH=/usr/bin:/bin", "TMPDIR=" + std::filesystem::temp_directory_path().string()};
  for (const auto& [k, v] : env) env_storage.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  const std::string out_path = (scratch / "stdout.txt").string();
  const std::string err_path = (scratch / "stderr.txt").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(spawned == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  ProcessResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

struct FhirCollected {
  ProcessResult run;
  std::filesystem::path bundle;
  std::filesystem::path top;        // unpacked bundle's top folder; empty without a bundle
  rapidjson::Document collection;   // metadata/collection.json
  std::vector<std::string> timeline;  // data/normalized/timeline.jsonl lines
  std::string tar_bytes;            // the whole bundle, for secret greps
  bool has_bundle() const { return !top.empty(); }
  const rapidjson::Value& Source() const { return collection["collection"]["sources"][0]; }
  const rapidjson::Value& Item() const { return Source()["streams"][0]["items"][0]; }
  std::string Status() const { return Item()["status"].GetString(); }
  std::vector<std::string> Strings(const char* member) const {
    std::vector<std::string> out;
    for (const auto& v : Item()[member].GetArray()) out.emplace_back(v.GetString());
    return out;
  }
  bool AnyGapContains(const std::string& what) const {
    for (const auto& g : Strings("gaps")) {
      if (g.find(what) != std::string::npos) return true;
    }
    return false;
  }
  bool AnyNoteContains(const std::string& what) const {
    for (const auto& g : Strings("notes")) {
      if (g.find(what) != std::string::npos) return true;
    }
    return false;
  }
  bool HasPayload(const std::string& bag_path) const { return has_bundle() && std::filesystem::exists(top / bag_path); }
};

inline std::vector<std::string> FhirSimArgs(const std::vector<std::string>& extra) {
  std::vector<std::string> a = DeterministicArgs();
  a.push_back("--fhir");
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

class FhirHarness {
 public:
  explicit FhirHarness(const std::vector<std::string>& sim_extra)
      : keys_(MakeKeys(dir_.path(), "examiner")), sim_(FhirSimArgs(sim_extra)) {}

  std::string F(const char* key) const {
    const rapidjson::Value& f = sim_.startup()["fhir"];
    REQUIRE(f.IsObject());
    REQUIRE(f.HasMember(key));
    REQUIRE(f[key].IsString());
    return f[key].GetString();
  }
  SimProcess& sim() { return sim_; }
  const TempDir& dir() const { return dir_; }

  // auth: "token", "basic", "smart-rs384", "smart-es384".
  std::vector<std::string> Args(const std::string& auth, const std::filesystem::path& out,
                                const std::string& base_url) const {
    std::vector<std::string> a = {"collect", "fhir", "--base-url", base_url, "--since", "2026-04-01T00:00:00Z",
                                  "--until", "2026-04-08T00:00:00Z", "--case", "IR-2026-042", "--examiner",
                                  "Jane Examiner", "--key", keys_.key.string(), "--cert", keys_.cert.string(), "--out",
                                  out.string(), "--retry-delay-ms", "10", "--log-format", "json"};
    if (auth == "token" || auth == "basic") {
      a.insert(a.end(), {"--auth", auth});
    } else {
      const char* alg = auth == "smart-es384" ? "es384" : "rs384";
      a.insert(a.end(), {"--auth", "smart", "--client-id", F("client_id"), "--client-key",
                         F((std::string(alg) + "_private_key").c_str()), "--kid", F((std::string(alg) + "_kid").c_str())});
    }
    if (auth == "basic") a.insert(a.end(), {"--username", F("basic_username")});
    return a;
  }

  FhirCollected Run(const std::string& auth, const std::vector<std::string>& extra = {},
                    const std::string& base_url_override = "") {
    FhirCollected c;
    ++runs_;
    const std::filesystem::path scratch = dir_ / ("run-" + std::to_string(runs_));
    std::filesystem::create_directories(scratch);
    c.bundle = scratch / "bundle.tar";
    std::vector<std::string> args = Args(auth, c.bundle, base_url_override.empty() ? F("base_url") : base_url_override);
    args.insert(args.end(), extra.begin(), extra.end());
    std::map<std::string, std::string> env;
    if (auth == "token") env["FHIR_ACCESS_TOKEN"] = F("access_token");
    if (auth == "basic") env["FHIR_PASSWORD"] = F("basic_password");
    c.run = RunProcess(CUSTODY_BINARY, args, env, scratch);
    INFO("custody exit " << c.run.code << "\nstdout:\n" << c.run.out << "\nstderr:\n" << c.run.err);
    if (!std::filesystem::exists(c.bundle)) return c;
    c.tar_bytes = ReadFile(c.bundle);
    const std::filesystem::path unpacked = scratch / "unpacked";
    std::filesystem::create_directories(unpacked);
    CliResult tar = RunShell("tar -xf '" + c.bundle.string() + "' -C '" + unpacked.string() + "'");
    REQUIRE(tar.code == 0);
    for (const auto& e : std::filesystem::directory_iterator(unpacked)) c.top = e.path();
    const std::string meta = ReadFile(c.top / "metadata" / "collection.json");
    c.collection.Parse(meta.c_str());
    REQUIRE_FALSE(c.collection.HasParseError());
    std::ifstream in(c.top / "data" / "normalized" / "timeline.jsonl");
    std::string line;
    while (std::getline(in, line)) c.timeline.push_back(line);
    return c;
  }

  // custody verify on the bundle: its exit code.
  int Verify(const std::filesystem::path& bundle) {
    const std::filesystem::path scratch = dir_ / ("verify-" + std::to_string(++runs_));
    std::filesystem::create_directories(scratch);
    ProcessResult r =
        RunProcess(CUSTODY_BINARY, {"verify", bundle.string(), "--trusted-cert", keys_.cert.string()}, {}, scratch);
    INFO("verify: " << r.out << r.err);
    return r.code;
  }

  // Every secret the run could have leaked: tokens, the Basic password (and its header form), the
  // SMART private keys' base64 bodies.
  std::vector<std::string> Secrets() const {
    std::vector<std::string> s = {F("access_token"), F("basic_password")};
    for (const char* k : {"rs384_private_key", "es384_private_key"}) {
      const std::string pem = ReadFile(F(k));
      // A line from the middle of the PEM body: any copy of the key would contain it.
      size_t a = pem.find('\n', pem.find('\n') + 1);
      s.push_back(pem.substr(a + 1, 40));
    }
    return s;
  }

 private:
  TempDir dir_;
  Keys keys_;
  SimProcess sim_;
  int runs_ = 0;
};

}  // namespace custody::test
