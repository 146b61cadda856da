// owlet-bench-load: `owlet serve` under load, over loopback HTTP.
//
//   owlet-bench-load --model qwen2-tiny.gguf --embed-model bert-tiny.gguf
//
// 1. Cache-hit latency: one complete answer is cached through POST /api/answer,
//    then asked again --hits times, one request at a time; p50/p99 (target p99 < 5 ms).
// 2. Mixed load: --clients concurrent clients for --seconds, each looping over
//    chat (a new question: retrieval + generation), the cached answer, and
//    embeddings. Throughput, p50/p99 per kind, responses by status (only the
//    designed 503 of a full queue is allowed besides 200), and the server's RSS
//    at start and end.
// The server runs with web=never and a fresh knowledge base in a temp dir: this
// measures owlet, not a search engine.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
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

long rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Kind {
  std::vector<double> ms;
  std::map<int, long> statuses;  // 0 = no response
  std::map<std::string, long> transport_errors;  // why there was no response
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet serve under load: cache-hit latency and a mixed concurrent run"};
  std::string model, embed_model, owlet_bin = OWLET_BINARY_PATH;
  int hits = 10000, clients = 32, seconds = 60, threads = 2, parallel = 4, port = 18531, tokens = 16;
  app.add_option("--model", model, "chat GGUF model (the tiny fixture is enough)")->required();
  app.add_option("--embed-model", embed_model, "embedding GGUF model")->required();
  app.add_option("--hits", hits, "cache-hit requests, one at a time");
  app.add_option("--clients", clients, "concurrent clients in the mixed run");
  app.add_option("--seconds", seconds, "length of the mixed run");
  app.add_option("--tokens", tokens, "num_predict of each chat");
  app.add_option("--threads", threads, "server inference threads");
  app.add_option("--parallel", parallel, "server slots");
  app.add_option("--owlet", owlet_bin, "owlet binary");
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);

  namespace fs = std::filesystem;
  fs::path home = fs::temp_directory_path() / ("owlet-load-" + std::to_string(getpid()));
  fs::create_directories(home);
  setenv("HOME", home.c_str(), 1);
  setenv("OWLET_WEB", "never", 1);
  setenv("OWLET_KNOWLEDGE_PATH", (home / "kb").c_str(), 1);
  // Both models configured: over the API only configured files are model names (the front door).
  pid_t pid = spawn({owlet_bin, "serve", "--model", model, "--embedding-model", embed_model, "--port",
                     std::to_string(port), "--threads", std::to_string(threads), "--parallel",
                     std::to_string(parallel), "--ctx-size", "2048"});
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(300, 0);
  if (!wait_healthy(port, 120)) {
    fprintf(stderr, "owlet serve did not come up\n");
    kill(pid, SIGTERM);
    return 1;
  }
  // Only a complete answer is cached (issue #25): the grammar ends this one, as
  // a real model's end of turn would; a random-weight model never stops by itself.
  const std::string cached_q = json{{"question", "Why do owls hoot at night?"}, {"stream", false},
                                    {"grammar", "root ::= \"Owls hoot.\""},
                                    {"options", {{"num_predict", std::max(tokens, 32)}}}}.dump();
  auto first = c.Post("/api/answer", cached_q, "application/json");
  if (!first || first->status != 200) {
    fprintf(stderr, "first answer failed: %s\n", first ? first->body.c_str() : "no response");
    kill(pid, SIGTERM);
    return 1;
  }
  c.Post("/api/embed", json{{"model", embed_model}, {"input", "warm"}}.dump(), "application/json");

  // 1. Cache hits, one at a time.
  std::vector<double> hit_ms;
  hit_ms.reserve(static_cast<size_t>(hits));
  int hit_errors = 0;
  for (int i = 0; i < hits; ++i) {
    auto t = Clock::now();
    auto r = c.Post("/api/answer", cached_q, "application/json");
    hit_ms.push_back(ms_since(t));
    if (!r || r->status != 200 || r->body.find("\"cache_hit\":true") == std::string::npos) ++hit_errors;
  }
  printf("cache hit over HTTP, %d requests: p50 %.3f ms, p99 %.3f ms, max %.3f ms, errors %d (target p99 < 5 ms)\n",
         hits, pct(hit_ms, 0.50), pct(hit_ms, 0.99), pct(hit_ms, 1.0), hit_errors);

  // 2. Mixed load.
  long rss_start = rss_kb(pid);
  std::mutex mu;
  std::map<std::string, Kind> kinds;
  std::atomic<bool> stop{false};
  std::atomic<long> counter{0};
  auto client = [&](int id) {
    httplib::Client h("127.0.0.1", port);
    h.set_read_timeout(300, 0);
    for (int k = 0; !stop; ++k) {
      const char* name = k % 3 == 0 ? "chat" : k % 3 == 1 ? "cached" : "embed";
      std::string path, body;
      if (k % 3 == 0) {
        path = "/api/chat";
        body = json{{"model", model},
                    {"stream", false},
                    {"messages", {{{"role", "user"}, {"content", "Question " + std::to_string(counter++) +
                                                                     " from client " + std::to_string(id) +
                                                                     ": what do owls eat?"}}}},
                    {"options", {{"num_predict", tokens}}}}
                   .dump();
      } else if (k % 3 == 1) {
        path = "/api/answer";
        body = cached_q;
      } else {
        path = "/api/embed";
        body = json{{"model", embed_model}, {"input", {"owl", "vole", "night"}}}.dump();
      }
      auto t = Clock::now();
      auto r = h.Post(path, body, "application/json");
      double ms = ms_since(t);
      std::lock_guard lk(mu);
      Kind& kd = kinds[name];
      kd.statuses[r ? r->status : 0]++;
      if (!r) kd.transport_errors[httplib::to_string(r.error())]++;
      if (r && r->status == 200) kd.ms.push_back(ms);
    }
  };
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (int i = 0; i < clients; ++i) ts.emplace_back(client, i);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : ts) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  long rss_end = rss_kb(pid);
  printf("mixed load: %d clients, %.1f s, threads %d, slots %d, num_predict %d\n", clients, wall, threads, parallel,
         tokens);
  printf("%-8s %9s %9s %10s %10s  %s\n", "kind", "ok", "req/s", "p50 ms", "p99 ms", "statuses");
  bool bad_status = false;
  long total_ok = 0;
  for (const auto& [name, kd] : kinds) {
    std::string st;
    for (const auto& [code, n] : kd.statuses) {
      st += std::to_string(code) + ":" + std::to_string(n) + " ";
      if (code != 200 && code != 503) bad_status = true;
    }
    total_ok += static_cast<long>(kd.ms.size());
    for (const auto& [why, n] : kd.transport_errors) st += "(" + why + ": " + std::to_string(n) + ") ";
    printf("%-8s %9zu %9.1f %10.2f %10.2f  %s\n", name.c_str(), kd.ms.size(), kd.ms.size() / wall, pct(kd.ms, 0.5),
           pct(kd.ms, 0.99), st.c_str());
  }
  printf("total %.1f req/s; RSS start %.1f MB, end %.1f MB\n", total_ok / wall, rss_start / 1024.0, rss_end / 1024.0);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  fs::remove_all(home);
  return bad_status || hit_errors ? 1 : 0;
}
