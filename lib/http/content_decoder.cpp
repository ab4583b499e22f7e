#include "http/content_decoder.h"

#include <zlib.h>

#include <string>

namespace custody::http::internal {

namespace {
constexpr size_t kOutputPiece = 256u << 10;
}  // namespace

struct InflateDecoder::State {
  z_stream z{};
  bool initialised = false;
  ~State() {
    if (initialised) inflateEnd(&z);
  }
};

InflateDecoder::InflateDecoder() : state_(std::make_unique<State>()), buffer_(kOutputPiece) {}

InflateDecoder::~InflateDecoder() = default;

std::unique_ptr<InflateDecoder> InflateDecoder::Create() {
  std::unique_ptr<InflateDecoder> decoder(new InflateDecoder());
  // 15 + 32: a 32 KiB window, and zlib detects a gzip or a zlib header by itself.
  if (inflateInit2(&decoder->state_->z, 15 + 32) != Z_OK) return nullptr;
  decoder->state_->initialised = true;
  return decoder;
}

Status InflateDecoder::Write(std::span<const std::uint8_t> in, const Output& out) {
  z_stream& z = state_->z;
  consumed_ += in.size();
  z.next_in = const_cast<Bytef*>(in.data());  // zlib's API is not const-correct; it only reads
  z.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (ended_) {
      if (z.avail_in == 0) break;
      // RFC 1952 allows several gzip members back to back; each must be complete.
      if (inflateReset(&z) != Z_OK) return Error(ErrorCode::kInternal, "gzip: inflateReset failed");
      ended_ = false;
    }
    z.next_out = buffer_.data();
    z.avail_out = static_cast<uInt>(buffer_.size());
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t produced = buffer_.size() - z.avail_out;
    if (produced > 0) CUSTODY_RETURN_IF_ERROR(out(std::span<const std::uint8_t>(buffer_.data(), produced)));
    if (rc == Z_STREAM_END) {
      ended_ = true;
      continue;
    }
    if (rc == Z_BUF_ERROR) break;  // no progress possible: the stream needs the next chunk
    if (rc != Z_OK) {
      const std::string detail = z.msg != nullptr ? z.msg : ("zlib error " + std::to_string(rc));
      return Error(rc == Z_MEM_ERROR ? ErrorCode::kInternal : ErrorCode::kNetwork,
                   "corrupt compressed body: " + detail);
    }
    // A full output buffer may mean zlib holds more output even with all input consumed.
    if (z.avail_in == 0 && z.avail_out != 0) break;
  }
  return Status::Ok();
}

bool IsInflateCoding(std::string_view coding) {
  auto lower_equals = [&](std::string_view want) {
    if (coding.size() != want.size()) return false;
    for (size_t i = 0; i < coding.size(); ++i) {
      const char c = (coding[i] >= 'A' && coding[i] <= 'Z') ? static_cast<char>(coding[i] - 'A' + 'a') : coding[i];
      if (c != want[i]) return false;
    }
    return true;
  };
  return lower_equals("gzip") || lower_equals("x-gzip") || lower_equals("deflate");
}

}  // namespace custody::http::internal
