// owlet-bench-serve: aggregate generation throughput of `owlet serve` against
// llama.cpp's `llama-server`, same model, slots, threads and client, same run.
//
//   owlet-bench-serve --model qwen-0.5b-q4_0.gguf --clients 8 --tokens 64
//   owlet-bench-serve --model qwen-1.5b.gguf --draft-model qwen-0.5b.gguf   # owlet with a draft vs without
//
// Both servers get the same OpenAI-style requests (/v1/chat/completions, greedy,
// max_tokens) from N concurrent clients; tokens are counted from each response's
// usage. Prints tokens/s for both and the ratio owlet / llama-server. With
// --draft-model the peer is owlet without a draft, and the drafted side also
// reports /metrics' draft counters (proposed, accepted, acceptance rate).
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
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
  double drafted = 0, accepted = 0;  // owlet's /metrics, summed over APIs
};

// Sum of a counter's series in a Prometheus text exposition.
double counter_sum(const std::string& text, const std::string& name) {
  double sum = 0;
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    bool line_start = pos == 0 || text[pos - 1] == '\n';
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos += name.size();
    char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (line_start && (next == ' ' || next == '{')) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

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
  long warm_tokens = 0;
  int warm_errors = 0;
  one(999, &warm_tokens, &warm_errors);  // warm-up (loads the model on owlet's side)
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
    httplib::Client c("127.0.0.1", port);
    if (auto m = c.Get("/metrics"); m && m->status == 200) {
      r.drafted = counter_sum(m->body, "owlet_draft_tokens_total");
      r.accepted = counter_sum(m->body, "owlet_draft_accepted_tokens_total");
    }
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet serve vs llama-server: aggregate tokens/s with concurrent clients"};
  std::string model, draft_model, owlet_bin = OWLET_BINARY_PATH, llama_server = std::string(OWLET_LLAMA_BIN) + "/llama-server";
  int clients = 8, per_client = 2, tokens = 64, threads = 2, ctx = 1024, port = 18431, rounds = 3, n_draft = 6;
  app.add_option("--model", model, "GGUF model")->required();
  app.add_option("--draft-model", draft_model, "compare owlet with this draft model against owlet without one");
  app.add_option("--n-draft", n_draft, "tokens the draft proposes per step (with --draft-model)");
  app.add_option("--clients", clients, "concurrent clients = slots on both servers");
  app.add_option("--requests", per_client, "requests per client");
  app.add_option("--tokens", tokens, "max_tokens per request");
  app.add_option("--threads", threads, "threads for both servers");
  app.add_option("--ctx", ctx, "context per slot");
  app.add_option("--rounds", rounds, "rounds, alternating the two servers");
  app.add_option("--owlet", owlet_bin, "owlet binary");
  app.add_option("--llama-server", llama_server, "llama-server binary");
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  // Engine against engine: owlet's chat without the answer pipeline in front, like llama-server's.
  setenv("OWLET_GROUND_CHAT", "false", 1);
  setenv("OWLET_WEB", "never", 1);

  // Alternate the two servers round by round, so drift in the machine's speed (shared VMs)
  // lands on both sides alike; totals over all rounds are compared, and the median of
  // the per-round ratios, which one disturbed round moves least.
  std::vector<std::string> peer_argv = {llama_server, "-m", model, "-np", std::to_string(clients), "-c",
                                              std::to_string(ctx * clients), "-t", std::to_string(threads), "--host",
                                              "127.0.0.1", "--port", std::to_string(port), "-b", "512", "--no-webui"};
  std::vector<std::string> own_argv = {owlet_bin, "serve", "--model", model, "--parallel",
                                       std::to_string(clients), "--ctx-size", std::to_string(ctx), "--threads",
                                       std::to_string(threads), "--port", std::to_string(port + 1)};
  std::string peer_name = "llama-server", own_name = "owlet";
  if (!draft_model.empty()) {  // speculative decoding's effect: owlet against itself
    peer_argv = own_argv;
    peer_argv.back() = std::to_string(port);
    own_argv.insert(own_argv.end(), {"--draft-model", draft_model, "--n-draft", std::to_string(n_draft)});
    peer_name = "owlet";
    own_name = "owlet+draft";
    printf("draft %s, n_draft %d\n", draft_model.c_str(), n_draft);
  }
  printf("model %s, %d clients x %d requests, max_tokens %d, threads %d, %d rounds\n", model.c_str(), clients,
         per_client, tokens, threads, rounds);
  printf("%-6s %-14s %10s %10s %10s %7s\n", "round", "server", "tokens", "seconds", "tok/s", "errors");
  Result peer, own;
  auto add = [](Result* total, const Result& r) {
    total->seconds += r.seconds;
    total->tokens += r.tokens;
    total->errors += r.errors;
    total->drafted += r.drafted;
    total->accepted += r.accepted;
  };
  std::vector<double> ratios;
  for (int round = 1; round <= rounds; ++round) {
    // A-B, then B-A: neither server always runs first after the other's load.
    Result a, b;
    if (round % 2) {
      a = run_server(peer_argv, port, model, clients, per_client, tokens);
      b = run_server(own_argv, port + 1, model, clients, per_client, tokens);
    } else {
      b = run_server(own_argv, port + 1, model, clients, per_client, tokens);
      a = run_server(peer_argv, port, model, clients, per_client, tokens);
    }
    ratios.push_back((b.tokens / b.seconds) / (a.tokens / a.seconds));
    printf("%-6d %-14s %10ld %10.2f %10.2f %7d\n", round, peer_name.c_str(), a.tokens, a.seconds,
           a.tokens / a.seconds, a.errors);
    printf("%-6d %-14s %10ld %10.2f %10.2f %7d   ratio %.3f\n", round, own_name.c_str(), b.tokens, b.seconds,
           b.tokens / b.seconds, b.errors, (b.tokens / b.seconds) / (a.tokens / a.seconds));
    if (!draft_model.empty())
      printf("%-6d %-14s drafted %.0f, accepted %.0f (%.1f %%)\n", round, own_name.c_str(), b.drafted, b.accepted,
             b.drafted > 0 ? 100.0 * b.accepted / b.drafted : 0.0);
    fflush(stdout);
    add(&peer, a);
    add(&own, b);
  }
  printf("%-6s %-14s %10ld %10.2f %10.2f %7d\n", "all", peer_name.c_str(), peer.tokens, peer.seconds,
         peer.tokens / peer.seconds, peer.errors);
  printf("%-6s %-14s %10ld %10.2f %10.2f %7d\n", "all", own_name.c_str(), own.tokens, own.seconds,
         own.tokens / own.seconds, own.errors);
  if (!draft_model.empty())
    printf("draft acceptance: %.0f of %.0f proposed tokens kept (%.1f %%)\n", own.accepted, own.drafted,
           own.drafted > 0 ? 100.0 * own.accepted / own.drafted : 0.0);
  std::sort(ratios.begin(), ratios.end());
  const size_t n = ratios.size();
  printf("ratio %s / %s: %.3f (all tokens / all seconds), median of rounds %.3f\n", own_name.c_str(),
         peer_name.c_str(),
         (own.tokens / own.seconds) / (peer.tokens / peer.seconds),
         n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2);
  return (peer.errors || own.errors) ? 1 : 0;
}
