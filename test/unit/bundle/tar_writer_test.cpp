// bundle/tar_writer: a deterministic tar through an io::WritableFile, and its refusals.

#include "bundle/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/encoding.h"
#include "fakes/faulty_file_system.h"
#include "io/atomic_output.h"
#include "support/test_support.h"

using namespace custody;
using custody::test::TempDir;

namespace {

const UtcSeconds kMtime{std::chrono::seconds{1795433833}};

struct Header {
  std::string path;
  int type = 0;
  int perm = 0;
  la_int64_t size = 0;
  time_t mtime = 0;
  la_int64_t uid = -1, gid = -1;
  std::string uname, gname;
  std::string contents;
};

std::vector<Header> ReadHeaders(const std::filesystem::path& tar) {
  std::vector<Header> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, tar.c_str(), 10240) == ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Header h;
    h.path = archive_entry_pathname(e);
    h.type = static_cast<int>(archive_entry_filetype(e));
    h.perm = static_cast<int>(archive_entry_perm(e));
    h.size = archive_entry_size(e);
    h.mtime = archive_entry_mtime(e);
    h.uid = archive_entry_uid(e);
    h.gid = archive_entry_gid(e);
    h.uname = archive_entry_uname(e) ? archive_entry_uname(e) : "";
    h.gname = archive_entry_gname(e) ? archive_entry_gname(e) : "";
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) h.contents.append(buf, static_cast<size_t>(n));
    out.push_back(h);
  }
  archive_read_free(a);
  return out;
}

// Writes a small fixed tar to path through the real file system.
void WriteSample(const std::filesystem::path& path) {
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), path, 0644, false);
  REQUIRE(out);
  auto tar = bundle::TarWriter::Open((*out)->file(), kMtime);
  REQUIRE(tar);
  REQUIRE((*tar)->AddDirectory("top"));
  REQUIRE((*tar)->BeginFile("top/data.csv", 11));
  REQUIRE((*tar)->WriteData(AsBytes("a,b\r\n")));
  REQUIRE((*tar)->WriteData(AsBytes("1,2\r\n\n")));
  REQUIRE((*tar)->AddFile("top/empty.txt", ""));
  REQUIRE((*tar)->Finish());
  REQUIRE((*out)->Commit());
}

}  // namespace

TEST_CASE("a tar has fixed owners, modes and mtime and ends right after two zero records", "[bundle]") {
  TempDir tmp;
  WriteSample(tmp / "a.tar");
  std::vector<Header> entries = ReadHeaders(tmp / "a.tar");
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].path == "top/");
  CHECK(entries[0].type == AE_IFDIR);
  CHECK(entries[0].perm == 0755);
  CHECK(entries[1].path == "top/data.csv");
  CHECK(entries[1].type == AE_IFREG);
  CHECK(entries[1].perm == 0644);
  CHECK(entries[1].contents == "a,b\r\n1,2\r\n\n");
  CHECK(entries[2].path == "top/empty.txt");
  CHECK(entries[2].size == 0);
  for (const Header& h : entries) {
    CAPTURE(h.path);
    CHECK(h.uid == 0);
    CHECK(h.gid == 0);
    CHECK(h.uname.empty());
    CHECK(h.gname.empty());
    CHECK(h.mtime == static_cast<time_t>(kMtime.time_since_epoch().count()));
  }
  // Three headers, one padded data record, then the two end-of-archive records and nothing more.
  CHECK(std::filesystem::file_size(tmp / "a.tar") == 6 * 512);
  std::string bytes = test::ReadFile(tmp / "a.tar");
  CHECK(bytes.substr(bytes.size() - 1024) == std::string(1024, '\0'));
}

TEST_CASE("the same entries make the same tar bytes", "[bundle]") {
  TempDir tmp;
  WriteSample(tmp / "a.tar");
  WriteSample(tmp / "b.tar");
  CHECK(test::ReadFile(tmp / "a.tar") == test::ReadFile(tmp / "b.tar"));
}

TEST_CASE("an entry's declared size is enforced", "[bundle]") {
  TempDir tmp;
  auto out = io::AtomicOutput::Create(io::RealFileSystem(), tmp / "x.tar", 0644, false);
  REQUIRE(out);
  auto tar = bundle::TarWriter::Open((*out)->file(), kMtime);
  REQUIRE(tar);
  REQUIRE((*tar)->BeginFile("top/a", 3));
  SECTION("more data than declared") {
    Status s = (*tar)->WriteData(AsBytes("abcd"));
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message().find("more data than") != std::string::npos);
  }
  SECTION("a new entry before the last is complete") {
    REQUIRE((*tar)->WriteData(AsBytes("ab")));
    Status s = (*tar)->AddFile("top/b", "");
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInternal);
  }
  SECTION("finishing with an entry short of its size") {
    REQUIRE((*tar)->WriteData(AsBytes("ab")));
    Status s = (*tar)->Finish();
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().message().find("shorter than declared") != std::string::npos);
  }
}

TEST_CASE("a write failure underneath the tar is reported as the file system's error", "[bundle]") {
  TempDir tmp;
  test::FaultyFileSystem fs;
  fs.FailWritesAfter(100000);
  auto out = io::AtomicOutput::Create(fs, tmp / "x.tar", 0644, false);
  REQUIRE(out);
  auto tar = bundle::TarWriter::Open((*out)->file(), kMtime);
  REQUIRE(tar);
  const std::string big(300000, 'x');
  Status s = (*tar)->AddFile("top/big.bin", big);
  if (s.ok()) s = (*tar)->Finish();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kIo);
  CHECK(s.error().message().find("No space left on device") != std::string::npos);
  CHECK(fs.bytes_written() == 100000);
}
