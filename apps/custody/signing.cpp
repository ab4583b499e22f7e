#include "signing.h"

#include "context.h"
#include "io/file_system.h"

namespace custody::cli {

Result<crypto::SigningIdentity> LoadSigningIdentity(io::FileSystem& fs, const std::filesystem::path& key_path,
                                                    const std::filesystem::path& cert_path) {
  constexpr size_t kMax = 1 << 20;
  auto key_pem = io::ReadSmallFile(fs, key_path, kMax);
  // A key or certificate file that is not there is a usage error (2); one that is there but
  // unusable is a tool failure (1).
  auto code = [](const Error& e) { return e.code() == ErrorCode::kNotFound ? ErrorCode::kInvalidArgument : ErrorCode::kCrypto; };
  if (!key_pem) return Error(code(key_pem.error()), "read key " + key_path.string() + ": " + key_pem.error().message());
  auto cert_pem = io::ReadSmallFile(fs, cert_path, kMax);
  if (!cert_pem) {
    return Error(code(cert_pem.error()), "read certificate " + cert_path.string() + ": " + cert_pem.error().message());
  }
  auto key = crypto::LoadPrivateKey(*key_pem, key_path.string(), KeyPassphraseFromEnvironment());
  if (!key) return key.error();
  auto chain = crypto::LoadCertificates(*cert_pem, cert_path.string());
  if (!chain) return chain.error();
  Status match = crypto::CheckKeyMatchesCertificate(key->get(), chain->front().get());
  if (!match) {
    return Error(ErrorCode::kCrypto, "key " + key_path.string() + " does not match certificate " + cert_path.string() +
                                         " (" + crypto::SubjectString(chain->front().get()) + ")");
  }
  crypto::SigningIdentity id;
  id.key = std::move(*key);
  id.chain = std::move(*chain);
  return id;
}

Result<std::vector<crypto::X509Ptr>> LoadTrustedCertificates(io::FileSystem& fs,
                                                             const std::vector<std::string>& paths) {
  std::vector<crypto::X509Ptr> out;
  for (const std::string& path : paths) {
    auto pem = io::ReadSmallFile(fs, path, 1 << 20);
    if (!pem) return Error(ErrorCode::kInvalidArgument, "--trusted-cert " + path + ": " + pem.error().message());
    auto certs = crypto::LoadCertificates(*pem, path);
    if (!certs) return Error(ErrorCode::kInvalidArgument, "--trusted-cert: " + certs.error().message());
    for (auto& c : *certs) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace custody::cli
