#include "mirth/mirth_server.h"

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "mirth/mirth_data.h"
#include "mirth/mirth_faults.h"
#include "mirth/mirth_params.h"
#include "mirth/mirth_xml.h"
#include "served_ledger.h"

namespace custody::sim::mirth {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kXmlType = "application/xml";
constexpr const char* kJsonType = "application/json";
constexpr const char* kTextType = "text/plain";
constexpr const char* kHtmlType = "text/html;charset=iso-8859-1";
constexpr const char* kJettyVersion = "9.4.21.v20190926";
constexpr const char* kRequestedWithMessage = "All requests must have 'X-Requested-With' header";
constexpr const char* kStillStarting = "Server is still starting or otherwise unavailable. Please try again shortly.";
constexpr const char* kBadPassword = "Incorrect username or password.";

TimeMs RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
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

std::string IsoZ(TimeMs t) {
  const time_t secs = static_cast<time_t>(t / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(t % 1000));
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 415: return "Unsupported Media Type";
    case 500: return "Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

// Jetty 9.4's error page (ErrorHandler), as a Mirth server sends for sendError().
std::string JettyErrorPage(int status, std::string_view message, std::string_view uri) {
  const std::string msg = HtmlEscape(message);
  const std::string code = std::to_string(status);
  std::string s = "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html;charset=ISO-8859-1\"/>\n";
  s += "<title>Error " + code + " " + msg + "</title>\n</head>\n<body><h2>HTTP ERROR " + code + " " + msg + "</h2>\n";
  s += "<table>\n<tr><th>URI:</th><td>" + HtmlEscape(uri) + "</td></tr>\n<tr><th>STATUS:</th><td>" + code +
       "</td></tr>\n<tr><th>MESSAGE:</th><td>" + msg + "</td></tr>\n</table>\n";
  s += std::string("<hr><a href=\"https://eclipse.org/jetty\">Powered by Jetty:// ") + kJettyVersion + "</a><hr/>\n\n";
  s += "</body>\n</html>\n";
  return s;
}

bool Base64Decode(std::string_view in, std::string* out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    if (c == '=') break;
    const int v = val(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string RandomSessionId() {
  // Jetty's form: "node0" + random base-36 + worker suffix.
  unsigned char raw[20];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    const uint64_t t = static_cast<uint64_t>(SteadyClock::now().time_since_epoch().count());
    for (size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<unsigned char>(t >> ((i % 8) * 8)) ^ static_cast<unsigned char>(i * 37);
  }
  static const char* kAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id = "node0";
  for (unsigned char b : raw) id.push_back(kAlphabet[b % 36]);
  id += ".node0";
  return id;
}

std::string CookieValue(const std::string& header, std::string_view name) {
  size_t i = 0;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ';')) ++i;
    const size_t eq = header.find('=', i);
    if (eq == std::string::npos) break;
    const size_t end = std::min(header.find(';', eq), header.size());
    if (std::string_view(header).substr(i, eq - i) == name) return header.substr(eq + 1, end - eq - 1);
    i = end;
  }
  return "";
}

// The status Mirth writes into a LoginStatus.
struct LoginAnswer {
  bool ok = false;
  std::string status;
  std::string message;
};

XmlNode LoginStatusNode(const LoginAnswer& a, const std::string& username) {
  XmlNode n("com.mirth.connect.model.LoginStatus");
  n.Text("status", a.status);
  n.Text("message", a.message);
  if (a.ok) n.Text("updatedUsername", username);
  return n;
}

struct Session {
  int64_t user_id = 0;
  std::string username;
  SteadyClock::time_point last;
  uint64_t requests = 0;
};

// The largest --mirth-clock-offset accepted: a year either way.
constexpr double kMaxClockOffsetSeconds = 366.0 * 86400.0;

struct Strikes {
  int failures = 0;
  SteadyClock::time_point locked_until{};
};

struct Principal {
  int64_t user_id = 0;
  std::string username;
};

class Server final : public MirthServer {
 public:
  explicit Server(MirthOptions options) : options_(std::move(options)) {}
  Status Init();
  std::string StartupJson() const override { return startup_json_; }
  std::string AnswerKeyEvidenceJson() const override { return evidence_json_; }
  int port() const override { return port_; }
  void Run() override;
  void Stop() override { stopping_.store(true); }

 private:
  struct Call {
    const httplib::Request& req;
    httplib::Response& res;
    uint64_t number = 0;
    MirthFaultHits hits;
    Principal who;
  };

  // The server's own clock: true UTC + the offset (Date headers, dateTime, lastLogin).
  TimeMs WallNow() const { return RealNowMs() + options_.common.clock_offset_ms; }
  // What the server stamps on rows it writes now: the data clock (frozen or real) on the server's
  // clock, so a frozen `now` is true time and is shifted like every other stamp.
  TimeMs DataNow() const {
    return (options_.common.frozen_now ? options_.common.now : RealNowMs()) + options_.common.clock_offset_ms;
  }

  void Handle(const httplib::Request& req, httplib::Response& res);
  void Route(Call& c, const std::vector<std::string>& parts);
  void Reply(Call& c, int status, std::string body, const char* type);
  void ReplyError(Call& c, int status, bool empty = false, std::string_view message = {});
  // Picks XML, JSON or text per Accept among what the endpoint produces; 406 (replied) if none fits.
  std::optional<WireFormat> Negotiate(Call& c, std::initializer_list<WireFormat> produces);
  void ReplyNode(Call& c, const XmlNode& node, WireFormat f);
  void ReplyScalar(Call& c, const char* xml_tag, int64_t value, WireFormat f);

