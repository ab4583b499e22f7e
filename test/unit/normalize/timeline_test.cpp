#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <random>
#include <string>
#include <vector>

#include "normalize/timeline.h"
#include "support/test_support.h"

using custody::ErrorCode;
using custody::normalize::TimelineWriter;
using custody::test::ReadFile;
using custody::test::TempDir;

namespace {

struct Item {
  std::int64_t ts;
  std::string line;
};

// Many items with heavy timestamp ties, so stability is visible: each line names its insertion
// number.
std::vector<Item> MakeItems(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> ts(0, 40);
  std::uniform_int_distribution<int> pad(0, 60);
  std::vector<Item> items;
  for (size_t i = 0; i < n; ++i) {
    const std::int64_t t = 1700000000000 + ts(rng) * 1000 - 20000;
    items.push_back({t, "{\"seq\":" + std::to_string(i) + ",\"t\":" + std::to_string(t) + ",\"pad\":\"" +
                            std::string(static_cast<size_t>(pad(rng)), 'x') + "\"}"});
  }
  // A few negative and extreme times.
  items.push_back({-5, "{\"neg\":1}"});
  items.push_back({INT64_MIN, "{\"min\":1}"});
  items.push_back({INT64_MAX, "{\"max\":1}"});
  items.push_back({0, ""});  // an empty line is still a line
  return items;
}

std::string Write(const std::vector<Item>& items, const std::filesystem::path& work, const std::filesystem::path& out,
                  std::size_t budget) {
  auto writer = TimelineWriter::Create(work, budget);
  REQUIRE(writer);
  for (const Item& item : items) REQUIRE((*writer)->Add(item.ts, item.line).ok());
  CHECK((*writer)->count() == items.size());
  const auto s = (*writer)->Finish(out);
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  return ReadFile(out);
}

std::string Expected(std::vector<Item> items) {
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.ts < b.ts; });
  std::string out;
  for (const Item& item : items) out += item.line + "\n";
  return out;
}

}  // namespace

TEST_CASE("timeline with a tiny budget gives the same bytes as in memory", "[normalize][timeline]") {
  TempDir dir;
  const auto items = MakeItems(1500, 7);
  const std::string expected = Expected(items);
  const std::string in_memory = Write(items, dir / "work-a", dir / "a.jsonl", std::size_t{1} << 30);
  CHECK(in_memory == expected);
  // Budget 1: every line is its own run, so the merge goes through several passes.
  const std::string tiny = Write(items, dir / "work-b", dir / "b.jsonl", 1);
  CHECK(tiny == expected);
  const std::string small = Write(items, dir / "work-c", dir / "c.jsonl", 4096);
  CHECK(small == expected);
  // Run files are gone; the work folders stay (they were asked for) but are empty.
  CHECK(custody::test::Names(dir / "work-a").empty());
  CHECK(custody::test::Names(dir / "work-b").empty());
  CHECK(custody::test::Names(dir / "work-c").empty());
}

TEST_CASE("timeline is sorted and stable", "[normalize][timeline]") {
  TempDir dir;
  auto writer = TimelineWriter::Create(dir / "work", 64);
  REQUIRE(writer);
  REQUIRE((*writer)->Add(30, "c1").ok());
  REQUIRE((*writer)->Add(10, "a1").ok());
  REQUIRE((*writer)->Add(30, "c2").ok());
  REQUIRE((*writer)->Add(20, "b1").ok());
  REQUIRE((*writer)->Add(10, "a2").ok());
  REQUIRE((*writer)->Add(30, "c3").ok());
  REQUIRE((*writer)->Add(-1, "z").ok());
  REQUIRE((*writer)->Finish(dir / "out.jsonl").ok());
  CHECK(ReadFile(dir / "out.jsonl") == "z\na1\na2\nb1\nc1\nc2\nc3\n");
}

TEST_CASE("timeline with no lines writes an empty file", "[normalize][timeline]") {
  TempDir dir;
  auto writer = TimelineWriter::Create(dir / "work");
  REQUIRE(writer);
  REQUIRE((*writer)->Finish(dir / "out.jsonl").ok());
  CHECK(ReadFile(dir / "out.jsonl").empty());
  CHECK((*writer)->count() == 0);
}

