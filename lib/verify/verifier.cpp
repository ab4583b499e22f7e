#include "verify/verifier.h"

#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "bundle/bag_reader.h"
#include "bundle/custody_log.h"
#include "bundle/layout.h"
#include "bundle/statement.h"
#include "core/encoding.h"
#include "crypto/cms.h"
#include "crypto/digest.h"
#include "json/json.h"
#include "json/schemas.h"
#include "verify/bag_contents.h"

namespace custody::verify {

size_t VerifyReport::errors() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [](const Finding& f) { return f.severity == Severity::kError; }));
}
size_t VerifyReport::warnings() const { return findings.size() - errors(); }
bool VerifyReport::Has(const std::string& kind) const {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.kind == kind; });
}

namespace {

using bundle::EntryProblem;
constexpr std::uint64_t kMaxTagFile = 64ull << 20;
constexpr std::uint64_t kMaxTagTotal = 256ull << 20;  // all tag files together: memory stays bounded

void Add(VerifyReport& r, Severity s, std::string kind, std::string path, std::string message) {
  r.findings.push_back({s, std::move(kind), std::move(path), std::move(message)});
}

bool IsPayload(const std::string& path) { return path.rfind("data/", 0) == 0; }

// Pass 1: tag files into memory, payload sizes only.
class TagCollector final : public bundle::BagVisitor {
 public:
  TagCollector(BagContents& bag, VerifyReport& report) : bag_(bag), report_(report) {}
  void OnProblem(EntryProblem p) override { Add(report_, Severity::kError, p.kind, p.path, p.message); }
  void OnDirectory(const std::string& path) override { bag_.directories.insert(path); }
  bool OnFile(const std::string& path, std::uint64_t size) override {
    if (IsPayload(path)) {
      bag_.payload_sizes[path] = size;
      return false;
    }
    if (size > kMaxTagFile) {
      Add(report_, Severity::kError, "tag-file-too-large", path,
          "'" + path + "' is " + std::to_string(size) + " bytes; tag files over 64 MiB are not read");
      return false;
    }
    if (total_ + size > kMaxTagTotal) {
      Add(report_, Severity::kError, "tag-file-too-large", path,
          "'" + path + "' was not read: the tag files outside data/ exceed 256 MiB together");
      return false;
    }
    total_ += size;
    current_ = path;
    buffer_.clear();
    buffer_.reserve(static_cast<size_t>(size));
    return true;
  }
  Status OnData(std::span<const std::uint8_t> chunk) override {
    if (cancel_ != nullptr && cancel_->load()) return Error(ErrorCode::kCancelled, "interrupted");
    if (overrun_) return Status::Ok();
    if (buffer_.size() + chunk.size() > kMaxTagFile) {
      overrun_ = true;  // more data than the header declared: never buffer without bound
      Add(report_, Severity::kError, "tag-file-too-large", current_,
          "'" + current_ + "' holds more data than its entry declares; it was not read");
      return Status::Ok();
    }
    buffer_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return Status::Ok();
  }
  void OnFileEnd() override {
    if (!overrun_) bag_.tag_files[current_] = std::move(buffer_);
    overrun_ = false;
  }
  void SetCancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }

 private:
  BagContents& bag_;
  VerifyReport& report_;
  std::string current_;
  std::string buffer_;
  bool overrun_ = false;
  std::uint64_t total_ = 0;
  const std::atomic<bool>* cancel_ = nullptr;
};

// Pass 2: hash every payload file with every algorithm a manifest uses.
class PayloadHasher final : public bundle::BagVisitor {
 public:
  PayloadHasher(BagContents& bag, std::vector<crypto::DigestAlgorithm> algorithms)
      : bag_(bag), algorithms_(std::move(algorithms)) {
    for (auto alg : algorithms_) hashers_.emplace_back(alg);
  }
  void OnProblem(EntryProblem) override {}  // already reported by pass 1
  bool OnFile(const std::string& path, std::uint64_t) override {
    if (!IsPayload(path)) return false;
    current_ = path;
    return true;
  }
  Status OnData(std::span<const std::uint8_t> chunk) override {
    if (cancel_ != nullptr && cancel_->load()) return Error(ErrorCode::kCancelled, "interrupted");
    for (auto& h : hashers_) h.Update(chunk);
    return Status::Ok();
  }
  void SetCancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  void OnFileEnd() override {
    auto& digests = bag_.payload_digests[current_];
    for (size_t i = 0; i < algorithms_.size(); ++i) digests[algorithms_[i]] = hashers_[i].FinishHex();
  }

