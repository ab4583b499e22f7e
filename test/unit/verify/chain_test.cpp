// verify/chain: `custody verify --chain DIR`. Each test seals a real nightly series with
// bundle::Seal (kind "collect", a collection.incremental member, previous-statement-sha256 from the
// bundle before), breaks one thing, and expects exactly that finding.

#include "verify/chain.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <optional>
#include <set>

#include "bundle/seal.h"
#include "crypto/digest.h"
#include "crypto/keys.h"
#include "io/file_system.h"
#include "json/json.h"
#include "support/test_support.h"

using namespace custody;
using namespace custody::test;
using Kinds = std::multiset<std::string>;

namespace {

const std::filesystem::path kSchemas = std::filesystem::path(CUSTODY_SOURCE_DIR) / "schemas";

UtcSeconds At(const std::string& rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

crypto::SigningIdentity MakeIdentity(const std::string& name) {
  auto key = crypto::GenerateKey(crypto::KeyType::kEcP256);
  REQUIRE(key);
  auto cert = crypto::MakeSelfSignedCertificate(key->get(), "CN=" + name + ",O=Custody Tests",
                                                At("2026-01-01T00:00:00Z"), 3650);
  REQUIRE(cert);
  crypto::SigningIdentity id;
  id.key = std::move(*key);
  id.chain.push_back(std::move(*cert));
  return id;
}

struct Window {
  std::string stream;
  std::string since;
  std::string until;
  bool complete = true;
};

// A folder of nightly bundles sealed one after the other, each linked to the one before.
class Series {
 public:
  Series() : identity_(MakeIdentity("Chain Examiner")) { std::filesystem::create_directories(dir_); }

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& last_statement() const { return last_statement_; }
  std::filesystem::path path(const std::string& file) const { return dir_ / file; }

  // Seals one night. `previous` replaces the link to the bundle before (nullopt: the real one).
  // `file` names the tar (default: the top folder's name). Returns the file name.
  std::string Night(const std::string& sealed_at, const std::vector<Window>& windows,
                    std::optional<std::string> previous = std::nullopt, std::string file = "") {
    ++sequence_;
    const std::filesystem::path work = tmp_ / ("work-" + std::to_string(sequence_));
    WriteFile(work / "evidence.txt", "evidence-night-" + std::to_string(sequence_) + "\n");
    std::string since = windows.front().since, until = windows.front().until;
    bool complete = true;
    std::string streams;
    for (const Window& w : windows) {
      since = std::min(since, w.since);
      until = std::max(until, w.until);
      complete = complete && w.complete;
      streams += std::string(streams.empty() ? "" : ",") + R"({"source":"sf","stream":")" + w.stream +
                 R"(","since":")" + w.since + R"(","until":")" + w.until + R"(","complete":)" +
                 (w.complete ? "true" : "false") +
                 R"(,"previously_covered_until":null,"new_records":1,"already_sealed":0,"repeated_in_run":0})";
    }
    const std::string prev = previous.value_or(last_statement_);
    const std::string prev_json =
        prev == "none" ? "null"
                       : R"({"bundle_id":"x","statement_sha256":")" + prev + R"(","file":")" + last_file_ +
                             R"(","until":")" + since + R"("})";
    bundle::SealRequest r;
    r.source_dir = work;
    r.case_id = "IR-2026-077";
    r.examiner = "Test Examiner";
    r.signer = &identity_;
    r.sealed_at = At(sealed_at);
    r.previous_statement_sha256 = prev;
    r.kind = "collect";
    r.time_window = since + "/" + until;
    r.collection_json = std::string(R"({"complete":)") + (complete ? "true" : "false") +
                        R"(,"stop_reason":")" + (complete ? "none" : "interrupted") +
                        R"(","stop_detail":null,"window":{"since":")" + since + R"(","until":")" + until +
                        R"("},"sources":[],"normalized":{"records":0,"untimed_records":0},)" +
                        R"("incremental":{"series":"IR-2026-077","run_id":"run-)" + std::to_string(sequence_) +
                        R"(","sequence":)" + std::to_string(sequence_) + R"(,"previous":)" + prev_json +
                        R"(,"overlap_seconds":259200,"event_overlap_seconds":3600,"streams":[)" + streams +
                        R"(],"supplements":[],"interrupted_runs":[]}})";
    r.tool.version = "test";
    r.tool.git_commit = "test";
    r.tool.binary_sha256 = "unknown";
    r.tool.compiler = "test";
    if (file.empty()) file = bundle::TopFolderName(r.case_id, r.sealed_at) + ".tar";
    r.out = dir_ / file;
    auto sealed = bundle::Seal(io::RealFileSystem(), r);
    INFO((sealed ? std::string() : sealed.error().message()));
    REQUIRE(sealed);
    last_statement_ = sealed->statement_sha256;
    last_file_ = file;
    return file;
  }

  // The usual night: one logins window [since, until), complete.
  std::string Night(const std::string& sealed_at, const std::string& since, const std::string& until) {
    return Night(sealed_at, {{"logins", since, until, true}});
  }

  const crypto::SigningIdentity& identity() const { return identity_; }

 private:
  TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "series";
  crypto::SigningIdentity identity_;
  int sequence_ = 0;
  std::string last_statement_ = "none";
  std::string last_file_;
};

