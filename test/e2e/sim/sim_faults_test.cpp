#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <chrono>

#include "support/sim_process.h"

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
