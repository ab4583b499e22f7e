#include "fhir/fhir_server.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "fhir/fhir_auth.h"
#include "fhir/fhir_data.h"
#include "fhir/fhir_faults.h"
#include "fhir/fhir_search.h"
#include "fhir/fhir_time.h"
#include "org/rng.h"
#include "served_ledger.h"

namespace custody::sim::fhir {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kFhirJson = "application/fhir+json;charset=UTF-8";
constexpr const char* kJson = "application/json;charset=UTF-8";
constexpr const char* kNdjson = "application/fhir+ndjson";
constexpr const char* kSmartScope = "system/AuditEvent.rs";

enum : uint64_t { kStreamBundleId = 0xF200, kStreamSnapshot, kStreamJob, kStreamCredentials };

int64_t RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UuidFrom(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t hi = gen::Hash(seed, stream, index * 2);
  const uint64_t lo = gen::Hash(seed, stream, index * 2 + 1);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64, hi >> 32,
                (hi >> 16) & 0xffff, hi & 0xfff, 0x8000 | ((lo >> 48) & 0x3fff), static_cast<uint64_t>(lo & 0xffffffffffffULL));
  return buf;
}

std::string Hex(uint64_t v, int width) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%0*" PRIx64, width, v);
  return buf;
}

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

std::string OperationOutcome(std::string_view severity, std::string_view code, std::string_view diagnostics) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  w.Key("issue");
  w.StartArray();
  w.StartObject();
  w.Key("severity");
  Str(w, severity);
  w.Key("code");
  Str(w, code);
  w.Key("diagnostics");
  Str(w, diagnostics);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

// The query string's parameters, decoded, in the order sent.
Params ParseQueryText(std::string_view text) {
  Params out;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find('&', i);
    if (j == std::string_view::npos) j = text.size();
    const std::string_view part = text.substr(i, j - i);
    if (!part.empty()) {
      const size_t eq = part.find('=');
      const std::string name(part.substr(0, eq));
      const std::string value(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1));
      out.emplace_back(httplib::detail::decode_url(name, true), httplib::detail::decode_url(value, true));
    }
    i = j + 1;
  }
  return out;
}

Params QueryParams(const httplib::Request& req) {
  const size_t q = req.target.find('?');
  if (q == std::string::npos) return {};
  return ParseQueryText(std::string_view(req.target).substr(q + 1));
}

