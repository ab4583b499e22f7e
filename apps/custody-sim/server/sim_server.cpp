#include "server/sim_server.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "elf.h"
#include "elf/elf_ranges.h"
#include "query_engine.h"
#include "served_ledger.h"
#include "server/bulk.h"
#include "server/elf_ledger_tap.h"
#include "server/fixtures.h"
#include "server/gzip.h"
#include "server/logfile_body.h"
#include "server/oauth.h"
#include "server/tls.h"

namespace custody::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kJsonType = "application/json;charset=UTF-8";
constexpr int kOldestVersion = 31;  // 21.0-30.0 were retired in Summer '25: 410 GONE
constexpr int kNewestVersion = 66;

TimeMs RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HttpDate(TimeMs t) {
  const time_t secs = static_cast<time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string ErrorArray(std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  w.StartObject();
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("errorCode");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.EndObject();
  w.EndArray();
  return buf.GetString();
}

const char* kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string Base62(uint64_t n, size_t width) {
  std::string s(width, '0');
  for (size_t i = width; i > 0 && n > 0; --i) {
    s[i - 1] = kBase62[n % 62];
    n /= 62;
  }
  return s;
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

// Objects whose rows the served ledger leaves out: reference data (users, profiles, reports) and the
// EventLogFile listing (a file's rows are logged when it is downloaded).
bool LedgerSkips(const ObjectDef& def) {
  return def.name == "User" || def.name == "Profile" || def.name == "Report" || def.name == "EventLogFile";
}

// The byte of a LogFile the bad-csv fault turns into a CR (docs/custody-sim.md, Faults): the line
// feed ending the row nearest the middle, i.e. the first row-ending LF at or after byte
// length / 2, unless that is the file's last byte or there is none, then the last row-ending LF
// before length / 2; a file whose only row end is its last byte gets that one. A row-ending LF is
// one outside quotes (a quoted value may hold a line feed). nullopt for a file with no row end.
// Costs at most one restart interval of generation (kCheckpointEvery events) plus a row: the scan
// starts at the last restart point at or before the middle, where a row starts outside quotes
// and the byte before it is the previous row's LF. Memory: the store's 64 KiB chunks.
std::optional<uint64_t> BadCsvOffset(const ElfStore& store, const LogFileInfo& file) {
  if (file.length == 0) return std::nullopt;
  const uint64_t middle = file.length / 2;
  const uint64_t last = file.length - 1;
  uint64_t from = 0;
  for (const uint64_t at : LogFileRestartOffsets(store, file)) {
    if (at > middle) break;
    from = at;
  }
  std::optional<uint64_t> before;
  if (from > 0) before = from - 1;
  std::optional<uint64_t> after;
  std::optional<uint64_t> final_lf;
  bool quoted = false;
  uint64_t pos = from;
  store.Stream(file, from, [&](const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i, ++pos) {
      if (p[i] == '"') {
        quoted = !quoted;  // a doubled quote inside a value flips twice
      } else if (p[i] == '\n' && !quoted) {
        if (pos == last) {
          final_lf = pos;
        } else if (pos >= middle) {
          after = pos;
          return false;  // found: stop generating
        } else {
          before = pos;
        }
      }
    }
    return true;
  });
  if (after) return after;
  if (before) return before;
  return final_lf;
}

// One served-ledger line for a record: log = the object, key = its Id (EventIdentifier for the
// Real-Time Event Monitoring storage objects, whose Id is always 000000000000000AAA), time = its
// order field (CreatedDate, LoginTime, EventDate) as served: JSON "+0000" or Bulk CSV "Z" form.
void AddLedgerRow(LedgerBatch& batch, const Record& rec, bool csv) {
  if (rec.def == nullptr || LedgerSkips(*rec.def)) return;
  const ObjectDef& def = *rec.def;
  const Value* key = rec.Get(def.rule == QueryRule::kEventStorage ? "EventIdentifier" : "Id");
  const Value* time = rec.Get(def.order_field.empty() ? "CreatedDate" : def.order_field);
  std::string time_text;
  if (time != nullptr && time->kind == Value::Kind::kDateTime) {
    time_text = csv ? FormatIsoZ(time->number) : FormatSfDateTime(time->number);
  }
  batch.Add(def.name, key != nullptr && key->kind == Value::Kind::kString ? key->text : std::string(), time_text);
}

// One open query cursor, addressed by its locator id.
struct Cursor {
  std::shared_ptr<const QueryResult> result;
  TimeMs created = 0;  // wall clock
  uint64_t batch = 2000;
  uint64_t serial = 0;
};

class Server final : public SimServer {
 public:
  explicit Server(SimOptions options) : options_(std::move(options)) {}

  Status Init();
  std::string StartupJson() const override { return startup_json_; }
  void Run() override;
  void Stop() override;

 private:
  // Clocks: the wall clock is the org's idea of true time (Date headers, tokens, JWT exp); the
  // data clock decides which rows and files exist.
  TimeMs WallNow() const { return RealNowMs() + options_.clock_offset_ms; }
  TimeMs DataNow() const {
    const TimeMs base = options_.frozen_now ? options_.now : RealNowMs();
    return base + advanced_ms_.load();
  }

  void Install(httplib::Server& server, bool login_host);
  void HandleToken(const httplib::Request& req, httplib::Response& res, bool login_host);
  void HandleApi(const httplib::Request& req, httplib::Response& res);
  void HandleAdmin(const httplib::Request& req, httplib::Response& res);
  const UserInfo* Bearer(const httplib::Request& req);

  // Sends a JSON (or other) body, gzipped when the client asked and the mode says so, and with
  // the drop/truncate faults applied.
  void Send(const httplib::Request& req, httplib::Response& res, int status, std::string body,
            const char* content_type, const FaultHits& hits);
  void SendError(const httplib::Request& req, httplib::Response& res, int status, std::string_view code,
                 std::string_view message, const FaultHits& hits) {
    Send(req, res, status, ErrorArray(code, message), kJsonType, hits);
  }
  bool ShouldGzip(const httplib::Request& req, uint64_t call) const;

  void Versions(httplib::Response& res);
  void Resources(const httplib::Request& req, httplib::Response& res, std::string_view version, const FaultHits& hits);
  void Limits(const httplib::Request& req, httplib::Response& res, const FaultHits& hits);
  void DescribeGlobal(const httplib::Request& req, httplib::Response& res, const FaultHits& hits);
  void Describe(const httplib::Request& req, httplib::Response& res, const ObjectDef& def, const FaultHits& hits);
  void RetrieveRecord(const httplib::Request& req, httplib::Response& res, std::string_view object,
                      std::string_view id, const FaultHits& hits);
  void Query(const httplib::Request& req, httplib::Response& res, bool all_rows, const UserInfo& user,
             const FaultHits& hits);
  void QueryMore(const httplib::Request& req, httplib::Response& res, std::string_view locator, const FaultHits& hits);
  void SendPage(const httplib::Request& req, httplib::Response& res, const std::string& cursor_id, const Cursor& cursor,
                uint64_t offset, const FaultHits& hits);
  void LogFile(const httplib::Request& req, httplib::Response& res, std::string_view id, const FaultHits& hits);
  // Adds rows [offset, offset + count) of a result to the served ledger; nothing without
  // --served-ledger or for a response a drop or truncate fault cuts short.
  void LedgerRows(const QueryResult& r, uint64_t offset, uint64_t count, bool csv, const FaultHits& hits) const;

  SimOptions options_;
  std::unique_ptr<Org> org_;
  std::unique_ptr<QueryEngine> engine_;
  std::unique_ptr<OAuthServer> oauth_;
  std::unique_ptr<FaultPlan> faults_;
  std::unique_ptr<BulkJobs> bulk_;
  std::unique_ptr<Fixtures> fixtures_;
  JwtMaterial jwt_;
  TlsMaterial tls_;
  std::unique_ptr<httplib::Server> login_;
  std::unique_ptr<httplib::Server> instance_;
  int login_port_ = 0;
  int instance_port_ = 0;
  std::string login_url_;
  std::string instance_url_;
  std::string access_token_;
  std::string refresh_token_;
  std::string admin_token_;
  std::string answer_key_path_;
  std::string startup_json_;

  std::atomic<int64_t> advanced_ms_{0};
  std::atomic<bool> stopping_{false};
  std::mutex calls_mu_;
  uint64_t calls_today_ = 0;   // API calls in the current data-clock UTC day
  uint64_t calls_total_ = 0;   // numbering for faults
  int64_t calls_day_ = INT64_MIN;

  std::mutex cursors_mu_;
  std::map<std::string, Cursor, std::less<>> cursors_;
  uint64_t cursor_serial_ = 0;
};

Status Server::Init() {
  std::string error;
  org_ = MakeOrg(options_.org, &error);
  if (!org_) return Error(ErrorCode::kInvalidArgument, "custody-sim: " + error);
  engine_ = std::make_unique<QueryEngine>(*org_);
  faults_ = std::make_unique<FaultPlan>(options_.faults, options_.org.seed);

  auto jwt = MakeJwtMaterial(options_.work_dir);
  if (!jwt) return jwt.error();
  jwt_ = std::move(*jwt);
  if (options_.tls) {
    auto tls = MakeTlsMaterial(options_.work_dir);
    if (!tls) return tls.error();
    tls_ = std::move(*tls);
    login_ = std::make_unique<httplib::SSLServer>(tls_.cert_path.c_str(), tls_.key_path.c_str());
    instance_ = std::make_unique<httplib::SSLServer>(tls_.cert_path.c_str(), tls_.key_path.c_str());
    if (!login_->is_valid() || !instance_->is_valid()) {
      return Error(ErrorCode::kCrypto, "custody-sim: cannot load the generated TLS certificate");
    }
  } else {
    login_ = std::make_unique<httplib::Server>();
    instance_ = std::make_unique<httplib::Server>();
  }
  for (httplib::Server* s : {login_.get(), instance_.get()}) {
    // Headers and body go out as separate writes; without TCP_NODELAY the body of a small response
    // waits for the client's delayed ACK (about 40 ms per call on a kept-alive connection).
    s->set_tcp_nodelay(true);
    s->set_keep_alive_max_count(100000);
    s->set_keep_alive_timeout(30);
    s->set_read_timeout(30);
    s->set_write_timeout(60);
    s->set_payload_max_length(1 << 20);
  }
  if (options_.port == 0) {
    login_port_ = login_->bind_to_any_port(options_.host);
  } else {
    login_port_ = login_->bind_to_port(options_.host, options_.port) ? options_.port : -1;
  }
  if (login_port_ <= 0) {
    return Error(ErrorCode::kIo, "custody-sim: cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  }
  instance_port_ = instance_->bind_to_any_port(options_.host);
  if (instance_port_ <= 0) return Error(ErrorCode::kIo, "custody-sim: cannot listen on " + options_.host);
  const std::string scheme = options_.tls ? "https://" : "http://";
  const std::string host = options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  login_url_ = scheme + host + ":" + std::to_string(login_port_);
  instance_url_ = scheme + host + ":" + std::to_string(instance_port_);

  // Credentials of the simulated connected app. Throwaway values for a simulator, printed on
  // purpose so a client can use them; never real secrets.
  const uint64_t s = options_.org.seed;
  OAuthConfig oc;
  oc.client_id = "3MVG9SIM" + Base62(s * 2654435761u + 17, 12) + "custodysim" + Base62(s + 3, 20);
  oc.client_secret = Base62(s * 40503u + 99, 16) + Base62(s ^ 0x5bd1e995u, 16);
  oc.password = "sim-password-" + Base62(s + 11, 6);
  oc.login_url = login_url_;
  oc.instance_url = instance_url_;
  oc.audiences = {"https://login.salesforce.com", "https://test.salesforce.com", login_url_};
  oc.jwt_public_key = jwt_.public_key.get();
  oc.token_ttl_ms = options_.token_ttl_seconds * 1000;
  oc.token_max_requests = options_.token_max_requests;
  oc.rotate_refresh_tokens = options_.rotate_refresh_tokens;
  oauth_ = std::make_unique<OAuthServer>(*org_, oc);
  access_token_ = oauth_->IssueToken(org_->IntegrationUser(), WallNow());
  refresh_token_ = oauth_->IssueRefreshToken(org_->IntegrationUser());
  admin_token_ = "sim-admin-" + Base62(s * 7 + 5, 16);
  bulk_ = std::make_unique<BulkJobs>();
  if (!options_.fixtures_dir.empty()) {
    auto f = Fixtures::Load(options_.fixtures_dir);
    if (!f) return f.error();
    fixtures_ = std::move(*f);
  }

  const std::string answer_key = org_->AnswerKeyJson();
  if (!answer_key.empty()) {
    answer_key_path_ = options_.work_dir + "/answer-key.json";
    FILE* f = std::fopen(answer_key_path_.c_str(), "wb");
    if (f == nullptr || std::fwrite(answer_key.data(), 1, answer_key.size(), f) != answer_key.size() ||
        std::fclose(f) != 0) {
      return Error(ErrorCode::kIo, "custody-sim: cannot write " + answer_key_path_);
    }
  }

  Install(*login_, true);
  Install(*instance_, false);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  auto kv = [&](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  kv("format", "custody-sim/1");
  w.Key("pid");
  w.Int64(static_cast<int64_t>(getpid()));
  kv("login_url", login_url_);
  kv("instance_url", instance_url_);
  kv("api_version", options_.api_version);
  kv("access_token", access_token_);
  kv("refresh_token", refresh_token_);
  kv("client_id", oc.client_id);
  kv("client_secret", oc.client_secret);
  kv("username", org_->IntegrationUser().username);
  kv("password", oc.password);
  kv("jwt_private_key", jwt_.private_key_path);
  kv("jwt_certificate", jwt_.certificate_path);
  kv("jwt_audience", "https://login.salesforce.com");
  w.Key("ca_file");
  if (options_.tls) w.String(tls_.ca_path.c_str()); else w.Null();
  kv("admin_token", admin_token_);
  kv("org_id", options_.org.org_id);
  w.Key("seed");
  w.Uint64(options_.org.seed);
  w.Key("scenario");
  if (options_.org.scenario.empty()) w.Null(); else w.String(options_.org.scenario.c_str());
  w.Key("answer_key");
  if (answer_key_path_.empty()) w.Null(); else w.String(answer_key_path_.c_str());
  w.Key("data_window");
  w.StartObject();
  kv("start", FormatIsoZ(options_.org.start));
  kv("end", FormatIsoZ(options_.org.start + static_cast<int64_t>(options_.org.days) * 86400000));
  w.EndObject();
  kv("data_now", FormatIsoZ(DataNow()));
  w.Key("clock_frozen");
  w.Bool(options_.frozen_now);
  w.Key("clock_offset_ms");
  w.Int64(options_.clock_offset_ms);
  w.Key("licences");
  w.StartObject();
  w.Key("shield"); w.Bool(options_.org.shield);
  w.Key("field_audit_trail"); w.Bool(options_.org.field_audit_trail);
  w.Key("event_monitoring"); w.Bool(options_.org.event_monitoring);
  w.Key("hourly_elf"); w.Bool(options_.org.hourly_elf);
  w.Key("developer_edition"); w.Bool(options_.org.developer_edition);
  w.EndObject();
  w.Key("daily_api_limit");
  w.Uint64(options_.daily_api_limit);
  w.Key("faults");
  w.StartArray();
  for (const FaultSpec& f : options_.faults) w.String(f.text.c_str());
  w.EndArray();
  w.Key("fixtures_mode");
  w.Bool(fixtures_ != nullptr);
  w.Key("served_ledger");
  if (options_.served_ledger != nullptr) {
    const std::string& path = options_.served_ledger->path();
    w.String(path.c_str(), static_cast<rapidjson::SizeType>(path.size()));
  } else {
    w.Null();
  }
  w.EndObject();
  startup_json_ = buf.GetString();
  return Status::Ok();
}

void Server::Run() {
  std::atomic<int> running{2};
  std::thread login_thread([&] {
    login_->listen_after_bind();
    --running;
  });
  std::thread instance_thread([&] {
    instance_->listen_after_bind();
    --running;
  });
  // httplib's stop() does nothing to a listener that has not started yet, so a signal that comes
  // right after start-up would be lost: keep stopping until both listeners have returned.
  while (running.load() > 0) {
    if (stopping_.load()) {
      login_->stop();
      instance_->stop();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  login_thread.join();
  instance_thread.join();
}

void Server::Stop() { stopping_.store(true); }

void Server::Install(httplib::Server& server, bool login_host) {
  server.set_pre_routing_handler([this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Date", HttpDate(WallNow()));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(ErrorArray("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 0-0 (custody-sim)"),
                    kJsonType);
  });
  server.Post("/services/oauth2/token", [this, login_host](const httplib::Request& req, httplib::Response& res) {
    HandleToken(req, res, login_host);
  });
  server.Get("/services/oauth2/userinfo", [this](const httplib::Request& req, httplib::Response& res) {
    const UserInfo* user = Bearer(req);
    if (user == nullptr) {
      res.status = 403;
      res.set_content("Bad_OAuth_Token", "text/plain;charset=UTF-8");
      return;
    }
    res.set_content(oauth_->UserInfoJson(*user), kJsonType);
  });
  server.Get(R"(/id/([0-9A-Za-z]{15,18})/([0-9A-Za-z]{15,18}))", [this](const httplib::Request& req,
                                                                       httplib::Response& res) {
    const UserInfo* user = Bearer(req);
    if (user == nullptr) {
      res.status = 403;
      res.set_content("Bad_OAuth_Token", "text/plain;charset=UTF-8");
      return;
    }
    const UserInfo* target = org_->FindUserById(req.matches[2].str());
    if (target == nullptr || req.matches[1].str() != options_.org.org_id) {
      res.status = 404;
      res.set_content("Bad_Id", "text/plain;charset=UTF-8");
      return;
    }
    res.set_content(oauth_->IdentityJson(*target), kJsonType);
  });
  if (!login_host) {
    auto api = [this](const httplib::Request& req, httplib::Response& res) { HandleApi(req, res); };
    server.Get(R"(/services/data.*)", api);
    server.Post(R"(/services/data.*)", api);
    server.Patch(R"(/services/data.*)", api);
    server.Delete(R"(/services/data.*)", api);
    auto admin = [this](const httplib::Request& req, httplib::Response& res) { HandleAdmin(req, res); };
    server.Get(R"(/__sim/.*)", admin);
    server.Post(R"(/__sim/.*)", admin);
  }
  if (fixtures_ != nullptr) {
    server.Get(R"(/__fixtures/([A-Za-z0-9._-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      fixtures_->ServeRaw(req.matches[1].str(), res);
    });
  }
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      res.set_content(ErrorArray("NOT_FOUND", "The requested resource does not exist"), kJsonType);
    } else if (res.status == 414) {
      res.set_content("URI Too Long", "text/plain");
    }
  });
}

void Server::HandleToken(const httplib::Request& req, httplib::Response& res, bool login_host) {
  std::multimap<std::string, std::string> form;
  httplib::Params params;
  httplib::detail::parse_query_text(req.body, params);
  for (const auto& [k, v] : params) form.emplace(k, v);
  if (fixtures_ != nullptr) {
    fixtures_->Token(res);
    return;
  }
  const OAuthAnswer answer = oauth_->Token(form, login_host, WallNow());
  res.status = answer.status;
  res.set_content(answer.body, kJsonType);
}

const UserInfo* Server::Bearer(const httplib::Request& req) {
  std::string auth = req.get_header_value("Authorization");
  std::string_view token;
  if (auth.rfind("Bearer ", 0) == 0) token = std::string_view(auth).substr(7);
  else if (auth.rfind("OAuth ", 0) == 0) token = std::string_view(auth).substr(6);
  if (token.empty()) return nullptr;
  return oauth_->Authenticate(token, WallNow());
}

bool Server::ShouldGzip(const httplib::Request& req, uint64_t call) const {
  if (options_.gzip == GzipMode::kNever) return false;
  const std::string accept = req.get_header_value("Accept-Encoding");
  if (accept.find("gzip") == std::string::npos) return false;
  // Salesforce compresses when asked, but not always: here two calls out of three.
  return options_.gzip == GzipMode::kAlways || call % 3 != 0;
}

void Server::Send(const httplib::Request& req, httplib::Response& res, int status, std::string body,
                  const char* content_type, const FaultHits& hits) {
  res.status = status;
  uint64_t call = 0;
  {
    std::lock_guard lock(calls_mu_);
    call = calls_total_;
  }
  // cpp-httplib compresses text/* bodies by itself whenever the client accepts gzip; compressing
  // them here too would send gzip inside gzip under two Content-Encoding headers.
  const bool httplib_compresses = std::string_view(content_type).rfind("text/", 0) == 0;
  if (body.size() > 64 && !httplib_compresses && ShouldGzip(req, call)) {
    body = GzipString(body);
    res.set_header("Content-Encoding", "gzip");
  }
  if (hits.truncate) {
    // The body ends early but the framing is complete: only a content check notices.
    body.resize(body.size() / 2);
  }
  if (hits.drop) {
    // The connection closes halfway through the declared body.
    auto shared = std::make_shared<std::string>(std::move(body));
    const size_t length = shared->size();
    res.set_content_provider(length, content_type, [shared, length](size_t offset, size_t, httplib::DataSink& sink) {
      if (offset >= length / 2) return false;
      sink.write(shared->data() + offset, length / 2 - offset);
      return true;
    });
    return;
  }
  res.set_content(std::move(body), content_type);
}

void Server::HandleAdmin(const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value("X-Sim-Admin") != admin_token_) {
    res.status = 403;
    res.set_content(ErrorArray("FORBIDDEN", "admin endpoints need the X-Sim-Admin header from the startup line"), kJsonType);
    return;
  }
  const std::string_view path = req.path;
  if (path == "/__sim/advance" && req.method == "POST") {
    uint64_t seconds = 0;
    if (!ParseU64(req.get_param_value("seconds"), &seconds)) {
      res.status = 400;
      res.set_content(ErrorArray("INVALID_PARAMETER", "advance needs ?seconds=N (a whole number)"), kJsonType);
      return;
    }
    advanced_ms_ += static_cast<int64_t>(seconds) * 1000;
  } else if (path == "/__sim/revoke" && req.method == "POST") {
    oauth_->RevokeAll();
  } else if (path != "/__sim/state") {
    res.status = 404;
    res.set_content(ErrorArray("NOT_FOUND", "The requested resource does not exist"), kJsonType);
    return;
  }
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("data_now");
  w.String(FormatIsoZ(DataNow()).c_str());
  w.Key("wall_now");
  w.String(FormatIsoZ(WallNow()).c_str());
  {
    std::lock_guard lock(calls_mu_);
    w.Key("api_calls_today");
    w.Uint64(calls_today_);
    w.Key("api_calls_total");
    w.Uint64(calls_total_);
  }
  w.EndObject();
  res.set_content(buf.GetString(), kJsonType);
}

