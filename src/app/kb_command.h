// `owlet ingest PATH...` and `owlet kb stats|search|rm|vacuum`: the local knowledge base;
// `owlet cache clear|stats`: its answer cache.
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

void register_kb(CLI::App& app, int* exit_code);

}  // namespace owlet::app
