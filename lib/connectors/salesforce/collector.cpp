#include "connectors/salesforce/collector.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "capture/capture.h"
#include "connectors/common/text.h"
#include "crypto/digest.h"
#include "normalize/csv_reader.h"
#include "normalize/ordered_workers.h"
#include "normalize/record.h"
#include "normalize/salesforce_map.h"
#include "normalize/sf_time.h"
#include "normalize/timeline.h"

namespace custody::connectors::salesforce {

namespace {

// Event log file types whose rows can show data leaving the org (research §4.4). Other types are
// listed (the listing is captured) but not downloaded.
const std::set<std::string>& ExportLogTypes() {
  static const std::set<std::string> kTypes = {
      "ReportExport", "Report", "API", "RestApi", "ApiTotalUsage", "BulkApi", "BulkApiRequest", "BulkApi2",
      "URI", "ContentTransfer", "ContentDistribution", "DocumentAttachmentDownloads", "DocumentAttachmentDownoads",
      "Dashboard", "MultiblockReport", "AsynchronousReportRun", "Sites", "Search", "SearchClick", "WaveDownload",
      "VisualforceRequest", "LightningInteraction", "AuraRequest", "DatabaseSave", "MetadataApiOperation",
      "PermissionUpdate", "GroupMembership", "InsufficientAccess", "TransactionSecurity", "ApexRestApi",
      "ApexSoap"};
  return kTypes;
}
constexpr std::size_t kHistoryConnections = 2;
const std::vector<std::string> kLoginLogTypes = {"Login", "LoginAs", "Logout"};
const std::vector<std::string> kLoginEvents = {"LoginEvent", "LoginAsEvent", "LogoutEvent"};
const std::vector<std::string> kExportEvents = {"ReportEvent", "ApiEvent", "BulkApiResultEventStore", "ListViewEvent"};

std::string Str(const rapidjson::Value& v, const char* member) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(member);
  if (it == v.MemberEnd()) return "";
  if (it->value.IsString()) return it->value.GetString();
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  if (it->value.IsDouble()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", it->value.GetDouble());
    return buf;
  }
  return "";
}

std::string Soql(UtcSeconds t) { return FormatRfc3339(t); }

std::string FloorDay(UtcSeconds t) {
  return FormatRfc3339(std::chrono::floor<std::chrono::days>(t));
}

std::string Pad(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%06llu", static_cast<unsigned long long>(n));
  return buf;
}

// A file name part from a server value: keeps [A-Za-z0-9._-], maps the rest to '_'.
std::string Safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

// "2026-04-02T00:00:00.000+0000" -> "20260402T000000Z"
std::string CompactSfTime(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 19)) {
    if (c >= '0' && c <= '9') out += c;
    if (c == 'T') out += 'T';
  }
  return out + "Z";
}

// A JSON integer that a parse keeping numbers as text holds as a string ("2000"): its value, or
// nullopt for a fraction, an exponent or a number out of range. (A quoted "2000" reads the same;
// Salesforce never sends one.)
std::optional<std::int64_t> IntegerText(const rapidjson::Value& v) {
  const char* begin = v.GetString();
  const char* end = begin + v.GetStringLength();
  std::int64_t value = 0;
  auto [at, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || at != end || begin == end) return std::nullopt;
  return value;
}

// What the normalization pass reads, in order.
struct Task {
  enum Kind { kJsonPage, kCsvFile, kBulkCsv } kind = kJsonPage;
  std::string stream;
  std::string object;
  std::string elf_event_type;
  std::string body_path;
  std::string bag_path;
  std::string text;  // a JSON page already read from body_path (read again when empty)
  std::shared_ptr<const normalize::ParsedElements> parsed;  // text, parsed (parsed again when null)
};

struct LogFileEntry {
  std::string id, event_type, log_date, created_date, interval, sequence, url;
  std::optional<std::uint64_t> length;
};

struct Describe {
  bool ok = false;
  std::vector<std::string> fields;  // queryable field names, describe order
};

// Bulk API 2.0 does not serve big objects and event storage (research §5); history objects it does.
bool IsBulkable(const std::string& name) {
  return name != "FieldHistoryArchive" && name.size() > 7 && name.compare(name.size() - 7, 7, "History") == 0;
}

// ", ETA 42s" from the rate so far; empty until there is a rate to go by.
std::string Eta(std::chrono::steady_clock::time_point started, std::uint64_t done, std::uint64_t total) {
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (done == 0 || total <= done || elapsed < 1.0) return "";
  double seconds = elapsed * static_cast<double>(total - done) / static_cast<double>(done);
  return ", ETA " + std::to_string(static_cast<long long>(seconds + 0.5)) + "s";
}

// Turns one stream's captures into unified records as soon as each capture is on disk, on the
// stream's normalizing thread (Worker::Normalize). Timed records go to the shared timeline with
// an order key (stream, capture, record) that makes its ties independent of how the threads
// interleave; untimed records go to the stream's own file, concatenated in stream order at the
// end.
struct Normalizer {
  std::string source_id;
  normalize::TimelineWriter* timeline = nullptr;
  std::uint64_t source_index = 0;
  std::uint64_t stream_index = 0;
  std::int64_t clock_correction_ms = 0;
  std::uint64_t capture_index = 0;  // of the capture being normalized, within the stream
  unsigned mapping_threads = 0;      // CSV rows are mapped on this many threads (0: on the caller's)
  size_t batch_rows = 1024;          // in batches of this many
  std::uint64_t records = 0;
  std::uint64_t untimed = 0;
  std::ofstream untimed_out;

  // The record's line, with the clock correction noted on a timed record.
  std::string Line(normalize::Record& rec) const {
    if (clock_correction_ms != 0 && rec.timestamp_ms) rec.clock_correction_ms = clock_correction_ms;
    return normalize::ToJsonLine(rec);
  }

  // A timed record goes to the timeline; one whose time is missing or unparseable cannot be
  // placed on it and goes, in capture order, to the untimed file instead.
  Status Place(std::optional<std::int64_t> timestamp_ms, std::uint64_t record_index, std::string line) {
    ++records;
    if (timestamp_ms) {
      // 8 bits of source, 4 of stream, 20 of capture, 32 of record within the capture (the
      // layout connectors::RecordSink uses, so sources of one collection share a timeline).
      const std::uint64_t key = ((source_index & 0xFFu) << 56) | ((stream_index & 0xFu) << 52) |
                                ((capture_index & 0xFFFFFu) << 32) | (record_index & 0xFFFFFFFFu);
      return timeline->AddOrdered(*timestamp_ms - clock_correction_ms, key, std::move(line));
    }
    ++untimed;
    untimed_out << line << '\n';
    if (!untimed_out) return Error(ErrorCode::kIo, "write untimed normalized records");
    return Status::Ok();
  }

  Status Emit(normalize::Record rec) {
    std::string line = Line(rec);
    return Place(rec.timestamp_ms, rec.record_index, std::move(line));
  }

  Status Page(const Task& t) {
    const std::string page = t.text.empty() ? ReadWhole(t.body_path) : t.text;
    normalize::RowContext ctx{source_id, t.stream, t.object, ""};
    normalize::ParsedElements parsed_here;
    const normalize::ParsedElements* parsed = t.text.empty() ? nullptr : t.parsed.get();
    if (parsed == nullptr) {
      CUSTODY_RETURN_IF_ERROR(normalize::ParseQueryPage(page, parsed_here));
      parsed = &parsed_here;
    }
    return normalize::ForEachQueryRecord(page, *parsed, [&](const normalize::JsonRecordView& v) -> Status {
      normalize::Record rec = normalize::MapSalesforceRow(ctx, v.get);
      rec.raw_file = t.bag_path;
      rec.record_index = v.index;
      rec.byte_offset = v.byte_offset;
      rec.byte_length = v.byte_length;
      rec.raw_sha256 = crypto::Sha256Hex(std::string_view(page).substr(v.byte_offset, v.byte_length));
      return Emit(std::move(rec));
    });
  }

