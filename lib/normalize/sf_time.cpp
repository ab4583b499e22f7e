#include "normalize/sf_time.h"

#include <chrono>
#include <cstdio>

#include "core/time.h"

namespace custody::normalize {

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int& out) { return ReadDigits(s, pos, n, out); }

// Civil time in UTC to Unix milliseconds, with every field range-checked. Leap seconds (:60)
// are refused: Salesforce never emits them and Unix time cannot hold them without a guess.
std::optional<std::int64_t> ToMillis(int year, int month, int day, int hour, int minute, int second,
                                     int millis) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;  // Feb 30, Feb 29 on a common year, Apr 31...
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return ((days * 24 + hour) * 60 + minute) * std::int64_t{60000} + std::int64_t{second} * 1000 + millis;
}

// Parses "." followed by 1..max_digits digits at pos (when present), truncating to
// milliseconds. Returns false on a dot without digits or too many digits.
bool Fraction(std::string_view s, size_t& pos, size_t max_digits, int& millis) {
  millis = 0;
  if (pos >= s.size() || s[pos] != '.') return true;
  ++pos;
  const size_t start = pos;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
  const size_t n = pos - start;
  if (n == 0 || n > max_digits) return false;
  // Truncate, never round: rounding could move an event into the next second (or day).
  int scale = 100;
  for (size_t i = 0; i < n && i < 3; ++i) {
    millis += (s[start + i] - '0') * scale;
    scale /= 10;
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> ParseIsoDateTime(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !Digits(s, 0, 4, year) || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day) || s[10] != 'T' || !Digits(s, 11, 2, hour) || s[13] != ':' ||
      !Digits(s, 14, 2, minute) || s[16] != ':' || !Digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int millis = 0;
  if (!Fraction(s, pos, 9, millis)) return std::nullopt;
  if (pos >= s.size()) return std::nullopt;  // no zone: local time of an unknown place
  int offset_minutes = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int sign = s[pos] == '+' ? 1 : -1;
    ++pos;
    int oh, om;
    if (!Digits(s, pos, 2, oh)) return std::nullopt;
    pos += 2;
    if (pos < s.size() && s[pos] == ':') ++pos;  // "+00:00" and "+0000" are both in use
    if (!Digits(s, pos, 2, om)) return std::nullopt;
    pos += 2;
    if (oh > 14 || om > 59) return std::nullopt;
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto local = ToMillis(year, month, day, hour, minute, second, millis);
  if (!local) return std::nullopt;
  // The text is local time at the offset; UTC = local - offset.
  const std::int64_t utc = *local - std::int64_t{offset_minutes} * 60000;
  // An offset can push year 0000 or 9999 out of the four-digit years every output form has.
  constexpr std::int64_t kMin = -62167219200000;  // 0000-01-01T00:00:00.000Z
  constexpr std::int64_t kMax = 253402300799999;  // 9999-12-31T23:59:59.999Z
  if (utc < kMin || utc > kMax) return std::nullopt;
  return utc;
}

std::optional<std::int64_t> ParseElfTimestamp(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, year) || !Digits(s, 4, 2, month) || !Digits(s, 6, 2, day) || !Digits(s, 8, 2, hour) ||
      !Digits(s, 10, 2, minute) || !Digits(s, 12, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 14;
  int millis = 0;
  // Observed: ".SSS", trimmed ".SS"/".S" and none at all (research §7).
  if (!Fraction(s, pos, 3, millis)) return std::nullopt;
  if (pos != s.size()) return std::nullopt;
  return ToMillis(year, month, day, hour, minute, second, millis);
}

std::optional<std::int64_t> ParseDate(std::string_view s) {
  int year, month, day;
  if (s.size() != 10 || !Digits(s, 0, 4, year) || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' ||
      !Digits(s, 8, 2, day)) {
    return std::nullopt;
  }
  return ToMillis(year, month, day, 0, 0, 0, 0);
}

std::optional<std::int64_t> ParseAnySalesforceTime(std::string_view text) {
  // The three forms cannot be confused: only ISO has 'T', only the date is 10 characters with
  // dashes and no 'T', only ELF is all digits.
  if (auto t = ParseIsoDateTime(text)) return t;
  if (auto t = ParseElfTimestamp(text)) return t;
  return ParseDate(text);
}

std::string FormatUtcMillis(std::int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{unix_ms}};
  const auto days = floor<std::chrono::days>(t);
  const year_month_day ymd{days};
  const hh_mm_ss hms{t - days};
  const int year = static_cast<int>(ymd.year());
  const unsigned fields[6] = {static_cast<unsigned>(ymd.month()),        static_cast<unsigned>(ymd.day()),
                              static_cast<unsigned>(hms.hours().count()), static_cast<unsigned>(hms.minutes().count()),
                              static_cast<unsigned>(hms.seconds().count()),
                              static_cast<unsigned>(hms.subseconds().count())};
  if (year < 0 || year > 9999) {
    // Outside four digits (only a corrupt or hostile value gets here): printf's rules.
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", year, fields[0], fields[1], fields[2],
                  fields[3], fields[4], fields[5]);
    return buf;
  }
  // Every record's @timestamp is written through here: digits by hand, not through printf.
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&out](size_t at, unsigned value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<unsigned>(year), 4);
  put(5, fields[0], 2);
  put(8, fields[1], 2);
  put(11, fields[2], 2);
  put(14, fields[3], 2);
  put(17, fields[4], 2);
  put(20, fields[5], 3);
  return out;
}

}  // namespace custody::normalize
