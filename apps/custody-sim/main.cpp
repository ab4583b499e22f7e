// custody-sim: a simulated Salesforce org on loopback. docs/custody-sim.md is its manual.
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/time.h"
#include "fhir/fhir_server.h"
#include "mirth/mirth_server.h"
#include "served_ledger.h"
#include "server/faults.h"
#include "server/sim_server.h"
#include "server/tls.h"

namespace {

using custody::sim::SimOptions;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

bool ParseTime(const std::string& text, const char* flag, custody::sim::TimeMs* out) {
  auto t = custody::ParseRfc3339(text);
  if (!t) {
    std::cerr << "custody-sim: " << flag << " " << text << ": " << t.error().message() << "\n";
    return false;
  }
  *out = static_cast<custody::sim::TimeMs>(t->time_since_epoch().count()) * 1000;
  return true;
}

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" || host.rfind("127.", 0) == 0;
}

std::string AnswerKeyPath(const std::string& work_dir, const std::string& scenario) {
  return scenario.empty() ? std::string() : work_dir + "/answer-key.json";
}

std::optional<rapidjson::Document> ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  rapidjson::Document d;
  d.Parse(text.str().c_str());
  if (d.HasParseError() || !d.IsObject()) return std::nullopt;
  return d;
}

// bulk-exfiltration across systems: the attacker holding the Mirth integration user's
// credentials first logs in to the interface engine's admin API from the same foreign address,
// pulls channel message metadata, and the engine's FHIR client searches the EHR's patients (the
// EHR sees the engine's data-center address) minutes before the Salesforce token grant.
std::vector<custody::sim::ehr::CrossSystemEvent> CrossSystemEvents(const std::string& answer_key,
                                                                   const std::string& scenario) {
  std::vector<custody::sim::ehr::CrossSystemEvent> out;
  if (scenario != "bulk-exfiltration" || answer_key.empty()) return out;
  auto d = ReadJson(answer_key);
  if (!d || !(*d)["events"].IsArray() || (*d)["events"].Empty()) return out;
  const rapidjson::Value& first = (*d)["events"][0];
  auto t = custody::ParseRfc3339(std::string(first["time"].GetString()).substr(0, 19) + "Z");
  if (!t || !first.HasMember("source_ip")) return out;
  const custody::sim::TimeMs grant = static_cast<custody::sim::TimeMs>(t->time_since_epoch().count()) * 1000;
  const std::string ip = first["source_ip"].GetString();
  out.push_back({grant - 6 * 60000 + 417, "middleware-login", "integration", ip, "",
                 "attacker logs in to the interface engine's admin API as the integration user"});
  out.push_back({grant - 5 * 60000 + 82, "middleware-message-search", "integration", ip, "",
                 "attacker pulls ADT channel message metadata (patients in flight)"});
  out.push_back({grant - 4 * 60000 + 651, "ehr-patient-search", "mirth-connect", "10.20.40.5",
                 "a1f6c2e0-5b7d-4c3e-9f1a-0b0e7f1a2c3d",
                 "the engine's FHIR client searches every patient of the EHR for the attacker"});
  return out;
}