TEST_CASE("timeline refuses an existing output and lines with a line feed", "[normalize][timeline]") {
  TempDir dir;
  custody::test::WriteFile(dir / "out.jsonl", "evidence\n");
  auto writer = TimelineWriter::Create(dir / "work", 1);
  REQUIRE(writer);
  CHECK((*writer)->Add(1, "two\nlines").error().code() == ErrorCode::kInvalidArgument);
  REQUIRE((*writer)->Add(1, "a").ok());
  REQUIRE((*writer)->Add(2, "b").ok());
  const auto s = (*writer)->Finish(dir / "out.jsonl");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kIo);
  CHECK(ReadFile(dir / "out.jsonl") == "evidence\n");  // untouched
  CHECK(custody::test::Names(dir / "work").empty());    // runs removed on failure too
  CHECK_FALSE((*writer)->Add(3, "c").ok());
  CHECK_FALSE((*writer)->Finish(dir / "other.jsonl").ok());
}

TEST_CASE("timeline removes run files when dropped without Finish", "[normalize][timeline]") {
  TempDir dir;
  {
    auto writer = TimelineWriter::Create(dir / "work", 1);
    REQUIRE(writer);
    for (int i = 0; i < 10; ++i) REQUIRE((*writer)->Add(i, "line").ok());
    CHECK_FALSE(custody::test::Names(dir / "work").empty());
  }
  CHECK(custody::test::Names(dir / "work").empty());
}

TEST_CASE("timeline work folder must be a folder", "[normalize][timeline]") {
  TempDir dir;
  custody::test::WriteFile(dir / "file", "x");
  CHECK_FALSE(TimelineWriter::Create(dir / "file"));
}

