#include <catch2/catch.hpp>

#include <date/date.h>

#include <random>
#include <vector>

#include <string>

#include "normalize/sf_time.h"

using custody::normalize::FormatUtcMillis;
using custody::normalize::ParseAnySalesforceTime;
using custody::normalize::ParseDate;
using custody::normalize::ParseElfTimestamp;
using custody::normalize::ParseIsoDateTime;

namespace {
// 2022-09-14T21:43:41.000Z, computed independently: 19249 days since 1970-01-01.
constexpr std::int64_t kSep14 = (19249LL * 86400 + 21 * 3600 + 43 * 60 + 41) * 1000;

std::string Iso(std::string_view text) {
  auto t = ParseIsoDateTime(text);
  return t ? FormatUtcMillis(*t) : "nullopt";
}
}  // namespace

TEST_CASE("ISO dateTime in the REST form with +0000", "[normalize][time]") {
  REQUIRE(ParseIsoDateTime("2022-09-14T21:43:41.000+0000") == kSep14);
  CHECK(Iso("2023-12-06T05:44:24.973+0000") == "2023-12-06T05:44:24.973Z");
  // LogDate of a daily file and of an hourly file (research section 7)
  CHECK(Iso("2014-03-14T00:00:00.000+0000") == "2014-03-14T00:00:00.000Z");
  CHECK(Iso("2021-02-02T11:00:00.000+0000") == "2021-02-02T11:00:00.000Z");
}

TEST_CASE("ISO dateTime with +00:00, Z and other offsets", "[normalize][time]") {
  CHECK(ParseIsoDateTime("2022-09-14T21:43:41.000+00:00") == kSep14);
  CHECK(ParseIsoDateTime("2022-09-14T21:43:41.000Z") == kSep14);
  CHECK(ParseIsoDateTime("2022-09-14T21:43:41Z") == kSep14);
  CHECK(ParseIsoDateTime("2022-09-14T21:43:41.000-00:00") == kSep14);
  // -05:00 is five hours behind UTC: 16:43 local is 21:43 UTC.
  CHECK(ParseIsoDateTime("2022-09-14T16:43:41.000-05:00") == kSep14);
  CHECK(ParseIsoDateTime("2022-09-14T16:43:41.000-0500") == kSep14);
  CHECK(ParseIsoDateTime("2022-09-15T03:13:41+05:30") == kSep14);
  // Offsets move the date across midnight and year ends.
  CHECK(Iso("2025-12-31T23:30:00.000-01:00") == "2026-01-01T00:30:00.000Z");
  CHECK(Iso("2026-01-01T00:30:00.000+14:00") == "2025-12-31T10:30:00.000Z");
  CHECK(Iso("2024-03-01T00:00:00.000+01:00") == "2024-02-29T23:00:00.000Z");
}

TEST_CASE("ISO dateTime with 0 to 9 fraction digits truncates to milliseconds", "[normalize][time]") {
  CHECK(Iso("2021-10-19T11:47:22Z") == "2021-10-19T11:47:22.000Z");
  CHECK(Iso("2021-10-19T11:47:22.1Z") == "2021-10-19T11:47:22.100Z");
  CHECK(Iso("2021-10-19T11:47:22.12Z") == "2021-10-19T11:47:22.120Z");
  CHECK(Iso("2021-10-19T11:47:22.123Z") == "2021-10-19T11:47:22.123Z");
  CHECK(Iso("2021-10-19T11:47:22.1239Z") == "2021-10-19T11:47:22.123Z");
  CHECK(Iso("2021-10-19T11:47:22.12399Z") == "2021-10-19T11:47:22.123Z");
  CHECK(Iso("2021-10-19T11:47:22.123999Z") == "2021-10-19T11:47:22.123Z");
  CHECK(Iso("2021-10-19T11:47:22.1239999Z") == "2021-10-19T11:47:22.123Z");
  CHECK(Iso("2021-10-19T11:47:22.12399999Z") == "2021-10-19T11:47:22.123Z");
  CHECK(Iso("2021-10-19T11:47:59.999999999+0000") == "2021-10-19T11:47:59.999Z");
  CHECK_FALSE(ParseIsoDateTime("2021-10-19T11:47:22.1234567890Z"));  // 10 digits
  CHECK_FALSE(ParseIsoDateTime("2021-10-19T11:47:22.Z"));             // a dot without digits
}

