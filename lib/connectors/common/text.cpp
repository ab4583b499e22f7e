#include "connectors/common/text.h"

#include <cstdio>
#include <fstream>

namespace custody::connectors {

std::string ReadWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  // One read of the size the file has now (pages are read whole, several MB each), then whatever
  // is past it, in case the file is still growing.
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (in && !ec && size > 0) {
    s.resize(static_cast<size_t>(size));
    in.read(s.data(), static_cast<std::streamsize>(size));
    s.resize(static_cast<size_t>(in.gcount()));
  }
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    s.append(buf, static_cast<size_t>(in.gcount()));
  }
  return s;
}

std::string ReadHead(const std::filesystem::path& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<size_t>(in.gcount()));
  return s;
}

std::string Excerpt(std::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Gist(std::string_view body, size_t max) {
  std::string out;
  bool in_tag = false;
  bool space = false;
  for (char c : body) {
    if (c == '<') {
      in_tag = true;
      space = true;
      continue;
    }
    if (in_tag) {
      if (c == '>') in_tag = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
    if (out.size() >= max) {
      out += "...";
      break;
    }
  }
  return out;
}

bool IsBlank(std::string_view text) { return text.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string ContentTypeOf(const http::Headers& headers) {
  auto ct = http::FindHeader(headers, "Content-Type");
  return ct ? *ct : "no content type";
}

std::string Pad6(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(n));
  return buf;
}

}  // namespace custody::connectors
