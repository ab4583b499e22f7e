// A key whose certificate an organisation's own CA issued works like a self-signed one, and
// --trusted-cert accepts the CA as the anchor.

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "support/test_support.h"

using namespace custody::test;

namespace {
// A root CA and a leaf it issued, made with the openssl command line.
Keys MakeCaIssuedKeys(const std::filesystem::path& dir, std::filesystem::path& ca_cert) {
  ca_cert = dir / "ca.pem";
  std::string d = "'" + dir.string() + "'";
  std::string script =
      "cd " + d + " && "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 "
      "-subj '/CN=Example Health Evidence CA/O=Example Health' "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign && "
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr "
      "-subj '/CN=Jane Examiner/O=Example Health' && "
      "printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature,nonRepudiation\\n' > leaf.ext && "
      "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 20 -extfile leaf.ext "
      "-out leaf-only.pem && cat leaf-only.pem ca.pem > leaf-chain.pem";
  CliResult r = RunShell(script);
  INFO(r.out);
  REQUIRE(r.code == 0);
  return Keys{dir / "leaf.key", dir / "leaf-chain.pem"};
}
}  // namespace

TEST_CASE("a key issued by an organisation's CA seals, and verify trusts the CA as anchor", "[verify][trust]") {
  TempDir tmp;
  std::filesystem::path ca;
  Keys leaf = MakeCaIssuedKeys(tmp.path(), ca);
  auto bundle = tmp / "b.tar";
  SealOrFail(MakeEvidenceFolder(tmp.path()), bundle, leaf);

  CliResult anchored = RunCli({"verify", bundle.string(), "--trusted-cert", ca.string()});
  INFO(anchored.out);
  CHECK(anchored.code == 0);
  CHECK(anchored.out.find("(trusted)") != std::string::npos);

  Keys stranger = MakeKeys(tmp.path(), "stranger");
  CliResult other = RunCli({"verify", bundle.string(), "--trusted-cert", stranger.cert.string()});
  CHECK(other.code == 3);
  CHECK(other.out.find("signer-untrusted") != std::string::npos);

  // The stock commands of VERIFY.txt pass with a CA-issued signer too.
  auto top = Extract(bundle, tmp / "x");
  CliResult stock = RunShell("cd '" + top.string() +
                             "' && openssl cms -verify -binary -inform DER -in statement.p7s -content statement.txt "
                             "-CAfile signer-cert.pem -partial_chain -purpose any -out /dev/null && "
                             "openssl cms -verify -binary -inform DER -in statement.p7s -content statement.txt "
                             "-CAfile '" + ca.string() + "' -purpose any -out /dev/null");
  INFO(stock.out);
  CHECK(stock.code == 0);
}

TEST_CASE("seal refuses a sealing time outside its certificate's validity", "[seal][trust]") {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  std::string when;
  SECTION("after it expired") {
    ::setenv("SOURCE_DATE_EPOCH", "4102444800", 1);  // 2100-01-01
    when = "had expired at 2100-01-01T00:00:00Z";
  }
  SECTION("before it was issued") {
    ::setenv("SOURCE_DATE_EPOCH", "946684800", 1);  // 2000-01-01
    when = "is not valid yet at 2000-01-01T00:00:00Z";
  }
  CliResult r = RunCli({"seal", MakeEvidenceFolder(tmp.path()).string(), "--out", (tmp / "b.tar").string(), "--key",
                        keys.key.string(), "--cert", keys.cert.string(), "--case", "IR-1", "--examiner", "E"});
  ::unsetenv("SOURCE_DATE_EPOCH");
  INFO(r.err);
  CHECK(r.code == 1);
  CHECK(r.err.find(when) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(tmp / "b.tar"));
}
