#include "normalize/record.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/encoding.h"
#include "normalize/sf_time.h"

namespace custody::normalize {

namespace {

// Valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF), each invalid byte replaced
// by U+FFFD. RapidJSON's Writer copies bytes through unchecked, so without this a stray Latin-1
// byte in a source value would make the whole timeline line invalid JSON for every consumer.
std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    }
    bool ok = len != 0 && i + len <= n;
    std::uint32_t cp = 0;
    if (ok) {
      cp = c & (0xFF >> (len + 1));
      for (size_t k = 1; k < len; ++k) {
        if ((p[i + k] & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (p[i + k] & 0x3F);
      }
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) {
  if (IsValidUtf8(s)) {  // nearly always: no copy
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return;
  }
  const std::string clean = SanitizeUtf8(s);
  w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

void Key(Writer& w, const char* name) { w.Key(name); }

void OptStr(Writer& w, const char* name, const std::optional<std::string>& value) {
  Key(w, name);
  if (value) {
    Str(w, *value);
  } else {
    w.Null();
  }
}

const char* StatusName(TimeStatus status) {
  switch (status) {
    case TimeStatus::kOk:
      return "ok";
    case TimeStatus::kMissing:
      return "missing";
    case TimeStatus::kUnparseable:
      return "unparseable";
    case TimeStatus::kAmbiguous:
      return "ambiguous";
    case TimeStatus::kNonexistent:
      return "nonexistent";
  }
  return "unparseable";
}

}  // namespace

std::string ToJsonLine(const Record& r) {
  // One buffer per thread, kept between records: a line is written without growing it again.
  thread_local rapidjson::StringBuffer buffer;
  buffer.Clear();
  Writer w(buffer);
  // Only an ok status carries a time: a timestamp with a missing/unparseable flag would be a guess.
  std::optional<std::string> when;
  if (r.time_status == TimeStatus::kOk && r.timestamp_ms) when = FormatUtcMillis(*r.timestamp_ms);

  w.StartObject();
  OptStr(w, "@timestamp", when);
  Key(w, "timestamp_original");
  Str(w, r.timestamp_original);
  Key(w, "timestamp_field");
  Str(w, r.timestamp_field);
  Key(w, "timestamp_status");
  w.String(StatusName(r.time_status));
  Key(w, "source");
  Str(w, r.source);
  Key(w, "stream");
  Str(w, r.stream);
  Key(w, "event_type");
  Str(w, r.event_type);
  Key(w, "action");
  Str(w, r.action);

  Key(w, "actor");
  w.StartObject();
  OptStr(w, "user_id", r.actor_user_id);
  OptStr(w, "username", r.actor_username);
  w.EndObject();

  Key(w, "target");
  w.StartObject();
  OptStr(w, "object", r.target_object);
  OptStr(w, "record_id", r.target_record_id);
  OptStr(w, "field", r.target_field);
  OptStr(w, "old_value", r.old_value);
  OptStr(w, "new_value", r.new_value);
  w.EndObject();

  OptStr(w, "client_ip", r.client_ip);

  Key(w, "correlation");
  w.StartObject();
  OptStr(w, "request_id", r.request_id);
  OptStr(w, "login_key", r.login_key);
  OptStr(w, "session_key", r.session_key);
  OptStr(w, "event_id", r.event_id);
  OptStr(w, "x_request_id", r.x_request_id);
  w.EndObject();

  Key(w, "provenance");
  w.StartObject();
  Key(w, "raw_file");
  Str(w, r.raw_file);
  Key(w, "record_index");
  w.Uint64(r.record_index);
  Key(w, "byte_offset");
  w.Uint64(r.byte_offset);
  Key(w, "byte_length");
  w.Uint64(r.byte_length);
  Key(w, "raw_sha256");
  Str(w, r.raw_sha256);
  w.EndObject();

  OptStr(w, "outcome", r.outcome);
  OptStr(w, "patient_id", r.patient_id);
  Key(w, "collector_activity");
  w.Bool(r.collector_activity);
  Key(w, "timestamp_precision");
  if (r.timestamp_precision) {
    w.Int(*r.timestamp_precision);
  } else {
    w.Null();
  }
  Key(w, "clock_correction_ms");
  if (r.clock_correction_ms) {
    w.Int64(*r.clock_correction_ms);
  } else {
    w.Null();
  }

  Key(w, "message");
  Str(w, r.message);
  // Timesketch's required columns, duplicated so the file imports as is.
  OptStr(w, "datetime", when);
  Key(w, "timestamp_desc");
  Str(w, r.timestamp_field);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace custody::normalize
