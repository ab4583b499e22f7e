// The simulated Mirth server's clock offset (Date headers and every stamped time), the
// users/current and server/version endpoints, and cross-system scenario events injected into the
// event log with their answer-key evidence.
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <limits>
#include <map>
#include <set>

#include "mirth_test_util.h"

namespace custody::sim::mirth::test {
namespace {

TimeMs RealNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "Sun, 06 Nov 1994 08:49:37 GMT" -> epoch ms (-1 when it does not parse).
TimeMs ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return -1;
  return static_cast<TimeMs>(timegm(&tm)) * 1000;
}

struct Session {
  explicit Session(MirthOptions o) : s(std::move(o)), c(s.Client()), cookie(s.Login(*c)) {}
  httplib::Result Get(const std::string& path, const std::string& accept = "application/xml") {
    httplib::Headers h = Cookie(cookie);
    h.emplace("Accept", accept);
    return c->Get(path.c_str(), h);
  }
  std::vector<Row> List(const std::string& query, XmlNode* keep) {
    auto res = Get("/api/events" + query);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    *keep = ParseOrFail(res->body);
    REQUIRE(keep->name == "list");
    return Rows(*keep);
  }
  Running s;
  std::unique_ptr<httplib::Client> c;
  std::string cookie;
};

std::map<std::string, std::string> Attributes(const Row& r) {
  std::map<std::string, std::string> out;
  for (const XmlNode& e : r.node->Find("attributes")->children) out[e.children[0].text] = e.children[1].text;
  return out;
}

// ---- clock offset ----

TEST_CASE("a clock offset moves the Date header and every stamped time but nothing else", "[mirth]") {
  MirthOptions base = BaseOptions();
  MirthOptions ahead = BaseOptions();
  ahead.clock_offset_seconds = 300;
  Session zero(base);
  Session off(ahead);

  auto res = off.Get("/api/events");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  // The Date header is the server's clock: about five minutes ahead of ours.
  const TimeMs date = ParseHttpDate(res->get_header_value("Date"));
  const TimeMs now = RealNow();
  CHECK(date > now + 300000 - 60000);
  CHECK(date < now + 300000 + 60000);
  auto plain = zero.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(plain);
  const TimeMs zero_date = ParseHttpDate(plain->get_header_value("Date"));
  CHECK(zero_date > now - 60000);
  CHECK(zero_date < now + 60000);

  XmlNode zero_doc, off_doc;
  const auto zero_rows = zero.List("", &zero_doc);
  const auto off_rows = off.List("", &off_doc);
  REQUIRE(zero_rows.size() == 301);  // 300 generated + the Login just made
  REQUIRE(off_rows.size() == zero_rows.size());
  for (size_t i = 0; i < zero_rows.size(); ++i) {
    // Same ids, same order, same content; only the stamped time moves.
    CHECK(off_rows[i].id == zero_rows[i].id);
    CHECK(off_rows[i].name == zero_rows[i].name);
    CHECK(off_rows[i].ip == zero_rows[i].ip);
    CHECK(off_rows[i].time == zero_rows[i].time + 300000);
  }
  // The Login just made is stamped at the (frozen) data clock + offset.
  CHECK(off_rows[0].name == "Login");
  CHECK(off_rows[0].time == base.common.now + 300000);
  CHECK(zero_rows[0].time == base.common.now);
  // dateTime is the server's construction time, on its clock.
  CHECK(off_rows[0].date_time > now + 300000 - 60000);
  CHECK(off_rows[0].date_time < now + 300000 + 60000);

  // Date filters are on the server's clock: the zero server's first event time finds nothing ahead.
  const TimeMs first = zero_rows.back().time;
  XmlNode d1, d2;
  CHECK(zero.List("?endDate=" + MirthDate(first, 0), &d1).size() >= 1);
  CHECK(off.List("?endDate=" + MirthDate(first, 0), &d2).empty());

  // Message received dates are stamped by the same clock.
  auto zc = zero.Get("/api/channels/idsAndNames");
  REQUIRE(zc);
  const std::string channel = ParseOrFail(zc->body).children.at(0).children.at(0).text;
  auto zm = zero.Get("/api/channels/" + channel + "/messages?limit=1");
  auto om = off.Get("/api/channels/" + channel + "/messages?limit=1");
  REQUIRE(zm);
  REQUIRE(om);
  const XmlNode zmsg = ParseOrFail(zm->body);
  const XmlNode omsg = ParseOrFail(om->body);
  const TimeMs zt = std::stoll(zmsg.children.at(0).Find("receivedDate")->Find("time")->text);
  const TimeMs ot = std::stoll(omsg.children.at(0).Find("receivedDate")->Find("time")->text);
  CHECK(ot == zt + 300000);
}

TEST_CASE("the common clock offset applies unless --mirth-clock-offset overrides it, and the startup line says which",
          "[mirth]") {
  MirthOptions common_only = BaseOptions();
  common_only.common.clock_offset_ms = -90000;
  MirthOptions both = BaseOptions();
  both.common.clock_offset_ms = -90000;
  both.clock_offset_seconds = 1.25;
  MirthOptions none = BaseOptions();
  auto offset_of = [](const MirthOptions& o) {
    Running s(o);
    rapidjson::Document d;
    d.Parse(s.server().StartupJson().c_str());
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("clock_offset_ms"));
    return d["clock_offset_ms"].GetInt64();
  };
  CHECK(offset_of(none) == 0);
  CHECK(offset_of(common_only) == -90000);
  CHECK(offset_of(both) == 1250);

