// OrderedWorkers: jobs on worker threads, deliveries on the submitting thread in submission order,
// a bound on the jobs in flight, and the first delivery error stopping everything after it.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "normalize/ordered_workers.h"

namespace custody::normalize {
namespace {

// Keeps a worker busy for a few hundred microseconds, a different time per job, so jobs finish in
// another order than they were submitted.
void Busy(std::uint32_t seed) {
  std::this_thread::sleep_for(std::chrono::microseconds(seed % 7 * 150));
}

}  // namespace

TEST_CASE("OrderedWorkers delivers in submission order whatever order the jobs finish in", "[ordered-workers]") {
  for (unsigned workers : {0u, 1u, 3u, 8u}) {
    INFO(workers << " workers");
    OrderedWorkers pool(workers, 2 * workers + 1);
    const auto caller = std::this_thread::get_id();
    std::vector<int> delivered;
    std::atomic<int> ran_elsewhere{0};
    std::mt19937 random(workers);
    constexpr int kJobs = 200;
    for (int i = 0; i < kJobs; ++i) {
      auto result = std::make_shared<int>(-1);
      const std::uint32_t seed = random();
      REQUIRE(pool.Submit(
          [result, i, seed, caller, &ran_elsewhere] {
            Busy(seed);
            if (std::this_thread::get_id() != caller) ++ran_elsewhere;
            *result = i * 3;
          },
          [result, i, caller, &delivered]() -> Status {
            // Each delivery sees its own job's result, on the caller's thread.
            CHECK(*result == i * 3);
            CHECK(std::this_thread::get_id() == caller);
            delivered.push_back(i);
            return Status::Ok();
          }));
    }
    REQUIRE(pool.Finish());
    REQUIRE(delivered.size() == kJobs);
    for (int i = 0; i < kJobs; ++i) REQUIRE(delivered[i] == i);
    // Without workers the jobs run inline; with them, never on the caller's thread.
    CHECK(ran_elsewhere == (workers == 0 ? 0 : kJobs));
  }
}

TEST_CASE("OrderedWorkers without workers runs each job and its delivery inside Submit", "[ordered-workers]") {
  OrderedWorkers pool(0, 1);
  std::vector<std::string> events;
  REQUIRE(pool.Submit([&] { events.push_back("work 1"); }, [&] { events.push_back("deliver 1"); return Status::Ok(); }));
  CHECK(events == std::vector<std::string>{"work 1", "deliver 1"});
  REQUIRE(pool.Submit([&] { events.push_back("work 2"); }, [&] { events.push_back("deliver 2"); return Status::Ok(); }));
  CHECK(events.size() == 4);
  REQUIRE(pool.Finish());
  CHECK(events.size() == 4);
}

TEST_CASE("OrderedWorkers never has more jobs in flight than it was given", "[ordered-workers]") {
  // Four workers could run four jobs at once; a bound of two must hold them to two, counting from
  // a job's start to its delivery.
  for (std::size_t bound : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
    INFO("max in flight " << bound);
    OrderedWorkers pool(4, bound);
    std::atomic<int> in_flight{0};
    std::atomic<int> most{0};
    for (int i = 0; i < 60; ++i) {
      REQUIRE(pool.Submit(
          [&] {
            const int now = ++in_flight;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(std::chrono::microseconds(300));
          },
          [&]() -> Status {
            --in_flight;
            return Status::Ok();
          }));
    }
    REQUIRE(pool.Finish());
    CHECK(most.load() >= 1);
    CHECK(most.load() <= static_cast<int>(bound));
    CHECK(in_flight.load() == 0);
  }
}

TEST_CASE("OrderedWorkers stops delivering at the first delivery error and keeps returning it", "[ordered-workers]") {
  for (unsigned workers : {0u, 2u}) {
    INFO(workers << " workers");
    OrderedWorkers pool(workers, 3);
    std::vector<int> delivered;
    std::atomic<int> worked{0};
    Status first = Status::Ok();
    int submitted = 0;
    for (int i = 0; i < 20; ++i) {
      Status s = pool.Submit([&] { ++worked; },
                             [i, &delivered]() -> Status {
                               if (i == 5) return Error(ErrorCode::kIo, "disk full at job 5");
                               delivered.push_back(i);
                               return Status::Ok();
                             });
      if (!s) {
        first = s;
        break;
      }
      ++submitted;
    }
    Status finished = pool.Finish();
    // The error surfaces from Submit (once job 5 is delivered to make room) or from Finish.
    Status error = first.ok() ? finished : first;
    REQUIRE_FALSE(error.ok());
    CHECK(error.error().code() == ErrorCode::kIo);
    CHECK(error.error().message() == "disk full at job 5");
    REQUIRE_FALSE(finished.ok());
    CHECK(finished.error().message() == "disk full at job 5");
    // Jobs 0-4 were delivered, in order, and nothing after the failed one.
    CHECK(delivered == std::vector<int>{0, 1, 2, 3, 4});
    // A later Submit runs nothing and returns the same error.
    const int before = worked.load();
    Status later = pool.Submit([&] { ++worked; }, [] { return Status::Ok(); });
    REQUIRE_FALSE(later.ok());
    CHECK(later.error().message() == "disk full at job 5");
    CHECK(worked.load() == before);
    CHECK(submitted >= 5);
  }
}

TEST_CASE("OrderedWorkers can be destroyed with jobs in flight, delivering none of them", "[ordered-workers]") {
  std::atomic<int> delivered{0};
  std::atomic<int> worked{0};
  {
    OrderedWorkers pool(2, 50);
    for (int i = 0; i < 40; ++i) {
      REQUIRE(pool.Submit(
          [&] {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
            ++worked;
          },
          [&]() -> Status {
            ++delivered;
            return Status::Ok();
          }));
    }
    // No Finish: the destructor stops the workers after the jobs they are running.
  }
  CHECK(delivered.load() == 0);
  CHECK(worked.load() <= 40);
}

TEST_CASE("OrderedWorkers::DefaultWorkers stays within 1 and the limit", "[ordered-workers]") {
  CHECK(OrderedWorkers::DefaultWorkers(1) == 1);
  CHECK(OrderedWorkers::DefaultWorkers(0) == 1);
  const unsigned four = OrderedWorkers::DefaultWorkers(4);
  CHECK(four >= 1);
  CHECK(four <= 4);
  const unsigned hardware = std::thread::hardware_concurrency();
  if (hardware >= 1) CHECK(four == std::min(hardware, 4u));
}

}  // namespace custody::normalize
