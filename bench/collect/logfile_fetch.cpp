// bench/collect/logfile_fetch.cpp: downloads one EventLogFile LogFile exactly as `custody collect
// salesforce` does, and nothing else: custody's own libcurl transport (http::MakeCurlTransport,
// the options the collector uses) streaming into a capture::CaptureFile (written to disk and
// SHA-256-hashed while it streams, fsync'd, with its JSON sidecar), then the byte count is
// checked against LogFileLength. No token grant, no listing, no normalization, no sealing: the
// "raw download with hashing" of bench/collect/README.md, timed against `curl -o FILE`.
//
//   SF_ACCESS_TOKEN=... custody_bench_logfile_fetch URL OUT_DIR [EXPECTED_BYTES]
//
// URL      the LogFile URL (http:// to a loopback host, or https://)
// OUT_DIR  a folder that does not exist yet; the capture goes to OUT_DIR/raw/<name>.csv
// Prints one JSON line on stdout: bytes, sha256, seconds (Perform + Finish), the transport's
// timing. Exit status 0 on HTTP 200 with the expected byte count, 1 otherwise, 2 for usage.
//
// Built only on request (never by the default build), see bench/collect/CMakeLists.txt.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "capture/capture.h"
#include "http/transport.h"

namespace {

int Fail(const std::string& what) {
  std::cerr << "logfile_fetch: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace custody;
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: SF_ACCESS_TOKEN=... " << argv[0] << " URL OUT_DIR [EXPECTED_BYTES]\n";
    return 2;
  }
  const std::string url = argv[1];
  const std::filesystem::path root = argv[2];
  const char* token = std::getenv("SF_ACCESS_TOKEN");
  if (token == nullptr || *token == '\0') {
    std::cerr << "logfile_fetch: SF_ACCESS_TOKEN is not set\n";
    return 2;
  }
  std::uint64_t expected = 0;
  bool check_length = argc == 4;
  if (check_length) expected = std::strtoull(argv[3], nullptr, 10);
  if (std::filesystem::exists(root)) {
    std::cerr << "logfile_fetch: " << root << " exists\n";
    return 2;
  }
  if (Status s = http::CheckUrlPolicy(url); !s) return Fail(s.error().message());

  // The collector's transport options (apps/custody/cmd_collect.cpp): the defaults, gzip asked
  // for and decoded, its own User-Agent.
  http::TransportOptions options;
  options.user_agent = "custody/bench-logfile-fetch";
  auto transport = http::MakeCurlTransport(options);
  if (!transport) return Fail(transport.error().message());

  // The request the collector builds for a LogFile (lib/connectors/salesforce/collector.cpp and
  // client.cpp): a GET with only the bearer token added.
  http::Request request;
  request.url = url;
  http::Request sent = request;
  sent.headers.emplace_back("Authorization", std::string("Bearer ") + token);

  const auto t0 = std::chrono::steady_clock::now();
  auto capture = capture::CaptureFile::Create(root, "raw", "logfile.csv");
  if (!capture) return Fail(capture.error().message());
  auto response = (*transport)->Perform(sent, **capture);
  if (!response) {
    Status fin = (*capture)->Finish(request, {"salesforce", "exports", "EventLogFile", "log-file", "", 0, 1}, nullptr,
                                    response.error().message());
    (void)fin;
    return Fail(response.error().message());
  }
  Status fin = (*capture)->Finish(request, {"salesforce", "exports", "EventLogFile", "log-file", "", 0, 1},
                                  &*response, "");
  const auto t1 = std::chrono::steady_clock::now();
  if (!fin) return Fail(fin.error().message());
  const double seconds = std::chrono::duration<double>(t1 - t0).count();
  const std::uint64_t bytes = (*capture)->bytes();
  std::printf(
      "{\"status\":%d,\"bytes\":%llu,\"wire_bytes\":%llu,\"content_encoding\":\"%s\",\"sha256\":\"%s\","
      "\"seconds\":%.6f,\"transport_total_ms\":%lld,\"first_byte_ms\":%lld,\"path\":\"%s\"}\n",
      response->head.status, static_cast<unsigned long long>(bytes),
      static_cast<unsigned long long>(response->wire_bytes), response->content_encoding.c_str(),
      (*capture)->sha256().c_str(), seconds, static_cast<long long>(response->timing.total_ms),
      static_cast<long long>(response->timing.first_byte_ms), (*capture)->path().c_str());
  if (response->head.status != 200) return Fail("HTTP " + std::to_string(response->head.status));
  if (check_length && bytes != expected) {
    return Fail(std::to_string(bytes) + " bytes received, LogFileLength says " + std::to_string(expected));
  }
  return 0;
}