void Server::Versions(httplib::Response& res) {
  static const char* kLabels[] = {"Winter", "Spring", "Summer"};
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (int v = kOldestVersion; v <= kNewestVersion; ++v) {
    // Three releases a year; v62.0 is Winter '25.
    const int offset = v - 62;
    const int release = ((offset % 3) + 3) % 3;
    const int year = 25 + (offset >= 0 ? offset / 3 : (offset - 2) / 3);
    char label[32];
    std::snprintf(label, sizeof label, "%s '%02d", kLabels[release], year % 100);
    const std::string version = std::to_string(v) + ".0";
    w.StartObject();
    w.Key("label"); w.String(label);
    w.Key("url"); w.String(("/services/data/v" + version).c_str());
    w.Key("version"); w.String(version.c_str());
    w.EndObject();
  }
  w.EndArray();
  res.set_content(buf.GetString(), kJsonType);
}

void Server::HandleApi(const httplib::Request& req, httplib::Response& res) {
  const std::vector<std::string_view> parts = SplitPath(req.path);
  // parts[0] == "services", parts[1] == "data"
  if (parts.size() == 2 && req.method == "GET") {
    Versions(res);  // unauthenticated, not counted
    return;
  }
  FaultHits none;
  std::string_view version_part = parts.size() > 2 ? parts[2] : std::string_view();
  int major = 0;
  if (version_part.size() >= 4 && version_part[0] == 'v' && version_part.substr(version_part.size() - 2) == ".0") {
    uint64_t m = 0;
    if (ParseU64(version_part.substr(1, version_part.size() - 3), &m) && m < 1000) major = static_cast<int>(m);
  }
  if (major == 0 || major > kNewestVersion) {
    SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", none);
    return;
  }
  if (major < kOldestVersion) {
    SendError(req, res, 410, "API_VERSION_RETIRED",
              "Version " + std::string(version_part.substr(1)) + " of the API is retired and no longer available",
              none);
    return;
  }
  const std::string version(version_part.substr(1));
  if (fixtures_ != nullptr) {
    fixtures_->Api(req, res, parts);  // the samples answer any token
    return;
  }
  const UserInfo* user = Bearer(req);
  if (user == nullptr) {
    SendError(req, res, 401, "INVALID_SESSION_ID", "Session expired or invalid", none);
    return;
  }
  uint64_t call = 0;
  uint64_t used = 0;
  {
    std::lock_guard lock(calls_mu_);
    const int64_t day = DataNow() / 86400000;
    if (day != calls_day_) {
      calls_day_ = day;
      calls_today_ = 0;
    }
    call = ++calls_total_;
    used = ++calls_today_;
  }
  const FaultHits hits = faults_->For(call);
  res.set_header("Sforce-Limit-Info", "api-usage=" + std::to_string(used) + "/" +
                                          std::to_string(options_.daily_api_limit));
  if (hits.slow_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(hits.slow_ms));
  if (hits.expire) {
    oauth_->RevokeAll();
    SendError(req, res, 401, "INVALID_SESSION_ID", "Session expired or invalid", none);
    return;
  }
  if (hits.limit || used > options_.daily_api_limit) {
    SendError(req, res, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", none);
    return;
  }
  if (hits.http_status == 503) {
    SendError(req, res, 503, "SERVER_UNAVAILABLE", "Server temporarily unavailable: maintenance in progress", none);
    return;
  }
  if (hits.http_status == 502) {
    res.status = 502;
    res.set_content("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html");
    return;
  }
  if (hits.http_status == 500) {
    SendError(req, res, 500, "UNKNOWN_EXCEPTION",
              "An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (custody-sim)",
              none);
    return;
  }
  const std::vector<std::string_view> rest(parts.begin() + 3, parts.end());
  const bool is_get = req.method == "GET";
  if (rest.empty()) {
    if (is_get) {
      Resources(req, res, version, hits);
    } else {
      SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
    }
  } else if (rest.size() == 1 && rest[0] == "limits" && is_get) {
    Limits(req, res, hits);
  } else if ((rest[0] == "query" || rest[0] == "queryAll") && is_get && rest.size() <= 2) {
    if (rest.size() == 1) {
      Query(req, res, rest[0] == "queryAll", *user, hits);
    } else {
      QueryMore(req, res, rest[1], hits);
    }
  } else if (rest[0] == "sobjects" && is_get) {
    if (rest.size() == 1) {
      DescribeGlobal(req, res, hits);
      return;
    }
    const Table* table = org_->FindTable(rest[1]);
    if (table == nullptr) {
      SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
    } else if (rest.size() == 3 && rest[2] == "describe") {
      Describe(req, res, table->def(), hits);
    } else if (rest.size() == 2) {
      Describe(req, res, table->def(), hits);  // basic info; describe is the superset a client needs
    } else if (rest.size() == 4 && EqualsIgnoreCase(rest[1], "EventLogFile") && rest[3] == "LogFile") {
      LogFile(req, res, rest[2], hits);
    } else if (rest.size() == 3) {
      RetrieveRecord(req, res, table->def().name, rest[2], hits);
    } else {
      SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
    }
  } else if (rest[0] == "jobs" && rest.size() >= 2 && rest[1] == "query") {
    BulkContext ctx{*org_, *engine_, version, *user, DataNow(), WallNow()};
    const BulkAnswer answer = bulk_->Handle(ctx, req.method, std::vector<std::string_view>(rest.begin() + 2, rest.end()),
                                            req.body, req.params);
    for (const auto& [k, v] : answer.headers) res.set_header(k, v);
    if (answer.rows) LedgerRows(*answer.rows, answer.rows_offset, answer.rows_count, true, hits);
    Send(req, res, answer.status, answer.body, answer.content_type.c_str(), hits);
  } else {
    SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
  }
}

void Server::Resources(const httplib::Request& req, httplib::Response& res, std::string_view version,
                       const FaultHits& hits) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  const std::string base = "/services/data/v" + std::string(version) + "/";
  w.StartObject();
  for (const char* r : {"tooling", "metadata", "eclair", "folders", "prechatForms", "chatter", "tabs", "appMenu",
                        "quickActions", "queryAll", "commerce", "wave", "iot", "analytics", "search", "identity",
                        "composite", "parameterizedSearch", "jobs", "theme", "nouns", "event", "serviceTemplates",
                        "recent", "connect", "licensing", "limits", "process", "async-queries", "query", "match",
                        "emailConnect", "compactLayouts", "knowledgeManagement", "sobjects", "actions", "support"}) {
    w.Key(r);
    if (std::string_view(r) == "identity") {
      w.String(oauth_->IdentityUrl(org_->IntegrationUser()).c_str());
    } else {
      w.String((base + r).c_str());
    }
  }
  w.EndObject();
  Send(req, res, 200, buf.GetString(), kJsonType, hits);
}

