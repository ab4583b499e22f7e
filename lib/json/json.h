#pragma once
// JSON helpers over RapidJSON: strict parsing, RFC 8785 (JCS) canonical serialization of the
// subset we write (objects, arrays, strings, integers, booleans, null), and JSON Schema checks.

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "core/error.h"

namespace custody::json {

// Parses one JSON text. Rejects trailing content, NaN/Infinity and invalid UTF-8, including
// escapes that decode to a lone surrogate. Duplicate member names are kept (Canonical refuses them).
Result<rapidjson::Document> Parse(std::string_view text, std::string_view what);

// Whether text is one JSON value and nothing else (RapidJSON's default grammar, no DOM built: a
// cheap check of a page before it is read for real). On false, *error_offset (when not null) is
// the byte where parsing stopped.
bool WellFormed(std::string_view text, std::size_t* error_offset = nullptr);

// RFC 8785 canonical form: members sorted by UTF-16 code units, no insignificant whitespace,
// minimal string escapes. Refused (kParse): floating-point numbers (we never sign one), integers
// beyond +/-(2^53-1) (RFC 8785 would round them), duplicate member names, strings that are not UTF-8.
Result<std::string> Canonical(const rapidjson::Value& value);

// Pretty, stable (insertion-order) serialization for documents people read.
std::string Pretty(const rapidjson::Value& value);

// A scalar as text: a string as it is, an integer in decimal, a double as RapidJSON writes it,
// true/false; "" for null, an object or an array. For ids and times read from a connector's JSON.
std::string ScalarText(const rapidjson::Value& value);

// Typed accessors that never assert: each returns an error naming the member.
Result<std::string> GetString(const rapidjson::Value& object, const char* member);
Result<std::int64_t> GetInt(const rapidjson::Value& object, const char* member);
Result<const rapidjson::Value*> GetObject(const rapidjson::Value& object, const char* member);

// Validates a document against a JSON Schema (draft-04, RapidJSON's validator). The error
// names the failing keyword and both JSON pointers.
Status ValidateAgainstSchema(const rapidjson::Value& document, std::string_view schema_text);

}  // namespace custody::json
