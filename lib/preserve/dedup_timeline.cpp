#include "preserve/dedup_timeline.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace custody::preserve {

namespace {

// The members a record's identity needs, read in one pass over the line without building a
// document (a nightly run reads every record here; a full parse doubled its normalization cost).
class IdentityFields : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, IdentityFields> {
 public:
  std::string source, stream, event_type, timestamp_original, raw_sha256;
  std::optional<std::string> event_id, request_id;

  bool Key(const char* s, rapidjson::SizeType n, bool) {
    key_.assign(s, n);
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    std::string* target = nullptr;
    if (depth_ == 1) {
      if (key_ == "source") target = &source;
      if (key_ == "stream") target = &stream;
      if (key_ == "event_type") target = &event_type;
      if (key_ == "timestamp_original") target = &timestamp_original;
    } else if (depth_ == 2 && parent_ == "correlation") {
      if (key_ == "event_id" && n > 0) event_id.emplace(s, n);
      if (key_ == "request_id" && n > 0) request_id.emplace(s, n);
    } else if (depth_ == 2 && parent_ == "provenance" && key_ == "raw_sha256") {
      target = &raw_sha256;
    }
    if (target != nullptr) target->assign(s, n);
    return true;
  }
  bool StartObject() {
    if (depth_ == 1) parent_ = key_;
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    if (depth_ == 1) parent_.clear();
    return true;
  }
  bool Default() { return true; }

 private:
  int depth_ = 0;
  std::string key_;
  std::string parent_;
};

}  // namespace

DedupTimeline::DedupTimeline(std::unique_ptr<normalize::TimelineWriter> inner, const SeenSet& sealed)
    : inner_(std::move(inner)), sealed_(sealed) {}

Result<bool> DedupTimeline::Admit(std::uint64_t source_index, std::int64_t timestamp_ms, const std::string& line) {
  IdentityFields f;
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(line.data(), line.size());
  if (!reader.Parse(ms, f) || line.empty() || line.front() != '{') {
    return Error(ErrorCode::kInternal, "a timeline line is not a JSON object: " + line.substr(0, 80));
  }
  const std::string& stream = f.stream;
  const auto& event_id = f.event_id;
  const auto& request_id = f.request_id;
  const RecordId id = IdentityOf(f.source, stream, f.event_type, event_id, request_id, f.raw_sha256,
                                 f.timestamp_original);
  std::lock_guard<std::mutex> lock(mu_);
  StreamTally& t = tallies_[{source_index, stream}];
  if (sealed_.Contains(id)) {
    ++t.already_sealed;
    return false;
  }
  if (!fresh_.Insert(id, timestamp_ms)) {
    ++t.repeated_in_run;
    return false;
  }
  ++t.new_records;
  if (!t.newest_ms || timestamp_ms >= *t.newest_ms) {
    t.newest_ms = timestamp_ms;
    t.newest_id = event_id.value_or(request_id.value_or(""));
  }
  return true;
}

Status DedupTimeline::Add(std::int64_t timestamp_ms, std::string line) {
  auto admit = Admit(0, timestamp_ms, line);
  if (!admit) return admit.error();
  if (!*admit) return Status::Ok();
  return inner_->Add(timestamp_ms, std::move(line));
}

Status DedupTimeline::AddOrdered(std::int64_t timestamp_ms, std::uint64_t order_key, std::string line) {
  auto admit = Admit(order_key >> 56, timestamp_ms, line);
  if (!admit) return admit.error();
  if (!*admit) return Status::Ok();
  return inner_->AddOrdered(timestamp_ms, order_key, std::move(line));
}

std::map<std::pair<std::uint64_t, std::string>, StreamTally> DedupTimeline::tallies() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tallies_;
}

}  // namespace custody::preserve
