// owlet: a local LLM answer engine. Entry point: dispatches subcommands.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/ask_command.h"
#include "app/doctor_command.h"
#ifdef OWLET_HAVE_SERVER
#include "app/serve_command.h"
#endif
#ifdef OWLET_HAVE_KB
#include "app/kb_command.h"
#endif
#include "app/models_command.h"

int main(int argc, char** argv) {
  CLI::App app{"owlet — a local LLM answer engine: GGUF models in-process, answers grounded in your sources.\n"
               "Exit codes: 0 ok, 1 runtime error, 2 bad usage/config/input, 3 no model configured, 130 interrupted."};
  app.set_version_flag("--version", "owlet 0.1.0");
  app.require_subcommand(1);
  int exit_code = 0;
  owlet::app::register_ask(app, &exit_code);
#ifdef OWLET_HAVE_SERVER
  owlet::app::register_serve(app, &exit_code);
#endif
#ifdef OWLET_HAVE_KB
  owlet::app::register_kb(app, &exit_code);
#endif
  owlet::app::register_models(app, &exit_code);
  owlet::app::register_doctor(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line saying why, then where to look.
    fprintf(stderr, "owlet: %s (see owlet --help)\n", e.what());
    return owlet::app::kExitUsage;
  }
  return exit_code;
}
