// custody collect --config case.toml: every source of a case file (Salesforce orgs, FHIR servers,
// Mirth servers) collected concurrently into one bundle with one merged timeline.

#include <map>
#include <thread>

#include "auth/smart_auth.h"
#include "case_config.h"
#include "source_job.h"
#include "collect_common.h"
#include "connectors/common/clock_probe.h"
#include "commands.h"
#include "connectors/fhir/collector.h"
#include "connectors/mirth/collector.h"
#include "connectors/salesforce/collector.h"
#include "exit_codes.h"
#include "tool_info.h"

namespace custody::cli {

namespace {

namespace sf = connectors::salesforce;

// The case file's secret references stand in for a connector's environment variables: each
// {setting, variable} read with Secret(), registered with the redactor, and served by the lookup.
Result<auth::EnvLookup> SecretsAsEnvironment(const SourceSection& s, PreparedCollection& p,
                                             std::initializer_list<std::pair<const char*, const char*>> refs) {
  auto secrets = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& [key, env] : refs) {
    std::optional<std::string> v;
    CUSTODY_RETURN_IF_ERROR(Take(s.Secret(key), v));
    if (v) {
      p.redactor.Add(*v);
      (*secrets)[env] = *v;
    }
  }
  return auth::EnvLookup([secrets](const char* name) -> std::optional<std::string> {
    auto it = secrets->find(name);
    if (it == secrets->end()) return std::nullopt;
    return it->second;
  });
}

Result<SourceJob> SalesforceJob(const SourceSection& s, PreparedCollection& p, Context& ctx, std::uint64_t index) {
  CUSTODY_RETURN_IF_ERROR(s.CheckKeys({"name", "type", "instance_url", "auth", "login_url", "client_id", "username",
                                       "jwt_key", "access_token", "client_secret", "refresh_token",
                                       "jwt_key_passphrase", "streams", "api_version", "api_budget_reserve",
                                       "batch_size", "bulk_threshold"}));
  auto o = std::make_shared<sf::CollectOptions>();
  o->source = s.name();
  o->since = p.since;
  o->until = p.until;
  if (auto plan = p.plans.find(s.name()); plan != p.plans.end()) {
    o->since = plan->second.since;
    o->stream_since = plan->second.stream_since;
    o->log_file_since = plan->second.log_file_since;
    o->known_log_files = plan->second.known_log_files;
  }
  auto instance = s.RequiredString("instance_url");
  if (!instance) return instance.error();
  o->auth.instance_url = TrimSlashes(*instance);
  if (Status st = http::CheckUrlPolicy(o->auth.instance_url); !st) return s.Fail("instance_url", st.error().message());
  auto mode_text = s.RequiredString("auth");
  if (!mode_text) return mode_text.error();
  auto mode = auth::ParseSalesforceAuthMode(*mode_text);
  if (!mode) return s.Fail("auth", mode.error().message());
  o->auth.mode = *mode;
  std::optional<std::string> v;
  CUSTODY_RETURN_IF_ERROR(Take(s.String("login_url"), v));
  if (v) {
    o->auth.login_url = TrimSlashes(*v);
    if (Status st = http::CheckUrlPolicy(o->auth.login_url); !st) return s.Fail("login_url", st.error().message());
  }
  CUSTODY_RETURN_IF_ERROR(Take(s.String("client_id"), v));
  o->auth.client_id = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.String("username"), v));
  o->auth.username = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.Path("jwt_key"), v));
  o->auth.jwt_key_file = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.String("api_version"), v));
  if (v) o->api_version = *v;
  auto env = SecretsAsEnvironment(s, p, {{"access_token", "SF_ACCESS_TOKEN"},
                                         {"client_secret", "SF_CLIENT_SECRET"},
                                         {"refresh_token", "SF_REFRESH_TOKEN"},
                                         {"jwt_key_passphrase", "SF_JWT_KEY_PASSPHRASE"}});
  if (!env) return env.error();
  o->env = std::move(*env);
  if (auto checked = auth::LoadSalesforceSecrets(o->auth, o->env); !checked) {
    return s.Fail("auth", checked.error().message() +
                              " (in a case file: access_token, client_secret, refresh_token or jwt_key_passphrase "
                              "as { env = \"NAME\" } or { file = \"PATH\" })");
  }
  std::optional<std::vector<std::string>> streams;
  CUSTODY_RETURN_IF_ERROR(Take(s.StringList("streams"), streams));
  if (streams) {
    o->streams.clear();
    for (const auto& name : *streams) {
      if (name != sf::kStreamFieldHistory && name != sf::kStreamLogins && name != sf::kStreamExports) {
        return s.Fail("streams", "unknown stream '" + name + "' (known: field-history, logins, exports)");
      }
      if (std::find(o->streams.begin(), o->streams.end(), name) == o->streams.end()) o->streams.push_back(name);
    }
    if (o->streams.empty()) return s.Fail("streams", "names no stream");
  }
  std::optional<std::int64_t> n;
  CUSTODY_RETURN_IF_ERROR(Take(s.Integer("api_budget_reserve"), n));
  if (n) {
    if (*n < 0 || *n > 100) return s.Fail("api_budget_reserve", "must be a percentage from 0 to 100");
    o->budget_reserve = static_cast<double>(*n) / 100.0;
  }
  CUSTODY_RETURN_IF_ERROR(Take(s.Integer("batch_size"), n));
  if (n) {
    if (*n < 200 || *n > 2000) return s.Fail("batch_size", "must be from 200 to 2000 (Salesforce's range)");
    o->batch_size = static_cast<int>(*n);
  }
  CUSTODY_RETURN_IF_ERROR(Take(s.Integer("bulk_threshold"), n));
  if (n) {
    if (*n < 0) return s.Fail("bulk_threshold", "must not be negative");
    o->bulk_threshold = static_cast<std::uint64_t>(*n);
  }
  o->transport = p.transport;
  o->retry.max_attempts = p.max_attempts;
  o->retry.base = p.retry_delay;
  o->cancel = ctx.cancel;
  o->payload_root = p.payload_root;
  o->work_dir = p.scratch / ("source-" + std::to_string(index));
  o->shared_timeline = p.timeline.get();
  o->source_index = index;
  Reporter* reporter = p.reporter.get();
  const std::string name = s.name();
  o->progress = [reporter, name](const std::string& stream, const std::string& what) {
    reporter->Progress(name + "/" + stream, what);
  };
  SourceJob job;
  job.name = s.name();
  job.type = "salesforce";
  job.url = o->auth.instance_url;
  job.probe_url = o->auth.instance_url + "/services/data/";
  job.set_correction = [o](std::int64_t ms, connectors::RecordSink&) { o->clock_correction_ms = ms; };
  auth::Redactor* redactor = &p.redactor;
  const Clock* clock = &ctx.clock;
  job.run = [o, redactor, clock](connectors::RecordSink& sink) -> Result<connectors::SourceReport> {
    std::error_code ec;
    std::filesystem::create_directories(o->work_dir, ec);
    if (ec) return Error(ErrorCode::kIo, "create " + o->work_dir.string() + ": " + ec.message());
    // The collector writes its untimed records where the sink would have.
    o->untimed_path = sink.untimed_path();
    auto r = sf::CollectSalesforce(*o, *clock, *redactor);
    if (!r) return r.error();
    connectors::SourceReport out;
    out.name = o->source;
    out.type = "salesforce";
    out.base_url = r->instance_url;
    out.auth_mode = auth::SalesforceAuthModeName(o->auth.mode);
    out.collector_identity = r->username;
    out.grants = r->grants;
    out.requests = r->requests;
    out.normalized_records = r->normalized_records;
    out.untimed_records = r->untimed_records;
    out.stop = r->stop;
    out.stop_detail = r->stop_detail;
    out.complete = r->complete;
    for (const auto& st : r->streams) {
      connectors::SourceStream ss;
      ss.name = st.name;
      ss.status = st.status;
      ss.records = st.records;
      for (const auto& i : st.items) {
        connectors::SourceItem it;
        it.object = i.object;
        it.status = i.status;
        it.gaps = i.gaps;
        it.notes = i.notes;
        ss.items.push_back(std::move(it));
      }
      out.streams.push_back(std::move(ss));
    }
    out.json_override = sf::SalesforceSourceJson(*r, *o);
    out.log_files = r->log_files;
    out.log_files_skipped = r->log_files_skipped;
    return out;
  };
  return job;
}

