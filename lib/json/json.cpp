#include "json/json.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <vector>

#include "core/encoding.h"

namespace custody::json {

namespace {

// RapidJSON decodes a lone low-surrogate escape ("\udc00") to the bytes of the surrogate, which
// are not UTF-8; kParseValidateEncodingFlag checks only the raw input. Checks every decoded string.
bool AllStringsValidUtf8(const rapidjson::Value& v) {
  if (v.IsString()) return IsValidUtf8({v.GetString(), v.GetStringLength()});
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) {
      if (!AllStringsValidUtf8(item)) return false;
    }
  }
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (!AllStringsValidUtf8(m.name) || !AllStringsValidUtf8(m.value)) return false;
    }
  }
  return true;
}

}  // namespace

Result<rapidjson::Document> Parse(std::string_view text, std::string_view what) {
  if (!IsValidUtf8(text)) {
    return Error(ErrorCode::kParse, std::string(what) + ": not valid UTF-8");
  }
  // RapidJSON reads a NUL byte as the end of the text ("{}\0junk" would pass); no JSON text holds one.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Error(ErrorCode::kParse, std::string(what) + ": invalid JSON at byte " + std::to_string(nul) + ": a NUL byte");
  }
  rapidjson::Document doc;
  // Without kParseStopWhenDoneFlag RapidJSON rejects anything but whitespace after the root.
  // The raw text was checked as UTF-8 above, so RapidJSON's own check of it
  // (kParseValidateEncodingFlag) would only do the same work again.
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return Error(ErrorCode::kParse, std::string(what) + ": invalid JSON at byte " +
                                        std::to_string(doc.GetErrorOffset()) + ": " +
                                        rapidjson::GetParseError_En(doc.GetParseError()));
  }
  // Only a \u escape can decode to a lone surrogate; without one every string is a slice of the
  // checked text.
  if (text.find("\\u") != std::string_view::npos && !AllStringsValidUtf8(doc)) {
    return Error(ErrorCode::kParse, std::string(what) + ": a string escape decodes to a lone surrogate (not UTF-8)");
  }
  return doc;
}

bool WellFormed(std::string_view text, std::size_t* error_offset) {
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {  // RapidJSON would stop there
    if (error_offset != nullptr) *error_offset = nul;
    return false;
  }
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(stream);
  rapidjson::BaseReaderHandler<> ignore;
  const rapidjson::ParseResult result = reader.Parse(input, ignore);
  if (!result && error_offset != nullptr) *error_offset = result.Offset();
  return !result.IsError();
}

