// The EventLogFile store: which files exist, when they appear, are replaced and expire, and the
// manifest rows the query engine reads. File contents come from elf::CsvGenerator.
//
// Lifecycle (all from the seed):
//   daily file   (day D, type)  LogDate D 00:00Z, Sequence 0, created D+1 day + 1..7 h (types share
//                               one of three batch times per day, so CreatedDate ties are common);
//                               a quarter of them (with at least one "missed" event) are re-delivered
//                               4..20 h later: same Id, new CreatedDate, content now including the
//                               missed events (version 2).
//   hourly file  (hour H, type) only with hourly_elf: LogDate H, Sequence 1, created H + 3..6 h; a
//                               fifth of the hours (with late and on-time events) get a Sequence 2
//                               file 2..8 h later holding only the late events, which Sequence 1
//                               then lacks.
//   expiry                      retention from the current version's CreatedDate: 30 days, 1 day in
//                               a developer-edition org.
// Ids are assigned in order of first CreatedDate (ties by type, then LogDate), so a CreatedDate tie
// is broken by Id the same way under byte-wise and case-insensitive comparison (base-36 upper-case
// digits).

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "elf.h"
#include "elf/elf_csv.h"
#include "elf/elf_ranges.h"

namespace custody::sim {
namespace {

using elf::CsvGenerator;
using elf::ElfType;
using elf::Flag;
using elf::Hash;
using elf::Pick;
using elf::ScanResult;
using elf::Slice;

constexpr TimeMs kSecondMs = 1000;
constexpr TimeMs kHourMs = 3600 * kSecondMs;
constexpr TimeMs kDayMs = 24 * kHourMs;
constexpr size_t kMaxCachedViews = 64;

// Salts.
constexpr uint64_t kSaltBatch = 0x6261746368;
constexpr uint64_t kSaltDailyHour = 0x6468;
constexpr uint64_t kSaltDailySecond = 0x6473;
constexpr uint64_t kSaltRedeliver = 0x7264;
constexpr uint64_t kSaltRedeliverDelay = 0x726464;
constexpr uint64_t kSaltLateHour = 0x6c68;
constexpr uint64_t kSaltHourly = 0x6872;
constexpr uint64_t kSaltSeq2 = 0x7332;
constexpr uint64_t kSaltIdStep = 0x6964;
constexpr uint64_t kSaltNewline = 0x6e6c;

inline TimeMs FloorTo(TimeMs t, TimeMs unit) {
  TimeMs q = t / unit;
  if (t % unit != 0 && t < 0) --q;
  return q * unit;
}

std::string Base36(uint64_t v, size_t width) {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string s(width, '0');
  for (size_t i = width; i-- > 0;) {
    s[i] = kDigits[v % 36];
    v /= 36;
  }
  return s;
}

// Every EventType value the object's restricted picklist has (research §4.4).
const std::vector<std::string>& EventTypePicklist() {
  static const std::vector<std::string> kValues = {"API",
                                                   "ApexCallout",
                                                   "ApexExecution",
                                                   "ApexRestApi",
                                                   "ApexSoap",
                                                   "ApexTrigger",
                                                   "ApexUnexpectedException",
                                                   "ApiTotalUsage",
                                                   "AsynchronousReportRun",
                                                   "AuraRequest",
                                                   "BlockedRedirect",
                                                   "BulkApi",
                                                   "BulkApiRequest",
                                                   "BulkApi2",
                                                   "ConcurrentLongRunningApexLimit",
                                                   "Console",
                                                   "ContentDistribution",
                                                   "ContentTransfer",
                                                   "ContinuationCalloutSummary",
                                                   "CorsViolation",
                                                   "CspViolation",
                                                   "Dashboard",
                                                   "DocumentAttachmentDownloads",
                                                   "FlowExecution",
                                                   "GroupMembership",
                                                   "HostnameRedirects",
                                                   "InsecureExternalAssets",
                                                   "InsufficientAccess",
                                                   "LightningError",
                                                   "LightningInteraction",
                                                   "LightningLogger",
                                                   "LightningPageView",
                                                   "LightningPerformance",
                                                   "Login",
                                                   "LoginAs",
                                                   "Logout",
                                                   "MetadataApiOperation",
                                                   "MultiblockReport",
                                                   "NamedCredential",
                                                   "PackageInstall",
                                                   "PermissionUpdate",
                                                   "QueuedExecution",
                                                   "Report",
                                                   "ReportExport",
                                                   "RestApi",
                                                   "Sandbox",
                                                   "Search",
                                                   "SearchClick",
                                                   "Sites",
                                                   "TransactionSecurity",
                                                   "URI",
                                                   "VisualforceRequest",
                                                   "WaveDownload",
                                                   "WaveInteraction",
                                                   "WavePerformance"};
  return kValues;
}

FieldDef MakeField(std::string name, FieldType type, std::string label) {
  FieldDef f;
  f.name = std::move(name);
  f.type = type;
  f.label = std::move(label);
  return f;
}

ObjectDef MakeDef(bool hourly) {
  ObjectDef def;
  def.name = "EventLogFile";
  def.label = "Event Log File";
  def.label_plural = "Event Log Files";
  def.key_prefix = "0AT";
  def.order_field = "CreatedDate";

  FieldDef id = MakeField("Id", FieldType::kId, "Event Log File ID");
  id.nillable = false;
  id.length = 18;
  def.fields.push_back(id);
  FieldDef deleted = MakeField("IsDeleted", FieldType::kBoolean, "Deleted");
  deleted.nillable = false;
  def.fields.push_back(deleted);
  FieldDef created = MakeField("CreatedDate", FieldType::kDateTime, "Created Date");
  created.nillable = false;
  def.fields.push_back(created);
  FieldDef created_by = MakeField("CreatedById", FieldType::kReference, "Created By ID");
  created_by.nillable = false;
  created_by.reference_to = {"User"};
  created_by.relationship_name = "CreatedBy";
  created_by.length = 18;
  def.fields.push_back(created_by);
  FieldDef modified = MakeField("LastModifiedDate", FieldType::kDateTime, "Last Modified Date");
  modified.nillable = false;
  def.fields.push_back(modified);
  FieldDef modified_by = MakeField("LastModifiedById", FieldType::kReference, "Last Modified By ID");
  modified_by.nillable = false;
  modified_by.reference_to = {"User"};
  modified_by.relationship_name = "LastModifiedBy";
  modified_by.length = 18;
  def.fields.push_back(modified_by);
  FieldDef modstamp = MakeField("SystemModstamp", FieldType::kDateTime, "System Modstamp");
  modstamp.nillable = false;
  def.fields.push_back(modstamp);
  FieldDef event_type = MakeField("EventType", FieldType::kPicklist, "Event Type");
  event_type.nillable = false;
  event_type.picklist_values = EventTypePicklist();
  event_type.length = 40;
  def.fields.push_back(event_type);
  FieldDef log_date = MakeField("LogDate", FieldType::kDateTime, "Log Date");
  log_date.nillable = false;
  def.fields.push_back(log_date);
  FieldDef length = MakeField("LogFileLength", FieldType::kDouble, "Log File Length");
  length.nillable = false;
  def.fields.push_back(length);
  FieldDef content_type = MakeField("LogFileContentType", FieldType::kString, "Log File Content Type");
  content_type.nillable = false;
  content_type.length = 255;
  def.fields.push_back(content_type);
  FieldDef api = MakeField("ApiVersion", FieldType::kDouble, "API Version");
  api.nillable = false;
  def.fields.push_back(api);
  if (hourly) {
    FieldDef sequence = MakeField("Sequence", FieldType::kInt, "Sequence");
    sequence.nillable = false;
    def.fields.push_back(sequence);
    FieldDef interval = MakeField("Interval", FieldType::kPicklist, "Interval");
    interval.picklist_values = {"Daily", "Hourly"};
    interval.length = 255;
    def.fields.push_back(interval);
  }
  FieldDef names = MakeField("LogFileFieldNames", FieldType::kString, "Log File Field Names");
  names.length = 1333;
  names.filterable = false;
  names.sortable = false;
  def.fields.push_back(names);
  FieldDef types = MakeField("LogFileFieldTypes", FieldType::kString, "Log File Field Types");
  types.length = 1333;
  types.filterable = false;
  types.sortable = false;
  def.fields.push_back(types);
  FieldDef blob = MakeField("LogFile", FieldType::kBase64, "Log File");
  blob.nillable = false;
  blob.filterable = false;
  blob.sortable = false;
  def.fields.push_back(blob);
  return def;
}

struct FileVersion {
  TimeMs created = 0;
  Pick pick = Pick::kAll;
};

struct FileRec {
  uint64_t id_num = 0;
  std::string id;  // 18-char
  ElfType type = ElfType::kLogin;
  TimeMs log_date = 0;
  TimeMs end = 0;  // log_date + interval
  bool hourly = false;
  int sequence = 0;
  int api = 62;
  int versions = 1;
  FileVersion v[2];
};

class ElfStoreImpl final : public ElfStore {
 public:
  ElfStoreImpl(const OrgConfig& config, const Activity& activity, const std::vector<UserInfo>& users)
      : config_(config),
        gen_(config, activity, users),
        def_(MakeDef(config.hourly_elf)),
        retention_(config.developer_edition ? kDayMs : 30 * kDayMs) {
    for (const UserInfo& u : users) {
      if (u.profile == "System Administrator") {
        system_user_ = u.id;
        break;
      }
    }
    if (system_user_.empty() && !users.empty()) system_user_ = users.front().id;
    if (system_user_.empty()) system_user_ = "005000000000000AAA";
    for (const FieldDef& field : def_.fields) kinds_.push_back(KindOf(field.name));
    Enumerate();
  }

