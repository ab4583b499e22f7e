#pragma once
// The simulated org's data model: typed values, object schemas (what describe returns), records,
// and the Table/Org seams the query engine reads through. Everything is generated on the fly from
// the seed, so a table of millions of rows costs no memory: Row(i) recomputes row i.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace custody::sim {

class ElfStore;

// Milliseconds since the Unix epoch, UTC. The simulator's one time unit.
using TimeMs = int64_t;

enum class FieldType {
  kId,         // 18-char Salesforce id
  kReference,  // id of another record; FieldDef::reference_to names its object(s)
  kString,
  kPicklist,
  kTextArea,
  kBoolean,
  kInt,
  kDouble,     // rendered with a fraction: 2692.0
  kDateTime,   // rendered 2026-04-15T12:34:56.000+0000
  kDate,       // rendered 2026-04-15
  kAnyType,    // OldValue/NewValue of history rows: a string or null
  kBase64,     // a blob field (EventLogFile.LogFile): rendered as its download URL
};

struct Value {
  enum class Kind { kNull, kString, kBoolean, kInt, kDouble, kDateTime, kDate };
  Kind kind = Kind::kNull;
  std::string text;   // kString
  int64_t number = 0; // kBoolean (0/1), kInt, kDateTime (TimeMs), kDate (days since epoch)
  double real = 0;    // kDouble

  static Value Null() { return {}; }
  static Value String(std::string s) { Value v; v.kind = Kind::kString; v.text = std::move(s); return v; }
  static Value Bool(bool b) { Value v; v.kind = Kind::kBoolean; v.number = b ? 1 : 0; return v; }
  static Value Int(int64_t n) { Value v; v.kind = Kind::kInt; v.number = n; return v; }
  static Value Double(double d) { Value v; v.kind = Kind::kDouble; v.real = d; return v; }
  static Value DateTime(TimeMs ms) { Value v; v.kind = Kind::kDateTime; v.number = ms; return v; }
  static Value Date(int64_t days) { Value v; v.kind = Kind::kDate; v.number = days; return v; }
  bool is_null() const { return kind == Kind::kNull; }
};

struct FieldDef {
  std::string name;
  FieldType type = FieldType::kString;
  std::string label;
  bool filterable = true;   // LoginHistory rejects WHERE on most of its fields
  bool sortable = true;
  bool nillable = true;
  bool standard = true;     // FIELDS(STANDARD) expands to the standard fields
  std::vector<std::string> reference_to;  // kReference: target object names (polymorphic if >1)
  std::string relationship_name;          // kReference: "CreatedBy" for CreatedById, "Parent" for ParentId
  std::vector<std::string> picklist_values;
  int length = 0;
};

// How an object restricts SOQL beyond field existence.
enum class QueryRule {
  kGeneral,
  // Real-Time Event Monitoring storage (LoginEvent, ReportEvent, ...): WHERE only on EventDate,
  // ORDER BY only "EventDate DESC".
  kEventStorage,
  // Big object with an index (FieldHistoryArchive): filters only on the leading index fields, in order.
  kBigObjectIndex,
};

struct ObjectDef {
  std::string name;          // API name, exact case: "AccountHistory", "Patient__History"
  std::string label;
  std::string label_plural;
  std::string key_prefix;    // "017" for history rows, "0AT" for EventLogFile ...
  bool custom = false;
  bool queryable = true;
  QueryRule rule = QueryRule::kGeneral;
  std::vector<std::string> index_fields;  // kBigObjectIndex: index order
  std::vector<FieldDef> fields;           // describe order; records hold values in this order
  // The field rows are ordered by, ascending (CreatedDate, EventDate, LoginTime...), or empty.
  std::string order_field;

  // Case-insensitive, as SOQL is. Null when absent.
  const FieldDef* Find(std::string_view field_name) const;
  // Index into fields, or -1.
  int IndexOf(std::string_view field_name) const;
};

// Visibility flags of one row.
enum RecordFlags : uint32_t {
  kRecordDeleted = 1,          // IsDeleted: returned only by queryAll
  kRecordFlsRestricted = 2,    // hidden from users without "View All Data" (field-level security)
};

struct Record {
  const ObjectDef* def = nullptr;
  std::vector<Value> values;  // aligned with def->fields
  uint32_t flags = 0;

  const Value* Get(std::string_view field_name) const;  // case-insensitive; null if no such field
};