void Server::Limits(const httplib::Request& req, httplib::Response& res, const FaultHits& hits) {
  uint64_t used = 0;
  {
    std::lock_guard lock(calls_mu_);
    used = calls_today_;
  }
  const uint64_t max = options_.daily_api_limit;
  const uint64_t bulk_used = bulk_->JobsCreated();
  const struct {
    const char* name;
    uint64_t max;
    uint64_t remaining;
  } rows[] = {
      {"ConcurrentAsyncGetReportInstances", 200, 200},
      {"ConcurrentSyncReportRuns", 20, 20},
      {"DailyApiRequests", max, used >= max ? 0 : max - used},
      {"DailyAsyncApexExecutions", 250000, 250000},
      {"DailyBulkApiBatches", 15000, 15000},
      {"DailyBulkV2QueryFileStorageMB", 976562, 976562},
      {"DailyBulkV2QueryJobs", 10000, bulk_used >= 10000 ? 0 : 10000 - bulk_used},
      {"DailyGenericStreamingApiEvents", 10000, 10000},
      {"DataStorageMB", 1024, 1001},
      {"FileStorageMB", 20480, 20344},
      {"HourlyODataCallout", 20000, 20000},
      {"SingleEmail", 5000, 5000},
  };
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& r : rows) {
    w.Key(r.name);
    w.StartObject();
    w.Key("Max");
    w.Uint64(r.max);
    w.Key("Remaining");
    w.Uint64(r.remaining);
    w.EndObject();
  }
  w.EndObject();
  Send(req, res, 200, buf.GetString(), kJsonType, hits);
}

