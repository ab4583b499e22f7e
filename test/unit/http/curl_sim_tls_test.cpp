// The libcurl transport against the real custody-sim over HTTPS: certificate verification,
// gzip-encoded LogFile downloads and a connection dropped mid-body by the simulator.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "http/transport.h"
#include "support/sim_process.h"
#include "unit/http/http_test_servers.h"

using custody::ErrorCode;
using custody::http::MakeCurlTransport;
using custody::http::Request;
using custody::http::StringSink;
using custody::http::TransportOptions;
using custody::http::UrlEncode;
using custody::http::test::HashingSink;
using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {

std::vector<std::string> TlsArgs(std::vector<std::string> extra = {}) {
  auto args = DeterministicArgs();
  args.push_back("--tls");
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::unique_ptr<custody::http::Transport> TrustingTransport(const SimProcess& sim) {
  TransportOptions options;
  options.ca_file = sim.Get("ca_file");
  auto t = MakeCurlTransport(options);
  REQUIRE(t);
  return std::move(*t);
}

Request AuthedGet(const SimProcess& sim, const std::string& path_and_query) {
  Request r;
  r.url = sim.Get("instance_url") + path_and_query;
  r.headers = {{"Authorization", "Bearer " + sim.Get("access_token")}, {"Accept", "application/json"}};
  return r;
}

struct LogFile {
  std::string url;
  std::uint64_t length = 0;
};

std::vector<LogFile> ListLogFiles(const SimProcess& sim, custody::http::Transport& transport) {
  StringSink sink;
  auto r = transport.Perform(
      AuthedGet(sim, sim.ApiPath("query") + "?q=" + UrlEncode("SELECT Id, LogFile, LogFileLength FROM EventLogFile")),
      sink);
  REQUIRE(r);
  INFO(sink.body().substr(0, 300));
  REQUIRE(r->head.status == 200);
  rapidjson::Document d;
  d.Parse(sink.body().c_str());
  REQUIRE_FALSE(d.HasParseError());
  std::vector<LogFile> files;
  for (const auto& rec : d["records"].GetArray()) {
    files.push_back({rec["LogFile"].GetString(), static_cast<std::uint64_t>(rec["LogFileLength"].GetDouble())});
  }
  REQUIRE_FALSE(files.empty());
  return files;
}

}  // namespace

TEST_CASE("https to custody-sim --tls succeeds with its CA file", "[http][curl][tls][sim]") {
  SimProcess sim(TlsArgs());
  REQUIRE(sim.startup()["ca_file"].IsString());
  REQUIRE(sim.Get("instance_url").rfind("https://", 0) == 0);
  auto transport = TrustingTransport(sim);
  Request req;
  req.url = sim.Get("instance_url") + "/services/data/";
  StringSink sink;
  auto r = transport->Perform(req, sink);
  REQUIRE(r);
  CHECK(r->head.status == 200);
  CHECK(sink.body().find("\"version\"") != std::string::npos);
  CHECK_FALSE(r->http_version.empty());
}

TEST_CASE("https to custody-sim --tls without its CA fails verification with kNetwork", "[http][curl][tls][sim]") {
  SimProcess sim(TlsArgs());
  auto transport = MakeCurlTransport({});
  REQUIRE(transport);
  Request req = AuthedGet(sim, "/services/data/");
  HashingSink sink;
  auto r = (*transport)->Perform(req, sink);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  INFO(r.error().message());
  CHECK(r.error().message().find("certificate verify failed") != std::string::npos);
  CHECK(r.error().message().find(sim.Get("instance_url")) != std::string::npos);
  CHECK(r.error().message().find(sim.Get("access_token")) == std::string::npos);
  CHECK(sink.heads == 0);
}

TEST_CASE("gzip-encoded LogFiles from custody-sim over https decode to LogFileLength bytes", "[http][curl][tls][sim]") {
  SimProcess sim(TlsArgs({"--gzip", "always"}));
  auto transport = TrustingTransport(sim);
  const auto files = ListLogFiles(sim, *transport);
  for (size_t i = 0; i < std::min<size_t>(files.size(), 3); ++i) {
    INFO(files[i].url);
    HashingSink sink;
    auto r = transport->Perform(AuthedGet(sim, files[i].url), sink);
    REQUIRE(r);
    CHECK(r->head.status == 200);
    CHECK(r->content_encoding == "gzip");
    CHECK(r->body_bytes == files[i].length);
    CHECK(sink.bytes == files[i].length);
    CHECK(r->wire_bytes > 0);
    CHECK(r->wire_bytes < files[i].length);
  }
}

TEST_CASE("a LogFile connection custody-sim drops halfway is a kNetwork error", "[http][curl][tls][sim]") {
  // Call 1 lists the files, call 2 downloads one and is dropped, call 3 downloads it whole.
  SimProcess sim(TlsArgs({"--gzip", "never", "--fault", "drop@2"}));
  auto transport = TrustingTransport(sim);
  const auto files = ListLogFiles(sim, *transport);
  HashingSink dropped;
  auto r = transport->Perform(AuthedGet(sim, files[0].url), dropped);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kNetwork);
  CHECK(r.error().message().find("GET " + sim.Get("instance_url") + files[0].url) != std::string::npos);
  CHECK(dropped.bytes < files[0].length);

  HashingSink whole;
  auto again = transport->Perform(AuthedGet(sim, files[0].url), whole);
  REQUIRE(again);
  CHECK(again->body_bytes == files[0].length);
}
