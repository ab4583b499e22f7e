// io/payload_tree: the listing of a folder to seal, in bytewise order, refusing what a bundle
// cannot hold faithfully.

#include "io/payload_tree.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/test_support.h"

using namespace custody;
using custody::test::TempDir;
using custody::test::WriteFile;

TEST_CASE("the payload tree is listed bytewise, folders before their contents, with sizes", "[io]") {
  TempDir tmp;
  auto root = tmp / "evidence";
  WriteFile(root / "b.txt", "bb");
  WriteFile(root / "A.txt", "A");
  WriteFile(root / "a-b.txt", "");
  WriteFile(root / "a" / "z.txt", "zzz");
  WriteFile(root / "a" / "b" / "c.txt", "cccc");
  WriteFile(root / "\xc3\xa9t\xc3\xa9.txt", "utf8");  // été: 0xC3 sorts after every ASCII byte
  WriteFile(root / ".hidden", "h");
  std::filesystem::create_directories(root / "empty-folder");

  Result<std::vector<io::TreeEntry>> tree = io::ListPayloadTree(root);
  REQUIRE(tree);
  std::vector<std::string> names;
  for (const io::TreeEntry& e : *tree) names.push_back(e.relative + (e.is_directory ? "/" : ""));
  CHECK(names == std::vector<std::string>{".hidden", "A.txt", "a/", "a-b.txt", "a/b/", "a/b/c.txt", "a/z.txt",
                                          "b.txt", "empty-folder/", "\xc3\xa9t\xc3\xa9.txt"});
  for (const io::TreeEntry& e : *tree) {
    CAPTURE(e.relative);
    if (e.relative == "a/b/c.txt") CHECK(e.size == 4);
    if (e.relative == "a-b.txt") CHECK(e.size == 0);
    if (e.is_directory) CHECK(e.size == 0);
  }
}

TEST_CASE("an empty folder lists as empty", "[io]") {
  TempDir tmp;
  Result<std::vector<io::TreeEntry>> tree = io::ListPayloadTree(tmp.path());
  REQUIRE(tree);
  CHECK(tree->empty());
}

TEST_CASE("a symbolic link in the payload is refused by name and never followed", "[io]") {
  TempDir tmp;
  auto root = tmp / "evidence";
  WriteFile(root / "real.csv", "x");
  WriteFile(tmp / "outside" / "secret.txt", "not evidence");
  std::string link;
  SECTION("a link to a file") {
    link = "sub/link.csv";
    std::filesystem::create_directories(root / "sub");
    std::filesystem::create_symlink(root / "real.csv", root / link);
  }
  SECTION("a link to a folder outside") {
    link = "outside-link";
    std::filesystem::create_directory_symlink(tmp / "outside", root / link);
  }
  SECTION("a dangling link") {
    link = "dangling";
    std::filesystem::create_symlink(tmp / "nowhere", root / link);
  }
  Result<std::vector<io::TreeEntry>> tree = io::ListPayloadTree(root);
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code() == ErrorCode::kInvalidArgument);
  CHECK(tree.error().message().find("cannot seal '" + link + "'") != std::string::npos);
  CHECK(tree.error().message().find("symbolic link") != std::string::npos);
}

TEST_CASE("a FIFO in the payload is refused by name", "[io]") {
  TempDir tmp;
  auto root = tmp / "evidence";
  WriteFile(root / "a.csv", "x");
  REQUIRE(::mkfifo((root / "pipe").c_str(), 0600) == 0);
  Result<std::vector<io::TreeEntry>> tree = io::ListPayloadTree(root);
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code() == ErrorCode::kInvalidArgument);
  CHECK(tree.error().message().find("cannot seal 'pipe'") != std::string::npos);
  CHECK(tree.error().message().find("FIFO") != std::string::npos);
}

TEST_CASE("names BagIt or sha256sum would have to escape are refused by name", "[io]") {
  auto [name, why] = GENERATE(table<std::string, std::string>({
      {"50%.csv", "'%'"},
      {"back\\slash.csv", "'\\'"},
      {"line\nbreak.csv", "control character"},
      {"carriage\rreturn.csv", "control character"},
      {"tab\there.csv", "control character"},
      {"bell\x07.csv", "control character"},
      {"del\x7f.csv", "control character"},
      {"latin1-\xe9.csv", "not valid UTF-8"},
      {"overlong-\xc0\xaf.csv", "not valid UTF-8"},
  }));
  CAPTURE(name);
  CHECK(io::CheckPayloadName(name).find(why) != std::string::npos);

  TempDir tmp;
  auto root = tmp / "evidence";
  WriteFile(root / "fine.csv", "x");
  WriteFile(root / "nested" / name, "x");
  Result<std::vector<io::TreeEntry>> tree = io::ListPayloadTree(root);
  REQUIRE_FALSE(tree);
  CHECK(tree.error().code() == ErrorCode::kInvalidArgument);
  CHECK(tree.error().message().find("cannot seal 'nested/" + name + "'") != std::string::npos);
  CHECK(tree.error().message().find(why) != std::string::npos);
}

TEST_CASE("ordinary names, spaces and non-ASCII included, are accepted", "[io]") {
  std::string name = GENERATE(as<std::string>{}, "report.csv", "Zo\xc3\xab notes (2026).txt", ".hidden", "a b",
                              "\xe2\x82\xac", "#hash", "x=y,z;'\"");
  CAPTURE(name);
  CHECK(io::CheckPayloadName(name).empty());
}

TEST_CASE("a missing folder, a file and a link to a folder are not payload folders", "[io]") {
  TempDir tmp;
  Result<std::vector<io::TreeEntry>> missing = io::ListPayloadTree(tmp / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kInvalidArgument);
  CHECK(missing.error().message() == "folder " + (tmp / "nope").string() + " does not exist");

  WriteFile(tmp / "file.txt", "x");
  Result<std::vector<io::TreeEntry>> file = io::ListPayloadTree(tmp / "file.txt");
  REQUIRE_FALSE(file);
  CHECK(file.error().code() == ErrorCode::kInvalidArgument);
  CHECK(file.error().message() == (tmp / "file.txt").string() + " is not a folder");

  std::filesystem::create_directory(tmp / "real");
  WriteFile(tmp / "real" / "a.csv", "x");
  std::filesystem::create_directory_symlink(tmp / "real", tmp / "link");
  Result<std::vector<io::TreeEntry>> link = io::ListPayloadTree(tmp / "link");
  REQUIRE_FALSE(link);  // docs/cli.md: DIR must be a real folder, not a symbolic link to one
  CHECK(link.error().code() == ErrorCode::kInvalidArgument);
  CHECK(link.error().message().find((tmp / "link").string() + " is a symbolic link") != std::string::npos);
}