// Adds the EHR servers' rows ("ehr_evidence") to the org's answer key, rewritten in place.
custody::Status AddEhrEvidence(const std::string& path, const std::vector<std::string>& arrays) {
  auto d = ReadJson(path);
  if (!d) return custody::Error(custody::ErrorCode::kIo, "custody-sim: cannot read " + path);
  rapidjson::Value all(rapidjson::kArrayType);
  for (const std::string& text : arrays) {
    rapidjson::Document part(&d->GetAllocator());
    part.Parse(text.c_str());
    if (part.HasParseError() || !part.IsArray()) continue;
    for (auto& v : part.GetArray()) all.PushBack(rapidjson::Value(v, d->GetAllocator()), d->GetAllocator());
  }
  d->AddMember("ehr_evidence", all, d->GetAllocator());
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  d->Accept(w);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << b.GetString() << "\n";
  out.close();
  if (!out) return custody::Error(custody::ErrorCode::kIo, "custody-sim: cannot write " + path);
  return custody::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"custody-sim: a simulated Salesforce org (REST, Bulk API 2.0, EventLogFile, OAuth) for tests, demos, "
               "benchmarks and tabletop exercises. Prints one JSON line with everything a client needs, then serves "
               "until SIGINT or SIGTERM."};
  SimOptions o;
  std::string listen = "127.0.0.1:0";
  std::string start_text;
  std::string now_text;
  std::vector<std::string> fault_texts;
  std::string gzip = "sometimes";
  double clock_offset_seconds = 0;
  bool no_shield = false;
  bool no_event_monitoring = false;
  bool list_scenarios = false;
  std::string served_ledger_path;
  app.add_option("--listen", listen, "HOST:PORT of the login host; the instance host gets its own port")
      ->capture_default_str();
  app.add_option("--seed", o.org.seed, "seed of the generated org; same seed and options, same data")
      ->capture_default_str();
  app.add_option("--scenario", o.org.scenario, "breach story to seed, with an answer key (see --list-scenarios)");
  app.add_flag("--list-scenarios", list_scenarios, "print the scenario names and exit");
  app.add_flag("--tls", o.tls, "serve HTTPS with a throwaway CA (its path is in the startup line)");
  app.add_option("--fault", fault_texts, "inject a fault: KIND[:ARG][@CALLS|%PERCENT] (repeatable)");
  app.add_option("--start", start_text, "first day of generated activity, RFC 3339 with a zone "
                                        "(default: --days days before today, UTC)");
  app.add_option("--days", o.org.days, "days of generated activity")->capture_default_str()->check(CLI::Range(1, 3660));
  app.add_option("--now", now_text, "freeze the data clock at this time (RFC 3339 with a zone); "
                                    "default: the data clock follows real time");
  app.add_option("--clock-offset", clock_offset_seconds,
                 "seconds the org's clock is ahead (positive) or behind (negative): Date headers, tokens");
  app.add_option("--token-ttl", o.token_ttl_seconds, "access token lifetime in seconds")->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400 * 30}));
  app.add_option("--token-requests", o.token_max_requests, "access tokens expire after this many calls (0: never)")
      ->capture_default_str();
  app.add_flag("--rotate-refresh-tokens", o.rotate_refresh_tokens, "refresh tokens are single-use");
  app.add_option("--api-limit", o.daily_api_limit, "DailyApiRequests maximum")->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{100000000}));
  app.add_option("--locator-ttl", o.locator_ttl_seconds, "seconds a query locator stays valid")->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400 * 30}));
  app.add_option("--api-version", o.api_version, "API version in URLs the simulator writes")->capture_default_str();
  app.add_option("--gzip", gzip, "compress responses when asked: never, sometimes or always")
      ->capture_default_str()->check(CLI::IsMember({"never", "sometimes", "always"}));
  app.add_flag("--no-shield", no_shield, "no Shield licence: Real-Time Event Monitoring objects answer INVALID_TYPE");
  app.add_flag("--field-audit-trail", o.org.field_audit_trail, "licence Field Audit Trail (FieldHistoryArchive)");
  app.add_flag("--no-event-monitoring", no_event_monitoring, "only the free EventLogFile types");
  app.add_flag("--hourly-elf", o.org.hourly_elf, "licence hourly event log files (Interval, Sequence)");
  app.add_flag("--developer-edition", o.org.developer_edition, "EventLogFile retention of one day");
  app.add_option("--history-rows", o.org.history_rows, "field-history rows across history objects")
      ->capture_default_str();
  app.add_option("--patients", o.org.patients, "Patient__c records")->capture_default_str();
  app.add_option("--users", o.org.users, "users")->capture_default_str()->check(CLI::Range(uint64_t{8}, uint64_t{100000}));
  app.add_option("--elf-bytes-per-day", o.org.elf_bytes_per_day, "approximate EventLogFile bytes per day")
      ->capture_default_str();
  app.add_option("--fixtures", o.fixtures_dir, "serve the real samples in this folder byte for byte instead of an org");
  custody::sim::fhir::FhirOptions fhir_options;
  custody::sim::mirth::MirthOptions mirth_options;
  bool fhir_enabled = false;
  bool mirth_enabled = false;
  std::string ehr_fixtures;
  custody::sim::fhir::AddFhirFlags(app, fhir_options, fhir_enabled);
  custody::sim::mirth::AddMirthFlags(app, mirth_options, mirth_enabled);
  app.add_option("--ehr-fixtures", ehr_fixtures,
                 "folder of the real EHR samples (fixtures/ehr/real) the FHIR and Mirth servers also serve unchanged");
  app.add_option("--served-ledger", served_ledger_path,
                 "append one JSON line per data row served (Salesforce, FHIR, Mirth) to FILE, created or "
                 "truncated at start: the simulator's record of what it handed out");
  app.add_option("--dir", o.work_dir, "folder for keys, certificates and the answer key (default: a new temporary "
                                      "folder, removed on exit)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (list_scenarios) {
    for (const std::string& s : custody::sim::ScenarioNames()) std::cout << s << "\n";
    return kExitOk;
  }
  o.org.shield = !no_shield;
  o.org.event_monitoring = !no_event_monitoring;
  o.gzip = gzip == "never" ? custody::sim::GzipMode::kNever
           : gzip == "always" ? custody::sim::GzipMode::kAlways
                              : custody::sim::GzipMode::kSometimes;
  o.clock_offset_ms = static_cast<int64_t>(clock_offset_seconds * 1000);
  for (const std::string& text : fault_texts) {
    std::string error;
    auto spec = custody::sim::ParseFault(text, &error);
    if (!spec) {
      std::cerr << "custody-sim: --fault " << error << "\n";
      return kExitUsage;
    }
    o.faults.push_back(*spec);
  }
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "custody-sim: --listen " << listen << ": expected HOST:PORT\n";
    return kExitUsage;
  }
  o.host = listen.substr(0, colon);
  if (!o.host.empty() && o.host.front() == '[' && o.host.back() == ']') o.host = o.host.substr(1, o.host.size() - 2);
  try {
    o.port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    o.port = -1;
  }
  if (o.port < 0 || o.port > 65535) {
    std::cerr << "custody-sim: --listen " << listen << ": the port must be 0..65535\n";
    return kExitUsage;
  }
  if (!IsLoopback(o.host) && !o.tls) {
    std::cerr << "custody-sim: --listen " << listen << ": plain HTTP is served on loopback addresses only; add --tls\n";
    return kExitUsage;
  }
  const custody::sim::TimeMs real_now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!now_text.empty()) {
    if (!ParseTime(now_text, "--now", &o.now)) return kExitUsage;
    o.frozen_now = true;
  }
  const custody::sim::TimeMs reference = o.frozen_now ? o.now : real_now;
  if (!start_text.empty()) {
    if (!ParseTime(start_text, "--start", &o.org.start)) return kExitUsage;
  } else {
    o.org.start = (reference / 86400000 - o.org.days) * 86400000;
  }

  // SIGINT/SIGTERM are taken by a dedicated thread with sigwait, so the listeners stop cleanly.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  bool made_dir = false;
  if (o.work_dir.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/custody-sim.XXXXXX";
    if (mkdtemp(templ.data()) == nullptr) {
      std::cerr << "custody-sim: cannot create a working folder under " << templ << "\n";
      return kExitFailure;
    }
    o.work_dir = templ;
    made_dir = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(o.work_dir, ec);
    if (ec) {
      std::cerr << "custody-sim: --dir " << o.work_dir << ": " << ec.message() << "\n";
      return kExitUsage;
    }
  }
  const std::string work_dir = o.work_dir;
  // Opened before any server exists and closed after they have all stopped.
  std::unique_ptr<custody::sim::ServedLedger> served_ledger;
  if (!served_ledger_path.empty()) {
    std::string error;
    served_ledger = custody::sim::ServedLedger::Open(served_ledger_path, &error);
    if (!served_ledger) {
      std::cerr << error << "\n";
      if (made_dir) std::filesystem::remove_all(work_dir);
      return kExitUsage;
    }
    o.served_ledger = served_ledger.get();
  }
  // The EHR side shares the org's seed, window, clock and listen host; each server has its own port.
  custody::sim::ehr::EhrCommon common;
  common.host = o.host;
  common.tls = o.tls;
  common.work_dir = work_dir;
  common.seed = o.org.seed;
  common.scenario = o.org.scenario;
  common.start = o.org.start;
  common.days = o.org.days;
  common.frozen_now = o.frozen_now;
  common.now = o.now;
  common.clock_offset_ms = o.clock_offset_ms;
  common.fixtures_root = ehr_fixtures;
  common.served_ledger = served_ledger.get();
  auto fail = [&](const custody::Error& e) {
    std::cerr << e.message() << "\n";
    if (made_dir) std::filesystem::remove_all(work_dir);
    const custody::ErrorCode code = e.code();
    return code == custody::ErrorCode::kInvalidArgument || code == custody::ErrorCode::kNotFound ? kExitUsage
                                                                                                  : kExitFailure;
  };
  if ((fhir_enabled || mirth_enabled) && o.tls) {
    std::error_code ec;
    std::filesystem::create_directories(work_dir + "/ehr-tls", ec);
    auto tls = custody::sim::MakeTlsMaterial(work_dir + "/ehr-tls");
    if (!tls) return fail(tls.error());
    common.tls_cert_path = tls->cert_path;
    common.tls_key_path = tls->key_path;
    common.ca_path = tls->ca_path;
  }
  // The org first: its scenario's answer key says what the EHR side must show of the same story.
  auto server = custody::sim::SimServer::Create(std::move(o));
  if (!server) return fail(server.error());
  const std::string answer_key_path = AnswerKeyPath(work_dir, common.scenario);
  common.scenario_events = CrossSystemEvents(answer_key_path, common.scenario);
  std::unique_ptr<custody::sim::fhir::FhirServer> fhir;
  std::unique_ptr<custody::sim::mirth::MirthServer> mirth;
  if (fhir_enabled) {
    const int fhir_port = fhir_options.common.port;  // --fhir-port
    fhir_options.common = common;
    fhir_options.common.port = fhir_port;
    fhir_options.common.work_dir = work_dir + "/fhir";
    std::error_code ec;
    std::filesystem::create_directories(fhir_options.common.work_dir, ec);
    auto made = custody::sim::fhir::FhirServer::Create(std::move(fhir_options));
    if (!made) return fail(made.error());
    fhir = std::move(*made);
  }
  if (mirth_enabled) {
    const int mirth_port = mirth_options.common.port;
    mirth_options.common = common;
    mirth_options.common.port = mirth_port;
    mirth_options.common.work_dir = work_dir + "/mirth";
    std::error_code ec;
    std::filesystem::create_directories(mirth_options.common.work_dir, ec);
    auto made = custody::sim::mirth::MirthServer::Create(std::move(mirth_options));
    if (!made) return fail(made.error());
    mirth = std::move(*made);
  }
  if (!common.scenario_events.empty()) {
    std::vector<std::string> evidence;
    if (mirth) evidence.push_back(mirth->AnswerKeyEvidenceJson());
    if (fhir) evidence.push_back(fhir->AnswerKeyEvidenceJson());
    if (custody::Status st = AddEhrEvidence(answer_key_path, evidence); !st) return fail(st.error());
  }
  // The org's startup object, with the EHR servers' objects (or null) as "fhir" and "mirth".
  std::string startup = (*server)->StartupJson();
  startup.pop_back();
  startup += ",\"fhir\":" + (fhir ? fhir->StartupJson() : std::string("null"));
  startup += ",\"mirth\":" + (mirth ? mirth->StartupJson() : std::string("null")) + "}";
  std::cout << startup << std::endl;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (fhir) fhir->Stop();
    if (mirth) mirth->Stop();
    (*server)->Stop();
  });
  std::thread fhir_thread;
  std::thread mirth_thread;
  if (fhir) fhir_thread = std::thread([&] { fhir->Run(); });
  if (mirth) mirth_thread = std::thread([&] { mirth->Run(); });
  (*server)->Run();
  // Run() also returns if a listener fails; make sure the waiter thread ends.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (fhir_thread.joinable()) fhir_thread.join();
  if (mirth_thread.joinable()) mirth_thread.join();
  if (made_dir) std::filesystem::remove_all(work_dir);
  return kExitOk;
}
