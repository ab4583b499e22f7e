// bundle/statement: the signed statement's exact text, and the strict parser's refusals.

#include "bundle/statement.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace custody;
using bundle::Statement;

namespace {

const std::string kHexA(64, 'a');
const std::string kHexB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Statement Sample() {
  Statement s;
  s.bundle_id = "04aa969a-5c8f-8581-a531-d1e8a4ce9f55";
  s.case_id = "IR-2026-014";
  s.examiner = "Jane Examiner";
  s.sealed_at = "2026-11-23T11:37:13Z";
  s.payload_oxum = "1159.4";
  s.previous_statement_sha256 = "none";
  s.files = {{"bagit.txt", kHexB}, {"bag-info.txt", kHexA}};  // unsorted on purpose
  return s;
}

const std::string kSampleText =
    "# custody-statement/1\n"
    "# bundle-id: 04aa969a-5c8f-8581-a531-d1e8a4ce9f55\n"
    "# case-id: IR-2026-014\n"
    "# examiner: Jane Examiner\n"
    "# sealed-at: 2026-11-23T11:37:13Z\n"
    "# payload-oxum: 1159.4\n"
    "# time-window: none\n"
    "# previous-statement-sha256: none\n" +
    kHexA + "  bag-info.txt\n" + kHexB + "  bagit.txt\n";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a statement renders as the documented text, files sorted bytewise", "[bundle]") {
  CHECK(bundle::RenderStatement(Sample()) == kSampleText);
}

TEST_CASE("a rendered statement parses back to the same fields", "[bundle]") {
  Statement s = Sample();
  s.case_id = "IR/2026 #14 Zo\xc3\xab";
  s.time_window = "2026-01-01T00:00:00Z/2026-02-01T00:00:00Z";
  s.previous_statement_sha256 = kHexB;
  s.files.emplace_back("data/exports/report export (1).csv", kHexB);
  Result<Statement> back = bundle::ParseStatement(bundle::RenderStatement(s));
  REQUIRE(back);
  CHECK(back->bundle_id == s.bundle_id);
  CHECK(back->case_id == s.case_id);
  CHECK(back->examiner == s.examiner);
  CHECK(back->sealed_at == s.sealed_at);
  CHECK(back->payload_oxum == s.payload_oxum);
  CHECK(back->time_window == s.time_window);
  CHECK(back->previous_statement_sha256 == s.previous_statement_sha256);
  std::sort(s.files.begin(), s.files.end());
  CHECK(back->files == s.files);
  CHECK(bundle::RenderStatement(*back) == bundle::RenderStatement(s));
}

