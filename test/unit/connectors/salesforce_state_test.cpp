// The state the Salesforce workers share: the API budget read from Sforce-Limit-Info, the stop it
// causes, and (through SourceState, as for every source) the clock evidence of Date headers.

#include <catch2/catch.hpp>

#include <string>

#include "connectors/salesforce/client.h"

namespace custody::connectors::salesforce {
namespace {

// 2026-04-01T12:00:00Z in Unix milliseconds.
constexpr std::int64_t kNoon = 1775044800000;

TEST_CASE("salesforce state: api-usage is read from Sforce-Limit-Info", "[salesforce][budget]") {
  SharedState s(0.10);
  CHECK(s.budget().used == -1);
  s.ObserveLimitInfo("api-usage=25/15000");
  CHECK(s.budget().first_used == 25);
  CHECK(s.budget().used == 25);
  CHECK(s.budget().max == 15000);
  // The connected app's own limit, before or after the org's, is not the org's budget.
  s.ObserveLimitInfo("api-usage=30/15000; per-app-api-usage=17/250(appName=sample-connected-app)");
  CHECK(s.budget().used == 30);
  CHECK(s.budget().max == 15000);
  s.ObserveLimitInfo("per-app-api-usage=240/250(appName=x); api-usage=40/15000");
  CHECK(s.budget().used == 40);
  CHECK(s.budget().max == 15000);
  // Responses that arrive out of order: the highest count stays.
  s.ObserveLimitInfo("api-usage=31/15000");
  CHECK(s.budget().used == 40);
  CHECK(s.budget().first_used == 25);
  // Values that are not "<digits>/<digits>" change nothing.
  for (const char* bad : {"api-usage=", "api-usage=x/15000", "api-usage=50", "api-usage=50/", "quota=50/100",
                          "per-app-api-usage=50/100(appName=x)", ""}) {
    s.ObserveLimitInfo(bad);
    CHECK(s.budget().used == 40);
    CHECK(s.budget().max == 15000);
  }
}

TEST_CASE("salesforce state: the budget stops the collection at the reserve", "[salesforce][budget]") {
  SharedState s(0.10);
  CHECK_FALSE(s.BudgetExhausted());  // nothing seen yet: no budget to judge
  s.ObserveLimitInfo("api-usage=8999/10000");
  CHECK_FALSE(s.BudgetExhausted());  // 1001 left, over the reserve of 1000
  CHECK(s.stop() == SourceStop::kNone);
  s.ObserveLimitInfo("api-usage=9000/10000");
  CHECK(s.BudgetExhausted());  // 1000 left: at the reserve
  CHECK(s.stop() == SourceStop::kApiBudget);
  CHECK(s.stop_detail() ==
        "stopped before the daily API budget fell under the reserve: api-usage 9000/10000, reserve 10 %");
  // A later check keeps the first detail.
  s.ObserveLimitInfo("api-usage=9500/10000");
  CHECK(s.BudgetExhausted());
  CHECK(s.stop_detail().find("9000/10000") != std::string::npos);
}

TEST_CASE("salesforce state: the budget outranks a failure, not an auth stop or an interrupt", "[salesforce][budget]") {
  SharedState failed(0.5);
  failed.Stop(SourceStop::kFailed, "a page failed");
  failed.ObserveLimitInfo("api-usage=60/100");
  CHECK(failed.BudgetExhausted());
  CHECK(failed.stop() == SourceStop::kApiBudget);

  SharedState auth(0.5);
  auth.Stop(SourceStop::kAuth, "the refresh token was revoked");
  auth.ObserveLimitInfo("api-usage=60/100");
  CHECK(auth.BudgetExhausted());  // still true: no more calls either way
  CHECK(auth.stop() == SourceStop::kAuth);
  CHECK(auth.stop_detail() == "the refresh token was revoked");

  SharedState interrupted(0.5);
  interrupted.Stop(SourceStop::kInterrupted, "interrupted by a signal");
  interrupted.ObserveLimitInfo("api-usage=60/100");
  CHECK(interrupted.BudgetExhausted());
  CHECK(interrupted.stop() == SourceStop::kInterrupted);
}

TEST_CASE("salesforce state: Date headers in every HTTP-date form are clock evidence", "[salesforce][clock]") {
  SharedState s(0.10);
  s.ObserveDate("Wed, 01 Apr 2026 12:00:03 GMT", kNoon);
  s.ObserveDate("Wednesday, 01-Apr-26 11:59:58 GMT", kNoon);  // RFC 850, obsolete but allowed
  s.ObserveDate("Wed Apr  1 12:00:01 2026", kNoon);           // asctime
  s.ObserveDate("2026-04-01T12:00:00Z", kNoon);               // not an HTTP-date: not a sample
  s.ObserveDate("", kNoon);
  ClockEvidence c = s.clock();
  CHECK(c.samples == 3);
  CHECK(c.max_skew_ms == 3000);
  CHECK(c.min_skew_ms == -2000);
  CHECK(c.first_date == "Wed, 01 Apr 2026 12:00:03 GMT");
  CHECK(c.first_local == "2026-04-01T12:00:00Z");
}

}  // namespace
}  // namespace custody::connectors::salesforce