  // Columns are mapped by header name (their order drifts between API versions), through an
  // index built once per file rather than a search per field per row. Looked up by string_view (a
  // transparent hash): no key string is made for each look-up, of which there are a few dozen per
  // row.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ColumnIndex = std::unordered_map<std::string, size_t, NameHash, std::equal_to<>>;

  // Rows of a CSV capture, copied out of the reader for a mapping thread: the fields and raw bytes
  // of all of them end to end in one string (no allocation per field), and what each becomes.
  struct CsvBatch {
    struct Row {
      std::uint64_t index = 0;  // in the file, the header being 0
      std::uint64_t byte_offset = 0;
      size_t raw_begin = 0, raw_size = 0;
      size_t first_field = 0, field_count = 0;
    };
    struct Mapped {
      std::optional<std::int64_t> timestamp_ms;
      std::uint64_t record_index = 0;
      std::string line;
    };
    std::string bytes;
    std::vector<std::pair<size_t, size_t>> fields;  // (begin, size) in bytes
    std::vector<Row> rows;
    std::vector<Mapped> mapped;

    void Add(const normalize::CsvRow& row) {
      Row r;
      r.index = row.index;
      r.byte_offset = row.byte_offset;
      r.first_field = fields.size();
      r.field_count = row.fields.size();
      for (const auto& f : row.fields) {
        fields.emplace_back(bytes.size(), f.size());
        bytes.append(f);
      }
      r.raw_begin = bytes.size();
      r.raw_size = row.raw.size();
      bytes.append(row.raw);
      rows.push_back(r);
    }
  };
  // A batch goes to a mapping thread at batch_rows rows or at this many bytes, whichever is first.
  static constexpr size_t kBatchBytes = 1u << 20;

  // Maps a batch's rows to record lines; runs on a mapping thread, so it only reads this object.
  void MapBatch(CsvBatch& b, const normalize::RowContext& ctx, const ColumnIndex& column,
                const std::string& bag_path) const {
    b.mapped.reserve(b.rows.size());
    const std::string_view bytes = b.bytes;
    for (const CsvBatch::Row& row : b.rows) {
      normalize::FieldGetter get = [&](std::string_view name) -> std::optional<std::string> {
        auto it = column.find(name);
        if (it == column.end() || it->second >= row.field_count) return std::nullopt;
        const auto [begin, size] = b.fields[row.first_field + it->second];
        return std::string(bytes.substr(begin, size));
      };
      normalize::Record rec = normalize::MapSalesforceRow(ctx, get);
      rec.raw_file = bag_path;
      rec.record_index = row.index - 1;
      rec.byte_offset = row.byte_offset;
      rec.byte_length = row.raw_size;
      rec.raw_sha256 = crypto::Sha256Hex(bytes.substr(row.raw_begin, row.raw_size));
      CsvBatch::Mapped m;
      m.timestamp_ms = rec.timestamp_ms;
      m.record_index = rec.record_index;
      m.line = Line(rec);
      b.mapped.push_back(std::move(m));
    }
  }

  // Event log files run to gigabytes: the reader splits the rows into batches, mapping threads
  // turn them into records, and the records are placed on this thread in row order, so the output
  // is the same bytes as if one thread had done it all.
  Status Csv(const Task& t) {
    const normalize::RowContext ctx{source_id, t.stream, t.kind == Task::kBulkCsv ? t.object : "EventLogFile",
                                    t.elf_event_type};
    ColumnIndex column;
    auto batch = std::make_shared<CsvBatch>();
    // Declared after what its jobs point at, so it is gone (its threads joined) before they are.
    normalize::OrderedWorkers mapping(mapping_threads, 2 * static_cast<size_t>(mapping_threads) + 1);
    auto submit = [&]() -> Status {
      if (batch->rows.empty()) return Status::Ok();
      std::shared_ptr<CsvBatch> b = std::move(batch);
      batch = std::make_shared<CsvBatch>();
      return mapping.Submit([this, b, &ctx, &column, &t] { MapBatch(*b, ctx, column, t.bag_path); },
                            [this, b]() -> Status {
                              for (CsvBatch::Mapped& m : b->mapped) {
                                CUSTODY_RETURN_IF_ERROR(Place(m.timestamp_ms, m.record_index, std::move(m.line)));
                              }
                              return Status::Ok();
                            });
    };
    normalize::CsvReader reader([&](const normalize::CsvRow& row) -> Status {
      if (row.index == 0) {
        for (size_t i = 0; i < row.fields.size(); ++i) column.emplace(row.fields[i], i);
        return Status::Ok();
      }
      // An empty line is not a record (the reader hands it over so that every byte is in a row).
      if (row.fields.size() == 1 && row.fields[0].empty()) return Status::Ok();
      batch->Add(row);
      if (batch->rows.size() >= batch_rows || batch->bytes.size() >= kBatchBytes) return submit();
      return Status::Ok();
    });
    std::ifstream in(t.body_path, std::ios::binary);
    std::vector<char> buf(1 << 20);
    Status read = Status::Ok();
    while (in && read) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      std::streamsize n = in.gcount();
      if (n <= 0) break;
      read = reader.Feed({reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<size_t>(n)});
    }
    if (read) read = reader.Finish();
    // The rows before a malformed one are still placed, as they were read.
    Status placed = submit();
    Status finished = mapping.Finish();
    if (!read) return read.error();  // NormalizeNow names the capture
    if (!placed) return placed;
    return finished;
  }
};