std::string Get(const Params& params, const std::string& name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}
bool Has(const Params& params, const std::string& name) {
  for (const auto& [k, v] : params) {
    if (k == name) return true;
  }
  return false;
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// A search's results frozen at its first page (cursor and HAPI paging).
struct Snapshot {
  std::shared_ptr<const std::vector<uint32_t>> results;
  Params kept;
  int count = 50;
  int64_t created_ms = 0;  // wall clock
  uint64_t serial = 0;
};

struct ExportJob {
  std::shared_ptr<const std::vector<uint32_t>> results;
  std::string request;
  std::string transaction_time;
  int polls = 0;
  int64_t last_poll_ms = INT64_MIN;
  bool cancelled = false;
};

class Server final : public FhirServer {
 public:
  explicit Server(FhirOptions options) : options_(std::move(options)) {}
  Status Init();
  std::string StartupJson() const override { return startup_json_; }
  int port() const override { return port_; }
  std::string AnswerKeyEvidenceJson() const override;
  void Run() override;
  void Stop() override { stopping_.store(true); }

 private:
  int64_t WallNow() const { return RealNowMs() + options_.common.clock_offset_ms; }
  int64_t DataNow() const { return options_.common.frozen_now ? options_.common.now : RealNowMs(); }
  // The data clock as this server's own clock reads it: what it stamps on events it records now.
  int64_t StampNow() const { return DataNow() + options_.common.clock_offset_ms; }

  void Install();
  // Numbers a data request, applies the faults that answer instead of the server and the auth
  // check. False: the response is already set.
  bool Admit(const httplib::Request& req, httplib::Response& res, FaultHits* hits, bool search);
  bool Authorized(const httplib::Request& req, httplib::Response& res);
  void Send(httplib::Response& res, int status, std::string body, const char* type, const FaultHits& hits);
  void SendOutcome(httplib::Response& res, int status, std::string_view severity, std::string_view code,
                   std::string_view diagnostics, const FaultHits& hits) {
    Send(res, status, OperationOutcome(severity, code, diagnostics), kFhirJson, hits);
  }

  void Metadata(httplib::Response& res);
  void SmartConfiguration(httplib::Response& res);
  void Token(const httplib::Request& req, httplib::Response& res);
  void Search(const httplib::Request& req, httplib::Response& res, Params params);
  void HapiPage(const httplib::Request& req, httplib::Response& res);
  void Read(const httplib::Request& req, httplib::Response& res, const std::string& id);
  void ExportKickoff(const httplib::Request& req, httplib::Response& res);
  void ExportStatus(const httplib::Request& req, httplib::Response& res);
  void ExportFile(const httplib::Request& req, httplib::Response& res, const std::string& job, uint64_t part);

  std::string SnapshotPage(const std::string& id, const Snapshot& snap, size_t offset, const FaultHits& hits,
                           const std::string& self_url);
  std::string Bundle(const std::vector<uint32_t>& results, size_t offset, int count, bool count_only,
                     const std::vector<std::pair<std::string, std::string>>& links, const FaultHits& hits);
  std::string NewSnapshot(const SearchQuery& q, std::shared_ptr<const std::vector<uint32_t>> results);
  std::shared_ptr<const std::vector<uint32_t>> Results(const SearchQuery& q);
  std::string CursorToken(const std::string& id, size_t offset, int count) const;

  FhirOptions options_;
  std::unique_ptr<FaultPlan> faults_;
  std::unique_ptr<EventStore> store_;
  mutable std::shared_mutex store_mu_;
  SmartKeys keys_;
  std::unique_ptr<TokenAuthority> authority_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::string origin_;
  std::string base_url_;
  std::string token_url_;
  std::string client_id_;
  std::string static_token_;
  std::string basic_user_ = "custody-sim";
  std::string basic_password_;
  std::string startup_json_;
  std::atomic<bool> stopping_{false};

  std::mutex mu_;  // everything below
  uint64_t data_requests_ = 0;
  uint64_t search_requests_ = 0;
  uint64_t bundle_serial_ = 0;
  uint64_t snapshot_serial_ = 0;
  uint64_t job_serial_ = 0;
  std::map<std::string, Snapshot> snapshots_;
  std::map<std::string, std::shared_ptr<const std::vector<uint32_t>>> offset_cache_;
  std::map<std::string, ExportJob> jobs_;
};

Status Server::Init() {
  if (options_.clock_offset_seconds) {
    const double seconds = *options_.clock_offset_seconds;
    if (!std::isfinite(seconds) || std::fabs(seconds) > kMaxFhirClockOffsetSeconds) {
      return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: --fhir-clock-offset must be a number of seconds "
                                                "within a year either way");
    }
    // This server's own clock error replaces the shared one; everything below reads common.
    options_.common.clock_offset_ms = std::llround(seconds * 1000.0);
  }
  const ehr::EhrCommon& c = options_.common;
  if (options_.version != "r4" && options_.version != "r5") {
    return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: --fhir-version must be r4 or r5, not " + options_.version);
  }
  if (options_.paging != "offset" && options_.paging != "cursor" && options_.paging != "hapi") {
    return Error(ErrorCode::kInvalidArgument,
                 "custody-sim fhir: --fhir-paging must be offset, cursor or hapi, not " + options_.paging);
  }
  if (options_.default_count < 1 || options_.max_count < 1 || options_.default_count > options_.max_count) {
    return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: need 1 <= default count <= max count");
  }
  if (options_.events > 4000000000ULL) {
    return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: --fhir-events is at most 4000000000");
  }
  for (const std::string& mode : options_.auth) {
    if (mode != "smart" && mode != "token" && mode != "basic" && mode != "none") {
      return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: --fhir-auth: unknown mode " + mode +
                                                    " (smart, token, basic, none)");
    }
  }
  if (options_.auth.empty()) return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: --fhir-auth needs a mode");
  if (c.work_dir.empty()) return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: no working folder for the keys");
  if (options_.token_ttl_seconds < 1) return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: token TTL < 1 s");
  std::vector<FaultSpec> specs;
  for (const std::string& text : options_.faults) {
    std::string why;
    auto spec = ParseFhirFault(text, &why);
    if (!spec) return Error(ErrorCode::kInvalidArgument, "custody-sim fhir: --fhir-fault " + text + ": " + why);
    specs.push_back(*spec);
  }
  faults_ = std::make_unique<FaultPlan>(std::move(specs));

  auto fixtures = LoadFixtures(c.fixtures_root);
  if (!fixtures) return fixtures.error();
  DataConfig dc;
  dc.seed = c.seed;
  dc.window_start_ms = c.start;
  dc.window_end_ms = c.start + static_cast<int64_t>(c.days) * 86400000;
  dc.events = options_.events;
  dc.r5 = options_.version == "r5";
  dc.scenario = c.scenario_events;
  dc.clock_offset_ms = c.clock_offset_ms;
  store_ = std::make_unique<EventStore>(dc, std::move(*fixtures));

  auto keys = MakeSmartKeys(c.work_dir);
  if (!keys) return keys.error();
  keys_ = std::move(*keys);

  if (c.tls) {
    http_ = std::make_unique<httplib::SSLServer>(c.tls_cert_path.c_str(), c.tls_key_path.c_str());
    if (!http_->is_valid()) return Error(ErrorCode::kCrypto, "custody-sim fhir: cannot load the TLS certificate " + c.tls_cert_path);
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(100000);
  http_->set_keep_alive_timeout(30);
  http_->set_read_timeout(30);
  http_->set_write_timeout(60);
  http_->set_payload_max_length(1 << 20);
  if (c.port == 0) {
    port_ = http_->bind_to_any_port(c.host);
  } else {
    port_ = http_->bind_to_port(c.host, c.port) ? c.port : -1;
  }
  if (port_ <= 0) {
    return Error(ErrorCode::kIo, "custody-sim fhir: cannot listen on " + c.host + ":" + std::to_string(c.port));
  }
  const std::string host = c.host.find(':') != std::string::npos ? "[" + c.host + "]" : c.host;
  origin_ = std::string(c.tls ? "https://" : "http://") + host + ":" + std::to_string(port_);
  base_url_ = origin_ + "/fhir";
  token_url_ = origin_ + "/token";
  // Throwaway credentials of a simulator, printed on purpose; derived from the seed.
  client_id_ = "custody-sim-fhir-" + Hex(gen::Hash(c.seed, kStreamCredentials, 1), 16);
  static_token_ = "sim-fhir-" + Hex(gen::Hash(c.seed, kStreamCredentials, 2), 16) +
                  Hex(gen::Hash(c.seed, kStreamCredentials, 3), 16);
  basic_password_ = "sim-" + Hex(gen::Hash(c.seed, kStreamCredentials, 4), 16);
  AuthorityConfig ac;
  ac.client_id = client_id_;
  ac.token_url = token_url_;
  ac.token_ttl_ms = options_.token_ttl_seconds * 1000;
  ac.token_max_requests = options_.token_max_requests;
  authority_ = std::make_unique<TokenAuthority>(ac, keys_);
  Install();

  rapidjson::StringBuffer buf;
  Writer w(buf);
  auto kv = [&](const char* k, const std::string& v) {
    w.Key(k);
    Str(w, v);
  };
  w.StartObject();
  kv("format", "custody-sim-fhir/1");
  kv("base_url", base_url_);
  kv("fhir_version", options_.version == "r5" ? "5.0.0" : "4.0.1");
  kv("paging", options_.paging);
  kv("token_url", token_url_);
  kv("smart_configuration_url", base_url_ + "/.well-known/smart-configuration");
  kv("jwks_url", origin_ + "/jwks.json");
  kv("client_id", client_id_);
  kv("scope", kSmartScope);
  kv("rs384_private_key", keys_.rs384_private_key_path);
  kv("rs384_kid", keys_.rs384_kid);
  kv("es384_private_key", keys_.es384_private_key_path);
  kv("es384_kid", keys_.es384_kid);
  kv("access_token", static_token_);
  kv("basic_username", basic_user_);
  kv("basic_password", basic_password_);
  w.Key("ca_file");
  if (c.tls) Str(w, c.ca_path);
  else w.Null();
  w.Key("auth");
  w.StartArray();
  for (const std::string& m : options_.auth) Str(w, m);
  w.EndArray();
  w.Key("seed");
  w.Uint64(c.seed);
  w.Key("clock_offset_ms");
  w.Int64(c.clock_offset_ms);
  w.Key("events");
  w.Uint64(options_.events);
  w.Key("fixture_events");
  w.Uint64(options_.version == "r5" ? 0 : store_->fixture_count());
  w.Key("data_window");
  w.StartObject();
  kv("start", FormatMsZ(dc.window_start_ms));
  kv("end", FormatMsZ(dc.window_end_ms));
  w.EndObject();
  w.Key("default_count");
  w.Int(options_.default_count);
  w.Key("max_count");
  w.Int(options_.max_count);
  w.Key("total");
  w.Bool(options_.total);
  w.Key("token_ttl_seconds");
  w.Int64(options_.token_ttl_seconds);
  w.Key("token_max_requests");
  w.Uint64(options_.token_max_requests);
  w.Key("cursor_ttl_seconds");
  w.Int64(options_.cursor_ttl_seconds);
  w.Key("insert");
  w.StartObject();
  w.Key("every");
  w.Uint64(options_.insert_every);
  w.Key("count");
  w.Uint64(options_.insert_count);
  w.EndObject();
  w.Key("export");
  w.StartObject();
  w.Key("enabled");
  w.Bool(options_.export_enabled);
  w.Key("polls");
  w.Int(options_.export_polls);
  w.Key("retry_after_seconds");
  w.Int64(options_.export_retry_after_seconds);
  w.Key("file_events");
  w.Uint64(options_.export_file_events);
  w.EndObject();
  w.Key("faults");
  w.StartArray();
  for (const std::string& f : options_.faults) Str(w, f);
  w.EndArray();
  w.EndObject();
  startup_json_ = buf.GetString();
  return Status::Ok();
}

