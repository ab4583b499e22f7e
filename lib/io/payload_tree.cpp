#include "io/payload_tree.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "core/encoding.h"
#include "io/file_system.h"

namespace custody::io {

std::string CheckPayloadName(const std::string& name) {
  if (!IsValidUtf8(name)) return "the name is not valid UTF-8";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "the name contains a control character";
    if (c == '%') return "the name contains '%', which BagIt manifests must percent-encode";
    if (c == '\\') return "the name contains '\\', which sha256sum escapes in its output";
  }
  return "";
}

namespace {

Status Walk(const std::filesystem::path& root, const std::string& prefix, std::vector<TreeEntry>& out) {
  std::error_code ec;
  std::filesystem::directory_iterator it(root / prefix, std::filesystem::directory_options::none, ec);
  if (ec) return Error(ErrorCode::kIo, "list " + (root / prefix).string() + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Error(ErrorCode::kIo, "list " + (root / prefix).string() + ": " + ec.message());
    std::string name = it->path().filename().string();
    std::string relative = prefix.empty() ? name : prefix + "/" + name;
    std::string why = CheckPayloadName(name);
    if (!why.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "cannot seal '" + relative + "': " + why + "; rename it or pack it into an archive first");
    }
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) return ErrnoError("stat " + it->path().string(), errno);
    if (S_ISLNK(st.st_mode)) {
      return Error(ErrorCode::kInvalidArgument,
                   "cannot seal '" + relative +
                       "': it is a symbolic link; links are never followed. Copy the file it points to "
                       "into the folder instead");
    }
    if (S_ISDIR(st.st_mode)) {
      out.push_back({relative, true, 0});
      CUSTODY_RETURN_IF_ERROR(Walk(root, relative, out));
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({relative, false, static_cast<std::uint64_t>(st.st_size)});
    } else {
      return Error(ErrorCode::kInvalidArgument,
                   "cannot seal '" + relative + "': not a regular file (device, socket or FIFO)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<TreeEntry>> ListPayloadTree(const std::filesystem::path& root) {
  struct stat st;
  if (::lstat(root.c_str(), &st) != 0) {
    if (errno == ENOENT) return Error(ErrorCode::kInvalidArgument, "folder " + root.string() + " does not exist");
    return ErrnoError("stat " + root.string(), errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return Error(ErrorCode::kInvalidArgument,
                 "folder " + root.string() + " is a symbolic link; links are never followed: give the real folder");
  }
  if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kInvalidArgument, root.string() + " is not a folder");
  std::vector<TreeEntry> out;
  CUSTODY_RETURN_IF_ERROR(Walk(root, "", out));
  std::sort(out.begin(), out.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.relative < b.relative; });
  return out;
}

}  // namespace custody::io
