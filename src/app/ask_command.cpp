#include "app/ask_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "app/answer_view.h"
#include "app/cli_config.h"
#include "app/model_profile.h"
#include "app/first_run.h"
#include "config/config.h"
#include "llm/chat_template.h"
#include "llm/model.h"
#include "llm/engine.h"
#include "llm/model_manager.h"
#include "answer/answer_json.h"
#include "app/stack.h"
#include "common/strings.h"
#include "obs/log.h"

extern char** environ;

namespace owlet::app {
namespace {

std::atomic<bool> g_interrupted{false};

// First Ctrl-C asks generation to stop cleanly; a second one kills the process.
void on_sigint(int) {
  g_interrupted = true;
  signal(SIGINT, SIG_DFL);
}

struct AskArgs {
  FlagValues flags;
  std::vector<std::string> words;
  std::string system_prompt;
  bool quiet = false;
  bool json = false;
  bool no_cache = false;
  bool local = false;
  std::string think;           // "" = the model's default; true | false | low | medium | high
  bool hide_thinking = false;  // the model thinks, nobody sees it
  bool no_pull = false;
  bool include_context = false;
};

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

// The question: the words given, else (no words or "-") what stdin holds when it is not a terminal.
std::string read_question(const AskArgs& args) {
  std::string question;
  for (const auto& w : args.words) question += (question.empty() ? "" : " ") + w;
  if ((question.empty() || question == "-") && !isatty(STDIN_FILENO)) {
    question.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!question.empty() && (question.back() == '\n' || question.back() == '\r')) question.pop_back();
  }
  return question;
}

int run_ask(const AskArgs& args) {
  Config cfg;
  std::string err;
  if (!config_resolve(cfg, args.flags.config_path, environ, args.flags.values, &err)) {
    fail(err);
    return kExitUsage;
  }
  obs::LogLevel lvl;
  if (obs::parse_log_level(cfg.log_level, &lvl)) obs::set_log_level(lvl);

  // The input is checked before anything is pulled or loaded.
  const std::string question = read_question(args);
  if (trim(question).empty()) {
    fail("no question given: owlet ask \"your question\" (or pipe it on stdin)");
    return kExitUsage;
  }
  answer::AnswerRequest req;
  if (!parse_think(args.think, &req)) {
    fail("--think must be true, false, low, medium or high");
    return kExitUsage;
  }
  // No model configured: the default one, pulled on first use, else extractive answers.
  FirstRun first = prepare_model(&cfg, {args.no_pull, {args.quiet, isatty(STDERR_FILENO) != 0}});
  if (first.source == ModelSource::none && cfg.engine == "llm") {
    fail(first.note);
    return kExitNoModel;
  }
  if (!first.note.empty()) fail(first.note);
  // A created model's PARAMETERs under the config's own layers, its SYSTEM under --system.
  models::ModelProfile profile;
  if (stored_profile(cfg.model, &profile) &&
      !apply_profile_parameters(&cfg, profile, args.flags.config_path, environ, args.flags.values, &err)) {
    fail(err);
    return kExitUsage;
  }

  Stack stack;
  StackOptions so;
  so.n_slots = 1;  // one question
  cfg.context_prefetch = false;  // and no follow-up to prefetch for: the process ends with the answer
  Error stack_err;
  if (!build_stack(cfg, so, &stack, &stack_err)) {
    fail(stack_err.message);
    return exit_code(stack_err.kind);
  }

  req.question = question;
  req.system = args.system_prompt.empty() ? profile.system.value_or("") : args.system_prompt;
  for (const auto& [k, v] : profile.parameters)
    if (k == "stop") req.stop.push_back(v);
  req.cancel = &g_interrupted;
  req.use_cache = !args.no_cache;
  req.local = args.local;

  g_interrupted = false;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);

  answer::AnswerCallbacks cb;
  // Piped, the thinking goes to stderr, which --quiet silences.
  ThinkingView thinking(!args.json && !args.hide_thinking && req.think.value_or(true) &&
                        (isatty(STDOUT_FILENO) || !args.quiet));
  if (!args.json) {
    cb.on_thinking = [&thinking](std::string_view text) { return thinking.piece(text); };
    cb.on_text = [&thinking](std::string_view text) {
      thinking.close();
      fwrite(text.data(), 1, text.size(), stdout);
      fflush(stdout);
      return true;
    };
  }
  answer::AnswerResult r = stack.pipeline->answer(req, cb);
  thinking.close();
  signal(SIGINT, SIG_DFL);
  if (!r.ok) {
    fail(r.error.message);
    return exit_code(r.error.kind);
  }
  if (args.json) {
    // A reply cut mid-character (num_predict) must not abort the JSON: bad bytes print as U+FFFD.
    printf("%s\n", answer::answer_to_json(r, args.include_context)
                       .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                       .c_str());
    fflush(stdout);
    return r.finish == llm::FinishReason::cancelled && g_interrupted ? kExitInterrupted : kExitOk;
  }
  print_answer_tail(r, args.quiet);
  return r.finish == llm::FinishReason::cancelled && g_interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace

void register_ask(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<AskArgs>();
  CLI::App* cmd = app.add_subcommand("ask", "Answer a question, streaming the answer to stdout");
  cmd->add_option("question", args->words, "the question (or '-' / nothing to read it from stdin)");
  add_config_flags(cmd,
                   {"model", "temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n", "seed",
                    "num_predict", "ctx_size", "threads", "batch_size", "precision", "flash_attn", "num_gpu", "mmap",
                    "draft_model", "n_draft", "log_level", "web", "engine", "knowledge_path", "search_providers",
                    "allow_private", "total_deadline_ms", "context_tokens", "default_model", "auto_pull", "registry",
                    "rpc_servers", "cluster_redis"},
                   &args->flags);
  cmd->add_option("--system", args->system_prompt, "system prompt to put before the question");
  cmd->add_flag("-q,--quiet", args->quiet, "do not print the route and timing summary to stderr");
  cmd->add_flag("--json", args->json, "print one JSON object (answer, sources, route, timings) instead of streaming");
  cmd->add_flag("--no-cache", args->no_cache, "neither read nor write the answer cache");
  cmd->add_flag("--local", args->local,
                "answer from the knowledge base only: always look there, never on the web (same as --web never, and "
                "also for prompts the router would answer without sources)");
  cmd->add_option("--think", args->think,
                  "reasoning models: true | false (answer without thinking) | low | medium | high (effort, where "
                  "the model takes one); default: the model's own");
  cmd->add_flag("--hide-thinking", args->hide_thinking, "let a reasoning model think, but do not show its thinking");
  cmd->add_flag("--no-pull", args->no_pull,
                "with no model configured, do not pull default_model (answer from the sources' own sentences)");
  cmd->add_flag("--include-context", args->include_context,
                "with --json: also print `context`, the sources block exactly as the model saw it");
  cmd->callback([args, exit_code] { *exit_code = run_ask(*args); });
}

}  // namespace owlet::app
