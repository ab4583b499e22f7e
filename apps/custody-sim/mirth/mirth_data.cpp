#include "mirth/mirth_data.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numeric>

#include "org/rng.h"

namespace custody::sim::mirth {
namespace {

using gen::Rng;

// Draw streams of the Mirth server (values are part of the determinism contract).
constexpr uint64_t kStreamServerId = 0x4d00;
constexpr uint64_t kStreamEventTime = 0x4d01;
constexpr uint64_t kStreamEventGap = 0x4d02;
constexpr uint64_t kStreamEvent = 0x4d03;
constexpr uint64_t kStreamActivity = 0x4d04;
constexpr uint64_t kStreamChannel = 0x4d05;
constexpr uint64_t kStreamMessage = 0x4d10;  // + channel

// Activity by hour of day (UTC): quiet nights, busy office hours.
constexpr std::array<int, 24> kHourWeight = {1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 11, 13, 14, 13, 11, 8, 5, 4, 3, 2, 2, 1};

struct SimUser {
  int64_t id;
  const char* username;
  std::array<const char*, 3> ips;  // the first is the usual one
  int weight;
};
constexpr std::array<SimUser, 6> kUsers = {{
    {1, "admin", {"10.20.30.41", "10.20.30.41", "0:0:0:0:0:0:0:1"}, 30},
    {2, "jsmith", {"10.20.31.17", "10.20.31.17", "192.168.10.54"}, 15},
    {3, "mgarcia", {"10.20.31.22", "10.20.31.22", "10.20.31.23"}, 12},
    {4, "integration", {"10.20.40.5", "10.20.40.5", "10.20.40.5"}, 25},
    {5, "tnguyen", {"10.20.32.9", "172.16.5.80", "10.20.32.9"}, 10},
    {6, "kpatel", {"10.20.33.11", "10.20.33.11", "198.51.100.23"}, 8},
}};
constexpr std::array<const char*, 5> kUnknownUsers = {"administrator", "root", "mirth", "test", "sa"};
constexpr std::array<const char*, 3> kUnknownIps = {"203.0.113.50", "198.51.100.7", "10.20.99.200"};

enum class Op {
  kLogin, kLogout, kGetChannels, kGetMessages, kGetContent, kDeploy, kUndeploy, kUpdateChannel, kStart, kStop,
  kExportMessages, kRemoveMessages, kGetAlerts, kGetSettings, kUpdateSettings, kUpdateUser,
};
struct OpDef {
  Op op;
  const char* name;
  int weight;
};
constexpr std::array<OpDef, 16> kOps = {{
    {Op::kLogin, "Login", 120},
    {Op::kLogout, "Logout", 70},
    {Op::kGetChannels, "Get channels", 90},
    {Op::kGetMessages, "Get messages by page limit", 150},
    {Op::kGetContent, "Get message content", 60},
    {Op::kDeploy, "Deploy channels", 25},
    {Op::kUndeploy, "Undeploy channels", 8},
    {Op::kUpdateChannel, "Update channel", 25},
    {Op::kStart, "Start channels", 12},
    {Op::kStop, "Stop channels", 10},
    {Op::kExportMessages, "Export messages", 6},
    {Op::kRemoveMessages, "Remove messages", 4},
    {Op::kGetAlerts, "Get alerts", 40},
    {Op::kGetSettings, "Get server settings", 30},
    {Op::kUpdateSettings, "Update server settings", 3},
    {Op::kUpdateUser, "Update user", 4},
}};

constexpr std::array<const char*, 10> kChannelNames = {
    "ADT Inbound", "ORU Results Outbound", "SIU Scheduling", "Lab Orders ORM", "Pharmacy RDE",
    "Billing DFT", "Radiology Results", "Immunization VXU", "CCD Export", "Salesforce Patient Sync"};
constexpr std::array<const char*, 8> kFamily = {"DOE", "ROE", "SMITH", "NGUYEN", "GARCIA", "PATEL", "JONES", "KIM"};
constexpr std::array<const char*, 8> kGiven = {"JANE", "JOHN", "MARIA", "WEI", "AHMED", "OLGA", "LUIS", "ANA"};

template <size_t N, typename T>
const T& PickWeighted(Rng& r, const std::array<T, N>& items) {
  int total = 0;
  for (const T& t : items) total += t.weight;
  int x = static_cast<int>(r.Below(static_cast<uint64_t>(total)));
  for (const T& t : items) {
    if (x < t.weight) return t;
    x -= t.weight;
  }
  return items.back();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsNoCase(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  return Lower(hay).find(Lower(needle)) != std::string::npos;
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return std::string(s.substr(b, e - b));
}

const std::string* AttrValue(const ServerEvent& e, std::string_view key) {
  for (const auto& [k, v] : e.attributes) {
    if (k == key) return &v;
  }
  return nullptr;
}

// The four 4.2+ fields, as ServerEvent's getters derive them from the attributes (null: absent).
struct Fields42 {
  std::optional<std::string> patient_id, channel_id, channel_name, message_id;
};
Fields42 Derive42(const ServerEvent& e) {
  Fields42 f;
  if (const std::string* p = AttrValue(e, "patientId")) f.patient_id = Trim(*p);
  if (const std::string* m = AttrValue(e, "messageId")) f.message_id = Trim(*m);
  if (const std::string* c = AttrValue(e, "channel")) {
    const std::string clean = Trim(*c);
    const size_t id = clean.find("id=");
    const size_t comma = clean.find(',');
    if (id != std::string::npos && comma != std::string::npos && comma >= id + 3) {
      f.channel_id = clean.substr(id + 3, comma - id - 3);
    }
    const size_t name = c->find("name=");
    const size_t close = c->find(']');
    if (name != std::string::npos && close != std::string::npos && close >= name + 5) {
      f.channel_name = c->substr(name + 5, close - name - 5);
    }
  }
  return f;
}

void Line(std::string* out, int depth, std::string_view tag, std::string_view value) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  out->push_back('<');
  out->append(tag);
  out->push_back('>');
  AppendXmlEscaped(out, value);
  out->append("</");
  out->append(tag);
  out->append(">\n");
}

void Open(std::string* out, int depth, std::string_view tag) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  out->push_back('<');
  out->append(tag);
  out->append(">\n");
}

void Close(std::string* out, int depth, std::string_view tag, bool newline = true) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  out->append("</");
  out->append(tag);
  out->push_back('>');
  if (newline) out->push_back('\n');
}

