#pragma once
// Verifies a folder of nightly bundles as one series (`custody verify --chain DIR`): every *.tar in
// the folder as `Verify` would, then the links between their statements, the coverage of every
// (source, stream) across their complete windows, and the nights on which no bundle was sealed.
// Links no network code, like the rest of lib/verify. docs/cli.md ("custody verify", "--chain")
// and docs/bundle-format.md (section 13) describe the checks.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "verify/finding.h"
#include "verify/verifier.h"

namespace custody::verify {

// A finding about the series rather than about one bundle's bytes. Kinds are stable strings:
// bundle-failed, not-incremental, incremental-invalid, link-broken, link-duplicate,
// predecessor-missing, coverage-gap, night-missing.
struct ChainFinding {
  Severity severity = Severity::kError;
  std::string kind;
  std::string bundle;  // the bundle's file name in the folder; empty when not about one bundle
  std::string stream;  // "<source>/<stream>"; empty when not about one stream
  std::string message;
};

// One stream window of a bundle's `collection.incremental.streams`, [since, until).
struct ChainWindow {
  std::string source;
  std::string stream;
  std::string since;  // RFC 3339 UTC, as the bundle says
  std::string until;
  bool complete = false;
};

struct ChainBundle {
  std::string file;              // name in the folder
  std::string open_error;        // set when the file could not be opened at all
  VerifyReport report;           // its own verification (`custody verify FILE`)
  bool statement_read = false;   // statement.txt was found and parsed
  std::string sealed_at;         // from the statement
  std::string statement_sha256;  // SHA-256 of the statement.txt bytes (what a successor names)
  std::string previous_statement_sha256;  // the statement's header: 64 hex or "none"
  bool incremental = false;      // metadata/collection.json has a usable collection.incremental
  std::string series;
  std::optional<std::int64_t> sequence;
  std::string previous_file;     // incremental.previous.file, when given
  std::vector<ChainWindow> windows;

  bool ok() const { return open_error.empty() && report.ok(); }
};

// The coverage of one (source, stream): from the earliest since to the latest until of its
// windows, and the holes the complete windows of verified bundles leave in it.
struct ChainStream {
  std::string source;
  std::string stream;
  std::string since;
  std::string until;
  std::uint64_t windows = 0;           // windows seen, complete or not
  std::uint64_t complete_windows = 0;  // complete windows of bundles that verified
  std::vector<std::pair<std::string, std::string>> gaps;  // [from, to), RFC 3339 UTC
};

struct ChainReport {
  std::string target;
  // Series members (a parsed statement and collection.incremental) in chain order: by sealed-at,
  // then by their links. Then every other bundle, by file name.
  std::vector<ChainBundle> bundles;
  std::vector<ChainStream> streams;  // sorted by source, then stream
  std::vector<ChainFinding> findings;

  size_t errors() const;
  size_t warnings() const;
  bool ok() const { return errors() == 0; }
  bool Has(const std::string& kind) const;
};

// Verifies every regular file named *.tar directly in `dir` (not in subfolders) with `options`
// (bag_only must be false; trusted applies to every bundle). Each bundle is read as a stream: once
// for its statement and collection metadata, and as `Verify` reads it.
// Errors: kInvalidArgument when `dir` is not a folder or holds no *.tar; kCancelled when
// options.cancel is set; kIo when the folder cannot be listed. Everything else is a finding.
Result<ChainReport> VerifyChain(const std::filesystem::path& dir, const VerifyOptions& options);

// Text: one line per bundle with its verdict (and its own errors under it), the streams' coverage,
// the chain findings, then "CHAIN VERIFIED|FAILED: N errors, M warnings".
std::string RenderChainText(const ChainReport& report);
// JSON per schemas/chain-report.schema.json.
std::string RenderChainJson(const ChainReport& report);

}  // namespace custody::verify
