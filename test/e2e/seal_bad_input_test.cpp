// Bad input to `custody seal`: each case asserts a message that names the file or folder, the
// documented exit code (docs/cli.md) and that nothing, not even a temporary file, is left at or
// beside --out. Faults the real system cannot produce on demand (an unreadable file when running
// as root, a full disk, a signal mid-file) are injected through the io::FileSystem seam.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bundle/seal.h"
#include "commands.h"
#include "exit_codes.h"
#include "fakes/faulty_file_system.h"
#include "fakes/scoped_env.h"
#include "signing.h"
#include "support/test_support.h"

using namespace custody;
using namespace custody::test;

namespace {

// Every path under dir, relative to it, folders marked with a trailing '/'.
std::set<std::string> Listing(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    out.insert(e.path().lexically_relative(dir).string() + (e.is_directory() && !e.is_symlink() ? "/" : ""));
  }
  return out;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A temp dir with keys, an evidence folder and an empty folder for the output.
struct Bench {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  std::filesystem::path folder = MakeEvidenceFolder(tmp.path());
  std::filesystem::path out_dir = tmp / "out";
  std::filesystem::path out = out_dir / "bundle.tar";
  Bench() { std::filesystem::create_directory(out_dir); }

  CliResult Seal(const std::filesystem::path& dir, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"seal",   dir.string(),      "--out",  out.string(),  "--key",
                                  keys.key.string(), "--cert", keys.cert.string(), "--case", "IR-2026-014",
                                  "--examiner",      "Test Examiner"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunCli(args);
  }

  // A request for bundle::Seal, signed with the bench's keys.
  crypto::SigningIdentity Identity() const {
    auto id = cli::LoadSigningIdentity(io::RealFileSystem(), keys.key, keys.cert);
    REQUIRE(id);
    return std::move(*id);
  }
  bundle::SealRequest Request(const crypto::SigningIdentity& signer) const {
    bundle::SealRequest r;
    r.source_dir = folder;
    r.out = out;
    r.case_id = "IR-2026-014";
    r.examiner = "Test Examiner";
    r.signer = &signer;
    r.sealed_at = SystemClock().Now();  // within the fresh certificate's validity
    r.tool.version = "test";
    return r;
  }
};

}  // namespace

TEST_CASE("sealing a folder that does not exist is exit 2 naming the folder", "[seal]") {
  Bench b;
  CliResult r = b.Seal(b.tmp / "no-such-folder");
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "folder " + (b.tmp / "no-such-folder").string() + " does not exist"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a folder with no regular file is refused: nothing to seal", "[seal]") {
  Bench b;
  auto empty = b.tmp / "empty";
  std::filesystem::create_directory(empty);
  SECTION("an empty folder") {}
  SECTION("a folder of empty folders") {
    std::filesystem::create_directories(empty / "a" / "b");
    std::filesystem::create_directories(empty / "c");
  }
  CliResult r = b.Seal(empty);
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "folder " + empty.string() + " holds no files: nothing to seal"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a file that cannot be opened stops the seal with exit 1 and no output", "[seal]") {
  Bench b;
  crypto::SigningIdentity signer = b.Identity();
  const auto unreadable = b.folder / "exports" / "report-export.csv";
  FaultyFileSystem fs;
  fs.FailOpenForRead(unreadable, EACCES);
  Result<bundle::SealResult> sealed = bundle::Seal(fs, b.Request(signer));
  REQUIRE_FALSE(sealed);
  CHECK(sealed.error().code() == ErrorCode::kIo);
  CHECK(cli::ToExitCode(sealed.error()) == cli::kExitFailure);
  CHECK(sealed.error().message() == "open " + unreadable.string() + ": Permission denied");
  REQUIRE(fs.created().size() == 1);  // the temporary file existed, beside --out ...
  CHECK(fs.created()[0].parent_path() == b.out_dir);
  CHECK(fs.removed() == fs.created());  // ... and was removed
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a file without read permission stops the seal with exit 1 (not as root)", "[seal]") {
  if (::geteuid() == 0) {
    WARN("skipped: root reads a mode-000 file; the FileSystem-seam test above covers this case");
    return;
  }
  Bench b;
  const auto unreadable = b.folder / "setup-audit-trail.csv";
  REQUIRE(::chmod(unreadable.c_str(), 0) == 0);
  CliResult r = b.Seal(b.folder);
  ::chmod(unreadable.c_str(), 0644);
  CHECK(r.code == cli::kExitFailure);
  CHECK(Contains(r.err, unreadable.string()));
  CHECK(Contains(r.err, "Permission denied"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a symbolic link in the folder is refused by name and never followed", "[seal]") {
  Bench b;
  WriteFile(b.tmp / "secret" / "passwords.txt", "not evidence\n");
  std::string link;
  SECTION("a link to a file outside") {
    link = "exports/passwords.txt";
    std::filesystem::create_symlink(b.tmp / "secret" / "passwords.txt", b.folder / link);
  }
  SECTION("a link to a folder outside") {
    link = "secret";
    std::filesystem::create_directory_symlink(b.tmp / "secret", b.folder / link);
  }
  const auto before = Listing(b.folder);
  CliResult r = b.Seal(b.folder);
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "cannot seal '" + link + "': it is a symbolic link; links are never followed"));
  CHECK(Listing(b.out_dir).empty());
  CHECK(Listing(b.folder) == before);
}

