#pragma once
// Runs the real custody-sim binary as a child process for end-to-end tests: reads its startup
// line, hands out HTTP clients for its two hosts, and stops it with SIGTERM (checking it exits 0).

#include <httplib.h>
#include <rapidjson/document.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace custody::test {

class SimProcess {
 public:
  // Starts custody-sim with `args` (plus --dir in a fresh temp folder). REQUIREs a startup line.
  explicit SimProcess(const std::vector<std::string>& args);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  const std::string& startup_line() const { return line_; }
  const rapidjson::Document& startup() const { return doc_; }
  std::string Get(const char* key) const;  // a string member of the startup line
  // A string member of one of its objects ("fhir", "mirth").
  std::string Get(const char* object, const char* key) const;

  std::unique_ptr<httplib::Client> Login() const;
  std::unique_ptr<httplib::Client> Instance() const;
  // Headers with "Authorization: Bearer <access_token>".
  httplib::Headers Auth() const;
  std::string ApiPath(const std::string& rest) const;  // "/services/data/v62.0/" + rest

  // Sends SIGTERM and waits; returns the exit status (or -1 if it died by a signal).
  int Stop();
  const std::string& dir() const { return dir_; }

 private:
  pid_t pid_ = -1;
  std::string line_;
  std::string dir_;
  rapidjson::Document doc_;
};

// Runs custody-sim to completion (for flag errors); returns exit code and stderr.
struct SimRun {
  int code = -1;
  std::string out;
  std::string err;
};
SimRun RunSimToExit(const std::vector<std::string>& args);

// The fixed options the tests use so data is byte-for-byte reproducible.
std::vector<std::string> DeterministicArgs(const std::string& seed = "7");

}  // namespace custody::test
