#include "bundle/custody_log.h"

#include <rapidjson/document.h>

#include "core/encoding.h"
#include "json/json.h"

namespace custody::bundle {

namespace {
rapidjson::Value Str(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}
}  // namespace

Result<std::string> SignCustodyEvent(const CustodyEvent& event, const crypto::SigningIdentity& actor) {
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  auto der = crypto::CertificateDer(actor.certificate());
  if (!der) return der.error();
  rapidjson::Value who(rapidjson::kObjectType);
  who.AddMember("subject", Str(crypto::SubjectString(actor.certificate()), a), a);
  who.AddMember("cert_sha256", Str(crypto::CertificateSha256(actor.certificate()), a), a);
  who.AddMember("certificate", Str(Base64Encode(AsBytes(*der)), a), a);
  rapidjson::Value details(rapidjson::kObjectType);
  for (const auto& [k, v] : event.details) details.AddMember(Str(k, a), Str(v, a), a);
  doc.AddMember("seq", event.seq, a);
  doc.AddMember("time", Str(event.time, a), a);
  doc.AddMember("action", Str(event.action, a), a);
  doc.AddMember("actor", who, a);
  doc.AddMember("statement_sha256", Str(event.statement_sha256, a), a);
  doc.AddMember("prev_sha256", Str(event.prev_sha256, a), a);
  doc.AddMember("details", details, a);
  doc.AddMember("tool", Str(event.tool, a), a);
  doc.AddMember("signature_algorithm", Str("sha256", a), a);
  auto unsigned_bytes = json::Canonical(doc);
  if (!unsigned_bytes) return unsigned_bytes.error();
  auto sig = crypto::SignBytes(actor.key.get(), *unsigned_bytes);
  if (!sig) return sig.error();
  doc.AddMember("signature", Str(Base64Encode(AsBytes(*sig)), a), a);
  return json::Canonical(doc);
}

Result<std::string> CustodySignedBytes(std::string_view line) {
  auto doc = json::Parse(line, "custody event");
  if (!doc) return doc.error();
  if (!doc->IsObject()) return Error(ErrorCode::kParse, "custody event is not a JSON object");
  doc->RemoveMember("signature");
  return json::Canonical(*doc);
}

}  // namespace custody::bundle
