#include "connectors/common/source_report.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace custody::connectors {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(JsonWriter& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void OptStr(JsonWriter& w, const std::string& s) {
  if (s.empty()) {
    w.Null();
  } else {
    Str(w, s);
  }
}

void StrArray(JsonWriter& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& s : items) Str(w, s);
  w.EndArray();
}

// Embeds a JSON object given as text (details_json, a source's JSON); it was produced by
// custody itself, so a parse failure is a bug: say so in the output rather than drop it.
void RawObject(JsonWriter& w, const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    w.StartObject();
    Str(w, "invalid_details");
    Str(w, json);
    w.EndObject();
    return;
  }
  d.Accept(w);
}

}  // namespace

std::string SourceJson(const SourceReport& r) {
  if (!r.json_override.empty()) return r.json_override;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "name"); Str(w, r.name);
  Str(w, "type"); Str(w, r.type);
  Str(w, "base_url"); Str(w, r.base_url);
  Str(w, "collector_identity"); OptStr(w, r.collector_identity);
  Str(w, "complete"); w.Bool(r.complete);
  Str(w, "stop_reason"); Str(w, SourceStopName(r.stop));
  Str(w, "stop_detail"); OptStr(w, r.stop_detail);
  Str(w, "auth");
  w.StartObject();
  Str(w, "mode"); Str(w, r.auth_mode);
  Str(w, "client_id"); OptStr(w, r.client_id);
  Str(w, "grants");
  w.StartArray();
  for (const auto& g : r.grants) {
    w.StartObject();
    Str(w, "grant_type"); Str(w, g.grant_type);
    Str(w, "token_url"); Str(w, g.token_url);
    Str(w, "requested_at"); Str(w, g.requested_at);
    Str(w, "http_status"); w.Int(g.http_status);
    Str(w, "identity_url"); OptStr(w, g.identity_url);
    Str(w, "error"); OptStr(w, g.error);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  Str(w, "clock");
  w.StartObject();
  Str(w, "samples"); w.Uint64(r.clock.samples);
  Str(w, "min_skew_ms"); w.Int64(r.clock.min_skew_ms);
  Str(w, "max_skew_ms"); w.Int64(r.clock.max_skew_ms);
  Str(w, "first_server_date"); OptStr(w, r.clock.first_date);
  Str(w, "first_local_time"); OptStr(w, r.clock.first_local);
  w.EndObject();
  Str(w, "requests"); w.Uint64(r.requests);
  Str(w, "details"); RawObject(w, r.details_json);
  Str(w, "streams");
  w.StartArray();
  for (const auto& s : r.streams) {
    w.StartObject();
    Str(w, "name"); Str(w, s.name);
    Str(w, "status"); Str(w, s.status);
    Str(w, "normalized_records"); w.Uint64(s.records);
    Str(w, "items");
    w.StartArray();
    for (const auto& i : s.items) {
      w.StartObject();
      Str(w, "object"); Str(w, i.object);
      Str(w, "method"); OptStr(w, i.method);
      Str(w, "status"); Str(w, i.status);
      Str(w, "request"); OptStr(w, i.request);
      Str(w, "expected");
      if (i.expected) {
        w.Uint64(*i.expected);
      } else {
        w.Null();
      }
      Str(w, "expected_from"); OptStr(w, i.expected_from);
      Str(w, "received"); w.Uint64(i.received);
      Str(w, "unit"); OptStr(w, i.unit);
      Str(w, "pages"); w.Uint64(i.pages);
      Str(w, "gaps"); StrArray(w, i.gaps);
      Str(w, "notes"); StrArray(w, i.notes);
      Str(w, "server_answer"); OptStr(w, i.server_answer);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  Str(w, "normalized");
  w.StartObject();
  Str(w, "records"); w.Uint64(r.normalized_records);
  Str(w, "untimed_records"); w.Uint64(r.untimed_records);
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string CollectionJson(const CollectionSummary& s) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  Str(w, "complete"); w.Bool(s.complete);
  Str(w, "stop_reason"); Str(w, s.stop_reason);
  Str(w, "stop_detail"); OptStr(w, s.stop_detail);
  Str(w, "window");
  w.StartObject();
  Str(w, "since"); Str(w, FormatRfc3339(s.since));
  Str(w, "until"); Str(w, FormatRfc3339(s.until));
  w.EndObject();
  Str(w, "sources");
  w.StartArray();
  for (const auto& source : s.source_jsons) RawObject(w, source);
  w.EndArray();
  Str(w, "normalized");
  w.StartObject();
  Str(w, "records"); w.Uint64(s.normalized_records);
  Str(w, "untimed_records"); w.Uint64(s.untimed_records);
  w.EndObject();
  if (!s.clock_probes_json.empty()) {
    Str(w, "clock_probes");
    w.RawValue(s.clock_probes_json.data(), s.clock_probes_json.size(), rapidjson::kArrayType);
  }
  if (!s.incremental_json.empty()) {
    Str(w, "incremental");
    w.RawValue(s.incremental_json.data(), s.incremental_json.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

RecordSink::RecordSink(normalize::TimelineWriter& timeline, std::uint64_t source_index,
                       std::filesystem::path untimed_path)
    : timeline_(timeline), source_index_(source_index), untimed_path_(std::move(untimed_path)) {}

Status RecordSink::Open() {
  untimed_out_.open(untimed_path_, std::ios::binary | std::ios::trunc);
  if (!untimed_out_) return Error(ErrorCode::kIo, "create " + untimed_path_.string());
  return Status::Ok();
}

Status RecordSink::Emit(const normalize::Record& record, std::uint64_t stream, std::uint64_t capture) {
  std::string line;
  if (clock_correction_ms_ != 0 && record.timestamp_ms) {
    normalize::Record corrected = record;
    corrected.clock_correction_ms = clock_correction_ms_;
    line = normalize::ToJsonLine(corrected);
  } else {
    line = normalize::ToJsonLine(record);
  }
  if (record.timestamp_ms) {
    // 8 bits of source, 4 of stream, 20 of capture, 32 of record within the capture.
    const std::uint64_t key = ((source_index_ & 0xFFu) << 56) | ((stream & 0xFu) << 52) |
                              ((capture & 0xFFFFFu) << 32) | (record.record_index & 0xFFFFFFFFu);
    CUSTODY_RETURN_IF_ERROR(timeline_.AddOrdered(*record.timestamp_ms - clock_correction_ms_, key, std::move(line)));
    std::lock_guard<std::mutex> lock(mu_);
    ++records_;
    return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++records_;
  ++untimed_;
  untimed_out_ << line << '\n';
  if (!untimed_out_) return Error(ErrorCode::kIo, "write " + untimed_path_.string());
  return Status::Ok();
}

Status RecordSink::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (untimed_out_.is_open()) {
    untimed_out_.close();
    if (!untimed_out_) return Error(ErrorCode::kIo, "write " + untimed_path_.string());
  }
  return Status::Ok();
}

}  // namespace custody::connectors
