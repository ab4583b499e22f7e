#pragma once
// What the simulated EHR-side servers (FHIR AuditEvent in fhir/, Mirth/NextGen Connect in
// mirth/) share with the simulated Salesforce org: where to listen, TLS material, the seed, the
// data window and the clock. Each server runs its own listener on its own port; main.cpp starts
// them beside the org and adds their StartupJson() to the startup line as "fhir" and "mirth".

#include <cstdint>
#include <string>
#include <vector>

#include "model.h"  // TimeMs

namespace custody::sim {
class ServedLedger;
}  // namespace custody::sim

namespace custody::sim::ehr {

// A step of a breach scenario that also shows in the EHR-side logs. main.cpp derives these from
// the org's scenario (bulk-exfiltration: the Mirth integration user's credentials used from an
// attacker's address) so that one story appears in Salesforce, in the middleware and in the
// FHIR log, and each server names its rows in the answer key.
struct CrossSystemEvent {
  TimeMs time = 0;               // true UTC time of the step (a server with a clock offset stamps
                                 // it at time + offset, as it would any event)
  std::string kind;              // "middleware-login": a login to the middleware's admin API;
                                 // "middleware-message-search": message metadata pulled there;
                                 // "ehr-patient-search": the EHR's FHIR server answering a Patient
                                 // search for the middleware (a BALP client/server pair)
  std::string actor;             // the user or client name used
  std::string source_ip;         // where the step came from, as the server saw it
  std::string x_request_id;      // one transaction's id, shared by the records of the step
  std::string label;             // how the answer key names the step
};

struct EhrCommon {
  std::string host = "127.0.0.1";
  int port = 0;                 // 0 picks a free port
  bool tls = false;
  std::string tls_cert_path;    // with tls: the server certificate and key (made by MakeTlsMaterial)
  std::string tls_key_path;
  std::string ca_path;          // with tls: what clients trust (goes into the startup JSON)
  std::string work_dir;         // for keys the server writes (the SMART client's private keys)
  std::uint64_t seed = 1;
  std::string scenario;         // "" or a scenario name shared with the org
  TimeMs start = 0;             // first day of generated activity (UTC ms, midnight)
  int days = 7;
  bool frozen_now = false;      // data clock frozen at `now`; else it follows real time
  TimeMs now = 0;
  std::int64_t clock_offset_ms = 0;  // this server's wall clock minus true UTC (Date headers, tokens,
                                     // times it stamps)
  std::string fixtures_root;    // ../shared/fixtures/ehr/real (real samples served unchanged); "" = none
  std::vector<CrossSystemEvent> scenario_events;  // injected into this server's log (kinds it knows)
  ServedLedger* served_ledger = nullptr;  // --served-ledger (not owned; outlives the server); null: off
};

}  // namespace custody::sim::ehr
