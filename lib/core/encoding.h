#pragma once
// Hex and base64 (RFC 4648, with padding) for digests and signatures.

#include <cstdint>
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

inline std::span<const std::uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace custody
