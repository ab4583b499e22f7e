#include "bundle/seal.h"
#include "commands.h"
#include "signing.h"
#include "tool_info.h"

namespace custody::cli {

namespace {
struct SealOptions {
  std::string dir;
  std::string out;
  std::string key;
  std::string cert;
  std::string case_id;
  std::string examiner;
  bool force = false;
};

Status RunSeal(const SealOptions& o, Context& ctx) {
  auto identity = LoadSigningIdentity(ctx.fs, o.key, o.cert);
  if (!identity) return identity.error();
  auto sealed_at = SealTime(ctx.clock);
  if (!sealed_at) return sealed_at.error();
  bundle::SealRequest request;
  request.source_dir = o.dir;
  request.out = o.out;
  request.overwrite = o.force;
  request.case_id = o.case_id;
  request.examiner = o.examiner;
  request.signer = &*identity;
  request.sealed_at = *sealed_at;
  request.command_line = RedactCommandLine(ctx.argv);
  request.tool = CurrentToolInfo();
  request.cancel = ctx.cancel;
  auto result = bundle::Seal(ctx.fs, request);
  if (!result) return result.error().Context("seal " + o.dir);
  ctx.out << "sealed       " << result->payload_files << " files, " << result->payload_bytes << " bytes\n"
          << "bundle       " << o.out << "\n"
          << "bundle id    " << result->bundle_id << "\n"
          << "statement    sha256 " << result->statement_sha256 << "\n"
          << "next         custody verify " << o.out << " --trusted-cert " << o.cert << "\n";
  return Status::Ok();
}
}  // namespace

void AddSealCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SealOptions>();
  CLI::App* cmd = app.add_subcommand("seal", "Seal a folder of collected files as a signed evidence bundle");
  cmd->add_option("dir", o->dir, "Folder whose files become the payload (data/)")->required();
  cmd->add_option("--out", o->out, "Bundle to write (.tar)")->required();
  cmd->add_option("--key", o->key, "Signing key (PEM; CUSTODY_KEY_PASSPHRASE if encrypted)")->required();
  cmd->add_option("--cert", o->cert, "Signer's certificate (PEM; chain after it)")->required();
  cmd->add_option("--case", o->case_id, "Case identifier (BagIt External-Identifier)")->required();
  cmd->add_option("--examiner", o->examiner, "Name of the examiner sealing the evidence")->required();
  cmd->add_flag("--force", o->force, "Replace an existing bundle at --out");
  cmd->footer("SOURCE_DATE_EPOCH, when set, fixes the sealing time (reproducible bundles).");
  cmd->callback([o, &ctx] { ctx.status = RunSeal(*o, ctx); });
}

}  // namespace custody::cli
