#include "bundle/bag_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "bundle/utf8_locale.h"
#include "io/file_system.h"

namespace custody::bundle {

namespace {

constexpr size_t kReadChunk = 1 << 20;

struct ArchiveFree {
  void operator()(struct archive* a) const { archive_read_free(a); }
};

// Splits "top/a/b" into components. Returns a problem message for unsafe forms, else "".
std::string CheckArchivePath(const std::string& raw, std::vector<std::string>& parts) {
  if (raw.empty()) return "an empty path";
  if (raw[0] == '/') return "an absolute path";
  std::string path = raw;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty()) return "an empty path component";
    if (part == "..") return "a '..' component";
    if (part == ".") return "a '.' component";
    parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return "";
}

std::string Join(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

}  // namespace

Result<ScanSummary> ScanTar(const std::filesystem::path& tar, BagVisitor& visitor) {
  struct stat st;
  if (::stat(tar.c_str(), &st) != 0) return io::ErrnoError("open " + tar.string(), errno);
  if (!S_ISREG(st.st_mode)) return Error(ErrorCode::kInvalidArgument, tar.string() + " is not a regular file");
  ScanSummary summary;
  Utf8CtypeScope utf8;  // names come back as the UTF-8 they were written in
  if (st.st_size == 0) {
    summary.readable = false;
    summary.unreadable_reason = "the file is empty";
    return summary;
  }
  std::unique_ptr<struct archive, ArchiveFree> a(archive_read_new());
  archive_read_support_format_tar(a.get());  // tar only: no other format, no decompression
  if (archive_read_open_filename(a.get(), tar.c_str(), kReadChunk) != ARCHIVE_OK) {
    summary.readable = false;
    summary.unreadable_reason = archive_error_string(a.get()) ? archive_error_string(a.get()) : "cannot read";
    return summary;
  }
  std::set<std::string> seen;
  bool rooted_at_dot = false;
  for (;;) {
    struct archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      summary.readable = false;
      const char* msg = archive_error_string(a.get());
      summary.unreadable_reason = msg ? msg : "damaged archive";
      return summary;
    }
    ++summary.entries;
    const la_int64_t header_offset = archive_read_header_position(a.get());  // where this header began
    const char* name = archive_entry_pathname(entry);
    std::string raw = name ? name : "";
    summary.last_path = raw;
    summary.last_header_offset = header_offset;
    // `tar -C bag -cf x.tar .` roots the bag at "./": the archive's root is then the bag's base
    // folder, and one leading "./" is dropped from every name.
    if (summary.entries == 1 && (raw == "./" || raw == ".")) {
      rooted_at_dot = true;
      summary.top = ".";
      continue;
    }
    if (rooted_at_dot && raw.rfind("./", 0) != 0) {
      visitor.OnProblem({"multiple-top-folders", raw, "archive entry '" + raw + "' is outside the bag rooted at './'"});
      continue;
    }
    std::vector<std::string> parts;
    std::string why = CheckArchivePath(rooted_at_dot ? raw.substr(2) : raw, parts);
    if (rooted_at_dot && why.empty()) parts.insert(parts.begin(), ".");  // the top folder is "."
    if (!why.empty()) {
      visitor.OnProblem({"unsafe-path", raw, "archive entry '" + raw + "' has " + why + "; it was not read"});
      continue;
    }
    if (summary.top.empty()) summary.top = parts[0];
    if (parts[0] != summary.top) {
      visitor.OnProblem({"multiple-top-folders", raw,
                         "archive entry '" + raw + "' is outside the single top folder '" + summary.top + "'"});
      continue;
    }
    std::string rel = Join(parts, 1);
    if (!seen.insert(rel).second) {
      visitor.OnProblem({"duplicate-entry", raw, "archive entry '" + raw + "' appears more than once"});
      continue;
    }
    if (archive_entry_hardlink(entry) != nullptr) {
      visitor.OnProblem({"link-entry", raw, "archive entry '" + raw + "' is a hard link to '" +
                                                std::string(archive_entry_hardlink(entry)) + "'; links are not followed"});
      continue;
    }
    mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(entry);
      visitor.OnProblem({"link-entry", raw, "archive entry '" + raw + "' is a symbolic link to '" +
                                                std::string(target ? target : "") + "'; links are not followed"});
      continue;
    }
    if (type == AE_IFDIR) {
      if (!rel.empty()) visitor.OnDirectory(rel);
      continue;
    }
    if (type != AE_IFREG) {
      visitor.OnProblem({"special-entry", raw, "archive entry '" + raw + "' is a device, FIFO or socket"});
      continue;
    }
    if (rel.empty()) {
      visitor.OnProblem({"unsafe-path", raw, "archive entry '" + raw + "' is a file where the top folder should be"});
      continue;
    }
    std::uint64_t size = static_cast<std::uint64_t>(std::max<la_int64_t>(0, archive_entry_size(entry)));
    if (!visitor.OnFile(rel, size)) continue;  // libarchive skips unread data on the next header
    const void* block = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    for (;;) {
      int r = archive_read_data_block(a.get(), &block, &len, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        summary.readable = false;
        const char* msg = archive_error_string(a.get());
        summary.unreadable_reason = std::string("reading '") + raw + "': " + (msg ? msg : "damaged archive");
        visitor.OnFileEnd();
        return summary;
      }
      Status s = visitor.OnData({static_cast<const std::uint8_t*>(block), len});
      if (!s) return s.error();
    }
    visitor.OnFileEnd();
  }
  if (summary.entries == 0) {
    summary.readable = false;
    summary.unreadable_reason = "the archive holds no entries";
  }
  return summary;
}

