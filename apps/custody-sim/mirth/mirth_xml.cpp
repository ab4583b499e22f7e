#include "mirth/mirth_xml.h"

#include <rapidjson/document.h>

#include <cstdio>

namespace custody::sim::mirth {
namespace {

void Indent(std::string* out, int depth) { out->append(static_cast<size_t>(depth) * 2, ' '); }

void WriteXml(const XmlNode& n, int depth, std::string* out) {
  Indent(out, depth);
  out->push_back('<');
  out->append(n.name);
  for (const auto& [k, v] : n.attrs) {
    out->push_back(' ');
    out->append(k);
    out->append("=\"");
    AppendXmlEscaped(out, v);
    out->push_back('"');
  }
  if (!n.children.empty()) {
    out->push_back('>');
    for (const XmlNode& c : n.children) {
      out->push_back('\n');
      WriteXml(c, depth + 1, out);
    }
    out->push_back('\n');
    Indent(out, depth);
    out->append("</");
    out->append(n.name);
    out->push_back('>');
  } else if (n.has_text) {
    out->push_back('>');
    AppendXmlEscaped(out, n.text);
    out->append("</");
    out->append(n.name);
    out->push_back('>');
  } else {
    out->append(n.space_before_close ? " />" : "/>");
  }
}

bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t digits = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const size_t digits = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == digits) return false;
  }
  return i == s.size();
}

void WriteJsonValue(const XmlNode& n, std::string* out) {
  if (n.attrs.empty() && n.children.empty()) {
    if (n.has_text) {
      AppendJsonScalar(out, n.text);
    } else {
      out->append("null");
    }
    return;
  }
  out->push_back('{');
  bool first = true;
  auto comma = [&] {
    if (!first) out->push_back(',');
    first = false;
  };
  for (const auto& [k, v] : n.attrs) {
    comma();
    AppendJsonString(out, "@" + k);
    out->push_back(':');
    AppendJsonScalar(out, v);
  }
  if (n.children.empty()) {
    if (n.has_text && !n.text.empty()) {
      comma();
      out->append("\"$\":");
      AppendJsonScalar(out, n.text);
    }
  }
  // Staxon's autoArray: a run of same-name siblings is one key holding an array.
  size_t i = 0;
  while (i < n.children.size()) {
    size_t j = i + 1;
    while (j < n.children.size() && n.children[j].name == n.children[i].name) ++j;
    comma();
    AppendJsonString(out, n.children[i].name);
    out->push_back(':');
    if (j - i == 1) {
      WriteJsonValue(n.children[i], out);
    } else {
      out->push_back('[');
      for (size_t k = i; k < j; ++k) {
        if (k > i) out->push_back(',');
        WriteJsonValue(n.children[k], out);
      }
      out->push_back(']');
    }
    i = j;
  }
  out->push_back('}');
}

class XmlReader {
 public:
  explicit XmlReader(std::string_view s) : s_(s) {}

  Result<XmlNode> Document() {
    SkipMisc();
    if (pos_ >= s_.size() || s_[pos_] != '<') return Fail("expected an element");
    XmlNode root;
    if (Status st = Element(&root, 0); !st) return st.error();
    SkipMisc();
    if (pos_ != s_.size()) return Fail("content after the root element");
    return root;
  }

