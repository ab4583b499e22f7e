// The case file of `custody collect --config`: structure, line-numbered errors, secret references.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "case_config.h"
#include "support/test_support.h"

namespace {

using custody::ErrorCode;
using custody::cli::LoadCaseConfig;
using custody::test::TempDir;

std::filesystem::path Write(const TempDir& dir, const std::string& text, const std::string& name = "case.toml") {
  std::ofstream(dir / name, std::ios::binary) << text;
  return dir / name;
}

const char* kGood = R"([case]
id = "IR-1"
examiner = "J. Doe"
since = "2026-11-01T00:00:00Z"
out = "out/bundle.tar"
key = "signer.key"
cert = "/abs/signer.crt"

[[source]]
name = "sf-prod"
type = "salesforce"
instance_url = "https://acme.my.salesforce.com"
auth = "token"
access_token = { env = "CUSTODY_TEST_CASE_TOKEN" }
streams = ["logins", "exports"]
batch_size = 500

[[source]]
name = "engine"
type = "mirth"
base_url = "https://mirth.example.org:8443/api"
username = "custody"
password = { file = "mirth.pass" }
include_content = false
)";

}  // namespace

TEST_CASE("a case file is read with its case settings and sources in order", "[config]") {
  TempDir dir;
  auto path = Write(dir, kGood);
  auto c = LoadCaseConfig(path);
  REQUIRE(c.has_value());
  CHECK(*c->case_id == "IR-1");
  CHECK(*c->examiner == "J. Doe");
  CHECK(*c->since == "2026-11-01T00:00:00Z");
  CHECK_FALSE(c->until.has_value());
  // Relative paths are relative to the case file's folder; absolute ones stay.
  CHECK(*c->out == (dir.path() / "out/bundle.tar").string());
  CHECK(*c->key == (dir.path() / "signer.key").string());
  CHECK(*c->cert == "/abs/signer.crt");
  REQUIRE(c->sources.size() == 2);
  CHECK(c->sources[0].name() == "sf-prod");
  CHECK(c->sources[0].type() == "salesforce");
  CHECK(c->sources[0].line() == 9);
  CHECK(c->sources[1].name() == "engine");
  CHECK(c->sources[1].type() == "mirth");

  auto streams = c->sources[0].StringList("streams");
  REQUIRE(streams.has_value());
  CHECK(**streams == std::vector<std::string>{"logins", "exports"});
  auto batch = c->sources[0].Integer("batch_size");
  REQUIRE(batch.has_value());
  CHECK(**batch == 500);
  auto content = c->sources[1].Boolean("include_content");
  REQUIRE(content.has_value());
  CHECK(**content == false);
  CHECK(c->sources[0].CheckKeys({"name", "type", "instance_url", "auth", "access_token", "streams", "batch_size"}).ok());
}

TEST_CASE("secret references resolve from the environment and from files, never from values", "[config]") {
  TempDir dir;
  auto path = Write(dir, kGood);
  std::ofstream(dir / "mirth.pass", std::ios::binary) << "s3cret-from-file\n";
  auto c = LoadCaseConfig(path);
  REQUIRE(c.has_value());

  ::unsetenv("CUSTODY_TEST_CASE_TOKEN");
  auto missing = c->sources[0].Secret("access_token");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(missing.error().message(), Catch::Contains("case.toml:14") &&
                                            Catch::Contains("CUSTODY_TEST_CASE_TOKEN, which is not set"));

  ::setenv("CUSTODY_TEST_CASE_TOKEN", "tok-123", 1);
  auto token = c->sources[0].Secret("access_token");
  REQUIRE(token.has_value());
  CHECK(**token == "tok-123");
  ::unsetenv("CUSTODY_TEST_CASE_TOKEN");

  auto password = c->sources[1].Secret("password");
  REQUIRE(password.has_value());
  CHECK(**password == "s3cret-from-file");  // one trailing newline removed

  // A value written in the file is refused and not echoed.
  auto plain = Write(dir, R"([[source]]
name = "engine"
type = "mirth"
password = "hunter2-literal"
)", "plain.toml");
  auto p = LoadCaseConfig(plain);
  REQUIRE(p.has_value());
  auto refused = p->sources[0].Secret("password");
  REQUIRE_FALSE(refused.has_value());
  CHECK_THAT(refused.error().message(), Catch::Contains("plain.toml:4") && Catch::Contains("must be a reference"));
  CHECK_THAT(refused.error().message(), !Catch::Contains("hunter2"));

  auto both = Write(dir, R"([[source]]
name = "engine"
type = "mirth"
password = { env = "A", file = "b" }
)", "both.toml");
  auto b = LoadCaseConfig(both);
  REQUIRE(b.has_value());
  CHECK_FALSE(b->sources[0].Secret("password").has_value());

  auto unreadable = Write(dir, R"([[source]]
name = "engine"
type = "mirth"
password = { file = "no-such-file" }
)", "unreadable.toml");
  auto u = LoadCaseConfig(unreadable);
  REQUIRE(u.has_value());
  auto ur = u->sources[0].Secret("password");
  REQUIRE_FALSE(ur.has_value());
  CHECK_THAT(ur.error().message(), Catch::Contains("cannot be read"));
}

