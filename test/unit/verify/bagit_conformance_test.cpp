// The Library of Congress BagIt conformance suite (fixtures/bagit-conformance, v0.97 and v1.0) run
// through `custody verify --bag-only --json`, plus small bags for the rules the suite leaves out.
// Case folders are listed from disk: a case added to the fixtures is checked with no change here.

#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using custody::test::CliResult;
using custody::test::RunCli;
using custody::test::TempDir;
using custody::test::WriteFile;
using Kinds = std::set<std::string>;

namespace {

const fs::path kSuite = fs::path(CUSTODY_FIXTURES_DIR) / "bagit-conformance";

struct Outcome {
  int code = -1;
  Kinds errors;
  Kinds warnings;
  std::string text;
};

Outcome VerifyBag(const fs::path& bag) {
  CliResult r = RunCli({"verify", "--bag-only", "--json", bag.string()});
  Outcome o;
  o.code = r.code;
  o.text = r.out + r.err;
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  INFO(o.text);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.HasMember("findings"));
  for (const auto& f : d["findings"].GetArray()) {
    (std::string(f["severity"].GetString()) == "error" ? o.errors : o.warnings).insert(f["kind"].GetString());
  }
  return o;
}

// "v0.97/invalid/corrupt-data-file" for every case folder, sorted; categories by the folder name.
std::map<std::string, std::vector<std::string>> CasesByCategory() {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& version : fs::directory_iterator(kSuite)) {
    if (!version.is_directory()) continue;
    for (const auto& category : fs::directory_iterator(version.path())) {
      if (!category.is_directory()) continue;
      for (const auto& bag : fs::directory_iterator(category.path())) {
        if (!bag.is_directory()) continue;
        out[category.path().filename().string()].push_back(fs::relative(bag.path(), kSuite).string());
      }
    }
  }
  for (auto& [category, cases] : out) std::sort(cases.begin(), cases.end());
  return out;
}

std::string Md5(const std::string& data) {
  custody::crypto::Hasher h(custody::crypto::DigestAlgorithm::kMd5);
  h.Update(data);
  return h.FinishHex();
}

// A v0.97 bag with the given payload (path under data/ -> contents) and manifest-md5.txt text.
void WriteBag(const fs::path& dir, const std::map<std::string, std::string>& payload, const std::string& manifest) {
  WriteFile(dir / "bagit.txt", "BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n");
  WriteFile(dir / "manifest-md5.txt", manifest);
  fs::create_directories(dir / "data");
  for (const auto& [path, contents] : payload) WriteFile(dir / "data" / path, contents);
}

}  // namespace

TEST_CASE("every conformance case folder belongs to a category with a defined outcome", "[verify][bagit]") {
  const Kinds known{"valid", "invalid", "warning", "linux-only", "windows-only"};
  auto cases = CasesByCategory();
  REQUIRE(cases.size() >= 4);
  for (const auto& [category, list] : cases) {
    INFO(category);
    CHECK(known.count(category) == 1);
    CHECK_FALSE(list.empty());
  }
  CHECK(cases["valid"].size() >= 13);
  CHECK(cases["invalid"].size() >= 15);
  CHECK(cases["warning"].size() >= 6);
  CHECK(cases["linux-only"].size() >= 6);
}

TEST_CASE("every valid conformance bag verifies with no error", "[verify][bagit]") {
  const auto cases = CasesByCategory()["valid"];
  for (const std::string& name : cases) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 0);
    CHECK(o.errors.empty());
  }
}

TEST_CASE("every invalid conformance bag fails with at least one error", "[verify][bagit]") {
  const auto cases = CasesByCategory()["invalid"];
  for (const std::string& name : cases) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 3);
    CHECK_FALSE(o.errors.empty());
  }
}

TEST_CASE("every warning conformance bag verifies, with at least one warning and no error", "[verify][bagit]") {
  const auto cases = CasesByCategory()["warning"];
  for (const std::string& name : cases) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 0);
    CHECK(o.errors.empty());
    CHECK_FALSE(o.warnings.empty());
  }
}

TEST_CASE("every linux-only conformance bag fails on Linux", "[verify][bagit]") {
  // Absolute ("/tmp/foo"), home-folder ("~/foo", "~root/foo") paths in a manifest or fetch.txt.
  const auto cases = CasesByCategory()["linux-only"];
  for (const std::string& name : cases) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 3);
    CHECK_FALSE(o.errors.empty());
  }
}

