#include "e2e/collect/collect_support.h"

#include <catch2/catch.hpp>

#include <fstream>

#include "fakes/scoped_env.h"

namespace custody::test {

CollectHarness::CollectHarness(const std::vector<std::string>& sim_args)
    : keys_(MakeKeys(dir_.path(), "examiner")), sim_(sim_args) {}

std::vector<std::string> CollectHarness::Args(const CollectSetup& s, const std::string& out) const {
  std::vector<std::string> a = {"collect", "salesforce", "--instance-url", sim_.Get("instance_url"), "--auth", s.auth,
                                "--since", s.since, "--until", s.until, "--streams", s.streams, "--case",
                                "IR-2026-042", "--examiner", "Jane Examiner", "--key", keys_.key.string(), "--cert",
                                keys_.cert.string(), "--out", out, "--retry-delay-ms", "10"};
  if (s.auth == "jwt" || s.auth == "refresh-token") {
    a.insert(a.end(), {"--login-url", sim_.Get("login_url")});
  }
  if (s.auth != "token") a.insert(a.end(), {"--client-id", sim_.Get("client_id")});
  if (s.auth == "jwt") a.insert(a.end(), {"--username", sim_.Get("username"), "--jwt-key", sim_.Get("jwt_private_key")});
  a.insert(a.end(), s.extra_args.begin(), s.extra_args.end());
  return a;
}

Collected CollectHarness::Run(const CollectSetup& s) {
  Collected c;
  ++runs_;
  c.bundle = dir_ / ("bundle-" + std::to_string(runs_) + ".tar");
  std::map<std::string, std::optional<std::string>> env = {
      {"SF_ACCESS_TOKEN", std::nullopt}, {"SF_CLIENT_SECRET", std::nullopt}, {"SF_REFRESH_TOKEN", std::nullopt}};
  if (s.auth == "token") env["SF_ACCESS_TOKEN"] = sim_.Get("access_token");
  if (s.auth == "client-credentials") env["SF_CLIENT_SECRET"] = sim_.Get("client_secret");
  if (s.auth == "refresh-token") env["SF_REFRESH_TOKEN"] = sim_.Get("refresh_token");
  for (const auto& [k, v] : s.env) env[k] = v;
  {
    std::vector<std::unique_ptr<ScopedEnv>> scoped;
    for (const auto& [k, v] : env) scoped.push_back(std::make_unique<ScopedEnv>(k, v));
    c.cli = RunCli(Args(s, c.bundle.string()));
  }
  if (!std::filesystem::exists(c.bundle)) return c;
  std::filesystem::path unpacked = dir_ / ("unpacked-" + std::to_string(runs_));
  std::filesystem::create_directories(unpacked);
  CliResult tar = RunShell("tar -xf '" + c.bundle.string() + "' -C '" + unpacked.string() + "'");
  REQUIRE(tar.code == 0);
  for (const auto& e : std::filesystem::directory_iterator(unpacked)) c.top = e.path();
  std::string meta = ReadFile(c.top / "metadata" / "collection.json");
  c.metadata.Parse(meta.c_str());
  REQUIRE_FALSE(c.metadata.HasParseError());
  for (const char* name : {"timeline.jsonl", "untimed.jsonl"}) {
    std::ifstream in(c.top / "data" / "normalized" / name);
    std::string line;
    while (std::getline(in, line)) c.record_lines.push_back(line);
  }
  return c;
}

rapidjson::Document CollectHarness::Verify(const std::filesystem::path& bundle, int* exit_code) {
  CliResult r = RunCli({"verify", bundle.string(), "--trusted-cert", keys_.cert.string(), "--json"});
  if (exit_code != nullptr) *exit_code = r.code;
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

const rapidjson::Value& Collected::Item(const std::string& stream, const std::string& object) const {
  for (const auto& source : Collection()["sources"].GetArray()) {
    for (const auto& s : source["streams"].GetArray()) {
      if (stream != s["name"].GetString()) continue;
      for (const auto& i : s["items"].GetArray()) {
        if (object == i["object"].GetString()) return i;
      }
    }
  }
  FAIL("no item " << stream << "/" << object << " in the collection report");
  static rapidjson::Value none;
  return none;
}

std::string Collected::ReadPayload(const std::string& bag_path) const { return ReadFile(top / bag_path); }

std::vector<std::string> Collected::PayloadFiles() const {
  std::vector<std::string> files;
  std::ifstream in(top / "manifest-sha256.txt");
  std::string line;
  // "<64 hex digits>  <path>"
  while (std::getline(in, line)) files.push_back(line.substr(66));
  return files;
}

}  // namespace custody::test
