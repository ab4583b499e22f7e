#pragma once
// Value text for query results, appended in place (no temporary strings on the common paths).
// Output is byte-identical to model.h's FormatSfDateTime / FormatIsoZ / FormatSfDate /
// FormatSfDouble.

#include <cstdint>
#include <string>
#include <string_view>

#include "model.h"

namespace custody::sim::soql {

// A JSON string literal: quotes, backslashes and control characters escaped, other bytes
// (UTF-8 included) copied.
void AppendJsonString(std::string* out, std::string_view s);
// The same without the surrounding quotes.
void AppendJsonEscaped(std::string* out, std::string_view s);
// A CSV field in double quotes, inner quotes doubled.
void AppendCsvQuoted(std::string* out, std::string_view s);
// "2026-04-15T12:34:56.000+0000", or "2026-04-15T12:34:56.000Z" when iso_z.
void AppendDateTime(std::string* out, TimeMs t, bool iso_z);
// "2026-04-15"
void AppendDate(std::string* out, int64_t days);
void AppendInt(std::string* out, int64_t n);
// "2692.0"; non-finite values have no JSON form and are written as `null_text`.
void AppendDouble(std::string* out, double d, std::string_view null_text);

}  // namespace custody::sim::soql
