#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>

#include "commands.h"
#include "crypto/keys.h"
#include "io/atomic_output.h"

namespace custody::cli {

namespace {
struct KeygenOptions {
  std::string key;
  std::string cert;
  std::string subject;
  std::string type = "p256";
  int days = 3650;
};

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// The same file under two spellings ("k.pem" and "./k.pem") counts as the same path.
bool SamePath(const std::string& a, const std::string& b) {
  std::error_code ec_a, ec_b;
  auto abs_a = std::filesystem::absolute(a, ec_a).lexically_normal();
  auto abs_b = std::filesystem::absolute(b, ec_b).lexically_normal();
  return a == b || (!ec_a && !ec_b && abs_a == abs_b);
}

// Every usage error is found before a key is generated (RSA generation takes a while).
Status RunKeygen(const KeygenOptions& o, Context& ctx) {
  if (SamePath(o.key, o.cert)) return Error(ErrorCode::kInvalidArgument, "--key and --cert must be different files");
  if (Exists(o.key)) {
    return Error(ErrorCode::kInvalidArgument, o.key + " already exists; keygen never overwrites a key");
  }
  if (Exists(o.cert)) return Error(ErrorCode::kInvalidArgument, o.cert + " already exists; keygen never overwrites");
  auto type = crypto::KeyTypeFromName(o.type);
  if (!type) return type.error();
  auto subject = crypto::ParseSubject(o.subject);
  if (!subject) return subject.error();
  if (o.days < 1 || o.days > 36500) return Error(ErrorCode::kInvalidArgument, "--days must be between 1 and 36500");
  const std::optional<std::string> passphrase = KeyPassphraseFromEnvironment();
  if (passphrase && passphrase->size() > crypto::kMaxPassphraseBytes) {
    return Error(ErrorCode::kInvalidArgument, "CUSTODY_KEY_PASSPHRASE is longer than " +
                                                  std::to_string(crypto::kMaxPassphraseBytes) +
                                                  " bytes: OpenSSL could not decrypt the key with it");
  }
  auto key = crypto::GenerateKey(*type);
  if (!key) return key.error();
  auto cert = crypto::MakeSelfSignedCertificate(key->get(), o.subject, ctx.clock.Now(), o.days);
  if (!cert) return cert.error();
  auto key_pem = crypto::PrivateKeyToPem(key->get(), passphrase);
  if (!key_pem) return key_pem.error();
  auto cert_pem = crypto::CertificateToPem(cert->get());
  if (!cert_pem) return cert_pem.error();
  CUSTODY_RETURN_IF_ERROR(io::WriteFileAtomically(ctx.fs, o.key, *key_pem, 0600, false));
  Status wrote_cert = io::WriteFileAtomically(ctx.fs, o.cert, *cert_pem, 0644, false);
  if (!wrote_cert) {
    (void)ctx.fs.Remove(o.key);  // never leave a key without its certificate
    return wrote_cert;
  }
  ctx.out << "key          " << o.key << " (" << o.type << ", PKCS#8 PEM, mode 0600"
          << (passphrase ? ", encrypted" : "") << ")\n"
          << "certificate  " << o.cert << "\n"
          << "subject      " << crypto::SubjectString(cert->get()) << "\n"
          << "sha256       " << crypto::CertificateSha256(cert->get()) << "\n";
  return Status::Ok();
}
}  // namespace

void AddKeygenCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<KeygenOptions>();
  CLI::App* cmd = app.add_subcommand("keygen", "Make a signing key and a self-signed X.509 certificate");
  cmd->add_option("--key", o->key, "Where to write the private key (PKCS#8 PEM, mode 0600)")->required();
  cmd->add_option("--cert", o->cert, "Where to write the certificate (PEM)")->required();
  cmd->add_option("--subject", o->subject, "Certificate subject, e.g. \"CN=Jane Doe,O=Example Health\"")->required();
  cmd->add_option("--type", o->type, "Key type: p256 (default), p384 or rsa3072");
  cmd->add_option("--days", o->days, "Certificate validity in days (default 3650)");
  cmd->footer(
      "The key is encrypted when CUSTODY_KEY_PASSPHRASE is set. Existing files are never overwritten.");
  cmd->callback([o, &ctx] { ctx.status = RunKeygen(*o, ctx); });
}

}  // namespace custody::cli
