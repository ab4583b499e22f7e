#pragma once
// Exact byte ranges of the elements of a JSON array inside a larger JSON text (a FHIR Bundle's
// "/entry", a Mirth list's "/list/event"), so each record's provenance points at the very bytes
// it came from. A streaming scan: nothing is parsed into a DOM or re-serialized.

#include <cstdint>
#include <functional>
#include <string_view>

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

}  // namespace custody::normalize
