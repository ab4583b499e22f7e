#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "verify/bag_contents.h"

namespace custody::verify {

namespace {

void Add(std::vector<Finding>& out, Severity severity, std::string kind, std::string path, std::string message) {
  out.push_back({severity, std::move(kind), std::move(path), std::move(message)});
}

// Splits on LF, CRLF or CR; a final line without a terminator counts.
std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  std::string current;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {
      lines.push_back(current);
      current.clear();
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      current += c;
    }
  }
  if (!current.empty()) lines.push_back(current);
  return lines;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// RFC 8493 §2.1.3: only %0A, %0D and %25 are decoded.
std::string DecodePath(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      std::string code = Lower(in.substr(i + 1, 2));
      if (code == "0a") { out += '\n'; i += 2; continue; }
      if (code == "0d") { out += '\r'; i += 2; continue; }
      if (code == "25") { out += '%'; i += 2; continue; }
    }
    out += in[i];
  }
  return out;
}

// Why a manifest path is unsafe, or "".
std::string UnsafePath(const std::string& path) {
  if (path.empty()) return "empty path";
  if (path[0] == '/' || path[0] == '~' || path.find('\\') != std::string::npos ||
      (path.size() > 1 && path[1] == ':')) {
    return "absolute or home-relative path";
  }
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return "'..' leaves the bag";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return "";
}

std::string NormalizePath(std::string path) {
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  return path;
}

struct ManifestLine {
  std::string digest;
  std::string path;
};

// Parses "<digest><whitespace><path>"; "*path" (md5sum binary mode) is accepted with a warning.
std::optional<std::vector<ManifestLine>> ParseManifest(const std::string& name, const std::string& text,
                                                       size_t hex_length, std::vector<Finding>& findings) {
  std::vector<ManifestLine> out;
  bool binary_marker_warned = false;
  bool ok = true;
  size_t line_no = 0;
  for (const std::string& line : SplitLines(text)) {
    ++line_no;
    if (line.empty()) continue;
    size_t sep = line.find_first_of(" \t");
    std::string digest = Lower(line.substr(0, sep));
    bool hex = digest.size() == hex_length &&
               std::all_of(digest.begin(), digest.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (sep == std::string::npos || !hex) {
      Add(findings, Severity::kError, "manifest-invalid-line", name,
          name + " line " + std::to_string(line_no) + " is not '<" + std::to_string(hex_length) + " hex digits>  <path>'");
      ok = false;
      continue;
    }
    size_t p = line.find_first_not_of(" \t", sep);
    std::string path = p == std::string::npos ? "" : line.substr(p);
    if (!path.empty() && path[0] == '*') {
      path.erase(0, 1);
      if (!binary_marker_warned) {
        Add(findings, Severity::kWarning, "manifest-binary-marker", name,
            name + " marks paths with '*' (md5sum binary mode); read as plain paths");
        binary_marker_warned = true;
      }
    }
    path = NormalizePath(DecodePath(path));
    std::string why = UnsafePath(path);
    if (!why.empty()) {
      Add(findings, Severity::kError, "manifest-unsafe-path", name,
          name + " line " + std::to_string(line_no) + " names '" + path + "': " + why);
      ok = false;
      continue;
    }
    out.push_back({digest, path});
  }
  if (!ok && out.empty()) return std::nullopt;
  return out;
}

struct Declaration {
  std::string version;
  bool ok = false;
};

Declaration CheckDeclaration(const BagContents& bag, std::vector<Finding>& findings) {
  Declaration d;
  auto it = bag.tag_files.find("bagit.txt");
  if (it == bag.tag_files.end()) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "bagit.txt is missing: this is not a bag");
    return d;
  }
  const std::string& text = it->second;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "bagit.txt starts with a byte-order mark");
    return d;
  }
  auto lines = SplitLines(text);
  const std::string kVersion = "BagIt-Version: ";
  const std::string kEncoding = "Tag-File-Character-Encoding: ";
  if (lines.size() != 2 || lines[0].rfind(kVersion, 0) != 0 || lines[1].rfind(kEncoding, 0) != 0) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt",
        "bagit.txt must be exactly 'BagIt-Version: M.N' and 'Tag-File-Character-Encoding: ENCODING'");
    return d;
  }
  d.version = lines[0].substr(kVersion.size());
  if (d.version != "1.0" && d.version != "0.97" && d.version != "0.96") {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "unsupported BagIt-Version '" + d.version + "'");
    return d;
  }
  std::string encoding = lines[1].substr(kEncoding.size());
  if (Lower(encoding) != "utf-8") {
    Add(findings, Severity::kWarning, "bagit-encoding", "bagit.txt",
        "tag files declare encoding '" + encoding + "'; read as bytes");
  }
  d.ok = true;
  return d;
}

}  // namespace

