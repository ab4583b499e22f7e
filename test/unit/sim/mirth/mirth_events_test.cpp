// The simulated Mirth server event log: ordering, paging, filters, the strict date format, XML and
// Staxon JSON shapes, versions, DB precision, appends during a sweep and determinism.
#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "mirth_test_util.h"

namespace custody::sim::mirth::test {
namespace {

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
  int64_t Count(const std::string& query) {
    auto res = Get("/api/events/count" + query, "text/plain");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return std::stoll(res->body);
  }
  Running s;
  std::unique_ptr<httplib::Client> c;
  std::string cookie;
};

TEST_CASE("events come newest first, offset and limit page them, and no limit returns every row", "[mirth]") {
  Session x(BaseOptions());
  XmlNode all_doc;
  const auto all = x.List("", &all_doc);
  REQUIRE(all.size() == 301);  // 300 generated + the Login just made
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].id > all[i].id);
  XmlNode p1, p2;
  const auto page1 = x.List("?offset=0&limit=7", &p1);
  const auto page2 = x.List("?offset=7&limit=7", &p2);
  REQUIRE(page1.size() == 7);
  REQUIRE(page2.size() == 7);
  for (size_t i = 0; i < 7; ++i) {
    CHECK(page1[i].id == all[i].id);
    CHECK(page2[i].id == all[7 + i].id);
  }
  XmlNode tail;
  CHECK(x.List("?offset=298", &tail).size() == 3);
  XmlNode none;
  CHECK(x.List("?offset=301&limit=10", &none).empty());
  CHECK(x.List("?limit=0", &none).empty());
  CHECK(x.Count("") == 301);
  auto max = x.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(max);
  CHECK(max->body == std::to_string(all.front().id));
  // getEvents, count and maxEventId are not audited: nothing was appended by these reads.
  CHECK(x.Count("") == 301);
}

TEST_CASE("one event by id, and 404 for an id that does not exist or is not a number", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.events = 3000;
  Session x(o);
  XmlNode doc;
  const auto rows = x.List("?limit=3", &doc);
  auto one = x.Get("/api/events/" + std::to_string(rows[2].id));
  REQUIRE(one);
  CHECK(one->status == 200);
  const XmlNode e = ParseOrFail(one->body);
  CHECK(e.name == "event");
  CHECK(e.Find("id")->text == std::to_string(rows[2].id));
  CHECK(e.Find("name")->text == rows[2].name);
  // An id inside a pruned gap.
  int64_t gap = 0;
  XmlNode all_doc;
  const auto all = x.List("", &all_doc);
  for (size_t i = 1; i < all.size() && gap == 0; ++i) {
    if (all[i - 1].id > all[i].id + 1) gap = all[i].id + 1;
  }
  REQUIRE(gap != 0);  // the pruner left gaps: ids are not contiguous
  auto missing = x.Get("/api/events/" + std::to_string(gap));
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  auto word = x.Get("/api/events/abc");
  REQUIRE(word);
  CHECK(word->status == 404);
}

TEST_CASE("startDate and endDate are inclusive and max/minEventId bound the ids inclusively", "[mirth]") {
  Session x(BaseOptions());
  XmlNode doc;
  const auto all = x.List("", &doc);
  const Row& target = all[100];
  const std::string at = MirthDate(target.time);
  XmlNode d1;
  const auto exact = x.List("?startDate=" + at + "&endDate=" + at, &d1);
  CHECK(std::any_of(exact.begin(), exact.end(), [&](const Row& r) { return r.id == target.id; }));
  for (const Row& r : exact) CHECK(r.time == target.time);
  XmlNode d2;
  const auto after = x.List("?startDate=" + MirthDate(target.time + 1), &d2);
  CHECK(std::none_of(after.begin(), after.end(), [&](const Row& r) { return r.id == target.id; }));
  for (const Row& r : after) CHECK(r.time >= target.time + 1);
  XmlNode d4;
  const auto ids = x.List("?minEventId=" + std::to_string(all[20].id) + "&maxEventId=" + std::to_string(all[10].id), &d4);
  REQUIRE(ids.size() == 11);
  CHECK(ids.front().id == all[10].id);
  CHECK(ids.back().id == all[20].id);
  CHECK(x.Count("?minEventId=" + std::to_string(all[20].id) + "&maxEventId=" + std::to_string(all[10].id)) == 11);
}