  const ObjectDef& def() const override { return def_; }

  uint64_t Count(TimeMs now) const override { return ViewAt(now)->entries.size(); }

  Record Row(uint64_t i, TimeMs now) const override {
    const std::shared_ptr<const View> view = ViewAt(now);
    Record r;
    r.def = &def_;
    if (i >= view->entries.size()) return r;
    const Entry& e = view->entries[i];
    const FileRec& f = files_[e.file];
    const TimeMs created = f.v[e.version - 1].created;
    const uint64_t length = VisibleLength(e.file, e.version);
    r.values.reserve(kinds_.size());
    for (const FieldKind kind : kinds_) {
      switch (kind) {
        case FieldKind::kId:
          r.values.push_back(Value::String(f.id));
          break;
        case FieldKind::kIsDeleted:
          r.values.push_back(Value::Bool(false));
          break;
        case FieldKind::kCreated:
          r.values.push_back(Value::DateTime(created));
          break;
        case FieldKind::kSystemUser:
          r.values.push_back(Value::String(system_user_));
          break;
        case FieldKind::kEventType:
          r.values.push_back(Value::String(std::string(elf::ElfTypeName(f.type))));
          break;
        case FieldKind::kLogDate:
          r.values.push_back(Value::DateTime(f.log_date));
          break;
        case FieldKind::kLength:
          r.values.push_back(Value::Double(static_cast<double>(length)));
          break;
        case FieldKind::kContentType:
          r.values.push_back(Value::String("CSV"));
          break;
        case FieldKind::kApiVersion:
          r.values.push_back(Value::Double(f.api == 61 ? 61.0 : 62.0));
          break;
        case FieldKind::kSequence:
          r.values.push_back(Value::Int(f.sequence));
          break;
        case FieldKind::kInterval:
          r.values.push_back(Value::String(f.hourly ? "Hourly" : "Daily"));
          break;
        case FieldKind::kFieldNames:
          r.values.push_back(Value::String(gen_.FieldNames(f.type, f.api)));
          break;
        case FieldKind::kFieldTypes:
          r.values.push_back(Value::String(gen_.FieldTypes(f.type, f.api)));
          break;
        case FieldKind::kLogFile:
          r.values.push_back(
              Value::String("/services/data/v62.0/sobjects/EventLogFile/" + f.id + "/LogFile"));
          break;
        case FieldKind::kUnknown:
          r.values.push_back(Value::Null());
          break;
      }
    }
    return r;
  }

