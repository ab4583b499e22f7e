#pragma once
// Runs `custody collect salesforce` in-process against a custody-sim child process and opens the
// bundle it seals, for the collector's end-to-end tests.

#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/sim_process.h"
#include "support/test_support.h"

namespace custody::test {

struct Collected {
  CliResult cli;                      // the collect command
  std::filesystem::path bundle;
  std::filesystem::path top;          // the unpacked bundle's top folder (empty without a bundle)
  rapidjson::Document metadata;       // metadata/collection.json
  // Every normalized record: data/normalized/timeline.jsonl, then untimed.jsonl.
  std::vector<std::string> record_lines;
  bool has_bundle() const { return !top.empty(); }
  // The collection report's item for "stream/object" (REQUIREs it exists).
  const rapidjson::Value& Item(const std::string& stream, const std::string& object) const;
  const rapidjson::Value& Collection() const { return metadata["collection"]; }
  std::string ReadPayload(const std::string& bag_path) const;  // "data/..."
  // Every bag path the payload manifest lists, in its order.
  std::vector<std::string> PayloadFiles() const;
};

struct CollectSetup {
  std::vector<std::string> extra_args;          // appended to the collect command
  std::map<std::string, std::optional<std::string>> env;  // SF_* variables (nullopt unsets)
  std::string since = "2026-04-01T00:00:00Z";
  std::string until = "2026-04-08T00:00:00Z";
  std::string streams = "field-history,logins,exports";
  std::string auth = "token";
};

class CollectHarness {
 public:
  explicit CollectHarness(const std::vector<std::string>& sim_args);
  SimProcess& sim() { return sim_; }
  const Keys& keys() const { return keys_; }
  const TempDir& dir() const { return dir_; }
  // The collect command line for setup (without argv[0]).
  std::vector<std::string> Args(const CollectSetup& setup, const std::string& out) const;
  // Runs it with SF_ACCESS_TOKEN (token auth) or the secrets the mode needs, unpacks the bundle.
  Collected Run(const CollectSetup& setup);
  // custody verify --json on the bundle; the parsed report.
  rapidjson::Document Verify(const std::filesystem::path& bundle, int* exit_code);

 private:
  TempDir dir_;
  Keys keys_;
  SimProcess sim_;
  int runs_ = 0;
};

}  // namespace custody::test
