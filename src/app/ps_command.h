// `owlet ps`: the models a running `owlet serve` has loaded, as `ollama ps`
// shows them, asked over its API (GET /api/ps at the configured host and port).
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

// 1 with one line when no server answers there (or it refuses the key).
void register_ps(CLI::App& app, int* exit_code);

}  // namespace owlet::app
