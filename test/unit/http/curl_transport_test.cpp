// The libcurl transport against loopback servers: streaming, heads, decoding, and every way a
// transfer can fail.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "http/transport.h"
#include "unit/http/http_test_servers.h"

using custody::Error;
using custody::ErrorCode;
using custody::Status;
using custody::http::BodySink;
using custody::http::FindHeader;
using custody::http::Headers;
using custody::http::MakeCurlTransport;
using custody::http::Request;
using custody::http::ResponseHead;
using custody::http::StringSink;
using custody::http::TransportOptions;
using custody::http::test::BodyGenerator;
using custody::http::test::Gzip;
using custody::http::test::HashingSink;
using custody::http::test::LocalServer;
using custody::http::test::MakeTransport;
using custody::http::test::RawServer;
using custody::http::test::SendAll;
using custody::http::test::WaitForPeer;

namespace {

Request Get(const std::string& url) {
  Request r;
  r.url = url;
  return r;
}

// Counts calls; fails with a given error on the n-th body chunk, or on the head.
class FailingSink final : public BodySink {
 public:
  FailingSink(int fail_on_chunk, Error error) : fail_on_chunk_(fail_on_chunk), error_(std::move(error)) {}
  Status OnHead(const ResponseHead&) override {
    ++heads;
    return fail_on_chunk_ == 0 ? Status(error_) : Status::Ok();
  }
  Status OnBody(std::span<const std::uint8_t>) override {
    ++chunks;
    return chunks == fail_on_chunk_ ? Status(error_) : Status::Ok();
  }
  int heads = 0;
  int chunks = 0;

 private:
  int fail_on_chunk_;
  Error error_;
};

// A port with a bound socket that never listens: connecting to it is refused for as long as
// the object lives, and no other test can take the port meanwhile.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

constexpr const char* kSecret = "Bearer 00Dxx0000001gPL!AQ4AQSECRETSECRET";

}  // namespace

TEST_CASE("a 64 MiB body streams to the sink in many chunks and hashes to the expected SHA-256", "[http][curl]") {
  constexpr std::uint64_t kSize = 64ull << 20;
  const BodyGenerator gen;
  LocalServer server([&](httplib::Server& s) {
    s.Get("/big", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(static_cast<size_t>(kSize), "application/octet-stream",
                               [&](size_t offset, size_t length, httplib::DataSink& sink) {
                                 std::vector<std::uint8_t> buf(std::min<size_t>(length, 256u << 10));
                                 gen.Fill(offset, buf);
                                 return sink.write(reinterpret_cast<const char*>(buf.data()), buf.size());
                               });
    });
  });
  auto transport = MakeTransport();
  HashingSink sink;
  auto response = transport->Perform(Get(server.Url("/big")), sink);
  REQUIRE(response);
  CHECK(response->head.status == 200);
  CHECK(sink.heads == 1);
  CHECK(sink.head_before_body);
  CHECK(sink.bytes == kSize);
  CHECK(response->body_bytes == kSize);
  CHECK(response->wire_bytes == kSize);
  CHECK(response->content_encoding.empty());
  CHECK(sink.chunks > 16);
  CHECK(sink.largest_chunk <= (10u << 20));  // never the whole body in one piece
  CHECK(sink.hasher.FinishHex() == gen.Sha256Of(kSize));
}

TEST_CASE("a chunked body arrives whole and in order", "[http][curl]") {
  constexpr std::uint64_t kSize = 5u << 20;
  const BodyGenerator gen;
  LocalServer server([&](httplib::Server& s) {
    s.Get("/chunked", [&](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/octet-stream", [&](size_t offset, httplib::DataSink& sink) {
        if (offset >= kSize) {
          sink.done();
          return true;
        }
        std::vector<std::uint8_t> buf(std::min<size_t>(kSize - offset, 100000));
        gen.Fill(offset, buf);
        return sink.write(reinterpret_cast<const char*>(buf.data()), buf.size());
      });
    });
  });
  auto transport = MakeTransport();
  HashingSink sink;
  auto response = transport->Perform(Get(server.Url("/chunked")), sink);
  REQUIRE(response);
  CHECK(FindHeader(response->head.headers, "transfer-encoding") == "chunked");
  CHECK(response->body_bytes == kSize);
  CHECK(sink.hasher.FinishHex() == gen.Sha256Of(kSize));
}

