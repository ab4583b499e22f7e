#include "normalize/timeline.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <system_error>
#include <vector>

namespace custody::normalize {

namespace {

// A merge reads one record from every run at once; beyond this many runs they are first merged
// in groups, so a tiny budget never runs out of file descriptors.
constexpr size_t kMaxFanIn = 256;
constexpr size_t kFileBuffer = 256u << 10;

struct Entry {
  std::int64_t ts;
  std::uint64_t seq;  // global insertion order: the tie-breaker that makes the order total
  std::string line;
};

bool Before(const Entry& a, const Entry& b) { return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq; }

Error IoError(const std::string& what, const std::filesystem::path& path, int err) {
  return Error(ErrorCode::kIo, what + " " + path.string() + ": " + std::strerror(err));
}

// A FILE* that closes itself; run files are private, sequential and fully buffered.
struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Creates a file that must not exist yet (O_EXCL): never overwrite evidence or another run.
Result<FilePtr> CreateNew(const std::filesystem::path& path, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return IoError("create", path, errno);
  std::FILE* f = ::fdopen(fd, "wb");
  if (!f) {
    const int err = errno;
    ::close(fd);
    return IoError("open", path, err);
  }
  // stdio's default buffer is one 4 KiB block: a write(2) per few lines.
  std::setvbuf(f, nullptr, _IOFBF, kFileBuffer);
  return FilePtr(f);
}

// Run file record: int64 timestamp, uint64 sequence, uint64 length, then the line's bytes.
// Native byte order: the files live and die within one process.
bool WriteEntry(std::FILE* f, const Entry& e) {
  const std::uint64_t len = e.line.size();
  return std::fwrite(&e.ts, sizeof e.ts, 1, f) == 1 && std::fwrite(&e.seq, sizeof e.seq, 1, f) == 1 &&
         std::fwrite(&len, sizeof len, 1, f) == 1 &&
         (len == 0 || std::fwrite(e.line.data(), 1, len, f) == len);
}

// Reads the next record's key (timestamp, sequence, line length); false at a clean end.
Result<bool> ReadKey(std::FILE* f, Entry& e, std::uint64_t& len, const std::filesystem::path& path) {
  if (std::fread(&e.ts, sizeof e.ts, 1, f) != 1) {
    if (std::feof(f) && !std::ferror(f)) return false;
    return IoError("read", path, errno);
  }
  if (std::fread(&e.seq, sizeof e.seq, 1, f) != 1 || std::fread(&len, sizeof len, 1, f) != 1) {
    return Error(ErrorCode::kIo, "read " + path.string() + ": truncated run file");
  }
  return true;
}

// Reads the next record; false at a clean end, error on a short record.
Result<bool> ReadEntry(std::FILE* f, Entry& e, const std::filesystem::path& path) {
  std::uint64_t len = 0;
  auto key = ReadKey(f, e, len, path);
  if (!key || !*key) return key;
  e.line.resize(len);
  if (len != 0 && std::fread(e.line.data(), 1, len, f) != len) {
    return Error(ErrorCode::kIo, "read " + path.string() + ": truncated run file");
  }
  return true;
}

// A sorted run: either one file of records (WriteEntry), or the in-order run, whose lines are
// already in the output's form (line + LF) with their keys beside them in a second file.
struct Run {
  std::filesystem::path path;
  std::filesystem::path keys;  // empty for a plain run file
};

Result<FilePtr> OpenRead(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rbe");
  if (!f) return IoError("open", path, errno);
  std::setvbuf(f, nullptr, _IOFBF, kFileBuffer);
  return FilePtr(f);
}

class RunReader {
 public:
  static Result<std::unique_ptr<RunReader>> Open(const Run& run) {
    auto f = OpenRead(run.path);
    if (!f) return f.error();
    FilePtr keys;
    if (!run.keys.empty()) {
      auto k = OpenRead(run.keys);
      if (!k) return k.error();
      keys = std::move(*k);
    }
    auto reader = std::unique_ptr<RunReader>(new RunReader(run, std::move(*f), std::move(keys)));
    auto more = reader->Next();
    if (!more) return more.error();
    return reader;
  }
  // Advances to the next record; done() afterwards when there was none.
  Result<bool> Next() {
    auto r = keys_ ? ReadKeyed() : ReadEntry(file_.get(), current_, run_.path);
    if (!r) return r.error();
    done_ = !*r;
    return *r;
  }
  bool done() const { return done_; }
  Entry& current() { return current_; }