void Server::DescribeGlobal(const httplib::Request& req, httplib::Response& res, const FaultHits& hits) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  const std::string base = "/services/data/v" + options_.api_version + "/sobjects/";
  w.StartObject();
  w.Key("encoding");
  w.String("UTF-8");
  w.Key("maxBatchSize");
  w.Int(200);
  w.Key("sobjects");
  w.StartArray();
  for (const ObjectDef* def : org_->Objects()) {
    w.StartObject();
    w.Key("activateable"); w.Bool(false);
    w.Key("createable"); w.Bool(false);
    w.Key("custom"); w.Bool(def->custom);
    w.Key("customSetting"); w.Bool(false);
    w.Key("deletable"); w.Bool(false);
    w.Key("keyPrefix");
    if (def->key_prefix.empty()) w.Null(); else w.String(def->key_prefix.c_str());
    w.Key("label"); w.String(def->label.c_str());
    w.Key("labelPlural"); w.String(def->label_plural.c_str());
    w.Key("name"); w.String(def->name.c_str());
    w.Key("queryable"); w.Bool(def->queryable);
    w.Key("retrieveable"); w.Bool(true);
    w.Key("searchable"); w.Bool(false);
    w.Key("updateable"); w.Bool(false);
    w.Key("urls");
    w.StartObject();
    w.Key("sobject"); w.String((base + def->name).c_str());
    w.Key("describe"); w.String((base + def->name + "/describe").c_str());
    w.Key("rowTemplate"); w.String((base + def->name + "/{ID}").c_str());
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  Send(req, res, 200, buf.GetString(), kJsonType, hits);
}

