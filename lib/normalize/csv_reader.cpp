#include "normalize/csv_reader.h"

#include <cstring>

namespace custody::normalize {

// States of the reader between two bytes. Everything the next byte's meaning depends on is
// here, which is what makes the rows independent of how the input is cut into chunks.
enum CsvState : int {
  kRowStart = 0,     // nothing of the current row seen yet
  kFieldStart,       // after a delimiter
  kUnquoted,         // inside a value that did not start with a quote
  kQuoted,           // inside a quoted value
  kQuoteInQuoted,    // a quote inside a quoted value: a doubled quote or the closing one
  kAfterCr,          // a CR outside quotes: must be followed by LF
};

CsvReader::CsvReader(RowCallback callback, char delimiter)
    : callback_(std::move(callback)), delimiter_(delimiter) {}

namespace {
Error ParseError(std::uint64_t offset, const std::string& what) {
  return Error(ErrorCode::kParse, "CSV: " + what + " at byte offset " + std::to_string(offset));
}
}  // namespace

Status CsvReader::EmitRow() {
  fields_.push_back(std::move(field_));
  field_.clear();
  const CsvRow row{fields_, rows_, row_start_, raw_};
  Status status = callback_(row);
  ++rows_;
  row_start_ += raw_.size();
  raw_.clear();
  fields_.clear();
  state_ = kRowStart;
  return status;
}

Status CsvReader::Feed(std::span<const std::uint8_t> chunk) {
  if (failed_) return Error(ErrorCode::kInvalidArgument, "CSV: Feed after an error or after Finish");
  const char* data = reinterpret_cast<const char*>(chunk.data());
  const size_t n = chunk.size();
  size_t seg = 0;  // start of the bytes of this chunk not yet appended to raw_
  size_t i = 0;
  auto fail = [&](const std::string& what) {
    failed_ = true;
    return ParseError(offset_ + i, what);
  };
  // The LF at i ends a row: its bytes up to and including the LF go to raw_, then out.
  auto end_row = [&]() -> Status {
    raw_.append(data + seg, i + 1 - seg);
    seg = i + 1;
    Status s = EmitRow();
    if (!s.ok()) {
      failed_ = true;
      offset_ += i + 1;
    }
    return s;
  };
  while (i < n) {
    const char c = data[i];
    switch (state_) {
      case kRowStart:
      case kFieldStart:
        // An empty line is a row of one empty field, so every byte belongs to some row and the
        // raw slices put together are the input.
        if (c == '"') {
          state_ = kQuoted;
        } else if (c == delimiter_) {
          fields_.push_back(std::string());
          state_ = kFieldStart;
        } else if (c == '\n') {
          if (Status s = end_row(); !s.ok()) return s;
        } else if (c == '\r') {
          state_ = kAfterCr;
        } else {
          field_.push_back(c);
          state_ = kUnquoted;
        }
        ++i;
        break;
      case kUnquoted: {
        // Copy the run of ordinary bytes at once.
        size_t j = i;
        while (j < n && data[j] != delimiter_ && data[j] != '"' && data[j] != '\n' && data[j] != '\r') ++j;
        field_.append(data + i, j - i);
        i = j;
        if (i == n) break;
        const char d = data[i];
        if (d == '"') return fail("a quote inside an unquoted value");
        if (d == delimiter_) {
          fields_.push_back(std::move(field_));
          field_.clear();
          state_ = kFieldStart;
        } else if (d == '\n') {
          if (Status s = end_row(); !s.ok()) return s;
        } else {
          state_ = kAfterCr;
        }
        ++i;
        break;
      }
      case kQuoted: {
        const void* q = std::memchr(data + i, '"', n - i);
        const size_t j = q ? static_cast<size_t>(static_cast<const char*>(q) - data) : n;
        field_.append(data + i, j - i);  // delimiters, CR and LF are data here
        i = j;
        if (i == n) break;
        state_ = kQuoteInQuoted;
        ++i;
        break;
      }
      case kQuoteInQuoted:
        if (c == '"') {
          field_.push_back('"');
          state_ = kQuoted;
        } else if (c == delimiter_) {
          fields_.push_back(std::move(field_));
          field_.clear();
          state_ = kFieldStart;
        } else if (c == '\n') {
          if (Status s = end_row(); !s.ok()) return s;
        } else if (c == '\r') {
          state_ = kAfterCr;
        } else {
          return fail("text after a closing quote");
        }
        ++i;
        break;
      case kAfterCr:
        if (c != '\n') {
          failed_ = true;
          return ParseError(offset_ + i - 1, "a CR not followed by LF outside quotes");  // names the CR
        }
        if (Status s = end_row(); !s.ok()) return s;
        ++i;
        break;
      default:
        return fail("internal reader state");
    }
  }
  raw_.append(data + seg, n - seg);
  offset_ += n;
  return Status::Ok();
}

Status CsvReader::Finish() {
  if (failed_) return Error(ErrorCode::kInvalidArgument, "CSV: Finish after an error or a second time");
  failed_ = true;  // one Finish per reader
  switch (state_) {
    case kRowStart:
      return Status::Ok();  // nothing after the last line end: no row
    case kQuoted:
      return ParseError(offset_, "an unterminated quoted value (opened in the row at byte offset " +
                                     std::to_string(row_start_) + ")");
    case kAfterCr:
      return ParseError(offset_ - 1, "a CR not followed by LF outside quotes");
    default:
      return EmitRow();  // a last row without a line end
  }
}

}  // namespace custody::normalize