 private:
  BagContents& bag_;
  std::vector<crypto::DigestAlgorithm> algorithms_;
  std::vector<crypto::Hasher> hashers_;
  std::string current_;
  const std::atomic<bool>* cancel_ = nullptr;
};

const std::string* Tag(const BagContents& bag, std::string_view name) {
  auto it = bag.tag_files.find(std::string(name));
  return it == bag.tag_files.end() ? nullptr : &it->second;
}

struct SealedEvent {
  std::string actor_cert_der;
  bool present = false;
};

// The custody log: sequence, hash chain, statement digest, signatures.
SealedEvent CheckCustodyLog(const std::string& text, const std::string& statement_sha256, VerifyReport& r) {
  SealedEvent sealed;
  const std::string log(bundle::kCustodyLog);
  if (text.empty() || text.back() != '\n') {
    Add(r, Severity::kError, "custody-invalid-line", log, "the custody log is empty or its last line is not terminated");
    if (text.empty()) return sealed;
  }
  std::string prev_hash(bundle::kZeroSha256);
  std::int64_t expected_seq = 1;
  size_t start = 0;
  std::string mismatched_statement;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    const std::string line_hash = crypto::Sha256Hex(line);
    std::string where = "custody event at line " + std::to_string(expected_seq);
    auto doc = json::Parse(line, "custody event");
    if (!doc || !doc->IsObject()) {
      Add(r, Severity::kError, "custody-invalid-line", log, where + " is not a JSON object");
      prev_hash = line_hash;
      ++expected_seq;
      continue;
    }
    Status schema = json::ValidateAgainstSchema(*doc, json::kCustodyEventSchema);
    auto canonical = json::Canonical(*doc);
    if (!schema || !canonical || *canonical != line) {
      Add(r, Severity::kError, "custody-invalid-line", log,
          where + (schema ? " is not in canonical form" : " does not match the custody event schema: " + schema.error().message()));
      prev_hash = line_hash;
      ++expected_seq;
      continue;
    }
    const rapidjson::Value& e = *doc;
    std::int64_t seq = e["seq"].GetInt64();
    std::string action = e["action"].GetString();
    const rapidjson::Value& actor = e["actor"];
    CustodyEntry entry{seq, e["time"].GetString(), action, actor["subject"].GetString(),
                       actor["cert_sha256"].GetString(), ""};
    for (const auto& m : e["details"].GetObject()) {
      if (!entry.details.empty()) entry.details += ", ";
      entry.details += std::string(m.name.GetString()) + "=" + m.value.GetString();
    }
    r.custody.push_back(entry);
    std::string who = "custody event " + std::to_string(seq) + " (" + action + ")";
    if (seq != expected_seq) {
      Add(r, Severity::kError, "custody-sequence", log,
          who + " is at position " + std::to_string(expected_seq) + ": events were removed, added or reordered");
    }
    if (e["prev_sha256"].GetString() != prev_hash) {
      Add(r, Severity::kError, "custody-chain-broken", log,
          who + " does not chain to the line before it: prev_sha256 " + e["prev_sha256"].GetString() +
              ", the previous line hashes to " + prev_hash);
    }
    if (e["statement_sha256"].GetString() != statement_sha256) mismatched_statement = e["statement_sha256"].GetString();
    auto der = Base64Decode(actor["certificate"].GetString());
    auto sig = Base64Decode(e["signature"].GetString());
    bool signature_ok = false;
    if (der && sig) {
      std::string der_bytes(der->begin(), der->end());
      auto cert = crypto::CertificateFromDer(der_bytes);
      if (cert && crypto::CertificateSha256(cert->get()) == actor["cert_sha256"].GetString()) {
        auto signed_bytes = bundle::CustodySignedBytes(line);
        signature_ok = signed_bytes && crypto::VerifyBytes(cert->get(), *signed_bytes, {reinterpret_cast<const char*>(sig->data()), sig->size()});
        if (seq == 1 && action == "sealed") {
          sealed.actor_cert_der = der_bytes;
          sealed.present = true;
        }
      }
    }
    if (!signature_ok) {
      Add(r, Severity::kError, "custody-signature-invalid", log,
          who + "'s signature does not verify under the certificate it names");
    }
    if (expected_seq == 1 && (seq != 1 || action != "sealed")) {
      Add(r, Severity::kError, "custody-sequence", log, "the first custody event must be seq 1, action 'sealed'");
    }
    prev_hash = line_hash;
    ++expected_seq;
  }
  if (!mismatched_statement.empty()) {
    Add(r, Severity::kError, "custody-statement-mismatch", log,
        "the custody log cites statement " + mismatched_statement + " but statement.txt hashes to " + statement_sha256);
  }
  return sealed;
}

