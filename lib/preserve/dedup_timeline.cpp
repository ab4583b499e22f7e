#include "preserve/dedup_timeline.h"

#include <rapidjson/document.h>

namespace custody::preserve {

namespace {

std::string Member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<std::string> Optional(const rapidjson::Value& object, const char* name) {
  std::string v = Member(object, name);
  if (v.empty()) return std::nullopt;
  return v;
}

}  // namespace

DedupTimeline::DedupTimeline(std::unique_ptr<normalize::TimelineWriter> inner, const SeenSet& sealed)
    : inner_(std::move(inner)), sealed_(sealed) {}

Result<bool> DedupTimeline::Admit(std::uint64_t source_index, std::int64_t timestamp_ms, const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Error(ErrorCode::kInternal, "a timeline line is not a JSON object: " + line.substr(0, 80));
  }
  const std::string stream = Member(doc, "stream");
  const rapidjson::Value empty(rapidjson::kObjectType);
  auto sub = [&](const char* name) -> const rapidjson::Value& {
    auto it = doc.FindMember(name);
    return it == doc.MemberEnd() ? empty : it->value;
  };
  const rapidjson::Value& correlation = sub("correlation");
  const rapidjson::Value& provenance = sub("provenance");
  const auto event_id = Optional(correlation, "event_id");
  const auto request_id = Optional(correlation, "request_id");
  const RecordId id = IdentityOf(Member(doc, "source"), stream, Member(doc, "event_type"), event_id, request_id,
                                 Member(provenance, "raw_sha256"), Member(doc, "timestamp_original"));
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