 private:
  RunReader(Run run, FilePtr file, FilePtr keys) : run_(std::move(run)), file_(std::move(file)), keys_(std::move(keys)) {}

  Result<bool> ReadKeyed() {
    std::uint64_t len = 0;
    auto key = ReadKey(keys_.get(), current_, len, run_.keys);
    if (!key || !*key) return key;
    current_.line.resize(len);
    if ((len != 0 && std::fread(current_.line.data(), 1, len, file_.get()) != len) || std::fgetc(file_.get()) != '\n') {
      return Error(ErrorCode::kIo, "read " + run_.path.string() + ": truncated in-order run");
    }
    return true;
  }

  Run run_;
  FilePtr file_;
  FilePtr keys_;
  Entry current_;
  bool done_ = false;
};

// Gathers output lines into pieces of about kFileBuffer bytes for a sink: one call per piece,
// not per line.
class LineBuffer {
 public:
  explicit LineBuffer(const TimelineWriter::Sink& sink) : sink_(sink) { buffer_.reserve(kFileBuffer + 4096); }
  Status Line(std::string_view line) {
    buffer_.append(line);
    buffer_.push_back('\n');
    return buffer_.size() >= kFileBuffer ? Flush() : Status::Ok();
  }
  Status Flush() {
    if (buffer_.empty()) return Status::Ok();
    Status s = sink_(buffer_);
    buffer_.clear();
    return s;
  }

 private:
  const TimelineWriter::Sink& sink_;
  std::string buffer_;
};

Status CloseChecked(FilePtr file, const std::filesystem::path& path) {
  std::FILE* f = file.release();
  const bool flushed = std::fflush(f) == 0;
  const int err = errno;
  const bool closed = std::fclose(f) == 0;
  if (!flushed || !closed) return IoError("write", path, flushed ? errno : err);
  return Status::Ok();
}

class TimelineWriterImpl final : public TimelineWriter {
 public:
  TimelineWriterImpl(std::filesystem::path work_dir, std::size_t budget)
      : work_dir_(std::move(work_dir)), budget_(budget) {
    // Distinct names for writers sharing a work folder (same process or not).
    char tag[64];
    std::snprintf(tag, sizeof tag, "timeline-%ld-%p-", static_cast<long>(::getpid()), static_cast<void*>(this));
    prefix_ = tag;
  }
  ~TimelineWriterImpl() override { RemoveRuns(); }

  Status Add(std::int64_t timestamp_ms, std::string line) override {
    std::lock_guard<std::mutex> lock(mu_);
    return AddLocked(timestamp_ms, count_, std::move(line));
  }

  Status AddOrdered(std::int64_t timestamp_ms, std::uint64_t order_key, std::string line) override {
    std::lock_guard<std::mutex> lock(mu_);
    return AddLocked(timestamp_ms, order_key, std::move(line));
  }

  Status Finish(const std::filesystem::path& out) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return Error(ErrorCode::kInvalidArgument, "timeline: Finish called twice");
    if (closed_) return Error(ErrorCode::kInvalidArgument, "timeline: Finish after Close");
    finished_ = true;
    Status status = FinishImpl(out);
    RemoveRuns();
    if (!status.ok() && created_out_) {
      // Only a file this call created: never one that was there before (CreateNew refused it).
      std::error_code ec;
      std::filesystem::remove(out, ec);
    }
    return status;
  }

  std::uint64_t count() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

