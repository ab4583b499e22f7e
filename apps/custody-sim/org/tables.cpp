#include "org/tables.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "org/catalog.h"
#include "org/ids.h"
#include "org/logins.h"
#include "org/names.h"
#include "org/rng.h"

namespace custody::sim::gen {
namespace {

// now + 1 and now - d without overflow.
TimeMs After(TimeMs now) { return now >= kNever - 1 ? kNever : now + 1; }
TimeMs Before(TimeMs now, TimeMs d) { return now < std::numeric_limits<TimeMs>::min() + d ? std::numeric_limits<TimeMs>::min() : now - d; }

std::vector<std::string> ToStrings(std::initializer_list<const char*> items) {
  return std::vector<std::string>(items.begin(), items.end());
}

const FieldSpec kCustom{.custom = true};

// ---------------------------------------------------------------------------------------------
// In-memory tables (users, profiles, reports): rows sorted by CreatedDate.

class StaticTable final : public Table {
 public:
  StaticTable(ObjectDef def, std::vector<Record> rows, std::vector<TimeMs> created)
      : def_(std::move(def)), rows_(std::move(rows)), created_(std::move(created)) {
    for (Record& r : rows_) r.def = &def_;
  }
  const ObjectDef& def() const override { return def_; }
  uint64_t Count(TimeMs now) const override {
    return static_cast<uint64_t>(std::upper_bound(created_.begin(), created_.end(), now) - created_.begin());
  }
  Record Row(uint64_t i, TimeMs) const override { return rows_[i]; }
  uint64_t LowerBound(TimeMs t, TimeMs now) const override {
    const uint64_t lb = static_cast<uint64_t>(std::lower_bound(created_.begin(), created_.end(), t) - created_.begin());
    return std::min(lb, Count(now));
  }