TEST_CASE("the statement parser refuses anything but the exact format", "[bundle]") {
  auto [why, text] = GENERATE(table<std::string, std::string>({
      {"CRLF line ends", Replace(Replace(kSampleText, "bagit.txt\n", "bagit.txt\r\n"), "none\n", "none\r\n")},
      {"a carriage return in a file line", Replace(kSampleText, "bagit.txt\n", "bagit.txt\r\n")},
      {"no final line feed", kSampleText.substr(0, kSampleText.size() - 1)},
      {"empty", ""},
      {"unsorted paths", Replace(Replace(kSampleText, "  bag-info.txt", "  zzz.txt"), "  bagit.txt", "  aaa.txt")},
      {"a duplicate path", Replace(kSampleText, "  bagit.txt", "  bag-info.txt")},
      {"upper-case hex",
       Replace(kSampleText, kHexB, "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")},
      {"short hex", Replace(kSampleText, kHexA + "  ", std::string(63, 'a') + "  ")},
      {"non-hex digest", Replace(kSampleText, kHexA + "  ", std::string(63, 'a') + "g  ")},
      {"one space before the path", Replace(kSampleText, kHexA + "  ", kHexA + " ")},
      {"an empty path", Replace(kSampleText, "  bagit.txt", "  ")},
      {"a blank line", Replace(kSampleText, "none\n" + kHexA, "none\n\n" + kHexA)},
      {"wrong header order", Replace(Replace(kSampleText, "# case-id: IR-2026-014\n", "# examiner: X\n"),
                                     "# examiner: Jane Examiner\n", "# case-id: IR-2026-014\n")},
      {"an unknown header", Replace(kSampleText, "# time-window: none", "# time-zone: none")},
      {"a missing header", Replace(kSampleText, "# time-window: none\n", "")},
      {"a header without its space", Replace(kSampleText, "# examiner: Jane", "# examiner:Jane")},
      {"another format", Replace(kSampleText, "custody-statement/1", "custody-statement/2")},
      {"a tab in a header value", Replace(kSampleText, "Jane Examiner", "Jane\tExaminer")},
      {"a DEL in a header value", Replace(kSampleText, "Jane Examiner", "Jane\x7f" "Examiner")},
      {"an escape in a header value", Replace(kSampleText, "Jane Examiner", "Jane \x1b[31mExaminer")},
      {"an empty header value", Replace(kSampleText, "# case-id: IR-2026-014", "# case-id: ")},
      {"a trailing space in a header value", Replace(kSampleText, "Jane Examiner", "Jane Examiner ")},
      {"a bad previous statement digest", Replace(kSampleText, "sha256: none", "sha256: abc")},
      {"an upper-case previous statement digest",
       Replace(kSampleText, "sha256: none", "sha256: " + std::string(64, 'A'))},
      {"invalid UTF-8", Replace(kSampleText, "Jane Examiner", "Jane \xff")},
      {"a header line among the files", kSampleText + "# note: x\n"},
  }));
  CAPTURE(why);
  Result<Statement> s = bundle::ParseStatement(text);
  REQUIRE_FALSE(s);
  CHECK(s.error().code() == ErrorCode::kParse);
  CHECK(s.error().message().rfind("statement.txt: ", 0) == 0);
}

TEST_CASE("a statement with no file lines parses with no files", "[bundle]") {
  Statement s = Sample();
  s.files.clear();
  Result<Statement> back = bundle::ParseStatement(bundle::RenderStatement(s));
  REQUIRE(back);
  CHECK(back->files.empty());
}

TEST_CASE("header values must be one trimmed line of UTF-8", "[bundle]") {
  auto [value, ok] = GENERATE(table<std::string, bool>({
      {"Jane Examiner", true},
      {"IR/2026 #14", true},
      {"Zo\xc3\xab N\xc3\xba\xc3\xb1" "ez", true},
      {"a", true},
      {"", false},
      {" Jane", false},
      {"Jane ", false},
      {"Jane\nExaminer", false},
      {"Jane\rExaminer", false},
      {"Jane\tExaminer", false},
      {std::string("Jane\0Examiner", 13), false},
      {"Jane\x7f", false},
      {"Jane \xc3", false},
  }));
  CAPTURE(value);
  Status s = bundle::CheckHeaderValue("examiner", value);
  CHECK(s.ok() == ok);
  if (!ok) {
    CHECK(s.error().code() == ErrorCode::kInvalidArgument);
    CHECK(s.error().message().rfind("examiner ", 0) == 0);
  }
}

TEST_CASE("a statement naming a path outside the bag is refused", "[bundle][statement]") {
  using custody::bundle::ParseStatement;
  const std::string header =
      "# custody-statement/1\n# bundle-id: x\n# case-id: c\n# examiner: e\n# sealed-at: 2026-01-01T00:00:00Z\n"
      "# payload-oxum: 1.1\n# time-window: none\n# previous-statement-sha256: none\n";
  const std::string digest(64, 'a');
  auto path = GENERATE(as<std::string>{}, "/etc/passwd", "../outside.txt", "data/../../x", "a\\b", "./bagit.txt",
                       "a//b", std::string("tab\there"));
  CAPTURE(path);
  auto parsed = ParseStatement(header + digest + "  " + path + "\n");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().message().find("unsafe path") != std::string::npos);
  CHECK(ParseStatement(header + digest + "  metadata/collection.json\n"));
}
