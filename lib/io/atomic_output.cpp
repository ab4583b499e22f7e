#include "io/atomic_output.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <cstdio>

#include "core/encoding.h"

namespace custody::io {

Result<std::unique_ptr<AtomicOutput>> AtomicOutput::Create(FileSystem& fs, std::filesystem::path target,
                                                           mode_t mode, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::symlink_status(target, ec).type() != std::filesystem::file_type::not_found) {
    return Error(ErrorCode::kInvalidArgument, target.string() + " already exists");
  }
  if (overwrite && std::filesystem::is_directory(target, ec)) {
    return Error(ErrorCode::kInvalidArgument, target.string() + " is a directory");
  }
  std::filesystem::path dir = target.parent_path();
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) {
    return Error(ErrorCode::kInvalidArgument, "output folder " + dir.string() + " does not exist");
  }
  // 48 random bits: a clash with another writer's temporary name is not a case worth retrying,
  // and CreateNew's O_EXCL makes it a clear error rather than a silent overwrite.
  std::uint8_t random[6];
  if (::getrandom(random, sizeof random, 0) != sizeof random) return ErrnoError("getrandom", errno);
  std::filesystem::path temp = dir / ("." + target.filename().string() + ".tmp-" + ToHex(random));
  auto file = fs.CreateNew(temp, mode);
  if (!file) return file.error();
  return std::unique_ptr<AtomicOutput>(new AtomicOutput(fs, target, temp, std::move(*file), overwrite));
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    if (file_) (void)file_->Close();
    (void)fs_.Remove(temp_);
  }
}

Status AtomicOutput::Commit() {
  CUSTODY_RETURN_IF_ERROR(file_->Sync());
  CUSTODY_RETURN_IF_ERROR(file_->Close());
  CUSTODY_RETURN_IF_ERROR(fs_.Rename(temp_, target_, overwrite_));
  committed_ = true;
  Status synced = fs_.SyncDirectory(target_.parent_path());
  if (!synced) {
    // The rename may not survive a crash: do not leave a file whose publication failed.
    (void)fs_.Remove(target_);
    return synced;
  }
  return Status::Ok();
}

Status WriteFileAtomically(FileSystem& fs, const std::filesystem::path& target, std::string_view bytes, mode_t mode,
                           bool overwrite) {
  auto out = AtomicOutput::Create(fs, target, mode, overwrite);
  if (!out) return out.error();
  CUSTODY_RETURN_IF_ERROR((*out)->file().Append(AsBytes(bytes)));
  return (*out)->Commit();
}

}  // namespace custody::io