void JsonKey(std::string* out, std::string_view key) {
  AppendJsonString(out, key);
  out->push_back(':');
}

XmlNode Calendar(std::string name, TimeMs t, const std::string& zone) {
  XmlNode n(std::move(name));
  n.Text("time", std::to_string(t));
  n.Text("timezone", zone);
  return n;
}

}  // namespace

std::string MakeUuid(uint64_t seed, uint64_t stream, uint64_t index) {
  const uint64_t a = gen::Hash(seed, stream, index * 2);
  const uint64_t b = gen::Hash(seed, stream, index * 2 + 1);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string ChannelAttribute(const Channel& c) { return "Channel[id=" + c.id + ",name=" + c.name + "]\n"; }

std::optional<int64_t> GeneratedUserId(std::string_view username) {
  for (const SimUser& u : kUsers) {
    if (username == u.username) return u.id;
  }
  return std::nullopt;
}

std::vector<Channel> MakeChannels(uint64_t seed, int count) {
  std::vector<Channel> out;
  for (int i = 0; i < count; ++i) {
    std::string name = kChannelNames[static_cast<size_t>(i) % kChannelNames.size()];
    if (static_cast<size_t>(i) >= kChannelNames.size()) name += " " + std::to_string(i / static_cast<int>(kChannelNames.size()) + 1);
    out.push_back({MakeUuid(seed, kStreamChannel, static_cast<uint64_t>(i)), std::move(name)});
  }
  return out;
}

TimeMs ApplyPrecision(TimeMs t, DbPrecision p) {
  switch (p) {
    case DbPrecision::kMillis:
      return t;
    case DbPrecision::kSeconds: {
      // MySQL TIMESTAMP without fractional seconds.
      const TimeMs s = t >= 0 ? t / 1000 : (t - 999) / 1000;
      return s * 1000;
    }
    case DbPrecision::kSqlServer: {
      // DATETIME keeps 1/300 s ticks: .000, .003, .007, rounded to the nearest tick.
      const TimeMs s = t >= 0 ? t / 1000 : (t - 999) / 1000;
      const int64_t ms = t - s * 1000;
      const int64_t ticks = (ms * 3 + 5) / 10;  // round(ms * 0.3)
      const int64_t back = (ticks * 10 + 1) / 3;  // round(ticks * 10 / 3)
      return s * 1000 + back;
    }
  }
  return t;
}

EventLog::EventLog(const DataConfig& config, std::vector<Channel> channels)
    : config_(config), channels_(std::move(channels)) {
  server_id_ = MakeUuid(config_.seed, kStreamServerId, 0);
  const uint64_t n = config_.events;
  ids_.reserve(n);
  times_.reserve(n);
  int weight_sum = 0;
  for (int w : kHourWeight) weight_sum += w;
  const double total = static_cast<double>(config_.days) * weight_sum;
  const TimeMs window_end = config_.start + static_cast<TimeMs>(config_.days) * 86400000 - 1;
  // Pruned head: the oldest events were removed by the data pruner, so the log starts above 1.
  Rng head(config_.seed, kStreamEventGap, 0x7fffffff);
  int64_t id = static_cast<int64_t>(head.Below(3000));
  TimeMs prev = config_.start;
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0 && i % 64 == 0) {
      Rng g(config_.seed, kStreamEventGap, i / 64);
      if (g.Chance(0.08)) id += g.Range(1, 1500);  // a pruned range
    }
    ++id;
    ids_.push_back(id);
    Rng r(config_.seed, kStreamEventTime, i);
    const double x = (static_cast<double>(i) + r.Unit()) / static_cast<double>(n) * total;
    int64_t day = static_cast<int64_t>(x / weight_sum);
    double rem = x - static_cast<double>(day) * weight_sum;
    size_t h = 0;
    while (h < 23 && rem >= kHourWeight[h]) {
      rem -= kHourWeight[h];
      ++h;
    }
    const double frac = std::clamp(rem / kHourWeight[h], 0.0, 0.999999);
    TimeMs t = config_.start + day * 86400000 + static_cast<TimeMs>(h) * 3600000 +
               static_cast<TimeMs>(frac * 3600000.0);
    t = std::clamp(t, prev, window_end);
    prev = t;
    // The server stamps its own (possibly wrong) clock; the database then rounds what it stored.
    times_.push_back(ApplyPrecision(t + config_.clock_offset_ms, config_.precision));
  }
}