 private:
  ObjectDef def_;
  std::vector<Record> rows_;
  std::vector<TimeMs> created_;
};

struct StaticCtx {
  const World* w;
  uint64_t i;
};

template <typename Ctx>
std::unique_ptr<Table> BuildStatic(const ObjectInfo& info, const std::vector<Column<Ctx>>& columns,
                                   const std::vector<Ctx>& ctxs, const std::vector<TimeMs>& created) {
  ObjectDef def = MakeObjectDef(info, columns);
  std::vector<size_t> order(ctxs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return created[a] < created[b]; });
  std::vector<Record> rows;
  std::vector<TimeMs> sorted_created;
  for (size_t i : order) {
    Record r;
    r.values = EvaluateColumns(columns, ctxs[i]);
    rows.push_back(std::move(r));
    sorted_created.push_back(created[i]);
  }
  return std::make_unique<StaticTable>(std::move(def), std::move(rows), std::move(sorted_created));
}

TimeMs UserCreated(const World& w, uint64_t i) { return FloorTo(w.user(static_cast<uint32_t>(i)).created, kSecond); }
TimeMs ProfileCreated(const World& w, uint64_t p) { return w.start() - 500 * kDay + static_cast<TimeMs>(p) * kHour; }
TimeMs ReportCreated(const World& w, uint64_t r) { return w.start() - 200 * kDay + static_cast<TimeMs>(r) * 3 * kDay + 37 * kMinute; }

// ---------------------------------------------------------------------------------------------
// Generated data records.

struct DataCtx {
  const World* w;
  DataObject obj;
  uint64_t i;
  TimeMs created;
  uint32_t created_by;
  bool deleted;
  uint64_t H(uint64_t salt) const {
    return FieldHash(*w, obj, salt, i);
  }
  std::string Id() const { return MakeId(DataObjectPrefix(obj), 0, i); }
  std::string UserId(uint64_t salt) const {
    const auto& humans = w->humans();
    return w->user(humans[H(salt) % humans.size()]).info.id;
  }
  TimeMs LastModified() const {
    if (created >= w->start()) return created;
    return std::min<TimeMs>(w->start() - kDay, created + static_cast<TimeMs>(H(31) % (200 * kDay / kSecond)) * kSecond);
  }
};

std::vector<Column<DataCtx>> DataColumns(std::vector<Column<DataCtx>> middle) {
  std::vector<Column<DataCtx>> cols = {
      {IdField(), [](const DataCtx& c) { return Str(c.Id()); }},
      {Field("IsDeleted", FieldType::kBoolean, {.nillable = false}), [](const DataCtx& c) { return Value::Bool(c.deleted); }},
  };
  for (auto& m : middle) cols.push_back(std::move(m));
  const std::vector<Column<DataCtx>> tail = {
      {Reference("OwnerId", {"User"}, "Owner"), [](const DataCtx& c) { return Str(c.UserId(30)); }},
      {Field("CreatedDate", FieldType::kDateTime), [](const DataCtx& c) { return Value::DateTime(c.created); }},
      {Reference("CreatedById", {"User"}, "CreatedBy"), [](const DataCtx& c) { return Str(c.w->user(c.created_by).info.id); }},
      {Field("LastModifiedDate", FieldType::kDateTime), [](const DataCtx& c) { return Value::DateTime(c.LastModified()); }},
      {Reference("LastModifiedById", {"User"}, "LastModifiedBy"), [](const DataCtx& c) { return Str(c.UserId(29)); }},
      {Field("SystemModstamp", FieldType::kDateTime), [](const DataCtx& c) { return Value::DateTime(c.LastModified()); }},
  };
  for (const auto& t : tail) cols.push_back(t);
  return cols;
}

std::vector<std::string> PayerList() {
  std::vector<std::string> out;
  for (std::string_view p : kPayerNames) out.emplace_back(p);
  return out;
}

template <size_t N>
std::string PickStr(const char* const (&list)[N], uint64_t h) {
  return list[h % N];
}

ObjectInfo DataInfo(DataObject obj) {
  ObjectInfo info;
  info.name = DataObjectName(obj);
  info.key_prefix = DataObjectPrefix(obj);
  info.order_field = "CreatedDate";
  switch (obj) {
    case kObjAccount: info.label = "Account"; info.label_plural = "Accounts"; break;
    case kObjContact: info.label = "Contact"; info.label_plural = "Contacts"; break;
    case kObjCase: info.label = "Case"; info.label_plural = "Cases"; break;
    case kObjOpportunity: info.label = "Opportunity"; info.label_plural = "Opportunities"; break;
    case kObjPatient: info.label = "Patient"; info.label_plural = "Patients"; info.custom = true; break;
    case kObjAppointment: info.label = "Appointment"; info.label_plural = "Appointments"; info.custom = true; break;
    case kObjMedication:
      info.label = "EHR Patient Medication";
      info.label_plural = "EHR Patient Medications";
      info.custom = true;
      break;
    case kDataObjectCount: break;
  }
  return info;
}

std::vector<Column<DataCtx>> DataObjectColumns(DataObject obj) {
  switch (obj) {
    case kObjAccount:
      return DataColumns({
          {Field("Name", FieldType::kString, {.nillable = false}), [](const DataCtx& c) { return Str(c.w->AccountName(c.i)); }},
          {Picklist("Type", ToStrings({"Clinic", "Payer", "Referring Practice", "Vendor"})),
           [](const DataCtx& c) { return Str(c.w->AccountType(c.i)); }},
          {Field("Phone", FieldType::kString), [](const DataCtx& c) { return Str(c.w->Phone(c.H(1))); }},
          {Field("BillingStreet", FieldType::kTextArea), [](const DataCtx& c) {
             const std::string a = c.w->StreetAddress(c.H(2));
             return Str(a.substr(0, a.find(',')));
           }},
          {Field("BillingCity", FieldType::kString), [](const DataCtx& c) { return Str(std::string(Pick(kTownNames, c.H(2) >> 24))); }},
          {Field("BillingState", FieldType::kString), [](const DataCtx&) { return Str("MA"); }},
          {Picklist("Industry", ToStrings({"Healthcare", "Insurance"})),
           [](const DataCtx& c) { return Str(c.i % 5 == 0 ? "Insurance" : "Healthcare"); }},
          {Field("Description", FieldType::kTextArea), [](const DataCtx&) { return Value::Null(); }},
      });
    case kObjContact:
      return DataColumns({
          {Reference("AccountId", {"Account"}, "Account"),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjAccount), 0, c.H(1) % c.w->accounts())); }},
          {Field("LastName", FieldType::kString, {.nillable = false}), [](const DataCtx& c) { return Str(c.w->PersonLast(c.i)); }},
          {Field("FirstName", FieldType::kString), [](const DataCtx& c) { return Str(c.w->PersonFirst(c.i)); }},
          {Field("Name", FieldType::kString, {.nillable = false}), [](const DataCtx& c) { return Str(c.w->PersonName(c.i)); }},
          {Field("Email", FieldType::kString), [](const DataCtx& c) { return Str(c.w->PersonEmail(c.i, c.H(2))); }},
          {Field("Phone", FieldType::kString), [](const DataCtx& c) { return Str(c.w->Phone(c.H(3))); }},
          {Field("MobilePhone", FieldType::kString), [](const DataCtx& c) { return Str(c.w->Phone(c.H(4))); }},
          {Field("MailingStreet", FieldType::kTextArea), [](const DataCtx& c) {
             const std::string a = c.w->StreetAddress(Hash(c.w->seed(), kStreamField + 5, c.i));
             return Str(a.substr(0, a.find(',')));
           }},
          {Field("Birthdate", FieldType::kDate), [](const DataCtx& c) { return Value::Date(c.w->BirthDays(c.i)); }},
          {Field("Description", FieldType::kTextArea), [](const DataCtx&) { return Value::Null(); }},
      });
    case kObjCase:
      return DataColumns({
          {Field("CaseNumber", FieldType::kString, {.nillable = false}), [](const DataCtx& c) {
             char buf[16];
             std::snprintf(buf, sizeof buf, "%08llu", static_cast<unsigned long long>(1000 + c.i));
             return Str(buf);
           }},
          {Reference("ContactId", {"Contact"}, "Contact"),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjContact), 0, c.H(1) % c.w->contacts())); }},
          {Reference("AccountId", {"Account"}, "Account"),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjAccount), 0, c.H(2) % c.w->accounts())); }},
          {Field("Subject", FieldType::kString), [](const DataCtx& c) { return Str(c.w->CaseSubject(c.i)); }},
          {Picklist("Status", ToStrings({"New", "Working", "Escalated", "On Hold", "Closed"})), [](const DataCtx& c) {
             static const char* const kWindow[] = {"New", "Working", "Working", "Escalated", "On Hold"};
             return Str(c.created >= c.w->start() ? PickStr(kWindow, c.H(3)) : (c.H(3) % 10 < 8 ? "Closed" : "Working"));
           }},
          {Picklist("Priority", ToStrings({"Low", "Medium", "High", "Urgent"})), [](const DataCtx& c) {
             static const char* const kPriorities[] = {"Low", "Medium", "Medium", "High", "Urgent"};
             return Str(PickStr(kPriorities, c.H(4)));
           }},
          {Picklist("Origin", ToStrings({"Phone", "Web", "Email", "Patient Portal"})), [](const DataCtx& c) {
             static const char* const kOrigins[] = {"Phone", "Phone", "Web", "Email", "Patient Portal"};
             return Str(PickStr(kOrigins, c.H(5)));
           }},
          {Field("Description", FieldType::kTextArea), [](const DataCtx&) { return Value::Null(); }},
      });
    case kObjOpportunity:
      return DataColumns({
          {Reference("AccountId", {"Account"}, "Account"),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjAccount), 0, c.i / 2)); }},
          {Field("Name", FieldType::kString, {.nillable = false}), [](const DataCtx& c) { return Str(c.w->OpportunityName(c.i)); }},
          {Picklist("StageName", ToStrings({"Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
                                            "Negotiation/Review", "Closed Won", "Closed Lost"}),
                    {.nillable = false}),
           [](const DataCtx& c) {
             static const char* const kStages[] = {"Prospecting", "Qualification", "Needs Analysis",
                                                   "Proposal/Price Quote", "Negotiation/Review", "Closed Won",
                                                   "Closed Lost"};
             return Str(PickStr(kStages, c.H(1)));
           }},
          {Field("Amount", FieldType::kDouble), [](const DataCtx& c) { return Value::Double(static_cast<double>(5000 + c.H(2) % 400 * 500)); }},
          {Field("CloseDate", FieldType::kDate, {.nillable = false}),
           [](const DataCtx& c) { return Value::Date(FloorTo(c.created, kDay) / kDay + 30 + static_cast<int64_t>(c.H(3) % 300)); }},
          {Picklist("Type", ToStrings({"New Business", "Renewal"})),
           [](const DataCtx& c) { return Str(c.H(4) % 3 == 0 ? "Renewal" : "New Business"); }},
          {Field("NextStep", FieldType::kString), [](const DataCtx&) { return Value::Null(); }},
      });
    case kObjPatient:
      return DataColumns({
          {Field("Name", FieldType::kString, {.nillable = false}), [](const DataCtx& c) { return Str(c.w->PersonName(c.i)); }},
          {Field("MRN__c", FieldType::kString, kCustom), [](const DataCtx& c) { return Str(c.w->Mrn(c.i)); }},
          {Field("Date_of_Birth__c", FieldType::kDate, kCustom), [](const DataCtx& c) { return Value::Date(c.w->BirthDays(c.i)); }},
          {Picklist("Gender__c", ToStrings({"Female", "Male", "Non-binary", "Unknown"}), kCustom), [](const DataCtx& c) {
             static const char* const kGenders[] = {"Female", "Male", "Female", "Male", "Female", "Male", "Non-binary", "Unknown"};
             return Str(PickStr(kGenders, c.H(1)));
           }},
          {Field("Phone__c", FieldType::kString, kCustom), [](const DataCtx& c) { return Str(c.w->Phone(c.H(2))); }},
          {Field("Email__c", FieldType::kString, kCustom), [](const DataCtx& c) { return Str(c.w->PersonEmail(c.i, c.H(3))); }},
          {Field("Mailing_Address__c", FieldType::kString, kCustom), [](const DataCtx& c) { return Str(c.w->StreetAddress(c.H(4))); }},
          {Reference("Primary_Provider__c", {"User"}, "Primary_Provider__r", kCustom), [](const DataCtx& c) {
             const auto& p = c.w->physicians();
             return Str(c.w->user(p[c.H(5) % p.size()]).info.id);
           }},
          {Picklist("Status__c", ToStrings({"Active", "Inactive", "Transferred", "Deceased"}), kCustom), [](const DataCtx& c) {
             const uint64_t x = c.H(6) % 100;
             return Str(x < 85 ? "Active" : (x < 95 ? "Inactive" : (x < 99 ? "Transferred" : "Deceased")));
           }},
          {Picklist("Insurance_Plan__c", PayerList(), kCustom), [](const DataCtx& c) { return Str(std::string(Pick(kPayerNames, c.H(7)))); }},
          {Field("Diagnosis_Code__c", FieldType::kString, kCustom), [](const DataCtx& c) { return Str(std::string(Pick(kDiagnosisCodes, c.H(8)))); }},
          {Field("Clinical_Notes__c", FieldType::kTextArea, kCustom), [](const DataCtx&) { return Str("Synthetic record: no clinical content."); }},
          {Reference("Contact__c", {"Contact"}, "Contact__r", kCustom),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjContact), 0, c.i)); }},
      });
    case kObjAppointment:
      return DataColumns({
          {Field("Name", FieldType::kString, {.nillable = false}), [](const DataCtx& c) {
             char buf[24];
             std::snprintf(buf, sizeof buf, "APT-%07llu", static_cast<unsigned long long>(c.i + 1));
             return Str(buf);
           }},
          {Reference("Patient__c", {"Patient__c"}, "Patient__r", kCustom),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjPatient), 0, c.i / 3)); }},
          {Reference("Provider__c", {"User"}, "Provider__r", kCustom), [](const DataCtx& c) {
             const auto& p = c.w->physicians();
             return Str(c.w->user(p[c.H(1) % p.size()]).info.id);
           }},
          {Field("Start_Time__c", FieldType::kDateTime, kCustom), [](const DataCtx& c) {
             const TimeMs day = FloorTo(c.created, kDay) + (1 + static_cast<TimeMs>(c.H(2) % 60)) * kDay;
             return Value::DateTime(day + 12 * kHour + static_cast<TimeMs>(c.H(3) % 36) * 15 * kMinute);
           }},
          {Field("Duration_Minutes__c", FieldType::kDouble, kCustom),
           [](const DataCtx& c) { return Value::Double(static_cast<double>(15 * (1 + c.H(4) % 4))); }},
          {Picklist("Location__c", ToStrings({"Main Campus", "North Clinic", "South Clinic", "Telehealth"}), kCustom),
           [](const DataCtx& c) {
             static const char* const kLocations[] = {"Main Campus", "North Clinic", "South Clinic", "Telehealth"};
             return Str(PickStr(kLocations, c.H(5)));
           }},
          {Picklist("Status__c", ToStrings({"Scheduled", "Completed", "No Show", "Cancelled"}), kCustom), [](const DataCtx& c) {
             static const char* const kStatuses[] = {"Completed", "Completed", "Completed", "Scheduled", "No Show", "Cancelled"};
             return Str(PickStr(kStatuses, c.H(6)));
           }},
          {Field("Reason__c", FieldType::kString, kCustom), [](const DataCtx& c) {
             static const char* const kReasons[] = {"Annual physical", "Follow-up visit", "New patient visit",
                                                    "Medication review", "Lab results review", "Telehealth check-in"};
             return Str(PickStr(kReasons, c.H(7)));
           }},
      });
    case kObjMedication:
      return DataColumns({
          {Field("Name", FieldType::kString, {.nillable = false}), [](const DataCtx& c) {
             char buf[24];
             std::snprintf(buf, sizeof buf, "MED-%07llu", static_cast<unsigned long long>(c.i + 1));
             return Str(buf);
           }},
          {Reference("HealthCloudGA__Patient__c", {"Patient__c"}, "HealthCloudGA__Patient__r", kCustom),
           [](const DataCtx& c) { return Str(MakeId(DataObjectPrefix(kObjPatient), 0, c.i / 2)); }},
          {Field("HealthCloudGA__MedicationName__c", FieldType::kString, kCustom),
           [](const DataCtx& c) { return Str(c.w->MedicationName(c.i)); }},
          {Field("HealthCloudGA__DosageQuantity__c", FieldType::kString, kCustom), [](const DataCtx& c) {
             static const char* const kDoses[] = {"1 tablet", "2 tablets", "0.5 tablet", "1 capsule", "5 mL", "10 mL"};
             return Str(PickStr(kDoses, c.H(1)));
           }},
          {Picklist("HealthCloudGA__Status__c", ToStrings({"active", "on-hold", "completed", "stopped"}), kCustom),
           [](const DataCtx& c) {
             static const char* const kStatuses[] = {"active", "active", "active", "completed", "stopped", "on-hold"};
             return Str(PickStr(kStatuses, c.H(2)));
           }},
          {Field("HealthCloudGA__Notes__c", FieldType::kTextArea, kCustom), [](const DataCtx&) { return Value::Null(); }},
      });
    case kDataObjectCount: break;
  }
  return {};
}

