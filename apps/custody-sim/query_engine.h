#pragma once
// SOQL subset: parse, check against the org's schemas the way Salesforce does (same error codes and
// messages), and evaluate over generated tables. A result is fixed when the query runs; pages are
// rendered from it on demand, so paging a million-row result holds only the matching row indices
// (or, when the WHERE clause is a window on the table's order field, just an index range).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "model.h"

namespace custody::sim {

// An error as Salesforce reports it: HTTP 400 and [{"message": ..., "errorCode": ...}].
struct SoqlError {
  int http_status = 400;
  std::string error_code;  // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, ...
  std::string message;     // exact text, incl. the "ERROR at Row:1:Column:N" form where Salesforce uses it
};

struct QueryOptions {
  bool all_rows = false;    // queryAll: include IsDeleted rows
  TimeMs now = 0;           // simulated time; rows not yet created are invisible
  bool view_all_data = true;  // false: kRecordFlsRestricted rows are invisible
  std::string api_version = "62.0";  // for attributes.url
};

class QueryResult {
 public:
  virtual ~QueryResult() = default;
  virtual const std::string& object_name() const = 0;  // exact case, from the schema
  virtual uint64_t total_size() const = 0;
  virtual bool is_count() const = 0;  // SELECT COUNT(): total_size only, no records
  // Appends records [offset, offset + count) as JSON objects separated by commas (no brackets):
  // "attributes" first, then the SELECT list in order; relationship fields nest; null as null.
  virtual void AppendJsonRecords(uint64_t offset, uint64_t count, std::string* out) const = 0;
  // Bulk API 2.0 CSV: a header line of quoted column names (SELECT order, relationship fields
  // dotted: "CreatedBy.Name") and quoted values, datetimes as 2026-04-15T12:34:56.000Z, null as
  // empty, lines ended by LF.
  virtual void AppendCsvHeader(std::string* out) const = 0;
  virtual void AppendCsvRows(uint64_t offset, uint64_t count, std::string* out) const = 0;
  // Calls `visit` with the whole record behind each of rows [offset, offset + count), every field
  // whatever the SELECT list holds (the served ledger names rows by fields a query may leave out).
  // Nothing for COUNT().
  virtual void VisitRecords(uint64_t offset, uint64_t count,
                            const std::function<void(const Record&)>& visit) const = 0;
};

class QueryEngine {
 public:
  explicit QueryEngine(const Org& org) : org_(org) {}
  // `soql` is the already URL-decoded text of the q parameter.
  std::variant<std::shared_ptr<const QueryResult>, SoqlError> Run(std::string_view soql,
                                                                 const QueryOptions& options) const;

 private:
  const Org& org_;
};

}  // namespace custody::sim
