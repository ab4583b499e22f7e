// How `custody verify` judges a collection's report: the window it claims against the signed
// statement, and completeness, on bundles sealed directly through bundle::Seal.

#include <catch2/catch.hpp>

#include "bundle/seal.h"
#include "io/file_system.h"
#include "signing.h"
#include "tool_info.h"
#include "support/test_support.h"
#include "verify/verifier.h"

namespace custody::test {
namespace {

std::string Report(bool complete, const std::string& since, const std::string& until) {
  return std::string(R"({"complete":)") + (complete ? "true" : "false") +
         R"(,"stop_reason":")" + (complete ? "none" : "failed") + R"(","stop_detail":null,)" +
         R"("window":{"since":")" + since + R"(","until":")" + until + R"("},"sources":[{"name":"salesforce",)" +
         R"("type":"salesforce","instance_url":"https://x.example","api_version":"62.0","org_id":null,)" +
         R"("auth":{"mode":"token","grants":[]},"clock":{"samples":0,"min_skew_ms":0,"max_skew_ms":0},)" +
         R"("api_usage":{"first_seen_used":-1,"last_seen_used":-1,"daily_max":-1,"reserve_percent":10},"requests":1,)" +
         R"("streams":[{"name":"logins","status":")" + (complete ? "complete" : "incomplete") +
         R"(","normalized_records":0,"items":[{"object":"LoginHistory","status":")" +
         (complete ? "complete" : "incomplete") + R"(","received":0,"pages":1,"gaps":[)" +
         (complete ? "" : R"("page 2: gave up after 5 attempts")") + R"(]}]}]}],)" +
         R"("normalized":{"records":0,"untimed_records":0}})";
}

verify::VerifyReport SealAndVerify(const TempDir& dir, const std::string& name, const std::string& kind,
                                   const std::string& window, const std::string& collection) {
  static Keys keys = MakeKeys(dir.path(), "k");
  auto identity = cli::LoadSigningIdentity(io::RealFileSystem(), keys.key, keys.cert);
  REQUIRE(identity);
  std::filesystem::path folder = dir / (name + "-payload");
  std::filesystem::create_directories(folder);
  WriteFile(folder / "a.json", "{}\n");
  bundle::SealRequest r;
  r.source_dir = folder;
  r.out = dir / (name + ".tar");
  r.case_id = "C-1";
  r.examiner = "E";
  r.signer = &*identity;
  r.sealed_at = SystemClock().Now();
  r.kind = kind;
  r.time_window = window;
  r.collection_json = collection;
  r.tool = cli::CurrentToolInfo();
  auto sealed = bundle::Seal(io::RealFileSystem(), r);
  INFO((sealed ? std::string() : sealed.error().message()));
  REQUIRE(sealed);
  verify::VerifyOptions options;
  auto report = verify::Verify(r.out, options);
  REQUIRE(report);
  return *report;
}

}  // namespace

TEST_CASE("verify reports a collection's window against the statement and its completeness", "[collect][verify]") {
  TempDir dir;
  const std::string since = "2026-04-01T00:00:00Z", until = "2026-04-08T00:00:00Z";
  const std::string window = since + "/" + until;

  auto complete = SealAndVerify(dir, "complete", "collect", window, Report(true, since, until));
  CHECK(complete.ok());
  CHECK(complete.time_window == window);
  CHECK(complete.collection_complete == true);
  CHECK_FALSE(complete.Has("collection-incomplete"));

  auto partial = SealAndVerify(dir, "partial", "collect", window, Report(false, since, until));
  CHECK(partial.ok());  // a warning: sound evidence of what it holds
  CHECK(partial.collection_complete == false);
  REQUIRE(partial.Has("collection-incomplete"));
  for (const auto& f : partial.findings) {
    if (f.kind == "collection-incomplete") CHECK(f.message.find("salesforce/logins/LoginHistory: page 2") != std::string::npos);
  }

  auto skewed = SealAndVerify(dir, "skewed", "collect", window, Report(true, since, "2026-04-09T00:00:00Z"));
  CHECK_FALSE(skewed.ok());
  CHECK(skewed.Has("time-window-mismatch"));

  auto bare = SealAndVerify(dir, "bare", "collect", window, "");
  CHECK_FALSE(bare.ok());
  CHECK(bare.Has("metadata-invalid"));

  auto sealed = SealAndVerify(dir, "sealed", "seal", "none", "");
  CHECK(sealed.ok());
  CHECK_FALSE(sealed.collection_complete.has_value());
}

}  // namespace custody::test
