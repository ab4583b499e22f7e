// With SOURCE_DATE_EPOCH set, sealing the same folder twice gives the same bytes except the
// signatures (CMS and the custody event's).

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "core/time.h"

#include "support/test_support.h"

using namespace custody::test;

namespace {
// A whole hour shortly after now: inside a fresh certificate's validity, the same for both seals.
std::int64_t SealEpoch() {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  return (now.count() / 3600 + 1) * 3600;
}
std::string TarTime(std::int64_t epoch) {  // "YYYY-MM-DD HH:MM:SS" as tar --full-time prints it
  std::string t = custody::FormatRfc3339(custody::UtcSeconds{std::chrono::seconds{epoch}});
  return t.substr(0, 10) + " " + t.substr(11, 8);
}

std::string WithoutSignatureField(const std::string& line) {
  auto start = line.find("\"signature\":\"");
  REQUIRE(start != std::string::npos);
  auto end = line.find('"', start + 13);
  return line.substr(0, start) + line.substr(end + 1);
}
}  // namespace

TEST_CASE("sealing the same folder twice gives the same bytes but for the signatures", "[seal][determinism]") {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  auto folder = MakeEvidenceFolder(tmp.path());
  const std::int64_t epoch = SealEpoch();
  ::setenv("SOURCE_DATE_EPOCH", std::to_string(epoch).c_str(), 1);
  auto out = tmp / "bundle.tar";
  SealOrFail(folder, out, keys);
  std::filesystem::rename(out, tmp / "first.tar");
  SealOrFail(folder, out, keys);
  ::unsetenv("SOURCE_DATE_EPOCH");

  auto a = ReadTar(tmp / "first.tar");
  auto b = ReadTar(out);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(a[i].path);
    CHECK(a[i].path == b[i].path);
    if (a[i].path.find("statement.p7s") != std::string::npos) continue;
    if (a[i].path.find("custody-log.jsonl") != std::string::npos) {
      CHECK(WithoutSignatureField(a[i].contents) == WithoutSignatureField(b[i].contents));
      continue;
    }
    CHECK(a[i].contents == b[i].contents);
  }
  CHECK(a.front().path ==
        "IR-2026-014_" + custody::FormatCompact(custody::UtcSeconds{std::chrono::seconds{epoch}}) + "/");
  // Byte for byte up to the signature entry.
  std::string bytes_a = ReadFile(tmp / "first.tar");
  std::string bytes_b = ReadFile(out);
  size_t sig = bytes_a.find("statement.p7s");
  REQUIRE(sig != std::string::npos);
  CHECK(bytes_a.substr(0, sig) == bytes_b.substr(0, sig));
  CHECK(RunCli({"verify", out.string()}).code == 0);
  // Counsel's openssl command judges the certificate at the sealing time, not the day it is run.
  for (const TarEntry& e : b) {
    if (e.path.find("VERIFY.txt") != std::string::npos) {
      CHECK(e.contents.find("-attime " + std::to_string(epoch) + " ") != std::string::npos);
    }
  }
}

TEST_CASE("entries are sorted, owned by 0/0 with fixed modes and one mtime", "[seal][determinism]") {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  auto folder = MakeEvidenceFolder(tmp.path());
  WriteFile(folder / "a-b.txt", "dash sorts before slash");
  WriteFile(folder / "a/z.txt", "nested");
  const std::int64_t epoch = SealEpoch();
  ::setenv("SOURCE_DATE_EPOCH", std::to_string(epoch).c_str(), 1);
  SealOrFail(folder, tmp / "b.tar", keys);
  ::unsetenv("SOURCE_DATE_EPOCH");
  CliResult listing = RunShell("tar --numeric-owner --full-time -tvf '" + (tmp / "b.tar").string() + "'");
  INFO(listing.out);
  REQUIRE(listing.code == 0);
  std::vector<std::string> paths;
  std::istringstream in(listing.out);
  std::string line;
  while (std::getline(in, line)) {
    CHECK(line.find(" 0/0 ") != std::string::npos);
    CHECK(line.find(TarTime(epoch)) != std::string::npos);
    CHECK((line.rfind("drwxr-xr-x", 0) == 0 || line.rfind("-rw-r--r--", 0) == 0));
    paths.push_back(line.substr(line.rfind(' ') + 1));
  }
  REQUIRE(paths.size() > 6);
  CHECK(paths.back().find("custody-log.jsonl") != std::string::npos);
  // data/ first, sorted bytewise; then the tag files, sorted.
  std::vector<std::string> data, tags;
  for (size_t i = 1; i + 1 < paths.size(); ++i) {
    if (paths[i].back() == '/') paths[i].pop_back();  // the order compares paths without the slash
    (paths[i].find("/data/") != std::string::npos || paths[i].substr(paths[i].find('/')) == "/data" ? data : tags)
        .push_back(paths[i]);
  }
  CHECK(std::is_sorted(data.begin(), data.end()));
  CHECK(std::is_sorted(tags.begin(), tags.end()));
  CHECK(paths[1].substr(paths[1].find('/')) == "/data");
}
