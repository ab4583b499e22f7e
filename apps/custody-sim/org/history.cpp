#include "org/history.h"

#include <algorithm>

#include "org/ids.h"
#include "org/names.h"

namespace custody::sim::gen {
namespace {

TrackedField F(std::string name, std::string data_type, ValueKind kind, uint32_t weight,
               std::vector<std::string> picklist = {}, bool fls_restricted = false) {
  TrackedField f;
  f.name = std::move(name);
  f.data_type = std::move(data_type);
  f.kind = kind;
  f.weight = weight;
  f.picklist = std::move(picklist);
  f.fls_restricted = fls_restricted;
  return f;
}

std::vector<HistorySpec> BuildSpecs() {
  std::vector<HistorySpec> specs(kHistoryObjectCount);
  specs[kHistAccount] = HistorySpec{
      kHistAccount, "AccountHistory", "Account History", "AccountId", "Account", kObjAccount, false, 10,
      {F("Name", "Text", ValueKind::kText, 2), F("Phone", "Phone", ValueKind::kPhone, 3),
       F("Type", "Picklist", ValueKind::kPicklist, 2, {"Clinic", "Payer", "Referring Practice", "Vendor"}),
       F("Owner", "EntityId", ValueKind::kLookupUser, 2), F("Description", "TextArea", ValueKind::kLongText, 1)}};
  specs[kHistContact] = HistorySpec{
      kHistContact, "ContactHistory", "Contact History", "ContactId", "Contact", kObjContact, false, 15,
      {F("Email", "Email", ValueKind::kEmail, 3), F("Phone", "Phone", ValueKind::kPhone, 3),
       F("MobilePhone", "Phone", ValueKind::kPhone, 2), F("MailingStreet", "TextArea", ValueKind::kAddress, 2),
       F("Account", "EntityId", ValueKind::kLookupAccount, 1), F("Owner", "EntityId", ValueKind::kLookupUser, 1),
       F("Birthdate", "DateOnly", ValueKind::kDate, 1, {}, true),
       F("Description", "TextArea", ValueKind::kLongText, 1)}};
  specs[kHistCase] = HistorySpec{
      kHistCase, "CaseHistory", "Case History", "CaseId", "Case", kObjCase, false, 20,
      {F("created", "Text", ValueKind::kCreated, 0), F("ownerAssignment", "EntityId", ValueKind::kLookupUser, 3),
       F("Status", "Picklist", ValueKind::kPicklist, 5, {"New", "Working", "Escalated", "On Hold", "Closed"}),
       F("Priority", "Picklist", ValueKind::kPicklist, 2, {"Low", "Medium", "High", "Urgent"}),
       F("Subject", "Text", ValueKind::kText, 1), F("Description", "TextArea", ValueKind::kLongText, 1)}};
  specs[kHistOpportunity] = HistorySpec{
      kHistOpportunity, "OpportunityFieldHistory", "Opportunity Field History", "OpportunityId", "Opportunity",
      kObjOpportunity, false, 8,
      {F("StageName", "Picklist", ValueKind::kPicklist, 4,
         {"Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
          "Closed Won", "Closed Lost"}),
       F("Amount", "Currency", ValueKind::kCurrency, 3), F("CloseDate", "DateOnly", ValueKind::kDate, 2),
       F("Owner", "EntityId", ValueKind::kLookupUser, 1), F("NextStep", "Text", ValueKind::kText, 1)}};
  std::vector<std::string> payers;
  for (std::string_view p : kPayerNames) payers.emplace_back(p);
  specs[kHistPatient] = HistorySpec{
      kHistPatient, "Patient__History", "History: Patient", "ParentId", "Parent", kObjPatient, true, 35,
      {F("Status__c", "Picklist", ValueKind::kPicklist, 3, {"Active", "Inactive", "Transferred", "Deceased"}),
       F("Primary_Provider__c", "EntityId", ValueKind::kLookupPhysician, 3),
       F("Phone__c", "Phone", ValueKind::kPhone, 3), F("Email__c", "Email", ValueKind::kEmail, 2),
       F("Mailing_Address__c", "Text", ValueKind::kAddress, 2),
       F("Insurance_Plan__c", "Picklist", ValueKind::kPicklist, 2, payers),
       F("Diagnosis_Code__c", "Text", ValueKind::kText, 1, {}, true),
       F("Clinical_Notes__c", "TextArea", ValueKind::kLongText, 2)}};
  specs[kHistMedication] = HistorySpec{
      kHistMedication, "HealthCloudGA__EhrPatientMedication__History", "History: EHR Patient Medication",
      "ParentId", "Parent", kObjMedication, true, 12,
      {F("HealthCloudGA__Status__c", "Picklist", ValueKind::kPicklist, 4,
         {"active", "on-hold", "completed", "stopped"}),
       F("HealthCloudGA__DosageQuantity__c", "Text", ValueKind::kText, 3),
       F("HealthCloudGA__Notes__c", "TextArea", ValueKind::kLongText, 1)}};
  return specs;
}

bool IsLookup(ValueKind kind) {
  return kind == ValueKind::kLookupUser || kind == ValueKind::kLookupPhysician ||
         kind == ValueKind::kLookupAccount;
}

std::string TextValue(const World& world, const std::string& field, uint64_t h) {
  if (field == "Name") return world.AccountName(h % world.accounts());
  if (field == "Subject") return world.CaseSubject(h);
  if (field == "Diagnosis_Code__c") return std::string(Pick(kDiagnosisCodes, h));
  if (field == "HealthCloudGA__DosageQuantity__c") {
    static const char* const kDoses[] = {"1 tablet", "2 tablets", "0.5 tablet", "1 capsule", "5 mL", "10 mL",
                                         "2 puffs", "10 units"};
    return kDoses[h % std::size(kDoses)];
  }
  static const char* const kSteps[] = {"Send revised proposal", "Schedule site visit", "Legal review of terms",
                                       "Confirm referral volumes", "Follow up with practice manager",
                                       "Awaiting signature"};
  return kSteps[h % std::size(kSteps)];
}

}  // namespace

const std::vector<HistorySpec>& HistorySpecs() {
  static const std::vector<HistorySpec> specs = BuildSpecs();
  return specs;
}

HistoryModel::HistoryModel(const World& world, HistoryObject object, uint64_t rows,
                           const std::vector<double>& weights, TimeMs bucket_len)
    : world_(world), spec_(&HistorySpecs()[static_cast<size_t>(object)]), rows_(rows) {
  grid_ = Grid::FromTotal(world.start(), bucket_len, weights, (rows + 1) / 2,
                          Hash(world.seed(), kStreamHistory + static_cast<uint64_t>(object), ~0ULL));
  switch (spec_->parent) {
    case kObjAccount: parent_count_ = world.accounts(); break;
    case kObjContact: parent_count_ = world.contacts(); break;
    case kObjCase: parent_count_ = world.cases_before_window(); break;
    case kObjOpportunity: parent_count_ = world.opportunities(); break;
    case kObjPatient: parent_count_ = world.patients(); break;
    case kObjAppointment: parent_count_ = world.appointments(); break;
    case kObjMedication: parent_count_ = world.medications(); break;
    case kDataObjectCount: parent_count_ = 1; break;
  }
  for (const TrackedField& f : spec_->fields) {
    if (f.kind != ValueKind::kCreated) weight_total_ += f.weight;
  }
}

uint64_t HistoryModel::ParentsAtSlot(uint64_t slot) const {
  if (spec_->object == kHistCase) return parent_count_ + slot / 8 + 1;
  return parent_count_;
}

uint32_t HistoryModel::DrawField(Rng& r, bool allow_lookup) const {
  uint64_t x = r.Below(weight_total_);
  uint32_t chosen = 0;
  for (uint32_t i = 0; i < spec_->fields.size(); ++i) {
    const TrackedField& f = spec_->fields[i];
    if (f.kind == ValueKind::kCreated) continue;
    if (x < f.weight) {
      chosen = i;
      break;
    }
    x -= f.weight;
  }
  if (!allow_lookup && IsLookup(spec_->fields[chosen].kind)) {
    // Fall back to the first plain field after it (every spec has one).
    for (uint32_t step = 1; step <= spec_->fields.size(); ++step) {
      const uint32_t i = static_cast<uint32_t>((chosen + step) % spec_->fields.size());
      const ValueKind kind = spec_->fields[i].kind;
      if (!IsLookup(kind) && kind != ValueKind::kCreated) return i;
    }
  }
  return chosen;
}

uint64_t HistoryModel::DrawParent(Rng& r, uint64_t slot, TimeMs t) const {
  const uint64_t n = ParentsAtSlot(slot);
  uint64_t p = r.Below(n);
  for (int guard = 0; guard < 64 && RecycledAt(world_, spec_->parent, p) <= t; ++guard) p = (p + 1) % n;
  return p;
}

uint32_t HistoryModel::DrawUser(Rng& r, TimeMs t) const {
  double integration_share = 0;
  uint32_t integration_user = kUserEhrSync;
  switch (spec_->object) {
    case kHistPatient:
      integration_share = 0.4;
      integration_user = kUserMirth;
      break;
    case kHistContact: integration_share = 0.3; break;
    case kHistMedication: integration_share = 0.5; break;
    default: break;
  }
  const double x = r.Unit();
  const uint64_t h = r.Next();
  if (x < integration_share) return integration_user;
  return world_.PickPresentUser(t, h);
}

HistoryModel::SlotTimes HistoryModel::TimesOf(uint64_t slot) const {
  const auto [b, k] = grid_.Locate(slot);
  const TimeMs t0 = grid_.Time(b, k);
  const TimeMs end = grid_.StratumEnd(b, k);
  Rng r2(world_.seed(), kStreamHistoryRow2 + static_cast<uint64_t>(spec_->object), slot);
  const TimeMs t1 = t0 + static_cast<TimeMs>(r2.Below(static_cast<uint64_t>(std::max<TimeMs>(0, end - t0))));
  return {FloorTo(t0, kSecond), FloorTo(t1, kSecond)};
}

namespace {
enum class SlotKind { kCreated, kLookupPair, kSameSave, kSeparate };
}  // namespace

TimeMs HistoryModel::TimeAt(uint64_t i) const {
  const uint64_t slot = i / 2;
  const SlotTimes times = TimesOf(slot);
  if (i % 2 == 0) return times.t0;
  if (spec_->object == kHistCase && slot % 8 == 0) return times.t1;
  Rng r(world_.seed(), kStreamHistory + static_cast<uint64_t>(spec_->object), slot);
  const double u = r.Unit();
  const uint32_t f0 = DrawField(r, true);
  if (IsLookup(spec_->fields[f0].kind) || u < 0.45) return times.t0;
  return times.t1;
}

uint64_t HistoryModel::LowerBound(TimeMs t) const {
  uint64_t lo = 0;
  uint64_t hi = rows_;
  if (hi == 0 || t <= world_.start()) return 0;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (TimeAt(mid) < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

void HistoryModel::FillValues(const TrackedField& field, uint64_t h, bool second, HistoryRow* row) const {
  Rng v(h);
  const bool old_blank = v.Chance(0.12);
  auto set = [&](std::string old_text, std::string new_text) {
    row->old_value = old_blank ? Value::Null() : Value::String(std::move(old_text));
    row->new_value = Value::String(std::move(new_text));
  };
  switch (field.kind) {
    case ValueKind::kCreated:
    case ValueKind::kLongText:
      row->old_value = Value::Null();
      row->new_value = Value::Null();
      return;
    case ValueKind::kText: {
      std::string a = TextValue(world_, field.name, v.Next());
      std::string b = TextValue(world_, field.name, v.Next());
      if (a == b) b = TextValue(world_, field.name, v.Next() + 1);
      set(std::move(a), std::move(b));
      return;
    }
    case ValueKind::kPhone: set(world_.Phone(v.Next()), world_.Phone(v.Next())); return;
    case ValueKind::kEmail: set(world_.PersonEmail(row->parent, v.Next()), world_.PersonEmail(row->parent, v.Next() + 1)); return;
    case ValueKind::kAddress: set(world_.StreetAddress(v.Next()), world_.StreetAddress(v.Next())); return;
    case ValueKind::kPicklist: {
      const uint64_t n = field.picklist.size();
      const uint64_t a = v.Below(n);
      const uint64_t b = (a + 1 + v.Below(n > 1 ? n - 1 : 1)) % n;
      set(field.picklist[a], field.picklist[b]);
      return;
    }
    case ValueKind::kDate: {
      const bool birth = field.name == "Birthdate";
      const int64_t base = birth ? DaysFromCivil(1940, 1, 1) : FloorTo(world_.start(), kDay) / kDay;
      const int64_t span = birth ? 25000 : 120;
      const int64_t a = base + static_cast<int64_t>(v.Below(static_cast<uint64_t>(span)));
      const int64_t b = birth ? a + 1 + static_cast<int64_t>(v.Below(400)) : a + 7 + static_cast<int64_t>(v.Below(60));
      set(FormatSfDate(a), FormatSfDate(b));
      return;
    }
    case ValueKind::kCurrency: {
      const uint64_t a = 5000 + v.Below(200) * 500;
      const uint64_t b = a + 500 + v.Below(40) * 250;
      set(std::to_string(a), std::to_string(b));
      return;
    }
    case ValueKind::kLookupUser:
    case ValueKind::kLookupPhysician:
    case ValueKind::kLookupAccount: {
      std::string old_name;
      std::string new_name;
      std::string old_id;
      std::string new_id;
      if (field.kind == ValueKind::kLookupAccount) {
        const uint64_t n = world_.accounts();
        const uint64_t a = v.Below(n);
        const uint64_t b = (a + 1 + v.Below(n - 1)) % n;
        old_name = world_.AccountName(a);
        new_name = world_.AccountName(b);
        old_id = MakeId(DataObjectPrefix(kObjAccount), 0, a);
        new_id = MakeId(DataObjectPrefix(kObjAccount), 0, b);
      } else {
        const std::vector<uint32_t>& pool =
            field.kind == ValueKind::kLookupPhysician ? world_.physicians() : world_.humans();
        const uint64_t n = pool.size();
        const uint64_t a = v.Below(n);
        const uint64_t b = n > 1 ? (a + 1 + v.Below(n - 1)) % n : a;
        old_name = world_.user(pool[a]).info.name;
        new_name = world_.user(pool[b]).info.name;
        old_id = world_.user(pool[a]).info.id;
        new_id = world_.user(pool[b]).info.id;
      }
      if (second) {
        set(std::move(old_id), std::move(new_id));
      } else {
        set(std::move(old_name), std::move(new_name));
      }
      return;
    }
  }
}

HistoryRow HistoryModel::At(uint64_t i) const {
  const uint64_t slot = i / 2;
  const bool odd = i % 2 == 1;
  const SlotTimes times = TimesOf(slot);
  const uint64_t ns = HistoryIdNamespace(spec_->object, false);
  HistoryRow row;
  row.id = MakeId("017", ns, i);

  Rng r(world_.seed(), kStreamHistory + static_cast<uint64_t>(spec_->object), slot);
  const bool created_slot = spec_->object == kHistCase && slot % 8 == 0;
  if (created_slot && !odd) {
    row.time = times.t0;
    row.parent = parent_count_ + slot / 8;
    row.field = 0;  // "created"
    row.created_by = DrawUser(r, times.t0);
    row.old_value = Value::Null();
    row.new_value = Value::Null();
    return row;
  }
  if (!created_slot) {
    const double u = r.Unit();
    const uint32_t f0 = DrawField(r, true);
    const bool lookup = IsLookup(spec_->fields[f0].kind);
    const bool same_save = lookup || u < 0.45;
    if (!odd || same_save) {
      row.time = times.t0;
      row.parent = DrawParent(r, slot, times.t0);
      row.created_by = DrawUser(r, times.t0);
      const uint64_t h0 = r.Next();
      if (!odd) {
        row.field = f0;
        FillValues(spec_->fields[f0], h0, false, &row);
        return row;
      }
      if (lookup) {
        row.field = f0;
        FillValues(spec_->fields[f0], h0, true, &row);
        return row;
      }
      uint32_t f1 = DrawField(r, false);
      if (f1 == f0) {
        // Another field of the same save.
        for (uint32_t step = 1; step < spec_->fields.size(); ++step) {
          const uint32_t c = static_cast<uint32_t>((f0 + step) % spec_->fields.size());
          const ValueKind kind = spec_->fields[c].kind;
          if (!IsLookup(kind) && kind != ValueKind::kCreated) {
            f1 = c;
            break;
          }
        }
      }
      row.field = f1;
      FillValues(spec_->fields[f1], r.Next(), false, &row);
      return row;
    }
  }
  // An unrelated single-field edit later in the slot.
  Rng r2(world_.seed(), kStreamHistoryRow2 + static_cast<uint64_t>(spec_->object), slot);
  r2.Next();  // the draw TimesOf used for t1
  row.time = times.t1;
  row.parent = DrawParent(r2, slot, times.t1);
  row.created_by = DrawUser(r2, times.t1);
  row.field = DrawField(r2, false);
  FillValues(spec_->fields[row.field], r2.Next(), false, &row);
  return row;
}

}  // namespace custody::sim::gen
