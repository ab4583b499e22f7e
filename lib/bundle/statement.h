#pragma once
// The canonical statement: a small text file that is at once the signed document and a
// `sha256sum -c` check file. Header lines start with "# " (sha256sum skips them); the rest are
// "<sha256>  <path>" lines, sorted bytewise by path. See docs/bundle-format.md.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace custody::bundle {

struct Statement {
  std::string bundle_id;
  std::string case_id;
  std::string examiner;
  std::string sealed_at;                  // RFC 3339 UTC with Z
  std::string payload_oxum;               // "<bytes>.<files>"
  std::string time_window = "none";       // "<start>/<end>" for collections; "none" for seal
  std::string previous_statement_sha256;  // 64 hex or "none"
  std::vector<std::pair<std::string, std::string>> files;  // path -> sha256 hex
};

std::string RenderStatement(const Statement& statement);
// Strict: the exact header order, LF line ends, sorted unique paths, lower-case hex.
Result<Statement> ParseStatement(std::string_view text);

// A header value must be one line of UTF-8 without control characters.
Status CheckHeaderValue(std::string_view label, std::string_view value);

}  // namespace custody::bundle