const char* SoapType(FieldType t) {
  switch (t) {
    case FieldType::kId: return "tns:ID";
    case FieldType::kReference: return "tns:ID";
    case FieldType::kBoolean: return "xsd:boolean";
    case FieldType::kInt: return "xsd:int";
    case FieldType::kDouble: return "xsd:double";
    case FieldType::kDateTime: return "xsd:dateTime";
    case FieldType::kDate: return "xsd:date";
    case FieldType::kAnyType: return "xsd:anyType";
    case FieldType::kBase64: return "xsd:base64Binary";
    default: return "xsd:string";
  }
}

const char* TypeName(FieldType t) {
  switch (t) {
    case FieldType::kId: return "id";
    case FieldType::kReference: return "reference";
    case FieldType::kString: return "string";
    case FieldType::kPicklist: return "picklist";
    case FieldType::kTextArea: return "textarea";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kInt: return "int";
    case FieldType::kDouble: return "double";
    case FieldType::kDateTime: return "datetime";
    case FieldType::kDate: return "date";
    case FieldType::kAnyType: return "anyType";
    case FieldType::kBase64: return "base64";
  }
  return "string";
}

void Server::Describe(const httplib::Request& req, httplib::Response& res, const ObjectDef& def,
                      const FaultHits& hits) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("custom"); w.Bool(def.custom);
  w.Key("keyPrefix");
  if (def.key_prefix.empty()) w.Null(); else w.String(def.key_prefix.c_str());
  w.Key("label"); w.String(def.label.c_str());
  w.Key("labelPlural"); w.String(def.label_plural.c_str());
  w.Key("name"); w.String(def.name.c_str());
  w.Key("queryable"); w.Bool(def.queryable);
  w.Key("fields");
  w.StartArray();
  for (const FieldDef& f : def.fields) {
    w.StartObject();
    w.Key("filterable"); w.Bool(f.filterable);
    w.Key("label"); w.String(f.label.empty() ? f.name.c_str() : f.label.c_str());
    w.Key("length"); w.Int(f.length);
    w.Key("name"); w.String(f.name.c_str());
    w.Key("nillable"); w.Bool(f.nillable);
    w.Key("picklistValues");
    w.StartArray();
    for (const std::string& p : f.picklist_values) {
      w.StartObject();
      w.Key("active"); w.Bool(true);
      w.Key("defaultValue"); w.Bool(false);
      w.Key("label"); w.String(p.c_str());
      w.Key("validFor"); w.Null();
      w.Key("value"); w.String(p.c_str());
      w.EndObject();
    }
    w.EndArray();
    w.Key("referenceTo");
    w.StartArray();
    for (const std::string& r : f.reference_to) w.String(r.c_str());
    w.EndArray();
    w.Key("relationshipName");
    if (f.relationship_name.empty()) w.Null(); else w.String(f.relationship_name.c_str());
    w.Key("soapType"); w.String(SoapType(f.type));
    w.Key("sortable"); w.Bool(f.sortable);
    w.Key("type"); w.String(TypeName(f.type));
    w.EndObject();
  }
  w.EndArray();
  w.Key("urls");
  w.StartObject();
  const std::string base = "/services/data/v" + options_.api_version + "/sobjects/" + def.name;
  w.Key("sobject"); w.String(base.c_str());
  w.Key("describe"); w.String((base + "/describe").c_str());
  w.EndObject();
  w.EndObject();
  Send(req, res, 200, buf.GetString(), kJsonType, hits);
}