class Worker {
 public:
  Worker(const CollectOptions& options, Client& client, const std::set<std::string>& objects, std::string stream)
      : o_(options), client_(client), objects_(objects), stream_(std::move(stream)) {}
  ~Worker() { DrainNormalizer(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  StreamReport report;
  Normalizer normalizer;
  std::vector<LogFileDownload> downloads;
  std::uint64_t skipped_known = 0;

  UtcSeconds Since() const {
    auto it = o_.stream_since.find(stream_);
    return it == o_.stream_since.end() ? o_.since : it->second;
  }
  bool normalize_enabled = true;

  // Hands one capture, on disk, to the stream's normalizing thread, which takes the captures in
  // the order they are handed over: so the connection asks for its next page while the last one
  // is normalized. At most kQueued captures wait (each may hold a page and its parse in memory).
  void Normalize(Task t) {
    if (!normalize_enabled) return;
    std::unique_lock<std::mutex> lock(queue_mu_);
    if (!normalizing_.joinable()) normalizing_ = std::thread([this] { NormalizeLoop(); });
    queue_space_.wait(lock, [this] { return queue_.size() < kQueued; });
    queue_.push_back(std::move(t));
    queue_work_.notify_one();
  }

  // Waits until every capture handed over is normalized (the stream's thread calls it when the
  // stream is done; the normalizer's results are read only after it).
  void DrainNormalizer() {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      draining_ = true;
    }
    queue_work_.notify_all();
    if (normalizing_.joinable()) normalizing_.join();
  }

  bool Stopped() const { return stopped_; }

 private:
  static constexpr size_t kQueued = 1;

  void NormalizeLoop() {
    for (;;) {
      Task t;
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_work_.wait(lock, [this] { return !queue_.empty() || draining_; });
        if (queue_.empty()) return;  // draining, and nothing left
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      queue_space_.notify_one();
      NormalizeNow(t);
    }
  }

  // Normalizes one capture. A capture that does not parse stays in the bundle; the stream says it
  // was not normalized.
  void NormalizeNow(const Task& t) {
    Status s = t.kind == Task::kJsonPage ? normalizer.Page(t) : normalizer.Csv(t);
    ++normalizer.capture_index;
    if (s) return;
    ItemReport bad;
    bad.stream = stream_;
    bad.object = t.object;
    bad.method = "normalize";
    bad.status = "incomplete";
    bad.gaps.push_back(t.bag_path + " could not be normalized: " + s.error().message());
    normalize_failures_.push_back(bad);
  }

  std::mutex queue_mu_;
  std::condition_variable queue_work_, queue_space_;
  std::deque<Task> queue_;
  bool draining_ = false;
  std::thread normalizing_;

 public:

  Describe DescribeObject(const std::string& object) {
    Describe d;
    Call call;
    call.request.url = o_.auth.instance_url + "/services/data/v" + o_.api_version + "/sobjects/" + object + "/describe";
    call.request.headers = {{"Accept", "application/json"}};
    call.purpose = {o_.source, stream_, object, "describe", "", 0, 1};
    call.dir = "raw/" + o_.source + "/" + stream_ + "/" + object;
    call.name = "describe.json";
    call.validate = [](const capture::CaptureFile& f) -> std::optional<std::string> {
      rapidjson::Document doc;
      std::string body = ReadWhole(f.path().string());
      doc.Parse(body.data(), body.size());
      if (doc.HasParseError() || !doc.IsObject()) return "describe body is not a JSON object";
      return std::nullopt;
    };
    CallResult r = client_.Execute(call);
    if (!r.ok) {
      Halt(r);
      return d;
    }
    if (r.status != 200) return d;
    rapidjson::Document doc;
    std::string body = ReadWhole(r.body_path);
    doc.Parse(body.data(), body.size());
    auto fields = doc.FindMember("fields");
    if (fields == doc.MemberEnd() || !fields->value.IsArray()) return d;
    for (const auto& f : fields->value.GetArray()) {
      std::string type = Str(f, "type");
      if (type == "base64" || type == "address" || type == "location") continue;
      std::string name = Str(f, "name");
      if (!name.empty()) d.fields.push_back(name);
    }
    d.ok = !d.fields.empty();
    return d;
  }

  // Runs a SOQL query to the last page. Pages are captured as they come; the item says what the
  // server claimed (totalSize) against what arrived.
  // A query ordered by (time field, Id) ascending can continue where it stopped with a new query
  // when its locator expires: the rest of the window after the last record received.
  struct Resumable {
    std::string time_field;  // empty: not resumable
    std::string select_from;  // "SELECT ... FROM X"
    std::string where;        // the window
    std::string order;        // "CreatedDate ASC, Id ASC"
  };

  ItemReport RunQuery(const std::string& object, const std::string& soql, bool all, const std::string& dir,
                      std::vector<std::string>* page_paths, bool normalize, bool bulk_allowed = false,
                      const Resumable& resumable = {}) {
    ItemReport item;
    item.stream = stream_;
    item.object = object;
    item.method = all ? "rest-queryAll" : "rest-query";
    item.soql = soql;
    item.unit = "records";
    std::string url = o_.auth.instance_url + "/services/data/v" + o_.api_version + (all ? "/queryAll" : "/query") +
                      "?q=" + http::UrlEncode(soql);
    std::uint64_t page = 0;
    const auto started = std::chrono::steady_clock::now();
    std::string current_soql = soql;
    std::string last_page_path;
    std::uint64_t segment_start = 0;  // records received before the current query started
    for (;;) {
      ++page;
      struct PageFacts {
        std::int64_t total = -1;
        std::uint64_t records = 0;
        bool done = true;
        std::string next;
        std::string text;  // the page as validated, handed on to normalization (no second read)
        std::shared_ptr<normalize::ParsedElements> parsed;  // and its one parse
      } facts;
      Call call;
      call.request.url = url;
      call.request.headers = {{"Accept", "application/json"},
                              {"Sforce-Query-Options", "batchSize=" + std::to_string(o_.batch_size)}};
      call.purpose = {o_.source, stream_, object, "query-page", current_soql, page, 1};
      call.dir = dir;
      call.name = "page-" + Pad(page) + ".json";
      call.validate = [&facts](const capture::CaptureFile& f) -> std::optional<std::string> {
        // The page's one parse: checked here, and its DOM and record ranges handed on to
        // normalization with the text. Numbers are kept as their text (the records need that),
        // so totalSize is read from its digits.
        std::string body = ReadWhole(f.path().string());
        auto parsed = std::make_shared<normalize::ParsedElements>();
        const rapidjson::Value& doc = parsed->doc;
        if (!normalize::ParseQueryPage(body, *parsed) || !doc.IsObject()) {
          return "the page is not a JSON object (" + std::to_string(body.size()) + " bytes)";
        }
        auto total = doc.FindMember("totalSize");
        auto done = doc.FindMember("done");
        auto records = doc.FindMember("records");
        std::optional<std::int64_t> total_value;
        if (total != doc.MemberEnd() && total->value.IsString()) total_value = IntegerText(total->value);
        if (!total_value || done == doc.MemberEnd() || !done->value.IsBool() || records == doc.MemberEnd() ||
            !records->value.IsArray()) {
          return "the page lacks totalSize, done or records";
        }
        facts.total = *total_value;
        facts.done = done->value.GetBool();
        facts.records = records->value.Size();
        auto next = doc.FindMember("nextRecordsUrl");
        facts.next = next != doc.MemberEnd() && next->value.IsString() ? next->value.GetString() : "";
        if (!facts.done && facts.next.empty()) return "done is false but there is no nextRecordsUrl";
        facts.text = std::move(body);
        facts.parsed = std::move(parsed);
        return std::nullopt;
      };
      CallResult r = client_.Execute(call);
      if (!r.ok) {
        item.gaps.push_back("page " + std::to_string(page) + ": " + r.error);
        Halt(r);
        break;
      }
      if (r.status != 200) {
        std::string answer = std::to_string(r.status) + " " + r.error_code + ": " + r.error_message;
        if (page == 1 && r.status == 400 && r.error_code == "INVALID_TYPE") {
          item.status = "unavailable";
          item.server_answer = r.error_code + ": " + r.error_message;
          return item;
        }
        if (r.status == 400 && r.error_code == "INVALID_QUERY_LOCATOR" && !resumable.time_field.empty() &&
            !last_page_path.empty()) {
          if (auto next = ResumeQuery(resumable, last_page_path)) {
            item.notes.push_back("page " + std::to_string(page) + " answered " + answer +
                                 "; resumed with a new query after the last record received: " + *next);
            current_soql = *next;
            segment_start = item.received;
            url = o_.auth.instance_url + "/services/data/v" + o_.api_version + (all ? "/queryAll" : "/query") +
                  "?q=" + http::UrlEncode(current_soql);
            continue;
          }
        }
        item.gaps.push_back("page " + std::to_string(page) + " answered " + answer);
        break;
      }
      item.pages = page;
      if (page == 1) {
        item.expected = static_cast<std::uint64_t>(std::max<std::int64_t>(facts.total, 0));
        item.expected_from = "totalSize";
      } else if (current_soql != soql) {
        // A resumed query counts what is left: together they must make the first totalSize.
        if (item.expected && segment_start + static_cast<std::uint64_t>(std::max<std::int64_t>(facts.total, 0)) !=
                                 *item.expected &&
            item.received == segment_start) {
          item.gaps.push_back("the resumed query has " + std::to_string(facts.total) + " records, " +
                              std::to_string(*item.expected - std::min(*item.expected, segment_start)) +
                              " were missing");
        }
      } else if (item.expected && static_cast<std::int64_t>(*item.expected) != facts.total) {
        item.gaps.push_back("totalSize changed from " + std::to_string(*item.expected) + " to " +
                            std::to_string(facts.total) + " on page " + std::to_string(page));
      }
      if (page == 1 && bulk_allowed && o_.bulk_threshold > 0 && facts.total > 0 &&
          static_cast<std::uint64_t>(facts.total) > o_.bulk_threshold && !facts.done) {
        // Thousands of REST pages would each cost an API call and risk QUERY_TIMEOUT: the same
        // query goes to Bulk API 2.0. The first page stays in the bundle as what REST said.
        return RunBulk(object, soql, all, dir, static_cast<std::uint64_t>(facts.total), normalize);
      }
      item.received += facts.records;
      if (facts.records > 0) last_page_path = r.body_path;
      if (page_paths != nullptr) page_paths->push_back(r.body_path);
      if (normalize) {
        Normalize({Task::kJsonPage, stream_, object, "", r.body_path, r.bag_path, std::move(facts.text),
                   std::move(facts.parsed)});
      }
      if (o_.progress) {
        o_.progress(stream_, object + " page " + std::to_string(page) + ": " + std::to_string(item.received) + "/" +
                                 std::to_string(item.expected.value_or(0)) + " records" +
                                 Eta(started, item.received, item.expected.value_or(0)));
      }
      if (facts.done) break;
      // nextRecordsUrl is opaque: used exactly as given, relative to the instance.
      url = o_.auth.instance_url + facts.next;
    }
    bool counts_match = item.expected && item.received == *item.expected;
    if (item.gaps.empty() && !counts_match) {
      item.gaps.push_back("received " + std::to_string(item.received) + " records, totalSize said " +
                          std::to_string(item.expected.value_or(0)));
    }
    item.status = item.gaps.empty() ? "complete" : "incomplete";
    return item;
  }

  // The query for the rest of the window after the last record of the last page:
  // (T > t OR (T = t AND Id > 'id')). nullopt when that record cannot be read.
  std::optional<std::string> ResumeQuery(const Resumable& q, const std::string& last_page_path) {
    std::string body = ReadWhole(last_page_path);
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("records") || !doc["records"].IsArray() ||
        doc["records"].Empty()) {
      return std::nullopt;
    }
    const rapidjson::Value& last = doc["records"][doc["records"].Size() - 1];
    std::string id = Str(last, "Id");
    auto ms = normalize::ParseIsoDateTime(Str(last, q.time_field.c_str()));
    if (id.empty() || !ms || id.find('\'') != std::string::npos) return std::nullopt;
    std::string t = normalize::FormatUtcMillis(*ms);
    return q.select_from + " WHERE " + q.where + " AND (" + q.time_field + " > " + t + " OR (" + q.time_field +
           " = " + t + " AND Id > '" + id + "')) ORDER BY " + q.order;
  }

