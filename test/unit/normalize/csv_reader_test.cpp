#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "normalize/csv_reader.h"
#include "support/test_support.h"

using custody::AsBytes;
using custody::ErrorCode;
using custody::Status;
using custody::normalize::CsvReader;
using custody::normalize::CsvRow;

namespace {

struct Row {
  std::vector<std::string> fields;
  std::uint64_t index;
  std::uint64_t offset;
  std::string raw;
  bool operator==(const Row&) const = default;
};

struct Outcome {
  std::vector<Row> rows;
  Status status;
};

// Feeds text in chunks of chunk bytes (0: all at once).
Outcome ReadCsv(std::string_view text, size_t chunk = 0, char delimiter = ',') {
  Outcome out;
  CsvReader reader(
      [&out](const CsvRow& row) {
        out.rows.push_back(Row{row.fields, row.index, row.byte_offset, std::string(row.raw)});
        return Status::Ok();
      },
      delimiter);
  if (chunk == 0) chunk = text.size() == 0 ? 1 : text.size();
  for (size_t pos = 0; pos < text.size(); pos += chunk) {
    out.status = reader.Feed(AsBytes(text.substr(pos, chunk)));
    if (!out.status.ok()) return out;
  }
  out.status = reader.Finish();
  return out;
}

std::string Fixture(const std::string& name) {
  return custody::test::ReadFile(std::filesystem::path(CUSTODY_FIXTURES_DIR) / "salesforce" / "real" / name);
}

// Every chunking gives the same rows, and the raw slices put together are the input.
void CheckChunkIndependent(std::string_view text) {
  const Outcome whole = ReadCsv(text);
  REQUIRE(whole.status.ok());
  std::string joined;
  std::uint64_t expected_offset = 0;
  for (const Row& r : whole.rows) {
    CHECK(r.offset == expected_offset);
    CHECK(text.substr(r.offset, r.raw.size()) == r.raw);
    expected_offset += r.raw.size();
    joined += r.raw;
  }
  CHECK(joined == text);
  for (size_t chunk : {1, 2, 3, 7, 64}) {
    INFO("chunk " << chunk);
    const Outcome pieces = ReadCsv(text, chunk);
    REQUIRE(pieces.status.ok());
    CHECK(pieces.rows == whole.rows);
  }
}

}  // namespace

TEST_CASE("CSV reads the BEATS Login ELF file without a final newline", "[normalize][csv]") {
  const std::string text = Fixture("beats-eventlogfile-login-logfile-2rows.csv");
  const Outcome out = ReadCsv(text);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 3);
  const auto& header = out.rows[0].fields;
  REQUIRE(header.size() == 28);
  CHECK(header[0] == "EVENT_TYPE");
  CHECK(header[1] == "TIMESTAMP");
  CHECK(header[27] == "SOURCE_IP");
  for (const Row& r : out.rows) CHECK(r.fields.size() == 28);
  CHECK(out.rows[1].fields[0] == "Login");
  CHECK(out.rows[1].fields[1] == "20231218054831.655");
  CHECK(out.rows[1].fields[8].empty());  // SESSION_KEY ""
  CHECK(out.rows[1].fields[24] == "Salesforce.com IP");
  CHECK(out.rows[2].fields[22] == "2023-12-18T05:48:32.003Z");
  CHECK(out.rows[2].raw.back() != '\n');  // the last row has no line end
  CHECK(out.rows[2].index == 2);
  CheckChunkIndependent(text);
}

TEST_CASE("CSV reads the Elastic mock Login and Logout ELF files", "[normalize][csv]") {
  const std::string login = Fixture("elastic-mock-eventlogfile-login-logfile.csv");
  Outcome out = ReadCsv(login);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 2);
  CHECK(out.rows[0].fields.size() == 26);
  CHECK(out.rows[1].fields.size() == 26);
  // A value with commas and parentheses inside quotes stays one field.
  CHECK(out.rows[1].fields[13] ==
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/94.0.4606.71 Safari/537.36");
  CHECK(out.rows[1].fields[16] == "user@elastic.co");
  CheckChunkIndependent(login);

  const std::string logout = Fixture("elastic-mock-eventlogfile-logout-logfile.csv");
  out = ReadCsv(logout);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 2);
  CHECK(out.rows[0].fields.size() == 21);
  CHECK(out.rows[1].fields[0] == "Logout");
  CHECK(out.rows[1].fields[16] == "WvtsJ1235oW24EbH");
  CheckChunkIndependent(logout);
}

TEST_CASE("CSV reads the Bulk 2.0 results file", "[normalize][csv]") {
  const std::string text = Fixture("simple-salesforce-bulk2-query-results.csv");
  const Outcome out = ReadCsv(text);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 5);
  CHECK(out.rows[0].fields == std::vector<std::string>{"Id", "AccountId", "Email", "FirstName", "LastName"});
  CHECK(out.rows[2].fields[3] == "Alice");
  CHECK(out.rows[4].raw.back() == '\n');
  CheckChunkIndependent(text);
}

