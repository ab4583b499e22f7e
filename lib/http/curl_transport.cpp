// The libcurl Transport. One easy handle per Transport so keep-alive connections, the DNS cache
// and TLS sessions carry over between requests; every Perform starts from curl_easy_reset so no
// option (a POST body, a custom method) leaks into the next request.

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "http/content_decoder.h"
#include "http/transport.h"
#include "http/url.h"

namespace custody::http {
namespace {

// Large reads cut the per-callback overhead on multi-GB LogFile downloads; libcurl caps the
// value at CURL_MAX_READ_SIZE.
constexpr long kReceiveBufferBytes = 512L * 1024;

std::once_flag g_global_once;
CURLcode g_global_rc = CURLE_OK;

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// RFC 9110 tchar: what may appear in a method or a header name.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

bool HasLineBreakOrNul(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos; }

// State the libcurl callbacks share with Perform for one transfer.
struct Transfer {
  BodySink* sink = nullptr;
  ResponseHead head;
  bool head_delivered = false;
  std::unique_ptr<internal::InflateDecoder> decoder;  // when the body has a Content-Encoding
  std::uint64_t body_bytes = 0;                        // decoded, as delivered
  std::uint64_t wire_bytes = 0;                        // as received, after de-chunking
  std::optional<Error> sink_error;                     // returned exactly as the sink gave it
  std::optional<Error> failure;                        // ours; Perform adds method and URL

  Status DeliverHead() {
    head_delivered = true;
    Status s = sink->OnHead(head);
    if (!s) sink_error = s.error();
    return s;
  }
  Status DeliverBody(std::span<const std::uint8_t> piece) {
    Status s = sink->OnBody(piece);
    if (!s) {
      sink_error = s.error();
      return s;
    }
    body_bytes += piece.size();
    return Status::Ok();
  }
  // Picks the decoder from the final head, before the first body byte.
  Status PrepareDecoding() {
    const auto coding = FindHeader(head.headers, "Content-Encoding");
    if (!coding || coding->empty() || EqualsIgnoreCase(*coding, "identity")) return Status::Ok();
    if (!internal::IsInflateCoding(*coding)) {
      // We only ever ask for gzip; an unasked-for coding we cannot remove must not reach the
      // sink as if it were the body.
      return Error(ErrorCode::kRemote, "unsupported Content-Encoding '" + *coding + "'");
    }
    decoder = internal::InflateDecoder::Create();
    if (!decoder) return Error(ErrorCode::kInternal, "out of memory for the gzip decoder");
    return Status::Ok();
  }
};

// Called once per header line, including the status line of every response (a 1xx, then the
// final one), and for trailers after the body.
size_t HeaderCallback(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t length = size * count;
  if (t->head_delivered) return length;  // trailers: the head the sink saw is final
  try {
    std::string_view line(data, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
      // A new status line starts a new head: what came before was an interim (1xx) response.
      t->head = ResponseHead{};
      const size_t sp = line.find(' ');
      if (sp != std::string_view::npos) {
        std::string_view rest = line.substr(sp + 1);
        const size_t sp2 = rest.find(' ');
        const std::string_view code = rest.substr(0, sp2);
        int status = 0;
        for (char c : code) {
          if (c < '0' || c > '9') break;
          status = status * 10 + (c - '0');
        }
        t->head.status = status;
        if (sp2 != std::string_view::npos) t->head.reason = std::string(TrimOws(rest.substr(sp2 + 1)));
      }
    } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      // Obsolete line folding: the line continues the previous header's value.
      if (!t->head.headers.empty()) {
        std::string& value = t->head.headers.back().second;
        value.push_back(' ');
        value.append(TrimOws(line));
      }
    } else if (!line.empty()) {
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        t->head.headers.emplace_back(std::string(line.substr(0, colon)), std::string(TrimOws(line.substr(colon + 1))));
      }
    }
  } catch (...) {
    // Exceptions must not cross libcurl's C frames; the only candidate here is bad_alloc.
    t->failure = Error(ErrorCode::kInternal, "out of memory while reading response headers");
    return CURL_WRITEFUNC_ERROR;
  }
  return length;
}

