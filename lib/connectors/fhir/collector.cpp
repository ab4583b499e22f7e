#include "connectors/fhir/collector.h"
#include "connectors/common/text.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <optional>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>
#include <unordered_set>

#include "crypto/digest.h"
#include "json/json.h"
#include "normalize/ehr_map.h"
#include "normalize/json_elements.h"

namespace custody::connectors::fhir {

namespace {

using rapidjson::Value;

constexpr const char* kStreamDiscovery = "discovery";
constexpr const char* kStreamExport = "export";
// A search page is held in memory to be parsed; a real page of 100 AuditEvents is well under a
// megabyte. Anything larger is refused as a page (and kept raw).
constexpr std::uint64_t kMaxPageBytes = 256u << 20;
constexpr size_t kMaxDistinctNotes = 20;

std::string ContentType(const http::Headers& headers) {
  auto ct = http::FindHeader(headers, "Content-Type");
  if (!ct) return "without a Content-Type";
  std::string v = *ct;
  if (auto semi = v.find(';'); semi != std::string::npos) v.resize(semi);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v.empty() ? "without a Content-Type" : v;
}

bool LooksLikeJson(std::string_view head) {
  for (char c : head) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' || c == '[';
  }
  return false;
}

std::string Str(const Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

const Value* Member(const Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it == v.MemberEnd() ? nullptr : &it->value;
}

const Value* Array(const Value& v, const char* name) {
  const Value* m = Member(v, name);
  return m != nullptr && m->IsArray() ? m : nullptr;
}

// "/AuditEvent?date=..." from "https://h/fhir/AuditEvent?date=...": what the item records.
std::string PathAndQuery(const std::string& url) {
  const std::string origin = http::Origin(url);
  return origin.empty() ? url : url.substr(origin.size());
}

std::string Pad(std::uint64_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(n));
  return buf;
}

void AddNote(std::vector<std::string>& notes, const std::string& note) {
  if (std::find(notes.begin(), notes.end(), note) != notes.end()) return;
  if (notes.size() >= kMaxDistinctNotes) return;
  notes.push_back(note);
}

// A session error without its leading "GET <url>: " when the caller names the request itself.
std::string WithoutRequest(const std::string& error, const std::string& url) {
  const std::string prefix = "GET " + url + ": ";
  return error.rfind(prefix, 0) == 0 ? error.substr(prefix.size()) : error;
}

// What a FHIR server's error answer says: the OperationOutcome's text, or an excerpt of the body.
std::string ServerSaid(const std::filesystem::path& body_path, const auth::Redactor& redactor) {
  const std::string head = redactor.Apply(ReadHead(body_path, 64 << 10));
  std::string oo = OperationOutcomeText(head);
  if (!oo.empty()) return "OperationOutcome " + oo;
  std::string ex = Excerpt(head, 200);
  return ex.empty() ? "an empty body" : "\"" + ex + "\"";
}

// A JSON API answer: 401 renews the credential; 429 and 5xx are retried (Retry-After honoured by
// the session); a 2xx that is not JSON (an HTML login or error page from a proxy) is retried too,
// and when it persists the connector records it as a gap. The problem text quotes the server.
Verdict ClassifyJson(const capture::CaptureFile& cap, std::string* problem, const auth::Redactor& redactor,
                     bool require_json) {
  const int status = cap.head().status;
  if (status == 401) {
    *problem = "401 " + ServerSaid(cap.path(), redactor);
    return Verdict::kAuthFailed;
  }
  if (status == 429 || (status >= 500 && status <= 599)) {
    *problem = std::to_string(status) + " " + ServerSaid(cap.path(), redactor);
    return Verdict::kRetry;
  }
  if (require_json && status >= 200 && status <= 299 && status != 202 &&
      !LooksLikeJson(ReadHead(cap.path(), 4096))) {
    *problem = "answered " + std::to_string(status) + " " + ContentType(cap.head().headers) +
               ", not FHIR JSON: " + ServerSaid(cap.path(), redactor);
    return Verdict::kRetry;
  }
  return Verdict::kAccept;
}

struct Capability {
  std::string fhir_version;         // as the server wrote it
  std::string mapping_version;      // "4.0.1"/"5.0.0" for the mapper, "" = tell by element names
  bool audit_event_listed = false;
  std::vector<std::string> search_params;
  bool export_advertised = false;
  std::string oauth_token_url;      // SMART oauth-uris extension, when present
  std::string software;
};

Capability ReadCapability(const Value& cs) {
  Capability c;
  c.fhir_version = Str(cs, "fhirVersion");
  if (c.fhir_version.rfind("4.", 0) == 0) c.mapping_version = "4.0.1";
  if (c.fhir_version.rfind("5.", 0) == 0) c.mapping_version = "5.0.0";
  if (const Value* sw = Member(cs, "software")) {
    c.software = Str(*sw, "name");
    if (!Str(*sw, "version").empty()) c.software += " " + Str(*sw, "version");
  }
  if (const Value* inst = Array(cs, "instantiates")) {
    for (const auto& i : inst->GetArray()) {
      if (i.IsString() && std::string_view(i.GetString()).find("bulk-data") != std::string_view::npos) {
        c.export_advertised = true;
      }
    }
  }
  const Value* rest = Array(cs, "rest");
  if (rest == nullptr) return c;
  for (const auto& r : rest->GetArray()) {
    if (!Str(r, "mode").empty() && Str(r, "mode") != "server") continue;
    if (const Value* ops = Array(r, "operation")) {
      for (const auto& op : ops->GetArray()) {
        const std::string name = Str(op, "name");
        const std::string def = Str(op, "definition");
        if (name == "export" || name == "$export" ||
            (def.size() >= 7 && def.compare(def.size() - 7, 7, "/export") == 0)) {
          c.export_advertised = true;
        }
      }
    }
    if (const Value* sec = Member(r, "security")) {
      if (const Value* exts = Array(*sec, "extension")) {
        for (const auto& e : exts->GetArray()) {
          if (Str(e, "url").find("oauth-uris") == std::string::npos) continue;
          if (const Value* inner = Array(e, "extension")) {
            for (const auto& i : inner->GetArray()) {
              if (Str(i, "url") == "token") c.oauth_token_url = Str(i, "valueUri");
            }
          }
        }
      }
    }
    if (const Value* res = Array(r, "resource")) {
      for (const auto& rs : res->GetArray()) {
        if (Str(rs, "type") != "AuditEvent") continue;
        c.audit_event_listed = true;
        if (const Value* sp = Array(rs, "searchParam")) {
          for (const auto& p : sp->GetArray()) {
            if (!Str(p, "name").empty()) c.search_params.push_back(Str(p, "name"));
          }
        }
        if (const Value* ops = Array(rs, "operation")) {
          for (const auto& op : ops->GetArray()) {
            if (Str(op, "name") == "export") c.export_advertised = true;
          }
        }
      }
    }
  }
  return c;
}

class Collector {
 public:
  Collector(const FhirCollectOptions& o, const Clock& clock, auth::Redactor& redactor, RecordSink& sink)
      : o_(o), clock_(clock), redactor_(redactor), sink_(sink) {}

