#pragma once
// DIR/state.json of a nightly series (format custody-state/1, schemas/state.schema.json): where
// each stream's complete coverage ends, which event log files were collected into which bundle,
// and which bundles the series holds. Written atomically, and only after a bundle is sealed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "io/file_system.h"

namespace custody::preserve {

inline constexpr const char* kStateFormat = "custody-state/1";

struct StreamState {
  std::string source;                      // the case file's source name
  std::string stream;                      // "logins", "server-events", ...
  std::optional<UtcSeconds> covered_until; // every record before this is in a sealed bundle
  std::string last_status;                 // the last run's: "complete", "incomplete", "failed"
  std::optional<std::int64_t> newest_ms;   // the newest record sealed (UTC ms) and its id
  std::string newest_id;
};

struct LogFileState {
  std::string source;
  std::string id;            // EventLogFile Id
  std::string event_type;
  std::string log_date;
  std::string interval;      // "Daily", "Hourly" or "" (orgs without hourly files)
  std::string sequence;
  std::string created_date;  // as Salesforce sent it
  std::string bundle_id;     // the bundle that holds it
  std::string bundle_file;
  std::string path;          // its path in that bundle (data/raw/...)
  std::string sha256;
  std::uint64_t bytes = 0;
};

struct BundleRef {
  std::string file;  // name in the bundles folder
  std::string bundle_id;
  std::string statement_sha256;
  std::string sealed_at;
  std::string since;
  std::string until;
  bool complete = false;
  std::string deleted_at;  // retired bundles only
};

struct SeriesState {
  std::string case_id;
  std::string series_since;               // RFC 3339: where the first run started
  std::uint64_t sequence = 0;             // bundles sealed in the series so far
  std::vector<BundleRef> bundles;         // sealed, oldest first (still in the folder)
  std::vector<BundleRef> retired;         // deleted by retention
  std::vector<StreamState> streams;
  std::vector<LogFileState> log_files;

  const BundleRef* last() const { return bundles.empty() ? nullptr : &bundles.back(); }
  StreamState* FindStream(const std::string& source, const std::string& stream);
  const StreamState* FindStream(const std::string& source, const std::string& stream) const;
  LogFileState* FindLogFile(const std::string& source, const std::string& id);
};

std::string SeriesStateJson(const SeriesState& state);
Result<SeriesState> ParseSeriesState(std::string_view text, const std::string& what);
// nullopt when the file does not exist (a new series).
Result<std::optional<SeriesState>> LoadSeriesState(const std::filesystem::path& path);
Status SaveSeriesState(io::FileSystem& fs, const std::filesystem::path& path, const SeriesState& state);

}  // namespace custody::preserve
