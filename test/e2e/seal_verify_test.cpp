// End to end through the CLI: keygen -> seal -> verify, and what counsel runs with stock tools.

#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>

#include "commands.h"

#include "support/test_support.h"

using namespace custody::test;

TEST_CASE("a sealed bundle verifies with custody and with the stock tools in VERIFY.txt", "[e2e]") {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  auto folder = MakeEvidenceFolder(tmp.path());
  auto bundle = tmp / "bundle.tar";
  SealOrFail(folder, bundle, keys);

  CliResult verified = RunCli({"verify", bundle.string(), "--trusted-cert", keys.cert.string()});
  INFO(verified.out << verified.err);
  CHECK(verified.code == 0);
  CHECK(verified.out.find("VERIFIED: 0 errors, 0 warnings") != std::string::npos);

  auto top = Extract(bundle, tmp / "x");
  // Raw bytes are never altered: CRLF and all.
  CHECK(ReadFile(top / "data/setup-audit-trail.csv") == ReadFile(folder / "setup-audit-trail.csv"));
  std::string instructions = ReadFile(top / "VERIFY.txt");
  std::vector<std::string> commands;
  size_t pos = 0;
  while ((pos = instructions.find("\n$ ", pos)) != std::string::npos) {
    size_t end = instructions.find('\n', pos + 1);
    commands.push_back(instructions.substr(pos + 3, end - pos - 3));
    pos = end;
  }
  REQUIRE(commands.size() >= 4);
  for (const std::string& command : commands) {
    CliResult r = RunShell("cd '" + top.string() + "' && " + command);
    INFO(command << "\n" << r.out);
    CHECK(r.code == 0);
  }

  // The same commands must fail once a payload byte is flipped.
  FlipByte(top / "data/exports/report-export.csv", 3);
  int failed = 0;
  for (const std::string& command : commands) {
    if (RunShell("cd '" + top.string() + "' && " + command).code != 0) ++failed;
  }
  CHECK(failed == 1);  // sha256sum -c manifest-sha256.txt
  CliResult folder_verify = RunCli({"verify", top.string()});
  CHECK(folder_verify.code == 3);
}

TEST_CASE("long and non-ASCII payload names survive seal, verify and the stock tools", "[e2e][seal]") {
  // Regression: libarchive's pax writer crashed on a long UTF-8 name under the C locale.
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  auto folder = tmp / "evidence";
  const std::string deep = std::string(60, 'd') + "/" + std::string(60, 'e');
  WriteFile(folder / deep / "Núñez patient export (2026).csv", "id,name\n1,Synthetic\n");
  WriteFile(folder / "Zoë notes.txt", "short non-ASCII name\n");
  auto bundle = tmp / "bundle.tar";
  SealOrFail(folder, bundle, keys, "IR/2026 #14");
  CliResult v = RunCli({"verify", bundle.string(), "--trusted-cert", keys.cert.string()});
  INFO(v.out);
  CHECK(v.code == 0);
  auto top = Extract(bundle, tmp / "x");
  CHECK(top.filename().string().rfind("IR_2026__14_", 0) == 0);
  CHECK(ReadFile(top / "data" / deep / "Núñez patient export (2026).csv") == "id,name\n1,Synthetic\n");
  CliResult stock = RunShell("cd '" + top.string() + "' && sha256sum -c --strict manifest-sha256.txt");
  INFO(stock.out);
  CHECK(stock.code == 0);
  CHECK(stock.out.find("Zoë notes.txt: OK") != std::string::npos);
}

TEST_CASE("an interrupted verify stops with exit 130 and no verdict", "[e2e][verify]") {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  auto bundle = tmp / "bundle.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, keys);
  std::atomic<bool> interrupted{true};  // as if SIGINT arrived before the first byte was hashed
  std::ostringstream out, err;
  std::vector<const char*> argv{"custody", "verify", bundle.c_str()};
  int code = custody::cli::Main(out, err, static_cast<int>(argv.size()), argv.data(), &interrupted);
  CHECK(code == 130);
  CHECK(out.str().find("VERIFIED") == std::string::npos);
  CHECK(err.str().find("interrupted") != std::string::npos);
}
