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

void Base62To(uint64_t n, int width, char* out) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = kBase62[n % 62];
    n /= 62;
  }
}

void CaseSafeSuffixTo(const char* id15, char* out) {
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    unsigned bits = 0;
    for (size_t i = 0; i < 5; ++i) {
      const char c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1U << i;
    }
    out[chunk] = kSuffixChars[bits];
  }
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
  char out[3];
  CaseSafeSuffixTo(id15.data(), out);
  return std::string(out, 3);
}

void MakeIdTo(std::string_view prefix, uint64_t number, char* out) {
  out[0] = prefix[0];
  out[1] = prefix[1];
  out[2] = prefix[2];
  out[3] = kPod[0];
  out[4] = kPod[1];
  out[5] = kPod[2];
  // A number >= 62^9 keeps its low 9 digits, as Base62() does.
  Base62To(number, 9, out + 6);
  CaseSafeSuffixTo(out, out + 15);
}

std::string MakeId(std::string_view prefix, uint64_t number) {
  if (prefix.size() >= 3) {
    char out[kIdLength];
    MakeIdTo(prefix, number, out);
    return std::string(out, kIdLength);
  }
  std::string id;
  id.reserve(18);
  id.append(prefix);
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

void RequestIdTo(uint64_t h, char* out) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  uint64_t a = h;
  uint64_t b = Mix64(h ^ 0x5bd1e995ULL);
  for (size_t i = 0; i < 10; ++i) {
    out[i] = kChars[a & 63];
    a >>= 6;
  }
  for (size_t i = 10; i < kRequestIdLength; ++i) {
    out[i] = kChars[b & 63];
    b >>= 6;
  }
}

std::string RequestId(uint64_t h) {
  char out[kRequestIdLength];
  RequestIdTo(h, out);
  return std::string(out, sizeof out);
}

void SessionKeyTo(uint64_t h, char* out) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint64_t a = h;
  uint64_t b = Mix64(h + 0x2545f4914f6cdd1dULL);
  for (size_t i = 0; i < 8; ++i) {
    out[i] = kChars[a & 63];
    a >>= 6;
  }
  for (size_t i = 8; i < kSessionKeyLength; ++i) {
    out[i] = kChars[b & 63];
    b >>= 6;
  }
}

std::string SessionKey(uint64_t h) {
  char out[kSessionKeyLength];
  SessionKeyTo(h, out);
  return std::string(out, sizeof out);
}

void UuidTo(uint64_t h, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t hi = h;
  const uint64_t lo = Mix64(h ^ 0xa0761d6478bd642fULL);
  // 8-4-4-4-12 hex digits of hi then lo, most significant nibble first.
  char* p = out;
  for (int i = 0; i < 16; ++i) {
    if (i == 8 || i == 12) *p++ = '-';
    *p++ = kHex[(hi >> (60 - 4 * i)) & 15];
  }
  for (int i = 0; i < 16; ++i) {
    if (i == 0 || i == 4) *p++ = '-';
    *p++ = kHex[(lo >> (60 - 4 * i)) & 15];
  }
  out[14] = '4';                 // version 4 (digit 12)
  out[19] = "89ab"[lo >> 62];    // RFC 4122 variant (digit 16)
}

std::string Uuid(uint64_t h) {
  char out[kUuidLength];
  UuidTo(h, out);
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
