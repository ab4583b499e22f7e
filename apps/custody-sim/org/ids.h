#pragma once
// Salesforce-shaped identifiers, all deterministic.
//
// Record ids: 3-char key prefix + "5f0" (pod and reserved char, as in the org id) + a 9-digit
// base-62 number (0-9A-Za-z, so fixed-width ids sort like their numbers) + the 3-char case-safe
// checksum. The number's first digit is a namespace (which history object, base row or scenario
// row ...) and the other 8 digits an index, so an id decodes back to its row in O(1).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace custody::sim::gen {

inline constexpr uint64_t kIdNamespaceSize = 218340105584896ULL;  // 62^8: indexes per namespace

// 18-char id for prefix (3 chars) and number (< 62^9).
std::string MakeId(std::string_view prefix, uint64_t number);
inline std::string MakeId(std::string_view prefix, uint64_t ns, uint64_t index) {
  return MakeId(prefix, ns * kIdNamespaceSize + index);
}
// The 3-char suffix that makes a 15-char id case-insensitively unique.
std::string CaseSafeSuffix(std::string_view id15);

struct ParsedId {
  std::string prefix;
  uint64_t ns = 0;
  uint64_t index = 0;
};
// Accepts ids MakeId produced, 15 or 18 chars (the 18-char checksum must match); nullopt otherwise.
std::optional<ParsedId> ParseId(std::string_view id);

// Fixed-width base-62 text of n (most significant first).
std::string Base62(uint64_t n, int width);

// Random-looking tokens from a hash value.
std::string RequestId(uint64_t h);   // 22 chars [A-Za-z0-9_-], like "3nWgxWbDKWWDIk0FKfF5DV"
std::string SessionKey(uint64_t h);  // 16 chars, may contain '/' and '+'
std::string Uuid(uint64_t h);        // version-4 form "06af6d92-1167-467d-a826-ee8583f7134d"

// The same texts written to `out` (exactly the given number of chars, no terminator), for hot
// paths that reuse their buffers.
inline constexpr size_t kIdLength = 18;
inline constexpr size_t kRequestIdLength = 22;
inline constexpr size_t kSessionKeyLength = 16;
inline constexpr size_t kUuidLength = 36;
void MakeIdTo(std::string_view prefix, uint64_t number, char* out);  // 18 chars; prefix.size() >= 3
void RequestIdTo(uint64_t h, char* out);
void SessionKeyTo(uint64_t h, char* out);
void UuidTo(uint64_t h, char* out);
// 16 chars [A-Za-z0-9]: 11 encode `payload` reversibly under `key`, 5 are noise from `noise`.
std::string EncodeKey(uint64_t payload, uint64_t key, uint64_t noise);
std::optional<uint64_t> DecodeKey(std::string_view token, uint64_t key);

}  // namespace custody::sim::gen