std::string Server::AnswerKeyEvidenceJson() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  std::shared_lock lock(store_mu_);
  for (const ScenarioRecord& r : store_->ScenarioRecords()) {
    w.StartObject();
    w.Key("system");
    w.String("fhir");
    w.Key("log");
    w.String("AuditEvent");
    w.Key("key_field");
    w.String("id");
    w.Key("key");
    Str(w, r.id);
    w.Key("label");
    Str(w, r.label);
    w.Key("time");
    Str(w, FormatMsZ(r.recorded_ms));
    w.EndObject();
  }
  w.EndArray();
  return buf.GetString();
}

void Server::Run() {
  std::atomic<bool> done{false};
  std::thread listener([&] {
    http_->listen_after_bind();
    done.store(true);
  });
  // httplib's stop() does nothing to a listener that has not started yet: keep stopping until the
  // listener has returned.
  while (!done.load()) {
    if (stopping_.load()) http_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  listener.join();
}

void Server::Send(httplib::Response& res, int status, std::string body, const char* type, const FaultHits& hits) {
  res.status = status;
  if (hits.drop) {
    // The connection closes halfway through the declared body.
    auto shared = std::make_shared<std::string>(std::move(body));
    const size_t length = shared->size();
    res.set_content_provider(length, type, [shared, length](size_t offset, size_t, httplib::DataSink& sink) {
      if (offset >= length / 2) return false;
      sink.write(shared->data() + offset, length / 2 - offset);
      return true;
    });
    return;
  }
  res.set_content(std::move(body), type);
}

void Server::Install() {
  httplib::Server& s = *http_;
  s.set_pre_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Date", HttpDate(WallNow()));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(OperationOutcome("fatal", "exception", "custody-sim: unexpected error"), kFhirJson);
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.status < 400) return;
    if (res.status == 404) {
      res.set_content(OperationOutcome("error", "not-found", "Unknown path " + req.path), kFhirJson);
    } else {
      res.set_content(OperationOutcome("error", "processing", "HTTP " + std::to_string(res.status)), kFhirJson);
    }
  });
  s.Get("/fhir/metadata", [this](const httplib::Request&, httplib::Response& res) { Metadata(res); });
  s.Get("/fhir/.well-known/smart-configuration",
        [this](const httplib::Request&, httplib::Response& res) { SmartConfiguration(res); });
  s.Get("/jwks.json", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(keys_.jwks_json, kJson);
  });
  s.Post("/token", [this](const httplib::Request& req, httplib::Response& res) { Token(req, res); });
  s.Get("/fhir/?", [this](const httplib::Request& req, httplib::Response& res) { HapiPage(req, res); });
  s.Get("/fhir/AuditEvent/?", [this](const httplib::Request& req, httplib::Response& res) {
    Search(req, res, QueryParams(req));
  });
  s.Post("/fhir/AuditEvent/_search", [this](const httplib::Request& req, httplib::Response& res) {
    Params params = QueryParams(req);
    const std::string type = req.get_header_value("Content-Type");
    if (!req.body.empty() && type.rfind("application/x-www-form-urlencoded", 0) != 0) {
      FaultHits none;
      SendOutcome(res, 415, "error", "not-supported",
                  "POST _search takes application/x-www-form-urlencoded, not " + type, none);
      return;
    }
    for (auto& p : ParseQueryText(req.body)) params.push_back(std::move(p));
    Search(req, res, std::move(params));
  });
  s.Get("/fhir/AuditEvent/([^/]+)", [this](const httplib::Request& req, httplib::Response& res) {
    Read(req, res, req.matches[1].str());
  });
  auto not_allowed = [](const httplib::Request& req, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET");
    res.set_content(OperationOutcome("error", "not-supported", req.method + " is not supported on " + req.path +
                                                                 ": this server is read-only"),
                    kFhirJson);
  };
  s.Post("/fhir/AuditEvent/?", not_allowed);
  s.Put("/fhir/AuditEvent/([^/]+)", not_allowed);
  s.Delete("/fhir/AuditEvent/([^/]+)", not_allowed);
  s.Get("/fhir/\\$export", [this](const httplib::Request& req, httplib::Response& res) { ExportKickoff(req, res); });
  s.Get("/fhir/\\$export-poll-status", [this](const httplib::Request& req, httplib::Response& res) {
    ExportStatus(req, res);
  });
  s.Delete("/fhir/\\$export-poll-status", [this](const httplib::Request& req, httplib::Response& res) {
    ExportStatus(req, res);
  });
  s.Get("/fhir/\\$export-file/([0-9a-f-]+)/([0-9]+)\\.ndjson", [this](const httplib::Request& req, httplib::Response& res) {
    uint64_t part = 0;
    ParseU64(req.matches[2].str(), &part);
    ExportFile(req, res, req.matches[1].str(), part);
  });
  s.Get("/fhir/([A-Za-z]+)(/.*)?", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 404;
    res.set_content(OperationOutcome("error", "not-supported",
                                     "Unknown resource type '" + req.matches[1].str() +
                                         "' - Server knows how to handle: [AuditEvent]"),
                    kFhirJson);
  });
}

