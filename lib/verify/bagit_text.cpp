#include "verify/bagit_text.h"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>

#include "core/encoding.h"

namespace custody::verify {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr size_t kMaxEncodingName = 64;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Closes an iconv descriptor on scope exit.
class IconvHandle {
 public:
  explicit IconvHandle(const std::string& from) : cd_(::iconv_open("UTF-8", from.c_str())) {}
  ~IconvHandle() {
    if (ok()) ::iconv_close(cd_);
  }
  IconvHandle(const IconvHandle&) = delete;
  IconvHandle& operator=(const IconvHandle&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1)); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

bool IsPlainEncodingName(std::string_view encoding) {
  if (encoding.empty() || encoding.size() > kMaxEncodingName) return false;
  return std::all_of(encoding.begin(), encoding.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

// A precomposed letter's canonical decomposition: an ASCII base letter and one combining mark
// (U+0300 + mark). base == 0: the letter does not decompose.
struct Decomposition {
  char base;
  std::uint8_t mark;
};

// U+00C0 .. U+017F, from the Unicode Character Database's canonical decompositions.
constexpr std::array<Decomposition, 192> kLatinDecompositions = {{
    {'A', 0x00}, {'A', 0x01}, {'A', 0x02}, {'A', 0x03}, {'A', 0x08}, {'A', 0x0A}, {0, 0}, {'C', 0x27},  // U+00C0
    {'E', 0x00}, {'E', 0x01}, {'E', 0x02}, {'E', 0x08}, {'I', 0x00}, {'I', 0x01}, {'I', 0x02}, {'I', 0x08},  // U+00C8
    {0, 0}, {'N', 0x03}, {'O', 0x00}, {'O', 0x01}, {'O', 0x02}, {'O', 0x03}, {'O', 0x08}, {0, 0},  // U+00D0
    {0, 0}, {'U', 0x00}, {'U', 0x01}, {'U', 0x02}, {'U', 0x08}, {'Y', 0x01}, {0, 0}, {0, 0},  // U+00D8
    {'a', 0x00}, {'a', 0x01}, {'a', 0x02}, {'a', 0x03}, {'a', 0x08}, {'a', 0x0A}, {0, 0}, {'c', 0x27},  // U+00E0
    {'e', 0x00}, {'e', 0x01}, {'e', 0x02}, {'e', 0x08}, {'i', 0x00}, {'i', 0x01}, {'i', 0x02}, {'i', 0x08},  // U+00E8
    {0, 0}, {'n', 0x03}, {'o', 0x00}, {'o', 0x01}, {'o', 0x02}, {'o', 0x03}, {'o', 0x08}, {0, 0},  // U+00F0
    {0, 0}, {'u', 0x00}, {'u', 0x01}, {'u', 0x02}, {'u', 0x08}, {'y', 0x01}, {0, 0}, {'y', 0x08},  // U+00F8
    {'A', 0x04}, {'a', 0x04}, {'A', 0x06}, {'a', 0x06}, {'A', 0x28}, {'a', 0x28}, {'C', 0x01}, {'c', 0x01},  // U+0100
    {'C', 0x02}, {'c', 0x02}, {'C', 0x07}, {'c', 0x07}, {'C', 0x0C}, {'c', 0x0C}, {'D', 0x0C}, {'d', 0x0C},  // U+0108
    {0, 0}, {0, 0}, {'E', 0x04}, {'e', 0x04}, {'E', 0x06}, {'e', 0x06}, {'E', 0x07}, {'e', 0x07},  // U+0110
    {'E', 0x28}, {'e', 0x28}, {'E', 0x0C}, {'e', 0x0C}, {'G', 0x02}, {'g', 0x02}, {'G', 0x06}, {'g', 0x06},  // U+0118
    {'G', 0x07}, {'g', 0x07}, {'G', 0x27}, {'g', 0x27}, {'H', 0x02}, {'h', 0x02}, {0, 0}, {0, 0},  // U+0120
    {'I', 0x03}, {'i', 0x03}, {'I', 0x04}, {'i', 0x04}, {'I', 0x06}, {'i', 0x06}, {'I', 0x28}, {'i', 0x28},  // U+0128
    {'I', 0x07}, {0, 0}, {0, 0}, {0, 0}, {'J', 0x02}, {'j', 0x02}, {'K', 0x27}, {'k', 0x27},  // U+0130
    {0, 0}, {'L', 0x01}, {'l', 0x01}, {'L', 0x27}, {'l', 0x27}, {'L', 0x0C}, {'l', 0x0C}, {0, 0},  // U+0138
    {0, 0}, {0, 0}, {0, 0}, {'N', 0x01}, {'n', 0x01}, {'N', 0x27}, {'n', 0x27}, {'N', 0x0C},  // U+0140
    {'n', 0x0C}, {0, 0}, {0, 0}, {0, 0}, {'O', 0x04}, {'o', 0x04}, {'O', 0x06}, {'o', 0x06},  // U+0148
    {'O', 0x0B}, {'o', 0x0B}, {0, 0}, {0, 0}, {'R', 0x01}, {'r', 0x01}, {'R', 0x27}, {'r', 0x27},  // U+0150
    {'R', 0x0C}, {'r', 0x0C}, {'S', 0x01}, {'s', 0x01}, {'S', 0x02}, {'s', 0x02}, {'S', 0x27}, {'s', 0x27},  // U+0158
    {'S', 0x0C}, {'s', 0x0C}, {'T', 0x27}, {'t', 0x27}, {'T', 0x0C}, {'t', 0x0C}, {0, 0}, {0, 0},  // U+0160
    {'U', 0x03}, {'u', 0x03}, {'U', 0x04}, {'u', 0x04}, {'U', 0x06}, {'u', 0x06}, {'U', 0x0A}, {'u', 0x0A},  // U+0168
    {'U', 0x0B}, {'u', 0x0B}, {'U', 0x28}, {'u', 0x28}, {'W', 0x02}, {'w', 0x02}, {'Y', 0x02}, {'y', 0x02},  // U+0170
    {'Y', 0x08}, {'Z', 0x01}, {'z', 0x01}, {'Z', 0x07}, {'z', 0x07}, {'Z', 0x0C}, {'z', 0x0C}, {0, 0},  // U+0178
}};

// Capital letters of U+00C0 .. U+017F that do not decompose, with their small letters.
constexpr std::array<std::pair<char32_t, char32_t>, 12> kUndecomposedCase = {{
    {0xC6, 0xE6}, {0xD0, 0xF0}, {0xD8, 0xF8}, {0xDE, 0xFE}, {0x110, 0x111}, {0x126, 0x127},
    {0x132, 0x133}, {0x13F, 0x140}, {0x141, 0x142}, {0x14A, 0x14B}, {0x152, 0x153}, {0x166, 0x167},
}};

void AppendTwoByte(std::string& out, char32_t cp) {
  out += static_cast<char>(0xC0 | (cp >> 6));
  out += static_cast<char>(0x80 | (cp & 0x3F));
}

std::string Key(std::string_view name, bool fold_case) {
  std::string out;
  out.reserve(name.size() + name.size() / 4);
  for (size_t i = 0; i < name.size(); ++i) {
    const auto lead = static_cast<unsigned char>(name[i]);
    const auto next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0u;
    // U+00C0 .. U+017F are exactly the two-byte sequences C3 80 .. C5 BF.
    if (lead >= 0xC3 && lead <= 0xC5 && (next & 0xC0) == 0x80) {
      char32_t cp = (static_cast<char32_t>(lead & 0x1F) << 6) | (next & 0x3F);
      ++i;
      const Decomposition& d = kLatinDecompositions[cp - 0xC0];
      if (d.base != 0) {
        out += fold_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(d.base))) : d.base;
        AppendTwoByte(out, 0x300 + d.mark);
        continue;
      }
      if (fold_case) {
        for (const auto& [upper, lower] : kUndecomposedCase) {
          if (cp == upper) cp = lower;
        }
      }
      AppendTwoByte(out, cp);
      continue;
    }
    out += fold_case && lead < 0x80 ? static_cast<char>(std::tolower(lead)) : name[i];
  }
  return out;
}

constexpr std::string_view kMacSystemNames[] = {".DS_Store",      ".AppleDouble",  ".LSOverride",
                                                "Icon\r",         ".Spotlight-V100", ".Trashes",
                                                ".fseventsd",     ".TemporaryItems", ".DocumentRevisions-V100",
                                                ".apdisk",        "__MACOSX"};
// Compared without regard to letter case, as Windows does.
constexpr std::string_view kWindowsSystemNames[] = {"thumbs.db",    "ehthumbs.db",   "ehthumbs_vista.db",
                                                    "desktop.ini",  "$recycle.bin", "system volume information"};

}  // namespace

