#pragma once
// Internal to custody_http: the one URL splitter behind CheckUrlPolicy, Origin and the curl
// transport's proxy bypass, so the policy and the connection agree on what the host is.

#include <optional>
#include <string>
#include <string_view>

namespace custody::http::internal {

struct UrlParts {
  std::string scheme;          // lower case
  std::string_view authority;  // "h:1", "[::1]:8443"
  std::string_view host;       // "h", "[::1]" (brackets kept)
  std::string_view port;       // digits, or empty
  bool has_userinfo = false;
};

// Splits "scheme://authority[/path][?query][#fragment]". nullopt when the URL is not absolute,
// has an empty host, a non-numeric port, or characters (space, control, backslash) that
// parsers disagree on.
std::optional<UrlParts> SplitUrl(std::string_view url);

// 127.0.0.0/8 in strict dotted decimal, [::1], or localhost.
bool IsLoopbackHost(std::string_view host);

}  // namespace custody::http::internal
