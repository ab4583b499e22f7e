#pragma once
// Word lists the generator draws from. Every name, address, phone number, email and IP built from
// them is synthetic: no real person, patient or network.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace custody::sim::gen {

extern const std::string_view kFirstNames[96];
extern const std::string_view kLastNames[120];
extern const std::string_view kStreetNames[40];
extern const std::string_view kStreetKinds[8];
extern const std::string_view kTownNames[24];
extern const std::string_view kPracticeWords[24];
extern const std::string_view kPayerNames[12];
extern const std::string_view kMedications[32];
extern const std::string_view kDiagnosisCodes[24];

template <size_t N>
constexpr std::string_view Pick(const std::string_view (&list)[N], uint64_t h) {
  return list[h % N];
}

}  // namespace custody::sim::gen