verify::ChainReport Check(const std::filesystem::path& dir, const verify::VerifyOptions& options = {}) {
  auto report = verify::VerifyChain(dir, options);
  INFO((report ? std::string() : report.error().message()));
  REQUIRE(report);
  INFO(verify::RenderChainText(*report));
  return std::move(*report);
}

Kinds Errors(const verify::ChainReport& r) {
  Kinds k;
  for (const auto& f : r.findings) {
    if (f.severity == verify::Severity::kError) k.insert(f.kind);
  }
  return k;
}
Kinds Warnings(const verify::ChainReport& r) {
  Kinds k;
  for (const auto& f : r.findings) {
    if (f.severity == verify::Severity::kWarning) k.insert(f.kind);
  }
  return k;
}
const verify::ChainFinding& Only(const verify::ChainReport& r, const std::string& kind) {
  const verify::ChainFinding* found = nullptr;
  for (const auto& f : r.findings) {
    if (f.kind != kind) continue;
    REQUIRE(found == nullptr);
    found = &f;
  }
  REQUIRE(found != nullptr);
  return *found;
}

std::string StatementBytes(const std::filesystem::path& tar) {
  for (const TarEntry& e : ReadTar(tar)) {
    if (e.path.size() > 14 && e.path.compare(e.path.size() - 14, 14, "/statement.txt") == 0) return e.contents;
  }
  FAIL("no statement.txt in " << tar);
  return "";
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void RequireValidReport(const std::string& json) {
  auto doc = json::Parse(json, "chain report");
  REQUIRE(doc);
  Status s = json::ValidateAgainstSchema(*doc, ReadFile(kSchemas / "chain-report.schema.json"));
  INFO(json);
  INFO((s ? std::string() : s.error().message()));
  CHECK(s.ok());
}

}  // namespace

TEST_CASE("a chain of three linked nightly bundles with contiguous windows verifies", "[verify][chain]") {
  Series s;
  auto b1 = s.Night("2026-11-01T02:00:07Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:05Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  auto b3 = s.Night("2026-11-03T02:00:09Z", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z");

  auto r = Check(s.dir());
  CHECK(r.ok());
  CHECK(r.findings.empty());
  REQUIRE(r.bundles.size() == 3);
  CHECK(r.bundles[0].file == b1);
  CHECK(r.bundles[1].file == b2);
  CHECK(r.bundles[2].file == b3);
  CHECK(r.bundles[0].previous_statement_sha256 == "none");
  CHECK(r.bundles[1].previous_statement_sha256 == r.bundles[0].statement_sha256);
  CHECK(r.bundles[2].previous_statement_sha256 == r.bundles[1].statement_sha256);
  CHECK(r.bundles[2].sequence == 3);
  // What the link names is the SHA-256 of the predecessor's statement.txt bytes.
  CHECK(r.bundles[0].statement_sha256 == crypto::Sha256Hex(StatementBytes(s.path(b1))));
  CHECK(r.bundles[2].statement_sha256 == s.last_statement());
  REQUIRE(r.streams.size() == 1);
  CHECK(r.streams[0].source == "sf");
  CHECK(r.streams[0].stream == "logins");
  CHECK(r.streams[0].since == "2026-10-31T02:00:00Z");
  CHECK(r.streams[0].until == "2026-11-03T02:00:00Z");
  CHECK(r.streams[0].complete_windows == 3);
  CHECK(r.streams[0].gaps.empty());
}

TEST_CASE("a wrong previous-statement digest breaks the chain at that bundle", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", {{"logins", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z"}},
                    crypto::Sha256Hex("not the statement of night 1"));
  s.Night("2026-11-03T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z");

  auto r = Check(s.dir());
  CHECK_FALSE(r.ok());
  CHECK(Errors(r) == Kinds{"link-broken"});
  const auto& f = Only(r, "link-broken");
  CHECK(f.bundle == b2);
  CHECK(Contains(f.message, crypto::Sha256Hex("not the statement of night 1")));
  CHECK(Contains(f.message, "not in the folder"));
}

