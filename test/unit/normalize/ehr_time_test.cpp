// Every EHR-side timestamp form (docs/timestamps.md): FHIR instant, Mirth date parameters and
// Calendars, basic ISO 8601, epoch numbers and local times in an IANA zone, with their edges.

#include <catch2/catch.hpp>

#include <string>

#include "normalize/ehr_time.h"

using namespace custody::normalize;

namespace {

std::int64_t OkMs(const ParsedTime& t) {
  INFO(t.detail);
  REQUIRE(t.status == TimeStatus::kOk);
  REQUIRE(t.utc_ms.has_value());
  return *t.utc_ms;
}

void CheckRefused(const ParsedTime& t, const std::string& detail_part) {
  INFO("detail: " << t.detail);
  CHECK(t.status == TimeStatus::kUnparseable);
  CHECK_FALSE(t.utc_ms.has_value());
  CHECK_THAT(t.detail, Catch::Contains(detail_part));
}

}  // namespace

TEST_CASE("ParseIsoInstant reads the FHIR instants seen in real data", "[normalize][ehr_time]") {
  CHECK(OkMs(ParseIsoInstant("2012-10-25T22:04:27+11:00")) == 1351163067000);  // R4 example
  CHECK(OkMs(ParseIsoInstant("2013-06-20T23:41:23Z")) == 1371771683000);
  const ParsedTime balp = ParseIsoInstant("2020-04-29T09:49:00.000Z");
  CHECK(OkMs(balp) == 1588153740000);
  CHECK(balp.fraction_digits == 3);
  CHECK(balp.detail.empty());
  CHECK(OkMs(ParseIsoInstant("2021-04-30T15:41:02.834+02:00")) == 1619790062834);  // HAPI
}

TEST_CASE("ParseIsoInstant keeps the precision and floors sub-millisecond digits", "[normalize][ehr_time]") {
  const ParsedTime none = ParseIsoInstant("2026-04-01T00:00:00Z");
  CHECK(OkMs(none) == 1775001600000);
  CHECK(none.fraction_digits == 0);
  const ParsedTime one = ParseIsoInstant("2026-04-01T00:00:00.5Z");
  CHECK(OkMs(one) == 1775001600500);
  CHECK(one.fraction_digits == 1);
  const ParsedTime nine = ParseIsoInstant("2026-04-01T00:00:00.999999999Z");
  CHECK(OkMs(nine) == 1775001600999);  // never rounded up into the next second
  CHECK(nine.fraction_digits == 9);
  CheckRefused(ParseIsoInstant("2026-04-01T00:00:00.1234567890Z"), "more than 9 fraction digits");
  CheckRefused(ParseIsoInstant("2026-04-01T00:00:00.Z"), "fraction without digits");
  // Before 1970 the floor is still toward the past.
  CHECK(OkMs(ParseIsoInstant("1969-12-31T23:59:59.9999Z")) == -1);
}

TEST_CASE("ParseIsoInstant applies offsets up to plus and minus 14 hours", "[normalize][ehr_time]") {
  CHECK(OkMs(ParseIsoInstant("2026-01-01T00:00:00+14:00")) == 1767175200000);
  CHECK(OkMs(ParseIsoInstant("2026-01-01T00:00:00-12:00")) == 1767268800000);
  CHECK(OkMs(ParseIsoInstant("2026-01-01T00:00:00-14:00")) == 1767225600000 + 14 * 3600000LL);
  CHECK(OkMs(ParseIsoInstant("2026-04-01T05:30:00+05:30")) == 1775001600000);
  CheckRefused(ParseIsoInstant("2026-01-01T00:00:00+14:01"), "zone offset out of range");
  CheckRefused(ParseIsoInstant("2026-01-01T00:00:00+15:00"), "zone offset out of range");
  CheckRefused(ParseIsoInstant("2026-01-01T00:00:00+05:60"), "zone offset out of range");
  // FHIR writes the offset with a colon; Salesforce's "+0000" is not an instant.
  CheckRefused(ParseIsoInstant("2026-01-01T00:00:00+0000"), "\302\261hh:mm");
}