// Hands each piece of the body, decoded, straight to the sink: nothing is accumulated here.
size_t WriteCallback(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t length = size * count;
  try {
    if (!t->head_delivered) {
      if (Status s = t->PrepareDecoding(); !s) {
        t->failure = s.error();
        return CURL_WRITEFUNC_ERROR;
      }
      if (!t->DeliverHead()) return CURL_WRITEFUNC_ERROR;
    }
    t->wire_bytes += length;
    if (length == 0) return 0;
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(data), length);
    if (!t->decoder) return t->DeliverBody(bytes) ? length : CURL_WRITEFUNC_ERROR;
    Status s = t->decoder->Write(bytes, [t](std::span<const std::uint8_t> piece) { return t->DeliverBody(piece); });
    if (!s) {
      if (!t->sink_error) t->failure = s.error();
      return CURL_WRITEFUNC_ERROR;
    }
  } catch (...) {
    t->sink_error = Error(ErrorCode::kInternal, "response sink threw an exception");
    return CURL_WRITEFUNC_ERROR;
  }
  return length;
}

std::string HttpVersionName(long version) {
  switch (version) {
    case CURL_HTTP_VERSION_1_0: return "1.0";
    case CURL_HTTP_VERSION_1_1: return "1.1";
    case CURL_HTTP_VERSION_2_0: return "2";
    case CURL_HTTP_VERSION_3: return "3";
    default: return "";
  }
}

// What failed, in words an operator can act on; curl's error buffer adds the detail.
std::pair<ErrorCode, const char*> Classify(CURLcode rc) {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return {ErrorCode::kInvalidArgument, "URL refused"};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return {ErrorCode::kNetwork, "DNS: could not resolve host"};
    case CURLE_COULDNT_CONNECT:
      return {ErrorCode::kNetwork, "connection failed"};
    case CURLE_OPERATION_TIMEDOUT:
      return {ErrorCode::kNetwork, "timed out"};
    case CURLE_PEER_FAILED_VERIFICATION:
      return {ErrorCode::kNetwork, "TLS: certificate verify failed"};
    case CURLE_SSL_CONNECT_ERROR:
      return {ErrorCode::kNetwork, "TLS: handshake failed"};
    case CURLE_SSL_CACERT_BADFILE:
      return {ErrorCode::kNetwork, "TLS: could not load the CA file"};
    case CURLE_PARTIAL_FILE:
      return {ErrorCode::kNetwork, "connection closed before the body was complete"};
    case CURLE_RECV_ERROR:
      return {ErrorCode::kNetwork, "receive failed before the response was complete"};
    case CURLE_SEND_ERROR:
      return {ErrorCode::kNetwork, "send failed"};
    case CURLE_GOT_NOTHING:
      return {ErrorCode::kNetwork, "connection closed without a response"};
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return {ErrorCode::kNetwork, "HTTP/2 stream failed"};
    case CURLE_BAD_CONTENT_ENCODING:
      // Usually a body cut short or mangled in transit: worth a retry, like a dropped connection.
      return {ErrorCode::kNetwork, "content decoding failed"};
    case CURLE_WEIRD_SERVER_REPLY:
      return {ErrorCode::kNetwork, "malformed response"};
    case CURLE_OUT_OF_MEMORY:
      return {ErrorCode::kInternal, "out of memory"};
    default:
      return {ErrorCode::kNetwork, "transfer failed"};
  }
}

class CurlTransport final : public Transport {
 public:
  CurlTransport(CurlPtr handle, TransportOptions options) : handle_(std::move(handle)), options_(std::move(options)) {}

  Result<Response> Perform(const Request& request, BodySink& sink) override;

 private:
  Status Configure(const Request& request, Transfer& transfer);
  Error TransferError(const Request& request, CURLcode rc) const;