bool Server::Authorized(const httplib::Request& req, httplib::Response& res) {
  auto allowed = [this](const char* mode) {
    return std::find(options_.auth.begin(), options_.auth.end(), mode) != options_.auth.end();
  };
  if (allowed("none")) return true;
  const std::string auth = req.get_header_value("Authorization");
  // RFC 6750: a request without credentials gets no error code; a bad or expired token does.
  auto refuse = [&](const char* code, const std::string& why, bool invalid_token = true) {
    res.status = 401;
    res.set_header("WWW-Authenticate",
                   std::string("Bearer realm=\"custody-sim\"") + (invalid_token ? ", error=\"invalid_token\"" : ""));
    res.set_content(OperationOutcome("error", code, why), kFhirJson);
    return false;
  };
  if (auth.empty()) return refuse("login", "Authentication required: no Authorization header", false);
  if (auth.size() > 7 && (auth.compare(0, 7, "Bearer ") == 0 || auth.compare(0, 7, "bearer ") == 0)) {
    const std::string token = auth.substr(7);
    if (allowed("token") && token == static_token_) return true;
    if (allowed("smart")) {
      switch (authority_->Authenticate(token, WallNow())) {
        case TokenAuthority::Check::kOk:
          return true;
        case TokenAuthority::Check::kExpired:
          return refuse("login", "Access token expired: request a new one at " + token_url_);
        case TokenAuthority::Check::kUnknown:
          break;
      }
    }
    return refuse("security", "Invalid access token");
  }
  if (auth.size() > 6 && auth.compare(0, 6, "Basic ") == 0 && allowed("basic")) {
    const std::string expected = Base64Encode(AsBytes(basic_user_ + ":" + basic_password_));
    if (auth.substr(6) == expected) return true;
    return refuse("security", "Invalid username or password");
  }
  return refuse("security", "Unsupported authorization scheme");
}

bool Server::Admit(const httplib::Request& req, httplib::Response& res, FaultHits* hits, bool search) {
  bool insert = false;
  {
    std::lock_guard lock(mu_);
    const uint64_t n = ++data_requests_;
    *hits = faults_->For(n);
    if (search) {
      ++search_requests_;
      insert = options_.insert_every > 0 && search_requests_ % options_.insert_every == 0;
    }
    if (hits->expire_cursor) snapshots_.clear();
  }
  if (insert) {
    std::unique_lock lock(store_mu_);
    store_->Insert(options_.insert_count, StampNow());
  }
  if (hits->http_status == 429) {
    const int64_t secs = hits->retry_after > 0 ? hits->retry_after : 1;
    res.set_header("Retry-After", hits->retry_after_date ? HttpDate(WallNow() + (secs + 1) * 1000) : std::to_string(secs));
    SendOutcome(res, 429, "error", "throttled", "Too many requests: slow down", FaultHits{});
    return false;
  }
  if (hits->http_status == 503) {
    if (hits->retry_after > 0) res.set_header("Retry-After", std::to_string(hits->retry_after));
    SendOutcome(res, 503, "error", "transient", "Service temporarily unavailable", FaultHits{});
    return false;
  }
  if (hits->http_status == 500) {
    SendOutcome(res, 500, "error", "exception", "SQL Link Communication Error (dbx = 34234)", FaultHits{});
    return false;
  }
  if (hits->html) {
    res.status = 200;
    res.set_content("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Your session has ended</h1>"
                    "<form method=\"post\" action=\"/login\"><input name=\"username\"><input name=\"password\" "
                    "type=\"password\"></form></body></html>\n",
                    "text/html;charset=UTF-8");
    return false;
  }
  if (hits->expire_token) {
    authority_->RevokeAll();
    res.status = 401;
    res.set_header("WWW-Authenticate", "Bearer realm=\"custody-sim\", error=\"invalid_token\"");
    res.set_content(OperationOutcome("error", "login", "Access token expired: request a new one at " + token_url_),
                    kFhirJson);
    return false;
  }
  return Authorized(req, res);
}

