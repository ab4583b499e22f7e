#include "normalize/json_elements.h"

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace custody::normalize {

namespace {

constexpr int kMaxDepth = 512;  // deeper nesting is refused rather than risking the stack

// One pass over the text that checks the JSON grammar (RFC 8259) and, on the way, notes the byte
// ranges of the elements at the pointer. Nothing is copied except object keys that contain
// escapes and lie on the pointer's path.
class Walker {
 public:
  Walker(std::string_view text, std::vector<std::string> tokens) : t_(text), tokens_(std::move(tokens)) {}

  Status Run() {
    SkipSpace();
    if (!Walk(0, 0)) return Error();
    SkipSpace();
    if (p_ != t_.size()) {
      Fail("text after the JSON value");
      return Error();
    }
    return Status::Ok();
  }

  const std::vector<JsonElement>& elements() const { return elements_; }

 private:
  Status Error() const {
    return custody::Error(ErrorCode::kParse, "invalid JSON at byte offset " + std::to_string(err_pos_) + ": " + err_);
  }

  bool Fail(std::string what) {
    if (err_.empty()) {
      err_ = std::move(what);
      err_pos_ = p_;
    }
    return false;
  }

  bool FailChar() {
    if (p_ >= t_.size()) return Fail("unexpected end of text");
    const unsigned char c = static_cast<unsigned char>(t_[p_]);
    if (c >= 0x20 && c < 0x7F) return Fail(std::string("unexpected character '") + static_cast<char>(c) + "'");
    return Fail("unexpected byte " + std::to_string(c));
  }

  void SkipSpace() {
    while (p_ < t_.size()) {
      const char c = t_[p_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++p_;
    }
  }

  bool Peek(char c) const { return p_ < t_.size() && t_[p_] == c; }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static void AppendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // A string at p_ (which is '"'). When decoded is not null it receives the unescaped text.
  bool String(std::string* decoded) {
    ++p_;  // the opening quote
    const size_t n = t_.size();
    while (true) {
      // The common case: a run of plain bytes.
      const size_t run_start = p_;
      while (p_ < n) {
        const unsigned char c = static_cast<unsigned char>(t_[p_]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++p_;
      }
      if (decoded != nullptr) decoded->append(t_.data() + run_start, p_ - run_start);
      if (p_ >= n) return Fail("unterminated string");
      const char c = t_[p_];
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c != '\\') return Fail("control character in a string");
      ++p_;
      if (p_ >= n) return Fail("unterminated string");
      const char e = t_[p_];
      char plain = 0;
      switch (e) {
        case '"': plain = '"'; break;
        case '\\': plain = '\\'; break;
        case '/': plain = '/'; break;
        case 'b': plain = '\b'; break;
        case 'f': plain = '\f'; break;
        case 'n': plain = '\n'; break;
        case 'r': plain = '\r'; break;
        case 't': plain = '\t'; break;
        case 'u': {
          if (p_ + 4 >= n) return Fail("truncated \\u escape");
          std::uint32_t cp = 0;
          for (int i = 1; i <= 4; ++i) {
            const int h = Hex(t_[p_ + i]);
            if (h < 0) return Fail("bad \\u escape");
            cp = cp * 16 + static_cast<std::uint32_t>(h);
          }
          p_ += 5;
          if (decoded != nullptr) {
            // A surrogate pair spells one code point; a lone surrogate is kept as U+FFFD.
            if (cp >= 0xD800 && cp <= 0xDBFF && p_ + 5 < n && t_[p_] == '\\' && t_[p_ + 1] == 'u') {
              std::uint32_t lo = 0;
              bool ok = true;
              for (int i = 2; i <= 5; ++i) {
                const int h = Hex(t_[p_ + i]);
                if (h < 0) ok = false;
                lo = lo * 16 + static_cast<std::uint32_t>(h < 0 ? 0 : h);
              }
              if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p_ += 6;
              }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
            AppendUtf8(*decoded, cp);
          }
          continue;
        }
        default:
          return Fail("bad escape in a string");
      }
      ++p_;
      if (decoded != nullptr) decoded->push_back(plain);
    }
  }

  bool Digits() {
    const size_t start = p_;
    while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    return p_ > start;
  }

  bool Number() {
    if (Peek('-')) ++p_;
    if (Peek('0')) {
      ++p_;
    } else if (!Digits()) {
      return Fail("bad number");
    }
    if (Peek('.')) {
      ++p_;
      if (!Digits()) return Fail("bad number: no digits after '.'");
    }
    if (Peek('e') || Peek('E')) {
      ++p_;
      if (Peek('+') || Peek('-')) ++p_;
      if (!Digits()) return Fail("bad number: no exponent digits");
    }
    return true;
  }

  bool Literal(const char* word) {
    const size_t len = std::strlen(word);
    if (t_.substr(p_, len) != word) return FailChar();
    p_ += len;
    return true;
  }

  // Checks and skips one value at p_ (no leading space). target_level >= 0: the value's
  // members/elements are walked along the pointer from that level.
  bool Walk(size_t level, int depth) {
    if (p_ >= t_.size()) return Fail("unexpected end of text");
    if (level == tokens_.size() && !emitted_) return Target(depth);
    const bool on_path = level < tokens_.size() && !emitted_;
    const char c = t_[p_];
    if (c == '{') {
      if (depth >= kMaxDepth) return Fail("nesting deeper than " + std::to_string(kMaxDepth));
      ++p_;
      SkipSpace();
      if (Peek('}')) {
        ++p_;
        return true;
      }
      bool matched = false;
      std::string key;
      while (true) {
        if (!Peek('"')) return p_ >= t_.size() ? Fail("unexpected end of text") : Fail("expected a member name");
        bool this_one = false;
        if (on_path && !matched) {
          key.clear();
          if (!String(&key)) return false;
          this_one = key == tokens_[level];
        } else if (!String(nullptr)) {
          return false;
        }
        SkipSpace();
        if (!Peek(':')) return Fail("expected ':'");
        ++p_;
        SkipSpace();
        // The first member of that name is the one (RFC 6901 leaves duplicates undefined).
        if (!Walk(this_one ? level + 1 : tokens_.size() + 1, depth + 1)) return false;
        if (this_one) matched = true;
        SkipSpace();
        if (Peek(',')) {
          ++p_;
          SkipSpace();
          continue;
        }
        if (Peek('}')) {
          ++p_;
          return true;
        }
        return p_ >= t_.size() ? Fail("unexpected end of text") : Fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      if (depth >= kMaxDepth) return Fail("nesting deeper than " + std::to_string(kMaxDepth));
      ++p_;
      SkipSpace();
      if (Peek(']')) {
        ++p_;
        return true;
      }
      const std::optional<std::uint64_t> want = on_path ? ArrayIndex(tokens_[level]) : std::nullopt;
      std::uint64_t i = 0;
      while (true) {
        const bool this_one = want && *want == i;
        if (!Walk(this_one ? level + 1 : tokens_.size() + 1, depth + 1)) return false;
        ++i;
        SkipSpace();
        if (Peek(',')) {
          ++p_;
          SkipSpace();
          continue;
        }
        if (Peek(']')) {
          ++p_;
          return true;
        }
        return p_ >= t_.size() ? Fail("unexpected end of text") : Fail("expected ',' or ']'");
      }
    }
    if (c == '"') return String(nullptr);
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return FailChar();
  }

  // The value at the pointer: its elements, itself as the only element, or nothing for null.
  bool Target(int depth) {
    emitted_ = true;
    const size_t none = tokens_.size() + 1;  // a level that never matches: plain checking
    if (t_[p_] == '[') {
      if (depth >= kMaxDepth) return Fail("nesting deeper than " + std::to_string(kMaxDepth));
      ++p_;
      SkipSpace();
      if (Peek(']')) {
        ++p_;
        return true;
      }
      while (true) {
        const size_t start = p_;
        if (!Walk(none, depth + 1)) return false;
        elements_.push_back(JsonElement{elements_.size(), start, p_ - start});
        SkipSpace();
        if (Peek(',')) {
          ++p_;
          SkipSpace();
          continue;
        }
        if (Peek(']')) {
          ++p_;
          return true;
        }
        return p_ >= t_.size() ? Fail("unexpected end of text") : Fail("expected ',' or ']'");
      }
    }
    if (t_[p_] == 'n') return Literal("null");  // an absent list
    // Mirth's XML-to-JSON turns a one-element list into the element itself.
    const size_t start = p_;
    if (!Walk(none, depth)) return false;
    elements_.push_back(JsonElement{0, start, p_ - start});
    return true;
  }

  static std::optional<std::uint64_t> ArrayIndex(const std::string& token) {
    if (token.empty() || token.size() > 18) return std::nullopt;
    if (token.size() > 1 && token[0] == '0') return std::nullopt;
    std::uint64_t v = 0;
    for (char c : token) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  }

  std::string_view t_;
  std::vector<std::string> tokens_;
  size_t p_ = 0;
  bool emitted_ = false;  // the target was found (a repeated name does not count twice)
  std::vector<JsonElement> elements_;
  std::string err_;
  size_t err_pos_ = 0;
};

// RFC 6901: "" is the whole text; otherwise "/"-separated tokens with ~1 = '/', ~0 = '~'.
Result<std::vector<std::string>> SplitPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') {
    return custody::Error(ErrorCode::kInvalidArgument, "JSON pointer must be empty or start with '/': " + std::string(pointer));
  }
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(token);
      token.clear();
      continue;
    }
    if (pointer[i] == '~') {
      if (i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1')) {
        token.push_back(pointer[i + 1] == '0' ? '~' : '/');
        ++i;
        continue;
      }
      return custody::Error(ErrorCode::kInvalidArgument, "JSON pointer has a bad '~' escape: " + std::string(pointer));
    }
    token.push_back(pointer[i]);
  }
  return tokens;
}

}  // namespace

Status ForEachJsonArrayElement(std::string_view text, std::string_view pointer,
                               const std::function<Status(const JsonElement&)>& callback) {
  auto tokens = SplitPointer(pointer);
  if (!tokens) return tokens.error();
  Walker walker(text, std::move(*tokens));
  // The whole text is checked before the first callback, so no record is produced from a body
  // that turns out to be truncated or not JSON at all.
  if (Status s = walker.Run(); !s.ok()) return s;
  for (const JsonElement& e : walker.elements()) {
    if (Status s = callback(e); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace custody::normalize