  Result<SourceReport> Run();

 private:
  Result<std::unique_ptr<http::Transport>> NewTransport() {
    if (o_.make_transport) return o_.make_transport();
    return http::MakeCurlTransport(o_.transport);
  }
  Result<std::unique_ptr<Session>> NewSession(Authenticator& auth) {
    auto t = NewTransport();
    if (!t) return t.error();
    return std::make_unique<Session>(std::move(*t), auth, state_, redactor_, o_.payload_root, o_.policy, o_.cancel,
                                     ++seed_);
  }
  bool Cancelled() const { return o_.cancel != nullptr && o_.cancel->load(); }
  void Progress(const std::string& what) {
    if (o_.progress) o_.progress(kStreamAuditEvents, what);
  }
  std::string Dir(const char* stream) const { return "raw/" + o_.source + "/" + stream; }
  SessionCall JsonCall(const std::string& url, const char* stream, const std::string& name, const char* role,
                       bool require_json, const char* accept = "application/fhir+json") {
    SessionCall call;
    call.request.url = url;
    call.request.headers = {{"Accept", accept}};
    call.purpose.source = o_.source;
    call.purpose.stream = stream;
    call.purpose.object = "AuditEvent";
    call.purpose.role = role;
    call.dir = Dir(stream);
    call.name = name;
    const auth::Redactor& redactor = redactor_;
    call.classify = [&redactor, require_json](const capture::CaptureFile& cap, std::string* problem) {
      return ClassifyJson(cap, problem, redactor, require_json);
    };
    return call;
  }

  Status SetUpAuth();
  Result<std::string> DiscoverTokenUrl(std::string* scope, std::string* fallback);
  Status ReadMetadata(Session& session, const std::string& name, bool* refused);
  void Search(SourceItem& item);
  bool Export(SourceItem& item);  // false: fall back to search (item untouched but for notes)
  Status NormalizePage(const std::string& text, const normalize::ParsedElements& page_json, const std::string& bag_path,
                       std::uint64_t page, SourceItem& item);
  Status NormalizeNdjson(const std::string& path, const std::string& bag_path, std::uint64_t file_index,
                         SourceItem& item, std::uint64_t* lines);
  // Normalizes a record once per resource id (offset paging repeats entries when events are
  // inserted during the sweep); export records outside the window are kept raw only.
  Status EmitUnique(normalize::Record rec, std::uint64_t capture, SourceItem& item, bool window_filter);
  std::string DetailsJson() const;
  bool Sleep(std::chrono::milliseconds d);

  const FhirCollectOptions& o_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  RecordSink& sink_;
  SourceState state_;
  std::uint64_t seed_ = 0x5eed;
  FhirSecrets secrets_;
  NoAuthenticator none_;
  std::unique_ptr<Authenticator> auth_;
  SmartAuthenticator* smart_ = nullptr;
  std::unique_ptr<Session> public_;   // no credentials: discovery, and files that need none
  std::unique_ptr<Session> session_;  // with credentials
  Capability cap_;
  std::string paging_ = "next-link";
  std::string identity_;
  std::string token_url_;
  std::vector<std::string> discovery_notes_;
  std::vector<std::string> algs_;     // token_endpoint_auth_signing_alg_values_supported
  std::optional<auth::SmartSigningKey> smart_key_;
  std::string scope_asked_;
  std::uint64_t export_outside_ = 0;
  normalize::EhrContext ectx_;
  std::unordered_set<std::string> seen_ids_;
  std::uint64_t duplicates_ = 0;
  std::uint64_t outside_window_ = 0;
  std::uint64_t emitted_ = 0;
};


bool Collector::Sleep(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (Cancelled()) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::clamp(left, std::chrono::milliseconds(1), std::chrono::milliseconds(50)));
  }
  return !Cancelled();
}

