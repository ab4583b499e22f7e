#include "capture/capture.h"

#include <fcntl.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/time.h"
#include "io/file_system.h"

namespace custody::capture {

namespace {

// Response headers worth keeping as evidence. Everything else is dropped rather than risk
// recording a cookie or a token echoed back by a proxy.
bool KeepResponseHeader(std::string_view name) {
  static const char* const kKeep[] = {"date", "content-type", "content-length", "content-encoding",
                                      "transfer-encoding", "sforce-limit-info", "sforce-locator",
                                      "sforce-numberofrecords", "sforce-query-options", "last-modified", "etag",
                                      "retry-after", "x-request-id", "x-correlation-id", "server", "location",
                                      "www-authenticate", "link", "content-location", "x-progress", "expires"};
  for (const char* k : kKeep) {
    if (name.size() == std::strlen(k) && strncasecmp(name.data(), k, name.size()) == 0) return true;
  }
  return false;
}

bool KeepRequestHeader(std::string_view name) {
  static const char* const kKeep[] = {"accept", "accept-encoding", "content-type", "sforce-query-options",
                                      "sforce-call-options", "user-agent"};
  for (const char* k : kKeep) {
    if (name.size() == std::strlen(k) && strncasecmp(name.data(), k, name.size()) == 0) return true;
  }
  return false;
}

Status WriteAll(int fd, const std::uint8_t* data, size_t size, const std::filesystem::path& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io::ErrnoError("write " + path.string(), errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status WriteNewFile(const std::filesystem::path& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io::ErrnoError("create " + path.string(), errno);
  Status s = WriteAll(fd, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
  if (::close(fd) != 0 && s) s = io::ErrnoError("close " + path.string(), errno);
  return s;
}

Result<std::unique_ptr<CaptureFile>> CaptureFile::Create(const std::filesystem::path& payload_root,
                                                         const std::string& dir, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(payload_root / dir, ec);
  if (ec) return Error(ErrorCode::kIo, "create folder " + (payload_root / dir).string() + ": " + ec.message());
  std::unique_ptr<CaptureFile> f(new CaptureFile());
  f->path_ = payload_root / dir / name;
  f->bag_path_ = "data/" + dir + "/" + name;
  f->fd_ = ::open(f->path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (f->fd_ < 0) return io::ErrnoError("create " + f->path_.string(), errno);
  return f;
}

CaptureFile::~CaptureFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status CaptureFile::OnHead(const http::ResponseHead& head) {
  head_ = head;
  head_seen_ = true;
  return Status::Ok();
}

Status CaptureFile::OnBody(std::span<const std::uint8_t> chunk) {
  hasher_.Update(chunk);
  bytes_ += chunk.size();
  return WriteAll(fd_, chunk.data(), chunk.size(), path_);
}

Status CaptureFile::Finish(const http::Request& request, const Purpose& purpose, const http::Response* response,
                           const std::string& error, const std::vector<std::string>& notes) {
  // No fsync here: the work folder is scratch, and what must survive a crash is the sealed
  // bundle, which Seal writes and syncs before publishing it. A sync per response cost a tenth of
  // a download's time (bench/collect/RESULTS.md).
  if (fd_ >= 0) {
    if (::close(fd_) != 0) {
      fd_ = -1;
      return io::ErrnoError("close " + path_.string(), errno);
    }
    fd_ = -1;
  }
  sha256_ = hasher_.FinishHex();

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  str("format"); str("custody-capture/1");
  str("source"); str(purpose.source);
  str("stream"); str(purpose.stream);
  str("object"); str(purpose.object);
  str("role"); str(purpose.role);
  str("page"); w.Uint64(purpose.page);
  str("attempt"); w.Uint(purpose.attempt);
  str("request");
  w.StartObject();
  str("method"); str(request.method);
  str("url"); str(request.url);
  str("soql");
  if (purpose.soql.empty()) w.Null(); else str(purpose.soql);
  str("headers");
  w.StartArray();
  for (const auto& [n, v] : request.headers) {
    if (!KeepRequestHeader(n)) continue;
    w.StartArray(); str(n); str(v); w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  str("response");
  if (response == nullptr && !head_seen_) {
    w.Null();
  } else {
    const http::ResponseHead& h = response != nullptr ? response->head : head_;
    w.StartObject();
    str("status"); w.Int(h.status);
    str("reason"); str(h.reason);
    str("http_version"); str(response != nullptr ? response->http_version : "");
    str("content_encoding"); str(response != nullptr ? response->content_encoding : "");
    str("headers");
    w.StartArray();
    for (const auto& [n, v] : h.headers) {
      if (!KeepResponseHeader(n)) continue;
      w.StartArray(); str(n); str(v); w.EndArray();
    }
    w.EndArray();
    w.EndObject();
  }
  str("body");
  w.StartObject();
  str("file"); str(path_.filename().string());
  str("bytes"); w.Uint64(bytes_);
  str("sha256"); str(sha256_);
  str("complete"); w.Bool(response != nullptr && error.empty());
  w.EndObject();
  str("timing");
  if (response == nullptr) {
    w.Null();
  } else {
    w.StartObject();
    str("started_at"); str(FormatRfc3339(UtcSeconds(std::chrono::seconds(response->timing.started_unix_ms / 1000))));
    str("started_unix_ms"); w.Int64(response->timing.started_unix_ms);
    str("first_byte_ms"); w.Int64(response->timing.first_byte_ms);
    str("total_ms"); w.Int64(response->timing.total_ms);
    w.EndObject();
  }
  str("error");
  if (error.empty()) w.Null(); else str(error);
  str("notes");
  w.StartArray();
  for (const auto& n : notes) str(n);
  w.EndArray();
  w.EndObject();
  std::string text(buf.GetString(), buf.GetSize());
  text += '\n';
  std::filesystem::path sidecar = path_;
  sidecar += ".http.json";
  return WriteNewFile(sidecar, text);
}

}  // namespace custody::capture
