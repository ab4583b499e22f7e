#pragma once
// Byte-exact capture of HTTP responses: each response body goes to its own file under the
// collection's payload folder, hashed while it streams, with a JSON sidecar beside it that says
// what was asked, what came back and when (schemas/capture-sidecar.schema.json). A capture file
// is written once and never rewritten; a retry is a new capture.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "crypto/digest.h"
#include "http/transport.h"

namespace custody::capture {

// Why a request was made; recorded in the sidecar.
struct Purpose {
  std::string source;   // "salesforce"
  std::string stream;   // "field-history", "logins", "exports", "discovery"
  std::string object;   // "AccountHistory", "EventLogFile", ...
  std::string role;     // "query-page", "describe", "describe-global", "log-file", "bulk-results", ...
  std::string soql;     // the query, when there is one
  std::uint64_t page = 0;     // 1-based page or chunk number within its query (0 when not paged)
  std::uint32_t attempt = 1;  // 1 for the first try of this request
};

// Writes one capture: `<dir>/<name>` for the body and `<dir>/<name>.http.json` for the sidecar.
// Use as the BodySink of one Transport::Perform, then call Finish with the outcome.
class CaptureFile final : public http::BodySink {
 public:
  // dir is relative to the payload root; the file must not exist yet.
  static Result<std::unique_ptr<CaptureFile>> Create(const std::filesystem::path& payload_root,
                                                     const std::string& dir, const std::string& name);
  ~CaptureFile() override;
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

  Status OnHead(const http::ResponseHead& head) override;
  Status OnBody(std::span<const std::uint8_t> chunk) override;

  // Closes the body file and writes the sidecar. `request` must not carry secrets in its URL
  // (custody never puts one there); its headers are not recorded except the safe ones listed in
  // capture.cpp. `response` is null when the transfer failed; `error` says why (already redacted).
  // `notes` are extra facts ("LogFileLength 1234 != 1200 bytes received").
  Status Finish(const http::Request& request, const Purpose& purpose, const http::Response* response,
                const std::string& error, const std::vector<std::string>& notes = {});

  const std::string& bag_path() const { return bag_path_; }  // "data/<dir>/<name>"
  std::uint64_t bytes() const { return bytes_; }
  const std::string& sha256() const { return sha256_; }      // after Finish
  const std::filesystem::path& path() const { return path_; }
  const http::ResponseHead& head() const { return head_; }

 private:
  CaptureFile() = default;
  std::filesystem::path path_;
  std::string bag_path_;
  int fd_ = -1;
  crypto::Hasher hasher_;
  std::uint64_t bytes_ = 0;
  std::string sha256_;
  http::ResponseHead head_;
  bool head_seen_ = false;
};

// A small file written whole (a listing, a manifest of the collection); never over an existing one.
Status WriteNewFile(const std::filesystem::path& path, std::string_view bytes);

}  // namespace custody::capture
