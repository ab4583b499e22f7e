#pragma once
// Exact byte ranges of the elements of a JSON array inside a larger JSON text (a FHIR Bundle's
// "/entry", a Mirth list's "/list/event"), so each record's provenance points at the very bytes
// it came from. A streaming scan: nothing is parsed into a DOM or re-serialized.

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace custody::normalize {

struct JsonElement {
  std::uint64_t index;        // 0-based within the array
  std::uint64_t byte_offset;  // of the element's value in the text
  std::uint64_t byte_length;  // exact bytes of the value (no surrounding whitespace or comma)
};

// Walks the array at an RFC 6901 pointer ("/entry", "/list/event", "" = the root) and calls back
// per element with its exact byte range. A single object (or scalar) at that path counts as a
// one-element array (Mirth's XML-to-JSON collapsing); absent or null → no elements, Ok.
// kParse (the message says where: byte offset) when the text is not valid JSON (e.g. HTML).
// The whole text is checked before the first callback (no element of a truncated body is ever
// handed out). A callback error stops the walk and is returned.
Status ForEachJsonArrayElement(std::string_view text, std::string_view pointer,
                               const std::function<Status(const JsonElement&)>& callback);

// The same element ranges from one RapidJSON parse that also builds the DOM of the whole text,
// for a collector that reads the page's own members too (a FHIR Bundle's total and links) and
// maps each element from the DOM instead of parsing its bytes again. The elements are the same,
// byte for byte, as ForEachJsonArrayElement finds; *value is the value at the pointer (null when
// absent). Numbers are kept as their text when numbers_as_strings. With strict_utf8 the text
// must be UTF-8 and no \u escape may decode to a lone surrogate (json::Parse's rules). kParse
// says where when the text is not JSON; nesting deeper than 512 is refused, never recursed into.
struct ParsedElements {
  std::vector<char> buffer;  // the text the DOM's strings may point into (declared before doc)
  rapidjson::Document doc;
  const rapidjson::Value* value = nullptr;
  std::vector<JsonElement> elements;
};
Status ParseJsonArrayElements(std::string_view text, std::string_view pointer, bool numbers_as_strings, bool strict_utf8,
                              ParsedElements& out);

}  // namespace custody::normalize