  // Auth.
  LoginAnswer CheckPassword(const std::string& username, const std::string& password);
  std::optional<Principal> Authenticate(Call& c);
  void Login(Call& c);
  void Logout(Call& c);
  void AppendEvent(const std::string& name, const std::vector<std::pair<std::string, std::string>>& attrs,
                   bool success, const Principal& who, const std::string& ip);

  // Events.
  void EventList(Call& c, const EventFilter& f, uint64_t offset, std::optional<uint64_t> limit);
  bool FilterFromBody(Call& c, EventFilter* f);

  // Messages.
  void Messages(Call& c, size_t channel, const std::vector<std::string>& rest);

  // GET /api/users/current and /api/server/version.
  void CurrentUser(Call& c);
  void ServerVersion(Call& c);

  // Adds options_.common.scenario_events of the kinds this server knows to the event log and
  // writes evidence_json_.
  void InjectScenarioEvents();

  MirthOptions options_;
  std::vector<MirthFault> faults_;
  std::unique_ptr<EventLog> events_;
  std::unique_ptr<MessageStore> messages_;
  std::map<std::string, std::string> fixtures_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  std::string base_url_;
  std::string startup_json_;
  std::string evidence_json_ = "[]";
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> list_requests_{0};

  std::mutex auth_mu_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, Strikes> strikes_;
  std::map<std::string, TimeMs> last_login_;  // username -> the last successful login (server clock)
  uint64_t login_attempts_ = 0;
};

Status Server::Init() {
  const std::string& v = options_.version;
  if (v != "3.12" && v != "4.0" && v != "4.1" && v != "4.2" && v != "4.3" && v != "4.4" && v != "4.5") {
    return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-version " + v + ": expected 3.12, 4.0 ... 4.5");
  }
  if (options_.timezone.empty()) return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-timezone is empty");
  if (options_.events > 5000000) return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-events: at most 5000000");
  if (options_.channels < 0 || options_.channels > 200) {
    return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-channels: 0..200");
  }
  if (options_.messages_per_channel > 1000000) {
    return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-messages: at most 1000000 per channel");
  }
  if (options_.common.days < 1) return Error(ErrorCode::kInvalidArgument, "mirth: the data window needs days >= 1");
  if (options_.username.empty()) return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-username is empty");
  for (const std::string& text : options_.faults) {
    std::string error;
    auto f = ParseMirthFault(text, &error);
    if (!f) return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-fault " + error);
    faults_.push_back(*f);
  }
  if (options_.clock_offset_seconds) {
    const double s = *options_.clock_offset_seconds;
    if (!std::isfinite(s) || std::fabs(s) > kMaxClockOffsetSeconds) {
      return Error(ErrorCode::kInvalidArgument, "mirth: --mirth-clock-offset: at most a year (31622400 s) either way");
    }
    options_.common.clock_offset_ms = std::llround(s * 1000.0);
  }
  if (options_.common.start == 0) {
    const TimeMs ref = options_.common.frozen_now ? options_.common.now : RealNowMs();
    options_.common.start = (ref / 86400000 - options_.common.days) * 86400000;
  }

  DataConfig dc;
  dc.seed = options_.common.seed;
  dc.start = options_.common.start;
  dc.days = options_.common.days;
  dc.events = options_.events;
  dc.channels = options_.channels;
  dc.messages_per_channel = options_.messages_per_channel;
  dc.precision = options_.db_precision;
  dc.fields_42 = v != "3.12" && v != "4.0" && v != "4.1";
  dc.timezone = options_.timezone;
  dc.clock_offset_ms = options_.common.clock_offset_ms;
  events_ = std::make_unique<EventLog>(dc, MakeChannels(dc.seed, dc.channels));
  messages_ = std::make_unique<MessageStore>(dc, events_->server_id());
  InjectScenarioEvents();

  if (!options_.common.fixtures_root.empty()) {
    const std::filesystem::path dir = std::filesystem::path(options_.common.fixtures_root) / "mirth-3.12.0-apiexamples";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".xml") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      fixtures_[entry.path().filename().string()] = ss.str();
    }
  }

  if (options_.common.tls) {
    http_ = std::make_unique<httplib::SSLServer>(options_.common.tls_cert_path.c_str(),
                                                 options_.common.tls_key_path.c_str());
    if (!http_->is_valid()) {
      return Error(ErrorCode::kCrypto, "mirth: cannot load the TLS certificate " + options_.common.tls_cert_path +
                                           " and key " + options_.common.tls_key_path);
    }
  } else {
    http_ = std::make_unique<httplib::Server>();
  }
  http_->set_tcp_nodelay(true);
  http_->set_keep_alive_max_count(100000);
  http_->set_keep_alive_timeout(30);
  http_->set_read_timeout(30);
  http_->set_write_timeout(60);
  http_->set_payload_max_length(1 << 20);
  const std::string& host = options_.common.host;
  if (options_.common.port == 0) {
    port_ = http_->bind_to_any_port(host);
  } else {
    port_ = http_->bind_to_port(host, options_.common.port) ? options_.common.port : -1;
  }
  if (port_ <= 0) {
    return Error(ErrorCode::kIo, "mirth: cannot listen on " + host + ":" + std::to_string(options_.common.port));
  }
  const std::string url_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  base_url_ = std::string(options_.common.tls ? "https://" : "http://") + url_host + ":" + std::to_string(port_);

  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); };
  http_->Get(".*", handler);
  http_->Post(".*", handler);
  http_->Put(".*", handler);
  http_->Delete(".*", handler);
  http_->Patch(".*", handler);
  http_->Options(".*", handler);
  http_->set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(JettyErrorPage(500, "Server Error", req.path), kHtmlType);
  });

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto kv = [&](const char* k, const std::string& value) {
    w.Key(k);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  kv("format", "custody-sim-mirth/1");
  kv("base_url", base_url_ + "/api");
  kv("version", options_.version);
  kv("username", options_.username);
  kv("password", options_.password);
  kv("timezone", options_.timezone);
  w.Key("clock_offset_ms");
  w.Int64(options_.common.clock_offset_ms);
  kv("db_precision", options_.db_precision == DbPrecision::kMillis    ? "ms"
                     : options_.db_precision == DbPrecision::kSeconds ? "seconds"
                                                                      : "sqlserver");
  w.Key("ca_file");
  if (options_.common.tls && !options_.common.ca_path.empty()) {
    w.String(options_.common.ca_path.c_str());
  } else {
    w.Null();
  }
  kv("server_id", events_->server_id());
  w.Key("seed");
  w.Uint64(options_.common.seed);
  w.Key("require_requested_with");
  w.Bool(options_.require_requested_with);
  w.Key("events");
  w.StartObject();
  w.Key("generated");
  w.Uint64(events_->generated());
  w.Key("injected");
  w.Uint64(events_->injected());
  w.Key("first_id");
  w.Int64(events_->first_generated_id());
  w.Key("last_id");
  w.Int64(events_->last_generated_id());
  w.Key("append_every");
  w.Uint64(options_.append_every);
  w.Key("append_count");
  w.Uint64(options_.append_count);
  w.EndObject();
  w.Key("channels");
  w.StartArray();
  for (const Channel& ch : messages_->channels()) {
    w.StartObject();
    kv("id", ch.id);
    kv("name", ch.name);
    w.Key("messages");
    w.Uint64(messages_->per_channel());
    w.EndObject();
  }
  w.EndArray();
  w.Key("data_window");
  w.StartObject();
  kv("start", IsoZ(options_.common.start));
  kv("end", IsoZ(options_.common.start + static_cast<TimeMs>(options_.common.days) * 86400000));
  w.EndObject();
  w.Key("session");
  w.StartObject();
  w.Key("ttl_seconds");
  w.Int64(options_.session_ttl_seconds);
  w.Key("max_requests");
  w.Uint64(options_.session_max_requests);
  w.Key("lockout_failures");
  w.Int(options_.lockout_failures);
  w.Key("starting_logins");
  w.Uint64(options_.starting_logins);
  w.EndObject();
  w.Key("faults");
  w.StartArray();
  for (const MirthFault& f : faults_) w.String(f.text.c_str());
  w.EndArray();
  w.Key("fixtures_url");
  if (fixtures_.empty()) {
    w.Null();
  } else {
    const std::string url = base_url_ + "/__fixtures/mirth/";
    w.String(url.c_str(), static_cast<rapidjson::SizeType>(url.size()));
  }
  w.EndObject();
  startup_json_ = buf.GetString();
  return Status::Ok();
}