namespace {

std::u16string ToUtf16(std::string_view s) {
  std::u16string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    std::uint32_t cp;
    unsigned c = p[i];
    size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
    cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = (cp << 6) | (p[i + k] & 0x3f);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xd800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + (cp & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

Status AppendString(std::string& out, std::string_view s) {
  if (!IsValidUtf8(s)) return Error(ErrorCode::kParse, "canonical JSON: a string is not valid UTF-8");
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return Status::Ok();
}

// RFC 8785 writes numbers as IEEE 754 doubles; beyond 2^53 an integer would not survive that.
constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

Status AppendCanonical(std::string& out, const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: out += "null"; return Status::Ok();
    case rapidjson::kFalseType: out += "false"; return Status::Ok();
    case rapidjson::kTrueType: out += "true"; return Status::Ok();
    case rapidjson::kStringType:
      return AppendString(out, std::string_view(v.GetString(), v.GetStringLength()));
    case rapidjson::kNumberType:
      if (v.IsInt64()) {
        if (v.GetInt64() > kMaxSafeInteger || v.GetInt64() < -kMaxSafeInteger) {
          return Error(ErrorCode::kParse, "canonical JSON: integer " + std::to_string(v.GetInt64()) +
                                              " is outside +/-(2^53-1), which RFC 8785 cannot represent exactly");
        }
        out += std::to_string(v.GetInt64());
        return Status::Ok();
      }
      if (v.IsUint64()) {
        return Error(ErrorCode::kParse, "canonical JSON: integer " + std::to_string(v.GetUint64()) +
                                            " is outside +/-(2^53-1), which RFC 8785 cannot represent exactly");
      }
      return Error(ErrorCode::kParse, "canonical JSON: floating-point numbers are not allowed");
    case rapidjson::kArrayType: {
      out.push_back('[');
      bool first = true;
      for (const auto& item : v.GetArray()) {
        if (!first) out.push_back(',');
        first = false;
        CUSTODY_RETURN_IF_ERROR(AppendCanonical(out, item));
      }
      out.push_back(']');
      return Status::Ok();
    }
    case rapidjson::kObjectType: {
      std::vector<std::pair<std::u16string, const rapidjson::Value::Member*>> members;
      for (const auto& m : v.GetObject()) {
        members.emplace_back(ToUtf16({m.name.GetString(), m.name.GetStringLength()}), &m);
      }
      std::sort(members.begin(), members.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      for (size_t i = 1; i < members.size(); ++i) {
        if (members[i].first == members[i - 1].first) {
          return Error(ErrorCode::kParse, "canonical JSON: duplicate member name");
        }
      }
      out.push_back('{');
      bool first = true;
      for (const auto& [key, m] : members) {
        if (!first) out.push_back(',');
        first = false;
        CUSTODY_RETURN_IF_ERROR(AppendString(out, {m->name.GetString(), m->name.GetStringLength()}));
        out.push_back(':');
        CUSTODY_RETURN_IF_ERROR(AppendCanonical(out, m->value));
      }
      out.push_back('}');
      return Status::Ok();
    }
  }
  return Error(ErrorCode::kInternal, "canonical JSON: unknown value type");
}

}  // namespace

Result<std::string> Canonical(const rapidjson::Value& value) {
  std::string out;
  CUSTODY_RETURN_IF_ERROR(AppendCanonical(out, value));
  return out;
}

std::string Pretty(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string ScalarText(const rapidjson::Value& value) {
  if (value.IsString()) return std::string(value.GetString(), value.GetStringLength());
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  if (value.IsDouble()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    return std::string(buffer.GetString(), buffer.GetSize());
  }
  return "";
}

Result<std::string> GetString(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject()) return Error(ErrorCode::kParse, "expected a JSON object");
  auto it = object.FindMember(member);
  if (it == object.MemberEnd()) return Error(ErrorCode::kParse, std::string("missing \"") + member + "\"");
  if (!it->value.IsString()) return Error(ErrorCode::kParse, std::string("\"") + member + "\" is not a string");
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Result<std::int64_t> GetInt(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject()) return Error(ErrorCode::kParse, "expected a JSON object");
  auto it = object.FindMember(member);
  if (it == object.MemberEnd()) return Error(ErrorCode::kParse, std::string("missing \"") + member + "\"");
  if (!it->value.IsInt64()) return Error(ErrorCode::kParse, std::string("\"") + member + "\" is not an integer");
  return it->value.GetInt64();
}

Result<const rapidjson::Value*> GetObject(const rapidjson::Value& object, const char* member) {
  if (!object.IsObject()) return Error(ErrorCode::kParse, "expected a JSON object");
  auto it = object.FindMember(member);
  if (it == object.MemberEnd()) return Error(ErrorCode::kParse, std::string("missing \"") + member + "\"");
  if (!it->value.IsObject()) return Error(ErrorCode::kParse, std::string("\"") + member + "\" is not an object");
  return &it->value;
}

Status ValidateAgainstSchema(const rapidjson::Value& document, std::string_view schema_text) {
  rapidjson::Document schema_doc;
  schema_doc.Parse(schema_text.data(), schema_text.size());
  if (schema_doc.HasParseError()) return Error(ErrorCode::kSchema, "the schema itself is not valid JSON");
  rapidjson::SchemaDocument schema(schema_doc);
  rapidjson::SchemaValidator validator(schema);
  if (document.Accept(validator)) return Status::Ok();
  rapidjson::StringBuffer schema_ptr, doc_ptr;
  validator.GetInvalidSchemaPointer().StringifyUriFragment(schema_ptr);
  validator.GetInvalidDocumentPointer().StringifyUriFragment(doc_ptr);
  return Error(ErrorCode::kSchema, std::string("schema keyword '") + validator.GetInvalidSchemaKeyword() +
                                       "' failed at schema " + schema_ptr.GetString() + ", document " +
                                       doc_ptr.GetString());
}

}  // namespace custody::json