  // A fractional offset shifts millisecond-precision times by exactly that much.
  Session zero(none);
  Session frac(both);
  XmlNode a, b;
  const auto za = zero.List("?offset=1&limit=20", &a);
  const auto fb = frac.List("?offset=1&limit=20", &b);
  REQUIRE(za.size() == 20);
  REQUIRE(fb.size() == 20);
  for (size_t i = 0; i < za.size(); ++i) {
    CHECK(fb[i].id == za[i].id);
    CHECK(fb[i].time == za[i].time + 1250);
  }
}

TEST_CASE("the flag --mirth-clock-offset takes seconds and refuses more than a year or nonsense", "[mirth]") {
  CLI::App app;
  MirthOptions o;
  bool enabled = false;
  AddMirthFlags(app, o, enabled);
  app.parse(std::vector<std::string>{"--mirth-clock-offset=-42.5"});
  REQUIRE(o.clock_offset_seconds);
  CHECK(*o.clock_offset_seconds == -42.5);
  CLI::App none;
  MirthOptions o2;
  AddMirthFlags(none, o2, enabled);
  none.parse(std::vector<std::string>{});
  CHECK_FALSE(o2.clock_offset_seconds);
  CLI::App bad;
  MirthOptions o3;
  AddMirthFlags(bad, o3, enabled);
  CHECK_THROWS_AS(bad.parse(std::vector<std::string>{"--mirth-clock-offset=40000000"}), CLI::ParseError);
  CHECK_THROWS_AS(bad.parse(std::vector<std::string>{"--mirth-clock-offset=soon"}), CLI::ParseError);

  MirthOptions far = BaseOptions();
  far.clock_offset_seconds = 4e7;
  auto r = MirthServer::Create(far);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("--mirth-clock-offset") != std::string::npos);
  far.clock_offset_seconds = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(MirthServer::Create(far));
}

// ---- users/current and server/version ----