bool IsUtf8Name(std::string_view encoding) { return Lower(encoding) == "utf-8"; }

bool IsKnownTagEncoding(std::string_view encoding) {
  if (IsUtf8Name(encoding)) return true;
  if (!IsPlainEncodingName(encoding)) return false;
  return IconvHandle(std::string(encoding)).ok();
}

Result<std::string> DecodeTagText(std::string_view bytes, std::string_view encoding) {
  if (IsUtf8Name(encoding)) {
    if (bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
      return Error(ErrorCode::kParse, "it starts with a UTF-8 byte-order mark");
    }
    if (!IsValidUtf8(bytes)) return Error(ErrorCode::kParse, "it is not valid UTF-8");
    return std::string(bytes);
  }
  if (!IsPlainEncodingName(encoding)) {
    return Error(ErrorCode::kInvalidArgument, "'" + std::string(encoding) + "' is not a character-set name");
  }
  IconvHandle converter{std::string(encoding)};
  if (!converter.ok()) {
    return Error(ErrorCode::kInvalidArgument, "encoding '" + std::string(encoding) + "' is not known");
  }
  std::string out;
  std::array<char, 4096> chunk;
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; the input is not written
  size_t in_left = bytes.size();
  for (bool flushing = false;;) {
    char* write = chunk.data();
    size_t write_left = chunk.size();
    size_t rc = flushing ? ::iconv(converter.get(), nullptr, nullptr, &write, &write_left)
                         : ::iconv(converter.get(), &in, &in_left, &write, &write_left);
    const int saved_errno = errno;
    out.append(chunk.data(), static_cast<size_t>(write - chunk.data()));
    if (rc == static_cast<size_t>(-1)) {
      if (saved_errno == E2BIG) continue;
      return Error(ErrorCode::kParse, "the bytes at offset " + std::to_string(bytes.size() - in_left) +
                                          " are not valid " + std::string(encoding));
    }
    if (flushing) break;
    flushing = true;
  }
  if (std::string_view(out).substr(0, kUtf8Bom.size()) == kUtf8Bom) out.erase(0, kUtf8Bom.size());
  return out;
}

std::string NormalizationKey(std::string_view name) { return Key(name, false); }

std::string CaseFoldKey(std::string_view name) { return Key(name, true); }

std::string_view SystemFileOrigin(std::string_view path) {
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    for (std::string_view name : kMacSystemNames) {
      if (part == name) return "macOS";
    }
    if (part.size() > 2 && part.substr(0, 2) == "._") return "macOS";
    const std::string lower = Lower(part);
    for (std::string_view name : kWindowsSystemNames) {
      if (lower == name) return "Windows";
    }
    if (slash == std::string_view::npos) return "";
    start = slash + 1;
  }
}

}  // namespace custody::verify