// A collection says what it covers and whether it got everything. An incomplete collection is
// sound evidence of what it holds, so it is a warning, never hidden; a window in the metadata
// that differs from the signed statement's is an error.
void CheckCollection(const rapidjson::Document& doc, VerifyReport& r) {
  r.bundle_kind = doc["kind"].GetString();
  auto c = doc.FindMember("collection");
  if (c == doc.MemberEnd() || !c->value.IsObject()) {
    if (r.bundle_kind == "collect") {
      Add(r, Severity::kError, "metadata-invalid", std::string(bundle::kMetadata), "a collection without its report");
    }
    return;
  }
  const rapidjson::Value& col = c->value;
  r.collection_complete = col["complete"].GetBool();
  std::string window = std::string(col["window"]["since"].GetString()) + "/" + col["window"]["until"].GetString();
  if (!r.time_window.empty() && window != r.time_window) {
    Add(r, Severity::kError, "time-window-mismatch", std::string(bundle::kMetadata),
        "the collection report covers " + window + " but the signed statement says " + r.time_window);
  }
  if (*r.collection_complete) return;
  std::string what;
  for (const auto& source : col["sources"].GetArray()) {
    for (const auto& stream : source["streams"].GetArray()) {
      for (const auto& item : stream["items"].GetArray()) {
        if (std::string(item["status"].GetString()) != "incomplete") continue;
        std::string gap = item["gaps"].GetArray().Empty() ? "incomplete" : item["gaps"][0].GetString();
        what += std::string(what.empty() ? "" : "; ") + source["name"].GetString() + "/" +
                stream["name"].GetString() + "/" + item["object"].GetString() + ": " + gap;
      }
    }
  }
  std::string reason = col["stop_reason"].GetString();
  Add(r, Severity::kWarning, "collection-incomplete", std::string(bundle::kMetadata),
      "the collection is incomplete (" + reason + ")" + (what.empty() ? "" : ": " + what));
}

