#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "core/encoding.h"
#include "verify/bag_contents.h"
#include "verify/bagit_text.h"

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

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsPayload(std::string_view path) { return path.substr(0, 5) == "data/"; }

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

// Why a path written in a manifest or fetch.txt cannot name a file inside the bag, or "". Strict
// for every platform a bag may be opened on: a backslash or drive letter is a Windows path, a
// leading '~' is expanded to a home folder by shells and by some BagIt tools.
std::string UnsafePath(const std::string& path) {
  if (path.empty()) return "empty path";
  if (path[0] == '/') return "absolute path";
  if (path[0] == '~') return "home-folder path ('~' is expanded by shells and some BagIt tools)";
  if (path.find('\\') != std::string::npos) return "backslash (a Windows path separator)";
  if (path.size() > 1 && path[1] == ':' && std::isalpha(static_cast<unsigned char>(path[0]))) {
    return "Windows drive letter";
  }
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return "'..' leaves the bag";
    if (part.empty() || part == ".") return "empty or '.' component: the path is not in canonical form";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return "";
}

// Removes leading "./"; true when there was one.
bool StripDotSlash(std::string& path) {
  bool stripped = false;
  while (path.rfind("./", 0) == 0) {
    path.erase(0, 2);
    stripped = true;
  }
  return stripped;
}

// Records a warning once per (kind, path), however many manifests lead to it.
class OnceWarnings {
 public:
  explicit OnceWarnings(std::vector<Finding>& findings) : findings_(findings) {}
  void Add(std::string kind, std::string path, std::string message) {
    if (done_.insert(kind + '\n' + path).second) {
      verify::Add(findings_, Severity::kWarning, std::move(kind), std::move(path), std::move(message));
    }
  }

 private:
  std::vector<Finding>& findings_;
  std::set<std::string> done_;
};

struct Declaration {
  std::string version;             // "1.0", "0.97" or "0.96"; empty when bagit.txt declares none of them
  std::string encoding = "UTF-8";  // what tag files are decoded from
};

Declaration CheckDeclaration(const BagContents& bag, std::vector<Finding>& findings) {
  Declaration d;
  auto it = bag.tag_files.find("bagit.txt");
  if (it == bag.tag_files.end()) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "bagit.txt is missing: this is not a bag");
    return d;
  }
  const std::string& text = it->second;
  if (text.rfind("\xEF\xBB\xBF", 0) == 0 || text.rfind("\xFE\xFF", 0) == 0 || text.rfind("\xFF\xFE", 0) == 0) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "bagit.txt starts with a byte-order mark");
    return d;
  }
  if (!IsValidUtf8(text)) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "bagit.txt is not UTF-8");
    return d;
  }
  auto lines = SplitLines(text);
  const std::string kVersion = "BagIt-Version: ";
  const std::string kEncoding = "Tag-File-Character-Encoding: ";
  if (lines.size() != 2 || lines[0].rfind(kVersion, 0) != 0 || lines[1].rfind(kEncoding, 0) != 0) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt",
        "bagit.txt must be exactly the two lines 'BagIt-Version: M.N' and 'Tag-File-Character-Encoding: ENCODING', "
        "each label followed by exactly ': '");
    return d;
  }
  std::string version = lines[0].substr(kVersion.size());
  std::string encoding = lines[1].substr(kEncoding.size());
  for (const std::string* value : {&version, &encoding}) {
    if (value->empty() || std::any_of(value->begin(), value->end(), IsBlank)) {
      Add(findings, Severity::kError, "bagit-declaration", "bagit.txt",
          "bagit.txt value '" + *value + "' is empty or holds whitespace");
      return d;
    }
  }
  if (!IsKnownTagEncoding(encoding)) {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt",
        "Tag-File-Character-Encoding '" + encoding + "' is not a character encoding this system can decode");
  } else {
    d.encoding = encoding;
    if (!IsUtf8Name(encoding)) {
      Add(findings, Severity::kWarning, "bagit-encoding", "bagit.txt",
          "tag files declare encoding '" + encoding + "' (UTF-8 is recommended); they were decoded from " + encoding);
    }
  }
  if (version != "1.0" && version != "0.97" && version != "0.96") {
    Add(findings, Severity::kError, "bagit-declaration", "bagit.txt", "unsupported BagIt-Version '" + version + "'");
  } else {
    d.version = version;
  }
  return d;
}