uint64_t EventLog::injected() const {
  std::shared_lock lock(mu_);
  return injected_.size();
}

int64_t EventLog::MaxId() const {
  std::shared_lock lock(mu_);
  if (!appended_.empty()) return appended_.back().id;
  if (!injected_.empty()) return std::max(injected_.back().id, last_generated_id());
  return last_generated_id();
}

ServerEvent EventLog::Draw(uint64_t index, bool activity, TimeMs time, int64_t id) const {
  Rng r(config_.seed, activity ? kStreamActivity : kStreamEvent, index);
  ServerEvent e;
  e.id = id;
  e.time = time;
  e.server_id = server_id_;
  const OpDef& op = PickWeighted(r, kOps);
  const SimUser& user = PickWeighted(r, kUsers);
  e.name = op.name;
  e.user_id = user.id;
  e.ip = user.ips[r.Below(3)];
  const bool failed = r.Chance(op.op == Op::kLogin ? 0.08 : 0.03);
  const Channel* channel = channels_.empty() ? nullptr : &channels_[r.Below(channels_.size())];
  auto add = [&e](std::string k, std::string v) { e.attributes.emplace_back(std::move(k), std::move(v)); };
  auto nl = [](auto v) { return std::to_string(v) + "\n"; };
  switch (op.op) {
    case Op::kLogin:
      if (failed && r.Chance(0.5)) {
        // Someone guessing: an unknown user name from an unfamiliar address.
        add("username", std::string(kUnknownUsers[r.Below(kUnknownUsers.size())]) + "\n");
        e.user_id = 0;
        e.ip = kUnknownIps[r.Below(kUnknownIps.size())];
      } else {
        add("username", std::string(user.username) + "\n");
      }
      break;
    case Op::kLogout:
      break;
    case Op::kGetChannels:
      add("channelIds", "");
      add("pollingOnly", "false\n");
      add("includeCodeTemplateLibraries", "false\n");
      break;
    case Op::kGetMessages: {
      if (channel != nullptr) add("channel", ChannelAttribute(*channel));
      const int64_t max_id = r.Range(1, 5000);
      add("filter", "MessageFilter[maxMessageId=" + std::to_string(max_id) +
                        ",minMessageId=<null>,originalIdUpper=<null>,originalIdLower=<null>,importIdUpper=<null>,"
                        "importIdLower=<null>,startDate=<null>,endDate=<null>,textSearch=<null>,"
                        "textSearchRegex=<null>,statuses=<null>,includedMetaDataIds=<null>,"
                        "excludedMetaDataIds=<null>,serverId=<null>,contentSearch=<null>,metaDataSearch=<null>,"
                        "textSearchMetaDataColumns=<null>,sendAttemptsLower=<null>,sendAttemptsUpper=<null>,"
                        "attachment=<null>,error=<null>]\n");
      add("offset", nl(r.Below(4) * 20));
      add("limit", nl(21));
      add("includeContent", "false\n");
      break;
    }
    case Op::kGetContent: {
      if (channel != nullptr) add("channel", ChannelAttribute(*channel));
      const int64_t message_id = r.Range(1, 5000);
      add("messageId", nl(message_id));
      add("metaDataIds", "");
      add("patientId", "MRN" + std::to_string(100000 + r.Below(900000)) + "\n");
      break;
    }
    case Op::kDeploy:
    case Op::kUndeploy:
    case Op::kStart:
    case Op::kStop:
      add("channelIds", "[" + (channel != nullptr ? channel->id : std::string()) + "]\n");
      add("returnErrors", "false\n");
      break;
    case Op::kUpdateChannel:
      if (channel != nullptr) add("channel", ChannelAttribute(*channel));
      add("override", "true\n");
      break;
    case Op::kExportMessages:
    case Op::kRemoveMessages:
      if (channel != nullptr) add("channel", ChannelAttribute(*channel));
      add("filter", "MessageFilter[maxMessageId=<null>,minMessageId=<null>,startDate=<null>,endDate=<null>]\n");
      break;
    case Op::kGetAlerts:
      add("alertIds", "");
      break;
    case Op::kGetSettings:
      break;
    case Op::kUpdateSettings:
      add("settings", "ServerSettings[environmentName=Production,serverName=mirth-prod-01]\n");
      break;
    case Op::kUpdateUser: {
      const SimUser& target = kUsers[r.Below(kUsers.size())];
      add("user", "User[id=" + std::to_string(target.id) + ",username=" + target.username + "]\n");
      break;
    }
  }
  if (failed) {
    e.outcome = "FAILURE";
    if (op.op != Op::kLogin) e.level = "ERROR";
  } else if ((op.op == Op::kRemoveMessages || op.op == Op::kStop) && r.Chance(0.3)) {
    e.level = "WARNING";
  }
  return e;
}

