#pragma once
// Maps Salesforce rows (REST query records, Bulk API CSV rows, EventLogFile CSV rows) to unified
// records. Rows are read through a field getter so JSON and CSV share one mapping per object.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "normalize/json_elements.h"
#include "normalize/record.h"

namespace custody::normalize {

// The value of a field as text; nullopt when the field is absent or JSON null. Relationship
// fields use the dotted name ("CreatedBy.Name"). Numbers and booleans come as their JSON text.
using FieldGetter = std::function<std::optional<std::string>(std::string_view name)>;

struct RowContext {
  std::string source;      // "salesforce:00D..."
  std::string stream;      // "field-history", "logins", "exports"
  std::string object;      // SOQL object ("AccountHistory", "LoginEvent", "SetupAuditTrail") or
                           // for ELF rows "EventLogFile"
  std::string elf_event_type;  // ELF rows: the file's EventType ("ReportExport")
};

// Fills everything except provenance. Known objects: <X>History, OpportunityFieldHistory,
// <Name>__History (namespaced too), FieldHistoryArchive, LoginHistory, LoginEvent, LoginAsEvent,
// LogoutEvent, ReportEvent, ApiEvent, BulkApiResultEventStore, ListViewEvent, SetupAuditTrail,
// EventLogFile rows of any EventType (unknown types still map the common columns). The time
// field per object: CreatedDate (history, SetupAuditTrail), LoginTime (LoginHistory), EventDate
// (RTEM), TIMESTAMP then TIMESTAMP_DERIVED (ELF). event_type is the object, or
// "EventLogFile:<EventType>" for ELF rows.
Record MapSalesforceRow(const RowContext& context, const FieldGetter& get);

// Walks a REST query response page ({"totalSize":..,"done":..,"records":[...]}) and calls back
// per record with a getter over it and the exact byte range of the record's JSON object in the
// page. kParse when the page is not such a JSON object.
struct JsonRecordView {
  const FieldGetter& get;
  std::uint64_t index;        // within the page
  std::uint64_t byte_offset;
  std::uint64_t byte_length;
};
Status ForEachQueryRecord(std::string_view page, const std::function<Status(const JsonRecordView&)>& callback);
// The same for a page already parsed by ParseQueryPage, so a collector that checks the page's
// totalSize, done and nextRecordsUrl parses it once for both.
Status ForEachQueryRecord(std::string_view page, const ParsedElements& parsed,
                          const std::function<Status(const JsonRecordView&)>& callback);
// Parses a query response page for ForEachQueryRecord: its DOM with numbers kept as their text,
// and the exact bytes of each element of "records". kParse when it is not JSON.
Status ParseQueryPage(std::string_view page, ParsedElements& parsed);

}  // namespace custody::normalize
