// The fast LogFile path: the API-call cursor of a generated org (views instead of copies, cached
// integration sessions), the lent-buffer stream (CsvBufferSink) and the server's chunk framing and
// generator thread (server/logfile_body.h). Each must give exactly the bytes of the plain path.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "activity.h"
#include "elf.h"
#include "elf/elf_ranges.h"
#include "model.h"
#include "org/sim_org.h"
#include "server/logfile_body.h"

namespace custody::sim {
namespace {

std::unique_ptr<Org> BuildOrg(const std::string& scenario, uint64_t seed, uint64_t elf_bytes_per_day = 3000000) {
  OrgConfig c;
  c.seed = seed;
  c.users = 40;
  c.patients = 500;
  c.history_rows = 1000;
  c.days = 3;
  c.elf_bytes_per_day = elf_bytes_per_day;
  c.scenario = scenario;
  std::string error;
  auto org = MakeOrg(c, &error);
  INFO(error);
  REQUIRE(org != nullptr);
  return org;
}

void CheckSame(const ApiCallView& v, const ApiActivity& a, uint64_t i) {
  INFO("call " << i);
  CHECK(v.time == a.time);
  CHECK(v.user == a.user);
  CHECK(v.client_ip == a.client_ip);
  CHECK(v.request_id == a.request_id);
  CHECK(v.session_key == a.session_key);
  CHECK(v.login_key == a.login_key);
  CHECK(v.api_family == a.api_family);
  CHECK(v.method == a.method);
  CHECK(v.uri == a.uri);
  CHECK(v.entity == a.entity);
  CHECK(v.query == a.query);
  CHECK(v.rows == a.rows);
  CHECK(v.response_bytes == a.response_bytes);
  CHECK(v.status_code == a.status_code);
  CHECK(v.client_name == a.client_name);
  CHECK(v.connected_app_id == a.connected_app_id);
  CHECK(v.connected_app_name == a.connected_app_name);
  CHECK(v.user_agent == a.user_agent);
}

TEST_CASE("The API-call cursor of a generated org views exactly the calls ApiCalls().At() returns",
          "[elf][fast]") {
  for (const std::string scenario : {"", "bulk-exfiltration", "foreign-login-mass-update"}) {
    INFO("scenario '" << scenario << "'");
    const auto org = BuildOrg(scenario, 11);
    const Activity& activity = *ActivityOf(*org);
    const Sequence<ApiActivity>& calls = activity.ApiCalls();
    REQUIRE(calls.Size() > 5000);
    const auto cursor = activity.ApiCallViews();
    // In order (the way a LogFile reads them), across the integration sessions' token grants.
    for (uint64_t i = 0; i < calls.Size(); ++i) CheckSame(cursor->At(i), calls.At(i), i);
    // Backwards and jumping: the cursor's caches hold for any order.
    const auto other = activity.ApiCallViews();
    for (uint64_t i = calls.Size(); i-- > 0;) {
      if (i % 7 == 0) CheckSame(other->At(i), calls.At(i), i);
    }
    for (uint64_t k = 0; k < 2000; ++k) {
      const uint64_t i = (k * 2654435761ULL) % calls.Size();
      CheckSame(other->At(i), calls.At(i), i);
    }
  }
}

TEST_CASE("The default API-call cursor views copies of ApiCalls().At()", "[elf][fast]") {
  const auto org = BuildOrg("", 3);
  const Sequence<ApiActivity>& calls = ActivityOf(*org)->ApiCalls();
  CopyingApiCallCursor cursor(calls);
  for (uint64_t i = 0; i < calls.Size(); i += 13) CheckSame(cursor.At(i), calls.At(i), i);
}

// Lends buffers of a fixed, small size and collects what is committed.
class OddSink final : public CsvBufferSink {
 public:
  explicit OddSink(size_t size) : buffer_(size) {}
  std::span<char> Buffer() override {
    ++lent_;
    return {buffer_.data(), buffer_.size()};
  }
  bool Commit(char* data, size_t size) override {
    CHECK(data >= buffer_.data());
    CHECK(data + size <= buffer_.data() + buffer_.size());
    out_.append(data, size);
    return true;
  }
  const std::string& out() const { return out_; }
  int lent() const { return lent_; }

