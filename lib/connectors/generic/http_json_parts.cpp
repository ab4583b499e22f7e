// The generic connector's building blocks: setting names, placeholder templates, time parameter
// forms, Link headers and next-link resolution, JSON pointers, and the record mapping.

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "connectors/generic/http_json.h"
#include "json/json.h"
#include "normalize/ehr_time.h"

namespace custody::connectors::generic {

namespace {

template <typename E, size_t N>
std::optional<E> Lookup(const std::pair<const char*, E> (&table)[N], std::string_view name) {
  for (const auto& [n, e] : table) {
    if (name == n) return e;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::string NameOf(const std::pair<const char*, E> (&table)[N], E e) {
  for (const auto& [n, v] : table) {
    if (v == e) return n;
  }
  return "unknown";
}

const std::pair<const char*, AuthMode> kAuthModes[] = {{"none", AuthMode::kNone},
                                                       {"basic", AuthMode::kBasic},
                                                       {"bearer", AuthMode::kBearer},
                                                       {"oauth2_client_credentials", AuthMode::kOAuth2ClientCredentials},
                                                       {"session_login", AuthMode::kSessionLogin}};
const std::pair<const char*, ClientAuth> kClientAuths[] = {{"client_secret_post", ClientAuth::kSecretPost},
                                                           {"client_secret_basic", ClientAuth::kSecretBasic},
                                                           {"private_key_jwt", ClientAuth::kPrivateKeyJwt}};
const std::pair<const char*, BodyType> kBodyTypes[] = {
    {"json", BodyType::kJson}, {"form", BodyType::kForm}, {"text", BodyType::kText}};
const std::pair<const char*, TimeParamFormat> kTimeParamFormats[] = {{"iso8601", TimeParamFormat::kIso8601},
                                                                     {"iso8601_ms", TimeParamFormat::kIso8601Ms},
                                                                     {"rfc822_offset", TimeParamFormat::kRfc822Offset},
                                                                     {"epoch_ms", TimeParamFormat::kEpochMs},
                                                                     {"epoch_s", TimeParamFormat::kEpochS},
                                                                     {"odbc_utc", TimeParamFormat::kOdbcUtc}};
const std::pair<const char*, PagingMode> kPagingModes[] = {{"none", PagingMode::kNone},
                                                           {"offset_limit", PagingMode::kOffsetLimit},
                                                           {"page_number", PagingMode::kPageNumber},
                                                           {"cursor", PagingMode::kCursor},
                                                           {"next_link", PagingMode::kNextLink},
                                                           {"id_watermark", PagingMode::kIdWatermark},
                                                           {"time_slicing", PagingMode::kTimeSlicing}};
const std::pair<const char*, TimestampFormat> kTimestampFormats[] = {
    {"iso8601", TimestampFormat::kIso8601},           {"epoch_ms", TimestampFormat::kEpochMs},
    {"epoch_s", TimestampFormat::kEpochS},            {"calendar_object", TimestampFormat::kCalendarObject},
    {"basic_iso8601", TimestampFormat::kBasicIso8601}, {"rfc822_offset", TimestampFormat::kRfc822Offset},
    {"odbc", TimestampFormat::kOdbc}};

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

bool IsKnownPlaceholder(std::string_view name) {
  for (const char* p : kPlaceholders) {
    if (name == p) return true;
  }
  return false;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return std::string(s.substr(a, b - a + 1));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<AuthMode> ParseAuthMode(std::string_view name) { return Lookup(kAuthModes, name); }
std::string AuthModeName(AuthMode mode) { return NameOf(kAuthModes, mode); }
std::optional<ClientAuth> ParseClientAuth(std::string_view name) { return Lookup(kClientAuths, name); }
std::string ClientAuthName(ClientAuth mode) { return NameOf(kClientAuths, mode); }
std::optional<BodyType> ParseBodyType(std::string_view name) { return Lookup(kBodyTypes, name); }
std::string BodyTypeName(BodyType type) { return NameOf(kBodyTypes, type); }
std::optional<TimeParamFormat> ParseTimeParamFormat(std::string_view name) { return Lookup(kTimeParamFormats, name); }
std::string TimeParamFormatName(TimeParamFormat f) { return NameOf(kTimeParamFormats, f); }
std::optional<PagingMode> ParsePagingMode(std::string_view name) { return Lookup(kPagingModes, name); }
std::string PagingModeName(PagingMode mode) { return NameOf(kPagingModes, mode); }
std::optional<TimestampFormat> ParseTimestampFormat(std::string_view name) { return Lookup(kTimestampFormats, name); }
std::string TimestampFormatName(TimestampFormat f) { return NameOf(kTimestampFormats, f); }

std::string FormatTimeParam(std::int64_t utc_ms, TimeParamFormat f) {
  const std::string iso = normalize::FormatUtcMs(utc_ms);  // YYYY-MM-DDTHH:MM:SS.sssZ
  const std::int64_t floor_s = utc_ms / 1000 - ((utc_ms % 1000) < 0 ? 1 : 0);
  switch (f) {
    case TimeParamFormat::kIso8601:
      return (utc_ms % 1000 == 0) ? iso.substr(0, 19) + "Z" : iso;
    case TimeParamFormat::kIso8601Ms: return iso;
    case TimeParamFormat::kRfc822Offset: return normalize::FormatMirthDateParam(utc_ms);
    case TimeParamFormat::kEpochMs: return std::to_string(utc_ms);
    case TimeParamFormat::kEpochS: return std::to_string(floor_s);
    case TimeParamFormat::kOdbcUtc: return iso.substr(0, 10) + " " + iso.substr(11, 8);
  }
  return iso;
}

std::vector<std::string> PlaceholdersIn(std::string_view text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') continue;
    size_t j = i + 1;
    while (j < text.size() && IsIdentChar(text[j])) ++j;
    if (j > i + 1 && j < text.size() && text[j] == '}' && !std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      out.emplace_back(text.substr(i + 1, j - i - 1));
      i = j;
    }
  }
  return out;
}

std::optional<std::string> Expand(std::string_view text,
                                  const std::function<std::optional<std::string>(std::string_view)>& value,
                                  Escape escape) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      size_t j = i + 1;
      while (j < text.size() && IsIdentChar(text[j])) ++j;
      if (j < text.size() && text[j] == '}' && IsKnownPlaceholder(text.substr(i + 1, j - i - 1))) {
        auto v = value(text.substr(i + 1, j - i - 1));
        if (!v) return std::nullopt;
        out += escape == Escape::kUrl ? http::UrlEncode(*v) : escape == Escape::kJson ? JsonEscape(*v) : *v;
        i = j;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string LinkNext(std::string_view header) {
  // link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ); values separated by ",".
  size_t pos = 0;
  while (pos < header.size()) {
    size_t lt = header.find('<', pos);
    if (lt == std::string_view::npos) break;
    size_t gt = header.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string target(header.substr(lt + 1, gt - lt - 1));
    // Parameters run to the next "<" (commas inside quoted rel values are rare; a "," ends a value).
    size_t end = header.find('<', gt);
    std::string_view params = header.substr(gt + 1, end == std::string_view::npos ? std::string_view::npos : end - gt - 1);
    size_t p = 0;
    while (p < params.size()) {
      size_t semi = params.find(';', p);
      if (semi == std::string_view::npos) break;
      size_t next = params.find(';', semi + 1);
      std::string param = Trim(params.substr(semi + 1, next == std::string_view::npos ? std::string_view::npos
                                                                                   : next - semi - 1));
      while (!param.empty() && (param.back() == ',' || param.back() == ' ')) param.pop_back();
      size_t eq = param.find('=');
      if (eq != std::string::npos && Lower(Trim(param.substr(0, eq))) == "rel") {
        std::string v = Trim(param.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        // rel may name several relation types separated by spaces.
        size_t s = 0;
        v = Lower(v);
        while (s <= v.size()) {
          size_t sp = v.find(' ', s);
          if (v.substr(s, sp == std::string::npos ? std::string::npos : sp - s) == "next") return target;
          if (sp == std::string::npos) break;
          s = sp + 1;
        }
      }
      p = next == std::string_view::npos ? params.size() : next;
    }
    pos = gt + 1;
  }
  return "";
}

std::string ResolveUrl(const std::string& current, const std::string& link) {
  if (link.rfind("https://", 0) == 0 || link.rfind("http://", 0) == 0) return link;
  const std::string origin = http::Origin(current);
  if (link.rfind("//", 0) == 0) {
    size_t colon = current.find(':');
    return current.substr(0, colon + 1) + link;
  }
  if (!link.empty() && link[0] == '/') return origin + link;
  std::string path = current.substr(origin.size());
  size_t q = path.find_first_of("?#");
  if (q != std::string::npos) path = path.substr(0, q);
  if (!link.empty() && link[0] == '?') return origin + path + link;
  size_t slash = path.rfind('/');
  return origin + (slash == std::string::npos ? "/" : path.substr(0, slash + 1)) + link;
}

const rapidjson::Value* At(const rapidjson::Value& root, std::string_view pointer, bool* null_on_path) {
  if (null_on_path != nullptr) *null_on_path = false;
  const rapidjson::Value* v = &root;
  if (pointer.empty()) {
    if (null_on_path != nullptr && v->IsNull()) *null_on_path = true;
    return v;
  }
  if (pointer[0] != '/') return nullptr;
  size_t pos = 1;
  for (;;) {
    if (v->IsNull()) {
      if (null_on_path != nullptr) *null_on_path = true;
      return nullptr;
    }
    size_t slash = pointer.find('/', pos);
    std::string_view raw = pointer.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += raw[i];
      }
    }
    if (v->IsObject()) {
      auto it = v->FindMember(rapidjson::Value(token.c_str(), static_cast<rapidjson::SizeType>(token.size())));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else if (v->IsArray()) {
      if (token.empty() || !std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          token.size() > 9) {
        return nullptr;
      }
      size_t index = std::stoul(token);
      if (index >= v->Size()) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(index)];
    } else {
      return nullptr;
    }
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (null_on_path != nullptr && v->IsNull()) *null_on_path = true;
  return v;
}

namespace {

std::optional<std::string> Field(const rapidjson::Value& record, const std::string& pointer) {
  if (pointer.empty()) return std::nullopt;
  const rapidjson::Value* v = At(record, pointer);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  std::string s = json::ScalarText(*v);
  if (s.empty()) return std::nullopt;
  return s;
}

void SetTime(normalize::Record& r, const normalize::ParsedTime& t) {
  r.time_status = t.status;
  if (t.status == normalize::TimeStatus::kOk) {
    r.timestamp_ms = t.utc_ms;
    r.timestamp_precision = t.fraction_digits;
  }
}

void MapTime(const RecordOptions& o, const rapidjson::Value& record, normalize::Record& r) {
  r.timestamp_field = o.timestamp_field;
  if (o.timestamp_field.empty()) return;
  const rapidjson::Value* v = At(record, o.timestamp_field);
  if (v == nullptr || v->IsNull()) {
    r.time_status = normalize::TimeStatus::kMissing;
    return;
  }
  if (o.timestamp_format == TimestampFormat::kCalendarObject) {
    if (!v->IsObject()) {
      r.timestamp_original = json::ScalarText(*v);
      r.time_status = normalize::TimeStatus::kUnparseable;
      return;
    }
    const rapidjson::Value* time = At(*v, "/time");
    const rapidjson::Value* zone = At(*v, "/timezone");
    const std::string time_text = time != nullptr ? json::ScalarText(*time) : "";
    const std::string zone_text = zone != nullptr ? json::ScalarText(*zone) : "";
    r.timestamp_original = time_text + (zone_text.empty() ? "" : " " + zone_text);
    normalize::ParsedTime epoch = normalize::ParseEpoch(time_text, normalize::EpochUnit::kMilliseconds);
    if (epoch.status != normalize::TimeStatus::kOk) {
      r.time_status = time_text.empty() ? normalize::TimeStatus::kMissing : normalize::TimeStatus::kUnparseable;
      return;
    }
    SetTime(r, normalize::ParseMirthCalendar(*epoch.utc_ms, zone_text));
    return;
  }
  const std::string text = json::ScalarText(*v);
  r.timestamp_original = text;
  if (text.empty()) {
    r.time_status = v->IsString() ? normalize::TimeStatus::kMissing : normalize::TimeStatus::kUnparseable;
    return;
  }
  switch (o.timestamp_format) {
    case TimestampFormat::kIso8601: SetTime(r, normalize::ParseIsoInstant(text)); break;
    case TimestampFormat::kEpochMs: SetTime(r, normalize::ParseEpoch(text, normalize::EpochUnit::kMilliseconds)); break;
    case TimestampFormat::kEpochS: SetTime(r, normalize::ParseEpoch(text, normalize::EpochUnit::kSeconds)); break;
    case TimestampFormat::kBasicIso8601: SetTime(r, normalize::ParseBasicIso8601(text)); break;
    case TimestampFormat::kRfc822Offset: SetTime(r, normalize::ParseMirthDateParam(text)); break;
    case TimestampFormat::kOdbc: SetTime(r, normalize::ParseLocalTime(text, o.timestamp_zone)); break;
    case TimestampFormat::kCalendarObject: break;
  }
}

}  // namespace

normalize::Record MapRecord(const RecordOptions& o, const std::string& source_label, const std::string& stream,
                            const rapidjson::Value& record) {
  normalize::Record r;
  r.source = source_label;
  r.stream = stream;
  MapTime(o, record, r);
  r.event_type = Field(record, o.event_type_field).value_or(o.event_type);
  if (r.event_type.empty()) r.event_type = "record";
  r.action = Field(record, o.action_field).value_or(o.action);
  if (r.action.empty()) r.action = "event";
  r.actor_username = Field(record, o.actor_field);
  r.actor_user_id = Field(record, o.actor_id_field);
  r.client_ip = Field(record, o.ip_field);
  r.target_record_id = Field(record, o.target_field);
  r.target_object = Field(record, o.target_type_field);
  r.event_id = Field(record, o.id_field);
  r.patient_id = Field(record, o.patient_field);
  r.x_request_id = Field(record, o.request_id_field);
  std::optional<std::string> outcome = Field(record, o.outcome_field);
  if (outcome) {
    auto in = [&](const std::vector<std::string>& list) {
      return std::find(list.begin(), list.end(), *outcome) != list.end();
    };
    r.outcome = in(o.outcome_success) ? "success" : in(o.outcome_failure) ? "failure" : "unknown";
  }
  std::optional<std::string> message = Field(record, o.message_field);
  if (message) {
    r.message = *message;
  } else {
    r.message = r.event_type + " " + r.action;
    if (r.actor_username) r.message += " by " + *r.actor_username;
    if (r.target_record_id) r.message += " on " + (r.target_object ? *r.target_object + " " : "") + *r.target_record_id;
  }
  // The source's own outcome code is kept in the message (the normalized one is three-valued).
  if (outcome && !message) r.message += " (" + o.outcome_field.substr(o.outcome_field.rfind('/') + 1) + " " + *outcome + ")";
  return r;
}

}  // namespace custody::connectors::generic