void Server::InjectScenarioEvents() {
  struct Pending {
    const ehr::CrossSystemEvent* source;
    ServerEvent event;
  };
  std::vector<Pending> pending;
  std::map<std::string, int64_t> added_users;  // actors not in the generated user table
  auto user_id = [&](const std::string& name) -> int64_t {
    if (name == options_.username) return 1;  // the configured user is the server's first user
    if (auto id = GeneratedUserId(name)) return *id;
    auto [it, added] = added_users.emplace(name, kFirstFreeUserId + static_cast<int64_t>(added_users.size()));
    return it->second;
  };
  for (const ehr::CrossSystemEvent& x : options_.common.scenario_events) {
    ServerEvent e;
    e.time = x.time + options_.common.clock_offset_ms;  // stamped by this server's clock
    e.user_id = user_id(x.actor);
    e.ip = x.source_ip;
    if (x.kind == "middleware-login") {
      e.name = "Login";
      e.attributes = {{"username", x.actor + "\n"}};
    } else if (x.kind == "middleware-message-search") {
      // The search an API client makes for a channel's newest messages, without content.
      e.name = "Get messages by page limit";
      MessageQuery q;
      if (messages_->per_channel() > 0) q.max_id = static_cast<int64_t>(messages_->per_channel());
      if (!messages_->channels().empty()) e.attributes.emplace_back("channel", ChannelAttribute(messages_->channels()[0]));
      e.attributes.emplace_back("filter", MessageFilterText(q));
      e.attributes.emplace_back("offset", "0\n");
      e.attributes.emplace_back("limit", "500\n");
      e.attributes.emplace_back("includeContent", "false\n");
    } else {
      continue;  // a step another system logs
    }
    pending.push_back({&x, std::move(e)});
  }
  if (pending.empty()) return;
  std::vector<ServerEvent> events;
  for (const Pending& p : pending) events.push_back(p.event);
  const std::vector<int64_t> ids = events_->Inject(std::move(events));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto kv = [&](const char* k, const std::string& value) {
    w.Key(k);
    w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartArray();
  for (size_t i = 0; i < pending.size(); ++i) {
    const std::optional<ServerEvent> stored = events_->ById(ids[i]);
    w.StartObject();
    kv("system", "mirth");
    kv("log", "ServerEvent");
    kv("key_field", "id");
    kv("key", std::to_string(ids[i]));
    kv("label", pending[i].source->label);
    kv("time", IsoZ(stored ? stored->time : pending[i].event.time));
    w.EndObject();
  }
  w.EndArray();
  evidence_json_ = buf.GetString();
}

void Server::Run() {
  std::atomic<bool> done{false};
  std::thread listener([&] {
    http_->listen_after_bind();
    done.store(true);
  });
  // httplib's stop() does nothing to a listener that has not started yet: keep stopping until it returns.
  while (!done.load()) {
    if (stopping_.load()) http_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  listener.join();
}

void Server::Reply(Call& c, int status, std::string body, const char* type) {
  c.res.status = status;
  if (c.hits.drop && !body.empty()) {
    // The connection closes halfway through the declared body.
    auto shared = std::make_shared<std::string>(std::move(body));
    const size_t length = shared->size();
    c.res.set_content_provider(length, type, [shared, length](size_t offset, size_t, httplib::DataSink& sink) {
      if (offset >= length / 2) return false;
      sink.write(shared->data() + offset, length / 2 - offset);
      return true;
    });
    return;
  }
  if (body.empty() && (status == 204 || type == nullptr)) {
    c.res.body.clear();
    return;
  }
  c.res.set_content(std::move(body), type);
}

void Server::ReplyError(Call& c, int status, bool empty, std::string_view message) {
  if (empty) {
    c.res.status = status;
    c.res.body.clear();
    c.res.set_header("Content-Length", "0");
    return;
  }
  Reply(c, status, JettyErrorPage(status, message.empty() ? ReasonPhrase(status) : message, c.req.path), kHtmlType);
}

std::optional<WireFormat> Server::Negotiate(Call& c, std::initializer_list<WireFormat> produces) {
  auto f = PickFormat(c.req.get_header_value("Accept"), produces);
  if (!f) ReplyError(c, 406);
  return f;
}

void Server::ReplyNode(Call& c, const XmlNode& node, WireFormat f) {
  if (f == WireFormat::kJson) {
    Reply(c, 200, ToJson(node), kJsonType);
  } else {
    Reply(c, 200, ToXml(node), kXmlType);
  }
}

void Server::ReplyScalar(Call& c, const char* xml_tag, int64_t value, WireFormat f) {
  const std::string n = std::to_string(value);
  if (f == WireFormat::kText) {
    Reply(c, 200, n, kTextType);
  } else if (f == WireFormat::kJson) {
    Reply(c, 200, std::string("{\"") + xml_tag + "\":" + n + "}", kJsonType);
  } else {
    Reply(c, 200, std::string("<") + xml_tag + ">" + n + "</" + xml_tag + ">", kXmlType);
  }
}

void Server::Handle(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Date", HttpDate(WallNow()));
  res.set_header("Server", std::string("Jetty(") + kJettyVersion + ")");
  const std::string_view path = req.path;
  if (path.rfind("/__fixtures/mirth/", 0) == 0 && req.method == "GET") {
    const std::string name(path.substr(18));
    auto it = fixtures_.find(name);
    if (it == fixtures_.end()) {
      res.status = 404;
      res.set_content("no such fixture\n", "text/plain");
      return;
    }
    res.set_content(it->second, kXmlType);
    return;
  }
  Call c{req, res, 0, {}, {}};
  c.number = ++requests_;
  // Mirth's CORS defaults and Jetty's security headers, on every API response.
  res.set_header("Access-Control-Allow-Origin", "*");
  res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE, PUT");
  res.set_header("Access-Control-Allow-Headers", "Content-Type");
  res.set_header("Access-Control-Allow-Credentials", "false");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Content-Security-Policy", "frame-ancestors 'none'");
  if (options_.require_requested_with) {
    const std::string rw = req.get_header_value("X-Requested-With");
    if (rw.find_first_not_of(" \t") == std::string::npos) {
      res.set_header("Cache-Control", "must-revalidate,no-cache,no-store");
      ReplyError(c, 400, false, kRequestedWithMessage);
      return;
    }
  }
  c.hits = FaultsFor(faults_, c.number);
  if (c.hits.slow_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(c.hits.slow_ms));
  if (c.hits.expire) {
    std::lock_guard lock(auth_mu_);
    sessions_.clear();
  }
  if (c.hits.status != 0) {
    ReplyError(c, c.hits.status, c.hits.empty_body);
    return;
  }
  if (path != "/api" && path.rfind("/api/", 0) != 0) {
    ReplyError(c, 404);
    return;
  }
  std::vector<std::string> parts;
  for (size_t i = 5; i <= path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  Route(c, parts);
}

void Server::Route(Call& c, const std::vector<std::string>& p) {
  const std::string& m = c.req.method;
  if (p.size() == 2 && p[0] == "users" && p[1] == "_login") {
    if (m != "POST") return ReplyError(c, 405);
    return Login(c);
  }
  if (p.size() == 2 && p[0] == "server" && p[1] == "version") {
    // @DontCheckAuthorized on a servlet that does not require a login: no session needed.
    if (m != "GET") return ReplyError(c, 405);
    return ServerVersion(c);
  }
  auto who = Authenticate(c);
  if (!who) return;  // replied
  c.who = *who;
  if (p.size() == 2 && p[0] == "users" && p[1] == "_logout") {
    if (m != "POST") return ReplyError(c, 405);
    return Logout(c);
  }
  if (p.size() == 2 && p[0] == "users" && p[1] == "current") {
    if (m != "GET") return ReplyError(c, 405);
    return CurrentUser(c);
  }
  if (!p.empty() && p[0] == "events") {
    if (p.size() == 1) {
      if (m != "GET") return ReplyError(c, 405);
      EventFilter f;
      uint64_t offset = 0;
      std::optional<uint64_t> limit;
      if (!EventFilterFromQuery(c.req, &f) || !PagingFromQuery(c.req, &offset, &limit)) return ReplyError(c, 404);
      return EventList(c, f, offset, limit);
    }
    if (p.size() == 2 && p[1] == "count") {
      if (m != "GET") return ReplyError(c, 405);
      EventFilter f;
      if (!EventFilterFromQuery(c.req, &f)) return ReplyError(c, 404);
      auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson, WireFormat::kText});
      if (!fmt) return;
      return ReplyScalar(c, "long", static_cast<int64_t>(events_->Count(f)), *fmt);
    }
    if (p.size() == 2 && p[1] == "maxEventId") {
      if (m != "GET") return ReplyError(c, 405);
      auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson, WireFormat::kText});
      if (!fmt) return;
      const int64_t max = events_->MaxId();
      if (max == 0) return Reply(c, 204, "", nullptr);  // MAX(id) of no rows is null
      return ReplyScalar(c, "int", max, *fmt);
    }
    if (p.size() == 2 && p[1] == "_search") {
      if (m != "POST") return ReplyError(c, 405);
      EventFilter f;
      uint64_t offset = 0;
      std::optional<uint64_t> limit;
      if (!PagingFromQuery(c.req, &offset, &limit)) return ReplyError(c, 404);
      if (!FilterFromBody(c, &f)) return;
      return EventList(c, f, offset, limit);
    }
    if (p.size() == 3 && p[1] == "count" && p[2] == "_search") {
      if (m != "POST") return ReplyError(c, 405);
      EventFilter f;
      if (!FilterFromBody(c, &f)) return;
      auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson, WireFormat::kText});
      if (!fmt) return;
      return ReplyScalar(c, "long", static_cast<int64_t>(events_->Count(f)), *fmt);
    }
    if (p.size() == 2) {
      if (m != "GET") return ReplyError(c, 405);
      int64_t id = 0;
      if (!ParseJavaInt(p[1], &id)) return ReplyError(c, 404);
      auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
      if (!fmt) return;
      auto e = events_->ById(id);
      if (!e) return ReplyError(c, 404);
      {
        LedgerBatch ledger(c.hits.drop ? nullptr : options_.common.served_ledger);
        ledger.Add("mirth:event", std::to_string(e->id), std::to_string(e->time));
      }
      EventWriteContext ctx{WallNow(), static_cast<int64_t>(SteadyClock::now().time_since_epoch().count()),
                            options_.timezone, options_.version != "3.12" && options_.version != "4.0" &&
                                                   options_.version != "4.1"};
      std::string body;
      if (*fmt == WireFormat::kJson) {
        body = "{\"event\":";
        AppendEventJson(*e, ctx, &body);
        body += "}";
        return Reply(c, 200, std::move(body), kJsonType);
      }
      AppendEventXml(*e, ctx, 0, &body);
      return Reply(c, 200, std::move(body), kXmlType);
    }
    return ReplyError(c, 404);
  }
  if (!p.empty() && p[0] == "channels") {
    if (p.size() == 2 && p[1] == "idsAndNames") {
      if (m != "GET") return ReplyError(c, 405);
      auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
      if (!fmt) return;
      XmlNode map("map");
      for (const Channel& ch : messages_->channels()) {
        XmlNode& entry = map.Child("entry");
        entry.Text("string", ch.id);
        entry.Text("string", ch.name);
      }
      return ReplyNode(c, map, *fmt);
    }
    if (p.size() >= 3 && p[2] == "messages") {
      const Channel* ch = messages_->Find(p[1]);
      if (ch == nullptr) return ReplyError(c, 404);
      const size_t index = static_cast<size_t>(ch - messages_->channels().data());
      return Messages(c, index, std::vector<std::string>(p.begin() + 3, p.end()));
    }
    return ReplyError(c, 404);
  }
  ReplyError(c, 404);
}