ServerEvent EventLog::Generated(uint64_t index) const { return Draw(index, false, times_[index], ids_[index]); }

std::optional<ServerEvent> EventLog::ById(int64_t id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it != ids_.end() && *it == id) return Generated(static_cast<uint64_t>(it - ids_.begin()));
  std::shared_lock lock(mu_);
  for (const ServerEvent& e : injected_) {
    if (e.id == id) return e;
  }
  for (const ServerEvent& e : appended_) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

std::pair<uint64_t, uint64_t> EventLog::BoundRange(const EventFilter& f) const {
  auto lo = ids_.begin();
  auto hi = ids_.end();
  if (f.min_id) lo = std::max(lo, std::lower_bound(ids_.begin(), ids_.end(), *f.min_id));
  if (f.max_id) hi = std::min(hi, std::upper_bound(ids_.begin(), ids_.end(), *f.max_id));
  if (f.id) {
    lo = std::max(lo, std::lower_bound(ids_.begin(), ids_.end(), *f.id));
    hi = std::min(hi, std::upper_bound(ids_.begin(), ids_.end(), *f.id));
  }
  uint64_t a = static_cast<uint64_t>(lo - ids_.begin());
  uint64_t b = static_cast<uint64_t>(hi - ids_.begin());
  if (f.start) a = std::max(a, static_cast<uint64_t>(std::lower_bound(times_.begin(), times_.end(), *f.start) - times_.begin()));
  if (f.end) b = std::min(b, static_cast<uint64_t>(std::upper_bound(times_.begin(), times_.end(), *f.end) - times_.begin()));
  if (a > b) a = b;
  return {a, b};
}

