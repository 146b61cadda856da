#include "app/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "app/answer_view.h"
#include "app/cli_config.h"
#include "app/exit_codes.h"
#include "app/first_run.h"
#include "app/model_profile.h"
#include "app/stack.h"
#include "common/strings.h"
#include "config/config.h"
#include "llm/capabilities.h"
#include "llm/engine.h"
#include "models/model_store.h"
#include "obs/log.h"

extern char** environ;

namespace owlet::app {
namespace {

std::atomic<bool> g_stop{false};

// Ctrl-C stops the answer being written and returns to the prompt.
void on_sigint(int) { g_stop = true; }

struct RunArgs {
  FlagValues flags;
  std::string model;  // positional, as `ollama run MODEL`
  std::vector<std::string> words;
  std::string system_prompt;
  std::string think;
  bool hide_thinking = false;
  bool verbose = false;
  bool no_pull = false;
};

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

const char* kHelp =
    "Available commands:\n"
    "  /set think          let a reasoning model think (shown dimmed)\n"
    "  /set nothink        answer without thinking\n"
    "  /set system TEXT    a system prompt for the rest of the session\n"
    "  /set verbose        show the route and speed after each answer\n"
    "  /set quiet          do not\n"
    "  /show               the model, its capabilities and the session's settings\n"
    "  /clear              forget the conversation so far\n"
    "  /bye                exit (also Ctrl-D)\n"
    "  /?, /help           this help\n"
    "\n"
    "Use \"\"\" to begin and end a multi-line message.\n";

// The session: the stack (model loaded once), the settings the /commands change, and the history.
struct Session {
  Stack stack;
  std::string model;
  std::string system;
  std::vector<std::string> stop;
  answer::AnswerRequest base;  // think, reasoning effort
  bool hide_thinking = false;
  bool verbose = false;
  std::vector<llm::ChatMessage> history;
};

// One question through the pipeline, streamed; the turn joins the history.
int answer_one(Session& s, const std::string& question) {
  answer::AnswerRequest req = s.base;
  req.question = question;
  req.history = s.history;
  req.system = s.system;
  req.stop = s.stop;
  req.cancel = &g_stop;
  g_stop = false;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  ThinkingView thinking(!s.hide_thinking && req.think.value_or(true));
  answer::AnswerCallbacks cb;
  cb.on_thinking = [&thinking](std::string_view text) { return thinking.piece(text); };
  cb.on_text = [&thinking](std::string_view text) {
    thinking.close();
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);
    return true;
  };
  answer::AnswerResult r = s.stack.pipeline->answer(req, cb);
  thinking.close();
  signal(SIGINT, SIG_DFL);
  if (!r.ok) {
    fail(r.error.message);
    return exit_code(r.error.kind);
  }
  print_answer_tail(r, !s.verbose);
  fputc('\n', stdout);
  fflush(stdout);
  s.history.push_back({"user", question});
  s.history.push_back({"assistant", r.answer});
  return r.finish == llm::FinishReason::cancelled && g_stop ? kExitInterrupted : kExitOk;
}

void show(const Session& s) {
  printf("  model         %s\n", s.model.empty() ? "(none: answers from the sources' own sentences)" : s.model.c_str());
  if (!s.model.empty()) {
    models::ModelDetails d;
    Error err;
    if (models::ModelStore().show(s.model, &d, &err)) {
      std::string caps;
      for (const auto& c : llm::model_capabilities(d.gguf.architecture, d.path, stored_template(s.model)))
        caps += (caps.empty() ? "" : ", ") + c;
      printf("  architecture  %s\n  capabilities  %s\n", d.gguf.architecture.c_str(), caps.c_str());
    }
  }
  const char* think = !s.base.think ? "the model's default" : *s.base.think ? "on" : "off";
  printf("  think         %s\n  system        %s\n  history       %zu turns\n", think,
         s.system.empty() ? "(none)" : s.system.c_str(), s.history.size() / 2);
  fflush(stdout);
}

// A /command; false when it ends the session.
bool command(Session& s, const std::string& line) {
  const std::vector<std::string> w = split(collapse_whitespace(line), ' ');
  const std::string& c = w[0];
  if (c == "/bye" || c == "/exit") return false;
  if (c == "/?" || c == "/help") {
    fputs(kHelp, stdout);
  } else if (c == "/clear") {
    s.history.clear();
    puts("Cleared session context");
  } else if (c == "/show") {
    show(s);
  } else if (c == "/set" && w.size() >= 2 && (w[1] == "think" || w[1] == "nothink")) {
    s.base.think = w[1] == "think";
    s.base.reasoning_effort.clear();
    printf("Set '%s' mode.\n", w[1].c_str());
  } else if (c == "/set" && w.size() >= 2 && w[1] == "system") {
    size_t at = line.find("system") + 6;
    s.system = trimmed(line.substr(at));
    puts(s.system.empty() ? "Cleared system message." : "Set system message.");
  } else if (c == "/set" && w.size() >= 2 && (w[1] == "verbose" || w[1] == "quiet")) {
    s.verbose = w[1] == "verbose";
    printf("Set '%s' mode.\n", w[1].c_str());
  } else {
    printf("Unknown command '%s'. Type /? for help\n", line.c_str());
  }
  fflush(stdout);
  return true;
}

// Reads questions until /bye or the end of input. A line that starts with """
// opens a multi-line question, closed by a line that ends with """.
int loop(Session& s) {
  const bool tty = isatty(STDIN_FILENO) != 0;
  auto prompt = [tty](const char* p) {
    if (!tty) return;
    fputs(p, stdout);
    fflush(stdout);
  };
  if (tty) puts("Send a message (/? for help)");
  std::string line;
  int rc = kExitOk;
  for (;;) {
    prompt(">>> ");
    if (!std::getline(std::cin, line)) break;
    std::string_view t = trim(line);
    if (t.empty()) continue;
    std::string question;
    if (t.substr(0, 3) == "\"\"\"") {
      std::string text(t.substr(3));
      bool closed = text.size() >= 3 && text.compare(text.size() - 3, 3, "\"\"\"") == 0;
      while (!closed) {
        prompt("... ");
        std::string more;
        if (!std::getline(std::cin, more)) break;
        text += "\n" + more;
        std::string_view mt = trim(more);
        closed = mt.size() >= 3 && mt.substr(mt.size() - 3) == "\"\"\"";
      }
      std::string_view body = trim(text);
      if (body.size() >= 3 && body.substr(body.size() - 3) == "\"\"\"") body.remove_suffix(3);
      question = trimmed(body);
    } else if (t[0] == '/') {
      if (!command(s, std::string(t))) break;
      continue;
    } else {
      question = std::string(t);
    }
    if (question.empty()) continue;
    int r = answer_one(s, question);
    if (r != kExitOk && r != kExitInterrupted) rc = r;
  }
  if (tty) fputc('\n', stdout);
  return rc;
}

int run_run(const RunArgs& args) {
  std::vector<std::pair<std::string, std::string>> flags = args.flags.values;
  if (!args.model.empty()) flags.emplace_back("model", args.model);  // the positional beats -m
  Config cfg;
  std::string err;
  if (!config_resolve(cfg, args.flags.config_path, environ, flags, &err)) {
    fail(err);
    return kExitUsage;
  }
  obs::LogLevel lvl;
  if (obs::parse_log_level(cfg.log_level, &lvl)) obs::set_log_level(lvl);
  Session s;
  if (!parse_think(args.think, &s.base)) {
    fail("--think must be true, false, low, medium or high");
    return kExitUsage;
  }
  std::string once;
  for (const auto& w : args.words) once += (once.empty() ? "" : " ") + w;
  if (!args.words.empty() && trim(once).empty()) {
    fail("empty prompt: owlet run [MODEL] [\"your question\"]");
    return kExitUsage;
  }
  FirstRun first = prepare_model(&cfg, {args.no_pull, {false, isatty(STDERR_FILENO) != 0}});
  if (first.source == ModelSource::none && cfg.engine == "llm") {
    fail(first.note);
    return kExitNoModel;
  }
  if (!first.note.empty()) fail(first.note);
  models::ModelProfile profile;
  if (stored_profile(cfg.model, &profile) &&
      !apply_profile_parameters(&cfg, profile, args.flags.config_path, environ, flags, &err)) {
    fail(err);
    return kExitUsage;
  }
  StackOptions so;
  so.n_slots = 1;
  if (!once.empty()) cfg.context_prefetch = false;  // one answer, then the process ends
  Error stack_err;
  if (!build_stack(cfg, so, &s.stack, &stack_err)) {
    fail(stack_err.message);
    return exit_code(stack_err.kind);
  }
  s.model = cfg.model;
  s.system = args.system_prompt.empty() ? profile.system.value_or("") : args.system_prompt;
  for (const auto& [k, v] : profile.parameters)
    if (k == "stop") s.stop.push_back(v);
  s.hide_thinking = args.hide_thinking;
  s.verbose = args.verbose;
  if (!once.empty()) return answer_one(s, once);
  return loop(s);
}

}  // namespace

