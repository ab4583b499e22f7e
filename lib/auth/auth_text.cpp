#include "auth/auth_text.h"

#include <algorithm>

#include "core/encoding.h"
#include "http/transport.h"

namespace custody::auth {

std::string Printable(std::string text) {
  const bool utf8 = IsValidUtf8(text);
  for (char& ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) ch = ' ';
    if (c >= 0x80 && !utf8) ch = '?';
  }
  return text;
}

std::string Excerpt(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  // text[end] is the first byte left out; while it continues a sequence, leave out its lead too.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "...";
}

std::string QuoteServerText(std::string_view redacted, size_t max) { return Printable(Excerpt(redacted, max)); }

std::string StatusWithBody(int status, std::string_view redacted_body) {
  const std::string excerpt = QuoteServerText(redacted_body);
  return "HTTP " + std::to_string(status) + (excerpt.empty() ? std::string(" with an empty body") : ": " + excerpt);
}

std::string OAuthErrorText(std::string_view error, std::string_view description) {
  std::string out(error);
  if (!description.empty()) {
    out += ": ";
    out += description;
  }
  return out;
}

std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body.push_back('&');
    body += http::UrlEncode(name);
    body.push_back('=');
    body += http::UrlEncode(value);
  }
  return body;
}

bool IsHeaderSafe(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7F;
  });
}

std::string JoinMissing(const std::vector<std::string>& missing) {
  std::string out;
  for (size_t i = 0; i < missing.size(); ++i) {
    if (i > 0) out += (i + 1 == missing.size()) ? " and " : ", ";
    out += missing[i];
  }
  return out;
}

}  // namespace custody::auth
