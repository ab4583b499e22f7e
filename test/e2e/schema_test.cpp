// Every JSON document custody writes validates against its schema in schemas/.

#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "json/json.h"
#include "support/test_support.h"

using namespace custody::test;

namespace {
void RequireValid(const std::string& document, const std::filesystem::path& schema_file) {
  auto doc = custody::json::Parse(document, "document");
  REQUIRE(doc);
  std::string schema = ReadFile(schema_file);
  custody::Status s = custody::json::ValidateAgainstSchema(*doc, schema);
  INFO(document);
  INFO((s ? std::string() : s.error().message()));
  CHECK(s.ok());
}
const std::filesystem::path kSchemas = std::filesystem::path(CUSTODY_SOURCE_DIR) / "schemas";
}  // namespace

TEST_CASE("metadata, custody events and verify reports validate against schemas/", "[schema]") {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, keys);
  REQUIRE(RunCli({"transfer", bundle.string(), "--to", "Counsel", "--reason", "hold", "--key", keys.key.string(),
                  "--cert", keys.cert.string()}).code == 0);
  auto top = Extract(bundle, tmp / "x");

  RequireValid(ReadFile(top / "metadata/collection.json"), kSchemas / "collection.schema.json");
  std::string log = ReadFile(top / "custody-log.jsonl");
  size_t start = 0, lines = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    RequireValid(log.substr(start, end - start), kSchemas / "custody-event.schema.json");
    start = end + 1;
    ++lines;
  }
  CHECK(lines == 2);

  CliResult good = RunCli({"verify", bundle.string(), "--json", "--trusted-cert", keys.cert.string()});
  RequireValid(good.out, kSchemas / "verify-report.schema.json");
  FlipByte(top / "data/setup-audit-trail.csv", 1);
  CliResult bad = RunCli({"verify", top.string(), "--json"});
  CHECK(bad.code == 3);
  RequireValid(bad.out, kSchemas / "verify-report.schema.json");
  CliResult bag = RunCli({"verify", top.string(), "--json", "--bag-only"});
  RequireValid(bag.out, kSchemas / "verify-report.schema.json");
}

TEST_CASE("the schemas reject documents that break them", "[schema]") {
  auto doc = custody::json::Parse(R"({"format":"custody-verify-report/1","target":"x","mode":"bundle",
      "verified":"yes","summary":{"errors":0,"warnings":0},"findings":[]})", "doc");
  REQUIRE(doc);
  CHECK_FALSE(custody::json::ValidateAgainstSchema(*doc, ReadFile(kSchemas / "verify-report.schema.json")).ok());
}
