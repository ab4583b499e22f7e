#include "core/time.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace custody {

UtcSeconds SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

namespace {
struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

Civil ToCivil(UtcSeconds t) {
  auto days = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{t - days};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()), static_cast<unsigned>(hms.hours().count()),
          static_cast<unsigned>(hms.minutes().count()), static_cast<unsigned>(hms.seconds().count())};
}
}  // namespace

std::string FormatRfc3339(UtcSeconds t) {
  Civil c = ToCivil(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02uZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::string FormatCompact(UtcSeconds t) {
  Civil c = ToCivil(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02u%02u%02uZ", c.year, c.month, c.day, c.hour, c.minute,
                c.second);
  return buf;
}

std::string FormatDate(UtcSeconds t) {
  Civil c = ToCivil(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
  return buf;
}

bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

namespace {
bool Digits(std::string_view s, size_t pos, size_t n, int& out) { return ReadDigits(s, pos, n, out); }
}  // namespace

Result<UtcSeconds> ParseRfc3339(std::string_view s) {
  auto bad = [&](const char* why) {
    return Error(ErrorCode::kParse, "invalid RFC 3339 time '" + std::string(s) + "': " + why);
  };
  int y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !Digits(s, 11, 2, h) || s[13] != ':' ||
      !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, se)) {
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad("empty fraction");
  }
  if (pos >= s.size()) return bad("no time zone (add Z or an offset such as +00:00)");
  int offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad("offset must be +hh:mm or -hh:mm");
    }
    offset_minutes = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad("no time zone (add Z or an offset such as +00:00)");
  }
  if (pos != s.size()) return bad("trailing characters");
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return bad("field out of range");
  UtcSeconds t = std::chrono::sys_days{ymd} + std::chrono::hours{h} + std::chrono::minutes{mi} +
                 std::chrono::seconds{se};
  return t - std::chrono::minutes{offset_minutes};
}

Result<UtcSeconds> SealTime(const Clock& clock) {
  const char* env = std::getenv("SOURCE_DATE_EPOCH");
  if (env == nullptr || *env == '\0') return clock.Now();
  // Digits only: strtoll would also take leading spaces and a sign ("+12", " 12").
  constexpr long long kMax = 253402300799LL;  // 9999-12-31T23:59:59Z
  long long v = 0;
  bool ok = true;
  for (const char* p = env; *p != '\0' && ok; ++p) {
    if (*p < '0' || *p > '9') {
      ok = false;
    } else {
      v = v * 10 + (*p - '0');
      ok = v <= kMax;
    }
  }
  if (!ok) {
    return Error(ErrorCode::kInvalidArgument,
                 "SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01T00:00:00Z (0 to " + std::to_string(kMax) +
                     "), got '" + std::string(env) + "'");
  }
  return UtcSeconds{std::chrono::seconds{v}};
}

}  // namespace custody
