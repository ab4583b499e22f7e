#pragma once
// FHIR time values for the simulated AuditEvent server: instants rendered with a chosen zone and
// fraction length, and search values (date, dateTime, instant) read as the half-open UTC range
// their precision implies (FHIR R4 search §date: "2026-04-01" is the whole day). All times are
// microseconds since the Unix epoch, UTC; nothing here reads the local time zone.

#include <cstdint>
#include <string>
#include <string_view>

namespace custody::sim::fhir {

constexpr int64_t kUsPerSecond = 1000000;
constexpr int64_t kUsPerDay = 86400 * kUsPerSecond;

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

// "2026-04-01T10:11:12.345+02:00": the instant `utc_us` shown at a UTC offset of `offset_minutes`
// (written "Z" when zulu is true), with 0, 3 or 6 fraction digits (truncated, never rounded).
std::string FormatInstant(int64_t utc_us, int offset_minutes, bool zulu, int fraction_digits);
// "2026-04-01T10:11:12.345Z" from milliseconds.
std::string FormatMsZ(int64_t utc_ms);
// "Wed, 01 Apr 2026 10:11:12 GMT" (HTTP-date, RFC 9110).
std::string HttpDate(int64_t utc_ms);

// A value's implicit range: [lo, hi) in UTC microseconds.
struct TimeRange {
  int64_t lo = 0;
  int64_t hi = 0;
};

// Reads a FHIR date, dateTime or instant: YYYY, YYYY-MM, YYYY-MM-DD, or a date-time to the minute,
// second or any fraction, which must carry a zone (Z or +hh:mm/-hh:mm, -13:59..+14:00). A date
// without a time is a UTC day. False, with *error saying why, on anything else (a '+' that arrived
// as a space included).
bool ParseFhirTime(std::string_view text, TimeRange* out, std::string* error);

}  // namespace custody::sim::fhir
