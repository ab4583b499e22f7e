#pragma once
// Internal to the EventLogFile store: the CSV side. Knows the event types, their column schemas per
// API version, how one activity becomes one (or, for BulkApi2, several) CSV rows, and which
// activities a file slice holds. A file's bytes are produced on the fly from the activity sequence,
// either counted (exact length, nothing copied) or streamed through a reusable 64 KiB buffer; both
// passes run the same row code, so the counted length is the streamed length by construction.
//
// Thread-safety: a CsvGenerator is immutable after construction; every method is const and may be
// called concurrently (it relies on the Activity being safe for concurrent const reads).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "activity.h"
#include "elf.h"
#include "model.h"

namespace custody::sim::elf {

// The EventLogFile types the simulator produces. ListViews have no ELF type and are not projected.
enum class ElfType : uint8_t {
  kLogin,
  kLogout,
  kLoginAs,
  kReport,
  kReportExport,
  kApi,  // SOAP API calls ("API")
  kRestApi,
  kApiTotalUsage,  // every API call
  kBulkApi2,       // several state-change rows per job
  kContentTransfer,
  kUri,
  kDocumentAttachmentDownloads,
};
inline constexpr int kElfTypeCount = 12;

// EventType / EVENT_TYPE value, exact case ("Login", "API", "RestApi", ...).
std::string_view ElfTypeName(ElfType type);
// Free in every edition (Login, Logout, ApiTotalUsage); the rest need Event Monitoring.
bool ElfTypeIsFree(ElfType type);

// Which of a slice's events go into a file, decided per (type, activity index) from the seed:
//   kAll       every event
//   kOnTime    events not marked late (the Sequence 1 file of an hour that has late data)
//   kLate      only the late events (that hour's Sequence 2 file)
//   kNotMissed events not marked missed (version 1 of a re-delivered daily file)
enum class Pick : uint8_t { kAll, kOnTime, kLate, kNotMissed };

// Which per-event flag a Scan looks at.
enum class Flag : uint8_t { kNone, kLate, kMissed };

// One file's content: the events of `type` with time in [begin, end), filtered by `pick`, in the
// column schema of `api_version` (61 or 62).
struct Slice {
  ElfType type = ElfType::kLogin;
  TimeMs begin = 0;
  TimeMs end = 0;
  Pick pick = Pick::kAll;
  int api_version = 62;
};

// Where generation can restart: the rows of activity `index` (of the slice's source sequence) and
// after start at byte `byte` of the file. Recorded by the counting pass every kCheckpointEvery
// events so a download resumed at an offset regenerates from near that offset, not from byte 0.
struct Checkpoint {
  uint64_t index = 0;
  uint64_t byte = 0;
};

struct ScanResult {
  bool any = false;        // at least one event of the type in the range
  bool flagged = false;    // ... of which one carries the flag
  bool unflagged = false;  // ... and one does not
};

class CsvGenerator {
 public:
  CsvGenerator(const OrgConfig& config, const Activity& activity, const std::vector<UserInfo>& users);

  // Comma-separated column names / column types of the file's header, in file order (the manifest's
  // LogFileFieldNames / LogFileFieldTypes).
  const std::string& FieldNames(ElfType type, int api_version) const;
  const std::string& FieldTypes(ElfType type, int api_version) const;

  // Looks for events of `type` in [begin, end). With Flag::kNone stops at the first event; otherwise
  // keeps going until it has seen both a flagged and an unflagged event (or the range ends).
  ScanResult Scan(ElfType type, TimeMs begin, TimeMs end, Flag flag) const;

  // Exact byte length of the slice's CSV, final newline included. A counting pass: no bytes copied.
  // Appends restart points to `checkpoints` if given.
  uint64_t Length(const Slice& slice, std::vector<Checkpoint>* checkpoints = nullptr) const;

  // Produces the slice's CSV, drops the first `offset` bytes, hands the next `length` bytes to
  // `sink` in chunks of at most kChunkSize, then stops. Returns false if the sink aborted.
  // `checkpoints` (from Length of the same slice) let it start generating near `offset`.
  bool Stream(const Slice& slice, uint64_t offset, uint64_t length, const ChunkSink& sink,
              const std::vector<Checkpoint>* checkpoints = nullptr) const;
  // The same bytes written straight into the buffers `sink` lends (no copy, any size).
  bool StreamTo(const Slice& slice, uint64_t offset, uint64_t length, CsvBufferSink& sink,
                const std::vector<Checkpoint>* checkpoints = nullptr) const;

  static constexpr size_t kChunkSize = 64 * 1024;
  // Every 1,024 events: a download cut into ranges of about 512 KiB (server/logfile_body.h) finds
  // a restart point near each cut (16 bytes per point, about 25 KiB for a 500 MB file).
  static constexpr uint64_t kCheckpointEvery = 1024;

  // Implementation details, public only so the row emitters in elf_csv.cpp can see them.
  struct UserCols {
    std::string id15;
    std::string id18;
    std::string username;
    std::string user_type;       // "Standard"
    std::string user_type_code;  // "S": Logout rows use one-letter types
  };
  const UserCols& User(uint32_t index) const;
  const Activity& activity() const { return activity_; }
  uint64_t seed() const { return seed_; }
  std::string_view org15() const { return org15_; }
  std::string_view api_version_text(int api_version) const { return api_version == 61 ? "61.0" : "62.0"; }
  std::string_view Header(ElfType type, int api_version) const;

 private:
  // Writes the slice: the header and every row, or (from != nullptr) the rows from checkpoint
  // `from` on.
  template <typename Writer>
  void Generate(Writer& writer, const Slice& slice, const Checkpoint* from) const;
  template <typename A>
  ScanResult ScanSequence(ElfType type, TimeMs begin, TimeMs end, Flag flag, const Sequence<A>& sequence,
                          bool filtered) const;

  struct SchemaText {
    std::string header;  // the quoted header line, LF included
    std::string names;   // LogFileFieldNames
    std::string types;   // LogFileFieldTypes
  };
  const SchemaText& SchemaFor(ElfType type, int api_version) const;

  uint64_t seed_;
  const Activity& activity_;
  std::string org15_;
  std::vector<UserCols> users_;
  UserCols unknown_user_;
  std::array<std::array<SchemaText, 2>, kElfTypeCount> schemas_;  // [type][api == 62]
};

// splitmix64 finaliser: the one hash every deterministic choice in the store derives from.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return Mix64(Mix64(Mix64(Mix64(a) ^ b) ^ c) ^ d);
}

// The 18-character form of a 15-character Salesforce id (the case-checksum suffix); other input is
// returned unchanged.
std::string IdTo18(std::string_view id15);

// True if the event `index` of `type` is delivered late (hourly Sequence 2) / missed by the first
// delivery of its daily file. Both are pure functions of (seed, type, index).
bool IsLate(uint64_t seed, ElfType type, uint64_t index);
bool IsMissed(uint64_t seed, ElfType type, uint64_t index);

}  // namespace custody::sim::elf
