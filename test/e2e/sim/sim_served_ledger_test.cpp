// custody-sim --served-ledger: the simulator's own record of every data row it served, checked
// against what the real binary sent over HTTP.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/sim_process.h"
#include "support/test_support.h"

using custody::test::DeterministicArgs;
using custody::test::SimProcess;
using custody::test::TempDir;

namespace {

struct Line {
  std::string log;
  std::string key;
  std::string time;
  bool operator==(const Line& o) const { return log == o.log && key == o.key && time == o.time; }
};

std::ostream& operator<<(std::ostream& os, const Line& l) {
  return os << "{" << l.log << ", " << l.key << ", " << l.time << "}";
}

// Every line of the ledger, each checked to be one JSON object of exactly log, key and time.
std::vector<Line> ReadLedger(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::vector<Line> out;
  std::string text;
  while (std::getline(in, text)) {
    INFO(text);
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    REQUIRE(d.MemberCount() == 3);
    REQUIRE(d.HasMember("log"));
    REQUIRE(d.HasMember("key"));
    REQUIRE(d.HasMember("time"));
    REQUIRE(d["log"].IsString());
    REQUIRE(d["key"].IsString());
    REQUIRE(d["time"].IsString());
    out.push_back({d["log"].GetString(), d["key"].GetString(), d["time"].GetString()});
  }
  return out;
}

std::vector<Line> Only(const std::vector<Line>& lines, const std::string& log) {
  std::vector<Line> out;
  for (const Line& l : lines) {
    if (l.log == log) out.push_back(l);
  }
  return out;
}

rapidjson::Document Json(const httplib::Result& r, int status = 200) {
  REQUIRE(r);
  INFO(r->body.substr(0, 400));
  REQUIRE(r->status == status);
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::vector<std::string> WithLedger(const std::filesystem::path& ledger, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = DeterministicArgs();
  args.insert(args.end(), {"--gzip", "never", "--served-ledger", ledger.string()});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// RFC 4180 rows: quoted fields with doubled quotes, commas and newlines; a last row may lack its LF.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
      any = true;
    } else if (c == '\n') {
      row.push_back(field);
      rows.push_back(row);
      row.clear();
      field.clear();
      any = false;
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (any) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

// The ledger lines a LogFile CSV should produce: REQUEST_ID, and TIMESTAMP_DERIVED or TIMESTAMP.
std::vector<Line> ExpectedElfLines(const std::string& event_type, const std::string& csv) {
  const auto rows = ParseCsv(csv);
  REQUIRE_FALSE(rows.empty());
  const std::vector<std::string>& header = rows.front();
  int request = -1, derived = -1, timestamp = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "REQUEST_ID") request = static_cast<int>(i);
    if (header[i] == "TIMESTAMP_DERIVED") derived = static_cast<int>(i);
    if (header[i] == "TIMESTAMP") timestamp = static_cast<int>(i);
  }
  REQUIRE(request >= 0);
  REQUIRE(timestamp >= 0);
  std::vector<Line> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    REQUIRE(row.size() == header.size());
    const std::string& d = derived >= 0 ? row[static_cast<size_t>(derived)] : std::string();
    out.push_back({"EventLogFile:" + event_type, row[static_cast<size_t>(request)],
                   d.empty() ? row[static_cast<size_t>(timestamp)] : d});
  }
  return out;
}

}  // namespace

