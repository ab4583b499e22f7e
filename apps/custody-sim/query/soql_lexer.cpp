#include "soql_lexer.h"

#include <algorithm>
#include <charconv>

#include "soql_errors.h"

namespace custody::sim::soql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool DigitsAt(std::string_view s, size_t i, size_t n) {
  if (i + n > s.size()) return false;
  for (size_t k = 0; k < n; ++k) {
    if (!IsDigit(s[i + k])) return false;
  }
  return true;
}

unsigned ReadDigits(std::string_view s, size_t i, size_t n) {
  unsigned v = 0;
  for (size_t k = 0; k < n; ++k) v = v * 10 + static_cast<unsigned>(s[i + k] - '0');
  return v;
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  std::vector<Token> Run() {
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      if (IsIdentStart(c)) {
        const size_t begin = pos_;
        while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
        Emit(TokenKind::kIdent, begin);
      } else if (IsDigit(c) || (c == '-' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
        NumberOrDate();
      } else if (c == '\'') {
        String();
      } else {
        Punctuation(c);
      }
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.span = {Offset(text_.size()), Offset(text_.size())};
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  static uint32_t Offset(size_t i) { return static_cast<uint32_t>(i); }

  Token& Emit(TokenKind kind, size_t begin) {
    Token t;
    t.kind = kind;
    t.span = {Offset(begin), Offset(pos_)};
    t.literal.span = t.span;
    t.literal.text = std::string(text_.substr(begin, pos_ - begin));
    switch (kind) {
      case TokenKind::kString: t.literal.kind = Literal::Kind::kString; break;
      case TokenKind::kNumber: t.literal.kind = Literal::Kind::kNumber; break;
      case TokenKind::kDate: t.literal.kind = Literal::Kind::kDate; break;
      case TokenKind::kDateTime: t.literal.kind = Literal::Kind::kDateTime; break;
      default: break;
    }
    tokens_.push_back(std::move(t));
    return tokens_.back();
  }

  // A lexer error at `at`; lexing resumes after the offending character.
  void LexError(size_t at, std::string detail) {
    Token t;
    t.kind = TokenKind::kError;
    const size_t width = at < text_.size() ? CharWidth(at) : 0;
    t.span = {Offset(at), Offset(at + width)};
    t.error = std::move(detail);
    tokens_.push_back(std::move(t));
    pos_ = at >= text_.size() ? text_.size() : at + width;
  }

  void NoViableAlternative(size_t at) {
    LexError(at, "no viable alternative at character " + DescribeChar(text_, Offset(at)));
  }

  size_t CharWidth(size_t at) const {
    const auto b = static_cast<unsigned char>(text_[at]);
    size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    for (size_t k = 1; k < n; ++k) {
      if (at + k >= text_.size() || (static_cast<unsigned char>(text_[at + k]) & 0xC0) != 0x80) return k;
    }
    return n;
  }

  void Punctuation(char c) {
    const size_t begin = pos_;
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    TokenKind kind;
    size_t width = 1;
    switch (c) {
      case ',': kind = TokenKind::kComma; break;
      case '.': kind = TokenKind::kDot; break;
      case '(': kind = TokenKind::kLParen; break;
      case ')': kind = TokenKind::kRParen; break;
      case ':': kind = TokenKind::kColon; break;
      case '=': kind = TokenKind::kEq; break;
      case '!':
        if (next != '=') return NoViableAlternative(pos_);
        kind = TokenKind::kNe;
        width = 2;
        break;
      case '<':
        kind = next == '=' ? TokenKind::kLe : next == '>' ? TokenKind::kNe : TokenKind::kLt;
        width = next == '=' || next == '>' ? 2 : 1;
        break;
      case '>':
        kind = next == '=' ? TokenKind::kGe : TokenKind::kGt;
        width = next == '=' ? 2 : 1;
        break;
      default:
        return NoViableAlternative(pos_);
    }
    pos_ += width;
    Emit(kind, begin);
  }

  void NumberOrDate() {
    const size_t begin = pos_;
    if (text_[pos_] != '-' && DigitsAt(text_, pos_, 4) && pos_ + 4 < text_.size() && text_[pos_ + 4] == '-' &&
        DigitsAt(text_, pos_ + 5, 2) && pos_ + 7 < text_.size() && text_[pos_ + 7] == '-' &&
        DigitsAt(text_, pos_ + 8, 2)) {
      return DateOrDateTime();
    }
    if (text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    bool integer = true;
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && IsDigit(text_[pos_ + 1])) {
      integer = false;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    Token& t = Emit(TokenKind::kNumber, begin);
    const char* first = text_.data() + begin;
    const char* last = text_.data() + pos_;
    if (integer) {
      int64_t v = 0;
      const auto r = std::from_chars(first, last, v);
      if (r.ec == std::errc() && r.ptr == last) {
        t.literal.is_integer = true;
        t.literal.integer = v;
        t.literal.real = static_cast<double>(v);
        return;
      }
    }
    double d = 0;
    const auto r = std::from_chars(first, last, d);
    t.literal.real = r.ec == std::errc() ? d : 0;
  }

  void DateOrDateTime() {
    const size_t begin = pos_;
    const int64_t year = ReadDigits(text_, begin, 4);
    const unsigned month = ReadDigits(text_, begin + 5, 2);
    const unsigned day = ReadDigits(text_, begin + 8, 2);
    size_t p = begin + 10;
    bool valid = month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(year, month);
    if (p >= text_.size() || text_[p] != 'T') {
      pos_ = p;
      if (!valid) return InvalidLiteral(begin, "date");
      Token& t = Emit(TokenKind::kDate, begin);
      t.literal.value = DaysFromCivil(year, month, day);
      return;
    }
    ++p;
    // hh:mm:ss
    for (size_t k = 0; k < 8; ++k) {
      const bool want_colon = k == 2 || k == 5;
      if (p >= text_.size() || (want_colon ? text_[p] != ':' : !IsDigit(text_[p]))) return NoViableAlternative(p);
      ++p;
    }
    const unsigned hour = ReadDigits(text_, p - 8, 2);
    const unsigned minute = ReadDigits(text_, p - 5, 2);
    const unsigned second = ReadDigits(text_, p - 2, 2);
    unsigned millis = 0;
    if (p < text_.size() && text_[p] == '.') {
      ++p;
      if (p >= text_.size() || !IsDigit(text_[p])) return NoViableAlternative(p);
      unsigned scale = 100;
      while (p < text_.size() && IsDigit(text_[p])) {
        millis += static_cast<unsigned>(text_[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
    }
    int64_t offset_minutes = 0;
    if (p < text_.size() && text_[p] == 'Z') {
      ++p;
    } else if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) {
      const int64_t sign = text_[p] == '-' ? -1 : 1;
      ++p;
      if (!DigitsAt(text_, p, 2)) return NoViableAlternative(DigitsAt(text_, p, 1) ? p + 1 : p);
      const unsigned oh = ReadDigits(text_, p, 2);
      p += 2;
      if (p < text_.size() && text_[p] == ':') ++p;
      if (!DigitsAt(text_, p, 2)) return NoViableAlternative(DigitsAt(text_, p, 1) ? p + 1 : p);
      const unsigned om = ReadDigits(text_, p, 2);
      p += 2;
      valid = valid && oh <= 23 && om <= 59;
      offset_minutes = sign * static_cast<int64_t>(oh * 60 + om);
    } else {
      return NoViableAlternative(p);
    }
    valid = valid && hour <= 23 && minute <= 59 && second <= 59;
    pos_ = p;
    if (!valid) return InvalidLiteral(begin, "dateTime");
    Token& t = Emit(TokenKind::kDateTime, begin);
    const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
                            offset_minutes * 60;
    t.literal.value = seconds * 1000 + millis;
  }

  void InvalidLiteral(size_t begin, std::string_view type) {
    Token t;
    t.kind = TokenKind::kError;
    t.span = {Offset(begin), Offset(pos_)};
    t.lexer_style = false;
    t.error = "invalid " + std::string(type) + " literal: " + std::string(text_.substr(begin, pos_ - begin));
    tokens_.push_back(std::move(t));
  }

  void String() {
    const size_t begin = pos_;
    std::string text;
    std::string like;
    size_t p = pos_ + 1;
    while (true) {
      if (p >= text_.size()) {
        return LexError(text_.size(), "mismatched character '<EOF>' expecting '''");
      }
      const char c = text_[p];
      if (c == '\'') {
        ++p;
        break;
      }
      if (c != '\\') {
        text.push_back(c);
        like.push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= text_.size()) {
        return LexError(text_.size(), "mismatched character '<EOF>' expecting '''");
      }
      const char e = text_[p + 1];
      char decoded;
      switch (e) {
        case 'n': case 'N': decoded = '\n'; break;
        case 't': case 'T': decoded = '\t'; break;
        case 'r': case 'R': decoded = '\r'; break;
        case 'b': case 'B': decoded = '\b'; break;
        case 'f': case 'F': decoded = '\f'; break;
        case '\'': decoded = '\''; break;
        case '"': decoded = '"'; break;
        case '\\': decoded = '\\'; break;
        case '%': decoded = '%'; break;
        case '_': decoded = '_'; break;
        default: {
          // Salesforce rejects unknown escapes; the whole literal is the error.
          size_t close = p + 2;
          while (close < text_.size() && text_[close] != '\'') close += text_[close] == '\\' ? 2 : 1;
          close = std::min(close, text_.size());
          pos_ = std::min(close + 1, text_.size());
          Token t;
          t.kind = TokenKind::kError;
          t.span = {Offset(begin), Offset(pos_)};
          t.lexer_style = false;
          t.error = "Invalid string literal '" + std::string(text_.substr(begin + 1, close - begin - 1)) +
                    "'. Illegal character sequence '\\" + std::string(1, e) + "' in string literal.";
          tokens_.push_back(std::move(t));
          return;
        }
      }
      text.push_back(decoded);
      if (decoded == '%' || decoded == '_' || decoded == '\\') like.push_back('\\');
      like.push_back(decoded);
      p += 2;
    }
    pos_ = p;
    Token& t = Emit(TokenKind::kString, begin);
    t.literal.kind = Literal::Kind::kString;
    t.literal.text = std::move(text);
    t.literal.like_pattern = std::move(like);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::vector<Token> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace custody::sim::soql
