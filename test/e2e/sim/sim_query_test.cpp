#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "support/sim_process.h"

using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {

rapidjson::Document Json(const httplib::Result& r) {
  REQUIRE(r);
  INFO(r->body.substr(0, 400));
  REQUIRE(r->status == 200);
  rapidjson::Document d;
  d.Parse(r->body.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

struct Sweep {
  uint64_t total = 0;
  std::vector<std::string> ids;
  std::vector<size_t> page_sizes;
  std::vector<std::string> next_urls;
};

// Follows nextRecordsUrl verbatim to the end, as a collector must.
Sweep SweepQuery(const SimProcess& sim, const std::string& endpoint, const std::string& soql, int batch) {
  auto api = sim.Instance();
  httplib::Headers h = sim.Auth();
  if (batch > 0) h.emplace("Sforce-Query-Options", "batchSize=" + std::to_string(batch));
  Sweep s;
  auto d = Json(api->Get(sim.ApiPath(endpoint).c_str(), httplib::Params{{"q", soql}}, h));
  s.total = d["totalSize"].GetUint64();
  while (true) {
    CHECK(d["totalSize"].GetUint64() == s.total);
    s.page_sizes.push_back(d["records"].Size());
    for (const auto& rec : d["records"].GetArray()) s.ids.push_back(rec["Id"].GetString());
    if (d["done"].GetBool()) {
      CHECK_FALSE(d.HasMember("nextRecordsUrl"));
      break;
    }
    const std::string next = d["nextRecordsUrl"].GetString();
    s.next_urls.push_back(next);
    d = Json(api->Get(next.c_str(), h));
  }
  return s;
}

}  // namespace

TEST_CASE("paging follows nextRecordsUrl to every row exactly once with a constant totalSize", "[sim][e2e][query]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--history-rows", "30000"});
  SimProcess sim(args);
  const std::string soql = "SELECT Id, ContactId, CreatedDate, Field, OldValue, NewValue FROM ContactHistory "
                           "ORDER BY CreatedDate ASC, Id ASC";
  const Sweep s = SweepQuery(sim, "query", soql, 500);
  REQUIRE(s.total > 1000);
  CHECK(s.ids.size() == s.total);
  CHECK(std::set<std::string>(s.ids.begin(), s.ids.end()).size() == s.ids.size());
  for (size_t i = 0; i + 1 < s.page_sizes.size(); ++i) CHECK(s.page_sizes[i] == 500);
  const std::regex locator(R"(/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-[0-9]+)");
  for (const std::string& url : s.next_urls) CHECK(std::regex_match(url, locator));

  // batchSize is clamped to 200..2000.
  CHECK(SweepQuery(sim, "query", soql + " LIMIT 1000", 50).page_sizes.front() == 200);
  CHECK(SweepQuery(sim, "query", soql + " LIMIT 5000", 9000).page_sizes.front() == 2000);
  CHECK(SweepQuery(sim, "query", soql + " LIMIT 5000", 0).page_sizes.front() == 2000);
}

TEST_CASE("queryAll adds deleted history rows, its locators also answer under /queryAll/", "[sim][e2e][query]") {
  SimProcess sim(DeterministicArgs());
  const std::string soql = "SELECT Id, IsDeleted FROM AccountHistory";
  const Sweep live = SweepQuery(sim, "query", soql, 200);
  const Sweep all = SweepQuery(sim, "queryAll", soql, 200);
  CHECK(all.total > live.total);
  REQUIRE_FALSE(all.next_urls.empty());
  std::string alt = all.next_urls.front();
  alt.replace(alt.find("/query/"), 7, "/queryAll/");
  auto r = sim.Instance()->Get(alt.c_str(), sim.Auth());
  REQUIRE(r);
  CHECK(r->status == 200);
}

TEST_CASE("locators expire and unknown locators are refused with INVALID_QUERY_LOCATOR", "[sim][e2e][query]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--locator-ttl", "1"});
  SimProcess sim(args);
  auto api = sim.Instance();
  httplib::Headers h = sim.Auth();
  h.emplace("Sforce-Query-Options", "batchSize=200");
  auto d = Json(api->Get(sim.ApiPath("query").c_str(), httplib::Params{{"q", "SELECT Id FROM AccountHistory"}}, h));
  REQUIRE_FALSE(d["done"].GetBool());
  const std::string next = d["nextRecordsUrl"].GetString();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  const std::string invalid = R"([{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}])";
  auto expired = api->Get(next.c_str(), h);
  REQUIRE(expired);
  CHECK(expired->status == 400);
  CHECK(expired->body == invalid);
  auto bogus = api->Get(sim.ApiPath("query/01gNOTALOCATOR0000-200").c_str(), h);
  REQUIRE(bogus);
  CHECK(bogus->status == 400);
  CHECK(bogus->body == invalid);
}