TEST_CASE("dates must be yyyy-MM-ddTHH:mm:ss.SSSZ: anything else is 404, and so is an unencoded plus", "[mirth]") {
  Session x(BaseOptions());
  x.c->set_url_encode(false);
  auto status = [&](const std::string& q) {
    auto res = x.Get("/api/events?limit=1&" + q);
    REQUIRE(res);
    return res->status;
  };
  CHECK(status("startDate=2026-03-02T00:00:00.000-0700") == 200);
  CHECK(status("endDate=2026-03-02T00:00:00.000%2B0000") == 200);
  CHECK(status("startDate=2026-03-02T00:00:00.000+0000") == 404);  // '+' decodes to a space
  CHECK(status("startDate=2026-03-02T00:00:00.000Z") == 404);
  CHECK(status("startDate=2026-03-02T00:00:00.000-07:00") == 404);
  CHECK(status("startDate=2026-03-02T00:00:00-0700") == 404);
  CHECK(status("startDate=2026-03-02") == 404);
  CHECK(status("startDate=1772323200000") == 404);
  CHECK(status("startDate=2026-13-02T00:00:00.000-0700") == 404);
  CHECK(status("startDate=") == 404);
  // Other conversions fail the same way.
  CHECK(status("offset=ten") == 404);
  CHECK(status("level=INFO") == 404);
  CHECK(status("outcome=success") == 404);
  CHECK(status("maxEventId=99999999999") == 404);
}

TEST_CASE("the date filter compares instants whatever offset the query uses", "[mirth]") {
  Session x(BaseOptions());
  const TimeMs mid = kStart + 3 * 86400000LL + 12345;
  x.c->set_url_encode(false);
  const std::string west = MirthDate(mid, -420);
  std::string east = MirthDate(mid, 330);
  east.replace(east.size() - 5, 1, "%2B");
  CHECK(x.Count("?startDate=" + west) == x.Count("?startDate=" + east));
  CHECK(x.Count("?endDate=" + west) + x.Count("?startDate=" + MirthDate(mid + 1)) == x.Count(""));
}

TEST_CASE("filters: level repeatable, name and attributeSearch and serverId substrings, exact ip, user, outcome",
          "[mirth]") {
  Session x(BaseOptions());
  XmlNode d;
  const auto all = x.List("", &d);
  auto check = [&](const std::string& q, auto pred) {
    XmlNode doc;
    const auto rows = x.List(q, &doc);
    const auto expect = std::count_if(all.begin(), all.end(), pred);
    CAPTURE(q);
    CHECK(static_cast<long>(rows.size()) == expect);
    CHECK(expect > 0);
    for (const Row& r : rows) CHECK(pred(r));
    CHECK(x.Count(q) == expect);
  };
  check("?level=ERROR", [](const Row& r) { return r.level == "ERROR"; });
  check("?level=ERROR&level=WARNING", [](const Row& r) { return r.level == "ERROR" || r.level == "WARNING"; });
  check("?name=login", [](const Row& r) { return r.name == "Login"; });
  check("?name=MESSAGE", [](const Row& r) { return r.name.find("message") != std::string::npos; });
  check("?outcome=FAILURE", [](const Row& r) { return r.outcome == "FAILURE"; });
  check("?userId=4", [](const Row& r) { return r.user_id == "4"; });
  check("?ipAddress=10.20.40.5", [](const Row& r) { return r.ip == "10.20.40.5"; });
  check("?ipAddress=0:0:0:0:0:0:0:1", [](const Row& r) { return r.ip == "0:0:0:0:0:0:0:1"; });
  std::string server_id = all[0].server_id;
  std::transform(server_id.begin(), server_id.end(), server_id.begin(), ::toupper);
  check("?serverId=" + server_id.substr(0, 8), [](const Row&) { return true; });
  check("?attributeSearch=CHANNEL%5Bid", [](const Row& r) {
    const XmlNode* attrs = r.node->Find("attributes");
    for (const XmlNode& e : attrs->children) {
      if (e.children[1].text.rfind("Channel[id=", 0) == 0) return true;
    }
    return false;
  });
  XmlNode doc;
  CHECK(x.List("?ipAddress=10.20.40", &doc).empty());  // exact, not a substring
}

