#include "test_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.h"

namespace custody::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "custody-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  REQUIRE(made != nullptr);
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CliResult RunCli(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"custody"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CliResult r;
  r.code = cli::Main(out, err, static_cast<int>(argv.size()), argv.data());
  r.out = out.str();
  r.err = err.str();
  return r;
}

CliResult RunShell(const std::string& command) {
  CliResult r;
  std::string full = "(" + command + ") 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> Names(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st;
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void WriteFile(const std::filesystem::path& path, const std::string& contents) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out.good());
  out << contents;
}

void FlipByte(const std::filesystem::path& path, std::uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x01));
}

Keys MakeKeys(const std::filesystem::path& dir, const std::string& name, const std::string& type) {
  Keys k{dir / (name + ".key"), dir / (name + ".pem")};
  CliResult r = RunCli({"keygen", "--key", k.key.string(), "--cert", k.cert.string(), "--subject",
                        "CN=" + name + ",O=Custody Tests", "--type", type});
  INFO(r.err);
  REQUIRE(r.code == 0);
  return k;
}

std::filesystem::path MakeEvidenceFolder(const std::filesystem::path& dir) {
  std::filesystem::path f = dir / "evidence";
  WriteFile(f / "setup-audit-trail.csv", "Date,User,Action\r\n\"2026-04-15T12:34:56.000+0000\",\"a@x\",\"login\"\r\n");
  WriteFile(f / "exports/report-export.csv", "EVENT_TYPE,TIMESTAMP\nReportExport,20260415123456.123\n");
  WriteFile(f / "empty.txt", "");
  return f;
}

void SealOrFail(const std::filesystem::path& folder, const std::filesystem::path& out, const Keys& keys,
                const std::string& case_id) {
  CliResult r = RunCli({"seal", folder.string(), "--out", out.string(), "--key", keys.key.string(), "--cert",
                        keys.cert.string(), "--case", case_id, "--examiner", "Test Examiner"});
  INFO(r.err);
  REQUIRE(r.code == 0);
}

std::filesystem::path Extract(const std::filesystem::path& tar, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  CliResult r = RunShell("tar -xf '" + tar.string() + "' -C '" + dir.string() + "'");
  INFO(r.out);
  REQUIRE(r.code == 0);
  for (const auto& e : std::filesystem::directory_iterator(dir)) return e.path();
  FAIL("empty archive");
  return {};
}

TarEntry FileEntry(std::string path, std::string contents) {
  TarEntry t;
  t.path = std::move(path);
  t.contents = std::move(contents);
  return t;
}

std::vector<TarEntry> ReadTar(const std::filesystem::path& tar) {
  std::vector<TarEntry> out;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  REQUIRE(archive_read_open_filename(a, tar.c_str(), 65536) == ARCHIVE_OK);
  struct archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    TarEntry t;
    t.path = archive_entry_pathname(e);
    t.directory = archive_entry_filetype(e) == AE_IFDIR;
    std::string data;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    t.contents = data;
    out.push_back(t);
  }
  archive_read_free(a);
  return out;
}

void WriteTar(const std::filesystem::path& tar, const std::vector<TarEntry>& entries) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  REQUIRE(archive_write_open_filename(a, tar.c_str()) == ARCHIVE_OK);
  for (const TarEntry& t : entries) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_mtime(e, 1700000000, 0);
    if (!t.symlink.empty()) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_perm(e, 0777);
      archive_entry_set_symlink(e, t.symlink.c_str());
    } else if (!t.hardlink.empty()) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_hardlink(e, t.hardlink.c_str());
    } else if (t.device) {
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_rdev(e, makedev(1, 3));
    } else if (t.directory) {
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_entry_set_perm(e, 0755);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(t.contents.size()));
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (t.symlink.empty() && t.hardlink.empty() && !t.device && !t.directory && !t.contents.empty()) {
      REQUIRE(archive_write_data(a, t.contents.data(), t.contents.size()) == static_cast<la_ssize_t>(t.contents.size()));
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

}  // namespace custody::test