class DataTable final : public Table {
 public:
  DataTable(const World& world, const Generator& gen, DataObject obj)
      : world_(world),
        gen_(gen),
        obj_(obj),
        pre_(world, obj, BaseRecordCount(world, obj)),
        columns_(DataObjectColumns(obj)),
        def_(MakeObjectDef(DataInfo(obj), columns_)) {}

  const ObjectDef& def() const override { return def_; }
  uint64_t Count(TimeMs now) const override {
    const uint64_t pre = pre_.CountAt(now);
    if (pre < pre_.count() || obj_ != kObjCase) return pre;
    const HistoryModel& cases = gen_.history_model(kHistCase);
    return pre + std::min(cases.WindowCases(), cases.CasesCreatedThroughRows(cases.LowerBound(After(now))));
  }
  uint64_t LowerBound(TimeMs t, TimeMs now) const override {
    uint64_t lb = pre_.LowerBound(t);
    if (lb == pre_.count() && obj_ == kObjCase) {
      const HistoryModel& cases = gen_.history_model(kHistCase);
      lb += std::min(cases.WindowCases(), cases.CasesCreatedThroughRows(cases.LowerBound(t)));
    }
    return std::min(lb, Count(now));
  }
  Record Row(uint64_t i, TimeMs now) const override {
    DataCtx ctx{&world_, obj_, i, 0, 0, false};
    if (i < pre_.count()) {
      ctx.created = pre_.Created(i);
      const auto& humans = world_.humans();
      ctx.created_by = humans[Hash(world_.seed(), kStreamField + 31, i * 7 + static_cast<uint64_t>(obj_)) % humans.size()];
    } else {
      const HistoryModel& cases = gen_.history_model(kHistCase);
      const HistoryRow created = cases.At(cases.CaseCreatedRow(i - pre_.count()));
      ctx.created = created.time;
      ctx.created_by = created.created_by;
    }
    const TimeMs recycled = RecycledAt(world_, obj_, i);
    ctx.deleted = recycled <= now && recycled >= ctx.created;
    Record r;
    r.def = &def_;
    r.values = EvaluateColumns(columns_, ctx);
    if (ctx.deleted) r.flags |= kRecordDeleted;
    return r;
  }

 private:
  const World& world_;
  const Generator& gen_;
  DataObject obj_;
  PreWindowRecords pre_;
  std::vector<Column<DataCtx>> columns_;
  ObjectDef def_;
};

// ---------------------------------------------------------------------------------------------
// Field history.

class HistoryTable final : public Table {
 public:
  HistoryTable(const World& world, const HistorySpec& spec, const MergedSequence<HistoryRow>& seq)
      : world_(world), spec_(spec), seq_(seq) {
    def_.name = spec.name;
    def_.label = spec.label;
    def_.label_plural = spec.label;
    def_.key_prefix = "017";
    def_.custom = spec.custom;
    def_.order_field = "CreatedDate";
    std::vector<std::string> field_values;
    std::vector<std::string> data_types;
    for (const TrackedField& f : spec.fields) {
      field_values.push_back(f.name);
      if (std::find(data_types.begin(), data_types.end(), f.data_type) == data_types.end()) data_types.push_back(f.data_type);
    }
    const std::string parent_object = DataObjectName(spec.parent);
    def_.fields = {
        IdField(),
        Field("IsDeleted", FieldType::kBoolean, {.nillable = false}),
        Reference(spec.parent_field, {parent_object}, spec.relationship, {.nillable = false}),
        Reference("CreatedById", {"User"}, "CreatedBy"),
        Field("CreatedDate", FieldType::kDateTime, {.nillable = false}),
        Picklist("Field", field_values, {.nillable = false}),
        Picklist("DataType", data_types),
        Field("OldValue", FieldType::kAnyType),
        Field("NewValue", FieldType::kAnyType),
    };
  }
  const ObjectDef& def() const override { return def_; }
  uint64_t Count(TimeMs now) const override { return seq_.LowerBound(After(now)); }
  uint64_t LowerBound(TimeMs t, TimeMs now) const override { return std::min(seq_.LowerBound(t), Count(now)); }
  Record Row(uint64_t i, TimeMs now) const override { return Project(seq_.At(i), now); }

  Record Project(const HistoryRow& row, TimeMs now) const {
    const TrackedField& field = spec_.fields[row.field];
    const bool deleted = RecycledAt(world_, spec_.parent, row.parent) <= now;
    Record r;
    r.def = &def_;
    r.values = {
        Str(row.id),
        Value::Bool(deleted),
        Str(MakeId(DataObjectPrefix(spec_.parent), 0, row.parent)),
        Str(world_.user(row.created_by).info.id),
        Value::DateTime(row.time),
        Str(field.name),
        Str(field.data_type),
        row.old_value,
        row.new_value,
    };
    if (deleted) r.flags |= kRecordDeleted;
    if (field.fls_restricted) r.flags |= kRecordFlsRestricted;
    return r;
  }

 private:
  const World& world_;
  const HistorySpec& spec_;
  const MergedSequence<HistoryRow>& seq_;
  ObjectDef def_;
};

