#include <sys/stat.h>

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

Status RunKeygen(const KeygenOptions& o, Context& ctx) {
  if (o.key == o.cert) return Error(ErrorCode::kInvalidArgument, "--key and --cert must be different files");
  if (Exists(o.key)) return Error(ErrorCode::kInvalidArgument, o.key + " already exists; keygen never overwrites a key");
  if (Exists(o.cert)) return Error(ErrorCode::kInvalidArgument, o.cert + " already exists; keygen never overwrites");
  auto type = crypto::KeyTypeFromName(o.type);
  if (!type) return type.error();
  auto subject = crypto::ParseSubject(o.subject);
  if (!subject) return subject.error();
  auto key = crypto::GenerateKey(*type);
  if (!key) return key.error();
  auto cert = crypto::MakeSelfSignedCertificate(key->get(), o.subject, ctx.clock.Now(), o.days);
  if (!cert) return cert.error();
  auto key_pem = crypto::PrivateKeyToPem(key->get(), KeyPassphraseFromEnvironment());
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
          << (KeyPassphraseFromEnvironment() ? ", encrypted" : "") << ")\n"
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