TEST_CASE("the head keeps status, reason and headers in the order received, duplicates and names as sent",
          "[http][curl]") {
  RawServer server([](int fd, const std::string&) {
    SendAll(fd,
            "HTTP/1.1 299 Custom Reason Here\r\n"
            "X-Zeta: last-alphabetically\r\n"
            "Set-Cookie: a=1\r\n"
            "x-lower: Mixed Case Value\r\n"
            "Set-Cookie: b=2\r\n"
            "X-Spaces:    padded   \r\n"
            "X-Empty:\r\n"
            "Content-Length: 5\r\n"
            "\r\n"
            "hello");
  });
  auto transport = MakeTransport();
  StringSink sink;
  auto response = transport->Perform(Get(server.Url("/h")), sink);
  REQUIRE(response);
  const Headers expected = {{"X-Zeta", "last-alphabetically"}, {"Set-Cookie", "a=1"}, {"x-lower", "Mixed Case Value"},
                            {"Set-Cookie", "b=2"},          {"X-Spaces", "padded"}, {"X-Empty", ""},
                            {"Content-Length", "5"}};
  CHECK(response->head.status == 299);
  CHECK(response->head.reason == "Custom Reason Here");
  CHECK(response->head.headers == expected);
  CHECK(sink.head().headers == expected);
  CHECK(sink.head().status == 299);
  CHECK(sink.body() == "hello");
  CHECK(response->http_version == "1.1");
}

TEST_CASE("an interim 100 Continue head is replaced by the final one", "[http][curl]") {
  RawServer server([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  });
  auto transport = MakeTransport();
  StringSink sink;
  auto response = transport->Perform(Get(server.Url("/")), sink);
  REQUIRE(response);
  CHECK(response->head.status == 201);
  CHECK(response->head.reason == "Created");
  CHECK_FALSE(FindHeader(response->head.headers, "X-Interim").has_value());
  CHECK(sink.body() == "ok");
}

TEST_CASE("4xx, 5xx and 3xx are responses with their bodies and a redirect is not followed", "[http][curl]") {
  std::atomic<int> target_hits{0};
  LocalServer server([&](httplib::Server& s) {
    s.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content(R"([{"errorCode":"NOT_FOUND"}])", "application/octet-stream");
    });
    s.Get("/broken", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_content("internal trouble", "application/octet-stream");
    });
    s.Get("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.status = 302;
      res.set_header("Location", "/target");
      res.set_content("see /target", "application/octet-stream");
    });
    s.Get("/target", [&](const httplib::Request&, httplib::Response& res) {
      ++target_hits;
      res.set_content("target", "application/octet-stream");
    });
  });
  auto transport = MakeTransport();
  {
    StringSink sink;
    auto r = transport->Perform(Get(server.Url("/missing")), sink);
    REQUIRE(r);
    CHECK(r->head.status == 404);
    CHECK(sink.body() == R"([{"errorCode":"NOT_FOUND"}])");
  }
  {
    StringSink sink;
    auto r = transport->Perform(Get(server.Url("/broken")), sink);
    REQUIRE(r);
    CHECK(r->head.status == 500);
    CHECK(sink.body() == "internal trouble");
  }
  {
    StringSink sink;
    auto r = transport->Perform(Get(server.Url("/moved")), sink);
    REQUIRE(r);
    CHECK(r->head.status == 302);
    CHECK(FindHeader(r->head.headers, "location") == "/target");
    CHECK(sink.body() == "see /target");
    CHECK(target_hits == 0);
  }
}