TEST_CASE("POST _search and count/_search take an eventFilter in XML or JSON with Calendar dates", "[mirth]") {
  Session x(BaseOptions());
  XmlNode d;
  const auto all = x.List("", &d);
  const Row& hi = all[5];
  const Row& lo = all[40];
  const std::string xml = "<eventFilter>\n  <maxEventId>" + std::to_string(hi.id) + "</maxEventId>\n  <levels>\n"
                          "    <level>INFORMATION</level>\n  </levels>\n  <startDate>\n    <time>" +
                          std::to_string(lo.time) + "</time>\n    <timezone>Etc/UTC</timezone>\n  </startDate>\n"
                          "</eventFilter>";
  auto expect = std::count_if(all.begin(), all.end(), [&](const Row& r) {
    return r.id <= hi.id && r.level == "INFORMATION" && r.time >= lo.time;
  });
  httplib::Headers h = Cookie(x.cookie);
  auto res = x.c->Post("/api/events/_search?offset=0&limit=100", h, xml, "application/xml");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(static_cast<long>(Rows(ParseOrFail(res->body)).size()) == expect);
  const std::string json = R"({"eventFilter":{"maxEventId":)" + std::to_string(hi.id) +
                           R"(,"levels":{"level":"INFORMATION"},"startDate":{"time":)" + std::to_string(lo.time) +
                           R"(,"timezone":"Etc/UTC"}}})";
  h.emplace("Accept", "text/plain");
  auto count = x.c->Post("/api/events/count/_search", h, json, "application/json");
  REQUIRE(count);
  CHECK(count->status == 200);
  CHECK(count->body == std::to_string(expect));
  auto bad = x.c->Post("/api/events/_search", Cookie(x.cookie), "<eventFilter><maxEventId>x</maxEventId></eventFilter>",
                       "application/xml");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  auto unsupported = x.c->Post("/api/events/_search", Cookie(x.cookie), "maxEventId=3", "application/x-www-form-urlencoded");
  REQUIRE(unsupported);
  CHECK(unsupported->status == 415);
}

TEST_CASE("count and maxEventId answer <long>/<int> in XML, a bare number in text, an object in JSON", "[mirth]") {
  Session x(BaseOptions());
  auto xml = x.Get("/api/events/count");
  REQUIRE(xml);
  CHECK(xml->body == "<long>301</long>");
  CHECK(xml->get_header_value("Content-Type") == "application/xml");
  auto json = x.Get("/api/events/count", "application/json");
  REQUIRE(json);
  CHECK(json->body == R"({"long":301})");
  auto text = x.Get("/api/events/count", "text/plain");
  REQUIRE(text);
  CHECK(text->body == "301");
  CHECK(text->get_header_value("Content-Type").rfind("text/plain", 0) == 0);
  auto max = x.Get("/api/events/maxEventId");
  REQUIRE(max);
  CHECK(std::regex_match(max->body, std::regex("<int>[0-9]+</int>")));
  auto max_json = x.Get("/api/events/maxEventId", "application/json");
  REQUIRE(max_json);
  CHECK(std::regex_match(max_json->body, std::regex(R"(\{"int":[0-9]+\})")));
  auto refused = x.Get("/api/events?limit=1", "text/csv");
  REQUIRE(refused);
  CHECK(refused->status == 406);
}

