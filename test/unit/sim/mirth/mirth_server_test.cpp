// The simulated Mirth server's front door: X-Requested-With, login, sessions, Basic auth, faults,
// fixtures and the startup line.
#include <rapidjson/document.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "json/json.h"
#include "mirth_test_util.h"
#include "server/tls.h"

namespace custody::sim::mirth::test {
namespace {

const char* kLoginOk =
    "<com.mirth.connect.model.LoginStatus>\n  <status>SUCCESS</status>\n  <message></message>\n"
    "  <updatedUsername>admin</updatedUsername>\n</com.mirth.connect.model.LoginStatus>";

std::string LoginEventsXml(Running& s, httplib::Client& c, const std::string& cookie, int n) {
  auto res = c.Get(("/api/events?name=Login&limit=" + std::to_string(n)).c_str(), Cookie(cookie));
  REQUIRE(res);
  REQUIRE(res->status == 200);
  (void)s;
  return res->body;
}

TEST_CASE("a request without X-Requested-With gets Jetty's HTML 400 with the CORS headers", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client(false);
  auto res = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "admin"}});
  REQUIRE(res);
  CHECK(res->status == 400);
  CHECK(res->get_header_value("Content-Type") == "text/html;charset=iso-8859-1");
  CHECK(res->body.find("All requests must have 'X-Requested-With' header") != std::string::npos);
  CHECK(res->body.rfind("<html>", 0) == 0);
  CHECK(res->get_header_value("Access-Control-Allow-Origin") == "*");
  CHECK(res->get_header_value("Access-Control-Allow-Methods") == "GET, POST, DELETE, PUT");
  CHECK(res->get_header_value("Access-Control-Allow-Headers") == "Content-Type");
  CHECK(res->get_header_value("Set-Cookie").empty());
  // A blank value is refused too; any non-blank value passes.
  auto blank = c->Get("/api/events/maxEventId", {{"X-Requested-With", " "}});
  REQUIRE(blank);
  CHECK(blank->status == 400);
  auto any = c->Get("/api/events/maxEventId", {{"X-Requested-With", "HTTPX"}});
  REQUIRE(any);
  CHECK(any->status == 401);
}

TEST_CASE("with the X-Requested-With check off a bare request reaches the API", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.require_requested_with = false;
  Running s(o);
  auto c = s.Client(false);
  auto res = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "admin"}});
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("login succeeds with a JSESSIONID cookie and a LoginStatus in XML or JSON", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client();
  auto res = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "admin"}});
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/xml");
  CHECK(res->body == kLoginOk);
  CHECK(std::regex_match(res->get_header_value("Set-Cookie"), std::regex("JSESSIONID=node0[a-z0-9]+\\.node0;Path=/api;Secure")));

  auto json = c->Post("/api/users/_login", {{"Accept", "application/json"}}, "username=admin&password=admin",
                      "application/x-www-form-urlencoded");
  REQUIRE(json);
  CHECK(json->status == 200);
  CHECK(json->get_header_value("Content-Type") == "application/json");
  CHECK(json->body ==
        R"({"com.mirth.connect.model.LoginStatus":{"status":"SUCCESS","message":null,"updatedUsername":"admin"}})");
  // Two logins, two different sessions.
  CHECK(json->get_header_value("Set-Cookie") != res->get_header_value("Set-Cookie"));
}

TEST_CASE("a bad password is 401 with LoginStatus FAIL and no cookie", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client();
  auto res = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "wrong"}});
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK(res->get_header_value("Set-Cookie").empty());
  const XmlNode doc = ParseOrFail(res->body);
  CHECK(doc.name == "com.mirth.connect.model.LoginStatus");
  CHECK(doc.Find("status")->text == "FAIL");
  CHECK(doc.Find("message")->text == "Incorrect username or password.");
}

