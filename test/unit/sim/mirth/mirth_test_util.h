#pragma once
// Starts a MirthServer in-process on port 0 (Run in a thread) for the sim-mirth tests, with small
// helpers to log in, read event lists and format Mirth query dates.

#include <catch2/catch.hpp>
#include <httplib.h>

#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "mirth/mirth_data.h"
#include "mirth/mirth_server.h"
#include "mirth/mirth_xml.h"

namespace custody::sim::mirth::test {

constexpr TimeMs kStart = 1772323200000;  // 2026-03-01T00:00:00Z

inline MirthOptions BaseOptions() {
  MirthOptions o;
  o.common.seed = 7;
  o.common.start = kStart;
  o.common.days = 7;
  o.common.frozen_now = true;
  o.common.now = kStart + 8 * 86400000LL;
  o.events = 300;
  o.channels = 2;
  o.messages_per_channel = 12;
  return o;
}

class Running {
 public:
  explicit Running(MirthOptions o) {
    auto r = MirthServer::Create(std::move(o));
    if (!r) FAIL("MirthServer::Create: " << r.error().message());
    server_ = std::move(*r);
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~Running() {
    server_->Stop();
    thread_.join();
  }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  MirthServer& server() { return *server_; }
  // A client that sends X-Requested-With (what every Mirth client must do since 3.12).
  std::unique_ptr<httplib::Client> Client(bool requested_with = true) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_connection_timeout(5);
    c->set_read_timeout(20);
    if (requested_with) c->set_default_headers({{"X-Requested-With", "custody-test"}});
    return c;
  }
  // Logs in (admin/admin) and returns the Cookie header value "JSESSIONID=...".
  std::string Login(httplib::Client& c, const std::string& user = "admin", const std::string& password = "admin") {
    auto res = c.Post("/api/users/_login", httplib::Params{{"username", user}, {"password", password}});
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const std::string set_cookie = res->get_header_value("Set-Cookie");
    const size_t semi = set_cookie.find(';');
    return set_cookie.substr(0, semi);
  }

 private:
  std::unique_ptr<MirthServer> server_;
  std::thread thread_;
};

inline httplib::Headers Cookie(const std::string& cookie) { return {{"Cookie", cookie}}; }

// "yyyy-MM-ddTHH:mm:ss.SSS-0700" for an instant.
inline std::string MirthDate(TimeMs t, int offset_minutes = -420) {
  const TimeMs local = t + static_cast<TimeMs>(offset_minutes) * 60000;
  const time_t secs = static_cast<time_t>(local / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  const int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(out, sizeof out, "%s.%03d%c%02d%02d", buf, static_cast<int>(local % 1000), offset_minutes < 0 ? '-' : '+',
                off / 60, off % 60);
  return out;
}

struct Row {
  int64_t id = 0;
  TimeMs time = 0;
  TimeMs date_time = 0;
  std::string level, name, outcome, ip, user_id, server_id;
  const XmlNode* node = nullptr;
};

// Parses a <list> of events; the rows point into `list`, which must outlive them.
inline std::vector<Row> Rows(const XmlNode& list) {
  std::vector<Row> out;
  for (const XmlNode& e : list.children) {
    Row r;
    r.node = &e;
    r.id = std::stoll(e.Find("id")->text);
    r.time = std::stoll(e.Find("eventTime")->Find("time")->text);
    r.date_time = std::stoll(e.Find("dateTime")->text);
    r.level = e.Find("level")->text;
    r.name = e.Find("name")->text;
    r.outcome = e.Find("outcome")->text;
    r.ip = e.Find("ipAddress")->text;
    r.user_id = e.Find("userId")->text;
    r.server_id = e.Find("serverId")->text;
    out.push_back(r);
  }
  return out;
}

inline XmlNode ParseOrFail(const std::string& body) {
  auto doc = ParseXml(body);
  if (!doc) FAIL("not XML: " << doc.error().message() << "\n" << body.substr(0, 400));
  return *doc;
}

}  // namespace custody::sim::mirth::test
