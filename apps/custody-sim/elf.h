#pragma once
// EventLogFile: the manifest object (queryable like any table) and the LogFile blobs, projected from
// the org's activity. Files are CSV generated on the fly, so a multi-gigabyte file is streamed
// without being held in memory; LogFileLength is exactly the number of bytes Stream() produces.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "activity.h"
#include "model.h"

namespace custody::sim {

struct LogFileInfo {
  std::string id;            // 18-char "0AT..."; a re-delivered daily file keeps its id
  std::string event_type;    // "Login", "ReportExport", ...
  TimeMs log_date = 0;       // start of the UTC day (daily) or hour (hourly)
  bool hourly = false;
  int sequence = 0;          // 0 daily; 1.. hourly, +1 per late file for the same hour
  TimeMs created_date = 0;   // when the file appeared (whole seconds)
  uint64_t length = 0;       // exact byte length of the CSV
  int version = 1;           // 2 after a re-delivery replaced the content
  std::string api_version;   // "62.0"
};

// Receives the CSV in chunks; returns false to abort (client went away).
using ChunkSink = std::function<bool(const char* data, size_t size)>;

// Receives the CSV in buffers it lends to the generator, so the bytes are written once, where the
// receiver wants them (a server frames and sends them in place, or hands them to another thread).
class CsvBufferSink {
 public:
  virtual ~CsvBufferSink() = default;
  // Room for the next bytes; an empty span stops the stream (the receiver gave up).
  virtual std::span<char> Buffer() = 0;
  // The next `size` bytes of the file are at `data`, inside the span the last Buffer() returned
  // (past its start when the bytes before a stream's offset were dropped there). The generator
  // does not touch that span again. Returns false to stop the stream.
  virtual bool Commit(char* data, size_t size) = 0;
};

class ElfStore : public Table {
 public:
  // The file as it exists at `now`; nullopt if it never existed or is not created yet.
  virtual std::optional<LogFileInfo> FindFile(std::string_view id, TimeMs now) const = 0;
  // True if the file existed but passed its retention (30 days after CreatedDate; 1 day in a
  // developer-edition org) by `now`: the server answers 404 NOT_FOUND for it.
  virtual bool Expired(std::string_view id, TimeMs now) const = 0;
  // Writes exactly info.length bytes of CSV to sink, in chunks of at most 64 KiB, starting at byte
  // `offset`. Returns false if the sink aborted.
  virtual bool Stream(const LogFileInfo& info, uint64_t offset, const ChunkSink& sink) const = 0;
  // The same bytes into buffers the sink lends (any size). Returns false if the sink stopped the
  // stream or the file is unknown. The default copies Stream()'s chunks into the buffers.
  virtual bool StreamTo(const LogFileInfo& info, uint64_t offset, CsvBufferSink& sink) const;
};

std::unique_ptr<ElfStore> MakeElfStore(const OrgConfig& config, const Activity& activity,
                                       const std::vector<UserInfo>& users);

}  // namespace custody::sim
