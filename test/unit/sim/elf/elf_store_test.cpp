// EventLogFile store: manifest rows, lifecycle (visibility, late hourly files, re-delivery,
// expiry), natural order and LowerBound, streaming, determinism. Uses the fake activity only.

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "elf.h"
#include "fake_activity.h"

namespace custody::sim {
namespace {

using testing::FakeActivity;
using testing::FakeOptions;
using testing::kDay;
using testing::kHour;
using testing::ParseCsv;
using testing::SplitComma;
using testing::StreamAll;

constexpr int kDays = 4;

OrgConfig Config(bool hourly, bool developer = false, uint64_t seed = 1) {
  OrgConfig c;
  c.seed = seed;
  c.days = kDays;
  c.hourly_elf = hourly;
  c.developer_edition = developer;
  return c;
}

FakeOptions Options() {
  FakeOptions o;
  o.days = kDays;
  return o;
}

// After every daily file and every re-delivery exists, before anything expires.
TimeMs AllCreated(const OrgConfig& c) { return c.start + (c.days + 3) * kDay; }

struct Env {
  explicit Env(const OrgConfig& c, FakeOptions o = Options())
      : config(c),
        activity(o),
        users(testing::MakeUsers(o.users)),
        store(MakeElfStore(config, activity, users)) {}
  OrgConfig config;
  FakeActivity activity;
  std::vector<UserInfo> users;
  std::unique_ptr<ElfStore> store;
};

std::string Str(const Record& r, std::string_view field) {
  const Value* v = r.Get(field);
  REQUIRE(v != nullptr);
  return v->text;
}
TimeMs Time(const Record& r, std::string_view field) {
  const Value* v = r.Get(field);
  REQUIRE(v != nullptr);
  REQUIRE(v->kind == Value::Kind::kDateTime);
  return v->number;
}

std::vector<Record> Rows(const ElfStore& store, TimeMs now) {
  std::vector<Record> rows;
  const uint64_t n = store.Count(now);
  for (uint64_t i = 0; i < n; ++i) rows.push_back(store.Row(i, now));
  return rows;
}

std::vector<std::vector<std::string>> Parse(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  bool all_quoted = false;
  REQUIRE(ParseCsv(csv, &rows, &all_quoted));
  REQUIRE(all_quoted);
  REQUIRE(!rows.empty());
  return rows;
}

size_t Column(const std::vector<std::string>& header, std::string_view name) {
  const auto it = std::find(header.begin(), header.end(), name);
  REQUIRE(it != header.end());
  return static_cast<size_t>(it - header.begin());
}

// The request ids a file holds (one per event: BulkApi2 counts its UploadComplete rows).
std::multiset<std::string> RequestIds(const std::vector<std::vector<std::string>>& rows) {
  std::multiset<std::string> ids;
  const size_t col = Column(rows[0], "REQUEST_ID");
  const bool bulk = rows.size() > 1 && rows[1][0] == "BulkApi2";
  const size_t status = bulk ? Column(rows[0], "JOB_STATUS") : 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (bulk && rows[i][status] != "UploadComplete") continue;
    ids.insert(rows[i][col]);
  }
  return ids;
}

template <typename Seq, typename Pred>
std::multiset<std::string> IdsIn(const Seq& seq, TimeMs begin, TimeMs end, Pred pred) {
  std::multiset<std::string> ids;
  for (const auto& a : seq.items) {
    if (a.time >= begin && a.time < end && pred(a)) ids.insert(a.request_id);
  }
  return ids;
}

// The activity's events of `type` in [begin, end). False for types whose filter is internal.
bool ExpectedIds(const FakeActivity& act, const std::string& type, TimeMs b, TimeMs e,
                 std::multiset<std::string>* ids) {
  auto all = [](const auto&) { return true; };
  if (type == "Login")
    *ids = IdsIn(act.logins_, b, e, all);
  else if (type == "Logout")
    *ids = IdsIn(act.logouts_, b, e, all);
  else if (type == "LoginAs")
    *ids = IdsIn(act.login_as_, b, e, all);
  else if (type == "Report")
    *ids = IdsIn(act.reports_, b, e, all);
  else if (type == "ReportExport")
    *ids = IdsIn(act.reports_, b, e, [](const ReportActivity& a) { return a.exported; });
  else if (type == "API")
    *ids = IdsIn(act.api_, b, e, [](const ApiActivity& a) { return a.api_family == "SOAP"; });
  else if (type == "RestApi")
    *ids = IdsIn(act.api_, b, e, [](const ApiActivity& a) { return a.api_family == "REST"; });
  else if (type == "ApiTotalUsage")
    *ids = IdsIn(act.api_, b, e, all);
  else if (type == "BulkApi2")
    *ids = IdsIn(act.bulk_, b, e, all);
  else if (type == "ContentTransfer")
    *ids = IdsIn(act.content_, b, e, all);
  else if (type == "URI")
    *ids = IdsIn(act.uri_, b, e, all);
  else
    return false;
  return true;
}

TEST_CASE("EventLogFile schema follows the hourly licence", "[elf]") {
  for (const bool hourly : {false, true}) {
    Env env(Config(hourly));
    const ObjectDef& def = env.store->def();
    CHECK(def.name == "EventLogFile");
    CHECK(def.key_prefix == "0AT");
    CHECK(def.order_field == "CreatedDate");
    CHECK((def.Find("Interval") != nullptr) == hourly);
    CHECK((def.Find("Sequence") != nullptr) == hourly);
    for (const char* f :
         {"Id", "EventType", "LogDate", "LogFile", "LogFileLength", "LogFileContentType", "LogFileFieldNames",
          "LogFileFieldTypes", "ApiVersion", "CreatedDate", "CreatedById", "LastModifiedDate", "IsDeleted"}) {
      INFO(f);
      CHECK(def.Find(f) != nullptr);
    }
    CHECK(def.Find("LogFile")->type == FieldType::kBase64);
    CHECK(def.Find("LogFileLength")->type == FieldType::kDouble);
    CHECK(def.Find("ApiVersion")->type == FieldType::kDouble);
    CHECK(def.Find("EventType")->type == FieldType::kPicklist);
    CHECK(def.Find("CreatedById")->relationship_name == "CreatedBy");
    CHECK(def.Find("CreatedById")->reference_to == std::vector<std::string>{"User"});
  }
}

TEST_CASE("Manifest rows describe their files", "[elf]") {
  for (const bool hourly : {false, true}) {
    INFO("hourly " << hourly);
    Env env(Config(hourly));
    const TimeMs now = AllCreated(env.config);
    const std::vector<Record> rows = Rows(*env.store, now);
    REQUIRE(rows.size() > 20);
    std::set<std::string> types;
    std::set<std::string> ids;
    int ties = 0;
    int hourly_rows = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const Record& r = rows[i];
      const std::string id = Str(r, "Id");
      INFO(id);
      CHECK(id.size() == 18);
      CHECK(id.rfind("0AT", 0) == 0);
      CHECK(ids.insert(id).second);
      types.insert(Str(r, "EventType"));
      const TimeMs log_date = Time(r, "LogDate");
      const TimeMs created = Time(r, "CreatedDate");
      CHECK(created % 1000 == 0);
      CHECK(created <= now);
      CHECK(Time(r, "LastModifiedDate") == created);
      CHECK(Str(r, "LogFileContentType") == "CSV");
      CHECK(Str(r, "CreatedById") == env.users[0].id);
      CHECK(Str(r, "LogFile") == "/services/data/v62.0/sobjects/EventLogFile/" + id + "/LogFile");
      const Value* api = r.Get("ApiVersion");
      REQUIRE(api->kind == Value::Kind::kDouble);
      CHECK((api->real == 61.0 || api->real == 62.0));
      CHECK(r.Get("IsDeleted")->number == 0);

      const Value* interval = r.Get("Interval");
      const Value* sequence = r.Get("Sequence");
      CHECK((interval != nullptr) == hourly);
      CHECK((sequence != nullptr) == hourly);
      const bool is_hourly = interval != nullptr && interval->text == "Hourly";
      if (is_hourly) {
        ++hourly_rows;
        CHECK(sequence->number >= 1);
        CHECK(log_date % kHour == 0);
        if (sequence->number == 1) {  // 3-6 h after the hour
          CHECK(created >= log_date + 3 * kHour);
          CHECK(created < log_date + 6 * kHour);
        } else {
          CHECK(created >= log_date + 5 * kHour);
        }
      } else {
        if (sequence != nullptr) CHECK(sequence->number == 0);
        if (interval != nullptr) CHECK(interval->text == "Daily");
        CHECK(log_date % kDay == 0);
        CHECK(created > log_date + kDay);
      }

      // LogFileLength is a double equal to the bytes streamed; the header matches the field names.
      const Value* length = r.Get("LogFileLength");
      REQUIRE(length->kind == Value::Kind::kDouble);
      const std::optional<LogFileInfo> info = env.store->FindFile(id, now);
      REQUIRE(info.has_value());
      CHECK(info->created_date == created);
      CHECK(info->log_date == log_date);
      CHECK(info->event_type == Str(r, "EventType"));
      CHECK(info->hourly == is_hourly);
      const std::string csv = StreamAll(*env.store, *info);
      CHECK(static_cast<double>(csv.size()) == length->real);
      CHECK(csv.size() == info->length);
      const auto parsed = Parse(csv);
      const std::vector<std::string> names = SplitComma(Str(r, "LogFileFieldNames"));
      CHECK(parsed[0] == names);
      CHECK(SplitComma(Str(r, "LogFileFieldTypes")).size() == names.size());
      CHECK(parsed.size() >= 2);  // a file exists only with events

      if (i > 0) {
        const TimeMs prev = Time(rows[i - 1], "CreatedDate");
        CHECK(prev <= created);
        if (prev == created) {
          ++ties;
          CHECK(Str(rows[i - 1], "Id") < id);
        }
      }
    }
    CHECK(types == std::set<std::string>{"Login", "Logout", "LoginAs", "Report", "ReportExport", "API",
                                         "RestApi", "ApiTotalUsage", "BulkApi2", "ContentTransfer", "URI",
                                         "DocumentAttachmentDownloads"});
    CHECK(ties > 0);
    CHECK((hourly_rows > 0) == hourly);
  }
}