  Result<std::uint64_t> Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return Error(ErrorCode::kInvalidArgument, "timeline: Close after Finish");
    if (closed_) return Error(ErrorCode::kInvalidArgument, "timeline: Close called twice");
    CUSTODY_RETURN_IF_ERROR(CloseImpl());
    return bytes_;
  }

  Status WriteTo(const Sink& sink) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closed_) return Error(ErrorCode::kInvalidArgument, "timeline: WriteTo before Close");
    return WriteImpl(sink);
  }

 private:
  Status AddLocked(std::int64_t timestamp_ms, std::uint64_t seq, std::string line) {
    if (finished_ || closed_) return Error(ErrorCode::kInvalidArgument, "timeline: Add after Finish or Close");
    // A line end inside a line would split it in two in the output.
    if (line.find('\n') != std::string::npos) {
      return Error(ErrorCode::kInvalidArgument, "timeline: a line contains a line feed");
    }
    if (in_order_) {
      const bool after = count_ == 0 || timestamp_ms > last_ts_ || (timestamp_ms == last_ts_ && seq > last_seq_);
      if (after) {
        CUSTODY_RETURN_IF_ERROR(AppendInOrder(timestamp_ms, seq, line));
        ++count_;
        bytes_ += line.size() + 1;
        return Status::Ok();
      }
      // The first line out of order: what was written so far becomes one sorted run among others.
      CUSTODY_RETURN_IF_ERROR(CloseInOrder());
    }
    held_ += line.size() + sizeof(Entry);
    bytes_ += line.size() + 1;
    entries_.push_back(Entry{timestamp_ms, seq, std::move(line)});
    ++count_;
    if (held_ > budget_) return Spill();
    return Status::Ok();
  }

  // While every line comes after the one before (one stream read in time order, the usual case),
  // lines go straight to a file in the output's form, keys beside them: nothing is held, sorted or
  // merged, and Finish only links that file into place.
  Status AppendInOrder(std::int64_t ts, std::uint64_t seq, const std::string& line) {
    if (!in_order_lines_) {
      in_order_run_ = Run{work_dir_ / (prefix_ + "in-order.jsonl"), work_dir_ / (prefix_ + "in-order.keys")};
      auto lines = CreateNew(in_order_run_->path, 0644);
      if (!lines) return lines.error();
      in_order_lines_ = std::move(*lines);
      auto keys = CreateNew(in_order_run_->keys, 0600);
      if (!keys) return keys.error();
      in_order_keys_ = std::move(*keys);
    }
    const std::uint64_t len = line.size();
    std::FILE* k = in_order_keys_.get();
    if (std::fwrite(&ts, sizeof ts, 1, k) != 1 || std::fwrite(&seq, sizeof seq, 1, k) != 1 ||
        std::fwrite(&len, sizeof len, 1, k) != 1) {
      return IoError("write", in_order_run_->keys, errno);
    }
    std::FILE* f = in_order_lines_.get();
    if ((len != 0 && std::fwrite(line.data(), 1, len, f) != len) || std::fputc('\n', f) == EOF) {
      return IoError("write", in_order_run_->path, errno);
    }
    last_ts_ = ts;
    last_seq_ = seq;
    return Status::Ok();
  }

  // Ends the in-order path for good; its files (if any) stay as a run for the merge.
  Status CloseInOrder() {
    in_order_ = false;
    if (!in_order_lines_) return Status::Ok();
    CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(in_order_lines_), in_order_run_->path));
    CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(in_order_keys_), in_order_run_->keys));
    runs_.push_back(*in_order_run_);
    return Status::Ok();
  }

  // Every line came in order: the in-order file is the timeline. Linked, so an existing out is
  // never replaced; copied when out is on another file system.
  Status FinishInOrder(const std::filesystem::path& out) {
    const Run run = *in_order_run_;
    CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(in_order_lines_), run.path));
    CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(in_order_keys_), run.keys));
    if (::link(run.path.c_str(), out.c_str()) == 0) {
      created_out_ = true;
      return Status::Ok();
    }
    if (errno != EXDEV && errno != EPERM && errno != EMLINK) return IoError("create", out, errno);
    auto file = CreateNew(out, 0644);
    if (!file) return file.error();
    created_out_ = true;
    auto in = OpenRead(run.path);
    if (!in) return in.error();
    std::vector<char> buffer(kFileBuffer);
    size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), in->get())) > 0) {
      if (std::fwrite(buffer.data(), 1, n, file->get()) != n) return IoError("write", out, errno);
    }
    if (std::ferror(in->get())) return IoError("read", run.path, errno);
    return CloseChecked(std::move(*file), out);
  }

  Status FinishImpl(const std::filesystem::path& out) {
    if (in_order_ && in_order_lines_) return FinishInOrder(out);
    CUSTODY_RETURN_IF_ERROR(CloseImpl());
    auto file = CreateNew(out, 0644);
    if (!file) return file.error();
    created_out_ = true;
    std::FILE* f = file->get();
    CUSTODY_RETURN_IF_ERROR(WriteImpl([&](std::string_view bytes) -> Status {
      if (std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) return IoError("write", out, errno);
      return Status::Ok();
    }));
    return CloseChecked(std::move(*file), out);
  }

  // Ends the input. What is left to do before the bytes can be produced is done here: the
  // in-memory lines are sorted, or spilled and, beyond kMaxFanIn runs, merged in groups.
  Status CloseImpl() {
    closed_ = true;
    mode_ = Mode::kFailed;  // until the end of this function
    if (in_order_ && in_order_lines_) {
      // Every line came in order: the in-order file is the timeline as it is.
      CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(in_order_lines_), in_order_run_->path));
      CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(in_order_keys_), in_order_run_->keys));
      mode_ = Mode::kInOrder;
      return Status::Ok();
    }
    in_order_ = false;
    if (runs_.empty()) {
      // Everything fit in memory: one sort, no run files.
      std::stable_sort(entries_.begin(), entries_.end(), Before);
      mode_ = Mode::kMemory;
      return Status::Ok();
    }
    CUSTODY_RETURN_IF_ERROR(Spill());
    while (runs_.size() > kMaxFanIn) {
      std::vector<Run> group(runs_.begin(), runs_.begin() + kMaxFanIn);
      auto path = NextRunPath();
      auto run = CreateNew(path, 0600);
      if (!run) return run.error();
      runs_.push_back(Run{path, {}});  // listed before it is filled, so a failure still removes it
      std::FILE* f = run->get();
      CUSTODY_RETURN_IF_ERROR(Merge(group, [&](const Entry& e) -> Status {
        return WriteEntry(f, e) ? Status::Ok() : IoError("write", path, errno);
      }));
      CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(*run), path));
      for (const auto& r : group) RemoveRun(r);
      runs_.erase(runs_.begin(), runs_.begin() + kMaxFanIn);
    }
    mode_ = Mode::kMerge;
    return Status::Ok();
  }

  // Produces the timeline's bytes after CloseImpl; reads, never changes, what CloseImpl left.
  Status WriteImpl(const Sink& sink) {
    switch (mode_) {
      case Mode::kInOrder: {
        auto in = OpenRead(in_order_run_->path);
        if (!in) return in.error();
        std::string buffer(kFileBuffer, '\0');
        size_t n;
        while ((n = std::fread(buffer.data(), 1, buffer.size(), in->get())) > 0) {
          CUSTODY_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), n)));
        }
        if (std::ferror(in->get())) return IoError("read", in_order_run_->path, errno);
        return Status::Ok();
      }
      case Mode::kMemory: {
        LineBuffer out(sink);
        for (const Entry& e : entries_) CUSTODY_RETURN_IF_ERROR(out.Line(e.line));
        return out.Flush();
      }
      case Mode::kMerge: {
        LineBuffer out(sink);
        CUSTODY_RETURN_IF_ERROR(Merge(runs_, [&](const Entry& e) { return out.Line(e.line); }));
        return out.Flush();
      }
      case Mode::kFailed:
        break;
    }
    return Error(ErrorCode::kInvalidArgument, "timeline: closing it failed, so it has no bytes to write");
  }

  std::filesystem::path NextRunPath() { return work_dir_ / (prefix_ + std::to_string(next_run_++) + ".run"); }

  // Sorts what is held and writes it as a run file.
  Status Spill() {
    if (entries_.empty()) return Status::Ok();
    std::stable_sort(entries_.begin(), entries_.end(), Before);
    auto path = NextRunPath();
    auto file = CreateNew(path, 0600);
    if (!file) return file.error();
    runs_.push_back(Run{path, {}});
    for (const Entry& e : entries_) {
      if (!WriteEntry(file->get(), e)) return IoError("write", path, errno);
    }
    CUSTODY_RETURN_IF_ERROR(CloseChecked(std::move(*file), path));
    entries_.clear();
    entries_.shrink_to_fit();
    held_ = 0;
    return Status::Ok();
  }

  // k-way merge keyed by (timestamp, sequence); the key is unique, so the result does not depend
  // on how the input was split into runs. Each record goes to emit, in order.
  Status Merge(const std::vector<Run>& inputs, const std::function<Status(const Entry&)>& emit) {
    std::vector<std::unique_ptr<RunReader>> readers;
    for (const auto& p : inputs) {
      auto r = RunReader::Open(p);
      if (!r) return r.error();
      readers.push_back(std::move(*r));
    }
    auto later = [&readers](size_t a, size_t b) { return Before(readers[b]->current(), readers[a]->current()); };
    std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
    for (size_t i = 0; i < readers.size(); ++i) {
      if (!readers[i]->done()) heap.push(i);
    }
    while (!heap.empty()) {
      const size_t i = heap.top();
      heap.pop();
      CUSTODY_RETURN_IF_ERROR(emit(readers[i]->current()));
      auto more = readers[i]->Next();
      if (!more) return more.error();
      if (*more) heap.push(i);
    }
    return Status::Ok();
  }

  static void RemoveRun(const Run& run) {
    std::error_code ec;
    std::filesystem::remove(run.path, ec);
    if (!run.keys.empty()) std::filesystem::remove(run.keys, ec);
  }

  void RemoveRuns() {
    for (const auto& r : runs_) RemoveRun(r);
    runs_.clear();
    in_order_lines_.reset();
    in_order_keys_.reset();
    if (in_order_run_) RemoveRun(*in_order_run_);  // after a link, out keeps the bytes
  }

  std::filesystem::path work_dir_;
  std::size_t budget_;
  std::string prefix_;
  std::vector<Entry> entries_;
  std::size_t held_ = 0;
  std::uint64_t count_ = 0;
  mutable std::mutex mu_;  // guards everything above and below
  std::vector<Run> runs_;
  std::uint64_t next_run_ = 0;
  bool in_order_ = true;  // every line so far came after the one before
  std::optional<Run> in_order_run_;
  FilePtr in_order_lines_;
  FilePtr in_order_keys_;
  std::int64_t last_ts_ = 0;
  std::uint64_t last_seq_ = 0;
  bool finished_ = false;
  bool created_out_ = false;
  // After Close: where WriteTo takes the bytes from.
  enum class Mode { kFailed, kInOrder, kMemory, kMerge };
  bool closed_ = false;
  Mode mode_ = Mode::kFailed;
  std::uint64_t bytes_ = 0;  // of the output: every line and its LF
};

}  // namespace

Result<std::unique_ptr<TimelineWriter>> TimelineWriter::Create(const std::filesystem::path& work_dir,
                                                              std::size_t memory_budget) {
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec) return Error(ErrorCode::kIo, "create " + work_dir.string() + ": " + ec.message());
  if (!std::filesystem::is_directory(work_dir, ec)) {
    return Error(ErrorCode::kIo, "timeline work folder " + work_dir.string() + " is not a folder");
  }
  return std::unique_ptr<TimelineWriter>(new TimelineWriterImpl(work_dir, memory_budget));
}

}  // namespace custody::normalize