TEST_CASE("a gzip body is decoded to the exact original bytes and reported as gzip", "[http][curl][gzip]") {
  std::string original;
  for (int i = 0; i < 40000; ++i) original += "\"EVENT_TYPE\",\"TIMESTAMP\",\"" + std::to_string(i * 7919) + "\"\n";
  const std::string compressed = Gzip(original);
  REQUIRE(compressed.size() < original.size() / 4);
  std::mutex mu;
  std::string accept_encoding;
  LocalServer server([&](httplib::Server& s) {
    s.Get("/gz", [&](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        accept_encoding = req.get_header_value("Accept-Encoding");
      }
      // application/octet-stream: httplib would otherwise compress the body a second time.
      res.set_header("Content-Encoding", "gzip");
      res.set_content(compressed, "application/octet-stream");
    });
  });

  SECTION("with accept_gzip the request asks for gzip") {
    auto transport = MakeTransport();
    StringSink sink(original.size());
    auto r = transport->Perform(Get(server.Url("/gz")), sink);
    REQUIRE(r);
    CHECK(sink.body() == original);
    CHECK(r->content_encoding == "gzip");
    CHECK(r->body_bytes == original.size());
    CHECK(r->wire_bytes == compressed.size());
    std::lock_guard lock(mu);
    CHECK(accept_encoding == "gzip");
  }
  SECTION("without accept_gzip an unasked-for gzip body is still decoded") {
    TransportOptions options;
    options.accept_gzip = false;
    auto transport = MakeTransport(options);
    StringSink sink(original.size());
    auto r = transport->Perform(Get(server.Url("/gz")), sink);
    REQUIRE(r);
    CHECK(sink.body() == original);
    CHECK(r->content_encoding == "gzip");
    std::lock_guard lock(mu);
    CHECK(accept_encoding == "identity");
  }
}

TEST_CASE("a corrupt or cut-short gzip body is a kNetwork error", "[http][curl][gzip]") {
  // Incompressible bytes make deflate store them, so a flipped byte is caught only by the CRC.
  const BodyGenerator gen;
  std::string original(300000, '\0');
  gen.Fill(0, std::span(reinterpret_cast<std::uint8_t*>(original.data()), original.size()));
  const std::string good = Gzip(original);
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x55;
  const std::string cut = good.substr(0, good.size() / 2);
  LocalServer server([&](httplib::Server& s) {
    auto serve = [](const std::string& body) {
      return [&body](const httplib::Request&, httplib::Response& res) {
        res.set_header("Content-Encoding", "gzip");
        res.set_content(body, "application/octet-stream");
      };
    };
    s.Get("/flipped", serve(flipped));
    s.Get("/cut", serve(cut));
  });
  auto transport = MakeTransport();
  for (const char* path : {"/flipped", "/cut"}) {
    INFO(path);
    HashingSink sink;
    auto r = transport->Perform(Get(server.Url(path)), sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kNetwork);
    CHECK(r.error().message().find("GET " + server.Url(path)) != std::string::npos);
  }
  // libcurl alone would accept the cut stream: its HTTP framing is complete.
  HashingSink sink;
  auto cut_short = transport->Perform(Get(server.Url("/cut")), sink);
  REQUIRE_FALSE(cut_short);
  CHECK(cut_short.error().message().find("body incomplete") != std::string::npos);
}

TEST_CASE("an unsupported Content-Encoding is refused rather than passed off as the body", "[http][curl][gzip]") {
  RawServer server([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\n\x0b\x01\x80\x03");
  });
  auto transport = MakeTransport();
  HashingSink sink;
  auto r = transport->Perform(Get(server.Url("/br")), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kRemote);
  CHECK(r.error().message().find("'br'") != std::string::npos);
  CHECK(sink.bytes == 0);
}