  // Bulk API 2.0 query job: create, wait for JobComplete, fetch the CSV results chunk by chunk
  // by Sforce-Locator. Each chunk's rows are counted against its Sforce-NumberOfRecords, and all
  // of them against the REST totalSize that triggered the switch.
  ItemReport RunBulk(const std::string& object, const std::string& soql, bool all, const std::string& dir,
                     std::uint64_t rest_total, bool normalize) {
    ItemReport item;
    item.stream = stream_;
    item.object = object;
    item.method = "bulk-2.0";
    item.soql = soql;
    item.unit = "records";
    item.expected = rest_total;
    item.expected_from = "totalSize";
    const std::string jobs = o_.auth.instance_url + "/services/data/v" + o_.api_version + "/jobs/query";
    auto json_ok = [](const capture::CaptureFile& f) -> std::optional<std::string> {
      rapidjson::Document doc;
      std::string body = ReadWhole(f.path().string());
      doc.Parse(body.data(), body.size());
      if (doc.HasParseError() || !doc.IsObject()) return "the job answer is not a JSON object";
      return std::nullopt;
    };
    Call create;
    create.request.method = "POST";
    create.request.url = jobs;
    create.request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    {
      rapidjson::StringBuffer b;
      rapidjson::Writer<rapidjson::StringBuffer> w(b);
      w.StartObject();
      w.Key("operation");
      w.String(all ? "queryAll" : "query");
      w.Key("query");
      w.String(soql.c_str());
      w.Key("contentType");
      w.String("CSV");
      w.Key("columnDelimiter");
      w.String("COMMA");
      w.Key("lineEnding");
      w.String("LF");
      w.EndObject();
      create.request.body = b.GetString();
    }
    create.purpose = {o_.source, stream_, object, "bulk-job", soql, 0, 1};
    create.dir = dir + "/bulk";
    create.name = "job.json";
    create.validate = json_ok;
    CallResult c = client_.Execute(create);
    if (!c.ok || c.status >= 300) {
      item.gaps.push_back("Bulk API job creation: " + (c.ok ? std::to_string(c.status) + " " + c.error_code + ": " +
                                                                 c.error_message
                                                           : c.error));
      Halt(c);
      item.status = "incomplete";
      return item;
    }
    std::string job_id;
    {
      rapidjson::Document doc;
      std::string body = ReadWhole(c.body_path);
      doc.Parse(body.data(), body.size());
      job_id = Str(doc, "id");
    }
    // Poll the job's state with a growing delay (each poll is an API call).
    std::string state;
    for (std::uint64_t poll = 1; poll <= 200 && !stopped_; ++poll) {
      Call status;
      status.request.url = jobs + "/" + job_id;
      status.request.headers = {{"Accept", "application/json"}};
      status.purpose = {o_.source, stream_, object, "bulk-job-status", "", poll, 1};
      status.dir = dir + "/bulk";
      status.name = "job-status-" + Pad(poll) + ".json";
      status.validate = json_ok;
      CallResult s = client_.Execute(status);
      if (!s.ok || s.status != 200) {
        item.gaps.push_back("Bulk API job " + job_id + " status: " +
                            (s.ok ? std::to_string(s.status) + " " + s.error_code : s.error));
        Halt(s);
        break;
      }
      rapidjson::Document doc;
      std::string body = ReadWhole(s.body_path);
      doc.Parse(body.data(), body.size());
      state = Str(doc, "state");
      if (state == "JobComplete" || state == "Failed" || state == "Aborted") break;
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(o_.retry.base * poll, std::chrono::seconds(5)));
    }
    if (state != "JobComplete") {
      if (item.gaps.empty()) item.gaps.push_back("Bulk API job " + job_id + " ended in state '" + state + "'");
      item.status = "incomplete";
      return item;
    }
    std::string locator;
    for (std::uint64_t chunk = 1; !stopped_; ++chunk) {
      Call results;
      results.request.url = jobs + "/" + job_id + "/results?maxRecords=" + std::to_string(o_.bulk_chunk_records) +
                            (locator.empty() ? "" : "&locator=" + http::UrlEncode(locator));
      results.request.headers = {{"Accept", "text/csv"}};
      results.purpose = {o_.source, stream_, object, "bulk-results", soql, chunk, 1};
      results.dir = dir + "/bulk";
      results.name = "results-" + Pad(chunk) + ".csv";
      std::uint64_t rows = 0;
      results.validate = [&rows](const capture::CaptureFile& f) -> std::optional<std::string> {
        auto declared = http::FindHeader(f.head().headers, "Sforce-NumberOfRecords");
        std::uint64_t n = 0;
        normalize::CsvReader reader([&n](const normalize::CsvRow& row) -> Status {
          if (!(row.fields.size() == 1 && row.fields[0].empty())) ++n;
          return Status::Ok();
        });
        std::ifstream in(f.path(), std::ios::binary);
        std::vector<char> buf(1 << 20);
        while (in) {
          in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
          if (in.gcount() <= 0) break;
          if (!reader.Feed({reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<size_t>(in.gcount())})) {
            return "the results are not valid CSV";
          }
        }
        if (!reader.Finish()) return "the results are not valid CSV";
        rows = n > 0 ? n - 1 : 0;  // the header
        if (declared && *declared != std::to_string(rows)) {
          return std::to_string(rows) + " rows received, Sforce-NumberOfRecords says " + *declared;
        }
        return std::nullopt;
      };
      CallResult r = client_.Execute(results);
      if (!r.ok || r.status != 200) {
        item.gaps.push_back("Bulk API results chunk " + std::to_string(chunk) + ": " +
                            (r.ok ? std::to_string(r.status) + " " + r.error_code + ": " + r.error_message : r.error));
        Halt(r);
        break;
      }
      item.pages = chunk;
      item.received += rows;
      if (normalize) Normalize({Task::kBulkCsv, stream_, object, "", r.body_path, r.bag_path, "", nullptr});
      if (o_.progress) {
        o_.progress(stream_, object + " (Bulk API) chunk " + std::to_string(chunk) + ": " +
                                 std::to_string(item.received) + "/" + std::to_string(rest_total) + " records");
      }
      // Sforce-Locator is opaque; the string "null" ends the results.
      locator = http::FindHeader(r.headers, "Sforce-Locator").value_or("null");
      if (locator == "null" || locator.empty()) break;
    }
    if (item.gaps.empty() && item.received != rest_total) {
      item.gaps.push_back("received " + std::to_string(item.received) + " records by Bulk API, totalSize said " +
                          std::to_string(rest_total));
    }
    item.status = item.gaps.empty() ? "complete" : "incomplete";
    return item;
  }

  // SELECT <every described field> FROM object WHERE <time> in the window.
  // An object or log not asked for because the collection had stopped: listed, never left out.
  void NotCollected(const std::string& object) {
    ItemReport item;
    item.stream = stream_;
    item.object = object;
    item.status = "incomplete";
    item.gaps.push_back("not collected: the collection stopped (" + halt_reason_ + ")");
    report.items.push_back(item);
  }

  void CollectObject(const std::string& object, const std::string& time_field, const std::string& order, bool all) {
    if (stopped_) return NotCollected(object);
    std::string dir = "raw/" + o_.source + "/" + stream_ + "/" + object;
    if (objects_.count(object) == 0) {
      // Not in describeGlobal: ask anyway, so the bundle holds the server's own answer.
      std::string soql = "SELECT Id FROM " + object;
      if (!time_field.empty()) {
        soql += " WHERE " + time_field + " >= " + Soql(Since()) + " AND " + time_field + " < " + Soql(o_.until);
      }
      ItemReport item = RunQuery(object, soql, all, dir, nullptr, false);
      if (item.status != "unavailable") {
        item.status = "unavailable";
        item.server_answer = "not listed by describeGlobal (" + item.server_answer + ")";
      }
      report.items.push_back(item);
      return;
    }
    Describe d = DescribeObject(object);
    if (stopped_) {
      ItemReport item;
      item.stream = stream_;
      item.object = object;
      item.status = "incomplete";
      item.gaps.push_back("stopped before the query: " + halt_reason_);
      report.items.push_back(item);
      return;
    }
    std::string select = d.ok ? "" : (time_field.empty() ? "Id" : "Id, " + time_field);
    for (const auto& f : d.fields) select += (select.empty() ? "" : ", ") + f;
    Resumable resumable;
    resumable.select_from = "SELECT " + select + " FROM " + object;
    std::string soql = resumable.select_from;
    if (!time_field.empty()) {
      resumable.where = time_field + " >= " + Soql(Since()) + " AND " + time_field + " < " + Soql(o_.until);
      soql += " WHERE " + resumable.where;
    }
    if (!order.empty()) soql += " ORDER BY " + order;
    if (!time_field.empty() && order == time_field + " ASC, Id ASC") {
      resumable.time_field = time_field;
      resumable.order = order;
    }
    report.items.push_back(RunQuery(object, soql, all, dir, nullptr, true, IsBulkable(object), resumable));
  }

  void CollectLogFiles(const std::vector<std::string>& include, bool exclude_logins) {
    if (stopped_) return NotCollected("EventLogFile (listing)");
    const std::string object = "EventLogFile";
    std::string base = "raw/" + o_.source + "/" + stream_ + "/EventLogFile";
    Describe d = DescribeObject(object);
    std::set<std::string> have(d.fields.begin(), d.fields.end());
    std::string select = "Id, EventType, LogDate, CreatedDate, LogFileLength";
    for (const char* f : {"LogFileContentType", "LogFileFieldNames", "LogFileFieldTypes", "ApiVersion", "Interval",
                          "Sequence"}) {
      if (have.count(f)) select += std::string(", ") + f;
    }
    std::string types;
    for (const auto& t : exclude_logins ? kLoginLogTypes : include) types += (types.empty() ? "'" : ", '") + t + "'";
    // Files whose events fall in the window: LogDate is the start of the file's day (or hour).
    const UtcSeconds listing_since = o_.log_file_since.value_or(Since());
    std::string soql = "SELECT " + select + " FROM EventLogFile WHERE LogDate >= " + FloorDay(listing_since) +
                       " AND LogDate < " + Soql(o_.until) + " AND EventType " + (exclude_logins ? "NOT IN (" : "IN (") +
                       types + ") ORDER BY CreatedDate ASC, Id ASC";
    std::vector<std::string> pages;
    ItemReport listing = RunQuery(object, soql, false, base + "/listing", &pages, false);
    listing.object = "EventLogFile (listing)";
    if (listing.status == "unavailable") {
      report.items.push_back(listing);
      return;
    }
    // Salesforce writes a day's file during the following day (research §4.1): for the last days
    // of a window that reaches the present, the files may simply not exist yet. The server's own
    // clock (Date headers) decides what "the present" is.
    {
      const auto clock = client_.shared().clock();
      const auto server_now = std::chrono::floor<std::chrono::seconds>(
          std::chrono::system_clock::now() + std::chrono::milliseconds(clock.samples > 0 ? clock.min_skew_ms : 0));
      const UtcSeconds first_pending = std::chrono::floor<std::chrono::days>(server_now) - std::chrono::days(1);
      if (o_.until > first_pending) {
        const UtcSeconds from = std::max<UtcSeconds>(std::chrono::floor<std::chrono::days>(listing_since), first_pending);
        const UtcSeconds to = std::chrono::floor<std::chrono::days>(o_.until - std::chrono::seconds(1));
        listing.notes.push_back("daily event log files for " + FormatDate(from) +
                                (from == to ? "" : " to " + FormatDate(to)) +
                                " may not exist yet: Salesforce writes a day's file during the following day; "
                                "collect this window again later to complete them");
      }
    }
    std::vector<LogFileEntry> entries;
    for (const auto& p : pages) {
      std::string body = ReadWhole(p);
      rapidjson::Document doc;
      doc.Parse(body.data(), body.size());
      for (const auto& rec : doc["records"].GetArray()) {
        LogFileEntry e;
        e.id = Str(rec, "Id");
        e.event_type = Str(rec, "EventType");
        e.log_date = Str(rec, "LogDate");
        e.created_date = Str(rec, "CreatedDate");
        e.interval = Str(rec, "Interval");
        e.sequence = Str(rec, "Sequence");
        auto len = rec.FindMember("LogFileLength");
        if (len != rec.MemberEnd() && len->value.IsNumber()) {
          e.length = static_cast<std::uint64_t>(len->value.GetDouble());
        }
        entries.push_back(e);
      }
    }
    report.items.push_back(listing);
    std::set<std::string> daily;
    for (const LogFileEntry& e : entries) {
      if (e.interval != "Hourly") daily.insert(e.event_type + "|" + e.log_date.substr(0, 10));
    }
    // One item per event type, in first-listed order; bytes received against LogFileLength.
    std::map<std::string, size_t> item_of;
    std::vector<std::string> skipped;
    for (const LogFileEntry& e : entries) {
      if (exclude_logins && ExportLogTypes().count(e.event_type) == 0) {
        if (std::find(skipped.begin(), skipped.end(), e.event_type) == skipped.end()) skipped.push_back(e.event_type);
        continue;
      }
      if (item_of.count(e.event_type) == 0) {
        ItemReport item;
        item.stream = stream_;
        item.object = "EventLogFile:" + e.event_type;
        item.method = "log-file";
        item.unit = "bytes";
        item.expected = 0;
        item.expected_from = "LogFileLength";
        item_of[e.event_type] = report.items.size();
        report.items.push_back(item);
      }
      ItemReport& item = report.items[item_of[e.event_type]];
      if (auto known = o_.known_log_files.find(e.id);
          known != o_.known_log_files.end() && known->second == e.created_date) {
        ++skipped_known;
        continue;
      }
      if (stopped_) {
        item.gaps.push_back("file " + e.id + " not downloaded: " + halt_reason_);
        continue;
      }
      if (e.length) *item.expected += *e.length;
      std::string name = Safe(e.log_date.substr(0, 10)) + (e.interval == "Hourly" ? "T" + Safe(e.log_date.substr(11, 2)) : "") +
                         "_" + Safe(e.id) + "_" + CompactSfTime(e.created_date) + ".csv";
      Call call;
      call.request.url = o_.auth.instance_url + "/services/data/v" + o_.api_version + "/sobjects/EventLogFile/" +
                         e.id + "/LogFile";
      call.purpose = {o_.source, stream_, "EventLogFile:" + e.event_type, "log-file", "", 0, 1};
      call.dir = base + "/" + Safe(e.event_type);
      call.name = name;
      std::optional<std::uint64_t> want = e.length;
      call.validate = [want](const capture::CaptureFile& f) -> std::optional<std::string> {
        if (want && f.bytes() != *want) {
          return std::to_string(f.bytes()) + " bytes received, LogFileLength says " + std::to_string(*want);
        }
        return std::nullopt;
      };
      CallResult r = client_.Execute(call);
      ++item.pages;
      if (!r.ok) {
        item.gaps.push_back("file " + e.id + ": " + r.error);
        Halt(r);
        continue;
      }
      if (r.status != 200) {
        item.gaps.push_back("file " + e.id + " answered " + std::to_string(r.status) + " " + r.error_code + ": " +
                            r.error_message);
        continue;
      }
      item.received += r.bytes;
      if (r.bytes == e.length.value_or(r.bytes)) {
        downloads.push_back({stream_, e.id, e.event_type, e.log_date, e.interval, e.sequence, e.created_date,
                             r.bag_path, r.sha256, r.bytes});
      }
      // On hourly orgs a day has a daily file and hourly files with the same events; the daily
      // file is the complete one (research §4.1), so the hourly files of a day that has a daily
      // file are kept as evidence but not normalized twice.
      if (!(e.interval == "Hourly" && daily.count(e.event_type + "|" + e.log_date.substr(0, 10)))) {
        Normalize({Task::kCsvFile, stream_, "EventLogFile", e.event_type, r.body_path, r.bag_path, "", nullptr});
      }
      if (o_.progress) o_.progress(stream_, "EventLogFile " + e.event_type + " " + e.id + ": " + std::to_string(r.bytes) + " bytes");
    }
    for (auto& [type, index] : item_of) {
      ItemReport& item = report.items[index];
      item.status = item.gaps.empty() && item.received == item.expected.value_or(0) ? "complete" : "incomplete";
    }
    if (skipped_known > 0) {
      for (auto& [type, index] : item_of) {
        (void)type;
        report.items[index].notes.push_back("files sealed in an earlier bundle of the series are listed, not "
                                            "downloaded again");
        break;
      }
    }
    if (!skipped.empty()) {
      ItemReport note;
      note.stream = stream_;
      note.object = "EventLogFile (listed, not downloaded)";
      note.method = "log-file";
      note.status = "complete";
      for (const auto& t : skipped) note.server_answer += (note.server_answer.empty() ? "" : ", ") + t;
      note.gaps = {};
      report.items.push_back(note);
    }
  }

  std::size_t object_items = 0;  // report.items before the normalization failures

  void Finish() {
    report.name = stream_;
    object_items = report.items.size();
    for (auto& bad : normalize_failures_) report.items.push_back(std::move(bad));
    normalize_failures_.clear();
    report.records = normalizer.records;
    bool complete = !stopped_;
    for (const auto& item : report.items) {
      if (item.status == "incomplete") complete = false;
    }
    report.status = complete ? "complete" : "incomplete";
  }

 private:
  void Halt(const CallResult& r) {
    if (r.stop == SourceStop::kNone || r.stop == SourceStop::kFailed) return;
    stopped_ = true;
    halt_reason_ = r.error;
  }

  const CollectOptions& o_;
  Client& client_;
  const std::set<std::string>& objects_;
  std::string stream_;
  bool stopped_ = false;
  std::string halt_reason_;
  std::vector<ItemReport> normalize_failures_;
};

