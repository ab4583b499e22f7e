#include "normalize/json_elements.h"

#include "core/encoding.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <optional>
#include <string>
#include <vector>

namespace custody::normalize {

namespace {

constexpr size_t kMaxDepth = 512;  // deeper nesting is refused rather than risking the stack

// An RFC 6901 array index token: digits, no leading zero.
std::optional<std::uint64_t> ArrayIndexOf(const std::string& token) {
  if (token.empty() || token.size() > 18) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

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

using Stream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

// RapidJSON's InsituStringStream, but without its copy optimization: the reader parses a string
// on a local copy of that stream and writes the position back only after the handler ran, so the
// tracker would read a stale Tell(). This one is never copied.
class InsituStream {
 public:
  using Ch = char;
  explicit InsituStream(char* text) : src_(text), head_(text) {}
  Ch Peek() const { return *src_; }
  Ch Take() { return *src_++; }
  std::size_t Tell() const { return static_cast<std::size_t>(src_ - head_); }
  Ch* PutBegin() { return dst_ = src_; }
  void Put(Ch c) { *dst_++ = c; }
  void Flush() {}
  Ch* Push(std::size_t count) {
    Ch* begin = dst_;
    dst_ += count;
    return begin;
  }
  void Pop(std::size_t count) { dst_ -= count; }
  std::size_t PutEnd(Ch* begin) { return static_cast<std::size_t>(dst_ - begin); }

 private:
  Ch* src_;
  Ch* dst_ = nullptr;
  Ch* head_;
};

// RapidJSON's SAX events, passed on to the document that is being built, with the byte range of
// every element at the pointer noted on the way. The stream's position after an event is where
// that token ended; a container starts one byte before its StartObject/StartArray position, a
// scalar at the first byte after the previous token that is not whitespace, ':' or ','.
template <typename InputStream>
class ElementTracker {
 public:
  ElementTracker(rapidjson::Document& doc, InputStream& stream, std::string_view text,
                 const std::vector<std::string>& tokens, bool check_decoded)
      : doc_(doc), stream_(stream), t_(text), tokens_(tokens), check_decoded_(check_decoded) {}

  bool Null() { return Scalar() && doc_.Null() && ScalarDone(); }
  bool Bool(bool b) { return Scalar() && doc_.Bool(b) && ScalarDone(); }
  bool Int(int i) { return Scalar() && doc_.Int(i) && ScalarDone(); }
  bool Uint(unsigned u) { return Scalar() && doc_.Uint(u) && ScalarDone(); }
  bool Int64(std::int64_t i) { return Scalar() && doc_.Int64(i) && ScalarDone(); }
  bool Uint64(std::uint64_t u) { return Scalar() && doc_.Uint64(u) && ScalarDone(); }
  bool Double(double d) { return Scalar() && doc_.Double(d) && ScalarDone(); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
    return Scalar() && doc_.RawNumber(s, n, copy) && ScalarDone();
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    if (!Decoded(s, n)) return false;
    return Scalar() && doc_.String(s, n, copy) && ScalarDone();
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    if (!Decoded(s, n)) return false;
    Frame& f = frames_.back();
    f.child_on_path = f.level >= 0 && !f.matched && static_cast<size_t>(f.level) < tokens_.size() &&
                      std::string_view(s, n) == tokens_[static_cast<size_t>(f.level)];
    if (f.child_on_path) f.matched = true;  // the first member of that name is the one
    last_end_ = stream_.Tell();
    return doc_.Key(s, n, copy);
  }
  bool StartObject() { return Open(false) && doc_.StartObject(); }
  bool StartArray() { return Open(true) && doc_.StartArray(); }
  bool EndObject(rapidjson::SizeType n) { return Close() && doc_.EndObject(n); }
  bool EndArray(rapidjson::SizeType n) { return Close() && doc_.EndArray(n); }

  std::vector<JsonElement>& elements() { return elements_; }
  const std::string& problem() const { return problem_; }

 private:
  struct Frame {
    bool is_array;
    int level;                // pointer tokens matched to reach this container; -1: off the path
    std::uint64_t index = 0;  // arrays: the index of the next child
    bool matched = false;     // objects: the pointer's member was met already
    bool child_on_path = false;
    bool is_target = false;   // the array at the pointer: its children are the elements
    std::uint64_t start = 0;  // where this container's value began
  };

  // The level of the value that begins now (see Frame::level).
  int ChildLevel() const {
    if (frames_.empty()) return 0;
    const Frame& p = frames_.back();
    if (p.level < 0 || p.is_target || static_cast<size_t>(p.level) >= tokens_.size()) return -1;
    if (!p.is_array) return p.child_on_path ? p.level + 1 : -1;
    const auto want = ArrayIndexOf(tokens_[static_cast<size_t>(p.level)]);
    return want && *want == p.index ? p.level + 1 : -1;
  }

  bool IsTarget(int level) const { return !found_ && level >= 0 && static_cast<size_t>(level) == tokens_.size(); }

  std::uint64_t ScalarStart() const {
    std::uint64_t p = last_end_;
    while (p < t_.size()) {
      const char c = t_[p];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != ',' && c != ':') break;
      ++p;
    }
    return p;
  }

  bool Scalar() {
    scalar_start_ = ScalarStart();
    scalar_level_ = ChildLevel();
    return true;
  }

  bool ScalarDone() {
    const std::uint64_t end = stream_.Tell();
    if (IsTarget(scalar_level_)) {
      found_ = true;
      // null at the pointer: an absent list. Anything else: one element (Mirth's collapsing).
      if (t_[scalar_start_] != 'n') elements_.push_back(JsonElement{0, scalar_start_, end - scalar_start_});
    }
    ValueDone(scalar_start_, end);
    return true;
  }

  bool Open(bool is_array) {
    if (frames_.size() >= kMaxDepth) {
      problem_ = "nesting deeper than " + std::to_string(kMaxDepth);
      return false;
    }
    const int level = ChildLevel();
    Frame f{is_array, level};
    f.start = stream_.Tell() - 1;
    if (IsTarget(level)) {
      found_ = true;
      if (is_array) {
        f.is_target = true;
        f.level = -1;
      } else {
        single_target_ = frames_.size() + 1;  // the depth of this object once pushed
      }
    }
    frames_.push_back(f);
    last_end_ = stream_.Tell();
    return true;
  }

  bool Close() {
    const std::uint64_t end = stream_.Tell();
    const std::uint64_t start = frames_.back().start;
    if (single_target_ == frames_.size()) {
      elements_.push_back(JsonElement{0, start, end - start});
      single_target_ = 0;
    }
    frames_.pop_back();
    ValueDone(start, end);
    return true;
  }

  // A value of the current container ended at end.
  void ValueDone(std::uint64_t start, std::uint64_t end) {
    last_end_ = end;
    if (frames_.empty()) return;
    Frame& p = frames_.back();
    if (p.is_target) elements_.push_back(JsonElement{p.index, start, end - start});
    if (p.is_array) ++p.index;
  }

  bool Decoded(const char* s, rapidjson::SizeType n) {
    if (check_decoded_ && !IsValidUtf8(std::string_view(s, n))) {
      problem_ = "a string escape decodes to a lone surrogate (not UTF-8)";
      return false;
    }
    return true;
  }

  rapidjson::Document& doc_;
  InputStream& stream_;
  std::string_view t_;
  const std::vector<std::string>& tokens_;
  bool check_decoded_;
  std::vector<Frame> frames_;
  std::vector<JsonElement> elements_;
  std::uint64_t last_end_ = 0;
  std::uint64_t scalar_start_ = 0;
  int scalar_level_ = -1;
  size_t single_target_ = 0;  // depth of an object that is the target itself; 0: none
  bool found_ = false;
  std::string problem_;
};

// stream reads text, or (in situ) a copy of it whose decoded strings the document points into.
template <unsigned kFlags, typename InputStream>
Status ParseTracked(InputStream& stream, std::string_view text, const std::vector<std::string>& tokens,
                    bool check_decoded, ParsedElements& out) {
  ElementTracker<InputStream> tracker(out.doc, stream, text, tokens, check_decoded);
  rapidjson::ParseResult result;
  auto generate = [&](rapidjson::Document& doc) {
    (void)doc;
    rapidjson::Reader reader;
    result = reader.Parse<kFlags>(stream, tracker);
    return !result.IsError();
  };
  out.doc.Populate(generate);
  if (result.IsError()) {
    out.doc.SetNull();
    out.error_offset = result.Offset();
    const std::string why = !tracker.problem().empty() ? tracker.problem() : rapidjson::GetParseError_En(result.Code());
    return custody::Error(ErrorCode::kParse, "invalid JSON at byte offset " + std::to_string(result.Offset()) + ": " + why);
  }
  out.elements = std::move(tracker.elements());
  return Status::Ok();
}

}  // namespace

Status ParseJsonArrayElements(std::string_view text, std::string_view pointer, bool numbers_as_strings, bool strict_utf8,
                              ParsedElements& out) {
  // Nothing of an earlier parse into out survives a failure.
  out.doc.SetNull();
  out.value = nullptr;
  out.elements.clear();
  out.error_offset.reset();
  auto tokens = SplitPointer(pointer);
  if (!tokens) return tokens.error();
  if (strict_utf8 && !IsValidUtf8(text)) return custody::Error(ErrorCode::kParse, "the text is not valid UTF-8");
  // Only a \u escape can decode to something that is not UTF-8 (a lone surrogate).
  const bool check_decoded = strict_utf8 && text.find("\\u") != std::string_view::npos;
  // RapidJSON reads a NUL byte as the end of the text, so "[1]\0junk" would pass. No JSON text
  // holds one (not even inside a string), so it is refused here.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    out.error_offset = nul;
    return custody::Error(ErrorCode::kParse, "invalid JSON at byte offset " + std::to_string(nul) + ": a NUL byte");
  }
  if (numbers_as_strings) {
    rapidjson::MemoryStream memory(text.data(), text.size());
    Stream stream(memory);
    CUSTODY_RETURN_IF_ERROR(ParseTracked<rapidjson::kParseNumbersAsStringsFlag>(stream, text, *tokens, check_decoded, out));
  } else {
    // In situ: strings are decoded into a copy of the text instead of being allocated one by
    // one. (Not for numbers as text: in situ those are not NUL-terminated.)
    out.buffer.assign(text.begin(), text.end());
    out.buffer.push_back('\0');
    InsituStream insitu(out.buffer.data());
    CUSTODY_RETURN_IF_ERROR(ParseTracked<rapidjson::kParseInsituFlag>(insitu, text, *tokens, check_decoded, out));
  }
  // The value at the pointer, looked up in the finished document.
  const rapidjson::Value* v = &out.doc;
  for (const std::string& token : *tokens) {
    if (v->IsObject()) {
      const auto it = v->FindMember(rapidjson::StringRef(token.data(), static_cast<rapidjson::SizeType>(token.size())));
      v = it == v->MemberEnd() ? nullptr : &it->value;
    } else if (v->IsArray()) {
      auto index = ArrayIndexOf(token);
      v = index && *index < v->Size() ? &(*v)[static_cast<rapidjson::SizeType>(*index)] : nullptr;
    } else {
      v = nullptr;
    }
    if (v == nullptr) break;
  }
  out.value = v != nullptr && !v->IsNull() ? v : nullptr;
  return Status::Ok();
}

}  // namespace custody::normalize
