#include <catch2/catch.hpp>

#include <set>

#include "org/grid.h"
#include "org/ids.h"
#include "org/rng.h"

namespace custody::sim::gen {
namespace {

TEST_CASE("case-safe suffix matches ids Salesforce issued", "[sim-org]") {
  // Ids from public Salesforce samples (shared/fixtures/salesforce/real).
  CHECK(CaseSafeSuffix("0055j000000utlP") == "AAQ");
  CHECK(CaseSafeSuffix("0Ym5j000019nwon") == "CAA");
  CHECK(CaseSafeSuffix("0Ya5j00003k2scQ") == "CAQ");
  CHECK(CaseSafeSuffix("0AT5j00002GVrfn") == "GAD");
}

TEST_CASE("record ids round-trip through ParseId", "[sim-org]") {
  const uint64_t samples[] = {0, 1, 61, 62, 12345, kIdNamespaceSize - 1};
  for (const char* prefix : {"001", "017", "a0X", "0Ya"}) {
    for (uint64_t ns : {0, 1, 11}) {
      for (uint64_t index : samples) {
        const std::string id = MakeId(prefix, ns, index);
        REQUIRE(id.size() == 18);
        const auto parsed = ParseId(id);
        REQUIRE(parsed);
        CHECK(parsed->prefix == prefix);
        CHECK(parsed->ns == ns);
        CHECK(parsed->index == index);
        CHECK(ParseId(id.substr(0, 15)));  // 15-char form
      }
    }
  }
  std::string bad = MakeId("001", 0, 7);
  bad[17] = bad[17] == 'A' ? 'B' : 'A';
  CHECK_FALSE(ParseId(bad));
  CHECK_FALSE(ParseId("not-an-id"));
}

TEST_CASE("fixed-width ids sort like their indexes", "[sim-org]") {
  std::string previous;
  for (uint64_t i = 0; i < 5000; i += 7) {
    const std::string id = MakeId("017", 0, i).substr(0, 15);
    CHECK(previous < id);
    previous = id;
  }
}

TEST_CASE("tokens have the documented shapes and login keys decode", "[sim-org]") {
  CHECK(RequestId(42).size() == 22);
  CHECK(SessionKey(42).size() == 16);
  const std::string uuid = Uuid(42);
  REQUIRE(uuid.size() == 36);
  CHECK(uuid[14] == '4');
  CHECK(uuid[8] == '-');
  for (uint64_t x : {0ULL, 1ULL, 0xdeadbeefULL, ~0ULL}) CHECK(Unmix64(Mix64(x)) == x);
  const uint64_t payload = (1ULL << 56) | 123456;
  const std::string key = EncodeKey(payload, 99, 7);
  CHECK(key.size() == 16);
  const auto decoded = DecodeKey(key, 99);
  REQUIRE(decoded);
  CHECK(*decoded == payload);
}

TEST_CASE("grid times ascend and LowerBound matches a linear scan", "[sim-org]") {
  std::vector<double> expected(200);
  for (size_t b = 0; b < expected.size(); ++b) expected[b] = (b % 7) * 3.3;
  const Grid g = Grid::FromExpected(1000000, 900000, expected, 5);
  REQUIRE(g.size() > 100);
  std::vector<TimeMs> times;
  for (uint64_t i = 0; i < g.size(); ++i) times.push_back(g.TimeAt(i));
  CHECK(std::is_sorted(times.begin(), times.end()));
  Rng r(3);
  for (int n = 0; n < 500; ++n) {
    const TimeMs t = 900000 + static_cast<TimeMs>(r.Below(200 * 900000 + 200000));
    const uint64_t linear = static_cast<uint64_t>(std::lower_bound(times.begin(), times.end(), t) - times.begin());
    CHECK(g.LowerBound(t) == linear);
  }
  const Grid exact = Grid::FromTotal(0, 1000, expected, 12345, 9);
  CHECK(exact.size() == 12345);
}

TEST_CASE("affine permutations are bijections", "[sim-org]") {
  for (uint64_t n : {1, 2, 3, 10, 64, 97, 1000}) {
    const AffinePerm p(n, Mix64(n));
    std::set<uint64_t> seen;
    for (uint64_t x = 0; x < n; ++x) {
      const uint64_t y = p.Apply(x);
      CHECK(y < n);
      CHECK(p.Invert(y) == x);
      seen.insert(y);
    }
    CHECK(seen.size() == n);
  }
}

}  // namespace
}  // namespace custody::sim::gen
