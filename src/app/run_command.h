// `owlet run [MODEL] [PROMPT]`: an interactive chat, as `ollama run` gives,
// grounded by default through the same answer pipeline as `owlet ask`: each
// answer streams, then its numbered sources. The conversation is kept for the
// session (multi-turn). Input: one question per line; """ opens and closes a
// multi-line question; /bye, /clear, /set think | nothink | system TEXT |
// verbose | quiet, /show, /help. With a PROMPT it answers once and exits;
// stdin that is not a terminal is read the same way, without the prompts.
#pragma once

#include <CLI/CLI.hpp>

namespace owlet::app {

void register_run(CLI::App& app, int* exit_code);

}  // namespace owlet::app
