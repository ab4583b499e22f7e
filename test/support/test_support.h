#pragma once
// Shared test helpers: temporary folders, throwaway keys, the CLI run in-process, file tweaks.

#include <cstdint>
#include <sys/types.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace custody::test {

// A fresh folder under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs custody's Main in-process with the given arguments (argv[0] is added).
CliResult RunCli(const std::vector<std::string>& args);

// Runs a shell command, returns its exit status and merged output.
CliResult RunShell(const std::string& command);

std::string ReadFile(const std::filesystem::path& path);
// The names of the entries directly in dir (no recursion).
std::set<std::string> Names(const std::filesystem::path& dir);
// The file's permission bits (lstat: a link's own mode).
mode_t ModeOf(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& contents);
void FlipByte(const std::filesystem::path& path, std::uint64_t offset);

// A key pair and self-signed certificate made by `custody keygen` in dir: dir/<name>.key, .pem.
struct Keys {
  std::filesystem::path key;
  std::filesystem::path cert;
};
Keys MakeKeys(const std::filesystem::path& dir, const std::string& name, const std::string& type = "p256");

// A small evidence folder: a CSV with CRLF line ends, a nested file, an empty file.
std::filesystem::path MakeEvidenceFolder(const std::filesystem::path& dir);

// Seals `folder` into `out` with keys; REQUIREs success.
void SealOrFail(const std::filesystem::path& folder, const std::filesystem::path& out, const Keys& keys,
                const std::string& case_id = "IR-2026-014");

// Extracts a tar into dir with the system tar; returns the single top folder.
std::filesystem::path Extract(const std::filesystem::path& tar, const std::filesystem::path& dir);

// Rewrites a tar through a function that may change entries' paths and contents (libarchive).
struct TarEntry {
  std::string path;
  std::string contents;
  bool directory = false;
  std::string symlink;   // non-empty: a symbolic link entry
  std::string hardlink;  // non-empty: a hard link entry
  bool device = false;   // a character device entry
};
TarEntry FileEntry(std::string path, std::string contents);
std::vector<TarEntry> ReadTar(const std::filesystem::path& tar);
void WriteTar(const std::filesystem::path& tar, const std::vector<TarEntry>& entries);

}  // namespace custody::test
