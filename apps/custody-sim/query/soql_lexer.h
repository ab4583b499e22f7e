#pragma once
// SOQL tokens. Lexing never fails as a whole: a character that starts no token, a malformed
// dateTime literal (for instance "2026-04-01T00:00:00 02:00", an unencoded '+' turned into a space)
// or an unterminated string becomes a kError token at the offending character and lexing resumes
// after it, so the parser reports the first problem in text order with the clause around it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "soql_ast.h"

namespace custody::sim::soql {

enum class TokenKind {
  kIdent,     // keywords too; the parser compares case-insensitively
  kString,    // literal.text / literal.like_pattern
  kNumber,    // literal.real / literal.integer
  kDate,      // literal.value = days since epoch
  kDateTime,  // literal.value = ms since epoch, UTC
  kComma,
  kDot,
  kLParen,
  kRParen,
  kColon,
  kEq,
  kNe,  // != and <>
  kLt,
  kLe,
  kGt,
  kGe,
  kError,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  Span span;        // kError: the offending character (empty at the end of the text)
  Literal literal;  // kString, kNumber, kDate, kDateTime
  std::string error;         // kError: detail text
  bool lexer_style = true;   // kError: "line r:c ..." form; false: caret form under span.begin
};

// Always ends with one kEnd token whose span is the end of `text`.
std::vector<Token> Lex(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

}  // namespace custody::sim::soql
