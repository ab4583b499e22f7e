#pragma once
// Civil time for generating business-hours patterns in users' own time zones. Only US zones (with
// the post-2007 US daylight-saving rule) are needed; all stored times stay UTC milliseconds.

#include <cstdint>

#include "model.h"

namespace custody::sim::gen {

inline constexpr TimeMs kSecond = 1000;
inline constexpr TimeMs kMinute = 60 * kSecond;
inline constexpr TimeMs kHour = 60 * kMinute;
inline constexpr TimeMs kDay = 24 * kHour;

enum class TimeZone : uint8_t { kNewYork, kChicago, kDenver, kLosAngeles };
inline constexpr int kTimeZoneCount = 4;

const char* TimeZoneId(TimeZone tz);  // "America/New_York"
// Minutes east of UTC at instant t (e.g. -240 for New York in April).
int UtcOffsetMinutes(TimeZone tz, TimeMs t);

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};
// Days since the epoch to the proleptic Gregorian date (H. Hinnant's civil_from_days); inline,
// since the formatters on the hot paths call it once per row.
inline CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}
// 0 = Sunday .. 6 = Saturday, for days since the epoch.
int WeekdayOfDays(int64_t days);

struct LocalTime {
  int64_t day;   // local calendar day, days since epoch
  int weekday;   // 0 = Sunday
  double hour;   // fractional hour of the local day, [0, 24)
};
LocalTime ToLocal(TimeZone tz, TimeMs t);

inline TimeMs FloorTo(TimeMs t, TimeMs unit) {
  const TimeMs q = t / unit;
  return (t % unit < 0 ? q - 1 : q) * unit;
}
inline TimeMs CeilTo(TimeMs t, TimeMs unit) { return -FloorTo(-t, unit); }

}  // namespace custody::sim::gen