void Server::RetrieveRecord(const httplib::Request& req, httplib::Response& res, std::string_view object,
                            std::string_view id, const FaultHits& hits) {
  const std::optional<Record> record = org_->FindById(id, DataNow());
  if (!record || record->def == nullptr || !EqualsIgnoreCase(record->def->name, object)) {
    SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
    return;
  }
  // Render through the query engine so values look exactly as in a query.
  QueryOptions qo;
  qo.all_rows = true;
  qo.now = DataNow();
  qo.api_version = options_.api_version;
  std::string soql = "SELECT ";
  for (size_t i = 0; i < record->def->fields.size(); ++i) {
    if (i > 0) soql += ", ";
    soql += record->def->fields[i].name;
  }
  soql += " FROM " + record->def->name + " WHERE Id = '" + std::string(id) + "'";
  auto result = engine_->Run(soql, qo);
  if (auto* err = std::get_if<SoqlError>(&result); err != nullptr || std::get<0>(result)->total_size() == 0) {
    SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
    return;
  }
  std::string body;
  std::get<0>(result)->AppendJsonRecords(0, 1, &body);
  LedgerRows(*std::get<0>(result), 0, 1, false, hits);
  Send(req, res, 200, body, kJsonType, hits);
}

void Server::Query(const httplib::Request& req, httplib::Response& res, bool all_rows, const UserInfo& user,
                   const FaultHits& hits) {
  if (!req.has_param("q")) {
    SendError(req, res, 400, "MALFORMED_QUERY", "A query string has to be specified", hits);
    return;
  }
  if (hits.query_timeout) {
    SendError(req, res, 400, "QUERY_TIMEOUT", "Your query request was running for too long.", hits);
    return;
  }
  if (hits.query_timeout_500) {
    SendError(req, res, 500, "QUERY_TIMEOUT", "query timeout", hits);
    return;
  }
  QueryOptions qo;
  qo.all_rows = all_rows;
  qo.now = DataNow();
  qo.view_all_data = user.view_all_data;
  qo.api_version = options_.api_version;
  auto result = engine_->Run(req.get_param_value("q"), qo);
  if (auto* err = std::get_if<SoqlError>(&result)) {
    SendError(req, res, err->http_status, err->error_code, err->message, hits);
    return;
  }
  Cursor cursor;
  cursor.result = std::get<0>(std::move(result));
  cursor.created = WallNow();
  cursor.batch = 2000;
  const std::string options = req.get_header_value("Sforce-Query-Options");
  if (const size_t at = options.find("batchSize="); at != std::string::npos) {
    size_t end = at + 10;
    while (end < options.size() && std::isdigit(static_cast<unsigned char>(options[end]))) ++end;
    uint64_t n = 0;
    if (ParseU64(std::string_view(options).substr(at + 10, end - at - 10), &n)) {
      cursor.batch = std::clamp<uint64_t>(n, 200, 2000);
    }
  }
  std::string id;
  {
    std::lock_guard lock(cursors_mu_);
    cursor.serial = ++cursor_serial_;
    id = "01g" + Base62(options_.org.seed % 100000, 3) + Base62(cursor.serial, 9) + "IAW";
    // Bounded memory: the oldest cursors go first, as expired locators.
    while (cursors_.size() >= options_.max_cursors) {
      auto oldest = std::min_element(cursors_.begin(), cursors_.end(), [](const auto& a, const auto& b) {
        return a.second.serial < b.second.serial;
      });
      cursors_.erase(oldest);
    }
    cursors_[id] = cursor;
  }
  SendPage(req, res, id, cursor, 0, hits);
}