Result<SourceJob> MirthJob(const SourceSection& s, PreparedCollection& p, Context& ctx, std::uint64_t index) {
  namespace mi = connectors::mirth;
  CUSTODY_RETURN_IF_ERROR(s.CheckKeys({"name", "type", "base_url", "auth", "username", "password", "streams",
                                       "channels", "include_content", "page_size"}));
  auto o = std::make_shared<mi::MirthCollectOptions>();
  o->source = s.name();
  auto base = s.RequiredString("base_url");
  if (!base) return base.error();
  o->base_url = TrimSlashes(*base);
  if (Status st = http::CheckUrlPolicy(o->base_url); !st) return s.Fail("base_url", st.error().message());
  auto user = s.RequiredString("username");
  if (!user) return user.error();
  o->username = *user;
  std::optional<std::string> v;
  CUSTODY_RETURN_IF_ERROR(Take(s.String("auth"), v));
  if (v) {
    auto mode = mi::ParseMirthAuthMode(*v);
    if (!mode) return s.Fail("auth", mode.error().message());
    o->auth = *mode;
  }
  CUSTODY_RETURN_IF_ERROR(Take(s.Secret("password"), v));
  if (!v) return s.Fail("", "password is required: { env = \"NAME\" } or { file = \"PATH\" }");
  p.redactor.Add(*v);
  o->password = auth::Secret(*v);
  std::optional<std::vector<std::string>> list;
  CUSTODY_RETURN_IF_ERROR(Take(s.StringList("streams"), list));
  if (list) {
    o->streams.clear();
    for (const auto& name : *list) {
      if (name != mi::kStreamServerEvents && name != mi::kStreamMessages) {
        return s.Fail("streams", "unknown stream '" + name + "' (known: server-events, messages)");
      }
      o->streams.push_back(name);
    }
  }
  CUSTODY_RETURN_IF_ERROR(Take(s.StringList("channels"), list));
  if (list) o->channels = *list;
  std::optional<bool> b;
  CUSTODY_RETURN_IF_ERROR(Take(s.Boolean("include_content"), b));
  o->include_content = b.value_or(false);
  std::optional<std::int64_t> n;
  CUSTODY_RETURN_IF_ERROR(Take(s.Integer("page_size"), n));
  if (n) {
    if (*n < 1 || *n > 100000) return s.Fail("page_size", "must be from 1 to 100000");
    o->page_size = static_cast<int>(*n);
  }
  ApplyPrepared(*o, p, ctx, s.name());
  ApplyPlan(*o, p, s.name());
  o->source_index = index;
  SourceJob job;
  job.name = s.name();
  job.type = "mirth";
  job.url = o->base_url;
  // Mirth answers a bare request without X-Requested-With with an HTML 400, Date and all.
  job.probe_url = o->base_url + "/server/time";
  job.probe_headers = {{"X-Requested-With", "custody"}};
  auth::Redactor* redactor = &p.redactor;
  const Clock* clock = &ctx.clock;
  job.run = [o, redactor, clock](connectors::RecordSink& sink) { return mi::CollectMirth(*o, *clock, *redactor, sink); };
  return job;
}

