// `custody collect mirth` when things go wrong: refused and locked-out logins, a server still
// starting, sessions expiring mid-sweep, 5xx and dropped connections, HTML where JSON was
// expected, and a wrong base URL. Each either completes with nothing lost or says exactly why not.

#include <catch2/catch.hpp>

#include <set>

#include "e2e/ehr/mirth_support.h"

namespace custody::test::mirth {
namespace {

constexpr const char* kPassword = "Mirth-S3cret-pw!";

std::vector<std::string> SimArgs(std::vector<std::string> extra) {
  std::vector<std::string> a = DeterministicArgs("11");
  a.insert(a.end(), {"--mirth", "--mirth-password", kPassword, "--mirth-channels", "1", "--mirth-messages", "5"});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

bool WorkFolderLeft(const Harness& h) {
  for (const auto& e : std::filesystem::directory_iterator(h.dir().path())) {
    const std::string name = e.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".work") == 0) return true;
  }
  return false;
}

TEST_CASE("mirth: a wrong password exits 5 with Mirth's answer and never the password", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "20"}));
  Setup s;
  s.password = "Wrong-Pa55word";
  Collected c = h.Run(s);
  CHECK(c.cli.code == 5);
  CHECK_FALSE(c.has_bundle());
  CHECK_FALSE(WorkFolderLeft(h));
  CHECK(c.cli.err.find("FAIL") != std::string::npos);
  CHECK(c.cli.err.find(h.M("username")) != std::string::npos);
  CHECK(c.cli.err.find("Wrong-Pa55word") == std::string::npos);
  CHECK(c.cli.out.find("Wrong-Pa55word") == std::string::npos);

  SECTION("basic auth too") {
    Setup b = s;
    b.auth = "basic";
    Collected cb = h.Run(b);
    CHECK(cb.cli.code == 5);
    CHECK_FALSE(cb.has_bundle());
    CHECK(cb.cli.err.find("Wrong-Pa55word") == std::string::npos);
    CHECK(cb.cli.err.find("401") != std::string::npos);
  }
}

TEST_CASE("mirth: a locked-out account is reported as Mirth words it", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "20", "--mirth-lockout-failures", "1", "--mirth-lockout-seconds", "600"}));
  Setup bad;
  bad.password = "Wrong-Pa55word";
  REQUIRE(h.Run(bad).cli.code == 5);
  Collected c = h.Run(Setup{});
  CHECK(c.cli.code == 5);
  CHECK_FALSE(c.has_bundle());
  CHECK(c.cli.err.find("FAIL_LOCKED_OUT") != std::string::npos);
  CHECK(c.cli.err.find("locked") != std::string::npos);
  CHECK(c.cli.err.find(kPassword) == std::string::npos);
}

TEST_CASE("mirth: a server still starting is waited for, within the attempts", "[mirth]") {
  SECTION("it comes up") {
    Harness h(SimArgs({"--mirth-events", "30", "--mirth-starting-logins", "2"}));
    Collected c = h.Run(Setup{});
    INFO(c.cli.out << c.cli.err);
    REQUIRE(c.cli.code == 0);
    const auto& grants = c.Source()["auth"]["grants"];
    REQUIRE(grants.Size() == 3);
    CHECK(Str(grants[0], "error").find("still starting") != std::string::npos);
    CHECK(grants[2]["http_status"].GetInt() == 200);
    CHECK(c.Captures("auth").size() == 4);  // three logins and the logout
  }
  SECTION("it does not: a clear failure") {
    Harness h(SimArgs({"--mirth-events", "30", "--mirth-starting-logins", "10"}));
    Setup s;
    s.extra = {"--max-attempts", "2"};
    Collected c = h.Run(s);
    CHECK(c.cli.code == 1);
    CHECK_FALSE(c.has_bundle());
    CHECK(c.cli.err.find("still starting") != std::string::npos);
  }
}