TEST_CASE("users/current is the logged-in user in XML or JSON and 401 without a session", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.clock_offset_seconds = 60;
  Session x(o);
  auto before = x.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(before);

  auto res = x.Get("/api/users/current");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/xml");
  const XmlNode u = ParseOrFail(res->body);
  CHECK(u.name == "user");
  CHECK(u.Find("id")->text == "1");
  CHECK(u.Find("username")->text == "admin");
  REQUIRE(u.Find("lastLogin") != nullptr);
  // The login just made, on the server's clock.
  CHECK(u.Find("lastLogin")->Find("time")->text == std::to_string(o.common.now + 60000));
  CHECK(u.Find("lastLogin")->Find("timezone")->text == "Etc/UTC");
  CHECK(u.Find("strikeCount")->text == "0");
  CHECK(res->body.find("<password") == std::string::npos);

  auto json = x.Get("/api/users/current", "application/json");
  REQUIRE(json);
  CHECK(json->status == 200);
  CHECK(json->get_header_value("Content-Type") == "application/json");
  rapidjson::Document d;
  d.Parse(json->body.c_str());
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("user"));
  CHECK(d["user"]["id"].IsInt());
  CHECK(d["user"]["id"].GetInt() == 1);
  CHECK(std::string(d["user"]["username"].GetString()) == "admin");
  CHECK(d["user"]["lastLogin"]["time"].GetInt64() == o.common.now + 60000);

  auto text = x.Get("/api/users/current", "text/plain");
  REQUIRE(text);
  CHECK(text->status == 406);

  // Basic credentials work too; nothing at all is 401 with Jetty's page.
  auto basic = x.s.Client();
  basic->set_basic_auth("admin", "admin");
  auto b = basic->Get("/api/users/current");
  REQUIRE(b);
  CHECK(b->status == 200);
  CHECK(ParseOrFail(b->body).Find("username")->text == "admin");
  auto anon = x.s.Client()->Get("/api/users/current");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  CHECK(anon->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  auto post = x.c->Post("/api/users/current", Cookie(x.cookie), "", "application/xml");
  REQUIRE(post);
  CHECK(post->status == 405);

  // getCurrentUser is not audited.
  auto after = x.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(after);
  CHECK(after->body == before->body);
}

