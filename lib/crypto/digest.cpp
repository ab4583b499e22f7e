#include "crypto/digest.h"

#include <openssl/err.h>

#include "core/encoding.h"

namespace custody::crypto {

std::string TakeOpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    // Keep only the reason part: "error:1700006D:CMS routines:...:reason" -> last field.
    std::string s(buf);
    auto pos = s.rfind(':');
    out += pos == std::string::npos ? s : s.substr(pos + 1);
  }
  return out;
}

std::optional<DigestAlgorithm> DigestFromName(std::string_view name) {
  if (name == "md5") return DigestAlgorithm::kMd5;
  if (name == "sha1") return DigestAlgorithm::kSha1;
  if (name == "sha224") return DigestAlgorithm::kSha224;
  if (name == "sha256") return DigestAlgorithm::kSha256;
  if (name == "sha384") return DigestAlgorithm::kSha384;
  if (name == "sha512") return DigestAlgorithm::kSha512;
  return std::nullopt;
}

std::string DigestName(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5: return "md5";
    case DigestAlgorithm::kSha1: return "sha1";
    case DigestAlgorithm::kSha224: return "sha224";
    case DigestAlgorithm::kSha256: return "sha256";
    case DigestAlgorithm::kSha384: return "sha384";
    case DigestAlgorithm::kSha512: return "sha512";
  }
  return "unknown";
}

size_t DigestHexLength(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5: return 32;
    case DigestAlgorithm::kSha1: return 40;
    case DigestAlgorithm::kSha224: return 56;
    case DigestAlgorithm::kSha256: return 64;
    case DigestAlgorithm::kSha384: return 96;
    case DigestAlgorithm::kSha512: return 128;
  }
  return 0;
}

namespace {

// OpenSSL 3 looks a legacy EVP_sha256() up in its provider tables on every EVP_DigestInit_ex, which
// cost more than hashing a short record. Each algorithm is fetched once for the process (the
// legacy object is the fallback if a fetch fails).
const EVP_MD* Fetched(const char* name, const EVP_MD* legacy) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    ERR_clear_error();
    return legacy;
  }
  return md;
}

const EVP_MD* Md(DigestAlgorithm algorithm) {
  switch (algorithm) {
    case DigestAlgorithm::kMd5: {
      static const EVP_MD* md = Fetched("MD5", EVP_md5());
      return md;
    }
    case DigestAlgorithm::kSha1: {
      static const EVP_MD* md = Fetched("SHA1", EVP_sha1());
      return md;
    }
    case DigestAlgorithm::kSha224: {
      static const EVP_MD* md = Fetched("SHA224", EVP_sha224());
      return md;
    }
    case DigestAlgorithm::kSha256:
      break;
    case DigestAlgorithm::kSha384: {
      static const EVP_MD* md = Fetched("SHA384", EVP_sha384());
      return md;
    }
    case DigestAlgorithm::kSha512: {
      static const EVP_MD* md = Fetched("SHA512", EVP_sha512());
      return md;
    }
  }
  static const EVP_MD* sha256 = Fetched("SHA256", EVP_sha256());
  return sha256;
}

}  // namespace

Hasher::Hasher(DigestAlgorithm algorithm) : md_(Md(algorithm)), ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  Reset();
}

void Hasher::Reset() {
  if (EVP_DigestInit_ex(ctx_.get(), md_, nullptr) != 1) throw std::bad_alloc();
}

void Hasher::Update(std::span<const std::uint8_t> data) {
  if (!data.empty()) EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

void Hasher::Update(std::string_view data) { Update(AsBytes(data)); }

std::string Hasher::FinishHex() {
  std::uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), out, &len);
  Reset();
  return ToHex({out, len});
}

std::string Sha256Hex(std::string_view data) {
  // Called once per normalized record: one context per thread, kept.
  thread_local Hasher h(DigestAlgorithm::kSha256);
  h.Update(data);
  return h.FinishHex();
}

std::array<std::uint8_t, 32> Sha256(std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, Md(DigestAlgorithm::kSha256), nullptr);
  return out;
}

}  // namespace custody::crypto
