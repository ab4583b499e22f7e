#include <catch2/catch.hpp>

#include "server/faults.h"

using custody::sim::FaultKind;
using custody::sim::FaultPlan;
using custody::sim::ParseFault;

TEST_CASE("fault specs parse kinds, call lists and probabilities", "[sim][faults]") {
  std::string error;
  auto f = ParseFault("503@2-3,7", &error);
  REQUIRE(f);
  CHECK(f->kind == FaultKind::kHttp503);
  FaultPlan plan({*f}, 1);
  CHECK(plan.For(1).http_status == 0);
  CHECK(plan.For(2).http_status == 503);
  CHECK(plan.For(3).http_status == 503);
  CHECK(plan.For(4).http_status == 0);
  CHECK(plan.For(7).http_status == 503);

  auto slow = ParseFault("slow:250ms@1", &error);
  REQUIRE(slow);
  CHECK(FaultPlan({*slow}, 1).For(1).slow_ms == 250);
  CHECK(FaultPlan({*slow}, 1).For(2).slow_ms == 0);
}

TEST_CASE("the limit fault holds from its call on, expire fires once per listed call", "[sim][faults]") {
  std::string error;
  FaultPlan limit({*ParseFault("limit@5", &error)}, 1);
  CHECK_FALSE(limit.For(4).limit);
  CHECK(limit.For(5).limit);
  CHECK(limit.For(500).limit);
  FaultPlan expire({*ParseFault("expire@5", &error)}, 1);
  CHECK(expire.For(5).expire);
  CHECK_FALSE(expire.For(6).expire);
}

TEST_CASE("probabilistic faults are seeded: same seed same calls, rate roughly as asked", "[sim][faults]") {
  std::string error;
  auto f = ParseFault("500%10", &error);
  REQUIRE(f);
  FaultPlan a({*f}, 42);
  FaultPlan b({*f}, 42);
  FaultPlan c({*f}, 43);
  int hits = 0;
  int differ = 0;
  for (uint64_t call = 1; call <= 10000; ++call) {
    CHECK(a.For(call).http_status == b.For(call).http_status);
    hits += a.For(call).http_status == 500 ? 1 : 0;
    differ += a.For(call).http_status != c.For(call).http_status ? 1 : 0;
  }
  CHECK(hits > 800);
  CHECK(hits < 1200);
  CHECK(differ > 0);
}

TEST_CASE("bad fault specs are refused with a message naming the problem", "[sim][faults]") {
  const char* bad[] = {"bogus", "503@0", "503@x", "503@5-2", "500%101", "slow@1", "slow:fast", "drop:3"};
  for (const char* spec : bad) {
    std::string error;
    INFO(spec);
    CHECK_FALSE(ParseFault(spec, &error));
    CHECK(error.find(std::string(spec).substr(0, 3)) != std::string::npos);
  }
}
