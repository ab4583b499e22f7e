#pragma once
// Fixtures mode: the simulator answers with the real public samples in
// ../shared/fixtures/salesforce/real/, byte for byte, so a client can be checked against what
// real servers (and the mocks of other collectors) actually sent. docs/custody-sim.md maps each
// request to its file.

#include <httplib.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace custody::sim {

class Fixtures {
 public:
  static Result<std::unique_ptr<Fixtures>> Load(const std::string& dir);
  void Token(httplib::Response& res) const;
  // parts: the request path split at '/', starting with "services", "data", "vNN.0".
  void Api(const httplib::Request& req, httplib::Response& res, const std::vector<std::string_view>& parts);
  // GET /__fixtures/<name>: any sample file as stored.
  void ServeRaw(const std::string& name, httplib::Response& res) const;

 private:
  bool Serve(const std::string& name, const char* content_type, httplib::Response& res, int status = 200) const;
  std::map<std::string, std::string> files_;
  std::atomic<int> bulk_polls_{0};
};

}  // namespace custody::sim