TEST_CASE("ParseIsoInstant checks every field range", "[normalize][ehr_time]") {
  CHECK(OkMs(ParseIsoInstant("2024-02-29T12:00:00Z")) == 1709208000000);  // leap day
  CheckRefused(ParseIsoInstant("2026-02-29T12:00:00Z"), "day out of range");
  CHECK(OkMs(ParseIsoInstant("2000-02-29T00:00:00Z")) == 951782400000);   // divisible by 400
  CheckRefused(ParseIsoInstant("1900-02-29T00:00:00Z"), "day out of range");  // by 100, not 400
  CheckRefused(ParseIsoInstant("2026-13-01T00:00:00Z"), "month out of range");
  CheckRefused(ParseIsoInstant("2026-00-01T00:00:00Z"), "month out of range");
  CheckRefused(ParseIsoInstant("2026-04-31T00:00:00Z"), "day out of range");
  CheckRefused(ParseIsoInstant("2026-04-00T00:00:00Z"), "day out of range");
  CheckRefused(ParseIsoInstant("2026-04-01T24:00:00Z"), "hour out of range");
  CheckRefused(ParseIsoInstant("2026-04-01T23:60:00Z"), "minute out of range");
  CheckRefused(ParseIsoInstant("2026-04-01T23:59:61Z"), "second out of range");
  // The FHIR regex allows :60, but a leap second has no place on the Unix time line.
  CheckRefused(ParseIsoInstant("2016-12-31T23:59:60Z"), "leap second");
  CheckRefused(ParseIsoInstant("2026-4-01T00:00:00Z"), "not YYYY-MM-DD");
  CheckRefused(ParseIsoInstant("2026-04-01T0:00:00Z"), "time is not hh:mm:ss");
  CheckRefused(ParseIsoInstant("+2026-04-01T00:00:00Z"), "not YYYY-MM-DD");
}

TEST_CASE("ParseIsoInstant refuses partial dates, missing parts and extra text", "[normalize][ehr_time]") {
  CHECK(ParseIsoInstant("").status == TimeStatus::kMissing);
  const ParsedTime no_zone = ParseIsoInstant("2026-04-01T12:00:00");
  CHECK(no_zone.status == TimeStatus::kUnparseable);
  CHECK(no_zone.detail == "no zone");
  CHECK(ParseIsoInstant("2026-04-01T12:00:00.123").detail == "no zone");
  CheckRefused(ParseIsoInstant("2026"), "year precision");
  CheckRefused(ParseIsoInstant("2026-04"), "month precision");
  CheckRefused(ParseIsoInstant("2026-04-01"), "day precision");
  CheckRefused(ParseIsoInstant("2026-04-01T12:00Z"), "missing seconds");
  CheckRefused(ParseIsoInstant("2026-04-01T12:00"), "missing seconds");
  CheckRefused(ParseIsoInstant("2026-04-01 12:00:00Z"), "separated by 'T'");
  CheckRefused(ParseIsoInstant("2026-04-01T12:00:00Zjunk"), "trailing text");
  CheckRefused(ParseIsoInstant("2026-04-01T12:00:00+01:00 "), "trailing text");
  CheckRefused(ParseIsoInstant(" 2026-04-01T12:00:00Z"), "not YYYY-MM-DD");
  CheckRefused(ParseIsoInstant("2026-04-01T12:00:00 UTC"), "unexpected text after the time");
  // FHIR's regex has an upper-case Z only (RFC 3339 would allow 'z'): refused, with the reason.
  CheckRefused(ParseIsoInstant("2026-04-01T12:00:00z"), "lower-case 'z'");
  CheckRefused(ParseIsoInstant("<html>"), "not YYYY-MM-DD");
}

TEST_CASE("ParseIsoInstant keeps results inside four-digit years", "[normalize][ehr_time]") {
  CHECK(OkMs(ParseIsoInstant("9999-12-31T23:59:59.999Z")) == 253402300799999);
  CheckRefused(ParseIsoInstant("9999-12-31T23:59:59-01:00"), "outside years");
  CheckRefused(ParseIsoInstant("0000-01-01T00:00:00+01:00"), "outside years");
}

