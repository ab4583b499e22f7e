#pragma once
// Streaming gzip (RFC 1952) over zlib, for responses the simulator chooses to compress.

#include <zlib.h>

#include <functional>
#include <string>
#include <string_view>

namespace custody::sim {

class GzipWriter {
 public:
  using Out = std::function<bool(const char*, size_t)>;
  explicit GzipWriter(Out out);
  ~GzipWriter();
  GzipWriter(const GzipWriter&) = delete;
  GzipWriter& operator=(const GzipWriter&) = delete;
  bool Write(const char* data, size_t size);
  bool Finish();

 private:
  bool Pump(int flush);
  z_stream z_{};
  Out out_;
  bool ok_ = false;
  char buf_[65536];
};

std::string GzipString(std::string_view data);

}  // namespace custody::sim
