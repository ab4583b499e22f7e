// custody-sim: a simulated Salesforce org on loopback. docs/custody-sim.md is its manual.
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include "core/time.h"
#include "server/faults.h"
#include "server/sim_server.h"

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
  auto server = custody::sim::SimServer::Create(std::move(o));
  if (!server) {
    std::cerr << server.error().message() << "\n";
    if (made_dir) std::filesystem::remove_all(work_dir);
    const custody::ErrorCode code = server.error().code();
    return code == custody::ErrorCode::kInvalidArgument || code == custody::ErrorCode::kNotFound ? kExitUsage
                                                                                                  : kExitFailure;
  }
  std::cout << (*server)->StartupJson() << std::endl;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    (*server)->Stop();
  });
  (*server)->Run();
  // Run() also returns if a listener fails; make sure the waiter thread ends.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  if (made_dir) std::filesystem::remove_all(work_dir);
  return kExitOk;
}
