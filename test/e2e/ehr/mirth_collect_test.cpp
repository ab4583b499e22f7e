// `custody collect mirth` end to end against custody-sim --mirth: both auth modes, the frozen
// maxEventId sweep, Mirth's JSON quirks, eventTime as the event time, message metadata only,
// the collector's own activity, and no secret anywhere in the bundle.

#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "core/encoding.h"
#include "e2e/ehr/mirth_support.h"
#include "normalize/ehr_time.h"

namespace custody::test::mirth {
namespace {

constexpr const char* kPassword = "Mirth-S3cret-pw!";

std::vector<std::string> SimArgs(std::vector<std::string> extra) {
  std::vector<std::string> a = DeterministicArgs("7");
  a.insert(a.end(), {"--mirth", "--mirth-password", kPassword});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::string Date(std::int64_t ms) { return normalize::FormatUtcMs(ms); }

// Every raw byte of the bundle, for secret scans.
std::string TarBytes(const Collected& c) { return ReadFile(c.bundle); }

void RequireNoSecrets(const Collected& c, const std::string& username) {
  const std::string tar = TarBytes(c);
  CHECK(tar.find(kPassword) == std::string::npos);
  CHECK(tar.find("JSESSIONID=") == std::string::npos);
  const std::string pair = username + ":" + kPassword;
  CHECK(tar.find(Base64Encode(AsBytes(pair))) == std::string::npos);
  CHECK(c.cli.out.find(kPassword) == std::string::npos);
  CHECK(c.cli.err.find(kPassword) == std::string::npos);
}

TEST_CASE("mirth: session login collects every event in the window, verifiable and secret-free", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "250", "--mirth-channels", "2", "--mirth-messages", "30"}));
  Setup s;
  s.extra = {"--page-size", "100"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  REQUIRE(c.has_bundle());
  CHECK(h.Verify(c.bundle) == 0);

  const auto& src = c.Source();
  CHECK(Str(src, "type") == "mirth");
  CHECK(Str(src, "collector_identity") == h.M("username"));
  CHECK(src["complete"].GetBool());
  const auto& grants = src["auth"]["grants"];
  REQUIRE(grants.Size() == 1);
  CHECK(Str(grants[0], "grant_type") == "mirth-session-login");
  CHECK(grants[0]["http_status"].GetInt() == 200);

  const auto& events = c.Item("server-events", "ServerEvent");
  INFO(AllGaps(events));
  CHECK(Str(events, "status") == "complete");
  REQUIRE(events["expected"].IsUint64());
  // Every generated event lies in the data window; the collector's login (at the frozen now,
  // 2026-04-10) does not.
  CHECK(events["expected"].GetUint64() == 250);
  CHECK(events["received"].GetUint64() == 250);
  CHECK(events["pages"].GetUint64() == 3);
  CHECK(c.Details()["max_event_id"].IsInt64());
  CHECK(Str(c.Details(), "server_timezone") == "Etc/UTC");
  const auto& window = c.Details()["window_parameters"];
  CHECK(Str(window, "startDate") == "2026-04-01T00:00:00.000+0000");
  CHECK(Str(window, "endDate") == "2026-04-07T23:59:59.999+0000");

  auto records = c.Records("server-events");
  CHECK(records.size() == 250);
  std::set<std::string> ids;
  for (const auto& r : records) {
    ids.insert(r["correlation"]["event_id"].GetString());
    CHECK(Str(r, "source") == "mirth:mirth");
  }
  CHECK(ids.size() == 250);

  // Messages: every channel complete, metadata only (no HL7 content in any capture).
  const auto& channels = h.Mirth()["channels"];
  REQUIRE(channels.Size() == 2);
  for (const auto& ch : channels.GetArray()) {
    const auto& item = c.Item("messages", std::string("messages:") + ch["id"].GetString());
    INFO(AllGaps(item));
    CHECK(Str(item, "status") == "complete");
    CHECK(item["expected"].GetUint64() == item["received"].GetUint64());
    CHECK(Str(item, "request").find("includeContent=false") != std::string::npos);
  }
  for (const auto& path : c.Captures("messages")) {
    CHECK(ReadFile(path).find("PID|") == std::string::npos);
  }
  CHECK(!c.Records("messages").empty());
  // Login and logout answers are kept like every other answer.
  CHECK(c.Captures("auth").size() == 2);
  RequireNoSecrets(c, h.M("username"));
}

TEST_CASE("mirth: basic auth collects without a session", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "120", "--mirth-channels", "1", "--mirth-messages", "5"}));
  Setup s;
  s.auth = "basic";
  s.extra = {"--page-size", "50"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  CHECK(h.Verify(c.bundle) == 0);
  CHECK(Str(c.Source()["auth"], "mode") == "basic");
  CHECK(c.Source()["auth"]["grants"].Size() == 0);
  const auto& events = c.Item("server-events", "ServerEvent");
  CHECK(events["received"].GetUint64() == 120);
  CHECK(events["expected"].GetUint64() == 120);
  CHECK(c.Captures("auth").empty());
  RequireNoSecrets(c, h.M("username"));
}