TEST_CASE("Without Event Monitoring only the free types exist", "[elf]") {
  OrgConfig c = Config(false);
  c.event_monitoring = false;
  Env env(c);
  std::set<std::string> types;
  for (const Record& r : Rows(*env.store, AllCreated(c))) types.insert(Str(r, "EventType"));
  CHECK(types == std::set<std::string>{"Login", "Logout", "ApiTotalUsage"});
}

TEST_CASE("Files appear once created and the list grows with time", "[elf]") {
  Env env(Config(true));
  const TimeMs start = env.config.start;
  CHECK(env.store->Count(start) == 0);
  CHECK(env.store->Count(start + 3 * kHour) == 0);  // hourly files need >= 3 h
  uint64_t previous = 0;
  for (TimeMs now = start; now <= AllCreated(env.config); now += 5 * kHour) {
    const uint64_t n = env.store->Count(now);
    CHECK(n >= previous);  // nothing expires within the window; re-delivery replaces in place
    previous = n;
    for (const Record& r : Rows(*env.store, now)) CHECK(Time(r, "CreatedDate") <= now);
  }
  CHECK(previous > 0);

  // Each file: invisible one millisecond before its CreatedDate, visible from it.
  const std::vector<Record> rows = Rows(*env.store, AllCreated(env.config));
  for (size_t i = 0; i < rows.size(); i += 7) {
    const std::string id = Str(rows[i], "Id");
    const std::optional<LogFileInfo> now_info = env.store->FindFile(id, AllCreated(env.config));
    REQUIRE(now_info.has_value());
    if (now_info->version != 1) continue;
    const TimeMs created = now_info->created_date;
    CHECK_FALSE(env.store->FindFile(id, created - 1).has_value());
    CHECK_FALSE(env.store->Expired(id, created - 1));
    REQUIRE(env.store->FindFile(id, created).has_value());
    const std::vector<Record> at = Rows(*env.store, created);
    CHECK(std::any_of(at.begin(), at.end(), [&](const Record& r) { return Str(r, "Id") == id; }));
    const std::vector<Record> before = Rows(*env.store, created - 1);
    CHECK(std::none_of(before.begin(), before.end(), [&](const Record& r) { return Str(r, "Id") == id; }));
  }
  CHECK_FALSE(env.store->FindFile("0AT000000000000AAA", AllCreated(env.config)).has_value());
}

