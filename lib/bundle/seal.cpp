#include "bundle/seal.h"

#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pwd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "bundle/custody_log.h"
#include "bundle/layout.h"
#include "bundle/statement.h"
#include "bundle/tar_writer.h"
#include "bundle/verify_instructions.h"
#include "core/encoding.h"
#include "crypto/cms.h"
#include "crypto/digest.h"
#include "io/atomic_output.h"
#include "io/payload_tree.h"
#include "json/json.h"

namespace custody::bundle {

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kPipeBuffers = 4;  // 4 MiB in flight between the two threads

// Writes the payload's tar entries on a second thread while the sealing thread reads, hashes (and,
// for a generated file, produces) the bytes, so hashing on one core and the kernel's copy into the
// bundle on the other overlap. The sealing thread fills buffers from a small pool and queues them
// with the entries' headers, in tar order; the writer hands them to the TarWriter. The first
// write error stops the writer, and the sealing thread gets it back from its next call (the
// bundle is then abandoned, as before). Close waits for everything queued.
class TarPipe {
 public:
  static constexpr size_t kNone = static_cast<size_t>(-1);

  explicit TarPipe(TarWriter& tar) : tar_(tar), buffers_(kPipeBuffers) {
    for (size_t i = 0; i < kPipeBuffers; ++i) {
      buffers_[i].resize(kChunk);
      free_.push_back(i);
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~TarPipe() { (void)Close(); }
  TarPipe(const TarPipe&) = delete;
  TarPipe& operator=(const TarPipe&) = delete;

  Status Directory(const std::string& path) { return Push(Item{Item::kDirectory, path, 0, kNone, 0}); }
  Status BeginFile(const std::string& path, std::uint64_t size) { return Push(Item{Item::kFile, path, size, kNone, 0}); }
  // A free buffer of kChunk bytes to fill, waiting for one; the writer's error once it failed.
  Result<size_t> Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return !free_.empty() || !status_.ok(); });
    if (!status_.ok()) return status_.error();
    const size_t b = free_.back();
    free_.pop_back();
    return b;
  }
  std::uint8_t* Data(size_t buffer) { return buffers_[buffer].data(); }
  // Queues the first n bytes of an acquired buffer as data of the entry begun last.
  Status Write(size_t buffer, size_t n) { return Push(Item{Item::kData, {}, 0, buffer, n}); }
  // Gives an acquired buffer back unused.
  void Release(size_t buffer) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(buffer);
    changed_.notify_all();
  }
  // Waits until everything queued is written, stops the writer and returns its status.
  Status Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  struct Item {
    enum Kind { kDirectory, kFile, kData } kind = kData;
    std::string path;
    std::uint64_t size = 0;
    size_t buffer = kNone;
    size_t n = 0;
  };

  Status Push(Item item) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_.ok()) {
      if (item.buffer != kNone) free_.push_back(item.buffer);
      return status_;
    }
    queue_.push_back(std::move(item));
    changed_.notify_all();
    return Status::Ok();
  }

  void Run() {
    for (;;) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [this] { return !queue_.empty() || closing_; });
        if (queue_.empty()) return;  // closing, and everything is written
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      Status s;
      switch (item.kind) {
        case Item::kDirectory:
          s = tar_.AddDirectory(item.path);
          break;
        case Item::kFile:
          s = tar_.BeginFile(item.path, item.size);
          break;
        case Item::kData:
          s = tar_.WriteData({buffers_[item.buffer].data(), item.n});
          break;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (item.buffer != kNone) free_.push_back(item.buffer);
      if (!s.ok()) {
        // Nothing after a failed write can be written: what is queued is dropped.
        status_ = s;
        for (const Item& rest : queue_) {
          if (rest.buffer != kNone) free_.push_back(rest.buffer);
        }
        queue_.clear();
      }
      changed_.notify_all();
      if (!s.ok()) return;
    }
  }

  TarWriter& tar_;
  std::vector<std::vector<std::uint8_t>> buffers_;
  std::mutex mu_;
  std::condition_variable changed_;  // a buffer freed, an item queued, closing, or an error
  std::vector<size_t> free_;
  std::deque<Item> queue_;
  Status status_;
  bool closing_ = false;
  std::thread thread_;
};

rapidjson::Value Str(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string UserName() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "uid " + std::to_string(::geteuid());
}