Status Collector::ReadMetadata(Session& session, const std::string& name, bool* refused) {
  const std::string url = o_.base_url + "/metadata";
  SessionResult r = session.Execute(JsonCall(url, kStreamDiscovery, name, "capability-statement", false));
  if (!r.ok) {
    if (r.stop == SourceStop::kAuth) return Error(ErrorCode::kAuth, r.error);
    if (r.stop == SourceStop::kInterrupted) return Error(ErrorCode::kCancelled, r.error);
    if (r.stop == SourceStop::kFailed) return Error(ErrorCode::kIo, r.error);
    if (r.status == 0) return Error(ErrorCode::kNetwork, "the FHIR server could not be reached: " + r.error);
    return Error(ErrorCode::kRemote, url + " did not answer usefully: " + WithoutRequest(r.error, url));
  }
  if (refused != nullptr && (r.status == 401 || r.status == 403)) {
    // Some servers protect even /metadata: read it again once there is a token.
    *refused = true;
    return Status::Ok();
  }
  const std::string ct = ContentType(r.headers);
  if (r.status != 200) {
    return Error(ErrorCode::kInvalidArgument,
                 url + " answered " + std::to_string(r.status) + " " + ct + " (" + ServerSaid(r.body_path, redactor_) +
                     "), not a FHIR CapabilityStatement: is --base-url the FHIR base, the URL that /metadata and "
                     "/AuditEvent hang off?");
  }
  if (r.bytes > kMaxPageBytes) {
    return Error(ErrorCode::kInvalidArgument, url + " answered " + std::to_string(r.bytes) +
                                                  " bytes, too large to be a CapabilityStatement");
  }
  const std::string text = ReadWhole(r.body_path);
  auto doc = json::Parse(text, "CapabilityStatement");
  if (!doc || !doc->IsObject()) {
    return Error(ErrorCode::kInvalidArgument,
                 url + " answered 200 " + ct + ", not a FHIR CapabilityStatement (it begins \"" +
                     Excerpt(redactor_.Apply(text), 80) + "\"): is --base-url the FHIR base?");
  }
  const std::string rt = Str(*doc, "resourceType");
  if (rt != "CapabilityStatement") {
    return Error(ErrorCode::kInvalidArgument,
                 url + " answered " + (rt.empty() ? std::string("JSON without a resourceType") : "a FHIR " + rt) +
                     ", not a CapabilityStatement: is --base-url the FHIR base?");
  }
  cap_ = ReadCapability(*doc);
  if (cap_.mapping_version.empty()) {
    AddNote(discovery_notes_, "fhirVersion '" + Excerpt(cap_.fhir_version, 20) +
                                  "' is neither R4 (4.x) nor R5 (5.x): AuditEvent elements are mapped by their names");
  }
  if (!cap_.audit_event_listed) {
    AddNote(discovery_notes_, "the CapabilityStatement does not list AuditEvent; searched anyway");
  } else if (!cap_.search_params.empty() &&
             std::find(cap_.search_params.begin(), cap_.search_params.end(), "date") == cap_.search_params.end()) {
    AddNote(discovery_notes_, "the CapabilityStatement lists no 'date' search parameter for AuditEvent; the "
                              "window was asked for anyway and every entry's recorded time is checked");
  }
  return Status::Ok();
}

Result<std::string> Collector::DiscoverTokenUrl(std::string* scope, std::string* fallback) {
  const std::string url = o_.base_url + "/.well-known/smart-configuration";
  SessionCall call = JsonCall(url, kStreamDiscovery, "smart-configuration.json", "smart-configuration", false,
                              "application/json");
  SessionResult r = public_->Execute(std::move(call));
  if (r.stop == SourceStop::kInterrupted) return Error(ErrorCode::kCancelled, r.error);
  if (r.stop == SourceStop::kFailed) return Error(ErrorCode::kIo, r.error);
  std::string token_url = o_.auth.token_url;
  std::vector<std::string> scopes, capabilities;
  bool have_config = false;
  if (r.ok && r.status == 200) {
    auto doc = json::Parse(ReadHead(r.body_path, 1 << 20), "smart-configuration");
    if (doc && doc->IsObject()) {
      have_config = true;
      if (token_url.empty()) token_url = Str(*doc, "token_endpoint");
      auto strings = [&](const char* name, std::vector<std::string>& out) {
        if (const Value* a = Array(*doc, name)) {
          for (const auto& v : a->GetArray()) {
            if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
          }
        }
      };
      strings("scopes_supported", scopes);
      strings("capabilities", capabilities);
      strings("token_endpoint_auth_signing_alg_values_supported", algs_);
    }
  }
  if (!have_config) {
    AddNote(discovery_notes_, url + " " +
                                  (r.ok ? "answered " + std::to_string(r.status) + " " + ContentType(r.headers) +
                                              ", not a SMART configuration"
                                        : "could not be read: " + r.error));
  }
  if (token_url.empty()) token_url = cap_.oauth_token_url;
  if (token_url.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--auth smart: the server names no token endpoint (" + url +
                     (have_config ? " has no token_endpoint" : " is not readable") +
                     ", and /metadata has no SMART oauth-uris); give it with --token-url");
  }
  if (Status s = http::CheckUrlPolicy(token_url); !s) return s.error().Context("SMART token endpoint");
  if (!algs_.empty() && smart_key_) {
    const std::string mine = auth::JwsAlgorithmName(smart_key_->alg);
    if (std::find(algs_.begin(), algs_.end(), mine) == algs_.end()) {
      AddNote(discovery_notes_, "the SMART configuration does not list " + mine +
                                    " in token_endpoint_auth_signing_alg_values_supported; tried anyway");
    }
  }
  // SMART v1 scopes end in .read, v2 in .rs: a server that lists only v2 is asked for v2 first,
  // and a refused scope is asked for once in the other form.
  auto has = [](const std::vector<std::string>& list, std::string_view what) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& s) { return s.find(what) != std::string::npos; });
  };
  const bool v2 = has(capabilities, "permission-v2") || has(scopes, ".rs") || has(scopes, ".cruds");
  const bool v1 = has(capabilities, "permission-v1") || has(scopes, ".read");
  if (!o_.auth.scope.empty()) {
    *scope = o_.auth.scope;
    fallback->clear();
  } else if (v2 && !v1) {
    *scope = "system/AuditEvent.rs";
    *fallback = "system/AuditEvent.read";
  } else {
    *scope = "system/AuditEvent.read";
    *fallback = "system/AuditEvent.rs";
  }
  return token_url;
}