TEST_CASE("Bulk CSV and ELF TIMESTAMP_DERIVED Z forms", "[normalize][time]") {
  CHECK(Iso("2026-04-15T12:34:56.000Z") == "2026-04-15T12:34:56.000Z");
  CHECK(Iso("2023-12-18T05:48:31.655Z") == "2023-12-18T05:48:31.655Z");
  CHECK(Iso("2015-07-27T11:32:59.555Z") == "2015-07-27T11:32:59.555Z");
}

TEST_CASE("ISO dateTime rejects what it cannot read exactly", "[normalize][time]") {
  const char* bad[] = {
      "",
      "2022-09-14T21:43:41.000",          // no zone
      "2022-09-14T21:43:41",              // no zone
      "2022-09-14 21:43:41Z",             // space instead of T
      "2022-09-14t21:43:41Z",             // lower-case t
      "2022-09-14T21:43:41z",             // lower-case z
      "2022-13-14T21:43:41Z",             // month 13
      "2022-00-14T21:43:41Z",             // month 0
      "2022-09-31T21:43:41Z",             // September has 30 days
      "2022-09-00T21:43:41Z",             // day 0
      "2023-02-29T00:00:00Z",             // 2023 is not a leap year
      "1900-02-29T00:00:00Z",             // centuries are not, unless divisible by 400
      "2022-09-14T24:00:00Z",             // hour 24
      "2022-09-14T21:60:00Z",             // minute 60
      "2022-09-14T21:43:60Z",             // leap second refused
      "2022-09-14T21:43:41+1500",         // offset beyond 14 hours
      "2022-09-14T21:43:41+05:60",        // offset minutes
      "2022-09-14T21:43:41+05",           // offset without minutes
      "2022-09-14T21:43:41+5:00",         // one-digit hour
      "2022-09-14T21:43:41.000+0000 ",    // trailing space
      "2022-09-14T21:43:41.000+0000x",    // trailing text
      "2022-09-14T21:43:41ZZ",
      " 2022-09-14T21:43:41Z",            // leading space
      "22-09-14T21:43:41Z",
      "2022-9-14T21:43:41Z",
      "+2022-09-14T21:43:41Z",
      "garbage",
      "Tue, 10 Aug 2015 00:00:00 GMT",
      "1633689089545",
      "0000-01-01T00:30:00+01:00",        // before year 0000 in UTC
      "9999-12-31T23:30:00-01:00",        // after year 9999 in UTC
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParseIsoDateTime(text));
  }
}

TEST_CASE("ISO dateTime at the ends of the four-digit years", "[normalize][time]") {
  CHECK(Iso("0000-01-01T00:00:00Z") == "0000-01-01T00:00:00.000Z");
  CHECK(Iso("9999-12-31T23:59:59.999Z") == "9999-12-31T23:59:59.999Z");
  CHECK(Iso("0000-01-01T00:30:00-01:00") == "0000-01-01T01:30:00.000Z");
}

TEST_CASE("Leap days are accepted in leap years", "[normalize][time]") {
  CHECK(Iso("2024-02-29T12:00:00Z") == "2024-02-29T12:00:00.000Z");
  CHECK(Iso("2000-02-29T12:00:00Z") == "2000-02-29T12:00:00.000Z");
  CHECK(ParseDate("2024-02-29"));
  CHECK_FALSE(ParseDate("2025-02-29"));
  CHECK(ParseElfTimestamp("20240229000000"));
  CHECK_FALSE(ParseElfTimestamp("20230229000000"));
}

