#include "app/serve_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

#include "app/ask_command.h"
#include "app/cli_config.h"
#include "app/first_run.h"
#include "app/served_model.h"
#include "config/config.h"
#include "llm/model_manager.h"
#include "models/model_store.h"
#include "obs/log.h"
#include "server/server.h"
#include "app/stack.h"

extern char** environ;

namespace owlet::app {
namespace {

std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }

struct ServeArgs {
  FlagValues flags;
  bool no_pull = false;
  std::string api_key;
  std::string cors;
  int grace_s = 10;
};

// The configured models under the names clients list and send (a path by its
// stem); one that does not resolve is left to its first load to report.
std::vector<server::ServedModel> served_models(const Config& cfg) {
  std::vector<server::ServedModel> out;
  for (const auto& [name, ref] : served_aliases(cfg)) {
    ServedModel m;
    Error err;
    if (describe_served_model(ref, &m, &err)) out.push_back({m.name, m.path, m.digest});
    else obs::log(obs::LogLevel::warn, "model %s: %s", ref.c_str(), err.message.c_str());
  }
  return out;
}

int run_serve(const ServeArgs& args) {
  Config cfg;
  std::string err;
  if (!config_resolve(cfg, args.flags.config_path, environ, args.flags.values, &err)) {
    fprintf(stderr, "owlet: %s\n", err.c_str());
    return kExitUsage;
  }
  obs::LogLevel lvl;
  if (obs::parse_log_level(cfg.log_level, &lvl)) obs::set_log_level(lvl);

  // No model configured: the default one, pulled before listening, else extractive answers.
  FirstRun first = prepare_model(&cfg, {args.no_pull, {false, isatty(STDERR_FILENO) != 0}});
  if (first.source == ModelSource::none && cfg.engine == "llm") {
    fprintf(stderr, "owlet: %s\n", first.note.c_str());
    return kExitNoModel;
  }
  if (!first.note.empty()) fprintf(stderr, "owlet: %s\n", first.note.c_str());

  Stack stack;
  Error stack_err;
  StackOptions stack_options;
  stack_options.replicate = true;  // with cluster_redis: this replica applies and publishes knowledge changes
  if (!build_stack(cfg, stack_options, &stack, &stack_err)) {
    fprintf(stderr, "owlet: %s\n", stack_err.message.c_str());
    return exit_code(stack_err.kind);
  }
  llm::ModelManager& models = *stack.models;

  server::ServerOptions so;
  so.host = cfg.host;
  so.port = cfg.port;
  so.default_model = served_name(cfg.model);
  so.served_models = served_models(cfg);
  so.api_key = args.api_key;
  if (so.api_key.empty())
    if (const char* k = getenv("OWLET_API_KEY")) so.api_key = k;
  // The front door (server/intake.h): browser origins and Host names answered,
  // registries model names may come from. --cors adds origins.
  so.allowed_origins = config_split_list(cfg.allowed_origins);
  for (const auto& o : config_split_list(args.cors)) so.allowed_origins.push_back(o);
  so.allowed_hosts = config_split_list(cfg.allowed_hosts);
  so.allowed_registries = config_split_list(cfg.allowed_registries);
  so.allow_insecure_registries = cfg.allow_insecure_registries;
  // What the operator configured may be a file path; names from requests may not.
  so.local_models = {cfg.model, cfg.embedding_model, cfg.draft_model};
  for (const auto& [arm, overrides] : cfg.arms)
    for (const auto& [key, value] : overrides)
      if (key == "model") so.local_models.push_back(value);
  so.ground_chat = cfg.ground_chat;
  so.sources_block = cfg.sources_block;
  server::ServerServices services{stack.pipeline.get(), stack.knowledge.kb.get(), stack.http.get(), {}, &stack.metrics};
  if (stack.experiment.active()) {
    services.choose_pipeline = [&stack](const std::string& client_id, std::string* arm) {
      return stack.choose(client_id, arm);
    };
    std::string arms;
    for (const auto& a : stack.experiment.arms())
      arms += (arms.empty() ? "" : ", ") + a.name + ":" + std::to_string(a.weight);
    obs::log(obs::LogLevel::info, "experiment arms: %s", arms.c_str());
  }
  // srv.stop() below waits for every answer before the stack goes away.
  server::Server srv(so, models, std::move(services));
  Error start_err;
  if (!srv.start(&start_err)) {
    fprintf(stderr, "owlet: %s\n", start_err.message.c_str());
    return kExitError;
  }
  // Warm the default model so the first request does not pay for loading.
  if (!cfg.model.empty()) {
    std::thread([&models, m = served_name(cfg.model)] {
      Error e;
      auto h = models.acquire(m, std::nullopt, &e);
      if (!h) obs::log(obs::LogLevel::warn, "default model: %s", e.message.c_str());
    }).detach();
  }
  fprintf(stderr, "owlet: listening on http://%s:%d%s\n", so.host.c_str(), srv.port(),
          so.api_key.empty() ? "" : " (API key required)");
  fflush(stderr);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  while (g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  fprintf(stderr, "owlet: %s received, finishing in-flight requests (up to %d s)\n",
          g_signal == SIGTERM ? "SIGTERM" : "SIGINT", args.grace_s);
  srv.stop(args.grace_s * 1000);
  fprintf(stderr, "owlet: stopped\n");
  return kExitOk;
}

}  // namespace

void register_serve(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the Ollama and OpenAI APIs (default http://127.0.0.1:11435)");
  add_config_flags(cmd,
                   {"host", "port", "model", "parallel", "ctx_size", "batch_size", "threads", "precision",
                    "flash_attn", "num_gpu", "mmap", "keep_alive", "log_level", "web", "engine", "knowledge_path",
                    "search_providers", "allow_private", "ground_chat", "sources_block", "embedding_model",
                    "allowed_origins", "allowed_hosts", "allowed_registries", "allow_insecure_registries",
                    "draft_model", "n_draft", "default_model", "auto_pull", "registry",
                    "cluster_redis", "rpc_servers"},
                   &args->flags);
  cmd->add_option("--api-key", args->api_key, "require 'Authorization: Bearer KEY' on every endpoint but /health [env OWLET_API_KEY]");
  cmd->add_option("--cors", args->cors,
                  "comma-separated browser origins allowed to call the API besides loopback pages and the UI "
                  "('*' = any; same as allowed_origins)");
  cmd->add_flag("--no-pull", args->no_pull,
                "with no model configured, do not pull default_model (grounded chat answers from the sources' own "
                "sentences)");
  cmd->add_option("--grace", args->grace_s, "seconds in-flight requests get to finish on SIGTERM [default 10]");
  cmd->callback([args, exit_code] { *exit_code = run_serve(*args); });
}

}  // namespace owlet::app
