#pragma once
// Streaming RFC 4180 reader for EventLogFile and Bulk API CSV: fed in chunks of any size, it
// calls back once per row with the fields and the exact byte range of the row. Quotes,
// doubled quotes, commas and LF/CRLF inside quoted values are handled; a final row without a
// line end is a row. Memory: one row at a time.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace custody::normalize {

struct CsvRow {
  const std::vector<std::string>& fields;
  std::uint64_t index;        // 0 for the first row (the header, when there is one)
  std::uint64_t byte_offset;  // of the row's first byte in the stream
  std::string_view raw;       // the row's bytes, including its line end if any
};

class CsvReader {
 public:
  using RowCallback = std::function<Status(const CsvRow& row)>;
  explicit CsvReader(RowCallback callback, char delimiter = ',');
  // kParse for malformed input (a quote inside an unquoted value, text after a closing quote, an
  // unterminated quoted value at Finish), naming the byte offset.
  Status Feed(std::span<const std::uint8_t> chunk);
  Status Finish();

 private:
  Status EmitRow();

  RowCallback callback_;
  char delimiter_;
  std::vector<std::string> fields_;
  std::string field_;
  std::string raw_;
  std::uint64_t offset_ = 0;
  std::uint64_t row_start_ = 0;
  std::uint64_t rows_ = 0;
  int state_ = 0;          // a CsvState (csv_reader.cpp)
  bool failed_ = false;    // after an error or Finish, the reader refuses more input
};

}  // namespace custody::normalize
