// A case file's generic HTTP-JSON source (type = "http-json"): the [[source]] table and its
// [source.auth], [source.request], [source.paging] and [source.records] tables read into
// connectors::generic::HttpJsonOptions, every setting checked before the first request with an
// error naming the file and line. docs/connectors/http-json.md documents each setting;
// schemas/config-http-json.schema.json is its schema.

#include <fstream>
#include <set>

#include "auth/smart_auth.h"
#include "connectors/generic/http_json.h"
#include "normalize/ehr_time.h"
#include "source_job.h"

namespace custody::cli {

namespace {

namespace gen = connectors::generic;

// Reads one table's settings with errors that name the table ("[source.paging] limit ...").
class Reader {
 public:
  Reader(const SourceSection& s, std::string table) : s_(s), table_(std::move(table)) {}
  const SourceSection& section() const { return s_; }
  std::string Name(const std::string& key) const { return table_.empty() ? key : table_ + "." + key; }
  Error Fail(const std::string& key, const std::string& what) const { return s_.Fail(key, Name(key) + " " + what); }

  Status Str(const std::string& key, std::string& out) const {
    std::optional<std::string> v;
    CUSTODY_RETURN_IF_ERROR(Take(s_.String(key), v));
    if (v) out = *v;
    return Status::Ok();
  }
  Status Required(const std::string& key, std::string& out, const std::string& why) const {
    CUSTODY_RETURN_IF_ERROR(Str(key, out));
    if (out.empty()) return s_.Fail(key.empty() ? "" : key, Name(key) + " is required " + why);
    return Status::Ok();
  }
  // A JSON pointer inside a record or page; a bare name means a top-level member.
  Status Pointer(const std::string& key, std::string& out) const {
    std::string v;
    CUSTODY_RETURN_IF_ERROR(Str(key, v));
    if (!v.empty() && v[0] != '/') v = "/" + v;
    if (s_.KindOf(key) == "string") out = v;
    return Status::Ok();
  }
  Status Bool(const std::string& key, bool& out) const {
    std::optional<bool> v;
    CUSTODY_RETURN_IF_ERROR(Take(s_.Boolean(key), v));
    if (v) out = *v;
    return Status::Ok();
  }
  Status Int(const std::string& key, std::int64_t lo, std::int64_t hi, std::optional<std::int64_t>& out) const {
    CUSTODY_RETURN_IF_ERROR(Take(s_.Integer(key), out));
    if (out && (*out < lo || *out > hi)) {
      return Fail(key, "must be from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    return Status::Ok();
  }
  Status List(const std::string& key, std::vector<std::string>& out) const {
    std::optional<std::vector<std::string>> v;
    CUSTODY_RETURN_IF_ERROR(Take(s_.StringList(key), v));
    if (v) out = *v;
    return Status::Ok();
  }
  // "name=value" strings as pairs.
  Status Pairs(const std::string& key, char sep, gen::Fields& out) const {
    std::vector<std::string> items;
    CUSTODY_RETURN_IF_ERROR(List(key, items));
    for (const auto& item : items) {
      size_t at = item.find(sep);
      if (at == std::string::npos || at == 0) {
        return Fail(key, std::string("entries are \"name") + (sep == ':' ? ": " : "=") + "value\", not '" + item + "'");
      }
      std::string name = item.substr(0, at);
      std::string value = item.substr(at + 1);
      while (!name.empty() && name.back() == ' ') name.pop_back();
      while (sep == ':' && !value.empty() && value.front() == ' ') value.erase(value.begin());
      out.emplace_back(name, value);
    }
    return Status::Ok();
  }
  Status Secret(const std::string& key, auth::Secret& out, auth::Redactor& redactor) const {
    std::optional<std::string> v;
    CUSTODY_RETURN_IF_ERROR(Take(s_.Secret(key), v));
    if (v) {
      redactor.Add(*v);
      out = auth::Secret(*v);
    }
    return Status::Ok();
  }
  // An absolute URL (a value starting with "/" is appended to base_url), allowed by the policy.
  Status Url(const std::string& key, const std::string& base, std::string& out) const {
    CUSTODY_RETURN_IF_ERROR(Str(key, out));
    if (out.empty()) return Status::Ok();
    if (out[0] == '/') out = base + out;
    if (Status st = http::CheckUrlPolicy(out); !st) return Fail(key, "is not allowed: " + st.error().message());
    return Status::Ok();
  }

 private:
  const SourceSection& s_;
  std::string table_;
};

Status ReadAuth(const SourceSection& s, const std::string& base, PreparedCollection& p, gen::AuthOptions& a) {
  if (s.KindOf("auth") == "") return Status::Ok();  // none
  if (s.KindOf("auth") == "string") {
    std::string mode;
    CUSTODY_RETURN_IF_ERROR(Reader(s, "").Str("auth", mode));
    if (mode != "none") return s.Fail("auth", "auth = \"" + mode + "\" needs a [source.auth] table with its settings");
    return Status::Ok();
  }
  auto t = s.Table("auth");
  if (!t) return t.error();
  const SourceSection& at = **t;
  Reader r(at, "auth");
  const std::set<std::string> every = {"mode", "username", "password", "token", "header", "prefix", "token_url", "client_id", "client_secret",
       "client_auth", "scope", "client_key", "client_key_passphrase", "kid", "token_params", "login_url", "login_body",
       "username_field", "password_field", "login_fields", "success_pointer", "success_values", "token_pointer",
       "token_header", "token_prefix", "csrf_header", "csrf_pointer", "csrf_request_header", "logout_url"};
  CUSTODY_RETURN_IF_ERROR(at.CheckKeys(every));
  std::string mode_text;
  CUSTODY_RETURN_IF_ERROR(r.Required("mode", mode_text, "(none, basic, bearer, oauth2_client_credentials, session_login)"));
  auto mode = gen::ParseAuthMode(mode_text);
  if (!mode) {
    return r.Fail("mode", "'" + mode_text + "' is not one of none, basic, bearer, oauth2_client_credentials, "
                                            "session_login");
  }
  a.mode = *mode;
  // Which settings belong to which mode: a setting of another mode is a mistake worth naming.
  std::set<std::string> allowed;
  switch (a.mode) {
    case gen::AuthMode::kNone: allowed = {}; break;
    case gen::AuthMode::kBasic: allowed = {"username", "password"}; break;
    case gen::AuthMode::kBearer: allowed = {"token", "header", "prefix"}; break;
    case gen::AuthMode::kOAuth2ClientCredentials:
      allowed = {"token_url", "client_id", "client_secret", "client_auth", "scope", "client_key",
                 "client_key_passphrase", "kid", "token_params"};
      break;
    case gen::AuthMode::kSessionLogin:
      allowed = {"username", "password", "login_url", "login_body", "username_field", "password_field",
                 "login_fields", "success_pointer", "success_values", "token_pointer", "token_header",
                 "token_prefix", "csrf_header", "csrf_pointer", "csrf_request_header", "logout_url"};
      break;
  }
  allowed.insert("mode");
  for (const auto& k : every) {
    if (!at.KindOf(k).empty() && allowed.count(k) == 0) return r.Fail(k, "is not used with auth mode " + mode_text);
  }
  const std::string ref = "as { env = \"NAME\" } or { file = \"PATH\" }";
  switch (a.mode) {
    case gen::AuthMode::kNone: break;
    case gen::AuthMode::kBasic:
      CUSTODY_RETURN_IF_ERROR(r.Required("username", a.username, "for auth mode basic"));
      CUSTODY_RETURN_IF_ERROR(r.Secret("password", a.password, p.redactor));
      if (a.password.empty()) return at.Fail("", "auth.password is required for auth mode basic, " + ref);
      break;
    case gen::AuthMode::kBearer:
      CUSTODY_RETURN_IF_ERROR(r.Secret("token", a.token, p.redactor));
      if (a.token.empty()) return at.Fail("", "auth.token is required for auth mode bearer, " + ref);
      CUSTODY_RETURN_IF_ERROR(r.Str("header", a.header));
      CUSTODY_RETURN_IF_ERROR(r.Str("prefix", a.prefix));
      if (a.header.empty()) return r.Fail("header", "must not be empty");
      break;
    case gen::AuthMode::kOAuth2ClientCredentials: {
      CUSTODY_RETURN_IF_ERROR(r.Url("token_url", base, a.token_url));
      if (a.token_url.empty()) return at.Fail("", "auth.token_url is required for auth mode oauth2_client_credentials");
      CUSTODY_RETURN_IF_ERROR(r.Required("client_id", a.client_id, "for auth mode oauth2_client_credentials"));
      CUSTODY_RETURN_IF_ERROR(r.Str("scope", a.scope));
      std::string ca = "client_secret_post";
      CUSTODY_RETURN_IF_ERROR(r.Str("client_auth", ca));
      auto client_auth = gen::ParseClientAuth(ca);
      if (!client_auth) {
        return r.Fail("client_auth", "'" + ca + "' is not one of client_secret_post, client_secret_basic, private_key_jwt");
      }
      a.client_auth = *client_auth;
      if (a.client_auth == gen::ClientAuth::kPrivateKeyJwt) {
        for (const char* k : {"client_secret", "token_params"}) {
          if (!at.KindOf(k).empty()) return r.Fail(k, "is not used with client_auth private_key_jwt");
        }
        CUSTODY_RETURN_IF_ERROR(r.Required("kid", a.kid, "for client_auth private_key_jwt"));
        std::optional<std::string> path;
        CUSTODY_RETURN_IF_ERROR(Take(at.Path("client_key"), path));
        if (!path || path->empty()) return at.Fail("", "auth.client_key (a PEM file) is required for private_key_jwt");
        std::ifstream in(*path, std::ios::binary);
        if (!in) return r.Fail("client_key", *path + ": cannot be read");
        std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (pem.empty() || pem.size() > (1u << 20)) return r.Fail("client_key", *path + ": not a PEM private key");
        p.redactor.Add(pem);
        CUSTODY_RETURN_IF_ERROR(r.Secret("client_key_passphrase", a.key_passphrase, p.redactor));
        auto key = auth::LoadSmartSigningKey(pem, a.key_passphrase.reveal(), "auth.client_key_passphrase");
        if (!key) return r.Fail("client_key", *path + ": " + key.error().message());
        a.key_pem = auth::Secret(std::move(pem));
      } else {
        for (const char* k : {"client_key", "client_key_passphrase", "kid"}) {
          if (!at.KindOf(k).empty()) return r.Fail(k, "is only used with client_auth private_key_jwt");
        }
        CUSTODY_RETURN_IF_ERROR(r.Secret("client_secret", a.client_secret, p.redactor));
        if (a.client_secret.empty()) {
          return at.Fail("", "auth.client_secret is required for client_auth " + ca + ", " + ref);
        }
        CUSTODY_RETURN_IF_ERROR(r.Pairs("token_params", '=', a.token_params));
      }
      break;
    }
    case gen::AuthMode::kSessionLogin: {
      CUSTODY_RETURN_IF_ERROR(r.Url("login_url", base, a.login_url));
      if (a.login_url.empty()) return at.Fail("", "auth.login_url is required for auth mode session_login");
      CUSTODY_RETURN_IF_ERROR(r.Url("logout_url", base, a.logout_url));
      CUSTODY_RETURN_IF_ERROR(r.Required("username", a.username, "for auth mode session_login"));
      CUSTODY_RETURN_IF_ERROR(r.Secret("password", a.password, p.redactor));
      if (a.password.empty()) return at.Fail("", "auth.password is required for auth mode session_login, " + ref);
      std::string body = "form";
      CUSTODY_RETURN_IF_ERROR(r.Str("login_body", body));
      if (body != "form" && body != "json") return r.Fail("login_body", "must be form or json, not '" + body + "'");
      a.login_body = body == "json" ? gen::BodyType::kJson : gen::BodyType::kForm;
      CUSTODY_RETURN_IF_ERROR(r.Str("username_field", a.username_field));
      CUSTODY_RETURN_IF_ERROR(r.Str("password_field", a.password_field));
      if (a.username_field.empty() || a.password_field.empty()) {
        return r.Fail(a.username_field.empty() ? "username_field" : "password_field", "must not be empty");
      }
      CUSTODY_RETURN_IF_ERROR(r.Pairs("login_fields", '=', a.login_fields));
      CUSTODY_RETURN_IF_ERROR(r.Pointer("success_pointer", a.success_pointer));
      CUSTODY_RETURN_IF_ERROR(r.List("success_values", a.success_values));
      if (!a.success_pointer.empty() && a.success_values.empty()) {
        return r.Fail("success_pointer", "needs success_values (the values that mean the login succeeded)");
      }
      CUSTODY_RETURN_IF_ERROR(r.Pointer("token_pointer", a.token_pointer));
      CUSTODY_RETURN_IF_ERROR(r.Str("token_header", a.token_header));
      CUSTODY_RETURN_IF_ERROR(r.Str("token_prefix", a.token_prefix));
      CUSTODY_RETURN_IF_ERROR(r.Str("csrf_header", a.csrf_header));
      CUSTODY_RETURN_IF_ERROR(r.Pointer("csrf_pointer", a.csrf_pointer));
      if (!a.csrf_header.empty() && !a.csrf_pointer.empty()) {
        return r.Fail("csrf_pointer", "and csrf_header both name where the CSRF token is: keep one");
      }
      CUSTODY_RETURN_IF_ERROR(r.Str("csrf_request_header", a.csrf_request_header));
      if (!a.csrf_header.empty() && at.KindOf("csrf_request_header").empty()) a.csrf_request_header = a.csrf_header;
      break;
    }
  }
  return Status::Ok();
}

Status CheckTemplate(const Reader& r, const std::string& key, const std::string& text) {
  for (const auto& name : gen::PlaceholdersIn(text)) {
    bool known = false;
    for (const char* k : gen::kPlaceholders) known = known || name == k;
    if (!known) {
      return r.Fail(key, "uses {" + name + "}, which is not a placeholder (known: {start}, {end}, {cursor}, {offset}, "
                                           "{limit}, {watermark}, {page})");
    }
  }
  return Status::Ok();
}

bool Uses(const std::string& text, const std::string& name) {
  for (const auto& n : gen::PlaceholdersIn(text)) {
    if (n == name) return true;
  }
  return false;
}

Status ReadRequest(const SourceSection& s, gen::RequestOptions& q) {
  auto t = s.Table("request");
  if (!t) return t.error();
  if (!*t) return s.Fail("", "[source.request] is required for an http-json source (at least its path)");
  const SourceSection& rt = **t;
  Reader r(rt, "request");
  CUSTODY_RETURN_IF_ERROR(rt.CheckKeys({"method", "path", "query", "headers", "body_type", "body", "first_body",
                                        "start_format", "end_format", "end_inclusive"}));
  CUSTODY_RETURN_IF_ERROR(r.Str("method", q.method));
  if (q.method != "GET" && q.method != "POST") return r.Fail("method", "must be GET or POST, not '" + q.method + "'");
  CUSTODY_RETURN_IF_ERROR(r.Str("path", q.path));
  if (!q.path.empty() && q.path[0] != '/') return r.Fail("path", "must start with '/' (it is appended to base_url)");
  CUSTODY_RETURN_IF_ERROR(CheckTemplate(r, "path", q.path));
  if (Uses(q.path, "cursor") || Uses(q.path, "watermark")) {
    return r.Fail("path", "cannot use {cursor} or {watermark} (they have no value on the first page): use query");
  }
  CUSTODY_RETURN_IF_ERROR(r.Pairs("query", '=', q.query));
  for (const auto& [name, value] : q.query) CUSTODY_RETURN_IF_ERROR(CheckTemplate(r, "query", value));
  gen::Fields headers;
  CUSTODY_RETURN_IF_ERROR(r.Pairs("headers", ':', headers));
  for (const auto& [name, value] : headers) {
    const std::string lower = [&] {
      std::string l = name;
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return l;
    }();
    // Credentials are references in [source.auth], never literal header values in the file.
    if (lower == "authorization" || lower == "cookie" || lower == "proxy-authorization") {
      return r.Fail("headers", "must not set " + name + ": credentials go in [source.auth] as references");
    }
    q.headers.emplace_back(name, value);
  }
  std::string body_type = "json";
  CUSTODY_RETURN_IF_ERROR(r.Str("body_type", body_type));
  auto bt = gen::ParseBodyType(body_type);
  if (!bt) return r.Fail("body_type", "must be json, form or text, not '" + body_type + "'");
  q.body_type = *bt;
  CUSTODY_RETURN_IF_ERROR(r.Str("body", q.body));
  CUSTODY_RETURN_IF_ERROR(r.Str("first_body", q.first_body));
  CUSTODY_RETURN_IF_ERROR(CheckTemplate(r, "body", q.body));
  CUSTODY_RETURN_IF_ERROR(CheckTemplate(r, "first_body", q.first_body));
  if ((!q.body.empty() || !q.first_body.empty()) && q.method == "GET") {
    return r.Fail(q.body.empty() ? "first_body" : "body", "needs method = \"POST\"");
  }
  if (!q.first_body.empty() && q.body.empty()) return r.Fail("first_body", "needs body (for the later pages)");
  if (Uses(q.first_body, "cursor") || Uses(q.first_body, "watermark")) {
    return r.Fail("first_body", "cannot use {cursor} or {watermark}: they have no value on the first page");
  }
  for (const auto& [key, out] : std::initializer_list<std::pair<const char*, gen::TimeParamFormat*>>{
           {"start_format", &q.start_format}, {"end_format", &q.end_format}}) {
    std::string f = "iso8601";
    CUSTODY_RETURN_IF_ERROR(r.Str(key, f));
    auto parsed = gen::ParseTimeParamFormat(f);
    if (!parsed) {
      return r.Fail(key, "'" + f + "' is not one of iso8601, iso8601_ms, rfc822_offset, epoch_ms, epoch_s, odbc_utc");
    }
    *out = *parsed;
  }
  CUSTODY_RETURN_IF_ERROR(r.Bool("end_inclusive", q.end_inclusive));
  return Status::Ok();
}

Status ReadPaging(const SourceSection& s, const gen::RequestOptions& q, gen::PagingOptions& g, bool* has_id) {
  auto t = s.Table("paging");
  if (!t) return t.error();
  if (!*t) return Status::Ok();  // one request
  const SourceSection& pt = **t;
  Reader r(pt, "paging");
  CUSTODY_RETURN_IF_ERROR(pt.CheckKeys({"mode", "limit", "probe", "start_offset", "first_page", "total_pointer",
                                        "cursor_pointer", "next_pointer", "link_header", "sort_order",
                                        "watermark_inclusive", "initial_watermark", "slice_seconds", "server_cap",
                                        "min_slice_seconds", "overlap_seconds", "max_pages"}));
  std::string mode = "none";
  CUSTODY_RETURN_IF_ERROR(r.Str("mode", mode));
  auto m = gen::ParsePagingMode(mode);
  if (!m) {
    return r.Fail("mode", "'" + mode + "' is not one of none, offset_limit, page_number, cursor, next_link, "
                                       "id_watermark, time_slicing");
  }
  g.mode = *m;
  std::optional<std::int64_t> n;
  CUSTODY_RETURN_IF_ERROR(r.Int("limit", 1, 1000000, n));
  if (n) g.limit = static_cast<std::uint64_t>(*n);
  CUSTODY_RETURN_IF_ERROR(r.Bool("probe", g.probe));
  CUSTODY_RETURN_IF_ERROR(r.Int("start_offset", 0, INT64_MAX, n));
  if (n) g.start_offset = static_cast<std::uint64_t>(*n);
  CUSTODY_RETURN_IF_ERROR(r.Int("first_page", 0, INT64_MAX, n));
  if (n) g.first_page = static_cast<std::uint64_t>(*n);
  CUSTODY_RETURN_IF_ERROR(r.Pointer("total_pointer", g.total_pointer));
  CUSTODY_RETURN_IF_ERROR(r.Pointer("cursor_pointer", g.cursor_pointer));
  CUSTODY_RETURN_IF_ERROR(r.Pointer("next_pointer", g.next_pointer));
  CUSTODY_RETURN_IF_ERROR(r.Bool("link_header", g.link_header));
  std::string order = "desc";
  CUSTODY_RETURN_IF_ERROR(r.Str("sort_order", order));
  if (order != "asc" && order != "desc") return r.Fail("sort_order", "must be asc or desc, not '" + order + "'");
  g.order = order == "asc" ? gen::SortOrder::kAsc : gen::SortOrder::kDesc;
  CUSTODY_RETURN_IF_ERROR(r.Bool("watermark_inclusive", g.watermark_inclusive));
  CUSTODY_RETURN_IF_ERROR(r.Int("initial_watermark", INT64_MIN, INT64_MAX, g.initial_watermark));
  CUSTODY_RETURN_IF_ERROR(r.Int("slice_seconds", 1, 366LL * 86400, n));
  if (n) g.slice = std::chrono::seconds(*n);
  CUSTODY_RETURN_IF_ERROR(r.Int("server_cap", 1, 100000000, n));
  if (n) g.server_cap = static_cast<std::uint64_t>(*n);
  CUSTODY_RETURN_IF_ERROR(r.Int("min_slice_seconds", 1, 86400, n));
  if (n) g.min_slice = std::chrono::seconds(*n);
  CUSTODY_RETURN_IF_ERROR(r.Int("overlap_seconds", 0, 86400, n));
  if (n) g.overlap = std::chrono::seconds(*n);
  CUSTODY_RETURN_IF_ERROR(r.Int("max_pages", 1, 10000000, n));
  if (n) g.max_pages = static_cast<std::uint64_t>(*n);

  // The mode's placeholder must appear in the request, or every page would be the same page.
  std::string all = q.path + q.body + q.first_body;
  for (const auto& [k, v] : q.query) all += v;
  auto need = [&](const char* placeholder) -> Status {
    if (!Uses(all, placeholder)) {
      return r.Fail("mode", "is " + mode + " but no request template uses {" + placeholder + "}");
    }
    return Status::Ok();
  };
  // Settings of another mode are named rather than ignored.
  auto only = [&](std::initializer_list<const char*> keys, const char* for_mode) -> Status {
    for (const char* k : keys) {
      if (!pt.KindOf(k).empty() && mode != for_mode) return r.Fail(k, std::string("is only used with mode ") + for_mode);
    }
    return Status::Ok();
  };
  CUSTODY_RETURN_IF_ERROR(only({"start_offset"}, "offset_limit"));
  CUSTODY_RETURN_IF_ERROR(only({"first_page"}, "page_number"));
  CUSTODY_RETURN_IF_ERROR(only({"cursor_pointer"}, "cursor"));
  CUSTODY_RETURN_IF_ERROR(only({"next_pointer", "link_header"}, "next_link"));
  CUSTODY_RETURN_IF_ERROR(only({"sort_order", "watermark_inclusive", "initial_watermark"}, "id_watermark"));
  CUSTODY_RETURN_IF_ERROR(only({"slice_seconds", "server_cap", "min_slice_seconds", "overlap_seconds"}, "time_slicing"));
  switch (g.mode) {
    case gen::PagingMode::kNone: break;
    case gen::PagingMode::kOffsetLimit: CUSTODY_RETURN_IF_ERROR(need("offset")); break;
    case gen::PagingMode::kPageNumber: CUSTODY_RETURN_IF_ERROR(need("page")); break;
    case gen::PagingMode::kCursor:
      CUSTODY_RETURN_IF_ERROR(need("cursor"));
      if (g.cursor_pointer.empty()) return r.Fail("mode", "cursor needs cursor_pointer (where the next cursor is)");
      if (Uses(q.body, "cursor") && q.first_body.empty()) {
        return r.Fail("mode", "cursor: the request body uses {cursor}, so [source.request] needs first_body for the "
                              "first page");
      }
      break;
    case gen::PagingMode::kNextLink:
      if (g.next_pointer.empty() && !g.link_header) {
        return r.Fail("mode", "next_link needs next_pointer (in the body) or link_header = true");
      }
      break;
    case gen::PagingMode::kIdWatermark:
      CUSTODY_RETURN_IF_ERROR(need("watermark"));
      if (!*has_id) return r.Fail("mode", "id_watermark needs [source.records] id_field");
      if (Uses(q.body, "watermark") && q.first_body.empty() && !g.initial_watermark) {
        return r.Fail("mode", "id_watermark: the body uses {watermark}: set first_body or initial_watermark");
      }
      break;
    case gen::PagingMode::kTimeSlicing:
      CUSTODY_RETURN_IF_ERROR(need("start"));
      CUSTODY_RETURN_IF_ERROR(need("end"));
      if (g.overlap.count() > 0 && !*has_id) return r.Fail("overlap_seconds", "needs [source.records] id_field to dedupe");
      break;
  }
  if (g.probe && g.mode != gen::PagingMode::kOffsetLimit && g.mode != gen::PagingMode::kIdWatermark) {
    return r.Fail("probe", "is only used with offset_limit and id_watermark");
  }
  return Status::Ok();
}

Status ReadRecords(const SourceSection& s, gen::RecordOptions& o) {
  auto t = s.Table("records");
  if (!t) return t.error();
  if (!*t) return s.Fail("", "[source.records] is required for an http-json source (at least its pointer)");
  const SourceSection& rt = **t;
  Reader r(rt, "records");
  CUSTODY_RETURN_IF_ERROR(rt.CheckKeys({"pointer", "single_or_array", "absent_is_empty", "id_field",
                                        "timestamp_field", "timestamp_format", "timestamp_zone", "event_type",
                                        "event_type_field", "action", "action_field", "actor_field", "actor_id_field",
                                        "ip_field", "target_field", "target_type_field", "outcome_field",
                                        "outcome_success", "outcome_failure", "message_field", "patient_field",
                                        "request_id_field"}));
  if (rt.KindOf("pointer") != "string") {
    return rt.Fail(rt.KindOf("pointer").empty() ? "" : "pointer",
                   "records.pointer (the JSON pointer of the records array, \"\" for the whole page) is required");
  }
  CUSTODY_RETURN_IF_ERROR(r.Str("pointer", o.pointer));
  if (!o.pointer.empty() && o.pointer[0] != '/') return r.Fail("pointer", "must be \"\" or start with '/'");
  CUSTODY_RETURN_IF_ERROR(r.Bool("single_or_array", o.single_or_array));
  CUSTODY_RETURN_IF_ERROR(r.Bool("absent_is_empty", o.absent_is_empty));
  for (const auto& [key, out] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"id_field", &o.id_field}, {"timestamp_field", &o.timestamp_field}, {"event_type_field", &o.event_type_field},
           {"action_field", &o.action_field}, {"actor_field", &o.actor_field}, {"actor_id_field", &o.actor_id_field},
           {"ip_field", &o.ip_field}, {"target_field", &o.target_field}, {"target_type_field", &o.target_type_field},
           {"outcome_field", &o.outcome_field}, {"message_field", &o.message_field},
           {"patient_field", &o.patient_field}, {"request_id_field", &o.request_id_field}}) {
    CUSTODY_RETURN_IF_ERROR(r.Pointer(key, *out));
  }
  std::string f = "iso8601";
  CUSTODY_RETURN_IF_ERROR(r.Str("timestamp_format", f));
  auto tf = gen::ParseTimestampFormat(f);
  if (!tf) {
    return r.Fail("timestamp_format", "'" + f + "' is not one of iso8601, epoch_ms, epoch_s, calendar_object, "
                                               "basic_iso8601, rfc822_offset, odbc");
  }
  o.timestamp_format = *tf;
  if (o.timestamp_field.empty() && !rt.KindOf("timestamp_format").empty()) {
    return r.Fail("timestamp_format", "needs timestamp_field");
  }
  CUSTODY_RETURN_IF_ERROR(r.Str("timestamp_zone", o.timestamp_zone));
  if (o.timestamp_format == gen::TimestampFormat::kOdbc) {
    if (o.timestamp_zone.empty()) {
      return r.Fail("timestamp_format", "odbc (a wall-clock time without zone) needs timestamp_zone, e.g. \"UTC\"");
    }
    if (!normalize::IsKnownTimeZone(o.timestamp_zone)) {
      return r.Fail("timestamp_zone", "'" + o.timestamp_zone + "' is not a time zone of the tz database");
    }
  } else if (!o.timestamp_zone.empty()) {
    return r.Fail("timestamp_zone", "is only used with timestamp_format odbc (other forms carry their own zone)");
  }
  CUSTODY_RETURN_IF_ERROR(r.Str("event_type", o.event_type));
  CUSTODY_RETURN_IF_ERROR(r.Str("action", o.action));
  if (o.event_type.empty()) return r.Fail("event_type", "must not be empty");
  if (o.action.empty()) return r.Fail("action", "must not be empty");
  CUSTODY_RETURN_IF_ERROR(r.List("outcome_success", o.outcome_success));
  CUSTODY_RETURN_IF_ERROR(r.List("outcome_failure", o.outcome_failure));
  if ((!o.outcome_success.empty() || !o.outcome_failure.empty()) && o.outcome_field.empty()) {
    return r.Fail(o.outcome_success.empty() ? "outcome_failure" : "outcome_success", "needs outcome_field");
  }
  return Status::Ok();
}

bool SafeName(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<SourceJob> HttpJsonJob(const SourceSection& s, PreparedCollection& p, Context& ctx, std::uint64_t index) {
  CUSTODY_RETURN_IF_ERROR(s.CheckKeys({"name", "type", "base_url", "stream", "object", "min_interval_ms",
                                       "max_retry_after_seconds", "auth", "request", "paging", "records"}));
  auto o = std::make_shared<gen::HttpJsonOptions>();
  o->source = s.name();
  Reader top(s, "");
  auto base = s.RequiredString("base_url");
  if (!base) return base.error();
  o->base_url = TrimSlashes(*base);
  if (Status st = http::CheckUrlPolicy(o->base_url); !st) return s.Fail("base_url", st.error().message());
  if (o->base_url.find('?') != std::string::npos) return s.Fail("base_url", "base_url must not have a query: use [source.request] query");
  CUSTODY_RETURN_IF_ERROR(top.Str("stream", o->stream));
  if (!SafeName(o->stream)) return s.Fail("stream", "stream must be a folder name: letters, digits, '.', '-', '_'");
  CUSTODY_RETURN_IF_ERROR(top.Str("object", o->object));
  std::optional<std::int64_t> n;
  CUSTODY_RETURN_IF_ERROR(top.Int("min_interval_ms", 0, 600000, n));
  if (n) o->min_interval = std::chrono::milliseconds(*n);
  CUSTODY_RETURN_IF_ERROR(top.Int("max_retry_after_seconds", 0, 3600, n));
  if (n) o->policy.max_retry_after = std::chrono::seconds(*n);

  CUSTODY_RETURN_IF_ERROR(ReadAuth(s, o->base_url, p, o->auth));
  CUSTODY_RETURN_IF_ERROR(ReadRequest(s, o->request));
  CUSTODY_RETURN_IF_ERROR(ReadRecords(s, o->records));
  bool has_id = !o->records.id_field.empty();
  CUSTODY_RETURN_IF_ERROR(ReadPaging(s, o->request, o->paging, &has_id));

  ApplyPrepared(*o, p, ctx, s.name());

  ApplyPlan(*o, p, s.name());
  o->seed = 0;
  (void)index;
  SourceJob job;
  job.name = s.name();
  job.type = "http-json";
  job.url = o->base_url;
  job.probe_url = o->base_url;
  for (const auto& h : o->request.headers) job.probe_headers.push_back(h);
  auth::Redactor* redactor = &p.redactor;
  const Clock* clock = &ctx.clock;
  job.run = [o, redactor, clock](connectors::RecordSink& sink) {
    return gen::CollectHttpJson(*o, *clock, *redactor, sink);
  };
  return job;
}

}  // namespace custody::cli
