#pragma once
// Breach scenarios: short stories injected into the org's activity (flag scenario=true), placed
// deterministically on day 3 of the window (day 1 for windows shorter than three days), with an
// answer key naming every row an investigator should find.
//
//  report-exfiltration        A physician's account, from an unexpected foreign IP at night, fails
//                              to log in twice, logs in, runs a patient report and exports four
//                              patient/contact reports (Details Only, CSV), then logs out.
//  bulk-exfiltration          The Mirth Connect integration user's credentials are used from an
//                              unusual IP to start three Bulk API 2.0 query jobs that pull every
//                              Patient__c, Contact and medication record.
//  foreign-login-mass-update  A scheduler's account logs in from abroad around midnight and changes
//                              the phone number of 60 patients and the email of 40 contacts to
//                              attacker-controlled values (Patient__History, ContactHistory rows).

#include <string>
#include <vector>

#include "org/activity_gen.h"
#include "org/population.h"

namespace custody::sim::gen {

// Where an evidence row lives, and what licence/feature makes that log exist.
struct Evidence {
  enum class Needs { kNothing, kShield, kElfFree, kElfMonitoring };
  std::string log;        // "LoginHistory", "LoginEvent", "EventLogFile:ReportExport", ...
  std::string key_field;  // "Id", "EventIdentifier", "REQUEST_ID", "JOB_ID"
  std::string key;        // the value identifying the row
  Needs needs = Needs::kNothing;
};

struct KeyEvent {
  TimeMs time = 0;
  std::string action;
  std::string source_ip;
  std::vector<std::string> records;
  std::vector<Evidence> evidence;
};

struct Scenario {
  std::string name;
  std::string summary;
  uint32_t actor = 0;
  ScenarioActivities activities;
  std::vector<KeyEvent> events;
};

std::vector<std::string> ScenarioList();

// Builds the named scenario for this org; false if the name is unknown.
bool BuildScenario(const World& world, const std::string& name, Scenario* out);

// The answer key document. Evidence whose log does not exist in this org (no Shield, no event
// log file store, no Event Monitoring licence) is left out.
struct LogAvailability {
  bool shield = false;
  bool elf_store = false;
  bool event_monitoring = false;
};
std::string AnswerKeyJson(const World& world, const Scenario& scenario, const LogAvailability& logs);

}  // namespace custody::sim::gen
