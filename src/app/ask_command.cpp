#include "app/ask_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "app/cli_config.h"
#include "config/config.h"
#include "llm/chat_template.h"
#include "llm/model.h"
#include "models/model_store.h"
#include "llm/engine.h"
#include "llm/model_manager.h"
#include "answer/answer_json.h"
#include "answer/stack.h"
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
  bool include_context = false;
};

// One line: the tier that served the answer, why, and where the time went.
std::string route_summary(const answer::AnswerResult& r) {
  std::string line = "[route] " + r.served_by + " (" + r.engine + ")";
  std::string reasons;
  for (const auto& why : r.decision.reasons) reasons += (reasons.empty() ? "" : "; ") + why;
  if (!reasons.empty()) line += ": " + reasons;
  const answer::StageTimes& t = r.times;
  char buf[320];
  snprintf(buf, sizeof buf,
           " | cache %.1f ms, route %.1f, search %.1f, fetch %.1f, extract %.1f, rank %.1f, prompt %.1f, prefill %.1f, "
           "generate %.1f, total %.1f ms",
           t.cache, t.route, t.search, t.fetch, t.extract, t.rank, t.prompt, t.prefill, t.generate, t.total);
  return line + buf;
}

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

int run_ask(const AskArgs& args) {
  Config cfg;
  std::string err;
  if (!config_resolve(cfg, args.flags.config_path, environ, args.flags.values, &err)) {
    fail(err);
    return kExitUsage;
  }
  obs::LogLevel lvl;
  if (obs::parse_log_level(cfg.log_level, &lvl)) obs::set_log_level(lvl);

  std::string question;
  for (const auto& w : args.words) question += (question.empty() ? "" : " ") + w;
  if ((question.empty() || question == "-") && !isatty(STDIN_FILENO)) {
    question.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!question.empty() && (question.back() == '\n' || question.back() == '\r')) question.pop_back();
  }
  if (question.empty()) {
    fail("no question given: owlet ask \"your question\" (or pipe it on stdin)");
    return kExitUsage;
  }
  if (cfg.model.empty() && cfg.engine != "extractive") {
    // One line: what is missing, which names work, and what is already on this machine.
    std::string have;
    for (const auto& e : models::ModelStore().list()) have += (have.empty() ? "" : ", ") + e.name;
    fail("no model to answer with: pass --model with a GGUF path, an Ollama name (e.g. qwen2.5:0.5b; "
         "`owlet pull qwen2.5:0.5b` fetches it) or hf://owner/repo/file.gguf, or set OWLET_MODEL or `model:` in "
         "~/.config/owlet/config.yml" + (have.empty() ? std::string(" (no models found in owlet's or Ollama's store)")
                                                    : "; models here: " + have));
    return kExitNoModel;
  }

  std::unique_ptr<llm::Model> draft;
  if (!cfg.draft_model.empty()) {
    std::string draft_path;
    if (!models::resolve_model(cfg.draft_model, &draft_path, &err) ||
        !(draft = llm::Model::load({draft_path, cfg.num_gpu, cfg.mmap}, &err))) {
      fail("draft model: " + err);
      return kExitError;
    }
  }
  llm::ModelManagerParams mp = answer::model_manager_params(cfg);
  mp.engine.n_slots = 1;  // one question
  mp.engine.draft = draft.get();
  llm::ModelManager models(mp);
  answer::AnswerStack stack;
  if (!answer::build_answer_stack(cfg, &models, nullptr, &stack, &err)) {
    fail(err);
    return kExitUsage;
  }

  answer::AnswerRequest req;
  req.question = question;
  req.system = args.system_prompt;
  req.cancel = &g_interrupted;
  req.use_cache = !args.no_cache;

  g_interrupted = false;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);

  answer::AnswerCallbacks cb;
  if (!args.json) {
    cb.on_text = [](std::string_view text) {
      fwrite(text.data(), 1, text.size(), stdout);
      fflush(stdout);
      return true;
    };
  }
  answer::AnswerResult r = stack.pipeline->answer(req, cb);
  signal(SIGINT, SIG_DFL);
  if (!r.ok) {
    fail(r.error);
    return r.status == 400 ? kExitUsage : kExitError;
  }
  if (args.json) {
    printf("%s\n", answer::answer_to_json(r, args.include_context).dump().c_str());
    fflush(stdout);
    return r.done_reason == "cancelled" && g_interrupted ? kExitInterrupted : kExitOk;
  }
  fputc('\n', stdout);
  if (!r.note.empty()) printf("\n%s\n", r.note.c_str());
  if (!r.sources.empty()) {
    printf("\nSources:\n");
    for (const auto& s : r.sources) {
      std::string meta = s.site;
      if (!s.published.empty()) meta += (meta.empty() ? "" : ", ") + s.published;
      printf("[%d] %s%s%s\n    %s\n", s.n, s.title.empty() ? s.url.c_str() : s.title.c_str(),
             meta.empty() ? "" : " — ", meta.c_str(), s.url.c_str());
    }
  }
  fflush(stdout);
  if (!args.quiet) {
    fprintf(stderr, "%s\n", route_summary(r).c_str());
    if (r.engine == "llm" && !r.cache_hit) {
      double pp = r.times.prefill > 0 ? r.prompt_tokens * 1000.0 / r.times.prefill : 0;
      double tg = r.times.generate > 0 ? r.generated_tokens * 1000.0 / r.times.generate : 0;
      fprintf(stderr, "[%s] prompt %d tokens (%.1f tok/s), generated %d tokens in %.2f s (%.1f tok/s), finish: %s\n",
              r.model.c_str(), r.prompt_tokens, pp, r.generated_tokens, r.times.generate / 1000.0, tg,
              r.done_reason.c_str());
    }
  }
  return r.done_reason == "cancelled" && g_interrupted ? kExitInterrupted : kExitOk;
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
                    "allow_private", "total_deadline_ms", "context_tokens"},
                   &args->flags);
  cmd->add_option("--system", args->system_prompt, "system prompt to put before the question");
  cmd->add_flag("-q,--quiet", args->quiet, "do not print the route and timing summary to stderr");
  cmd->add_flag("--json", args->json, "print one JSON object (answer, sources, route, timings) instead of streaming");
  cmd->add_flag("--no-cache", args->no_cache, "neither read nor write the answer cache");
  cmd->add_flag("--include-context", args->include_context,
                "with --json: also print `context`, the sources block exactly as the model saw it");
  cmd->callback([args, exit_code] { *exit_code = run_ask(*args); });
}

}  // namespace owlet::app