TEST_CASE("server/version is the version as text, needs no login and is never audited", "[mirth]") {
  MirthOptions o = BaseOptions();
  Running s(o);
  auto c = s.Client();
  auto res = c->Get("/api/server/version");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  CHECK(res->body == "3.12.0");
  // What the collector sends: text first, JSON as a fallback.
  auto pref = c->Get("/api/server/version", {{"Accept", "text/plain, application/json;q=0.9"}});
  REQUIRE(pref);
  CHECK(pref->status == 200);
  CHECK(pref->body == "3.12.0");
  // @Produces(text/plain) only: asking for JSON or XML alone is 406.
  auto json = c->Get("/api/server/version", {{"Accept", "application/json"}});
  REQUIRE(json);
  CHECK(json->status == 406);
  auto xml = c->Get("/api/server/version", {{"Accept", "application/xml"}});
  REQUIRE(xml);
  CHECK(xml->status == 406);
  // The X-Requested-With filter still comes first.
  auto bare = s.Client(false)->Get("/api/server/version");
  REQUIRE(bare);
  CHECK(bare->status == 400);
  auto post = c->Post("/api/server/version", "", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  // Nothing was appended: the log still holds just the generated events.
  const std::string cookie = s.Login(*c);
  auto count = c->Get("/api/events/count?name=version", {{"Cookie", cookie}, {"Accept", "text/plain"}});
  REQUIRE(count);
  CHECK(count->body == "0");
  auto all = c->Get("/api/events/count", {{"Cookie", cookie}, {"Accept", "text/plain"}});
  REQUIRE(all);
  CHECK(all->body == "301");  // 300 generated + the login

  MirthOptions v42 = BaseOptions();
  v42.version = "4.2";
  Running s42(v42);
  auto r42 = s42.Client()->Get("/api/server/version");
  REQUIRE(r42);
  CHECK(r42->body == "4.2.0");
}

// ---- scenario events ----

std::vector<ehr::CrossSystemEvent> TwoSteps(TimeMs login_time) {
  return {
      {login_time, "middleware-login", "integration", "203.0.113.77", "", "attacker logs in"},
      {login_time + 60000 + 82, "middleware-message-search", "integration", "203.0.113.77", "", "attacker pulls messages"},
      // A step the EHR's FHIR server logs, not Mirth.
      {login_time + 120000, "ehr-patient-search", "mirth-connect", "10.20.40.5", "x", "fhir search"},
  };
}

TEST_CASE("scenario steps appear in the event log at their stamped times with the actor's user and address",
          "[mirth]") {
  MirthOptions o = BaseOptions();
  o.version = "4.2";
  o.clock_offset_seconds = 300;
  const TimeMs login_time = kStart + 3 * 86400000LL + 14 * 3600000LL + 417;  // mid-window, office hours
  o.common.scenario_events = TwoSteps(login_time);
  Session x(o);

  XmlNode doc;
  const auto rows = x.List("?ipAddress=203.0.113.77", &doc);
  REQUIRE(rows.size() == 2);
  const Row& search = rows[0];
  const Row& login = rows[1];
  CHECK(login.name == "Login");
  CHECK(login.level == "INFORMATION");
  CHECK(login.outcome == "SUCCESS");
  CHECK(login.user_id == "4");  // the generated "integration" user
  CHECK(login.time == login_time + 300000);
  CHECK(Attributes(login)["username"] == "integration\n");
  CHECK(search.name == "Get messages by page limit");
  CHECK(search.outcome == "SUCCESS");
  CHECK(search.user_id == "4");
  CHECK(search.time == login_time + 60000 + 82 + 300000);
  CHECK(search.id > login.id);
  auto attrs = Attributes(search);
  auto channels = x.Get("/api/channels/idsAndNames");
  REQUIRE(channels);
  const XmlNode map = ParseOrFail(channels->body);
  const std::string first_id = map.children.at(0).children.at(0).text;
  const std::string first_name = map.children.at(0).children.at(1).text;
  CHECK(attrs["channel"] == "Channel[id=" + first_id + ",name=" + first_name + "]\n");
  CHECK(attrs["filter"].rfind("MessageFilter[maxMessageId=12,", 0) == 0);
  CHECK(attrs["includeContent"] == "false\n");
  CHECK(search.node->Find("channelId")->text == first_id);  // 4.2 derives it from the attribute

  // Each is found by id, and by the time filter on the server's clock.
  auto one = x.Get("/api/events/" + std::to_string(login.id));
  REQUIRE(one);
  CHECK(one->status == 200);
  CHECK(ParseOrFail(one->body).Find("ipAddress")->text == "203.0.113.77");
  XmlNode at;
  const auto by_time = x.List("?startDate=" + MirthDate(login.time) + "&endDate=" + MirthDate(login.time), &at);
  bool found = false;
  for (const Row& r : by_time) found = found || r.id == login.id;
  CHECK(found);

  // The whole log, ORDER BY id DESC, never goes forward in time.
  XmlNode all_doc;
  const auto all = x.List("", &all_doc);
  REQUIRE(all.size() == 303);  // 300 generated + 2 injected + the Login just made
  std::set<int64_t> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].id);
    if (i > 0) {
      CHECK(all[i - 1].id > all[i].id);
      CHECK(all[i - 1].time >= all[i].time);
    }
  }
  CHECK(ids.size() == all.size());
  // Deep pages agree with the full list (the injected rows are merged, not appended).
  for (uint64_t offset = 0; offset < all.size(); offset += 37) {
    XmlNode page_doc;
    const auto page = x.List("?offset=" + std::to_string(offset) + "&limit=37", &page_doc);
    for (size_t k = 0; k < page.size(); ++k) CHECK(page[k].id == all[offset + k].id);
  }
  auto count = x.Get("/api/events/count?name=Login", "text/plain");
  REQUIRE(count);
  XmlNode logins_doc;
  CHECK(std::to_string(x.List("?name=Login", &logins_doc).size()) == count->body);

  // The answer key names both rows by id, with their stamped times.
  rapidjson::Document d;
  d.Parse(x.s.server().AnswerKeyEvidenceJson().c_str());
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 2);
  CHECK(std::string(d[0]["system"].GetString()) == "mirth");
  CHECK(std::string(d[0]["log"].GetString()) == "ServerEvent");
  CHECK(std::string(d[0]["key_field"].GetString()) == "id");
  CHECK(std::string(d[0]["key"].GetString()) == std::to_string(login.id));
  CHECK(std::string(d[0]["label"].GetString()) == "attacker logs in");
  CHECK(std::string(d[0]["time"].GetString()) == "2026-03-04T14:05:00.417Z");
  CHECK(std::string(d[1]["key"].GetString()) == std::to_string(search.id));
  CHECK(std::string(d[1]["label"].GetString()) == "attacker pulls messages");
  CHECK(std::string(d[1]["time"].GetString()) == "2026-03-04T14:06:00.499Z");

  // The startup line counts them.
  rapidjson::Document st;
  st.Parse(x.s.server().StartupJson().c_str());
  CHECK(st["events"]["injected"].GetUint64() == 2);
}