TEST_CASE("Late hourly data arrives as a Sequence 2 file with only the late events", "[elf]") {
  Env env(Config(true));
  const TimeMs now = AllCreated(env.config);
  std::map<std::pair<std::string, TimeMs>, std::map<int64_t, LogFileInfo>> hours;
  for (const Record& r : Rows(*env.store, now)) {
    if (Str(r, "Interval") != "Hourly") continue;
    const std::optional<LogFileInfo> info = env.store->FindFile(Str(r, "Id"), now);
    REQUIRE(info.has_value());
    CHECK(info->sequence == r.Get("Sequence")->number);
    hours[{info->event_type, info->log_date}][info->sequence] = *info;
  }
  int late_hours = 0;
  int checked = 0;
  for (const auto& [key, files] : hours) {
    REQUIRE(files.count(1) == 1);
    CHECK(files.size() <= 2);
    std::multiset<std::string> expected;
    const bool known = ExpectedIds(env.activity, key.first, key.second, key.second + kHour, &expected);
    const std::multiset<std::string> first = RequestIds(Parse(StreamAll(*env.store, files.at(1))));
    CHECK(!first.empty());
    if (files.count(2) == 0) {
      if (known) CHECK(first == expected);
      continue;
    }
    ++late_hours;
    const LogFileInfo& seq1 = files.at(1);
    const LogFileInfo& seq2 = files.at(2);
    CHECK(seq2.created_date > seq1.created_date);
    CHECK(seq2.id != seq1.id);
    CHECK(seq2.log_date == seq1.log_date);
    const std::multiset<std::string> second = RequestIds(Parse(StreamAll(*env.store, seq2)));
    CHECK(!second.empty());
    for (const std::string& id : second) CHECK(first.count(id) == 0);  // only new events
    if (known) {
      std::multiset<std::string> both = first;
      both.insert(second.begin(), second.end());
      CHECK(both == expected);
      ++checked;
    }
    // Between the two files, only Sequence 1 is visible.
    CHECK(env.store->FindFile(seq1.id, seq2.created_date - 1).has_value());
    CHECK_FALSE(env.store->FindFile(seq2.id, seq2.created_date - 1).has_value());
  }
  CHECK(late_hours > 0);
  CHECK(checked > 0);
}

