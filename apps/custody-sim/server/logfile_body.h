#pragma once
// The body of a LogFile download, built for throughput: the CSV is generated into buffers that
// have room around them for the HTTP/1.1 chunk framing, so each chunk goes to the socket with one
// write and no copy; a large file is generated on a second thread while the serving thread sends
// the previous buffers (a bounded ring: memory does not grow with the file).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "elf.h"

namespace custody::sim {

// Writes a chunked transfer-coded body (RFC 9112 section 7.1) through `out`, one call per chunk.
class ChunkedBody {
 public:
  static constexpr size_t kHead = 18;  // room before a chunk's data: up to 16 hex digits + CRLF
  static constexpr size_t kTail = 2;   // room after it: CRLF

  using Out = std::function<bool(const char*, size_t)>;
  explicit ChunkedBody(Out out);

  // One chunk of `size` bytes at `data`; the kHead bytes before data and the kTail bytes after
  // data + size must be writable (they are overwritten). Returns false once `out` failed.
  bool WriteFramed(char* data, size_t size);
  // The same for bytes without room around them (copied through a buffer of its own).
  bool Write(const char* data, size_t size);
  // The last chunk ("0" CRLF CRLF): the body is complete.
  bool Finish();

 private:
  Out out_;
  std::unique_ptr<char[]> staging_;
  bool ok_ = true;
};

// Receives the CSV of a LogFile in order: `data` has ChunkedBody::kHead writable bytes before it
// and ChunkedBody::kTail after data + size. Returns false to stop.
using FramedChunkSink = std::function<bool(char* data, size_t size)>;

// Streams the whole file from `store` to `deliver`, generating on a second thread when the file
// is larger than one buffer (kLogFileBufferSize; kLogFileBuffers of them at most). Returns false
// if `deliver` stopped it or the store could not stream the file.
inline constexpr size_t kLogFileBufferSize = 256 * 1024;
inline constexpr size_t kLogFileBuffers = 4;
bool StreamLogFile(const ElfStore& store, const LogFileInfo& file, const FramedChunkSink& deliver);

}  // namespace custody::sim
