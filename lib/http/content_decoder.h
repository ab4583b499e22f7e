#pragma once
// Internal to custody_http: removes a gzip (or zlib "deflate") Content-Encoding chunk by chunk.
// We decode ourselves instead of letting libcurl do it because libcurl (7.88) accepts a gzip
// stream that stops early as long as the HTTP framing is complete; for evidence a body that
// silently lost its tail is worse than a failed transfer. Finished() makes that checkable.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace custody::http::internal {

class InflateDecoder {
 public:
  using Output = std::function<Status(std::span<const std::uint8_t>)>;

  // nullptr when zlib cannot allocate its state.
  static std::unique_ptr<InflateDecoder> Create();
  ~InflateDecoder();
  InflateDecoder(const InflateDecoder&) = delete;
  InflateDecoder& operator=(const InflateDecoder&) = delete;

  // Decodes `in` and hands the output to `out` in pieces of at most 256 KiB. An error from `out`
  // is returned as is; corrupt input is a kNetwork error (it is nearly always damage in transit).
  Status Write(std::span<const std::uint8_t> in, const Output& out);

  // True when no input arrived at all, or the last compressed stream ended with its trailer
  // (CRC and length checked by zlib).
  bool Finished() const { return consumed_ == 0 || ended_; }
  std::uint64_t consumed() const { return consumed_; }

 private:
  InflateDecoder();
  struct State;
  std::unique_ptr<State> state_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t consumed_ = 0;
  bool ended_ = false;
};

// True for the codings InflateDecoder removes: gzip, x-gzip, deflate (case-insensitive).
bool IsInflateCoding(std::string_view coding);

}  // namespace custody::http::internal