void Server::Metadata(httplib::Response& res) {
  const bool r5 = options_.version == "r5";
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("resourceType");
  w.String("CapabilityStatement");
  w.Key("status");
  w.String("active");
  w.Key("date");
  Str(w, FormatInstant(options_.common.start * 1000, 0, true, 0));
  w.Key("publisher");
  w.String("custody-sim");
  w.Key("kind");
  w.String("instance");
  w.Key("software");
  w.StartObject();
  w.Key("name");
  w.String("custody-sim FHIR AuditEvent server");
  w.Key("version");
  w.String("1");
  w.EndObject();
  w.Key("implementation");
  w.StartObject();
  w.Key("description");
  w.String("Simulated FHIR AuditEvent server for tests");
  w.Key("url");
  Str(w, base_url_);
  w.EndObject();
  w.Key("fhirVersion");
  w.String(r5 ? "5.0.0" : "4.0.1");
  w.Key("format");
  w.StartArray();
  w.String("application/fhir+json");
  w.String("json");
  w.EndArray();
  w.Key("rest");
  w.StartArray();
  w.StartObject();
  w.Key("mode");
  w.String("server");
  w.Key("security");
  w.StartObject();
  w.Key("extension");
  w.StartArray();
  w.StartObject();
  w.Key("url");
  w.String("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
  w.Key("extension");
  w.StartArray();
  w.StartObject();
  w.Key("url");
  w.String("token");
  w.Key("valueUri");
  Str(w, token_url_);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.Key("service");
  w.StartArray();
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  w.Key("system");
  w.String("http://terminology.hl7.org/CodeSystem/restful-security-service");
  w.Key("code");
  w.String("SMART-on-FHIR");
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.Key("resource");
  w.StartArray();
  w.StartObject();
  w.Key("type");
  w.String("AuditEvent");
  w.Key("interaction");
  w.StartArray();
  for (const char* code : {"read", "search-type"}) {
    w.StartObject();
    w.Key("code");
    w.String(code);
    w.EndObject();
  }
  w.EndArray();
  w.Key("searchParam");
  w.StartArray();
  for (const auto& [name, type] : SupportedParams(r5)) {
    w.StartObject();
    w.Key("name");
    Str(w, name);
    w.Key("definition");
    const std::string def = name == "_id"             ? "http://hl7.org/fhir/SearchParameter/Resource-id"
                            : name == "_lastUpdated" ? "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated"
                                                     : "http://hl7.org/fhir/SearchParameter/AuditEvent-" + name;
    Str(w, def);
    w.Key("type");
    Str(w, type);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  if (options_.export_enabled) {
    w.Key("operation");
    w.StartArray();
    w.StartObject();
    w.Key("name");
    w.String("export");
    w.Key("definition");
    w.String("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export");
    w.EndObject();
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  res.set_content(buf.GetString(), kFhirJson);
}

void Server::SmartConfiguration(httplib::Response& res) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  auto list = [&](const char* key, std::initializer_list<const char*> values) {
    w.Key(key);
    w.StartArray();
    for (const char* v : values) w.String(v);
    w.EndArray();
  };
  w.StartObject();
  w.Key("token_endpoint");
  Str(w, token_url_);
  list("token_endpoint_auth_methods_supported", {"private_key_jwt"});
  list("token_endpoint_auth_signing_alg_values_supported", {"RS384", "ES384"});
  list("grant_types_supported", {"client_credentials"});
  list("scopes_supported", {"system/AuditEvent.rs", "system/AuditEvent.read", "system/*.rs", "system/*.read"});
  list("capabilities", {"client-confidential-asymmetric", "permission-v1", "permission-v2"});
  w.EndObject();
  res.set_content(buf.GetString(), kJson);
}

void Server::Token(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
  if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) != 0) {
    res.status = 400;
    res.set_content(R"({"error":"invalid_request","error_description":"the token request must be application/x-www-form-urlencoded"})",
                    kJson);
    return;
  }
  std::multimap<std::string, std::string> form;
  for (auto& [k, v] : ParseQueryText(req.body)) form.emplace(k, v);
  if (std::find(options_.auth.begin(), options_.auth.end(), "smart") == options_.auth.end()) {
    res.status = 400;
    res.set_content(R"({"error":"unauthorized_client","error_description":"SMART Backend Services is not enabled on this server"})",
                    kJson);
    return;
  }
  const TokenAnswer answer = authority_->Token(form, WallNow());
  res.status = answer.status;
  if (answer.status == 401) res.set_header("WWW-Authenticate", "Bearer realm=\"custody-sim\"");
  res.set_content(answer.body, kJson);
}

std::shared_ptr<const std::vector<uint32_t>> Server::Results(const SearchQuery& q) {
  // Caller holds store_mu_ shared.
  const std::string key = EncodeParams(q.kept) + "#" + std::to_string(store_->version());
  {
    std::lock_guard lock(mu_);
    auto it = offset_cache_.find(key);
    if (it != offset_cache_.end()) return it->second;
  }
  auto results = std::make_shared<const std::vector<uint32_t>>(RunSearch(q, *store_));
  std::lock_guard lock(mu_);
  if (offset_cache_.size() >= 16) offset_cache_.clear();
  offset_cache_[key] = results;
  return results;
}

std::string Server::Bundle(const std::vector<uint32_t>& results, size_t offset, int count, bool count_only,
                           const std::vector<std::pair<std::string, std::string>>& links, const FaultHits& hits) {
  uint64_t serial = 0;
  {
    std::lock_guard lock(mu_);
    serial = bundle_serial_++;
  }
  std::string out;
  out.reserve(count_only ? 512 : 512 + static_cast<size_t>(count) * 2200);
  out += R"({"resourceType":"Bundle","id":")" + UuidFrom(options_.common.seed, kStreamBundleId, serial) +
         R"(","meta":{"lastUpdated":")" + FormatMsZ(WallNow()) + R"("},"type":"searchset")";
  if (options_.total || count_only) out += ",\"total\":" + std::to_string(results.size());
  out += ",\"link\":[";
  for (size_t i = 0; i < links.size(); ++i) {
    if (i > 0) out += ",";
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("relation");
    Str(w, links[i].first);
    w.Key("url");
    Str(w, links[i].second);
    w.EndObject();
    out += buf.GetString();
  }
  out += "]";
  const size_t end = count_only ? offset : std::min(results.size(), offset + static_cast<size_t>(count));
  // Written before the page leaves; a page a drop fault cuts short is not logged.
  LedgerBatch ledger(hits.drop ? nullptr : options_.common.served_ledger);
  if (end > offset || hits.outcome_warning) {
    out += ",\"entry\":[";
    bool first = true;
    if (hits.outcome_warning) {
      out += R"({"resource":)" +
             OperationOutcome("warning", "incomplete",
                              "Some AuditEvents could not be read from the audit store; the result may be incomplete") +
             R"(,"search":{"mode":"outcome"}})";
      first = false;
    }
    for (size_t i = offset; i < end; ++i) {
      const uint32_t pos = results[i];
      if (!first) out += ",";
      first = false;
      const std::string id = store_->Id(pos);
      if (ledger.on()) ledger.Add("fhir:AuditEvent", id, store_->Recorded(pos));
      out += R"({"fullUrl":")" + base_url_ + "/AuditEvent/" + id + R"(","resource":)";
      out += store_->Render(pos);
      out += R"(,"search":{"mode":"match"}})";
    }
    out += "]";
  }
  out += "}";
  return out;
}

