// custody collect salesforce against custody-sim: every stream, auth flow, fault and licence
// switch, the breach scenarios' answer keys, secrets, TLS and bad input.

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "core/time.h"
#include "crypto/digest.h"
#include "e2e/collect/collect_support.h"
#include "fakes/scoped_env.h"
#include "json/json.h"
#include "json/schemas.h"

namespace custody::test {
namespace {

std::vector<std::string> SimArgs(std::vector<std::string> extra = {}) {
  std::vector<std::string> a = DeterministicArgs();
  a.insert(a.end(), {"--history-rows", "6000", "--elf-bytes-per-day", "200000"});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::uint64_t ReceivedOf(const rapidjson::Value& item) { return item["received"].GetUint64(); }

// Every capture sidecar of the bundle: its bag path and its parsed JSON.
std::vector<std::pair<std::string, rapidjson::Document>> Sidecars(const Collected& c) {
  std::vector<std::pair<std::string, rapidjson::Document>> out;
  for (const auto& f : c.PayloadFiles()) {
    if (f.size() < 10 || f.compare(f.size() - 10, 10, ".http.json") != 0) continue;
    std::string text = c.ReadPayload(f);
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    out.emplace_back(f, std::move(d));
  }
  return out;
}

bool AnyAttemptFile(const Collected& c) {
  for (const auto& f : c.PayloadFiles()) {
    if (f.find(".attempt-") != std::string::npos) return true;
  }
  return false;
}

void RequireComplete(CollectHarness& h, const Collected& c) {
  INFO(c.cli.out << c.cli.err);
  REQUIRE(c.cli.code == 0);
  REQUIRE(c.has_bundle());
  CHECK(c.Collection()["complete"].GetBool());
  CHECK(std::string(c.Collection()["stop_reason"].GetString()) == "none");
  int code = -1;
  rapidjson::Document v = h.Verify(c.bundle, &code);
  CHECK(code == 0);
  CHECK(v["verified"].GetBool());
  CHECK(v["bundle"]["collection_complete"].GetBool());
}

// A record's provenance points at the exact raw bytes it was derived from.
void CheckProvenance(const Collected& c, const std::string& line) {
  rapidjson::Document r;
  r.Parse(line.c_str());
  REQUIRE_FALSE(r.HasParseError());
  const auto& p = r["provenance"];
  std::string raw = c.ReadPayload(p["raw_file"].GetString());
  std::uint64_t off = p["byte_offset"].GetUint64(), len = p["byte_length"].GetUint64();
  REQUIRE(off + len <= raw.size());
  CHECK(crypto::Sha256Hex(std::string_view(raw).substr(off, len)) == p["raw_sha256"].GetString());
}

}  // namespace

TEST_CASE("collect salesforce with an access token seals every stream complete and verifiable", "[collect]") {
  CollectHarness h(SimArgs());
  Collected c = h.Run({});
  RequireComplete(h, c);

  // What the server said it had is what arrived, per object.
  std::uint64_t history_received = 0;
  for (const auto& s : c.Collection()["sources"][0]["streams"].GetArray()) {
    for (const auto& i : s["items"].GetArray()) {
      std::string status = i["status"].GetString();
      INFO(s["name"].GetString() << "/" << i["object"].GetString());
      CHECK(status != "incomplete");
      if (status == "complete" && !i["expected"].IsNull()) CHECK(i["expected"].GetUint64() == i["received"].GetUint64());
      if (std::string(s["name"].GetString()) == "field-history" && status == "complete") {
        history_received += ReceivedOf(i);
      }
    }
  }
  CHECK(history_received > 1000);
  const auto& account = c.Item("field-history", "AccountHistory");
  CHECK(std::string(account["method"].GetString()) == "rest-queryAll");
  CHECK(std::string(account["soql"].GetString()).find("CreatedDate >= 2026-04-01T00:00:00Z") != std::string::npos);
  // Field Audit Trail is not licensed by default: the server's own answer is kept.
  const auto& archive = c.Item("field-history", "FieldHistoryArchive");
  CHECK(std::string(archive["status"].GetString()) == "unavailable");
  CHECK(std::string(archive["server_answer"].GetString()).find("INVALID_TYPE") != std::string::npos);
  CHECK(c.Item("logins", "LoginHistory")["received"].GetUint64() > 0);
  CHECK(c.Item("logins", "EventLogFile:Login")["received"].GetUint64() ==
        c.Item("logins", "EventLogFile:Login")["expected"].GetUint64());
  CHECK(c.Item("exports", "EventLogFile:ReportExport")["pages"].GetUint64() > 0);
  CHECK(c.Item("exports", "SetupAuditTrail")["received"].GetUint64() > 0);

  // The signed statement carries the window.
  std::string statement = ReadFile(c.top / "statement.txt");
  CHECK(statement.find("# time-window: 2026-04-01T00:00:00Z/2026-04-08T00:00:00Z\n") != std::string::npos);
  CHECK(std::string(c.metadata["kind"].GetString()) == "collect");
  REQUIRE(json::ValidateAgainstSchema(c.metadata, json::kCollectionSchema).ok());

  // Normalized records: one per history row, each valid and pointing at its raw bytes.
  std::uint64_t history_records = 0;
  for (size_t i = 0; i < c.record_lines.size(); ++i) {
    if (c.record_lines[i].find("\"stream\":\"field-history\"") != std::string::npos) ++history_records;
  }
  CHECK(history_records == history_received);
  for (size_t i = 0; i < c.record_lines.size(); i += 37) {
    rapidjson::Document r;
    r.Parse(c.record_lines[i].c_str());
    INFO(c.record_lines[i]);
    REQUIRE(json::ValidateAgainstSchema(r, json::kRecordSchema).ok());
    CheckProvenance(c, c.record_lines[i]);
  }

  // The merged timeline is sorted by time and holds every timed record once.
  std::ifstream timeline(c.top / "data" / "normalized" / "timeline.jsonl");
  std::string line, previous;
  std::uint64_t lines = 0;
  while (std::getline(timeline, line)) {
    rapidjson::Document r;
    r.Parse(line.c_str());
    REQUIRE(r["datetime"].IsString());
    REQUIRE(r["message"].IsString());
    REQUIRE(r["timestamp_desc"].IsString());
    std::string t = r["@timestamp"].GetString();
    CHECK(previous <= t);
    previous = t;
    ++lines;
  }
  CHECK(lines + c.Collection()["normalized"]["untimed_records"].GetUint64() == c.record_lines.size());

  // Every capture has its sidecar, with the evidence headers and without the token.
  const std::string token = h.sim().Get("access_token");
  std::uint64_t sidecars = 0;
  for (const auto& f : c.PayloadFiles()) {
    if (f.size() < 10 || f.compare(f.size() - 10, 10, ".http.json") != 0) continue;
    ++sidecars;
    std::string text = c.ReadPayload(f);
    CHECK(text.find(token) == std::string::npos);
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(json::ValidateAgainstSchema(d, json::kCaptureSidecarSchema).ok());
    std::string sent;
    for (const auto& hdr : d["request"]["headers"].GetArray()) {
      sent += std::string(hdr[0].GetString()) + ": " + hdr[1].GetString() + "\n";
    }
    CHECK(sent.find("Sforce-Call-Options: client=custody\n") != std::string::npos);  // names the collector
    CHECK(sent.find("Authorization") == std::string::npos);
    std::string headers;
    for (const auto& hdr : d["response"]["headers"].GetArray()) headers += std::string(hdr[0].GetString()) + "\n";
    CHECK(headers.find("Date") != std::string::npos);
    // Every API call carries the org's usage; the OpenID userinfo endpoint is not an API call.
    if (std::string(d["role"].GetString()) != "userinfo") CHECK(headers.find("Sforce-Limit-Info") != std::string::npos);
  }
  CHECK(sidecars > 10);
  CHECK(c.Collection()["sources"][0]["clock"]["samples"].GetUint64() > 0);
  CHECK(c.cli.out.find("next         custody verify") != std::string::npos);
}

TEST_CASE("collect salesforce authenticates with jwt, client credentials and a refresh token", "[collect]") {
  CollectHarness h(SimArgs());
  for (const std::string mode : {"jwt", "client-credentials", "refresh-token"}) {
    INFO(mode);
    CollectSetup s;
    s.auth = mode;
    s.streams = "logins";
    Collected c = h.Run(s);
    RequireComplete(h, c);
    const auto& auth = c.Collection()["sources"][0]["auth"];
    CHECK(std::string(auth["mode"].GetString()) == mode);
    REQUIRE(auth["grants"].Size() >= 1);
    CHECK(auth["grants"][0]["http_status"].GetInt() == 200);
    CHECK(std::string(c.Collection()["sources"][0]["collector_username"].GetString()) == h.sim().Get("username"));
  }
}

TEST_CASE("collect salesforce re-authenticates when the token expires mid-paging and mid-download", "[collect][faults]") {
  CollectHarness h(SimArgs({"--fault", "expire@12", "--fault", "expire@40"}));
  CollectSetup s;
  s.auth = "jwt";
  Collected c = h.Run(s);
  RequireComplete(h, c);
  CHECK(c.Collection()["sources"][0]["auth"]["grants"].Size() >= 3);
}

TEST_CASE("collect salesforce with an expired access token seals what it has and exits 5", "[collect][faults]") {
  CollectHarness h(SimArgs({"--fault", "expire@20"}));
  Collected c = h.Run({});
  INFO(c.cli.out << c.cli.err);
  CHECK(c.cli.code == 5);
  REQUIRE(c.has_bundle());
  CHECK_FALSE(c.Collection()["complete"].GetBool());
  CHECK(std::string(c.Collection()["stop_reason"].GetString()) == "auth");
  int code = -1;
  rapidjson::Document v = h.Verify(c.bundle, &code);
  CHECK(code == 0);  // the bundle is sound evidence of what it holds
  CHECK_FALSE(v["bundle"]["collection_complete"].GetBool());
  bool warned = false;
  for (const auto& f : v["findings"].GetArray()) warned |= std::string(f["kind"].GetString()) == "collection-incomplete";
  CHECK(warned);
  CHECK(c.cli.out.find("INCOMPLETE") != std::string::npos);
}

TEST_CASE("collect salesforce retries server errors, timeouts, drops and truncated bodies", "[collect][faults]") {
  // Faults that fire on any call are numbered or seeded over all three streams. Query timeouts
  // fire only on queries, whose call numbers depend on how the streams interleave, so they run
  // with the logins stream alone: call 1 is describeGlobal, 2 LoginHistory's describe, 3 its query.
  struct Case {
    std::string fault;
    std::string streams;
  };
  for (const Case& k : std::vector<Case>{{"503%8", ""}, {"500@5-7", ""}, {"502@9", ""},
                                         {"query-timeout@3", "logins"}, {"query-timeout-500@3-4", "logins"},
                                         {"drop%6", ""}, {"truncate%6", ""}, {"short-page", ""},
                                         {"slow:300@4", ""}}) {
    const std::string& fault = k.fault;
    INFO(fault);
    CollectHarness h(SimArgs({"--fault", fault}));
    CollectSetup s;
    if (!k.streams.empty()) s.streams = k.streams;
    Collected c = h.Run(s);
    RequireComplete(h, c);
    if (fault != "short-page" && fault.rfind("slow", 0) != 0) CHECK(AnyAttemptFile(c));
  }
}

TEST_CASE("collect salesforce keeps every byte of a dropped LogFile download and re-fetches it", "[collect][faults]") {
  // With one stream, calls from about 20 on are LogFile downloads; three drops in a row are three
  // attempts at one file (the fourth, within --max-attempts 5, succeeds).
  CollectHarness h(SimArgs({"--fault", "drop@30-32"}));
  CollectSetup s;
  s.streams = "exports";
  Collected c = h.Run(s);
  RequireComplete(h, c);
  bool partial_kept = false;
  for (const auto& [f, d] : Sidecars(c)) {
    if (!d["body"]["complete"].GetBool() && d["body"]["bytes"].GetUint64() > 0) partial_kept = true;
  }
  CHECK(partial_kept);
}

TEST_CASE("collect salesforce stops at the API limit and at the budget reserve, sealed as incomplete", "[collect][faults]") {
  SECTION("403 REQUEST_LIMIT_EXCEEDED") {
    CollectHarness h(SimArgs({"--fault", "limit@25"}));
    Collected c = h.Run({});
    INFO(c.cli.out << c.cli.err);
    CHECK(c.cli.code == 6);
    REQUIRE(c.has_bundle());
    CHECK(std::string(c.Collection()["stop_reason"].GetString()) == "api-budget");
  }
  SECTION("the reserve") {
    CollectHarness h(SimArgs({"--api-limit", "100"}));
    CollectSetup s;
    s.extra_args = {"--api-budget-reserve", "50"};
    Collected c = h.Run(s);
    INFO(c.cli.out << c.cli.err);
    CHECK(c.cli.code == 6);
    REQUIRE(c.has_bundle());
    CHECK(std::string(c.Collection()["stop_detail"].GetString()).find("reserve 50 %") != std::string::npos);
    // It stopped with the reserve intact.
    CHECK(c.Collection()["sources"][0]["api_usage"]["last_seen_used"].GetInt64() <= 52);
  }
}

TEST_CASE("collect salesforce resumes after an expired query locator without losing or repeating a row", "[collect][faults]") {
  CollectHarness h(SimArgs({"--fault", "locator-expired%40"}));
  CollectSetup s;
  s.streams = "field-history";
  s.extra_args = {"--batch-size", "200"};
  Collected c = h.Run(s);
  RequireComplete(h, c);
  std::string resumed_object;
  for (const auto& i : c.Collection()["sources"][0]["streams"][0]["items"].GetArray()) {
    if (i["notes"].Empty()) continue;
    resumed_object = i["object"].GetString();
    CHECK(std::string(i["notes"][0].GetString()).find("INVALID_QUERY_LOCATOR") != std::string::npos);
    CHECK(std::string(i["notes"][0].GetString()).find(" AND Id > '") != std::string::npos);
    CHECK(i["received"].GetUint64() == i["expected"].GetUint64());
  }
  REQUIRE_FALSE(resumed_object.empty());
  // Every row of that object once: no Id twice among its normalized records.
  std::set<std::string> ids;
  std::uint64_t rows = 0;
  for (const auto& line : c.record_lines) {
    rapidjson::Document r;
    r.Parse(line.c_str());
    if (resumed_object != r["event_type"].GetString()) continue;
    ++rows;
    ids.insert(r["correlation"]["event_id"].GetString());
  }
  CHECK(rows == c.Item("field-history", resumed_object)["expected"].GetUint64());
  CHECK(ids.size() == rows);
}

TEST_CASE("collect salesforce reports an expired locator it cannot resume as a gap, never as complete", "[collect][faults]") {
  // Event storage objects sort only by EventDate DESC, so there is no (time, Id) to resume after.
  CollectHarness h(SimArgs({"--fault", "locator-expired%100"}));
  CollectSetup s;
  s.streams = "logins";
  s.extra_args = {"--batch-size", "200"};
  Collected c = h.Run(s);
  INFO(c.cli.out << c.cli.err);
  CHECK(c.cli.code == 4);
  REQUIRE(c.has_bundle());
  CHECK_FALSE(c.Collection()["complete"].GetBool());
  CHECK(std::string(c.Item("logins", "LoginEvent")["status"].GetString()) == "incomplete");
  CHECK(c.cli.out.find("INVALID_QUERY_LOCATOR") != std::string::npos);
}

TEST_CASE("collect salesforce records unlicensed objects as unavailable with the server's answer", "[collect][licences]") {
  CollectHarness h(SimArgs({"--no-shield", "--field-audit-trail", "--no-event-monitoring"}));
  Collected c = h.Run({});
  RequireComplete(h, c);
  for (const char* o : {"LoginEvent", "LogoutEvent", "LoginAsEvent"}) {
    const auto& i = c.Item("logins", o);
    CHECK(std::string(i["status"].GetString()) == "unavailable");
    CHECK(std::string(i["server_answer"].GetString()).find("INVALID_TYPE") != std::string::npos);
  }
  CHECK(std::string(c.Item("exports", "ReportEvent")["status"].GetString()) == "unavailable");
  const auto& archive = c.Item("field-history", "FieldHistoryArchive");
  CHECK(std::string(archive["status"].GetString()) == "complete");
  CHECK(archive["received"].GetUint64() > 0);
  // Without Event Monitoring only the free log types exist.
  for (const auto& s : c.Collection()["sources"][0]["streams"].GetArray()) {
    for (const auto& i : s["items"].GetArray()) CHECK(std::string(i["object"].GetString()) != "EventLogFile:ReportExport");
  }
}

TEST_CASE("collect salesforce finds every record of each breach scenario's answer key", "[collect][scenarios]") {
  for (const std::string scenario : {"report-exfiltration", "bulk-exfiltration", "foreign-login-mass-update"}) {
    INFO(scenario);
    CollectHarness h(SimArgs({"--scenario", scenario}));
    Collected c = h.Run({});
    RequireComplete(h, c);
    rapidjson::Document key;
    std::string key_text = ReadFile(h.sim().Get("answer_key"));
    key.Parse(key_text.c_str());
    REQUIRE_FALSE(key.HasParseError());
    // Index the records by event type.
    std::map<std::string, std::vector<size_t>> by_type;
    std::vector<rapidjson::Document> records(c.record_lines.size());
    for (size_t i = 0; i < c.record_lines.size(); ++i) {
      records[i].Parse(c.record_lines[i].c_str());
      by_type[records[i]["event_type"].GetString()].push_back(i);
    }
    size_t checked = 0;
    for (const auto& event : key["events"].GetArray()) {
      for (const auto& ev : event["evidence"].GetArray()) {
        std::string log = ev["log"].GetString(), field = ev["key_field"].GetString(), value = ev["key"].GetString();
        INFO(log << " " << field << "=" << value);
        bool found = false;
        for (size_t i : by_type[log]) {
          const auto& p = records[i]["provenance"];
          std::string raw = c.ReadPayload(p["raw_file"].GetString());
          std::string row = raw.substr(p["byte_offset"].GetUint64(), p["byte_length"].GetUint64());
          bool json = log.rfind("EventLogFile:", 0) != 0;
          if (json) {
            rapidjson::Document d;
            d.Parse(row.c_str());
            found = d.IsObject() && d.HasMember(field.c_str()) && d[field.c_str()].IsString() &&
                    value == d[field.c_str()].GetString();
          } else {
            found = row.find("\"" + value + "\"") != std::string::npos;
          }
          if (found) break;
        }
        CHECK(found);
        ++checked;
      }
    }
    CHECK(checked > 3);
  }
}

TEST_CASE("collect salesforce never writes a secret to the bundle, its output or its errors", "[collect][secrets]") {
  CollectHarness h(SimArgs({"--fault", "expire@15"}));
  const std::string key_pem = ReadFile(h.sim().Get("jwt_private_key"));
  const std::string key_body = key_pem.substr(key_pem.find('\n') + 1, 64);
  std::vector<std::string> secrets = {h.sim().Get("access_token"), h.sim().Get("client_secret"),
                                      h.sim().Get("refresh_token"), key_body};
  std::vector<Collected> runs;
  for (const std::string mode : {"token", "jwt", "client-credentials", "refresh-token"}) {
    CollectSetup s;
    s.auth = mode;
    s.streams = "logins";
    runs.push_back(h.Run(s));
  }
  // A refused grant's error output too.
  CollectSetup bad;
  bad.auth = "client-credentials";
  bad.env["SF_CLIENT_SECRET"] = "wrong-secret-value-1234567890";
  secrets.push_back("wrong-secret-value-1234567890");
  runs.push_back(h.Run(bad));
  CHECK(runs.back().cli.code == 5);
  CHECK_FALSE(runs.back().has_bundle());
  for (const auto& c : runs) {
    for (const auto& s : secrets) {
      CHECK(c.cli.out.find(s) == std::string::npos);
      CHECK(c.cli.err.find(s) == std::string::npos);
    }
    if (!c.has_bundle()) continue;
    CliResult grep = RunShell("grep -rlF -e '" + secrets[0] + "' -e '" + secrets[1] + "' -e '" + secrets[2] +
                              "' -e '" + key_body + "' '" + c.top.string() + "'");
    INFO(grep.out);
    CHECK(grep.code == 1);  // grep: no match
  }
}

TEST_CASE("collect salesforce refuses secrets on the command line without echoing them", "[collect][secrets]") {
  CliResult r = RunCli({"collect", "salesforce", "--access-token", "00Dsecretvalue!xyz"});
  CHECK(r.code == 2);
  CHECK(r.err.find("00Dsecretvalue") == std::string::npos);
  CHECK(r.err.find("never go on the command line") != std::string::npos);
}

TEST_CASE("collect salesforce over TLS trusts only the given CA, and plain http only to loopback", "[collect][tls]") {
  CollectHarness h(SimArgs({"--tls"}));
  CollectSetup s;
  s.streams = "logins";
  s.extra_args = {"--ca-file", h.sim().Get("ca_file")};
  Collected ok = h.Run(s);
  RequireComplete(h, ok);
  CHECK(h.sim().Get("instance_url").rfind("https://", 0) == 0);

  CollectSetup untrusted;
  untrusted.streams = "logins";
  Collected bad = h.Run(untrusted);
  CHECK(bad.cli.code == 1);
  CHECK_FALSE(bad.has_bundle());
  CHECK(bad.cli.err.find("certificate") != std::string::npos);

  ScopedEnv token("SF_ACCESS_TOKEN", "x");
  CliResult plain = RunCli({"collect", "salesforce", "--instance-url", "http://192.0.2.10", "--auth", "token", "--since",
                            "7d", "--case", "C", "--examiner", "E", "--key", h.keys().key.string(), "--cert",
                            h.keys().cert.string(), "--out", (h.dir() / "plain.tar").string()});
  CHECK(plain.code == 2);
  CHECK(plain.err.find("http://192.0.2.10") != std::string::npos);
}

TEST_CASE("collect salesforce refuses bad input with a message naming it", "[collect][input]") {
  CollectHarness h(SimArgs());
  struct Case {
    std::vector<std::string> extra;
    std::string since;
    std::string streams;
    std::string expect;
  };
  const std::string ok_since = "2026-04-01T00:00:00Z";
  for (const Case& k : std::vector<Case>{{{}, "2026-04-01T00:00:00", "logins", "--since"},
                                         {{}, "yesterday", "logins", "--since"},
                                         {{}, "2026-04-09T00:00:00Z", "logins", "is not before --until"},
                                         {{}, ok_since, "logins,sms", "unknown stream 'sms'"},
                                         {{"--batch-size", "5000"}, ok_since, "logins", "--batch-size"},
                                         {{"--api-budget-reserve", "150"}, ok_since, "logins", "--api-budget-reserve"},
                                         {{"--log-format", "xml"}, ok_since, "logins", "--log-format"}}) {
    CollectSetup s;
    s.since = k.since;
    s.until = "2026-04-08T00:00:00Z";
    s.streams = k.streams;
    s.extra_args = k.extra;
    Collected c = h.Run(s);
    INFO(c.cli.err);
    CHECK(c.cli.code == 2);
    CHECK(c.cli.err.find(k.expect) != std::string::npos);
    CHECK_FALSE(c.has_bundle());
    CHECK_FALSE(std::filesystem::exists(c.bundle.string() + ".work"));
  }
  // An --out in a folder that does not exist: refused before anything is asked or created.
  {
    ScopedEnv token("SF_ACCESS_TOKEN", h.sim().Get("access_token"));
    CollectSetup s;
    const std::filesystem::path missing = h.dir() / "no-such-folder";
    CliResult r = RunCli(h.Args(s, (missing / "x.tar").string()));
    CHECK(r.code == 2);
    CHECK(r.err.find("the folder of --out") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(missing));
  }
  // A token the org does not know: exit 5, nothing sealed, no work folder left.
  CollectSetup s;
  s.env["SF_ACCESS_TOKEN"] = "00D000000000000!bogus";
  Collected c = h.Run(s);
  CHECK(c.cli.code == 5);
  CHECK_FALSE(c.has_bundle());
  CHECK(c.cli.err.find("INVALID_SESSION_ID") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(c.bundle.string() + ".work"));
  // No SF_ACCESS_TOKEN at all.
  CollectSetup none;
  none.env["SF_ACCESS_TOKEN"] = std::nullopt;
  Collected n = h.Run(none);
  CHECK(n.cli.code == 2);
  CHECK(n.cli.err.find("SF_ACCESS_TOKEN") != std::string::npos);
}

}  // namespace custody::test

namespace custody::test {

TEST_CASE("collect salesforce reads large history objects with Bulk API 2.0", "[collect][bulk]") {
  CollectHarness h(SimArgs());
  CollectSetup s;
  s.streams = "field-history";
  s.extra_args = {"--bulk-threshold", "1000"};
  Collected c = h.Run(s);
  RequireComplete(h, c);
  std::uint64_t bulk_records = 0, bulk_items = 0;
  for (const auto& i : c.Collection()["sources"][0]["streams"][0]["items"].GetArray()) {
    if (std::string(i["method"].IsString() ? i["method"].GetString() : "") != "bulk-2.0") continue;
    ++bulk_items;
    CHECK(i["expected"].GetUint64() == i["received"].GetUint64());
    CHECK(i["expected"].GetUint64() > 1000);
    bulk_records += i["received"].GetUint64();
  }
  CHECK(bulk_items >= 1);
  // Each Bulk row becomes one record whose provenance is its CSV row.
  std::uint64_t from_bulk = 0;
  for (const auto& line : c.record_lines) {
    if (line.find("/bulk/results-") == std::string::npos) continue;
    ++from_bulk;
    if (from_bulk % 101 == 1) {
      rapidjson::Document r;
      r.Parse(line.c_str());
      CHECK(r["timestamp_status"] == "ok");
      CHECK(r["target"]["record_id"].IsString());
      const auto& p = r["provenance"];
      std::string raw = c.ReadPayload(p["raw_file"].GetString());
      CHECK(crypto::Sha256Hex(std::string_view(raw).substr(p["byte_offset"].GetUint64(), p["byte_length"].GetUint64())) ==
            p["raw_sha256"].GetString());
    }
  }
  CHECK(from_bulk == bulk_records);
}

TEST_CASE("collect salesforce keeps the decoded bytes of gzip responses", "[collect][gzip]") {
  CollectHarness h(SimArgs({"--gzip", "always"}));
  CollectSetup s;
  s.streams = "logins";
  Collected c = h.Run(s);
  RequireComplete(h, c);
  std::uint64_t gzipped = 0;
  for (const auto& [f, d] : Sidecars(c)) {
    if (d["response"].IsNull() || std::string(d["response"]["content_encoding"].GetString()) != "gzip") continue;
    ++gzipped;
    std::string body = c.ReadPayload(f.substr(0, f.size() - 10));
    REQUIRE(body.size() >= 2);
    CHECK_FALSE((static_cast<unsigned char>(body[0]) == 0x1f && static_cast<unsigned char>(body[1]) == 0x8b));
    CHECK(d["body"]["sha256"] == crypto::Sha256Hex(body).c_str());
  }
  CHECK(gzipped > 3);
}

TEST_CASE("collect salesforce seals what it has as incomplete when interrupted", "[collect][signals]") {
  CollectHarness h(SimArgs({"--fault", "slow:300"}));
  CollectSetup s;
  std::string out = (h.dir() / "interrupted.tar").string();
  std::string cmd = "SF_ACCESS_TOKEN='" + h.sim().Get("access_token") + "' timeout --preserve-status -s INT 3 '" CUSTODY_BINARY "'";
  for (const auto& a : h.Args(s, out)) cmd += " '" + a + "'";
  CliResult r = RunShell(cmd);
  INFO(r.out);
  CHECK(r.code == 130);
  REQUIRE(std::filesystem::exists(out));
  CHECK(r.out.find("INCOMPLETE: interrupted") != std::string::npos);
  int code = -1;
  rapidjson::Document v = h.Verify(out, &code);
  CHECK(code == 0);
  CHECK_FALSE(v["bundle"]["collection_complete"].GetBool());
  CHECK_FALSE(std::filesystem::exists(out + ".work"));
}

TEST_CASE("collect salesforce logs JSON lines for scripts", "[collect][log]") {
  CollectHarness h(SimArgs());
  CollectSetup s;
  s.streams = "logins";
  s.extra_args = {"--log-format", "json"};
  Collected c = h.Run(s);
  RequireComplete(h, c);
  size_t lines = 0;
  std::istringstream err(c.cli.err);
  std::string line;
  while (std::getline(err, line)) {
    rapidjson::Document d;
    d.Parse(line.c_str());
    INFO(line);
    REQUIRE_FALSE(d.HasParseError());
    CHECK(d["time"].IsString());
    CHECK(d["event"].IsString());
    ++lines;
  }
  CHECK(lines > 3);
}

}  // namespace custody::test

namespace custody::test {

namespace {
std::uint64_t CountType(const Collected& c, const std::string& event_type) {
  std::uint64_t n = 0;
  for (const auto& line : c.record_lines) n += line.find("\"event_type\":\"" + event_type + "\"") != std::string::npos;
  return n;
}
}  // namespace

TEST_CASE("collect salesforce keeps hourly log files without counting their events twice", "[collect][licences]") {
  CollectSetup s;
  s.streams = "logins";
  CollectHarness daily_only(SimArgs());
  Collected daily = daily_only.Run(s);
  RequireComplete(daily_only, daily);
  CollectHarness hourly_org(SimArgs({"--hourly-elf"}));
  Collected hourly = hourly_org.Run(s);
  RequireComplete(hourly_org, hourly);
  // More files are captured (daily and hourly), but each login event is normalized once.
  CHECK(hourly.Item("logins", "EventLogFile:Login")["pages"].GetUint64() >
        daily.Item("logins", "EventLogFile:Login")["pages"].GetUint64());
  CHECK(CountType(hourly, "EventLogFile:Login") == CountType(daily, "EventLogFile:Login"));
  CHECK(std::string(hourly.Item("logins", "EventLogFile (listing)")["soql"].GetString()).find("Interval") !=
        std::string::npos);
  CHECK(std::string(daily.Item("logins", "EventLogFile (listing)")["soql"].GetString()).find("Interval") ==
        std::string::npos);
}

TEST_CASE("collect salesforce on a developer edition org finds expired log files gone, not missing", "[collect][licences]") {
  // One day of retention: by the simulated now every file of the window has expired.
  CollectHarness h(SimArgs({"--developer-edition"}));
  CollectSetup s;
  s.streams = "logins";
  Collected c = h.Run(s);
  RequireComplete(h, c);
  const auto& listing = c.Item("logins", "EventLogFile (listing)");
  CHECK(listing["expected"].GetUint64() == 0);
  CHECK(CountType(c, "EventLogFile:Login") == 0);
  CHECK(CountType(c, "LoginHistory") > 0);
}

}  // namespace custody::test

namespace custody::test {

TEST_CASE("collect salesforce shows progress on a terminal and nothing when piped", "[collect][log]") {
  CollectHarness h(SimArgs());
  CollectSetup s;
  s.streams = "field-history,logins";
  std::string out = (h.dir() / "tty.tar").string();
  std::string cmd = "'" CUSTODY_BINARY "'";
  for (const auto& a : h.Args(s, out)) cmd += " '" + a + "'";
  // script(1) runs the command on a pseudo-terminal, as a responder's shell would.
  CliResult tty = RunShell("SF_ACCESS_TOKEN='" + h.sim().Get("access_token") + "' script -qec \"" + cmd +
                           "\" /dev/null");
  INFO(tty.out);
  REQUIRE(tty.code == 0);
  CHECK(tty.out.find("\r\033[K") != std::string::npos);
  CHECK(tty.out.find("[field-history] ") != std::string::npos);
  CHECK(tty.out.find(" records") != std::string::npos);
  // Not a terminal: standard error stays empty.
  std::string out2 = (h.dir() / "piped.tar").string();
  std::string cmd2 = "SF_ACCESS_TOKEN='" + h.sim().Get("access_token") + "' '" CUSTODY_BINARY "'";
  for (const auto& a : h.Args(s, out2)) cmd2 += " '" + a + "'";
  CliResult piped = RunShell(cmd2 + " 2>&1 >/dev/null");
  CHECK(piped.code == 0);
  CHECK(piped.out.empty());
}

}  // namespace custody::test

namespace custody::test {

TEST_CASE("collect salesforce says when a window reaches days whose log files are not written yet", "[collect][elf]") {
  // A live data clock: the org's activity runs up to the present.
  CollectHarness h({"--seed", "7", "--days", "3", "--history-rows", "2000", "--elf-bytes-per-day", "100000"});
  CollectSetup s;
  s.streams = "logins";
  s.since = "3d";
  s.until = "0s";
  Collected c = h.Run(s);
  RequireComplete(h, c);
  const auto& listing = c.Item("logins", "EventLogFile (listing)");
  REQUIRE(listing["notes"].Size() == 1);
  std::string note = listing["notes"][0].GetString();
  const std::string today = custody::FormatDate(custody::SystemClock().Now());
  CHECK(note.find("may not exist yet") != std::string::npos);
  CHECK(note.find(today) != std::string::npos);
  CHECK(c.cli.out.find("note EventLogFile (listing): daily event log files for") != std::string::npos);

  // A window that ended long ago has every daily file it will ever have: no such note.
  CollectHarness past(SimArgs());
  CollectSetup april;
  april.streams = "logins";
  Collected old = past.Run(april);
  RequireComplete(past, old);
  CHECK(old.Item("logins", "EventLogFile (listing)")["notes"].Empty());
}

}  // namespace custody::test

namespace custody::test {

TEST_CASE("collect salesforce writes the same paths and records whatever the threads' timing", "[collect][determinism]") {
  // Three streams run concurrently, and a seeded 30 % of calls are slowed down differently in
  // each run (the fault fires on call numbers, which the threads take in a different order).
  CollectHarness h(SimArgs({"--fault", "slow:40%30"}));
  Collected a = h.Run({});
  RequireComplete(h, a);
  Collected b = h.Run({});
  RequireComplete(h, b);
  auto manifest = [](const Collected& c) {
    std::map<std::string, std::string> files;  // path -> sha256
    std::ifstream in(c.top / "manifest-sha256.txt");
    std::string line;
    while (std::getline(in, line)) files[line.substr(66)] = line.substr(0, 64);
    return files;
  };
  auto ma = manifest(a), mb = manifest(b);
  std::set<std::string> pa, pb;
  for (const auto& [p, _] : ma) pa.insert(p);
  for (const auto& [p, _] : mb) pb.insert(p);
  CHECK(pa == pb);
  // Log files, describe answers and the records derived from everything are byte for byte the
  // same (query pages differ only in their opaque locators, sidecars in their timing).
  std::size_t compared = 0;
  for (const auto& [p, digest] : ma) {
    bool stable = p.size() > 4 && (p.compare(p.size() - 4, 4, ".csv") == 0 || p.find("describe.json") != std::string::npos ||
                                   p.find("/normalized/") != std::string::npos);
    if (!stable || p.find(".http.json") != std::string::npos) continue;
    INFO(p);
    CHECK(mb[p] == digest);
    ++compared;
  }
  CHECK(compared > 20);
  CHECK(a.record_lines == b.record_lines);
}

}  // namespace custody::test

namespace custody::test {

TEST_CASE("collect salesforce keeps every captured byte when the disk fills up", "[collect][disk]") {
  // A file size limit stands in for a full disk: writes past 3 MB fail with EFBIG (SIGXFSZ is
  // ignored, so the write fails instead of killing the process).
  CollectHarness h(SimArgs());
  CollectSetup s;
  std::string out = (h.dir() / "full.tar").string();
  std::string cmd = "trap '' XFSZ; ulimit -f 3000; SF_ACCESS_TOKEN='" + h.sim().Get("access_token") + "' '" CUSTODY_BINARY "'";
  for (const auto& a : h.Args(s, out)) cmd += " '" + a + "'";
  CliResult r = RunShell(cmd);
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK(r.out.find("captures are kept in " + out + ".work") != std::string::npos);
  // What was received is there, with its sidecars.
  std::size_t pages = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out + ".work/payload/raw")) {
    pages += e.path().filename().string().rfind("page-", 0) == 0;
  }
  CHECK(pages > 10);
  CHECK(r.out.find(h.sim().Get("access_token")) == std::string::npos);
}

}  // namespace custody::test