// Field Audit Trail: archived changes from before the window, in big-object index order.
class ArchiveTable final : public Table {
 public:
  ArchiveTable(const World& world, const Generator& gen) : world_(world), gen_(gen) {
    // FieldHistoryType ascending.
    for (int o = 0; o < kHistoryObjectCount; ++o) order_.push_back(static_cast<HistoryObject>(o));
    std::sort(order_.begin(), order_.end(), [](HistoryObject a, HistoryObject b) {
      return std::string(DataObjectName(HistorySpecs()[a].parent)) < std::string(DataObjectName(HistorySpecs()[b].parent));
    });
    const TimeMs archive_end = world.start() - 548 * kDay;  // changes older than 18 months
    uint64_t total = 0;
    for (HistoryObject o : order_) {
      const DataObject parent = HistorySpecs()[o].parent;
      const PreWindowRecords pre(world, parent, BaseRecordCount(world, parent));
      Block block;
      block.object = o;
      block.first = total;
      block.prefix.assign(pre.count() + 1, 0);
      for (uint64_t p = 0; p < pre.count(); ++p) {
        uint32_t n = 0;
        if (pre.Created(p) < archive_end - kDay) {
          const uint64_t x = Hash(world.seed(), kStreamArchive + static_cast<uint64_t>(o), p) % 100;
          n = x < 40 ? 0 : x < 65 ? 1 : x < 80 ? 2 : x < 92 ? 3 : 4;
        }
        block.prefix[p + 1] = block.prefix[p] + n;
      }
      total += block.prefix.back();
      blocks_.push_back(std::move(block));
    }
    total_ = total;
    archive_end_ = archive_end;

    const std::vector<std::string> types = [&] {
      std::vector<std::string> t;
      for (HistoryObject o : order_) t.emplace_back(DataObjectName(HistorySpecs()[o].parent));
      return t;
    }();
    def_.name = "FieldHistoryArchive";
    def_.label = "Field History Archive";
    def_.label_plural = "Field History Archives";
    def_.key_prefix = "0FH";  // invented: the real prefix is not in our sources
    def_.rule = QueryRule::kBigObjectIndex;
    def_.index_fields = {"FieldHistoryType", "ParentId", "CreatedDate"};
    const FieldSpec unfiltered{.filterable = false, .sortable = false};
    def_.fields = {
        IdField(),
        Picklist("FieldHistoryType", types, {.nillable = false}),
        Reference("ParentId", types, "Parent", {.nillable = false}),
        Field("CreatedDate", FieldType::kDateTime, {.nillable = false}),
        Reference("CreatedById", {"User"}, "CreatedBy", unfiltered),
        Field("Field", FieldType::kString, unfiltered),
        Field("OldValue", FieldType::kAnyType),
        Field("NewValue", FieldType::kAnyType),
        Field("ArchiveFieldName", FieldType::kString, unfiltered),
        Field("ArchiveParentName", FieldType::kString, unfiltered),
        Field("ArchiveParentType", FieldType::kString, unfiltered),
        Field("ArchiveTimestamp", FieldType::kDateTime, unfiltered),
        Field("HistoryId", FieldType::kString, unfiltered),
    };
  }
  const ObjectDef& def() const override { return def_; }
  // Every archived row exists once the window starts (all were archived before it).
  uint64_t Count(TimeMs now) const override { return now >= archive_end_ ? total_ : 0; }
  // No order field: big objects come back in index order.
  uint64_t LowerBound(TimeMs, TimeMs) const override { return 0; }
  Record Row(uint64_t i, TimeMs) const override {
    size_t bi = 0;
    while (bi + 1 < blocks_.size() && blocks_[bi + 1].first <= i) ++bi;
    const Block& block = blocks_[bi];
    const uint64_t local = i - block.first;
    const auto it = std::upper_bound(block.prefix.begin(), block.prefix.end(), local);
    const uint64_t parent = static_cast<uint64_t>(it - block.prefix.begin() - 1);
    const uint64_t j = local - block.prefix[parent];
    const uint64_t n = block.prefix[parent + 1] - block.prefix[parent];
    const HistorySpec& spec = HistorySpecs()[block.object];
    const TimeMs created = PreWindowRecords(world_, spec.parent, BaseRecordCount(world_, spec.parent)).Created(parent);
    // CreatedDate descending within the parent: j-th newest change.
    Rng r(world_.seed(), kStreamArchive + 0x40 + static_cast<uint64_t>(block.object), local);
    const TimeMs span = archive_end_ - created;
    const double u = r.Unit();
    const TimeMs t = FloorTo(archive_end_ - static_cast<TimeMs>((static_cast<double>(j) + u) / static_cast<double>(n) *
                                                                 static_cast<double>(span)),
                             kSecond);
    HistoryRow row;
    row.parent = parent;
    uint32_t field = 0;
    {
      // A plain (non-lookup, non-created) field.
      std::vector<uint32_t> plain;
      for (uint32_t f = 0; f < spec.fields.size(); ++f) {
        const ValueKind kind = spec.fields[f].kind;
        if (kind != ValueKind::kCreated && kind != ValueKind::kLookupUser && kind != ValueKind::kLookupAccount &&
            kind != ValueKind::kLookupPhysician) {
          plain.push_back(f);
        }
      }
      field = plain[r.Below(plain.size())];
    }
    gen_.history_model(block.object).FillValues(spec.fields[field], r.Next(), false, &row);
    const auto& humans = world_.humans();
    const uint32_t user = humans[r.Below(humans.size())];
    const std::string type = DataObjectName(spec.parent);
    Record rec;
    rec.def = &def_;
    rec.values = {
        Str(MakeId("0FH", 0, i)),
        Str(type),
        Str(MakeId(DataObjectPrefix(spec.parent), 0, parent)),
        Value::DateTime(t),
        Str(world_.user(user).info.id),
        Str(spec.fields[field].name),
        row.old_value,
        row.new_value,
        Str(spec.fields[field].name),
        Str(ParentName(spec.parent, parent)),
        Str(type),
        Value::DateTime(t + 548 * kDay),
        Str(MakeId("017", 20 + static_cast<uint64_t>(block.object), local)),
    };
    if (spec.fields[field].fls_restricted) rec.flags |= kRecordFlsRestricted;
    return rec;
  }

 private:
  struct Block {
    HistoryObject object;
    uint64_t first = 0;
    std::vector<uint64_t> prefix;  // archived rows before parent p
  };
  std::string ParentName(DataObject obj, uint64_t p) const {
    switch (obj) {
      case kObjAccount: return world_.AccountName(p);
      case kObjContact:
      case kObjPatient: return world_.PersonName(p);
      case kObjCase: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%08llu", static_cast<unsigned long long>(1000 + p));
        return buf;
      }
      case kObjOpportunity: return world_.OpportunityName(p);
      case kObjMedication: {
        char buf[24];
        std::snprintf(buf, sizeof buf, "MED-%07llu", static_cast<unsigned long long>(p + 1));
        return buf;
      }
      default: return "";
    }
  }

  const World& world_;
  const Generator& gen_;
  std::vector<HistoryObject> order_;
  std::vector<Block> blocks_;
  uint64_t total_ = 0;
  TimeMs archive_end_ = 0;
  ObjectDef def_;
};

// ---------------------------------------------------------------------------------------------
// Projections of activity sequences.

template <typename T>
struct EventCtx {
  const World* w;
  const Generator* gen;
  const T* a;
  TimeMs created;
  const UserInfo& user() const { return w->user(a->user).info; }
};