bool IsHistoryObject(const std::string& name) {
  if (name == "LoginHistory") return false;
  return name.size() > 7 && name.compare(name.size() - 7, 7, "History") == 0;
}

}  // namespace

Result<CollectReport> CollectSalesforce(const CollectOptions& o, const Clock& clock, auth::Redactor& redactor) {
  CollectReport report;
  report.instance_url = o.auth.instance_url;
  report.api_version = o.api_version;
  CUSTODY_RETURN_IF_ERROR(http::CheckUrlPolicy(o.auth.instance_url));
  if (!o.auth.login_url.empty()) CUSTODY_RETURN_IF_ERROR(http::CheckUrlPolicy(o.auth.login_url));
  auto secrets = auth::LoadSalesforceSecrets(o.auth, o.env ? o.env : auth::ProcessEnvironment());
  if (!secrets) return secrets.error();
  auto tokens = auth::MakeSalesforceTokenProvider(o.auth, std::move(*secrets), clock, &redactor);
  if (!tokens) return tokens.error();
  SharedState shared(o.budget_reserve);
  auto make_client = [&](std::uint64_t seed) -> Result<std::unique_ptr<Client>> {
    auto transport = http::MakeCurlTransport(o.transport);
    if (!transport) return transport.error();
    return std::make_unique<Client>(std::move(*transport), **tokens, shared, redactor, o.payload_root, o.retry,
                                    o.cancel, seed);
  };
  auto main_client = make_client(1);
  if (!main_client) return main_client.error();
  Client& discovery = **main_client;
  // The first token: a refused grant stops here, before anything is collected.
  if (Status s = discovery.Authenticate(); !s) return s.error();

  // Who we are (the collector's own identity, evidence of who collected) and what the org has.
  std::set<std::string> objects;
  {
    Call call;
    call.request.url = o.auth.instance_url + "/services/oauth2/userinfo";
    call.request.headers = {{"Accept", "application/json"}};
    call.purpose = {o.source, "discovery", "userinfo", "userinfo", "", 0, 1};
    call.dir = "raw/" + o.source + "/discovery";
    call.name = "userinfo.json";
    CallResult r = discovery.Execute(call);
    if (r.ok && r.status == 200) {
      rapidjson::Document doc;
      std::string body = ReadWhole(r.body_path);
      doc.Parse(body.data(), body.size());
      if (!doc.HasParseError() && doc.IsObject()) {
        report.org_id = Str(doc, "organization_id");
        report.user_id = Str(doc, "user_id");
        report.username = Str(doc, "preferred_username");
      }
    }
    Call global;
    global.request.url = o.auth.instance_url + "/services/data/v" + o.api_version + "/sobjects/";
    global.request.headers = {{"Accept", "application/json"}};
    global.purpose = {o.source, "discovery", "describeGlobal", "describe-global", "", 0, 1};
    global.dir = "raw/" + o.source + "/discovery";
    global.name = "sobjects.json";
    global.validate = [](const capture::CaptureFile& f) -> std::optional<std::string> {
      rapidjson::Document doc;
      std::string body = ReadWhole(f.path().string());
      doc.Parse(body.data(), body.size());
      if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("sobjects") || !doc["sobjects"].IsArray()) {
        return "describeGlobal body has no sobjects array";
      }
      return std::nullopt;
    };
    CallResult g = discovery.Execute(global);
    if (!g.ok || g.status != 200) {
      // Nothing but discovery was asked: there is no evidence to seal, only an error to report.
      std::string why = g.ok ? std::to_string(g.status) + " " + g.error_code + ": " + g.error_message : g.error;
      ErrorCode code = g.stop == SourceStop::kAuth || g.status == 401 ? ErrorCode::kAuth
                       : g.stop == SourceStop::kInterrupted            ? ErrorCode::kCancelled
                       : g.ok                                          ? ErrorCode::kRemote
                                                                       : ErrorCode::kNetwork;
      return Error(code, "describeGlobal (GET " + global.request.url + "): " + why);
    } else {
      rapidjson::Document doc;
      std::string body = ReadWhole(g.body_path);
      doc.Parse(body.data(), body.size());
      for (const auto& so : doc["sobjects"].GetArray()) {
        auto q = so.FindMember("queryable");
        if (q != so.MemberEnd() && q->value.IsBool() && !q->value.GetBool()) continue;
        objects.insert(Str(so, "name"));
      }
    }
  }

  auto wants = [&o](const char* s) { return std::find(o.streams.begin(), o.streams.end(), s) != o.streams.end(); };
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::function<void(Worker&)>> jobs;
  std::vector<std::string> names;  // the stream of each job
  std::vector<std::string> history;
  for (const std::string& name : objects) {
    if (IsHistoryObject(name)) history.push_back(name);
  }
  history.push_back("FieldHistoryArchive");
  const bool discovered = shared.stop() == SourceStop::kNone;
  if (wants(kStreamFieldHistory)) {
    // History objects are the bulk of most collections: they are shared round-robin between
    // kHistoryConnections workers, each on its own connection. Every object yields exactly one
    // item, so the stream's report is those items interleaved back in object order.
    for (std::size_t k = 0; k < kHistoryConnections; ++k) {
      jobs.push_back([&history, discovered, k](Worker& w) {
        if (!discovered) return;
        for (std::size_t j = k; j < history.size(); j += kHistoryConnections) {
          // Field Audit Trail's archive is a big object: only its index (FieldHistoryType,
          // ParentId, CreatedDate) can be filtered, in that order, so it is read whole.
          if (history[j] == "FieldHistoryArchive") {
            w.CollectObject(history[j], "", "", false);
          } else {
            w.CollectObject(history[j], "CreatedDate", "CreatedDate ASC, Id ASC", true);
          }
        }
      });
      names.push_back(kStreamFieldHistory);
    }
  }
  if (wants(kStreamLogins)) {
    names.push_back(kStreamLogins);
    jobs.push_back([discovered](Worker& w) {
      if (!discovered) return;
      w.CollectObject("LoginHistory", "LoginTime", "LoginTime ASC, Id ASC", false);
      for (const auto& e : kLoginEvents) w.CollectObject(e, "EventDate", "EventDate DESC", false);
      w.CollectLogFiles(kLoginLogTypes, false);
    });
  }
  if (wants(kStreamExports)) {
    names.push_back(kStreamExports);
    jobs.push_back([discovered](Worker& w) {
      if (!discovered) return;
      w.CollectLogFiles({}, true);
      w.CollectObject("SetupAuditTrail", "CreatedDate", "CreatedDate ASC, Id ASC", false);
      for (const auto& e : kExportEvents) w.CollectObject(e, "EventDate", "EventDate DESC", false);
    });
  }
  // Records are normalized as each stream's captures land (by the stream's normalizing thread,
  // in capture order): into one timeline
  // (32 MiB of lines in memory at most, the rest in sorted runs on disk, so peak memory stays well
  // under 128 MiB however many records there are) and per-stream untimed files.
  const std::string source_id = report.org_id.empty() ? "salesforce:" + http::Origin(o.auth.instance_url)
                                                      : "salesforce:" + report.org_id;
  std::unique_ptr<normalize::TimelineWriter> own_timeline;
  normalize::TimelineWriter* timeline = o.shared_timeline;
  if (timeline == nullptr) {
    auto made = normalize::TimelineWriter::Create(o.work_dir / "timeline-runs", 32u << 20);
    if (!made) return made.error();
    own_timeline = std::move(*made);
    timeline = own_timeline.get();
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    auto c = make_client(i + 2);
    if (!c) return c.error();
    clients.push_back(std::move(*c));
    workers.push_back(std::make_unique<Worker>(o, *clients.back(), objects, names[i]));
    Normalizer& n = workers.back()->normalizer;
    n.source_id = source_id;
    n.timeline = timeline;
    n.source_index = o.source_index;
    n.clock_correction_ms = o.clock_correction_ms;
    n.stream_index = i;
    n.mapping_threads = o.csv_mapping_threads;
    n.batch_rows = std::max<size_t>(1, o.csv_batch_rows);
    const std::filesystem::path untimed = o.work_dir / ("untimed-" + std::to_string(i) + ".jsonl");
    n.untimed_out.open(untimed, std::ios::binary | std::ios::trunc);
    if (!n.untimed_out) return Error(ErrorCode::kIo, "create " + untimed.string());
  }
  // Each stream writes only under its own folder with names fixed by the query and page number,
  // and its records carry order keys, so the bundle's bytes do not depend on which thread ran first.
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) {
    threads.emplace_back([&, i] {
      jobs[i](*workers[i]);
      workers[i]->DrainNormalizer();
    });
  }
  for (auto& t : threads) t.join();
  report.requests = discovery.requests();
  for (auto& c : clients) report.requests += c->requests();

  std::filesystem::path normalized_dir = o.payload_root / "normalized";
  std::error_code ec;
  if (own_timeline) {
    std::filesystem::create_directories(normalized_dir, ec);
    if (ec) return Error(ErrorCode::kIo, "create " + normalized_dir.string() + ": " + ec.message());
  }
  // Untimed records: each stream's file, in stream order.
  const std::filesystem::path untimed_path = own_timeline ? normalized_dir / "untimed.jsonl" : o.untimed_path;
  std::ofstream out(untimed_path, std::ios::binary);
  if (!out) return Error(ErrorCode::kIo, "create " + untimed_path.string());
  for (size_t i = 0; i < workers.size(); ++i) {
    Worker& w = *workers[i];
    w.normalizer.untimed_out.close();
    if (!w.normalizer.untimed_out) return Error(ErrorCode::kIo, "write the untimed records of " + names[i]);
    std::ifstream in(o.work_dir / ("untimed-" + std::to_string(i) + ".jsonl"), std::ios::binary);
    // (Inserting an empty streambuf would set failbit on out.)
    if (in.peek() != std::ifstream::traits_type::eof()) out << in.rdbuf();
    w.Finish();
    report.normalized_records += w.normalizer.records;
    report.untimed_records += w.normalizer.untimed;
    for (auto& d : w.downloads) report.log_files.push_back(std::move(d));
    report.log_files_skipped += w.skipped_known;
  }
  // One report per stream. The history workers' items go back into object order (worker j % K
  // holds object j as its (j / K)-th item); normalization failures follow.
  for (size_t i = 0; i < workers.size();) {
    size_t end = i;
    while (end < workers.size() && names[end] == names[i]) ++end;
    StreamReport merged;
    merged.name = names[i];
    merged.status = "complete";
    const size_t lanes = end - i;
    for (size_t round = 0;; ++round) {
      bool any = false;
      for (size_t lane = 0; lane < lanes; ++lane) {
        const Worker& w = *workers[i + lane];
        if (round < w.object_items) {
          merged.items.push_back(w.report.items[round]);
          any = true;
        }
      }
      if (!any) break;
    }
    for (size_t k = i; k < end; ++k) {
      Worker& w = *workers[k];
      for (size_t at = w.object_items; at < w.report.items.size(); ++at) merged.items.push_back(w.report.items[at]);
      merged.records += w.report.records;
      if (w.report.status != "complete") merged.status = "incomplete";
    }
    report.streams.push_back(std::move(merged));
    i = end;
  }
  out.close();
  if (!out) return Error(ErrorCode::kIo, "write " + untimed_path.string());
  if (own_timeline) CUSTODY_RETURN_IF_ERROR(own_timeline->Finish(normalized_dir / "timeline.jsonl"));
  if (o.cancel != nullptr && o.cancel->load()) shared.Stop(SourceStop::kInterrupted, "interrupted by a signal");

  report.grants = (*tokens)->Grants();
  report.clock = shared.clock();
  report.budget = shared.budget();
  report.stop = shared.stop();
  report.stop_detail = shared.stop_detail();
  report.complete = report.stop == SourceStop::kNone;
  for (const auto& s : report.streams) {
    if (s.status != "complete") report.complete = false;
  }
  if (!report.complete && report.stop == SourceStop::kNone) report.stop = SourceStop::kFailed;
  return report;
}

