#pragma once
// Key material the simulator makes at start-up in its working folder: the connected app's JWT
// signing key and certificate, and, with --tls, a throwaway CA and a server certificate for
// 127.0.0.1 and localhost signed by it. Clients trust the CA file; nothing is ever installed
// system-wide.

#include <string>

#include "core/error.h"
#include "crypto/openssl_ptr.h"

namespace custody::sim {

struct JwtMaterial {
  std::string private_key_path;  // PEM, RSA 2048, unencrypted (a simulator's throwaway key)
  std::string certificate_path;  // self-signed; the connected app trusts it
  crypto::EvpPkeyPtr public_key;
};

struct TlsMaterial {
  std::string ca_path;           // what clients pass as --ca-file
  std::string cert_path;         // server certificate (SAN IP:127.0.0.1, DNS:localhost)
  std::string key_path;
};

Result<JwtMaterial> MakeJwtMaterial(const std::string& dir);
Result<TlsMaterial> MakeTlsMaterial(const std::string& dir);

}  // namespace custody::sim