 private:
  Error Fail(const std::string& what) const {
    return Error(ErrorCode::kParse, "xml: " + what + " at offset " + std::to_string(pos_));
  }

  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\r' || s_[pos_] == '\n')) ++pos_;
  }
  // Whitespace, <?...?> and <!-- --> between elements.
  void SkipMisc() {
    for (;;) {
      SkipSpace();
      if (s_.compare(pos_, 2, "<?") == 0) {
        const size_t e = s_.find("?>", pos_);
        pos_ = e == std::string_view::npos ? s_.size() : e + 2;
      } else if (s_.compare(pos_, 4, "<!--") == 0) {
        const size_t e = s_.find("-->", pos_);
        pos_ = e == std::string_view::npos ? s_.size() : e + 3;
      } else {
        return;
      }
    }
  }

  static bool NameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == ':' || static_cast<unsigned char>(c) >= 0x80;
  }

  bool Name(std::string* out) {
    const size_t b = pos_;
    while (pos_ < s_.size() && NameChar(s_[pos_])) ++pos_;
    if (pos_ == b) return false;
    out->assign(s_.substr(b, pos_ - b));
    return true;
  }

  Status Decode(std::string_view raw, std::string* out) {
    size_t i = 0;
    while (i < raw.size()) {
      const char c = raw[i];
      if (c != '&') {
        out->push_back(c);
        ++i;
        continue;
      }
      const size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos) return Fail("unterminated entity");
      const std::string_view ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "amp") out->push_back('&');
      else if (ent == "lt") out->push_back('<');
      else if (ent == "gt") out->push_back('>');
      else if (ent == "quot") out->push_back('"');
      else if (ent == "apos") out->push_back('\'');
      else if (!ent.empty() && ent[0] == '#') {
        unsigned long cp = 0;
        const bool hex = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X');
        const std::string digits(ent.substr(hex ? 2 : 1));
        if (digits.empty()) return Fail("bad character reference");
        char* end = nullptr;
        cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
        if (end == nullptr || *end != '\0' || cp > 0x10FFFF) return Fail("bad character reference");
        if (cp < 0x80) {
          out->push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
          out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
          out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
          out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
          out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
          out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
          out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
      } else {
        return Fail("unknown entity &" + std::string(ent) + ";");
      }
      i = semi + 1;
    }
    return Status::Ok();
  }

  Status Element(XmlNode* node, int depth) {
    if (depth > 64) return Fail("nesting too deep");
    ++pos_;  // '<'
    if (!Name(&node->name)) return Fail("expected an element name");
    for (;;) {
      SkipSpace();
      if (pos_ >= s_.size()) return Fail("unterminated start tag");
      if (s_[pos_] == '/') {
        if (s_.compare(pos_, 2, "/>") != 0) return Fail("expected />");
        pos_ += 2;
        return Status::Ok();
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string key;
      if (!Name(&key)) return Fail("expected an attribute name");
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '=') return Fail("expected =");
      ++pos_;
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) return Fail("expected a quoted value");
      const char q = s_[pos_++];
      const size_t e = s_.find(q, pos_);
      if (e == std::string_view::npos) return Fail("unterminated attribute value");
      std::string value;
      if (Status st = Decode(s_.substr(pos_, e - pos_), &value); !st) return st;
      node->attrs.emplace_back(std::move(key), std::move(value));
      pos_ = e + 1;
    }
    std::string text;
    for (;;) {
      if (pos_ >= s_.size()) return Fail("unterminated element <" + node->name + ">");
      if (s_.compare(pos_, 9, "<![CDATA[") == 0) {
        const size_t e = s_.find("]]>", pos_);
        if (e == std::string_view::npos) return Fail("unterminated CDATA");
        text.append(s_.substr(pos_ + 9, e - pos_ - 9));
        pos_ = e + 3;
      } else if (s_.compare(pos_, 4, "<!--") == 0) {
        const size_t e = s_.find("-->", pos_);
        if (e == std::string_view::npos) return Fail("unterminated comment");
        pos_ = e + 3;
      } else if (s_.compare(pos_, 2, "</") == 0) {
        pos_ += 2;
        std::string closing;
        if (!Name(&closing) || closing != node->name) return Fail("mismatched end tag for <" + node->name + ">");
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') return Fail("expected >");
        ++pos_;
        break;
      } else if (s_[pos_] == '<') {
        node->children.emplace_back();
        if (Status st = Element(&node->children.back(), depth + 1); !st) return st;
      } else {
        const size_t e = s_.find('<', pos_);
        const size_t end = e == std::string_view::npos ? s_.size() : e;
        if (Status st = Decode(s_.substr(pos_, end - pos_), &text); !st) return st;
        pos_ = end;
      }
    }
    if (node->children.empty()) {
      node->text = std::move(text);
      node->has_text = true;
    }
    return Status::Ok();
  }

  std::string_view s_;
  size_t pos_ = 0;
};

void JsonToXml(const rapidjson::Value& v, XmlNode* node);

void AddJsonChild(const std::string& name, const rapidjson::Value& v, XmlNode* parent) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) AddJsonChild(name, item, parent);
    return;
  }
  XmlNode& child = parent->Child(name);
  JsonToXml(v, &child);
}

std::string ScalarText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v.GetDouble());
    return buf;
  }
  return "";
}

void JsonToXml(const rapidjson::Value& v, XmlNode* node) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (key == "$") {
        node->text = ScalarText(m.value);
        node->has_text = true;
      } else if (!key.empty() && key[0] == '@') {
        node->attrs.emplace_back(key.substr(1), ScalarText(m.value));
      } else {
        AddJsonChild(key, m.value, node);
      }
    }
  } else if (!v.IsNull()) {
    node->text = ScalarText(v);
    node->has_text = true;
  }
}

}  // namespace

XmlNode& XmlNode::Text(std::string n, std::string value) {
  XmlNode& c = children.emplace_back(std::move(n));
  c.text = std::move(value);
  c.has_text = true;
  return c;
}

XmlNode& XmlNode::Child(std::string n) { return children.emplace_back(std::move(n)); }

XmlNode& XmlNode::Attr(std::string key, std::string value) {
  attrs.emplace_back(std::move(key), std::move(value));
  return *this;
}

const XmlNode* XmlNode::Find(std::string_view child) const {
  for (const XmlNode& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

std::string ToXml(const XmlNode& root) {
  std::string out;
  WriteXml(root, 0, &out);
  return out;
}

std::string ToJson(const XmlNode& root) {
  std::string out = "{";
  AppendJsonString(&out, root.name);
  out.push_back(':');
  WriteJsonValue(root, &out);
  out.push_back('}');
  return out;
}

void AppendXmlEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out->append("&amp;"); break;
      case '<': out->append("&lt;"); break;
      case '>': out->append("&gt;"); break;
      case '"': out->append("&quot;"); break;
      case '\'': out->append("&apos;"); break;
      case '\r': out->append("&#xd;"); break;
      default: out->push_back(c);
    }
  }
}

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void AppendJsonScalar(std::string* out, std::string_view text) {
  if (text.empty() || text == "null") {
    out->append("null");
  } else if (text == "true" || text == "false" || IsJsonNumber(text)) {
    out->append(text);
  } else {
    AppendJsonString(out, text);
  }
}

Result<XmlNode> ParseXml(std::string_view text) { return XmlReader(text).Document(); }

Result<XmlNode> ParseJsonAsXml(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) return Error(ErrorCode::kParse, "json: not valid JSON");
  if (!doc.IsObject() || doc.MemberCount() != 1) {
    return Error(ErrorCode::kParse, "json: expected one root key, as {\"eventFilter\":{...}}");
  }
  const auto& m = *doc.MemberBegin();
  XmlNode root(std::string(m.name.GetString(), m.name.GetStringLength()));
  JsonToXml(m.value, &root);
  return root;
}

}  // namespace custody::sim::mirth