TEST_CASE("repeated bad passwords lock the user out, even with the right password", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.lockout_failures = 2;
  Running s(o);
  auto c = s.Client();
  for (int i = 0; i < 2; ++i) {
    auto bad = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "nope"}});
    REQUIRE(bad);
    CHECK(bad->status == 401);
    CHECK(ParseOrFail(bad->body).Find("status")->text == "FAIL");
  }
  auto locked = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "admin"}});
  REQUIRE(locked);
  CHECK(locked->status == 401);
  const XmlNode doc = ParseOrFail(locked->body);
  CHECK(doc.Find("status")->text == "FAIL_LOCKED_OUT");
  CHECK(doc.Find("message")->text.find("has been locked") != std::string::npos);
  // Basic auth is locked out the same way.
  c->set_basic_auth("admin", "admin");
  auto basic = c->Get("/api/events/maxEventId");
  REQUIRE(basic);
  CHECK(basic->status == 401);
  CHECK(ParseOrFail(basic->body).Find("status")->text == "FAIL_LOCKED_OUT");
}

TEST_CASE("a server still starting answers FAIL for the first logins and writes no event for them", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.starting_logins = 2;
  Running s(o);
  auto c = s.Client();
  for (int i = 0; i < 2; ++i) {
    auto res = c->Post("/api/users/_login", httplib::Params{{"username", "admin"}, {"password", "admin"}});
    REQUIRE(res);
    CHECK(res->status == 401);
    const XmlNode doc = ParseOrFail(res->body);
    CHECK(doc.Find("status")->text == "FAIL");
    CHECK(doc.Find("message")->text.find("Server is still starting or otherwise unavailable") == 0);
  }
  const std::string cookie = s.Login(*c);
  const XmlNode list = ParseOrFail(LoginEventsXml(s, *c, cookie, 5));
  // Generated Login events exist too; only one was appended (the id right after the generated ones).
  auto max = c->Get("/api/events/maxEventId", Cookie(cookie));
  REQUIRE(max);
  const auto rows = Rows(list);
  REQUIRE_FALSE(rows.empty());
  CHECK(rows[0].name == "Login");
  CHECK(rows[0].outcome == "SUCCESS");
  CHECK(max->body == "<int>" + std::to_string(rows[0].id) + "</int>");
  CHECK((rows.size() < 2 || rows[1].ip != "127.0.0.1"));
}

TEST_CASE("every login attempt appends a Login event with the user, outcome and caller address", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client();
  auto bad = c->Post("/api/users/_login", httplib::Params{{"username", "mallory"}, {"password", "x"}});
  REQUIRE(bad);
  REQUIRE(bad->status == 401);
  const std::string cookie = s.Login(*c);
  auto res = c->Get("/api/events?limit=2", Cookie(cookie));
  REQUIRE(res);
  const XmlNode list = ParseOrFail(res->body);
  const auto rows = Rows(list);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == rows[1].id + 1);
  CHECK(rows[0].name == "Login");
  CHECK(rows[0].outcome == "SUCCESS");
  CHECK(rows[0].user_id == "1");
  CHECK(rows[0].ip == "127.0.0.1");
  CHECK(rows[0].level == "INFORMATION");
  const XmlNode* entry = rows[0].node->Find("attributes")->Find("entry");
  REQUIRE(entry != nullptr);
  CHECK(entry->children[0].text == "username");
  CHECK(entry->children[1].text == "admin\n");
  CHECK(rows[1].name == "Login");
  CHECK(rows[1].outcome == "FAILURE");
  CHECK(rows[1].user_id == "0");
  CHECK(rows[1].ip == "127.0.0.1");
  CHECK(rows[1].node->Find("attributes")->Find("entry")->children[1].text == "mallory\n");
  // Their eventTime is the data clock's now (frozen in these tests).
  CHECK(rows[0].time == kStart + 8 * 86400000LL);
}

TEST_CASE("Basic auth works on any endpoint and bad Basic credentials get a LoginStatus", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client();
  c->set_basic_auth("admin", "admin");
  auto ok = c->Get("/api/events/count", {{"Accept", "text/plain"}});
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "300");
  auto bad = s.Client();
  bad->set_basic_auth("admin", "guess");
  auto res = bad->Get("/api/events?limit=1");
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK(ParseOrFail(res->body).Find("status")->text == "FAIL");
}