TEST_CASE("a body shorter than its Content-Length is a kNetwork error naming method and URL", "[http][curl]") {
  RawServer server([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(500, 'a'));
  });
  auto transport = MakeTransport();
  HashingSink sink;
  const std::string url = server.Url("/logfile?x=1");
  auto r = transport->Perform(Get(url), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  INFO(r.error().message());
  CHECK(r.error().message().find("GET " + url) != std::string::npos);
  CHECK(r.error().message().find("closed before the body was complete") != std::string::npos);
  CHECK(r.error().message().find("500") != std::string::npos);  // curl: "... 500 bytes remaining"
}

TEST_CASE("a chunked body whose connection closes before the last chunk is a kNetwork error", "[http][curl]") {
  RawServer server([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n8\r\n0123");
  });
  auto transport = MakeTransport();
  HashingSink sink;
  auto r = transport->Perform(Get(server.Url("/chunks")), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(r.error().message().find("GET " + server.Url("/chunks")) != std::string::npos);
}

TEST_CASE("an httplib content provider that gives up halfway is a kNetwork error", "[http][curl]") {
  LocalServer server([&](httplib::Server& s) {
    s.Get("/half", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(1u << 20, "application/octet-stream",
                               [&](size_t offset, size_t length, httplib::DataSink& sink) {
                                 if (offset >= (1u << 19)) return false;
                                 const std::string piece(std::min<size_t>(length, 1u << 16), 'z');
                                 return sink.write(piece.data(), piece.size());
                               });
    });
  });
  auto transport = MakeTransport();
  HashingSink sink;
  auto r = transport->Perform(Get(server.Url("/half")), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(sink.bytes < (1u << 20));
}

TEST_CASE("an empty reply is a kNetwork error", "[http][curl]") {
  RawServer server([](int, const std::string&) {});
  auto transport = MakeTransport();
  HashingSink sink;
  auto r = transport->Perform(Get(server.Url("/")), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(sink.heads == 0);
}

TEST_CASE("a sink error aborts the transfer and that exact error is returned", "[http][curl]") {
  LocalServer server([&](httplib::Server& s) {
    s.Get("/big", [&](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(32u << 20, "application/octet-stream",
                               [&](size_t, size_t length, httplib::DataSink& sink) {
                                 const std::string piece(std::min<size_t>(length, 1u << 16), 'q');
                                 return sink.write(piece.data(), piece.size());
                               });
    });
    s.Get("/small", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("small", "application/octet-stream");
    });
  });
  auto transport = MakeTransport();

  SECTION("from OnBody") {
    FailingSink sink(3, Error(ErrorCode::kIo, "write capture.part: No space left on device"));
    auto r = transport->Perform(Get(server.Url("/big")), sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kIo);
    CHECK(r.error().message() == "write capture.part: No space left on device");
    CHECK(sink.chunks == 3);
  }
  SECTION("from OnHead, before any body") {
    FailingSink sink(0, Error(ErrorCode::kCancelled, "interrupted"));
    auto r = transport->Perform(Get(server.Url("/big")), sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kCancelled);
    CHECK(r.error().message() == "interrupted");
    CHECK(sink.heads == 1);
    CHECK(sink.chunks == 0);
  }
  SECTION("from OnHead when there is no body") {
    LocalServer empty([](httplib::Server& s) {
      s.Get("/none", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    });
    FailingSink sink(0, Error(ErrorCode::kCancelled, "no thanks"));
    auto r = transport->Perform(Get(empty.Url("/none")), sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "no thanks");
  }
  // The handle is still usable after an aborted transfer.
  StringSink next;
  auto after = transport->Perform(Get(server.Url("/small")), next);
  REQUIRE(after);
  CHECK(next.body() == "small");
}

TEST_CASE("a body larger than the StringSink cap fails with kRemote naming the cap", "[http][curl]") {
  LocalServer server([](httplib::Server& s) {
    s.Get("/json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5000, 'j'), "application/octet-stream");
    });
  });
  auto transport = MakeTransport();
  StringSink sink(4096);
  auto r = transport->Perform(Get(server.Url("/json")), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kRemote);
  CHECK(r.error().message().find("4096") != std::string::npos);
}

TEST_CASE("a response without a body still delivers the head exactly once", "[http][curl]") {
  LocalServer server([](httplib::Server& s) {
    s.Get("/nocontent", [](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("X-Marker", "204");
    });
    s.Get("/emptyok", [](const httplib::Request&, httplib::Response& res) { res.set_header("X-Marker", "200"); });
  });
  auto transport = MakeTransport();
  for (const char* path : {"/nocontent", "/emptyok"}) {
    INFO(path);
    HashingSink sink;
    auto r = transport->Perform(Get(server.Url(path)), sink);
    REQUIRE(r);
    CHECK(sink.heads == 1);
    CHECK(sink.bytes == 0);
    CHECK(r->body_bytes == 0);
    CHECK(FindHeader(sink.head.headers, "x-marker") == std::to_string(r->head.status));
  }
  Request head = Get(server.Url("/emptyok"));
  head.method = "HEAD";
  HashingSink sink;
  auto r = transport->Perform(head, sink);
  REQUIRE(r);
  CHECK(r->head.status == 200);
  CHECK(sink.heads == 1);
}

TEST_CASE("POST, PATCH and DELETE send method, body and headers as given", "[http][curl]") {
  struct Seen {
    std::string method, body, content_type, custom, expect, content_length;
    bool has_content_type = false;
  };
  std::mutex mu;
  std::vector<Seen> seen;
  auto record = [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    seen.push_back({req.method, req.body, req.get_header_value("Content-Type"), req.get_header_value("X-Custom"),
                    req.get_header_value("Expect"), req.get_header_value("Content-Length"),
                    req.has_header("Content-Type")});
    res.set_content("done " + req.method, "application/octet-stream");
  };
  LocalServer server([&](httplib::Server& s) {
    s.Post("/r", record);
    s.Patch("/r", record);
    s.Delete("/r", record);
    s.Get("/r", record);
  });
  auto transport = MakeTransport();
  // Over 1 KiB, where libcurl would otherwise send "Expect: 100-continue" and wait for it.
  const std::string form = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" +
                           std::string(3000, 'A');

  Request post = Get(server.Url("/r"));
  post.method = "POST";
  post.body = form;
  post.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Custom", "one"}};
  Request patch = Get(server.Url("/r"));
  patch.method = "PATCH";
  patch.body = R"({"Status":"Closed"})";
  patch.headers = {{"Content-Type", "application/json"}, {"X-Custom", "two"}};
  Request del = Get(server.Url("/r"));
  del.method = "DELETE";
  Request raw_post = Get(server.Url("/r"));
  raw_post.method = "POST";
  raw_post.body = "no type given";
  Request get_after = Get(server.Url("/r"));  // nothing of the POSTs carries over

  for (const Request* req : {&post, &patch, &del, &raw_post, &get_after}) {
    StringSink sink;
    auto r = transport->Perform(*req, sink);
    REQUIRE(r);
    CHECK(r->head.status == 200);
    CHECK(sink.body() == "done " + req->method);
  }
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == 5);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].body == form);
  CHECK(seen[0].content_type == "application/x-www-form-urlencoded");
  CHECK(seen[0].custom == "one");
  CHECK(seen[0].expect.empty());
  CHECK(seen[1].method == "PATCH");
  CHECK(seen[1].body == R"({"Status":"Closed"})");
  CHECK(seen[1].content_type == "application/json");
  CHECK(seen[1].custom == "two");
  CHECK(seen[2].method == "DELETE");
  CHECK(seen[2].body.empty());
  CHECK(seen[3].method == "POST");
  CHECK(seen[3].body == "no type given");
  CHECK_FALSE(seen[3].has_content_type);  // libcurl's form-urlencoded default is not added
  CHECK(seen[4].method == "GET");
  CHECK(seen[4].body.empty());
  CHECK(seen[4].custom.empty());
}

