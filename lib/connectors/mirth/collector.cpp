#include "connectors/mirth/collector.h"
#include "connectors/common/text.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>

#include "capture/capture.h"
#include "crypto/digest.h"
#include "json/json.h"
#include "normalize/ehr_map.h"
#include "normalize/ehr_time.h"
#include "normalize/json_elements.h"

namespace custody::connectors::mirth {

namespace {

constexpr std::uint64_t kStreamIndexEvents = 0;
constexpr std::uint64_t kStreamIndexMessages = 1;

// A folder name from a server value (a channel id): keeps [A-Za-z0-9._-], maps the rest to '_'.
std::string Safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

std::string Trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

bool ContentTypeIsJson(const http::Headers& headers) {
  auto ct = http::FindHeader(headers, "Content-Type");
  return ct && ct->find("json") != std::string::npos;
}

// A Mirth number answer: "42" (text/plain), 42, {"long":42}, {"int":"42"}; empty/null = none.
struct Scalar {
  bool ok = false;
  bool none = false;
  std::int64_t value = 0;
};
Scalar ParseScalar(std::string_view body) {
  Scalar s;
  std::string t = Trim(body);
  if (t.empty() || t == "null") {
    s.ok = s.none = true;
    return s;
  }
  auto digits = [](const std::string& x, std::int64_t* v) {
    if (x.empty() || x.size() > 18) return false;
    size_t i = x[0] == '-' ? 1 : 0;
    if (i == x.size()) return false;
    std::int64_t n = 0;
    for (; i < x.size(); ++i) {
      if (x[i] < '0' || x[i] > '9') return false;
      n = n * 10 + (x[i] - '0');
    }
    *v = x[0] == '-' ? -n : n;
    return true;
  };
  if (digits(t, &s.value)) {
    s.ok = true;
    return s;
  }
  rapidjson::Document d;
  d.Parse(t.data(), t.size());
  if (d.HasParseError()) return s;
  const rapidjson::Value* v = &d;
  for (int depth = 0; depth < 3 && v->IsObject(); ++depth) {
    if (v->MemberCount() != 1) return s;
    v = &v->MemberBegin()->value;
  }
  if (v->IsNull() || (v->IsString() && v->GetStringLength() == 0)) {
    s.ok = s.none = true;
  } else if (v->IsInt64()) {
    s.ok = true;
    s.value = v->GetInt64();
  } else if (v->IsString()) {
    s.ok = digits(v->GetString(), &s.value);
  }
  return s;
}

std::optional<std::int64_t> IdMember(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return std::nullopt;
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) return std::nullopt;
  if (it->value.IsInt64()) return it->value.GetInt64();
  if (it->value.IsString()) {
    Scalar s = ParseScalar(it->value.GetString());
    if (s.ok && !s.none) return s.value;
  }
  return std::nullopt;
}

struct Channel {
  std::string id;
  std::string name;
};

// channels/idsAndNames: {"map":{"entry":[{"string":["id","name"]},...]}}, one entry collapsed
// to an object, an empty map null or "". False when it is not that shape.
bool ParseChannelMap(std::string_view body, std::vector<Channel>* out) {
  if (IsBlank(body)) return true;
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return false;
  auto map = d.FindMember("map");
  if (map == d.MemberEnd()) return false;
  if (map->value.IsNull() || (map->value.IsString() && map->value.GetStringLength() == 0)) return true;
  if (!map->value.IsObject()) return false;
  auto entry = map->value.FindMember("entry");
  if (entry == map->value.MemberEnd() || entry->value.IsNull()) return true;
  auto one = [&](const rapidjson::Value& e) {
    if (!e.IsObject()) return false;
    auto pair = e.FindMember("string");
    if (pair == e.MemberEnd() || !pair->value.IsArray() || pair->value.Size() != 2) return false;
    out->push_back({json::ScalarText(pair->value[0]), json::ScalarText(pair->value[1])});
    return !out->back().id.empty();
  };
  if (entry->value.IsArray()) {
    for (const auto& e : entry->value.GetArray()) {
      if (!one(e)) return false;
    }
    return true;
  }
  return one(entry->value);
}

class MirthRun {
 public:
  MirthRun(const MirthCollectOptions& o, const Clock& clock, auth::Redactor& redactor, RecordSink& sink)
      : o_(o), clock_(clock), redactor_(redactor), sink_(sink) {}

  Result<SourceReport> Run();

 private:
  struct Answer {
    SessionResult r;
    std::string url;
    std::string body;
    bool json_ok = false;  // 2xx with a body that parses as JSON (or is empty)
    // A page of records: the one parse of its body (DOM and each element's bytes) that found it
    // well-formed, with the elements of records_pointer. Null when not parsed that way.
    std::shared_ptr<normalize::ParsedElements> parsed;
    std::string parsed_pointer;
  };