void CheckBundle(const BagContents& bag, const VerifyOptions& options, VerifyReport& r) {
  using namespace bundle;
  const std::string_view required[] = {kBagitTxt, kBagInfo,   kManifest,  kTagManifest, kMetadata,
                                       kSignerCert, kStatement, kSignature, kVerifyTxt,  kCustodyLog};
  for (std::string_view name : required) {
    if (!Tag(bag, name)) {
      Add(r, Severity::kError, "bundle-file-missing", std::string(name), std::string(name) + " is missing from the bundle");
    }
  }
  std::uint64_t bytes = 0;
  for (const auto& [p, s] : bag.payload_sizes) bytes += s;
  r.payload_files = bag.payload_sizes.size();
  r.payload_bytes = bytes;

  const std::string* statement_text = Tag(bag, kStatement);
  if (statement_text == nullptr) return;
  r.statement_sha256 = crypto::Sha256Hex(*statement_text);
  auto statement = ParseStatement(*statement_text);
  if (!statement) {
    Add(r, Severity::kError, "statement-invalid", std::string(kStatement), statement.error().message());
  } else {
    r.bundle_id = statement->bundle_id;
    r.case_id = statement->case_id;
    r.examiner = statement->examiner;
    r.sealed_at = statement->sealed_at;
    r.time_window = statement->time_window;
    std::set<std::string> listed;
    for (const auto& [path, digest] : statement->files) {
      listed.insert(path);
      const std::string* contents = Tag(bag, path);
      if (contents == nullptr) {
        bool reported = std::any_of(r.findings.begin(), r.findings.end(), [&](const Finding& f) {
          return f.kind == "bundle-file-missing" && f.path == path;
        });
        if (!reported) {
          Add(r, Severity::kError, "statement-digest-mismatch", path, "statement.txt lists '" + path + "', which is absent");
        }
        continue;
      }
      std::string actual = crypto::Sha256Hex(*contents);
      if (actual != digest) {
        Add(r, Severity::kError, "statement-digest-mismatch", path,
            "'" + path + "' hashes to " + actual + " but the signed statement says " + digest);
      }
    }
    for (std::string_view name : kTagManifestFiles) {
      if (!listed.count(std::string(name))) {
        Add(r, Severity::kError, "statement-incomplete", std::string(name), "the statement does not cover " + std::string(name));
      }
    }
    if (!listed.count(std::string(kTagManifest))) {
      Add(r, Severity::kError, "statement-incomplete", std::string(kTagManifest),
          "the statement does not cover " + std::string(kTagManifest));
    }
    for (const auto& [path, contents] : bag.tag_files) {
      if (!listed.count(path) && path != kStatement && path != kSignature && path != kCustodyLog) {
        Add(r, Severity::kError, "unsealed-file", path,
            "'" + path + "' is outside data/ and not covered by the signed statement");
      }
    }
    std::string oxum = std::to_string(bytes) + "." + std::to_string(bag.payload_sizes.size());
    if (statement->payload_oxum != oxum && !r.Has("payload-oxum-mismatch")) {
      Add(r, Severity::kError, "payload-oxum-mismatch", std::string(kStatement),
          "the signed statement records the payload as " + statement->payload_oxum + " (bytes.files) but it is " + oxum);
    }
  }

  // The signature, the certificate beside it, and trust.
  crypto::X509Ptr signer;
  std::vector<crypto::X509Ptr> embedded;
  bool signature_valid = false;
  if (const std::string* p7s = Tag(bag, kSignature)) {
    auto check = crypto::CmsVerifyDetached(*p7s, *statement_text);
    if (!check) {
      Add(r, Severity::kError, "signature-invalid", std::string(kSignature), check.error().message());
    } else {
      if (!check->signature_valid) {
        Add(r, Severity::kError, "signature-invalid", std::string(kSignature),
            "the signature over statement.txt does not verify: " + check->problem);
      }
      signature_valid = check->signature_valid;
      signer = std::move(check->signer);
      embedded = std::move(check->embedded);
    }
  }
  if (signer) {
    r.signer_subject = crypto::SubjectString(signer.get());
    r.signer_cert_sha256 = crypto::CertificateSha256(signer.get());
  }
  if (const std::string* pem = Tag(bag, kSignerCert); pem && signer) {
    auto certs = crypto::LoadCertificates(*pem, kSignerCert);
    if (!certs) {
      Add(r, Severity::kError, "certificate-mismatch", std::string(kSignerCert), certs.error().message());
    } else if (crypto::CertificateSha256(certs->front().get()) != r.signer_cert_sha256) {
      Add(r, Severity::kError, "certificate-mismatch", std::string(kSignerCert),
          "signer-cert.pem holds " + crypto::SubjectString(certs->front().get()) + " (sha256 " +
              crypto::CertificateSha256(certs->front().get()) + ") but the signature was made by " + r.signer_subject +
              " (sha256 " + r.signer_cert_sha256 + ")");
    }
  }

  SealedEvent sealed;
  if (const std::string* log = Tag(bag, kCustodyLog)) sealed = CheckCustodyLog(*log, r.statement_sha256, r);

  if (signer) {
    std::vector<std::string> untrusted_reasons;
    if (!options.trusted.empty()) {
      auto at = ParseRfc3339(r.sealed_at);
      Status trusted = crypto::CheckTrusted(signer.get(), embedded, options.trusted,
                                            at ? *at : UtcSeconds{std::chrono::seconds{0}});
      r.signer_trusted = trusted.ok();
      if (!trusted) {
        untrusted_reasons.push_back("the signer " + r.signer_subject + " is not the trusted certificate and does not chain to it (" +
                                    trusted.error().message() + ")");
      }
    }
    if (sealed.present) {
      auto signer_der = crypto::CertificateDer(signer.get());
      if (!signer_der || *signer_der != sealed.actor_cert_der) {
        untrusted_reasons.push_back("the statement was signed by " + r.signer_subject +
                                    " but the custody log's sealing event was signed by another certificate");
      }
    }
    if (!untrusted_reasons.empty()) {
      std::string message;
      for (const auto& reason : untrusted_reasons) message += (message.empty() ? "" : "; ") + reason;
      Add(r, Severity::kError, "signer-untrusted", std::string(kSignature), message);
    } else if (options.trusted.empty() && signature_valid) {
      Add(r, Severity::kWarning, "signer-unanchored", std::string(kSignature),
          "signed by " + r.signer_subject + " (certificate sha256 " + r.signer_cert_sha256 +
              "); not checked against a trusted certificate: pass --trusted-cert");
    }
  }

  if (const std::string* metadata = Tag(bag, kMetadata)) {
    auto doc = json::Parse(*metadata, "metadata/collection.json");
    if (!doc) {
      Add(r, Severity::kError, "metadata-invalid", std::string(kMetadata), doc.error().message());
    } else if (Status s = json::ValidateAgainstSchema(*doc, json::kCollectionSchema); !s) {
      Add(r, Severity::kError, "metadata-invalid", std::string(kMetadata), s.error().message());
    } else {
      CheckCollection(*doc, r);
    }
  }
}

}  // namespace

