#pragma once
// Every subcommand: Add<Verb>Command registers its flags; the work happens in its callback.

#include <CLI/CLI.hpp>

#include "context.h"

namespace custody::cli {

void AddKeygenCommand(CLI::App& app, Context& ctx);
void AddSealCommand(CLI::App& app, Context& ctx);
void AddVerifyCommand(CLI::App& app, Context& ctx);
void AddTransferCommands(CLI::App& app, Context& ctx);  // transfer and receive
void AddCollectCommand(CLI::App& app, Context& ctx);    // collect salesforce|fhir|mirth, collect --config
// The parts of `collect` that live in their own files.
void AddCollectFhirCommand(CLI::App* collect, Context& ctx);
void AddCollectMirthCommand(CLI::App* collect, Context& ctx);
void AddCollectConfig(CLI::App* collect, Context& ctx);

// The whole CLI, callable from tests: parses argv, runs one subcommand, returns the exit code.
int Main(std::ostream& out, std::ostream& err, int argc, const char* const* argv,
         const std::atomic<bool>* cancel = nullptr, const Clock* clock = nullptr);

}  // namespace custody::cli