  uint64_t LowerBound(TimeMs t, TimeMs now) const override {
    const std::shared_ptr<const View> view = ViewAt(now);
    const auto it = std::lower_bound(view->entries.begin(), view->entries.end(), t,
                                     [](const Entry& e, TimeMs value) { return e.created < value; });
    return static_cast<uint64_t>(it - view->entries.begin());
  }

  std::optional<LogFileInfo> FindFile(std::string_view id, TimeMs now) const override {
    const int index = IndexOf(id);
    if (index < 0) return std::nullopt;
    const FileRec& f = files_[static_cast<size_t>(index)];
    const int version = VersionAt(f, now);
    if (version == 0) return std::nullopt;
    if (now >= f.v[version - 1].created + retention_) return std::nullopt;  // expired
    LogFileInfo info;
    info.id = f.id;
    info.event_type = std::string(elf::ElfTypeName(f.type));
    info.log_date = f.log_date;
    info.hourly = f.hourly;
    info.sequence = f.sequence;
    info.created_date = f.v[version - 1].created;
    info.length = VisibleLength(static_cast<uint32_t>(index), version);
    info.version = version;
    info.api_version = f.api == 61 ? "61.0" : "62.0";
    return info;
  }

  bool Expired(std::string_view id, TimeMs now) const override {
    const int index = IndexOf(id);
    if (index < 0) return false;
    const FileRec& f = files_[static_cast<size_t>(index)];
    const int version = VersionAt(f, now);
    return version != 0 && now >= f.v[version - 1].created + retention_;
  }