void register_run(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Chat interactively, grounded in your sources (as `ollama run`; /? for commands inside)");
  cmd->add_option("model", args->model, "model: a name from `owlet list`, hf:// reference or GGUF path");
  cmd->add_option("prompt", args->words, "answer this once and exit");
  add_config_flags(cmd,
                   {"model", "temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed",
                    "num_predict", "ctx_size", "threads", "batch_size", "precision", "flash_attn", "num_gpu", "mmap",
                    "draft_model", "n_draft", "log_level", "web", "engine", "knowledge_path", "search_providers",
                    "searxng_url", "allow_private", "total_deadline_ms", "context_tokens", "default_model",
                    "auto_pull", "registry"},
                   &args->flags);
  cmd->add_option("--system", args->system_prompt, "system prompt for the session");
  cmd->add_option("--think", args->think, "reasoning models: true | false | low | medium | high");
  cmd->add_flag("--hide-thinking", args->hide_thinking, "let a reasoning model think, but do not show its thinking");
  cmd->add_flag("--verbose", args->verbose, "show the route and speed after each answer");
  cmd->add_flag("--no-pull", args->no_pull, "with no model configured, do not pull default_model");
  cmd->callback([args, exit_code] { *exit_code = run_run(*args); });
}

}  // namespace owlet::app
