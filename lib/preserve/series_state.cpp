#include "preserve/series_state.h"

#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "io/atomic_output.h"

namespace custody::preserve {

namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Put(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void PutBundle(Writer& w, const BundleRef& b, bool retired) {
  w.StartObject();
  Put(w, "file", b.file);
  Put(w, "bundle_id", b.bundle_id);
  Put(w, "statement_sha256", b.statement_sha256);
  Put(w, "sealed_at", b.sealed_at);
  Put(w, "since", b.since);
  Put(w, "until", b.until);
  w.Key("complete");
  w.Bool(b.complete);
  if (retired) Put(w, "deleted_at", b.deleted_at);
  w.EndObject();
}

class Reader {
 public:
  Reader(const rapidjson::Value& v, std::string where) : v_(v), where_(std::move(where)) {}
  Result<std::string> Str(const char* key, bool required = true) const {
    auto it = v_.FindMember(key);
    if (it == v_.MemberEnd()) {
      if (!required) return std::string();
      return Error(ErrorCode::kParse, where_ + ": " + key + " is missing");
    }
    if (!it->value.IsString()) return Error(ErrorCode::kParse, where_ + ": " + key + " is not a string");
    return std::string(it->value.GetString(), it->value.GetStringLength());
  }
  Result<std::optional<std::int64_t>> Int(const char* key) const {
    auto it = v_.FindMember(key);
    if (it == v_.MemberEnd() || it->value.IsNull()) return std::optional<std::int64_t>();
    if (!it->value.IsInt64()) return Error(ErrorCode::kParse, where_ + ": " + key + " is not an integer");
    return std::optional<std::int64_t>(it->value.GetInt64());
  }
  Result<bool> Bool(const char* key) const {
    auto it = v_.FindMember(key);
    if (it == v_.MemberEnd() || !it->value.IsBool()) return Error(ErrorCode::kParse, where_ + ": " + key + " is not a boolean");
    return it->value.GetBool();
  }
  Result<const rapidjson::Value*> Array(const char* key) const {
    auto it = v_.FindMember(key);
    if (it == v_.MemberEnd() || !it->value.IsArray()) return Error(ErrorCode::kParse, where_ + ": " + key + " is not an array");
    return &it->value;
  }

 private:
  const rapidjson::Value& v_;
  std::string where_;
};

#define STATE_TAKE(dest, expr)            \
  do {                                    \
    auto taken_ = (expr);                 \
    if (!taken_) return taken_.error();   \
    dest = std::move(*taken_);            \
  } while (0)

Result<BundleRef> ReadBundle(const rapidjson::Value& v, const std::string& where, bool retired) {
  if (!v.IsObject()) return Error(ErrorCode::kParse, where + " is not an object");
  Reader r(v, where);
  BundleRef b;
  STATE_TAKE(b.file, r.Str("file"));
  STATE_TAKE(b.bundle_id, r.Str("bundle_id"));
  STATE_TAKE(b.statement_sha256, r.Str("statement_sha256"));
  STATE_TAKE(b.sealed_at, r.Str("sealed_at"));
  STATE_TAKE(b.since, r.Str("since"));
  STATE_TAKE(b.until, r.Str("until"));
  STATE_TAKE(b.complete, r.Bool("complete"));
  if (retired) STATE_TAKE(b.deleted_at, r.Str("deleted_at"));
  return b;
}

}  // namespace

StreamState* SeriesState::FindStream(const std::string& source, const std::string& stream) {
  for (auto& s : streams) {
    if (s.source == source && s.stream == stream) return &s;
  }
  return nullptr;
}

const StreamState* SeriesState::FindStream(const std::string& source, const std::string& stream) const {
  for (const auto& s : streams) {
    if (s.source == source && s.stream == stream) return &s;
  }
  return nullptr;
}

LogFileState* SeriesState::FindLogFile(const std::string& source, const std::string& id) {
  for (auto& f : log_files) {
    if (f.source == source && f.id == id) return &f;
  }
  return nullptr;
}

std::string SeriesStateJson(const SeriesState& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  Put(w, "format", kStateFormat);
  Put(w, "case_id", s.case_id);
  Put(w, "series_since", s.series_since);
  w.Key("sequence");
  w.Uint64(s.sequence);
  w.Key("bundles");
  w.StartArray();
  for (const auto& b : s.bundles) PutBundle(w, b, false);
  w.EndArray();
  w.Key("retired");
  w.StartArray();
  for (const auto& b : s.retired) PutBundle(w, b, true);
  w.EndArray();
  w.Key("streams");
  w.StartArray();
  for (const auto& st : s.streams) {
    w.StartObject();
    Put(w, "source", st.source);
    Put(w, "stream", st.stream);
    w.Key("covered_until");
    if (st.covered_until) {
      std::string t = FormatRfc3339(*st.covered_until);
      w.String(t.c_str());
    } else {
      w.Null();
    }
    Put(w, "last_status", st.last_status);
    w.Key("newest_ms");
    if (st.newest_ms) {
      w.Int64(*st.newest_ms);
    } else {
      w.Null();
    }
    Put(w, "newest_id", st.newest_id);
    w.EndObject();
  }
  w.EndArray();
  w.Key("log_files");
  w.StartArray();
  for (const auto& f : s.log_files) {
    w.StartObject();
    Put(w, "source", f.source);
    Put(w, "id", f.id);
    Put(w, "event_type", f.event_type);
    Put(w, "log_date", f.log_date);
    Put(w, "interval", f.interval);
    Put(w, "sequence", f.sequence);
    Put(w, "created_date", f.created_date);
    Put(w, "bundle_id", f.bundle_id);
    Put(w, "bundle_file", f.bundle_file);
    Put(w, "path", f.path);
    Put(w, "sha256", f.sha256);
    w.Key("bytes");
    w.Uint64(f.bytes);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

Result<SeriesState> ParseSeriesState(std::string_view text, const std::string& what) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return Error(ErrorCode::kParse, what + ": not a JSON object");
  Reader r(doc, what);
  std::string format;
  STATE_TAKE(format, r.Str("format"));
  if (format != kStateFormat) {
    return Error(ErrorCode::kParse, what + ": format is '" + format + "', this custody reads " + kStateFormat);
  }
  SeriesState s;
  STATE_TAKE(s.case_id, r.Str("case_id"));
  STATE_TAKE(s.series_since, r.Str("series_since"));
  std::optional<std::int64_t> seq;
  STATE_TAKE(seq, r.Int("sequence"));
  s.sequence = static_cast<std::uint64_t>(seq.value_or(0));
  const rapidjson::Value* arr = nullptr;
  STATE_TAKE(arr, r.Array("bundles"));
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    BundleRef b;
    STATE_TAKE(b, ReadBundle((*arr)[i], what + ": bundles[" + std::to_string(i) + "]", false));
    s.bundles.push_back(std::move(b));
  }
  STATE_TAKE(arr, r.Array("retired"));
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    BundleRef b;
    STATE_TAKE(b, ReadBundle((*arr)[i], what + ": retired[" + std::to_string(i) + "]", true));
    s.retired.push_back(std::move(b));
  }
  STATE_TAKE(arr, r.Array("streams"));
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    const std::string where = what + ": streams[" + std::to_string(i) + "]";
    if (!(*arr)[i].IsObject()) return Error(ErrorCode::kParse, where + " is not an object");
    Reader sr((*arr)[i], where);
    StreamState st;
    STATE_TAKE(st.source, sr.Str("source"));
    STATE_TAKE(st.stream, sr.Str("stream"));
    auto cu = (*arr)[i].FindMember("covered_until");
    if (cu != (*arr)[i].MemberEnd() && cu->value.IsString()) {
      auto t = ParseRfc3339(cu->value.GetString());
      if (!t) return Error(ErrorCode::kParse, where + ": covered_until: " + t.error().message());
      st.covered_until = *t;
    }
    STATE_TAKE(st.last_status, sr.Str("last_status"));
    STATE_TAKE(st.newest_ms, sr.Int("newest_ms"));
    STATE_TAKE(st.newest_id, sr.Str("newest_id", false));
    s.streams.push_back(std::move(st));
  }
  STATE_TAKE(arr, r.Array("log_files"));
  for (rapidjson::SizeType i = 0; i < arr->Size(); ++i) {
    const std::string where = what + ": log_files[" + std::to_string(i) + "]";
    if (!(*arr)[i].IsObject()) return Error(ErrorCode::kParse, where + " is not an object");
    Reader fr((*arr)[i], where);
    LogFileState f;
    STATE_TAKE(f.source, fr.Str("source"));
    STATE_TAKE(f.id, fr.Str("id"));
    STATE_TAKE(f.event_type, fr.Str("event_type"));
    STATE_TAKE(f.log_date, fr.Str("log_date"));
    STATE_TAKE(f.interval, fr.Str("interval"));
    STATE_TAKE(f.sequence, fr.Str("sequence"));
    STATE_TAKE(f.created_date, fr.Str("created_date"));
    STATE_TAKE(f.bundle_id, fr.Str("bundle_id"));
    STATE_TAKE(f.bundle_file, fr.Str("bundle_file"));
    STATE_TAKE(f.path, fr.Str("path"));
    STATE_TAKE(f.sha256, fr.Str("sha256"));
    std::optional<std::int64_t> bytes;
    STATE_TAKE(bytes, fr.Int("bytes"));
    f.bytes = static_cast<std::uint64_t>(bytes.value_or(0));
    s.log_files.push_back(std::move(f));
  }
  return s;
}

Result<std::optional<SeriesState>> LoadSeriesState(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<SeriesState>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ParseSeriesState(ss.str(), path.string());
  if (!s) return s.error();
  return std::optional<SeriesState>(std::move(*s));
}

Status SaveSeriesState(io::FileSystem& fs, const std::filesystem::path& path, const SeriesState& state) {
  return io::WriteFileAtomically(fs, path, SeriesStateJson(state), 0600, true);
}

}  // namespace custody::preserve