TEST_CASE("mirth: 3.12 and 4.2 event shapes both collect completely", "[mirth]") {
  const std::string version = GENERATE(std::string("3.12"), std::string("4.2"));
  Harness h(SimArgs({"--mirth-version", version, "--mirth-events", "150", "--mirth-channels", "2"}));
  Setup s;
  s.streams = "server-events";
  s.extra = {"--page-size", "40"};
  Collected c = h.Run(s);
  INFO(version << "\n" << c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  const auto& events = c.Item("server-events", "ServerEvent");
  CHECK(events["received"].GetUint64() == 150);
  CHECK(c.Records("server-events").size() == 150);
  // 4.2 adds channelId/patientId fields; 3.12 has none (the mapping reads the attributes).
  bool any_42_field = false;
  for (const auto& p : c.Captures("server-events")) {
    any_42_field = any_42_field || ReadFile(p).find("\"channelName\"") != std::string::npos;
  }
  CHECK(any_42_field == (version == "4.2"));
}

TEST_CASE("mirth: a one-event list arrives as an object and is still one record", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "1", "--mirth-channels", "0"}));
  Setup s;
  s.streams = "server-events";
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  const auto& events = c.Item("server-events", "ServerEvent");
  CHECK(events["received"].GetUint64() == 1);
  CHECK(events["expected"].GetUint64() == 1);
  auto records = c.Records("server-events");
  REQUIRE(records.size() == 1);
  const std::string raw_file = records[0]["provenance"]["raw_file"].GetString();
  const std::string page = c.Payload(raw_file);
  CHECK(page.rfind("{\"list\":{\"event\":{", 0) == 0);
  // The record points at the exact bytes of the one object.
  const auto off = records[0]["provenance"]["byte_offset"].GetUint64();
  const auto len = records[0]["provenance"]["byte_length"].GetUint64();
  CHECK(page.substr(off, 1) == "{");
  CHECK(page.substr(off + len - 1, 1) == "}");
  CHECK(off + len + 2 == page.size());  // then "}}"
}

TEST_CASE("mirth: record times come from eventTime, in UTC with the server's zone kept", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "60", "--mirth-channels", "0", "--mirth-timezone", "America/Los_Angeles"}));
  Setup s;
  s.streams = "server-events";
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  CHECK(Str(c.Details(), "server_timezone") == "America/Los_Angeles");
  auto records = c.Records("server-events");
  REQUIRE(records.size() == 60);
  for (const auto& r : records) {
    const std::string page = c.Payload(r["provenance"]["raw_file"].GetString());
    const std::string raw = page.substr(r["provenance"]["byte_offset"].GetUint64(),
                                        r["provenance"]["byte_length"].GetUint64());
    rapidjson::Document e;
    e.Parse(raw.c_str());
    REQUIRE_FALSE(e.HasParseError());
    const std::int64_t event_time = e["eventTime"]["time"].GetInt64();
    const std::int64_t date_time = e["dateTime"].GetInt64();
    // dateTime is when the response was built: months after the April events.
    REQUIRE(date_time != event_time);
    CHECK(Str(r, "@timestamp") == Date(event_time));
    CHECK(Str(r, "timestamp_field") == "eventTime");
    CHECK(Str(r, "timestamp_original").find("America/Los_Angeles") != std::string::npos);
    CHECK(Str(r, "timestamp_original").find(std::to_string(event_time)) != std::string::npos);
  }
}

