#include "http/transport.h"

#include <algorithm>

#include "http/url.h"

namespace custody::http {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return Lower(x) == Lower(y);
         });
}

// ASCII only: std::isalpha and friends follow the locale, and a URL's grammar does not.
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// One decimal octet, 0..255, without leading zeros: "010" is octal to some resolvers, so a
// spelling that could mean two addresses is refused rather than guessed.
bool IsOctet(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  if (!std::all_of(s.begin(), s.end(), IsDigit)) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v <= 255;
}

}  // namespace

namespace internal {

std::optional<UrlParts> SplitUrl(std::string_view url) {
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '\\') return std::nullopt;
  }
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  UrlParts parts;
  for (size_t i = 0; i < colon; ++i) {
    const char c = url[i];
    const bool ok = IsAlpha(c) ||
                    (i > 0 && (IsDigit(c) || c == '+' || c == '-' || c == '.'));
    if (!ok) return std::nullopt;
    parts.scheme.push_back(Lower(c));
  }
  const size_t start = colon + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  parts.authority = url.substr(start, end - start);
  std::string_view hostport = parts.authority;
  const size_t at = hostport.rfind('@');
  if (at != std::string_view::npos) {
    parts.has_userinfo = true;
    hostport = hostport.substr(at + 1);
  }
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    parts.host = hostport.substr(0, close + 1);
    const std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      parts.port = rest.substr(1);
    }
  } else {
    const size_t pc = hostport.find(':');
    parts.host = hostport.substr(0, pc);
    if (pc != std::string_view::npos) parts.port = hostport.substr(pc + 1);
  }
  if (parts.host.empty() || parts.host == "[]") return std::nullopt;
  if (!std::all_of(parts.port.begin(), parts.port.end(), IsDigit) || parts.port.size() > 5) return std::nullopt;
  return parts;
}

bool IsLoopbackHost(std::string_view host) {
  if (EqualsIgnoreCase(host, "localhost") || host == "[::1]") return true;
  std::string_view rest = host;
  std::string_view octets[4];
  for (int i = 0; i < 4; ++i) {
    const size_t dot = rest.find('.');
    if (i < 3) {
      if (dot == std::string_view::npos) return false;
      octets[i] = rest.substr(0, dot);
      rest = rest.substr(dot + 1);
    } else {
      if (dot != std::string_view::npos) return false;
      octets[i] = rest;
    }
  }
  return octets[0] == "127" && IsOctet(octets[1]) && IsOctet(octets[2]) && IsOctet(octets[3]);
}

}  // namespace internal

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return std::nullopt;
}

Status StringSink::OnHead(const ResponseHead& head) {
  head_ = head;
  body_.clear();
  return Status::Ok();
}

Status StringSink::OnBody(std::span<const std::uint8_t> chunk) {
  // Refuse rather than keep a prefix: a truncated token or JSON document would parse as
  // something else, or fail later far from the cause.
  if (chunk.size() > max_ - std::min(max_, body_.size())) {
    return Error(ErrorCode::kRemote,
                 "response body exceeds the " + std::to_string(max_) + "-byte limit for an in-memory body");
  }
  body_.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
  return Status::Ok();
}

Status CheckUrlPolicy(std::string_view url) {
  const auto parts = internal::SplitUrl(url);
  if (!parts) return Error(ErrorCode::kInvalidArgument, "not an absolute http(s) URL: " + std::string(url));
  // Userinfo would put a credential into every log line and error that names the URL.
  if (parts->has_userinfo) {
    return Error(ErrorCode::kInvalidArgument, "URL with user information refused (credentials never go in a URL)");
  }
  if (parts->scheme == "https") return Status::Ok();
  if (parts->scheme == "http") {
    if (internal::IsLoopbackHost(parts->host)) return Status::Ok();
    return Error(ErrorCode::kInvalidArgument,
                 "plain http is allowed only to loopback hosts (use https): " + std::string(url));
  }
  return Error(ErrorCode::kInvalidArgument,
               "URL scheme '" + parts->scheme + "' refused (only https, or http to loopback): " + std::string(url));
}

std::string UrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0f]);
    }
  }
  return out;
}

std::string Origin(std::string_view url) {
  const auto parts = internal::SplitUrl(url);
  if (!parts) return "";
  const size_t authority_end = static_cast<size_t>(parts->authority.data() - url.data()) + parts->authority.size();
  return std::string(url.substr(0, authority_end));
}

}  // namespace custody::http
