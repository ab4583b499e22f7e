#include "bundle/custody_append.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "bundle/bag_reader.h"
#include "bundle/layout.h"
#include "bundle/tar_writer.h"
#include "core/encoding.h"
#include "io/atomic_output.h"

namespace custody::bundle {

namespace {
class LogReader final : public BagVisitor {
 public:
  void OnProblem(EntryProblem p) override { problems.push_back(p.message); }
  bool OnFile(const std::string& path, std::uint64_t) override {
    reading = path == kCustodyLog;
    if (reading) found = true;
    return reading;
  }
  Status OnData(std::span<const std::uint8_t> chunk) override {
    if (reading) log.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return Status::Ok();
  }
  std::string log;
  bool found = false;
  bool reading = false;
  std::vector<std::string> problems;
};
}  // namespace

Result<CustodyTail> ReadCustodyTail(const std::filesystem::path& bundle) {
  std::error_code ec;
  CustodyTail tail;
  tail.is_tar = !std::filesystem::is_directory(bundle, ec);
  LogReader reader;
  auto summary = tail.is_tar ? ScanTar(bundle, reader) : ScanFolder(bundle, reader);
  if (!summary) return summary.error();
  if (!summary->readable) return Error(ErrorCode::kIntegrity, bundle.string() + ": " + summary->unreadable_reason);
  if (!reader.problems.empty()) return Error(ErrorCode::kIntegrity, bundle.string() + ": " + reader.problems.front());
  if (!reader.found) return Error(ErrorCode::kIntegrity, bundle.string() + " has no " + std::string(kCustodyLog));
  tail.top = summary->top;
  tail.log = std::move(reader.log);
  if (tail.is_tar) {
    if (summary->last_path != summary->top + "/" + std::string(kCustodyLog)) {
      return Error(ErrorCode::kIntegrity, bundle.string() + ": the custody log is not the archive's last entry");
    }
    tail.header_offset = summary->last_header_offset;
  }
  return tail;
}

namespace {
Status CopyPrefix(const std::filesystem::path& from, io::WritableFile& to, std::int64_t length) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return io::ErrnoError("open " + from.string(), errno);
  std::vector<std::uint8_t> buf(1 << 20);
  std::int64_t left = length;
  Status status;
  while (left > 0) {
    ssize_t n = ::read(in, buf.data(), static_cast<size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size()))));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = n == 0 ? Status(Error(ErrorCode::kIo, from.string() + " is shorter than expected"))
                      : Status(io::ErrnoError("read " + from.string(), errno));
      break;
    }
    status = to.Append({buf.data(), static_cast<size_t>(n)});
    if (!status) break;
    left -= n;
  }
  ::close(in);
  return status;
}
}  // namespace

Status AppendCustodyLine(io::FileSystem& fs, const std::filesystem::path& bundle, const CustodyTail& tail,
                         const std::string& line, UtcSeconds mtime) {
  std::string new_log = tail.log + line + "\n";
  if (!tail.is_tar) {
    return io::WriteFileAtomically(fs, bundle / std::string(kCustodyLog), new_log, 0644, true);
  }
  struct stat st;
  if (::stat(bundle.c_str(), &st) != 0) return io::ErrnoError("stat " + bundle.string(), errno);
  auto out = io::AtomicOutput::Create(fs, bundle, st.st_mode & 0777, true);
  if (!out) return out.error();
  CUSTODY_RETURN_IF_ERROR(CopyPrefix(bundle, (*out)->file(), tail.header_offset));
  auto tar = TarWriter::Open((*out)->file(), mtime);
  if (!tar) return tar.error();
  CUSTODY_RETURN_IF_ERROR((*tar)->AddFile(tail.top + "/" + std::string(kCustodyLog), new_log));
  CUSTODY_RETURN_IF_ERROR((*tar)->Finish());
  return (*out)->Commit();
}

}  // namespace custody::bundle