Status Collector::SetUpAuth() {
  switch (o_.auth.mode) {
    case FhirAuthMode::kToken:
      auth_ = std::make_unique<StaticAuthenticator>(
          "Bearer " + secrets_.access_token.reveal(),
          std::string("the access token from ") + kEnvAccessToken +
              " was refused (expired or revoked); export a fresh one, or use --auth smart, which renews itself");
      break;
    case FhirAuthMode::kBasic:
      auth_ = std::make_unique<StaticAuthenticator>(
          BasicHeader(o_.auth.username, secrets_.password, redactor_),
          "the server refused --username " + o_.auth.username + " with the password from " + kEnvPassword);
      identity_ = o_.auth.username;
      break;
    case FhirAuthMode::kNone:
      auth_ = std::make_unique<NoAuthenticator>();
      break;
    case FhirAuthMode::kSmart:
      identity_ = o_.auth.client_id;
      break;  // made after discovery, which names the token endpoint
  }
  return Status::Ok();
}

Status Collector::EmitUnique(normalize::Record rec, std::uint64_t capture, SourceItem& item, bool window_filter) {
  if (rec.event_id && !rec.event_id->empty()) {
    if (!seen_ids_.insert(*rec.event_id).second) {
      ++duplicates_;
      return Status::Ok();
    }
  }
  ++item.received;
  if (rec.timestamp_ms) {
    const std::int64_t since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o_.since.time_since_epoch()).count();
    const std::int64_t until_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o_.until.time_since_epoch()).count();
    if (*rec.timestamp_ms < since_ms || *rec.timestamp_ms >= until_ms) {
      if (window_filter) {
        ++export_outside_;
        return Status::Ok();
      }
      ++outside_window_;
    }
  }
  ++emitted_;
  return sink_.Emit(rec, 0, capture);
}

Status Collector::NormalizePage(const std::string& text, const normalize::ParsedElements& page_json,
                                const std::string& bag_path, std::uint64_t page, SourceItem& item) {
  const std::string_view view(text);
  // The page was parsed once, with the byte range of every entry: entries are mapped from that
  // DOM, their provenance is those bytes.
  const Value* entries = page_json.value;
  for (const normalize::JsonElement& e : page_json.elements) {
    const std::string_view bytes = view.substr(e.byte_offset, e.byte_length);
    std::string skipped;
    const Value& entry = entries->IsArray() ? (*entries)[static_cast<rapidjson::SizeType>(e.index)] : *entries;
    auto rec = normalize::MapFhirBundleEntryValue(ectx_, entry, &skipped);
    if (!rec) {
      if (!skipped.empty()) AddNote(item.notes, "page " + std::to_string(page) + ": " + skipped);
      continue;
    }
    rec->raw_file = bag_path;
    rec->record_index = e.index;
    rec->byte_offset = e.byte_offset;
    rec->byte_length = e.byte_length;
    rec->raw_sha256 = crypto::Sha256Hex(bytes);
    CUSTODY_RETURN_IF_ERROR(EmitUnique(std::move(*rec), page, item, false));
  }
  return Status::Ok();
}

Status Collector::NormalizeNdjson(const std::string& path, const std::string& bag_path, std::uint64_t file_index,
                                  SourceItem& item, std::uint64_t* lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "read " + path);
  std::string line;
  std::uint64_t offset = 0;
  std::uint64_t index = 0;
  while (std::getline(in, line)) {
    const std::uint64_t start = offset;
    offset += line.size() + (in.eof() ? 0 : 1);
    std::string_view bytes(line);
    if (!bytes.empty() && bytes.back() == '\r') bytes.remove_suffix(1);
    if (bytes.find_first_not_of(" \t") == std::string_view::npos) continue;
    normalize::Record rec = normalize::MapFhirAuditEvent(ectx_, bytes);
    rec.raw_file = bag_path;
    rec.record_index = index++;
    rec.byte_offset = start;
    rec.byte_length = bytes.size();
    rec.raw_sha256 = crypto::Sha256Hex(bytes);
    ++*lines;
    CUSTODY_RETURN_IF_ERROR(EmitUnique(std::move(rec), file_index, item, true));
  }
  if (in.bad()) return Error(ErrorCode::kIo, "read " + path);
  return Status::Ok();
}

