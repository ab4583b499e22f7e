#include "server/gzip.h"

namespace custody::sim {

GzipWriter::GzipWriter(Out out) : out_(std::move(out)) {
  // windowBits 15 + 16: a gzip wrapper rather than raw zlib. Level 1: the simulator must not be
  // the bottleneck of a benchmark, and the compressed bytes are not evidence (collectors hash the
  // decoded body).
  ok_ = deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

GzipWriter::~GzipWriter() {
  if (ok_) deflateEnd(&z_);
}

bool GzipWriter::Pump(int flush) {
  do {
    z_.next_out = reinterpret_cast<Bytef*>(buf_);
    z_.avail_out = sizeof buf_;
    const int rc = deflate(&z_, flush);
    if (rc == Z_STREAM_ERROR) return false;
    const size_t produced = sizeof buf_ - z_.avail_out;
    if (produced > 0 && !out_(buf_, produced)) return false;
    if (flush == Z_FINISH && rc == Z_STREAM_END) return true;
  } while (z_.avail_out == 0 || (flush == Z_FINISH));
  return true;
}

bool GzipWriter::Write(const char* data, size_t size) {
  if (!ok_) return false;
  z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
  z_.avail_in = static_cast<uInt>(size);
  return Pump(Z_NO_FLUSH);
}

bool GzipWriter::Finish() {
  if (!ok_) return false;
  z_.next_in = nullptr;
  z_.avail_in = 0;
  return Pump(Z_FINISH);
}

std::string GzipString(std::string_view data) {
  std::string out;
  GzipWriter w([&](const char* p, size_t n) {
    out.append(p, n);
    return true;
  });
  // Feed in bounded pieces: avail_in is 32-bit.
  for (size_t off = 0; off < data.size(); off += 1u << 30) {
    const size_t n = std::min<size_t>(data.size() - off, 1u << 30);
    w.Write(data.data() + off, n);
  }
  w.Finish();
  return out;
}

}  // namespace custody::sim
