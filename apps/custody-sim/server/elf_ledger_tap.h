#pragma once
// Reads an EventLogFile CSV as it streams to a client and adds one served-ledger line per data
// row: log "EventLogFile:<EventType>", key REQUEST_ID, time TIMESTAMP_DERIVED as served, or
// TIMESTAMP when TIMESTAMP_DERIVED is empty (or absent). The header row says where the columns
// are (they move with the file's API version); quoted fields may hold commas, doubled quotes and
// newlines.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "served_ledger.h"

namespace custody::sim {

class ElfLedgerTap {
 public:
  // `batch` must outlive the tap; `log` is "EventLogFile:<EventType>".
  ElfLedgerTap(LedgerBatch* batch, std::string log) : batch_(batch), log_(std::move(log)) {}
  // The next bytes of the file, in order; chunk boundaries may fall anywhere.
  void Feed(const char* data, size_t size);
  // The file is complete: a last row without a final newline is a row too.
  void Finish();

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  void EndField();
  void EndRow();
  std::string* Target();  // where the current field's text goes; null: not needed

  LedgerBatch* batch_;
  std::string log_;
  State state_ = State::kFieldStart;
  bool header_done_ = false;
  std::vector<std::string> header_;
  int request_col_ = -1;
  int derived_col_ = -1;
  int timestamp_col_ = -1;
  int field_ = 0;
  bool row_started_ = false;
  std::string scratch_;  // a header field
  std::string request_id_;
  std::string derived_;
  std::string timestamp_;
};

}  // namespace custody::sim
