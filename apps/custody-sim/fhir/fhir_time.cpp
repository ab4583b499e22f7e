#include "fhir/fhir_time.h"

#include <cinttypes>
#include <cstdio>

namespace custody::sim::fhir {
namespace {

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second;
  int64_t micros;
};

// Howard Hinnant's days-from-civil algorithms (proleptic Gregorian), written out here.
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2 ? 1 : 0);
}

Civil ToCivil(int64_t us) {
  int64_t days = us / kUsPerDay;
  int64_t rem = us % kUsPerDay;
  if (rem < 0) {
    rem += kUsPerDay;
    --days;
  }
  Civil c{};
  CivilFromDays(days, &c.year, &c.month, &c.day);
  const int64_t secs = rem / kUsPerSecond;
  c.micros = rem % kUsPerSecond;
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  return c;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatInstant(int64_t utc_us, int offset_minutes, bool zulu, int fraction_digits) {
  if (zulu) offset_minutes = 0;
  const Civil c = ToCivil(utc_us + static_cast<int64_t>(offset_minutes) * 60 * kUsPerSecond);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u", c.year, c.month, c.day, c.hour,
                        c.minute, c.second);
  if (fraction_digits == 3) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%03" PRId64, c.micros / 1000);
  } else if (fraction_digits == 6) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), ".%06" PRId64, c.micros);
  }
  if (zulu) {
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "Z");
  } else {
    const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(buf + n, sizeof buf - static_cast<size_t>(n), "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60,
                  a % 60);
  }
  return buf;
}

std::string FormatMsZ(int64_t utc_ms) { return FormatInstant(utc_ms * 1000, 0, true, 3); }

std::string HttpDate(int64_t utc_ms) {
  const int64_t us = utc_ms * 1000;
  const Civil c = ToCivil(us);
  int64_t days = us / kUsPerDay;
  if (us % kUsPerDay < 0) --days;
  static const char* kWeek[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // 1970-01-01 was a Thursday
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t wd = ((days % 7) + 7) % 7;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04" PRId64 " %02u:%02u:%02u GMT", kWeek[wd], c.day, kMonths[c.month - 1],
                c.year, c.hour, c.minute, c.second);
  return buf;
}

bool ParseFhirTime(std::string_view s, TimeRange* out, std::string* error) {
  auto fail = [&](const char* why) {
    *error = why;
    return false;
  };
  int year = 0, month = 1, day = 1;
  if (!Digits(s, 0, 4, &year) || year == 0) return fail("expected a year YYYY");
  if (s.size() == 4) {
    out->lo = DaysFromCivil(year, 1, 1) * kUsPerDay;
    out->hi = DaysFromCivil(year + 1, 1, 1) * kUsPerDay;
    return true;
  }
  if (s[4] != '-' || !Digits(s, 5, 2, &month) || month < 1 || month > 12) return fail("expected a month YYYY-MM");
  if (s.size() == 7) {
    out->lo = DaysFromCivil(year, static_cast<unsigned>(month), 1) * kUsPerDay;
    out->hi = (month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, static_cast<unsigned>(month) + 1, 1)) *
              kUsPerDay;
    return true;
  }
  if (s.size() < 10 || s[7] != '-' || !Digits(s, 8, 2, &day) || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month))) {
    return fail("expected a date YYYY-MM-DD");
  }
  const int64_t day_us = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * kUsPerDay;
  if (s.size() == 10) {
    out->lo = day_us;
    out->hi = day_us + kUsPerDay;
    return true;
  }
  int hour = 0, minute = 0, second = 0;
  if (s[10] != 'T') return fail("expected 'T' after the date");
  if (!Digits(s, 11, 2, &hour) || hour > 23 || s.size() < 16 || s[13] != ':' || !Digits(s, 14, 2, &minute) ||
      minute > 59) {
    return fail("expected a time hh:mm");
  }
  size_t pos = 16;
  int64_t width = 60 * kUsPerSecond;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!Digits(s, pos + 1, 2, &second) || second > 60) return fail("expected seconds ss");
    pos += 3;
    width = kUsPerSecond;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      size_t digits = 0;
      int64_t scale = kUsPerSecond;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) {
          scale /= 10;
          micros += (s[pos] - '0') * scale;
        }
        ++digits;
        ++pos;
      }
      if (digits == 0) return fail("expected digits after '.'");
      width = digits >= 6 ? 1 : scale;
    }
  }
  if (pos >= s.size()) return fail("a time needs a zone (Z or +hh:mm/-hh:mm)");
  int64_t offset_minutes = 0;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &om) ||
        om > 59 || oh * 60 + om > 14 * 60) {
      return fail("expected a zone offset +hh:mm or -hh:mm");
    }
    offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else if (s[pos] == ' ') {
    return fail("a space where the zone should be: a '+' in a URL must be sent as %2B");
  } else {
    return fail("a time needs a zone (Z or +hh:mm/-hh:mm)");
  }
  if (pos != s.size()) return fail("unexpected text after the zone");
  out->lo = day_us + (hour * 3600 + minute * 60 + second) * kUsPerSecond + micros - offset_minutes * 60 * kUsPerSecond;
  out->hi = out->lo + width;
  return true;
}

}  // namespace custody::sim::fhir