Status Cancelled(const SealRequest& r) {
  if (r.cancel != nullptr && r.cancel->load()) {
    return Error(ErrorCode::kCancelled, "interrupted: nothing was written to " + r.out.string());
  }
  return Status::Ok();
}

std::string MetadataJson(const SealRequest& r, const std::string& bundle_id, std::uint64_t files,
                         std::uint64_t bytes) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("format", Str("custody-collection/1", a), a);
  d.AddMember("bundle_id", Str(bundle_id, a), a);
  d.AddMember("case_id", Str(r.case_id, a), a);
  d.AddMember("examiner", Str(r.examiner, a), a);
  d.AddMember("sealed_at", Str(FormatRfc3339(r.sealed_at), a), a);
  d.AddMember("kind", Str(r.kind, a), a);
  rapidjson::Value collector(rapidjson::kObjectType);
  collector.AddMember("os_user", Str(UserName(), a), a);
  collector.AddMember("uid", static_cast<std::int64_t>(::geteuid()), a);
  collector.AddMember("host", Str(HostName(), a), a);
  d.AddMember("collector", collector, a);
  rapidjson::Value tool(rapidjson::kObjectType);
  tool.AddMember("name", Str(r.tool.name, a), a);
  tool.AddMember("version", Str(r.tool.version, a), a);
  tool.AddMember("git_commit", Str(r.tool.git_commit, a), a);
  tool.AddMember("binary_sha256", Str(r.tool.binary_sha256, a), a);
  tool.AddMember("compiler", Str(r.tool.compiler, a), a);
  d.AddMember("tool", tool, a);
  rapidjson::Value libs(rapidjson::kObjectType);
  for (const auto& [name, version] : r.tool.libraries) libs.AddMember(Str(name, a), Str(version, a), a);
  d.AddMember("libraries", libs, a);
  rapidjson::Value argv(rapidjson::kArrayType);
  for (const std::string& arg : r.command_line) argv.PushBack(Str(arg, a), a);
  d.AddMember("command_line", argv, a);
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(r.source_dir, ec);
  rapidjson::Value source(rapidjson::kObjectType);
  source.AddMember("folder", Str((ec ? r.source_dir : abs).lexically_normal().string(), a), a);
  d.AddMember("source", source, a);
  rapidjson::Value payload(rapidjson::kObjectType);
  payload.AddMember("files", files, a);
  payload.AddMember("bytes", bytes, a);
  d.AddMember("payload", payload, a);
  rapidjson::Value signer(rapidjson::kObjectType);
  signer.AddMember("subject", Str(crypto::SubjectString(r.signer->certificate()), a), a);
  signer.AddMember("cert_sha256", Str(crypto::CertificateSha256(r.signer->certificate()), a), a);
  d.AddMember("signer", signer, a);
  if (!r.collection_json.empty()) {
    rapidjson::Document collection(&a);
    collection.Parse(r.collection_json.data(), r.collection_json.size());
    if (!collection.HasParseError()) d.AddMember("collection", rapidjson::Value(collection, a), a);
  }
  return json::Pretty(d);
}

// Streams one payload file into the tar, hashing the same bytes. Fails if the file's size
// differs from what the listing saw (it changed while being sealed).
Result<std::string> CopyPayloadFile(io::FileSystem& fs, const SealRequest& r, const io::TreeEntry& entry,
                                    const std::string& tar_path, TarPipe& tar) {
  std::filesystem::path src = r.source_dir / entry.relative;
  auto file = fs.OpenForRead(src);
  if (!file) return file.error();
  if ((*file)->size() != entry.size) {
    return Error(ErrorCode::kIo, src.string() + " changed size while being sealed");
  }
  CUSTODY_RETURN_IF_ERROR(tar.BeginFile(tar_path, entry.size));
  crypto::Hasher hasher(crypto::DigestAlgorithm::kSha256);
  std::uint64_t total = 0;
  for (;;) {
    CUSTODY_RETURN_IF_ERROR(Cancelled(r));
    auto buffer = tar.Acquire();
    if (!buffer) return buffer.error();
    auto n = (*file)->Read({tar.Data(*buffer), kChunk});
    if (!n || *n == 0) tar.Release(*buffer);
    if (!n) return n.error();
    if (*n == 0) break;
    total += *n;
    if (total > entry.size) {
      tar.Release(*buffer);
      return Error(ErrorCode::kIo, src.string() + " grew while being sealed");
    }
    hasher.Update({tar.Data(*buffer), *n});
    CUSTODY_RETURN_IF_ERROR(tar.Write(*buffer, *n));
  }
  if (total != entry.size) return Error(ErrorCode::kIo, src.string() + " shrank while being sealed");
  return hasher.FinishHex();
}

