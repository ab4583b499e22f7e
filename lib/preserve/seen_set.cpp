#include "preserve/seen_set.h"

#include <algorithm>
#include <cstring>
#include <iterator>
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

namespace {
bool IdLess(const RecordId& a, const RecordId& b) { return std::memcmp(a.data(), b.data(), a.size()) < 0; }
}  // namespace

Result<SeenSet> SeenSet::Load(const std::filesystem::path& path) {
  SeenSet set;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return set;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "open " + path.string());
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(ErrorCode::kIo, "size of " + path.string() + ": " + ec.message());
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) return Error(ErrorCode::kIo, "read " + path.string());
  if (bytes.compare(0, kMagic.size(), kMagic) != 0) {
    return Error(ErrorCode::kParse, path.string() + ": not a custody-seen/1 file");
  }
  if ((bytes.size() - kMagic.size()) % kEntry != 0) {
    return Error(ErrorCode::kParse, path.string() + ": truncated entry at the end");
  }
  const std::size_t n = (bytes.size() - kMagic.size()) / kEntry;
  set.sorted_.resize(n);
  bool sorted = true;
  for (std::size_t i = 0; i < n; ++i) {
    const char* e = bytes.data() + kMagic.size() + i * kEntry;
    Entry& out = set.sorted_[i];
    std::memcpy(out.id.data(), e, out.id.size());
    std::uint64_t u = 0;
    for (int b = 7; b >= 0; --b) u = (u << 8) | static_cast<std::uint8_t>(e[16 + b]);
    out.ms = static_cast<std::int64_t>(u);
    if (i > 0 && !IdLess(set.sorted_[i - 1].id, out.id)) sorted = false;
  }
  if (!sorted) {
    // Not written by this version (or edited): sort, and keep one entry per identity.
    auto& v = set.sorted_;
    std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return IdLess(a.id, b.id); });
    std::vector<Entry> unique;
    for (const auto& e : v) {
      if (!unique.empty() && unique.back().id == e.id) {
        unique.back().ms = std::max(unique.back().ms, e.ms);
      } else {
        unique.push_back(e);
      }
    }
    v = std::move(unique);
  }
  return set;
}

std::vector<SeenSet::Entry> SeenSet::Sorted() const {
  std::vector<Entry> added;
  added.reserve(added_.size());
  for (const auto& [id, ms] : added_) added.push_back({id, ms});
  auto less = [](const Entry& a, const Entry& b) { return IdLess(a.id, b.id); };
  std::sort(added.begin(), added.end(), less);
  std::vector<Entry> all;
  all.reserve(sorted_.size() + added.size());
  std::merge(sorted_.begin(), sorted_.end(), added.begin(), added.end(), std::back_inserter(all), less);
  return all;
}

Status SeenSet::Save(io::FileSystem& fs, const std::filesystem::path& path) const {
  const std::vector<Entry> all = Sorted();
  std::string bytes(kMagic);
  bytes.reserve(kMagic.size() + all.size() * kEntry);
  for (const auto& e : all) {
    bytes.append(reinterpret_cast<const char*>(e.id.data()), e.id.size());
    auto u = static_cast<std::uint64_t>(e.ms);
    for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
  }
  return io::WriteFileAtomically(fs, path, bytes, 0600, true);
}

bool SeenSet::Contains(const RecordId& id) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), id,
                             [](const Entry& e, const RecordId& key) { return IdLess(e.id, key); });
  if (it != sorted_.end() && it->id == id) return true;
  return added_.count(id) != 0;
}

bool SeenSet::Insert(const RecordId& id, std::int64_t event_ms) {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), id,
                             [](const Entry& e, const RecordId& key) { return IdLess(e.id, key); });
  if (it != sorted_.end() && it->id == id) {
    it->ms = std::max(it->ms, event_ms);
    return false;
  }
  auto [at, inserted] = added_.emplace(id, event_ms);
  if (!inserted && event_ms > at->second) at->second = event_ms;
  return inserted;
}

std::size_t SeenSet::Prune(std::int64_t before_ms) {
  Compact();
  return std::erase_if(sorted_, [before_ms](const Entry& e) { return e.ms < before_ms; });
}

void SeenSet::Merge(const SeenSet& other) {
  const std::vector<Entry> theirs = other.Sorted();
  Compact();
  std::vector<Entry> all;
  all.reserve(sorted_.size() + theirs.size());
  auto a = sorted_.begin();
  auto b = theirs.begin();
  while (a != sorted_.end() || b != theirs.end()) {
    if (b == theirs.end() || (a != sorted_.end() && IdLess(a->id, b->id))) {
      all.push_back(*a++);
    } else if (a == sorted_.end() || IdLess(b->id, a->id)) {
      all.push_back(*b++);
    } else {
      all.push_back({a->id, std::max(a->ms, b->ms)});
      ++a;
      ++b;
    }
  }
  sorted_ = std::move(all);
}

}  // namespace custody::preserve
