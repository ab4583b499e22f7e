#pragma once
// --served-ledger FILE: the simulator's own record of every data row it served, so an acceptance
// test can check a collector's bundles against what was actually handed out. JSON Lines, one
// line a row: {"log":"<log>","key":"<key>","time":"<the row's event time as served>"}. Which
// rows, and the log and key of each, are listed in docs/custody-sim.md ("The served ledger").
//
// Shared by the org and the EHR servers (each holds a non-owning pointer; main.cpp owns the
// ledger and outlives them). Lines of concurrent responses interleave only as whole lines.

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace custody::sim {

class ServedLedger {
 public:
  // Creates or truncates `path`. Null, with the reason in *error, when it cannot be opened.
  static std::unique_ptr<ServedLedger> Open(const std::string& path, std::string* error);
  ~ServedLedger();
  ServedLedger(const ServedLedger&) = delete;
  ServedLedger& operator=(const ServedLedger&) = delete;

  const std::string& path() const { return path_; }
  // Appends whole lines (each ending in '\n'). Buffered until Flush().
  void Write(std::string_view lines);
  // Makes everything written so far readable by another process. A write error is reported once
  // on stderr; serving goes on.
  void Flush();

 private:
  ServedLedger(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  void ReportFailure();

  std::string path_;
  std::mutex mu_;
  std::FILE* file_;
  bool failed_ = false;
};

// The ledger lines of one response. Lines are written through in blocks as they accumulate (a
// multi-gigabyte LogFile never sits in memory) and Commit() flushes; call it before the response's
// last byte leaves, so a client that has the whole response finds its rows in the file. A batch
// over a null ledger does nothing.
class LedgerBatch {
 public:
  explicit LedgerBatch(ServedLedger* ledger) : ledger_(ledger) {}
  ~LedgerBatch() { Commit(); }
  LedgerBatch(const LedgerBatch&) = delete;
  LedgerBatch& operator=(const LedgerBatch&) = delete;

  bool on() const { return ledger_ != nullptr; }
  void Add(std::string_view log, std::string_view key, std::string_view time);
  void Commit();

 private:
  static constexpr size_t kBlock = 64 * 1024;
  ServedLedger* ledger_;
  std::string pending_;
  bool dirty_ = false;  // something written since the last flush
};

}  // namespace custody::sim
