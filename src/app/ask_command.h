// `owlet ask`: answer one question and stream the answer to stdout.
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

// Registers the subcommand; the returned callback runs it and gives the exit code.
void register_ask(CLI::App& app, int* exit_code);

// Exit codes of the CLI (also in README.md).
enum ExitCode {
  kExitOk = 0,
  kExitError = 1,        // runtime failure: model would not load, generation failed
  kExitUsage = 2,        // bad flags, config or input
  kExitNoModel = 3,      // nothing to answer with: no model configured
  kExitInterrupted = 130 // Ctrl-C
};

}  // namespace owlet::app
