// custody collect mirth: the server event log and channel message metadata of a Mirth Connect /
// NextGen Connect / Open Integration Engine server, collected, normalized and sealed in one
// command. docs/connectors/mirth.md is the manual.

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "collect_common.h"
#include "commands.h"
#include "connectors/mirth/collector.h"
#include "exit_codes.h"

namespace custody::cli {

namespace {

struct MirthFlags {
  std::string base_url;
  std::string username;
  std::string auth = "session";
  std::string streams = "server-events,messages";
  std::string channels;
  bool include_content = false;
  int page_size = 1000;
  std::string source_name = "mirth";
  CommonCollectFlags common;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string rest = text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string s = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    while (!s.empty() && s.back() == ' ') s.pop_back();
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

bool SafeName(const std::string& s) {
  if (s.empty() || s == "." || s == ".." || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

Status RunCollectMirth(const MirthFlags& f, Context& ctx) {
  namespace mirth = connectors::mirth;
  mirth::MirthCollectOptions o;
  o.base_url = f.base_url;
  while (!o.base_url.empty() && o.base_url.back() == '/') o.base_url.pop_back();
  if (Status s = http::CheckUrlPolicy(o.base_url); !s) return s.error().Context("--base-url");
  if (o.base_url.find('?') != std::string::npos || o.base_url.find('#') != std::string::npos) {
    return Error(ErrorCode::kInvalidArgument, "--base-url must not carry a query or fragment: " + o.base_url);
  }
  if (f.username.empty()) return Error(ErrorCode::kInvalidArgument, "--username must not be empty");
  o.username = f.username;
  auto mode = mirth::ParseMirthAuthMode(f.auth);
  if (!mode) return mode.error();
  o.auth = *mode;
  o.streams = SplitList(f.streams);
  if (o.streams.empty()) return Error(ErrorCode::kInvalidArgument, "--streams names no stream");
  for (const auto& s : o.streams) {
    if (s != mirth::kStreamServerEvents && s != mirth::kStreamMessages) {
      return Error(ErrorCode::kInvalidArgument,
                   "--streams: unknown stream '" + s + "' (known: server-events, messages)");
    }
  }
  o.channels = SplitList(f.channels);
  if (!o.channels.empty() && std::find(o.streams.begin(), o.streams.end(), mirth::kStreamMessages) == o.streams.end()) {
    return Error(ErrorCode::kInvalidArgument, "--channels needs the messages stream in --streams");
  }
  if (f.include_content &&
      std::find(o.streams.begin(), o.streams.end(), mirth::kStreamMessages) == o.streams.end()) {
    return Error(ErrorCode::kInvalidArgument, "--include-content needs the messages stream in --streams");
  }
  o.include_content = f.include_content;
  if (f.page_size < 1 || f.page_size > 100000) {
    return Error(ErrorCode::kInvalidArgument, "--page-size must be from 1 to 100000");
  }
  o.page_size = f.page_size;
  if (!SafeName(f.source_name)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--source-name must be 1 to 64 of A-Z a-z 0-9 . _ - (it names a folder in the bundle)");
  }
  o.source = f.source_name;
  // The password comes only from the environment: never argv, where ps and shell history see it.
  const char* pw = std::getenv("MIRTH_PASSWORD");
  if (pw == nullptr || *pw == '\0') {
    return Error(ErrorCode::kInvalidArgument, "set MIRTH_PASSWORD to the password of --username " + f.username +
                                                  " (it is never taken from the command line)");
  }
  o.password = auth::Secret(pw);

  auto prepared = PrepareCollection(f.common, ctx);
  if (!prepared) return prepared.error();
  PreparedCollection& p = **prepared;
  p.redactor.Add(o.password.reveal());
  ApplyPrepared(o, p, ctx);
  p.reporter->Info("collecting " + o.base_url + " as " + o.username + " from " + FormatRfc3339(o.since) + " to " +
                   FormatRfc3339(o.until) + " into " + p.work.string());
  // Nothing from Mirth (the login refused, or base-url not a Mirth API) is an error, not a bundle.
  return CollectOneSource(p, f.common, ctx, "mirth", o.base_url, [&](connectors::RecordSink& sink) {
    return mirth::CollectMirth(o, ctx.clock, p.redactor, sink);
  });
}

}  // namespace

void AddCollectMirthCommand(CLI::App* collect, Context& ctx) {
  auto f = std::make_shared<MirthFlags>();
  CLI::App* cmd = collect->add_subcommand(
      "mirth", "Server event log and message metadata of a Mirth Connect / NextGen Connect / OIE server, sealed");
  cmd->add_option("--base-url", f->base_url, "The Mirth REST API (https://host:8443/api)")->required();
  cmd->add_option("--username", f->username, "Mirth user to log in as (password in MIRTH_PASSWORD)")->required();
  cmd->add_option("--auth", f->auth, "session (form login, JSESSIONID; default) or basic (HTTP Basic on every call)");
  cmd->add_option("--streams", f->streams, "Comma-separated: server-events,messages (default both)");
  cmd->add_option("--channels", f->channels, "Comma-separated channel ids for messages (default every channel)");
  cmd->add_flag("--include-content", f->include_content,
                "Also fetch message content (PHI; default metadata only)");
  cmd->add_option("--page-size", f->page_size, "Records per page (default 1000; limit asked is one more)");
  cmd->add_option("--source-name", f->source_name, "Name of this source in the bundle (default mirth)");
  AddCommonCollectFlags(cmd, f->common);
  cmd->footer(
      "The password comes only from MIRTH_PASSWORD, never the command line. Mirth logs the collector's\n"
      "own login and message searches in its event log; the bundle records the collector's user and\n"
      "login times so those events can be told apart.\n\n" +
      std::string(kExitCodeHelp));
  cmd->callback([f, &ctx] { ctx.status = RunCollectMirth(*f, ctx); });
}

}  // namespace custody::cli
