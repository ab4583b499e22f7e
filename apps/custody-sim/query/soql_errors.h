#pragma once
// Salesforce's SOQL error texts. Errors that point into the statement use the caret form
//
//   "\n<echo>\n<spaces>^\nERROR at Row:<row>:Column:<column>\n<detail>"
//
// where <echo> is the clause holding the error, clipped to the error's line: the SELECT clause
// ("SELECT Id , EventType , Interval , LogDate , LogFile , LogFileLength" for a bad column, as
// Salesforce prints it), the SELECT..FROM text for a bad object ("SELECT Id FROM LoginEvent"), or
// the condition after WHERE ("LastModifiedDate >= 2013-12-01T12:00:00 00:00"), the list after
// ORDER BY, or "LIMIT n" / "OFFSET n"; a syntax error's echo runs on to the end of its clause. Rows
// and columns count lines and characters of the statement trimmed of surrounding whitespace, as
// Salesforce does. Parser and schema errors give a 1-based column with the caret under the token;
// lexer errors copy Salesforce's ANTLR lexer: a 0-based column, the detail prefixed "line r:c ",
// and the caret one character to the left.

#include <cstdint>
#include <string>
#include <string_view>

#include "query_engine.h"
#include "soql_ast.h"

namespace custody::sim::soql {

inline constexpr std::string_view kMalformedQuery = "MALFORMED_QUERY";
inline constexpr std::string_view kInvalidField = "INVALID_FIELD";
inline constexpr std::string_view kInvalidType = "INVALID_TYPE";
inline constexpr std::string_view kInvalidFilterOperator = "INVALID_QUERY_FILTER_OPERATOR";
inline constexpr std::string_view kNumberOutsideRange = "NUMBER_OUTSIDE_VALID_RANGE";

SoqlError MakeError(std::string_view code, std::string message);

class SourceText {
 public:
  explicit SourceText(std::string_view text) : text_(text) {}
  std::string_view text() const { return text_; }

  // Caret form for parser and schema errors at byte offset `at` inside `clause`.
  std::string CaretMessage(uint32_t at, Span clause, std::string_view detail) const;
  // Caret form for lexer errors ("line 1:87 no viable alternative at character ' '").
  std::string LexerMessage(uint32_t at, Span clause, std::string_view detail) const;

 private:
  struct Location {
    uint32_t row = 1;         // 1-based line
    uint32_t column = 0;      // 0-based, in characters
    uint32_t line_begin = 0;  // byte offset
    uint32_t line_end = 0;    // byte offset of the '\n' or the end
  };
  Location Locate(uint32_t at) const;
  std::string Build(uint32_t at, Span clause, std::string_view detail, bool lexer) const;

  std::string_view text_;
};

// Text safe to embed in a message: invalid UTF-8 bytes become '?'.
std::string SanitizeUtf8(std::string_view s);
// One character as ANTLR shows it in "no viable alternative at character '...'": '\n', '<EOF>' ...
std::string DescribeChar(std::string_view text, uint32_t at);

}  // namespace custody::sim::soql
