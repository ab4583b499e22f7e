#pragma once
// The generic HTTP-JSON connector: audit logs from any JSON-over-HTTP API we have no dedicated
// connector for (MuleSoft Anypoint, Redox, a REST facade over an EHR audit table, cloud log
// APIs), described entirely by settings (research ehr-middleware.md §6 item 4): how to
// authenticate, the request template, how to page, where the records are and how to read their
// id and time. Every response is captured byte for byte through a Session; every record is
// normalized from its exact bytes; every problem is a gap in the report, never a silent stop.
// docs/connectors/http-json.md is the operator's manual; the case-file reader is
// apps/custody/config_http_json.cpp.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "auth/salesforce_auth.h"
#include "connectors/common/session.h"
#include "connectors/common/source_report.h"
#include "core/time.h"
#include "http/transport.h"
#include "normalize/record.h"

namespace custody::connectors::generic {

inline constexpr const char* kDefaultStream = "records";

enum class AuthMode { kNone, kBasic, kBearer, kOAuth2ClientCredentials, kSessionLogin };
// "none", "basic", "bearer", "oauth2_client_credentials", "session_login".
std::optional<AuthMode> ParseAuthMode(std::string_view name);
std::string AuthModeName(AuthMode mode);

// How an OAuth2 client proves itself at the token endpoint (RFC 6749 §2.3.1, RFC 7523).
enum class ClientAuth { kSecretPost, kSecretBasic, kPrivateKeyJwt };
std::optional<ClientAuth> ParseClientAuth(std::string_view name);  // "client_secret_post", ...
std::string ClientAuthName(ClientAuth mode);

enum class BodyType { kJson, kForm, kText };
std::optional<BodyType> ParseBodyType(std::string_view name);  // "json", "form", "text"
std::string BodyTypeName(BodyType type);

using Fields = std::vector<std::pair<std::string, std::string>>;

struct AuthOptions {
  AuthMode mode = AuthMode::kNone;
  // basic, session_login
  std::string username;
  auth::Secret password;
  // bearer: a static credential sent as `header: prefix + token` on every request
  auth::Secret token;
  std::string header = "Authorization";
  std::string prefix = "Bearer ";
  // oauth2_client_credentials
  std::string token_url;
  std::string client_id;
  std::string scope;                  // "" = none sent
  ClientAuth client_auth = ClientAuth::kSecretPost;
  auth::Secret client_secret;         // client_secret_post / client_secret_basic
  auth::Secret key_pem;               // private_key_jwt: PEM (RSA → RS384, EC P-384 → ES384)
  auth::Secret key_passphrase;        // private_key_jwt, optional
  std::string kid;                    // private_key_jwt: the key's id in the registered JWKS
  Fields token_params;                // extra form fields of the grant ("audience", ...)
  // session_login
  std::string login_url;
  BodyType login_body = BodyType::kForm;
  std::string username_field = "username";
  std::string password_field = "password";
  Fields login_fields;                // extra static fields of the login body
  std::string success_pointer;        // JSON pointer in the login answer; "" = 2xx is success
  std::vector<std::string> success_values;  // accepted values at success_pointer
  std::string token_pointer;          // a session token in the login answer ("" = cookies only)
  std::string token_header = "Authorization";
  std::string token_prefix = "Bearer ";
  std::string csrf_header;            // a CSRF token from this login-answer header ...
  std::string csrf_pointer;           // ... or this JSON pointer of the login answer
  std::string csrf_request_header = "X-CSRF-Token";  // replayed on every request as this header
  std::string logout_url;             // "" = no logout
};

// Output forms of the {start} and {end} placeholders.
enum class TimeParamFormat { kIso8601, kIso8601Ms, kRfc822Offset, kEpochMs, kEpochS, kOdbcUtc };
std::optional<TimeParamFormat> ParseTimeParamFormat(std::string_view name);
std::string TimeParamFormatName(TimeParamFormat f);
// The instant in that form: iso8601 "2026-04-01T00:00:00Z" (".sss" only when not whole
// seconds), iso8601_ms "2026-04-01T00:00:00.000Z", rfc822_offset "2026-04-01T00:00:00.000+0000",
// epoch_ms "1775001600000", epoch_s "1775001600" (floor), odbc_utc "2026-04-01 00:00:00".
std::string FormatTimeParam(std::int64_t utc_ms, TimeParamFormat f);

struct RequestOptions {
  std::string method = "GET";         // GET or POST
  std::string path;                   // template appended to the base URL ("/audit/v2/.../query")
  Fields query;                       // name, value template; a parameter whose template uses a
                                      // placeholder with no value yet ({cursor} on page 1) is left out
  http::Headers headers;              // static extras (X-Requested-With, a vendor Accept)
  BodyType body_type = BodyType::kJson;
  std::string body;                   // template; "" = no body
  std::string first_body;             // the first request's body when body uses {cursor}/{watermark}
  TimeParamFormat start_format = TimeParamFormat::kIso8601;
  TimeParamFormat end_format = TimeParamFormat::kIso8601;
  bool end_inclusive = false;         // the server includes `end`: send until minus one unit
};

enum class PagingMode { kNone, kOffsetLimit, kPageNumber, kCursor, kNextLink, kIdWatermark, kTimeSlicing };
std::optional<PagingMode> ParsePagingMode(std::string_view name);
std::string PagingModeName(PagingMode mode);

enum class SortOrder { kAsc, kDesc };

struct PagingOptions {
  PagingMode mode = PagingMode::kNone;
  std::uint64_t limit = 100;          // {limit}; the page size the termination rules use
  bool probe = false;                 // offset_limit / id_watermark: ask limit+1, emit limit, more iff limit+1 came
  std::uint64_t start_offset = 0;     // offset_limit
  std::uint64_t first_page = 1;       // page_number
  std::string total_pointer;          // what the first page says there is (expected count)
  std::string cursor_pointer;         // cursor: the next cursor in the body
  std::string next_pointer;           // next_link: the next URL in the body ...
  bool link_header = false;           // ... or RFC 8288 Link rel="next"
  SortOrder order = SortOrder::kDesc; // id_watermark: desc pages down from the newest
  bool watermark_inclusive = true;    // id_watermark: the id parameter includes its value (step 1)
  std::optional<std::int64_t> initial_watermark;
  std::chrono::milliseconds slice{std::chrono::hours(1)};     // time_slicing
  std::uint64_t server_cap = 0;       // time_slicing: a slice answering this many records is split
  std::chrono::milliseconds min_slice{std::chrono::seconds(1)};
  std::chrono::seconds overlap{0};    // time_slicing: each slice starts this much earlier (dedupe by id)
  std::uint64_t max_pages = 100000;   // safety stop (a gap when reached)
};

enum class TimestampFormat { kIso8601, kEpochMs, kEpochS, kCalendarObject, kBasicIso8601, kRfc822Offset, kOdbc };
std::optional<TimestampFormat> ParseTimestampFormat(std::string_view name);
std::string TimestampFormatName(TimestampFormat f);

// How one record object becomes a normalize::Record. Every field is an RFC 6901 pointer inside
// the record ("/eventTime", "/actor/name").
struct RecordOptions {
  std::string pointer;                // the records array in a page ("" = the page itself)
  bool single_or_array = false;       // a lone object where the array should be is one record
  bool absent_is_empty = false;       // a page without the records member is an empty page
  std::string id_field;
  std::string timestamp_field;
  TimestampFormat timestamp_format = TimestampFormat::kIso8601;
  std::string timestamp_zone;         // odbc: the IANA zone the wall-clock times are in
  std::string event_type = "record";  // constant, unless event_type_field gives one
  std::string event_type_field;
  std::string action = "event";       // constant, unless action_field gives one
  std::string action_field;
  std::string actor_field;            // actor username
  std::string actor_id_field;
  std::string ip_field;
  std::string target_field;           // target record id
  std::string target_type_field;      // target object
  std::string outcome_field;
  std::vector<std::string> outcome_success;
  std::vector<std::string> outcome_failure;
  std::string message_field;
  std::string patient_field;
  std::string request_id_field;       // x_request_id
};

struct HttpJsonOptions {
  std::string source;                 // the case file's name: folder under data/raw
  std::string stream = kDefaultStream;
  std::string object;                 // SourceItem.object ("" = the stream name)
  std::string base_url;               // no trailing slash
  AuthOptions auth;
  RequestOptions request;
  PagingOptions paging;
  RecordOptions records;
  http::TransportOptions transport;
  UtcSeconds since{};
  UtcSeconds until{};                 // exclusive
  std::filesystem::path payload_root;
  SessionPolicy policy;
  std::chrono::milliseconds min_interval{0};  // rate limit: at least this long between requests
  const std::atomic<bool>* cancel = nullptr;
  std::uint64_t seed = 0;             // backoff jitter; 0 = from the clock
  std::function<void(const std::string& stream, const std::string& what)> progress;
  // Test seams: transports (default libcurl with `transport`) and waits (backoff, Retry-After,
  // min_interval; return false to stop).
  std::function<Result<std::unique_ptr<http::Transport>>()> make_transport;
  std::function<bool(std::chrono::milliseconds)> sleep;
};

// Collects. An error return means nothing could be collected: options that do not hold together
// (kInvalidArgument), the credential refused before the first page (kAuth), the server never
// reached (kNetwork), interrupted before the first page (kCancelled). Everything else, partial
// failure included, is a report whose item says what is missing and why, every capture kept.
Result<SourceReport> CollectHttpJson(const HttpJsonOptions& options, const Clock& clock, auth::Redactor& redactor,
                                     RecordSink& sink);

// ---- Building blocks, public for tests and for the case-file reader's checks ----

// The placeholders a template may use.
inline constexpr const char* kPlaceholders[] = {"start", "end", "cursor", "offset", "limit", "watermark", "page"};
// The {name} tokens of a template that look like placeholders (an identifier in braces), known or not.
std::vector<std::string> PlaceholdersIn(std::string_view text);

enum class Escape { kNone, kUrl, kJson };
// Replaces every {known} placeholder; values[name] nullopt = no value yet. Returns nullopt when
// the template uses a placeholder without a value. Other braces are left as they are.
std::optional<std::string> Expand(std::string_view text,
                                  const std::function<std::optional<std::string>(std::string_view)>& value,
                                  Escape escape);

// The target of an RFC 8288 Link header's rel="next" (rel may list several types); "" when none.
std::string LinkNext(std::string_view link_header);

// A next link as an absolute URL: absolute as is, "/x" on the origin of `current`, "?q" on its
// path, anything else relative to its folder.
std::string ResolveUrl(const std::string& current, const std::string& link);

// The value at an RFC 6901 pointer; nullptr when absent. *null_on_path is set when a member on
// the way (or the value) is JSON null.
const rapidjson::Value* At(const rapidjson::Value& root, std::string_view pointer, bool* null_on_path = nullptr);

// One record object as a unified record (without provenance, which the caller sets).
normalize::Record MapRecord(const RecordOptions& options, const std::string& source_label,
                            const std::string& stream, const rapidjson::Value& record);

}  // namespace custody::connectors::generic