  // records_pointer: for a page of records, where they are ("/list/event"): the check that the
  // body is JSON then also parses it for ScanPage, so a page is parsed once.
  Answer Get(const std::string& path_and_query, const std::string& dir, const std::string& name,
             const std::string& object, const std::string& role, std::uint64_t page, const char* accept,
             const std::string& stream, const char* records_pointer = nullptr);
  // Why an answer cannot be used, for a gap: the failure, or status and content type.
  std::string Problem(const Answer& a, const char* expected) const;
  bool Stopped() const { return state_.stop() != SourceStop::kNone; }
  void Progress(const std::string& stream, const std::string& what) const {
    if (o_.progress) o_.progress(stream, what);
  }
  std::string Dates() const;

  void Discover();
  void ServerEvents();
  void Messages();
  void ChannelMessages(const Channel& channel, SourceStream& stream);
  // Emits the elements at `pointer` of a page as records, in order, skipping ids already seen.
  // Returns the ids of the elements in page order (nullopt for an element without one).
  struct PageScan {
    Status status;
    std::vector<std::optional<std::int64_t>> ids;
  };
  PageScan ScanPage(const Answer& a, const char* pointer, const char* id_member, std::uint64_t emit_limit,
                    std::uint64_t stream_index, const std::string& stream, std::unordered_set<std::int64_t>* seen,
                    std::uint64_t* emitted, std::uint64_t* duplicates);
  std::string DetailsJson() const;

