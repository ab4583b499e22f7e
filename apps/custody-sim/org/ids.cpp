#include "org/ids.h"

#include "org/rng.h"

namespace custody::sim::gen {
namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr char kSuffixChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
constexpr std::string_view kPod = "5f0";

int Digit62(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

}  // namespace

std::string Base62(uint64_t n, int width) {
  std::string out(static_cast<size_t>(width), '0');
  for (int i = width - 1; i >= 0 && n > 0; --i) {
    out[static_cast<size_t>(i)] = kBase62[n % 62];
    n /= 62;
  }
  return out;
}

std::string CaseSafeSuffix(std::string_view id15) {
  std::string suffix;
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    unsigned bits = 0;
    for (size_t i = 0; i < 5; ++i) {
      const char c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1U << i;
    }
    suffix += kSuffixChars[bits];
  }
  return suffix;
}

std::string MakeId(std::string_view prefix, uint64_t number) {
  std::string id;
  id.reserve(18);
  id.append(prefix.substr(0, 3));
  id.append(kPod);
  id.append(Base62(number, 9));
  id.append(CaseSafeSuffix(id));
  return id;
}

std::optional<ParsedId> ParseId(std::string_view id) {
  if (id.size() != 15 && id.size() != 18) return std::nullopt;
  if (id.substr(3, 3) != kPod) return std::nullopt;
  if (id.size() == 18 && id.substr(15) != CaseSafeSuffix(id.substr(0, 15))) return std::nullopt;
  uint64_t number = 0;
  for (size_t i = 6; i < 15; ++i) {
    const int d = Digit62(id[i]);
    if (d < 0) return std::nullopt;
    number = number * 62 + static_cast<uint64_t>(d);
  }
  ParsedId parsed;
  parsed.prefix = std::string(id.substr(0, 3));
  parsed.ns = number / kIdNamespaceSize;
  parsed.index = number % kIdNamespaceSize;
  return parsed;
}

std::string RequestId(uint64_t h) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string out(22, 'A');
  uint64_t a = h;
  uint64_t b = Mix64(h ^ 0x5bd1e995ULL);
  for (size_t i = 0; i < 22; ++i) {
    uint64_t& src = i < 10 ? a : b;
    out[i] = kChars[src & 63];
    src >>= 6;
  }
  return out;
}

std::string SessionKey(uint64_t h) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out(16, 'A');
  uint64_t a = h;
  uint64_t b = Mix64(h + 0x2545f4914f6cdd1dULL);
  for (size_t i = 0; i < 16; ++i) {
    uint64_t& src = i < 8 ? a : b;
    out[i] = kChars[src & 63];
    src >>= 6;
  }
  return out;
}

std::string Uuid(uint64_t h) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t hi = h;
  const uint64_t lo = Mix64(h ^ 0xa0761d6478bd642fULL);
  char out[36];
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[pos++] = '-';
    const uint64_t word = i < 16 ? hi : lo;
    char c = kHex[(word >> (60 - 4 * (i % 16))) & 15];
    if (i == 12) c = '4';                 // version 4
    if (i == 16) c = "89ab"[lo >> 62];    // RFC 4122 variant
    out[pos++] = c;
  }
  return std::string(out, sizeof out);
}

std::string EncodeKey(uint64_t payload, uint64_t key, uint64_t noise) {
  std::string out = Base62(Mix64(payload ^ key), 11);
  out += Base62(noise % 916132832ULL, 5);  // 62^5
  return out;
}

std::optional<uint64_t> DecodeKey(std::string_view token, uint64_t key) {
  if (token.size() != 16) return std::nullopt;
  U128 number = 0;
  for (size_t i = 0; i < 11; ++i) {
    const int d = Digit62(token[i]);
    if (d < 0) return std::nullopt;
    number = number * 62 + static_cast<unsigned>(d);
  }
  if (number > UINT64_MAX) return std::nullopt;
  return Unmix64(static_cast<uint64_t>(number)) ^ key;
}

}  // namespace custody::sim::gen
