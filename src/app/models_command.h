// `owlet pull NAME` and `owlet models [list | show NAME | rm NAME]`: the model store from the CLI.
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

// Registers `pull` and `models`; their callbacks set *exit_code (0 ok, 1 runtime error,
// 2 bad usage such as a malformed name, 130 interrupted).
void register_models(CLI::App& app, int* exit_code);

}  // namespace owlet::app
