#include "org/records.h"

#include <algorithm>
#include <cstdint>

#include "org/rng.h"

namespace custody::sim::gen {

const char* DataObjectName(DataObject object) {
  switch (object) {
    case kObjAccount: return "Account";
    case kObjContact: return "Contact";
    case kObjCase: return "Case";
    case kObjOpportunity: return "Opportunity";
    case kObjPatient: return "Patient__c";
    case kObjAppointment: return "Appointment__c";
    case kObjMedication: return "HealthCloudGA__EhrPatientMedication__c";
    case kDataObjectCount: break;
  }
  return "";
}

uint64_t BaseRecordCount(const World& world, DataObject object) {
  switch (object) {
    case kObjAccount: return world.accounts();
    case kObjContact: return world.contacts();
    case kObjCase: return world.cases_before_window();
    case kObjOpportunity: return world.opportunities();
    case kObjPatient: return world.patients();
    case kObjAppointment: return world.appointments();
    case kObjMedication: return world.medications();
    case kDataObjectCount: break;
  }
  return 0;
}

const char* DataObjectPrefix(DataObject object) {
  switch (object) {
    case kObjAccount: return "001";
    case kObjContact: return "003";
    case kObjCase: return "500";
    case kObjOpportunity: return "006";
    case kObjPatient: return "a0X";
    case kObjAppointment: return "a0Y";
    case kObjMedication: return "a1B";
    case kDataObjectCount: break;
  }
  return "000";
}

PreWindowRecords::PreWindowRecords(const World& world, DataObject object, uint64_t count) {
  const TimeMs span = 3 * 365 * kDay;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX));
  grid_ = Grid::FromCounts(world.start() - span - kDay, span, {n},
                           Hash(world.seed(), kStreamRecordTime, static_cast<uint64_t>(object)));
}

uint64_t FieldHash(const World& world, DataObject object, uint64_t salt, uint64_t index) {
  return Hash(world.seed(), kStreamField + static_cast<uint64_t>(object) * 32 + salt, index);
}

TimeMs RecycledAt(const World& world, DataObject object, uint64_t index) {
  // Cases created during the window are never in the recycle bin (their creation is history).
  if (object == kObjCase && index >= world.cases_before_window()) return kNever;
  const uint64_t h = Hash(world.seed(), kStreamRecycle + static_cast<uint64_t>(object), index);
  if (h % 120 != 0) return kNever;
  const TimeMs span = world.end() - world.start();
  return FloorTo(world.start() + static_cast<TimeMs>((h >> 16) % static_cast<uint64_t>(span)), kSecond);
}

}  // namespace custody::sim::gen
