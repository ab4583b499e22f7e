// The rows of event log files and Bulk API results are mapped to records on several threads, a
// batch at a time, and placed on the timeline in row order. The records must be the same bytes
// whatever the number of threads and the size of the batches.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "auth/salesforce_auth.h"
#include "connectors/salesforce/collector.h"
#include "core/time.h"
#include "crypto/digest.h"
#include "normalize/csv_reader.h"
#include "support/sim_process.h"
#include "support/test_support.h"

namespace custody::test {
namespace {

namespace sf = connectors::salesforce;

struct Normalized {
  std::string timeline;
  std::string untimed;
  std::uint64_t records = 0;
  std::uint64_t csv_rows = 0;      // records that came from a CSV capture
  std::uint64_t bulk_items = 0;    // history objects read through Bulk API 2.0
  std::uint64_t log_files = 0;
  std::vector<std::string> incomplete;  // items that are not complete, with their first gap
};

Normalized CollectWith(const SimProcess& sim, const std::filesystem::path& root, unsigned threads, size_t batch_rows) {
  sf::CollectOptions o;
  o.auth.mode = auth::SalesforceAuthMode::kToken;
  o.auth.instance_url = sim.Get("instance_url");
  const std::string token = sim.Get("access_token");
  o.env = [token](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "SF_ACCESS_TOKEN") return token;
    return std::nullopt;
  };
  o.since = *ParseRfc3339("2026-04-01T00:00:00Z");
  o.until = *ParseRfc3339("2026-04-08T00:00:00Z");
  o.bulk_threshold = 1000;  // history objects over 1,000 rows come as Bulk API CSV
  o.retry.base = std::chrono::milliseconds(10);
  o.payload_root = root / "payload";
  o.work_dir = root / "scratch";
  std::filesystem::create_directories(o.payload_root);
  std::filesystem::create_directories(o.work_dir);
  o.csv_mapping_threads = threads;
  o.csv_batch_rows = batch_rows;
  SystemClock clock;
  auth::Redactor redactor;
  auto report = sf::CollectSalesforce(o, clock, redactor);
  REQUIRE(report);
  Normalized n;
  n.timeline = ReadFile(o.payload_root / "normalized" / "timeline.jsonl");
  n.untimed = ReadFile(o.payload_root / "normalized" / "untimed.jsonl");
  n.records = report->normalized_records;
  n.log_files = report->log_files.size();
  for (const auto& s : report->streams) {
    for (const auto& i : s.items) {
      if (i.method == "bulk-2.0") ++n.bulk_items;
      if (i.status == "incomplete") n.incomplete.push_back(i.object + ": " + (i.gaps.empty() ? "" : i.gaps.front()));
    }
  }
  // Each CSV record points at exactly one whole row of its capture, and hashes that row.
  std::map<std::string, std::string> raw;  // bag path -> the capture's bytes
  std::istringstream lines(n.timeline);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(".csv\",\"record_index\"") == std::string::npos) continue;
    ++n.csv_rows;
    rapidjson::Document r;
    r.Parse(line.c_str());
    REQUIRE(!r.HasParseError());
    const auto& p = r["provenance"];
    const std::string file = p["raw_file"].GetString();
    REQUIRE(file.rfind("data/", 0) == 0);
    if (!raw.count(file)) raw[file] = ReadFile(o.payload_root / file.substr(5));
    const std::string& bytes = raw[file];
    const std::uint64_t offset = p["byte_offset"].GetUint64(), length = p["byte_length"].GetUint64();
    REQUIRE(offset + length <= bytes.size());
    INFO(file << " at " << offset);
    REQUIRE(offset > 0);  // the header comes first
    CHECK(bytes[offset - 1] == '\n');
    // A row ends with its line feed, or the file's last row ends with the file.
    CHECK((bytes[offset + length - 1] == '\n' || offset + length == bytes.size()));
    // ... and the slice is one CSV row: a value may hold a quoted line feed, so this is asked of
    // the CSV reader, not of the bytes.
    const std::string_view slice = std::string_view(bytes).substr(offset, length);
    int rows = 0;
    normalize::CsvReader one([&rows](const normalize::CsvRow&) -> Status {
      ++rows;
      return Status::Ok();
    });
    CHECK(one.Feed({reinterpret_cast<const std::uint8_t*>(slice.data()), slice.size()}).ok());
    CHECK(one.Finish().ok());
    CHECK(rows == 1);
    CHECK(crypto::Sha256Hex(std::string_view(bytes).substr(offset, length)) == p["raw_sha256"].GetString());
  }
  return n;
}

}  // namespace

TEST_CASE("collect salesforce maps CSV rows on several threads into the same records as on one",
          "[collect][csv][determinism]") {
  SimProcess sim([] {
    std::vector<std::string> a = DeterministicArgs();
    a.insert(a.end(), {"--history-rows", "6000", "--elf-bytes-per-day", "200000"});
    return a;
  }());
  TempDir dir;
  // One thread, the default batches: every row is mapped and placed on the stream's own thread.
  const Normalized one = CollectWith(sim, dir / "one", 0, 1024);
  INFO("incomplete: " << (one.incomplete.empty() ? "" : one.incomplete.front()));
  REQUIRE(one.incomplete.empty());
  // The CSV captures are big enough to need many batches, and both kinds are there.
  REQUIRE(one.log_files >= 5);
  REQUIRE(one.bulk_items >= 1);
  REQUIRE(one.csv_rows > 1000);
  REQUIRE(one.records > one.csv_rows);

  // Three threads, batches of 7 rows, so batches finish out of order; then 2 threads, batches of
  // one row. Every record, and where each lands, is the same.
  for (const auto& [threads, batch] : {std::pair<unsigned, size_t>{3, 7}, {2, 1}}) {
    INFO(threads << " threads, batches of " << batch);
    const Normalized many = CollectWith(sim, dir / ("many-" + std::to_string(threads)), threads, batch);
    REQUIRE(many.incomplete.empty());
    CHECK(many.records == one.records);
    CHECK(many.csv_rows == one.csv_rows);
    CHECK(many.timeline.size() == one.timeline.size());
    CHECK(many.timeline == one.timeline);
    CHECK(many.untimed == one.untimed);
  }
}

}  // namespace custody::test