// ---- auth ----

LoginAnswer Server::CheckPassword(const std::string& username, const std::string& password) {
  const auto now = SteadyClock::now();
  Strikes& s = strikes_[username];
  if (s.locked_until > now) {
    const int64_t left = std::chrono::duration_cast<std::chrono::seconds>(s.locked_until - now).count() + 1;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(left / 3600),
                  static_cast<long long>(left / 60 % 60), static_cast<long long>(left % 60));
    return {false, "FAIL_LOCKED_OUT",
            "User account \"" + username + "\" has been locked. You may attempt to login again in " + buf + "."};
  }
  if (username == options_.username && password == options_.password) {
    s = Strikes{};
    return {true, "SUCCESS", ""};
  }
  ++s.failures;
  if (options_.lockout_failures > 0 && s.failures >= options_.lockout_failures) {
    s.locked_until = now + std::chrono::seconds(options_.lockout_seconds);
    s.failures = 0;
  }
  return {false, "FAIL", kBadPassword};
}

void Server::AppendEvent(const std::string& name, const std::vector<std::pair<std::string, std::string>>& attrs,
                         bool success, const Principal& who, const std::string& ip) {
  ServerEvent e;
  e.time = DataNow();
  e.name = name;
  e.attributes = attrs;
  e.outcome = success ? "SUCCESS" : "FAILURE";
  e.user_id = who.user_id;
  e.ip = ip;
  events_->Append(std::move(e));
}