TEST_CASE("consecutive requests on one Transport reuse the connection", "[http][curl]") {
  std::mutex mu;
  std::vector<int> client_ports;
  LocalServer server([&](httplib::Server& s) {
    s.Get("/k", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      client_ports.push_back(req.remote_port);
      res.set_content("k", "application/octet-stream");
    });
  });
  auto transport = MakeTransport();
  for (int i = 0; i < 3; ++i) {
    StringSink sink;
    REQUIRE(transport->Perform(Get(server.Url("/k")), sink));
  }
  std::lock_guard lock(mu);
  REQUIRE(client_ports.size() == 3);
  CHECK(client_ports[0] == client_ports[1]);
  CHECK(client_ports[1] == client_ports[2]);
}

TEST_CASE("the response reports version, user agent and a wall-clock start", "[http][curl]") {
  std::mutex mu;
  std::string user_agent;
  LocalServer server([&](httplib::Server& s) {
    s.Get("/t", [&](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      user_agent = req.get_header_value("User-Agent");
      res.set_content("t", "application/octet-stream");
    });
  });
  TransportOptions options;
  options.user_agent = "custody/9.9.9-test";
  auto transport = MakeTransport(options);
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  StringSink sink;
  auto r = transport->Perform(Get(server.Url("/t")), sink);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  REQUIRE(r);
  CHECK(r->http_version == "1.1");
  CHECK(r->timing.started_unix_ms >= before);
  CHECK(r->timing.started_unix_ms <= after);
  CHECK(r->timing.first_byte_ms >= 0);
  CHECK(r->timing.total_ms >= r->timing.first_byte_ms);
  std::lock_guard lock(mu);
  CHECK(user_agent == "custody/9.9.9-test");
}