Result<SourceJob> FhirJob(const SourceSection& s, PreparedCollection& p, Context& ctx, std::uint64_t index) {
  namespace fh = connectors::fhir;
  CUSTODY_RETURN_IF_ERROR(s.CheckKeys({"name", "type", "base_url", "auth", "access_token", "username", "password",
                                       "client_id", "client_key", "client_key_passphrase", "kid", "token_url",
                                       "scope", "page_size", "export"}));
  auto o = std::make_shared<fh::FhirCollectOptions>();
  o->source = s.name();
  auto base = s.RequiredString("base_url");
  if (!base) return base.error();
  o->base_url = TrimSlashes(*base);
  if (Status st = http::CheckUrlPolicy(o->base_url); !st) return s.Fail("base_url", st.error().message());
  auto mode_text = s.RequiredString("auth");
  if (!mode_text) return mode_text.error();
  auto mode = fh::ParseFhirAuthMode(*mode_text);
  if (!mode) return s.Fail("auth", mode.error().message());
  o->auth.mode = *mode;
  std::optional<std::string> v;
  CUSTODY_RETURN_IF_ERROR(Take(s.String("username"), v));
  o->auth.username = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.String("client_id"), v));
  o->auth.client_id = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.Path("client_key"), v));
  o->auth.key_file = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.String("kid"), v));
  o->auth.kid = v.value_or("");
  CUSTODY_RETURN_IF_ERROR(Take(s.String("token_url"), v));
  o->auth.token_url = v.value_or("");
  if (!o->auth.token_url.empty()) {
    if (Status st = http::CheckUrlPolicy(o->auth.token_url); !st) return s.Fail("token_url", st.error().message());
  }
  CUSTODY_RETURN_IF_ERROR(Take(s.String("scope"), v));
  o->auth.scope = v.value_or("");
  auto env = SecretsAsEnvironment(s, p, {{"access_token", fh::kEnvAccessToken},
                                         {"password", fh::kEnvPassword},
                                         {"client_key_passphrase", "FHIR_KEY_PASSPHRASE"}});
  if (!env) return env.error();
  o->env = std::move(*env);
  auto checked = fh::LoadFhirSecrets(o->auth, o->env, p.redactor);
  if (!checked) {
    return s.Fail("auth", checked.error().message() +
                              " (in a case file: access_token, password or client_key_passphrase as "
                              "{ env = \"NAME\" } or { file = \"PATH\" })");
  }
  if (o->auth.mode == fh::FhirAuthMode::kSmart) {
    // Read now, so that a key the passphrase does not open names its line and the setting that
    // holds the passphrase (not FHIR_KEY_PASSPHRASE, the flag's variable) before any request.
    auto key = auth::LoadSmartSigningKey(checked->key_pem.reveal(), checked->key_passphrase.reveal(),
                                         "client_key_passphrase");
    if (!key) return s.Fail("client_key", o->auth.key_file.string() + ": " + key.error().message());
  }
  std::optional<std::int64_t> n;
  CUSTODY_RETURN_IF_ERROR(Take(s.Integer("page_size"), n));
  if (n) {
    if (*n < 1 || *n > 10000) return s.Fail("page_size", "must be from 1 to 10000");
    o->page_size = static_cast<int>(*n);
  }
  std::optional<bool> b;
  CUSTODY_RETURN_IF_ERROR(Take(s.Boolean("export"), b));
  if (b) o->use_export = *b;
  ApplyPrepared(*o, p, ctx, s.name());
  ApplyPlan(*o, p, s.name());
  (void)index;
  SourceJob job;
  job.name = s.name();
  job.type = "fhir";
  job.url = o->base_url;
  job.probe_url = o->base_url + "/metadata";
  job.probe_headers = {{"Accept", "application/fhir+json"}};
  auth::Redactor* redactor = &p.redactor;
  const Clock* clock = &ctx.clock;
  job.run = [o, redactor, clock](connectors::RecordSink& sink) { return fh::CollectFhir(*o, *clock, *redactor, sink); };
  return job;
}

}  // namespace

