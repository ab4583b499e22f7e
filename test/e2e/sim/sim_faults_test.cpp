#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "normalize/csv_reader.h"
#include "server/faults.h"
#include "support/sim_process.h"
#include "support/test_support.h"

using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {

SimProcess WithFaults(std::vector<std::string> faults) {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--gzip", "never"});
  for (const std::string& f : faults) args.insert(args.end(), {"--fault", f});
  return SimProcess(args);
}

const httplib::Params kQuery{{"q", "SELECT Id, CreatedDate FROM AccountHistory ORDER BY CreatedDate ASC, Id ASC"}};

}  // namespace

TEST_CASE("5xx faults answer on the listed calls only", "[sim][e2e][faults]") {
  SimProcess sim = WithFaults({"503@2", "500@3", "502@4"});
  auto api = sim.Instance();
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    auto r = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
    REQUIRE(r);
    statuses.push_back(r->status);
  }
  CHECK(statuses == std::vector<int>{200, 503, 500, 502, 200});
}

TEST_CASE("QUERY_TIMEOUT in both of its forms, on a first page and mid-paging", "[sim][e2e][faults]") {
  SimProcess sim = WithFaults({"query-timeout@1", "query-timeout-500@3"});
  auto api = sim.Instance();
  httplib::Headers h = sim.Auth();
  h.emplace("Sforce-Query-Options", "batchSize=200");
  auto first = api->Get(sim.ApiPath("query").c_str(), kQuery, h);
  REQUIRE(first);
  CHECK(first->status == 400);
  CHECK(first->body == R"([{"message":"Your query request was running for too long.","errorCode":"QUERY_TIMEOUT"}])");
  auto page1 = api->Get(sim.ApiPath("query").c_str(), kQuery, h);
  REQUIRE(page1);
  REQUIRE(page1->status == 200);
  rapidjson::Document d;
  d.Parse(page1->body.c_str());
  const std::string next = d["nextRecordsUrl"].GetString();
  auto page2 = api->Get(next.c_str(), h);
  REQUIRE(page2);
  CHECK(page2->status == 500);
  CHECK(page2->body == R"([{"message":"query timeout","errorCode":"QUERY_TIMEOUT"}])");
  // The locator survives: the same page can be asked for again.
  auto retry = api->Get(next.c_str(), h);
  REQUIRE(retry);
  CHECK(retry->status == 200);
}

TEST_CASE("expire revokes tokens mid-paging, a new token resumes at the same locator", "[sim][e2e][faults]") {
  SimProcess sim = WithFaults({"expire@2"});
  auto api = sim.Instance();
  httplib::Headers h = sim.Auth();
  h.emplace("Sforce-Query-Options", "batchSize=200");
  auto page1 = api->Get(sim.ApiPath("query").c_str(), kQuery, h);
  REQUIRE(page1);
  REQUIRE(page1->status == 200);
  rapidjson::Document d;
  d.Parse(page1->body.c_str());
  const std::string next = d["nextRecordsUrl"].GetString();
  auto expired = api->Get(next.c_str(), h);
  REQUIRE(expired);
  CHECK(expired->status == 401);
  CHECK(api->Get(next.c_str(), h)->status == 401);  // the old token stays dead

  auto token = sim.Instance()->Post("/services/oauth2/token",
                                    httplib::Params{{"grant_type", "client_credentials"},
                                                    {"client_id", sim.Get("client_id")},
                                                    {"client_secret", sim.Get("client_secret")}});
  REQUIRE(token);
  REQUIRE(token->status == 200);
  rapidjson::Document t;
  t.Parse(token->body.c_str());
  httplib::Headers fresh{{"Authorization", std::string("Bearer ") + t["access_token"].GetString()},
                         {"Sforce-Query-Options", "batchSize=200"}};
  auto resumed = api->Get(next.c_str(), fresh);
  REQUIRE(resumed);
  CHECK(resumed->status == 200);
}