TEST_CASE("every error in a case file names the file and the offending line", "[config]") {
  TempDir dir;
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"[case]\nid = \"x\"\n\n[[source]]\nname = \"a\"\ntype = salesforce\n", "case.toml:6"},  // TOML syntax
      {"[case]\nid = \"x\"\nfoo = \"y\"\n[[source]]\nname = \"a\"\ntype = \"fhir\"\n", "case.toml:3: unknown [case] setting 'foo'"},
      {"[case]\nid = 5\n[[source]]\nname = \"a\"\ntype = \"fhir\"\n", "case.toml:2: [case] id must be a string"},
      {"[case]\nid = \"x\"\n", "no [[source]] table"},
      {"[[source]]\nname = \"a\"\ntype = \"fhir\"\n[[source]]\nname = \"a\"\ntype = \"mirth\"\n",
       "case.toml:5: a second source named 'a'"},
      {"[[source]]\nname = \"a/b\"\ntype = \"fhir\"\n", "case.toml:2: source name 'a/b'"},
      {"[[source]]\nname = \"..\"\ntype = \"fhir\"\n", "source name '..'"},
      {"[[source]]\nname = \"a\"\ntype = \"splunk\"\n", "case.toml:3: source 'a': type must be one of"},
      {"[[source]]\ntype = \"fhir\"\n", "case.toml:1: a [[source]] needs a name"},
      {"title = \"x\"\n[[source]]\nname = \"a\"\ntype = \"fhir\"\n", "case.toml:1: unknown top-level setting 'title'"},
      {"source = \"x\"\n", "case.toml:1: sources are [[source]] tables"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = LoadCaseConfig(Write(dir, c.text));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
    CHECK_THAT(r.error().message(), Catch::Contains(c.expect));
  }
  auto missing = LoadCaseConfig(dir / "nope.toml");
  REQUIRE_FALSE(missing.has_value());
  CHECK_THAT(missing.error().message(), Catch::Contains("nope.toml: no such file"));
}

TEST_CASE("a source's settings are checked with the line of the setting", "[config]") {
  TempDir dir;
  auto c = LoadCaseConfig(Write(dir, R"([[source]]
name = "ehr"
type = "fhir"
base_ur = "https://x"
page_size = "100"
streams = [1, 2]
)"));
  REQUIRE(c.has_value());
  const auto& s = c->sources[0];
  custody::Status unknown = s.CheckKeys({"name", "type", "base_url", "page_size", "streams"});
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error().message(),
             Catch::Contains("case.toml:4: source 'ehr': unknown setting 'base_ur' for a fhir source (known: "));
  auto page = s.Integer("page_size");
  REQUIRE_FALSE(page.has_value());
  CHECK_THAT(page.error().message(), Catch::Contains("case.toml:5") && Catch::Contains("must be an integer, not a string"));
  auto streams = s.StringList("streams");
  REQUIRE_FALSE(streams.has_value());
  CHECK_THAT(streams.error().message(), Catch::Contains("case.toml:6"));
  auto base = s.RequiredString("base_url");
  REQUIRE_FALSE(base.has_value());
  CHECK_THAT(base.error().message(), Catch::Contains("case.toml:1: source 'ehr': base_url is required"));
}

TEST_CASE("collect without a source or --config is a usage error", "[config][cli]") {
  auto r = custody::test::RunCli({"collect"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("--config"));
  TempDir dir;
  auto bad = Write(dir, "[[source]]\nname = \"a\"\ntype = \"nope\"\n");
  auto r2 = custody::test::RunCli({"collect", "--config", bad.string()});
  CHECK(r2.code == 2);
  CHECK_THAT(r2.err, Catch::Contains("case.toml:3"));
}