std::vector<crypto::DigestAlgorithm> PayloadManifestAlgorithms(const BagContents& bag) {
  std::vector<crypto::DigestAlgorithm> out;
  for (const auto& [path, text] : bag.tag_files) {
    if (path.rfind("manifest-", 0) == 0 && path.size() > 13 && path.substr(path.size() - 4) == ".txt" &&
        path.find('/') == std::string::npos) {
      auto alg = crypto::DigestFromName(path.substr(9, path.size() - 13));
      if (alg) out.push_back(*alg);
    }
  }
  return out;
}

void CheckBagIt(const BagContents& bag, std::vector<Finding>& findings) {
  Declaration decl = CheckDeclaration(bag, findings);
  const bool v1 = decl.version == "1.0";

  // Payload manifests.
  std::map<std::string, size_t> listed_count;  // path -> number of manifests listing it
  size_t manifests = 0;
  for (const auto& [name, text] : bag.tag_files) {
    if (name.find('/') != std::string::npos) continue;
    bool payload_manifest = name.rfind("manifest-", 0) == 0;
    bool tag_manifest = name.rfind("tagmanifest-", 0) == 0;
    if ((!payload_manifest && !tag_manifest) || name.size() < 4 || name.substr(name.size() - 4) != ".txt") continue;
    std::string alg_name = name.substr(payload_manifest ? 9 : 12, name.size() - (payload_manifest ? 13 : 16));
    auto alg = crypto::DigestFromName(alg_name);
    if (!alg) {
      Add(findings, Severity::kWarning, "manifest-unknown-algorithm", name,
          name + " uses algorithm '" + alg_name + "', which this verifier cannot check");
      continue;
    }
    auto lines = ParseManifest(name, text, crypto::DigestHexLength(*alg), findings);
    if (!lines) continue;
    std::map<std::string, std::string> seen;
    for (const ManifestLine& line : *lines) {
      auto [it, inserted] = seen.emplace(line.path, line.digest);
      if (!inserted) {
        bool same = it->second == line.digest;
        Add(findings, same && !v1 ? Severity::kWarning : Severity::kError, "manifest-duplicate-entry", name,
            name + " lists '" + line.path + "' more than once" + (same ? "" : " with different digests"));
        continue;
      }
      if (payload_manifest) {
        if (line.path.rfind("data/", 0) != 0) {
          Add(findings, Severity::kError, "manifest-unsafe-path", name,
              name + " lists '" + line.path + "', which is outside data/");
          continue;
        }
        ++listed_count[line.path];
        auto size = bag.payload_sizes.find(line.path);
        if (size == bag.payload_sizes.end()) {
          Add(findings, Severity::kError, "payload-missing", line.path, "'" + line.path + "' is listed in " + name +
                                                                         " but is not in the bag");
          continue;
        }
        auto digests = bag.payload_digests.find(line.path);
        if (digests == bag.payload_digests.end() || !digests->second.count(*alg)) {
          Add(findings, Severity::kError, "payload-unreadable", line.path, "'" + line.path + "' could not be hashed");
          continue;
        }
        if (digests->second.at(*alg) != line.digest) {
          Add(findings, Severity::kError, "payload-hash-mismatch", line.path,
              "'" + line.path + "' has " + crypto::DigestName(*alg) + " " + digests->second.at(*alg) + " but " + name +
                  " says " + line.digest);
        }
      } else {
        auto tag = bag.tag_files.find(line.path);
        if (line.path.rfind("data/", 0) == 0 || tag == bag.tag_files.end()) {
          Add(findings, Severity::kError, "tag-missing", line.path,
              "'" + line.path + "' is listed in " + name + " but is not a tag file in the bag");
          continue;
        }
        crypto::Hasher h(*alg);
        h.Update(tag->second);
        std::string actual = h.FinishHex();
        if (actual != line.digest) {
          Add(findings, Severity::kError, "tag-hash-mismatch", line.path,
              "'" + line.path + "' has " + crypto::DigestName(*alg) + " " + actual + " but " + name + " says " +
                  line.digest);
        }
      }
    }
    if (payload_manifest) ++manifests;
  }
  if (manifests == 0) {
    Add(findings, Severity::kError, "manifest-missing", "", "the bag has no payload manifest (manifest-<alg>.txt)");
  } else {
    for (const auto& [path, size] : bag.payload_sizes) {
      size_t count = listed_count.count(path) ? listed_count.at(path) : 0;
      if (count == 0) {
        Add(findings, Severity::kError, "payload-unlisted", path, "'" + path + "' is in data/ but no manifest lists it");
      } else if (v1 && count < manifests) {
        Add(findings, Severity::kError, "payload-unlisted", path,
            "'" + path + "' is missing from " + std::to_string(manifests - count) + " of the payload manifests");
      }
    }
  }

  // bag-info.txt: Payload-Oxum, when present, must match the payload.
  auto info = bag.tag_files.find("bag-info.txt");
  if (info != bag.tag_files.end()) {
    for (const std::string& line : SplitLines(info->second)) {
      if (line.empty() || line[0] == ' ' || line[0] == '\t') continue;
      size_t colon = line.find(':');
      if (colon == std::string::npos) {
        Add(findings, Severity::kError, "bag-info-invalid", "bag-info.txt", "bag-info.txt line '" + line + "' has no ':'");
        continue;
      }
      std::string label = line.substr(0, colon);
      while (!label.empty() && (label.back() == ' ' || label.back() == '\t')) label.pop_back();
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t") == std::string::npos ? value.size() : value.find_first_not_of(" \t"));
      if (label == "Payload-Oxum") {
        std::uint64_t bytes = 0;
        for (const auto& [p, s] : bag.payload_sizes) bytes += s;
        std::string actual = std::to_string(bytes) + "." + std::to_string(bag.payload_sizes.size());
        if (value != actual) {
          Add(findings, Severity::kError, "payload-oxum-mismatch", "bag-info.txt",
              "Payload-Oxum says " + value + " (bytes.files) but the payload is " + actual);
        }
      }
    }
  }

  // fetch.txt: paths must stay inside data/.
  auto fetch = bag.tag_files.find("fetch.txt");
  if (fetch != bag.tag_files.end()) {
    for (const std::string& line : SplitLines(fetch->second)) {
      if (line.empty()) continue;
      size_t a = line.find_first_of(" \t");
      size_t b = a == std::string::npos ? a : line.find_first_of(" \t", line.find_first_not_of(" \t", a));
      std::string path = b == std::string::npos ? "" : NormalizePath(DecodePath(line.substr(line.find_first_not_of(" \t", b))));
      std::string why = UnsafePath(path);
      if (why.empty() && path.rfind("data/", 0) != 0) why = "outside data/";
      if (!why.empty()) {
        Add(findings, Severity::kError, "fetch-unsafe-path", "fetch.txt", "fetch.txt names '" + path + "': " + why);
      }
    }
  }
}

}  // namespace custody::verify
