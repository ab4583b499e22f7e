#pragma once
// Exact byte ranges of the elements of a JSON array inside a larger JSON text (a FHIR Bundle's
// "/entry", a Mirth list's "/list/event", a generic HTTP-JSON page's records), so each record's
// provenance points at the very bytes it came from. Found in the same RapidJSON pass that builds
// the page's DOM: nothing is parsed twice or re-serialized.

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace custody::normalize {

struct JsonElement {
  std::uint64_t index;        // 0-based within the array
  std::uint64_t byte_offset;  // of the element's value in the text
  std::uint64_t byte_length;  // exact bytes of the value (no surrounding whitespace or comma)
};

// The DOM of the whole text from one RapidJSON parse, and the exact byte range of each element of
// the array at an RFC 6901 pointer ("/entry", "/list/event", "" = the root), noted on the way, so
// a collector reads the page's own members (a FHIR Bundle's total and links) and maps each
// element from the DOM without parsing its bytes again. A single object (or scalar) at that path
// counts as a one-element array (Mirth's XML-to-JSON collapsing); absent or null: no elements,
// Ok. The first member of a repeated name is the one followed. *value is the value at the
// pointer (null when absent or null). Numbers are kept as their text when numbers_as_strings.
// With strict_utf8 the text must be UTF-8 and no \u escape may decode to a lone surrogate
// (json::Parse's rules). kParse says where (byte offset) when the text is not JSON, e.g. HTML or
// a truncated body; then no element is given and doc is null. Nesting deeper than 512 is refused,
// never recursed into. kInvalidArgument when the pointer is not RFC 6901; the text is not read.
struct ParsedElements {
  std::vector<char> buffer;  // the text the DOM's strings may point into (declared before doc)
  rapidjson::Document doc;
  const rapidjson::Value* value = nullptr;  // into doc (&doc for the pointer ""): not kept by a move
  std::vector<JsonElement> elements;
  std::optional<std::uint64_t> error_offset;  // kParse: the byte where the text stops being JSON
                                              // (none when the text is not UTF-8 as a whole)
};
Status ParseJsonArrayElements(std::string_view text, std::string_view pointer, bool numbers_as_strings, bool strict_utf8,
                              ParsedElements& out);

}  // namespace custody::normalize
