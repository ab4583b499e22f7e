#pragma once
// What the generated org offers beyond the Org interface of model.h.
//
// Notes on MakeOrg (org/org.cpp):
//  - Org::config() is the effective config: users is raised to at least 8, patients to 10, days to 1.
//  - Ids decode in O(1): FindById resolves User 005, Profile 00e, Report 00O, Account 001,
//    Contact 003, Case 500, Opportunity 006, Patient__c a0X, Appointment__c a0Y,
//    HealthCloudGA__EhrPatientMedication__c a1B, field history 017, LoginHistory 0Ya, LoginGeo 04F,
//    SetupAuditTrail 0Ym, FieldHistoryArchive 0FH (invented prefix), EventLogFile 0AT (by scanning the
//    store's manifest rows). RTEM storage rows all have Id 000000000000000AAA and are not resolvable.
//  - Field history rows (Patient__History ...) carry kRecordDeleted once their parent record is in
//    the recycle bin at `now`, and kRecordFlsRestricted for fields hidden by field-level security
//    (Patient__c.Diagnosis_Code__c, Contact.Birthdate).

#include "activity.h"
#include "model.h"

namespace custody::sim {

// The activity an org made by MakeOrg projects its logs from (the same object its EventLogFile
// store was built from); null for any other Org implementation.
const Activity* ActivityOf(const Org& org);

// True when the org has an EventLogFile store (FindTable("EventLogFile") != nullptr). Without one,
// Org::EventLogFiles() returns an empty store: no rows, no files.
bool HasEventLogFiles(const Org& org);

}  // namespace custody::sim
