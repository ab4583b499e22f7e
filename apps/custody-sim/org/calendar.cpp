#include "org/calendar.h"

#include <algorithm>

namespace custody::sim::gen {
namespace {

constexpr int kStandardOffset[kTimeZoneCount] = {-300, -360, -420, -480};

}  // namespace

const char* TimeZoneId(TimeZone tz) {
  switch (tz) {
    case TimeZone::kNewYork: return "America/New_York";
    case TimeZone::kChicago: return "America/Chicago";
    case TimeZone::kDenver: return "America/Denver";
    case TimeZone::kLosAngeles: return "America/Los_Angeles";
  }
  return "America/New_York";
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int WeekdayOfDays(int64_t days) {
  const int64_t w = (days + 4) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(w < 0 ? w + 7 : w);
}

namespace {

// Daylight-saving intervals [start, end) per zone and year, 1970-2199, computed once.
struct DstTable {
  static constexpr int kFirstYear = 1970;
  static constexpr int kYears = 230;
  TimeMs start[kTimeZoneCount][kYears];
  TimeMs end[kTimeZoneCount][kYears];
  DstTable() {
    for (int tz = 0; tz < kTimeZoneCount; ++tz) {
      const int standard = kStandardOffset[tz];
      for (int y = 0; y < kYears; ++y) {
        // Second Sunday of March, 02:00 standard time; first Sunday of November, 02:00 daylight time.
        const int64_t march1 = DaysFromCivil(kFirstYear + y, 3, 1);
        const int64_t dst_start_day = march1 + (7 - WeekdayOfDays(march1)) % 7 + 7;
        const int64_t nov1 = DaysFromCivil(kFirstYear + y, 11, 1);
        const int64_t dst_end_day = nov1 + (7 - WeekdayOfDays(nov1)) % 7;
        start[tz][y] = dst_start_day * kDay + 2 * kHour - standard * kMinute;
        end[tz][y] = dst_end_day * kDay + 1 * kHour - standard * kMinute;
      }
    }
  }
};

const DstTable& Dst() {
  static const DstTable table;
  return table;
}

}  // namespace

int UtcOffsetMinutes(TimeZone tz, TimeMs t) {
  const int z = static_cast<int>(tz);
  const int standard = kStandardOffset[z];
  const DstTable& dst = Dst();
  // Years are ~365.25 days: the guess is off by at most one, so look at its neighbours too.
  const int guess = static_cast<int>(FloorTo(t, kDay) / kDay * 4 / 1461);
  for (int y = std::max(0, guess - 1); y <= std::min(DstTable::kYears - 1, guess + 1); ++y) {
    if (t >= dst.start[z][y] && t < dst.end[z][y]) return standard + 60;
  }
  return standard;
}

LocalTime ToLocal(TimeZone tz, TimeMs t) {
  const TimeMs local = t + UtcOffsetMinutes(tz, t) * kMinute;
  LocalTime out;
  out.day = FloorTo(local, kDay) / kDay;
  out.weekday = WeekdayOfDays(out.day);
  out.hour = static_cast<double>(local - out.day * kDay) / static_cast<double>(kHour);
  return out;
}

}  // namespace custody::sim::gen
