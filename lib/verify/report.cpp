#include "verify/report.h"

#include <rapidjson/document.h>

#include "json/json.h"

namespace custody::verify {

namespace {
rapidjson::Value Str(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}
}  // namespace

std::string RenderText(const VerifyReport& r) {
  std::string out;
  out += (r.mode == "bag" ? "Bag " : "Bundle ") + r.target + "\n";
  if (!r.bundle_id.empty()) {
    out += "  bundle id    " + r.bundle_id + "\n";
    out += "  case         " + r.case_id + "\n";
    out += "  examiner     " + r.examiner + "\n";
    out += "  sealed at    " + r.sealed_at + "\n";
    if (!r.time_window.empty() && r.time_window != "none") out += "  window       " + r.time_window + "\n";
    if (r.collection_complete.has_value()) {
      out += std::string("  collection   ") + (*r.collection_complete ? "complete" : "INCOMPLETE (see warnings)") + "\n";
    }
  }
  if (!r.signer_subject.empty()) {
    out += "  signer       " + r.signer_subject + "\n";
    out += "  signer cert  sha256 " + r.signer_cert_sha256 +
           (r.signer_trusted.has_value() ? (*r.signer_trusted ? " (trusted)" : " (NOT trusted)") : " (not anchored)") + "\n";
  }
  out += "  payload      " + std::to_string(r.payload_files) + " files, " + std::to_string(r.payload_bytes) + " bytes\n";
  if (!r.custody.empty()) {
    out += "  custody log\n";
    for (const CustodyEntry& e : r.custody) {
      out += "    " + std::to_string(e.seq) + "  " + e.time + "  " + e.action + " by " + e.actor_subject;
      if (!e.details.empty()) out += " (" + e.details + ")";
      out += "\n";
    }
  }
  for (const Finding& f : r.findings) {
    out += f.severity == Severity::kError ? "ERROR   " : "WARNING ";
    out += f.kind;
    if (!f.path.empty()) out += " " + f.path;
    out += ": " + f.message + "\n";
  }
  out += r.ok() ? "VERIFIED" : "FAILED";
  out += ": " + std::to_string(r.errors()) + " errors, " + std::to_string(r.warnings()) + " warnings\n";
  return out;
}

std::string RenderJson(const VerifyReport& r) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("format", Str("custody-verify-report/1", a), a);
  d.AddMember("target", Str(r.target, a), a);
  d.AddMember("mode", Str(r.mode, a), a);
  d.AddMember("verified", r.ok(), a);
  d.AddMember("top_folder", Str(r.top_folder, a), a);
  if (!r.bundle_id.empty()) {
    rapidjson::Value b(rapidjson::kObjectType);
    b.AddMember("bundle_id", Str(r.bundle_id, a), a);
    b.AddMember("case_id", Str(r.case_id, a), a);
    b.AddMember("examiner", Str(r.examiner, a), a);
    b.AddMember("sealed_at", Str(r.sealed_at, a), a);
    b.AddMember("time_window", Str(r.time_window, a), a);
    b.AddMember("kind", Str(r.bundle_kind, a), a);
    rapidjson::Value complete;
    if (r.collection_complete.has_value()) complete.SetBool(*r.collection_complete);
    b.AddMember("collection_complete", complete, a);
    b.AddMember("statement_sha256", Str(r.statement_sha256, a), a);
    d.AddMember("bundle", b, a);
  }
  if (!r.signer_subject.empty()) {
    rapidjson::Value s(rapidjson::kObjectType);
    s.AddMember("subject", Str(r.signer_subject, a), a);
    s.AddMember("cert_sha256", Str(r.signer_cert_sha256, a), a);
    rapidjson::Value trusted;
    if (r.signer_trusted.has_value()) trusted.SetBool(*r.signer_trusted);
    s.AddMember("trusted", trusted, a);
    d.AddMember("signer", s, a);
  }
  rapidjson::Value payload(rapidjson::kObjectType);
  payload.AddMember("files", r.payload_files, a);
  payload.AddMember("bytes", r.payload_bytes, a);
  d.AddMember("payload", payload, a);
  rapidjson::Value custody(rapidjson::kArrayType);
  for (const CustodyEntry& e : r.custody) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("seq", e.seq, a);
    v.AddMember("time", Str(e.time, a), a);
    v.AddMember("action", Str(e.action, a), a);
    v.AddMember("actor_subject", Str(e.actor_subject, a), a);
    v.AddMember("actor_cert_sha256", Str(e.actor_cert_sha256, a), a);
    v.AddMember("details", Str(e.details, a), a);
    custody.PushBack(v, a);
  }
  d.AddMember("custody", custody, a);
  rapidjson::Value summary(rapidjson::kObjectType);
  summary.AddMember("errors", static_cast<std::uint64_t>(r.errors()), a);
  summary.AddMember("warnings", static_cast<std::uint64_t>(r.warnings()), a);
  d.AddMember("summary", summary, a);
  rapidjson::Value findings(rapidjson::kArrayType);
  for (const Finding& f : r.findings) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("severity", Str(f.severity == Severity::kError ? "error" : "warning", a), a);
    v.AddMember("kind", Str(f.kind, a), a);
    v.AddMember("path", Str(f.path, a), a);
    v.AddMember("message", Str(f.message, a), a);
    findings.PushBack(v, a);
  }
  d.AddMember("findings", findings, a);
  return json::Pretty(d);
}

}  // namespace custody::verify