Result<CaseConfig> LoadCaseWithFlags(const std::string& config_path, CommonCollectFlags& f, bool series) {
  auto config = LoadCaseConfig(config_path);
  if (!config) return config.error();
  // The command line wins over the case file.
  auto fill = [](std::string& flag, const std::optional<std::string>& from_file) {
    if (flag.empty() && from_file) flag = *from_file;
  };
  fill(f.since, config->since);
  fill(f.until, config->until);
  fill(f.case_id, config->case_id);
  fill(f.examiner, config->examiner);
  fill(f.key, config->key);
  fill(f.cert, config->cert);
  fill(f.out, config->out);
  fill(f.work_dir, config->work_dir);
  fill(f.ca_file, config->ca_file);
  const std::pair<const char*, const std::string*> required[] = {
      {"since", &f.since}, {"id", &f.case_id}, {"examiner", &f.examiner},
      {"key", &f.key},     {"cert", &f.cert},  {"out", &f.out}};
  for (const auto& [name, value] : required) {
    // A series past its first run starts where the state says; it needs no since.
    if (series && std::string(name) == "since") continue;
    if (value->empty()) {
      return Error(ErrorCode::kInvalidArgument, config_path + ": [case] " + name + " is not set (nor --" +
                                                    (std::string(name) == "id" ? "case" : name) +
                                                    " on the command line)");
    }
  }
  return config;
}