void Collector::Search(SourceItem& item) {
  item.method = "fhir-search";
  paging_ = "next-link";
  std::string url = o_.base_url + "/AuditEvent?date=ge" + http::UrlEncode(FormatRfc3339(o_.since)) + "&date=lt" +
                    http::UrlEncode(FormatRfc3339(o_.until)) + "&_count=" + std::to_string(o_.page_size) +
                    "&_sort=date";
  item.request = PathAndQuery(url);
  std::set<std::string> visited{url};
  std::optional<std::uint64_t> first_total, last_total;
  const std::uint64_t received_before = item.received;
  auto missing = [&]() {
    const std::uint64_t got = item.received - received_before;
    std::string s = "the entries after the " + std::to_string(got) + " received";
    if (first_total) s += " (of the " + std::to_string(*first_total) + " in Bundle.total)";
    return s + " are missing";
  };
  for (std::uint64_t page = 1;; ++page) {
    SessionCall call = JsonCall(url, kStreamAuditEvents, "page-" + Pad(page, 6) + ".json", "search-page", true);
    call.purpose.page = page;
    const std::string where = "page " + std::to_string(page) + " (GET " + PathAndQuery(url) + ")";
    SessionResult r = session_->Execute(std::move(call));
    item.pages = page;
    if (!r.ok) {
      item.gaps.push_back(where + " was not received: " + WithoutRequest(r.error, url) + "; " + missing());
      break;
    }
    if (r.attempts.size() > 1) {
      AddNote(item.notes, "page " + std::to_string(page) + " was received on attempt " +
                              std::to_string(r.attempts.size()) + "; the earlier answers are kept beside it");
    }
    if ((r.status == 404 || r.status == 410) && page > 1) {
      item.gaps.push_back(where + " answered " + std::to_string(r.status) + " (" + ServerSaid(r.body_path, redactor_) +
                          "): the server no longer has this search, its paging cursor expired; " + missing());
      break;
    }
    if (r.status != 200) {
      const std::string said = ServerSaid(r.body_path, redactor_);
      if (page == 1) item.server_answer = said;
      item.gaps.push_back(where + " answered " + std::to_string(r.status) + " " + ContentType(r.headers) + " (" +
                          said + "); " + missing());
      break;
    }
    if (r.bytes > kMaxPageBytes) {
      item.gaps.push_back(where + " answered " + std::to_string(r.bytes) + " bytes, too large for a search page (kept "
                          "raw, not read); " + missing());
      break;
    }
    const std::string text = ReadWhole(r.body_path);
    // One parse: the Bundle's DOM and the exact bytes of each entry (json::Parse's UTF-8 rules).
    normalize::ParsedElements page_json;
    const Status parsed = normalize::ParseJsonArrayElements(text, "/entry", false, true, page_json);
    const Value* doc = &page_json.doc;
    if (!parsed || !doc->IsObject()) {
      item.gaps.push_back(where + " answered 200 " + ContentType(r.headers) + ", not FHIR JSON (" +
                          (parsed ? std::string("not an object") : "search page: " + parsed.error().message()) + "); " +
                          missing());
      break;
    }
    const std::string rt = Str(*doc, "resourceType");
    if (rt == "OperationOutcome") {
      item.gaps.push_back(where + " answered an OperationOutcome instead of a Bundle: " +
                          redactor_.Apply(OperationOutcomeText(text)) + "; " + missing());
      break;
    }
    if (rt != "Bundle") {
      item.gaps.push_back(where + " answered " +
                          (rt.empty() ? std::string("JSON without a resourceType") : "a FHIR " + rt) +
                          ", not a searchset Bundle; " + missing());
      break;
    }
    if (!Str(*doc, "type").empty() && Str(*doc, "type") != "searchset") {
      AddNote(item.notes, "page " + std::to_string(page) + " is a Bundle of type " + Str(*doc, "type") +
                              ", not searchset; read as one");
    }
    if (const Value* t = Member(*doc, "total"); t != nullptr && t->IsUint64()) {
      if (!first_total) first_total = t->GetUint64();
      last_total = t->GetUint64();
    }
    if (Status s = NormalizePage(text, page_json, r.bag_path, page, item); !s) {
      state_.Stop(SourceStop::kFailed, "normalize " + r.bag_path + ": " + s.error().message());
      item.gaps.push_back("normalizing " + where + " failed: " + s.error().message() + "; " + missing());
      break;
    }
    Progress("page " + std::to_string(page) + ", " + std::to_string(item.received) + " events" +
             (first_total ? " of " + std::to_string(*first_total) : ""));
    std::string next;
    if (const Value* links = Array(*doc, "link")) {
      for (const auto& l : links->GetArray()) {
        if (Str(l, "relation") == "next") next = Str(l, "url");
      }
    }
    if (next.empty()) {
      const std::uint64_t got = item.received - received_before;
      if (first_total && got < *first_total) {
        item.gaps.push_back("page " + std::to_string(page) + " had no next link after " + std::to_string(got) +
                            " distinct entries of the " + std::to_string(*first_total) +
                            " in Bundle.total: " + std::to_string(*first_total - got) +
                            " entries are missing (the server ended the search early)");
      } else if (first_total && last_total && *last_total > *first_total && got < *last_total) {
        item.gaps.push_back("Bundle.total grew from " + std::to_string(*first_total) + " to " +
                            std::to_string(*last_total) + " during the sweep and " + std::to_string(got) +
                            " distinct entries were received: events inserted ahead of the page being read were "
                            "skipped by the server's offset paging");
      }
      break;
    }
    const std::string next_where = "page " + std::to_string(page) + "'s next link";
    if (Status s = http::CheckUrlPolicy(next); !s) {
      item.gaps.push_back(next_where + " was not followed: " + s.error().message() + "; " + missing());
      break;
    }
    if (http::Origin(next) != http::Origin(o_.base_url)) {
      item.gaps.push_back(next_where + " points to another server (" + http::Origin(next) +
                          "), so it was not followed and the credential was not sent there; " + missing());
      break;
    }
    if (!visited.insert(next).second) {
      item.gaps.push_back(next_where + " repeats an earlier page (" + PathAndQuery(next) +
                          "); stopped rather than loop; " + missing());
      break;
    }
    url = next;
  }
  if (first_total) {
    item.expected = *first_total;
    item.expected_from = "Bundle.total";
  }
}