void Server::Login(Call& c) {
  auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
  if (!fmt) return;
  const std::string username = c.req.get_param_value("username");
  const std::string password = c.req.get_param_value("password");
  LoginAnswer answer;
  bool starting = false;
  std::string session_id;
  {
    std::lock_guard lock(auth_mu_);
    ++login_attempts_;
    if (login_attempts_ <= options_.starting_logins) {
      starting = true;
      answer = {false, "FAIL", kStillStarting};
    } else {
      answer = CheckPassword(username, password);
      if (answer.ok) {
        session_id = RandomSessionId();
        sessions_[session_id] = Session{1, username, SteadyClock::now(), 0};
        last_login_[username] = DataNow();
      }
    }
  }
  if (!starting) {
    // Every login attempt is audited, the caller's address included (a starting server writes nothing).
    const Principal who{username == options_.username ? 1 : 0, username};
    AppendEvent("Login", {{"username", username + "\n"}}, answer.ok, who, c.req.remote_addr);
  }
  const XmlNode node = LoginStatusNode(answer, username);
  if (answer.ok) c.res.set_header("Set-Cookie", "JSESSIONID=" + session_id + ";Path=/api;Secure");
  const std::string body = *fmt == WireFormat::kJson ? ToJson(node) : ToXml(node);
  Reply(c, answer.ok ? 200 : 401, body, *fmt == WireFormat::kJson ? kJsonType : kXmlType);
}

