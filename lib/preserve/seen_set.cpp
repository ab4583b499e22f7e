#include "preserve/seen_set.h"

#include <cstring>
#include <fstream>

#include "crypto/digest.h"
#include "io/atomic_output.h"

namespace custody::preserve {

namespace {
constexpr std::string_view kMagic = "custody-seen/1\n";
constexpr std::size_t kEntry = 24;
}  // namespace

RecordId IdentityOf(std::string_view source, std::string_view stream, std::string_view event_type,
                    const std::optional<std::string>& event_id, const std::optional<std::string>& request_id,
                    std::string_view raw_sha256, std::string_view timestamp_original) {
  std::string text;
  text.reserve(128);
  for (std::string_view part : {source, stream, event_type}) {
    text.append(part);
    text.push_back('\0');
  }
  if (event_id && !event_id->empty()) {
    text += "id\0";
    text += *event_id;
  } else if (request_id && !request_id->empty()) {
    text += "request\0";
    text += *request_id;
  } else {
    text += "raw\0";
    text.append(raw_sha256);
    text.push_back('\0');
    text.append(timestamp_original);
  }
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  auto digest = crypto::Sha256(bytes);
  RecordId id;
  std::memcpy(id.data(), digest.data(), id.size());
  return id;
}

Result<SeenSet> SeenSet::Load(const std::filesystem::path& path) {
  SeenSet set;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return set;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "open " + path.string());
  std::string magic(kMagic.size(), '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  if (!in || magic != kMagic) return Error(ErrorCode::kParse, path.string() + ": not a custody-seen/1 file");
  std::array<char, kEntry> buf;
  while (in.read(buf.data(), kEntry)) {
    RecordId id;
    std::memcpy(id.data(), buf.data(), id.size());
    std::uint64_t u = 0;
    for (int i = 7; i >= 0; --i) u = (u << 8) | static_cast<std::uint8_t>(buf[16 + i]);
    set.entries_[id] = static_cast<std::int64_t>(u);
  }
  if (in.gcount() != 0) return Error(ErrorCode::kParse, path.string() + ": truncated entry at the end");
  return set;
}

Status SeenSet::Save(io::FileSystem& fs, const std::filesystem::path& path) const {
  std::string bytes(kMagic);
  bytes.reserve(kMagic.size() + entries_.size() * kEntry);
  for (const auto& [id, ms] : entries_) {
    bytes.append(reinterpret_cast<const char*>(id.data()), id.size());
    auto u = static_cast<std::uint64_t>(ms);
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  return io::WriteFileAtomically(fs, path, bytes, 0600, true);
}

bool SeenSet::Insert(const RecordId& id, std::int64_t event_ms) {
  auto [it, inserted] = entries_.emplace(id, event_ms);
  if (!inserted && event_ms > it->second) it->second = event_ms;
  return inserted;
}

std::size_t SeenSet::Prune(std::int64_t before_ms) {
  return std::erase_if(entries_, [before_ms](const auto& e) { return e.second < before_ms; });
}

void SeenSet::Merge(const SeenSet& other) {
  for (const auto& [id, ms] : other.entries_) Insert(id, ms);
}

}  // namespace custody::preserve
