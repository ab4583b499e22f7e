#pragma once
// Bulk API 2.0 query jobs: create, poll through the state cycle, fetch results by locator, abort,
// delete. Results are rendered from the query engine's result on demand.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model.h"
#include "query_engine.h"

namespace custody::sim {

struct BulkContext {
  const Org& org;
  const QueryEngine& engine;
  std::string version;   // API version of this request, "62.0"
  const UserInfo& user;
  TimeMs data_now;
  TimeMs wall_now;
};

struct BulkAnswer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json;charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
  // A results chunk: the rows it holds, for the served ledger.
  std::shared_ptr<const QueryResult> rows;
  uint64_t rows_offset = 0;
  uint64_t rows_count = 0;
};

class BulkJobs {
 public:
  // `path` is what follows /jobs/query: {} (create, list), {id}, or {id, "results"}.
  BulkAnswer Handle(const BulkContext& ctx, const std::string& method, const std::vector<std::string_view>& path,
                    const std::string& body, const std::multimap<std::string, std::string>& params);
  uint64_t JobsCreated() const;

  static constexpr uint64_t kDefaultMaxRecords = 50000;
  static constexpr size_t kMaxJobs = 1000;

 private:
  struct Job {
    std::string id;
    std::string operation;
    std::string object;
    std::string version;
    std::string created_by;
    TimeMs created = 0;
    std::string state;
    int polls = 0;
    std::shared_ptr<const QueryResult> result;
    uint64_t serial = 0;
  };
  std::string JobJson(const Job& job, bool full) const;

  mutable std::mutex mu_;
  std::map<std::string, Job, std::less<>> jobs_;
  uint64_t created_ = 0;
};

}  // namespace custody::sim
