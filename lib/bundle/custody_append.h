#pragma once
// Appends one line to a bundle's custody log. In a tar the custody log is the last entry: the
// bytes before its header are copied unchanged into a temporary file, the new log entry and the
// end-of-archive records are written after them, and the result replaces the bundle atomically.
// Every sealed byte therefore stays where it was.

#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/time.h"
#include "io/file_system.h"

namespace custody::bundle {

struct CustodyTail {
  std::string log;                 // the custody log's current bytes
  std::string top;                 // the bundle's top folder
  bool is_tar = false;
  std::int64_t header_offset = -1; // tar: where the custody log's header starts
};

// Reads the custody log and checks it is the archive's last entry.
Result<CustodyTail> ReadCustodyTail(const std::filesystem::path& bundle);

// Writes the log `tail.log + line + "\n"` in place of the old one; mtime is the tar entry's time.
Status AppendCustodyLine(io::FileSystem& fs, const std::filesystem::path& bundle, const CustodyTail& tail,
                         const std::string& line, UtcSeconds mtime);

}  // namespace custody::bundle