  // The file's slice and restart points, for streaming from offset; false for an unknown file.
  template <typename Generate>
  bool WithFile(const LogFileInfo& info, uint64_t offset, const Generate& generate) const {
    const int index = IndexOf(info.id);
    if (index < 0) return false;
    const FileRec& f = files_[static_cast<size_t>(index)];
    const int version = std::clamp(info.version, 1, f.versions);
    if (offset >= info.length) return true;
    const Counted& counted = CountedFor(static_cast<uint32_t>(index), version);
    return generate(SliceOf(f, version), &counted.checkpoints);
  }

  bool Stream(const LogFileInfo& info, uint64_t offset, const ChunkSink& sink) const override {
    return WithFile(info, offset, [&](const auto& slice, const auto* checkpoints) {
      return gen_.Stream(slice, offset, info.length - offset, sink, checkpoints);
    });
  }

  bool StreamTo(const LogFileInfo& info, uint64_t offset, CsvBufferSink& sink) const override {
    return WithFile(info, offset, [&](const auto& slice, const auto* checkpoints) {
      return gen_.StreamTo(slice, offset, info.length - offset, sink, checkpoints);
    });
  }

  // See LogFileRestartOffsets and StreamLogFileRange (elf/elf_ranges.h).
  std::vector<uint64_t> RestartOffsets(const LogFileInfo& info) const {
    std::vector<uint64_t> out;
    const int index = IndexOf(info.id);
    if (index < 0) return out;
    const FileRec& f = files_[static_cast<size_t>(index)];
    const int version = std::clamp(info.version, 1, f.versions);
    const Counted& counted = CountedFor(static_cast<uint32_t>(index), version);
    out.reserve(counted.checkpoints.size());
    for (const elf::Checkpoint& c : counted.checkpoints) {
      if (c.byte > 0 && c.byte < info.length && (out.empty() || c.byte > out.back())) out.push_back(c.byte);
    }
    return out;
  }

  bool StreamRange(const LogFileInfo& info, uint64_t offset, uint64_t length, CsvBufferSink& sink) const {
    return WithFile(info, offset, [&](const auto& slice, const auto* checkpoints) {
      return gen_.StreamTo(slice, offset, std::min(length, info.length - offset), sink, checkpoints);
    });
  }

 private:
  struct Entry {
    TimeMs created;
    uint32_t file;
    int version;
  };
  struct View {
    std::vector<Entry> entries;  // natural order: created, then Id
  };

  void Enumerate();
  void AddFile(FileRec f) { files_.push_back(std::move(f)); }

  int IndexOf(std::string_view id) const {
    const auto it = index_.find(std::string(id));
    return it == index_.end() ? -1 : it->second;
  }

  // The version current at `now` (0: not created yet), ignoring expiry.
  static int VersionAt(const FileRec& f, TimeMs now) {
    if (f.versions == 2 && now >= f.v[1].created) return 2;
    return now >= f.v[0].created ? 1 : 0;
  }