TEST_CASE("XML events look like the 3.12 fixtures and dateTime is the response time, not the event time", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.timezone = "America/New_York";
  Session x(o);
  auto res = x.Get("/api/events?limit=3");
  REQUIRE(res);
  CHECK(res->get_header_value("Content-Type") == "application/xml");
  CHECK(res->body.rfind("<list>\n  <event>\n    <dateTime>", 0) == 0);
  CHECK(res->body.find("\n    <eventTime>\n      <time>") != std::string::npos);
  CHECK(res->body.find("<attributes class=\"linked-hash-map\">\n      <entry>\n        <string>") != std::string::npos);
  CHECK(res->body.substr(res->body.size() - 16) == "</event>\n</list>");
  const XmlNode doc = ParseOrFail(res->body);
  const auto rows = Rows(doc);
  REQUIRE(rows.size() == 3);
  for (const Row& r : rows) {
    CHECK(r.date_time == rows[0].date_time);
    CHECK(r.date_time != r.time);
    CHECK(r.node->Find("eventTime")->Find("timezone")->text == "America/New_York");
    CHECK(r.node->Find("nanoTime")->text == rows[0].node->Find("nanoTime")->text);
  }
  XmlNode d;
  const auto none = x.List("?minEventId=999999999", &d);
  CHECK(none.empty());
  auto empty = x.Get("/api/events?minEventId=999999999");
  REQUIRE(empty);
  CHECK(empty->body == "<list/>");
}

TEST_CASE("JSON is Staxon's: one event is an object, several an array, none null", "[mirth]") {
  Session x(BaseOptions());
  auto one = x.Get("/api/events?limit=1&name=Get%20messages", "application/json");
  REQUIRE(one);
  CHECK(one->get_header_value("Content-Type") == "application/json");
  rapidjson::Document d1;
  d1.Parse(one->body.c_str());
  REQUIRE(d1.IsObject());
  const auto& ev = d1["list"]["event"];
  REQUIRE(ev.IsObject());
  CHECK(ev["id"].IsInt64());
  CHECK(ev["userId"].IsInt64());
  CHECK(ev["dateTime"].IsInt64());
  CHECK(ev["eventTime"]["time"].IsInt64());
  CHECK(ev["dateTime"].GetInt64() != ev["eventTime"]["time"].GetInt64());
  CHECK(std::string(ev["eventTime"]["timezone"].GetString()) == "Etc/UTC");
  CHECK(std::string(ev["attributes"]["@class"].GetString()) == "linked-hash-map");
  const auto& entries = ev["attributes"]["entry"];
  REQUIRE(entries.IsArray());
  CHECK(std::string(entries[0]["string"][0].GetString()) == "channel");
  const std::string channel = entries[0]["string"][1].GetString();
  CHECK(std::regex_match(channel, std::regex("Channel\\[id=[0-9a-f-]{36},name=[^\\]]+\\]\n")));
  CHECK(std::regex_match(std::string(entries[2]["string"][1].GetString()), std::regex("[0-9]+\n")));

  auto several = x.Get("/api/events?limit=4", "application/json");
  REQUIRE(several);
  rapidjson::Document d2;
  d2.Parse(several->body.c_str());
  REQUIRE(d2["list"]["event"].IsArray());
  CHECK(d2["list"]["event"].Size() == 4);
  // A one-entry attributes map is an object, and an empty value is null.
  auto alerts = x.Get("/api/events?limit=1&name=Get%20alerts", "application/json");
  REQUIRE(alerts);
  CHECK(alerts->body.find(R"("attributes":{"@class":"linked-hash-map","entry":{"string":["alertIds",null]}})") !=
        std::string::npos);
  auto none = x.Get("/api/events?minEventId=999999999", "application/json");
  REQUIRE(none);
  CHECK(none->body == R"({"list":null})");
}