TEST_CASE("A re-delivered daily file keeps its Id with a new CreatedDate and content", "[elf]") {
  Env env(Config(false));
  const TimeMs now = AllCreated(env.config);
  int redelivered = 0;
  for (const Record& r : Rows(*env.store, now)) {
    const std::string id = Str(r, "Id");
    const std::optional<LogFileInfo> v2 = env.store->FindFile(id, now);
    REQUIRE(v2.has_value());
    if (v2->version != 2) continue;
    ++redelivered;
    // Find version 1: hour by hour from the day after LogDate.
    std::optional<LogFileInfo> v1;
    for (TimeMs t = v2->log_date + kDay; t < v2->created_date; t += kHour / 4) {
      v1 = env.store->FindFile(id, t);
      if (v1.has_value()) break;
    }
    REQUIRE(v1.has_value());
    CHECK(v1->version == 1);
    CHECK(v1->id == v2->id);
    CHECK(v1->created_date < v2->created_date);
    CHECK(v1->length < v2->length);
    CHECK_FALSE(env.store->FindFile(id, v2->created_date - 1)->version == 2);
    // Version 1 lacks some events; version 2 has all of the day's.
    const std::multiset<std::string> old_ids = RequestIds(Parse(StreamAll(*env.store, *v1)));
    const std::multiset<std::string> new_ids = RequestIds(Parse(StreamAll(*env.store, *v2)));
    CHECK(old_ids.size() < new_ids.size());
    CHECK(std::includes(new_ids.begin(), new_ids.end(), old_ids.begin(), old_ids.end()));
    std::multiset<std::string> expected;
    if (ExpectedIds(env.activity, v2->event_type, v2->log_date, v2->log_date + kDay, &expected)) {
      CHECK(new_ids == expected);
    }
    // The manifest has the file once, before and after, with the current CreatedDate and length.
    const LogFileInfo& first_version = *v1;
    const LogFileInfo& second_version = *v2;
    for (const LogFileInfo* v : {&first_version, &second_version}) {
      const TimeMs at = v == &first_version ? v2->created_date - 1 : v2->created_date;
      int seen = 0;
      for (const Record& row : Rows(*env.store, at)) {
        if (Str(row, "Id") != id) continue;
        ++seen;
        CHECK(Time(row, "CreatedDate") == v->created_date);
        CHECK(row.Get("LogFileLength")->real == static_cast<double>(v->length));
      }
      CHECK(seen == 1);
    }
  }
  CHECK(redelivered > 0);
}