Status CollectCaseSources(const CaseConfig& config_in, PreparedCollection& p, const CommonCollectFlags& f,
                          Context& ctx) {
  const CaseConfig* config = &config_in;
  std::vector<SourceJob> jobs;
  auto abandon = [&](Error e) {
    std::error_code ec;
    std::filesystem::remove_all(p.work, ec);
    return e;
  };
  for (size_t i = 0; i < config->sources.size(); ++i) {
    const SourceSection& s = config->sources[i];
    Result<SourceJob> job = Error(ErrorCode::kInternal, "");
    if (s.type() == "salesforce") job = SalesforceJob(s, p, ctx, i);
    if (s.type() == "mirth") job = MirthJob(s, p, ctx, i);
    if (s.type() == "fhir") job = FhirJob(s, p, ctx, i);
    if (s.type() == "http-json") job = HttpJsonJob(s, p, ctx, i);
    if (!job) return abandon(job.error());
    jobs.push_back(std::move(*job));
  }
  std::vector<std::unique_ptr<connectors::RecordSink>> sinks;
  for (size_t i = 0; i < jobs.size(); ++i) {
    sinks.push_back(MakeRecordSink(p, i));
    if (Status s = sinks.back()->Open(); !s) return abandon(s.error());
  }
  // Every source's clock against ours, before the first record: a source whose clock is off by
  // 2 s or more has its records placed on the merged timeline at @timestamp minus that skew.
  std::vector<connectors::ClockProbeResult> probes(jobs.size());
  {
    std::vector<std::thread> probe_threads;
    for (size_t i = 0; i < jobs.size(); ++i) {
      probe_threads.emplace_back([&, i] {
        probes[i] = connectors::ProbeClock(p.payload_root, jobs[i].name, jobs[i].probe_url, jobs[i].probe_headers,
                                           p.transport);
      });
    }
    for (auto& t : probe_threads) t.join();
  }
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (probes[i].correction_ms != 0) {
      jobs[i].set_correction(probes[i].correction_ms, *sinks[i]);
      p.reporter->Info(jobs[i].name + ": clock " + std::to_string(probes[i].skew_ms) +
                       " ms off ours; its records are placed on the timeline " +
                       std::to_string(probes[i].correction_ms / 1000) + " s earlier");
    }
  }
  p.reporter->Info("collecting " + std::to_string(jobs.size()) + " sources from " + FormatRfc3339(p.since) + " to " +
                   FormatRfc3339(p.until) + " into " + p.work.string());
  // Every source on its own thread: one slow or failing source does not hold up the others, and
  // each one's report says what it got.
  std::vector<Result<connectors::SourceReport>> results(jobs.size(), Error(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < jobs.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = jobs[i].run(*sinks[i]); });
  }
  for (auto& t : threads) t.join();
  std::vector<connectors::SourceReport> reports;
  bool all_failed = true;
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (results[i]) {
      all_failed = false;
      reports.push_back(std::move(*results[i]));
      continue;
    }
    // A source that could not be collected at all is in the bundle as such, with why.
    const Error& e = results[i].error();
    connectors::SourceReport failed;
    failed.name = jobs[i].name;
    failed.type = jobs[i].type;
    failed.base_url = jobs[i].url;
    failed.auth_mode = "unknown";
    failed.stop = e.code() == ErrorCode::kAuth ? connectors::SourceStop::kAuth
                  : e.code() == ErrorCode::kCancelled ? connectors::SourceStop::kInterrupted
                                                      : connectors::SourceStop::kFailed;
    failed.stop_detail = p.redactor.Apply(e.message());
    failed.complete = false;
    if (failed.type == "salesforce") {
      // Salesforce's report shape needs its own members; the failure goes in stop_detail.
      failed.json_override = "";
    }
    ctx.err << "custody: collect " << jobs[i].name << " (" << jobs[i].url << "): " << failed.stop_detail << "\n";
    reports.push_back(std::move(failed));
  }
  if (all_failed) {
    // Nothing was collected from any source: no bundle claims anything.
    if (std::filesystem::exists(p.payload_root / "raw")) {
      return Error(results.front().error().code(), "no source could be collected (the captures are kept in " +
                                                       p.work.string() + ")");
    }
    std::error_code ec;
    std::filesystem::remove_all(p.work, ec);
    return Error(results.front().error().code(), "no source could be collected");
  }
  return SealCollection(p, f, sinks, reports, ctx, connectors::ClockProbesJson(probes));
}

