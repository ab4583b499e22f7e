#pragma once
// Field history: which objects track which fields, and the generated change rows.
//
// Rows come in slots of two (one grid event per slot): a lookup change is a display-name row and an
// id row with the same CreatedDate; otherwise the slot is two fields changed in one save (same time,
// same record, same user) or two unrelated single-field edits a little apart. CreatedDate is whole
// seconds. CaseHistory slot 8w is the "created" row of the w-th case created during the window, so
// Case records made in the window are exactly those with a "created" history row.

#include <cstdint>
#include <string>
#include <vector>

#include "model.h"
#include "org/grid.h"
#include "org/population.h"
#include "org/records.h"
#include "org/rng.h"
#include "org/sequence.h"

namespace custody::sim::gen {

enum HistoryObject : int {
  kHistAccount,
  kHistContact,
  kHistCase,
  kHistOpportunity,
  kHistPatient,
  kHistMedication,
  kHistoryObjectCount,
};

enum class ValueKind : uint8_t {
  kCreated,          // CaseHistory "created": no values
  kText,
  kPhone,
  kEmail,
  kAddress,
  kPicklist,
  kLookupUser,       // two rows: names, then ids
  kLookupPhysician,
  kLookupAccount,
  kLongText,         // logged without old/new values
  kDate,
  kCurrency,
};

struct TrackedField {
  std::string name;       // API name, or the special CaseHistory values
  std::string data_type;  // DataType column: Text, EntityId, DateOnly, Currency, Picklist, ...
  ValueKind kind = ValueKind::kText;
  uint32_t weight = 1;
  bool fls_restricted = false;
  std::vector<std::string> picklist;
};

struct HistorySpec {
  HistoryObject object;
  std::string name;            // "AccountHistory", "Patient__History"
  std::string label;
  std::string parent_field;    // "AccountId" or "ParentId"
  std::string relationship;    // "Account" or "Parent"
  DataObject parent;
  bool custom = false;
  uint32_t share = 1;          // relative share of OrgConfig::history_rows
  std::vector<TrackedField> fields;
};

const std::vector<HistorySpec>& HistorySpecs();  // indexed by HistoryObject

struct HistoryRow {
  TimeMs time = 0;           // CreatedDate, whole seconds
  std::string id;            // "017..."
  uint64_t parent = 0;       // index of the parent record
  uint32_t created_by = 0;   // user index
  uint32_t field = 0;        // index into the spec's fields
  Value old_value;
  Value new_value;
  bool scenario = false;
};

// History id namespaces: generated rows of object o use 2*o, scenario rows 2*o+1.
inline uint64_t HistoryIdNamespace(HistoryObject o, bool scenario) { return 2 * static_cast<uint64_t>(o) + (scenario ? 1 : 0); }

class HistoryModel final : public Source<HistoryRow> {
 public:
  HistoryModel(const World& world, HistoryObject object, uint64_t rows, const std::vector<double>& weights,
               TimeMs bucket_len);
  uint64_t Size() const override { return rows_; }
  TimeMs TimeAt(uint64_t i) const override;
  HistoryRow At(uint64_t i) const override;
  uint64_t LowerBound(TimeMs t) const override;

  const HistorySpec& spec() const { return *spec_; }
  // Number of records of the parent object that exist once slot `slot` has happened.
  uint64_t ParentsAtSlot(uint64_t slot) const;
  // CaseHistory: cases created in the window up to (and including) row i, and the row that
  // created window case w.
  uint64_t CasesCreatedThroughRows(uint64_t rows) const { return (rows + 15) / 16; }
  uint64_t CaseCreatedRow(uint64_t w) const { return 16 * w; }
  uint64_t WindowCases() const { return spec_->object == kHistCase ? (slots() + 7) / 8 : 0; }

  // Builds the values of one change of `field` on `parent` (both rows of a lookup change: `second`
  // selects the id row).
  void FillValues(const TrackedField& field, uint64_t h, bool second, HistoryRow* row) const;

 private:
  uint64_t slots() const { return (rows_ + 1) / 2; }
  struct SlotTimes {
    TimeMs t0;
    TimeMs t1;
  };
  SlotTimes TimesOf(uint64_t slot) const;
  uint32_t DrawField(Rng& r, bool allow_lookup) const;
  uint64_t DrawParent(Rng& r, uint64_t slot, TimeMs t) const;
  uint32_t DrawUser(Rng& r, TimeMs t) const;

  const World& world_;
  const HistorySpec* spec_;
  uint64_t rows_;
  Grid grid_;
  uint64_t parent_count_;
  uint32_t weight_total_ = 0;
};

}  // namespace custody::sim::gen