TEST_CASE("served ledger: query rows are logged by Id with their time as served, also when the SELECT omits Id",
          "[sim][e2e][ledger]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger));
  CHECK(sim.Get("served_ledger") == ledger.string());
  auto api = sim.Instance();

  auto page = Json(api->Get(sim.ApiPath("query").c_str(),
                            httplib::Params{{"q", "SELECT Id, LoginTime FROM LoginHistory ORDER BY LoginTime ASC LIMIT 40"}},
                            sim.Auth()));
  std::vector<Line> expected;
  for (const auto& r : page["records"].GetArray()) {
    expected.push_back({"LoginHistory", r["Id"].GetString(), r["LoginTime"].GetString()});
  }
  REQUIRE(expected.size() == 40);
  CHECK(expected.front().time.find("+0000") != std::string::npos);  // the JSON form, as served
  CHECK(ReadLedger(ledger) == expected);  // readable as soon as the response is in

  // The same rows again, without Id in the SELECT list: the ledger still names them by Id.
  Json(api->Get(sim.ApiPath("query").c_str(),
                httplib::Params{{"q", "SELECT LoginTime, Status FROM LoginHistory ORDER BY LoginTime ASC LIMIT 40"}},
                sim.Auth()));
  std::vector<Line> twice = expected;
  twice.insert(twice.end(), expected.begin(), expected.end());
  CHECK(ReadLedger(ledger) == twice);

  // Field history and SetupAuditTrail: CreatedDate.
  auto history = Json(api->Get(
      sim.ApiPath("queryAll").c_str(),
      httplib::Params{{"q", "SELECT Id, CreatedDate FROM AccountHistory ORDER BY CreatedDate ASC LIMIT 25"}}, sim.Auth()));
  std::vector<Line> history_lines;
  for (const auto& r : history["records"].GetArray()) {
    history_lines.push_back({"AccountHistory", r["Id"].GetString(), r["CreatedDate"].GetString()});
  }
  REQUIRE_FALSE(history_lines.empty());
  CHECK(Only(ReadLedger(ledger), "AccountHistory") == history_lines);
}

TEST_CASE("served ledger: paging logs each page's rows once, every row of the result exactly once",
          "[sim][e2e][ledger]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger));
  auto api = sim.Instance();
  httplib::Headers h = sim.Auth();
  h.emplace("Sforce-Query-Options", "batchSize=200");
  auto page = Json(api->Get(sim.ApiPath("query").c_str(),
                            httplib::Params{{"q", "SELECT Id, CreatedDate FROM ContactHistory ORDER BY CreatedDate ASC"}},
                            h));
  const uint64_t total = page["totalSize"].GetUint64();
  REQUIRE(total > 200);
  std::vector<std::string> ids;
  for (;;) {
    for (const auto& r : page["records"].GetArray()) ids.emplace_back(r["Id"].GetString());
    if (page["done"].GetBool()) break;
    page = Json(api->Get(page["nextRecordsUrl"].GetString(), h));
  }
  const auto lines = ReadLedger(ledger);
  REQUIRE(lines.size() == total);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(lines[i].key == ids[i]);
}

TEST_CASE("served ledger: Real-Time Event Monitoring rows are logged by EventIdentifier, not their constant Id",
          "[sim][e2e][ledger]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger));
  auto api = sim.Instance();
  // EventIdentifier left out of the SELECT list: the ledger still has it.
  Json(api->Get(sim.ApiPath("query").c_str(),
                httplib::Params{{"q", "SELECT Id, EventDate, Username FROM LoginEvent ORDER BY EventDate DESC LIMIT 30"}},
                sim.Auth()));
  auto with_key = Json(api->Get(
      sim.ApiPath("query").c_str(),
      httplib::Params{{"q", "SELECT Id, EventIdentifier, EventDate FROM LoginEvent ORDER BY EventDate DESC LIMIT 30"}},
      sim.Auth()));
  std::vector<Line> expected;
  for (const auto& r : with_key["records"].GetArray()) {
    CHECK(std::string(r["Id"].GetString()) == "000000000000000AAA");
    expected.push_back({"LoginEvent", r["EventIdentifier"].GetString(), r["EventDate"].GetString()});
  }
  REQUIRE(expected.size() == 30);
  std::vector<Line> twice = expected;
  twice.insert(twice.end(), expected.begin(), expected.end());
  CHECK(ReadLedger(ledger) == twice);
}

TEST_CASE("served ledger: users, the EventLogFile listing, describe and COUNT() are not logged",
          "[sim][e2e][ledger]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger));
  auto api = sim.Instance();
  for (const char* soql : {"SELECT Id, Username FROM User", "SELECT Id, Name FROM Profile",
                           "SELECT Id, EventType, LogFile FROM EventLogFile", "SELECT COUNT() FROM LoginHistory"}) {
    INFO(soql);
    Json(api->Get(sim.ApiPath("query").c_str(), httplib::Params{{"q", soql}}, sim.Auth()));
  }
  Json(api->Get(sim.ApiPath("sobjects/LoginHistory/describe").c_str(), sim.Auth()));
  Json(api->Get(sim.ApiPath("sobjects").c_str(), sim.Auth()));
  CHECK(ReadLedger(ledger).empty());
}