namespace custody::test {

// The merged timeline goes from the sorted runs straight into the bundle (no copy in the work
// folder); with --keep-work-dir it is written into the work folder first. Both must give the
// same records, and a seal that fails must still leave the timeline with the captures.
TEST_CASE("collect salesforce seals the same timeline whether it streams it or keeps the work folder",
          "[collect][timeline]") {
  CollectHarness h(SimArgs());
  Collected a = h.Run({});
  RequireComplete(h, a);
  CHECK_FALSE(std::filesystem::exists(a.bundle.string() + ".work"));
  CollectSetup keep;
  keep.extra_args = {"--keep-work-dir"};
  Collected b = h.Run(keep);
  RequireComplete(h, b);
  REQUIRE(a.record_lines.size() > 1000);
  CHECK(a.record_lines == b.record_lines);
  const std::string sealed = ReadFile(b.top / "data" / "normalized" / "timeline.jsonl");
  CHECK(ReadFile(a.top / "data" / "normalized" / "timeline.jsonl") == sealed);
  const std::filesystem::path kept = b.bundle.string() + ".work/payload/normalized/timeline.jsonl";
  REQUIRE(std::filesystem::exists(kept));
  CHECK(ReadFile(kept) == sealed);
}

TEST_CASE("collect salesforce whose seal fails keeps the merged timeline with the captures", "[collect][timeline][disk]") {
  CollectHarness h(SimArgs());
  Collected a = h.Run({});
  RequireComplete(h, a);
  const std::string timeline = ReadFile(a.top / "data" / "normalized" / "timeline.jsonl");
  // A file size limit between the largest file of the work folder and the bundle: every capture,
  // the timeline and its run file (the lines with a 24-byte key each) fit, the bundle does not.
  std::uint64_t largest = timeline.size() + 24 * a.record_lines.size() + 4096;
  for (const auto& e : std::filesystem::recursive_directory_iterator(a.top)) {
    if (e.is_regular_file()) largest = std::max<std::uint64_t>(largest, e.file_size());
  }
  const std::uint64_t bundle = std::filesystem::file_size(a.bundle);
  REQUIRE(largest + 200 * 1024 < bundle);
  const std::uint64_t limit = largest + (bundle - largest) / 2;
  const std::string out = (h.dir() / "seal-fails.tar").string();
  // prlimit takes bytes (the shell's ulimit -f counts blocks of a size that depends on the shell).
  std::string cmd = "trap '' XFSZ; SF_ACCESS_TOKEN='" + h.sim().Get("access_token") + "' prlimit --fsize=" +
                    std::to_string(limit) + " '" CUSTODY_BINARY "'";
  for (const auto& arg : h.Args({}, out)) cmd += " '" + arg + "'";
  CliResult r = RunShell(cmd);
  INFO(r.out);
  CHECK(r.code == 1);
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK(r.out.find("seal the collection (the captures are kept in " + out + ".work)") != std::string::npos);
  const std::filesystem::path kept = out + ".work/payload/normalized/timeline.jsonl";
  REQUIRE(std::filesystem::exists(kept));
  CHECK(ReadFile(kept) == timeline);
  CHECK(r.out.find(h.sim().Get("access_token")) == std::string::npos);
}

}  // namespace custody::test
