// bundle/seal: the pure helpers, the top folder name and the deterministic bundle id. Sealing
// itself is covered end to end (test/e2e/seal_*_test.cpp).

#include "bundle/seal.h"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

using namespace custody;

namespace {
const UtcSeconds kSealedAt{std::chrono::seconds{1795433833}};  // 2026-11-23T11:37:13Z
}  // namespace

TEST_CASE("the top folder name is the sanitised case id and the compact sealing time", "[bundle]") {
  auto [case_id, name] = GENERATE(table<std::string, std::string>({
      {"IR-2026-014", "IR-2026-014"},
      {"case_1.v2", "case_1.v2"},
      {"IR/2026 #14", "IR_2026__14"},
      {"../../etc/passwd", "case.._.._etc_passwd"},
      {"..", "case.."},
      {".hidden", "case.hidden"},
      {"", "case"},
      {"Zo\xc3\xab", "Zo__"},  // each byte outside [A-Za-z0-9._-] becomes '_'
      {"tab\there\nnewline", "tab_here_newline"},
      {"C:\\cases\\x", "C__cases_x"},
      {std::string(70, 'a'), std::string(64, 'a')},  // the first 64 bytes only
      {std::string(63, 'a') + "\xc3\xab", std::string(63, 'a') + "_"},
  }));
  CAPTURE(case_id);
  CHECK(bundle::TopFolderName(case_id, kSealedAt) == name + "_20261123T113713Z");
}

TEST_CASE("deterministic UUIDs are RFC 9562 version 8, stable per seed and distinct across seeds", "[bundle]") {
  const std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 64; ++i) {
    std::string seed = "custody-bundle/1\nIR-" + std::to_string(i) + "\n";
    std::string id = bundle::DeterministicUuid(seed);
    CAPTURE(seed, id);
    CHECK(std::regex_match(id, uuid));
    CHECK(bundle::DeterministicUuid(seed) == id);
    seen.insert(id);
  }
  CHECK(seen.size() == 64);
  CHECK(std::regex_match(bundle::DeterministicUuid(""), uuid));
}

TEST_CASE("a deterministic UUID is the SHA-256 of its seed with the version and variant bits set", "[bundle]") {
  // sha256("abc") = ba7816bf 8f01 cfea 4141 40de5dae2223...: byte 6 (0xcf) -> 0x8f, byte 8 (0x41) -> 0x81.
  CHECK(bundle::DeterministicUuid("abc") == "ba7816bf-8f01-8fea-8141-40de5dae2223");
}