TEST_CASE("served ledger: Bulk API 2.0 result rows are logged with the CSV's times", "[sim][e2e][ledger][bulk]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger));
  auto api = sim.Instance();
  auto job = Json(api->Post(sim.ApiPath("jobs/query").c_str(), sim.Auth(),
                            R"({"operation":"query","query":"SELECT CreatedDate, Field FROM CaseHistory"})",
                            "application/json"));
  const std::string id = job["id"].GetString();
  for (int i = 0; i < 2; ++i) Json(api->Get(sim.ApiPath("jobs/query/" + id).c_str(), sim.Auth()));
  CHECK(ReadLedger(ledger).empty());  // nothing served yet
  auto results = api->Get(sim.ApiPath("jobs/query/" + id + "/results?maxRecords=50").c_str(), sim.Auth());
  REQUIRE(results);
  REQUIRE(results->status == 200);
  const auto rows = ParseCsv(results->body);
  REQUIRE(rows.size() == 51);
  REQUIRE(rows[0][0] == "CreatedDate");
  const auto lines = ReadLedger(ledger);
  REQUIRE(lines.size() == 50);
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(lines[i].log == "CaseHistory");
    CHECK(lines[i].time == rows[i + 1][0]);  // the CSV form: ...Z
    CHECK(lines[i].key.rfind("017", 0) == 0);
  }
  // The keys are the rows' Ids: the same rows through REST (natural order, as the job has) show them.
  auto check = Json(api->Get(sim.ApiPath("query").c_str(),
                             httplib::Params{{"q", "SELECT Id, CreatedDate FROM CaseHistory LIMIT 50"}}, sim.Auth()));
  REQUIRE(check["records"].Size() == 50);
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& r = check["records"][static_cast<rapidjson::SizeType>(i)];
    CHECK(lines[i].key == r["Id"].GetString());
  }
}

TEST_CASE("served ledger: every EventLogFile download logs each CSV row by its REQUEST_ID", "[sim][e2e][ledger][elf]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger));
  auto api = sim.Instance();
  auto listing = Json(api->Get(
      sim.ApiPath("query").c_str(),
      httplib::Params{{"q", "SELECT Id, EventType, LogFile, LogFileLength FROM EventLogFile ORDER BY CreatedDate ASC, Id ASC"}},
      sim.Auth()));
  REQUIRE(listing["records"].Size() > 20);
  REQUIRE(listing["done"].GetBool());
  std::vector<Line> expected;
  bool big = false;
  bool without_final_newline = false;
  for (const auto& r : listing["records"].GetArray()) {
    const std::string type = r["EventType"].GetString();
    auto file = api->Get(r["LogFile"].GetString(), sim.Auth());
    REQUIRE(file);
    REQUIRE(file->status == 200);
    big = big || file->body.size() > 3 * 64 * 1024;  // several stream chunks
    without_final_newline = without_final_newline || (!file->body.empty() && file->body.back() != '\n');
    const auto lines = ExpectedElfLines(type, file->body);
    expected.insert(expected.end(), lines.begin(), lines.end());
  }
  CHECK(big);
  CHECK(without_final_newline);
  const auto lines = ReadLedger(ledger);
  REQUIRE(lines.size() == expected.size());
  CHECK(lines == expected);
}

TEST_CASE("served ledger: a gzipped LogFile is logged like a plain one, a dropped one not at all",
          "[sim][e2e][ledger][elf]") {
  TempDir dir;
  const auto plain_ledger = dir / "plain.jsonl";
  SimProcess plain(WithLedger(plain_ledger));
  auto listing = Json(plain.Instance()->Get(
      plain.ApiPath("query").c_str(),
      httplib::Params{{"q", "SELECT Id, LogFile FROM EventLogFile WHERE EventType = 'ApiTotalUsage' ORDER BY CreatedDate ASC"}},
      plain.Auth()));
  REQUIRE(listing["records"].Size() > 0);
  const std::string url = listing["records"][0]["LogFile"].GetString();
  REQUIRE(plain.Instance()->Get(url.c_str(), plain.Auth()));
  const auto plain_lines = ReadLedger(plain_ledger);
  REQUIRE_FALSE(plain_lines.empty());

  const auto gz_ledger = dir / "gzip.jsonl";
  auto gz_args = DeterministicArgs();
  gz_args.insert(gz_args.end(), {"--gzip", "always", "--served-ledger", gz_ledger.string()});
  SimProcess gz(gz_args);
  httplib::Headers h = gz.Auth();
  h.emplace("Accept-Encoding", "gzip");
  auto zipped = gz.Instance()->Get(url.c_str(), h);
  REQUIRE(zipped);
  CHECK(zipped->get_header_value("Content-Encoding") == "gzip");
  CHECK(ReadLedger(gz_ledger) == plain_lines);

  // Call 1 (the download) is cut halfway: nothing logged. Call 2 gets the whole file.
  const auto drop_ledger = dir / "drop.jsonl";
  SimProcess drop(WithLedger(drop_ledger, {"--fault", "drop@1"}));
  std::string received;
  drop.Instance()->Get(url.c_str(), drop.Auth(), [&](const char* data, size_t n) {
    received.append(data, n);
    return true;
  });
  CHECK(ReadLedger(drop_ledger).empty());
  REQUIRE(drop.Instance()->Get(url.c_str(), drop.Auth()));
  CHECK(ReadLedger(drop_ledger) == plain_lines);
}

