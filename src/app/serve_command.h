// `owlet serve`: the HTTP server (Ollama API, OpenAI API, owlet API, /metrics).
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

void register_serve(CLI::App& app, int* exit_code);

}  // namespace owlet::app
