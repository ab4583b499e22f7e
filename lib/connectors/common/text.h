#pragma once
// Small text helpers every connector needs to read what it captured and to quote what a server
// said in a report or an error: never more than a line, never raw control bytes.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "http/transport.h"

namespace custody::connectors {

// A captured body, whole (the caller has checked its size) or its first `max` bytes.
std::string ReadWhole(const std::filesystem::path& path);
std::string ReadHead(const std::filesystem::path& path, size_t max);

// One line of printable ASCII (line breaks as spaces, control and non-ASCII bytes as '?'), at
// most max characters, "..." when cut.
std::string Excerpt(std::string_view text, size_t max);

// The same for a body that may be HTML or XML: markup removed, whitespace collapsed.
std::string Gist(std::string_view body, size_t max = 240);

bool IsBlank(std::string_view text);

// The Content-Type header as sent, or "no content type".
std::string ContentTypeOf(const http::Headers& headers);

// "000042": page and file numbers in capture names.
std::string Pad6(std::uint64_t n);

}  // namespace custody::connectors
