#include "bundle/statement.h"

#include <algorithm>

#include "bundle/layout.h"
#include "core/encoding.h"

namespace custody::bundle {

namespace {
constexpr std::string_view kLabels[] = {"bundle-id",  "case-id",     "examiner",
                                        "sealed-at",  "payload-oxum", "time-window",
                                        "previous-statement-sha256"};
}

Status CheckHeaderValue(std::string_view label, std::string_view value) {
  if (value.empty()) return Error(ErrorCode::kInvalidArgument, std::string(label) + " must not be empty");
  if (!IsValidUtf8(value)) return Error(ErrorCode::kInvalidArgument, std::string(label) + " is not valid UTF-8");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return Error(ErrorCode::kInvalidArgument, std::string(label) + " must not contain control characters");
    }
  }
  if (value.front() == ' ' || value.back() == ' ') {
    return Error(ErrorCode::kInvalidArgument, std::string(label) + " must not start or end with a space");
  }
  return Status::Ok();
}

std::string RenderStatement(const Statement& s) {
  std::string out = "# " + std::string(kStatementFormat) + "\n";
  const std::string* values[] = {&s.bundle_id,    &s.case_id,     &s.examiner,
                                 &s.sealed_at,    &s.payload_oxum, &s.time_window,
                                 &s.previous_statement_sha256};
  for (size_t i = 0; i < std::size(kLabels); ++i) {
    out += "# ";
    out += kLabels[i];
    out += ": ";
    out += *values[i];
    out += '\n';
  }
  auto files = s.files;
  std::sort(files.begin(), files.end());
  for (const auto& [path, digest] : files) out += digest + "  " + path + "\n";
  return out;
}

Result<Statement> ParseStatement(std::string_view text) {
  auto bad = [](std::string why) { return Error(ErrorCode::kParse, "statement.txt: " + why); };
  if (!IsValidUtf8(text)) return bad("not valid UTF-8");
  if (text.empty() || text.back() != '\n') return bad("must end with a line feed");
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  for (std::string_view line : lines) {
    if (line.find('\r') != std::string_view::npos) return bad("carriage return in a line");
  }
  if (lines.size() < 1 + std::size(kLabels)) return bad("header is incomplete");
  if (lines[0] != "# " + std::string(kStatementFormat)) {
    return bad("first line must be '# " + std::string(kStatementFormat) + "', found '" + std::string(lines[0]) + "'");
  }
  Statement s;
  std::string* values[] = {&s.bundle_id,    &s.case_id,     &s.examiner,
                           &s.sealed_at,    &s.payload_oxum, &s.time_window,
                           &s.previous_statement_sha256};
  for (size_t i = 0; i < std::size(kLabels); ++i) {
    std::string prefix = "# " + std::string(kLabels[i]) + ": ";
    std::string_view line = lines[1 + i];
    if (line.substr(0, prefix.size()) != prefix) return bad("line " + std::to_string(2 + i) + " must start with '" + prefix + "'");
    *values[i] = std::string(line.substr(prefix.size()));
    if (!CheckHeaderValue(kLabels[i], *values[i])) return bad(std::string(kLabels[i]) + " has an invalid value");
  }
  if (s.previous_statement_sha256 != "none" && !IsLowerHex(s.previous_statement_sha256, 64)) {
    return bad("previous-statement-sha256 must be 64 lower-case hex digits or 'none'");
  }
  for (size_t i = 1 + std::size(kLabels); i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.size() < 67 || line.substr(64, 2) != "  " || !IsLowerHex(line.substr(0, 64), 64)) {
      return bad("line " + std::to_string(i + 1) + " is not '<sha256>  <path>'");
    }
    std::string path(line.substr(66));
    // The statement is a `sha256sum -c` file run from the bag's folder: paths stay inside it.
    bool unsafe = path.empty() || path[0] == '/' || path.find('\\') != std::string::npos ||
                  ("/" + path + "/").find("/../") != std::string::npos ||
                  ("/" + path + "/").find("/./") != std::string::npos ||
                  path.find("//") != std::string::npos;
    for (unsigned char c : path) unsafe = unsafe || c < 0x20 || c == 0x7f;
    if (unsafe) return bad("line " + std::to_string(i + 1) + " names an unsafe path '" + path + "'");
    if (!s.files.empty() && !(s.files.back().first < path)) return bad("paths are not sorted and unique at '" + path + "'");
    s.files.emplace_back(path, std::string(line.substr(0, 64)));
  }
  return s;
}

}  // namespace custody::bundle
