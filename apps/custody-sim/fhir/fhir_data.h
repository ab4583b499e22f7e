#pragma once
// The AuditEvents the simulated FHIR server holds: seeded generated events (computed from
// (seed, index) on demand, so 500,000 of them cost a few dozen bytes each), the real fixture
// AuditEvents served byte for byte, and events inserted while a client sweeps. Each event is
// rendered as R4 or R5 JSON and exposes the values the search parameters look at.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "ehr/ehr_common.h"

namespace custody::sim::fhir {

struct Coding {
  std::string system;
  std::string code;
};

// What the search parameters of one event look at.
struct SearchFacts {
  std::vector<Coding> type;      // R4 type / R5 category
  std::vector<Coding> subtype;   // R4 subtype / R5 code
  Coding action;                 // system http://hl7.org/fhir/audit-event-action
  Coding outcome;                // R4: http://hl7.org/fhir/audit-event-outcome; R5: outcome.code
  std::vector<std::string> agent;    // agent.who.reference
  std::vector<std::string> entity;   // entity.what.reference
  std::vector<std::string> patient;  // Patient references among agent.who / entity.what (R5: AuditEvent.patient)
  std::vector<std::string> address;  // agent.network.address (R5: networkString/networkUri)
  std::string site;                  // source.site
};

// One stored event: where it comes from and the two times searches and sorting use.
struct StoredEvent {
  enum Origin : uint8_t { kGenerated, kInserted, kFixture, kScenario };
  int64_t recorded_lo = 0;      // recorded as a UTC range, microseconds: [lo, hi) by its precision
  int64_t recorded_hi = 0;
  int64_t last_updated_ms = 0;  // meta.lastUpdated; kNoLastUpdated for a fixture without one
  uint32_t ref = 0;             // index among the generated, inserted, fixture or scenario events
  Origin origin = kGenerated;
};
constexpr int64_t kNoLastUpdated = INT64_MIN;

struct Fixture {
  std::string file;      // path, for messages
  std::string id;
  std::string raw;       // the file's bytes
  std::string resource;  // the JSON object's text exactly (raw without surrounding whitespace)
  std::string recorded;  // the "recorded" text as the file has it
  SearchFacts facts;
  int64_t recorded_lo = 0, recorded_hi = 0;
  int64_t last_updated_ms = kNoLastUpdated;
};

// The real AuditEvent samples under fixtures_root (fhir-r4-core-examples/AuditEvent-*.json,
// ihe-balp-1.1.x/*.json), in file-name order. Empty root: none.
Result<std::vector<Fixture>> LoadFixtures(const std::string& fixtures_root);

struct DataConfig {
  uint64_t seed = 1;
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
  uint64_t events = 0;
  bool r5 = false;
  // Steps of a breach scenario this server logs ("ehr-patient-search": a BALP client/server pair
  // of the middleware's FHIR client searching every Patient), stamped with the server's clock.
  std::vector<ehr::CrossSystemEvent> scenario;
  // The server's clock minus true UTC: every time a generated, inserted or scenario event carries
  // (recorded, period, meta.lastUpdated) is the true time plus this, and searches see these
  // stamped times. Fixtures keep their own times.
  int64_t clock_offset_ms = 0;
};

// One stored record of a scenario step, for the answer key.
struct ScenarioRecord {
  std::string id;
  std::string label;
  int64_t recorded_ms = 0;  // as the server stamped it (its own clock)
};

// Not thread-safe: the server guards it with a reader/writer lock.
class EventStore {
 public:
  EventStore(DataConfig config, std::vector<Fixture> fixtures);

  size_t size() const { return events_.size(); }
  const StoredEvent& at(size_t pos) const { return events_[pos]; }
  // Positions ordered by recorded (then position): the default and _sort=date order.
  const std::vector<uint32_t>& by_recorded() const { return by_recorded_; }
  // Grows by one on every insert; search snapshots and caches key on it.
  uint64_t version() const { return version_; }

  // Adds `count` new events recorded inside the data window (plus the clock offset), stamped
  // lastUpdated = now_ms, which the caller reads from the server's own clock.
  void Insert(uint64_t count, int64_t now_ms);

  std::string Id(size_t pos) const;
  std::optional<size_t> Find(std::string_view id) const;
  // The resource's JSON text: a fixture's bytes as in its file; a generated event compact.
  std::string Render(size_t pos) const;
  // What a read (GET AuditEvent/id) sends: a fixture's whole file, else Render().
  std::string RawText(size_t pos) const;
  SearchFacts Facts(size_t pos) const;
  // The "recorded" text the resource is served with (R4 and R5 alike).
  std::string Recorded(size_t pos) const;
  bool r5() const { return config_.r5; }
  size_t fixture_count() const { return fixtures_.size(); }
  std::vector<ScenarioRecord> ScenarioRecords() const;

 private:
  DataConfig config_;
  std::vector<Fixture> fixtures_;
  std::vector<StoredEvent> events_;
  std::vector<uint32_t> by_recorded_;
  uint64_t inserted_ = 0;
  uint64_t version_ = 0;
  std::vector<int64_t> inserted_last_updated_;
  std::vector<uint32_t> inserted_pos_;  // position of inserted event j
  std::vector<size_t> scenario_steps_;  // indexes of the config's steps this server logs
};

}  // namespace custody::sim::fhir
