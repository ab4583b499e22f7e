// io/atomic_output: a file appears at its target only on Commit(), with the asked-for mode, and
// a failed or abandoned write leaves nothing behind.

#include "io/atomic_output.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "core/encoding.h"
#include "fakes/faulty_file_system.h"
#include "fakes/scoped_umask.h"
#include "support/test_support.h"

using namespace custody;
using custody::test::ReadFile;
using custody::test::ModeOf;
using custody::test::Names;
using custody::test::TempDir;
using custody::test::WriteFile;

namespace {

}  // namespace

TEST_CASE("nothing is at the target until Commit, then exactly the bytes written", "[io]") {
  TempDir tmp;
  auto target = tmp / "bundle.tar";
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), target, 0644, false);
  REQUIRE(out);
  const auto temp = (*out)->temp_path();
  CHECK(temp.parent_path() == target.parent_path());  // beside the target: rename stays on one file system
  CHECK(temp.filename().string().rfind(".bundle.tar.tmp-", 0) == 0);
  CHECK(std::filesystem::exists(temp));
  REQUIRE((*out)->file().Append(AsBytes("first ")));
  REQUIRE((*out)->file().Append(AsBytes("second")));
  CHECK_FALSE(std::filesystem::exists(target));
  REQUIRE((*out)->Commit());
  CHECK(ReadFile(target) == "first second");
  CHECK_FALSE(std::filesystem::exists(temp));
  out->reset();  // destroying a committed output must not remove the target
  CHECK(ReadFile(target) == "first second");
  CHECK(Names(tmp.path()) == std::set<std::string>{"bundle.tar"});
}

TEST_CASE("an output destroyed before Commit removes its temporary file", "[io]") {
  TempDir tmp;
  auto target = tmp / "out.bin";
  {
    auto out = io::AtomicOutput::Create(io::RealFileSystem(), target, 0644, false);
    REQUIRE(out);
    REQUIRE((*out)->file().Append(AsBytes("partial")));
    CHECK(Names(tmp.path()).size() == 1);  // the temporary file
  }
  CHECK(Names(tmp.path()).empty());
}

TEST_CASE("the file mode is honoured whatever the umask", "[io]") {
  auto [mode, mask] = GENERATE(table<mode_t, mode_t>({{0600, 022}, {0600, 0}, {0644, 077}, {0640, 0}}));
  CAPTURE(mode, mask);
  test::ScopedUmask umask_scope(mask);
  TempDir tmp;
  auto target = tmp / "file";
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), target, mode, false);
  REQUIRE(out);
  CHECK(ModeOf((*out)->temp_path()) == mode);  // a key is never readable by others, even briefly
  REQUIRE((*out)->Commit());
  CHECK(ModeOf(target) == mode);
}

TEST_CASE("without overwrite an existing target is refused and left untouched", "[io]") {
  TempDir tmp;
  auto target = tmp / "existing";
  SECTION("a regular file") { WriteFile(target, "keep me"); }
  SECTION("a dangling symbolic link") { std::filesystem::create_symlink(tmp / "nowhere", target); }
  auto before = Names(tmp.path());
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), target, 0644, false);
  REQUIRE_FALSE(out);
  CHECK(out.error().code() == ErrorCode::kInvalidArgument);
  CHECK(out.error().message() == target.string() + " already exists");
  CHECK(Names(tmp.path()) == before);
  if (std::filesystem::is_regular_file(target)) CHECK(ReadFile(target) == "keep me");
}

TEST_CASE("a target that appears before Commit is not overwritten without overwrite", "[io]") {
  TempDir tmp;
  auto target = tmp / "raced";
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), target, 0644, false);
  REQUIRE(out);
  REQUIRE((*out)->file().Append(AsBytes("mine")));
  WriteFile(target, "theirs");  // another process wins the race
  Status s = (*out)->Commit();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("already exists") != std::string::npos);
  out->reset();
  CHECK(ReadFile(target) == "theirs");
  CHECK(Names(tmp.path()) == std::set<std::string>{"raced"});
}