namespace {

Status RunCollectConfig(const std::string& config_path, CommonCollectFlags f, Context& ctx) {
  auto config = LoadCaseWithFlags(config_path, f, false);
  if (!config) return config.error();
  auto prepared = PrepareCollection(f, ctx);
  if (!prepared) return prepared.error();
  return CollectCaseSources(*config, **prepared, f, ctx);
}

}  // namespace

void AddCollectConfig(CLI::App* collect, Context& ctx) {
  auto path = std::make_shared<std::string>();
  auto f = std::make_shared<CommonCollectFlags>();
  collect->add_option("--config", *path, "Case file (TOML) naming every source to collect into one bundle "
                                         "(docs/config.md)");
  collect->add_option("--since", f->since, "With --config: overrides [case] since");
  collect->add_option("--until", f->until, "With --config: overrides [case] until");
  collect->add_option("--case", f->case_id, "With --config: overrides [case] id");
  collect->add_option("--examiner", f->examiner, "With --config: overrides [case] examiner");
  collect->add_option("--key", f->key, "With --config: overrides [case] key");
  collect->add_option("--cert", f->cert, "With --config: overrides [case] cert");
  collect->add_option("--out", f->out, "With --config: overrides [case] out");
  collect->add_flag("--force", f->force, "With --config: replace an existing bundle");
  collect->add_option("--work-dir", f->work_dir, "With --config: overrides [case] work_dir");
  collect->add_flag("--keep-work-dir", f->keep_work_dir, "Keep the work folder after sealing");
  collect->add_option("--ca-file", f->ca_file, "With --config: overrides [case] ca_file");
  collect->add_option("--max-attempts", f->max_attempts, "Attempts per request (default 5)");
  collect->add_option("--retry-delay-ms", f->retry_delay_ms, "First retry delay (default 500)");
  collect->add_option("--log-format", f->log_format, "text or json");
  auto series = std::make_shared<SeriesFlags>();
  collect->add_option("--state-dir", series->state_dir,
                      "With --config: run as one night of a preservation series kept in this folder "
                      "(docs/nightly.md); out is then the folder of the series' bundles");
  collect->add_option("--overlap", series->overlap,
                      "With --state-dir: how far back event log file listings re-check for late and "
                      "re-delivered files (default 72h)");
  collect->add_option("--event-overlap", series->event_overlap,
                      "With --state-dir: how far back other streams re-read before their watermark (default 1h)");
  collect->add_option("--keep-days", series->keep_days,
                      "With --state-dir: delete bundles sealed more than N days ago once their successor verifies");
  collect->callback([collect, path, f, series, &ctx] {
    if (!collect->get_subcommands().empty()) return;
    if (path->empty()) {
      ctx.status = Error(ErrorCode::kInvalidArgument,
                         "collect needs a source (salesforce, fhir, mirth) or --config CASE.toml");
      return;
    }
    if (!series->state_dir.empty()) {
      ctx.status = RunSeries(*path, *f, *series, ctx);
      return;
    }
    if (series->overlap != "72h" || series->event_overlap != "1h" || series->keep_days >= 0) {
      ctx.status = Error(ErrorCode::kInvalidArgument, "--overlap, --event-overlap and --keep-days need --state-dir");
      return;
    }
    ctx.status = RunCollectConfig(*path, *f, ctx);
  });
}

}  // namespace custody::cli