std::string Server::CursorToken(const std::string& id, size_t offset, int count) const {
  return Base64UrlEncode(id + ":" + std::to_string(offset) + ":" + std::to_string(count));
}

std::string Server::NewSnapshot(const SearchQuery& q, std::shared_ptr<const std::vector<uint32_t>> results) {
  std::lock_guard lock(mu_);
  const uint64_t serial = snapshot_serial_++;
  const std::string id = UuidFrom(options_.common.seed, kStreamSnapshot, serial);
  Snapshot s;
  s.results = std::move(results);
  s.kept = q.kept;
  s.count = q.count;
  s.created_ms = WallNow();
  s.serial = serial;
  snapshots_[id] = std::move(s);
  while (snapshots_.size() > options_.max_snapshots) {
    auto oldest = snapshots_.begin();
    for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
      if (it->second.serial < oldest->second.serial) oldest = it;
    }
    snapshots_.erase(oldest);
  }
  return id;
}

std::string Server::SnapshotPage(const std::string& id, const Snapshot& snap, size_t offset, const FaultHits& hits,
                                 const std::string& self_url) {
  const std::vector<uint32_t>& results = *snap.results;
  std::vector<std::pair<std::string, std::string>> links;
  const bool hapi = options_.paging == "hapi";
  auto page_url = [&](size_t off) {
    if (hapi) {
      return base_url_ + "?_getpages=" + id + "&_getpagesoffset=" + std::to_string(off) +
             "&_count=" + std::to_string(snap.count) + "&_bundletype=searchset";
    }
    return base_url_ + "/AuditEvent?_cursor=" + CursorToken(id, off, snap.count);
  };
  links.emplace_back("self", self_url.empty() ? page_url(offset) : self_url);
  if (offset + static_cast<size_t>(snap.count) < results.size() && !hits.no_next) {
    links.emplace_back("next", page_url(offset + static_cast<size_t>(snap.count)));
  }
  if (offset > 0) {
    links.emplace_back("previous", page_url(offset > static_cast<size_t>(snap.count) ? offset - snap.count : 0));
  }
  return Bundle(results, offset, snap.count, false, links, hits);
}

void Server::Search(const httplib::Request& req, httplib::Response& res, Params params) {
  FaultHits hits;
  if (!Admit(req, res, &hits, true)) return;
  const bool strict = req.get_header_value("Prefer").find("handling=strict") != std::string::npos;

  // A cursor page of an earlier search.
  if (Has(params, "_cursor")) {
    std::string decoded;
    const std::string token = Get(params, "_cursor");
    const size_t c1 = Base64UrlDecode(token, &decoded) ? decoded.find(':') : std::string::npos;
    const size_t c2 = c1 == std::string::npos ? c1 : decoded.find(':', c1 + 1);
    uint64_t offset = 0, count = 0;
    if (options_.paging != "cursor" || c2 == std::string::npos ||
        !ParseU64(std::string_view(decoded).substr(c1 + 1, c2 - c1 - 1), &offset) ||
        !ParseU64(std::string_view(decoded).substr(c2 + 1), &count)) {
      SendOutcome(res, 400, "error", "invalid", "Invalid _cursor value", hits);
      return;
    }
    const std::string id = decoded.substr(0, c1);
    Snapshot snap;
    {
      std::lock_guard lock(mu_);
      auto it = snapshots_.find(id);
      if (it != snapshots_.end() && WallNow() - it->second.created_ms >= options_.cursor_ttl_seconds * 1000) {
        snapshots_.erase(it);
        it = snapshots_.end();
      }
      if (it == snapshots_.end()) {
        SendOutcome(res, 410, "error", "not-found", "The search cursor has expired or is unknown; run the search again",
                    hits);
        return;
      }
      snap = it->second;
    }
    snap.count = static_cast<int>(std::min<uint64_t>(std::max<uint64_t>(count, 1), static_cast<uint64_t>(options_.max_count)));
    std::shared_lock lock(store_mu_);
    Send(res, 200, SnapshotPage(id, snap, offset, hits, ""), kFhirJson, hits);
    return;
  }

  SearchLimits limits;
  limits.default_count = options_.default_count;
  limits.max_count = options_.max_count;
  limits.strict = strict;
  limits.r5 = options_.version == "r5";
  limits.base_url = base_url_;
  SearchQuery q;
  SearchError error;
  if (!ParseSearch(params, limits, &q, &error)) {
    SendOutcome(res, error.status, error.severity, error.code, error.diagnostics, hits);
    return;
  }
  uint64_t offset = 0;
  if (Has(params, "_offset")) {
    if (options_.paging != "offset" || !ParseU64(Get(params, "_offset"), &offset)) {
      SendOutcome(res, 400, "error", "invalid",
                  options_.paging != "offset" ? "_offset is not supported: follow the Bundle's next link"
                                              : "Invalid _offset value \"" + Get(params, "_offset") + "\"",
                  hits);
      return;
    }
  }
  const std::string query = EncodeParams(q.kept);
  auto url = [&](size_t off) {
    std::string u = base_url_ + "/AuditEvent?" + query + (query.empty() ? "" : "&") + "_count=" + std::to_string(q.count);
    if (options_.paging == "offset" && off > 0) u += "&_offset=" + std::to_string(off);
    return u;
  };
  std::shared_lock lock(store_mu_);
  auto results = Results(q);
  if (q.count_only) {
    Send(res, 200, Bundle(*results, 0, 0, true, {{"self", url(0)}}, hits), kFhirJson, hits);
    return;
  }
  if (options_.paging == "offset") {
    // Live offsets: every page runs the search again over the data as it is now.
    std::vector<std::pair<std::string, std::string>> links = {{"self", url(offset)}};
    if (offset + static_cast<size_t>(q.count) < results->size() && !hits.no_next) {
      links.emplace_back("next", url(offset + static_cast<size_t>(q.count)));
    }
    if (offset > 0) {
      links.emplace_back("previous", url(offset > static_cast<uint64_t>(q.count) ? offset - static_cast<uint64_t>(q.count) : 0));
    }
    Send(res, 200, Bundle(*results, offset, q.count, false, links, hits), kFhirJson, hits);
    return;
  }
  const std::string id = NewSnapshot(q, results);
  Snapshot snap;
  snap.results = results;
  snap.kept = q.kept;
  snap.count = q.count;
  Send(res, 200, SnapshotPage(id, snap, 0, hits, url(0)), kFhirJson, hits);
}

