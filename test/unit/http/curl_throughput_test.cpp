// Hidden by default ("[.]"): compares the transport's download rate with the curl command line
// on the same loopback server. Run with: custody_http_tests "[throughput]"
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

#include "unit/http/http_test_servers.h"

using custody::http::Request;
using custody::http::test::HashingSink;
using custody::http::test::LocalServer;
using custody::http::test::MakeTransport;

TEST_CASE("a 1 GiB download runs close to curl -o speed", "[.][throughput]") {
  constexpr size_t kSize = 1ull << 30;
  const std::string block(1u << 20, 'L');
  LocalServer server([&](httplib::Server& s) {
    s.Get("/logfile", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(kSize, "application/octet-stream",
                               [&](size_t, size_t length, httplib::DataSink& sink) {
                                 return sink.write(block.data(), std::min(length, block.size()));
                               });
    });
  });
  auto seconds_since = [](auto start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto transport = MakeTransport();
  Request req;
  req.url = server.Url("/logfile");
  // Counts only: hashing would measure SHA-256, not the transport.
  struct CountingSink final : custody::http::BodySink {
    custody::Status OnHead(const custody::http::ResponseHead&) override { return custody::Status::Ok(); }
    custody::Status OnBody(std::span<const std::uint8_t> c) override {
      bytes += c.size();
      return custody::Status::Ok();
    }
    std::uint64_t bytes = 0;
  } sink;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = transport->Perform(req, sink);
  const double ours = seconds_since(t0);
  REQUIRE(r);
  CHECK(sink.bytes == kSize);
  const auto t1 = std::chrono::steady_clock::now();
  const int rc = std::system(("curl -s -o /dev/null " + server.Url("/logfile")).c_str());
  const double theirs = seconds_since(t1);
  WARN("transport " << kSize / ours / 1e6 << " MB/s, curl -o " << kSize / theirs / 1e6 << " MB/s (curl rc " << rc
                    << ")");
}
