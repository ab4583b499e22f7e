#pragma once
// Salesforce timestamp forms to UTC milliseconds. Exact: every accepted form is listed; anything
// else is nullopt (the caller records the original text and a flag, never a guess). Nothing here
// reads the local time zone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace custody::normalize {

// REST/SOAP dateTime and ISO 8601 with a zone: "2026-04-15T12:34:56.000+0000", "+00:00", "-0500",
// "Z", 0 to 9 fraction digits (truncated to milliseconds), e.g. Bulk CSV "2026-04-15T12:34:56.000Z"
// and ELF TIMESTAMP_DERIVED. A time without a zone is nullopt.
std::optional<std::int64_t> ParseIsoDateTime(std::string_view text);
// ELF TIMESTAMP "yyyyMMddHHmmss" with ".S", ".SS", ".SSS" or no fraction; GMT.
std::optional<std::int64_t> ParseElfTimestamp(std::string_view text);
// "yyyy-MM-dd" (a Salesforce date, e.g. a LogDate on an old API version): midnight UTC.
std::optional<std::int64_t> ParseDate(std::string_view text);
// Tries the forms above in that order.
std::optional<std::int64_t> ParseAnySalesforceTime(std::string_view text);

// "2026-04-15T12:34:56.000Z" (RFC 3339, UTC, milliseconds).
std::string FormatUtcMillis(std::int64_t unix_ms);

}  // namespace custody::normalize
