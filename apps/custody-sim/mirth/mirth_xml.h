#pragma once
// Mirth's two wire formats from one tree. XML is what XStream's pretty printer writes (two-space
// indent, no declaration, no trailing newline, &apos;/&quot; escaped). JSON is what Mirth makes
// from that XML with Staxon (autoArray, autoPrimitive): elements become keys, attributes "@name",
// text beside attributes "$", consecutive same-name siblings an array (a single one an object),
// empty elements null, numeric and boolean text typed. Also a small XML reader for request bodies.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace custody::sim::mirth {

struct XmlNode {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attrs;
  std::string text;
  bool has_text = false;          // <a></a> (an empty string) rather than <a/>
  bool space_before_close = false;  // "<a />" as Mirth writes some empty maps, rather than "<a/>"
  std::vector<XmlNode> children;

  XmlNode() = default;
  explicit XmlNode(std::string n) : name(std::move(n)) {}
  // Adds a child element holding text (an empty string still gets <n></n>).
  XmlNode& Text(std::string n, std::string value);
  // Adds an empty child element (<n/>) and returns it for filling.
  XmlNode& Child(std::string n);
  XmlNode& Attr(std::string key, std::string value);
  const XmlNode* Find(std::string_view child) const;
};

std::string ToXml(const XmlNode& root);
std::string ToJson(const XmlNode& root);

// XStream's escaping of text and attribute values.
void AppendXmlEscaped(std::string* out, std::string_view text);
// A JSON string literal.
void AppendJsonString(std::string* out, std::string_view text);
// Element text as Staxon's autoPrimitive writes it: true/false/numbers bare, "" as null, else a string.
void AppendJsonScalar(std::string* out, std::string_view text);

// Parses one XML document (elements, attributes, text, the five entities and numeric references;
// declarations and comments skipped; whitespace-only text between elements dropped).
Result<XmlNode> ParseXml(std::string_view text);
// The tree Staxon would read from a JSON body: {"root":{...}}.
Result<XmlNode> ParseJsonAsXml(std::string_view text);

}  // namespace custody::sim::mirth
