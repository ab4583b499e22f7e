#pragma once
// Maps EHR-side events to unified records: FHIR AuditEvents (R4 and R5, incl. IHE BALP) and
// Mirth Connect server events and message metadata (the JSON form of Mirth's XML, with its
// XML-to-JSON quirks). Fills everything except provenance, which the caller sets.

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

#include "normalize/record.h"

namespace custody::normalize {

struct EhrContext {
  std::string source;        // "fhir:<name>", "mirth:<name>"
  std::string stream;        // "audit-events", "server-events", "messages"
  std::string fhir_version;  // "4.0.1", "5.0.0"; "" = tell by element names
  std::string collector_identity;  // the username/client id the collector used: its own events
                                   // get collector_activity = true (FHIR: any agent's
                                   // identifier/reference/display/altId/name; Mirth: the
                                   // username attribute, e.g. of its Login)
  std::string collector_user_id;   // Mirth: the collector's numeric user id (most events carry
                                   // only userId); "" = unknown
};

// A searchset Bundle entry ({"fullUrl","resource","search"}): an AuditEvent → its record
// (provenance fields left for the caller); anything else (search.mode "outcome", an
// OperationOutcome) → nullopt and *skipped (when not null) says what it was, with the issue text.
// The same from an entry already parsed (a collector that parsed the whole page maps its entries
// from that DOM instead of parsing each entry's bytes again).
std::optional<Record> MapFhirBundleEntryValue(const EhrContext& ctx, const rapidjson::Value& entry,
                                              std::string* skipped);
std::optional<Record> MapFhirBundleEntry(const EhrContext& ctx, std::string_view entry_json,
                                         std::string* skipped);
// One AuditEvent resource; also for $export ndjson lines. Text that is not a JSON object gives a
// record with time_status kMissing, action "unparseable" and the reason in message.
Record MapFhirAuditEvent(const EhrContext& ctx, std::string_view resource_json);
// One ServerEvent, JSON form (attributes.entry one object or an array; entry.string a
// [key, value] pair possibly with null; values with a trailing "\n").
Record MapMirthServerEvent(const EhrContext& ctx, std::string_view event_json);
// One message's metadata (connectorMessages etc.; no content).
Record MapMirthMessage(const EhrContext& ctx, std::string_view message_json);
// The same two from an element already parsed, for a collector that needs the DOM anyway. The
// value must have been parsed with kMirthParseFlags (numbers kept as their text); a value that is
// not an object gives the same unreadable record as text that is not one.
inline constexpr unsigned kMirthParseFlags = rapidjson::kParseNumbersAsStringsFlag;
Record MapMirthServerEventValue(const EhrContext& ctx, const rapidjson::Value& event);
Record MapMirthMessageValue(const EhrContext& ctx, const rapidjson::Value& message);

}  // namespace custody::normalize