 private:
  std::vector<char> buffer_;
  std::string out_;
  int lent_ = 0;
};

std::string StreamWhole(const ElfStore& store, const LogFileInfo& info, uint64_t offset) {
  std::string out;
  CHECK(store.Stream(info, offset, [&](const char* d, size_t n) {
    out.append(d, n);
    return true;
  }));
  return out;
}

std::vector<LogFileInfo> Files(const Org& org) {
  const ElfStore& store = org.EventLogFiles();
  const TimeMs now = org.config().start + 20 * 86400000LL;
  std::vector<LogFileInfo> files;
  for (uint64_t i = 0; i < store.Count(now); ++i) {
    const Record r = store.Row(i, now);
    const auto info = store.FindFile(r.Get("Id")->text, now);
    REQUIRE(info.has_value());
    files.push_back(*info);
  }
  std::sort(files.begin(), files.end(), [](const LogFileInfo& a, const LogFileInfo& b) { return a.length > b.length; });
  return files;
}

TEST_CASE("StreamTo writes the bytes of Stream into lent buffers of any size, from any offset", "[elf][fast]") {
  const auto org = BuildOrg("", 5);
  const ElfStore& store = org->EventLogFiles();
  const std::vector<LogFileInfo> files = Files(*org);
  REQUIRE(files.size() > 3);
  for (const LogFileInfo& info : {files[0], files[files.size() / 2], files.back()}) {
    INFO(info.event_type << " " << info.length);
    const std::string whole = StreamWhole(store, info, 0);
    REQUIRE(whole.size() == info.length);
    for (const size_t size : {size_t{1}, size_t{7}, size_t{4096}, size_t{300000}}) {
      OddSink sink(size);
      CHECK(store.StreamTo(info, 0, sink));
      CHECK(sink.out() == whole);
      if (size == 7 && info.length > 7) CHECK(sink.lent() >= static_cast<int>(info.length / 7));
    }
    for (const uint64_t offset : {uint64_t{1}, info.length / 3, info.length - 1}) {
      OddSink sink(1000);
      CHECK(store.StreamTo(info, offset, sink));
      CHECK(sink.out() == whole.substr(offset));
    }
  }
}

TEST_CASE("A sink that lends no buffer or refuses a commit stops StreamTo", "[elf][fast]") {
  const auto org = BuildOrg("", 5);
  const ElfStore& store = org->EventLogFiles();
  const LogFileInfo info = Files(*org)[0];
  class Refusing final : public CsvBufferSink {
   public:
    explicit Refusing(bool lend) : lend_(lend) {}
    std::span<char> Buffer() override { return lend_ ? std::span<char>(buffer_, sizeof buffer_) : std::span<char>(); }
    bool Commit(char*, size_t) override {
      ++commits;
      return false;
    }
    int commits = 0;

   private:
    bool lend_;
    char buffer_[512];
  };
  Refusing no_buffer(false);
  CHECK_FALSE(store.StreamTo(info, 0, no_buffer));
  CHECK(no_buffer.commits == 0);
  Refusing no_commit(true);
  CHECK_FALSE(store.StreamTo(info, 0, no_commit));
  CHECK(no_commit.commits == 1);
  LogFileInfo unknown = info;
  unknown.id = "0AT000000000000AAA";
  OddSink sink(100);
  CHECK_FALSE(store.StreamTo(unknown, 0, sink));
}

// Decodes a chunked body; fails the test on bad framing.
std::string Unchunk(const std::string& body, int* chunks) {
  std::string out;
  size_t pos = 0;
  *chunks = 0;
  for (;;) {
    const size_t eol = body.find("\r\n", pos);
    REQUIRE(eol != std::string::npos);
    const std::string hex = body.substr(pos, eol - pos);
    REQUIRE(!hex.empty());
    REQUIRE(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK((hex == "0" || hex[0] != '0'));  // no leading zeros, lower case
    const size_t n = std::stoul(hex, nullptr, 16);
    pos = eol + 2;
    if (n == 0) {
      CHECK(body.substr(pos) == "\r\n");
      return out;
    }
    out += body.substr(pos, n);
    pos += n;
    CHECK(body.substr(pos, 2) == "\r\n");
    pos += 2;
    ++*chunks;
  }
}

TEST_CASE("ChunkedBody frames chunks in place and ends the body with a zero chunk", "[elf][fast]") {
  std::string wire;
  int writes = 0;
  ChunkedBody body([&](const char* p, size_t n) {
    wire.append(p, n);
    ++writes;
    return true;
  });
  std::vector<char> slot(ChunkedBody::kHead + 300 + ChunkedBody::kTail, 'x');
  char* data = slot.data() + ChunkedBody::kHead;
  std::memset(data, 'a', 300);
  CHECK(body.WriteFramed(data, 300));
  CHECK(wire == "12c\r\n" + std::string(300, 'a') + "\r\n");
  CHECK(writes == 1);
  CHECK(body.WriteFramed(data, 0));  // nothing: a zero-size chunk would end the body
  CHECK(writes == 1);
  const std::string big(150000, 'b');
  CHECK(body.Write(big.data(), big.size()));  // copied in chunks of at most 64 KiB
  CHECK(body.Finish());
  int chunks = 0;
  CHECK(Unchunk(wire, &chunks) == std::string(300, 'a') + big);
  CHECK(chunks == 4);
}

TEST_CASE("ChunkedBody stops writing once its output failed", "[elf][fast]") {
  int writes = 0;
  ChunkedBody body([&](const char*, size_t) {
    ++writes;
    return false;
  });
  char slot[ChunkedBody::kHead + 10 + ChunkedBody::kTail] = {};
  CHECK_FALSE(body.WriteFramed(slot + ChunkedBody::kHead, 10));
  CHECK_FALSE(body.Write("abc", 3));
  CHECK_FALSE(body.Finish());
  CHECK(writes == 1);
}

TEST_CASE("StreamLogFile delivers a large file in order through its generator thread, framed in place",
          "[elf][fast]") {
  const auto org = BuildOrg("", 5);
  const ElfStore& store = org->EventLogFiles();
  const std::vector<LogFileInfo> files = Files(*org);
  const LogFileInfo big = files[0];
  REQUIRE(big.length > 4 * kLogFileBufferSize);  // several buffers
  const LogFileInfo small = files.back();
  REQUIRE(small.length <= kLogFileBufferSize);
  for (const LogFileInfo& info : {big, small}) {
    INFO(info.event_type << " " << info.length);
    std::string wire;
    ChunkedBody body([&](const char* p, size_t n) {
      wire.append(p, n);
      return true;
    });
    size_t largest = 0;
    CHECK(StreamLogFile(store, info, [&](char* p, size_t n) {
      largest = std::max(largest, n);
      return body.WriteFramed(p, n);
    }));
    CHECK(body.Finish());
    int chunks = 0;
    CHECK(Unchunk(wire, &chunks) == StreamWhole(store, info, 0));
    CHECK(largest <= kLogFileBufferSize);
    if (info.length > kLogFileBufferSize) CHECK(chunks > 4);
  }
}

TEST_CASE("StreamLogFile stops its generator when the receiver gives up", "[elf][fast]") {
  const auto org = BuildOrg("", 5);
  const ElfStore& store = org->EventLogFiles();
  const LogFileInfo big = Files(*org)[0];
  REQUIRE(big.length > 4 * kLogFileBufferSize);
  for (const int give_up_after : {1, 3, 6}) {
    int delivered = 0;
    CHECK_FALSE(StreamLogFile(store, big, [&](char*, size_t) { return ++delivered < give_up_after; }));
    CHECK(delivered == give_up_after);
  }
  LogFileInfo unknown = big;
  unknown.id = "0AT000000000000AAA";
  CHECK_FALSE(StreamLogFile(store, unknown, [](char*, size_t) { return true; }));
}


// Collects what a ranged stream commits; checks the commits stay inside the lent buffers.
class RangeSink final : public CsvBufferSink {
 public:
  std::span<char> Buffer() override {
    ++lent;
    return {buffer_, sizeof buffer_};
  }
  bool Commit(char* data, size_t size) override {
    CHECK(data >= buffer_);
    CHECK(data + size <= buffer_ + sizeof buffer_);
    out.append(data, size);
    ++commits;
    return true;
  }
  std::string out;
  int lent = 0;
  int commits = 0;

 private:
  char buffer_[70000];
};

TEST_CASE("A file's restart offsets cut it into ranges that StreamLogFileRange streams alone", "[elf][fast]") {
  const auto org = BuildOrg("", 5, 30000000);
  const ElfStore& store = org->EventLogFiles();
  const std::vector<LogFileInfo> files = Files(*org);
  const LogFileInfo& big = files[0];
  const std::string whole = StreamWhole(store, big, 0);
  REQUIRE(whole.size() == big.length);
  const std::vector<uint64_t> restarts = LogFileRestartOffsets(store, big);
  REQUIRE(restarts.size() >= 4);
  CHECK(std::is_sorted(restarts.begin(), restarts.end()));
  CHECK(std::adjacent_find(restarts.begin(), restarts.end()) == restarts.end());
  CHECK(restarts.front() > 0);
  CHECK(restarts.back() < big.length);
  std::string joined;
  uint64_t begin = 0;
  std::vector<uint64_t> ends = restarts;
  ends.push_back(big.length);
  for (const uint64_t end : ends) {
    INFO("range " << begin << "-" << end);
    if (end < big.length) CHECK(whole[end - 1] == '\n');  // each range ends with a whole row
    RangeSink sink;
    CHECK(StreamLogFileRange(store, big, begin, end - begin, sink));
    CHECK(sink.out.size() == end - begin);
    // The last buffer goes out at the range's end: no buffer is lent past it.
    CHECK(sink.lent == sink.commits);
    joined += sink.out;
    begin = end;
  }
  CHECK(joined == whole);
  // Ranges that do not start or end at a restart point, and one running past the end of the file.
  for (const auto& [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
           {1, 10}, {restarts[1] - 3, 7}, {big.length / 2 + 11, 100001}, {big.length - 5, 1000}, {0, 1}}) {
    INFO("offset " << offset << " length " << length);
    RangeSink sink;
    CHECK(StreamLogFileRange(store, big, offset, length, sink));
    CHECK(sink.out == whole.substr(offset, length));
  }
  RangeSink past_end;
  CHECK(StreamLogFileRange(store, big, big.length, 10, past_end));
  CHECK(past_end.out.empty());
  LogFileInfo unknown = big;
  unknown.id = "0AT000000000000AAA";
  RangeSink none;
  CHECK_FALSE(StreamLogFileRange(store, unknown, 0, 10, none));
  CHECK(LogFileRestartOffsets(store, unknown).empty());
  // A small file has no restart point: StreamLogFile generates it in one piece.
  CHECK(LogFileRestartOffsets(store, files.back()).empty());
}

TEST_CASE("StreamLogFile with two generator threads delivers every range in file order", "[elf][fast]") {
  const auto org = BuildOrg("", 5, 30000000);
  const ElfStore& store = org->EventLogFiles();
  const std::vector<LogFileInfo> files = Files(*org);
  const LogFileInfo& big = files[0];
  REQUIRE(big.length > 8 * kLogFileMinRangeBytes);
  REQUIRE(!LogFileRestartOffsets(store, big).empty());
  // A file a little over one buffer (no ranges: one thread) and the largest ones.
  std::vector<LogFileInfo> picked = {files[0], files[1], files[2]};
  for (const LogFileInfo& f : files) {
    if (f.length > kLogFileBufferSize && f.length < 2 * kLogFileBufferSize) {
      picked.push_back(f);
      break;
    }
  }
  for (const LogFileInfo& info : picked) {
    INFO(info.event_type << " " << info.length);
    for (int round = 0; round < 3; ++round) {  // the two threads race differently each time
      std::string wire;
      ChunkedBody body([&](const char* p, size_t n) {
        wire.append(p, n);
        return true;
      });
      size_t short_chunks = 0;
      size_t last = 0;
      CHECK(StreamLogFile(store, info, [&](char* p, size_t n) {
        CHECK(n > 0);
        CHECK(n <= kLogFileBufferSize);
        if (last != 0 && last < kLogFileBufferSize) ++short_chunks;
        last = n;
        return body.WriteFramed(p, n);
      }));
      CHECK(body.Finish());
      int chunks = 0;
      CHECK(Unchunk(wire, &chunks) == StreamWhole(store, info, 0));
      // Each range but the last ends with a short buffer: a file of many ranges shows several.
      if (info.length > 8 * kLogFileMinRangeBytes) CHECK(short_chunks >= 3);
    }
  }
}

TEST_CASE("StreamLogFile's workers share one bounded pool and never starve the range being sent",
          "[elf][fast]") {
  const auto org = BuildOrg("", 5, 30000000);
  const ElfStore& store = org->EventLogFiles();
  const LogFileInfo big = Files(*org)[0];
  REQUIRE(big.length > 8 * kLogFileMinRangeBytes);
  const std::string whole = StreamWhole(store, big, 0);
  // The receiver is slow at first, so the worker on the next ranges fills the pool while the
  // range being sent still needs buffers; then it is fast. Every byte still comes out in order.
  for (const int slow_buffers : {0, 3, 12, 40}) {
    INFO("slow for the first " << slow_buffers << " buffers");
    std::string got;
    std::set<const char*> buffers;
    int delivered = 0;
    CHECK(StreamLogFile(store, big, [&](char* p, size_t n) {
      if (delivered++ < slow_buffers) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      buffers.insert(p);
      got.append(p, n);
      return true;
    }));
    CHECK(got == whole);
    // Memory is the pool whatever the file size: no more distinct buffers than it has.
    CHECK(buffers.size() <= kLogFilePoolBuffers);
    CHECK(static_cast<uint64_t>(delivered) * kLogFileBufferSize >= big.length);
  }
}

TEST_CASE("StreamLogFile stops both generator threads when the receiver gives up mid-file", "[elf][fast]") {
  const auto org = BuildOrg("", 5, 30000000);
  const ElfStore& store = org->EventLogFiles();
  const LogFileInfo big = Files(*org)[0];
  REQUIRE(big.length > 8 * kLogFileMinRangeBytes);
  int total = 0;
  CHECK(StreamLogFile(store, big, [&](char*, size_t) { return ++total > 0; }));
  REQUIRE(total > 12);
  // Early, at a range's end, in the second worker's first range, late, and at the last buffer.
  for (const int give_up_after : {1, 2, 3, 5, 9, total / 2, total - 1, total}) {
    INFO("give up after " << give_up_after << " of " << total);
    int delivered = 0;
    std::string got;
    CHECK_FALSE(StreamLogFile(store, big, [&](char* p, size_t n) {
      got.append(p, n);
      return ++delivered < give_up_after;
    }));
    CHECK(delivered == give_up_after);
    CHECK(StreamWhole(store, big, 0).compare(0, got.size(), got) == 0);  // what went out was in order
  }
  // The receiver waits between buffers, so both workers fill the pool and wait, then stop.
  int delivered = 0;
  CHECK_FALSE(StreamLogFile(store, big, [&](char*, size_t) {
    if (delivered == 2) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return ++delivered < 4;
  }));
  CHECK(delivered == 4);
}

}  // namespace
}  // namespace custody::sim
