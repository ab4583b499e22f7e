// Throughput of LogFile streaming: not a timing test (hidden tag, never run by default, asserts
// only correctness). Run explicitly:
//   custody_sim_elf_tests "[.bench]"            (ELF_BENCH_CALLS=<n> to change the size)
// Prints the counting-pass and streaming rates for one day's ApiTotalUsage and API files generated
// from a large ApiCalls sequence, and the process's peak RSS (streaming memory is bounded).

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "elf.h"
#include "fake_activity.h"

namespace custody::sim {
namespace {

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// CPU time of this thread (the machine may be shared; wall time is noisy).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

TEST_CASE("LogFile streaming throughput", "[.bench]") {
  uint64_t calls = 2700000;  // about 1 GB of ApiTotalUsage CSV in one day
  if (const char* env = std::getenv("ELF_BENCH_CALLS")) calls = std::strtoull(env, nullptr, 10);
  testing::FakeOptions o;
  o.days = 1;
  testing::FakeActivity activity(o);
  const TimeMs step = std::max<TimeMs>(1, testing::kDay / static_cast<TimeMs>(calls));
  activity.OverrideApiCalls(std::make_unique<testing::GeneratedApiSequence>(o.start, calls, step, o.users));
  const std::vector<UserInfo> users = testing::MakeUsers(o.users);
  OrgConfig config;
  config.days = 1;
  const auto store = MakeElfStore(config, activity, users);
  const TimeMs now = config.start + 3 * testing::kDay;

  // Cost of the activity sequence alone (At() copies the call's strings).
  {
    const double c0 = CpuSeconds();
    uint64_t sum = 0;
    const auto& seq = activity.ApiCalls();
    for (uint64_t i = 0; i < seq.Size(); ++i) sum += seq.At(i).request_id.size();
    const double s = CpuSeconds() - c0;
    std::printf("activity At(): %.0f ns/call (CPU) (%llu calls, checksum %llu)\n",
                s * 1e9 / static_cast<double>(calls), static_cast<unsigned long long>(calls),
                static_cast<unsigned long long>(sum));
  }

  for (const char* type : {"ApiTotalUsage", "API"}) {
    std::string id;
    for (uint64_t i = 0; i < store->Count(now); ++i) {
      const Record r = store->Row(i, now);  // note: Row computes LogFileLength (counting pass)
      if (r.Get("EventType")->text == type && r.Get("LogDate")->number == config.start)
        id = r.Get("Id")->text;
    }
    REQUIRE(!id.empty());
    // Fresh store for a cold counting pass on this file.
    const auto cold = MakeElfStore(config, activity, users);
    auto t0 = std::chrono::steady_clock::now();
    double c0 = CpuSeconds();
    const std::optional<LogFileInfo> info = cold->FindFile(id, now);
    const double count_s = Seconds(t0);
    const double count_cpu = CpuSeconds() - c0;
    REQUIRE(info.has_value());

    const long rss_before = PeakRssKb();
    uint64_t bytes = 0;
    uint64_t lines = 0;
    size_t max_chunk = 0;
    t0 = std::chrono::steady_clock::now();
    c0 = CpuSeconds();
    const bool ok = cold->Stream(*info, 0, [&](const char* data, size_t size) {
      bytes += size;
      max_chunk = std::max(max_chunk, size);
      for (size_t k = 0; k < size; k += 64) lines += static_cast<uint64_t>(data[k] == '\n');  // touch it
      return true;
    });
    const double stream_s = Seconds(t0);
    const double stream_cpu = CpuSeconds() - c0;
    const long rss_after = PeakRssKb();
    CHECK(ok);
    CHECK(bytes == info->length);
    CHECK(max_chunk <= 65536);
    const double mb = static_cast<double>(bytes) / 1e6;
    std::printf(
        "%s: %.1f MB (checksum %llu)\n"
        "  counting pass: wall %.3f s (%.2f GB/s), CPU %.3f s (%.2f GB/s)\n"
        "  stream:        wall %.3f s (%.2f GB/s), CPU %.3f s (%.2f GB/s)\n"
        "  peak RSS %ld -> %ld KiB\n",
        type, mb, static_cast<unsigned long long>(lines), count_s, mb / count_s / 1e3, count_cpu,
        mb / count_cpu / 1e3, stream_s, mb / stream_s / 1e3, stream_cpu, mb / stream_cpu / 1e3, rss_before,
        rss_after);

    // Resume near the end: cost of skipping by regeneration.
    t0 = std::chrono::steady_clock::now();
    uint64_t tail = 0;
    cold->Stream(*info, info->length - 1000, [&](const char*, size_t size) {
      tail += size;
      return true;
    });
    CHECK(tail == 1000);
    std::printf("%s: resume at length-1000 took %.3f s\n", type, Seconds(t0));
  }
}

}  // namespace
}  // namespace custody::sim
