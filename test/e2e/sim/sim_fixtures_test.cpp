#include <catch2/catch.hpp>

#include <filesystem>

#include "support/sim_process.h"
#include "support/test_support.h"

using custody::test::ReadFile;
using custody::test::SimProcess;

namespace {
const std::filesystem::path kReal = std::filesystem::path(CUSTODY_FIXTURES_DIR) / "salesforce" / "real";
}

TEST_CASE("fixtures mode serves the real public samples byte for byte", "[sim][e2e][fixtures]") {
  REQUIRE(std::filesystem::exists(kReal / "PROVENANCE.md"));
  SimProcess sim({"--fixtures", kReal.string(), "--gzip", "never"});
  CHECK(sim.startup()["fixtures_mode"].GetBool());
  auto api = sim.Instance();
  api->set_url_encode(false);  // the paths below are already encoded, '+' for spaces as clients send
  auto token = api->Post("/services/oauth2/token", httplib::Params{{"grant_type", "password"}});
  REQUIRE(token);
  CHECK(token->body == ReadFile(kReal / "simple-salesforce-token-response.json"));

  struct Case {
    std::string path;
    std::string file;
    int status;
  };
  const std::string v58 = "/services/data/v58.0/";
  const std::string v56 = "/services/data/v56.0/";
  const std::vector<Case> cases = {
      {v58 + "query?q=SELECT+Id+FROM+EventLogFile", "beats-eventlogfile-login-query-response.json", 200},
      {v56 + "query?q=SELECT+Id+FROM+EventLogFile", "elastic-mock-eventlogfile-login-query-response.json", 200},
      {v58 + "sobjects/EventLogFile/0AT5j00002LqQTxGAN/LogFile", "beats-eventlogfile-login-logfile-2rows.csv", 200},
      {v56 + "sobjects/EventLogFile/0AT5j00002GVrfnGAD/LogFile", "elastic-mock-eventlogfile-login-logfile.csv", 200},
      {v56 + "sobjects/EventLogFile/0AT5j00002GWEsRGAX/LogFile", "elastic-mock-eventlogfile-logout-logfile.csv", 200},
      {v58 + "query?q=SELECT+FIELDS(STANDARD)+FROM+LoginEvent", "beats-loginevent-query-response.json", 200},
      {v56 + "query?q=SELECT+FIELDS(STANDARD)+FROM+LoginEvent", "elastic-mock-loginevent-query-response.json", 200},
      {v58 + "query?q=SELECT+FIELDS(STANDARD)+FROM+LogoutEvent", "elastic-mock-logoutevent-query-response.json", 200},
      {v58 + "query?q=SELECT+Id+FROM+SetupAuditTrail", "elastic-mock-empty-query-response.json", 200},
      {v58 + "query?q=SELECT+Id+FROM+QueryTimeout", "elastic-mock-error-query-timeout.json", 500},
      {v58 + "limits", "simple-salesforce-limits-response.json", 200},
      {"/__fixtures/elastic-pipeline-setupaudittrail-rows.ndjson", "elastic-pipeline-setupaudittrail-rows.ndjson", 200},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    auto r = api->Get(c.path.c_str(), {{"Authorization", "Bearer anything"}});
    REQUIRE(r);
    CHECK(r->status == c.status);
    CHECK(r->body == ReadFile(kReal / c.file));
  }
  auto create = api->Post((v58 + "jobs/query").c_str(), {{"Authorization", "Bearer x"}}, "{}", "application/json");
  REQUIRE(create);
  CHECK(create->body == ReadFile(kReal / "simple-salesforce-bulk2-query-job-create-response.json"));
  CHECK(api->Get((v58 + "jobs/query/Job-1").c_str(), {{"Authorization", "Bearer x"}})->body ==
        ReadFile(kReal / "simple-salesforce-bulk2-query-job-inprogress.json"));
  CHECK(api->Get((v58 + "jobs/query/Job-1").c_str(), {{"Authorization", "Bearer x"}})->body ==
        ReadFile(kReal / "simple-salesforce-bulk2-query-job-complete.json"));
  auto results = api->Get((v58 + "jobs/query/Job-1/results").c_str(), {{"Authorization", "Bearer x"}});
  REQUIRE(results);
  CHECK(results->body == ReadFile(kReal / "simple-salesforce-bulk2-query-results.csv"));
  CHECK(results->get_header_value("Sforce-Locator") == "null");
}
