// owlet-bench-engine: owlet's engine against llama.cpp's own llama-bench on
// the same GGUF file and thread count, in the same run.
//
//   owlet-bench-engine --model qwen-0.5b-q4_0.gguf --threads 2
//
// Prints prompt processing (pp) and generation (tg) tokens/s for both and the
// ratio owlet / llama-bench; then prefix-reuse time to first token, and peak
// RSS with 8 slots of 4k context.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llm/backend.h"
#include "llm/engine.h"
#include "llm/model.h"

using namespace owlet::llm;

namespace {

struct Figures {
  double pp = 0, tg = 0;
};

std::string run_capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// llama-bench -o json: one object per test with n_prompt, n_gen and avg_ts.
bool llama_bench(const std::string& bin, const std::string& model, int threads, int gpu_layers, int pp, int tg, int reps,
                 Figures* f) {
  std::string cmd = bin + " -m '" + model + "' -t " + std::to_string(threads) + " -ngl " + std::to_string(gpu_layers) +
                    " -p " + std::to_string(pp) + " -n " +
                    std::to_string(tg) + " -r " + std::to_string(reps) + " -b 512 -ub 512 -o json 2>/dev/null";
  auto j = nlohmann::json::parse(run_capture(cmd), nullptr, false);
  if (!j.is_array()) return false;
  for (const auto& t : j) {
    if (t.value("n_prompt", 0) > 0 && t.value("n_gen", 0) == 0) f->pp = t.value("avg_ts", 0.0);
    if (t.value("n_gen", 0) > 0 && t.value("n_prompt", 0) == 0) f->tg = t.value("avg_ts", 0.0);
  }
  return f->pp > 0 && f->tg > 0;
}

// A prompt of exactly n tokens (as llama-bench's pp test) whose first token differs per
// rep, so no rep reuses another's KV. Words until near n, then " a" (one token each):
// one token more would cost a whole extra decode step.
std::string prompt_of(const Engine& e, int n, int rep) {
  std::string s = std::to_string(rep) + " rep ";
  const char* words[] = {"owls", "hunt", "quietly", "across", "moonlit", "fields", "while", "mice", "hide", "below"};
  int i = 0;
  while (static_cast<int>(e.tokenize(s, true).size()) < n - 8) s += std::string(words[i++ % 10]) + " ";
  s += "and";
  while (static_cast<int>(e.tokenize(s, true).size()) < n) s += " a";
  return s;
}

Figures owlet_bench(const Model& m, int threads, int pp, int tg, int reps) {
  EngineParams p;
  p.n_slots = 1;
  p.n_ctx_slot = std::max(pp, tg) + 64;
  p.n_batch = 512;
  p.n_threads = threads;
  owlet::Error err;
  auto e = Engine::create(m, p, &err);
  if (!e) {
    fprintf(stderr, "engine: %s\n", err.message.c_str());
    exit(1);
  }
  Figures f;
  std::vector<double> pps, tgs;
  // One warm-up of the same size, like llama-bench's: the first 512-token batch
  // faults in the compute buffers, which no timed rep should pay for.
  {
    Request r;
    r.prompt = prompt_of(*e, pp, 999);
    r.num_predict = 4;
    e->generate(r);
  }
  for (int rep = 0; rep < reps; ++rep) {
    Request r;
    r.prompt = prompt_of(*e, pp, rep);
    r.num_predict = 1;
    Completion c = e->generate(r);
    pps.push_back(c.n_prompt * 1000.0 / c.prompt_ms);
    Request g;
    g.prompt = "rep" + std::to_string(rep + 100);
    g.num_predict = tg;
    g.sampling.temperature = 0;
    g.sampling.repeat_penalty = 1.0f;
    Completion d = e->generate(g);
    if (d.n_generated > 1) tgs.push_back((d.n_generated - 1) * 1000.0 / d.generate_ms);
  }
  auto avg = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  f.pp = avg(pps);
  f.tg = avg(tgs);
  return f;
}

long peak_rss_mb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"owlet engine benchmark against llama-bench"};
  std::string model_path, bench_bin = std::string(OWLET_LLAMA_BIN) + "/llama-bench";
  int threads = 2, gpu_layers = -1, pp = 512, tg = 128, reps = 3, prefix = 1500;
  bool skip_memory = false;
  app.add_option("--model", model_path, "GGUF model (e.g. from owlet-mkmodel --preset qwen2.5-0.5b --type q4_0)")->required();
  app.add_option("--threads", threads, "threads for both engines");
  app.add_option("--gpu-layers", gpu_layers, "layers offloaded to a GPU backend, both engines (-1 = all, llama-bench's default)");
  app.add_option("--pp", pp, "prompt tokens");
  app.add_option("--tg", tg, "generated tokens");
  app.add_option("--reps", reps, "repetitions");
  app.add_option("--prefix", prefix, "shared prefix tokens for the prefix-reuse test");
  app.add_option("--llama-bench", bench_bin, "llama-bench binary");
  app.add_flag("--skip-memory", skip_memory, "skip the 8-slot memory measurement");
  CLI11_PARSE(app, argc, argv);

  owlet::Error err;
  auto m = Model::load({model_path, gpu_layers, true}, &err);
  if (!m) {
    fprintf(stderr, "owlet-bench-engine: %s\n", err.message.c_str());
    return 1;
  }
  std::string devices;
  for (const auto& g : accelerator_memory()) devices += (devices.empty() ? "" : ", ") + g.description;
  printf("model: %s (%s), threads %d, gpu layers %d (%s), pp %d, tg %d, reps %d\n", model_path.c_str(),
         m->info().description.c_str(), threads, gpu_layers, devices.empty() ? "CPU only" : devices.c_str(), pp, tg, reps);

  // Alternate the two, one repetition each, so drift in the machine's speed
  // (shared VMs, thermal limits) lands on both sides alike; the mean of each side is compared.
  Figures peer, own;
  std::vector<double> pp_ratios, tg_ratios;
  for (int rep = 0; rep < reps; ++rep) {
    Figures a;
    if (!llama_bench(bench_bin, model_path, threads, gpu_layers, pp, tg, 1, &a)) {
      fprintf(stderr, "owlet-bench-engine: llama-bench at %s failed\n", bench_bin.c_str());
      return 1;
    }
    Figures b = owlet_bench(*m, threads, pp, tg, 1);
    printf("rep %d: pp %.1f / %.1f, tg %.2f / %.2f (llama-bench / owlet)\n", rep + 1, a.pp, b.pp, a.tg, b.tg);
    fflush(stdout);
    pp_ratios.push_back(b.pp / a.pp);
    tg_ratios.push_back(b.tg / a.tg);
    peer.pp += a.pp / reps;
    peer.tg += a.tg / reps;
    own.pp += b.pp / reps;
    own.tg += b.tg / reps;
  }
  // The median of the per-pair ratios too: one disturbed repetition moves it least.
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  printf("%-28s %12s %12s %8s %14s\n", "", "llama-bench", "owlet", "ratio", "median ratio");
  printf("%-28s %12.2f %12.2f %8.3f %14.3f\n", ("pp" + std::to_string(pp) + " tok/s").c_str(), peer.pp, own.pp,
         own.pp / peer.pp, median(pp_ratios));
  printf("%-28s %12.2f %12.2f %8.3f %14.3f\n", ("tg" + std::to_string(tg) + " tok/s").c_str(), peer.tg, own.tg,
         own.tg / peer.tg, median(tg_ratios));

  // Prefix reuse: a second request sharing a long prefix.
  {
    EngineParams p;
    p.n_slots = 2;
    p.n_ctx_slot = prefix + 256;
    p.n_threads = threads;
    auto e = Engine::create(*m, p, &err);
    std::string shared = prompt_of(*e, prefix, 7);
    Request a;
    a.prompt = shared + " first question?";
    a.num_predict = 1;
    Completion ca = e->generate(a);
    Request b;
    b.prompt = shared + " a different second question?";
    b.num_predict = 1;
    Completion cb = e->generate(b);
    printf("prefix reuse: %d-token prefix, ttft first %.1f ms, second %.1f ms (%d cached), ratio %.3f\n",
           ca.n_prompt, ca.ttft_ms, cb.ttft_ms, cb.n_prompt_cached, cb.ttft_ms / ca.ttft_ms);
  }
  if (!skip_memory) {
    EngineParams p;
    p.n_slots = 8;
    p.n_ctx_slot = 4096;
    p.n_threads = threads;
    auto e = Engine::create(*m, p, &err);
    std::vector<std::shared_ptr<Job>> jobs;
    for (int i = 0; i < 8; ++i) {
      Request r;
      r.prompt = prompt_of(*e, 256, 200 + i);
      r.num_predict = 16;
      jobs.push_back(e->submit(r));
    }
    for (auto& j : jobs) j->wait();
    printf("memory: peak RSS %ld MB with 8 slots x 4096 context (%s KV)\n", peak_rss_mb(), p.kv_type.c_str());
  }
  return 0;
}
