#pragma once
// Loopback servers for the transport tests: an httplib server for well-formed exchanges, and a
// raw socket server for the malformed ones httplib will not produce (a body cut short, headers
// in an exact order, a server that stops sending).

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "crypto/digest.h"
#include "http/transport.h"

namespace custody::http::test {

// httplib on 127.0.0.1, an ephemeral port; routes are registered before it starts.
class LocalServer {
 public:
  explicit LocalServer(const std::function<void(httplib::Server&)>& routes) {
    routes(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop is running would be lost and join() would hang.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!server_.is_running()) {
      thread_.join();  // listen_after_bind gave up; the thread has returned
      FAIL("httplib server did not start");
    }
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Waits (up to `limit`) for the peer to close or send more; returns when it does.
inline void WaitForPeer(int fd, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  poll(&p, 1, static_cast<int>(limit.count()));
}

// Accepts connections on 127.0.0.1, reads each request head, then hands the socket to
// `respond` and closes it when that returns. Serves until destroyed.
class RawServer {
 public:
  using Responder = std::function<void(int fd, const std::string& request_head)>;

  explicit RawServer(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listen_fd_, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RawServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      respond_(fd, head);
      close(fd);
    }
  }

  Responder respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Records how the body arrived and hashes it, without keeping it.
class HashingSink final : public BodySink {
 public:
  Status OnHead(const ResponseHead& received) override {
    ++heads;
    head_before_body = head_before_body && bytes == 0;
    head = received;
    return Status::Ok();
  }
  Status OnBody(std::span<const std::uint8_t> chunk) override {
    if (heads == 0) head_before_body = false;
    ++chunks;
    bytes += chunk.size();
    largest_chunk = std::max<std::uint64_t>(largest_chunk, chunk.size());
    hasher.Update(chunk);
    return Status::Ok();
  }

  ResponseHead head;
  int heads = 0;
  bool head_before_body = true;
  std::uint64_t chunks = 0;
  std::uint64_t bytes = 0;
  std::uint64_t largest_chunk = 0;
  crypto::Hasher hasher;
};

// A reproducible, incompressible body of any size, produced piece by piece: byte o is
// block[o % 1 MiB] ^ (o / 1 MiB), so no two MiB are equal.
class BodyGenerator {
 public:
  static constexpr size_t kBlock = 1u << 20;
  BodyGenerator() : block_(kBlock) {
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (auto& b : block_) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<std::uint8_t>(x);
    }
  }
  // Fills out with the bytes at [offset, offset + out.size()).
  void Fill(std::uint64_t offset, std::span<std::uint8_t> out) const {
    for (size_t i = 0; i < out.size(); ++i) {
      const std::uint64_t o = offset + i;
      out[i] = block_[o % kBlock] ^ static_cast<std::uint8_t>(o / kBlock);
    }
  }
  std::string Sha256Of(std::uint64_t size) const {
    crypto::Hasher h;
    std::vector<std::uint8_t> buf(kBlock);
    for (std::uint64_t o = 0; o < size; o += kBlock) {
      const size_t n = static_cast<size_t>(std::min<std::uint64_t>(kBlock, size - o));
      Fill(o, std::span(buf.data(), n));
      h.Update(std::span<const std::uint8_t>(buf.data(), n));
    }
    return h.FinishHex();
  }

 private:
  std::vector<std::uint8_t> block_;
};

inline std::string Gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::unique_ptr<Transport> MakeTransport(TransportOptions options = {}) {
  auto t = MakeCurlTransport(options);
  REQUIRE(t);
  return std::move(*t);
}

}  // namespace custody::http::test