TEST_CASE("a FIFO in the folder is refused by name without blocking", "[seal]") {
  Bench b;
  REQUIRE(::mkfifo((b.folder / "pipe").c_str(), 0600) == 0);
  CliResult r = b.Seal(b.folder);
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "cannot seal 'pipe': not a regular file"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a folder given as a symbolic link is refused", "[seal]") {
  Bench b;
  std::filesystem::create_directory_symlink(b.folder, b.tmp / "link-to-evidence");
  CliResult r = b.Seal(b.tmp / "link-to-evidence");
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, (b.tmp / "link-to-evidence").string()));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("an existing --out is refused without --force and replaced with it", "[seal]") {
  Bench b;
  WriteFile(b.out, "an earlier bundle");
  CliResult refused = b.Seal(b.folder);
  CHECK(refused.code == cli::kExitUsage);
  CHECK(Contains(refused.err, b.out.string() + " already exists"));
  CHECK(ReadFile(b.out) == "an earlier bundle");
  CHECK(Listing(b.out_dir) == std::set<std::string>{"bundle.tar"});

  CliResult forced = b.Seal(b.folder, {"--force"});
  INFO(forced.err);
  CHECK(forced.code == cli::kExitOk);
  CHECK(Listing(b.out_dir) == std::set<std::string>{"bundle.tar"});
  std::vector<TarEntry> entries = ReadTar(b.out);
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.back().path.find("custody-log.jsonl") != std::string::npos);
  CliResult verified = RunCli({"verify", b.out.string(), "--trusted-cert", b.keys.cert.string()});
  INFO(verified.out);
  CHECK(verified.code == cli::kExitOk);
}

TEST_CASE("seal never replaces a folder at --out, even with --force", "[seal]") {
  Bench b;
  std::filesystem::create_directory(b.out);
  WriteFile(b.out / "keep.txt", "x");
  CliResult r = b.Seal(b.folder, {"--force"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, b.out.string() + " is a directory"));
  CHECK(Listing(b.out_dir) == std::set<std::string>{"bundle.tar/", "bundle.tar/keep.txt"});
}

TEST_CASE("an --out inside the folder being sealed is refused and the folder is untouched", "[seal]") {
  Bench b;
  std::string inside = GENERATE(as<std::string>{}, "bundle.tar", "exports/bundle.tar", "exports/../bundle.tar", ".");
  CAPTURE(inside);
  const auto before = Listing(b.folder);
  CliResult r = RunCli({"seal", b.folder.string(), "--out", (b.folder / inside).string(), "--key",
                        b.keys.key.string(), "--cert", b.keys.cert.string(), "--case", "IR-1", "--examiner", "E"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "must be outside the folder being sealed"));
  CHECK(Contains(r.err, (b.folder / inside).string()));
  CHECK(Listing(b.folder) == before);
}

// Known bug in lib/bundle/seal.cpp (not this file's to fix): the inside-the-folder check tests
// whether the relative path *starts with the characters* "..", so a name like "..bundle.tar" inside
// the folder passes as "outside". It should compare the first path component with "..".
TEST_CASE("an --out inside the folder whose name starts with two dots is refused too", "[seal]") {
  Bench b;
  const auto before = Listing(b.folder);
  CliResult r = RunCli({"seal", b.folder.string(), "--out", (b.folder / "..bundle.tar").string(), "--key",
                        b.keys.key.string(), "--cert", b.keys.cert.string(), "--case", "IR-1", "--examiner", "E"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "must be outside the folder being sealed"));
  CHECK(Listing(b.folder) == before);
}

