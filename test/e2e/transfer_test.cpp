// transfer and receive append signed custody events; the sealed evidence stays byte-identical.

#include <catch2/catch.hpp>

#include "support/test_support.h"

using namespace custody::test;

namespace {
// The tar's bytes before the custody log's header: everything that was sealed.
std::string SealedPrefix(const std::filesystem::path& tar) {
  std::string bytes = ReadFile(tar);
  size_t pos = bytes.rfind("custody-log.jsonl");
  REQUIRE(pos != std::string::npos);
  return bytes.substr(0, pos - (pos % 512));
}
}  // namespace

TEST_CASE("transfer and receive append signed events and leave the sealed bytes untouched", "[transfer]") {
  TempDir tmp;
  Keys examiner = MakeKeys(tmp.path(), "examiner");
  Keys counsel = MakeKeys(tmp.path(), "counsel");
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, examiner);
  const std::string before = SealedPrefix(bundle);

  CliResult t = RunCli({"transfer", bundle.string(), "--to", "Outside Counsel", "--reason", "litigation hold", "--key",
                        examiner.key.string(), "--cert", examiner.cert.string()});
  INFO(t.err);
  REQUIRE(t.code == 0);
  CliResult r = RunCli({"receive", bundle.string(), "--key", counsel.key.string(), "--cert", counsel.cert.string(),
                        "--note", "vault 3"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(SealedPrefix(bundle) == before);

  CliResult v = RunCli({"verify", bundle.string(), "--trusted-cert", examiner.cert.string()});
  INFO(v.out);
  CHECK(v.code == 0);
  CHECK(v.out.find("2  ") != std::string::npos);
  CHECK(v.out.find("transferred by CN=examiner") != std::string::npos);
  CHECK(v.out.find("received by CN=counsel") != std::string::npos);
  CHECK(v.out.find("to=Outside Counsel") != std::string::npos);
  // GNU tar still reads the rewritten archive.
  CHECK(RunShell("tar -tf '" + bundle.string() + "' >/dev/null").code == 0);
}

TEST_CASE("transfer refuses a bundle that fails verification and leaves it unchanged", "[transfer]") {
  TempDir tmp;
  Keys examiner = MakeKeys(tmp.path(), "examiner");
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, examiner);
  auto entries = ReadTar(bundle);
  for (auto& e : entries) {
    if (e.path.find("data/empty.txt") != std::string::npos) e.contents = "no longer empty";
  }
  WriteTar(bundle, entries);
  const std::string tampered = ReadFile(bundle);
  CliResult t = RunCli({"transfer", bundle.string(), "--to", "X", "--reason", "Y", "--key", examiner.key.string(),
                        "--cert", examiner.cert.string()});
  CHECK(t.code == 3);
  CHECK(t.err.find("failed verification") != std::string::npos);
  CHECK(ReadFile(bundle) == tampered);
}

TEST_CASE("transfer works on an extracted bundle folder too", "[transfer]") {
  TempDir tmp;
  Keys examiner = MakeKeys(tmp.path(), "examiner");
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, examiner);
  auto top = Extract(bundle, tmp / "x");
  REQUIRE(RunCli({"transfer", top.string(), "--to", "Lab", "--reason", "analysis", "--key", examiner.key.string(),
                  "--cert", examiner.cert.string()}).code == 0);
  CliResult v = RunCli({"verify", top.string()});
  CHECK(v.code == 0);
  CHECK(v.out.find("transferred by CN=examiner") != std::string::npos);
}

TEST_CASE("transfer needs a recipient and a reason, and a key that matches its certificate", "[transfer]") {
  TempDir tmp;
  Keys examiner = MakeKeys(tmp.path(), "examiner");
  Keys other = MakeKeys(tmp.path(), "other");
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, examiner);
  CHECK(RunCli({"transfer", bundle.string(), "--reason", "Y", "--key", examiner.key.string(), "--cert",
                examiner.cert.string()}).code == 2);
  CliResult mismatch = RunCli({"transfer", bundle.string(), "--to", "X", "--reason", "Y", "--key",
                               examiner.key.string(), "--cert", other.cert.string()});
  CHECK(mismatch.code == 1);
  CHECK(mismatch.err.find("does not match") != std::string::npos);
}

TEST_CASE("transfer with --trusted-cert refuses a bundle sealed by someone else", "[transfer][trust]") {
  TempDir tmp;
  Keys examiner = MakeKeys(tmp.path(), "examiner");
  Keys impostor = MakeKeys(tmp.path(), "impostor");
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, impostor);
  const std::string before = ReadFile(bundle);
  CliResult t = RunCli({"transfer", bundle.string(), "--to", "X", "--reason", "Y", "--key", examiner.key.string(),
                        "--cert", examiner.cert.string(), "--trusted-cert", examiner.cert.string()});
  CHECK(t.code == 3);
  CHECK(t.err.find("signer-untrusted") != std::string::npos);
  CHECK(ReadFile(bundle) == before);
  CHECK(RunCli({"transfer", bundle.string(), "--to", "X", "--reason", "Y", "--key", examiner.key.string(), "--cert",
                examiner.cert.string(), "--trusted-cert", impostor.cert.string()}).code == 0);
}
