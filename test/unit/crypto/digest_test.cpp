// crypto/digest: streaming hashes against published test vectors.

#include "crypto/digest.h"

#include <catch2/catch.hpp>

#include <string>

#include "core/encoding.h"

using namespace custody;
using crypto::DigestAlgorithm;

TEST_CASE("each digest of \"abc\" matches its published test vector", "[crypto]") {
  auto [algorithm, name, hex] = GENERATE(table<DigestAlgorithm, std::string, std::string>({
      {DigestAlgorithm::kMd5, "md5", "900150983cd24fb0d6963f7d28e17f72"},
      {DigestAlgorithm::kSha1, "sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
      {DigestAlgorithm::kSha224, "sha224", "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"},
      {DigestAlgorithm::kSha256, "sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {DigestAlgorithm::kSha384, "sha384",
       "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
      {DigestAlgorithm::kSha512, "sha512",
       "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce8"
       "0e2a9ac94fa54ca49f"},
  }));
  CAPTURE(name);
  crypto::Hasher hasher(algorithm);
  hasher.Update(std::string_view("abc"));
  CHECK(hasher.FinishHex() == hex);
  CHECK(crypto::DigestName(algorithm) == name);
  CHECK(crypto::DigestHexLength(algorithm) == hex.size());
  REQUIRE(crypto::DigestFromName(name));
  CHECK(*crypto::DigestFromName(name) == algorithm);
}

TEST_CASE("unknown digest names are not guessed", "[crypto]") {
  std::string name = GENERATE(as<std::string>{}, "SHA256", "sha-256", "sha3-256", "", "md4");
  CHECK_FALSE(crypto::DigestFromName(name));
}

TEST_CASE("hashing in pieces equals hashing at once, and FinishHex resets", "[crypto]") {
  crypto::Hasher hasher;  // SHA-256 by default
  hasher.Update(std::string_view("a"));
  hasher.Update(std::string_view(""));
  hasher.Update(AsBytes("bc"));
  CHECK(hasher.FinishHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hasher.FinishHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");  // empty input
  hasher.Update(std::string_view("junk"));
  hasher.Reset();
  hasher.Update(std::string_view("abc"));
  CHECK(hasher.FinishHex() == crypto::Sha256Hex("abc"));
}

TEST_CASE("a million 'a's stream through in uneven chunks to the FIPS 180-2 digest", "[crypto]") {
  const std::string million(1000000, 'a');
  crypto::Hasher hasher(DigestAlgorithm::kSha256);
  size_t pos = 0;
  for (size_t chunk = 1; pos < million.size(); chunk = chunk * 3 + 1) {
    size_t n = std::min(chunk, million.size() - pos);
    hasher.Update(std::string_view(million).substr(pos, n));
    pos += n;
  }
  CHECK(hasher.FinishHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("Sha256 bytes and Sha256Hex agree", "[crypto]") {
  auto bytes = crypto::Sha256(AsBytes("abc"));
  CHECK(ToHex(bytes) == crypto::Sha256Hex("abc"));
}