Result<VerifyReport> Verify(const std::filesystem::path& target, const VerifyOptions& options) {
  VerifyReport report;
  report.target = target.string();
  report.mode = options.bag_only ? "bag" : "bundle";
  struct stat st;
  if (::stat(target.c_str(), &st) != 0) {
    return Error(ErrorCode::kNotFound, target.string() + " does not exist");
  }
  const bool is_tar = !S_ISDIR(st.st_mode);
  BagContents bag;
  TagCollector collector(bag, report);
  collector.SetCancel(options.cancel);
  auto summary = is_tar ? bundle::ScanTar(target, collector) : bundle::ScanFolder(target, collector);
  if (!summary) return summary.error();
  report.top_folder = summary->top;
  if (!summary->readable) {
    Add(report, Severity::kError, "archive-unreadable", "",
        target.string() + " is not a readable bundle: " + summary->unreadable_reason);
    return report;
  }
  auto algorithms = PayloadManifestAlgorithms(bag);
  if (!options.bag_only && std::find(algorithms.begin(), algorithms.end(), crypto::DigestAlgorithm::kSha256) == algorithms.end()) {
    algorithms.push_back(crypto::DigestAlgorithm::kSha256);
  }
  PayloadHasher hasher(bag, algorithms);
  hasher.SetCancel(options.cancel);
  auto second = is_tar ? bundle::ScanTar(target, hasher) : bundle::ScanFolder(target, hasher);
  if (!second) return second.error();
  if (!second->readable) {
    Add(report, Severity::kError, "archive-unreadable", "",
        target.string() + " is not a readable bundle: " + second->unreadable_reason);
    return report;
  }
  CheckBagIt(bag, report.findings);
  if (!options.bag_only) {
    CheckBundle(bag, options, report);
    if (is_tar && summary->last_path != summary->top + "/" + std::string(bundle::kCustodyLog)) {
      Add(report, Severity::kWarning, "custody-log-not-last", std::string(bundle::kCustodyLog),
          "the custody log is not the archive's last entry; `custody transfer` cannot append to it");
    }
  } else {
    std::uint64_t bytes = 0;
    for (const auto& [p, s] : bag.payload_sizes) bytes += s;
    report.payload_files = bag.payload_sizes.size();
    report.payload_bytes = bytes;
  }
  return report;
}

}  // namespace custody::verify
