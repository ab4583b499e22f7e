// The generic HTTP-JSON connector's sweep: builds each request from the templates, pages by the
// configured mode until its termination rule says the last page was read, captures every answer
// through a Session, and normalizes each record from its exact bytes.

#include "connectors/generic/http_json.h"
#include "connectors/common/text.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <set>
#include <strings.h>
#include <thread>
#include <unordered_map>

#include "capture/capture.h"
#include "connectors/fhir/fhir_auth.h"
#include "connectors/generic/http_json_auth.h"
#include "crypto/digest.h"
#include "json/json.h"
#include "normalize/json_elements.h"

namespace custody::connectors::generic {

namespace {

std::int64_t ToMs(UtcSeconds t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<std::int64_t> IntId(const rapidjson::Value& v) {
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsString()) {
    std::string_view s(v.GetString(), v.GetStringLength());
    if (s.empty() || s.size() > 18) return std::nullopt;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    std::int64_t n = 0;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      n = n * 10 + (s[i] - '0');
    }
    return s[0] == '-' ? -n : n;
  }
  return std::nullopt;
}

const char* TypeName(const rapidjson::Value& v) {
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  if (v.IsString()) return "a string";
  if (v.IsNumber()) return "a number";
  if (v.IsBool()) return "a boolean";
  return "null";
}

class HttpJsonRun {
 public:
  HttpJsonRun(const HttpJsonOptions& o, const Clock& clock, auth::Redactor& redactor, RecordSink& sink)
      : o_(o), clock_(clock), redactor_(redactor), sink_(sink) {}
  Result<SourceReport> Go();

 private:
  struct Page {
    SessionResult r;
    std::string what;  // "GET https://..."
    std::string body;
    // The page's one parse: its DOM, which everything read from the page comes from (records,
    // ids, total, cursor, next link), and the exact bytes of each element at the records pointer.
    normalize::ParsedElements json;
    std::string parsed_from;  // the bag path of the capture that body and json are from
    Status records_pointer;   // not Ok: the records pointer is not RFC 6901 (said once records are found)
    bool usable = false;
    std::string problem;
  };
  struct Located {
    bool ok = true;
    std::string problem;
    const rapidjson::Value* value = nullptr;  // the array (or lone object); nullptr = empty page
    std::uint64_t count = 0;
  };
  struct Emitted {
    Status status;
    std::vector<std::optional<std::int64_t>> ids;  // every element's, in page order
  };

  Status Check() const;
  Result<std::unique_ptr<Authenticator>> MakeAuth();
  std::optional<std::string> Value(std::string_view name) const;
  std::string EndParam(std::int64_t end_ms) const;
  bool Build(bool first, http::Request* req, std::string* why) const;
  Page Fetch(http::Request req);
  Status ParsePage(Page& p) const;
  Located Locate(const Page& p) const;
  Emitted Emit(const Page& p, const Located& at, std::uint64_t emit_limit);
  bool Stopped() const { return state_.stop() != SourceStop::kNone; }
  void Progress(const std::string& what) const {
    if (o_.progress) o_.progress(o_.stream, what);
  }
  bool Wait(std::chrono::milliseconds d) const;
  void Sweep();
  void Slices();
  std::string DetailsJson() const;
  std::string RequestLine(const http::Request& req) const;

