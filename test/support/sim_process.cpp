#include "support/sim_process.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

extern char** environ;

namespace custody::test {
namespace {

std::string MakeTempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "custody-sim-test.XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  return templ;
}

std::vector<char*> Argv(const std::vector<std::string>& args, std::vector<std::string>* storage) {
  storage->clear();
  storage->push_back(CUSTODY_SIM_BINARY);
  storage->insert(storage->end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : *storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

std::unique_ptr<httplib::Client> ClientFor(const std::string& url, const rapidjson::Document& doc) {
  auto client = std::make_unique<httplib::Client>(url);
  client->set_connection_timeout(10);
  client->set_read_timeout(60);
  if (doc["ca_file"].IsString()) {
    client->set_ca_cert_path(doc["ca_file"].GetString());
    client->enable_server_certificate_verification(true);
  }
  return client;
}

}  // namespace

std::vector<std::string> DeterministicArgs(const std::string& seed) {
  return {"--seed", seed, "--start", "2026-04-01T00:00:00Z", "--days", "7", "--now", "2026-04-10T00:00:00Z"};
}

SimProcess::SimProcess(const std::vector<std::string>& args) {
  dir_ = MakeTempDir();
  std::vector<std::string> all = args;
  all.push_back("--dir");
  all.push_back(dir_);
  std::vector<std::string> storage;
  std::vector<char*> argv = Argv(all, &storage);
  int out[2];
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  REQUIRE(posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  // The first line, byte by byte, so nothing after it is consumed.
  char c = 0;
  while (read(out[0], &c, 1) == 1 && c != '\n') line_.push_back(c);
  close(out[0]);
  INFO("custody-sim " << args.size() << " args; startup line: " << line_);
  REQUIRE(!line_.empty());
  doc_.Parse(line_.c_str());
  REQUIRE(!doc_.HasParseError());
}

SimProcess::~SimProcess() {
  if (pid_ > 0) Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int SimProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  // A simulator that ignores SIGTERM for 15 s is a failure, not a hung test run.
  for (int i = 0; i < 1500 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(10000);
  if (waitpid(pid_, &status, WNOHANG) == 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string SimProcess::Get(const char* key) const {
  REQUIRE(doc_.HasMember(key));
  REQUIRE(doc_[key].IsString());
  return doc_[key].GetString();
}

std::string SimProcess::Get(const char* object, const char* key) const {
  REQUIRE(doc_.HasMember(object));
  const rapidjson::Value& o = doc_[object];
  REQUIRE(o.IsObject());
  REQUIRE(o.HasMember(key));
  REQUIRE(o[key].IsString());
  return o[key].GetString();
}

std::unique_ptr<httplib::Client> SimProcess::Login() const { return ClientFor(Get("login_url"), doc_); }
std::unique_ptr<httplib::Client> SimProcess::Instance() const { return ClientFor(Get("instance_url"), doc_); }

httplib::Headers SimProcess::Auth() const { return {{"Authorization", "Bearer " + Get("access_token")}}; }

std::string SimProcess::ApiPath(const std::string& rest) const {
  return "/services/data/v" + Get("api_version") + "/" + rest;
}

SimRun RunSimToExit(const std::vector<std::string>& args) {
  SimRun run;
  std::string dir = MakeTempDir();
  std::string cmd = std::string("'") + CUSTODY_SIM_BINARY + "'";
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " >'" + dir + "/out' 2>'" + dir + "/err' </dev/null";
  const int status = std::system(cmd.c_str());
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& path) {
    std::string s;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return s;
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    std::fclose(f);
    return s;
  };
  run.out = slurp(dir + "/out");
  run.err = slurp(dir + "/err");
  std::filesystem::remove_all(dir);
  return run;
}

}  // namespace custody::test
