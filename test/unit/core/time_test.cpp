// core/time: RFC 3339 parsing and formatting in UTC, and the sealing time (SOURCE_DATE_EPOCH).

#include "core/time.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "fakes/fixed_clock.h"
#include "fakes/scoped_env.h"

using namespace custody;
using custody::test::FixedClock;
using custody::test::ScopedEnv;

namespace {
UtcSeconds At(long long seconds) { return UtcSeconds{std::chrono::seconds{seconds}}; }
}  // namespace

TEST_CASE("RFC 3339 times with Z, offsets and fractions parse to UTC", "[core]") {
  auto [text, utc] = GENERATE(table<std::string, std::string>({
      {"2026-11-23T11:37:13Z", "2026-11-23T11:37:13Z"},
      {"2026-11-23t11:37:13z", "2026-11-23T11:37:13Z"},
      {"2026-11-23T11:37:13+00:00", "2026-11-23T11:37:13Z"},
      {"2026-11-23T11:37:13-00:00", "2026-11-23T11:37:13Z"},
      {"2026-11-23T13:37:13+02:00", "2026-11-23T11:37:13Z"},
      {"2026-11-23T10:07:13-01:30", "2026-11-23T11:37:13Z"},
      {"2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00Z"},
      {"2025-12-31T23:30:00-23:59", "2026-01-01T23:29:00Z"},
      {"2026-11-23T11:37:13.999999Z", "2026-11-23T11:37:13Z"},  // the fraction is dropped, not rounded
      {"2026-11-23T11:37:13.5+01:00", "2026-11-23T10:37:13Z"},
      {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
      {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"},
      {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
  }));
  CAPTURE(text);
  Result<UtcSeconds> t = ParseRfc3339(text);
  REQUIRE(t);
  CHECK(FormatRfc3339(*t) == utc);
}

TEST_CASE("a time without a zone is a parse error, never a guess", "[core]") {
  std::string text = GENERATE(as<std::string>{}, "2026-11-23T11:37:13", "2026-11-23T11:37:13.250");
  Result<UtcSeconds> t = ParseRfc3339(text);
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == ErrorCode::kParse);
  CHECK(t.error().message().find("no time zone") != std::string::npos);
  CHECK(t.error().message().find(text) != std::string::npos);
}

TEST_CASE("malformed and out-of-range RFC 3339 times are refused", "[core]") {
  std::string text = GENERATE(as<std::string>{},
                              "",                              // empty
                              "2026-11-23",                    // a date alone
                              "2026-11-23 11:37:13Z",          // space instead of T
                              "2026-1-23T11:37:13Z",           // one-digit month
                              "+026-11-23T11:37:13Z",          // sign in a digit field
                              "2026-13-01T00:00:00Z",          // month 13
                              "2026-00-01T00:00:00Z",          // month 0
                              "2026-11-31T00:00:00Z",          // 31 November
                              "2026-11-00T00:00:00Z",          // day 0
                              "2025-02-29T00:00:00Z",          // not a leap year
                              "2026-11-23T24:00:00Z",          // hour 24
                              "2026-11-23T11:60:00Z",          // minute 60
                              "2026-11-23T11:37:61Z",          // second 61
                              "2026-11-23T11:37:13+24:00",     // offset hour 24
                              "2026-11-23T11:37:13+01:60",     // offset minute 60
                              "2026-11-23T11:37:13+0100",      // offset without a colon
                              "2026-11-23T11:37:13+1:00",      // one-digit offset hour
                              "2026-11-23T11:37:13+01",        // offset without minutes
                              "2026-11-23T11:37:13.Z",         // empty fraction
                              "2026-11-23T11:37:13Zjunk",      // trailing junk
                              "2026-11-23T11:37:13Z ",         // trailing space
                              "2026-11-23T11:37:13+01:00Z",    // two zones
                              "2026-11-23T11:37:13UTC");       // a zone name
  CAPTURE(text);
  Result<UtcSeconds> t = ParseRfc3339(text);
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == ErrorCode::kParse);
}

TEST_CASE("UTC times format as RFC 3339, compact and date forms", "[core]") {
  auto [seconds, rfc3339, compact, date] = GENERATE(table<long long, std::string, std::string, std::string>({
      {0, "1970-01-01T00:00:00Z", "19700101T000000Z", "1970-01-01"},
      {1700000000, "2023-11-14T22:13:20Z", "20231114T221320Z", "2023-11-14"},
      {1795433833, "2026-11-23T11:37:13Z", "20261123T113713Z", "2026-11-23"},
      {951782400, "2000-02-29T00:00:00Z", "20000229T000000Z", "2000-02-29"},
      {253402300799, "9999-12-31T23:59:59Z", "99991231T235959Z", "9999-12-31"},
  }));
  CAPTURE(seconds);
  CHECK(FormatRfc3339(At(seconds)) == rfc3339);
  CHECK(FormatCompact(At(seconds)) == compact);
  CHECK(FormatDate(At(seconds)) == date);
  Result<UtcSeconds> back = ParseRfc3339(rfc3339);
  REQUIRE(back);
  CHECK(*back == At(seconds));
}

TEST_CASE("the sealing time is the clock unless SOURCE_DATE_EPOCH is set", "[core]") {
  FixedClock clock(At(1795433833));
  SECTION("unset: the clock") {
    ScopedEnv env("SOURCE_DATE_EPOCH", std::nullopt);
    Result<UtcSeconds> t = SealTime(clock);
    REQUIRE(t);
    CHECK(*t == At(1795433833));
  }
  SECTION("empty: the clock") {
    ScopedEnv env("SOURCE_DATE_EPOCH", "");
    Result<UtcSeconds> t = SealTime(clock);
    REQUIRE(t);
    CHECK(*t == At(1795433833));
  }
  SECTION("set: its value, whatever the clock says") {
    auto [value, expected] = GENERATE(table<std::string, long long>({
        {"1700000000", 1700000000},
        {"0", 0},
        {"253402300799", 253402300799},
    }));
    ScopedEnv env("SOURCE_DATE_EPOCH", value);
    Result<UtcSeconds> t = SealTime(clock);
    REQUIRE(t);
    CHECK(*t == At(expected));
  }
}

TEST_CASE("a malformed SOURCE_DATE_EPOCH is a usage error, never ignored", "[core]") {
  std::string value = GENERATE(as<std::string>{}, "abc", "12x", "1.5", "-1", "+12", " 12", "12 ", "0x10",
                               "253402300800", "99999999999999999999999");
  CAPTURE(value);
  FixedClock clock(At(1795433833));
  ScopedEnv env("SOURCE_DATE_EPOCH", value);
  Result<UtcSeconds> t = SealTime(clock);
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == ErrorCode::kInvalidArgument);
  CHECK(t.error().message().find("SOURCE_DATE_EPOCH") != std::string::npos);
  CHECK(t.error().message().find("'" + value + "'") != std::string::npos);
}

TEST_CASE("ScopedEnv restores SOURCE_DATE_EPOCH after a test", "[core]") {
  ScopedEnv outer("SOURCE_DATE_EPOCH", "42");
  {
    ScopedEnv inner("SOURCE_DATE_EPOCH", std::nullopt);
    CHECK(std::getenv("SOURCE_DATE_EPOCH") == nullptr);
  }
  REQUIRE(std::getenv("SOURCE_DATE_EPOCH") != nullptr);
  CHECK(std::string(std::getenv("SOURCE_DATE_EPOCH")) == "42");
}
