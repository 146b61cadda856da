// `owlet doctor`: checks what a deployment needs before it serves anyone — the
// config (every layer), the model, the store paths, the CPU features ggml was
// built for, the GPU backend, the port and the search providers — and prints one
// line per check with ok / warn / fail / skip and, when not ok, what to change.
// Exit 0 when nothing failed, 1 otherwise; --json for machines (CI, probes).
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

void register_doctor(CLI::App& app, int* exit_code);

}  // namespace owlet::app