TEST_CASE("ELF TIMESTAMP with 3, 2, 1 and 0 fraction digits", "[normalize][time]") {
  auto elf = [](std::string_view t) {
    auto ms = ParseElfTimestamp(t);
    return ms ? FormatUtcMillis(*ms) : "nullopt";
  };
  CHECK(elf("20231218054831.655") == "2023-12-18T05:48:31.655Z");
  CHECK(elf("20211019050707.13") == "2021-10-19T05:07:07.130Z");  // trimmed (research section 7)
  CHECK(elf("20211019050707.1") == "2021-10-19T05:07:07.100Z");
  CHECK(elf("20220803011210") == "2022-08-03T01:12:10.000Z");
  CHECK(elf("20130728185606.020") == "2013-07-28T18:56:06.020Z");
  const char* bad[] = {"", "2023121805483", "202312180548311", "20231218054831.", "20231218054831.6555",
                       "20231318054831.655", "20231232054831.655", "20231218244831.655", "20231218056031.655",
                       "20231218054860.655", "20231218054831.655Z", "2023-12-18T05:48:31.655Z",
                       "20231218 054831", "x0231218054831"};
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParseElfTimestamp(text));
  }
}

TEST_CASE("Dates are midnight UTC", "[normalize][time]") {
  CHECK(ParseDate("2014-03-14") == std::int64_t{1394755200000});
  CHECK(ParseDate("1970-01-01") == 0);
  CHECK_FALSE(ParseDate("2014-03-14T00:00:00Z"));
  CHECK_FALSE(ParseDate("2014-3-14"));
  CHECK_FALSE(ParseDate("2014-03-32"));
  CHECK_FALSE(ParseDate("2014/03/14"));
}

TEST_CASE("ParseAnySalesforceTime tries every form", "[normalize][time]") {
  CHECK(ParseAnySalesforceTime("2022-09-14T21:43:41.000+0000") == kSep14);
  CHECK(ParseAnySalesforceTime("20220914214341.000") == kSep14);
  CHECK(ParseAnySalesforceTime("20220914214341") == kSep14);
  CHECK(ParseAnySalesforceTime("2022-09-14") == kSep14 - (21 * 3600 + 43 * 60 + 41) * 1000);
  CHECK_FALSE(ParseAnySalesforceTime("2022-09-14T21:43:41"));
  CHECK_FALSE(ParseAnySalesforceTime("yesterday"));
  CHECK_FALSE(ParseAnySalesforceTime(""));
}

TEST_CASE("FormatUtcMillis writes RFC 3339 UTC with milliseconds", "[normalize][time]") {
  CHECK(FormatUtcMillis(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatUtcMillis(kSep14 + 7) == "2022-09-14T21:43:41.007Z");
  CHECK(FormatUtcMillis(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatUtcMillis(253402300799999) == "9999-12-31T23:59:59.999Z");
  // Round trip over a spread of instants.
  for (std::int64_t t = -86400000LL * 400; t < 86400000LL * 365 * 80; t += 86400000LL * 37 + 3601001) {
    auto back = ParseIsoDateTime(FormatUtcMillis(t));
    REQUIRE(back);
    CHECK(*back == t);
  }
}

TEST_CASE("FormatUtcMillis agrees with the date library's format over the years 0000 to 9999", "[normalize][time]") {
  std::mt19937_64 rng(20261207);
  // Unix ms of 0000-01-01T00:00:00.000Z and of the last millisecond of 9999.
  const std::int64_t first = -62167219200000LL, last = 253402300799999LL;
  std::uniform_int_distribution<std::int64_t> any(first, last);
  std::vector<std::int64_t> instants = {first, last, 0, -1, 951782400000LL /* 2000-02-29 */, 1709164800000LL};
  for (int i = 0; i < 20000; ++i) instants.push_back(any(rng));
  for (std::int64_t t : instants) {
    CAPTURE(t);
    const date::sys_time<std::chrono::milliseconds> tp{std::chrono::milliseconds{t}};
    CHECK(FormatUtcMillis(t) == date::format("%FT%TZ", tp));
  }
  // Beyond four-digit years the output is still the instant's fields, printf style.
  CHECK(FormatUtcMillis(last + 1) == "10000-01-01T00:00:00.000Z");
  CHECK(FormatUtcMillis(first - 1) == "-001-12-31T23:59:59.999Z");
}
