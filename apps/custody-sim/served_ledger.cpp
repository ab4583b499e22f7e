#include "served_ledger.h"

#include <cerrno>
#include <cstring>
#include <iostream>

namespace custody::sim {
namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

}  // namespace

std::unique_ptr<ServedLedger> ServedLedger::Open(const std::string& path, std::string* error) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    *error = "custody-sim: --served-ledger " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<ServedLedger>(new ServedLedger(path, f));
}

ServedLedger::~ServedLedger() {
  if (std::fclose(file_) != 0) ReportFailure();
}

void ServedLedger::ReportFailure() {
  if (failed_) return;
  failed_ = true;
  std::cerr << "custody-sim: --served-ledger " << path_ << ": write failed (" << std::strerror(errno)
            << "); the ledger is incomplete from here on\n";
}

void ServedLedger::Write(std::string_view lines) {
  std::lock_guard lock(mu_);
  if (std::fwrite(lines.data(), 1, lines.size(), file_) != lines.size()) ReportFailure();
}

void ServedLedger::Flush() {
  std::lock_guard lock(mu_);
  if (std::fflush(file_) != 0) ReportFailure();
}

void LedgerBatch::Add(std::string_view log, std::string_view key, std::string_view time) {
  if (ledger_ == nullptr) return;
  pending_.append("{\"log\":");
  AppendJsonString(&pending_, log);
  pending_.append(",\"key\":");
  AppendJsonString(&pending_, key);
  pending_.append(",\"time\":");
  AppendJsonString(&pending_, time);
  pending_.append("}\n");
  if (pending_.size() >= kBlock) {
    ledger_->Write(pending_);
    pending_.clear();
    dirty_ = true;
  }
}

void LedgerBatch::Commit() {
  if (ledger_ == nullptr) return;
  if (!pending_.empty()) {
    ledger_->Write(pending_);
    pending_.clear();
    dirty_ = true;
  }
  if (dirty_) ledger_->Flush();
  dirty_ = false;
}

}  // namespace custody::sim