void Server::SendPage(const httplib::Request& req, httplib::Response& res, const std::string& cursor_id,
                      const Cursor& cursor, uint64_t offset, const FaultHits& hits) {
  const QueryResult& r = *cursor.result;
  const uint64_t total = r.total_size();
  std::string body = "{\"totalSize\":" + std::to_string(total) + ",\"done\":";
  if (r.is_count()) {
    body += "true,\"records\":[]}";
    Send(req, res, 200, std::move(body), kJsonType, hits);
    return;
  }
  uint64_t count = std::min(cursor.batch, total - std::min(offset, total));
  std::string records;
  if (count > 0) {
    // Wide records make smaller pages, as Salesforce does "based on the size and complexity of
    // records": about 2 MB of JSON per page at most, never fewer than 200 rows.
    r.AppendJsonRecords(offset, 1, &records);
    const uint64_t per_row = std::max<uint64_t>(records.size(), 1);
    const uint64_t fit = std::max<uint64_t>(200, (2u << 20) / per_row);
    count = std::min(count, fit);
    if (hits.short_page) count = std::max<uint64_t>(1, count / 3);
    if (count > 1) {
      records.push_back(',');
      r.AppendJsonRecords(offset + 1, count - 1, &records);
    }
  }
  LedgerRows(r, offset, count, false, hits);
  const uint64_t next = offset + count;
  if (next < total) {
    body += "false,\"nextRecordsUrl\":\"/services/data/v" + options_.api_version + "/query/" + cursor_id + "-" +
            std::to_string(next) + "\",\"records\":[";
  } else {
    body += "true,\"records\":[";
  }
  body += records;
  body += "]}";
  Send(req, res, 200, std::move(body), kJsonType, hits);
}