TEST_CASE("timeline AddOrdered from several threads gives the bytes of one ordered pass", "[normalize][timeline]") {
  custody::test::TempDir dir;
  // 4 producers, 3,000 lines each, many equal timestamps; keys say the order ties must have.
  auto line_of = [](int producer, int i) {
    return "{\"p\":" + std::to_string(producer) + ",\"i\":" + std::to_string(i) + "}";
  };
  auto ts_of = [](int i) { return static_cast<std::int64_t>(i / 7); };
  auto key_of = [](int producer, int i) { return (static_cast<std::uint64_t>(producer) << 32) | static_cast<std::uint64_t>(i); };
  auto sequential = custody::normalize::TimelineWriter::Create(dir / "seq-runs", 1u << 30);
  REQUIRE(sequential);
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i < 3000; ++i) REQUIRE((*sequential)->AddOrdered(ts_of(i), key_of(p, i), line_of(p, i)).ok());
  }
  REQUIRE((*sequential)->Finish(dir / "seq.jsonl").ok());
  auto parallel = custody::normalize::TimelineWriter::Create(dir / "par-runs", 4096);  // spills often
  REQUIRE(parallel);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int p = 3; p >= 0; --p) {
    threads.emplace_back([&, p] {
      for (int i = 2999; i >= 0; --i) {
        if (!(*parallel)->AddOrdered(ts_of(i), key_of(p, i), line_of(p, i)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK((*parallel)->count() == 12000);
  REQUIRE((*parallel)->Finish(dir / "par.jsonl").ok());
  CHECK(custody::test::ReadFile(dir / "par.jsonl") == custody::test::ReadFile(dir / "seq.jsonl"));
}

// Lines that arrive in order are written straight to the output's form; the first line out of
// order turns what was written into one run of the merge. Either way the bytes are those of a
// stable sort.
TEST_CASE("timeline gives the same bytes whether its input is in order, then not, or never", "[normalize][timeline]") {
  TempDir dir;
  auto items = MakeItems(1200, 11);
  const std::string expected = Expected(items);
  std::vector<Item> sorted = items;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Item& a, const Item& b) { return a.ts < b.ts; });
  // Wholly in order (the sort is stable, so ties keep their insertion order as Add numbers them).
  for (std::size_t budget : {std::size_t{1}, std::size_t{4096}, std::size_t{1} << 30}) {
    CAPTURE(budget);
    const auto name = "in-order-" + std::to_string(budget);
    CHECK(Write(sorted, dir / (name + "-work"), dir / (name + ".jsonl"), budget) == Expected(sorted));
    CHECK(custody::test::Names(dir / (name + "-work")).empty());
  }
  // In order for a while, then not: the first 700 of the sorted list, then the rest shuffled in.
  std::vector<Item> mixed(sorted.begin(), sorted.begin() + 700);
  std::vector<Item> rest(sorted.begin() + 700, sorted.end());
  std::shuffle(rest.begin(), rest.end(), std::mt19937(3));
  mixed.insert(mixed.end(), rest.begin(), rest.end());
  for (std::size_t budget : {std::size_t{1}, std::size_t{4096}, std::size_t{1} << 30}) {
    CAPTURE(budget);
    const auto name = "mixed-" + std::to_string(budget);
    CHECK(Write(mixed, dir / (name + "-work"), dir / (name + ".jsonl"), budget) == Expected(mixed));
    CHECK(custody::test::Names(dir / (name + "-work")).empty());
  }
  // Out of order from the second line on.
  CHECK(Write(items, dir / "random-work", dir / "random.jsonl", 4096) == expected);
}

TEST_CASE("timeline: an equal time with a smaller key ends the in-order path and sorts by key", "[normalize][timeline]") {
  TempDir dir;
  auto writer = TimelineWriter::Create(dir / "work", 1u << 30);
  REQUIRE(writer);
  REQUIRE((*writer)->AddOrdered(10, 5, "t10k5").ok());
  REQUIRE((*writer)->AddOrdered(10, 9, "t10k9").ok());
  REQUIRE((*writer)->AddOrdered(20, 1, "t20k1").ok());
  REQUIRE((*writer)->AddOrdered(10, 7, "t10k7").ok());  // equal time, between the two keys
  REQUIRE((*writer)->AddOrdered(20, 0, "t20k0").ok());
  REQUIRE((*writer)->AddOrdered(5, 100, "t5").ok());
  CHECK((*writer)->count() == 6);
  REQUIRE((*writer)->Finish(dir / "out.jsonl").ok());
  CHECK(ReadFile(dir / "out.jsonl") == "t5\nt10k5\nt10k7\nt10k9\nt20k0\nt20k1\n");
  CHECK(custody::test::Names(dir / "work").empty());
}

namespace {

// Close, then WriteTo into a string in pieces as the writer hands them over; also records the
// size Close announced and how many pieces there were.
struct Streamed {
  std::uint64_t announced = 0;
  std::string bytes;
  size_t pieces = 0;
};

Streamed Stream(TimelineWriter& writer) {
  Streamed s;
  auto size = writer.Close();
  INFO((size ? std::string() : size.error().message()));
  REQUIRE(size);
  s.announced = *size;
  const auto written = writer.WriteTo([&s](std::string_view piece) -> custody::Status {
    s.bytes.append(piece);
    ++s.pieces;
    return custody::Status::Ok();
  });
  INFO((written.ok() ? std::string() : written.error().message()));
  REQUIRE(written.ok());
  return s;
}

}  // namespace

TEST_CASE("timeline Close and WriteTo give Finish's bytes, size announced, and again on a second call",
          "[normalize][timeline]") {
  TempDir dir;
  const auto items = MakeItems(1500, 21);
  const std::string expected = Expected(items);
  std::vector<Item> sorted = items;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Item& a, const Item& b) { return a.ts < b.ts; });
  std::vector<Item> mixed(sorted.begin(), sorted.begin() + 900);
  mixed.insert(mixed.end(), items.begin(), items.begin() + 300);  // out of order from line 901 on
  struct Case {
    std::string name;
    const std::vector<Item>* input;
    std::size_t budget;  // 1: a run per line, so more runs than one merge takes at once
  };
  const std::vector<Case> cases = {{"memory", &items, std::size_t{1} << 30},
                                   {"runs", &items, 4096},
                                   {"tiny", &items, 1},
                                   {"in-order", &sorted, 4096},
                                   {"in-order-then-not", &mixed, 4096}};
  for (const Case& c : cases) {
    CAPTURE(c.name);
    const std::string finished = Write(*c.input, dir / (c.name + "-finish-work"), dir / (c.name + ".jsonl"), c.budget);
    auto writer = TimelineWriter::Create(dir / (c.name + "-work"), c.budget);
    REQUIRE(writer);
    for (const Item& item : *c.input) REQUIRE((*writer)->Add(item.ts, item.line).ok());
    const Streamed first = Stream(**writer);
    CHECK(first.bytes == finished);
    CHECK(first.announced == finished.size());
    // A second WriteTo (what a caller does after its first use failed) gives the same bytes.
    std::string again;
    REQUIRE((*writer)->WriteTo([&again](std::string_view piece) -> custody::Status {
      again.append(piece);
      return custody::Status::Ok();
    }).ok());
    CHECK(again == finished);
    // The run files stay until the writer goes.
    writer->reset();
    CHECK(custody::test::Names(dir / (c.name + "-work")).empty());
  }
  CHECK(Write(items, dir / "check-work", dir / "check.jsonl", 4096) == expected);
}

TEST_CASE("timeline WriteTo hands over large pieces, not one per line", "[normalize][timeline]") {
  TempDir dir;
  auto writer = TimelineWriter::Create(dir / "work", 1u << 20);
  REQUIRE(writer);
  const std::string line(100, 'x');
  for (int i = 0; i < 20000; ++i) REQUIRE((*writer)->Add(20000 - i, line).ok());  // 2 MB, runs
  const Streamed s = Stream(**writer);
  CHECK(s.bytes.size() == 20000u * 101u);
  CHECK(s.announced == s.bytes.size());
  CHECK(s.pieces >= 2);
  CHECK(s.pieces <= 20);
}

TEST_CASE("timeline with no lines: Close announces 0 bytes and WriteTo gives none", "[normalize][timeline]") {
  TempDir dir;
  auto writer = TimelineWriter::Create(dir / "work");
  REQUIRE(writer);
  const Streamed s = Stream(**writer);
  CHECK(s.announced == 0);
  CHECK(s.bytes.empty());
}

TEST_CASE("timeline refuses Close and WriteTo out of turn, and returns a sink's error", "[normalize][timeline]") {
  TempDir dir;
  SECTION("WriteTo before Close") {
    auto writer = TimelineWriter::Create(dir / "work");
    REQUIRE(writer);
    REQUIRE((*writer)->Add(1, "a").ok());
    const auto s = (*writer)->WriteTo([](std::string_view) { return custody::Status::Ok(); });
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInvalidArgument);
    CHECK_THAT(s.error().message(), Catch::Contains("before Close"));
  }
  SECTION("Add, Finish and Close after Close") {
    auto writer = TimelineWriter::Create(dir / "work");
    REQUIRE(writer);
    REQUIRE((*writer)->Add(1, "a").ok());
    REQUIRE((*writer)->Close());
    CHECK_FALSE((*writer)->Add(2, "b").ok());
    CHECK_FALSE((*writer)->AddOrdered(2, 1, "b").ok());
    const auto again = (*writer)->Close();
    REQUIRE_FALSE(again);
    CHECK_THAT(again.error().message(), Catch::Contains("twice"));
    const auto finish = (*writer)->Finish(dir / "out.jsonl");
    REQUIRE_FALSE(finish.ok());
    CHECK_THAT(finish.error().message(), Catch::Contains("after Close"));
    CHECK_FALSE(std::filesystem::exists(dir / "out.jsonl"));
    // The refused calls changed nothing: the one line is still there.
    std::string bytes;
    REQUIRE((*writer)->WriteTo([&bytes](std::string_view b) {
      bytes.append(b);
      return custody::Status::Ok();
    }).ok());
    CHECK(bytes == "a\n");
  }
  SECTION("Close after Finish") {
    auto writer = TimelineWriter::Create(dir / "work");
    REQUIRE(writer);
    REQUIRE((*writer)->Finish(dir / "out.jsonl").ok());
    const auto closed = (*writer)->Close();
    REQUIRE_FALSE(closed);
    CHECK_THAT(closed.error().message(), Catch::Contains("after Finish"));
  }
  SECTION("a sink's error stops WriteTo and comes back") {
    for (std::size_t budget : {std::size_t{1} << 30, std::size_t{4096}}) {
      CAPTURE(budget);
      auto writer = TimelineWriter::Create(dir / ("work-" + std::to_string(budget)), budget);
      REQUIRE(writer);
      const std::string line(300, 'y');
      for (int i = 0; i < 3000; ++i) REQUIRE((*writer)->Add(3000 - i, line).ok());
      REQUIRE((*writer)->Close());
      int calls = 0;
      const auto s = (*writer)->WriteTo([&calls](std::string_view) -> custody::Status {
        ++calls;
        return custody::Error(ErrorCode::kIo, "disk full (test)");
      });
      REQUIRE_FALSE(s.ok());
      CHECK(s.error().message() == "disk full (test)");
      CHECK(calls == 1);
    }
  }
}