TEST_CASE("Files expire 30 days after CreatedDate, 1 day in a developer edition", "[elf]") {
  for (const bool developer : {false, true}) {
    INFO("developer " << developer);
    Env env(Config(false, developer));
    const TimeMs retention = developer ? kDay : 30 * kDay;
    // The earliest file: take it at the moment it appears.
    TimeMs t = env.config.start;
    while (env.store->Count(t) == 0) t += kHour;
    const std::string id = Str(env.store->Row(0, t), "Id");
    // The CreatedDate of the file's last version (a re-delivery restarts the retention).
    TimeMs created = 0;
    for (TimeMs probe = t; probe < t + retention + 3 * kDay; probe += kHour) {
      const auto f = env.store->FindFile(id, probe);
      if (f.has_value()) created = std::max(created, f->created_date);
    }
    REQUIRE(created > 0);
    const TimeMs expiry = created + retention;
    CHECK(env.store->FindFile(id, expiry - 1).has_value());
    CHECK_FALSE(env.store->Expired(id, expiry - 1));
    CHECK_FALSE(env.store->FindFile(id, expiry).has_value());
    CHECK(env.store->Expired(id, expiry));
    CHECK(env.store->Expired(id, expiry + 365 * kDay));
    for (const Record& r : Rows(*env.store, expiry)) CHECK(Str(r, "Id") != id);
    CHECK_FALSE(env.store->Expired("0AT000000000000AAA", expiry));
    CHECK_FALSE(env.store->Expired(id, env.config.start));

    // Long after the window, everything is gone.
    const TimeMs late = env.config.start + (kDays + 2) * kDay + retention + 2 * kDay;
    CHECK(env.store->Count(late) == 0);
    // Visible rows at any time are unexpired.
    for (TimeMs now = env.config.start; now < late; now += 13 * kHour) {
      for (const Record& r : Rows(*env.store, now)) CHECK(Time(r, "CreatedDate") + retention > now);
    }
  }
}

TEST_CASE("LowerBound agrees with a scan of the natural order", "[elf]") {
  Env env(Config(true));
  for (TimeMs now : {env.config.start + 2 * kDay + 5 * kHour, AllCreated(env.config)}) {
    const std::vector<Record> rows = Rows(*env.store, now);
    std::vector<TimeMs> probes = {env.config.start - kDay, now + kDay};
    for (size_t i = 0; i < rows.size(); i += 3) {
      const TimeMs c = Time(rows[i], "CreatedDate");
      probes.insert(probes.end(), {c - 1, c, c + 1});
    }
    for (TimeMs t : probes) {
      uint64_t expected = rows.size();
      for (size_t i = 0; i < rows.size(); ++i) {
        if (Time(rows[i], "CreatedDate") >= t) {
          expected = i;
          break;
        }
      }
      CHECK(env.store->LowerBound(t, now) == expected);
    }
  }
}

