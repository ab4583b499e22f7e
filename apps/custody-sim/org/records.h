#pragma once
// Data objects (the records field history and reports are about): which exist, their key prefixes,
// when each record was created and whether it sits in the recycle bin.

#include <cstdint>
#include <limits>

#include "model.h"
#include "org/grid.h"
#include "org/population.h"

namespace custody::sim::gen {

enum DataObject : int {
  kObjAccount,
  kObjContact,
  kObjCase,
  kObjOpportunity,
  kObjPatient,
  kObjAppointment,
  kObjMedication,
  kDataObjectCount,
};

inline constexpr TimeMs kNever = std::numeric_limits<TimeMs>::max();

const char* DataObjectName(DataObject object);    // "Patient__c"
// Records that exist before the window (all of them, except Case, which also gains the cases
// created during the window).
uint64_t BaseRecordCount(const World& world, DataObject object);
const char* DataObjectPrefix(DataObject object);  // "a0X"

// Records created before the window, spread over the three years before it (ascending by index).
class PreWindowRecords {
 public:
  PreWindowRecords(const World& world, DataObject object, uint64_t count);
  uint64_t count() const { return grid_.size(); }
  TimeMs Created(uint64_t i) const { return FloorTo(grid_.TimeAt(i), kSecond); }
  uint64_t CountAt(TimeMs now) const { return grid_.LowerBound(FloorTo(now, kSecond) + kSecond); }
  uint64_t LowerBound(TimeMs t) const { return grid_.LowerBound(CeilTo(t, kSecond)); }

 private:
  Grid grid_;
};

// The hash behind field `salt` of record `index` (DataCtx::H in tables.cpp; scenarios reuse it to
// know a record's current field values).
uint64_t FieldHash(const World& world, DataObject object, uint64_t salt, uint64_t index);

// When record `index` went to the recycle bin (kNever for almost all): about 1 in 120 records is
// deleted at some moment of the window. Its history rows then read IsDeleted = true (queryAll only).
TimeMs RecycledAt(const World& world, DataObject object, uint64_t index);

}  // namespace custody::sim::gen
