#pragma once
// HTTP seam. Collectors talk to sources through Transport, so tests can swap in fakes and the
// retry, re-authentication and capture logic never sees libcurl. Bodies are streamed to a
// BodySink in chunks: no response is ever held whole in memory.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace custody::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header with that name; nullopt when absent.
std::optional<std::string> FindHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method = "GET";
  std::string url;          // absolute: https://host[:port]/path?query
  Headers headers;          // sent as given; Authorization is never logged or put in an error
  std::string body;         // sent when non-empty (POST/PATCH)
  // Whole-transfer limit. 0 means none (a 2 GB LogFile may take long); stall_timeout still applies.
  std::chrono::milliseconds timeout{0};
  // Fails the transfer when fewer than 1 byte a second arrive for this long.
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(120)};
};

struct ResponseHead {
  int status = 0;
  std::string reason;       // "OK", as the server wrote it (may be empty with HTTP/2)
  Headers headers;          // in the order received, names as sent
};

// Receives a response: the head once, then the body (after Content-Encoding is removed) in
// chunks. Returning an error from either aborts the transfer with that error.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Status OnHead(const ResponseHead& head) = 0;
  virtual Status OnBody(std::span<const std::uint8_t> chunk) = 0;
};

// Collects a small body in memory up to a cap; a larger body is an error (kRemote), never a
// truncation. For token endpoints, error bodies and describe calls.
class StringSink final : public BodySink {
 public:
  explicit StringSink(size_t max_bytes = 16u << 20) : max_(max_bytes) {}
  Status OnHead(const ResponseHead& head) override;
  Status OnBody(std::span<const std::uint8_t> chunk) override;
  const ResponseHead& head() const { return head_; }
  const std::string& body() const { return body_; }

 private:
  size_t max_;
  ResponseHead head_;
  std::string body_;
};

struct Timing {
  std::int64_t started_unix_ms = 0;  // UTC wall clock when the request was sent
  std::int64_t total_ms = 0;         // until the last body byte
  std::int64_t first_byte_ms = 0;    // until the head arrived
};

struct Response {
  ResponseHead head;
  std::uint64_t body_bytes = 0;     // decoded bytes delivered to the sink
  std::uint64_t wire_bytes = 0;     // bytes on the wire (before content-decoding), when known
  std::string content_encoding;     // "gzip", or "" for identity
  std::string http_version;         // "1.1", "2"
  Timing timing;
};

// Errors: kNetwork for a connection that could not be made, timed out, or closed before the
// body was complete (Content-Length or chunked framing not satisfied); kInvalidArgument for a
// URL the policy refuses (see CheckUrlPolicy). A completed exchange with any HTTP status is a
// Response, not an error: status handling is the caller's.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Result<Response> Perform(const Request& request, BodySink& sink) = 0;
};

struct TransportOptions {
  std::string ca_file;                 // PEM bundle to trust instead of the system store
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::string user_agent = "custody";  // the caller adds the version
  bool accept_gzip = true;             // send Accept-Encoding: gzip and decode
};

// TLS peer and host verification are always on and cannot be turned off. Plain http:// is
// allowed only to loopback hosts (127.0.0.0/8, ::1, localhost). Redirects are not followed (a
// 3xx is returned as a Response). Only http and https are allowed, also for any redirect.
// One libcurl easy handle per Transport: connections are reused; a Transport is used by one
// thread at a time (make one per worker).
Result<std::unique_ptr<Transport>> MakeCurlTransport(const TransportOptions& options);

// kInvalidArgument unless the URL is https://, or http:// to a loopback host. The message names
// the URL (which must not carry secrets; custody never puts one in a URL).
Status CheckUrlPolicy(std::string_view url);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept; space as %20;
// '+' as %2B).
std::string UrlEncode(std::string_view value);

// "https://h:1/a/b?c" -> "https://h:1"; empty when the URL is not absolute.
std::string Origin(std::string_view url);

}  // namespace custody::http