TEST_CASE("mirth: events appended while the sweep pages are neither duplicated nor missed", "[mirth]") {
  // Three new events before every event-list request, inside the window (the data clock is
  // frozen at 2026-04-10), and a page size that makes several pages.
  Harness h(SimArgs({"--mirth-events", "300", "--mirth-channels", "0", "--mirth-append-every", "1",
                     "--mirth-append-count", "3"}));
  Setup s;
  s.streams = "server-events";
  s.until = "2026-04-11T00:00:00Z";
  s.extra = {"--page-size", "70"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  const auto& events = c.Item("server-events", "ServerEvent");
  INFO(AllGaps(events));
  const std::int64_t frozen = c.Details()["max_event_id"].GetInt64();
  auto records = c.Records("server-events");
  std::set<std::int64_t> ids;
  for (const auto& r : records) {
    const std::int64_t id = std::stoll(r["correlation"]["event_id"].GetString());
    CHECK(id <= frozen);
    ids.insert(id);
  }
  CHECK(ids.size() == records.size());
  CHECK(events["received"].GetUint64() == records.size());
  CHECK(events["expected"].GetUint64() == records.size());

  // The simulator's own count at the frozen maximum, asked now (after more were appended).
  auto client = std::make_unique<httplib::Client>(h.M("base_url").substr(0, h.M("base_url").size() - 4));
  const std::string pair = h.M("username") + ":" + kPassword;
  httplib::Headers headers = {{"X-Requested-With", "test"},
                              {"Accept", "text/plain"},
                              {"Authorization", "Basic " + Base64Encode(AsBytes(pair))}};
  auto count = client->Get(("/api/events/count?startDate=2026-04-01T00:00:00.000%2B0000&endDate=2026-04-10T23:59:59.999%2B0000"
                            "&maxEventId=" + std::to_string(frozen)).c_str(), headers);
  REQUIRE(count);
  REQUIRE(count->status == 200);
  CHECK(std::stoull(count->body) == records.size());
  auto max = client->Get("/api/events/maxEventId", headers);
  REQUIRE(max);
  CHECK(std::stoll(max->body) > frozen);  // events did arrive during the sweep
}

TEST_CASE("mirth: the collector's own login is tagged, the same account's earlier logins are not", "[mirth]") {
  // The data clock follows the wall clock here, as a real server's does: the collector's Login
  // event is stamped now, the generated April events long before.
  Harness h({"--seed", "7", "--start", "2026-04-01T00:00:00Z", "--days", "7", "--mirth", "--mirth-password", kPassword,
             "--mirth-events", "400", "--mirth-channels", "1", "--mirth-messages", "3"});
  const auto now = std::chrono::system_clock::now();
  const std::int64_t until_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() + 3600 * 1000;
  Setup s;
  s.until = Date(until_ms / 1000 * 1000).substr(0, 19) + "Z";
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  int own_logins = 0;
  int earlier_admin_logins = 0;
  for (const auto& r : c.Records("server-events")) {
    if (Str(r, "action") != "login") continue;
    if (!r["actor"]["username"].IsString() || h.M("username") != r["actor"]["username"].GetString()) continue;
    if (Str(r, "@timestamp").rfind("2026-04-0", 0) == 0) {
      ++earlier_admin_logins;
      CHECK_FALSE(r["collector_activity"].GetBool());
    } else {
      ++own_logins;
      CHECK(r["collector_activity"].GetBool());
    }
  }
  CHECK(own_logins == 1);
  CHECK(earlier_admin_logins > 0);
  CHECK(c.Details()["same_user_events_before_collection"].GetUint64() >= static_cast<std::uint64_t>(earlier_admin_logins));
  CHECK(c.Details()["collector_logins"].Size() == 1);
  CHECK(Str(c.Details(), "collector_username") == h.M("username"));
  CHECK(c.Details()["collector_ips"].Size() >= 1);
}

TEST_CASE("mirth: message content only when asked for", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "5", "--mirth-channels", "1", "--mirth-messages", "4"}));
  Setup s;
  s.streams = "messages";
  s.extra = {"--include-content"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  bool content = false;
  for (const auto& p : c.Captures("messages")) content = content || ReadFile(p).find("PID|") != std::string::npos;
  CHECK(content);
  CHECK(c.Details()["include_content"].GetBool());
}

}  // namespace
}  // namespace custody::test::mirth