bool EventLog::Matches(const ServerEvent& e, const EventFilter& f) {
  if (f.max_id && e.id > *f.max_id) return false;
  if (f.min_id && e.id < *f.min_id) return false;
  if (f.id && e.id != *f.id) return false;
  if (!f.levels.empty() && std::find(f.levels.begin(), f.levels.end(), e.level) == f.levels.end()) return false;
  if (f.start && e.time < *f.start) return false;
  if (f.end && e.time > *f.end) return false;
  if (f.name && !ContainsNoCase(e.name, *f.name)) return false;
  if (f.outcome && e.outcome != *f.outcome) return false;
  if (f.user_id && e.user_id != *f.user_id) return false;
  if (f.ip && e.ip != *f.ip) return false;
  if (f.server_id && !ContainsNoCase(e.server_id, *f.server_id)) return false;
  if (f.attribute_search && !ContainsNoCase(SerializedAttributes(e), *f.attribute_search)) return false;
  return true;
}

std::string EventLog::SerializedAttributes(const ServerEvent& e) {
  XmlNode map("linked-hash-map");
  for (const auto& [k, v] : e.attributes) {
    XmlNode& entry = map.Child("entry");
    entry.Text("string", k);
    entry.Text("string", v);
  }
  return ToXml(map);
}

std::vector<EventRef> EventLog::Search(const EventFilter& f, uint64_t offset, std::optional<uint64_t> limit,
                                       std::vector<ServerEvent>* appended_rows) const {
  std::vector<EventRef> out;
  uint64_t skip = offset;
  uint64_t remaining = limit.value_or(UINT64_MAX);
  if (remaining == 0) return out;
  std::shared_lock lock(mu_);
  for (auto it = appended_.rbegin(); it != appended_.rend(); ++it) {
    if (!Matches(*it, f)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    appended_rows->push_back(*it);
    out.push_back({true, appended_rows->size() - 1});
    if (--remaining == 0) return out;
  }
  const auto [lo, hi] = BoundRange(f);
  // The injected rows that match, highest id first; they sit among the generated ones by id.
  std::vector<const ServerEvent*> inj;
  for (auto it = injected_.rbegin(); it != injected_.rend(); ++it) {
    if (Matches(*it, f)) inj.push_back(&*it);
  }
  auto injected_row = [&](const ServerEvent& e) {
    appended_rows->push_back(e);
    out.push_back({true, appended_rows->size() - 1});
  };
  if (f.OnlyBounds()) {
    // Row q of the merged (descending) sequence: injected row j sits at (generated rows in
    // [lo, hi) with a greater id) + j; every other position is a generated index counted down
    // from hi. Paging stays O(page) however deep the offset.
    std::vector<uint64_t> pos(inj.size());
    for (size_t j = 0; j < inj.size(); ++j) {
      const uint64_t above = static_cast<uint64_t>(std::upper_bound(ids_.begin(), ids_.end(), inj[j]->id) - ids_.begin());
      pos[j] = hi - std::clamp(above, lo, hi) + j;
    }
    const uint64_t total = (hi - lo) + inj.size();
    if (skip >= total) return out;
    const uint64_t take = std::min(remaining, total - skip);
    out.reserve(out.size() + take);
    size_t j = static_cast<size_t>(std::lower_bound(pos.begin(), pos.end(), skip) - pos.begin());
    for (uint64_t q = skip; q < skip + take; ++q) {
      if (j < inj.size() && pos[j] == q) {
        injected_row(*inj[j++]);
      } else {
        out.push_back({false, hi - 1 - (q - j)});
      }
    }
    return out;
  }
  size_t j = 0;
  // Emits the next injected row (or skips it); true when the page is full.
  auto next_injected = [&]() {
    const ServerEvent& e = *inj[j++];
    if (skip > 0) {
      --skip;
      return false;
    }
    injected_row(e);
    return --remaining == 0;
  };
  for (uint64_t idx = hi; idx > lo; --idx) {
    const ServerEvent e = Generated(idx - 1);
    while (j < inj.size() && inj[j]->id > e.id) {
      if (next_injected()) return out;
    }
    if (!Matches(e, f)) continue;
    if (skip > 0) {
      --skip;
      continue;
    }
    out.push_back({false, idx - 1});
    if (--remaining == 0) return out;
  }
  while (j < inj.size()) {
    if (next_injected()) return out;
  }
  return out;
}

uint64_t EventLog::Count(const EventFilter& f) const {
  uint64_t n = 0;
  std::shared_lock lock(mu_);
  for (const ServerEvent& e : appended_) n += Matches(e, f) ? 1 : 0;
  for (const ServerEvent& e : injected_) n += Matches(e, f) ? 1 : 0;
  const auto [lo, hi] = BoundRange(f);
  if (f.OnlyBounds()) return n + (hi - lo);
  for (uint64_t idx = lo; idx < hi; ++idx) n += Matches(Generated(idx), f) ? 1 : 0;
  return n;
}

std::vector<int64_t> EventLog::Inject(std::vector<ServerEvent> events) {
  std::unique_lock lock(mu_);
  for (ServerEvent& e : events) {
    e.time = ApplyPrecision(e.time, config_.precision);
    e.server_id = server_id_;
  }
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return events[a].time < events[b].time; });
  std::vector<int64_t> out(events.size());
  for (size_t k : order) {
    ServerEvent& e = events[k];
    const size_t p = static_cast<size_t>(std::upper_bound(times_.begin(), times_.end(), e.time) - times_.begin());
    // Before every generated event: just below the pruned head, as if it had survived the pruner.
    int64_t prev = p > 0 ? ids_[p - 1] : (ids_.empty() ? 0 : std::max<int64_t>(ids_[0] - 2, 0));
    if (!injected_.empty()) prev = std::max(prev, injected_.back().id);
    if (p < ids_.size() && ids_[p] <= prev + 1) {
      for (size_t i = p; i < ids_.size(); ++i) ++ids_[i];
    }
    e.id = prev + 1;
    out[k] = e.id;
    injected_.push_back(std::move(e));
  }
  return out;
}