TEST_CASE("without Mirth scenario steps the evidence is an empty array and the log is the generated one", "[mirth]") {
  MirthOptions none = BaseOptions();
  Running a(none);
  CHECK(a.server().AnswerKeyEvidenceJson() == "[]");
  MirthOptions other = BaseOptions();
  other.common.scenario_events = {{kStart + 3600000, "ehr-patient-search", "mirth-connect", "10.20.40.5", "x", "fhir"}};
  Running b(other);
  CHECK(b.server().AnswerKeyEvidenceJson() == "[]");
  CHECK(b.server().StartupJson() .find("\"injected\":0") != std::string::npos);
}

TEST_CASE("the same scenario gives the same ids, an unknown actor gets a new user id, and DB precision applies",
          "[mirth]") {
  MirthOptions o = BaseOptions();
  o.db_precision = DbPrecision::kSeconds;
  const TimeMs t = kStart + 2 * 86400000LL + 10 * 3600000LL + 999;
  o.common.scenario_events = {{t, "middleware-login", "intruder", "198.51.100.9", "", "login"}};
  Session x(o);
  Running again(o);
  CHECK(again.server().AnswerKeyEvidenceJson() == x.s.server().AnswerKeyEvidenceJson());
  XmlNode doc;
  const auto rows = x.List("?ipAddress=198.51.100.9", &doc);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].user_id == std::to_string(kFirstFreeUserId));
  CHECK(rows[0].time == t - 999);  // MySQL TIMESTAMP: whole seconds
  CHECK(x.s.server().AnswerKeyEvidenceJson().find("\"time\":\"2026-03-03T10:00:00.000Z\"") != std::string::npos);
}

// The event log on its own: injection at the edges and where ids have no gap to spare.
std::vector<int64_t> AllIds(const EventLog& log, const EventFilter& f, uint64_t offset, std::optional<uint64_t> limit) {
  std::vector<ServerEvent> rows;
  std::vector<int64_t> out;
  for (const EventRef& r : log.Search(f, offset, limit, &rows)) {
    out.push_back(r.appended ? rows[r.index].id : log.Generated(r.index).id);
  }
  return out;
}