// Streams a generated payload file into the tar, hashing the same bytes. Its pieces, of any
// size, are gathered into whole buffers for the writer.
Result<std::string> WriteGeneratedFile(const SealRequest& r, const SealRequest::GeneratedFile& file,
                                       const std::string& relative, const std::string& tar_path, TarPipe& tar) {
  CUSTODY_RETURN_IF_ERROR(tar.BeginFile(tar_path, file.size));
  crypto::Hasher hasher(crypto::DigestAlgorithm::kSha256);
  std::uint64_t total = 0;
  size_t buffer = TarPipe::kNone;  // being filled
  size_t filled = 0;
  Status written = file.write([&](std::span<const std::uint8_t> chunk) -> Status {
    if (Status cancelled = Cancelled(r); !cancelled) return cancelled;
    total += chunk.size();
    if (total > file.size) {
      return Error(ErrorCode::kInternal, relative + ": more bytes than the " + std::to_string(file.size) + " announced");
    }
    hasher.Update(chunk);
    while (!chunk.empty()) {
      if (buffer == TarPipe::kNone) {
        auto b = tar.Acquire();
        if (!b) return b.error();
        buffer = *b;
        filled = 0;
      }
      const size_t n = std::min(chunk.size(), kChunk - filled);
      std::memcpy(tar.Data(buffer) + filled, chunk.data(), n);
      filled += n;
      chunk = chunk.subspan(n);
      if (filled == kChunk) {
        const size_t full = buffer;
        buffer = TarPipe::kNone;
        if (Status queued = tar.Write(full, kChunk); !queued) return queued;
      }
    }
    return Status::Ok();
  });
  if (buffer != TarPipe::kNone) {
    if (written && filled > 0) {
      written = tar.Write(buffer, filled);
    } else {
      tar.Release(buffer);
    }
  }
  if (!written) return written.error();
  if (total != file.size) {
    return Error(ErrorCode::kInternal, relative + ": " + std::to_string(total) + " bytes, not the " +
                                           std::to_string(file.size) + " announced");
  }
  return hasher.FinishHex();
}

}  // namespace

std::string DeterministicUuid(std::string_view seed) {
  auto h = crypto::Sha256(AsBytes(seed));
  h[6] = static_cast<std::uint8_t>((h[6] & 0x0f) | 0x80);  // version 8
  h[8] = static_cast<std::uint8_t>((h[8] & 0x3f) | 0x80);  // RFC 9562 variant
  std::string hex = ToHex({h.data(), 16});
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

std::string TopFolderName(std::string_view case_id, UtcSeconds sealed_at) {
  std::string name;
  for (char c : case_id.substr(0, 64)) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    name += ok ? c : '_';
  }
  if (name.empty() || name[0] == '.') name.insert(0, "case");
  return name + "_" + FormatCompact(sealed_at);
}