TEST_CASE("with overwrite an existing file is replaced, but never a folder", "[io]") {
  TempDir tmp;
  auto target = tmp / "bundle.tar";
  WriteFile(target, "old");
  REQUIRE(io::WriteFileAtomically(io::RealFileSystem(), target, "new", 0644, true));
  CHECK(ReadFile(target) == "new");
  CHECK(Names(tmp.path()) == std::set<std::string>{"bundle.tar"});

  std::filesystem::create_directory(tmp / "folder");
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), tmp / "folder", 0644, true);
  REQUIRE_FALSE(out);
  CHECK(out.error().code() == ErrorCode::kInvalidArgument);
  CHECK(out.error().message().find("is a directory") != std::string::npos);
}

TEST_CASE("a missing output folder is reported by name", "[io]") {
  TempDir tmp;
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), tmp / "no-such-folder" / "x.tar", 0644, false);
  REQUIRE_FALSE(out);
  CHECK(out.error().code() == ErrorCode::kInvalidArgument);  // exit 2: the command line names it
  CHECK(out.error().message().find((tmp / "no-such-folder").string()) != std::string::npos);
}

TEST_CASE("a failed write removes the temporary file and leaves no target", "[io]") {
  TempDir tmp;
  test::FaultyFileSystem fs;
  fs.FailWritesAfter(4);
  auto target = tmp / "small.txt";
  Status s = io::WriteFileAtomically(fs, target, "more than four bytes", 0644, false);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("No space left on device") != std::string::npos);
  REQUIRE(fs.created().size() == 1);
  CHECK(fs.removed() == fs.created());
  CHECK(Names(tmp.path()).empty());
}

TEST_CASE("a directory that cannot be synced after the rename leaves no target", "[io]") {
  TempDir tmp;
  test::FaultyFileSystem fs;
  fs.FailSyncDirectory();
  auto target = tmp / "bundle.tar";
  Status s = io::WriteFileAtomically(fs, target, "sealed bytes", 0644, false);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("fsync directory") != std::string::npos);
  CHECK(Names(tmp.path()).empty());
}

TEST_CASE("ReadSmallFile reads whole files and refuses larger ones, links and missing files", "[io]") {
  TempDir tmp;
  WriteFile(tmp / "ten", "0123456789");
  Result<std::string> exact = io::ReadSmallFile(io::RealFileSystem(), tmp / "ten", 10);
  REQUIRE(exact);
  CHECK(*exact == "0123456789");
  WriteFile(tmp / "empty", "");
  Result<std::string> empty = io::ReadSmallFile(io::RealFileSystem(), tmp / "empty", 10);
  REQUIRE(empty);
  CHECK(empty->empty());

  Result<std::string> big = io::ReadSmallFile(io::RealFileSystem(), tmp / "ten", 9);
  REQUIRE_FALSE(big);
  CHECK(big.error().message() == (tmp / "ten").string() + " is larger than 9 bytes");

  std::filesystem::create_symlink(tmp / "ten", tmp / "link");
  Result<std::string> link = io::ReadSmallFile(io::RealFileSystem(), tmp / "link", 100);
  REQUIRE_FALSE(link);
  CHECK(link.error().message().find("symbolic link") != std::string::npos);

  Result<std::string> missing = io::ReadSmallFile(io::RealFileSystem(), tmp / "missing", 100);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  CHECK(missing.error().message() == "open " + (tmp / "missing").string() + ": No such file or directory");
}

TEST_CASE("opening a FIFO for reading is refused without blocking", "[io]") {
  TempDir tmp;
  REQUIRE(::mkfifo((tmp / "pipe").c_str(), 0600) == 0);
  auto file = io::RealFileSystem().OpenForRead(tmp / "pipe");
  REQUIRE_FALSE(file);
  CHECK(file.error().message() == "open " + (tmp / "pipe").string() + ": not a regular file");
}