TEST_CASE("every windows-only conformance bag fails on Linux too", "[verify][bagit]") {
  // Each case names "C:\...", "%HomeDrive%\..." or "\\?\UNC\..." in a manifest or fetch.txt. On
  // Linux a backslash is an ordinary file-name byte, so such a name could be read as one odd
  // relative file name; but it would still lie outside data/, where no payload manifest or
  // fetch.txt entry may point, and custody rejects backslashes, drive letters and UNC prefixes on
  // every platform so that a bag means the same wherever it is opened. None is fine on Linux.
  auto cases = CasesByCategory()["windows-only"];
  CHECK(cases.size() >= 6);
  for (const std::string& name : cases) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 3);
    CHECK_FALSE(o.errors.empty());
  }
}

TEST_CASE("representative conformance bags fail with exactly the expected error kinds", "[verify][bagit]") {
  const std::map<std::string, Kinds> expected{
      {"v0.97/invalid/corrupt-data-file", {"payload-hash-mismatch", "payload-oxum-mismatch"}},
      {"v0.97/invalid/corrupt-tag-file", {"tag-hash-mismatch"}},
      {"v0.97/invalid/extra-file-in-bag", {"payload-unlisted", "payload-oxum-mismatch"}},
      {"v0.97/invalid/bom-in-bagit.txt", {"bagit-declaration"}},
      {"v0.97/invalid/missing-baginfo", {"tag-missing"}},
      {"v0.97/invalid/out-of-scope-file-paths-using-dot-notation", {"manifest-unsafe-path"}},
      {"v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch", {"fetch-unsafe-path"}},
      {"v0.97/invalid/same-filename-listed-twice-with-different-hashes", {"manifest-duplicate-entry"}},
      {"v0.97/linux-only/out-of-scope-file-paths-using-absolute-path", {"manifest-unsafe-path"}},
      {"v0.97/windows-only/out-of-scope-file-paths-using-unc-for-fetch", {"fetch-unsafe-path"}},
      {"v1.0/invalid/bagit-with-invalid-whitespace", {"bagit-declaration"}},
      {"v1.0/invalid/notAllManifestsListAllFiles", {"payload-unlisted"}},
  };
  for (const auto& [name, kinds] : expected) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 3);
    CHECK(o.errors == kinds);
  }
}

TEST_CASE("conformance bags that pass with warnings give exactly the expected warning kinds", "[verify][bagit]") {
  const std::map<std::string, Kinds> expected{
      {"v0.97/warning/duplicate-file-with-different-case", {"payload-case-variant"}},
      {"v0.97/warning/made-with-md5sum-tools", {"manifest-binary-marker"}},
      {"v0.97/warning/relative-path", {"dot-slash-path"}},
      {"v0.97/warning/same-filename-listed-twice-with-different-normalization", {"payload-normalization-variant"}},
      {"v0.97/warning/same-filename-listed-twice-with-the-same-hash", {"manifest-duplicate-entry"}},
      {"v0.97/warning/special-system-files", {"system-file"}},
      {"v0.97/valid/ISO-8859-1-encoded-tag-files", {"bagit-encoding"}},
      {"v0.97/valid/UTF-16-encoded-tag-files", {"bagit-encoding"}},
      {"v0.97/valid/bag-with-leading-dot-slash-in-manifest", {"dot-slash-path"}},
      {"v0.97/valid/holey-bag", {}},
      {"v1.0/valid/basicBag", {}},
  };
  for (const auto& [name, kinds] : expected) {
    Outcome o = VerifyBag(kSuite / name);
    INFO(name << "\n" << o.text);
    CHECK(o.code == 0);
    CHECK(o.errors.empty());
    CHECK(o.warnings == kinds);
  }
}

TEST_CASE("a name variant is checked against the listed digest, and a wrong one is a mismatch", "[verify][bagit]") {
  TempDir tmp;
  const std::string nfc = "N\xc3\xba\xc3\xb1" "ez.txt";   // Núñez, precomposed
  const std::string nfd = "Nu\xcc\x81n\xcc\x83" "ez.txt";  // Núñez, decomposed
  SECTION("same content under the other normalization") {
    WriteBag(tmp.path(), {{nfc, "x"}}, Md5("x") + "  data/" + nfd + "\n");
    Outcome o = VerifyBag(tmp.path());
    INFO(o.text);
    CHECK(o.code == 0);
    CHECK(o.warnings == Kinds{"payload-normalization-variant"});
  }
  SECTION("other content under the other normalization") {
    WriteBag(tmp.path(), {{nfc, "x"}}, Md5("y") + "  data/" + nfd + "\n");
    Outcome o = VerifyBag(tmp.path());
    INFO(o.text);
    CHECK(o.code == 3);
    CHECK(o.errors == Kinds{"payload-hash-mismatch"});
  }
  SECTION("two files on disk that differ only in case") {
    WriteBag(tmp.path(), {{"a.txt", "x"}, {"A.txt", "x"}}, Md5("x") + "  data/a.txt\n" + Md5("x") + "  data/A.txt\n");
    Outcome o = VerifyBag(tmp.path());
    INFO(o.text);
    CHECK(o.code == 0);
    CHECK(o.warnings == Kinds{"payload-case-variant"});
  }
}