TEST_CASE("a bundle that fails its own verification fails the chain and its window does not count",
          "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  s.Night("2026-11-03T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z");
  std::string bytes = ReadFile(s.path(b2));
  size_t at = bytes.find("evidence-night-2");
  REQUIRE(at != std::string::npos);
  FlipByte(s.path(b2), at);

  auto r = Check(s.dir());
  CHECK_FALSE(r.ok());
  CHECK(Errors(r) == Kinds{"bundle-failed", "coverage-gap"});
  const auto& failed = Only(r, "bundle-failed");
  CHECK(failed.bundle == b2);
  CHECK(Contains(failed.message, "payload-hash-mismatch"));
  CHECK_FALSE(r.bundles[1].ok());
  // The links still hold: the statement was not touched.
  CHECK_FALSE(r.Has("link-broken"));
  const auto& gap = Only(r, "coverage-gap");
  CHECK(gap.stream == "sf/logins");
  CHECK(Contains(gap.message, "[2026-11-01T02:00:00Z, 2026-11-02T02:00:00Z)"));
  CHECK(Contains(gap.message, b2 + " failed its own verification"));
}

TEST_CASE("a hole in one stream's windows is a coverage gap naming the stream and the interval", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", {{"logins", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z"},
                                   {"exports", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z"}});
  s.Night("2026-11-02T02:00:00Z", {{"logins", "2026-11-01T05:00:00Z", "2026-11-02T02:00:00Z"},
                                   {"exports", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z"}});

  auto r = Check(s.dir());
  CHECK_FALSE(r.ok());
  CHECK(Errors(r) == Kinds{"coverage-gap"});
  const auto& gap = Only(r, "coverage-gap");
  CHECK(gap.stream == "sf/logins");
  CHECK(gap.bundle.empty());
  CHECK(Contains(gap.message, "[2026-11-01T02:00:00Z, 2026-11-01T05:00:00Z)"));
  REQUIRE(r.streams.size() == 2);
  CHECK(r.streams[0].stream == "exports");
  CHECK(r.streams[0].gaps.empty());
  CHECK(r.streams[1].stream == "logins");
  CHECK(r.streams[1].gaps ==
        std::vector<std::pair<std::string, std::string>>{{"2026-11-01T02:00:00Z", "2026-11-01T05:00:00Z"}});
}

TEST_CASE("an incomplete window that a later bundle covers again is not a gap", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  s.Night("2026-11-02T02:00:00Z", {{"logins", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z", false}});
  s.Night("2026-11-03T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-03T02:00:00Z");

  auto r = Check(s.dir());
  CHECK(r.ok());
  CHECK(r.findings.empty());
  REQUIRE(r.streams.size() == 1);
  CHECK(r.streams[0].windows == 3);
  CHECK(r.streams[0].complete_windows == 2);
  CHECK(r.bundles[1].report.Has("collection-incomplete"));  // the bundle's own warning, not the chain's
}

TEST_CASE("an incomplete window that no later bundle covers is a gap", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", {{"logins", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z", false}});

  auto r = Check(s.dir());
  CHECK(Errors(r) == Kinds{"coverage-gap"});
  const auto& gap = Only(r, "coverage-gap");
  CHECK(Contains(gap.message, "[2026-11-01T02:00:00Z, 2026-11-02T02:00:00Z)"));
  CHECK(Contains(gap.message, b2 + " collected it incompletely"));
}

TEST_CASE("a night without a bundle warns but the chain passes when the windows are contiguous", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  s.Night("2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  s.Night("2026-11-04T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-04T02:00:00Z");

  auto r = Check(s.dir());
  CHECK(r.ok());
  CHECK(Errors(r).empty());
  CHECK(Warnings(r) == Kinds{"night-missing"});
  CHECK(Contains(Only(r, "night-missing").message, "no bundle was sealed on 2026-11-03 (UTC)"));
}

TEST_CASE("consecutive nights without a bundle are one warning naming the first and last date", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  s.Night("2026-11-05T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-05T02:00:00Z");

  auto r = Check(s.dir());
  CHECK(r.ok());
  CHECK(Warnings(r) == Kinds{"night-missing"});
  CHECK(Contains(Only(r, "night-missing").message, "from 2026-11-02 to 2026-11-04 (UTC), 3 nights"));
}

TEST_CASE("a first bundle whose predecessor is no longer in the folder is a warning", "[verify][chain]") {
  Series s;
  auto b1 = s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  s.Night("2026-11-03T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z");
  std::filesystem::remove(s.path(b1));  // retention

  auto r = Check(s.dir());
  CHECK(r.ok());
  CHECK(Warnings(r) == Kinds{"predecessor-missing"});
  const auto& f = Only(r, "predecessor-missing");
  CHECK(f.bundle == b2);
  CHECK(Contains(f.message, b1));
}

TEST_CASE("a bundle missing from the middle of the folder breaks the chain", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  auto b3 = s.Night("2026-11-03T02:00:00Z", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z");
  std::filesystem::remove(s.path(b2));

  auto r = Check(s.dir());
  CHECK(Errors(r) == Kinds{"link-broken", "coverage-gap"});
  CHECK(Only(r, "link-broken").bundle == b3);
  CHECK(Contains(Only(r, "coverage-gap").message, "[2026-11-01T02:00:00Z, 2026-11-02T02:00:00Z)"));
  CHECK(Warnings(r) == Kinds{"night-missing"});
}

TEST_CASE("two bundles naming the same predecessor are a fork", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  const std::string first = s.last_statement();
  auto b2 = s.Night("2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  auto b3 = s.Night("2026-11-03T02:00:00Z", {{"logins", "2026-11-02T02:00:00Z", "2026-11-03T02:00:00Z"}}, first);

  auto r = Check(s.dir());
  CHECK(Errors(r) == Kinds{"link-broken", "link-duplicate"});
  CHECK(Only(r, "link-broken").bundle == b3);
  CHECK(Contains(Only(r, "link-broken").message, "the bundle sealed just before it is " + b2));
  CHECK(Contains(Only(r, "link-duplicate").message, b2 + ", " + b3));
}

TEST_CASE("a bundle that starts a new series in the middle of the folder breaks the chain", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", {{"logins", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z"}},
                    std::string("none"));

  auto r = Check(s.dir());
  CHECK(Errors(r) == Kinds{"link-broken"});
  CHECK(Only(r, "link-broken").bundle == b2);
  CHECK(Contains(Only(r, "link-broken").message, "starts a series"));
}

TEST_CASE("bundles sealed in the same second are ordered by their links", "[verify][chain]") {
  Series s;
  // File names sort against the chain order: only the links can order them.
  s.Night("2026-11-01T02:00:00Z", {{"logins", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z"}}, std::nullopt,
          "z-first.tar");
  s.Night("2026-11-01T02:00:00Z", {{"logins", "2026-11-01T02:00:00Z", "2026-11-01T03:00:00Z"}}, std::nullopt,
          "a-second.tar");

  auto r = Check(s.dir());
  CHECK(r.ok());
  REQUIRE(r.bundles.size() == 2);
  CHECK(r.bundles[0].file == "z-first.tar");
  CHECK(r.bundles[1].file == "a-second.tar");
}

TEST_CASE("a bundle without collection.incremental in a chain folder is an error", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  TempDir tmp;
  WriteFile(tmp / "plain/evidence.txt", "a plain seal\n");
  bundle::SealRequest plain;
  plain.source_dir = tmp / "plain";
  plain.out = s.path("plain.tar");
  plain.case_id = "IR-2026-077";
  plain.examiner = "Test Examiner";
  plain.signer = &s.identity();
  plain.sealed_at = At("2026-11-01T12:00:00Z");
  plain.tool.binary_sha256 = "unknown";
  REQUIRE(bundle::Seal(io::RealFileSystem(), plain));

  auto r = Check(s.dir());
  CHECK(Errors(r) == Kinds{"not-incremental"});
  const auto& f = Only(r, "not-incremental");
  CHECK(f.bundle == "plain.tar");
  CHECK(Contains(f.message, "not part of a nightly series"));
  REQUIRE(r.bundles.size() == 2);
  CHECK(r.bundles[1].file == "plain.tar");  // listed after the series, kept out of its links
  CHECK(r.bundles[1].ok());
}

TEST_CASE("a stream window that ends before it starts makes collection.incremental invalid", "[verify][chain]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", {{"logins", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z"},
                                             {"exports", "2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z"}});

  auto r = Check(s.dir());
  CHECK(Errors(r) == Kinds{"incremental-invalid"});
  const auto& f = Only(r, "incremental-invalid");
  CHECK(f.bundle == b2);
  CHECK(Contains(f.message, "collection.incremental.streams[1] ends (2026-11-01T02:00:00Z) before it starts"));
  CHECK(r.bundles[1].windows.empty());  // none of its windows count
  REQUIRE(r.streams.size() == 1);
  CHECK(r.streams[0].windows == 1);
}

TEST_CASE("a folder that does not exist, is a file or holds no bundle is a usage error", "[verify][chain]") {
  TempDir tmp;
  WriteFile(tmp / "notes.txt", "no bundle here\n");
  std::filesystem::create_directories(tmp / "empty");
  std::filesystem::create_directories(tmp / "folder.tar");  // a folder named like a bundle is not one
  for (const auto& target : {tmp / "absent", tmp / "notes.txt", tmp / "empty", tmp.path()}) {
    CAPTURE(target);
    auto r = verify::VerifyChain(target, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
    CHECK(RunCli({"verify", "--chain", target.string()}).code == 2);
  }
}

TEST_CASE("the JSON chain report validates against schemas/chain-report.schema.json", "[verify][chain][schema]") {
  Series s;
  s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", "2026-11-01T05:00:00Z", "2026-11-02T02:00:00Z");
  WriteFile(s.path("broken.tar"), "not a tar at all");

  auto r = Check(s.dir());
  std::string json = verify::RenderChainJson(r);
  RequireValidReport(json);
  auto doc = json::Parse(json, "chain report");
  REQUIRE(doc);
  const rapidjson::Value& d = *doc;
  CHECK(std::string(d["format"].GetString()) == "custody-chain-report/1");
  CHECK_FALSE(d["verified"].GetBool());
  REQUIRE(d["bundles"].Size() == 3);
  CHECK(std::string(d["bundles"][1]["file"].GetString()) == b2);
  CHECK(d["bundles"][1]["sequence"].GetInt64() == 2);
  CHECK(std::string(d["bundles"][2]["file"].GetString()) == "broken.tar");
  CHECK(d["bundles"][2]["sealed_at"].IsNull());
  CHECK_FALSE(d["bundles"][2]["verified"].GetBool());
  CHECK(std::string(d["streams"][0]["gaps"][0]["to"].GetString()) == "2026-11-01T05:00:00Z");
  CHECK(d["summary"]["errors"].GetUint64() == r.errors());
  CHECK(r.errors() == 3);  // the gap, broken.tar failing, broken.tar outside the series

  // A good chain's report validates too.
  Series good;
  good.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  RequireValidReport(verify::RenderChainJson(Check(good.dir())));
}

TEST_CASE("custody verify --chain prints one line per bundle and applies --trusted-cert to every bundle",
          "[verify][chain][cli]") {
  Series s;
  auto b1 = s.Night("2026-11-01T02:00:00Z", "2026-10-31T02:00:00Z", "2026-11-01T02:00:00Z");
  auto b2 = s.Night("2026-11-02T02:00:00Z", "2026-11-01T02:00:00Z", "2026-11-02T02:00:00Z");
  TempDir tmp;
  auto pem = crypto::CertificateToPem(s.identity().certificate());
  REQUIRE(pem);
  WriteFile(tmp / "examiner.pem", *pem);
  Keys stranger = MakeKeys(tmp.path(), "stranger");

  CliResult good = RunCli({"verify", "--chain", s.dir().string(), "--trusted-cert", (tmp / "examiner.pem").string()});
  INFO(good.out << good.err);
  CHECK(good.code == 0);
  CHECK(Contains(good.out, "  VERIFIED   " + b1 + "  sealed 2026-11-01T02:00:00Z  sequence 1  0 errors, 0 warnings\n"));
  CHECK(Contains(good.out, "  VERIFIED   " + b2 + "  sealed 2026-11-02T02:00:00Z  sequence 2  0 errors, 0 warnings\n"));
  CHECK(Contains(good.out, "CHAIN VERIFIED: 0 errors, 0 warnings\n"));

  CliResult untrusted = RunCli({"verify", "--chain", s.dir().string(), "--trusted-cert", stranger.cert.string()});
  CHECK(untrusted.code == 3);
  CHECK(Contains(untrusted.out, "ERROR   bundle-failed " + b1 + ": "));
  CHECK(Contains(untrusted.out, "ERROR   bundle-failed " + b2 + ": "));
  CHECK(Contains(untrusted.out, "signer-untrusted"));
  CHECK(Contains(untrusted.out, "CHAIN FAILED: "));

  CliResult json = RunCli({"verify", "--chain", s.dir().string(), "--json"});
  CHECK(json.code == 0);
  RequireValidReport(json.out);

  CHECK(RunCli({"verify", "--chain", "--bag-only", s.dir().string()}).code == 2);
}
