#pragma once
// Streaming message digests over OpenSSL's EVP interface (SHA-NI and AVX code paths).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "crypto/openssl_ptr.h"

namespace custody::crypto {

enum class DigestAlgorithm { kMd5, kSha1, kSha224, kSha256, kSha384, kSha512 };

// "sha256" -> kSha256; BagIt manifest names (manifest-<name>.txt).
std::optional<DigestAlgorithm> DigestFromName(std::string_view name);
std::string DigestName(DigestAlgorithm algorithm);
size_t DigestHexLength(DigestAlgorithm algorithm);

class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::kSha256);
  Hasher(Hasher&&) = default;
  Hasher& operator=(Hasher&&) = default;
  void Update(std::span<const std::uint8_t> data);
  void Update(std::string_view data);
  // Lower-case hex. The hasher can be reused after Reset().
  std::string FinishHex();
  void Reset();

 private:
  const EVP_MD* md_;
  EvpMdCtxPtr ctx_;
};

std::string Sha256Hex(std::string_view data);
std::array<std::uint8_t, 32> Sha256(std::span<const std::uint8_t> data);

}  // namespace custody::crypto