TEST_CASE("limit, locator-expired, short-page, truncate and slow faults", "[sim][e2e][faults]") {
  SimProcess sim = WithFaults({"short-page@1", "locator-expired@2", "truncate@3", "slow:300ms@4", "limit@5"});
  auto api = sim.Instance();
  httplib::Headers h = sim.Auth();
  h.emplace("Sforce-Query-Options", "batchSize=600");
  auto short_page = api->Get(sim.ApiPath("query").c_str(), kQuery, h);
  REQUIRE(short_page);
  REQUIRE(short_page->status == 200);
  rapidjson::Document d;
  d.Parse(short_page->body.c_str());
  CHECK(d["records"].Size() < 600);
  CHECK(d["records"].Size() > 0);
  const std::string next = d["nextRecordsUrl"].GetString();
  auto locator = api->Get(next.c_str(), h);
  REQUIRE(locator);
  CHECK(locator->status == 400);
  CHECK(locator->body.find("INVALID_QUERY_LOCATOR") != std::string::npos);

  auto truncated = api->Get(sim.ApiPath("limits").c_str(), h);
  REQUIRE(truncated);
  CHECK(truncated->status == 200);
  rapidjson::Document broken;
  broken.Parse(truncated->body.c_str());
  CHECK(broken.HasParseError());

  const auto t0 = std::chrono::steady_clock::now();
  auto slow = api->Get(sim.ApiPath("limits").c_str(), h);
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE(slow);
  CHECK(slow->status == 200);
  CHECK(waited >= std::chrono::milliseconds(300));

  auto limited = api->Get(sim.ApiPath("limits").c_str(), h);
  REQUIRE(limited);
  CHECK(limited->status == 403);
  CHECK(limited->body.find("REQUEST_LIMIT_EXCEEDED") != std::string::npos);
}