// One queryable object's rows. Implementations are deterministic functions of the seed and `now`.
class Table {
 public:
  virtual ~Table() = default;
  virtual const ObjectDef& def() const = 0;
  // Rows that exist at simulated time `now`, in natural order (ascending def().order_field, ties in a
  // fixed order). Rows [0, Count(now)) are addressable; Row(i, now) is row i.
  virtual uint64_t Count(TimeMs now) const = 0;
  virtual Record Row(uint64_t i, TimeMs now) const = 0;
  // First index whose order field is >= t (Count(now) if none). Lets the query engine turn a time
  // window on the order field into an index range without scanning.
  virtual uint64_t LowerBound(TimeMs t, TimeMs now) const = 0;
};

struct UserInfo {
  std::string id;           // 18-char id, "005..."
  std::string username;     // "jdoe@stmarys-health.example"
  std::string name;         // "Jane Doe"
  std::string first_name;
  std::string last_name;
  std::string email;
  std::string profile;      // "Clinician", "Scheduler", "Integration User", "System Administrator"
  std::string user_type;    // "Standard"
  std::string time_zone;    // IANA id shown by userinfo ("America/New_York"); never used for data
  bool view_all_data = false;
  bool is_integration = false;
  bool active = true;
};

// Licence switches and sizes of one simulated org. Same config, same seed: the same bytes.
struct OrgConfig {
  uint64_t seed = 1;
  std::string scenario;            // "" or a scenario name (see Org::ScenarioNames())
  std::string org_id = "00D5f0000001SIMAAA";  // 18-char
  std::string my_domain = "stmarys-health";  // instance host: <my_domain>.my.salesforce.com (simulated)
  bool shield = true;              // Real-Time Event Monitoring objects (LoginEvent, ReportEvent ...)
  bool field_audit_trail = false;  // FieldHistoryArchive
  bool event_monitoring = true;    // EventLogFile types beyond the free ones
  bool hourly_elf = false;         // Interval/Sequence fields and hourly files
  bool developer_edition = false;  // EventLogFile retention 1 day instead of 30
  TimeMs start = 1775001600000;    // 2026-04-01T00:00:00Z: first generated activity
  int days = 14;                   // generated activity spans [start, start + days)
  uint64_t history_rows = 20000;   // total field-history rows across history objects
  uint64_t patients = 2000;
  uint64_t users = 60;
  uint64_t elf_bytes_per_day = 2 << 20;  // target LogFile bytes per day across types (approximate)
};

// The whole simulated org: schemas, tables and users. Thread-safe for concurrent reads.
class Org {
 public:
  virtual ~Org() = default;
  virtual const OrgConfig& config() const = 0;
  // Every object describeGlobal lists (licensed ones only), in name order.
  virtual std::vector<const ObjectDef*> Objects() const = 0;
  // Case-insensitive; null when the object does not exist or is not licensed (INVALID_TYPE).
  virtual const Table* FindTable(std::string_view object_name) const = 0;
  // Resolves an id (any object) to its record, for relationship fields (CreatedBy.Name, Parent.Name).
  virtual std::optional<Record> FindById(std::string_view id, TimeMs now) const = 0;
  virtual const std::vector<UserInfo>& Users() const = 0;
  virtual const UserInfo* FindUserByUsername(std::string_view username) const = 0;
  virtual const UserInfo* FindUserById(std::string_view id) const = 0;
  // The user the connected app runs as for client_credentials ("Run As"), and the admin user.
  virtual const UserInfo& IntegrationUser() const = 0;
  // The EventLogFile object and its LogFile blobs (also reachable as FindTable("EventLogFile")).
  virtual const ElfStore& EventLogFiles() const = 0;
  // The scenario's answer key as a JSON document, or "" without a scenario.
  virtual std::string AnswerKeyJson() const = 0;
};

// Builds the org for `config`. Fails (nullptr, message in *error) only for an unknown scenario.
std::unique_ptr<Org> MakeOrg(const OrgConfig& config, std::string* error);
std::vector<std::string> ScenarioNames();

// ASCII case-insensitive equality, as SOQL compares names.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Rendering shared by JSON records, CSV and headers.
std::string FormatSfDateTime(TimeMs t);  // "2026-04-15T12:34:56.000+0000"
std::string FormatIsoZ(TimeMs t);        // "2026-04-15T12:34:56.000Z"
std::string FormatSfDate(int64_t days);  // "2026-04-15"
std::string FormatSfDouble(double d);    // "2692.0", "0.5"

}  // namespace custody::sim
