// owlet-bench-rpc: the same model run locally and with every layer on a
// ggml-rpc-server over loopback, same engine, threads and prompts, same run.
//
//   owlet-bench-rpc --model qwen2.5-0.5b-q4_0.gguf --threads 2
//
// Prints prompt (pp) and generation (tg) tokens/s for both and the ratio
// rpc / local. RPC is for fitting a model that does not fit one machine, not
// for speed: this measures what the network hop costs at best (loopback).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench_process.h"
#include "llm/engine.h"
#include "llm/model.h"

using namespace owlet::llm;

namespace {

struct Figures {
  double pp = 0, tg = 0;
  std::string text;
};

Figures run(const Model& m, int threads, int pp, int tg, int reps) {
  EngineParams p;
  p.n_slots = 1;
  p.n_ctx_slot = pp + tg + 64;
  p.n_threads = threads;
  owlet::Error err;
  auto e = Engine::create(m, p, &err);
  if (!e) {
    fprintf(stderr, "owlet-bench-rpc: engine: %s\n", err.message.c_str());
    exit(1);
  }
  std::string prompt = "Owls";
  while (static_cast<int>(e->tokenize(prompt, true).size()) < pp) prompt += " hunt quietly across moonlit fields";
  Figures f;
  for (int rep = 0; rep <= reps; ++rep) {  // rep 0 warms up
    Request r;
    r.prompt = std::to_string(rep) + " " + prompt;
    r.num_predict = tg;
    r.sampling.temperature = 0;
    r.sampling.repeat_penalty = 1.0f;
    Completion c = e->generate(r);
    if (rep == 0) {
      f.text = c.text;
      continue;
    }
    // Time to first token, not prompt_ms: over RPC llama_decode returns before the
    // remote compute ends (it is awaited when the first token's logits are read).
    f.pp += c.n_prompt * 1000.0 / c.ttft_ms / reps;
    if (c.n_generated > 1) f.tg += (c.n_generated - 1) * 1000.0 / c.generate_ms / reps;
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet: local inference against the same model over loopback llama.cpp RPC"};
  std::string model_path, server_bin = std::string(OWLET_LLAMA_BIN) + "/ggml-rpc-server";
  int threads = 2, pp = 128, tg = 64, reps = 3;
  app.add_option("--model", model_path, "GGUF model (e.g. owlet-mkmodel --preset qwen2.5-0.5b --type q4_0)")->required();
  app.add_option("--threads", threads, "threads (the local engine's and the rpc-server's)");
  app.add_option("--pp", pp, "prompt tokens");
  app.add_option("--tg", tg, "generated tokens");
  app.add_option("--reps", reps, "repetitions");
  app.add_option("--rpc-server", server_bin, "ggml-rpc-server binary");
  CLI11_PARSE(app, argc, argv);

  owlet::Error err;
  auto local_model = Model::load({.path = model_path}, &err);
  if (!local_model) {
    fprintf(stderr, "owlet-bench-rpc: %s\n", err.message.c_str());
    return 1;
  }
  Figures local = run(*local_model, threads, pp, tg, reps);
  local_model.reset();

  const int port = owlet::bench::free_port();
  pid_t server = owlet::bench::spawn({server_bin, "-H", "127.0.0.1", "-p", std::to_string(port), "-t", std::to_string(threads)});
  for (int i = 0; i < 100 && !owlet::bench::port_open(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const std::string endpoint = "127.0.0.1:" + std::to_string(port);
  auto rpc_model = Model::load({.path = model_path, .rpc_servers = endpoint}, &err);  // every layer on the server
  if (!rpc_model) {
    fprintf(stderr, "owlet-bench-rpc: %s\n", err.message.c_str());
    kill(server, SIGTERM);
    return 1;
  }
  Figures rpc = run(*rpc_model, threads, pp, tg, reps);
  rpc_model.reset();
  kill(server, SIGTERM);
  waitpid(server, nullptr, 0);

  printf("model: %s, threads %d, pp %d, tg %d, reps %d; rpc-server on %s\n", model_path.c_str(), threads, pp, tg,
         reps, endpoint.c_str());
  printf("%-16s %12s %12s %8s\n", "", "local", "rpc", "ratio");
  printf("%-16s %12.2f %12.2f %8.3f\n", ("pp" + std::to_string(pp) + " tok/s").c_str(), local.pp, rpc.pp, rpc.pp / local.pp);
  printf("%-16s %12.2f %12.2f %8.3f\n", ("tg" + std::to_string(tg) + " tok/s").c_str(), local.tg, rpc.tg, rpc.tg / local.tg);
  printf("same greedy text: %s\n", local.text == rpc.text ? "yes" : "no");
  return 0;
}