// A tag file's text in UTF-8, or nullopt (with a tag-file-encoding error) when its bytes are not
// valid in the declared encoding.
std::optional<std::string> TagText(const std::string& name, const std::string& raw, const Declaration& decl,
                                   std::vector<Finding>& findings) {
  auto text = DecodeTagText(raw, decl.encoding);
  if (!text) {
    Add(findings, Severity::kError, "tag-file-encoding", name,
        name + " cannot be read as " + decl.encoding + ": " + text.error().message());
    return std::nullopt;
  }
  return std::move(*text);
}

struct ManifestLine {
  std::string digest;
  std::string path;
};

// Parses "<digest><whitespace><path>" lines. md5sum's binary-mode form "<digest> *<path>" is read
// as "<path>" with a warning; so is a leading "./". Unsafe paths are errors and are left out.
std::vector<ManifestLine> ParseManifest(const std::string& name, const std::string& text, size_t hex_length,
                                        std::vector<Finding>& findings) {
  std::vector<ManifestLine> out;
  bool binary_marker_warned = false;
  bool dot_slash_warned = false;
  size_t line_no = 0;
  for (const std::string& line : SplitLines(text)) {
    ++line_no;
    if (line.empty()) continue;
    size_t sep = line.find_first_of(" \t");
    std::string digest = Lower(line.substr(0, sep));
    bool hex = digest.size() == hex_length && std::all_of(digest.begin(), digest.end(), [](char c) {
                 return std::isxdigit(static_cast<unsigned char>(c));
               });
    size_t p = sep == std::string::npos ? sep : line.find_first_not_of(" \t", sep);
    if (!hex || p == std::string::npos) {
      Add(findings, Severity::kError, "manifest-invalid-line", name,
          name + " line " + std::to_string(line_no) + " is not '<" + std::to_string(hex_length) +
              " hex digits>  <path>'");
      continue;
    }
    std::string path = line.substr(p);
    if (p == sep + 1 && line[sep] == ' ' && path[0] == '*') {
      path.erase(0, 1);
      if (!binary_marker_warned) {
        Add(findings, Severity::kWarning, "manifest-binary-marker", name,
            name + " marks paths with '*' (md5sum binary mode); read as plain paths");
        binary_marker_warned = true;
      }
    }
    path = DecodePath(path);
    if (StripDotSlash(path) && !dot_slash_warned) {
      Add(findings, Severity::kWarning, "dot-slash-path", name,
          name + " writes paths with a leading './' (line " + std::to_string(line_no) +
              "); read relative to the bag's base folder");
      dot_slash_warned = true;
    }
    std::string why = UnsafePath(path);
    if (!why.empty()) {
      Add(findings, Severity::kError, "manifest-unsafe-path", name,
          name + " line " + std::to_string(line_no) + " names '" + path + "': " + why);
      continue;
    }
    out.push_back({digest, path});
  }
  return out;
}

struct FetchEntry {
  std::string url;
  std::string length;
  size_t line_no = 0;
};