  const MirthCollectOptions& o_;
  const Clock& clock_;
  auth::Redactor& redactor_;
  RecordSink& sink_;
  SourceState state_;
  std::unique_ptr<MirthAuthenticator> auth_;
  std::unique_ptr<Session> session_;
  SourceReport report_;
  std::int64_t since_ms_ = 0;
  std::int64_t until_ms_ = 0;
  bool any_answer_ = false;       // some call got a 2xx: this is a Mirth API
  std::optional<Error> fatal_;    // not a Mirth API at all: nothing to seal
  std::string mirth_version_;
  std::string server_timezone_;
  std::optional<std::int64_t> max_event_id_;
  std::vector<std::pair<Channel, std::optional<std::int64_t>>> channel_max_;
  std::set<std::string> own_ips_;
  std::uint64_t own_events_ = 0;
  std::uint64_t same_user_before_ = 0;
  std::string collector_user_id_;     // from users/current; "" when unknown
  std::int64_t start_ms_ = 0;         // local clock when the collection began
  std::int64_t activity_floor_ms_ = 0;  // server-clock time before which nothing is the collector's
  std::uint64_t untimed_ = 0;
  std::uint64_t capture_index_[2] = {0, 0};
};

std::string MirthRun::Dates() const {
  // Mirth's endDate is inclusive to the millisecond (DATE_CREATED <= endDate): until - 1 ms keeps
  // the window half-open like every other source's.
  return "startDate=" + http::UrlEncode(normalize::FormatMirthDateParam(since_ms_)) +
         "&endDate=" + http::UrlEncode(normalize::FormatMirthDateParam(until_ms_ - 1));
}

MirthRun::Answer MirthRun::Get(const std::string& path_and_query, const std::string& dir, const std::string& name,
                               const std::string& object, const std::string& role, std::uint64_t page,
                               const char* accept, const std::string& stream, const char* records_pointer) {
  Answer a;
  a.url = o_.base_url + path_and_query;
  if (Stopped()) {
    a.r.error = "not asked: the collection had stopped (" + SourceStopName(state_.stop()) + ")";
    return a;
  }
  SessionCall call;
  call.request.method = "GET";
  call.request.url = a.url;
  call.request.headers = {{kRequestedWithHeader, kRequestedWithValue}, {"Accept", accept}};
  call.request.timeout = std::chrono::minutes(10);
  call.purpose = capture::Purpose{o_.source, stream, object, role, "", page, 1};
  call.dir = dir;
  call.name = name;
  const bool basic = o_.auth == MirthAuthMode::kBasic;
  const bool want_json = std::string_view(accept).find("json") != std::string_view::npos;
  // The capture whose body the verdict below found well-formed: not checked a second time, and
  // for a page of records not parsed a second time either.
  struct Checked {
    std::string path;
    std::string body;
    std::shared_ptr<normalize::ParsedElements> parsed;
  };
  auto checked = std::make_shared<Checked>();
  call.classify = [basic, want_json, checked, records_pointer](const capture::CaptureFile& cap, std::string* problem) {
    checked->path.clear();
    checked->parsed.reset();
    const int s = cap.head().status;
    if (s == 401) {
      // An expired session is renewed by logging in again; refused Basic credentials cannot be.
      *problem = basic ? "HTTP 401: the credentials were refused" : "HTTP 401: the session expired or was refused";
      return basic ? Verdict::kAccept : Verdict::kAuthFailed;
    }
    if (s == 429 || s >= 500) {
      *problem = "HTTP " + std::to_string(s);
      return Verdict::kRetry;
    }
    if (want_json && s >= 200 && s < 300 && ContentTypeIsJson(cap.head().headers)) {
      // A JSON page cut short (a dropped connection the framing did not catch) is transient.
      std::string body = ReadWhole(cap.path().string());
      if (!IsBlank(body)) {
        std::size_t at = 0;
        bool ok;
        if (records_pointer != nullptr) {
          auto parsed = std::make_shared<normalize::ParsedElements>();
          ok = normalize::ParseJsonArrayElements(body, records_pointer, true, false, *parsed).ok();
          at = parsed->error_offset.value_or(0);
          if (ok) checked->parsed = std::move(parsed);
        } else {
          ok = json::WellFormed(body, &at);
        }
        if (!ok) {
          *problem = "the JSON body does not parse (at byte " + std::to_string(at) + ")";
          return Verdict::kRetry;
        }
      }
      checked->path = cap.path().string();
      checked->body = std::move(body);
    }
    return Verdict::kAccept;
  };
  a.r = session_->Execute(std::move(call));
  if (!a.r.ok) {
    if (!any_answer_ && !fatal_ && a.r.stop == SourceStop::kNone) {
      // Nothing has ever answered: a host that does not exist or does not listen.
      fatal_ = Error(ErrorCode::kNetwork, a.r.error + " (is --base-url right? e.g. https://host:8443/api)");
    }
    return a;
  }
  const bool checked_here = !checked->path.empty() && checked->path == a.r.body_path;
  a.body = checked_here ? std::move(checked->body) : ReadWhole(a.r.body_path);
  if (a.r.status >= 200 && a.r.status < 300) {
    any_answer_ = true;
    if (IsBlank(a.body)) {
      a.json_ok = true;
    } else {
      a.json_ok = checked_here || json::WellFormed(a.body);
      if (checked_here && checked->parsed) {
        a.parsed = std::move(checked->parsed);
        a.parsed_pointer = records_pointer;
      }
    }
  } else if (a.r.status == 401 && basic) {
    state_.Stop(SourceStop::kAuth, redactor_.Apply("GET " + a.url + ": Mirth refused the HTTP Basic credentials of user '" +
                                                   o_.username + "' (HTTP 401" +
                                                   (Gist(a.body).empty() ? "" : ": " + Gist(a.body)) + ")"));
  } else if (!any_answer_ && !fatal_ && a.r.status != 401 && a.r.status != 403) {
    // The very first answer is not a Mirth one (a 404 page from another server): the base URL is
    // wrong, and every other request would fail the same way.
    fatal_ = Error(ErrorCode::kInvalidArgument,
                   redactor_.Apply("GET " + a.url + " answered HTTP " + std::to_string(a.r.status) + " (" +
                                   ContentTypeOf(a.r.headers) + (Gist(a.body).empty() ? "" : ": " + Gist(a.body, 160)) +
                                   "): is --base-url the Mirth REST API, e.g. https://host:8443/api?"));
  }
  return a;
}

std::string MirthRun::Problem(const Answer& a, const char* expected) const {
  if (!a.r.ok) return a.r.error;
  std::string where = " (kept at " + a.r.bag_path + ")";
  if (a.r.status < 200 || a.r.status >= 300) {
    std::string gist = Gist(a.body);
    return redactor_.Apply("GET " + a.url + " answered HTTP " + std::to_string(a.r.status) + " (" +
                           ContentTypeOf(a.r.headers) + ")" + (gist.empty() ? "" : ": " + gist) + where);
  }
  return redactor_.Apply("GET " + a.url + " answered HTTP " + std::to_string(a.r.status) + " with " +
                         ContentTypeOf(a.r.headers) + " where " + expected + " was expected" + where);
}

void MirthRun::Discover() {
  // Not every Mirth build or proxy answers it; the version only explains the shapes seen. Mirth
  // answers it without checking credentials (getVersion is @DontCheckAuthorized), so its answer
  // proves nothing about the login and must not count as the API having accepted us.
  const bool answered_before = any_answer_;
  Answer a = Get("/server/version", "raw/" + o_.source + "/discovery", "server-version.txt", "ServerVersion",
                 "version", 0, "text/plain, application/json;q=0.9", "discovery");
  any_answer_ = answered_before;
  if (a.r.ok && a.r.status >= 200 && a.r.status < 300) {
    std::string v = Trim(a.body);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    bool plausible = !v.empty() && v.size() < 64 &&
                     std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                                                                         (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
    if (plausible) mirth_version_ = v;
  }
  // The collector's own user id: most of Mirth's events name only userId, not the user name.
  Answer me = Get("/users/current", "raw/" + o_.source + "/discovery", "current-user.json", "User", "current-user", 0,
                  "application/json", "discovery");
  if (me.r.ok && me.r.status >= 200 && me.r.status < 300 && me.json_ok && !IsBlank(me.body)) {
    rapidjson::Document d;
    d.Parse(me.body.data(), me.body.size());
    const rapidjson::Value* u = &d;
    if (d.IsObject() && d.HasMember("user")) u = &d["user"];
    if (u->IsObject()) {
      auto name = u->FindMember("username");
      const bool same = name != u->MemberEnd() && json::ScalarText(name->value) == o_.username;
      if (auto id = IdMember(*u, "id"); id && same) collector_user_id_ = std::to_string(*id);
    }
  }
  // Events on the server's clock from before this collection began are not the collector's.
  // The server-minus-local skew from the Date headers so far, less two minutes for the
  // headers' one-second resolution and the time a login takes.
  const ClockEvidence clock = state_.clock();
  activity_floor_ms_ = start_ms_ + (clock.samples > 0 ? clock.min_skew_ms : 0) - 120000;
}

MirthRun::PageScan MirthRun::ScanPage(const Answer& a, const char* pointer, const char* id_member,
                                      std::uint64_t emit_limit, std::uint64_t stream_index, const std::string& stream,
                                      std::unordered_set<std::int64_t>* seen, std::uint64_t* emitted,
                                      std::uint64_t* duplicates) {
  PageScan scan;
  const std::string& body = a.body;
  if (IsBlank(body)) return scan;  // Staxon writes an empty list as nothing at all
  normalize::EhrContext ctx{"mirth:" + o_.source, stream, "", o_.username, collector_user_id_};
  const std::uint64_t capture = capture_index_[stream_index]++;
  // One parse of the page: its DOM (numbers kept as their text, as the mapper wants) and the
  // exact bytes of each element.
  static_assert(normalize::kMirthParseFlags == rapidjson::kParseNumbersAsStringsFlag);
  normalize::ParsedElements parsed_here;
  const normalize::ParsedElements* found = a.parsed && a.parsed_pointer == pointer ? a.parsed.get() : nullptr;
  if (found == nullptr) {
    scan.status = normalize::ParseJsonArrayElements(body, pointer, true, false, parsed_here);
    if (!scan.status) return scan;
    found = &parsed_here;
  }
  const normalize::ParsedElements& page = *found;
  auto each = [&](const normalize::JsonElement& e) -> Status {
    std::string_view text = std::string_view(body).substr(e.byte_offset, e.byte_length);
    const rapidjson::Value& d =
        page.value->IsArray() ? (*page.value)[static_cast<rapidjson::SizeType>(e.index)] : *page.value;
    std::optional<std::int64_t> id = IdMember(d, id_member);
    scan.ids.push_back(id);
    if (e.index >= emit_limit) return Status::Ok();  // the look-ahead row: the next page's first
    if (id && !seen->insert(*id).second) {
      ++*duplicates;
      return Status::Ok();
    }
    if (stream_index == kStreamIndexEvents && server_timezone_.empty() && d.IsObject()) {
      auto et = d.FindMember("eventTime");
      if (et != d.MemberEnd() && et->value.IsObject()) {
        auto tz = et->value.FindMember("timezone");
        if (tz != et->value.MemberEnd() && tz->value.IsString()) server_timezone_ = tz->value.GetString();
      }
    }
    normalize::Record rec = stream_index == kStreamIndexEvents ? normalize::MapMirthServerEventValue(ctx, d)
                                                               : normalize::MapMirthMessageValue(ctx, d);
    rec.raw_file = a.r.bag_path;
    rec.record_index = e.index;
    rec.byte_offset = e.byte_offset;
    rec.byte_length = e.byte_length;
    rec.raw_sha256 = crypto::Sha256Hex(text);
    if (rec.collector_activity && rec.timestamp_ms && *rec.timestamp_ms < activity_floor_ms_) {
      // The collector's user, but before this collection began: someone else using the same
      // account (an attacker with the admin password), not the collector.
      rec.collector_activity = false;
      ++same_user_before_;
    }
    if (rec.collector_activity) {
      ++own_events_;
      if (rec.client_ip) own_ips_.insert(*rec.client_ip);
    }
    if (!rec.timestamp_ms) ++untimed_;
    ++*emitted;
    return sink_.Emit(rec, stream_index, capture);
  };
  for (const normalize::JsonElement& e : page.elements) {
    scan.status = each(e);
    if (!scan.status) break;
  }
  return scan;
}

void MirthRun::ServerEvents() {
  SourceStream stream;
  stream.name = kStreamServerEvents;
  SourceItem item;
  item.object = "ServerEvent";
  item.method = "mirth-events";
  item.status = "complete";
  const std::string dir = "raw/" + o_.source + "/" + kStreamServerEvents;
  auto finish = [&]() {
    if (!item.gaps.empty()) item.status = "incomplete";
    stream.status = item.status == "incomplete" ? "incomplete" : "complete";
    stream.items.push_back(item);
    report_.streams.push_back(stream);
  };

  // The highest id now, frozen for the whole sweep: events appended while it pages are beyond it.
  Progress(stream.name, "reading maxEventId");
  Answer max = Get("/events/maxEventId", dir, "max-event-id.json", "ServerEvent", "max-id", 0, "application/json",
                   stream.name);
  item.request = "/events/maxEventId";
  if (!max.r.ok || max.r.status < 200 || max.r.status >= 300) {
    item.gaps.push_back("no maxEventId to freeze the sweep at: " + Problem(max, "a number"));
    return finish();
  }
  Scalar m = ParseScalar(max.body);
  if (!m.ok) {
    item.gaps.push_back("maxEventId is not a number: " + Problem(max, "a number"));
    return finish();
  }
  if (m.none) {
    item.expected = 0;
    item.expected_from = "events/maxEventId (none: the event log is empty)";
    item.notes.push_back("the server has no events at all (maxEventId answered " +
                         (Trim(max.body).empty() ? std::string("nothing") : Trim(max.body)) + ")");
    return finish();
  }
  max_event_id_ = m.value;
  const std::string frozen = std::to_string(m.value);
  const std::string dates = Dates();

  Answer count = Get("/events/count?" + dates + "&maxEventId=" + frozen, dir, "count.json", "ServerEvent", "count",
                     0, "application/json", stream.name);
  if (count.r.ok && count.r.status >= 200 && count.r.status < 300) {
    Scalar c = ParseScalar(count.body);
    if (c.ok && !c.none && c.value >= 0) {
      item.expected = static_cast<std::uint64_t>(c.value);
      item.expected_from = "events/count at maxEventId " + frozen;
    } else {
      item.notes.push_back("events/count is not a number: " + Problem(count, "a number"));
    }
  } else if (!Stopped()) {
    item.notes.push_back("events/count unavailable, nothing to check the pages against: " + Problem(count, "a number"));
  }

  const std::uint64_t n = static_cast<std::uint64_t>(std::max(1, o_.page_size));
  std::int64_t cursor = m.value;
  std::unordered_set<std::int64_t> seen;
  std::uint64_t duplicates = 0;
  for (std::uint64_t page = 1;; ++page) {
    if (Stopped()) {
      item.gaps.push_back("stopped (" + SourceStopName(state_.stop()) + ") before the events at or below id " +
                          std::to_string(cursor));
      break;
    }
    // Newest first (ORDER BY id DESC); limit n+1: the extra row only says there is another page.
    const std::string query = "/events?" + dates + "&maxEventId=" + std::to_string(cursor) + "&limit=" +
                              std::to_string(n + 1);
    if (page == 1) item.request = query;
    Answer a = Get(query, dir, "page-" + Pad6(page) + ".json", "ServerEvent", "page", page, "application/json",
                   stream.name, "/list/event");
    if (!a.r.ok || a.r.status < 200 || a.r.status >= 300 || !a.json_ok) {
      item.gaps.push_back("events at or below id " + std::to_string(cursor) + " not collected: " + Problem(a, "JSON"));
      break;
    }
    ++item.pages;
    PageScan scan = ScanPage(a, "/list/event", "id", n, kStreamIndexEvents, stream.name, &seen, &item.received,
                             &duplicates);
    if (!scan.status) {
      if (scan.status.error().code() == ErrorCode::kParse) {
        item.gaps.push_back("page " + std::to_string(page) + " is not a Mirth event list (" +
                            scan.status.error().message() + "): " + Problem(a, "a JSON event list"));
      } else {
        state_.Stop(SourceStop::kFailed, "normalize " + a.r.bag_path + ": " + scan.status.error().message());
        item.gaps.push_back("normalizing stopped: " + scan.status.error().message());
      }
      break;
    }
    Progress(stream.name, std::to_string(item.received) + (item.expected ? " of " + std::to_string(*item.expected) : "") +
                              " events, page " + std::to_string(page));
    // Keyset paging needs every id and a strict descent; anything else could skip events.
    std::optional<std::int64_t> prev;
    std::string broken;
    for (size_t i = 0; i < scan.ids.size(); ++i) {
      if (!scan.ids[i]) { broken = "an event without an id (element " + std::to_string(i) + ")"; break; }
      if (*scan.ids[i] > cursor) { broken = "event id " + std::to_string(*scan.ids[i]) + " above maxEventId " + std::to_string(cursor); break; }
      if (prev && *scan.ids[i] >= *prev) { broken = "ids not in descending order (" + std::to_string(*prev) + " then " + std::to_string(*scan.ids[i]) + ")"; break; }
      prev = scan.ids[i];
    }
    if (!broken.empty()) {
      item.gaps.push_back("page " + std::to_string(page) + " (" + a.r.bag_path + ") cannot be paged past: " + broken);
      break;
    }
    if (scan.ids.size() <= n) break;  // a short page: the last
    cursor = *scan.ids[n - 1] - 1;
  }
  if (duplicates > 0) item.notes.push_back(std::to_string(duplicates) + " events seen twice were kept once");
  if (item.expected && item.gaps.empty()) {
    if (item.received < *item.expected) {
      item.gaps.push_back("received " + std::to_string(item.received) + " of the " + std::to_string(*item.expected) +
                          " events that events/count reported at maxEventId " + frozen +
                          " (pruned during the sweep?)");
    } else if (item.received > *item.expected) {
      item.notes.push_back("received " + std::to_string(item.received) + " events, more than the " +
                           std::to_string(*item.expected) + " events/count reported at maxEventId " + frozen);
    }
  }
  stream.records = item.received;
  finish();
}

void MirthRun::ChannelMessages(const Channel& channel, SourceStream& stream) {
  SourceItem item;
  item.object = "messages:" + channel.id;
  item.method = "mirth-messages";
  item.status = "complete";
  const std::string dir = "raw/" + o_.source + "/" + kStreamMessages + "/" + Safe(channel.id);
  const std::string base = "/channels/" + http::UrlEncode(channel.id) + "/messages";
  auto finish = [&]() {
    if (!item.gaps.empty()) item.status = "incomplete";
    stream.records += item.received;
    stream.items.push_back(item);
  };

  Answer max = Get(base + "/maxMessageId", dir, "max-message-id.json", "Message", "max-id", 0, "application/json",
                   stream.name);
  item.request = base + "/maxMessageId";
  std::optional<std::int64_t> frozen;
  if (max.r.ok && max.r.status == 404) {
    item.status = "unavailable";
    item.server_answer = Gist(redactor_.Apply(max.body));
    item.notes.push_back("no such channel on the server: " + Problem(max, "a number"));
    channel_max_.push_back({channel, std::nullopt});
    stream.items.push_back(item);
    return;
  }
  if (!max.r.ok) {
    item.gaps.push_back("no maxMessageId: " + Problem(max, "a number"));
    return finish();
  }
  if (max.r.status >= 200 && max.r.status < 300) {
    Scalar m = ParseScalar(max.body);
    if (m.ok && m.none) {
      item.expected = 0;
      item.expected_from = "messages/maxMessageId (none: the channel has no messages)";
      channel_max_.push_back({channel, std::nullopt});
      return finish();
    }
    if (m.ok) frozen = m.value;
  }
  channel_max_.push_back({channel, frozen});
  if (!frozen) {
    item.notes.push_back("no frozen maxMessageId (" + Problem(max, "a number") +
                         "): paged by offset, so messages arriving during the sweep can shift pages");
  }
  const std::string dates = Dates();
  const std::string max_param = frozen ? "&maxMessageId=" + std::to_string(*frozen) : "";
  Answer count = Get(base + "/count?" + dates + max_param, dir, "count.json", "Message", "count", 0,
                     "application/json", stream.name);
  if (count.r.ok && count.r.status >= 200 && count.r.status < 300) {
    Scalar c = ParseScalar(count.body);
    if (c.ok && !c.none && c.value >= 0) {
      item.expected = static_cast<std::uint64_t>(c.value);
      item.expected_from = "messages/count" + (frozen ? " at maxMessageId " + std::to_string(*frozen) : std::string());
    } else {
      item.notes.push_back("messages/count is not a number: " + Problem(count, "a number"));
    }
  } else if (!Stopped()) {
    item.notes.push_back("messages/count unavailable: " + Problem(count, "a number"));
  }

  const std::uint64_t n = static_cast<std::uint64_t>(std::max(1, o_.page_size));
  std::int64_t cursor = frozen.value_or(0);
  std::uint64_t offset = 0;
  std::unordered_set<std::int64_t> seen;
  std::uint64_t duplicates = 0;
  const std::string content = o_.include_content ? "true" : "false";
  for (std::uint64_t page = 1;; ++page) {
    if (Stopped()) {
      item.gaps.push_back("stopped (" + SourceStopName(state_.stop()) + ") before all pages were read");
      break;
    }
    std::string query = base + "?" + dates + "&includeContent=" + content;
    query += frozen ? "&maxMessageId=" + std::to_string(cursor) + "&offset=0" : "&offset=" + std::to_string(offset);
    query += "&limit=" + std::to_string(n + 1);
    if (page == 1) item.request = query;
    Answer a = Get(query, dir, "page-" + Pad6(page) + ".json", "Message", "page", page, "application/json", stream.name,
                   "/list/message");
    if (!a.r.ok || a.r.status < 200 || a.r.status >= 300 || !a.json_ok) {
      item.gaps.push_back("page " + std::to_string(page) + " not collected: " + Problem(a, "JSON"));
      break;
    }
    ++item.pages;
    PageScan scan = ScanPage(a, "/list/message", "messageId", n, kStreamIndexMessages, stream.name, &seen,
                             &item.received, &duplicates);
    if (!scan.status) {
      if (scan.status.error().code() == ErrorCode::kParse) {
        item.gaps.push_back("page " + std::to_string(page) + " is not a Mirth message list (" +
                            scan.status.error().message() + "): " + Problem(a, "a JSON message list"));
      } else {
        state_.Stop(SourceStop::kFailed, "normalize " + a.r.bag_path + ": " + scan.status.error().message());
        item.gaps.push_back("normalizing stopped: " + scan.status.error().message());
      }
      break;
    }
    Progress(stream.name, (channel.name.empty() ? channel.id : channel.name) + ": " + std::to_string(item.received) +
                              " messages, page " + std::to_string(page));
    if (scan.ids.size() <= n) break;
    if (frozen) {
      std::optional<std::int64_t> prev;
      std::string broken;
      for (size_t i = 0; i < scan.ids.size(); ++i) {
        if (!scan.ids[i]) { broken = "a message without a messageId"; break; }
        if (*scan.ids[i] > cursor) { broken = "messageId " + std::to_string(*scan.ids[i]) + " above maxMessageId " + std::to_string(cursor); break; }
        if (prev && *scan.ids[i] >= *prev) { broken = "messageIds not in descending order"; break; }
        prev = scan.ids[i];
      }
      if (!broken.empty()) {
        item.gaps.push_back("page " + std::to_string(page) + " (" + a.r.bag_path + ") cannot be paged past: " + broken);
        break;
      }
      cursor = *scan.ids[n - 1] - 1;
    } else {
      offset += n;
    }
  }
  if (duplicates > 0) item.notes.push_back(std::to_string(duplicates) + " messages seen twice were kept once");
  if (item.expected && item.gaps.empty()) {
    if (item.received < *item.expected) {
      item.gaps.push_back("received " + std::to_string(item.received) + " of the " + std::to_string(*item.expected) +
                          " messages that " + item.expected_from + " reported");
    } else if (item.received > *item.expected) {
      item.notes.push_back("received " + std::to_string(item.received) + " messages, more than the " +
                           std::to_string(*item.expected) + " that " + item.expected_from + " reported");
    }
  }
  finish();
}

void MirthRun::Messages() {
  SourceStream stream;
  stream.name = kStreamMessages;
  const std::string dir = "raw/" + o_.source + "/" + kStreamMessages;
  if (o_.include_content) {
    // Message content is PHI: it is only asked for on the operator's explicit request.
    Progress(stream.name, "message content included (--include-content)");
  }
  SourceItem list;
  list.object = "channels";
  list.method = "mirth-channels";
  list.status = "complete";
  list.request = "/channels/idsAndNames";
  list.unit = "channels";
  Answer a = Get("/channels/idsAndNames", dir, "channels.json", "Channel", "channel-list", 0, "application/json",
                 stream.name);
  std::vector<Channel> channels;
  if (!a.r.ok || a.r.status < 200 || a.r.status >= 300 || !a.json_ok) {
    list.gaps.push_back("no channel list: " + Problem(a, "JSON"));
  } else if (!ParseChannelMap(a.body, &channels)) {
    list.gaps.push_back("the channel list is not a Mirth id/name map: " + Problem(a, "a JSON map"));
  }
  list.pages = a.r.ok ? 1 : 0;
  list.received = channels.size();
  list.expected = channels.size();
  list.expected_from = "channels/idsAndNames";
  if (!list.gaps.empty()) {
    list.status = "incomplete";
    list.expected.reset();
  }
  stream.items.push_back(list);

  std::vector<Channel> chosen;
  if (o_.channels.empty()) {
    chosen = channels;
  } else {
    for (const auto& id : o_.channels) {
      auto it = std::find_if(channels.begin(), channels.end(), [&](const Channel& c) { return c.id == id; });
      // A channel the list does not show may still have messages (deleted from the configuration
      // while its tables remain): ask anyway; the server says if it does not know it.
      chosen.push_back(it != channels.end() ? *it : Channel{id, ""});
    }
  }
  for (const auto& c : chosen) {
    if (Stopped()) {
      SourceItem skipped;
      skipped.object = "messages:" + c.id;
      skipped.method = "mirth-messages";
      skipped.status = "incomplete";
      skipped.gaps.push_back("stopped (" + SourceStopName(state_.stop()) + ") before this channel");
      stream.items.push_back(skipped);
      continue;
    }
    ChannelMessages(c, stream);
  }
  for (const auto& i : stream.items) {
    if (i.status == "incomplete") stream.status = "incomplete";
  }
  report_.streams.push_back(stream);
}

std::string MirthRun::DetailsJson() const {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto opt = [&](const std::string& s) {
    if (s.empty()) w.Null(); else str(s);
  };
  w.StartObject();
  str("server_timezone"); opt(server_timezone_);
  str("mirth_version"); opt(mirth_version_);
  str("max_event_id");
  if (max_event_id_) w.Int64(*max_event_id_); else w.Null();
  str("window_parameters");
  w.StartObject();
  str("startDate"); str(normalize::FormatMirthDateParam(since_ms_));
  str("endDate"); str(normalize::FormatMirthDateParam(until_ms_ - 1));
  str("endDate_note"); str("Mirth's endDate is inclusive to the millisecond: until minus 1 ms");
  w.EndObject();
  str("collector_username"); str(o_.username);
  str("collector_logins");
  w.StartArray();
  for (const auto& l : auth_->Logins()) {
    w.StartObject();
    str("requested_at"); str(l.requested_at);
    str("server_date"); opt(l.server_date);
    str("http_status"); w.Int(l.http_status);
    str("status"); opt(l.status);
    str("capture"); opt(l.bag_path);
    w.EndObject();
  }
  w.EndArray();
  str("collector_ips");
  w.StartArray();
  for (const auto& ip : own_ips_) str(ip);
  w.EndArray();
  str("collector_user_id"); opt(collector_user_id_);
  str("collector_events"); w.Uint64(own_events_);
  str("collector_activity_from"); str(normalize::FormatUtcMs(activity_floor_ms_));
  str("same_user_events_before_collection"); w.Uint64(same_user_before_);
  str("include_content"); w.Bool(o_.include_content);
  str("page_size"); w.Int(o_.page_size);
  str("channels");
  w.StartArray();
  for (const auto& [c, m] : channel_max_) {
    w.StartObject();
    str("id"); str(c.id);
    str("name"); opt(c.name);
    str("max_message_id");
    if (m) w.Int64(*m); else w.Null();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return b.GetString();
}

Result<SourceReport> MirthRun::Run() {
  if (o_.base_url.empty()) return Error(ErrorCode::kInvalidArgument, "no Mirth base URL");
  if (Status s = http::CheckUrlPolicy(o_.base_url); !s) return s.error();
  if (o_.username.empty()) return Error(ErrorCode::kInvalidArgument, "no Mirth user name");
  if (o_.password.empty()) return Error(ErrorCode::kInvalidArgument, "no Mirth password (MIRTH_PASSWORD)");
  if (o_.until <= o_.since) return Error(ErrorCode::kInvalidArgument, "the window is empty");
  since_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(o_.since.time_since_epoch()).count();
  until_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(o_.until.time_since_epoch()).count();
  start_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();

  auto make = [this]() -> Result<std::unique_ptr<http::Transport>> {
    if (o_.make_transport) return o_.make_transport();
    return http::MakeCurlTransport(o_.transport);
  };
  auto auth_transport = make();
  if (!auth_transport) return auth_transport.error();
  auto session_transport = make();
  if (!session_transport) return session_transport.error();

  MirthAuthConfig ac;
  ac.mode = o_.auth;
  ac.base_url = o_.base_url;
  ac.username = o_.username;
  ac.password = o_.password;
  ac.source = o_.source;
  ac.payload_root = o_.payload_root;
  ac.max_attempts = o_.policy.max_attempts;
  ac.retry_base = o_.policy.base;
  ac.cancel = o_.cancel;
  auth_ = std::make_unique<MirthAuthenticator>(std::move(ac), std::move(*auth_transport), clock_, redactor_);
  const std::uint64_t seed =
      o_.seed != 0 ? o_.seed
                   : static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  session_ = std::make_unique<Session>(std::move(*session_transport), *auth_, state_, redactor_, o_.payload_root,
                                       o_.policy, o_.cancel, seed);

  report_.name = o_.source;
  report_.type = "mirth";
  report_.base_url = o_.base_url;
  report_.auth_mode = MirthAuthModeName(o_.auth);
  report_.collector_identity = o_.username;

  // Session mode logs in first: a refused password stops here, before anything else is asked.
  if (Status s = auth_->Login(); !s) return Error(s.error().code(), redactor_.Apply(s.error().message()));
  if (o_.auth == MirthAuthMode::kSession) any_answer_ = true;

  Discover();
  if (state_.stop() == SourceStop::kAuth && !any_answer_) {
    return Error(ErrorCode::kAuth, redactor_.Apply(state_.stop_detail()));
  }
  if (state_.stop() == SourceStop::kInterrupted) {
    return Error(ErrorCode::kCancelled, "interrupted before anything was collected from " + o_.base_url);
  }
  const bool want_events = std::find(o_.streams.begin(), o_.streams.end(), kStreamServerEvents) != o_.streams.end();
  const bool want_messages = std::find(o_.streams.begin(), o_.streams.end(), kStreamMessages) != o_.streams.end();
  if (want_events) ServerEvents();
  if (fatal_ && !any_answer_) {
    (void)auth_->Logout();
    return *fatal_;
  }
  if (want_messages) Messages();
  if (fatal_ && !any_answer_) {
    (void)auth_->Logout();
    return *fatal_;
  }
  if (state_.stop() == SourceStop::kAuth && !any_answer_) {
    return Error(ErrorCode::kAuth, redactor_.Apply(state_.stop_detail()));
  }

  std::vector<std::string> logout_note;
  if (Status s = auth_->Logout(); !s) logout_note.push_back("logout failed: " + redactor_.Apply(s.error().message()));

  report_.grants = auth_->Grants();
  report_.clock = state_.clock();
  // Session requests, plus the authenticator's own logins and logout.
  report_.requests = state_.requests() + auth_->Logins().size() + (o_.auth == MirthAuthMode::kSession ? 1 : 0);
  report_.stop = state_.stop();
  report_.stop_detail = state_.stop_detail();
  bool complete = report_.stop == SourceStop::kNone;
  for (auto& s : report_.streams) {
    report_.normalized_records += s.records;
    if (s.status == "incomplete") complete = false;
  }
  if (!logout_note.empty() && !report_.streams.empty() && !report_.streams.front().items.empty()) {
    auto& notes = report_.streams.front().items.front().notes;
    notes.insert(notes.end(), logout_note.begin(), logout_note.end());
  }
  report_.untimed_records = untimed_;
  report_.complete = complete;
  report_.details_json = DetailsJson();
  return report_;
}

}  // namespace

Result<SourceReport> CollectMirth(const MirthCollectOptions& options, const Clock& clock, auth::Redactor& redactor,
                                  RecordSink& sink) {
  MirthRun run(options, clock, redactor, sink);
  return run.Run();
}

}  // namespace custody::connectors::mirth
