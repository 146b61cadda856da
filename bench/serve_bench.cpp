// owlet-bench-serve: aggregate generation throughput of `owlet serve` against
// llama.cpp's `llama-server`, same model, slots, threads and client, same run.
//
//   owlet-bench-serve --model qwen-0.5b-q4_0.gguf --clients 8 --tokens 64
//
// Both servers get the same OpenAI-style requests (/v1/chat/completions, greedy,
// max_tokens) from N concurrent clients; tokens are counted from each response's
// usage. Prints tokens/s for both and the ratio owlet / llama-server.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_process.h"

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

using owlet::bench::spawn;
using owlet::bench::wait_healthy;

namespace {

struct Result {
  double seconds = 0;
  long tokens = 0;
  int errors = 0;
};

Result drive(int port, const std::string& model, int clients, int per_client, int tokens) {
  auto one = [&](int id, long* tok, int* err) {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(600, 0);
    for (int k = 0; k < per_client; ++k) {
      json body{{"model", model},
                {"messages", {{{"role", "user"}, {"content", "Request " + std::to_string(id * 100 + k) +
                                                                 ": tell me about owls and the night."}}}},
                {"max_tokens", tokens},
                {"temperature", 0}};
      auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
      if (!r || r->status != 200) {
        ++*err;
        continue;
      }
      *tok += json::parse(r->body)["usage"]["completion_tokens"].get<long>();
    }
  };
  one(999, new long(0), new int(0));  // warm-up (loads the model on owlet's side)
  std::vector<long> tok(static_cast<size_t>(clients), 0);
  std::vector<int> err(static_cast<size_t>(clients), 0);
  std::vector<std::thread> ts;
  auto t0 = Clock::now();
  for (int i = 0; i < clients; ++i) ts.emplace_back(one, i, &tok[static_cast<size_t>(i)], &err[static_cast<size_t>(i)]);
  for (auto& t : ts) t.join();
  Result r;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (long t : tok) r.tokens += t;
  for (int e : err) r.errors += e;
  return r;
}

Result run_server(const std::vector<std::string>& argv, int port, const std::string& model, int clients, int per_client,
                  int tokens) {
  pid_t pid = spawn(argv);
  Result r;
  if (!wait_healthy(port, 120)) {
    fprintf(stderr, "%s did not become healthy\n", argv[0].c_str());
    r.errors = -1;
  } else {
    r = drive(port, model, clients, per_client, tokens);
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet serve vs llama-server: aggregate tokens/s with concurrent clients"};
  std::string model, owlet_bin = OWLET_BINARY_PATH, llama_server = std::string(OWLET_LLAMA_BIN) + "/llama-server";
  int clients = 8, per_client = 2, tokens = 64, threads = 2, ctx = 1024, port = 18431;
  app.add_option("--model", model, "GGUF model")->required();
  app.add_option("--clients", clients, "concurrent clients = slots on both servers");
  app.add_option("--requests", per_client, "requests per client");
  app.add_option("--tokens", tokens, "max_tokens per request");
  app.add_option("--threads", threads, "threads for both servers");
  app.add_option("--ctx", ctx, "context per slot");
  app.add_option("--owlet", owlet_bin, "owlet binary");
  app.add_option("--llama-server", llama_server, "llama-server binary");
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  // Engine against engine: owlet's chat without the answer pipeline in front, like llama-server's.
  setenv("OWLET_GROUND_CHAT", "false", 1);
  setenv("OWLET_WEB", "never", 1);

  Result peer = run_server({llama_server, "-m", model, "-np", std::to_string(clients), "-c",
                            std::to_string(ctx * clients), "-t", std::to_string(threads), "--host", "127.0.0.1",
                            "--port", std::to_string(port), "-b", "512", "--no-webui"},
                           port, model, clients, per_client, tokens);
  Result own = run_server({owlet_bin, "serve", "--model", model, "--parallel", std::to_string(clients), "--ctx-size",
                           std::to_string(ctx), "--threads", std::to_string(threads), "--port",
                           std::to_string(port + 1)},
                          port + 1, model, clients, per_client, tokens);
  printf("model %s, %d clients x %d requests, max_tokens %d, threads %d\n", model.c_str(), clients, per_client, tokens,
         threads);
  printf("%-14s %10s %10s %10s %7s\n", "", "tokens", "seconds", "tok/s", "errors");
  printf("%-14s %10ld %10.2f %10.2f %7d\n", "llama-server", peer.tokens, peer.seconds, peer.tokens / peer.seconds,
         peer.errors);
  printf("%-14s %10ld %10.2f %10.2f %7d\n", "owlet", own.tokens, own.seconds, own.tokens / own.seconds, own.errors);
  printf("ratio owlet / llama-server: %.3f\n", (own.tokens / own.seconds) / (peer.tokens / peer.seconds));
  return (peer.errors || own.errors) ? 1 : 0;
}
