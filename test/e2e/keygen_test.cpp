// `custody keygen`: never overwrites, writes a 0600 PKCS#8 key and a signing certificate that
// stock OpenSSL reads, and refuses bad input (exit 2) before generating anything.

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "crypto/keys.h"
#include "exit_codes.h"
#include "fakes/scoped_env.h"
#include "fakes/scoped_umask.h"
#include "support/test_support.h"

using namespace custody;
using namespace custody::test;

namespace {

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

CliResult Keygen(const std::filesystem::path& key, const std::filesystem::path& cert,
                 std::vector<std::string> extra = {}, const std::string& subject = "CN=Jane Examiner,O=Example Health") {
  std::vector<std::string> args{"keygen", "--key", key.string(), "--cert", cert.string(), "--subject", subject};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunCli(args);
}

}  // namespace

TEST_CASE("keygen writes a 0600 PKCS#8 key and a 0644 certificate whatever the umask", "[keygen]") {
  ScopedEnv plain("CUSTODY_KEY_PASSPHRASE", std::nullopt);
  mode_t mask = GENERATE(mode_t{0}, mode_t{022}, mode_t{077});
  CAPTURE(mask);
  ScopedUmask umask_scope(mask);
  TempDir tmp;
  CliResult r = Keygen(tmp / "ex.key", tmp / "ex.pem");
  INFO(r.err);
  REQUIRE(r.code == cli::kExitOk);
  CHECK(Names(tmp.path()) == std::set<std::string>{"ex.key", "ex.pem"});  // no temporary file left
  CHECK(ModeOf(tmp / "ex.key") == 0600);
  CHECK(ModeOf(tmp / "ex.pem") == 0644);
  std::string key_pem = ReadFile(tmp / "ex.key");
  CHECK(key_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0) == 0);
  CHECK(Contains(r.out, "key          " + (tmp / "ex.key").string() + " (p256, PKCS#8 PEM, mode 0600)\n"));
  CHECK(Contains(r.out, "subject      CN=Jane Examiner,O=Example Health\n"));

  auto certs = crypto::LoadCertificates(ReadFile(tmp / "ex.pem"), "ex.pem");
  REQUIRE(certs);
  REQUIRE(certs->size() == 1);
  CHECK(Contains(r.out, "sha256       " + crypto::CertificateSha256(certs->front().get()) + "\n"));
  auto key = crypto::LoadPrivateKey(key_pem, "ex.key", std::nullopt);
  REQUIRE(key);
  CHECK(crypto::CheckKeyMatchesCertificate(key->get(), certs->front().get()).ok());
}

TEST_CASE("stock OpenSSL reads the key and shows a signing-only certificate", "[keygen]") {
  ScopedEnv plain("CUSTODY_KEY_PASSPHRASE", std::nullopt);
  TempDir tmp;
  REQUIRE(Keygen(tmp / "ex.key", tmp / "ex.pem", {"--days", "30"}).code == cli::kExitOk);
  CliResult text = RunShell("openssl x509 -noout -text -in '" + (tmp / "ex.pem").string() + "'");
  INFO(text.out);
  REQUIRE(text.code == 0);
  CHECK(Contains(text.out, "Version: 3 (0x2)"));
  CHECK(Contains(text.out, "Subject: CN = Jane Examiner, O = Example Health"));
  CHECK(Contains(text.out, "Issuer: CN = Jane Examiner, O = Example Health"));
  CHECK(Contains(text.out, "Signature Algorithm: ecdsa-with-SHA256"));
  CHECK(Contains(text.out, "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation\n"));
  CHECK(Contains(text.out, "X509v3 Basic Constraints: critical\n                CA:FALSE\n"));
  CHECK(Contains(text.out, "X509v3 Subject Key Identifier"));
  CliResult pkey = RunShell("openssl pkey -noout -in '" + (tmp / "ex.key").string() + "' -passin pass:");
  INFO(pkey.out);
  CHECK(pkey.code == 0);
  CliResult match = RunShell("test \"$(openssl x509 -noout -pubkey -in '" + (tmp / "ex.pem").string() +
                             "')\" = \"$(openssl pkey -pubout -in '" + (tmp / "ex.key").string() + "')\"");
  CHECK(match.code == 0);
}

TEST_CASE("with CUSTODY_KEY_PASSPHRASE set the key is written encrypted", "[keygen]") {
  ScopedEnv passphrase("CUSTODY_KEY_PASSPHRASE", "correct horse battery");
  TempDir tmp;
  CliResult r = Keygen(tmp / "ex.key", tmp / "ex.pem");
  INFO(r.err);
  REQUIRE(r.code == cli::kExitOk);
  CHECK(Contains(r.out, "(p256, PKCS#8 PEM, mode 0600, encrypted)"));
  std::string pem = ReadFile(tmp / "ex.key");
  CHECK(pem.rfind("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", 0) == 0);
  CHECK(ModeOf(tmp / "ex.key") == 0600);
  CHECK(crypto::LoadPrivateKey(pem, "ex.key", std::string("correct horse battery")));
  CHECK_FALSE(crypto::LoadPrivateKey(pem, "ex.key", std::nullopt));
  CHECK(RunShell("openssl pkey -noout -in '" + (tmp / "ex.key").string() + "' -passin pass:'correct horse battery'")
            .code == 0);
}