int64_t EventLog::Append(ServerEvent e) {
  std::unique_lock lock(mu_);
  int64_t last = last_generated_id();
  if (!injected_.empty()) last = std::max(last, injected_.back().id);
  if (!appended_.empty()) last = appended_.back().id;
  e.id = last + 1;
  e.server_id = server_id_;
  e.time = ApplyPrecision(e.time, config_.precision);
  appended_.push_back(std::move(e));
  return appended_.back().id;
}

int64_t EventLog::AppendActivity(TimeMs now) {
  uint64_t serial = 0;
  {
    std::unique_lock lock(mu_);
    serial = activity_serial_++;
  }
  return Append(Draw(serial, true, now, 0));
}

// ---- event serialization ----

void AppendEventXml(const ServerEvent& e, const EventWriteContext& ctx, int depth, std::string* out) {
  const int d = depth + 1;
  Open(out, depth, "event");
  Line(out, d, "dateTime", std::to_string(ctx.date_time));
  Line(out, d, "nanoTime", std::to_string(ctx.nano_time));
  Line(out, d, "id", std::to_string(e.id));
  Open(out, d, "eventTime");
  Line(out, d + 1, "time", std::to_string(e.time));
  Line(out, d + 1, "timezone", ctx.timezone);
  Close(out, d, "eventTime");
  Line(out, d, "level", e.level);
  Line(out, d, "name", e.name);
  if (e.attributes.empty()) {
    out->append(static_cast<size_t>(d) * 2, ' ');
    out->append("<attributes class=\"linked-hash-map\"/>\n");
  } else {
    out->append(static_cast<size_t>(d) * 2, ' ');
    out->append("<attributes class=\"linked-hash-map\">\n");
    for (const auto& [k, v] : e.attributes) {
      Open(out, d + 1, "entry");
      Line(out, d + 2, "string", k);
      Line(out, d + 2, "string", v);
      Close(out, d + 1, "entry");
    }
    Close(out, d, "attributes");
  }
  Line(out, d, "outcome", e.outcome);
  Line(out, d, "userId", std::to_string(e.user_id));
  Fields42 f;
  if (ctx.fields_42) f = Derive42(e);
  if (f.patient_id) Line(out, d, "patientId", *f.patient_id);
  Line(out, d, "ipAddress", e.ip);
  Line(out, d, "serverId", e.server_id);
  if (f.channel_id) Line(out, d, "channelId", *f.channel_id);
  if (f.channel_name) Line(out, d, "channelName", *f.channel_name);
  if (f.message_id) Line(out, d, "messageId", *f.message_id);
  Close(out, depth, "event", false);
}