TEST_CASE("Daily files hold every event of their day", "[elf]") {
  Env env(Config(false));
  int checked = 0;
  for (const Record& r : Rows(*env.store, AllCreated(env.config))) {
    const std::optional<LogFileInfo> info = env.store->FindFile(Str(r, "Id"), AllCreated(env.config));
    REQUIRE(info.has_value());
    const auto rows = Parse(StreamAll(*env.store, *info));
    std::multiset<std::string> expected;
    if (!ExpectedIds(env.activity, info->event_type, info->log_date, info->log_date + kDay, &expected)) {
      // DocumentAttachmentDownloads: a subset of the day's content downloads.
      const auto ids = RequestIds(rows);
      const auto downloads = IdsIn(env.activity.content_, info->log_date, info->log_date + kDay,
                                   [](const ContentTransferActivity& a) {
                                     return a.transaction_type.find("Download") != std::string::npos;
                                   });
      for (const std::string& id : ids) CHECK(downloads.count(id) == 1);
      continue;
    }
    INFO(info->event_type << " " << info->log_date);
    CHECK(RequestIds(rows) == expected);
    const size_t per_event = info->event_type == "BulkApi2" ? 3 : 1;
    CHECK(rows.size() - 1 == expected.size() * per_event);
    ++checked;
  }
  CHECK(checked > 30);
}

FakeOptions Busy() {
  FakeOptions o = Options();
  o.api_per_day = 800;
  return o;
}

TEST_CASE("Stream resumes at any offset and honours the chunk size", "[elf]") {
  Env env(Config(false), Busy());
  const TimeMs now = AllCreated(env.config);
  LogFileInfo biggest;
  for (const Record& r : Rows(*env.store, now)) {
    const auto info = env.store->FindFile(Str(r, "Id"), now);
    if (info->length > biggest.length) biggest = *info;
  }
  REQUIRE(biggest.length > 2 * 65536);
  std::vector<size_t> chunks;
  bool ok = false;
  const std::string full = StreamAll(*env.store, biggest, 0, &chunks, &ok);
  CHECK(ok);
  REQUIRE(full.size() == biggest.length);
  for (size_t c : chunks) {
    CHECK(c > 0);
    CHECK(c <= 65536);
  }
  for (uint64_t offset : {uint64_t{1}, uint64_t{100}, uint64_t{65535}, uint64_t{65536}, uint64_t{65537},
                          biggest.length / 2, biggest.length - 1, biggest.length}) {
    INFO(offset);
    std::vector<size_t> part_chunks;
    const std::string part = StreamAll(*env.store, biggest, offset, &part_chunks);
    CHECK(part == full.substr(offset));
    for (size_t c : part_chunks) CHECK(c <= 65536);
  }
  // A dropped download resumed with a range: pieces concatenate to the whole.
  std::string resumed;
  uint64_t offset = 0;
  int attempts = 0;
  while (offset < biggest.length && attempts < 100) {
    ++attempts;
    size_t budget = 40000 + static_cast<size_t>(attempts) * 777;
    env.store->Stream(biggest, offset, [&](const char* data, size_t size) {
      const size_t take = std::min(size, budget);
      resumed.append(data, take);
      budget -= take;
      return budget > 0;  // connection drops after `budget` bytes
    });
    offset = resumed.size();
  }
  CHECK(resumed == full);
}

