#pragma once
// What verification found. Every check reports into a list; nothing stops at the first problem.
// Kinds are stable strings, documented in docs/cli.md ("Findings").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace custody::verify {

enum class Severity { kError, kWarning };

struct Finding {
  Severity severity = Severity::kError;
  std::string kind;
  std::string path;  // relative to the bag's base folder; empty when not about one file
  std::string message;
};

struct CustodyEntry {
  std::int64_t seq = 0;
  std::string time;
  std::string action;
  std::string actor_subject;
  std::string actor_cert_sha256;
  std::string details;  // "to=..., reason=..." for display
};

struct VerifyReport {
  std::string target;
  std::string mode;  // "bundle" or "bag"
  std::string top_folder;
  std::vector<Finding> findings;
  // What the bundle says about itself (empty when unreadable).
  std::string bundle_id;
  std::string case_id;
  std::string examiner;
  std::string sealed_at;
  std::string time_window;     // "none", or "<since>/<until>" of a collection
  std::string bundle_kind;     // "seal" or "collect" (metadata/collection.json)
  std::optional<bool> collection_complete;  // set for collections
  std::string statement_sha256;
  std::string signer_subject;
  std::string signer_cert_sha256;
  std::optional<bool> signer_trusted;  // unset without --trusted-cert
  std::uint64_t payload_files = 0;
  std::uint64_t payload_bytes = 0;
  std::vector<CustodyEntry> custody;

  size_t errors() const;
  size_t warnings() const;
  bool ok() const { return errors() == 0; }
  bool Has(const std::string& kind) const;
};

}  // namespace custody::verify