template <typename T>
class SeqTable final : public Table {
 public:
  // storage: RTEM object (visible kStorageVisibleLag after EventDate, CreatedDate = EventDate + lag).
  // whole_seconds: the order field is the activity time truncated to the second.
  SeqTable(const ObjectInfo& info, std::vector<Column<EventCtx<T>>> columns, const Sequence<T>& seq,
           const World& world, const Generator& gen, bool storage, bool whole_seconds)
      : columns_(std::move(columns)),
        def_(MakeObjectDef(info, columns_)),
        seq_(seq),
        world_(world),
        gen_(gen),
        storage_(storage),
        whole_seconds_(whole_seconds) {}
  const ObjectDef& def() const override { return def_; }
  uint64_t Count(TimeMs now) const override {
    return seq_.LowerBound(After(storage_ ? Before(now, kStorageVisibleLag) : now));
  }
  uint64_t LowerBound(TimeMs t, TimeMs now) const override {
    return std::min(seq_.LowerBound(whole_seconds_ ? CeilTo(t, kSecond) : t), Count(now));
  }
  Record Row(uint64_t i, TimeMs) const override {
    const T a = seq_.At(i);
    EventCtx<T> ctx{&world_, &gen_, &a, 0};
    if constexpr (requires { a.event_identifier; }) {
      ctx.created = storage_ ? StorageCreatedDate(a.time, a.event_identifier) : FloorTo(a.time, kSecond);
    } else {
      ctx.created = FloorTo(a.time, kSecond);
    }
    Record r;
    r.def = &def_;
    r.values = EvaluateColumns(columns_, ctx);
    return r;
  }

 private:
  std::vector<Column<EventCtx<T>>> columns_;
  ObjectDef def_;
  const Sequence<T>& seq_;
  const World& world_;
  const Generator& gen_;
  bool storage_;
  bool whole_seconds_;
};

constexpr const char* kStorageId = "000000000000000AAA";

template <typename T>
void AddStorageHead(std::vector<Column<EventCtx<T>>>* cols, bool policy) {
  using C = EventCtx<T>;
  cols->push_back({IdField(), [](const C&) { return Str(kStorageId); }});
  cols->push_back({Field("CreatedDate", FieldType::kDateTime), [](const C& c) { return Value::DateTime(c.created); }});
  cols->push_back({Field("EventIdentifier", FieldType::kString), [](const C& c) { return Str(c.a->event_identifier); }});
  cols->push_back({Reference("UserId", {"User"}, "User"), [](const C& c) { return Str(c.user().id); }});
  cols->push_back({Field("Username", FieldType::kString), [](const C& c) { return Str(c.user().username); }});
  cols->push_back({Field("EventDate", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(c.a->time); }});
  cols->push_back({Field("RelatedEventIdentifier", FieldType::kString), [](const C&) { return Value::Null(); }});
  if (policy) {
    cols->push_back({Reference("PolicyId", {"TransactionSecurityPolicy"}, "Policy"), [](const C&) { return Value::Null(); }});
    cols->push_back({Picklist("PolicyOutcome", ToStrings({"Block", "Error", "ExemptNoAction", "FailedInvalidPassword",
                                                          "FailedPasswordLockout", "NoAction", "Notified",
                                                          "TwoFAAutomatedSuccess", "TwoFADenied", "TwoFAInitiated",
                                                          "TwoFANoAction", "TwoFARecoverableError",
                                                          "TwoFAReportedDenied", "TwoFASucceeded"})),
                     [](const C&) { return Value::Null(); }});
    // Real responses render 0 (not 0.0) here.
    cols->push_back({Field("EvaluationTime", FieldType::kInt), [](const C&) { return Value::Int(0); }});
  }
  cols->push_back({Field("SessionKey", FieldType::kString), [](const C& c) { return StrOrNull(c.a->session_key); }});
  cols->push_back({Field("LoginKey", FieldType::kString), [](const C& c) { return StrOrNull(c.a->login_key); }});
  cols->push_back({Picklist("SessionLevel", ToStrings({"HIGH_ASSURANCE", "LOW", "STANDARD"})), [](const C&) { return Str("STANDARD"); }});
  cols->push_back({Field("SourceIp", FieldType::kString), [](const C& c) { return Str(c.a->client_ip); }});
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string LoginEventSubType(const std::string& sub_type) {
  if (sub_type == "OauthUsernamePassword") return "OAuth Username-Password";
  if (sub_type == "OauthClientCredentials") return "OAuth Client Credentials";
  if (sub_type == "OauthRefreshToken") return "OAuth Refresh Token";
  return sub_type;
}

ObjectInfo StorageInfo(const char* name, const char* label, const char* plural) {
  ObjectInfo info;
  info.name = name;
  info.label = label;
  info.label_plural = plural;
  info.key_prefix = "";
  info.rule = QueryRule::kEventStorage;
  info.order_field = "EventDate";
  return info;
}

}  // namespace

TimeMs StorageCreatedDate(TimeMs event_time, const std::string& event_identifier) {
  return event_time + 400 + static_cast<TimeMs>(Fnv1a(event_identifier) % 8500);
}

std::string LoginHistoryIdOfKey(const Generator& gen, const std::string& login_key) {
  const std::optional<uint64_t> payload = DecodeKey(login_key, gen.login_model().key_secret());
  if (!payload) return "";
  const uint64_t kind = *payload >> 56;
  const uint64_t index = *payload & ((1ULL << 56) - 1);
  if (kind == kKeyBaseLogin && index < gen.merged_logins().base().Size()) return MakeId("0Ya", 0, index);
  if (kind == kKeyScenarioLogin && index < gen.merged_logins().extras().size()) return MakeId("0Ya", 1, index);
  return "";
}

std::unique_ptr<Table> MakeUserTable(const World& world) {
  using C = StaticCtx;
  std::vector<std::string> zones;
  for (int tz = 0; tz < kTimeZoneCount; ++tz) zones.emplace_back(TimeZoneId(static_cast<TimeZone>(tz)));
  const std::vector<Column<C>> cols = {
      {IdField(), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.id); }},
      {Field("Username", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.username); }},
      {Field("LastName", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.last_name); }},
      {Field("FirstName", FieldType::kString), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.first_name); }},
      {Field("Name", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.name); }},
      {Field("CompanyName", FieldType::kString), [](const C&) { return Str("St. Mary's Health (synthetic)"); }},
      {Field("Title", FieldType::kString), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).title); }},
      {Field("Department", FieldType::kString), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).department); }},
      {Field("Email", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.email); }},
      {Field("Alias", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).alias); }},
      {Picklist("TimeZoneSidKey", zones, {.nillable = false}), [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.time_zone); }},
      {Field("IsActive", FieldType::kBoolean, {.nillable = false}), [](const C& c) { return Value::Bool(c.w->user(static_cast<uint32_t>(c.i)).info.active); }},
      {Picklist("UserType", ToStrings({"Standard", "PowerPartner", "CspLitePortal", "Guest"})),
       [](const C& c) { return Str(c.w->user(static_cast<uint32_t>(c.i)).info.user_type); }},
      {Reference("ProfileId", {"Profile"}, "Profile", {.nillable = false}),
       [](const C& c) { return Str(c.w->profiles()[static_cast<size_t>(c.w->user(static_cast<uint32_t>(c.i)).profile)].id); }},
      {Field("CreatedDate", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(UserCreated(*c.w, c.i)); }},
      {Reference("CreatedById", {"User"}, "CreatedBy", {.nillable = false}), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
      {Field("LastModifiedDate", FieldType::kDateTime), [](const C& c) { return Value::DateTime(UserCreated(*c.w, c.i)); }},
      {Reference("LastModifiedById", {"User"}, "LastModifiedBy"), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
  };
  std::vector<C> ctxs;
  std::vector<TimeMs> created;
  for (uint64_t i = 0; i < world.users().size(); ++i) {
    ctxs.push_back({&world, i});
    created.push_back(UserCreated(world, i));
  }
  return BuildStatic(ObjectInfo{"User", "User", "Users", "005", false, QueryRule::kGeneral, "CreatedDate", {}}, cols,
                     ctxs, created);
}

