#include "connectors/common/clock_probe.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>

#include "capture/capture.h"
#include "connectors/common/session.h"

namespace custody::connectors {

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::int64_t ClockCorrectionFor(std::int64_t skew_ms) {
  if (skew_ms > -kMinClockCorrectionMs && skew_ms < kMinClockCorrectionMs) return 0;
  const std::int64_t half = skew_ms >= 0 ? 500 : -500;
  return (skew_ms + half) / 1000 * 1000;
}

ClockProbeResult ProbeClock(const std::filesystem::path& payload_root, const std::string& source, const std::string& url,
                            const http::Headers& headers, const http::TransportOptions& transport, int samples) {
  ClockProbeResult r;
  r.source = source;
  r.url = url;
  auto t = http::MakeCurlTransport(transport);
  if (!t) {
    r.error = t.error().message();
    return r;
  }
  std::vector<std::int64_t> skews;
  for (int i = 1; i <= samples; ++i) {
    auto cap = capture::CaptureFile::Create(payload_root, "raw/" + source + "/clock", "probe-" + std::to_string(i));
    if (!cap) {
      r.error = cap.error().message();
      break;
    }
    http::Request req;
    req.url = url;
    req.headers = headers;
    req.timeout = std::chrono::seconds(30);
    auto resp = (*t)->Perform(req, **cap);
    const std::int64_t received = NowMs();
    capture::Purpose purpose{source, "clock", "", "clock-probe", "", static_cast<std::uint64_t>(i), 1};
    Status finished = (*cap)->Finish(req, purpose, resp ? &*resp : nullptr, resp ? "" : resp.error().message());
    r.captures.push_back((*cap)->bag_path());
    if (!finished) {
      r.error = finished.error().message();
      break;
    }
    if (!resp) {
      r.error = resp.error().message();
      continue;
    }
    auto date = http::FindHeader(resp->head.headers, "Date");
    auto server = date ? ParseHttpDateMs(*date) : std::nullopt;
    if (!server) {
      r.error = url + " answered without a readable Date header";
      continue;
    }
    skews.push_back(*server + 500 - received);
  }
  if (skews.empty()) return r;
  std::sort(skews.begin(), skews.end());
  r.samples = skews.size();
  r.skew_ms = skews[skews.size() / 2];
  r.correction_ms = ClockCorrectionFor(r.skew_ms);
  r.error.clear();
  return r;
}

std::string ClockProbesJson(const std::vector<ClockProbeResult>& probes) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const auto& p : probes) {
    w.StartObject();
    w.Key("source");
    w.String(p.source.c_str());
    w.Key("url");
    w.String(p.url.c_str());
    w.Key("samples");
    w.Uint64(p.samples);
    w.Key("skew_ms");
    if (p.samples > 0) w.Int64(p.skew_ms); else w.Null();
    w.Key("correction_ms");
    w.Int64(p.correction_ms);
    w.Key("captures");
    w.StartArray();
    for (const auto& c : p.captures) w.String(c.c_str());
    w.EndArray();
    w.Key("error");
    if (p.error.empty()) w.Null(); else w.String(p.error.c_str());
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace custody::connectors
