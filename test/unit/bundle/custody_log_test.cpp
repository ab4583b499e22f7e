// bundle/custody_log: a signed custody event is one canonical JSON line whose signature covers the
// line without its "signature" member.

#include "bundle/custody_log.h"

#include <catch2/catch.hpp>

#include <string>

#include "core/encoding.h"
#include "json/json.h"
#include "json/schemas.h"

using namespace custody;

namespace {

crypto::SigningIdentity MakeIdentity(const std::string& subject) {
  auto key = crypto::GenerateKey(crypto::KeyType::kEcP256);
  REQUIRE(key);
  auto cert = crypto::MakeSelfSignedCertificate(key->get(), subject, UtcSeconds{std::chrono::seconds{1795433833}}, 30);
  REQUIRE(cert);
  crypto::SigningIdentity id;
  id.key = std::move(*key);
  id.chain.push_back(std::move(*cert));
  return id;
}

bundle::CustodyEvent SampleEvent() {
  bundle::CustodyEvent e;
  e.seq = 1;
  e.time = "2026-11-23T11:37:13Z";
  e.action = "sealed";
  e.statement_sha256 = std::string(64, 'a');
  e.prev_sha256 = std::string(bundle::kZeroSha256);
  e.details = {{"case_id", "IR-2026-014"}, {"examiner", "Zo\xc3\xab"}, {"bundle_id", "04aa969a"}};
  e.tool = "custody 0.1.0";
  return e;
}

// True when the line's signature verifies under the actor's certificate.
bool SignatureHolds(const std::string& line, X509* cert) {
  Result<rapidjson::Document> doc = json::Parse(line, "event");
  REQUIRE(doc);
  auto signature = Base64Decode((*doc)["signature"].GetString());
  REQUIRE(signature);
  Result<std::string> signed_bytes = bundle::CustodySignedBytes(line);
  REQUIRE(signed_bytes);
  return crypto::VerifyBytes(cert, *signed_bytes,
                             std::string_view(reinterpret_cast<const char*>(signature->data()), signature->size()));
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  size_t pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a signed custody event is one canonical, schema-valid JSON line", "[bundle]") {
  crypto::SigningIdentity actor = MakeIdentity("CN=Jane Examiner,O=Example Health");
  Result<std::string> line = bundle::SignCustodyEvent(SampleEvent(), actor);
  REQUIRE(line);
  CHECK(line->find('\n') == std::string::npos);
  Result<rapidjson::Document> doc = json::Parse(*line, "event");
  REQUIRE(doc);
  Result<std::string> canonical = json::Canonical(*doc);
  REQUIRE(canonical);
  CHECK(*canonical == *line);
  Status schema = json::ValidateAgainstSchema(*doc, json::kCustodyEventSchema);
  INFO((schema.ok() ? "" : schema.error().message()));
  CHECK(schema.ok());

  const rapidjson::Value& d = *doc;
  CHECK(d["seq"].GetInt64() == 1);
  CHECK(std::string(d["action"].GetString()) == "sealed");
  CHECK(std::string(d["signature_algorithm"].GetString()) == "sha256");
  CHECK(std::string(d["details"]["examiner"].GetString()) == "Zo\xc3\xab");
  CHECK(std::string(d["actor"]["subject"].GetString()) == "CN=Jane Examiner,O=Example Health");
  CHECK(std::string(d["actor"]["cert_sha256"].GetString()) == crypto::CertificateSha256(actor.certificate()));
  auto der = Base64Decode(d["actor"]["certificate"].GetString());
  REQUIRE(der);
  auto cert = crypto::CertificateFromDer(std::string_view(reinterpret_cast<const char*>(der->data()), der->size()));
  REQUIRE(cert);
  CHECK(X509_cmp(cert->get(), actor.certificate()) == 0);
}

TEST_CASE("a custody event's signature verifies over its bytes without the signature", "[bundle]") {
  crypto::SigningIdentity actor = MakeIdentity("CN=Jane Examiner");
  Result<std::string> line = bundle::SignCustodyEvent(SampleEvent(), actor);
  REQUIRE(line);
  CHECK(SignatureHolds(*line, actor.certificate()));

  Result<std::string> signed_bytes = bundle::CustodySignedBytes(*line);
  REQUIRE(signed_bytes);
  CHECK(signed_bytes->find("\"signature\":") == std::string::npos);
  CHECK(signed_bytes->find("\"signature_algorithm\":\"sha256\"") != std::string::npos);

  crypto::SigningIdentity stranger = MakeIdentity("CN=Jane Examiner");  // same name, other key
  CHECK_FALSE(SignatureHolds(*line, stranger.certificate()));
}

TEST_CASE("any edit to a signed custody event breaks its signature", "[bundle]") {
  crypto::SigningIdentity actor = MakeIdentity("CN=Jane Examiner");
  Result<std::string> line = bundle::SignCustodyEvent(SampleEvent(), actor);
  REQUIRE(line);
  auto [from, to] = GENERATE(table<std::string, std::string>({
      {"\"seq\":1", "\"seq\":2"},
      {"\"action\":\"sealed\"", "\"action\":\"received\""},
      {"\"case_id\":\"IR-2026-014\"", "\"case_id\":\"IR-2026-015\""},
      {"\"time\":\"2026-11-23T11:37:13Z\"", "\"time\":\"2026-11-23T11:37:14Z\""},
      {"\"prev_sha256\":\"0000", "\"prev_sha256\":\"1000"},
      {"\"tool\":\"custody 0.1.0\"", "\"tool\":\"custody 0.1.1\""},
  }));
  CAPTURE(to);
  CHECK_FALSE(SignatureHolds(Replace(*line, from, to), actor.certificate()));
}

TEST_CASE("whitespace and member order do not change what a custody signature covers", "[bundle]") {
  crypto::SigningIdentity actor = MakeIdentity("CN=Jane Examiner");
  Result<std::string> line = bundle::SignCustodyEvent(SampleEvent(), actor);
  REQUIRE(line);
  Result<rapidjson::Document> doc = json::Parse(*line, "event");
  REQUIRE(doc);
  rapidjson::Document reversed(rapidjson::kObjectType);  // same members, last first
  for (auto m = doc->MemberEnd(); m != doc->MemberBegin();) {
    --m;
    reversed.AddMember(rapidjson::Value(m->name, reversed.GetAllocator()),
                       rapidjson::Value(m->value, reversed.GetAllocator()), reversed.GetAllocator());
  }
  std::string pretty = json::Pretty(reversed);
  REQUIRE(pretty.rfind("{\n  \"tool\": ", 0) == 0);  // canonical order ends with "tool"
  CHECK(*bundle::CustodySignedBytes(pretty) == *bundle::CustodySignedBytes(*line));
  CHECK(SignatureHolds(pretty, actor.certificate()));
}

TEST_CASE("CustodySignedBytes refuses what is not one canonicalisable JSON object", "[bundle]") {
  std::string line = GENERATE(as<std::string>{}, "", "[]", "\"text\"", "{", "{} {}", "{\"seq\":1.5}",
                              "{\"seq\":1,\"seq\":2}", "{\"a\":\"\xff\"}");
  CAPTURE(line);
  CHECK_FALSE(bundle::CustodySignedBytes(line));
}