// fetch.txt lines are "<url> <length> <path>": an absolute URL, a byte count or '-', and a safe
// path inside data/. Returns the well-formed entries by path; verify never fetches any of them.
std::map<std::string, FetchEntry> ParseFetch(const std::string& text, std::vector<Finding>& findings) {
  std::map<std::string, FetchEntry> out;
  bool dot_slash_warned = false;
  size_t line_no = 0;
  for (const std::string& line : SplitLines(text)) {
    ++line_no;
    if (line.empty()) continue;
    const std::string where = "fetch.txt line " + std::to_string(line_no);
    size_t url_end = line.find_first_of(" \t");
    size_t length_start = url_end == std::string::npos ? url_end : line.find_first_not_of(" \t", url_end);
    size_t length_end = length_start == std::string::npos ? length_start : line.find_first_of(" \t", length_start);
    size_t path_start = length_end == std::string::npos ? length_end : line.find_first_not_of(" \t", length_end);
    if (path_start == std::string::npos) {
      Add(findings, Severity::kError, "fetch-invalid-line", "fetch.txt", where + " is not '<url> <length> <path>'");
      continue;
    }
    FetchEntry entry{line.substr(0, url_end), line.substr(length_start, length_end - length_start), line_no};
    size_t colon = entry.url.find(':');
    bool scheme_ok = colon != std::string::npos && colon > 0 && colon + 1 < entry.url.size() &&
                     std::isalpha(static_cast<unsigned char>(entry.url[0])) &&
                     std::all_of(entry.url.begin(), entry.url.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                     });
    if (!scheme_ok) {
      Add(findings, Severity::kError, "fetch-invalid-line", "fetch.txt",
          where + ": '" + entry.url + "' is not an absolute URL");
      continue;
    }
    if (entry.length != "-" && !AllDigits(entry.length)) {
      Add(findings, Severity::kError, "fetch-invalid-line", "fetch.txt",
          where + ": length '" + entry.length + "' is neither a byte count nor '-'");
      continue;
    }
    std::string path = DecodePath(line.substr(path_start));
    if (StripDotSlash(path) && !dot_slash_warned) {
      Add(findings, Severity::kWarning, "dot-slash-path", "fetch.txt",
          "fetch.txt writes paths with a leading './' (line " + std::to_string(line_no) +
              "); read relative to the bag's base folder");
      dot_slash_warned = true;
    }
    std::string why = UnsafePath(path);
    if (why.empty() && !IsPayload(path)) why = "outside data/ (only payload files can be fetched)";
    if (!why.empty()) {
      Add(findings, Severity::kError, "fetch-unsafe-path", "fetch.txt", "fetch.txt names '" + path + "': " + why);
      continue;
    }
    if (!out.emplace(path, entry).second) {
      Add(findings, Severity::kError, "fetch-invalid-line", "fetch.txt", where + " lists '" + path + "' a second time");
    }
  }
  return out;
}

// The payload file a manifest path stands for when no file has exactly that name, but one has a
// name a file system would treat as the same: another Unicode normalization (macOS stores names
// decomposed) or another letter case (case-insensitive file systems).
class PayloadNames {
 public:
  explicit PayloadNames(const BagContents& bag) {
    for (const auto& [path, size] : bag.payload_sizes) {
      by_normalization_[NormalizationKey(path)].push_back(path);
      by_case_[CaseFoldKey(path)].push_back(path);
    }
  }
  // The single payload file canonically equivalent to `path`, or "" when none or several are.
  std::string NormalizationVariant(const std::string& path) const {
    return Single(by_normalization_, NormalizationKey(path));
  }
  // The single payload file equal to `path` but for letter case (and normalization), or "".
  std::string CaseVariant(const std::string& path) const { return Single(by_case_, CaseFoldKey(path)); }
  // Payload files that a case-insensitive or normalizing file system cannot hold side by side.
  std::vector<std::vector<std::string>> Collisions() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& [key, paths] : by_case_) {
      if (paths.size() > 1) out.push_back(paths);
    }
    return out;
  }

 private:
  using Index = std::map<std::string, std::vector<std::string>>;
  static std::string Single(const Index& index, const std::string& key) {
    auto it = index.find(key);
    return it != index.end() && it->second.size() == 1 ? it->second.front() : "";
  }
  Index by_normalization_;
  Index by_case_;
};

// How a name spells its accented letters, for messages about two spellings that look alike.
std::string NormalizationForm(const std::string& name) {
  return NormalizationKey(name) == name ? "decomposed, NFD" : "precomposed, NFC";
}

std::string EmptyDigest(crypto::DigestAlgorithm alg) {
  crypto::Hasher h(alg);
  return h.FinishHex();
}

// What the payload manifests established, for the checks that follow them.
struct PayloadListing {
  size_t manifests = 0;                                    // payload manifests checked
  std::map<std::string, std::set<std::string>> listed_in;  // payload file on disk -> manifests listing it
  std::map<std::string, std::set<std::string>> paths_in;   // manifest -> paths as written (decoded)
  std::set<std::string> absent_empty_system_files;         // listed, absent, and empty by their digest
};