void Server::Logout(Call& c) {
  const std::string id = CookieValue(c.req.get_header_value("Cookie"), "JSESSIONID");
  {
    std::lock_guard lock(auth_mu_);
    sessions_.erase(id);
  }
  AppendEvent("Logout", {}, true, c.who, c.req.remote_addr);
  Reply(c, 204, "", nullptr);
}

std::optional<Principal> Server::Authenticate(Call& c) {
  const std::string cookie = CookieValue(c.req.get_header_value("Cookie"), "JSESSIONID");
  if (!cookie.empty()) {
    std::lock_guard lock(auth_mu_);
    auto it = sessions_.find(cookie);
    if (it != sessions_.end()) {
      Session& s = it->second;
      const auto now = SteadyClock::now();
      const bool idle = now - s.last > std::chrono::seconds(options_.session_ttl_seconds);
      const bool used_up = options_.session_max_requests > 0 && s.requests >= options_.session_max_requests;
      if (!idle && !used_up) {
        s.last = now;
        ++s.requests;
        return Principal{s.user_id, s.username};
      }
      sessions_.erase(it);
    }
  }
  const std::string auth = c.req.get_header_value("Authorization");
  if (auth.size() > 6 && (auth.rfind("Basic ", 0) == 0 || auth.rfind("basic ", 0) == 0)) {
    std::string decoded;
    const size_t colon = Base64Decode(auth.substr(6), &decoded) ? decoded.find(':') : std::string::npos;
    LoginAnswer answer{false, "FAIL", kBadPassword};
    std::string username;
    if (colon != std::string::npos) {
      username = decoded.substr(0, colon);
      std::lock_guard lock(auth_mu_);
      answer = CheckPassword(username, decoded.substr(colon + 1));
      if (answer.ok) last_login_[username] = DataNow();
    }
    if (answer.ok) return Principal{1, username};
    auto fmt = PickFormat(c.req.get_header_value("Accept"), {WireFormat::kXml, WireFormat::kJson});
    const XmlNode node = LoginStatusNode(answer, username);
    if (fmt && *fmt == WireFormat::kJson) {
      Reply(c, 401, ToJson(node), kJsonType);
    } else {
      Reply(c, 401, ToXml(node), kXmlType);
    }
    return std::nullopt;
  }
  ReplyError(c, 401);
  return std::nullopt;
}

// ---- users/current, server/version ----

void Server::CurrentUser(Call& c) {
  auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
  if (!fmt) return;
  TimeMs last_login = DataNow();
  {
    std::lock_guard lock(auth_mu_);
    auto it = last_login_.find(c.who.username);
    if (it != last_login_.end()) last_login = it->second;
  }
  // A User as XStream writes it: the profile fields an Administrator-edited user has (empty
  // strings), lastLogin as a Calendar, strikeCount; gracePeriodStart and lastStrikeTime are null
  // (left out) for a user with a current password and no failed logins.
  XmlNode u("user");
  u.Text("id", std::to_string(c.who.user_id));
  u.Text("username", c.who.username);
  for (const char* field : {"email", "firstName", "lastName", "organization", "description", "phoneNumber", "industry"}) {
    u.Text(field, "");
  }
  XmlNode& ll = u.Child("lastLogin");
  ll.Text("time", std::to_string(last_login));
  ll.Text("timezone", options_.timezone);
  u.Text("strikeCount", "0");
  ReplyNode(c, u, *fmt);
}

void Server::ServerVersion(Call& c) {
  // getVersion is @Produces(text/plain) only: an Accept without text/plain (or a wildcard) is 406.
  auto fmt = Negotiate(c, {WireFormat::kText});
  if (!fmt) return;
  Reply(c, 200, options_.version + ".0", kTextType);
}

// ---- events ----

