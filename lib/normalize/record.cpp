#include "normalize/record.h"

#include <cstdio>
#include <cstring>

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

// A JSON line written straight into a string, byte for byte what RapidJSON's Writer writes for the
// same values: '"', '\\' and control bytes escaped (\b \t \n \f \r, else \u00XX in upper-case
// hex), everything else (UTF-8 included) copied as is. Runs of plain bytes are found eight at a
// time and copied in one go.
class LineWriter {
 public:
  explicit LineWriter(std::string& out) : out_(out) {}

  // A literal piece of the line: punctuation and member names, which need no escaping.
  void Raw(std::string_view text) { out_.append(text); }

  void Str(std::string_view s) {
    if (!IsValidUtf8(s)) {  // rare: a stray byte from a source, replaced by U+FFFD
      const std::string clean = SanitizeUtf8(s);
      Escaped(clean);
      return;
    }
    Escaped(s);
  }

  void OptStr(const std::optional<std::string>& value) {
    if (value) {
      Str(*value);
    } else {
      out_.append("null");
    }
  }

  void Uint(std::uint64_t v) {
    char buf[24];
    const int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
    out_.append(buf, static_cast<size_t>(n));
  }

  void Int(std::int64_t v) {
    char buf[24];
    const int n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    out_.append(buf, static_cast<size_t>(n));
  }

  void Bool(bool b) { out_.append(b ? "true" : "false"); }

 private:
  void Escaped(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out_.push_back('"');
    const char* p = s.data();
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
      const size_t run = i;
      while (i + 8 <= n && !HasJsonSpecialByte8(p + i)) i += 8;
      while (i < n) {
        const unsigned char c = static_cast<unsigned char>(p[i]);
        if (c == '"' || c == '\\' || c < 0x20) break;
        ++i;
      }
      out_.append(p + run, i - run);
      if (i >= n) break;
      const unsigned char c = static_cast<unsigned char>(p[i++]);
      switch (c) {
        case '"': out_.append("\\\""); break;
        case '\\': out_.append("\\\\"); break;
        case '\b': out_.append("\\b"); break;
        case '\t': out_.append("\\t"); break;
        case '\n': out_.append("\\n"); break;
        case '\f': out_.append("\\f"); break;
        case '\r': out_.append("\\r"); break;
        default: {
          const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
          out_.append(esc, sizeof esc);
        }
      }
    }
    out_.push_back('"');
  }

  std::string& out_;
};

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
  thread_local std::string buffer;
  buffer.clear();
  LineWriter w(buffer);
  // Only an ok status carries a time: a timestamp with a missing/unparseable flag would be a guess.
  std::optional<std::string> when;
  if (r.time_status == TimeStatus::kOk && r.timestamp_ms) when = FormatUtcMillis(*r.timestamp_ms);

  w.Raw("{\"@timestamp\":");
  w.OptStr(when);
  w.Raw(",\"timestamp_original\":");
  w.Str(r.timestamp_original);
  w.Raw(",\"timestamp_field\":");
  w.Str(r.timestamp_field);
  w.Raw(",\"timestamp_status\":\"");
  w.Raw(StatusName(r.time_status));
  w.Raw("\",\"source\":");
  w.Str(r.source);
  w.Raw(",\"stream\":");
  w.Str(r.stream);
  w.Raw(",\"event_type\":");
  w.Str(r.event_type);
  w.Raw(",\"action\":");
  w.Str(r.action);

  w.Raw(",\"actor\":{\"user_id\":");
  w.OptStr(r.actor_user_id);
  w.Raw(",\"username\":");
  w.OptStr(r.actor_username);

  w.Raw("},\"target\":{\"object\":");
  w.OptStr(r.target_object);
  w.Raw(",\"record_id\":");
  w.OptStr(r.target_record_id);
  w.Raw(",\"field\":");
  w.OptStr(r.target_field);
  w.Raw(",\"old_value\":");
  w.OptStr(r.old_value);
  w.Raw(",\"new_value\":");
  w.OptStr(r.new_value);

  w.Raw("},\"client_ip\":");
  w.OptStr(r.client_ip);

  w.Raw(",\"correlation\":{\"request_id\":");
  w.OptStr(r.request_id);
  w.Raw(",\"login_key\":");
  w.OptStr(r.login_key);
  w.Raw(",\"session_key\":");
  w.OptStr(r.session_key);
  w.Raw(",\"event_id\":");
  w.OptStr(r.event_id);
  w.Raw(",\"x_request_id\":");
  w.OptStr(r.x_request_id);

  w.Raw("},\"provenance\":{\"raw_file\":");
  w.Str(r.raw_file);
  w.Raw(",\"record_index\":");
  w.Uint(r.record_index);
  w.Raw(",\"byte_offset\":");
  w.Uint(r.byte_offset);
  w.Raw(",\"byte_length\":");
  w.Uint(r.byte_length);
  w.Raw(",\"raw_sha256\":");
  w.Str(r.raw_sha256);

  w.Raw("},\"outcome\":");
  w.OptStr(r.outcome);
  w.Raw(",\"patient_id\":");
  w.OptStr(r.patient_id);
  w.Raw(",\"collector_activity\":");
  w.Bool(r.collector_activity);
  w.Raw(",\"timestamp_precision\":");
  if (r.timestamp_precision) {
    w.Int(*r.timestamp_precision);
  } else {
    w.Raw("null");
  }
  w.Raw(",\"clock_correction_ms\":");
  if (r.clock_correction_ms) {
    w.Int(*r.clock_correction_ms);
  } else {
    w.Raw("null");
  }

  w.Raw(",\"message\":");
  w.Str(r.message);
  // Timesketch's required columns, duplicated so the file imports as is.
  w.Raw(",\"datetime\":");
  w.OptStr(when);
  w.Raw(",\"timestamp_desc\":");
  w.Str(r.timestamp_field);
  w.Raw("}");
  return buffer;
}

}  // namespace custody::normalize