TEST_CASE("mirth: sessions expiring mid-sweep are renewed and the page repeated, no gap", "[mirth]") {
  const std::string how = GENERATE(std::string("requests"), std::string("fault"));
  std::vector<std::string> extra = {"--mirth-events", "200"};
  if (how == "requests") {
    extra.insert(extra.end(), {"--mirth-session-requests", "4"});
  } else {
    extra.insert(extra.end(), {"--mirth-fault", "expire@6"});
  }
  Harness h(SimArgs(extra));
  Setup s;
  s.extra = {"--page-size", "30"};
  Collected c = h.Run(s);
  INFO(how << "\n" << c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  CHECK(h.Verify(c.bundle) == 0);
  CHECK(c.Source()["auth"]["grants"].Size() >= 2);
  const auto& events = c.Item("server-events", "ServerEvent");
  CHECK(Str(events, "status") == "complete");
  CHECK(events["received"].GetUint64() == 200);
  CHECK(events["expected"].GetUint64() == 200);
  std::set<std::string> ids;
  for (const auto& r : c.Records("server-events")) ids.insert(r["correlation"]["event_id"].GetString());
  CHECK(ids.size() == 200);
}

TEST_CASE("mirth: 500, 503 and a dropped connection are retried, every attempt is kept", "[mirth]") {
  // Session mode request numbers: 1 login, 2 version, 3 users/current, 4 maxEventId, 5 count,
  // 6 the first page.
  Harness h(SimArgs({"--mirth-events", "80", "--mirth-fault", "500@6", "--mirth-fault", "503@7", "--mirth-fault",
                     "drop@8"}));
  Setup s;
  s.streams = "server-events";
  s.extra = {"--page-size", "50"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  CHECK(h.Verify(c.bundle) == 0);
  const auto& events = c.Item("server-events", "ServerEvent");
  CHECK(events["received"].GetUint64() == 80);
  std::set<std::string> names;
  for (const auto& p : c.Captures("server-events")) names.insert(p.filename().string());
  CHECK(names.count("page-000001.json") == 1);
  CHECK(names.count("page-000001.attempt-2.json") == 1);
  CHECK(names.count("page-000001.attempt-3.json") == 1);
  CHECK(names.count("page-000001.attempt-4.json") == 1);
}

TEST_CASE("mirth: HTML where JSON was expected is a named gap with the page kept", "[mirth]") {
  // 403 with Jetty's HTML page on the second event page: not retried, not parsed as events.
  Harness h(SimArgs({"--mirth-events", "80", "--mirth-fault", "403@7"}));
  Setup s;
  s.streams = "server-events";
  s.extra = {"--page-size", "50"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  CHECK(c.cli.code == 4);
  REQUIRE(c.has_bundle());
  CHECK(h.Verify(c.bundle) == 0);
  const auto& events = c.Item("server-events", "ServerEvent");
  CHECK(Str(events, "status") == "incomplete");
  const std::string gaps = AllGaps(events);
  CHECK(gaps.find("HTTP 403") != std::string::npos);
  CHECK(gaps.find("text/html") != std::string::npos);
  CHECK(gaps.find("/events?") != std::string::npos);
  CHECK(events["received"].GetUint64() == 50);
  bool kept = false;
  for (const auto& p : c.Captures("server-events")) {
    kept = kept || (p.filename() == "page-000002.json" && ReadFile(p).find("<html") != std::string::npos);
  }
  CHECK(kept);
  CHECK(c.cli.out.find("INCOMPLETE") != std::string::npos);
}

TEST_CASE("mirth: a wrong base URL is a clear usage error and leaves nothing behind", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "20"}));
  const std::string api = h.M("base_url");
  const std::string root = api.substr(0, api.size() - 4);  // without "/api"
  const std::string mode = GENERATE(std::string("session"), std::string("basic"));
  Setup s;
  s.auth = mode;
  s.base_url = root;
  Collected c = h.Run(s);
  INFO(mode << "\n" << c.cli.err);
  CHECK(c.cli.code == 2);
  CHECK_FALSE(c.has_bundle());
  CHECK_FALSE(WorkFolderLeft(h));
  CHECK(c.cli.err.find(root) != std::string::npos);
  CHECK(c.cli.err.find("404") != std::string::npos);
  CHECK(c.cli.err.find("--base-url") != std::string::npos);
  CHECK(c.cli.err.find(kPassword) == std::string::npos);

  SECTION("nothing listening") {
    Setup n = s;
    n.base_url = "http://127.0.0.1:1/api";
    n.extra = {"--max-attempts", "2"};
    Collected cn = h.Run(n);
    CHECK(cn.cli.code == 1);
    CHECK_FALSE(cn.has_bundle());
    CHECK(cn.cli.err.find("127.0.0.1:1") != std::string::npos);
  }
}

TEST_CASE("mirth: the password is only read from MIRTH_PASSWORD", "[mirth]") {
  Harness h(SimArgs({"--mirth-events", "5"}));
  Setup s;
  s.password = "";
  Collected c = h.Run(s);
  CHECK(c.cli.code == 2);
  CHECK(c.cli.err.find("MIRTH_PASSWORD") != std::string::npos);
  CHECK_FALSE(WorkFolderLeft(h));
}

}  // namespace
}  // namespace custody::test::mirth