class ManifestChecker {
 public:
  ManifestChecker(const BagContents& bag, const Declaration& decl, const std::map<std::string, FetchEntry>& fetch,
                  std::vector<Finding>& findings)
      : bag_(bag), decl_(decl), fetch_(fetch), findings_(findings), once_(findings), names_(bag) {}

  void CheckAll() {
    const bool v1 = decl_.version == "1.0";
    for (const auto& [name, raw] : bag_.tag_files) {
      if (name.find('/') != std::string::npos || name.size() < 4 || name.substr(name.size() - 4) != ".txt") continue;
      const bool payload_manifest = name.rfind("manifest-", 0) == 0;
      const bool tag_manifest = name.rfind("tagmanifest-", 0) == 0;
      if (!payload_manifest && !tag_manifest) continue;
      const size_t prefix = payload_manifest ? 9 : 12;
      std::string alg_name = name.substr(prefix, name.size() - prefix - 4);
      auto alg = crypto::DigestFromName(alg_name);
      if (!alg) {
        Add(findings_, Severity::kWarning, "manifest-unknown-algorithm", name,
            name + " uses algorithm '" + alg_name + "', which this verifier cannot check");
        continue;
      }
      auto text = TagText(name, raw, decl_, findings_);
      if (!text) continue;
      std::map<std::string, std::string> seen;
      for (const ManifestLine& line : ParseManifest(name, *text, crypto::DigestHexLength(*alg), findings_)) {
        auto [it, inserted] = seen.emplace(line.path, line.digest);
        if (!inserted) {
          bool same = it->second == line.digest;
          Add(findings_, same && !v1 ? Severity::kWarning : Severity::kError, "manifest-duplicate-entry", name,
              name + " lists '" + line.path + "' more than once" + (same ? "" : " with different digests"));
          continue;
        }
        if (payload_manifest) {
          CheckPayloadLine(name, *alg, line);
        } else {
          CheckTagLine(name, *alg, line);
        }
      }
      if (payload_manifest) ++listing_.manifests;
    }
    CheckUnlisted(v1);
  }

  PayloadListing& listing() { return listing_; }

 private:
  void CheckPayloadLine(const std::string& name, crypto::DigestAlgorithm alg, const ManifestLine& line) {
    if (!IsPayload(line.path)) {
      Add(findings_, Severity::kError, "manifest-unsafe-path", name,
          name + " lists '" + line.path + "', which is outside data/");
      return;
    }
    listing_.paths_in[name].insert(line.path);
    std::string file = Resolve(name, alg, line);
    if (file.empty()) return;
    listing_.listed_in[file].insert(name);
    auto digests = bag_.payload_digests.find(file);
    if (digests == bag_.payload_digests.end() || !digests->second.count(alg)) {
      Add(findings_, Severity::kError, "payload-unreadable", file, "'" + file + "' could not be hashed");
      return;
    }
    const std::string& actual = digests->second.at(alg);
    if (actual != line.digest) {
      Add(findings_, Severity::kError, "payload-hash-mismatch", file,
          "'" + file + "' has " + crypto::DigestName(alg) + " " + actual + " but " + name + " says " + line.digest +
              (file == line.path ? "" : " for '" + line.path + "'"));
    }
  }

  // The payload file on disk that a manifest line stands for, or "" after reporting why there is
  // none to check.
  std::string Resolve(const std::string& name, crypto::DigestAlgorithm alg, const ManifestLine& line) {
    if (bag_.payload_sizes.count(line.path)) return line.path;
    if (std::string file = names_.NormalizationVariant(line.path); !file.empty()) {
      once_.Add("payload-normalization-variant", line.path,
                name + " lists '" + line.path + "' (" + NormalizationForm(line.path) +
                    "), which is not in the bag, but '" + file + "' (" + NormalizationForm(file) +
                    ") is the same name in another Unicode normalization; it was checked in its place");
      return file;
    }
    if (std::string file = names_.CaseVariant(line.path); !file.empty()) {
      once_.Add("payload-case-variant", line.path,
                name + " lists '" + line.path + "', which is not in the bag, but '" + file +
                    "' differs from it only in letter case; it was checked in its place");
      return file;
    }
    std::string_view origin = SystemFileOrigin(line.path);
    if (!origin.empty() && line.digest == EmptyDigest(alg)) {
      listing_.absent_empty_system_files.insert(line.path);
      once_.Add("system-file", line.path,
                name + " lists '" + line.path + "', a file " + std::string(origin) +
                    " creates for its own use; it is not in the bag, and its listed digest is that of an empty file, "
                    "so no content is missing");
      return "";
    }
    std::string message = "'" + line.path + "' is listed in " + name + " but is not in the bag";
    if (auto fetch = fetch_.find(line.path); fetch != fetch_.end()) {
      message += "; fetch.txt says to fetch it from " + fetch->second.url + ", which verify never does";
    }
    Add(findings_, Severity::kError, "payload-missing", line.path, message);
    return "";
  }