std::unique_ptr<Table> MakeProfileTable(const World& world) {
  using C = StaticCtx;
  const std::vector<Column<C>> cols = {
      {IdField(), [](const C& c) { return Str(c.w->profiles()[c.i].id); }},
      {Field("Name", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.w->profiles()[c.i].name); }},
      {Picklist("UserType", ToStrings({"Standard", "PowerPartner", "CspLitePortal", "Guest"})),
       [](const C& c) { return Str(c.w->profiles()[c.i].user_type); }},
      {Field("Description", FieldType::kString), [](const C& c) { return Str(c.w->profiles()[c.i].description); }},
      {Field("CreatedDate", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(ProfileCreated(*c.w, c.i)); }},
      {Reference("CreatedById", {"User"}, "CreatedBy", {.nillable = false}), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
      {Field("LastModifiedDate", FieldType::kDateTime), [](const C& c) { return Value::DateTime(ProfileCreated(*c.w, c.i)); }},
      {Reference("LastModifiedById", {"User"}, "LastModifiedBy"), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
  };
  std::vector<C> ctxs;
  std::vector<TimeMs> created;
  for (uint64_t i = 0; i < world.profiles().size(); ++i) {
    ctxs.push_back({&world, i});
    created.push_back(ProfileCreated(world, i));
  }
  return BuildStatic(ObjectInfo{"Profile", "Profile", "Profiles", "00e", false, QueryRule::kGeneral, "CreatedDate", {}},
                     cols, ctxs, created);
}

std::unique_ptr<Table> MakeReportTable(const World& world) {
  using C = StaticCtx;
  const std::vector<Column<C>> cols = {
      {IdField(), [](const C& c) { return Str(ReportId(c.i)); }},
      {Field("Name", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(ReportCatalog()[c.i].name); }},
      {Field("DeveloperName", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(ReportCatalog()[c.i].developer_name); }},
      {Field("FolderName", FieldType::kString), [](const C& c) { return Str(ReportCatalog()[c.i].folder); }},
      {Picklist("Format", ToStrings({"Tabular", "Summary", "Matrix", "MultiBlock"})),
       [](const C& c) { return Str(ReportCatalog()[c.i].columns <= 2 ? "Summary" : "Tabular"); }},
      {Field("Description", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Reference("OwnerId", {"User"}, "Owner"), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
      {Field("CreatedDate", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(ReportCreated(*c.w, c.i)); }},
      {Reference("CreatedById", {"User"}, "CreatedBy", {.nillable = false}), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
      {Field("LastModifiedDate", FieldType::kDateTime), [](const C& c) { return Value::DateTime(ReportCreated(*c.w, c.i)); }},
      {Reference("LastModifiedById", {"User"}, "LastModifiedBy"), [](const C& c) { return Str(c.w->user(kUserAdmin).info.id); }},
  };
  std::vector<C> ctxs;
  std::vector<TimeMs> created;
  for (uint64_t i = 0; i < ReportCatalog().size(); ++i) {
    ctxs.push_back({&world, i});
    created.push_back(ReportCreated(world, i));
  }
  return BuildStatic(ObjectInfo{"Report", "Report", "Reports", "00O", false, QueryRule::kGeneral, "CreatedDate", {}},
                     cols, ctxs, created);
}

std::unique_ptr<Table> MakeDataTable(const World& world, const Generator& gen, DataObject object) {
  return std::make_unique<DataTable>(world, gen, object);
}

std::unique_ptr<Table> MakeHistoryTable(const World& world, const Generator& gen, HistoryObject object) {
  return std::make_unique<HistoryTable>(world, HistorySpecs()[object], gen.History(object));
}

std::unique_ptr<Table> MakeFieldHistoryArchiveTable(const World& world, const Generator& gen) {
  return std::make_unique<ArchiveTable>(world, gen);
}

std::unique_ptr<Table> MakeLoginHistoryTable(const World& world, const Generator& gen) {
  using C = EventCtx<LoginActivity>;
  const FieldSpec nf{.filterable = false};
  const std::vector<Column<C>> cols = {
      {IdField(), [](const C& c) { return Str(c.a->login_history_id); }},
      {Reference("UserId", {"User"}, "User"), [](const C& c) { return Str(c.user().id); }},
      {Field("LoginTime", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(c.created); }},
      {Picklist("LoginType", ToStrings({"Application", "Remote Access 2.0", "Remote Access Client", "SAML Sfdc Initiated SSO",
                                        "Certificate-based login", "Lightning Login", "Other Apex API", "Partner Product"}),
                {.nillable = false}),
       [](const C& c) { return Str(c.a->login_type); }},
      {Field("SourceIp", FieldType::kString, nf), [](const C& c) { return Str(c.a->client_ip); }},
      {Field("LoginUrl", FieldType::kString), [](const C& c) { return Str(c.a->login_url); }},
      {Reference("NetworkId", {"Network"}, "Network"), [](const C&) { return Value::Null(); }},
      {Reference("AuthenticationServiceId", {"AuthProvider", "SamlSsoConfig"}, "AuthenticationService"),
       [](const C&) { return Value::Null(); }},
      {Reference("LoginGeoId", {"LoginGeo"}, "LoginGeo", nf),
       [](const C& c) { return Str("04F" + c.a->login_history_id.substr(3, 12) + CaseSafeSuffix("04F" + c.a->login_history_id.substr(3, 12))); }},
      {Picklist("TlsProtocol", ToStrings({"TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3", "Unknown"})), [](const C& c) { return Str(c.a->tls_protocol); }},
      {Picklist("CipherSuite", ToStrings({"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384",
                                          "TLS_AES_128_GCM_SHA256", "Unknown"})),
       [](const C& c) { return Str(c.a->cipher_suite); }},
      {Field("OptionsIsGet", FieldType::kBoolean, {.nillable = false}), [](const C&) { return Value::Bool(false); }},
      {Field("OptionsIsPost", FieldType::kBoolean, {.nillable = false}), [](const C&) { return Value::Bool(true); }},
      {Field("Browser", FieldType::kString, nf), [](const C& c) { return Str(c.a->browser); }},
      {Field("Platform", FieldType::kString, nf), [](const C& c) { return Str(c.a->platform); }},
      {Field("Status", FieldType::kString, nf), [](const C& c) { return Str(c.a->status); }},
      {Field("Application", FieldType::kString, nf), [](const C& c) { return Str(c.a->application); }},
      {Field("ClientVersion", FieldType::kString, nf), [](const C&) { return Str("N/A"); }},
      {Field("ApiType", FieldType::kString, nf), [](const C& c) { return Str(c.a->api_type); }},
      {Field("ApiVersion", FieldType::kString, nf), [](const C& c) { return Str(c.a->api_version); }},
      {Picklist("CountryIso", ToStrings({"US", "RO", "NL", "BR"})), [](const C& c) { return Str(c.a->country_iso); }},
      {Field("AuthMethodReference", FieldType::kString, nf), [](const C&) { return Value::Null(); }},
      {Picklist("LoginSubType", ToStrings({"OauthClientCredentials", "OauthRefreshToken", "OauthUsernamePassword",
                                           "OauthWebServer", "UsernamePasswordUiLogin", "UiPasswordReset"}),
                nf),
       [](const C& c) { return StrOrNull(c.a->login_sub_type); }},
      {Field("ForwardedForIp", FieldType::kString, nf), [](const C&) { return Value::Null(); }},
  };
  ObjectInfo info{"LoginHistory", "Login History", "Login History", "0Ya", false, QueryRule::kGeneral, "LoginTime", {}};
  return std::make_unique<SeqTable<LoginActivity>>(info, cols, gen.Logins(), world, gen, false, true);
}

std::unique_ptr<Table> MakeLoginGeoTable(const World& world, const Generator& gen) {
  using C = EventCtx<LoginActivity>;
  const std::vector<Column<C>> cols = {
      {IdField(), [](const C& c) {
         const std::string id15 = "04F" + c.a->login_history_id.substr(3, 12);
         return Str(id15 + CaseSafeSuffix(id15));
       }},
      {Field("IsDeleted", FieldType::kBoolean, {.nillable = false}), [](const C&) { return Value::Bool(false); }},
      {Field("LoginTime", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(c.created); }},
      {Field("CountryIso", FieldType::kString), [](const C& c) { return Str(c.a->country_iso); }},
      {Field("Country", FieldType::kString), [](const C& c) { return Str(c.a->country); }},
      {Field("Subdivision", FieldType::kString), [](const C& c) { return StrOrNull(c.a->subdivision); }},
      {Field("City", FieldType::kString), [](const C& c) { return StrOrNull(c.a->city); }},
      {Field("PostalCode", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("Latitude", FieldType::kDouble), [](const C& c) { return Value::Double(c.a->latitude); }},
      {Field("Longitude", FieldType::kDouble), [](const C& c) { return Value::Double(c.a->longitude); }},
      {Field("CreatedDate", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(c.created); }},
      {Reference("CreatedById", {"User"}, "CreatedBy"), [](const C& c) { return Str(c.user().id); }},
  };
  ObjectInfo info{"LoginGeo", "Login Geo Data", "Login Geo Data", "04F", false, QueryRule::kGeneral, "LoginTime", {}};
  return std::make_unique<SeqTable<LoginActivity>>(info, cols, gen.Logins(), world, gen, false, true);
}

std::unique_ptr<Table> MakeSetupAuditTrailTable(const World& world, const Generator& gen) {
  using C = EventCtx<AuditRow>;
  const std::vector<Column<C>> cols = {
      {IdField(), [](const C& c) { return Str(c.a->id); }},
      {Field("Action", FieldType::kString, {.nillable = false}), [](const C& c) { return Str(c.a->action); }},
      {Field("Section", FieldType::kString), [](const C& c) { return Str(c.a->section); }},
      {Field("CreatedDate", FieldType::kDateTime, {.nillable = false}), [](const C& c) { return Value::DateTime(c.a->time); }},
      {Reference("CreatedById", {"User"}, "CreatedBy"), [](const C& c) { return Str(c.w->user(c.a->created_by).info.id); }},
      {Field("Display", FieldType::kString), [](const C& c) { return Str(c.a->display); }},
      {Field("DelegateUser", FieldType::kString), [](const C& c) { return StrOrNull(c.a->delegate_user); }},
      {Field("ResponsibleNamespacePrefix", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("CreatedByContext", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("CreatedByIssuer", FieldType::kString), [](const C&) { return Value::Null(); }},
  };
  ObjectInfo info{"SetupAuditTrail", "Setup Audit Trail", "Setup Audit Trail", "0Ym", false, QueryRule::kGeneral,
                  "CreatedDate", {}};
  return std::make_unique<SeqTable<AuditRow>>(info, cols, gen.Audit(), world, gen, false, true);
}

std::unique_ptr<Table> MakeLoginEventTable(const World& world, const Generator& gen) {
  using C = EventCtx<LoginActivity>;
  std::vector<Column<C>> cols;
  AddStorageHead<LoginActivity>(&cols, true);
  const std::vector<Column<C>> rest = {
      {Field("AdditionalInfo", FieldType::kString), [](const C&) { return Str("{}"); }},
      {Field("ApiType", FieldType::kString), [](const C& c) { return Str(c.a->api_type); }},
      {Field("ApiVersion", FieldType::kString), [](const C& c) { return Str(c.a->api_version); }},
      {Field("Application", FieldType::kString), [](const C& c) { return Str(c.a->application); }},
      {Reference("AuthServiceId", {"AuthProvider", "SamlSsoConfig"}, "AuthService"), [](const C&) { return Value::Null(); }},
      {Field("Browser", FieldType::kString), [](const C& c) { return Str(c.a->browser); }},
      {Picklist("HttpMethod", ToStrings({"DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"})), [](const C&) { return Str("POST"); }},
      {Field("CountryIso", FieldType::kString), [](const C& c) { return Str(c.a->country_iso); }},
      {Field("LoginLatitude", FieldType::kDouble), [](const C& c) { return Value::Double(c.a->latitude); }},
      {Field("LoginLongitude", FieldType::kDouble), [](const C& c) { return Value::Double(c.a->longitude); }},
      {Field("Country", FieldType::kString), [](const C& c) { return Str(c.a->country); }},
      {Field("City", FieldType::kString), [](const C& c) { return StrOrNull(c.a->city); }},
      {Field("PostalCode", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("Subdivision", FieldType::kString), [](const C& c) { return StrOrNull(c.a->subdivision); }},
      {Field("CipherSuite", FieldType::kString), [](const C& c) { return Str(c.a->cipher_suite); }},
      {Field("ClientVersion", FieldType::kString), [](const C&) { return Str("N/A"); }},
      {Reference("LoginGeoId", {"LoginGeo"}, "LoginGeo"), [](const C& c) {
         const std::string id15 = "04F" + c.a->login_history_id.substr(3, 12);
         return Str(id15 + CaseSafeSuffix(id15));
       }},
      {Reference("LoginHistoryId", {"LoginHistory"}, "LoginHistory"), [](const C& c) { return Str(c.a->login_history_id); }},
      {Field("LoginType", FieldType::kString), [](const C& c) { return Str(c.a->login_type); }},
      {Field("LoginUrl", FieldType::kString), [](const C& c) { return Str(c.a->login_url); }},
      {Field("Platform", FieldType::kString), [](const C& c) { return Str(c.a->platform); }},
      {Field("Status", FieldType::kString), [](const C& c) { return Str(c.a->status); }},
      {Field("TlsProtocol", FieldType::kString), [](const C& c) { return Str(c.a->tls_protocol); }},
      {Field("UserType", FieldType::kString), [](const C& c) { return Str(c.user().user_type); }},
      {Field("AuthMethodReference", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("LoginSubType", FieldType::kString), [](const C& c) { return StrOrNull(LoginEventSubType(c.a->login_sub_type)); }},
  };
  for (const auto& c : rest) cols.push_back(c);
  return std::make_unique<SeqTable<LoginActivity>>(StorageInfo("LoginEvent", "Login Event", "Login Events"), cols,
                                                   gen.Logins(), world, gen, true, false);
}

std::unique_ptr<Table> MakeLogoutEventTable(const World& world, const Generator& gen) {
  std::vector<Column<EventCtx<LogoutActivity>>> cols;
  AddStorageHead<LogoutActivity>(&cols, false);
  return std::make_unique<SeqTable<LogoutActivity>>(StorageInfo("LogoutEvent", "Logout Event", "Logout Events"), cols,
                                                    gen.Logouts(), world, gen, true, false);
}

// Field list partly UNVERIFIED (research/salesforce.md §3.3).
std::unique_ptr<Table> MakeLoginAsEventTable(const World& world, const Generator& gen) {
  using C = EventCtx<LoginAsActivity>;
  std::vector<Column<C>> cols;
  AddStorageHead<LoginAsActivity>(&cols, true);
  const std::vector<Column<C>> rest = {
      {Field("DelegatedOrganizationId", FieldType::kString), [](const C& c) { return Str(c.w->config().org_id); }},
      {Field("DelegatedUsername", FieldType::kString), [](const C& c) { return Str(c.w->user(c.a->delegated_user).info.username); }},
      {Field("TargetUrl", FieldType::kString), [](const C& c) { return Str("https://" + c.w->InstanceHost() + "/lightning/page/home"); }},
      {Field("LoginType", FieldType::kString), [](const C&) { return Str("Application"); }},
      {Field("Application", FieldType::kString), [](const C&) { return Str("Browser"); }},
      {Field("Browser", FieldType::kString), [](const C& c) { return Str(c.w->user(c.a->delegated_user).browser); }},
      {Field("Platform", FieldType::kString), [](const C& c) { return Str(c.w->user(c.a->delegated_user).platform); }},
      {Field("UserType", FieldType::kString), [](const C& c) { return Str(c.user().user_type); }},
  };
  for (const auto& c : rest) cols.push_back(c);
  return std::make_unique<SeqTable<LoginAsActivity>>(StorageInfo("LoginAsEvent", "Login As Event", "Login As Events"),
                                                     cols, gen.LoginAs(), world, gen, true, false);
}

std::unique_ptr<Table> MakeReportEventTable(const World& world, const Generator& gen) {
  using C = EventCtx<ReportActivity>;
  std::vector<Column<C>> cols;
  AddStorageHead<ReportActivity>(&cols, true);
  const std::vector<Column<C>> rest = {
      {Field("ColumnHeaders", FieldType::kString), [](const C& c) { return Str(c.a->column_headers); }},
      {Reference("DashboardId", {"Dashboard"}, "Dashboard"), [](const C&) { return Value::Null(); }},
      {Field("DashboardName", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("Description", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("DisplayedFieldEntities", FieldType::kString), [](const C& c) { return Str(c.a->entity); }},
      {Picklist("EventSource", ToStrings({"API", "Classic", "Lightning"})), [](const C& c) { return Str(c.a->event_source); }},
      {Field("ExecutionIdentifier", FieldType::kString), [](const C& c) { return Str(Uuid(Fnv1a(c.a->event_identifier))); }},
      {Field("ExportFileFormat", FieldType::kString), [](const C& c) { return c.a->exported ? Str(c.a->format) : Value::Null(); }},
      {Field("GroupedColumnHeaders", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("IsScheduled", FieldType::kBoolean), [](const C&) { return Value::Bool(false); }},
      {Field("Name", FieldType::kString), [](const C& c) { return Str(c.a->report_name); }},
      {Field("NumberOfColumns", FieldType::kInt), [](const C& c) { return Value::Int(c.a->columns); }},
      {Picklist("Operation", ToStrings({"ReportExported", "ReportRunFromClassic", "ReportRunFromLightning",
                                        "ReportRunFromMobile", "ReportRunFromRestApi", "ReportRunUsingApexAsyncApi"})),
       [](const C& c) {
         if (c.a->exported) return Str("ReportExported");
         if (c.a->event_source == "Classic") return Str("ReportRunFromClassic");
         if (c.a->event_source == "API") return Str("ReportRunFromRestApi");
         return Str("ReportRunFromLightning");
       }},
      {Field("QueriedEntities", FieldType::kString), [](const C& c) { return Str(c.a->entity); }},
      {Field("Records", FieldType::kTextArea), [](const C&) { return Value::Null(); }},
      {Reference("ReportId", {"Report"}, "Report"), [](const C& c) { return Str(c.a->report_id); }},
      {Field("RowsProcessed", FieldType::kDouble), [](const C& c) { return Value::Double(static_cast<double>(c.a->rows)); }},
      {Field("Scope", FieldType::kString), [](const C&) { return Str("organization"); }},
      {Field("Sequence", FieldType::kInt), [](const C&) { return Value::Int(1); }},
  };
  for (const auto& c : rest) cols.push_back(c);
  return std::make_unique<SeqTable<ReportActivity>>(StorageInfo("ReportEvent", "Report Event", "Report Events"), cols,
                                                    gen.Reports(), world, gen, true, false);
}

// Read-only API calls only (query, queryMore, GET), as ApiEvent records them.
std::unique_ptr<Table> MakeApiEventTable(const World& world, const Generator& gen) {
  using C = EventCtx<ApiActivity>;
  std::vector<Column<C>> cols;
  AddStorageHead<ApiActivity>(&cols, true);
  const std::vector<Column<C>> rest = {
      {Field("AdditionalInfo", FieldType::kString), [](const C&) { return Str("{}"); }},
      {Picklist("ApiType", ToStrings({"Bulk", "REST", "SOAP Enterprise", "SOAP Partner", "N/A"})),
       [](const C& c) { return Str(c.a->api_family == "SOAP" ? "SOAP Partner" : "REST"); }},
      {Field("ApiVersion", FieldType::kDouble), [](const C&) { return Value::Double(62.0); }},
      {Field("Application", FieldType::kString), [](const C& c) { return StrOrNull(c.a->connected_app_name); }},
      {Field("Client", FieldType::kString), [](const C& c) { return StrOrNull(c.a->client_name); }},
      {Reference("ConnectedAppId", {"ConnectedApplication"}, "ConnectedApp"), [](const C& c) { return StrOrNull(c.a->connected_app_id); }},
      {Field("ElapsedTime", FieldType::kInt), [](const C& c) { return Value::Int(static_cast<int64_t>(12 + Fnv1a(c.a->request_id) % 400)); }},
      {Reference("LoginHistoryId", {"LoginHistory"}, "LoginHistory"),
       [](const C& c) { return StrOrNull(LoginHistoryIdOfKey(*c.gen, c.a->login_key)); }},
      {Field("Operation", FieldType::kString), [](const C& c) {
         if (c.a->method == "GET") return Str(c.a->uri.find("/query") != std::string::npos ? "query" : "retrieve");
         return Str(c.a->method);
       }},
      {Field("Platform", FieldType::kString), [](const C&) { return Str("Unknown"); }},
      {Field("QueriedEntities", FieldType::kString), [](const C& c) { return Str(c.a->entity); }},
      {Field("Query", FieldType::kTextArea), [](const C& c) { return StrOrNull(c.a->query); }},
      {Field("Records", FieldType::kTextArea), [](const C&) { return Value::Null(); }},
      {Field("RowsProcessed", FieldType::kDouble), [](const C& c) { return Value::Double(static_cast<double>(c.a->rows)); }},
      {Field("UserAgent", FieldType::kString), [](const C& c) { return StrOrNull(c.a->user_agent); }},
  };
  for (const auto& c : rest) cols.push_back(c);
  return std::make_unique<SeqTable<ApiActivity>>(StorageInfo("ApiEvent", "API Event", "API Events"), cols,
                                                 gen.ApiReadCalls(), world, gen, true, false);
}

// JobId/Query/RowsProcessed are UNVERIFIED field names (research/salesforce.md §4.6).
std::unique_ptr<Table> MakeBulkApiResultEventStoreTable(const World& world, const Generator& gen) {
  using C = EventCtx<BulkJobActivity>;
  std::vector<Column<C>> cols;
  AddStorageHead<BulkJobActivity>(&cols, true);
  const std::vector<Column<C>> rest = {
      {Reference("LoginHistoryId", {"LoginHistory"}, "LoginHistory"),
       [](const C& c) { return StrOrNull(LoginHistoryIdOfKey(*c.gen, c.a->login_key)); }},
      {Field("JobId", FieldType::kString), [](const C& c) { return Str(c.a->job_id); }},
      {Field("BatchId", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Field("Query", FieldType::kTextArea), [](const C& c) { return Str(c.a->query); }},
      {Field("QueriedEntities", FieldType::kString), [](const C& c) { return Str(c.a->entity); }},
      {Field("RowsProcessed", FieldType::kDouble), [](const C& c) { return Value::Double(static_cast<double>(c.a->rows)); }},
  };
  for (const auto& c : rest) cols.push_back(c);
  return std::make_unique<SeqTable<BulkJobActivity>>(
      StorageInfo("BulkApiResultEventStore", "Bulk API Result Event Store", "Bulk API Result Event Stores"), cols,
      gen.BulkJobs(), world, gen, true, false);
}

// Field list partly UNVERIFIED (research/salesforce.md §4.6).
std::unique_ptr<Table> MakeListViewEventTable(const World& world, const Generator& gen) {
  using C = EventCtx<ListViewActivity>;
  std::vector<Column<C>> cols;
  AddStorageHead<ListViewActivity>(&cols, true);
  const std::vector<Column<C>> rest = {
      {Field("AppName", FieldType::kString), [](const C&) { return Str("Clinical Console"); }},
      {Field("ColumnHeaders", FieldType::kString), [](const C&) { return Value::Null(); }},
      {Picklist("EventSource", ToStrings({"API", "Classic", "Lightning"})), [](const C&) { return Str("Lightning"); }},
      {Reference("ListViewId", {"ListView"}, "ListView"), [](const C& c) { return Str(c.a->list_view_id); }},
      {Field("Name", FieldType::kString), [](const C& c) { return Str(c.a->name); }},
      {Field("OrderBy", FieldType::kString), [](const C&) { return Str("Name ASC"); }},
      {Reference("OwnerId", {"User"}, "Owner"), [](const C& c) { return Str(c.user().id); }},
      {Field("QueriedEntities", FieldType::kString), [](const C& c) { return Str(c.a->entity); }},
      {Field("Records", FieldType::kTextArea), [](const C&) { return Value::Null(); }},
      {Field("RowsProcessed", FieldType::kDouble), [](const C& c) { return Value::Double(static_cast<double>(c.a->rows)); }},
      {Field("Scope", FieldType::kString), [](const C& c) { return Str(c.a->name.rfind("My ", 0) == 0 ? "Mine" : "Everything"); }},
      {Field("Sequence", FieldType::kInt), [](const C&) { return Value::Int(1); }},
  };
  for (const auto& c : rest) cols.push_back(c);
  return std::make_unique<SeqTable<ListViewActivity>>(StorageInfo("ListViewEvent", "List View Event", "List View Events"),
                                                      cols, gen.ListViews(), world, gen, true, false);
}

}  // namespace custody::sim::gen
