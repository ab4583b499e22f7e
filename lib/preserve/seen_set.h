#pragma once
// Which records a series has already sealed: a 128-bit identity per record with its event time,
// kept in the state folder so that a later run whose window overlaps an earlier one recognises
// the records it has seen before instead of putting them in the timeline twice. Entries older
// than what any later window can reach are pruned, so the set stays the size of a few days.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "io/file_system.h"

namespace custody::preserve {

using RecordId = std::array<std::uint8_t, 16>;

struct RecordIdHash {
  std::size_t operator()(const RecordId& id) const noexcept {
    std::size_t h = 0;
    for (int i = 0; i < 8; ++i) h = (h << 8) | id[i];
    return h;
  }
};

// The identity of a normalized record: SHA-256 (first 16 bytes) over its source, stream, event
// type and key. The key is the source's own id for the row (event_id: a history or LoginHistory
// Id, an EventIdentifier, a Mirth event id, a FHIR resource id); else the request id (event log
// file rows: REQUEST_ID, the same in an hourly, a daily and a re-delivered file); else the SHA-256
// of the record's raw bytes with its time as received.
RecordId IdentityOf(std::string_view source, std::string_view stream, std::string_view event_type,
                    const std::optional<std::string>& event_id, const std::optional<std::string>& request_id,
                    std::string_view raw_sha256, std::string_view timestamp_original);

class SeenSet {
 public:
  // A missing file is an empty set. The file: "custody-seen/1\n", then 24-byte entries (16-byte
  // identity, event time in UTC milliseconds as a little-endian int64), sorted by identity. It
  // is read in one pass into a sorted array (24 bytes an entry), searched by bisection.
  static Result<SeenSet> Load(const std::filesystem::path& path);
  Status Save(io::FileSystem& fs, const std::filesystem::path& path) const;  // atomically

  bool Contains(const RecordId& id) const;
  // false when it was there already (its time becomes the later of the two).
  bool Insert(const RecordId& id, std::int64_t event_ms);
  // Removes entries whose event time is before `before_ms`; returns how many.
  std::size_t Prune(std::int64_t before_ms);
  std::size_t size() const { return sorted_.size() + added_.size(); }
  void Merge(const SeenSet& other);

 private:
  struct Entry {
    RecordId id;
    std::int64_t ms;
  };
  // Every entry, sorted by identity.
  std::vector<Entry> Sorted() const;
  void Compact() { sorted_ = Sorted(), added_.clear(); }
  std::vector<Entry> sorted_;                                     // as loaded, merged, compacted
  std::unordered_map<RecordId, std::int64_t, RecordIdHash> added_;  // inserted since
};

}  // namespace custody::preserve
