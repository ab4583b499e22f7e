// The simulated Mirth server's channels and message metadata, and the audit events the
// collector's own message reads leave behind.
#include <rapidjson/document.h>

#include "mirth_test_util.h"

namespace custody::sim::mirth::test {
namespace {

struct Fixture {
  Fixture() : s(BaseOptions()), c(s.Client()), cookie(s.Login(*c)) {
    auto res = Get("/api/channels/idsAndNames");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    map = ParseOrFail(res->body);
    REQUIRE(map.children.size() == 2);
    channel = map.children[0].children[0].text;
    channel_name = map.children[0].children[1].text;
  }
  httplib::Result Get(const std::string& path, const std::string& accept = "application/xml") {
    httplib::Headers h = Cookie(cookie);
    h.emplace("Accept", accept);
    return c->Get(path.c_str(), h);
  }
  Running s;
  std::unique_ptr<httplib::Client> c;
  std::string cookie;
  XmlNode map;
  std::string channel, channel_name;
};

TEST_CASE("idsAndNames is a map of channel id to name in XML and JSON", "[mirth]") {
  Fixture f;
  CHECK(f.map.name == "map");
  CHECK(f.map.children[0].name == "entry");
  CHECK(f.map.children[0].children[0].name == "string");
  CHECK(f.channel.size() == 36);
  auto json = f.Get("/api/channels/idsAndNames", "application/json");
  REQUIRE(json);
  rapidjson::Document d;
  d.Parse(json->body.c_str());
  REQUIRE(d["map"]["entry"].IsArray());
  CHECK(std::string(d["map"]["entry"][0]["string"][0].GetString()) == f.channel);
  CHECK(std::string(d["map"]["entry"][0]["string"][1].GetString()) == f.channel_name);
}

TEST_CASE("messages come newest first, metadata only unless includeContent=true", "[mirth]") {
  Fixture f;
  const std::string base = "/api/channels/" + f.channel + "/messages";
  auto res = f.Get(base + "?offset=0&limit=5");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  const XmlNode list = ParseOrFail(res->body);
  REQUIRE(list.children.size() == 5);
  int64_t prev = INT64_MAX;
  for (const XmlNode& m : list.children) {
    CHECK(m.name == "message");
    const int64_t id = std::stoll(m.Find("messageId")->text);
    CHECK(id < prev);
    prev = id;
    CHECK(m.Find("channelId")->text == f.channel);
    CHECK(m.Find("receivedDate")->Find("timezone")->text == "Etc/UTC");
    const XmlNode* cms = m.Find("connectorMessages");
    REQUIRE(cms != nullptr);
    CHECK(cms->attrs[0].second == "linked-hash-map");
    const XmlNode* cm = cms->children[0].Find("connectorMessage");
    REQUIRE(cm != nullptr);
    CHECK(cm->Find("channelName")->text == f.channel_name);
    CHECK(cm->Find("raw") == nullptr);
    CHECK(cm->Find("sourceMapContent") != nullptr);
  }
  CHECK(std::stoll(list.children[0].Find("messageId")->text) == 12);
  CHECK(res->body.find("<content class=\"map\" />") != std::string::npos);
  CHECK(res->body.find("<metaDataMap />") != std::string::npos);

  auto content = f.Get(base + "?limit=1&includeContent=true");
  REQUIRE(content);
  const XmlNode one = ParseOrFail(content->body);
  const XmlNode* raw = one.children[0].Find("connectorMessages")->children[0].Find("connectorMessage")->Find("raw");
  REQUIRE(raw != nullptr);
  CHECK(raw->Find("content")->text.rfind("MSH|^~\\&|", 0) == 0);
  CHECK(content->body.find("&#xd;") != std::string::npos);  // HL7 segment ends, escaped as XStream does

  auto all = f.Get(base);
  REQUIRE(all);
  CHECK(ParseOrFail(all->body).children.size() == 12);  // no limit: every message
  auto count = f.Get(base + "/count");
  REQUIRE(count);
  CHECK(count->body == "<long>12</long>");
  auto max = f.Get(base + "/maxMessageId");
  REQUIRE(max);
  CHECK(max->body == "<long>12</long>");
  auto window = f.Get(base + "/count?minMessageId=3&maxMessageId=5", "text/plain");
  REQUIRE(window);
  CHECK(window->body == "3");
  auto bad_date = f.Get(base + "?startDate=2026-03-01T00:00:00Z");
  REQUIRE(bad_date);
  CHECK(bad_date->status == 404);
  auto unknown = f.Get("/api/channels/00000000-0000-0000-0000-000000000000/messages");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

TEST_CASE("message date filters use the received date inclusively", "[mirth]") {
  Fixture f;
  const std::string base = "/api/channels/" + f.channel + "/messages";
  auto res = f.Get(base + "?limit=12");
  REQUIRE(res);
  const XmlNode list = ParseOrFail(res->body);
  const TimeMs t = std::stoll(list.children[4].Find("receivedDate")->Find("time")->text);
  const std::string at = MirthDate(t);
  auto exact = f.Get(base + "?startDate=" + at + "&endDate=" + at);
  REQUIRE(exact);
  const XmlNode got = ParseOrFail(exact->body);
  REQUIRE(got.children.size() == 1);
  CHECK(got.children[0].Find("messageId")->text == list.children[4].Find("messageId")->text);
}

TEST_CASE("message searches and content reads are audited, event reads are not", "[mirth]") {
  Fixture f;
  auto max_before = f.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(max_before);
  REQUIRE(f.Get("/api/events?limit=5"));
  REQUIRE(f.Get("/api/events/count"));
  REQUIRE(f.Get("/api/channels/" + f.channel + "/messages/count"));
  REQUIRE(f.Get("/api/channels/" + f.channel + "/messages/maxMessageId"));
  auto max_mid = f.Get("/api/events/maxEventId", "text/plain");
  REQUIRE(max_mid);
  CHECK(max_mid->body == max_before->body);

  REQUIRE(f.Get("/api/channels/" + f.channel + "/messages?offset=0&limit=21&maxMessageId=10"));
  REQUIRE(f.Get("/api/channels/" + f.channel + "/messages/4"));
  auto res = f.Get("/api/events?limit=2");
  REQUIRE(res);
  const XmlNode doc = ParseOrFail(res->body);
  const auto rows = Rows(doc);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == std::stoll(max_before->body) + 2);
  CHECK(rows[0].name == "Get message content");
  CHECK(rows[1].name == "Get messages by page limit");
  CHECK(rows[1].ip == "127.0.0.1");
  CHECK(rows[1].user_id == "1");
  std::map<std::string, std::string> attrs;
  for (const XmlNode& e : rows[1].node->Find("attributes")->children) attrs[e.children[0].text] = e.children[1].text;
  CHECK(attrs["channel"] == "Channel[id=" + f.channel + ",name=" + f.channel_name + "]\n");
  CHECK(attrs["offset"] == "0\n");
  CHECK(attrs["limit"] == "21\n");
  CHECK(attrs["includeContent"] == "false\n");
  CHECK(attrs["filter"].rfind("MessageFilter[maxMessageId=10,", 0) == 0);
  std::map<std::string, std::string> content;
  for (const XmlNode& e : rows[0].node->Find("attributes")->children) content[e.children[0].text] = e.children[1].text;
  CHECK(content["messageId"] == "4\n");
  CHECK(content["patientId"].rfind("MRN", 0) == 0);
}

}  // namespace
}  // namespace custody::sim::mirth::test