TEST_CASE("injected events take ids that fit their time, before, among and after the generated ones", "[mirth]") {
  DataConfig dc;
  dc.seed = 11;
  dc.start = kStart;
  dc.days = 2;
  dc.events = 500;
  EventLog plain(dc, MakeChannels(dc.seed, 2));
  EventLog log(dc, MakeChannels(dc.seed, 2));
  auto event = [](TimeMs t, const char* ip) {
    ServerEvent e;
    e.time = t;
    e.name = "Login";
    e.ip = ip;
    return e;
  };
  const TimeMs mid = log.Generated(250).time;  // exactly a generated event's time: goes after it
  const std::vector<int64_t> ids =
      log.Inject({event(kStart - 1000, "a"), event(mid, "b"), event(mid, "c"), event(kStart + 5 * 86400000LL, "d")});
  REQUIRE(ids.size() == 4);
  CHECK(ids[0] < log.first_generated_id());
  CHECK(ids[1] > log.Generated(250).id);
  CHECK(ids[2] == ids[1] + 1);  // equal times keep the given order
  CHECK(ids[2] < log.Generated(251).id);
  CHECK(ids[3] == log.last_generated_id() + 1);
  CHECK(log.MaxId() == ids[3]);
  CHECK(log.injected() == 4);
  // Generated events keep their content and order; at most the ids after an injection move up.
  for (uint64_t i = 0; i < log.generated(); ++i) {
    const ServerEvent a = plain.Generated(i);
    const ServerEvent b = log.Generated(i);
    CHECK(b.name == a.name);
    CHECK(b.time == a.time);
    CHECK(b.id >= a.id);
    CHECK(b.id <= a.id + 4);
  }

  const EventFilter all;
  const std::vector<int64_t> full = AllIds(log, all, 0, std::nullopt);
  REQUIRE(full.size() == 504);
  std::set<int64_t> unique(full.begin(), full.end());
  CHECK(unique.size() == full.size());
  for (size_t i = 1; i < full.size(); ++i) CHECK(full[i - 1] > full[i]);
  CHECK(full.front() == ids[3]);
  CHECK(full.back() == ids[0]);
  // Any page of the fast (bounds only) path is the same slice of the full list.
  for (uint64_t offset : {0, 1, 100, 248, 249, 250, 251, 252, 253, 400, 502, 503, 504}) {
    const std::vector<int64_t> page = AllIds(log, all, offset, 5);
    for (size_t k = 0; k < page.size(); ++k) CHECK(page[k] == full[offset + k]);
    CHECK(page.size() == std::min<uint64_t>(5, 504 - offset));
  }
  // Bounds cut injected rows like any other; a filtered (slow path) search merges them too.
  EventFilter bounded;
  bounded.min_id = ids[1];
  bounded.max_id = ids[2];
  CHECK(AllIds(log, bounded, 0, std::nullopt) == std::vector<int64_t>{ids[2], ids[1]});
  CHECK(log.Count(bounded) == 2);
  EventFilter logins;
  logins.name = "login";
  const std::vector<int64_t> named = AllIds(log, logins, 0, std::nullopt);
  CHECK(named.size() == log.Count(logins));
  for (size_t i = 1; i < named.size(); ++i) CHECK(named[i - 1] > named[i]);
  for (int64_t id : ids) CHECK(std::find(named.begin(), named.end(), id) != named.end());
  const std::vector<int64_t> named_page = AllIds(log, logins, 3, 4);
  for (size_t k = 0; k < named_page.size(); ++k) CHECK(named_page[k] == named[3 + k]);
  EventFilter ip;
  ip.ip = "c";
  CHECK(AllIds(log, ip, 0, std::nullopt) == std::vector<int64_t>{ids[2]});
  REQUIRE(log.ById(ids[1]));
  CHECK(log.ById(ids[1])->ip == "b");
  // An event appended later still gets the next id after everything.
  ServerEvent later = event(kStart + 6 * 86400000LL, "e");
  CHECK(log.Append(later) == ids[3] + 1);
}

TEST_CASE("an injection where the ids have no gap moves the later generated ids up by one", "[mirth]") {
  DataConfig dc;
  dc.seed = 3;
  dc.start = kStart;
  dc.days = 1;
  dc.events = 60;  // fewer than 64: no pruned ranges, every id is the previous + 1
  EventLog log(dc, {});
  const int64_t first = log.first_generated_id();
  const int64_t last = log.last_generated_id();
  REQUIRE(last - first == 59);
  ServerEvent e;
  e.time = log.Generated(29).time;
  e.name = "Login";
  const int64_t id = log.Inject({e}).at(0);
  CHECK(id == first + 30);
  CHECK(log.Generated(29).id == first + 29);
  CHECK(log.Generated(30).id == first + 31);
  CHECK(log.last_generated_id() == last + 1);
  CHECK(log.ById(id)->name == "Login");
}

}  // namespace
}  // namespace custody::sim::mirth::test
