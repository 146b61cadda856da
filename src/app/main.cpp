// owlet: a local LLM answer engine. Entry point: dispatches subcommands.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "app/ask_command.h"
#include "app/doctor_command.h"
#include "common/suggest.h"
#include "config/env_warnings.h"
#ifdef OWLET_HAVE_SERVER
#include "app/ps_command.h"
#include "app/serve_command.h"
#endif
#ifdef OWLET_HAVE_KB
#include "app/kb_command.h"
#endif
#include "app/models_command.h"
#include "app/run_command.h"

extern char** environ;

namespace {

// A word where a command was expected that names none: one line with the
// nearest command, before CLI11 would answer "A subcommand is required". Walks
// down the subcommands the arguments name; stops at the first option (whose
// arity only CLI11 knows) and at a command that takes positional arguments.
bool unknown_command(CLI::App& app, int argc, char** argv, std::string* message) {
  CLI::App* cur = &app;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg[0] == '-') return false;
    std::vector<std::string> names;
    CLI::App* next = nullptr;
    for (CLI::App* sub : cur->get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name().empty()) continue;  // an option group, not a command
      names.push_back(sub->get_name());
      if (sub->check_name(arg)) next = sub;
    }
    if (next) {
      cur = next;
      continue;
    }
    if (names.empty() || !cur->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty())
      return false;
    std::string near = owlet::nearest_name(arg, names);
    const std::string where = cur == &app ? "" : " " + cur->get_name();
    *message = "unknown" + where + " command '" + arg + "'" +
               (near.empty() ? "; see owlet" + where + " --help" : "; did you mean '" + near + "'?");
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet — a local LLM answer engine: GGUF models in-process, answers grounded in your sources.\n"
               "Exit codes: 0 ok, 1 runtime error, 2 bad usage/config/input (unknown command, empty question,\n"
               "missing or unusable model), 3 no model configured, 130 interrupted."};
  app.set_version_flag("--version", "owlet 0.1.0");
  app.require_subcommand(1);
  int exit_code = 0;
  owlet::app::register_ask(app, &exit_code);
  owlet::app::register_run(app, &exit_code);
#ifdef OWLET_HAVE_SERVER
  owlet::app::register_serve(app, &exit_code);
  owlet::app::register_ps(app, &exit_code);
#endif
#ifdef OWLET_HAVE_KB
  owlet::app::register_kb(app, &exit_code);
#endif
  owlet::app::register_models(app, &exit_code);
  owlet::app::register_doctor(app, &exit_code);
  // A typo in an OWLET_* variable would otherwise be ignored silently.
  for (const auto& w : owlet::config_env_warnings(environ)) fprintf(stderr, "owlet: warning: %s\n", w.c_str());
  std::string unknown;
  if (unknown_command(app, argc, argv, &unknown)) {
    fprintf(stderr, "owlet: %s\n", unknown.c_str());
    return owlet::app::kExitUsage;
  }
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
