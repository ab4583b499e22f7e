#include "bundle/custody_append.h"
#include "bundle/custody_log.h"
#include "bundle/statement.h"
#include "commands.h"
#include "crypto/digest.h"
#include "exit_codes.h"
#include "signing.h"
#include "build_info.h"
#include "io/file_system.h"
#include "tool_info.h"
#include "verify/report.h"
#include "verify/verifier.h"

namespace custody::cli {

namespace {
struct HandoverOptions {
  std::string bundle;
  std::string key;
  std::string cert;
  std::string to;      // transfer
  std::string reason;  // transfer
  std::string note;    // receive
  std::vector<std::string> trusted;  // the sealer must be, or chain to, one of these
};

// The last line of a custody log (without its newline).
std::string LastLine(const std::string& log) {
  if (log.empty()) return "";
  size_t end = log.back() == '\n' ? log.size() - 1 : log.size();
  size_t start = log.rfind('\n', end == 0 ? 0 : end - 1);
  start = start == std::string::npos ? 0 : start + 1;
  return log.substr(start, end - start);
}

Status RunHandover(const HandoverOptions& o, const std::string& action, Context& ctx) {
  if (action == "transferred") {
    CUSTODY_RETURN_IF_ERROR(bundle::CheckHeaderValue("--to", o.to));
    CUSTODY_RETURN_IF_ERROR(bundle::CheckHeaderValue("--reason", o.reason));
  }
  auto identity = LoadSigningIdentity(ctx.fs, o.key, o.cert);
  if (!identity) return identity.error();
  // Nobody signs for evidence that does not verify.
  verify::VerifyOptions options;
  options.cancel = ctx.cancel;
  auto trusted = LoadTrustedCertificates(ctx.fs, o.trusted);
  if (!trusted) return trusted.error();
  options.trusted = std::move(*trusted);
  auto report = verify::Verify(o.bundle, options);
  if (!report) {
    if (report.error().code() == ErrorCode::kNotFound) return Error(ErrorCode::kInvalidArgument, report.error().message());
    return report.error();
  }
  if (!report->ok()) {
    ctx.err << verify::RenderText(*report);
    return Error(ErrorCode::kIntegrity, o.bundle + " failed verification; no custody event was added");
  }
  auto tail = bundle::ReadCustodyTail(o.bundle);
  if (!tail) return tail.error();
  auto sealed_at = ParseRfc3339(report->sealed_at);
  if (!sealed_at) return sealed_at.error();
  bundle::CustodyEvent event;
  event.seq = static_cast<std::int64_t>(report->custody.size()) + 1;
  event.time = FormatRfc3339(ctx.clock.Now());
  event.action = action;
  event.statement_sha256 = report->statement_sha256;
  event.prev_sha256 = crypto::Sha256Hex(LastLine(tail->log));
  if (action == "transferred") {
    event.details = {{"to", o.to}, {"reason", o.reason}};
  } else if (!o.note.empty()) {
    CUSTODY_RETURN_IF_ERROR(bundle::CheckHeaderValue("--note", o.note));
    event.details = {{"note", o.note}};
  }
  event.tool = "custody " + std::string(kCustodyVersion);
  auto line = bundle::SignCustodyEvent(event, *identity);
  if (!line) return line.error();
  if (ctx.cancel != nullptr && ctx.cancel->load()) return Error(ErrorCode::kCancelled, "interrupted: the bundle is unchanged");
  CUSTODY_RETURN_IF_ERROR(bundle::AppendCustodyLine(ctx.fs, o.bundle, *tail, *line, *sealed_at));
  ctx.out << "custody event " << event.seq << " (" << action << ") by "
          << crypto::SubjectString(identity->certificate()) << " appended to " << o.bundle << "\n";
  return Status::Ok();
}
}  // namespace

void AddTransferCommands(CLI::App& app, Context& ctx) {
  auto t = std::make_shared<HandoverOptions>();
  CLI::App* transfer = app.add_subcommand("transfer", "Record, signed, that the holder hands the bundle over");
  transfer->add_option("bundle", t->bundle, "Bundle (.tar) or its extracted folder")->required();
  transfer->add_option("--to", t->to, "Who receives the bundle")->required();
  transfer->add_option("--reason", t->reason, "Why it is handed over")->required();
  transfer->add_option("--key", t->key, "The holder's signing key")->required();
  transfer->add_option("--cert", t->cert, "The holder's certificate")->required();
  transfer->add_option("--trusted-cert", t->trusted, "Also require the sealer to be, or chain to, this certificate");
  transfer->footer("The bundle is verified first; sealed bytes are never changed, only the custody log grows.");
  transfer->callback([t, &ctx] { ctx.status = RunHandover(*t, "transferred", ctx); });

  auto r = std::make_shared<HandoverOptions>();
  CLI::App* receive = app.add_subcommand("receive", "Record, signed, that the recipient received the bundle");
  receive->add_option("bundle", r->bundle, "Bundle (.tar) or its extracted folder")->required();
  receive->add_option("--key", r->key, "The recipient's signing key")->required();
  receive->add_option("--cert", r->cert, "The recipient's certificate")->required();
  receive->add_option("--note", r->note, "A note, e.g. where the bundle is stored");
  receive->add_option("--trusted-cert", r->trusted, "Also require the sealer to be, or chain to, this certificate");
  receive->footer("The bundle is verified first; sealed bytes are never changed, only the custody log grows.");
  receive->callback([r, &ctx] { ctx.status = RunHandover(*r, "received", ctx); });
}

}  // namespace custody::cli