  void CheckTagLine(const std::string& name, crypto::DigestAlgorithm alg, const ManifestLine& line) {
    auto tag = bag_.tag_files.find(line.path);
    if (IsPayload(line.path) || tag == bag_.tag_files.end()) {
      Add(findings_, Severity::kError, "tag-missing", line.path,
          "'" + line.path + "' is listed in " + name + " but is not a tag file in the bag");
      return;
    }
    crypto::Hasher h(alg);
    h.Update(tag->second);
    std::string actual = h.FinishHex();
    if (actual != line.digest) {
      Add(findings_, Severity::kError, "tag-hash-mismatch", line.path,
          "'" + line.path + "' has " + crypto::DigestName(alg) + " " + actual + " but " + name + " says " +
              line.digest);
    }
  }

  void CheckUnlisted(bool v1) {
    if (listing_.manifests == 0) {
      Add(findings_, Severity::kError, "manifest-missing", "",
          "the bag has no payload manifest (manifest-<alg>.txt) that could be read and checked");
      return;
    }
    for (const auto& [path, size] : bag_.payload_sizes) {
      auto it = listing_.listed_in.find(path);
      size_t count = it == listing_.listed_in.end() ? 0 : it->second.size();
      if (count == 0) {
        Add(findings_, Severity::kError, "payload-unlisted", path,
            "'" + path + "' is in data/ but no manifest lists it");
      } else if (v1 && count < listing_.manifests) {
        Add(findings_, Severity::kError, "payload-unlisted", path,
            "'" + path + "' is missing from " + std::to_string(listing_.manifests - count) +
                " of the payload manifests (BagIt 1.0 requires every payload file in every payload manifest)");
      }
    }
  }

  const BagContents& bag_;
  const Declaration& decl_;
  const std::map<std::string, FetchEntry>& fetch_;
  std::vector<Finding>& findings_;
  OnceWarnings once_;
  PayloadNames names_;
  PayloadListing listing_;
};

// Files in the bag that an operating system made for itself, and payload names that cannot sit
// side by side on a case-insensitive or normalizing file system.
void CheckNames(const BagContents& bag, std::vector<Finding>& findings) {
  auto note_system_file = [&](const std::string& path) {
    std::string_view origin = SystemFileOrigin(path);
    if (origin.empty()) return;
    Add(findings, Severity::kWarning, "system-file", path,
        "'" + path + "' is a file " + std::string(origin) +
            " creates for its own use; check that it belongs to the evidence and was not picked up by accident");
  };
  for (const auto& [path, size] : bag.payload_sizes) note_system_file(path);
  for (const auto& [path, text] : bag.tag_files) note_system_file(path);
  for (const std::vector<std::string>& group : PayloadNames(bag).Collisions()) {
    bool same_normalization = std::all_of(group.begin(), group.end(), [&](const std::string& p) {
      return NormalizationKey(p) == NormalizationKey(group.front());
    });
    std::string names;
    for (const std::string& p : group) names += (names.empty() ? "'" : ", '") + p + "'";
    Add(findings, Severity::kWarning, same_normalization ? "payload-normalization-variant" : "payload-case-variant",
        group.front(),
        names + (same_normalization ? " are one name in different Unicode normalizations"
                                    : " differ only in letter case") +
            "; a file system that " + (same_normalization ? "normalizes names" : "ignores case") +
            " keeps only one of them");
  }
}