TEST_CASE("served ledger: a query page a truncate fault cuts short is not logged", "[sim][e2e][ledger]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger, {"--fault", "truncate@1"}));
  auto api = sim.Instance();
  const httplib::Params q{{"q", "SELECT Id, LoginTime FROM LoginHistory ORDER BY LoginTime ASC LIMIT 10"}};
  auto cut = api->Get(sim.ApiPath("query").c_str(), q, sim.Auth());
  REQUIRE(cut);
  CHECK(ReadLedger(ledger).empty());
  auto whole = Json(api->Get(sim.ApiPath("query").c_str(), q, sim.Auth()));
  CHECK(ReadLedger(ledger).size() == whole["records"].Size());
}

TEST_CASE("served ledger: FHIR search pages, reads and $export files log AuditEvents by id and recorded",
          "[sim][e2e][ledger][fhir]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger, {"--fhir", "--fhir-events", "40", "--fhir-export", "--fhir-export-polls", "0",
                                     "--fhir-export-retry-after", "0"}));
  const rapidjson::Value& fhir = sim.startup()["fhir"];
  REQUIRE(fhir.IsObject());
  const std::string base = fhir["base_url"].GetString();
  httplib::Client client(base.substr(0, base.find("/fhir")));
  const httplib::Headers auth{{"Authorization", std::string("Bearer ") + fhir["access_token"].GetString()}};

  auto page = Json(client.Get("/fhir/AuditEvent?_count=15", auth));
  std::vector<Line> expected;
  for (const auto& e : page["entry"].GetArray()) {
    expected.push_back({"fhir:AuditEvent", e["resource"]["id"].GetString(), e["resource"]["recorded"].GetString()});
  }
  REQUIRE(expected.size() == 15);
  CHECK(ReadLedger(ledger) == expected);

  auto read = Json(client.Get(("/fhir/AuditEvent/" + expected[3].key).c_str(), auth));
  expected.push_back({"fhir:AuditEvent", read["id"].GetString(), read["recorded"].GetString()});
  CHECK(ReadLedger(ledger) == expected);

  httplib::Headers async = auth;
  async.emplace("Prefer", "respond-async");
  auto kickoff = client.Get("/fhir/$export?_type=AuditEvent", async);
  REQUIRE(kickoff);
  REQUIRE(kickoff->status == 202);
  const std::string status_url = kickoff->get_header_value("Content-Location");
  auto manifest = Json(client.Get(status_url.substr(status_url.find("/fhir")).c_str(), auth));
  CHECK(ReadLedger(ledger) == expected);  // the kickoff and the manifest serve no events
  size_t exported = 0;
  for (const auto& out : manifest["output"].GetArray()) {
    const std::string url = out["url"].GetString();
    auto file = client.Get(url.substr(url.find("/fhir")).c_str(), auth);
    REQUIRE(file);
    REQUIRE(file->status == 200);
    std::istringstream lines(file->body);
    std::string text;
    while (std::getline(lines, text)) {
      rapidjson::Document d;
      d.Parse(text.c_str());
      REQUIRE_FALSE(d.HasParseError());
      expected.push_back({"fhir:AuditEvent", d["id"].GetString(), d["recorded"].GetString()});
      ++exported;
    }
  }
  CHECK(exported == 40);
  CHECK(ReadLedger(ledger) == expected);
}

