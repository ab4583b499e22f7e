#include "bundle/tar_writer.h"

#include <archive_entry.h>

#include "bundle/layout.h"
#include "bundle/utf8_locale.h"

namespace custody::bundle {

namespace {
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
}  // namespace

Result<std::unique_ptr<TarWriter>> TarWriter::Open(io::WritableFile& out, UtcSeconds mtime) {
  std::unique_ptr<TarWriter> w(new TarWriter(out, mtime));
  w->archive_ = archive_write_new();
  if (w->archive_ == nullptr) return Error(ErrorCode::kInternal, "archive_write_new failed");
  if (archive_write_set_format_pax_restricted(w->archive_) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(w->archive_, 64 * 1024) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(w->archive_, 1) != ARCHIVE_OK ||
      archive_write_open2(w->archive_, w.get(), nullptr, &TarWriter::WriteCallback, nullptr, nullptr) !=
          ARCHIVE_OK) {
    return w->ArchiveError("open tar writer").error();
  }
  return w;
}

TarWriter::~TarWriter() {
  if (archive_ != nullptr) archive_write_free(archive_);
}

la_ssize_t TarWriter::WriteCallback(struct archive*, void* self, const void* buffer, size_t length) {
  auto* w = static_cast<TarWriter*>(self);
  Status s = w->out_.Append({static_cast<const std::uint8_t*>(buffer), length});
  if (!s) {
    w->write_status_ = s;
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

Status TarWriter::ArchiveError(std::string_view what) {
  if (!write_status_) return write_status_;
  const char* msg = archive_error_string(archive_);
  return Error(ErrorCode::kIo, std::string(what) + ": " + (msg ? msg : "libarchive error"));
}

Status TarWriter::AddHeader(std::string_view path, bool directory, std::uint64_t size) {
  if (remaining_ != 0) return Error(ErrorCode::kInternal, "tar: previous file entry not complete");
  Utf8CtypeScope utf8;
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  std::string name(path);
  if (directory && (name.empty() || name.back() != '/')) name.push_back('/');
  archive_entry_copy_pathname(entry.get(), name.c_str());  // UTF-8: seal refuses other names
  archive_entry_set_filetype(entry.get(), directory ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(entry.get(), directory ? kDirMode : kFileMode);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  archive_entry_set_mtime(entry.get(), static_cast<time_t>(mtime_.time_since_epoch().count()), 0);
  archive_entry_set_size(entry.get(), directory ? 0 : static_cast<la_int64_t>(size));
  if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) return ArchiveError("write tar header " + name);
  remaining_ = directory ? 0 : size;
  return Status::Ok();
}

Status TarWriter::AddDirectory(std::string_view path) { return AddHeader(path, true, 0); }

Status TarWriter::BeginFile(std::string_view path, std::uint64_t size) { return AddHeader(path, false, size); }

Status TarWriter::WriteData(std::span<const std::uint8_t> data) {
  if (data.size() > remaining_) return Error(ErrorCode::kIo, "tar: more data than the entry's declared size");
  while (!data.empty()) {
    la_ssize_t n = archive_write_data(archive_, data.data(), data.size());
    if (n <= 0) return ArchiveError("write tar data");
    data = data.subspan(static_cast<size_t>(n));
    remaining_ -= static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

Status TarWriter::AddFile(std::string_view path, std::string_view contents) {
  CUSTODY_RETURN_IF_ERROR(BeginFile(path, contents.size()));
  return WriteData({reinterpret_cast<const std::uint8_t*>(contents.data()), contents.size()});
}

Status TarWriter::Finish() {
  if (remaining_ != 0) return Error(ErrorCode::kIo, "tar: a file entry is shorter than declared");
  if (finished_) return Status::Ok();
  finished_ = true;
  Utf8CtypeScope utf8;
  if (archive_write_close(archive_) != ARCHIVE_OK) return ArchiveError("finish tar");
  return Status::Ok();
}

}  // namespace custody::bundle