TEST_CASE("the direct event writers agree with the generic XStream/Staxon conversion", "[mirth]") {
  for (const bool v42 : {false, true}) {
    DataConfig dc;
    dc.seed = 11;
    dc.start = kStart;
    dc.days = 3;
    dc.events = 400;
    dc.fields_42 = v42;
    EventLog log(dc, MakeChannels(11, 4));
    const EventWriteContext ctx{1700000000123, 987654321, "UTC", v42};
    for (uint64_t i = 0; i < log.generated(); ++i) {
      const ServerEvent e = log.Generated(i);
      std::string xml;
      AppendEventXml(e, ctx, 0, &xml);
      std::string json;
      AppendEventJson(e, ctx, &json);
      const XmlNode node = EventNode(e, ctx);
      CAPTURE(i);
      REQUIRE(xml == ToXml(node));
      REQUIRE("{\"event\":" + json + "}" == ToJson(node));
      auto parsed = ParseXml(xml);
      REQUIRE(parsed);
      REQUIRE(ToJson(*parsed) == ToJson(node));
    }
  }
}

TEST_CASE("4.2+ events carry patientId, channelId, channelName, messageId while 3.12 events do not", "[mirth]") {
  for (const char* version : {"3.12", "4.0", "4.2", "4.5"}) {
    MirthOptions o = BaseOptions();
    o.version = version;
    Session x(o);
    auto res = x.Get("/api/events?name=Get%20message%20content&limit=1");
    REQUIRE(res);
    const XmlNode list = ParseOrFail(res->body);
    REQUIRE(list.children.size() == 1);
    const XmlNode& e = list.children[0];
    const bool v42 = std::string(version) == "4.2" || std::string(version) == "4.5";
    CAPTURE(version);
    CHECK((e.Find("patientId") != nullptr) == v42);
    CHECK((e.Find("channelId") != nullptr) == v42);
    CHECK((e.Find("channelName") != nullptr) == v42);
    CHECK((e.Find("messageId") != nullptr) == v42);
    if (v42) {
      CHECK(e.Find("patientId")->text.rfind("MRN", 0) == 0);
      CHECK(e.Find("channelId")->text.size() == 36);
      // Field order: ... userId, patientId, ipAddress, serverId, channelId, channelName, messageId.
      std::vector<std::string> names;
      for (const XmlNode& c : e.children) names.push_back(c.name);
      const std::vector<std::string> tail = {"userId", "patientId", "ipAddress", "serverId", "channelId",
                                             "channelName", "messageId"};
      CHECK(std::vector<std::string>(names.end() - 7, names.end()) == tail);
      auto json = x.Get("/api/events?name=Get%20message%20content&limit=1", "application/json");
      REQUIRE(json);
      rapidjson::Document d;
      d.Parse(json->body.c_str());
      CHECK(d["list"]["event"]["messageId"].IsInt64());  // autoPrimitive types the numeric string
    }
  }
}

