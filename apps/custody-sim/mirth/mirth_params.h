#pragma once
// Request parameters as Mirth's JAX-RS layer converts them: Calendar query params only in
// yyyy-MM-dd'T'HH:mm:ss.SSSZ, Integer/Long/enum params by valueOf (a failure is a 404, the JAX-RS
// rule for query-param conversion), EventFilter bodies (XML or Staxon JSON), and Accept
// negotiation among the types an endpoint produces.

#include <httplib.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mirth/mirth_data.h"
#include "mirth/mirth_xml.h"

namespace custody::sim::mirth {

enum class WireFormat { kXml, kJson, kText };

// nullopt when nothing in Accept fits (406). An empty Accept takes the first produced type.
std::optional<WireFormat> PickFormat(std::string_view accept, std::initializer_list<WireFormat> produces);

// "2026-04-01T00:00:00.000-0700" and nothing else: milliseconds required, the offset as ±HHMM.
// A day past the month's end (29..31) is moved to its last day, as java.time's SMART resolver does.
bool ParseMirthDate(std::string_view text, TimeMs* out);
// Integer.valueOf / Long.valueOf: optional sign, decimal digits, within range.
bool ParseJavaInt(std::string_view text, int64_t* out);
bool ParseJavaLong(std::string_view text, int64_t* out);

// GET /api/events and /api/events/count query parameters; false on a conversion failure.
bool EventFilterFromQuery(const httplib::Request& req, EventFilter* f);
// offset and limit (no limit: every row); false on a conversion failure.
bool PagingFromQuery(const httplib::Request& req, uint64_t* offset, std::optional<uint64_t>* limit);
// An <eventFilter> body (Calendar dates as <time> epoch ms); false when a field does not convert.
bool EventFilterFromNode(const XmlNode& node, EventFilter* f);

struct MessageQuery {
  std::optional<int64_t> min_id, max_id;
  std::optional<TimeMs> start, end;
  std::vector<std::string> statuses;
  uint64_t offset = 0;
  std::optional<uint64_t> limit;
  bool include_content = false;
  std::string offset_text, limit_text, start_text, end_text;
};
bool MessageQueryFromQuery(const httplib::Request& req, MessageQuery* q);
// The "filter" attribute of a "Get messages by page limit" event.
std::string MessageFilterText(const MessageQuery& q);

}  // namespace custody::sim::mirth