namespace {

// docs/custody-sim.md, `bad-csv`, written out again over a whole body in memory (the simulator
// scans from a restart point instead): the LF outside quotes ending the row nearest the middle.
std::optional<uint64_t> DocumentedBadCsvByte(const std::string& body) {
  const uint64_t middle = body.size() / 2;
  std::optional<uint64_t> before, after, final_lf;
  bool quoted = false;
  for (uint64_t i = 0; i < body.size(); ++i) {
    if (body[i] == '"') quoted = !quoted;
    if (body[i] != '\n' || quoted) continue;
    if (i + 1 == body.size()) {
      final_lf = i;
    } else if (i >= middle) {
      if (!after) after = i;
    } else {
      before = i;
    }
  }
  return after ? after : before ? before : final_lf;
}

// The CSV reader's verdict on a body: the error message, or "" if every row reads.
std::string CsvError(const std::string& body) {
  custody::normalize::CsvReader reader([](const custody::normalize::CsvRow&) { return custody::Status::Ok(); });
  custody::Status s = reader.Feed({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
  if (s.ok()) s = reader.Finish();
  return s.ok() ? "" : s.error().message();
}

// What the reader says about a lone CR at `at`.
std::string LoneCrError(uint64_t at) {
  return "CSV: a CR not followed by LF outside quotes at byte offset " + std::to_string(at);
}

struct ListedFile {
  std::string url;
  uint64_t length = 0;
};

// Every LogFile of the org, smallest first.
std::vector<ListedFile> ListBySize(SimProcess& sim) {
  auto r = sim.Instance()->Get(
      sim.ApiPath("query").c_str(),
      httplib::Params{{"q", "SELECT Id, LogFile, LogFileLength FROM EventLogFile ORDER BY LogFileLength ASC, Id ASC"}},
      sim.Auth());
  REQUIRE(r);
  REQUIRE(r->status == 200);
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  std::vector<ListedFile> out;
  for (const auto& rec : d["records"].GetArray()) {
    out.push_back({rec["LogFile"].GetString(), static_cast<uint64_t>(rec["LogFileLength"].GetDouble())});
  }
  return out;
}

// The EventLogFile rows the served ledger holds so far.
size_t LedgerLogFileRows(const std::filesystem::path& ledger) {
  const std::string text = custody::test::ReadFile(ledger);
  size_t n = 0;
  for (size_t at = text.find("{\"log\":\"EventLogFile:"); at != std::string::npos;
       at = text.find("{\"log\":\"EventLogFile:", at + 1)) {
    ++n;
  }
  return n;
}

// The one byte where `bad` differs from `good` (which must have the same size); nullopt if none
// or more than one differ.
std::optional<uint64_t> OnlyDifference(const std::string& good, const std::string& bad) {
  REQUIRE(good.size() == bad.size());
  std::optional<uint64_t> at;
  for (uint64_t i = 0; i < good.size(); ++i) {
    if (good[i] == bad[i]) continue;
    if (at) return std::nullopt;
    at = i;
  }
  return at;
}

}  // namespace

TEST_CASE("the bad-csv fault parses and fires on the listed calls only", "[sim][faults][bad-csv]") {
  std::string error;
  auto spec = custody::sim::ParseFault("bad-csv@2,5-6", &error);
  REQUIRE(spec);
  CHECK(spec->kind == custody::sim::FaultKind::kBadCsv);
  custody::sim::FaultPlan plan({*spec}, 7);
  std::vector<bool> fired;
  for (uint64_t call = 1; call <= 7; ++call) fired.push_back(plan.For(call).bad_csv);
  CHECK(fired == std::vector<bool>{false, true, false, false, true, true, false});
  CHECK_FALSE(custody::sim::ParseFault("bad-csv:3", &error));
  CHECK(error.find("takes no argument") != std::string::npos);
  CHECK_FALSE(custody::sim::ParseFault("bad-csvx", &error));
  CHECK(error.find("bad-csv") != std::string::npos);  // the list of kinds names it
}

TEST_CASE("bad-csv serves a LogFile whole with one row's line feed turned into a CR", "[sim][e2e][faults][bad-csv]") {
  // Two days of large files: the largest is generated in ranges on several threads (over 1 MiB,
  // server/logfile_body.h) and has restart points, the smallest in one buffer without any.
  custody::test::TempDir dir;
  const std::filesystem::path ledger = dir / "ledger.jsonl";
  // Call 1 (the listing query) is selected too: only LogFile downloads are affected.
  SimProcess sim({"--seed", "7", "--start", "2026-04-01T00:00:00Z", "--days", "2", "--now", "2026-04-10T00:00:00Z",
                  "--elf-bytes-per-day", "3000000", "--gzip", "never", "--served-ledger", ledger.string(),
                  "--fault", "bad-csv@1-3"});
  const std::vector<ListedFile> files = ListBySize(sim);  // call 1: a normal page
  REQUIRE(files.size() >= 2);
  const ListedFile& small = files.front();
  const ListedFile& large = files.back();
  REQUIRE(large.length > 1200 * 1024);
  auto api = sim.Instance();
  std::vector<std::string> bad;  // calls 2 and 3
  for (const ListedFile* f : {&small, &large}) {
    auto r = api->Get(f->url.c_str(), sim.Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Transfer-Encoding") == "chunked");
    bad.push_back(r->body);
  }
  // An altered body leaves no row in the served ledger, even the rows before the altered byte.
  CHECK(LedgerLogFileRows(ledger) == 0);
  std::vector<std::string> good;  // calls 4 and 5, not selected
  for (const ListedFile* f : {&small, &large}) {
    auto r = api->Get(f->url.c_str(), sim.Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    good.push_back(r->body);
  }
  CHECK(LedgerLogFileRows(ledger) > 0);
  for (size_t i = 0; i < 2; ++i) {
    const ListedFile& f = i == 0 ? small : large;
    INFO(f.url << " (" << f.length << " bytes)");
    // The declared length, and the intact body reads as CSV.
    CHECK(bad[i].size() == f.length);
    REQUIRE(good[i].size() == f.length);
    CHECK(CsvError(good[i]).empty());
    // One byte differs, the documented one: an LF outside quotes, now a CR.
    const std::optional<uint64_t> expected = DocumentedBadCsvByte(good[i]);
    REQUIRE(expected);
    CHECK(*expected + 1 < f.length);  // these files have rows after the middle one
    const std::optional<uint64_t> at = OnlyDifference(good[i], bad[i]);
    REQUIRE(at);
    CHECK(*at == *expected);
    CHECK(good[i][*at] == '\n');
    CHECK(bad[i][*at] == '\r');
    // The reader rejects it, at that byte.
    CHECK(CsvError(bad[i]) == LoneCrError(*at));
  }
}

TEST_CASE("bad-csv alters a gzipped LogFile before compressing it", "[sim][e2e][faults][bad-csv]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--gzip", "always", "--fault", "bad-csv@2"});
  SimProcess sim(args);
  const std::vector<ListedFile> files = ListBySize(sim);  // call 1
  REQUIRE_FALSE(files.empty());
  const ListedFile& f = files.back();
  httplib::Headers h = sim.Auth();
  h.emplace("Accept-Encoding", "gzip");
  auto api = sim.Instance();
  auto bad = api->Get(f.url.c_str(), h);  // call 2: altered
  REQUIRE(bad);
  REQUIRE(bad->status == 200);
  CHECK(bad->get_header_value("Content-Encoding") == "gzip");
  auto good = api->Get(f.url.c_str(), h);  // call 3: intact
  REQUIRE(good);
  REQUIRE(good->status == 200);
  CHECK(good->get_header_value("Content-Encoding") == "gzip");
  // httplib decoded both: the bytes before compression.
  CHECK(bad->body.size() == f.length);
  REQUIRE(good->body.size() == f.length);
  CHECK(CsvError(good->body).empty());
  const std::optional<uint64_t> at = OnlyDifference(good->body, bad->body);
  REQUIRE(at);
  CHECK(*at == DocumentedBadCsvByte(good->body).value_or(f.length));
  CHECK(bad->body[*at] == '\r');
  CHECK(CsvError(bad->body) == LoneCrError(*at));
}

TEST_CASE("bad-csv alters every LogFile of an org at the documented byte", "[sim][e2e][faults][bad-csv]") {
  // Every file of a week, each downloaded from an org without faults and from the same org with
  // bad-csv on every call: the small files put the middle in the header or the last row, and the
  // API files hold quoted line feeds (a SOQL query over two lines), which are not row ends.
  auto clean_args = DeterministicArgs();
  clean_args.insert(clean_args.end(), {"--gzip", "never"});
  SimProcess clean(clean_args);
  auto bad_args = clean_args;
  bad_args.insert(bad_args.end(), {"--fault", "bad-csv"});
  SimProcess bad(bad_args);
  const std::vector<ListedFile> files = ListBySize(bad);  // the listing is a query: unaffected
  REQUIRE(files.size() >= 50);
  REQUIRE(ListBySize(clean).size() == files.size());
  auto clean_api = clean.Instance();
  auto bad_api = bad.Instance();
  size_t quoted_lf_skipped = 0;  // files where an LF inside quotes comes first after the middle
  size_t before_middle = 0;      // files whose altered LF is before the middle
  for (const ListedFile& f : files) {
    INFO(f.url << " (" << f.length << " bytes)");
    auto good = clean_api->Get(f.url.c_str(), clean.Auth());
    auto broken = bad_api->Get(f.url.c_str(), bad.Auth());
    REQUIRE(good);
    REQUIRE(broken);
    REQUIRE(good->body.size() == f.length);
    CHECK(broken->body.size() == f.length);
    const std::optional<uint64_t> expected = DocumentedBadCsvByte(good->body);
    REQUIRE(expected);
    const std::optional<uint64_t> at = OnlyDifference(good->body, broken->body);
    REQUIRE(at);
    CHECK(*at == *expected);
    CHECK(broken->body[*at] == '\r');
    CHECK(CsvError(broken->body) == LoneCrError(*at));
    const size_t first_lf = good->body.find('\n', f.length / 2);
    if (first_lf != std::string::npos && first_lf < *at) ++quoted_lf_skipped;
    if (*at < f.length / 2) ++before_middle;
  }
  // The data has both cases in it, so the rules for them are checked above.
  CHECK(quoted_lf_skipped > 0);
  CHECK(before_middle > 0);
}