TEST_CASE("URLs the policy refuses fail with kInvalidArgument before any connection", "[http][curl][policy]") {
  auto transport = MakeTransport();
  for (const char* url : {"http://192.0.2.1/", "ftp://127.0.0.1/", "file:///etc/passwd", "http://example.com/x",
                          "not a url"}) {
    INFO(url);
    HashingSink sink;
    auto r = transport->Perform(Get(url), sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
    CHECK(sink.heads == 0);
  }
}

TEST_CASE("http to localhost and the loopback addresses passes the policy", "[http][curl][policy]") {
  LocalServer server([](httplib::Server& s) {
    s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content("hi", "text/plain"); });
  });
  auto transport = MakeTransport();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    INFO(host);
    StringSink sink;
    auto r = transport->Perform(Get("http://" + host + ":" + std::to_string(server.port()) + "/"), sink);
    REQUIRE(r);
    CHECK(sink.body() == "hi");
  }
  // The server listens on IPv4 only: [::1] gets past the policy and then may or may not connect.
  HashingSink sink;
  auto v6 = transport->Perform(Get("http://[::1]:" + std::to_string(server.port()) + "/"), sink);
  if (!v6) CHECK(v6.error().code() == ErrorCode::kNetwork);
}

TEST_CASE("a refused connection is a kNetwork error saying so", "[http][curl]") {
  RefusingPort port;
  auto transport = MakeTransport();
  HashingSink sink;
  auto r = transport->Perform(Get(port.Url("/x")), sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  INFO(r.error().message());
  CHECK(r.error().message().find("GET " + port.Url("/x")) != std::string::npos);
  CHECK(r.error().message().find("connection failed") != std::string::npos);
}

TEST_CASE("a server that stops sending fails on the stall timeout", "[http][curl][slow]") {
  RawServer server([](int fd, const std::string&) {
    // One body byte: enough to show the partial body reached the sink; more would keep
    // libcurl's averaged speed above 1 byte/s for longer.
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\ns");
    WaitForPeer(fd, std::chrono::seconds(20));  // until the client gives up
  });
  auto transport = MakeTransport();
  Request req = Get(server.Url("/stall"));
  req.stall_timeout = std::chrono::seconds(1);
  HashingSink sink;
  auto r = transport->Perform(req, sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  INFO(r.error().message());
  CHECK(r.error().message().find("timed out") != std::string::npos);
  CHECK(sink.heads == 1);
  CHECK(sink.bytes == 1);
}

TEST_CASE("the whole-request timeout ends a transfer that is still trickling", "[http][curl][slow]") {
  RawServer server([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
    for (int i = 0; i < 100; ++i) {
      if (!SendAll(fd, "x")) return;
      WaitForPeer(fd, std::chrono::milliseconds(100));
    }
  });
  auto transport = MakeTransport();
  Request req = Get(server.Url("/trickle"));
  req.timeout = std::chrono::milliseconds(700);
  HashingSink sink;
  auto r = transport->Perform(req, sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(r.error().message().find("timed out") != std::string::npos);
}

TEST_CASE("Authorization values and request bodies never appear in error messages", "[http][curl]") {
  RawServer truncating([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort");
  });
  RawServer stalling([](int fd, const std::string&) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n");
    WaitForPeer(fd, std::chrono::seconds(20));
  });
  RefusingPort refusing;
  auto transport = MakeTransport();
  std::vector<Request> requests;
  for (const std::string& url :
       {truncating.Url("/a"), stalling.Url("/b"), refusing.Url("/c"), std::string("http://192.0.2.1/d")}) {
    Request req = Get(url);
    req.method = "POST";
    req.body = "client_secret=BODYSECRET";
    req.headers = {{"Authorization", kSecret}, {"Content-Type", "application/x-www-form-urlencoded"}};
    req.stall_timeout = std::chrono::seconds(1);
    requests.push_back(req);
  }
  Request injected = Get(truncating.Url("/e"));
  injected.headers = {{"Authorization", std::string(kSecret) + "\r\nX-Injected: 1"}};
  requests.push_back(injected);
  Request bad_name = Get(truncating.Url("/f"));
  bad_name.headers = {{"Authorization: " + std::string(kSecret), "x"}};
  requests.push_back(bad_name);

  for (const Request& req : requests) {
    HashingSink sink;
    auto r = transport->Perform(req, sink);
    REQUIRE_FALSE(r);
    INFO(r.error().message());
    CHECK(r.error().message().find("SECRET") == std::string::npos);
    CHECK(r.error().message().find("00Dxx") == std::string::npos);
  }
}

TEST_CASE("header values with line breaks and malformed methods are refused with kInvalidArgument", "[http][curl]") {
  RawServer server([](int fd, const std::string&) { SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); });
  auto transport = MakeTransport();
  Request injected = Get(server.Url("/"));
  injected.headers = {{"X-Value", "a\r\nX-Evil: 1"}};
  Request bad_method = Get(server.Url("/"));
  bad_method.method = "GET /other HTTP/1.1\r\n";
  Request empty_method = Get(server.Url("/"));
  empty_method.method = "";
  for (const Request* req : {&injected, &bad_method, &empty_method}) {
    HashingSink sink;
    auto r = transport->Perform(*req, sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  }
  CHECK(server.requests() == 0);
}

TEST_CASE("MakeCurlTransport refuses a CA file it cannot read", "[http][curl]") {
  TransportOptions options;
  options.ca_file = "/nonexistent/custody-ca.pem";
  auto t = MakeCurlTransport(options);
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == ErrorCode::kInvalidArgument);
  CHECK(t.error().message().find("/nonexistent/custody-ca.pem") != std::string::npos);
}

TEST_CASE("transports on several threads work independently", "[http][curl]") {
  LocalServer server([](httplib::Server& s) {
    s.Get("/p", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("echo " + req.get_param_value("n"), "application/octet-stream");
    });
  });
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&, n] {
      auto t = MakeCurlTransport({});
      if (!t) return;
      for (int i = 0; i < 5; ++i) {
        StringSink sink;
        auto r = (*t)->Perform(Get(server.Url("/p?n=" + std::to_string(n))), sink);
        if (r && sink.body() == "echo " + std::to_string(n)) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok == 20);
}
