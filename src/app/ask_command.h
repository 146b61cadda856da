// `owlet ask`: answer one question and stream the answer to stdout.
#pragma once

#include <CLI/CLI.hpp>

#include "app/exit_codes.h"

namespace owlet::app {

// Registers the subcommand; the returned callback runs it and gives the exit code.
void register_ask(CLI::App& app, int* exit_code);

}  // namespace owlet::app