  CurlPtr handle_;
  TransportOptions options_;
  SlistPtr headers_;  // must outlive the transfer that uses them
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

Status CurlTransport::Configure(const Request& request, Transfer& transfer) {
  CURL* h = handle_.get();
  // Header lines go into libcurl verbatim; a CR or LF in one would let a value inject headers.
  // The messages name the header, never its value (it may be a token).
  bool has_expect = false;
  bool has_content_type = false;
  bool has_accept_encoding = false;
  SlistPtr owned;
  auto append = [&](const std::string& line) -> bool {
    curl_slist* head = curl_slist_append(owned.get(), line.c_str());
    if (head == nullptr) return false;  // the list so far is unchanged and still owned
    if (!owned) owned.reset(head);      // later appends return the same head
    return true;
  };
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      // Not echoed: a malformed name may be a whole "Authorization: Bearer ..." line.
      return Error(ErrorCode::kInvalidArgument, "invalid request header name (not an RFC 9110 token)");
    }
    if (HasLineBreakOrNul(value)) {
      return Error(ErrorCode::kInvalidArgument, "request header " + name + " has a line break in its value");
    }
    has_expect |= EqualsIgnoreCase(name, "expect");
    has_content_type |= EqualsIgnoreCase(name, "content-type");
    has_accept_encoding |= EqualsIgnoreCase(name, "accept-encoding");
    // "Name;" is libcurl's spelling for a header with an empty value ("Name:" would remove it).
    if (!append(value.empty() ? name + ";" : name + ": " + value)) {
      return Error(ErrorCode::kInternal, "out of memory building request headers");
    }
  }
  // Without the header a server may pick any coding (RFC 9110 12.5.3); "identity" rules that out.
  if (!has_accept_encoding &&
      !append(options_.accept_gzip ? "Accept-Encoding: gzip" : "Accept-Encoding: identity")) {
    return Error(ErrorCode::kInternal, "out of memory building request headers");
  }
  // "Expect: 100-continue" would stall every POST larger than 1 KiB by up to a second.
  if (!has_expect && !append("Expect:")) return Error(ErrorCode::kInternal, "out of memory building request headers");
  const bool sends_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                          request.method == "PATCH";
  // Headers go out as given: without this libcurl would label every body form-urlencoded.
  if (sends_body && !has_content_type && !append("Content-Type:")) {
    return Error(ErrorCode::kInternal, "out of memory building request headers");
  }

  curl_easy_reset(h);
  headers_ = std::move(owned);
  error_buffer_[0] = '\0';

  CURLcode rc = CURLE_OK;
  const char* failed = nullptr;
  auto set = [&](CURLoption option, auto value, const char* name) {
    if (rc != CURLE_OK) return;
    rc = curl_easy_setopt(h, option, value);
    if (rc != CURLE_OK) failed = name;
  };
  set(CURLOPT_ERRORBUFFER, error_buffer_, "ERRORBUFFER");
  set(CURLOPT_URL, request.url.c_str(), "URL");
  set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR");
  set(CURLOPT_FOLLOWLOCATION, 0L, "FOLLOWLOCATION");
  set(CURLOPT_SSL_VERIFYPEER, 1L, "SSL_VERIFYPEER");
  set(CURLOPT_SSL_VERIFYHOST, 2L, "SSL_VERIFYHOST");
  if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str(), "CAINFO");
  // A loopback URL is the simulator or a local relay: an environment proxy must not see it.
  if (auto parts = internal::SplitUrl(request.url); parts && internal::IsLoopbackHost(parts->host)) {
    set(CURLOPT_PROXY, "", "PROXY");
  }
  set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L, "SUPPRESS_CONNECT_HEADERS");
  set(CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  set(CURLOPT_TCP_NODELAY, 1L, "TCP_NODELAY");
  set(CURLOPT_TCP_KEEPALIVE, 1L, "TCP_KEEPALIVE");
  set(CURLOPT_BUFFERSIZE, kReceiveBufferBytes, "BUFFERSIZE");
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()), "CONNECTTIMEOUT_MS");
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(0, request.timeout.count())), "TIMEOUT_MS");
  // Stall detection: fewer than 1 byte/s for stall_timeout (rounded up, at least a second).
  const long stall_seconds = std::max<long>(1, static_cast<long>((request.stall_timeout.count() + 999) / 1000));
  set(CURLOPT_LOW_SPEED_LIMIT, 1L, "LOW_SPEED_LIMIT");
  set(CURLOPT_LOW_SPEED_TIME, stall_seconds, "LOW_SPEED_TIME");
  // We remove the Content-Encoding ourselves (content_decoder.h says why) and send
  // Accept-Encoding as a plain header above.
  set(CURLOPT_HTTP_CONTENT_DECODING, 0L, "HTTP_CONTENT_DECODING");
  set(CURLOPT_USERAGENT, options_.user_agent.c_str(), "USERAGENT");
  set(CURLOPT_HTTPHEADER, headers_.get(), "HTTPHEADER");
  set(CURLOPT_HEADERFUNCTION, &HeaderCallback, "HEADERFUNCTION");
  set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer), "HEADERDATA");
  set(CURLOPT_WRITEFUNCTION, &WriteCallback, "WRITEFUNCTION");
  set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer), "WRITEDATA");

  if (request.method == "GET" && request.body.empty()) {
    set(CURLOPT_HTTPGET, 1L, "HTTPGET");
  } else if (request.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L, "NOBODY");
  } else {
    if (request.method == "POST") {
      set(CURLOPT_POST, 1L, "POST");
    } else {
      set(CURLOPT_CUSTOMREQUEST, request.method.c_str(), "CUSTOMREQUEST");
    }
    if (sends_body) {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()), "POSTFIELDSIZE_LARGE");
      set(CURLOPT_POSTFIELDS, request.body.data(), "POSTFIELDS");
    }
  }
  if (rc != CURLE_OK) {
    return Error(rc == CURLE_OUT_OF_MEMORY ? ErrorCode::kInternal : ErrorCode::kInvalidArgument,
                 std::string("libcurl option ") + failed + ": " + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

Error CurlTransport::TransferError(const Request& request, CURLcode rc) const {
  const auto [code, what] = Classify(rc);
  // The error buffer holds libcurl's detail ("Failed to connect to 127.0.0.1 port 9: ...");
  // it never contains request headers or the body.
  const std::string detail = error_buffer_[0] != '\0' ? std::string(error_buffer_) : curl_easy_strerror(rc);
  return Error(code, request.method + " " + request.url + ": " + what + ": " + detail);
}

Result<Response> CurlTransport::Perform(const Request& request, BodySink& sink) {
  CUSTODY_RETURN_IF_ERROR(CheckUrlPolicy(request.url));
  if (!IsToken(request.method)) return Error(ErrorCode::kInvalidArgument, "invalid HTTP method '" + request.method + "'");

  Transfer transfer;
  transfer.sink = &sink;
  CUSTODY_RETURN_IF_ERROR(Configure(request, transfer));

  const auto started = std::chrono::system_clock::now();
  const CURLcode rc = curl_easy_perform(handle_.get());
  if (transfer.sink_error) return *transfer.sink_error;
  if (transfer.failure) {
    return Error(transfer.failure->code(), request.method + " " + request.url + ": " + transfer.failure->message());
  }
  if (rc != CURLE_OK) return TransferError(request, rc);
  if (transfer.decoder && !transfer.decoder->Finished()) {
    // The HTTP framing was satisfied but the compressed stream was not: a body cut short.
    return Error(ErrorCode::kNetwork, request.method + " " + request.url + ": body incomplete: the " +
                                          *FindHeader(transfer.head.headers, "Content-Encoding") +
                                          " stream ended without its trailer after " +
                                          std::to_string(transfer.wire_bytes) + " bytes");
  }
  if (!transfer.head_delivered) {
    // No body at all (HEAD, 204, 304, Content-Length: 0): the sink still gets the head once.
    CUSTODY_RETURN_IF_ERROR(transfer.DeliverHead());
  }

  CURL* h = handle_.get();
  Response response;
  response.head = std::move(transfer.head);
  response.body_bytes = transfer.body_bytes;
  // Counted in the write callback: the body as received, before our decoding (what libcurl's
  // CURLINFO_SIZE_DOWNLOAD_T reports too).
  response.wire_bytes = transfer.wire_bytes;
  if (auto encoding = FindHeader(response.head.headers, "Content-Encoding")) {
    response.content_encoding = EqualsIgnoreCase(*encoding, "identity") ? "" : *encoding;
  }
  long version = 0;
  if (curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &version) == CURLE_OK) {
    response.http_version = HttpVersionName(version);
  }
  response.timing.started_unix_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(started.time_since_epoch()).count();
  curl_off_t total_us = 0;
  curl_off_t first_byte_us = 0;
  if (curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK) response.timing.total_ms = total_us / 1000;
  if (curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first_byte_us) == CURLE_OK) {
    response.timing.first_byte_ms = first_byte_us / 1000;
  }
  return response;
}

}  // namespace

Result<std::unique_ptr<Transport>> MakeCurlTransport(const TransportOptions& options) {
  std::call_once(g_global_once, [] { g_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (g_global_rc != CURLE_OK) {
    return Error(ErrorCode::kInternal, std::string("libcurl initialisation failed: ") + curl_easy_strerror(g_global_rc));
  }
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if ((info->features & CURL_VERSION_SSL) == 0) return Error(ErrorCode::kInternal, "libcurl was built without TLS");
  if (!options.ca_file.empty() && !std::ifstream(options.ca_file).good()) {
    // Checked here so a typo surfaces as a usage error before the first request, not as a
    // TLS failure on it.
    return Error(ErrorCode::kInvalidArgument, "CA file " + options.ca_file + ": cannot be read");
  }
  if (options.connect_timeout.count() < 0) {
    return Error(ErrorCode::kInvalidArgument, "connect timeout must not be negative");
  }
  CurlPtr handle(curl_easy_init());
  if (!handle) return Error(ErrorCode::kInternal, "curl_easy_init failed");
  return std::unique_ptr<Transport>(std::make_unique<CurlTransport>(std::move(handle), options));
}

}  // namespace custody::http