TEST_CASE("ParseMirthDateParam reads exactly yyyy-MM-dd'T'HH:mm:ss.SSSZ", "[normalize][ehr_time]") {
  const ParsedTime t = ParseMirthDateParam("2026-04-01T12:00:00.000-0700");
  CHECK(OkMs(t) == 1775070000000);
  CHECK(t.fraction_digits == 3);
  CHECK(OkMs(ParseMirthDateParam("2015-10-21T07:28:00.000-0700")) == 1445437680000);
  CHECK(OkMs(ParseMirthDateParam("2026-04-01T00:00:00.000+0000")) == 1775001600000);
  CHECK(ParseMirthDateParam("").status == TimeStatus::kMissing);
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00-0700"), "milliseconds (.SSS) required");
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.00-0700"), "exactly three fraction digits");
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.0000-0700"), "exactly three fraction digits");
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.000-07:00"), "\302\261hhmm");
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.000Z"), "not Z");
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.000"), "no zone");
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.000 0700"), "no zone");  // '+' lost in a URL
  CheckRefused(ParseMirthDateParam("2026-04-01T12:00:00.000-0700x"), "trailing text");
  CheckRefused(ParseMirthDateParam("2026-02-30T12:00:00.000-0700"), "day out of range");
}

TEST_CASE("FormatMirthDateParam and FormatUtcMs round-trip", "[normalize][ehr_time]") {
  CHECK(FormatMirthDateParam(1775001600000) == "2026-04-01T00:00:00.000+0000");
  CHECK(FormatUtcMs(1775001600000) == "2026-04-01T00:00:00.000Z");
  CHECK(FormatUtcMs(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(FormatMirthDateParam(-1) == "1969-12-31T23:59:59.999+0000");
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1775070000123}, std::int64_t{-86400001}, std::int64_t{951782400000}}) {
    CHECK(OkMs(ParseMirthDateParam(FormatMirthDateParam(ms))) == ms);
    CHECK(OkMs(ParseIsoInstant(FormatUtcMs(ms))) == ms);
  }
}

TEST_CASE("ParseBasicIso8601 reads the compact form with an offset or Z", "[normalize][ehr_time]") {
  const ParsedTime t = ParseBasicIso8601("20121005T120107.415+1300");
  CHECK(OkMs(t) == 1349391667415);
  CHECK(t.fraction_digits == 3);
  const ParsedTime z = ParseBasicIso8601("20260401T000000Z");
  CHECK(OkMs(z) == 1775001600000);
  CHECK(z.fraction_digits == 0);
  CHECK(OkMs(ParseBasicIso8601("20260401T000000.123456789Z")) == 1775001600123);
  CHECK(ParseBasicIso8601("20260401T000000.123456789Z").fraction_digits == 9);
  CHECK(ParseBasicIso8601("").status == TimeStatus::kMissing);
  CHECK(ParseBasicIso8601("20260401T000000").detail == "no zone");
  CheckRefused(ParseBasicIso8601("20260401T000000+13:00"), "\302\261hhmm");
  CheckRefused(ParseBasicIso8601("20260431T000000Z"), "day out of range");
  CheckRefused(ParseBasicIso8601("2026-04-01T00:00:00Z"), "not YYYYMMDDThhmmss");
  CheckRefused(ParseBasicIso8601("20260401T0000Z"), "not YYYYMMDDThhmmss");
  CheckRefused(ParseBasicIso8601("20260401T000000Z."), "trailing text");
}

