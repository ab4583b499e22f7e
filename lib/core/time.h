#pragma once
// UTC time. Nothing here reads the local time zone.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace custody {

using UtcSeconds = std::chrono::sys_seconds;

// Source of "now"; a seam so tests fix time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UtcSeconds Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UtcSeconds Now() const override;
};

// RFC 3339 in UTC with a Z: "2026-11-23T11:37:13Z".
std::string FormatRfc3339(UtcSeconds t);
// "20261123T113713Z", for file and folder names.
std::string FormatCompact(UtcSeconds t);
// "2026-11-23", BagIt's Bagging-Date.
std::string FormatDate(UtcSeconds t);
// Reads exactly n ASCII digits at pos into out. No sign and no spaces (std::from_chars and strtol
// accept more than timestamp formats allow); false when they are not all there.
bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out);

// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)"; a time without a zone is an error.
Result<UtcSeconds> ParseRfc3339(std::string_view text);

// SOURCE_DATE_EPOCH when set (reproducible builds convention), otherwise the clock.
// A malformed SOURCE_DATE_EPOCH is an error, never silently ignored.
Result<UtcSeconds> SealTime(const Clock& clock);

}  // namespace custody