TEST_CASE("without a session or credentials the API answers 401 with an HTML page, never JSON", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client();
  auto res = c->Get("/api/events?limit=1", {{"Accept", "application/json"}});
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK(res->get_header_value("Content-Type").rfind("text/html", 0) == 0);
  auto forged = c->Get("/api/events?limit=1", Cookie("JSESSIONID=node0forged.node0"));
  REQUIRE(forged);
  CHECK(forged->status == 401);
}

TEST_CASE("a session expires after its request budget and works again after a new login", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.session_max_requests = 2;
  Running s(o);
  auto c = s.Client();
  const std::string cookie = s.Login(*c);
  for (int i = 0; i < 2; ++i) {
    auto res = c->Get("/api/events/maxEventId", Cookie(cookie));
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  auto expired = c->Get("/api/events/maxEventId", Cookie(cookie));
  REQUIRE(expired);
  CHECK(expired->status == 401);
  auto still = c->Get("/api/events/maxEventId", Cookie(cookie));
  REQUIRE(still);
  CHECK(still->status == 401);
  const std::string again = s.Login(*c);
  CHECK(again != cookie);
  auto res = c->Get("/api/events/maxEventId", Cookie(again));
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("logout invalidates the session and is audited", "[mirth]") {
  Running s(BaseOptions());
  auto c = s.Client();
  const std::string cookie = s.Login(*c);
  auto out = c->Post("/api/users/_logout", Cookie(cookie), "", "application/x-www-form-urlencoded");
  REQUIRE(out);
  CHECK(out->status == 204);
  auto after = c->Get("/api/events/maxEventId", Cookie(cookie));
  REQUIRE(after);
  CHECK(after->status == 401);
  const std::string again = s.Login(*c);
  auto res = c->Get("/api/events?limit=2", Cookie(again));
  REQUIRE(res);
  const XmlNode doc = ParseOrFail(res->body);
  const auto rows = Rows(doc);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].name == "Login");
  CHECK(rows[1].name == "Logout");
  CHECK(rows[1].user_id == "1");
}

TEST_CASE("faults fire on the request numbers given", "[mirth]") {
  MirthOptions o = BaseOptions();
  // Request 1 is the login; 2..5 below.
  o.faults = {"500@2", "403-empty@3", "expire@4", "slow:1@5", "drop@6"};
  Running s(o);
  auto c = s.Client();
  const std::string cookie = s.Login(*c);
  auto r2 = c->Get("/api/events?limit=1", Cookie(cookie));
  REQUIRE(r2);
  CHECK(r2->status == 500);
  CHECK(r2->get_header_value("Content-Type") == "text/html;charset=iso-8859-1");
  CHECK(r2->body.find("HTTP ERROR 500") != std::string::npos);
  auto r3 = c->Get("/api/events?limit=1", Cookie(cookie));
  REQUIRE(r3);
  CHECK(r3->status == 403);
  CHECK(r3->body.empty());
  CHECK(r3->get_header_value_count("Content-Length") == 1);
  CHECK(r3->get_header_value("Content-Length") == "0");
  auto r4 = c->Get("/api/events?limit=1", Cookie(cookie));
  REQUIRE(r4);
  CHECK(r4->status == 401);  // every session was invalidated at request 4
  const std::string fresh = s.Login(*c);  // request 5 (slow, still a login)
  auto r6 = c->Get("/api/events?limit=5", Cookie(fresh));
  CHECK_FALSE(r6);  // the body stops halfway and the connection closes
  auto r7 = s.Client()->Get("/api/events?limit=1", Cookie(fresh));
  REQUIRE(r7);
  CHECK(r7->status == 200);
}

TEST_CASE("a bad fault spec or option is refused at Create with a message", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.faults = {"teapot@1"};
  auto r = MirthServer::Create(o);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("teapot") != std::string::npos);
  o.faults = {"500@3-1"};
  CHECK_FALSE(MirthServer::Create(o));
  o.faults = {"slow@1"};
  CHECK_FALSE(MirthServer::Create(o));
  o.faults = {};
  o.version = "2.0";
  CHECK_FALSE(MirthServer::Create(o));
}