void Server::EventList(Call& c, const EventFilter& f, uint64_t offset, std::optional<uint64_t> limit) {
  auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
  if (!fmt) return;
  // Other administrators keep working while the collector pages.
  const uint64_t n = ++list_requests_;
  if (options_.append_every > 0 && n % options_.append_every == 0) {
    const TimeMs now = DataNow();
    for (uint64_t k = 0; k < options_.append_count; ++k) events_->AppendActivity(now);
  }
  std::vector<ServerEvent> appended;
  const std::vector<EventRef> refs = events_->Search(f, offset, limit, &appended);
  if (options_.common.served_ledger != nullptr && !c.hits.drop) {
    LedgerBatch ledger(options_.common.served_ledger);
    for (const EventRef& r : refs) {
      const ServerEvent e = r.appended ? appended[r.index] : events_->Generated(r.index);
      ledger.Add("mirth:event", std::to_string(e.id), std::to_string(e.time));
    }
  }
  const EventWriteContext ctx{WallNow(), static_cast<int64_t>(SteadyClock::now().time_since_epoch().count()),
                              options_.timezone,
                              options_.version != "3.12" && options_.version != "4.0" && options_.version != "4.1"};
  std::string body;
  if (*fmt == WireFormat::kJson) {
    if (refs.empty()) return Reply(c, 200, "{\"list\":null}", kJsonType);
    body.reserve(refs.size() * 700 + 32);
    body = "{\"list\":{\"event\":";
    if (refs.size() > 1) body.push_back('[');
    for (size_t i = 0; i < refs.size(); ++i) {
      if (i > 0) body.push_back(',');
      const EventRef& r = refs[i];
      AppendEventJson(r.appended ? appended[r.index] : events_->Generated(r.index), ctx, &body);
    }
    if (refs.size() > 1) body.push_back(']');
    body += "}}";
    return Reply(c, 200, std::move(body), kJsonType);
  }
  if (refs.empty()) return Reply(c, 200, "<list/>", kXmlType);
  body.reserve(refs.size() * 900 + 32);
  body = "<list>\n";
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i > 0) body.push_back('\n');
    const EventRef& r = refs[i];
    AppendEventXml(r.appended ? appended[r.index] : events_->Generated(r.index), ctx, 1, &body);
  }
  body += "\n</list>";
  Reply(c, 200, std::move(body), kXmlType);
}

bool Server::FilterFromBody(Call& c, EventFilter* f) {
  const std::string type = c.req.get_header_value("Content-Type");
  Result<XmlNode> doc = Error(ErrorCode::kParse, "");
  if (type.find("json") != std::string::npos) {
    doc = ParseJsonAsXml(c.req.body);
  } else if (type.find("xml") != std::string::npos) {
    doc = ParseXml(c.req.body);
  } else {
    ReplyError(c, 415);
    return false;
  }
  if (!doc || doc->name != "eventFilter" || !EventFilterFromNode(*doc, f)) {
    ReplyError(c, 400);
    return false;
  }
  return true;
}

// ---- messages ----

void Server::Messages(Call& c, size_t channel, const std::vector<std::string>& rest) {
  const Channel& ch = messages_->channels()[channel];
  if (c.req.method != "GET") return ReplyError(c, 405);
  MessageQuery q;
  if (!MessageQueryFromQuery(c.req, &q)) return ReplyError(c, 404);
  const int64_t count = static_cast<int64_t>(messages_->per_channel());
  auto matches = [&](int64_t id) {
    if (q.min_id && id < *q.min_id) return false;
    if (q.max_id && id > *q.max_id) return false;
    const TimeMs t = messages_->Received(channel, id);
    if (q.start && t < *q.start) return false;
    if (q.end && t > *q.end) return false;
    if (!q.statuses.empty()) {
      bool any = false;
      for (const std::string& s : messages_->Statuses(channel, id)) {
        any = any || std::find(q.statuses.begin(), q.statuses.end(), s) != q.statuses.end();
      }
      if (!any) return false;
    }
    return true;
  };
  if (rest.size() == 1 && rest[0] == "count") {
    auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson, WireFormat::kText});
    if (!fmt) return;
    int64_t n = 0;
    for (int64_t id = 1; id <= count; ++id) n += matches(id) ? 1 : 0;
    return ReplyScalar(c, "long", n, *fmt);
  }
  if (rest.size() == 1 && rest[0] == "maxMessageId") {
    auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson, WireFormat::kText});
    if (!fmt) return;
    return ReplyScalar(c, "long", count, *fmt);
  }
  const std::string channel_attr = "Channel[id=" + ch.id + ",name=" + ch.name + "]\n";
  if (rest.size() == 1) {
    int64_t id = 0;
    if (!ParseJavaInt(rest[0], &id)) return ReplyError(c, 404);
    auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
    if (!fmt) return;
    if (id < 1 || id > count) return ReplyError(c, 404);
    const XmlNode node = messages_->MessageNode(channel, id, true);
    std::string mrn;
    if (const XmlNode* cms = node.Find("connectorMessages")) {
      const XmlNode* raw = cms->children.empty() ? nullptr : cms->children[0].Find("connectorMessage");
      const XmlNode* content = raw == nullptr ? nullptr : raw->Find("raw");
      const XmlNode* text = content == nullptr ? nullptr : content->Find("content");
      if (text != nullptr) {
        const size_t at = text->text.find("PID|1||");
        if (at != std::string::npos) mrn = text->text.substr(at + 7, text->text.find('^', at) - at - 7);
      }
    }
    std::vector<std::pair<std::string, std::string>> attrs = {
        {"channel", channel_attr}, {"messageId", std::to_string(id) + "\n"}, {"metaDataIds", ""}};
    if (!mrn.empty()) attrs.emplace_back("patientId", mrn + "\n");
    AppendEvent("Get message content", attrs, true, c.who, c.req.remote_addr);
    {
      LedgerBatch ledger(c.hits.drop ? nullptr : options_.common.served_ledger);
      ledger.Add("mirth:message", ch.id + "/" + std::to_string(id), std::to_string(messages_->Received(channel, id)));
    }
    return ReplyNode(c, node, *fmt);
  }
  if (!rest.empty()) return ReplyError(c, 404);
  auto fmt = Negotiate(c, {WireFormat::kXml, WireFormat::kJson});
  if (!fmt) return;
  // searchMessages is audited with its parameters, as Mirth does for the collector's own calls.
  AppendEvent("Get messages by page limit",
              {{"channel", channel_attr},
               {"filter", MessageFilterText(q)},
               {"offset", q.offset_text.empty() ? "" : q.offset_text + "\n"},
               {"limit", q.limit_text.empty() ? "" : q.limit_text + "\n"},
               {"includeContent", q.include_content ? "true\n" : "false\n"}},
              true, c.who, c.req.remote_addr);
  XmlNode list("list");
  LedgerBatch ledger(c.hits.drop ? nullptr : options_.common.served_ledger);
  uint64_t skip = q.offset;
  uint64_t remaining = q.limit.value_or(UINT64_MAX);
  for (int64_t id = count; id >= 1 && remaining > 0; --id) {
    if (!matches(id)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    list.children.push_back(messages_->MessageNode(channel, id, q.include_content));
    ledger.Add("mirth:message", ch.id + "/" + std::to_string(id), std::to_string(messages_->Received(channel, id)));
    --remaining;
  }
  ledger.Commit();
  ReplyNode(c, list, *fmt);
}

}  // namespace