TEST_CASE("an absent system file is only a warning when its listed digest is of an empty file", "[verify][bagit]") {
  TempDir tmp;
  SECTION("empty") {
    WriteBag(tmp.path(), {{"a.txt", "x"}}, Md5("x") + "  data/a.txt\n" + Md5("") + "  data/.DS_Store\n");
    WriteFile(tmp / "bag-info.txt", "Payload-Oxum: 1.2\n");
    Outcome o = VerifyBag(tmp.path());
    INFO(o.text);
    CHECK(o.code == 0);
    CHECK(o.warnings == Kinds{"system-file"});
  }
  SECTION("with content") {
    WriteBag(tmp.path(), {{"a.txt", "x"}}, Md5("x") + "  data/a.txt\n" + Md5("thumbnails") + "  data/Thumbs.db\n");
    Outcome o = VerifyBag(tmp.path());
    INFO(o.text);
    CHECK(o.code == 3);
    CHECK(o.errors == Kinds{"payload-missing"});
  }
}

TEST_CASE("fetch.txt entries must be well formed and listed in the payload manifest", "[verify][bagit]") {
  TempDir tmp;
  WriteBag(tmp.path(), {{"a.txt", "x"}}, Md5("x") + "  data/a.txt\n");
  Kinds errors;
  SECTION("a file that no manifest lists") {
    WriteFile(tmp / "fetch.txt", "https://example.org/a - data/a.txt\nhttps://example.org/b 3 data/b.txt\n");
    errors = {"fetch-unlisted"};
  }
  SECTION("a length that is not the file's size") {
    WriteFile(tmp / "fetch.txt", "https://example.org/a 7 data/a.txt\n");
    errors = {"fetch-invalid-line"};
  }
  SECTION("a relative URL") {
    WriteFile(tmp / "fetch.txt", "example.org/a - data/a.txt\n");
    errors = {"fetch-invalid-line"};
  }
  SECTION("a listed file that is absent, to be fetched") {
    WriteFile(tmp / "manifest-md5.txt", Md5("x") + "  data/a.txt\n" + Md5("y") + "  data/b.txt\n");
    WriteFile(tmp / "fetch.txt", "https://example.org/b 1 data/b.txt\n");
    errors = {"payload-missing"};
  }
  Outcome o = VerifyBag(tmp.path());
  INFO(o.text);
  CHECK(o.code == 3);
  CHECK(o.errors == errors);
}

TEST_CASE("tag files must be valid in the declared encoding", "[verify][bagit]") {
  TempDir tmp;
  WriteBag(tmp.path(), {{"a.txt", "x"}}, Md5("x") + "  data/a.txt\n");
  SECTION("a UTF-8 byte-order mark") {
    WriteFile(tmp / "manifest-md5.txt", "\xEF\xBB\xBF" + Md5("x") + "  data/a.txt\n");
  }
  SECTION("bytes that are not UTF-8") {
    WriteFile(tmp / "bag-info.txt", "Contact-Name: \xff\xfe\n");
  }
  Outcome o = VerifyBag(tmp.path());
  INFO(o.text);
  CHECK(o.code == 3);
  CHECK(o.errors.count("tag-file-encoding") == 1);
}

TEST_CASE("bagit.txt is held to the exact declaration syntax", "[verify][bagit]") {
  TempDir tmp;
  WriteBag(tmp.path(), {{"a.txt", "x"}}, Md5("x") + "  data/a.txt\n");
  std::string declaration = GENERATE(as<std::string>{},
                                     "BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n",
                                     "BagIt-Version: 1.0 \nTag-File-Character-Encoding: UTF-8\n",
                                     "BagIt-Version:  1.0\nTag-File-Character-Encoding: UTF-8\n",
                                     "BagIt-Version: 1.0\nTag-File-Character-Encoding: no-such-charset\n",
                                     "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8//IGNORE\n",
                                     "BagIt-Version: 1.0\n",
                                     "\xEF\xBB\xBF" "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
  WriteFile(tmp / "bagit.txt", declaration);
  Outcome o = VerifyBag(tmp.path());
  INFO(o.text);
  CHECK(o.code == 3);
  CHECK(o.errors == Kinds{"bagit-declaration"});
}