TEST_CASE("P-384 and RSA-3072 keys are made as asked", "[keygen]") {
  ScopedEnv plain("CUSTODY_KEY_PASSPHRASE", std::nullopt);
  auto [type, base_id, bits, signature] = GENERATE(table<std::string, int, int, std::string>({
      {"p384", EVP_PKEY_EC, 384, "ecdsa-with-SHA384"},
      {"rsa3072", EVP_PKEY_RSA, 3072, "sha256WithRSAEncryption"},  // generated once: slow
  }));
  CAPTURE(type);
  TempDir tmp;
  CliResult r = Keygen(tmp / "ex.key", tmp / "ex.pem", {"--type", type});
  INFO(r.err);
  REQUIRE(r.code == cli::kExitOk);
  CHECK(Contains(r.out, "(" + type + ", PKCS#8 PEM, mode 0600)"));
  auto key = crypto::LoadPrivateKey(ReadFile(tmp / "ex.key"), "ex.key", std::nullopt);
  REQUIRE(key);
  CHECK(EVP_PKEY_get_base_id(key->get()) == base_id);
  CHECK(EVP_PKEY_get_bits(key->get()) == bits);
  auto certs = crypto::LoadCertificates(ReadFile(tmp / "ex.pem"), "ex.pem");
  REQUIRE(certs);
  CHECK(crypto::CheckKeyMatchesCertificate(key->get(), certs->front().get()).ok());
  CliResult text = RunShell("openssl x509 -noout -text -in '" + (tmp / "ex.pem").string() + "'");
  CHECK(Contains(text.out, "Signature Algorithm: " + signature));
}

TEST_CASE("keygen never overwrites an existing key or certificate", "[keygen]") {
  TempDir tmp;
  std::string existing;
  SECTION("the key exists") {
    existing = "ex.key";
    WriteFile(tmp / existing, "precious key\n");
  }
  SECTION("the certificate exists") {
    existing = "ex.pem";
    WriteFile(tmp / existing, "precious certificate\n");
  }
  SECTION("a dangling symbolic link at the key") {
    existing = "ex.key";
    std::filesystem::create_symlink(tmp / "elsewhere.key", tmp / existing);
  }
  CliResult r = Keygen(tmp / "ex.key", tmp / "ex.pem");
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, (tmp / existing).string() + " already exists"));
  CHECK(Names(tmp.path()) == std::set<std::string>{existing});  // the other file was not made either
  if (!std::filesystem::is_symlink(tmp / existing)) CHECK(Contains(ReadFile(tmp / existing), "precious"));
  CHECK_FALSE(std::filesystem::exists(tmp / "elsewhere.key"));
}

TEST_CASE("keygen refuses --key and --cert naming the same file, however spelled", "[keygen]") {
  TempDir tmp;
  auto spelled = GENERATE(as<std::string>{}, "ex.pem", "./ex.pem", "sub/../ex.pem");
  CAPTURE(spelled);
  std::filesystem::create_directory(tmp / "sub");
  CliResult r = Keygen(tmp / "ex.pem", tmp / spelled);
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "--key and --cert must be different files"));
  CHECK(Names(tmp.path()) == std::set<std::string>{"sub"});
}

TEST_CASE("bad keygen arguments are exit 2 and leave no file", "[keygen]") {
  TempDir tmp;
  auto [extra, subject, why] = GENERATE(table<std::vector<std::string>, std::string, std::string>({
      {{}, "Jane Examiner", "expected KEY=VALUE"},
      {{}, "CN=Jane,XX=1", "unknown attribute 'XX'"},
      {{}, "CN=Jane,C=USA", "invalid value for C"},
      {{}, "", "expected KEY=VALUE"},
      {{"--type", "ed25519"}, "CN=Jane", "unknown key type 'ed25519'"},
      {{"--type", "rsa3072", "--days", "0"}, "CN=Jane", "--days must be between 1 and 36500"},
      {{"--days", "36501"}, "CN=Jane", "--days must be between 1 and 36500"},
  }));
  CAPTURE(subject, why);
  CliResult r = Keygen(tmp / "ex.key", tmp / "ex.pem", extra, subject);
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, why));
  CHECK(Names(tmp.path()).empty());
}

TEST_CASE("a passphrase too long for OpenSSL to hand back is exit 2 before any file is written", "[keygen]") {
  ScopedEnv passphrase("CUSTODY_KEY_PASSPHRASE", std::string(crypto::kMaxPassphraseBytes + 1, 'p'));
  TempDir tmp;
  CliResult r = Keygen(tmp / "ex.key", tmp / "ex.pem");
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "CUSTODY_KEY_PASSPHRASE is longer than 1024 bytes"));
  CHECK(Names(tmp.path()).empty());
}

TEST_CASE("if the certificate cannot be written the key is removed too", "[keygen]") {
  TempDir tmp;
  CliResult r = Keygen(tmp / "ex.key", tmp / "no-such-folder" / "ex.pem");
  CHECK(r.code == cli::kExitUsage);
  CHECK(Contains(r.err, "output folder " + (tmp / "no-such-folder").string() + " does not exist"));
  CHECK(Names(tmp.path()).empty());
}