TEST_CASE("the startup line is one JSON object with what a client needs", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.common.fixtures_root = std::string(CUSTODY_FIXTURES_DIR) + "/ehr/real";
  Running s(o);
  rapidjson::Document d;
  d.Parse(s.server().StartupJson().c_str());
  REQUIRE(d.IsObject());
  CHECK(std::string(d["base_url"].GetString()) == "http://127.0.0.1:" + std::to_string(s.server().port()) + "/api");
  CHECK(std::string(d["version"].GetString()) == "3.12");
  CHECK(std::string(d["username"].GetString()) == "admin");
  CHECK(std::string(d["timezone"].GetString()) == "Etc/UTC");
  CHECK(std::string(d["db_precision"].GetString()) == "ms");
  CHECK(d["ca_file"].IsNull());
  CHECK(d["events"]["generated"].GetUint64() == 300);
  CHECK(d["events"]["first_id"].GetInt64() > 0);
  CHECK(d["events"]["last_id"].GetInt64() >= d["events"]["first_id"].GetInt64() + 299);
  CHECK(d["channels"].Size() == 2);
  CHECK(d["faults"].IsArray());
  CHECK(d["fixtures_url"].IsString());
  std::ifstream in(std::string(CUSTODY_SOURCE_DIR) + "/schemas/sim-mirth.schema.json", std::ios::binary);
  std::ostringstream schema;
  schema << in.rdbuf();
  REQUIRE_FALSE(schema.str().empty());
  const Status valid = json::ValidateAgainstSchema(d, schema.str());
  CHECK(valid.ok());
  if (!valid) WARN(valid.error().message());
  // And the schema does reject a wrong line.
  d["db_precision"].SetString("nanos");
  CHECK_FALSE(json::ValidateAgainstSchema(d, schema.str()).ok());
}

TEST_CASE("over TLS the base URL is https, the CA file is named and the cookie keeps Secure", "[mirth]") {
  std::string templ = (std::filesystem::temp_directory_path() / "mirth-tls.XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  const std::filesystem::path dir = templ;
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } cleanup{dir};
  auto tls = MakeTlsMaterial(dir.string());
  REQUIRE(tls);
  MirthOptions o = BaseOptions();
  o.common.tls = true;
  o.common.tls_cert_path = tls->cert_path;
  o.common.tls_key_path = tls->key_path;
  o.common.ca_path = tls->ca_path;
  Running s(o);
  rapidjson::Document d;
  d.Parse(s.server().StartupJson().c_str());
  CHECK(std::string(d["base_url"].GetString()).rfind("https://127.0.0.1:", 0) == 0);
  CHECK(std::string(d["ca_file"].GetString()) == tls->ca_path);
  httplib::SSLClient c("127.0.0.1", s.server().port());
  c.set_ca_cert_path(tls->ca_path.c_str());
  c.enable_server_certificate_verification(true);
  auto res = c.Post("/api/users/_login", {{"X-Requested-With", "t"}}, "username=admin&password=admin",
                    "application/x-www-form-urlencoded");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Set-Cookie").find(";Path=/api;Secure") != std::string::npos);
  o.common.tls_cert_path = (dir / "missing.pem").string();
  auto bad = MirthServer::Create(o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("missing.pem") != std::string::npos);
}

TEST_CASE("the real 3.12 fixture files are served byte for byte at the debug path", "[mirth]") {
  MirthOptions o = BaseOptions();
  o.common.fixtures_root = std::string(CUSTODY_FIXTURES_DIR) + "/ehr/real";
  Running s(o);
  auto c = s.Client(false);
  for (const char* name : {"get-serverEvent.xml", "get-serverEventList.multiple.xml", "post-loginStatus.xml",
                           "get-message.error.xml", "get-channelNameMap.xml"}) {
    CAPTURE(name);
    std::ifstream in(std::string(CUSTODY_FIXTURES_DIR) + "/ehr/real/mirth-3.12.0-apiexamples/" + name,
                     std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    REQUIRE_FALSE(ss.str().empty());
    auto res = c->Get((std::string("/__fixtures/mirth/") + name).c_str());
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == ss.str());
  }
  auto missing = c->Get("/__fixtures/mirth/nope.xml");
  REQUIRE(missing);
  CHECK(missing->status == 404);
}

}  // namespace
}  // namespace custody::sim::mirth::test
