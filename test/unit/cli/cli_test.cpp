// The CLI's own behaviour: command names, redaction of secrets, exit codes for usage errors.

#include <catch2/catch.hpp>

#include "context.h"
#include "exit_codes.h"
#include "support/test_support.h"

using namespace custody;
using custody::test::RunCli;

TEST_CASE("a mistyped command gets the nearest name and exit code 2", "[cli]") {
  auto r = RunCli({"sael", "x"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(r.err.find("unknown command 'sael'; did you mean 'seal'?") != std::string::npos);
  auto far = RunCli({"frobnicate"});
  CHECK(far.code == cli::kExitUsage);
  CHECK(far.err.find("did you mean") == std::string::npos);
}

TEST_CASE("help and version exit 0, a missing required flag exits 2", "[cli]") {
  auto help = RunCli({"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("130  interrupted") != std::string::npos);
  CHECK(RunCli({"--version"}).code == 0);
  auto missing = RunCli({"seal", "somewhere"});
  CHECK(missing.code == cli::kExitUsage);
  CHECK(missing.err.find("--out") != std::string::npos);
}

TEST_CASE("secret-bearing flags are redacted from the recorded command line", "[cli]") {
  auto red = cli::RedactCommandLine({"custody", "collect", "--token", "00Dxx!AQ.secret", "--client-secret=s3cr3t",
                                     "--case", "IR-1"});
  CHECK(red == std::vector<std::string>{"custody", "collect", "--token", "[REDACTED]", "--client-secret=[REDACTED]",
                                        "--case", "IR-1"});
}

TEST_CASE("error codes map to the documented exit codes", "[cli]") {
  using custody::Error;
  using custody::ErrorCode;
  CHECK(cli::ToExitCode(Error(ErrorCode::kInvalidArgument, "")) == 2);
  CHECK(cli::ToExitCode(Error(ErrorCode::kIntegrity, "")) == 3);
  CHECK(cli::ToExitCode(Error(ErrorCode::kCancelled, "")) == 130);
  CHECK(cli::ToExitCode(Error(ErrorCode::kIo, "")) == 1);
  CHECK(cli::ToExitCode(Error(ErrorCode::kCrypto, "")) == 1);
}
