#include "soql_render.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "org/calendar.h"

namespace custody::sim::soql {
namespace {

constexpr int64_t kDayMs = 86400000;

using gen::CivilFromDays;
using Civil = gen::CivilDate;

void Put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Writes "yyyy-mm-dd" (10 bytes) for years 0..9999; false otherwise.
bool PutDate(char* p, const Civil& c) {
  if (c.year < 0 || c.year > 9999) return false;
  const auto y = static_cast<unsigned>(c.year);
  Put2(p, y / 100);
  Put2(p + 2, y % 100);
  p[4] = '-';
  Put2(p + 5, c.month);
  p[7] = '-';
  Put2(p + 8, c.day);
  return true;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  AppendJsonEscaped(out, s);
  out->push_back('"');
}

void AppendJsonEscaped(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
}

void AppendCsvQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '"') continue;
    out->append(s.data() + run, i + 1 - run);
    out->push_back('"');
    run = i + 1;
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendDateTime(std::string* out, TimeMs t, bool iso_z) {
  int64_t days = t / kDayMs;
  int64_t ms = t % kDayMs;
  if (ms < 0) {
    ms += kDayMs;
    --days;
  }
  const Civil c = CivilFromDays(days);
  const auto in_day = static_cast<unsigned>(ms);
  char buf[40];
  if (!PutDate(buf, c)) {
    const int n = std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03u%s", c.year, c.month,
                                c.day, in_day / 3600000, in_day / 60000 % 60, in_day / 1000 % 60, in_day % 1000,
                                iso_z ? "Z" : "+0000");
    out->append(buf, static_cast<size_t>(std::max(n, 0)));
    return;
  }
  buf[10] = 'T';
  Put2(buf + 11, in_day / 3600000);
  buf[13] = ':';
  Put2(buf + 14, in_day / 60000 % 60);
  buf[16] = ':';
  Put2(buf + 17, in_day / 1000 % 60);
  buf[19] = '.';
  const unsigned millis = in_day % 1000;
  buf[20] = static_cast<char>('0' + millis / 100);
  Put2(buf + 21, millis % 100);
  if (iso_z) {
    buf[23] = 'Z';
    out->append(buf, 24);
  } else {
    buf[23] = '+';
    buf[24] = buf[25] = buf[26] = buf[27] = '0';
    out->append(buf, 28);
  }
}

void AppendDate(std::string* out, int64_t days) {
  const Civil c = CivilFromDays(days);
  char buf[40];
  if (PutDate(buf, c)) {
    out->append(buf, 10);
    return;
  }
  const int n = std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02u", c.year, c.month, c.day);
  out->append(buf, static_cast<size_t>(std::max(n, 0)));
}

void AppendInt(std::string* out, int64_t n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

void AppendDouble(std::string* out, double d, std::string_view null_text) {
  if (!std::isfinite(d)) {
    out->append(null_text);
    return;
  }
  out->append(FormatSfDouble(d));
}

}  // namespace custody::sim::soql