TEST_CASE("Large files resume at any offset from the nearest restart point", "[elf]") {
  FakeOptions o = Options();
  o.days = 1;
  FakeActivity activity(o);
  constexpr uint64_t kCalls = 20000;  // several checkpoints (every 4096 events)
  activity.OverrideApiCalls(std::make_unique<testing::GeneratedApiSequence>(
      o.start, kCalls, kDay / static_cast<TimeMs>(kCalls), o.users));
  const std::vector<UserInfo> users = testing::MakeUsers(o.users);
  OrgConfig c = Config(false);
  c.days = 1;
  const auto store = MakeElfStore(c, activity, users);
  const TimeMs now = c.start + 3 * kDay;
  int checked = 0;
  for (uint64_t i = 0; i < store->Count(now); ++i) {
    const Record r = store->Row(i, now);
    const std::string type = r.Get("EventType")->text;
    if (type != "ApiTotalUsage" && type != "API" && type != "RestApi") continue;
    INFO(type);
    const LogFileInfo info = *store->FindFile(r.Get("Id")->text, now);
    const std::string full = StreamAll(*store, info);
    REQUIRE(full.size() == info.length);
    const size_t rows = Parse(full).size() - 1;
    if (type == "ApiTotalUsage") {
      CHECK(rows == kCalls);
    } else {
      CHECK(rows > 4096);
    }
    for (uint64_t k = 0; k <= 40; ++k) {
      const uint64_t offset = info.length * k / 40 - (k % 3 == 0 ? 0 : k);
      const std::string part = StreamAll(*store, info, std::min(offset, info.length));
      CHECK(part == full.substr(std::min<uint64_t>(offset, full.size())));
    }
    // A fresh store whose first request is a ranged one (length and restart points not cached).
    const auto fresh = MakeElfStore(c, activity, users);
    CHECK(StreamAll(*fresh, info, info.length - 777) == full.substr(full.size() - 777));
    ++checked;
  }
  CHECK(checked == 3);
}

TEST_CASE("An aborting sink stops the stream", "[elf]") {
  Env env(Config(false));
  const TimeMs now = AllCreated(env.config);
  LogFileInfo biggest;
  for (const Record& r : Rows(*env.store, now)) {
    const auto info = env.store->FindFile(Str(r, "Id"), now);
    if (info->length > biggest.length) biggest = *info;
  }
  int calls = 0;
  const bool ok = env.store->Stream(biggest, 0, [&](const char*, size_t) {
    ++calls;
    return false;
  });
  CHECK_FALSE(ok);
  CHECK(calls == 1);
  calls = 0;
  CHECK(env.store->Stream(biggest, 0, [&](const char*, size_t) { return ++calls < 2; }) == false);
  CHECK(calls == 2);
  LogFileInfo unknown = biggest;
  unknown.id = "0AT000000000000AAA";
  CHECK_FALSE(env.store->Stream(unknown, 0, [](const char*, size_t) { return true; }));
}

std::string Fingerprint(const ElfStore& store, TimeMs now) {
  std::string all;
  for (uint64_t i = 0; i < store.Count(now); ++i) {
    const Record r = store.Row(i, now);
    const std::string id = r.Get("Id")->text;
    all += id + "|" + std::to_string(r.Get("CreatedDate")->number) + "|" +
           std::to_string(r.Get("LogFileLength")->real) + "\n";
    all += StreamAll(store, *store.FindFile(id, now));
  }
  return all;
}

TEST_CASE("Same config and activity: same files and bytes, another seed differs", "[elf]") {
  const OrgConfig c = Config(true);
  FakeActivity activity(Options());
  const std::vector<UserInfo> users = testing::MakeUsers(Options().users);
  const auto a = MakeElfStore(c, activity, users);
  const auto b = MakeElfStore(c, activity, users);
  const TimeMs now = AllCreated(c);
  const std::string fa = Fingerprint(*a, now);
  CHECK(fa == Fingerprint(*b, now));
  CHECK(fa == Fingerprint(*a, now));  // and repeatable on one store
  OrgConfig other = c;
  other.seed = 2;
  const auto d = MakeElfStore(other, activity, users);
  CHECK(fa != Fingerprint(*d, now));
}

TEST_CASE("Concurrent readers see consistent results", "[elf]") {
  Env env(Config(true));
  const TimeMs base = env.config.start + kDay;
  std::vector<std::string> expected;
  for (int k = 0; k < 8; ++k) expected.push_back(Fingerprint(*env.store, base + k * 9 * kHour));
  Env fresh(Config(true));  // lengths and views not yet cached
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k) {
    threads.emplace_back(
        [&, k] { got[static_cast<size_t>(k)] = Fingerprint(*fresh.store, base + k * 9 * kHour); });
  }
  for (std::thread& t : threads) t.join();
  CHECK(got == expected);
}

}  // namespace
}  // namespace custody::sim
