#pragma once
// End-to-end harness for `custody collect mirth`: runs the real custody-sim with --mirth and the
// real custody binary (fork/exec, the password in the child's environment only), then unpacks
// the sealed bundle and reads its collection report, records and raw captures.

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/sim_process.h"
#include "support/test_support.h"

namespace custody::test::mirth {

// Runs `binary args...` to completion with `env` set (nullopt: unset) on top of this process's
// environment; stdout and stderr go through files so neither pipe can fill and block.
inline CliResult RunProcess(const std::string& binary, const std::vector<std::string>& args,
                            const std::map<std::string, std::optional<std::string>>& env,
                            const std::filesystem::path& scratch) {
  static int serial = 0;
  ++serial;
  const std::filesystem::path out_path = scratch / ("proc-" + std::to_string(serial) + ".out");
  const std::filesystem::path err_path = scratch / ("proc-" + std::to_string(serial) + ".err");
  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (const auto& [k, v] : env) {
      if (v) {
        ::setenv(k.c_str(), v->c_str(), 1);
      } else {
        ::unsetenv(k.c_str());
      }
    }
    int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (o < 0 || e < 0) _exit(127);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

inline std::vector<std::string> JsonLines(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

struct Collected {
  CliResult cli;
  std::filesystem::path bundle;
  std::filesystem::path top;  // the unpacked bundle's top folder (empty without a bundle)
  rapidjson::Document metadata;
  std::vector<std::string> records;  // timeline.jsonl then untimed.jsonl
  bool has_bundle() const { return !top.empty(); }
  const rapidjson::Value& Source() const {
    const auto& sources = metadata["collection"]["sources"];
    REQUIRE(sources.IsArray());
    REQUIRE(sources.Size() == 1);
    return sources[0];
  }
  // The item `object` of stream `stream`; REQUIREs it exists.
  const rapidjson::Value& Item(const std::string& stream, const std::string& object) const {
    for (const auto& s : Source()["streams"].GetArray()) {
      if (stream != s["name"].GetString()) continue;
      for (const auto& i : s["items"].GetArray()) {
        if (object == i["object"].GetString()) return i;
      }
    }
    FAIL("no item " << stream << "/" << object << " in the collection report");
    static rapidjson::Value none;
    return none;
  }
  const rapidjson::Value& Details() const { return Source()["details"]; }
  std::string Payload(const std::string& bag_path) const { return ReadFile(top / bag_path); }
  // Records of one stream, parsed.
  std::vector<rapidjson::Document> Records(const std::string& stream) const {
    std::vector<rapidjson::Document> out;
    for (const auto& line : records) {
      rapidjson::Document d;
      d.Parse(line.c_str());
      REQUIRE_FALSE(d.HasParseError());
      if (stream == d["stream"].GetString()) out.push_back(std::move(d));
    }
    return out;
  }
  // Every file under data/raw/<source>/<sub> (recursively), sidecars excluded.
  std::vector<std::filesystem::path> Captures(const std::string& sub) const {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    auto root = top / "data" / "raw" / "mirth" / sub;
    if (!std::filesystem::exists(root)) return out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root, ec)) {
      if (!e.is_regular_file()) continue;
      const std::string name = e.path().filename().string();
      if (name.size() > 10 && name.compare(name.size() - 10, 10, ".http.json") == 0) continue;
      out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

struct Setup {
  std::string auth = "session";
  std::string since = "2026-04-01T00:00:00Z";
  std::string until = "2026-04-08T00:00:00Z";
  std::string streams = "server-events,messages";
  std::optional<std::string> password;  // default: the simulator's
  std::vector<std::string> extra;       // appended to the command line
  std::string base_url;                 // default: the simulator's
};

class Harness {
 public:
  explicit Harness(const std::vector<std::string>& sim_args)
      : keys_(MakeKeys(dir_.path(), "examiner")), sim_(WithMirth(sim_args)) {
    REQUIRE(sim_.startup().HasMember("mirth"));
    REQUIRE(sim_.startup()["mirth"].IsObject());
  }

  SimProcess& sim() { return sim_; }
  const TempDir& dir() const { return dir_; }
  const Keys& keys() const { return keys_; }
  const rapidjson::Value& Mirth() const { return sim_.startup()["mirth"]; }
  std::string M(const char* key) const {
    const auto& m = Mirth();
    if (!m.HasMember(key) || !m[key].IsString()) return "";
    return m[key].GetString();
  }

  std::vector<std::string> Args(const Setup& s, const std::string& out) const {
    std::vector<std::string> a = {"collect", "mirth", "--base-url", s.base_url.empty() ? M("base_url") : s.base_url,
                                  "--username", M("username"), "--auth", s.auth, "--since", s.since, "--until",
                                  s.until, "--streams", s.streams, "--case", "IR-2026-042", "--examiner",
                                  "Jane Examiner", "--key", keys_.key.string(), "--cert", keys_.cert.string(),
                                  "--out", out, "--retry-delay-ms", "10"};
    if (!M("ca_file").empty()) a.insert(a.end(), {"--ca-file", M("ca_file")});
    a.insert(a.end(), s.extra.begin(), s.extra.end());
    return a;
  }

  Collected Run(const Setup& s) {
    Collected c;
    ++runs_;
    c.bundle = dir_ / ("bundle-" + std::to_string(runs_) + ".tar");
    std::map<std::string, std::optional<std::string>> env = {
        {"MIRTH_PASSWORD", s.password ? s.password : std::optional<std::string>(M("password"))}};
    c.cli = RunProcess(CUSTODY_BINARY, Args(s, c.bundle.string()), env, dir_.path());
    if (!std::filesystem::exists(c.bundle)) return c;
    std::filesystem::path unpacked = dir_ / ("unpacked-" + std::to_string(runs_));
    std::filesystem::create_directories(unpacked);
    c.top = Extract(c.bundle, unpacked);
    std::string meta = ReadFile(c.top / "metadata" / "collection.json");
    c.metadata.Parse(meta.c_str());
    REQUIRE_FALSE(c.metadata.HasParseError());
    for (const char* name : {"timeline.jsonl", "untimed.jsonl"}) {
      auto lines = JsonLines(c.top / "data" / "normalized" / name);
      c.records.insert(c.records.end(), lines.begin(), lines.end());
    }
    return c;
  }

  // `custody verify --json`; its exit code.
  int Verify(const std::filesystem::path& bundle) {
    CliResult r = RunProcess(CUSTODY_BINARY, {"verify", bundle.string(), "--trusted-cert", keys_.cert.string()}, {},
                             dir_.path());
    INFO(r.out << r.err);
    return r.code;
  }

 private:
  static std::vector<std::string> WithMirth(std::vector<std::string> args) {
    if (std::find(args.begin(), args.end(), "--mirth") == args.end()) args.insert(args.begin(), "--mirth");
    return args;
  }
  TempDir dir_;
  Keys keys_;
  SimProcess sim_;
  int runs_ = 0;
};

inline std::string Str(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject() || !v.HasMember(key) || !v[key].IsString()) return "";
  return v[key].GetString();
}

inline std::string AllGaps(const rapidjson::Value& item) {
  std::string out;
  for (const auto& g : item["gaps"].GetArray()) out += std::string(g.GetString()) + "\n";
  return out;
}

}  // namespace custody::test::mirth