TEST_CASE("an --out in a folder that does not exist is exit 2 naming the folder", "[seal]") {
  Bench b;
  auto out = b.tmp / "missing" / "bundle.tar";
  CliResult r = RunCli({"seal", b.folder.string(), "--out", out.string(), "--key", b.keys.key.string(), "--cert",
                        b.keys.cert.string(), "--case", "IR-1", "--examiner", "E"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "output folder " + (b.tmp / "missing").string() + " does not exist"));
  CHECK_FALSE(std::filesystem::exists(b.tmp / "missing"));
}

TEST_CASE("a key that is not PEM is exit 1, a missing one exit 2, naming the key file", "[seal]") {
  Bench b;
  auto bad_key = b.tmp / "bad.key";
  std::string why;
  int expected = cli::kExitFailure;
  SECTION("not PEM") {
    WriteFile(bad_key, "this is not a key\n");
    why = "key " + bad_key.string() + " is not a PEM private key";
  }
  SECTION("a certificate given as the key") {
    WriteFile(bad_key, ReadFile(b.keys.cert));
    why = "key " + bad_key.string() + " is not a PEM private key";
  }
  SECTION("missing") {
    why = "read key " + bad_key.string() + ": ";
    expected = cli::kExitUsage;
  }
  b.keys.key = bad_key;
  CliResult r = b.Seal(b.folder);
  CHECK(r.code == expected);
  CHECK(Contains(r.err, why));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("an encrypted key needs CUSTODY_KEY_PASSPHRASE, and the right one", "[seal]") {
  TempDir tmp;
  Keys keys;
  {
    ScopedEnv passphrase("CUSTODY_KEY_PASSPHRASE", "correct horse battery");
    keys = MakeKeys(tmp.path(), "encrypted");
  }
  REQUIRE(Contains(ReadFile(keys.key), "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  auto folder = MakeEvidenceFolder(tmp.path());
  std::filesystem::create_directory(tmp / "out");
  auto out = tmp / "out" / "bundle.tar";
  auto seal = [&] {
    return RunCli({"seal", folder.string(), "--out", out.string(), "--key", keys.key.string(), "--cert",
                   keys.cert.string(), "--case", "IR-1", "--examiner", "E"});
  };
  SECTION("without it") {
    ScopedEnv unset("CUSTODY_KEY_PASSPHRASE", std::nullopt);
    CliResult r = seal();
    CHECK(r.code == cli::kExitFailure);
    CHECK(Contains(r.err, "key " + keys.key.string() +
                              " is encrypted: put its passphrase in the CUSTODY_KEY_PASSPHRASE environment variable"));
    CHECK(Listing(tmp / "out").empty());
  }
  SECTION("set but empty") {
    ScopedEnv empty("CUSTODY_KEY_PASSPHRASE", "");
    CliResult r = seal();
    CHECK(r.code == cli::kExitFailure);
    CHECK(Contains(r.err, "CUSTODY_KEY_PASSPHRASE"));
    CHECK(Listing(tmp / "out").empty());
  }
  SECTION("with a wrong one") {
    ScopedEnv wrong("CUSTODY_KEY_PASSPHRASE", "correct horse battery staple");
    CliResult r = seal();
    CHECK(r.code == cli::kExitFailure);
    CHECK(Contains(r.err, "key " + keys.key.string() + " could not be decrypted: wrong passphrase?"));
    CHECK(Listing(tmp / "out").empty());
  }
  SECTION("with the right one") {
    ScopedEnv right("CUSTODY_KEY_PASSPHRASE", "correct horse battery");
    CliResult r = seal();
    INFO(r.err);
    CHECK(r.code == cli::kExitOk);
    CHECK(Listing(tmp / "out") == std::set<std::string>{"bundle.tar"});
  }
}

TEST_CASE("a certificate that does not match the key is exit 1 naming both files", "[seal]") {
  Bench b;
  Keys other = MakeKeys(b.tmp.path(), "someone-else");
  b.keys.cert = other.cert;
  CliResult r = b.Seal(b.folder);
  CHECK(r.code == cli::kExitFailure);
  CHECK(Contains(r.err, "key " + b.keys.key.string() + " does not match certificate " + other.cert.string()));
  CHECK(Contains(r.err, "CN=someone-else"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a certificate file whose chain certificate is damaged is exit 1 naming it", "[seal]") {
  Bench b;
  const std::string pem = ReadFile(b.keys.cert);
  std::string damaged = pem;
  damaged[40] = '!';  // inside the base64 body
  auto chain = b.tmp / "chain.pem";
  WriteFile(chain, pem + damaged);
  b.keys.cert = chain;
  CliResult r = b.Seal(b.folder);
  CHECK(r.code == cli::kExitFailure);
  CHECK(Contains(r.err, "certificate " + chain.string() + ": certificate 2 is damaged"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("an invalid --case or --examiner is exit 2 before anything is written", "[seal]") {
  Bench b;
  auto [flag, value] = GENERATE(table<std::string, std::string>({
      {"--case", ""},
      {"--case", " IR-1"},
      {"--case", "IR-1\nforged: yes"},
      {"--examiner", "Jane\tDoe"},
      {"--examiner", "Jane \xff"},
  }));
  CAPTURE(flag, value);
  CliResult r = RunCli({"seal", b.folder.string(), "--out", b.out.string(), "--key", b.keys.key.string(), "--cert",
                        b.keys.cert.string(), "--case", flag == "--case" ? value : "IR-1", "--examiner",
                        flag == "--examiner" ? value : "E"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, flag == "--case" ? "case id" : "examiner"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a malformed SOURCE_DATE_EPOCH is exit 2 and never ignored", "[seal]") {
  Bench b;
  ScopedEnv epoch("SOURCE_DATE_EPOCH", "yesterday");
  CliResult r = b.Seal(b.folder);
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "SOURCE_DATE_EPOCH"));
  CHECK(Contains(r.err, "'yesterday'"));
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a full disk fails the seal with the system's message and removes the temporary file", "[seal]") {
  Bench b;
  WriteFile(b.folder / "large.bin", std::string(300000, 'L'));  // larger than one 64 KiB tar block
  crypto::SigningIdentity signer = b.Identity();
  std::uint64_t budget = GENERATE(0u, 512u, 65536u, 200000u);
  CAPTURE(budget);
  FaultyFileSystem fs;
  fs.FailWritesAfter(budget, ENOSPC);
  Result<bundle::SealResult> sealed = bundle::Seal(fs, b.Request(signer));
  REQUIRE_FALSE(sealed);
  CHECK(sealed.error().code() == ErrorCode::kIo);
  CHECK(cli::ToExitCode(sealed.error()) == cli::kExitFailure);
  CHECK(Contains(sealed.error().message(), "No space left on device"));
  CHECK(fs.bytes_written() == budget);
  REQUIRE(fs.created().size() == 1);
  CHECK(fs.removed() == fs.created());
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("a seal interrupted mid-file stops with kCancelled and leaves nothing", "[seal]") {
  Bench b;
  crypto::SigningIdentity signer = b.Identity();
  std::atomic<bool> cancel{false};
  FaultyFileSystem fs;
  int reads = 0;
  fs.OnRead([&](const std::filesystem::path&) {
    if (++reads == 1) cancel.store(true);  // the signal arrives while the first file is being read
  });
  bundle::SealRequest request = b.Request(signer);
  request.cancel = &cancel;
  Result<bundle::SealResult> sealed = bundle::Seal(fs, request);
  REQUIRE_FALSE(sealed);
  CHECK(sealed.error().code() == ErrorCode::kCancelled);
  CHECK(cli::ToExitCode(sealed.error()) == cli::kExitInterrupted);
  CHECK(sealed.error().message() == "interrupted: nothing was written to " + b.out.string());
  CHECK(reads == 1);  // it stopped at the next check, not at the end of the payload
  REQUIRE(fs.created().size() == 1);
  CHECK(fs.removed() == fs.created());
  CHECK(Listing(b.out_dir).empty());
}

TEST_CASE("an interrupted seal through the CLI exits 130 and leaves nothing", "[seal]") {
  Bench b;
  std::atomic<bool> cancel{true};  // the flag main()'s signal handler sets
  std::vector<std::string> args{"custody", "seal", b.folder.string(), "--out", b.out.string(), "--key",
                                b.keys.key.string(), "--cert", b.keys.cert.string(), "--case", "IR-1",
                                "--examiner", "E"};
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = cli::Main(out, err, static_cast<int>(argv.size()), argv.data(), &cancel);
  CHECK(code == cli::kExitInterrupted);
  CHECK(Contains(err.str(), "interrupted: nothing was written to " + b.out.string()));
  CHECK(Listing(b.out_dir).empty());
}
