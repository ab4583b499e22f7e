#include <algorithm>
#include <cstdlib>

#include "commands.h"
#include "exit_codes.h"
#include "tool_info.h"

namespace custody::cli {

std::optional<std::string> KeyPassphraseFromEnvironment() {
  const char* p = std::getenv("CUSTODY_KEY_PASSPHRASE");
  if (p == nullptr || *p == '\0') return std::nullopt;
  return std::string(p);
}

std::vector<std::string> RedactCommandLine(const std::vector<std::string>& argv) {
  // Flags whose value is a secret. None of today's commands take one (secrets come from the
  // environment), but a secret typed by mistake must still never reach a bundle.
  static const char* const kSecretFlags[] = {"--password", "--passphrase", "--token", "--secret", "--client-secret",
                                             "--access-token", "--refresh-token", "--api-key"};
  std::vector<std::string> out;
  bool redact_next = false;
  for (const std::string& arg : argv) {
    if (redact_next) {
      out.push_back("[REDACTED]");
      redact_next = false;
      continue;
    }
    bool handled = false;
    for (const char* flag : kSecretFlags) {
      std::string f(flag);
      if (arg == f) {
        out.push_back(arg);
        redact_next = true;
        handled = true;
        break;
      }
      if (arg.rfind(f + "=", 0) == 0) {
        out.push_back(f + "=[REDACTED]");
        handled = true;
        break;
      }
    }
    if (!handled) out.push_back(arg);
  }
  return out;
}

namespace {
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}
}  // namespace

int Main(std::ostream& out, std::ostream& err, int argc, const char* const* argv, const std::atomic<bool>* cancel,
         const Clock* clock) {
  SystemClock system_clock;
  Context ctx{out, err, clock != nullptr ? *clock : system_clock, io::RealFileSystem(), cancel, {}, Status::Ok(), -1};
  for (int i = 0; i < argc; ++i) ctx.argv.emplace_back(argv[i]);
  CLI::App app{"custody: collect, seal, verify and hand over audit-log evidence"};
  app.name("custody");
  app.set_version_flag("--version", VersionString());
  app.require_subcommand(1, 1);
  app.footer(kExitCodeHelp);
  // The command list, in help order.
  AddKeygenCommand(app, ctx);
  AddCollectCommand(app, ctx);
  AddSealCommand(app, ctx);
  AddVerifyCommand(app, ctx);
  AddTransferCommands(app, ctx);
  // A secret typed on the command line is refused before the parser can echo it back.
  static const char* const kSecretFlags[] = {"--password", "--passphrase", "--token", "--secret", "--client-secret",
                                             "--access-token", "--refresh-token", "--api-key"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    for (const char* flag : kSecretFlags) {
      std::string f(flag);
      if (arg == f || arg.rfind(f + "=", 0) == 0) {
        err << "custody: " << f
            << " is not accepted: secrets never go on the command line (they end up in shell history and "
               "process listings). Use the environment (SF_ACCESS_TOKEN, SF_CLIENT_SECRET, SF_REFRESH_TOKEN, "
               "CUSTODY_KEY_PASSPHRASE) or a file.\n";
        return kExitUsage;
      }
    }
  }
  // An unknown command gets the nearest known name, not CLI11's generic complaint.
  if (argc > 1 && argv[1][0] != '-') {
    std::string given = argv[1];
    std::string best;
    size_t best_distance = 3;  // suggest only close names
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == given) known = true;
      size_t d = EditDistance(given, sub->get_name());
      if (d < best_distance) {
        best_distance = d;
        best = sub->get_name();
      }
    }
    if (!known) {
      err << "custody: unknown command '" << given << "'";
      if (!best.empty()) err << "; did you mean '" << best << "'?";
      err << "\nRun 'custody --help' for the list of commands.\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e, out, err);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  if (!ctx.status) {
    err << "custody: " << ctx.status.error().message() << '\n';
    return ToExitCode(ctx.status.error());
  }
  return ctx.exit_override >= 0 ? ctx.exit_override : kExitOk;
}

}  // namespace custody::cli
