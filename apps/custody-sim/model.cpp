#include "model.h"

#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

namespace custody::sim {
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

namespace {

struct Civil {
  int64_t year;
  unsigned month, day, hour, minute, second, millis;
};

Civil ToCivil(TimeMs t) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{t}};
  const auto day_point = floor<days>(tp);
  const year_month_day ymd{day_point};
  const auto in_day = duration_cast<milliseconds>(tp - day_point).count();
  return Civil{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()), static_cast<unsigned>(in_day / 3600000),
               static_cast<unsigned>(in_day / 60000 % 60), static_cast<unsigned>(in_day / 1000 % 60),
               static_cast<unsigned>(in_day % 1000)};
}

}  // namespace

const FieldDef* ObjectDef::Find(std::string_view field_name) const {
  const int i = IndexOf(field_name);
  return i < 0 ? nullptr : &fields[static_cast<size_t>(i)];
}

int ObjectDef::IndexOf(std::string_view field_name) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (EqualsIgnoreCase(fields[i].name, field_name)) return static_cast<int>(i);
  }
  return -1;
}

const Value* Record::Get(std::string_view field_name) const {
  if (def == nullptr) return nullptr;
  const int i = def->IndexOf(field_name);
  if (i < 0 || static_cast<size_t>(i) >= values.size()) return nullptr;
  return &values[static_cast<size_t>(i)];
}

std::string FormatSfDateTime(TimeMs t) {
  const Civil c = ToCivil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03u+0000", c.year, c.month,
                c.day, c.hour, c.minute, c.second, c.millis);
  return buf;
}

std::string FormatIsoZ(TimeMs t) {
  const Civil c = ToCivil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03uZ", c.year, c.month,
                c.day, c.hour, c.minute, c.second, c.millis);
  return buf;
}

std::string FormatSfDate(int64_t days) {
  const Civil c = ToCivil(days * 86400000);
  char buf[24];
  std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02u", c.year, c.month, c.day);
  return buf;
}

std::string FormatSfDouble(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

}  // namespace custody::sim
