#include "server/elf_ledger_tap.h"

namespace custody::sim {

std::string* ElfLedgerTap::Target() {
  if (!header_done_) return &scratch_;
  if (field_ == request_col_) return &request_id_;
  if (field_ == derived_col_) return &derived_;
  if (field_ == timestamp_col_) return &timestamp_;
  return nullptr;
}

void ElfLedgerTap::Feed(const char* data, size_t size) {
  std::string* target = Target();
  for (size_t i = 0; i < size; ++i) {
    const char c = data[i];
    switch (state_) {
      case State::kFieldStart:
      case State::kUnquoted:
        if (c == ',') {
          row_started_ = true;
          EndField();
          target = Target();
          state_ = State::kFieldStart;
        } else if (c == '\n') {
          if (row_started_ || field_ > 0) {
            EndField();
            EndRow();
          }
          target = Target();
          state_ = State::kFieldStart;
        } else if (c == '\r') {
          // CRLF line ends: the CR belongs to no field.
        } else if (c == '"' && state_ == State::kFieldStart) {
          row_started_ = true;
          state_ = State::kQuoted;
        } else {
          row_started_ = true;
          if (target != nullptr) target->push_back(c);
          state_ = State::kUnquoted;
        }
        break;
      case State::kQuoted:
        if (c == '"') {
          state_ = State::kQuoteInQuoted;
        } else if (target != nullptr) {
          target->push_back(c);
        }
        break;
      case State::kQuoteInQuoted:
        if (c == '"') {  // a doubled quote inside a quoted field
          if (target != nullptr) target->push_back('"');
          state_ = State::kQuoted;
        } else if (c == ',') {
          EndField();
          target = Target();
          state_ = State::kFieldStart;
        } else if (c == '\n') {
          EndField();
          EndRow();
          target = Target();
          state_ = State::kFieldStart;
        } else if (c != '\r') {
          if (target != nullptr) target->push_back(c);  // not CSV; keep the text
          state_ = State::kUnquoted;
        }
        break;
    }
  }
}

void ElfLedgerTap::Finish() {
  if (row_started_ || field_ > 0) {
    EndField();
    EndRow();
  }
  state_ = State::kFieldStart;
}

void ElfLedgerTap::EndField() {
  if (!header_done_) {
    header_.push_back(std::move(scratch_));
    scratch_.clear();
  }
  ++field_;
}

void ElfLedgerTap::EndRow() {
  if (!header_done_) {
    for (size_t i = 0; i < header_.size(); ++i) {
      if (header_[i] == "REQUEST_ID") request_col_ = static_cast<int>(i);
      if (header_[i] == "TIMESTAMP_DERIVED") derived_col_ = static_cast<int>(i);
      if (header_[i] == "TIMESTAMP") timestamp_col_ = static_cast<int>(i);
    }
    header_done_ = true;
  } else {
    batch_->Add(log_, request_id_, derived_.empty() ? timestamp_ : derived_);
  }
  request_id_.clear();
  derived_.clear();
  timestamp_.clear();
  field_ = 0;
  row_started_ = false;
}

}  // namespace custody::sim