  Slice SliceOf(const FileRec& f, int version) const {
    Slice s;
    s.type = f.type;
    s.begin = f.log_date;
    s.end = f.end;
    s.pick = f.v[version - 1].pick;
    s.api_version = f.api;
    return s;
  }

  bool FinalNewline(const FileRec& f, int version) const {
    return Hash(config_.seed, f.id_num, static_cast<uint64_t>(version), kSaltNewline) % 5 != 0;
  }

  // The counting pass of one (file, version), run once (std::call_once: concurrent first callers
  // wait for it): the exact length as served (a minority lacks the final newline) and the restart
  // points for ranged resumes. A few KiB per very large file, nothing for small ones.
  struct Counted {
    std::once_flag once;
    uint64_t length = 0;
    std::vector<elf::Checkpoint> checkpoints;
  };

  const Counted& CountedFor(uint32_t file, int version) const {
    Counted& c = counted_[file * 2 + static_cast<uint32_t>(version - 1)];
    std::call_once(c.once, [&] {
      const FileRec& f = files_[file];
      uint64_t n = gen_.Length(SliceOf(f, version), &c.checkpoints);
      if (!FinalNewline(f, version) && n > 0) --n;  // every file ends with a row's LF
      c.length = n;
    });
    return c;
  }

  uint64_t VisibleLength(uint32_t file, int version) const { return CountedFor(file, version).length; }

  std::shared_ptr<const View> ViewAt(TimeMs now) const {
    const auto epoch = static_cast<size_t>(std::upper_bound(transitions_.begin(), transitions_.end(), now) -
                                           transitions_.begin());
    {
      std::lock_guard<std::mutex> lock(mu_);
      const auto it = views_.find(epoch);
      if (it != views_.end()) return it->second;
    }
    auto view = std::make_shared<View>();
    for (uint32_t i = 0; i < files_.size(); ++i) {
      const FileRec& f = files_[i];
      const int version = VersionAt(f, now);
      if (version == 0) continue;
      const TimeMs created = f.v[version - 1].created;
      if (now >= created + retention_) continue;
      view->entries.push_back(Entry{created, i, version});
    }
    std::sort(view->entries.begin(), view->entries.end(), [this](const Entry& a, const Entry& b) {
      if (a.created != b.created) return a.created < b.created;
      return files_[a.file].id_num < files_[b.file].id_num;
    });
    std::lock_guard<std::mutex> lock(mu_);
    if (views_.size() >= kMaxCachedViews) views_.clear();
    views_.emplace(epoch, view);
    return view;
  }

  // What each field of def_ holds, in def_ order.
  enum class FieldKind {
    kId,
    kIsDeleted,
    kCreated,
    kSystemUser,
    kEventType,
    kLogDate,
    kLength,
    kContentType,
    kApiVersion,
    kSequence,
    kInterval,
    kFieldNames,
    kFieldTypes,
    kLogFile,
    kUnknown,
  };
  static FieldKind KindOf(const std::string& n) {
    if (n == "Id") return FieldKind::kId;
    if (n == "IsDeleted") return FieldKind::kIsDeleted;
    if (n == "CreatedDate" || n == "LastModifiedDate" || n == "SystemModstamp") return FieldKind::kCreated;
    if (n == "CreatedById" || n == "LastModifiedById") return FieldKind::kSystemUser;
    if (n == "EventType") return FieldKind::kEventType;
    if (n == "LogDate") return FieldKind::kLogDate;
    if (n == "LogFileLength") return FieldKind::kLength;
    if (n == "LogFileContentType") return FieldKind::kContentType;
    if (n == "ApiVersion") return FieldKind::kApiVersion;
    if (n == "Sequence") return FieldKind::kSequence;
    if (n == "Interval") return FieldKind::kInterval;
    if (n == "LogFileFieldNames") return FieldKind::kFieldNames;
    if (n == "LogFileFieldTypes") return FieldKind::kFieldTypes;
    if (n == "LogFile") return FieldKind::kLogFile;
    return FieldKind::kUnknown;
  }

