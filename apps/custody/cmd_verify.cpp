#include "commands.h"
#include "signing.h"
#include "crypto/keys.h"
#include "exit_codes.h"
#include "io/file_system.h"
#include "verify/chain.h"
#include "verify/report.h"
#include "verify/verifier.h"

namespace custody::cli {

namespace {
struct VerifyCommandOptions {
  std::string bundle;
  std::vector<std::string> trusted;
  bool json = false;
  bool bag_only = false;
  bool chain = false;
};

Status RunVerify(const VerifyCommandOptions& o, Context& ctx) {
  verify::VerifyOptions options;
  options.bag_only = o.bag_only;
  options.cancel = ctx.cancel;
  auto trusted = LoadTrustedCertificates(ctx.fs, o.trusted);
  if (!trusted) return trusted.error();
  options.trusted = std::move(*trusted);
  if (o.bag_only && !options.trusted.empty()) {
    return Error(ErrorCode::kInvalidArgument, "--bag-only checks no signature; it cannot take --trusted-cert");
  }
  if (o.chain) {
    if (o.bag_only) return Error(ErrorCode::kInvalidArgument, "--chain checks bundles; it cannot take --bag-only");
    auto chain = verify::VerifyChain(o.bundle, options);
    if (!chain) return chain.error();
    ctx.out << (o.json ? verify::RenderChainJson(*chain) : verify::RenderChainText(*chain));
    if (!chain->ok()) ctx.exit_override = kExitVerifyFailed;
    return Status::Ok();
  }
  auto report = verify::Verify(o.bundle, options);
  if (!report) {
    if (report.error().code() == ErrorCode::kNotFound) {
      return Error(ErrorCode::kInvalidArgument, report.error().message());
    }
    return report.error();
  }
  ctx.out << (o.json ? verify::RenderJson(*report) : verify::RenderText(*report));
  if (!report->ok()) ctx.exit_override = kExitVerifyFailed;
  return Status::Ok();
}
}  // namespace

void AddVerifyCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<VerifyCommandOptions>();
  CLI::App* cmd = app.add_subcommand("verify", "Check a bundle's payload, manifests, signature and custody log");
  cmd->add_option("bundle", o->bundle, "Bundle (.tar) or its extracted folder; with --chain, the folder of a series")
      ->required();
  cmd->add_option("--trusted-cert", o->trusted,
                  "Require the signer to be this certificate or chain to it (repeatable)");
  cmd->add_flag("--json", o->json,
                "Print the report as JSON (schemas/verify-report.schema.json; with --chain, chain-report.schema.json)");
  cmd->add_flag("--bag-only", o->bag_only, "Check only BagIt validity (any bag, no signature)");
  cmd->add_flag("--chain", o->chain,
                "Verify every *.tar in the folder as one nightly series: each bundle, the links between "
                "them, stream coverage without gaps, missing nights");
  cmd->footer("Exit 0 when no error was found (warnings allowed), 3 when the evidence failed a check;\n"
              "with --chain, 2 when the folder does not exist or holds no *.tar.");
  cmd->callback([o, &ctx] { ctx.status = RunVerify(*o, ctx); });
}

}  // namespace custody::cli
