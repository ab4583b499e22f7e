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
