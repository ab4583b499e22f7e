#pragma once
// The queryable objects of the generated org. Each factory returns a Table whose rows are computed
// on demand from the Generator's sequences (or, for the handful of users, profiles and reports, held
// in memory). Schemas (describe order, types, filterable flags, references) live beside the code
// that fills each column.

#include <memory>

#include "model.h"
#include "org/activity_gen.h"
#include "org/history.h"
#include "org/population.h"
#include "org/records.h"

namespace custody::sim::gen {

// In-memory objects.
std::unique_ptr<Table> MakeUserTable(const World& world);
std::unique_ptr<Table> MakeProfileTable(const World& world);
std::unique_ptr<Table> MakeReportTable(const World& world);

// Generated records; row i is the record with id index i.
std::unique_ptr<Table> MakeDataTable(const World& world, const Generator& gen, DataObject object);

// Field history; row i is gen.History(object).At(i).
std::unique_ptr<Table> MakeHistoryTable(const World& world, const Generator& gen, HistoryObject object);
// Field Audit Trail archive (rows in index order: FieldHistoryType, ParentId, CreatedDate DESC).
std::unique_ptr<Table> MakeFieldHistoryArchiveTable(const World& world, const Generator& gen);

// Projections of the activity.
std::unique_ptr<Table> MakeLoginHistoryTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeLoginGeoTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeSetupAuditTrailTable(const World& world, const Generator& gen);

// Real-Time Event Monitoring storage objects (Shield). Rows appear kStorageVisibleLag after their
// EventDate; CreatedDate is EventDate plus a few seconds.
inline constexpr TimeMs kStorageVisibleLag = 10 * kSecond;
std::unique_ptr<Table> MakeLoginEventTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeLogoutEventTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeLoginAsEventTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeReportEventTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeApiEventTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeBulkApiResultEventStoreTable(const World& world, const Generator& gen);
std::unique_ptr<Table> MakeListViewEventTable(const World& world, const Generator& gen);

// CreatedDate of an RTEM storage row whose event happened at event_time (deterministic lag).
TimeMs StorageCreatedDate(TimeMs event_time, const std::string& event_identifier);

// The LoginHistory id a LOGIN_KEY belongs to, or "" (session begun before the window).
std::string LoginHistoryIdOfKey(const Generator& gen, const std::string& login_key);

}  // namespace custody::sim::gen
