#pragma once
// Hex and base64 (RFC 4648, with padding) for digests and signatures.

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace custody {

std::string ToHex(std::span<const std::uint8_t> bytes);
std::string Base64Encode(std::span<const std::uint8_t> bytes);
// Strict: rejects characters outside the alphabet, missing padding, whitespace and non-zero bits
// under the padding (so each byte string has exactly one accepted encoding).
std::optional<std::vector<std::uint8_t>> Base64Decode(std::string_view text);
bool IsLowerHex(std::string_view text, size_t length);
// True when the text is valid UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

// Whether any of the eight bytes at p is one a JSON string cannot hold as is: '"', '\\' or a
// control byte below 0x20 (bytes from 0x80 up never match). Word tricks: a byte equal to c turns
// zero under XOR with c, and a zero or small byte borrows when 0x01 or 0x20 is subtracted from
// every byte. For scanning runs of plain string bytes eight at a time.
inline bool HasJsonSpecialByte8(const char* p) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  const std::uint64_t found = ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | ((w - kOnes * 0x20) & ~w);
  return (found & kHigh) != 0;
}

inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace custody