TEST_CASE("the DB precision switch: whole seconds, SQL Server 1/300 s, or milliseconds", "[mirth]") {
  auto times = [](DbPrecision p) {
    MirthOptions o = BaseOptions();
    o.db_precision = p;
    Session x(o);
    XmlNode d;
    std::vector<TimeMs> out;
    for (const Row& r : x.List("", &d)) out.push_back(r.time);
    return out;
  };
  const auto ms = times(DbPrecision::kMillis);
  const auto secs = times(DbPrecision::kSeconds);
  const auto sql = times(DbPrecision::kSqlServer);
  CHECK(std::any_of(ms.begin(), ms.end(), [](TimeMs t) { return t % 10 != 0 && t % 10 != 3 && t % 10 != 7; }));
  for (TimeMs t : secs) CHECK(t % 1000 == 0);
  for (TimeMs t : sql) CHECK((t % 10 == 0 || t % 10 == 3 || t % 10 == 7));
  REQUIRE(ms.size() == sql.size());
  for (size_t i = 0; i < ms.size(); ++i) CHECK(std::abs(ms[i] - sql[i]) <= 2);
  CHECK(ApplyPrecision(1000, DbPrecision::kSqlServer) == 1000);
  CHECK(ApplyPrecision(1001, DbPrecision::kSqlServer) == 1000);
  CHECK(ApplyPrecision(1002, DbPrecision::kSqlServer) == 1003);
  CHECK(ApplyPrecision(1005, DbPrecision::kSqlServer) == 1007);
  CHECK(ApplyPrecision(1999, DbPrecision::kSqlServer) == 2000);
  CHECK(ApplyPrecision(1999, DbPrecision::kSeconds) == 1000);
}

TEST_CASE("events appended during a sweep duplicate rows under offset paging but not with a frozen maxEventId",
          "[mirth]") {
  MirthOptions o = BaseOptions();
  o.append_every = 1;
  o.append_count = 3;
  Session x(o);
  XmlNode a, b;
  const auto p1 = x.List("?offset=0&limit=10", &a);
  const auto p2 = x.List("?offset=10&limit=10", &b);
  std::set<int64_t> seen;
  int dup = 0;
  for (const auto* page : {&p1, &p2}) {
    for (const Row& r : *page) dup += seen.insert(r.id).second ? 0 : 1;
  }
  CHECK(dup == 3);
  // The appended rows are stamped now, by other users.
  CHECK(p1.front().time == kStart + 8 * 86400000LL);

  auto max = x.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(max);
  const std::string frozen = "&maxEventId=" + max->body;
  XmlNode c, d, e;
  const auto f1 = x.List("?offset=0&limit=11" + frozen, &c);
  const auto f2 = x.List("?offset=10&limit=11" + frozen, &d);
  REQUIRE(f1.size() == 11);
  REQUIRE(f2.size() == 11);
  CHECK(f1[10].id == f2[0].id);  // the limit+1 probe row is the next page's first
  std::set<int64_t> ids;
  for (size_t i = 0; i < 10; ++i) ids.insert(f1[i].id);
  for (size_t i = 0; i < 10; ++i) CHECK(ids.insert(f2[i].id).second);
  CHECK(std::to_string(f1.front().id) == max->body);
  // count and maxEventId themselves append nothing.
  auto max2 = x.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(max2);
  CHECK(std::stoll(max2->body) == std::stoll(max->body) + 6);  // the two frozen pages appended 3 each
}

TEST_CASE("the same seed and options give the same events byte for byte, another seed other events", "[mirth]") {
  auto body = [](uint64_t seed) {
    MirthOptions o = BaseOptions();
    o.common.seed = seed;
    o.events = 2000;
    Session x(o);
    auto res = x.Get("/api/events?offset=1&limit=200");  // skip the Login just made
    REQUIRE(res);
    // Only the construction-time stamps differ between runs.
    return std::regex_replace(res->body, std::regex("<(dateTime|nanoTime)>[0-9]+</"), "<$1>X</");
  };
  const std::string a = body(42);
  const std::string b = body(42);
  const std::string c = body(43);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.size() > 10000);
}

TEST_CASE("500,000 generated events are cheap to create and page", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.events = 500000;
  o.common.days = 30;
  Session x(o);
  CHECK(x.Count("") == 500001);
  XmlNode d;
  const auto rows = x.List("?offset=250000&limit=50", &d);
  REQUIRE(rows.size() == 50);
  for (size_t i = 1; i < rows.size(); ++i) CHECK(rows[i - 1].id > rows[i].id);
}

}  // namespace
}  // namespace custody::sim::mirth::test
