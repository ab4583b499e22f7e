#include "server/logfile_body.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <span>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace custody::sim {
namespace {

constexpr size_t kStagingSize = 64 * 1024;
constexpr size_t kSlotBytes = ChunkedBody::kHead + kLogFileBufferSize + ChunkedBody::kTail;

// One buffer, handed to `deliver` as soon as it is filled: the serving thread generates and
// sends in turn (small files, or when no thread can be started).
class InlineSink final : public CsvBufferSink {
 public:
  explicit InlineSink(const FramedChunkSink& deliver) : deliver_(deliver), slot_(new char[kSlotBytes]) {}
  std::span<char> Buffer() override { return {slot_.get() + ChunkedBody::kHead, kLogFileBufferSize}; }
  bool Commit(char* data, size_t size) override { return deliver_(data, size); }

 private:
  const FramedChunkSink& deliver_;
  std::unique_ptr<char[]> slot_;
};

// The producer side of the ring: Buffer() waits for a free slot, Commit() queues a filled one.
class RingSink final : public CsvBufferSink {
 public:
  struct Filled {
    size_t slot = 0;
    char* data = nullptr;
    size_t size = 0;
  };

  RingSink() {
    for (size_t i = 0; i < kLogFileBuffers; ++i) {
      slots_.emplace_back(new char[kSlotBytes]);
      free_.push_back(i);
    }
  }

  std::span<char> Buffer() override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_ || !free_.empty(); });
    if (stop_) return {};
    current_ = free_.back();
    free_.pop_back();
    return {slots_[current_].get() + ChunkedBody::kHead, kLogFileBufferSize};
  }

  bool Commit(char* data, size_t size) override {
    std::lock_guard lock(mu_);
    if (stop_) return false;
    ready_.push_back(Filled{current_, data, size});
    cv_.notify_all();
    return true;
  }

  // The producer finished (`ok`: the store streamed the whole file).
  void ProducerDone(bool ok) {
    std::lock_guard lock(mu_);
    producer_done_ = true;
    producer_ok_ = ok;
    cv_.notify_all();
  }

  // Consumer: the next filled buffer, or false once the producer is done and all were taken.
  bool Take(Filled* out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !ready_.empty() || producer_done_; });
    if (ready_.empty()) return false;
    *out = ready_.front();
    ready_.pop_front();
    return true;
  }

  void Release(size_t slot) {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
    cv_.notify_all();
  }

  // Consumer gave up: the producer's next Buffer() or Commit() stops it.
  void Stop() {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }

  bool producer_ok() {
    std::lock_guard lock(mu_);
    return producer_ok_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<char[]>> slots_;
  std::vector<size_t> free_;
  std::deque<Filled> ready_;
  size_t current_ = 0;  // the slot the producer is filling (producer thread only)
  bool stop_ = false;
  bool producer_done_ = false;
  bool producer_ok_ = false;
};

}  // namespace

ChunkedBody::ChunkedBody(Out out) : out_(std::move(out)) {}

bool ChunkedBody::WriteFramed(char* data, size_t size) {
  if (!ok_) return false;
  if (size == 0) return true;  // a chunk of size 0 would end the body
  char hex[16];
  size_t digits = 0;
  for (size_t n = size; n != 0; n >>= 4) hex[digits++] = "0123456789abcdef"[n & 15];
  char* start = data - digits - 2;
  for (size_t i = 0; i < digits; ++i) start[i] = hex[digits - 1 - i];
  data[-2] = '\r';
  data[-1] = '\n';
  data[size] = '\r';
  data[size + 1] = '\n';
  ok_ = out_(start, digits + 2 + size + kTail);
  return ok_;
}

bool ChunkedBody::Write(const char* data, size_t size) {
  if (!staging_) staging_.reset(new char[kHead + kStagingSize + kTail]);
  while (size > 0 && ok_) {
    const size_t n = std::min(size, kStagingSize);
    std::memcpy(staging_.get() + kHead, data, n);
    WriteFramed(staging_.get() + kHead, n);
    data += n;
    size -= n;
  }
  return ok_;
}

bool ChunkedBody::Finish() {
  if (!ok_) return false;
  ok_ = out_("0\r\n\r\n", 5);
  return ok_;
}

bool StreamLogFile(const ElfStore& store, const LogFileInfo& file, const FramedChunkSink& deliver) {
  if (file.length > kLogFileBufferSize) {
    RingSink ring;
    std::thread producer;
    try {
      producer = std::thread([&] { ring.ProducerDone(store.StreamTo(file, 0, ring)); });
    } catch (const std::system_error&) {
      producer = std::thread();  // no thread to be had: generate inline below
    }
    if (producer.joinable()) {
      bool delivered = true;
      RingSink::Filled f;
      while (ring.Take(&f)) {
        if (!deliver(f.data, f.size)) {
          delivered = false;
          ring.Stop();
          break;
        }
        ring.Release(f.slot);
      }
      producer.join();
      return delivered && ring.producer_ok();
    }
  }
  InlineSink sink(deliver);
  return store.StreamTo(file, 0, sink);
}

}  // namespace custody::sim