Result<SealResult> Seal(io::FileSystem& fs, const SealRequest& r) {
  if (r.signer == nullptr) return Error(ErrorCode::kInternal, "seal: no signer");
  CUSTODY_RETURN_IF_ERROR(CheckHeaderValue("case id", r.case_id));
  CUSTODY_RETURN_IF_ERROR(CheckHeaderValue("examiner", r.examiner));
  CUSTODY_RETURN_IF_ERROR(CheckHeaderValue("time window", r.time_window));
  if (!r.collection_json.empty()) {
    rapidjson::Document collection;
    collection.Parse(r.collection_json.data(), r.collection_json.size());
    if (collection.HasParseError() || !collection.IsObject()) {
      return Error(ErrorCode::kInternal, "seal: the collection report is not a JSON object");
    }
  }
  // A bundle must not claim a sealing time its own certificate was not valid at.
  CUSTODY_RETURN_IF_ERROR(crypto::CheckValidAt(r.signer->certificate(), r.sealed_at));
  auto tree = io::ListPayloadTree(r.source_dir);
  if (!tree) return tree.error();
  // A generated file takes the place, and gets the size, of its empty stand-in.
  size_t stand_ins = 0;
  for (io::TreeEntry& e : *tree) {
    auto g = r.generated.find(e.relative);
    if (g == r.generated.end()) continue;
    if (e.is_directory || e.size != 0) {
      return Error(ErrorCode::kInternal, "seal: " + (r.source_dir / e.relative).string() +
                                             " should be an empty file standing in for generated bytes");
    }
    if (!g->second.write) return Error(ErrorCode::kInternal, "seal: no writer for " + e.relative);
    e.size = g->second.size;
    ++stand_ins;
  }
  if (stand_ins != r.generated.size()) {
    return Error(ErrorCode::kInternal, "seal: a generated file has no empty stand-in in " + r.source_dir.string());
  }
  SealResult result;
  for (const io::TreeEntry& e : *tree) {
    if (!e.is_directory) {
      ++result.payload_files;
      result.payload_bytes += e.size;
    }
  }
  if (result.payload_files == 0) {
    return Error(ErrorCode::kInvalidArgument, "folder " + r.source_dir.string() + " holds no files: nothing to seal");
  }
  // The output must not be inside the folder being sealed.
  std::error_code ec;
  auto src_abs = std::filesystem::weakly_canonical(r.source_dir, ec);
  auto out_abs = std::filesystem::weakly_canonical(r.out, ec);
  auto rel = out_abs.lexically_relative(src_abs);
  if (!rel.empty() && *rel.begin() != "..") {  // compare whole components: "..bundle.tar" is inside
    return Error(ErrorCode::kInvalidArgument, "the output " + r.out.string() + " must be outside the folder being sealed");
  }
  const std::string oxum = std::to_string(result.payload_bytes) + "." + std::to_string(result.payload_files);

  auto out = io::AtomicOutput::Create(fs, r.out, 0644, r.overwrite);
  if (!out) return out.error();
  auto tar = TarWriter::Open((*out)->file(), r.sealed_at);
  if (!tar) return tar.error();

  result.top_folder = TopFolderName(r.case_id, r.sealed_at);
  result.sealed_at = FormatRfc3339(r.sealed_at);
  const std::string top = result.top_folder + "/";

  CUSTODY_RETURN_IF_ERROR((*tar)->AddDirectory(top));
  CUSTODY_RETURN_IF_ERROR((*tar)->AddDirectory(top + std::string(kPayloadDir)));
  std::string manifest;
  manifest.reserve(static_cast<size_t>(result.payload_files) * 96);
  {
    TarPipe pipe(**tar);
    for (const io::TreeEntry& e : *tree) {
      CUSTODY_RETURN_IF_ERROR(Cancelled(r));
      std::string bag_path = std::string(kPayloadDir) + "/" + e.relative;
      if (e.is_directory) {
        CUSTODY_RETURN_IF_ERROR(pipe.Directory(top + bag_path));
        continue;
      }
      auto g = r.generated.find(e.relative);
      auto digest = g != r.generated.end() ? WriteGeneratedFile(r, g->second, e.relative, top + bag_path, pipe)
                                           : CopyPayloadFile(fs, r, e, top + bag_path, pipe);
      if (!digest) return digest.error();
      manifest += *digest + "  " + bag_path + "\n";
    }
    CUSTODY_RETURN_IF_ERROR(pipe.Close());  // the payload is in the tar; the rest on this thread
  }

  // The bundle id commits to the payload through the manifest's digest.
  result.bundle_id = DeterministicUuid(std::string(kFormat) + "\n" + r.case_id + "\n" + r.examiner + "\n" +
                                       FormatRfc3339(r.sealed_at) + "\n" + crypto::Sha256Hex(manifest) + "\n");

  // Tag files.
  const std::string signer_fp = crypto::CertificateSha256(r.signer->certificate());
  std::string signer_pem;
  for (const auto& cert : r.signer->chain) {
    auto pem = crypto::CertificateToPem(cert.get());
    if (!pem) return pem.error();
    signer_pem += *pem;
  }
  std::string bag_info;
  bag_info += "Bag-Software-Agent: " + r.tool.name + " " + r.tool.version + " (commit " + r.tool.git_commit +
              ", binary sha256:" + r.tool.binary_sha256 + ")\n";
  bag_info += "Bagging-Date: " + FormatDate(r.sealed_at) + "\n";
  bag_info += "Bundle-Identifier: " + result.bundle_id + "\n";
  bag_info += "Examiner: " + r.examiner + "\n";
  bag_info += "External-Identifier: " + r.case_id + "\n";
  bag_info += "Payload-Oxum: " + oxum + "\n";
  std::string metadata = MetadataJson(r, result.bundle_id, result.payload_files, result.payload_bytes);
  VerifyInstructionsInput vi;
  vi.top_folder = result.top_folder;
  vi.bundle_id = result.bundle_id;
  vi.case_id = r.case_id;
  vi.sealed_at = FormatRfc3339(r.sealed_at);
  vi.sealed_at_epoch = r.sealed_at.time_since_epoch().count();
  vi.signer_subject = crypto::SubjectString(r.signer->certificate());
  vi.signer_fingerprint = OpensslFingerprint(signer_fp);
  vi.payload_oxum = oxum;
  std::string verify_txt = RenderVerifyInstructions(vi);

  std::vector<std::pair<std::string, std::string>> tag_contents = {
      {std::string(kVerifyTxt), verify_txt},    {std::string(kBagInfo), bag_info},
      {std::string(kBagitTxt), std::string(kBagitTxtContent)}, {std::string(kManifest), manifest},
      {std::string(kMetadata), metadata},       {std::string(kSignerCert), signer_pem}};
  std::string tagmanifest;
  Statement statement;
  for (const auto& [path, contents] : tag_contents) {
    std::string digest = crypto::Sha256Hex(contents);
    tagmanifest += digest + "  " + path + "\n";
    statement.files.emplace_back(path, digest);
  }
  statement.files.emplace_back(std::string(kTagManifest), crypto::Sha256Hex(tagmanifest));
  statement.bundle_id = result.bundle_id;
  statement.case_id = r.case_id;
  statement.examiner = r.examiner;
  statement.sealed_at = FormatRfc3339(r.sealed_at);
  statement.payload_oxum = oxum;
  statement.previous_statement_sha256 = r.previous_statement_sha256;
  statement.time_window = r.time_window;
  std::string statement_text = RenderStatement(statement);
  result.statement_sha256 = crypto::Sha256Hex(statement_text);
  auto signature = crypto::CmsSignDetached(statement_text, *r.signer);
  if (!signature) return signature.error();

  CustodyEvent sealed;
  sealed.seq = 1;
  sealed.time = FormatRfc3339(r.sealed_at);
  sealed.action = "sealed";
  sealed.statement_sha256 = result.statement_sha256;
  sealed.prev_sha256 = std::string(kZeroSha256);
  sealed.details = {{"bundle_id", result.bundle_id}, {"case_id", r.case_id}, {"examiner", r.examiner}};
  sealed.tool = r.tool.name + " " + r.tool.version;
  auto custody_line = SignCustodyEvent(sealed, *r.signer);
  if (!custody_line) return custody_line.error();

  // Tag entries in bytewise order, the custody log last (see docs/bundle-format.md).
  std::vector<std::pair<std::string, std::string>> entries = tag_contents;
  entries.emplace_back(std::string(kTagManifest), tagmanifest);
  entries.emplace_back(std::string(kStatement), statement_text);
  entries.emplace_back(std::string(kSignature), *signature);
  std::sort(entries.begin(), entries.end());
  bool metadata_dir_written = false;
  for (const auto& [path, contents] : entries) {
    if (!metadata_dir_written && path.rfind("metadata/", 0) == 0) {
      CUSTODY_RETURN_IF_ERROR((*tar)->AddDirectory(top + "metadata"));
      metadata_dir_written = true;
    }
    CUSTODY_RETURN_IF_ERROR((*tar)->AddFile(top + path, contents));
  }
  CUSTODY_RETURN_IF_ERROR((*tar)->AddFile(top + std::string(kCustodyLog), *custody_line + "\n"));
  CUSTODY_RETURN_IF_ERROR((*tar)->Finish());
  CUSTODY_RETURN_IF_ERROR(Cancelled(r));
  CUSTODY_RETURN_IF_ERROR((*out)->Commit());
  return result;
}

}  // namespace custody::bundle