TEST_CASE("CSV handles doubled quotes, delimiters and line ends inside quotes", "[normalize][csv]") {
  const std::string text =
      "\"A\",\"B\",\"C\"\n"
      "\"\"\"example message\"\"\",\"a,b\",\"line1\nline2\"\n"
      "\"x\",\"crlf\r\ninside\",\"\"\n"
      "plain,\"\",last\n";
  const Outcome out = ReadCsv(text);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 4);
  CHECK(out.rows[1].fields == std::vector<std::string>{"\"example message\"", "a,b", "line1\nline2"});
  CHECK(out.rows[2].fields == std::vector<std::string>{"x", "crlf\r\ninside", ""});
  CHECK(out.rows[3].fields == std::vector<std::string>{"plain", "", "last"});
  CHECK(out.rows[1].offset == 12);
  CheckChunkIndependent(text);
}

TEST_CASE("CSV handles CRLF row ends and a missing final newline", "[normalize][csv]") {
  const std::string text = "\"a\",\"b\"\r\n\"1\",\"2\"\r\n3,4";
  const Outcome out = ReadCsv(text);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 3);
  CHECK(out.rows[0].raw == "\"a\",\"b\"\r\n");
  CHECK(out.rows[1].fields == std::vector<std::string>{"1", "2"});
  CHECK(out.rows[2].fields == std::vector<std::string>{"3", "4"});
  CHECK(out.rows[2].raw == "3,4");
  CHECK(out.rows[2].offset == 18);
  CheckChunkIndependent(text);
}

TEST_CASE("CSV empty fields, empty lines and the end of input", "[normalize][csv]") {
  // Nothing after the last LF is not a row; an empty line in the middle is a row of one empty
  // field (so the raw slices still cover every byte).
  Outcome out = ReadCsv("a,b\n");
  REQUIRE(out.status.ok());
  CHECK(out.rows.size() == 1);
  out = ReadCsv("a,b\n\nc,d\n");
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 3);
  CHECK(out.rows[1].fields == std::vector<std::string>{""});
  CHECK(out.rows[1].raw == "\n");
  out = ReadCsv(",,\n");
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].fields == std::vector<std::string>{"", "", ""});
  out = ReadCsv("a,\"\"");
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].fields == std::vector<std::string>{"a", ""});
  out = ReadCsv("");
  REQUIRE(out.status.ok());
  CHECK(out.rows.empty());
  CheckChunkIndependent("a,b\n\nc,d\n\r\n\"\"\n,\n");
}

TEST_CASE("CSV with another delimiter", "[normalize][csv]") {
  const Outcome out = ReadCsv("a|\"b|c\"|d\n", 0, '|');
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].fields == std::vector<std::string>{"a", "b|c", "d"});
}

TEST_CASE("CSV malformed input names the byte offset", "[normalize][csv]") {
  struct Case {
    std::string text;
    std::string offset;
  };
  const Case cases[] = {
      {"\"a\",b\"c\n", "byte offset 5"},          // quote inside an unquoted value
      {"\"a\",\"b\"x\n", "byte offset 7"},        // text after a closing quote
      {"\"a\",\"b\n", "byte offset 7"},           // unterminated at the end
      {"a\rb\n", "byte offset 1"},                // bare CR
      {"a,b\r", "byte offset 3"},                 // CR at the very end
  };
  for (const Case& c : cases) {
    INFO(c.text);
    for (size_t chunk : {0, 1, 2}) {
      const Outcome out = ReadCsv(c.text, chunk);
      REQUIRE_FALSE(out.status.ok());
      CHECK(out.status.error().code() == ErrorCode::kParse);
      CHECK_THAT(out.status.error().message(), Catch::Contains(c.offset));
    }
  }
}

TEST_CASE("CSV stops at the first error from the callback", "[normalize][csv]") {
  int calls = 0;
  CsvReader reader([&calls](const CsvRow&) {
    ++calls;
    return Status(custody::Error(ErrorCode::kSchema, "stop"));
  });
  const Status s = reader.Feed(AsBytes("a\nb\nc\n"));
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kSchema);
  CHECK(calls == 1);
  CHECK_FALSE(reader.Feed(AsBytes("d\n")).ok());
}

TEST_CASE("CSV keeps bytes that are not UTF-8 untouched", "[normalize][csv]") {
  const std::string text = std::string("\"caf\xE9\",\"\xFF\"\n", 11);
  const Outcome out = ReadCsv(text, 1);
  REQUIRE(out.status.ok());
  REQUIRE(out.rows.size() == 1);
  CHECK(out.rows[0].fields[0] == "caf\xE9");
  CHECK(out.rows[0].fields[1] == "\xFF");
  CHECK(out.rows[0].raw == text);
}

TEST_CASE("CSV large generated input is chunk independent", "[normalize][csv]") {
  std::string text = "\"EVENT_TYPE\",\"TIMESTAMP\",\"MESSAGE\"\n";
  for (int i = 0; i < 300; ++i) {
    text += "\"URI\",\"2023121805" + std::to_string(1000 + i) + ".5\",\"";
    if (i % 3 == 0) text += "multi\nline ";
    if (i % 5 == 0) text += "\"\"quoted\"\", ";
    text += "row " + std::to_string(i) + "\"";
    text += i % 7 == 0 ? "\r\n" : "\n";
  }
  const Outcome out = ReadCsv(text);
  REQUIRE(out.status.ok());
  CHECK(out.rows.size() == 301);
  for (const Row& r : out.rows) CHECK(r.fields.size() == 3);
  CheckChunkIndependent(text);
}