bool Collector::Export(SourceItem& item) {
  const std::string kick = o_.base_url + "/$export?_type=AuditEvent&_since=" + http::UrlEncode(FormatRfc3339(o_.since)) +
                           "&_outputFormat=" + http::UrlEncode("application/fhir+ndjson");
  SessionCall call = JsonCall(kick, kStreamExport, "kickoff.json", "export-kickoff", false);
  call.request.headers.emplace_back("Prefer", "respond-async");
  SessionResult r = session_->Execute(std::move(call));
  auto fall_back = [&](const std::string& why) {
    AddNote(item.notes, "the server advertises $export but " + why + "; swept by search instead");
    return false;
  };
  if (!r.ok) {
    if (r.stop != SourceStop::kNone) {
      item.method = "fhir-export";
      item.request = PathAndQuery(kick);
      item.gaps.push_back("the $export kick-off failed: " + r.error);
      return true;
    }
    return fall_back("its kick-off failed (" + r.error + ")");
  }
  if (r.status != 202) {
    return fall_back("its kick-off answered " + std::to_string(r.status) + " (" + ServerSaid(r.body_path, redactor_) +
                     ")");
  }
  auto location = http::FindHeader(r.headers, "Content-Location");
  if (!location || location->empty()) return fall_back("its kick-off answered 202 without a Content-Location");
  const std::string status_url = *location;
  if (!http::CheckUrlPolicy(status_url) || http::Origin(status_url) != http::Origin(o_.base_url)) {
    return fall_back("its status URL " + Excerpt(status_url, 200) + " is not on the FHIR server");
  }
  item.method = "fhir-export";
  item.request = PathAndQuery(kick);
  paging_ = "export";
  AddNote(item.notes, "$export's _since selects by meta.lastUpdated, not by recorded: events recorded in the window "
                      "but last updated before " + FormatRfc3339(o_.since) +
                      " are not exported (use --no-export to sweep by recorded)");

  // Poll until the manifest is ready.
  const auto deadline = std::chrono::steady_clock::now() + o_.export_timeout;
  std::string manifest_path;
  for (std::uint64_t poll = 1;; ++poll) {
    SessionCall c = JsonCall(status_url, kStreamExport, "status-" + Pad(poll, 6) + ".json", "export-status", false,
                             "application/json");
    c.purpose.page = poll;
    SessionResult p = session_->Execute(std::move(c));
    if (!p.ok) {
      item.gaps.push_back("export status poll " + std::to_string(poll) + " failed: " + p.error +
                          "; no exported file was read");
      return true;
    }
    if (p.status == 202) {
      if (auto progress = http::FindHeader(p.headers, "X-Progress")) Progress("export: " + Excerpt(*progress, 100));
      std::chrono::milliseconds wait = o_.export_poll_default;
      if (auto ra = http::FindHeader(p.headers, "Retry-After")) {
        const std::int64_t now_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        if (auto d = ParseRetryAfter(*ra, now_ms)) wait = std::min(*d, o_.policy.max_retry_after);
      }
      if (std::chrono::steady_clock::now() + wait > deadline) {
        item.gaps.push_back("the export was not ready after " + std::to_string(o_.export_timeout.count()) +
                            " s of polling (" + std::to_string(poll) + " polls); no exported file was read");
        return true;
      }
      if (!Sleep(wait)) {
        state_.Stop(SourceStop::kInterrupted, "interrupted while waiting for the export");
        item.gaps.push_back("interrupted while waiting for the export; no exported file was read");
        return true;
      }
      continue;
    }
    if (p.status != 200) {
      item.gaps.push_back("export status poll " + std::to_string(poll) + " answered " + std::to_string(p.status) +
                          " (" + ServerSaid(p.body_path, redactor_) + "); no exported file was read");
      return true;
    }
    manifest_path = p.body_path;
    break;
  }
  auto manifest = json::Parse(ReadWhole(manifest_path), "export manifest");
  if (!manifest || !manifest->IsObject()) {
    item.gaps.push_back("the export manifest is not a JSON object; no exported file was read");
    return true;
  }
  bool requires_token = true;
  if (const Value* rt = Member(*manifest, "requiresAccessToken"); rt != nullptr && rt->IsBool()) {
    requires_token = rt->GetBool();
  }
  if (!Str(*manifest, "transactionTime").empty()) {
    AddNote(item.notes, "export transactionTime " + Str(*manifest, "transactionTime"));
  }
  std::uint64_t expected = 0;
  bool all_counted = true;
  std::uint64_t file_index = 0;
  if (const Value* outputs = Array(*manifest, "output")) {
    for (const auto& out : outputs->GetArray()) {
      const std::string type = Str(out, "type");
      const std::string url = Str(out, "url");
      if (type != "AuditEvent") {
        AddNote(item.notes, "export output of type " + Excerpt(type, 40) + " ignored");
        continue;
      }
      ++file_index;
      std::optional<std::uint64_t> count;
      if (const Value* c = Member(out, "count"); c != nullptr && c->IsUint64()) count = c->GetUint64();
      if (count) expected += *count; else all_counted = false;
      const std::string where = "export file " + std::to_string(file_index) + " (" + Excerpt(PathAndQuery(url), 200) + ")";
      if (!http::CheckUrlPolicy(url)) {
        item.gaps.push_back(where + " has a URL custody does not fetch; not read");
        continue;
      }
      if (requires_token && http::Origin(url) != http::Origin(o_.base_url)) {
        item.gaps.push_back(where + " is on another server (" + http::Origin(url) +
                            ") and needs the access token, which is not sent there; not read");
        continue;
      }
      SessionCall fc = JsonCall(url, kStreamExport, "AuditEvent-" + Pad(file_index, 4) + ".ndjson", "export-file",
                                false, "application/fhir+ndjson");
      fc.purpose.page = file_index;
      SessionResult f = (requires_token ? *session_ : *public_).Execute(std::move(fc));
      ++item.pages;
      if (!f.ok) {
        item.gaps.push_back(where + " was not received: " + f.error);
        if (f.stop != SourceStop::kNone) break;
        continue;
      }
      if (f.status != 200) {
        item.gaps.push_back(where + " answered " + std::to_string(f.status) + " (" +
                            ServerSaid(f.body_path, redactor_) + ")");
        continue;
      }
      std::uint64_t lines = 0;
      if (Status s = NormalizeNdjson(f.body_path, f.bag_path, file_index, item, &lines); !s) {
        state_.Stop(SourceStop::kFailed, "normalize " + f.bag_path + ": " + s.error().message());
        item.gaps.push_back("normalizing " + where + " failed: " + s.error().message());
        break;
      }
      Progress("export file " + std::to_string(file_index) + ", " + std::to_string(item.received) + " events");
      if (count && lines < *count) {
        item.gaps.push_back(where + " holds " + std::to_string(lines) + " resources; the manifest says " +
                            std::to_string(*count));
      }
    }
  }
  if (const Value* errors = Array(*manifest, "error")) {
    std::uint64_t error_index = 0;
    for (const auto& e : errors->GetArray()) {
      const std::string url = Str(e, "url");
      ++error_index;
      std::string said = "(not read)";
      if (http::CheckUrlPolicy(url) && http::Origin(url) == http::Origin(o_.base_url)) {
        SessionCall ec = JsonCall(url, kStreamExport, "error-" + Pad(error_index, 4) + ".ndjson", "export-error", false,
                                  "application/fhir+ndjson");
        SessionResult er = (requires_token ? *session_ : *public_).Execute(std::move(ec));
        if (er.ok) {
          said = "";
          std::ifstream in(er.body_path, std::ios::binary);
          std::string line;
          while (std::getline(in, line) && said.size() < 1000) {
            std::string t = OperationOutcomeText(redactor_.Apply(line));
            if (!t.empty()) said += (said.empty() ? "" : "; ") + t;
          }
          if (said.empty()) said = ServerSaid(er.body_path, redactor_);
        }
      }
      item.gaps.push_back("the export reported an error (" + Excerpt(PathAndQuery(url), 200) + "): " + said);
    }
  }
  if (all_counted && file_index > 0) {
    item.expected = expected;
    item.expected_from = "manifest output.count";
  } else if (file_index == 0) {
    item.expected = 0;
    item.expected_from = "manifest output";
  }
  if (export_outside_ > 0) {
    AddNote(item.notes, std::to_string(export_outside_) +
                            " exported AuditEvents were recorded outside the window: kept raw, not normalized");
  }
  return true;
}