namespace {
Status WalkFolder(const std::filesystem::path& root, const std::string& prefix, BagVisitor& visitor,
                  ScanSummary& summary, std::vector<std::uint8_t>& buf) {
  std::error_code ec;
  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(root / prefix, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return Error(ErrorCode::kIo, "list " + (root / prefix).string() + ": " + ec.message());
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    std::filesystem::path full = root / rel;
    struct stat st;
    if (::lstat(full.c_str(), &st) != 0) return io::ErrnoError("stat " + full.string(), errno);
    ++summary.entries;
    if (S_ISLNK(st.st_mode)) {
      visitor.OnProblem({"link-entry", rel, "'" + rel + "' is a symbolic link; links are not followed"});
    } else if (S_ISDIR(st.st_mode)) {
      visitor.OnDirectory(rel);
      CUSTODY_RETURN_IF_ERROR(WalkFolder(root, rel, visitor, summary, buf));
    } else if (!S_ISREG(st.st_mode)) {
      visitor.OnProblem({"special-entry", rel, "'" + rel + "' is a device, FIFO or socket"});
    } else if (visitor.OnFile(rel, static_cast<std::uint64_t>(st.st_size))) {
      auto file = io::RealFileSystem().OpenForRead(full);
      if (!file) return file.error();
      for (;;) {
        auto n = (*file)->Read(buf);
        if (!n) return n.error();
        if (*n == 0) break;
        CUSTODY_RETURN_IF_ERROR(visitor.OnData({buf.data(), *n}));
      }
      visitor.OnFileEnd();
    }
  }
  return Status::Ok();
}
}  // namespace

Result<ScanSummary> ScanFolder(const std::filesystem::path& folder, BagVisitor& visitor) {
  struct stat st;
  if (::stat(folder.c_str(), &st) != 0) return io::ErrnoError("open " + folder.string(), errno);
  if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kInvalidArgument, folder.string() + " is not a folder");
  ScanSummary summary;
  summary.top = std::filesystem::absolute(folder).lexically_normal().filename().string();
  if (summary.top.empty()) summary.top = std::filesystem::absolute(folder).lexically_normal().parent_path().filename().string();
  std::vector<std::uint8_t> buf(kReadChunk);
  CUSTODY_RETURN_IF_ERROR(WalkFolder(folder, "", visitor, summary, buf));
  return summary;
}

}  // namespace custody::bundle
