#include "soql_errors.h"

#include <algorithm>

namespace custody::sim::soql {
namespace {

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

uint32_t CountChars(std::string_view s) {
  uint32_t n = 0;
  for (char c : s) n += IsContinuation(c) ? 0 : 1;
  return n;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) n = 2;
  else if (b >= 0xE0 && b <= 0xEF) n = 3;
  else if (b >= 0xF0 && b <= 0xF4) n = 4;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if (!IsContinuation(s[i + k])) return 0;
  }
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b == 0xE0 && b1 < 0xA0) return 0;  // overlong
  if (b == 0xED && b1 > 0x9F) return 0;  // surrogate
  if (b == 0xF0 && b1 < 0x90) return 0;  // overlong
  if (b == 0xF4 && b1 > 0x8F) return 0;  // > U+10FFFF
  return n;
}

}  // namespace

SoqlError MakeError(std::string_view code, std::string message) {
  return SoqlError{400, std::string(code), std::move(message)};
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s, i);
    if (n == 0) {
      out.push_back('?');
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string DescribeChar(std::string_view text, uint32_t at) {
  if (at >= text.size()) return "'<EOF>'";
  const char c = text[at];
  switch (c) {
    case '\n': return "'\\n'";
    case '\r': return "'\\r'";
    case '\t': return "'\\t'";
    default: break;
  }
  const size_t n = Utf8Length(text, at);
  if (n == 0 || static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto b = static_cast<unsigned char>(c);
    return std::string("'\\u00") + kHex[b >> 4] + kHex[b & 15] + "'";
  }
  return "'" + std::string(text.substr(at, n)) + "'";
}

SourceText::Location SourceText::Locate(uint32_t at) const {
  Location loc;
  at = std::min<uint32_t>(at, static_cast<uint32_t>(text_.size()));
  for (uint32_t i = 0; i < at; ++i) {
    if (text_[i] == '\n') {
      ++loc.row;
      loc.line_begin = i + 1;
    }
  }
  loc.column = CountChars(text_.substr(loc.line_begin, at - loc.line_begin));
  const size_t nl = text_.find('\n', at);
  loc.line_end = static_cast<uint32_t>(nl == std::string_view::npos ? text_.size() : nl);
  return loc;
}

std::string SourceText::Build(uint32_t at, Span clause, std::string_view detail, bool lexer) const {
  const Location loc = Locate(at);
  uint32_t begin = std::clamp(clause.begin, loc.line_begin, loc.line_end);
  uint32_t end = std::clamp(clause.end, loc.line_begin, loc.line_end);
  if (begin > at) begin = std::max(loc.line_begin, std::min(at, loc.line_end));
  if (end < begin) end = begin;
  std::string_view echo = text_.substr(begin, end - begin);
  while (!echo.empty() && (echo.back() == '\r' || echo.back() == ' ' || echo.back() == '\t')) {
    echo.remove_suffix(1);
  }
  const uint32_t echo_column = CountChars(text_.substr(loc.line_begin, begin - loc.line_begin));
  int64_t caret = static_cast<int64_t>(loc.column) - echo_column - (lexer ? 1 : 0);
  if (caret < 0) caret = 0;

  std::string out = "\n";
  out += SanitizeUtf8(echo);
  out += '\n';
  out.append(static_cast<size_t>(caret), ' ');
  out += "^\nERROR at Row:";
  out += std::to_string(loc.row);
  out += ":Column:";
  const uint32_t column = lexer ? loc.column : loc.column + 1;
  out += std::to_string(column);
  out += '\n';
  if (lexer) {
    out += "line " + std::to_string(loc.row) + ":" + std::to_string(column) + " ";
  }
  out += SanitizeUtf8(detail);
  return out;
}

std::string SourceText::CaretMessage(uint32_t at, Span clause, std::string_view detail) const {
  return Build(at, clause, detail, false);
}

std::string SourceText::LexerMessage(uint32_t at, Span clause, std::string_view detail) const {
  return Build(at, clause, detail, true);
}

}  // namespace custody::sim::soql