void AppendEventJson(const ServerEvent& e, const EventWriteContext& ctx, std::string* out) {
  out->append("{\"dateTime\":");
  out->append(std::to_string(ctx.date_time));
  out->append(",\"nanoTime\":");
  out->append(std::to_string(ctx.nano_time));
  out->append(",\"id\":");
  out->append(std::to_string(e.id));
  out->append(",\"eventTime\":{\"time\":");
  out->append(std::to_string(e.time));
  out->append(",\"timezone\":");
  AppendJsonScalar(out, ctx.timezone);
  out->append("},\"level\":");
  AppendJsonScalar(out, e.level);
  out->append(",\"name\":");
  AppendJsonScalar(out, e.name);
  out->append(",\"attributes\":{\"@class\":\"linked-hash-map\"");
  if (!e.attributes.empty()) {
    out->append(",\"entry\":");
    if (e.attributes.size() > 1) out->push_back('[');
    bool first = true;
    for (const auto& [k, v] : e.attributes) {
      if (!first) out->push_back(',');
      first = false;
      out->append("{\"string\":[");
      AppendJsonScalar(out, k);
      out->push_back(',');
      AppendJsonScalar(out, v);
      out->append("]}");
    }
    if (e.attributes.size() > 1) out->push_back(']');
  }
  out->append("},\"outcome\":");
  AppendJsonScalar(out, e.outcome);
  out->append(",\"userId\":");
  out->append(std::to_string(e.user_id));
  Fields42 f;
  if (ctx.fields_42) f = Derive42(e);
  auto field = [&](const char* key, const std::optional<std::string>& v) {
    if (!v) return;
    out->push_back(',');
    JsonKey(out, key);
    AppendJsonScalar(out, *v);
  };
  field("patientId", f.patient_id);
  out->append(",\"ipAddress\":");
  AppendJsonScalar(out, e.ip);
  out->append(",\"serverId\":");
  AppendJsonScalar(out, e.server_id);
  field("channelId", f.channel_id);
  field("channelName", f.channel_name);
  field("messageId", f.message_id);
  out->push_back('}');
}

XmlNode EventNode(const ServerEvent& e, const EventWriteContext& ctx) {
  XmlNode n("event");
  n.Text("dateTime", std::to_string(ctx.date_time));
  n.Text("nanoTime", std::to_string(ctx.nano_time));
  n.Text("id", std::to_string(e.id));
  n.children.push_back(Calendar("eventTime", e.time, ctx.timezone));
  n.Text("level", e.level);
  n.Text("name", e.name);
  XmlNode& attrs = n.Child("attributes");
  attrs.Attr("class", "linked-hash-map");
  for (const auto& [k, v] : e.attributes) {
    XmlNode& entry = attrs.Child("entry");
    entry.Text("string", k);
    entry.Text("string", v);
  }
  n.Text("outcome", e.outcome);
  n.Text("userId", std::to_string(e.user_id));
  Fields42 f;
  if (ctx.fields_42) f = Derive42(e);
  if (f.patient_id) n.Text("patientId", *f.patient_id);
  n.Text("ipAddress", e.ip);
  n.Text("serverId", e.server_id);
  if (f.channel_id) n.Text("channelId", *f.channel_id);
  if (f.channel_name) n.Text("channelName", *f.channel_name);
  if (f.message_id) n.Text("messageId", *f.message_id);
  return n;
}

// ---- messages ----

MessageStore::MessageStore(const DataConfig& config, const std::string& server_id)
    : config_(config), server_id_(server_id), channels_(MakeChannels(config.seed, config.channels)),
      per_channel_(config.messages_per_channel) {}

