// custody collect fhir: the AuditEvents of a FHIR server (R4 or R5) over a time window, collected
// by search (next links followed verbatim) or Bulk Data $export, normalized and sealed in one
// command. docs/connectors/fhir.md is the manual.

#include <memory>
#include <string>
#include <vector>

#include "collect_common.h"
#include "commands.h"
#include "connectors/fhir/collector.h"
#include "exit_codes.h"

namespace custody::cli {

namespace {

struct FhirFlags {
  std::string base_url;
  std::string auth;
  std::string client_id;
  std::string key;
  std::string kid;
  std::string token_url;
  std::string scope;
  std::string username;
  int page_size = 100;
  bool no_export = false;
  std::string source_name = "fhir";
  CommonCollectFlags common;
};

bool SafeName(const std::string& s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string TrimSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Status RunCollectFhir(const FhirFlags& f, Context& ctx) {
  namespace fhir = connectors::fhir;
  fhir::FhirCollectOptions o;
  o.base_url = TrimSlashes(f.base_url);
  if (Status s = http::CheckUrlPolicy(o.base_url); !s) return s.error().Context("--base-url");
  if (o.base_url.find('?') != std::string::npos || o.base_url.find('#') != std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "--base-url must not carry a query or fragment: " + o.base_url);
  }
  auto mode = fhir::ParseFhirAuthMode(f.auth);
  if (!mode) return mode.error();
  o.auth.mode = *mode;
  o.auth.client_id = f.client_id;
  o.auth.key_file = f.key;
  o.auth.kid = f.kid;
  o.auth.token_url = TrimSlashes(f.token_url);
  o.auth.scope = f.scope;
  o.auth.username = f.username;
  if (o.auth.mode != fhir::FhirAuthMode::kSmart &&
      (!f.client_id.empty() || !f.key.empty() || !f.kid.empty() || !f.token_url.empty() || !f.scope.empty())) {
    return Error(ErrorCode::kInvalidArgument,
                 "--client-id, --client-key, --kid, --token-url and --scope are for --auth smart");
  }
  if (o.auth.mode != fhir::FhirAuthMode::kBasic && !f.username.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--username is for --auth basic");
  }
  if (f.page_size < 1 || f.page_size > 10000) {
    return Error(ErrorCode::kInvalidArgument, "--page-size must be from 1 to 10000");
  }
  o.page_size = f.page_size;
  o.use_export = !f.no_export;
  if (!SafeName(f.source_name)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--source-name must be 1 to 64 of A-Z a-z 0-9 . _ - (it names a folder in the bundle)");
  }
  o.source = f.source_name;

  auto prepared = PrepareCollection(f.common, ctx);
  if (!prepared) return prepared.error();
  PreparedCollection& p = **prepared;
  ApplyPrepared(o, p, ctx);
  p.reporter->Info("collecting " + o.base_url + " (--auth " + f.auth + ") from " + FormatRfc3339(o.since) + " to " +
                   FormatRfc3339(o.until) + " into " + p.work.string());
  // Secrets are read (and registered with p.redactor) inside, from FHIR_ACCESS_TOKEN,
  // FHIR_PASSWORD, FHIR_KEY_PASSPHRASE and the --client-key file: never from argv.
  return CollectOneSource(p, f.common, ctx, "fhir", o.base_url, [&](connectors::RecordSink& sink) {
    return fhir::CollectFhir(o, ctx.clock, p.redactor, sink);
  });
}

}  // namespace

void AddCollectFhirCommand(CLI::App* collect, Context& ctx) {
  auto f = std::make_shared<FhirFlags>();
  CLI::App* cmd = collect->add_subcommand(
      "fhir", "AuditEvents of a FHIR server (R4/R5) by search or $export, sealed with their completeness");
  cmd->add_option("--base-url", f->base_url, "The FHIR base URL (https://ehr.example/fhir/R4)")->required();
  cmd->add_option("--auth", f->auth,
                  "token (FHIR_ACCESS_TOKEN), smart (SMART Backend Services: --client-id --client-key --kid) or basic "
                  "(--username, FHIR_PASSWORD)")
      ->required();
  cmd->add_option("--client-id", f->client_id, "SMART client id (iss and sub of the client assertion)");
  cmd->add_option("--client-key", f->key,
                  "SMART private key (PEM): RSA signs RS384, EC P-384 signs ES384 (FHIR_KEY_PASSPHRASE if encrypted)");
  cmd->add_option("--kid", f->kid, "Key id of --client-key in the client's registered JWKS");
  cmd->add_option("--token-url", f->token_url,
                  "SMART token endpoint (default: token_endpoint of <base>/.well-known/smart-configuration)");
  cmd->add_option("--scope", f->scope,
                  "SMART scope (default system/AuditEvent.read, or system/AuditEvent.rs for SMART v2 servers)");
  cmd->add_option("--username", f->username, "Basic user name (--auth basic; password in FHIR_PASSWORD)");
  cmd->add_option("--page-size", f->page_size, "_count asked for per search page, 1..10000 (default 100)");
  cmd->add_flag("--no-export", f->no_export, "Search even when the server advertises $export");
  cmd->add_option("--source-name", f->source_name, "Name of the source in the bundle (default fhir)");
  AddCommonCollectFlags(cmd, f->common);
  cmd->footer(
      "Secrets never go on the command line: FHIR_ACCESS_TOKEN, FHIR_PASSWORD, FHIR_KEY_PASSPHRASE and\n"
      "CUSTODY_KEY_PASSPHRASE come from the environment, the SMART key from a file.\n\n" +
      std::string(kExitCodeHelp));
  cmd->callback([f, &ctx] { ctx.status = RunCollectFhir(*f, ctx); });
}

}  // namespace custody::cli