void Server::QueryMore(const httplib::Request& req, httplib::Response& res, std::string_view locator,
                       const FaultHits& hits) {
  const size_t dash = locator.rfind('-');
  uint64_t offset = 0;
  Cursor cursor;
  bool found = false;
  if (dash != std::string_view::npos && ParseU64(locator.substr(dash + 1), &offset)) {
    std::lock_guard lock(cursors_mu_);
    auto it = cursors_.find(locator.substr(0, dash));
    if (it != cursors_.end()) {
      if (WallNow() - it->second.created > options_.locator_ttl_seconds * 1000) {
        cursors_.erase(it);
      } else {
        cursor = it->second;
        found = true;
      }
    }
  }
  if (!found || hits.locator_expired || offset > cursor.result->total_size()) {
    SendError(req, res, 400, "INVALID_QUERY_LOCATOR", "invalid query locator", hits);
    return;
  }
  if (hits.query_timeout) {
    SendError(req, res, 400, "QUERY_TIMEOUT", "Your query request was running for too long.", hits);
    return;
  }
  if (hits.query_timeout_500) {
    SendError(req, res, 500, "QUERY_TIMEOUT", "query timeout", hits);
    return;
  }
  SendPage(req, res, std::string(locator.substr(0, dash)), cursor, offset, hits);
}

void Server::LogFile(const httplib::Request& req, httplib::Response& res, std::string_view id, const FaultHits& hits) {
  const ElfStore& store = org_->EventLogFiles();
  const TimeMs now = DataNow();
  const std::optional<LogFileInfo> info = store.FindFile(id, now);
  if (!info) {
    SendError(req, res, 404, "NOT_FOUND", "The requested resource does not exist", hits);
    return;
  }
  uint64_t call = 0;
  {
    std::lock_guard lock(calls_mu_);
    call = calls_total_;
  }
  const bool gzip = ShouldGzip(req, call);
  if (gzip) res.set_header("Content-Encoding", "gzip");
  const bool drop = hits.drop;
  const bool truncate = hits.truncate;
  const ElfStore* store_ptr = &store;
  const LogFileInfo file = *info;
  // bad-csv: the absolute offset of the one byte served as a CR instead of the file's LF, found
  // before the body starts, so it is changed in whichever chunk it falls (and before gzip).
  const std::optional<uint64_t> altered = hits.bad_csv ? BadCsvOffset(store, file) : std::nullopt;
  // A body a fault cuts short or alters is not logged; a client that goes away mid-file leaves
  // the rows it was sent in full.
  ServedLedger* ledger = drop || truncate || hits.bad_csv ? nullptr : options_.served_ledger;
  // The chunked framing is written here (server/logfile_body.h) rather than by cpp-httplib's
  // chunked provider, which copies every chunk three times; the bytes on the wire are the same.
  res.set_header("Transfer-Encoding", "chunked");
  res.set_content_provider("application/octetstream", [store_ptr, file, gzip, drop, truncate, altered, ledger](
                                                          size_t, httplib::DataSink& sink) {
    // Truncate stops at half the bytes and ends the body cleanly; drop stops there and closes the
    // connection without the final chunk.
    const uint64_t limit = (drop || truncate) ? file.length / 2 : file.length;
    uint64_t sent = 0;
    ChunkedBody body([&sink](const char* p, size_t n) { return sink.write(p, n); });
    std::unique_ptr<GzipWriter> z;
    if (gzip) z = std::make_unique<GzipWriter>([&body](const char* p, size_t n) { return body.Write(p, n); });
    LedgerBatch batch(ledger);
    ElfLedgerTap tap(&batch, "EventLogFile:" + file.event_type);
    const bool ok = StreamLogFile(*store_ptr, file, [&](char* p, size_t n) {
      if (sent >= limit) return false;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(n, limit - sent));
      if (altered && *altered >= sent && *altered - sent < take) p[*altered - sent] = '\r';
      sent += take;
      // (the framing overwrites bytes around [p, p + take), not in it)
      const bool written = z ? z->Write(p, take) : body.WriteFramed(p, take);
      if (written && batch.on()) tap.Feed(p, take);
      return written;
    });
    if (drop) return false;
    if (z && !z->Finish()) return false;
    if (ok) tap.Finish();
    batch.Commit();
    if (!body.Finish()) return false;
    sink.done();
    return true;
  });
}

void Server::LedgerRows(const QueryResult& r, uint64_t offset, uint64_t count, bool csv, const FaultHits& hits) const {
  if (options_.served_ledger == nullptr || hits.drop || hits.truncate || count == 0 || r.is_count()) return;
  const Table* table = org_->FindTable(r.object_name());
  if (table != nullptr && LedgerSkips(table->def())) return;
  LedgerBatch batch(options_.served_ledger);
  r.VisitRecords(offset, count, [&](const Record& rec) { AddLedgerRow(batch, rec, csv); });
}

}  // namespace

Result<std::unique_ptr<SimServer>> SimServer::Create(SimOptions options) {
  auto server = std::make_unique<Server>(std::move(options));
  if (Status s = server->Init(); !s) return s.error();
  return std::unique_ptr<SimServer>(std::move(server));
}

}  // namespace custody::sim