TEST_CASE("ParseEpoch reads seconds and milliseconds, negative ones too", "[normalize][ehr_time]") {
  const ParsedTime ms = ParseEpoch("1711929600000", EpochUnit::kMilliseconds);
  CHECK(OkMs(ms) == 1711929600000);
  CHECK(ms.fraction_digits == 3);
  CHECK(OkMs(ParseEpoch("0", EpochUnit::kMilliseconds)) == 0);
  CHECK(OkMs(ParseEpoch("-1", EpochUnit::kMilliseconds)) == -1);
  CHECK(OkMs(ParseEpoch("1711929600", EpochUnit::kSeconds)) == 1711929600000);
  CHECK(ParseEpoch("1711929600", EpochUnit::kSeconds).fraction_digits == 0);
  const ParsedTime frac = ParseEpoch("1711929600.123456", EpochUnit::kSeconds);
  CHECK(OkMs(frac) == 1711929600123);
  CHECK(frac.fraction_digits == 6);
  CHECK(OkMs(ParseEpoch("-1.5", EpochUnit::kSeconds)) == -1500);
  // Floor, not truncation toward zero: 1000.5 ms before the epoch is -1001.
  CHECK(OkMs(ParseEpoch("-1.0005", EpochUnit::kSeconds)) == -1001);
  CHECK(OkMs(ParseEpoch("-0.0001", EpochUnit::kSeconds)) == -1);
  CHECK(ParseEpoch("", EpochUnit::kSeconds).status == TimeStatus::kMissing);
  CheckRefused(ParseEpoch("1711929600000.5", EpochUnit::kMilliseconds), "fraction on epoch milliseconds");
  CheckRefused(ParseEpoch("1e12", EpochUnit::kMilliseconds), "trailing text");
  CheckRefused(ParseEpoch("+5", EpochUnit::kMilliseconds), "not a decimal integer");
  CheckRefused(ParseEpoch("-", EpochUnit::kMilliseconds), "not a decimal integer");
  CheckRefused(ParseEpoch(" 5", EpochUnit::kMilliseconds), "not a decimal integer");
  CheckRefused(ParseEpoch("5 ", EpochUnit::kMilliseconds), "trailing text");
  CheckRefused(ParseEpoch("99999999999999999999", EpochUnit::kMilliseconds), "out of range");
  CheckRefused(ParseEpoch("253402300800000", EpochUnit::kMilliseconds), "outside years");
  CheckRefused(ParseEpoch("253402300800", EpochUnit::kSeconds), "outside years");
  CHECK(OkMs(ParseEpoch("000000000000000000001", EpochUnit::kMilliseconds)) == 1);  // zeros do not count
}

TEST_CASE("ParseMirthCalendar takes the epoch as the instant whatever the zone", "[normalize][ehr_time]") {
  const ParsedTime t = ParseMirthCalendar(1711929600000, "America/New_York");
  CHECK(OkMs(t) == 1711929600000);
  CHECK(t.fraction_digits == 3);
  CHECK(OkMs(ParseMirthCalendar(1711929600000, "Etc/UTC")) == 1711929600000);
  CHECK(OkMs(ParseMirthCalendar(-5, "")) == -5);
  CHECK(ParseMirthCalendar(253402300800000, "UTC").status == TimeStatus::kUnparseable);
}

TEST_CASE("ParseLocalTime converts a unique local time in a zone", "[normalize][ehr_time]") {
  CHECK(OkMs(ParseLocalTime("2026-07-01 12:00:00", "America/New_York")) == 1782921600000);
  CHECK(OkMs(ParseLocalTime("2026-07-01T12:00:00", "America/New_York")) == 1782921600000);
  const ParsedTime frac = ParseLocalTime("2026-01-15 09:00:00.123456", "Europe/Berlin");
  CHECK(OkMs(frac) == 1768464000123);
  CHECK(frac.fraction_digits == 6);
  CHECK(OkMs(ParseLocalTime("2026-04-01 00:00:00", "UTC")) == 1775001600000);
  CHECK(OkMs(ParseLocalTime("2026-04-01 00:00:00", "Etc/UTC")) == 1775001600000);
  // Just outside the gap and the overlap.
  CHECK(OkMs(ParseLocalTime("2026-03-08 01:59:59", "America/New_York")) == 1772953199000);
  CHECK(OkMs(ParseLocalTime("2026-03-08 03:00:00", "America/New_York")) == 1772953200000);
  CHECK(OkMs(ParseLocalTime("2026-11-01 00:59:59", "America/New_York")) == 1793509199000);
  CHECK(OkMs(ParseLocalTime("2026-11-01 02:00:00", "America/New_York")) == 1793516400000);
}

