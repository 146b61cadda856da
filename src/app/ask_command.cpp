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
#include "llm/model_store.h"
#include "llm/engine.h"
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
};

void fail(const std::string& msg) { fprintf(stderr, "owlet: %s\n", msg.c_str()); }

llm::SamplingParams sampling_from(const Config& c) {
  llm::SamplingParams s;
  s.temperature = c.temperature;
  s.top_k = c.top_k;
  s.top_p = c.top_p;
  s.min_p = c.min_p;
  s.repeat_penalty = c.repeat_penalty;
  s.repeat_last_n = c.repeat_last_n;
  s.seed = c.seed;
  return s;
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
  if (cfg.model.empty()) {
    // One line: what is missing, which names work, and what is already on this machine.
    std::string have;
    for (const auto& e : llm::ModelStore().list()) have += (have.empty() ? "" : ", ") + e.name;
    fail("no model to answer with: pass --model with a GGUF path, an Ollama name (e.g. qwen2.5:0.5b; "
         "`owlet pull qwen2.5:0.5b` fetches it) or hf://owner/repo/file.gguf, or set OWLET_MODEL or `model:` in "
         "~/.config/owlet/config.yml" + (have.empty() ? std::string(" (no models found in owlet's or Ollama's store)")
                                                    : "; models here: " + have));
    return kExitNoModel;
  }

  std::string model_path;
  if (!llm::resolve_model(cfg.model, &model_path, &err)) {
    fail(err);
    return kExitError;
  }
  auto model = llm::Model::load({model_path, cfg.num_gpu, cfg.mmap}, &err);
  if (!model) {
    fail(err);
    return kExitError;
  }
  std::unique_ptr<llm::Model> draft;
  if (!cfg.draft_model.empty()) {
    std::string draft_path;
    if (!llm::resolve_model(cfg.draft_model, &draft_path, &err) ||
        !(draft = llm::Model::load({draft_path, cfg.num_gpu, cfg.mmap}, &err))) {
      fail("draft model: " + err);
      return kExitError;
    }
  }
  if (model->info().is_embedding) {
    fail(cfg.model + " is an embedding model (" + model->info().architecture + "); ask needs a chat model");
    return kExitUsage;
  }
  auto tmpl = llm::ChatTemplate::create(*model, "", &err);
  if (!tmpl) {
    fail(err);
    return kExitError;
  }
  std::vector<llm::ChatMessage> messages;
  if (!args.system_prompt.empty()) messages.push_back({"system", args.system_prompt});
  messages.push_back({"user", question});
  std::string prompt;
  if (!tmpl->apply(messages, true, &prompt, &err)) {
    fail(err);
    return kExitError;
  }

  llm::EngineParams ep;
  ep.n_slots = 1;
  ep.n_ctx_slot = cfg.ctx_size;
  ep.n_batch = cfg.batch_size;
  ep.n_threads = cfg.threads;
  ep.kv_type = cfg.precision;
  ep.flash_attn = cfg.flash_attn;
  ep.draft = draft.get();
  ep.n_draft = cfg.n_draft;
  auto engine = llm::Engine::create(*model, ep, &err);
  if (!engine) {
    fail(err);
    return kExitError;
  }

  llm::Request req;
  req.prompt = prompt;
  req.sampling = sampling_from(cfg);
  req.num_predict = cfg.num_predict;
  req.stop = tmpl->additional_stops();
  req.cancel = &g_interrupted;

  g_interrupted = false;
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);

  llm::Completion r = engine->generate(req, [](std::string_view text) {
    fwrite(text.data(), 1, text.size(), stdout);
    fflush(stdout);
    return true;
  });
  signal(SIGINT, SIG_DFL);
  fputc('\n', stdout);
  fflush(stdout);

  if (!r.ok) {
    fail(r.error);
    return kExitError;
  }
  if (!args.quiet) {
    double pp = r.prompt_ms > 0 ? r.n_prompt * 1000.0 / r.prompt_ms : 0;
    double tg = r.generate_ms > 0 ? r.n_generated * 1000.0 / r.generate_ms : 0;
    fprintf(stderr, "[%s] prompt %d tokens (%.1f tok/s), generated %d tokens in %.2f s (%.1f tok/s), finish: %s\n",
            model->info().description.c_str(), r.n_prompt, pp, r.n_generated, r.generate_ms / 1000.0, tg,
            llm::finish_reason_name(r.finish));
    if (r.n_drafted > 0)
      fprintf(stderr, "[speculative] %d of %d drafted tokens accepted (%.0f%%)\n", r.n_accepted, r.n_drafted,
              100.0 * r.n_accepted / r.n_drafted);
  }
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
                    "draft_model", "n_draft", "log_level"},
                   &args->flags);
  cmd->add_option("--system", args->system_prompt, "system prompt to put before the question");
  cmd->add_flag("-q,--quiet", args->quiet, "do not print the timing summary to stderr");
  cmd->callback([args, exit_code] { *exit_code = run_ask(*args); });
}

}  // namespace owlet::app