  OrgConfig config_;
  CsvGenerator gen_;
  ObjectDef def_;
  std::vector<FieldKind> kinds_;
  TimeMs retention_;
  std::string system_user_;
  std::vector<FileRec> files_;
  std::unordered_map<std::string, int> index_;  // 18- and 15-char ids
  std::vector<TimeMs> transitions_;             // sorted: every time the visible set can change
  std::unique_ptr<Counted[]> counted_;          // [file * 2 + version - 1]
  mutable std::mutex mu_;
  mutable std::map<size_t, std::shared_ptr<const View>> views_;  // by epoch
};

void ElfStoreImpl::Enumerate() {
  const uint64_t seed = config_.seed;
  const TimeMs first_day = FloorTo(config_.start, kDayMs);
  const TimeMs last = config_.start + static_cast<TimeMs>(std::max(config_.days, 0)) * kDayMs;
  const int64_t ndays = (last - first_day + kDayMs - 1) / kDayMs;
  // Schema drift: files of the days before the simulated release carry ApiVersion 61.0 and its
  // schema (fewer columns); from the release on 62.0.
  const int64_t release_day = ndays >= 3 ? ndays * 2 / 3 : 0;

  for (int64_t d = 0; d < ndays; ++d) {
    const TimeMs day = first_day + d * kDayMs;
    const int api = d >= release_day ? 62 : 61;
    for (int t = 0; t < elf::kElfTypeCount; ++t) {
      const auto type = static_cast<ElfType>(t);
      if (!config_.event_monitoring && !elf::ElfTypeIsFree(type)) continue;
      const auto type_key = static_cast<uint64_t>(t) + 1;

      if (config_.hourly_elf) {
        for (int h = 0; h < 24; ++h) {
          const TimeMs hour = day + h * kHourMs;
          const auto hour_key = static_cast<uint64_t>(hour);
          const bool late_candidate = Hash(seed, type_key, hour_key, kSaltLateHour) % 5 == 0;
          const ScanResult s =
              gen_.Scan(type, hour, hour + kHourMs, late_candidate ? Flag::kLate : Flag::kNone);
          if (!s.any) continue;
          const bool late = late_candidate && s.flagged && s.unflagged;
          // Types of one hour land in two batches, so CreatedDate ties happen.
          const uint64_t batch = Hash(seed, type_key, hour_key, kSaltBatch) % 2;
          const TimeMs created1 =
              hour + 3 * kHourMs +
              static_cast<TimeMs>(Hash(seed, hour_key, batch, kSaltHourly) % (3 * 3600)) * kSecondMs;
          FileRec f;
          f.type = type;
          f.log_date = hour;
          f.end = hour + kHourMs;
          f.hourly = true;
          f.sequence = 1;
          f.api = api;
          f.v[0] = {created1, late ? Pick::kOnTime : Pick::kAll};
          AddFile(f);
          if (late) {
            FileRec g = f;
            g.sequence = 2;
            g.v[0] = {
                created1 + 2 * kHourMs +
                    static_cast<TimeMs>(Hash(seed, type_key, hour_key, kSaltSeq2) % (6 * 3600)) * kSecondMs,
                Pick::kLate};
            AddFile(g);
          }
        }
      }

      const auto day_key = static_cast<uint64_t>(day);
      const bool redeliver_candidate = Hash(seed, type_key, day_key, kSaltRedeliver) % 4 == 0;
      const ScanResult s =
          gen_.Scan(type, day, day + kDayMs, redeliver_candidate ? Flag::kMissed : Flag::kNone);
      if (!s.any) continue;
      const bool redelivered = redeliver_candidate && s.flagged && s.unflagged;
      const uint64_t batch = Hash(seed, type_key, day_key, kSaltBatch) % 3;
      const TimeMs created1 =
          day + kDayMs + (1 + static_cast<TimeMs>(Hash(seed, day_key, batch, kSaltDailyHour) % 6)) * kHourMs +
          static_cast<TimeMs>(Hash(seed, day_key, batch, kSaltDailySecond) % 3600) * kSecondMs;
      FileRec f;
      f.type = type;
      f.log_date = day;
      f.end = day + kDayMs;
      f.hourly = false;
      f.sequence = 0;
      f.api = api;
      if (redelivered) {
        f.versions = 2;
        f.v[0] = {created1, Pick::kNotMissed};
        f.v[1] = {created1 + 4 * kHourMs +
                      static_cast<TimeMs>(Hash(seed, type_key, day_key, kSaltRedeliverDelay) % (16 * 3600)) *
                          kSecondMs,
                  Pick::kAll};
      } else {
        f.v[0] = {created1, Pick::kAll};
      }
      AddFile(f);
    }
  }

  // Ids in order of first appearance.
  std::sort(files_.begin(), files_.end(), [](const FileRec& a, const FileRec& b) {
    if (a.v[0].created != b.v[0].created) return a.v[0].created < b.v[0].created;
    if (a.type != b.type) return a.type < b.type;
    if (a.log_date != b.log_date) return a.log_date < b.log_date;
    if (a.hourly != b.hourly) return !a.hourly;
    return a.sequence < b.sequence;
  });
  std::string pod = config_.org_id.size() >= 5 ? config_.org_id.substr(3, 2) : "5f";
  uint64_t next = 2 * 36ULL * 36 * 36 * 36 * 36 + Hash(seed, kSaltIdStep) % (36ULL * 36 * 36 * 36);
  for (size_t i = 0; i < files_.size(); ++i) {
    next += 1 + Hash(seed, i, kSaltIdStep) % 3;
    FileRec& f = files_[i];
    f.id_num = next;
    const std::string id15 = "0AT" + pod + "0000" + Base36(next, 6);
    f.id = elf::IdTo18(id15);
    index_.emplace(f.id, static_cast<int>(i));
    index_.emplace(id15, static_cast<int>(i));
    for (int v = 0; v < f.versions; ++v) {
      transitions_.push_back(f.v[v].created);
      transitions_.push_back(f.v[v].created + retention_);
    }
  }
  std::sort(transitions_.begin(), transitions_.end());
  transitions_.erase(std::unique(transitions_.begin(), transitions_.end()), transitions_.end());
  counted_.reset(new Counted[files_.size() * 2]);
}

}  // namespace

bool ElfStore::StreamTo(const LogFileInfo& info, uint64_t offset, CsvBufferSink& sink) const {
  return Stream(info, offset, [&](const char* data, size_t size) {
    while (size > 0) {
      const std::span<char> room = sink.Buffer();
      if (room.empty()) return false;
      const size_t n = std::min(size, room.size());
      std::memcpy(room.data(), data, n);
      if (!sink.Commit(room.data(), n)) return false;
      data += n;
      size -= n;
    }
    return true;
  });
}

std::vector<uint64_t> LogFileRestartOffsets(const ElfStore& store, const LogFileInfo& info) {
  const auto* impl = dynamic_cast<const ElfStoreImpl*>(&store);
  return impl != nullptr ? impl->RestartOffsets(info) : std::vector<uint64_t>{};
}

namespace {

// Passes on the first `length` bytes, then stops the stream (a store without ranged streams).
class LimitSink final : public CsvBufferSink {
 public:
  LimitSink(CsvBufferSink& sink, uint64_t length) : sink_(sink), left_(length) {}
  std::span<char> Buffer() override {
    if (left_ == 0) return {};
    const std::span<char> room = sink_.Buffer();
    return room.first(static_cast<size_t>(std::min<uint64_t>(room.size(), left_)));
  }
  bool Commit(char* data, size_t size) override {
    left_ -= std::min<uint64_t>(size, left_);
    return sink_.Commit(data, size);
  }
  bool complete() const { return left_ == 0; }

 private:
  CsvBufferSink& sink_;
  uint64_t left_;
};

}  // namespace

bool StreamLogFileRange(const ElfStore& store, const LogFileInfo& info, uint64_t offset, uint64_t length,
                        CsvBufferSink& sink) {
  if (const auto* impl = dynamic_cast<const ElfStoreImpl*>(&store)) return impl->StreamRange(info, offset, length, sink);
  if (offset >= info.length) return true;
  LimitSink limited(sink, std::min(length, info.length - offset));
  const bool ok = store.StreamTo(info, offset, limited);
  return ok || limited.complete();
}

std::unique_ptr<ElfStore> MakeElfStore(const OrgConfig& config, const Activity& activity,
                                       const std::vector<UserInfo>& users) {
  return std::make_unique<ElfStoreImpl>(config, activity, users);
}

}  // namespace custody::sim