TEST_CASE("ParseLocalTime reports the DST gap as nonexistent", "[normalize][ehr_time]") {
  const ParsedTime ny = ParseLocalTime("2026-03-08 02:30:00", "America/New_York");
  INFO(ny.detail);
  CHECK(ny.status == TimeStatus::kNonexistent);
  CHECK_FALSE(ny.utc_ms.has_value());
  CHECK_THAT(ny.detail, Catch::Contains("does not exist in America/New_York (DST gap"));
  CHECK_THAT(ny.detail, Catch::Contains("-05:00 to -04:00"));
  CHECK_THAT(ny.detail, Catch::Contains("2026-03-08T07:00:00.000Z"));
  const ParsedTime berlin = ParseLocalTime("2026-03-29 02:30:00", "Europe/Berlin");
  INFO(berlin.detail);
  CHECK(berlin.status == TimeStatus::kNonexistent);
  CHECK_FALSE(berlin.utc_ms.has_value());
  CHECK_THAT(berlin.detail, Catch::Contains("+01:00 to +02:00"));
  CHECK(ParseLocalTime("2026-03-29 02:00:00", "Europe/Berlin").status == TimeStatus::kNonexistent);
  CHECK(OkMs(ParseLocalTime("2026-03-29 03:00:00", "Europe/Berlin")) == 1774746000000);
}

TEST_CASE("ParseLocalTime reports the DST overlap as ambiguous with both instants", "[normalize][ehr_time]") {
  const ParsedTime ny = ParseLocalTime("2026-11-01 01:30:00", "America/New_York");
  INFO(ny.detail);
  CHECK(ny.status == TimeStatus::kAmbiguous);
  CHECK_FALSE(ny.utc_ms.has_value());
  CHECK_THAT(ny.detail, Catch::StartsWith("local time 2026-11-01 01:30:00 occurs twice in America/New_York (DST overlap): "));
  CHECK_THAT(ny.detail, Catch::Contains(FormatUtcMs(1793511000000)));  // as EDT, -04:00
  CHECK_THAT(ny.detail, Catch::Contains(FormatUtcMs(1793514600000)));  // as EST, -05:00
  const ParsedTime berlin = ParseLocalTime("2026-10-25T02:30:00.5", "Europe/Berlin");
  INFO(berlin.detail);
  CHECK(berlin.status == TimeStatus::kAmbiguous);
  CHECK(berlin.fraction_digits == 1);
  CHECK_THAT(berlin.detail, Catch::Contains("2026-10-25T00:30:00.500Z"));
  CHECK_THAT(berlin.detail, Catch::Contains("2026-10-25T01:30:00.500Z"));
}

TEST_CASE("ParseLocalTime refuses unknown zones, offsets and bad text", "[normalize][ehr_time]") {
  const ParsedTime unknown = ParseLocalTime("2026-07-01 12:00:00", "Mars/Olympus_Mons");
  CHECK(unknown.status == TimeStatus::kUnparseable);
  CHECK(unknown.detail == "unknown time zone Mars/Olympus_Mons");
  CHECK(ParseLocalTime("2026-07-01 12:00:00", "").detail == "unknown time zone ");
  CheckRefused(ParseLocalTime("2026-07-01 12:00:00Z", "UTC"), "carries its own zone");
  CheckRefused(ParseLocalTime("2026-07-01T12:00:00-04:00", "America/New_York"), "carries its own zone");
  CheckRefused(ParseLocalTime("2026-07-01 12:00", "UTC"), "missing seconds");
  CheckRefused(ParseLocalTime("2026-07-01 12:00:00 UTC", "UTC"), "trailing text");
  CheckRefused(ParseLocalTime("2026-02-29 12:00:00", "UTC"), "day out of range");
  CHECK(ParseLocalTime("", "UTC").status == TimeStatus::kMissing);
}

TEST_CASE("IsKnownTimeZone asks the system tz database", "[normalize][ehr_time]") {
  CHECK(IsKnownTimeZone("America/New_York"));
  CHECK(IsKnownTimeZone("Europe/Berlin"));
  CHECK(IsKnownTimeZone("Etc/UTC"));
  CHECK(IsKnownTimeZone("UTC"));
  CHECK_FALSE(IsKnownTimeZone("Mars/Olympus_Mons"));
  CHECK_FALSE(IsKnownTimeZone(""));
  CHECK_FALSE(IsKnownTimeZone("america/new_york"));  // zone names are case-sensitive
}
