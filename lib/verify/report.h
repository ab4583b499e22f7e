#pragma once

#include <string>

#include "verify/finding.h"

namespace custody::verify {

// Readable report: one line a finding ("ERROR kind path: message"), then a summary.
std::string RenderText(const VerifyReport& report);
// JSON per schemas/verify-report.schema.json.
std::string RenderJson(const VerifyReport& report);

}  // namespace custody::verify