TEST_CASE("query errors come back as Salesforce's JSON arrays", "[sim][e2e][query]") {
  auto args = DeterministicArgs();
  args.push_back("--no-shield");
  SimProcess sim(args);
  auto api = sim.Instance();
  auto run = [&](const std::string& soql) {
    auto r = api->Get(sim.ApiPath("query").c_str(), httplib::Params{{"q", soql}}, sim.Auth());
    REQUIRE(r);
    return r;
  };
  auto code = [](const httplib::Result& r) {
    rapidjson::Document d;
    d.Parse(r->body.c_str());
    REQUIRE(d.IsArray());
    return std::string(d[0]["errorCode"].GetString());
  };
  auto no_shield = run("SELECT EventDate FROM LoginEvent");
  CHECK(no_shield->status == 400);
  CHECK(code(no_shield) == "INVALID_TYPE");
  auto interval = run("SELECT Id, EventType, Interval FROM EventLogFile");
  CHECK(interval->status == 400);
  CHECK(code(interval) == "INVALID_FIELD");
  CHECK(interval->body.find("No such column 'Interval' on entity 'EventLogFile'") != std::string::npos);
  auto malformed = run("SELEKT Id FROM Account");
  CHECK(malformed->status == 400);
  CHECK(code(malformed) == "MALFORMED_QUERY");
  // An unencoded '+' in a datetime literal arrives as a space; a correctly encoded %2B works.
  api->set_url_encode(false);
  auto encoded = api->Get((sim.ApiPath("query") + "?q=SELECT+Id+FROM+AccountHistory+WHERE+CreatedDate+>+"
                                                  "2026-04-01T00:00:00%2B02:00").c_str(),
                          sim.Auth());
  REQUIRE(encoded);
  CHECK(encoded->status == 200);
  auto plus = api->Get((sim.ApiPath("query") + "?q=SELECT+Id+FROM+AccountHistory+WHERE+CreatedDate+>+"
                                               "2026-04-01T00:00:00+02:00").c_str(),
                       sim.Auth());
  REQUIRE(plus);
  CHECK(plus->status == 400);
  CHECK(code(plus) == "MALFORMED_QUERY");
  CHECK(plus->body.find("no viable alternative at character ' '") != std::string::npos);
  api->set_url_encode(true);
  auto missing = api->Get(sim.ApiPath("query").c_str(), sim.Auth());
  REQUIRE(missing);
  CHECK(missing->status == 400);

  auto described = Json(api->Get(sim.ApiPath("sobjects").c_str(), sim.Auth()));
  std::set<std::string> names;
  for (const auto& o : described["sobjects"].GetArray()) names.insert(o["name"].GetString());
  CHECK(names.count("AccountHistory") == 1);
  CHECK(names.count("Patient__History") == 1);
  CHECK(names.count("EventLogFile") == 1);
  CHECK(names.count("LoginEvent") == 0);
  auto unknown = api->Get(sim.ApiPath("sobjects/NoSuchObject__c/describe").c_str(), sim.Auth());
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

TEST_CASE("describe lists fields with types, filterability and relationships", "[sim][e2e][query]") {
  SimProcess sim(DeterministicArgs());
  auto d = Json(sim.Instance()->Get(sim.ApiPath("sobjects/Patient__History/describe").c_str(), sim.Auth()));
  CHECK(std::string(d["name"].GetString()) == "Patient__History");
  bool parent = false;
  for (const auto& f : d["fields"].GetArray()) {
    if (std::string(f["name"].GetString()) == "ParentId") {
      parent = true;
      CHECK(std::string(f["relationshipName"].GetString()) == "Parent");
      CHECK(std::string(f["referenceTo"][0].GetString()) == "Patient__c");
    }
  }
  CHECK(parent);
  auto lh = Json(sim.Instance()->Get(sim.ApiPath("sobjects/LoginHistory/describe").c_str(), sim.Auth()));
  for (const auto& f : lh["fields"].GetArray()) {
    if (std::string(f["name"].GetString()) == "Status") CHECK_FALSE(f["filterable"].GetBool());
    if (std::string(f["name"].GetString()) == "LoginTime") CHECK(f["filterable"].GetBool());
  }
}

TEST_CASE("a record can be retrieved by id", "[sim][e2e][query]") {
  SimProcess sim(DeterministicArgs());
  auto api = sim.Instance();
  auto page = Json(api->Get(sim.ApiPath("query").c_str(), httplib::Params{{"q", "SELECT Id FROM Patient__c LIMIT 1"}},
                            sim.Auth()));
  const std::string id = page["records"][0]["Id"].GetString();
  auto rec = Json(api->Get(sim.ApiPath("sobjects/Patient__c/" + id).c_str(), sim.Auth()));
  CHECK(std::string(rec["Id"].GetString()) == id);
  CHECK(std::string(rec["attributes"]["type"].GetString()) == "Patient__c");
}
