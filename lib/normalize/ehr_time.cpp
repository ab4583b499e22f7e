#include "normalize/ehr_time.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <date/tz.h>

#include "core/time.h"
#include "normalize/sf_time.h"

namespace custody::normalize {

namespace {

// The four-digit years every output form can hold.
constexpr std::int64_t kMinMs = -62167219200000;  // 0000-01-01T00:00:00.000Z
constexpr std::int64_t kMaxMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

ParsedTime Fail(TimeStatus status, std::string detail, int fraction_digits = 0) {
  ParsedTime p;
  p.status = status;
  p.detail = std::move(detail);
  p.fraction_digits = fraction_digits;
  return p;
}

ParsedTime Bad(std::string_view text, const std::string& why, int fraction_digits = 0) {
  return Fail(TimeStatus::kUnparseable, why + ": \"" + std::string(text) + "\"", fraction_digits);
}

ParsedTime Ok(std::int64_t utc_ms, int fraction_digits) {
  ParsedTime p;
  p.status = TimeStatus::kOk;
  p.utc_ms = utc_ms;
  p.fraction_digits = fraction_digits;
  return p;
}

// Wall-clock fields as read from the text, before any zone is applied.
struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int millis = 0;           // the first three fraction digits
  bool sub_ms = false;      // any nonzero digit after the third
  int fraction_digits = 0;
};

// Checks the field ranges. Returns "" when valid, otherwise why not.
std::string CheckCivil(const Civil& c) {
  if (c.month < 1 || c.month > 12) return "month out of range";
  if (c.hour > 23) return "hour out of range";
  if (c.minute > 59) return "minute out of range";
  // A leap second cannot be placed on the Unix time line without choosing where it goes.
  if (c.second == 60) return "leap second (:60) has no Unix time";
  if (c.second > 59) return "second out of range";
  const std::chrono::year_month_day ymd{std::chrono::year{c.year}, std::chrono::month{static_cast<unsigned>(c.month)},
                                        std::chrono::day{static_cast<unsigned>(c.day)}};
  if (c.day < 1 || !ymd.ok()) return "day out of range for the month";
  return "";
}

// Milliseconds of the civil time read as if it were UTC (fields already checked).
std::int64_t CivilMillis(const Civil& c) {
  const std::chrono::year_month_day ymd{std::chrono::year{c.year}, std::chrono::month{static_cast<unsigned>(c.month)},
                                        std::chrono::day{static_cast<unsigned>(c.day)}};
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return ((days * 24 + c.hour) * 60 + c.minute) * std::int64_t{60000} + std::int64_t{c.second} * 1000 + c.millis;
}

// Reads "." and 1..max digits at pos when a '.' is there. Sub-millisecond digits are dropped
// (truncation of a positive fraction is a floor: never moves an event later).
bool ReadFraction(std::string_view s, size_t& pos, int max_digits, Civil& c, std::string& why) {
  if (pos >= s.size() || s[pos] != '.') return true;
  ++pos;
  const size_t start = pos;
  while (pos < s.size() && IsDigit(s[pos])) ++pos;
  const size_t n = pos - start;
  if (n == 0) {
    why = "fraction without digits";
    return false;
  }
  if (n > static_cast<size_t>(max_digits)) {
    why = "more than " + std::to_string(max_digits) + " fraction digits";
    return false;
  }
  int scale = 100;
  for (size_t i = 0; i < n; ++i) {
    const int d = s[start + i] - '0';
    if (i < 3) {
      c.millis += d * scale;
      scale /= 10;
    } else if (d != 0) {
      c.sub_ms = true;
    }
  }
  c.fraction_digits = static_cast<int>(n);
  return true;
}

// An offset at pos: 'Z', or sign + hh + (':' when with_colon) + mm. Sets minutes east of UTC.
enum class OffsetForm { kColon, kNoColon };
bool ReadOffset(std::string_view s, size_t& pos, OffsetForm form, int& offset_minutes, std::string& why) {
  if (pos >= s.size()) {
    why = "no zone";
    return false;
  }
  if (s[pos] == 'Z') {
    ++pos;
    offset_minutes = 0;
    return true;
  }
  if (s[pos] == 'z') {
    why = "lower-case 'z' is not a zone in this form";
    return false;
  }
  if (s[pos] != '+' && s[pos] != '-') {
    why = "no zone";
    return false;
  }
  const int sign = s[pos] == '+' ? 1 : -1;
  ++pos;
  int oh = 0, om = 0;
  bool ok = ReadDigits(s, pos, 2, oh);
  pos += 2;
  if (ok && form == OffsetForm::kColon) {
    ok = pos < s.size() && s[pos] == ':';
    ++pos;
  }
  ok = ok && ReadDigits(s, pos, 2, om);
  pos += 2;
  if (!ok) {
    why = form == OffsetForm::kColon ? "zone offset is not \302\261hh:mm" : "zone offset is not \302\261hhmm";
    return false;
  }
  if (om > 59 || oh * 60 + om > 14 * 60) {
    why = "zone offset out of range (beyond \302\26114:00)";
    return false;
  }
  offset_minutes = sign * (oh * 60 + om);
  return true;
}

// Applies the offset and the year range; the result is floor-truncated to milliseconds already.
ParsedTime Finish(std::string_view text, const Civil& c, int offset_minutes) {
  if (std::string why = CheckCivil(c); !why.empty()) return Bad(text, why, c.fraction_digits);
  const std::int64_t utc = CivilMillis(c) - std::int64_t{offset_minutes} * 60000;
  if (utc < kMinMs || utc > kMaxMs) return Bad(text, "outside years 0000..9999 in UTC", c.fraction_digits);
  return Ok(utc, c.fraction_digits);
}

// "YYYY-MM-DD" + sep + "hh:mm:ss" at 0; pos ends after the seconds. why says what is missing.
bool ReadExtendedDateTime(std::string_view s, Civil& c, size_t& pos, std::string& why, bool allow_space) {
  if (s.size() < 10 || !ReadDigits(s, 0, 4, c.year) || s[4] != '-' || !ReadDigits(s, 5, 2, c.month) || s[7] != '-' ||
      !ReadDigits(s, 8, 2, c.day)) {
    why = "not YYYY-MM-DD";
    return false;
  }
  if (s.size() == 10) {
    why = "date only";
    return false;
  }
  if (!(s[10] == 'T' || (allow_space && s[10] == ' '))) {
    why = allow_space ? "date and time not separated by 'T' or a space" : "date and time not separated by 'T'";
    return false;
  }
  if (!ReadDigits(s, 11, 2, c.hour) || s.size() < 16 || s[13] != ':' || !ReadDigits(s, 14, 2, c.minute)) {
    why = "time is not hh:mm:ss";
    return false;
  }
  if (s.size() == 16 || s[16] != ':') {
    why = "missing seconds";
    return false;
  }
  if (!ReadDigits(s, 17, 2, c.second)) {
    why = "seconds are not two digits";
    return false;
  }
  pos = 19;
  return true;
}

std::string TwoDigits(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

// "+hh:mm" for a UTC offset in seconds.
std::string OffsetText(std::chrono::seconds offset) {
  const long long total = offset.count();
  const long long a = total < 0 ? -total : total;
  return std::string(total < 0 ? "-" : "+") + TwoDigits(static_cast<int>(a / 3600)) + ":" +
         TwoDigits(static_cast<int>((a % 3600) / 60));
}

}  // namespace

ParsedTime ParseIsoInstant(std::string_view s) {
  if (s.empty()) return Fail(TimeStatus::kMissing, "empty");
  Civil c;
  size_t pos = 0;
  std::string why;
  if (!ReadExtendedDateTime(s, c, pos, why, /*allow_space=*/false)) {
    // FHIR dateTime allows a date to year, month or day precision: a period, not an instant.
    int y = 0, m = 0, d = 0;
    if (s.size() == 4 && ReadDigits(s, 0, 4, y)) return Bad(s, "date with year precision only, not an instant");
    if (s.size() == 7 && ReadDigits(s, 0, 4, y) && s[4] == '-' && ReadDigits(s, 5, 2, m)) {
      return Bad(s, "date with month precision only, not an instant");
    }
    if (s.size() == 10 && ReadDigits(s, 0, 4, y) && s[4] == '-' && ReadDigits(s, 5, 2, m) && s[7] == '-' &&
        ReadDigits(s, 8, 2, d)) {
      return Bad(s, "date with day precision only, not an instant");
    }
    return Bad(s, why);
  }
  if (!ReadFraction(s, pos, 9, c, why)) return Bad(s, why);
  int offset = 0;
  if (!ReadOffset(s, pos, OffsetForm::kColon, offset, why)) {
    if (why == "no zone") return pos >= s.size() ? Fail(TimeStatus::kUnparseable, "no zone", c.fraction_digits)
                                                 : Bad(s, "unexpected text after the time", c.fraction_digits);
    return Bad(s, why, c.fraction_digits);
  }
  if (pos != s.size()) return Bad(s, "trailing text after the zone", c.fraction_digits);
  return Finish(s, c, offset);
}

ParsedTime ParseMirthDateParam(std::string_view s) {
  if (s.empty()) return Fail(TimeStatus::kMissing, "empty");
  Civil c;
  size_t pos = 0;
  std::string why;
  if (!ReadExtendedDateTime(s, c, pos, why, /*allow_space=*/false)) return Bad(s, why);
  // SimpleDateFormat "ss.SSS": exactly three digits are required.
  if (pos >= s.size() || s[pos] != '.') return Bad(s, "milliseconds (.SSS) required");
  if (!ReadFraction(s, pos, 9, c, why)) return Bad(s, why);
  if (c.fraction_digits != 3) return Bad(s, "exactly three fraction digits (.SSS) required", c.fraction_digits);
  if (pos < s.size() && s[pos] == 'Z') return Bad(s, "zone must be \302\261hhmm, not Z", 3);
  int offset = 0;
  if (!ReadOffset(s, pos, OffsetForm::kNoColon, offset, why)) return Bad(s, why, 3);
  if (pos != s.size()) return Bad(s, "trailing text after the zone", 3);
  return Finish(s, c, offset);
}

ParsedTime ParseBasicIso8601(std::string_view s) {
  if (s.empty()) return Fail(TimeStatus::kMissing, "empty");
  Civil c;
  if (s.size() < 15 || !ReadDigits(s, 0, 4, c.year) || !ReadDigits(s, 4, 2, c.month) || !ReadDigits(s, 6, 2, c.day) ||
      s[8] != 'T' || !ReadDigits(s, 9, 2, c.hour) || !ReadDigits(s, 11, 2, c.minute) ||
      !ReadDigits(s, 13, 2, c.second)) {
    return Bad(s, "not YYYYMMDDThhmmss");
  }
  size_t pos = 15;
  std::string why;
  if (!ReadFraction(s, pos, 9, c, why)) return Bad(s, why);
  int offset = 0;
  if (!ReadOffset(s, pos, OffsetForm::kNoColon, offset, why)) {
    if (why == "no zone" && pos >= s.size()) return Fail(TimeStatus::kUnparseable, "no zone", c.fraction_digits);
    return Bad(s, why, c.fraction_digits);
  }
  if (pos != s.size()) return Bad(s, "trailing text after the zone", c.fraction_digits);
  return Finish(s, c, offset);
}

ParsedTime ParseEpoch(std::string_view s, EpochUnit unit) {
  if (s.empty()) return Fail(TimeStatus::kMissing, "empty");
  size_t pos = 0;
  const bool negative = s[0] == '-';
  if (negative) ++pos;
  const size_t int_start = pos;
  while (pos < s.size() && IsDigit(s[pos])) ++pos;
  const size_t int_digits = pos - int_start;
  if (int_digits == 0) return Bad(s, "not a decimal integer");
  // 16 digits hold every millisecond of years 0000..9999; more cannot be in range (and could
  // overflow), leading zeros aside.
  size_t first = int_start;
  while (first + 1 < pos && s[first] == '0') ++first;
  if (pos - first > 16) return Bad(s, "out of range");
  std::int64_t whole = 0;
  for (size_t i = first; i < pos; ++i) whole = whole * 10 + (s[i] - '0');
  Civil frac;
  if (pos < s.size() && s[pos] == '.') {
    if (unit == EpochUnit::kMilliseconds) return Bad(s, "fraction on epoch milliseconds");
    std::string why;
    if (!ReadFraction(s, pos, 9, frac, why)) return Bad(s, why);
  }
  if (pos != s.size()) return Bad(s, "trailing text after the number");
  if (unit == EpochUnit::kSeconds && whole > kMaxMs / 1000 + 1) return Bad(s, "out of range");
  std::int64_t ms = unit == EpochUnit::kSeconds ? whole * 1000 + frac.millis : whole;
  if (negative) {
    ms = -ms;
    // -1.0005 s is 1000.5 ms before the epoch: the floor is -1001 ms.
    if (frac.sub_ms) ms -= 1;
  }
  if (ms < kMinMs || ms > kMaxMs) return Bad(s, "outside years 0000..9999", frac.fraction_digits);
  return Ok(ms, unit == EpochUnit::kMilliseconds ? 3 : frac.fraction_digits);
}

ParsedTime ParseMirthCalendar(std::int64_t epoch_ms, std::string_view /*zone_id*/) {
  // The epoch is absolute; the zone only says how the server's JVM would display it.
  if (epoch_ms < kMinMs || epoch_ms > kMaxMs) {
    return Fail(TimeStatus::kUnparseable, "epoch milliseconds " + std::to_string(epoch_ms) + " outside years 0000..9999");
  }
  return Ok(epoch_ms, 3);
}

bool IsKnownTimeZone(std::string_view iana_zone) {
  if (iana_zone.empty()) return false;
  try {
    return date::locate_zone(std::string(iana_zone)) != nullptr;
  } catch (const std::exception&) {
    return false;  // the library reports an unknown zone by throwing; this API does not throw
  }
}

ParsedTime ParseLocalTime(std::string_view s, std::string_view iana_zone) {
  if (s.empty()) return Fail(TimeStatus::kMissing, "empty");
  Civil c;
  size_t pos = 0;
  std::string why;
  if (!ReadExtendedDateTime(s, c, pos, why, /*allow_space=*/true)) return Bad(s, why);
  if (!ReadFraction(s, pos, 9, c, why)) return Bad(s, why);
  if (pos != s.size()) {
    const char next = s[pos];
    if (next == 'Z' || next == 'z' || next == '+' || next == '-') {
      return Bad(s, "carries its own zone; not a local time", c.fraction_digits);
    }
    return Bad(s, "trailing text after the time", c.fraction_digits);
  }
  if (why = CheckCivil(c); !why.empty()) return Bad(s, why, c.fraction_digits);

  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(iana_zone));
  } catch (const std::exception&) {
    zone = nullptr;
  }
  if (zone == nullptr) return Fail(TimeStatus::kUnparseable, "unknown time zone " + std::string(iana_zone), c.fraction_digits);

  using namespace std::chrono;
  const std::int64_t wall_ms = CivilMillis(c);
  const date::local_time<milliseconds> local{milliseconds{wall_ms}};
  const date::local_seconds local_s = floor<seconds>(local);
  const date::local_info info = zone->get_info(local_s);
  const std::string zone_name(iana_zone);
  const std::string shown = std::string(s);
  switch (info.result) {
    case date::local_info::unique: {
      const std::int64_t utc = wall_ms - duration_cast<milliseconds>(info.first.offset).count();
      if (utc < kMinMs || utc > kMaxMs) return Bad(s, "outside years 0000..9999 in UTC", c.fraction_digits);
      return Ok(utc, c.fraction_digits);
    }
    case date::local_info::nonexistent: {
      // The gap: clocks jumped from the first offset to the second at info.second.begin.
      const std::int64_t jump = duration_cast<milliseconds>(info.second.begin.time_since_epoch()).count();
      return Fail(TimeStatus::kNonexistent,
                  "local time " + shown + " does not exist in " + zone_name + " (DST gap: at " + FormatUtcMs(jump) +
                      " clocks went from " + OffsetText(info.first.offset) + " to " + OffsetText(info.second.offset) +
                      ")",
                  c.fraction_digits);
    }
    case date::local_info::ambiguous: {
      const std::int64_t a = wall_ms - duration_cast<milliseconds>(info.first.offset).count();
      const std::int64_t b = wall_ms - duration_cast<milliseconds>(info.second.offset).count();
      return Fail(TimeStatus::kAmbiguous,
                  "local time " + shown + " occurs twice in " + zone_name + " (DST overlap): " + FormatUtcMs(a) + " (" +
                      info.first.abbrev + ", " + OffsetText(info.first.offset) + ") or " + FormatUtcMs(b) + " (" +
                      info.second.abbrev + ", " + OffsetText(info.second.offset) + ")",
                  c.fraction_digits);
    }
  }
  return Bad(s, "zone lookup failed", c.fraction_digits);
}

std::string FormatUtcMs(std::int64_t utc_ms) { return FormatUtcMillis(utc_ms); }

std::string FormatMirthDateParam(std::int64_t utc_ms) {
  std::string s = FormatUtcMillis(utc_ms);  // "...T00:00:00.000Z"
  s.pop_back();
  return s + "+0000";
}

}  // namespace custody::normalize