// bag-info.txt: "Label: value" lines with indented continuation lines; Payload-Oxum, when
// present, must be "<bytes>.<files>" and match the payload.
void CheckBagInfo(const BagContents& bag, const Declaration& decl, const PayloadListing& listing,
                  std::vector<Finding>& findings) {
  auto info = bag.tag_files.find("bag-info.txt");
  if (info == bag.tag_files.end()) return;
  auto text = TagText("bag-info.txt", info->second, decl, findings);
  if (!text) return;
  bool first = true;
  for (const std::string& line : SplitLines(*text)) {
    if (line.empty()) continue;
    if (IsBlank(line[0])) {
      if (first) {
        Add(findings, Severity::kError, "bag-info-invalid", "bag-info.txt",
            "bag-info.txt starts with an indented line, which can only continue a previous one");
      }
      continue;
    }
    first = false;
    size_t colon = line.find(':');
    std::string label = colon == std::string::npos ? "" : line.substr(0, colon);
    while (!label.empty() && IsBlank(label.back())) label.pop_back();
    if (label.empty()) {
      Add(findings, Severity::kError, "bag-info-invalid", "bag-info.txt",
          "bag-info.txt line '" + line + "' is not 'Label: value'");
      continue;
    }
    std::string value = line.substr(colon + 1);
    value.erase(0, std::min(value.size(), value.find_first_not_of(" \t")));
    while (!value.empty() && IsBlank(value.back())) value.pop_back();
    if (Lower(label) != "payload-oxum") continue;
    size_t dot = value.find('.');
    if (dot == std::string::npos || !AllDigits(value.substr(0, dot)) || !AllDigits(value.substr(dot + 1))) {
      Add(findings, Severity::kError, "bag-info-invalid", "bag-info.txt",
          "Payload-Oxum '" + value + "' is not '<bytes>.<files>'");
      continue;
    }
    std::uint64_t bytes = 0;
    for (const auto& [p, s] : bag.payload_sizes) bytes += s;
    const size_t files = bag.payload_sizes.size() + listing.absent_empty_system_files.size();
    std::string actual = std::to_string(bytes) + "." + std::to_string(files);
    if (value != actual) {
      Add(findings, Severity::kError, "payload-oxum-mismatch", "bag-info.txt",
          "Payload-Oxum says " + value + " (bytes.files) but the payload is " + actual +
              (listing.absent_empty_system_files.empty() ? "" : " (counting the absent empty system files)"));
    }
  }
}

// Every fetch.txt entry must be listed in every payload manifest (RFC 8493 §2.2.3), and a given
// length must be the size of the file when it is in the bag.
void CheckFetch(const BagContents& bag, const std::map<std::string, FetchEntry>& fetch, const PayloadListing& listing,
                std::vector<Finding>& findings) {
  for (const auto& [path, entry] : fetch) {
    size_t listed = 0;
    for (const auto& [manifest, paths] : listing.paths_in) listed += paths.count(path);
    if (listed == 0 || listed < listing.manifests) {
      Add(findings, Severity::kError, "fetch-unlisted", "fetch.txt",
          "fetch.txt line " + std::to_string(entry.line_no) + " names '" + path + "', which " +
              (listed == 0 ? "no payload manifest lists" : "is missing from some payload manifests"));
    }
    auto size = bag.payload_sizes.find(path);
    if (entry.length != "-" && size != bag.payload_sizes.end() && entry.length != std::to_string(size->second)) {
      Add(findings, Severity::kError, "fetch-invalid-line", "fetch.txt",
          "fetch.txt line " + std::to_string(entry.line_no) + " gives '" + path + "' a length of " + entry.length +
              " bytes but the file in the bag has " + std::to_string(size->second));
    }
  }
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

  std::map<std::string, FetchEntry> fetch;
  auto fetch_file = bag.tag_files.find("fetch.txt");
  if (fetch_file != bag.tag_files.end()) {
    if (auto text = TagText("fetch.txt", fetch_file->second, decl, findings)) fetch = ParseFetch(*text, findings);
  }

  ManifestChecker manifests(bag, decl, fetch, findings);
  manifests.CheckAll();
  CheckNames(bag, findings);
  CheckBagInfo(bag, decl, manifests.listing(), findings);
  CheckFetch(bag, fetch, manifests.listing(), findings);
}

}  // namespace custody::verify