std::string SalesforceSourceJson(const CollectReport& r, const CollectOptions& o) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto opt = [&](const std::string& s) {
    if (s.empty()) w.Null(); else str(s);
  };
  w.StartObject();
  str("name"); str(o.source);
  str("type"); str("salesforce");
  str("instance_url"); str(r.instance_url);
  str("api_version"); str(r.api_version);
  str("org_id"); opt(r.org_id);
  str("collector_user_id"); opt(r.user_id);
  str("collector_username"); opt(r.username);
  str("auth");
  w.StartObject();
  str("mode"); str(auth::SalesforceAuthModeName(o.auth.mode));
  str("client_id"); opt(o.auth.client_id);
  str("grants");
  w.StartArray();
  for (const auto& g : r.grants) {
    w.StartObject();
    str("grant_type"); str(g.grant_type);
    str("token_url"); str(g.token_url);
    str("requested_at"); str(g.requested_at);
    str("http_status"); w.Int(g.http_status);
    str("identity_url"); opt(g.identity_url);
    str("error"); opt(g.error);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  str("clock");
  w.StartObject();
  str("samples"); w.Uint64(r.clock.samples);
  str("min_skew_ms"); w.Int64(r.clock.min_skew_ms);
  str("max_skew_ms"); w.Int64(r.clock.max_skew_ms);
  str("first_server_date"); opt(r.clock.first_date);
  str("first_local_time"); opt(r.clock.first_local);
  w.EndObject();
  str("api_usage");
  w.StartObject();
  str("first_seen_used"); w.Int64(r.budget.first_used);
  str("last_seen_used"); w.Int64(r.budget.used);
  str("daily_max"); w.Int64(r.budget.max);
  str("reserve_percent"); w.Int(static_cast<int>(o.budget_reserve * 100 + 0.5));
  w.EndObject();
  str("requests"); w.Uint64(r.requests);
  str("streams");
  w.StartArray();
  for (const auto& s : r.streams) {
    w.StartObject();
    str("name"); str(s.name);
    str("status"); str(s.status);
    str("normalized_records"); w.Uint64(s.records);
    str("items");
    w.StartArray();
    for (const auto& i : s.items) {
      w.StartObject();
      str("object"); str(i.object);
      str("method"); opt(i.method);
      str("status"); str(i.status);
      str("soql"); opt(i.soql);
      str("expected");
      if (i.expected) w.Uint64(*i.expected); else w.Null();
      str("expected_from"); opt(i.expected_from);
      str("received"); w.Uint64(i.received);
      str("unit"); opt(i.unit);
      str("pages"); w.Uint64(i.pages);
      str("gaps");
      w.StartArray();
      for (const auto& g : i.gaps) str(g);
      w.EndArray();
      str("notes");
      w.StartArray();
      for (const auto& n : i.notes) str(n);
      w.EndArray();
      str("server_answer"); opt(i.server_answer);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

std::string ReportJson(const CollectReport& r, const CollectOptions& o) {
  const std::string source = SalesforceSourceJson(r, o);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  auto opt = [&](const std::string& s) {
    if (s.empty()) w.Null(); else str(s);
  };
  w.StartObject();
  str("complete"); w.Bool(r.complete);
  str("stop_reason"); str(SourceStopName(r.stop));
  str("stop_detail"); opt(r.stop_detail);
  str("window");
  w.StartObject();
  str("since"); str(FormatRfc3339(o.since));
  str("until"); str(FormatRfc3339(o.until));
  w.EndObject();
  str("sources");
  w.StartArray();
  w.RawValue(source.data(), source.size(), rapidjson::kObjectType);
  w.EndArray();
  str("normalized");
  w.StartObject();
  str("records"); w.Uint64(r.normalized_records);
  str("untimed_records"); w.Uint64(r.untimed_records);
  w.EndObject();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace custody::connectors::salesforce
