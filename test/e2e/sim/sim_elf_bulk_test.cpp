#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "support/sim_process.h"

using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {

rapidjson::Document Json(const httplib::Result& r, int status = 200) {
  REQUIRE(r);
  INFO(r->body.substr(0, 400));
  REQUIRE(r->status == status);
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

struct LogFileRow {
  std::string id;
  std::string url;
  uint64_t length = 0;
};

std::vector<LogFileRow> ListLogFiles(const SimProcess& sim) {
  auto d = Json(sim.Instance()->Get(
      sim.ApiPath("query").c_str(),
      httplib::Params{{"q", "SELECT Id, EventType, LogDate, LogFile, LogFileLength, CreatedDate FROM EventLogFile "
                            "ORDER BY CreatedDate ASC, Id ASC"}},
      sim.Auth()));
  std::vector<LogFileRow> rows;
  for (const auto& r : d["records"].GetArray()) {
    LogFileRow row;
    row.id = r["Id"].GetString();
    row.url = r["LogFile"].GetString();
    REQUIRE(r["LogFileLength"].IsNumber());
    row.length = static_cast<uint64_t>(r["LogFileLength"].GetDouble());
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("every LogFile streams exactly LogFileLength bytes as application/octetstream", "[sim][e2e][elf]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--gzip", "never"});
  SimProcess sim(args);
  const auto files = ListLogFiles(sim);
  REQUIRE(files.size() >= 7);
  auto api = sim.Instance();
  for (const LogFileRow& f : files) {
    INFO(f.url);
    CHECK(f.url == sim.ApiPath("sobjects/EventLogFile/" + f.id + "/LogFile"));
    auto r = api->Get(f.url.c_str(), sim.Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "application/octetstream");
    CHECK(r->get_header_value("Transfer-Encoding") == "chunked");
    CHECK(r->body.size() == f.length);
    CHECK(r->body.rfind("\"EVENT_TYPE\"", 0) == 0);
  }
  auto missing = api->Get(sim.ApiPath("sobjects/EventLogFile/0AT000000000000AAA/LogFile").c_str(), sim.Auth());
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

TEST_CASE("a gzipped LogFile decodes to the same bytes, a dropped download is detectably short", "[sim][e2e][elf]") {
  auto plain_args = DeterministicArgs();
  plain_args.insert(plain_args.end(), {"--gzip", "never"});
  SimProcess plain(plain_args);
  const auto files = ListLogFiles(plain);
  REQUIRE_FALSE(files.empty());
  const LogFileRow& f = files.back();
  auto expected = plain.Instance()->Get(f.url.c_str(), plain.Auth());
  REQUIRE(expected);

  auto gz_args = DeterministicArgs();
  gz_args.insert(gz_args.end(), {"--gzip", "always"});
  SimProcess gz(gz_args);
  httplib::Headers h = gz.Auth();
  h.emplace("Accept-Encoding", "gzip");
  auto zipped = gz.Instance()->Get(f.url.c_str(), h);
  REQUIRE(zipped);
  CHECK(zipped->get_header_value("Content-Encoding") == "gzip");
  CHECK(zipped->body == expected->body);

  // Call 1 is the download: the connection drops halfway. Call 2 gets the whole file.
  auto drop_args = DeterministicArgs();
  drop_args.insert(drop_args.end(), {"--gzip", "never", "--fault", "drop@1"});
  SimProcess drop(drop_args);
  std::string received;
  auto cut = drop.Instance()->Get(f.url.c_str(), drop.Auth(), [&](const char* data, size_t n) {
    received.append(data, n);
    return true;
  });
  CHECK((!cut || received.size() < f.length));
  CHECK(received.size() < f.length);
  auto again = drop.Instance()->Get(f.url.c_str(), drop.Auth());
  REQUIRE(again);
  CHECK(again->body == expected->body);
}

TEST_CASE("Bulk API 2.0: create, poll to JobComplete, fetch results by locator until null", "[sim][e2e][bulk]") {
  SimProcess sim(DeterministicArgs());
  auto api = sim.Instance();
  const std::string soql = "SELECT Id, ContactId, CreatedDate, Field, NewValue FROM ContactHistory";
  auto count = Json(api->Get(sim.ApiPath("queryAll").c_str(),
                             httplib::Params{{"q", "SELECT COUNT() FROM ContactHistory"}}, sim.Auth()));
  const uint64_t expected = count["totalSize"].GetUint64();
  REQUIRE(expected > 100);

  auto job = Json(api->Post(sim.ApiPath("jobs/query").c_str(), sim.Auth(),
                            R"({"operation":"queryAll","query":")" + soql + R"(","contentType":"CSV"})",
                            "application/json"));
  CHECK(std::string(job["state"].GetString()) == "UploadComplete");
  const std::string id = job["id"].GetString();
  const std::string results = sim.ApiPath("jobs/query/" + id + "/results");

  auto early = api->Get(results.c_str(), sim.Auth());
  REQUIRE(early);
  CHECK(early->status == 412);
  CHECK(early->body.find("JOB_NOT_COMPLETE") != std::string::npos);

  std::string state;
  for (int i = 0; i < 5 && state != "JobComplete"; ++i) {
    auto polled = Json(api->Get(sim.ApiPath("jobs/query/" + id).c_str(), sim.Auth()));
    state = polled["state"].GetString();
  }
  REQUIRE(state == "JobComplete");

  auto mismatch = api->Get(("/services/data/v61.0/jobs/query/" + id + "/results").c_str(), sim.Auth());
  REQUIRE(mismatch);
  CHECK(mismatch->status == 409);

  uint64_t rows = 0;
  std::string locator;
  int chunks = 0;
  while (true) {
    std::string path = results + "?maxRecords=" + std::to_string(expected / 3 + 1);
    if (!locator.empty()) path += "&locator=" + locator;
    auto r = api->Get(path.c_str(), sim.Auth());
    REQUIRE(r);
    REQUIRE(r->status == 200);
    CHECK(r->get_header_value("Content-Type").rfind("text/csv", 0) == 0);
    const uint64_t n = std::stoull(r->get_header_value("Sforce-NumberOfRecords"));
    CHECK(r->body.rfind("\"Id\",\"ContactId\",\"CreatedDate\",\"Field\",\"NewValue\"\n", 0) == 0);
    rows += n;
    ++chunks;
    locator = r->get_header_value("Sforce-Locator");
    if (locator == "null") break;
    REQUIRE(chunks < 10);
  }
  CHECK(rows == expected);
  CHECK(chunks == 3);

  auto bad = api->Post(sim.ApiPath("jobs/query").c_str(), sim.Auth(),
                       R"({"operation":"query","query":"SELECT Nope FROM ContactHistory"})", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(bad->body.find("INVALID_FIELD") != std::string::npos);
  auto event = api->Post(sim.ApiPath("jobs/query").c_str(), sim.Auth(),
                         R"({"operation":"query","query":"SELECT EventDate FROM LoginEvent"})", "application/json");
  REQUIRE(event);
  CHECK(event->status == 400);
  CHECK(event->body.find("not supported by the Bulk API") != std::string::npos);
  auto gone = api->Get(sim.ApiPath("jobs/query/750NOSUCHJOB000AAA").c_str(), sim.Auth());
  REQUIRE(gone);
  CHECK(gone->status == 404);
}