TEST_CASE("served ledger: Mirth event lists, event reads and message metadata are logged", "[sim][e2e][ledger][mirth]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  SimProcess sim(WithLedger(ledger, {"--mirth", "--mirth-events", "60", "--mirth-channels", "2", "--mirth-messages", "8"}));
  const rapidjson::Value& mirth = sim.startup()["mirth"];
  REQUIRE(mirth.IsObject());
  const std::string base = mirth["base_url"].GetString();
  httplib::Client client(base.substr(0, base.find("/api")));
  client.set_basic_auth(mirth["username"].GetString(), mirth["password"].GetString());
  client.set_default_headers({{"X-Requested-With", "custody-test"}});

  auto list = Json(client.Get("/api/events?limit=20", {{"Accept", "application/json"}}));
  std::vector<Line> expected;
  for (const auto& e : list["list"]["event"].GetArray()) {
    expected.push_back({"mirth:event", std::to_string(e["id"].GetInt64()), std::to_string(e["eventTime"]["time"].GetInt64())});
  }
  REQUIRE(expected.size() == 20);
  CHECK(ReadLedger(ledger) == expected);

  auto one = Json(client.Get(("/api/events/" + expected[5].key).c_str(), {{"Accept", "application/json"}}));
  expected.push_back({"mirth:event", std::to_string(one["event"]["id"].GetInt64()),
                      std::to_string(one["event"]["eventTime"]["time"].GetInt64())});
  CHECK(ReadLedger(ledger) == expected);

  const std::string channel = mirth["channels"][0]["id"].GetString();
  auto messages = client.Get(("/api/channels/" + channel + "/messages?limit=5").c_str(), {{"Accept", "application/xml"}});
  REQUIRE(messages);
  REQUIRE(messages->status == 200);
  const std::regex message_re(
      "<message>\\s*<serverId>[^<]*</serverId>\\s*<channelId>([^<]*)</channelId>\\s*<messageId>([0-9]+)</messageId>"
      "\\s*<receivedDate>\\s*<time>([0-9]+)</time>");
  size_t found = 0;
  for (std::sregex_iterator it(messages->body.begin(), messages->body.end(), message_re), end; it != end; ++it) {
    expected.push_back({"mirth:message", (*it)[1].str() + "/" + (*it)[2].str(), (*it)[3].str()});
    ++found;
  }
  CHECK(found == 5);
  auto content = client.Get(("/api/channels/" + channel + "/messages/3").c_str(), {{"Accept", "application/xml"}});
  REQUIRE(content);
  REQUIRE(content->status == 200);
  std::smatch m;
  REQUIRE(std::regex_search(content->body, m, message_re));
  expected.push_back({"mirth:message", m[1].str() + "/" + m[2].str(), m[3].str()});
  CHECK(ReadLedger(ledger) == expected);
}

TEST_CASE("served ledger: without the flag nothing is written, with it the file starts empty",
          "[sim][e2e][ledger]") {
  TempDir dir;
  const auto ledger = dir / "ledger.jsonl";
  {
    std::ofstream old(ledger, std::ios::binary);
    old << "{\"log\":\"left over\",\"key\":\"x\",\"time\":\"y\"}\n";
  }
  {
    SimProcess off(DeterministicArgs());
    CHECK(off.startup()["served_ledger"].IsNull());
    auto r = off.Instance()->Get(off.ApiPath("query").c_str(),
                                 httplib::Params{{"q", "SELECT Id FROM LoginHistory LIMIT 5"}}, off.Auth());
    REQUIRE(r);
    CHECK(r->status == 200);
    for (const auto& entry : std::filesystem::directory_iterator(off.dir())) {
      CHECK(entry.path().filename().string().find("ledger") == std::string::npos);
    }
  }
  // Only the flag's own file is ever written, and it is truncated at start.
  CHECK(ReadLedger(ledger).size() == 1);
  SimProcess on(WithLedger(ledger));
  CHECK(std::filesystem::file_size(ledger) == 0);
}

TEST_CASE("served ledger: a file that cannot be created is a usage error", "[sim][e2e][ledger]") {
  TempDir dir;
  const auto run = custody::test::RunSimToExit({"--served-ledger", (dir / "no-such-folder" / "ledger.jsonl").string()});
  CHECK(run.code == 2);
  CHECK(run.err.find("--served-ledger") != std::string::npos);
  CHECK(run.out.empty());
}