const Channel* MessageStore::Find(std::string_view id) const {
  for (const Channel& c : channels_) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

TimeMs MessageStore::Received(size_t channel, int64_t message_id) const {
  Rng r(config_.seed, kStreamMessage + channel, static_cast<uint64_t>(message_id));
  const double span = static_cast<double>(config_.days) * 86400000.0;
  const double slot = span / static_cast<double>(std::max<uint64_t>(per_channel_, 1));
  const double t = (static_cast<double>(message_id - 1) + r.Unit() * 0.9) * slot;
  return ApplyPrecision(config_.start + static_cast<TimeMs>(t) + config_.clock_offset_ms, config_.precision);
}

std::vector<std::string> MessageStore::Statuses(size_t channel, int64_t message_id) const {
  Rng r(config_.seed, kStreamMessage + channel, static_cast<uint64_t>(message_id) | (1ULL << 40));
  const uint64_t x = r.Below(100);
  if (x < 5) return {"FILTERED"};
  if (x < 7) return {"ERROR"};
  const uint64_t y = r.Below(100);
  return {"TRANSFORMED", y < 90 ? "SENT" : y < 95 ? "ERROR" : "QUEUED"};
}

XmlNode MessageStore::MessageNode(size_t channel, int64_t message_id, bool include_content) const {
  const Channel& ch = channels_[channel];
  const std::string& zone = config_.timezone;
  const TimeMs received = Received(channel, message_id);
  const std::vector<std::string> statuses = Statuses(channel, message_id);
  Rng r(config_.seed, kStreamMessage + channel, static_cast<uint64_t>(message_id) | (2ULL << 40));
  const std::string mrn = "MRN" + std::to_string(100000 + r.Below(900000));
  const std::string family = kFamily[r.Below(kFamily.size())];
  const std::string given = kGiven[r.Below(kGiven.size())];
  char stamp[32];
  {
    const time_t secs = static_cast<time_t>(received / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  }
  // A synthetic HL7 v2 ADT message (segments end in \r, as on the wire).
  const std::string hl7 = std::string("MSH|^~\\&|SIMADT|GOOD HEALTH HOSPITAL|CUSTODYSIM|SIM|") + stamp +
                          "||ADT^A01|MSG" + std::to_string(message_id) + "|P|2.5.1\rEVN|A01|" + stamp + "\rPID|1||" +
                          mrn + "^^^SIM^MR||" + family + "^" + given + "||19800101|U\rPV1|1|I|4W^401^1\r";

  XmlNode m("message");
  m.Text("serverId", server_id_);
  m.Text("channelId", ch.id);
  m.Text("messageId", std::to_string(message_id));
  m.children.push_back(Calendar("receivedDate", received, zone));
  m.Text("processed", "true");
  XmlNode& cms = m.Child("connectorMessages");
  cms.Attr("class", "linked-hash-map");
  for (size_t meta = 0; meta < statuses.size(); ++meta) {
    XmlNode& entry = cms.Child("entry");
    entry.Text("int", std::to_string(meta));
    XmlNode& cm = entry.Child("connectorMessage");
    const bool source = meta == 0;
    const TimeMs connector_received = received + (source ? 0 : 3 + static_cast<TimeMs>(r.Below(20)));
    cm.Text("messageId", std::to_string(message_id));
    cm.Text("metaDataId", std::to_string(meta));
    cm.Text("channelId", ch.id);
    cm.Text("channelName", ch.name);
    cm.Text("connectorName", source ? "Source" : "Destination 1");
    cm.Text("serverId", server_id_);
    cm.children.push_back(Calendar("receivedDate", ApplyPrecision(connector_received, config_.precision), zone));
    cm.Text("status", statuses[meta]);
    if (include_content) {
      auto content = [&](const char* tag, const char* type, const std::string& body, const char* data_type) {
        XmlNode& c = cm.Child(tag);
        c.Text("encrypted", "false");
        c.Text("channelId", ch.id);
        c.Text("messageId", std::to_string(message_id));
        c.Text("metaDataId", std::to_string(meta));
        c.Text("contentType", type);
        c.Text("content", body);
        c.Text("dataType", data_type);
      };
      if (source) {
        content("raw", "RAW", hl7, "HL7V2");
        if (statuses[meta] != "ERROR") content("encoded", "ENCODED", hl7, "HL7V2");
      } else {
        content("encoded", "ENCODED", hl7, "HL7V2");
        if (statuses[meta] == "SENT") content("sent", "SENT", hl7, "HL7V2");
      }
    }
    for (const char* map : {"sourceMapContent", "connectorMapContent", "channelMapContent", "responseMapContent"}) {
      XmlNode& mc = cm.Child(map);
      mc.Text("encrypted", "false");
      XmlNode& inner = mc.Child("content");
      inner.Attr("class", "map");
      inner.space_before_close = true;
    }
    cm.Child("metaDataMap").space_before_close = true;
    for (const char* err : {"processingErrorContent", "postProcessorErrorContent", "responseErrorContent"}) {
      cm.Child(err).Text("encrypted", "false");
    }
    const bool error = statuses[meta] == "ERROR";
    cm.Text("errorCode", error ? "1" : "0");
    cm.Text("sendAttempts", source ? "0" : "1");
    if (!source) {
      cm.children.push_back(Calendar("sendDate", ApplyPrecision(connector_received + 2, config_.precision), zone));
      cm.children.push_back(Calendar("responseDate", ApplyPrecision(connector_received + 9, config_.precision), zone));
    }
    cm.Text("chainId", "0");
    cm.Text("orderId", std::to_string(meta));
  }
  return m;
}

}  // namespace custody::sim::mirth
