#pragma once
// EHR-side timestamp forms (FHIR instant/dateTime, Mirth REST date parameters, Mirth Calendar
// {time, timezone}, basic ISO 8601 as in IHE/DICOM audit text, epoch numbers, local wall-clock
// times in a named IANA zone) to UTC milliseconds. Exact: a form that does not match exactly is
// refused with a reason, never guessed. Nothing here reads the process's local time zone.
// docs/timestamps.md lists every form and rule.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "normalize/record.h"

namespace custody::normalize {

struct ParsedTime {
  std::optional<std::int64_t> utc_ms;  // set iff status == TimeStatus::kOk; sub-millisecond
                                       // digits truncated toward the past (floor)
  TimeStatus status = TimeStatus::kMissing;  // kMissing for empty text
  int fraction_digits = 0;             // digits of fraction as received (precision), 0..9
  std::string detail;                  // why not ok: "no zone", "local time ... occurs twice in
                                       // America/New_York (DST overlap): ...", "... does not
                                       // exist (DST gap)"
};

// FHIR instant / dateTime with a time: YYYY-MM-DDThh:mm:ss(.f{1,9})?(Z|±hh:mm). Strict: 2-digit
// fields, valid ranges (leap-year Feb 29), offsets up to ±14:00. No zone → kUnparseable "no zone".
// FHIR dateTime partial dates (YYYY, YYYY-MM, YYYY-MM-DD) → kUnparseable with a detail naming the
// precision (a day is not an instant; never guessed).
ParsedTime ParseIsoInstant(std::string_view text);
// Mirth REST date parameter, yyyy-MM-dd'T'HH:mm:ss.SSSZ: "2026-04-01T12:00:00.000-0700"
// (exactly 3 fraction digits, ±hhmm).
ParsedTime ParseMirthDateParam(std::string_view text);
// Basic ISO 8601: "20121005T120107.415+1300", also "Z"; fraction optional, 0..9 digits.
ParsedTime ParseBasicIso8601(std::string_view text);

enum class EpochUnit { kSeconds, kMilliseconds };
// A decimal integer (negative ok); seconds may carry a ".fraction".
ParsedTime ParseEpoch(std::string_view text, EpochUnit unit);
// A Mirth Calendar {time: epoch ms, timezone: id}: the epoch is the instant, the zone only says
// how the server displayed it (the caller keeps it in timestamp_original). Always kOk,
// fraction_digits 3 (Java Calendar keeps milliseconds).
ParsedTime ParseMirthCalendar(std::int64_t epoch_ms, std::string_view zone_id);
// "YYYY-MM-DD HH:MM:SS[.f]" (or with 'T') as a wall-clock time in iana_zone. Text that carries
// its own offset is refused here. DST gap → kNonexistent, overlap → kAmbiguous (utc_ms unset,
// the detail gives both candidate instants); unknown zone → kUnparseable "unknown time zone X".
ParsedTime ParseLocalTime(std::string_view text, std::string_view iana_zone);
// Whether the system tz database (/usr/share/zoneinfo) knows the zone.
bool IsKnownTimeZone(std::string_view iana_zone);

// "2026-04-01T00:00:00.000+0000" (a Mirth REST date parameter, UTC).
std::string FormatMirthDateParam(std::int64_t utc_ms);
// "2026-04-01T00:00:00.000Z".
std::string FormatUtcMs(std::int64_t utc_ms);

}  // namespace custody::normalize