std::string Collector::DetailsJson() const {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  str("fhir_version");
  str(cap_.fhir_version);
  str("paging");
  str(paging_);
  str("export_advertised");
  w.Bool(cap_.export_advertised);
  str("page_size");
  w.Int(o_.page_size);
  if (!cap_.software.empty()) {
    str("software");
    str(cap_.software);
  }
  str("audit_event_search_params");
  w.StartArray();
  for (const auto& p : cap_.search_params) str(p);
  w.EndArray();
  if (o_.auth.mode == FhirAuthMode::kSmart) {
    str("token_url");
    str(token_url_);
    str("scope_asked");
    str(scope_asked_);
    str("scope_granted");
    str(smart_ != nullptr ? smart_->granted_scope() : "");
    str("jws_alg");
    str(smart_ != nullptr ? auth::JwsAlgorithmName(smart_->alg()) : "");
    str("kid");
    str(o_.auth.kid);
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

Result<SourceReport> Collector::Run() {
  if (o_.page_size < 1) return Error(ErrorCode::kInvalidArgument, "--page-size must be at least 1");
  if (Status s = http::CheckUrlPolicy(o_.base_url); !s) return s.error().Context("--base-url");
  auto secrets = LoadFhirSecrets(o_.auth, o_.env ? o_.env : auth::ProcessEnvironment(), redactor_);
  if (!secrets) return secrets.error();
  secrets_ = std::move(*secrets);
  if (o_.auth.mode == FhirAuthMode::kSmart) {
    auto key = auth::LoadSmartSigningKey(secrets_.key_pem.reveal(), secrets_.key_passphrase.reveal());
    if (!key) return key.error().Context("--client-key " + o_.auth.key_file.string());
    smart_key_ = std::move(*key);
    if (!o_.auth.token_url.empty()) {
      if (Status s = http::CheckUrlPolicy(o_.auth.token_url); !s) return s.error().Context("--token-url");
    }
  }
  CUSTODY_RETURN_IF_ERROR(SetUpAuth());
  auto pub = NewSession(none_);
  if (!pub) return pub.error();
  public_ = std::move(*pub);
  if (auth_) {
    auto s = NewSession(*auth_);
    if (!s) return s.error();
    session_ = std::move(*s);
  }

  // /metadata first: which FHIR version, what AuditEvent search offers, whether $export exists.
  // With SMART it is asked without a token (SMART servers publish it openly).
  bool refused = false;
  CUSTODY_RETURN_IF_ERROR(ReadMetadata(session_ ? *session_ : *public_, "metadata.json",
                                       o_.auth.mode == FhirAuthMode::kSmart ? &refused : nullptr));
  if (o_.auth.mode == FhirAuthMode::kSmart) {
    std::string fallback;
    auto token_url = DiscoverTokenUrl(&scope_asked_, &fallback);
    if (!token_url) return token_url.error();
    token_url_ = *token_url;
    auto transport = NewTransport();
    if (!transport) return transport.error();
    SmartSettings settings{token_url_, o_.auth.client_id, o_.auth.kid, scope_asked_, fallback};
    auto smart = std::make_unique<SmartAuthenticator>(std::move(settings), std::move(*smart_key_),
                                                      std::move(*transport), clock_, redactor_);
    smart_key_.reset();
    smart_ = smart.get();
    auth_ = std::move(smart);
    auto s = NewSession(*auth_);
    if (!s) return s.error();
    session_ = std::move(*s);
    // The first grant now: a refused client is an authentication error before any search.
    http::Request probe;
    std::uint64_t generation = 0;
    if (Status st = auth_->Apply(probe, &generation); !st) return st.error();
    if (refused) CUSTODY_RETURN_IF_ERROR(ReadMetadata(*session_, "metadata-authenticated.json", nullptr));
  }
  ectx_.source = "fhir:" + o_.source;
  ectx_.stream = kStreamAuditEvents;
  ectx_.fhir_version = cap_.mapping_version;
  ectx_.collector_identity = identity_;

  SourceStream stream;
  stream.name = kStreamAuditEvents;
  SourceItem item;
  item.object = "AuditEvent";
  item.unit = "records";
  for (const auto& n : discovery_notes_) AddNote(item.notes, n);
  bool exported = false;
  if (cap_.export_advertised && o_.use_export) exported = Export(item);
  if (!exported) Search(item);
  if (duplicates_ > 0) {
    AddNote(item.notes, std::to_string(duplicates_) +
                            " entries repeated an AuditEvent already received (offset paging while events were "
                            "inserted): every copy is kept raw, each event is normalized once");
  }
  if (outside_window_ > 0) {
    AddNote(item.notes, std::to_string(outside_window_) +
                            " entries were recorded outside the window asked for (the server's date filter): kept "
                            "and normalized");
  }
  item.status = item.gaps.empty() ? "complete" : "incomplete";
  stream.status = item.status == "complete" ? "complete" : "incomplete";
  stream.records = emitted_;
  stream.items.push_back(std::move(item));

  SourceReport report;
  report.name = o_.source;
  report.type = "fhir";
  report.base_url = o_.base_url;
  report.auth_mode = FhirAuthModeName(o_.auth.mode);
  report.client_id = o_.auth.mode == FhirAuthMode::kSmart ? o_.auth.client_id : "";
  report.collector_identity = identity_;
  report.grants = auth_->Grants();
  report.clock = state_.clock();
  report.requests = state_.requests();
  report.streams.push_back(std::move(stream));
  report.normalized_records = sink_.records();
  report.untimed_records = sink_.untimed();
  report.stop = state_.stop();
  report.stop_detail = state_.stop_detail();
  report.complete = report.stop == SourceStop::kNone && report.streams.front().status == "complete";
  report.details_json = DetailsJson();
  return report;
}

}  // namespace

std::string OperationOutcomeText(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject() || Str(d, "resourceType") != "OperationOutcome") return "";
  const Value* issues = Array(d, "issue");
  if (issues == nullptr) return "(no issue)";
  std::string out;
  for (const auto& i : issues->GetArray()) {
    std::string one = Str(i, "severity");
    const std::string code = Str(i, "code");
    if (!code.empty()) one += (one.empty() ? "" : " ") + code;
    if (const Value* details = Member(i, "details")) {
      if (!Str(*details, "text").empty()) one += ": " + Str(*details, "text");
    }
    if (!Str(i, "diagnostics").empty()) one += ": " + Str(i, "diagnostics");
    if (one.empty()) continue;
    if (!out.empty()) out += "; ";
    out += Excerpt(one, 300);
    if (out.size() > 1000) break;
  }
  return out;
}

Result<SourceReport> CollectFhir(const FhirCollectOptions& options, const Clock& clock, auth::Redactor& redactor,
                                 RecordSink& sink) {
  Collector c(options, clock, redactor, sink);
  return c.Run();
}

}  // namespace custody::connectors::fhir