void Server::HapiPage(const httplib::Request& req, httplib::Response& res) {
  const Params params = QueryParams(req);
  if (!Has(params, "_getpages")) {
    res.status = 404;
    res.set_content(OperationOutcome("error", "not-supported", "No resource type in the request URL"), kFhirJson);
    return;
  }
  FaultHits hits;
  if (!Admit(req, res, &hits, true)) return;
  uint64_t offset = 0, count = 0;
  const std::string id = Get(params, "_getpages");
  if (options_.paging != "hapi" || !ParseU64(Get(params, "_getpagesoffset"), &offset)) {
    SendOutcome(res, 400, "error", "invalid", "Invalid _getpagesoffset", hits);
    return;
  }
  Snapshot snap;
  {
    std::lock_guard lock(mu_);
    auto it = snapshots_.find(id);
    if (it != snapshots_.end() && WallNow() - it->second.created_ms >= options_.cursor_ttl_seconds * 1000) {
      snapshots_.erase(it);
      it = snapshots_.end();
    }
    if (it == snapshots_.end()) {
      // HAPI's words for an expired or unknown search.
      SendOutcome(res, 410, "error", "processing", "Search ID \"" + id + "\" does not exist and may have expired", hits);
      return;
    }
    snap = it->second;
  }
  if (ParseU64(Get(params, "_count"), &count) && count > 0) {
    snap.count = static_cast<int>(std::min<uint64_t>(count, static_cast<uint64_t>(options_.max_count)));
  }
  std::shared_lock lock(store_mu_);
  Send(res, 200, SnapshotPage(id, snap, offset, hits, ""), kFhirJson, hits);
}

void Server::Read(const httplib::Request& req, httplib::Response& res, const std::string& id) {
  FaultHits hits;
  if (!Admit(req, res, &hits, false)) return;
  std::shared_lock lock(store_mu_);
  const auto pos = store_->Find(id);
  if (!pos) {
    SendOutcome(res, 404, "error", "not-found", "Resource AuditEvent/" + id + " is not known", hits);
    return;
  }
  res.set_header("ETag", "W/\"1\"");
  {
    LedgerBatch ledger(hits.drop ? nullptr : options_.common.served_ledger);
    ledger.Add("fhir:AuditEvent", id, store_->Recorded(*pos));
  }
  // A fixture is sent exactly as its file holds it, trailing newline included.
  Send(res, 200, store_->RawText(*pos), kFhirJson, hits);
}

void Server::ExportKickoff(const httplib::Request& req, httplib::Response& res) {
  if (!options_.export_enabled) {
    res.status = 404;
    res.set_content(OperationOutcome("error", "not-supported", "$export is not supported by this server"), kFhirJson);
    return;
  }
  FaultHits hits;
  if (!Admit(req, res, &hits, false)) return;
  const Params params = QueryParams(req);
  if (req.get_header_value("Prefer").find("respond-async") == std::string::npos) {
    SendOutcome(res, 400, "error", "invalid", "$export needs the header Prefer: respond-async", hits);
    return;
  }
  for (const auto& [k, v] : params) {
    if (k == "_type") {
      size_t i = 0;
      while (i <= v.size()) {
        size_t j = v.find(',', i);
        if (j == std::string::npos) j = v.size();
        if (v.substr(i, j - i) != "AuditEvent") {
          SendOutcome(res, 400, "error", "not-supported",
                      "_type " + v.substr(i, j - i) + " is not exported by this server (only AuditEvent)", hits);
          return;
        }
        i = j + 1;
      }
    } else if (k == "_outputFormat") {
      if (v != "application/fhir+ndjson" && v != "application/ndjson" && v != "ndjson") {
        SendOutcome(res, 400, "error", "not-supported", "_outputFormat " + v + " is not supported", hits);
        return;
      }
    } else if (k != "_since") {
      SendOutcome(res, 400, "error", "not-supported", "$export parameter " + k + " is not supported", hits);
      return;
    }
  }
  int64_t since_ms = INT64_MIN;
  if (Has(params, "_since")) {
    TimeRange r;
    std::string why;
    const std::string since = Get(params, "_since");
    if (!ParseFhirTime(since, &r, &why) || since.size() < 20) {
      SendOutcome(res, 400, "error", "invalid", "Invalid _since \"" + since + "\": an instant with a zone is required" +
                                                    (why.empty() ? "" : " (" + why + ")"), hits);
      return;
    }
    since_ms = r.lo / 1000;
  }
  auto results = std::make_shared<std::vector<uint32_t>>();
  {
    std::shared_lock lock(store_mu_);
    for (uint32_t pos : store_->by_recorded()) {
      const int64_t lu = store_->at(pos).last_updated_ms;
      // Changed after _since; an event without meta.lastUpdated is exported only without _since.
      if (since_ms == INT64_MIN || (lu != kNoLastUpdated && lu > since_ms)) results->push_back(pos);
    }
  }
  std::string id;
  {
    std::lock_guard lock(mu_);
    id = UuidFrom(options_.common.seed, kStreamJob, job_serial_++);
    ExportJob job;
    job.results = std::move(results);
    job.request = origin_ + req.target;
    job.transaction_time = FormatMsZ(WallNow());
    jobs_[id] = std::move(job);
  }
  res.status = 202;
  res.set_header("Content-Location", base_url_ + "/$export-poll-status?_jobId=" + id);
  res.set_content(OperationOutcome("information", "informational", "Export job " + id + " accepted"), kFhirJson);
}