void AddMirthFlags(CLI::App& app, MirthOptions& o, bool& enabled) {
  app.add_flag("--mirth", enabled, "also serve a simulated Mirth Connect / NextGen Connect / OIE REST API "
                                   "(docs/custody-sim-mirth.md)");
  app.add_option("--mirth-version", o.version, "server shape: 3.12, 4.0 (no patientId/channel fields) or 4.2+ "
                                               "(4.2, 4.3, 4.4, 4.5)")
      ->capture_default_str()
      ->check(CLI::IsMember({"3.12", "4.0", "4.1", "4.2", "4.3", "4.4", "4.5"}));
  app.add_option("--mirth-timezone", o.timezone, "JVM zone id written into every Calendar (eventTime.timezone)")
      ->capture_default_str();
  app.add_option("--mirth-db-precision", o.db_precision,
                 "timestamp precision of the backing database: ms (Postgres), seconds (MySQL) or sqlserver "
                 "(1/300 s)")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, DbPrecision>{
              {"ms", DbPrecision::kMillis}, {"seconds", DbPrecision::kSeconds}, {"sqlserver", DbPrecision::kSqlServer}},
          CLI::ignore_case));
  app.add_option("--mirth-events", o.events, "generated server events")->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{5000000}));
  app.add_option("--mirth-channels", o.channels, "channels")->capture_default_str()->check(CLI::Range(0, 200));
  app.add_option("--mirth-messages", o.messages_per_channel, "messages per channel")->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{1000000}));
  app.add_option("--mirth-username", o.username, "the simulator's user name")->capture_default_str();
  app.add_option("--mirth-password", o.password, "the simulator's (throwaway) password")->capture_default_str();
  app.add_flag_callback("--mirth-no-requested-with", [&o] { o.require_requested_with = false; },
                        "accept requests without X-Requested-With (server.api.require-requested-with = false)");
  app.add_option("--mirth-append-every", o.append_every,
                 "every N event-list requests, append --mirth-append-count new events first (0: never)")
      ->capture_default_str();
  app.add_option("--mirth-append-count", o.append_count, "events appended each time")->capture_default_str();
  app.add_option("--mirth-session-ttl", o.session_ttl_seconds, "idle seconds before a session expires")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400 * 365}));
  app.add_option("--mirth-session-requests", o.session_max_requests,
                 "a session expires after this many requests (0: never)")
      ->capture_default_str();
  app.add_option("--mirth-lockout-failures", o.lockout_failures,
                 "consecutive bad passwords that lock the user (0: never)")
      ->capture_default_str()->check(CLI::Range(0, 1000));
  app.add_option("--mirth-lockout-seconds", o.lockout_seconds, "how long a locked user stays locked")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400}));
  app.add_option("--mirth-starting-logins", o.starting_logins,
                 "the first N logins answer FAIL \"Server is still starting\"")
      ->capture_default_str();
  app.add_option("--mirth-clock-offset", o.clock_offset_seconds,
                 "this server's clock minus true UTC in seconds (may be fractional or negative; overrides "
                 "--clock-offset for Mirth): Date headers and every time the server stamps")
      ->check(CLI::Range(-kMaxClockOffsetSeconds, kMaxClockOffsetSeconds));
  app.add_option("--mirth-fault", o.faults, "inject a fault: KIND[:ARG][@N[-M],...] (repeatable; see the manual)");
}

Result<std::unique_ptr<MirthServer>> MirthServer::Create(MirthOptions options) {
  auto server = std::make_unique<Server>(std::move(options));
  if (Status s = server->Init(); !s) return s.error();
  return std::unique_ptr<MirthServer>(std::move(server));
}

}  // namespace custody::sim::mirth