  const HttpJsonOptions& o_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  RecordSink& sink_;
  SourceState state_;
  std::unique_ptr<Authenticator> auth_;
  SessionLoginAuthenticator* session_login_ = nullptr;
  std::unique_ptr<Session> session_;
  SourceReport report_;
  SourceItem item_;
  std::int64_t since_ms_ = 0;
  std::int64_t until_ms_ = 0;
  // Placeholder values of the request being built.
  std::int64_t start_ms_ = 0;
  std::int64_t end_ms_ = 0;
  std::optional<std::string> cursor_;
  std::uint64_t offset_ = 0;
  std::uint64_t page_number_ = 1;
  std::optional<std::int64_t> watermark_;
  std::uint64_t captures_ = 0;
  bool any_answer_ = false;
  bool first_request_ = true;
  std::optional<Error> first_failure_;
  std::unordered_map<std::string, std::string> seen_;  // id -> sha256 of its first bytes
  std::uint64_t duplicates_ = 0;
  std::uint64_t conflicting_ = 0;
  std::uint64_t untimed_ = 0;
  std::uint64_t slices_ = 0;
  std::uint64_t splits_ = 0;
};

Status HttpJsonRun::Check() const {
  auto bad = [](const std::string& m) { return Status(Error(ErrorCode::kInvalidArgument, m)); };
  if (o_.source.empty()) return bad("no source name");
  if (o_.base_url.empty()) return bad("no base URL");
  if (Status s = http::CheckUrlPolicy(o_.base_url); !s) return s;
  if (o_.until <= o_.since) return bad("the window is empty");
  if (o_.request.method != "GET" && o_.request.method != "POST") return bad("method must be GET or POST");
  const PagingMode m = o_.paging.mode;
  if ((m == PagingMode::kOffsetLimit || m == PagingMode::kPageNumber || m == PagingMode::kIdWatermark) &&
      o_.paging.limit == 0) {
    return bad("paging needs a limit of at least 1");
  }
  if (m == PagingMode::kCursor && o_.paging.cursor_pointer.empty()) return bad("cursor paging needs cursor_pointer");
  if (m == PagingMode::kNextLink && o_.paging.next_pointer.empty() && !o_.paging.link_header) {
    return bad("next_link paging needs next_pointer or link_header");
  }
  if (m == PagingMode::kIdWatermark && o_.records.id_field.empty()) return bad("id_watermark paging needs id_field");
  if (m == PagingMode::kTimeSlicing && o_.paging.slice.count() <= 0) return bad("time_slicing needs a slice length");
  if (o_.paging.overlap.count() > 0 && o_.records.id_field.empty()) return bad("overlap needs id_field (to dedupe)");
  if (o_.records.timestamp_format == TimestampFormat::kOdbc && o_.records.timestamp_zone.empty()) {
    return bad("timestamp_format odbc needs timestamp_zone");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Authenticator>> HttpJsonRun::MakeAuth() {
  const AuthOptions& a = o_.auth;
  auto make = [this]() -> Result<std::unique_ptr<http::Transport>> {
    if (o_.make_transport) return o_.make_transport();
    return http::MakeCurlTransport(o_.transport);
  };
  switch (a.mode) {
    case AuthMode::kNone: return std::unique_ptr<Authenticator>(std::make_unique<NoAuthenticator>());
    case AuthMode::kBasic: {
      redactor_.Add(a.password.reveal());
      return std::unique_ptr<Authenticator>(std::make_unique<fhir::StaticAuthenticator>(
          fhir::BasicHeader(a.username, a.password, redactor_),
          "the server refused the HTTP Basic credentials of user '" + a.username + "' (check username and password)"));
    }
    case AuthMode::kBearer: {
      redactor_.Add(a.token.reveal());
      return std::unique_ptr<Authenticator>(std::make_unique<HeaderAuthenticator>(
          a.header, a.prefix + a.token.reveal(),
          "the server refused the static " + a.header + " credential (expired or revoked? it cannot be renewed)"));
    }
    case AuthMode::kOAuth2ClientCredentials: {
      auto t = make();
      if (!t) return t.error();
      if (a.client_auth == ClientAuth::kPrivateKeyJwt) {
        redactor_.Add(a.key_passphrase.reveal());
        auto key = auth::LoadSmartSigningKey(a.key_pem.reveal(), a.key_passphrase.reveal());
        if (!key) return Error(key.error().code(), "the private_key_jwt key: " + key.error().message());
        fhir::SmartSettings st;
        st.token_url = a.token_url;
        st.client_id = a.client_id;
        st.kid = a.kid;
        st.scope = a.scope;
        return std::unique_ptr<Authenticator>(
            std::make_unique<fhir::SmartAuthenticator>(std::move(st), std::move(*key), std::move(*t), clock_, redactor_));
      }
      return std::unique_ptr<Authenticator>(std::make_unique<ClientSecretAuthenticator>(a, std::move(*t), clock_, redactor_));
    }
    case AuthMode::kSessionLogin: {
      auto t = make();
      if (!t) return t.error();
      SessionLoginSettings s;
      s.source = o_.source;
      s.payload_root = o_.payload_root;
      s.headers = o_.request.headers;
      s.max_attempts = o_.policy.max_attempts;
      s.retry_base = o_.policy.base;
      s.sleep = o_.sleep;
      s.cancel = o_.cancel;
      auto login = std::make_unique<SessionLoginAuthenticator>(a, std::move(s), std::move(*t), clock_, redactor_);
      session_login_ = login.get();
      return std::unique_ptr<Authenticator>(std::move(login));
    }
  }
  return Error(ErrorCode::kInvalidArgument, "unknown auth mode");
}

std::string HttpJsonRun::EndParam(std::int64_t end_ms) const {
  const RequestOptions& r = o_.request;
  if (r.end_inclusive) {
    // The server includes `end`: the last instant before it at the format's resolution.
    const bool seconds = r.end_format == TimeParamFormat::kEpochS || r.end_format == TimeParamFormat::kOdbcUtc;
    end_ms -= seconds ? 1000 : 1;
  }
  return FormatTimeParam(end_ms, r.end_format);
}

std::optional<std::string> HttpJsonRun::Value(std::string_view name) const {
  const RequestOptions& r = o_.request;
  if (name == "start") return FormatTimeParam(start_ms_, r.start_format);
  if (name == "end") return EndParam(end_ms_);
  if (name == "cursor") return cursor_;
  if (name == "offset") return std::to_string(offset_);
  if (name == "limit") return std::to_string(o_.paging.limit + (o_.paging.probe ? 1 : 0));
  if (name == "page") return std::to_string(page_number_);
  if (name == "watermark") {
    if (!watermark_) return std::nullopt;
    return std::to_string(*watermark_);
  }
  return std::nullopt;
}

bool HttpJsonRun::Build(bool first, http::Request* req, std::string* why) const {
  auto value = [this](std::string_view n) { return Value(n); };
  const RequestOptions& r = o_.request;
  auto path = Expand(r.path, value, Escape::kUrl);
  if (!path) {
    *why = "the path template uses a placeholder with no value yet";
    return false;
  }
  req->method = r.method;
  req->url = o_.base_url + *path;
  std::string query;
  for (const auto& [name, tmpl] : r.query) {
    auto v = Expand(tmpl, value, Escape::kUrl);
    if (!v) continue;  // {cursor} / {watermark} not known yet: the parameter is left out
    query += (query.empty() ? "" : "&") + http::UrlEncode(name) + "=" + *v;
  }
  if (!query.empty()) req->url += (req->url.find('?') == std::string::npos ? "?" : "&") + query;
  req->headers = r.headers;
  if (!http::FindHeader(req->headers, "Accept")) req->headers.emplace_back("Accept", "application/json");
  const std::string& tmpl = first && !r.first_body.empty() ? r.first_body : r.body;
  if (!tmpl.empty()) {
    const Escape esc = r.body_type == BodyType::kJson ? Escape::kJson : r.body_type == BodyType::kForm ? Escape::kUrl
                                                                                                         : Escape::kNone;
    auto body = Expand(tmpl, value, esc);
    if (!body) {
      *why = "the body template uses {cursor} or {watermark} before it has a value (set first_body)";
      return false;
    }
    req->body = *body;
    if (!http::FindHeader(req->headers, "Content-Type")) {
      req->headers.emplace_back("Content-Type", r.body_type == BodyType::kJson   ? "application/json"
                                                : r.body_type == BodyType::kForm ? "application/x-www-form-urlencoded"
                                                                                 : "text/plain");
    }
  }
  req->timeout = std::chrono::minutes(10);
  return true;
}

bool HttpJsonRun::Wait(std::chrono::milliseconds d) const {
  if (o_.sleep) return o_.sleep(d);
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (o_.cancel != nullptr && o_.cancel->load()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - std::chrono::steady_clock::now(),
                                                                             std::chrono::milliseconds(50)));
  }
  return true;
}

std::string HttpJsonRun::RequestLine(const http::Request& req) const {
  const std::string origin = http::Origin(req.url);
  return req.method + " " + req.url.substr(origin.size());
}

HttpJsonRun::Page HttpJsonRun::Fetch(http::Request req) {
  Page p;
  p.what = req.method + " " + req.url;
  if (!first_request_ && o_.min_interval.count() > 0 && !Wait(o_.min_interval)) {
    state_.Stop(SourceStop::kInterrupted, "interrupted");
  }
  first_request_ = false;
  if (Stopped()) {
    p.problem = "not asked: the collection had stopped (" + SourceStopName(state_.stop()) + ")";
    return p;
  }
  SessionCall call;
  call.request = std::move(req);
  call.purpose = capture::Purpose{o_.source, o_.stream, o_.object.empty() ? o_.stream : o_.object, "page", "",
                                  captures_ + 1, 1};
  call.dir = "raw/" + o_.source + "/" + o_.stream;
  call.name = "page-" + Pad6(++captures_) + ".json";
  call.classify = [this, &p](const capture::CaptureFile& cap, std::string* problem) {
    const int s = cap.head().status;
    if (s == 401) {
      *problem = "HTTP 401: the credential was refused";
      return Verdict::kAuthFailed;
    }
    if (s == 429 || s >= 500) {
      *problem = "HTTP " + std::to_string(s);
      return Verdict::kRetry;
    }
    auto ct = http::FindHeader(cap.head().headers, "Content-Type");
    if (s >= 200 && s < 300 && ct && ct->find("json") != std::string::npos) {
      // A JSON page cut short (a dropped connection the framing did not catch) is transient.
      // The parse that finds out is the page's own: kept when this answer is the final one.
      p.parsed_from.clear();
      p.body = ReadWhole(cap.path().string());
      if (!IsBlank(p.body)) {
        if (!ParsePage(p)) {
          *problem = "the JSON body does not parse (at byte " + std::to_string(p.json.error_offset.value_or(0)) + ")";
          return Verdict::kRetry;
        }
        p.parsed_from = cap.bag_path();
      }
    }
    return Verdict::kAccept;
  };
  p.r = session_->Execute(std::move(call));
  const std::string where = p.r.bag_path.empty() ? "" : " (kept at " + p.r.bag_path + ")";
  if (!p.r.ok) {
    p.problem = p.r.error;
    if (!any_answer_ && !first_failure_) {
      first_failure_ = Error(p.r.stop == SourceStop::kAuth ? ErrorCode::kAuth : ErrorCode::kNetwork, p.r.error);
    }
    return p;
  }
  any_answer_ = true;
  // Parsed already when the classifier saw a 2xx JSON answer; anything else is read (and, when
  // 2xx, parsed) here.
  const bool parsed = !p.parsed_from.empty() && p.parsed_from == p.r.bag_path;
  if (!parsed) p.body = ReadWhole(p.r.body_path);
  if (p.r.status < 200 || p.r.status >= 300) {
    const std::string gist = Gist(redactor_.Apply(p.body));
    p.problem = redactor_.Apply(p.what + " answered HTTP " + std::to_string(p.r.status) + " (" +
                                ContentTypeOf(p.r.headers) + ")" + (gist.empty() ? "" : ": " + gist) + where);
    return p;
  }
  if (!parsed && !ParsePage(p)) {
    const std::string gist = Gist(redactor_.Apply(p.body), 120);
    p.problem = redactor_.Apply(p.what + " answered HTTP " + std::to_string(p.r.status) + " with " +
                                ContentTypeOf(p.r.headers) + " that is not JSON (parse error at byte " +
                                std::to_string(p.json.error_offset.value_or(0)) + ")" +
                                (gist.empty() ? "" : ": " + gist) + where);
    return p;
  }
  p.usable = true;
  return p;
}

// p.body parsed into p.json (kParse when it is not JSON). Numbers stay numbers as RapidJSON reads
// them by default, and strings are taken as they come (no UTF-8 check), as the page's DOM always
// was: an id, total, cursor or epoch time reads as an integer as written or a double as RapidJSON
// prints it, so records, their ids and their dedupe keys stay byte for byte what they were.
Status HttpJsonRun::ParsePage(Page& p) const {
  p.records_pointer = Status::Ok();
  Status s = normalize::ParseJsonArrayElements(p.body, o_.records.pointer, false, false, p.json);
  if (s.ok() || s.error().code() != ErrorCode::kInvalidArgument) return s;
  // A records pointer with a bad '~' escape is refused before the text is read. The page's DOM
  // still serves Locate (which reads the pointer loosely) and paging; Emit says why no record is
  // read once records are found there.
  p.records_pointer = s;
  return normalize::ParseJsonArrayElements(p.body, "", false, false, p.json);
}

HttpJsonRun::Located HttpJsonRun::Locate(const Page& p) const {
  Located at;
  const RecordOptions& r = o_.records;
  bool null_on_path = false;
  const rapidjson::Value* v = At(p.json.doc, r.pointer, &null_on_path);
  const std::string where = " (" + p.r.bag_path + ")";
  if (v == nullptr || v->IsNull()) {
    if (null_on_path || r.absent_is_empty) return at;  // an empty page
    at.ok = false;
    at.problem = "no records at " + (r.pointer.empty() ? std::string("the root") : r.pointer) + where;
    return at;
  }
  if (v->IsArray()) {
    at.value = v;
    at.count = v->Size();
    return at;
  }
  if (r.single_or_array && v->IsObject()) {
    at.value = v;
    at.count = 1;
    return at;
  }
  if (r.single_or_array && v->IsString() && v->GetStringLength() == 0) return at;  // Staxon's empty list
  at.ok = false;
  at.problem = "the records at " + (r.pointer.empty() ? std::string("the root") : r.pointer) + " are " + TypeName(*v) +
               ", not an array" + (v->IsObject() ? " (single_or_array = true reads a lone object as one record)" : "") +
               where;
  return at;
}

HttpJsonRun::Emitted HttpJsonRun::Emit(const Page& p, const Located& at, std::uint64_t emit_limit) {
  Emitted out;
  if (at.value == nullptr) return out;
  if (!p.records_pointer) {
    out.status = p.records_pointer;
    return out;
  }
  const std::string label = "http-json:" + o_.source;
  const std::uint64_t capture = captures_;
  // The elements are those of at.value: found by the same pointer in the same parse.
  for (const normalize::JsonElement& e : p.json.elements) {
    const rapidjson::Value& v = at.value->IsArray() ? (*at.value)[static_cast<rapidjson::SizeType>(e.index)] : *at.value;
    const rapidjson::Value* idv = o_.records.id_field.empty() ? nullptr : At(v, o_.records.id_field);
    out.ids.push_back(idv != nullptr ? IntId(*idv) : std::nullopt);
    if (e.index >= emit_limit) continue;  // the look-ahead record: the next page's first
    std::string_view text = std::string_view(p.body).substr(e.byte_offset, e.byte_length);
    const std::string sha = crypto::Sha256Hex(text);
    if (idv != nullptr && !idv->IsNull()) {
      const std::string id = json::ScalarText(*idv);
      if (!id.empty()) {
        auto [it, inserted] = seen_.emplace(id, sha);
        if (!inserted) {
          if (it->second == sha) {
            ++duplicates_;
            continue;  // kept raw in both captures, normalized once
          }
          ++conflicting_;  // same id, other bytes: both are evidence
        }
      }
    }
    normalize::Record rec = MapRecord(o_.records, label, o_.stream, v);
    rec.raw_file = p.r.bag_path;
    rec.record_index = e.index;
    rec.byte_offset = e.byte_offset;
    rec.byte_length = e.byte_length;
    rec.raw_sha256 = sha;
    if (!rec.timestamp_ms) ++untimed_;
    ++item_.received;
    out.status = sink_.Emit(rec, 0, capture);
    if (!out.status) return out;
  }
  return out;
}

void HttpJsonRun::Sweep() {
  const PagingOptions& pg = o_.paging;
  const std::uint64_t n = pg.limit;
  start_ms_ = since_ms_;
  end_ms_ = until_ms_;
  offset_ = pg.start_offset;
  page_number_ = pg.first_page;
  watermark_ = pg.initial_watermark;
  std::string next_url;
  std::set<std::string> seen_links;
  const std::string base_origin = http::Origin(o_.base_url);
  for (std::uint64_t page = 1;; ++page) {
    if (Stopped()) {
      item_.gaps.push_back("stopped (" + SourceStopName(state_.stop()) + ": " + state_.stop_detail() +
                           ") before page " + std::to_string(page));
      break;
    }
    if (page > pg.max_pages) {
      item_.gaps.push_back("stopped after max_pages (" + std::to_string(pg.max_pages) + ") pages: more may exist");
      break;
    }
    http::Request req;
    if (!next_url.empty()) {
      req.method = "GET";
      req.url = next_url;
      req.headers = o_.request.headers;
      if (!http::FindHeader(req.headers, "Accept")) req.headers.emplace_back("Accept", "application/json");
      req.timeout = std::chrono::minutes(10);
    } else {
      std::string why;
      if (!Build(page == 1, &req, &why)) {
        item_.gaps.push_back("page " + std::to_string(page) + " could not be asked for: " + why);
        break;
      }
    }
    if (page == 1) item_.request = RequestLine(req);
    const std::string asked = req.method + " " + req.url;
    Page p = Fetch(std::move(req));
    if (!p.usable) {
      item_.gaps.push_back("page " + std::to_string(page) + " not collected: " + p.problem +
                           (page > 1 ? "; the " + std::to_string(page - 1) + " pages before it are kept" : ""));
      break;
    }
    ++item_.pages;
    Located at = Locate(p);
    if (!at.ok) {
      item_.gaps.push_back("page " + std::to_string(page) + " (" + asked + ") cannot be read: " + at.problem);
      break;
    }
    if (page == 1 && !pg.total_pointer.empty()) {
      const rapidjson::Value* t = At(p.json.doc, pg.total_pointer);
      std::optional<std::int64_t> total = t != nullptr ? IntId(*t) : std::nullopt;
      if (total && *total >= 0) {
        item_.expected = static_cast<std::uint64_t>(*total);
        item_.expected_from = pg.total_pointer + " of the first page";
      } else {
        item_.notes.push_back("the first page has no count at " + pg.total_pointer);
      }
    }
    const bool probe = pg.probe && (pg.mode == PagingMode::kOffsetLimit || pg.mode == PagingMode::kIdWatermark);
    Emitted em = Emit(p, at, probe ? n : UINT64_MAX);
    if (!em.status) {
      if (em.status.error().code() == ErrorCode::kParse) {
        item_.gaps.push_back("page " + std::to_string(page) + " (" + p.r.bag_path + "): " + em.status.error().message());
      } else {
        state_.Stop(SourceStop::kFailed, "normalize " + p.r.bag_path + ": " + em.status.error().message());
        item_.gaps.push_back("normalizing stopped: " + em.status.error().message());
      }
      break;
    }
    Progress(std::to_string(item_.received) + (item_.expected ? " of " + std::to_string(*item_.expected) : "") +
             " records, page " + std::to_string(page));
    const std::uint64_t count = at.count;
    // Termination: the mode's own rule.
    const bool short_page = probe ? count <= n : count < n;
    switch (pg.mode) {
      case PagingMode::kNone:
      case PagingMode::kTimeSlicing:
        return;
      case PagingMode::kOffsetLimit:
        if (count == 0 || short_page) return;
        offset_ += n;
        if (item_.expected && offset_ >= *item_.expected) return;
        break;
      case PagingMode::kPageNumber:
        if (count == 0 || short_page) return;
        ++page_number_;
        break;
      case PagingMode::kCursor: {
        const rapidjson::Value* c = At(p.json.doc, pg.cursor_pointer);
        const std::string next = c != nullptr ? json::ScalarText(*c) : "";
        if (next.empty()) return;  // no cursor: the last page
        if (!seen_links.insert(next).second) {
          item_.gaps.push_back("page " + std::to_string(page) + " (" + p.r.bag_path + ") gave cursor '" + Gist(next, 80) +
                               "' again: the server is looping; stopped");
          return;
        }
        cursor_ = next;
        break;
      }
      case PagingMode::kNextLink: {
        std::string link;
        if (!pg.next_pointer.empty()) {
          const rapidjson::Value* l = At(p.json.doc, pg.next_pointer);
          link = l != nullptr ? json::ScalarText(*l) : "";
        }
        if (link.empty() && pg.link_header) {
          for (const auto& [name, value] : p.r.headers) {
            if (name.size() == 4 && strncasecmp(name.c_str(), "link", 4) == 0) {
              link = LinkNext(value);
              if (!link.empty()) break;
            }
          }
        }
        if (link.empty()) return;  // no next link: the last page
        const std::string url = ResolveUrl(asked.substr(asked.find(' ') + 1), link);
        if (http::Origin(url) != base_origin) {
          // Credentials go only to the configured server.
          item_.gaps.push_back("page " + std::to_string(page) + " (" + p.r.bag_path + ") links to " + Gist(url, 160) +
                               ", outside " + base_origin + ": not followed");
          return;
        }
        if (!seen_links.insert(url).second) {
          item_.gaps.push_back("page " + std::to_string(page) + " (" + p.r.bag_path + ") links to " + Gist(url, 160) +
                               " again: the server is looping; stopped");
          return;
        }
        next_url = url;
        break;
      }
      case PagingMode::kIdWatermark: {
        if (count == 0) return;
        const size_t used = static_cast<size_t>(std::min<std::uint64_t>(count, n));
        std::optional<std::int64_t> lo;
        std::optional<std::int64_t> hi;
        for (size_t i = 0; i < em.ids.size() && i < used; ++i) {
          if (!em.ids[i]) {
            item_.gaps.push_back("page " + std::to_string(page) + " (" + p.r.bag_path + ") cannot be paged past: record " +
                                 std::to_string(i) + " has no integer id at " + o_.records.id_field);
            return;
          }
          lo = lo ? std::min(*lo, *em.ids[i]) : *em.ids[i];
          hi = hi ? std::max(*hi, *em.ids[i]) : *em.ids[i];
        }
        if (short_page) return;
        const std::int64_t step = pg.watermark_inclusive ? 1 : 0;
        const std::int64_t next = pg.order == SortOrder::kDesc ? *lo - step : *hi + step;
        const bool advanced = !watermark_ || (pg.order == SortOrder::kDesc ? next < *watermark_ : next > *watermark_);
        if (!advanced) {
          item_.gaps.push_back("page " + std::to_string(page) + " (" + p.r.bag_path + ") does not move the watermark past " +
                               std::to_string(*watermark_) + " (ids not in " +
                               (pg.order == SortOrder::kDesc ? "descending" : "ascending") + " order?): stopped");
          return;
        }
        watermark_ = next;
        break;
      }
    }
  }
}

void HttpJsonRun::Slices() {
  const PagingOptions& pg = o_.paging;
  std::deque<std::pair<std::int64_t, std::int64_t>> todo;
  for (std::int64_t a = since_ms_; a < until_ms_; a += pg.slice.count()) {
    todo.emplace_back(a, std::min<std::int64_t>(a + pg.slice.count(), until_ms_));
  }
  const std::int64_t overlap_ms = pg.overlap.count() * 1000;
  while (!todo.empty()) {
    auto [a, b] = todo.front();
    todo.pop_front();
    const std::string span = "[" + FormatTimeParam(a, TimeParamFormat::kIso8601) + ", " +
                             FormatTimeParam(b, TimeParamFormat::kIso8601) + ")";
    if (Stopped()) {
      item_.gaps.push_back("stopped (" + SourceStopName(state_.stop()) + ": " + state_.stop_detail() +
                           ") before slice " + span + " and " + std::to_string(todo.size()) + " more");
      return;
    }
    if (item_.pages >= pg.max_pages) {
      item_.gaps.push_back("stopped after max_pages (" + std::to_string(pg.max_pages) + ") pages before slice " + span);
      return;
    }
    start_ms_ = a > since_ms_ ? std::max(since_ms_, a - overlap_ms) : a;
    end_ms_ = b;
    http::Request req;
    std::string why;
    if (!Build(true, &req, &why)) {
      item_.gaps.push_back("slice " + span + " could not be asked for: " + why);
      continue;
    }
    if (item_.request.empty()) item_.request = RequestLine(req);
    ++slices_;
    Page p = Fetch(std::move(req));
    if (!p.usable) {
      item_.gaps.push_back("slice " + span + " not collected: " + p.problem);
      continue;  // the other slices do not depend on this one
    }
    ++item_.pages;
    Located at = Locate(p);
    if (!at.ok) {
      item_.gaps.push_back("slice " + span + " cannot be read: " + at.problem);
      continue;
    }
    const bool capped = pg.server_cap > 0 && at.count >= pg.server_cap;
    if (capped && b - a >= 2 * pg.min_slice.count()) {
      // The server stopped at its cap: the rest of this slice is read as two halves. This page's
      // records come again from the halves; the page itself stays captured.
      const std::int64_t mid = a + (b - a) / 2;
      todo.emplace_front(mid, b);
      todo.emplace_front(a, mid);
      ++splits_;
      item_.notes.push_back("slice " + span + " answered " + std::to_string(at.count) + " records, the server cap (" +
                            p.r.bag_path + "): split in two");
      continue;
    }
    Emitted em = Emit(p, at, UINT64_MAX);
    if (!em.status) {
      if (em.status.error().code() == ErrorCode::kParse) {
        item_.gaps.push_back("slice " + span + " (" + p.r.bag_path + "): " + em.status.error().message());
        continue;
      }
      state_.Stop(SourceStop::kFailed, "normalize " + p.r.bag_path + ": " + em.status.error().message());
      item_.gaps.push_back("normalizing stopped: " + em.status.error().message());
      return;
    }
    if (capped) {
      item_.gaps.push_back("slice " + span + " answered " + std::to_string(at.count) +
                           " records, the server cap, and is no longer than min_slice: more may exist (" +
                           p.r.bag_path + ")");
    }
    Progress(std::to_string(item_.received) + " records, " + std::to_string(slices_) + " slices");
  }
}

std::string HttpJsonRun::DetailsJson() const {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto opt = [&](const std::string& s) {
    if (s.empty()) w.Null(); else str(s);
  };
  const RequestOptions& r = o_.request;
  const PagingOptions& pg = o_.paging;
  const RecordOptions& rc = o_.records;
  w.StartObject();
  str("paging"); str(PagingModeName(pg.mode));
  str("request");
  w.StartObject();
  str("method"); str(r.method);
  str("path"); str(r.path);
  str("query");
  w.StartArray();
  for (const auto& [k, v] : r.query) {
    w.StartArray(); str(k); str(v); w.EndArray();
  }
  w.EndArray();
  // The body is not in the capture sidecars: its template (never a secret) is kept here.
  str("body_type"); str(BodyTypeName(r.body_type));
  str("body"); opt(r.body);
  str("first_body"); opt(r.first_body);
  str("start_format"); str(TimeParamFormatName(r.start_format));
  str("end_format"); str(TimeParamFormatName(r.end_format));
  str("end_inclusive"); w.Bool(r.end_inclusive);
  w.EndObject();
  str("window_parameters");
  w.StartObject();
  str("start"); str(FormatTimeParam(since_ms_, r.start_format));
  str("end"); str(EndParam(until_ms_));
  w.EndObject();
  str("limit"); w.Uint64(pg.limit);
  str("probe"); w.Bool(pg.probe);
  if (pg.mode == PagingMode::kCursor) { str("cursor_pointer"); str(pg.cursor_pointer); }
  if (pg.mode == PagingMode::kNextLink) {
    str("next_pointer"); opt(pg.next_pointer);
    str("link_header"); w.Bool(pg.link_header);
  }
  if (pg.mode == PagingMode::kIdWatermark) {
    str("sort_order"); str(pg.order == SortOrder::kDesc ? "desc" : "asc");
    str("watermark_inclusive"); w.Bool(pg.watermark_inclusive);
    str("last_watermark");
    if (watermark_) w.Int64(*watermark_); else w.Null();
  }
  if (pg.mode == PagingMode::kTimeSlicing) {
    str("slice_seconds"); w.Int64(pg.slice.count() / 1000);
    str("server_cap"); w.Uint64(pg.server_cap);
    str("overlap_seconds"); w.Int64(pg.overlap.count());
    str("slices_requested"); w.Uint64(slices_);
    str("slices_split"); w.Uint64(splits_);
  }
  str("records_pointer"); str(rc.pointer);
  str("single_or_array"); w.Bool(rc.single_or_array);
  str("id_field"); opt(rc.id_field);
  str("timestamp_field"); opt(rc.timestamp_field);
  str("timestamp_format"); str(TimestampFormatName(rc.timestamp_format));
  str("timestamp_zone"); opt(rc.timestamp_zone);
  str("duplicates"); w.Uint64(duplicates_);
  str("same_id_other_content"); w.Uint64(conflicting_);
  str("auth");
  w.StartObject();
  str("mode"); str(AuthModeName(o_.auth.mode));
  if (o_.auth.mode == AuthMode::kOAuth2ClientCredentials) {
    str("token_url"); str(o_.auth.token_url);
    str("client_auth"); str(ClientAuthName(o_.auth.client_auth));
    str("scope"); opt(o_.auth.scope);
    if (o_.auth.client_auth == ClientAuth::kPrivateKeyJwt) { str("kid"); str(o_.auth.kid); }
  }
  if (o_.auth.mode == AuthMode::kSessionLogin) {
    str("login_url"); str(o_.auth.login_url);
    str("logout_url"); opt(o_.auth.logout_url);
    str("csrf"); w.Bool(!o_.auth.csrf_header.empty() || !o_.auth.csrf_pointer.empty());
  }
  if (o_.auth.mode == AuthMode::kBearer) { str("header"); str(o_.auth.header); }
  w.EndObject();
  w.EndObject();
  return b.GetString();
}

Result<SourceReport> HttpJsonRun::Go() {
  if (Status s = Check(); !s) return s.error();
  since_ms_ = ToMs(o_.since);
  until_ms_ = ToMs(o_.until);
  auto auth = MakeAuth();
  if (!auth) return Error(auth.error().code(), redactor_.Apply(auth.error().message()));
  auth_ = std::move(*auth);
  auto transport = o_.make_transport ? o_.make_transport() : http::MakeCurlTransport(o_.transport);
  if (!transport) return transport.error();
  const std::uint64_t seed =
      o_.seed != 0 ? o_.seed : static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  session_ = std::make_unique<Session>(std::move(*transport), *auth_, state_, redactor_, o_.payload_root, o_.policy,
                                       o_.cancel, seed);
  if (o_.sleep) session_->SetSleepForTest(o_.sleep);

  report_.name = o_.source;
  report_.type = "http-json";
  report_.base_url = o_.base_url;
  report_.auth_mode = AuthModeName(o_.auth.mode);
  if (o_.auth.mode == AuthMode::kOAuth2ClientCredentials) {
    report_.client_id = o_.auth.client_id;
    report_.collector_identity = o_.auth.client_id;
  } else if (o_.auth.mode == AuthMode::kBasic || o_.auth.mode == AuthMode::kSessionLogin) {
    report_.collector_identity = o_.auth.username;
  }
  // A session login first: a refused password stops here, before anything else is asked.
  if (session_login_ != nullptr) {
    if (Status s = session_login_->Login(); !s) return Error(s.error().code(), redactor_.Apply(s.error().message()));
  }

  item_.object = o_.object.empty() ? o_.stream : o_.object;
  item_.method = "http-json:" + PagingModeName(o_.paging.mode);
  item_.status = "complete";
  if (o_.paging.mode == PagingMode::kTimeSlicing) {
    Slices();
  } else {
    Sweep();
  }
  if (!any_answer_ && first_failure_) {
    if (session_login_ != nullptr) (void)session_login_->Logout();
    if (state_.stop() == SourceStop::kInterrupted) {
      return Error(ErrorCode::kCancelled, "interrupted before anything was collected from " + o_.base_url);
    }
    return Error(first_failure_->code(), redactor_.Apply(first_failure_->message()));
  }
  if (duplicates_ > 0) {
    item_.notes.push_back(std::to_string(duplicates_) +
                          " records seen again (same id, same bytes) were kept raw and normalized once");
  }
  if (conflicting_ > 0) {
    item_.notes.push_back(std::to_string(conflicting_) +
                          " records repeat an earlier id with different bytes: both were normalized");
  }
  if (item_.expected && item_.gaps.empty()) {
    if (item_.received < *item_.expected) {
      item_.gaps.push_back("received " + std::to_string(item_.received) + " of the " + std::to_string(*item_.expected) +
                           " records that " + item_.expected_from + " reported");
    } else if (item_.received > *item_.expected) {
      item_.notes.push_back("received " + std::to_string(item_.received) + " records, more than the " +
                            std::to_string(*item_.expected) + " that " + item_.expected_from + " reported");
    }
  }
  if (session_login_ != nullptr) {
    if (Status s = session_login_->Logout(); !s) item_.notes.push_back("logout failed: " + redactor_.Apply(s.error().message()));
  }
  if (!item_.gaps.empty()) item_.status = "incomplete";
  for (auto& g : item_.gaps) g = redactor_.Apply(g);
  for (auto& n : item_.notes) n = redactor_.Apply(n);
  SourceStream stream;
  stream.name = o_.stream;
  stream.status = item_.status;
  stream.records = item_.received;
  stream.items.push_back(item_);
  report_.streams.push_back(stream);
  report_.grants = auth_->Grants();
  report_.clock = state_.clock();
  std::uint64_t auth_requests = 0;
  if (session_login_ != nullptr) {
    auth_requests = session_login_->requests();
  } else if (o_.auth.mode == AuthMode::kOAuth2ClientCredentials) {
    auth_requests = report_.grants.size();
  }
  report_.requests = state_.requests() + auth_requests;
  report_.stop = state_.stop();
  report_.stop_detail = redactor_.Apply(state_.stop_detail());
  report_.normalized_records = item_.received;
  report_.untimed_records = untimed_;
  report_.complete = report_.stop == SourceStop::kNone && item_.status == "complete";
  report_.details_json = DetailsJson();
  return report_;
}

}  // namespace

Result<SourceReport> CollectHttpJson(const HttpJsonOptions& options, const Clock& clock, auth::Redactor& redactor,
                                     RecordSink& sink) {
  HttpJsonRun run(options, clock, redactor, sink);
  return run.Go();
}

}  // namespace custody::connectors::generic