void Server::ExportStatus(const httplib::Request& req, httplib::Response& res) {
  FaultHits hits;
  if (!Admit(req, res, &hits, false)) return;
  const std::string id = Get(QueryParams(req), "_jobId");
  std::lock_guard lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.cancelled) {
    SendOutcome(res, 404, "error", "not-found", "Unknown or cancelled export job \"" + id + "\"", hits);
    return;
  }
  ExportJob& job = it->second;
  if (req.method == "DELETE") {
    job.cancelled = true;
    res.status = 202;
    res.set_content(OperationOutcome("information", "informational", "Export job " + id + " cancelled"), kFhirJson);
    return;
  }
  const int64_t now = WallNow();
  const int64_t wait_ms = options_.export_retry_after_seconds * 1000;
  if (wait_ms > 0 && job.last_poll_ms != INT64_MIN && now - job.last_poll_ms < wait_ms) {
    res.set_header("Retry-After", std::to_string(options_.export_retry_after_seconds));
    SendOutcome(res, 429, "error", "throttled", "Polled too fast: wait Retry-After seconds between polls", hits);
    return;
  }
  job.last_poll_ms = now;
  if (job.polls < options_.export_polls) {
    ++job.polls;
    res.status = 202;
    res.set_header("X-Progress", "in progress: " + std::to_string(job.polls) + " of " +
                                     std::to_string(options_.export_polls + 1) + " polls");
    res.set_header("Retry-After", std::to_string(std::max<int64_t>(options_.export_retry_after_seconds, 1)));
    return;
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("transactionTime");
  Str(w, job.transaction_time);
  w.Key("request");
  Str(w, job.request);
  w.Key("requiresAccessToken");
  w.Bool(true);
  w.Key("output");
  w.StartArray();
  const uint64_t per = std::max<uint64_t>(options_.export_file_events, 1);
  const uint64_t n = job.results->size();
  for (uint64_t part = 0; part * per < n; ++part) {
    w.StartObject();
    w.Key("type");
    w.String("AuditEvent");
    w.Key("url");
    Str(w, base_url_ + "/$export-file/" + id + "/" + std::to_string(part + 1) + ".ndjson");
    w.Key("count");
    w.Uint64(std::min(per, n - part * per));
    w.EndObject();
  }
  w.EndArray();
  w.Key("error");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  res.set_header("Expires", HttpDate(now + 3600 * 1000));
  Send(res, 200, buf.GetString(), kJson, hits);
}

void Server::ExportFile(const httplib::Request& req, httplib::Response& res, const std::string& job_id, uint64_t part) {
  FaultHits hits;
  if (!Admit(req, res, &hits, false)) return;
  std::shared_ptr<const std::vector<uint32_t>> results;
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || it->second.cancelled) {
      SendOutcome(res, 404, "error", "not-found", "Unknown or cancelled export job \"" + job_id + "\"", hits);
      return;
    }
    results = it->second.results;
  }
  const uint64_t per = std::max<uint64_t>(options_.export_file_events, 1);
  if (part == 0 || (part - 1) * per >= results->size()) {
    SendOutcome(res, 404, "error", "not-found", "No such export file", hits);
    return;
  }
  const size_t begin = static_cast<size_t>((part - 1) * per);
  const size_t end = static_cast<size_t>(std::min<uint64_t>(results->size(), part * per));
  auto next = std::make_shared<size_t>(begin);
  // The file's ledger lines, flushed before its last chunk (or when the client goes away).
  auto ledger = std::make_shared<LedgerBatch>(options_.common.served_ledger);
  // Streamed in slices, so a file of 500,000 events never sits in memory whole.
  res.set_chunked_content_provider(kNdjson, [this, results, next, end, ledger](size_t, httplib::DataSink& sink) {
    if (*next >= end) {
      ledger->Commit();
      sink.done();
      return true;
    }
    std::string chunk;
    std::vector<std::pair<std::string, std::string>> served;  // (id, recorded) of the chunk's resources
    const size_t stop = std::min(end, *next + 256);
    {
      std::shared_lock lock(store_mu_);
      for (size_t i = *next; i < stop; ++i) {
        const uint32_t pos = (*results)[i];
        const std::string text = store_->Render(pos);
        if (ledger->on()) served.emplace_back(store_->Id(pos), store_->Recorded(pos));
        if (store_->at(pos).origin == StoredEvent::kFixture) {
          // ndjson needs one line per resource: the fixture's JSON without its layout.
          rapidjson::Document d;
          d.Parse(text.data(), text.size());
          rapidjson::StringBuffer buf;
          Writer w(buf);
          d.Accept(w);
          chunk.append(buf.GetString(), buf.GetSize());
        } else {
          chunk += text;
        }
        chunk += "\n";
      }
    }
    *next = stop;
    if (!sink.write(chunk.data(), chunk.size())) return false;
    for (const auto& [id, recorded] : served) ledger->Add("fhir:AuditEvent", id, recorded);
    return true;
  });
}

}  // namespace

Result<std::unique_ptr<FhirServer>> FhirServer::Create(FhirOptions options) {
  auto server = std::make_unique<Server>(std::move(options));
  if (Status s = server->Init(); !s) return s.error();
  return std::unique_ptr<FhirServer>(std::move(server));
}

}  // namespace custody::sim::fhir
