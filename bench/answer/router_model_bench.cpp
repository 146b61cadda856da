// owlet-bench-router-model — the latency the model-assisted router (router_model:
// true) adds to a routing decision, against the classifier alone in the same run.
//
//   owlet-mkmodel --preset qwen2.5-0.5b --type q4_0 --out q05.gguf
//   owlet-bench-router-model --model q05.gguf --threads 2 [--rounds 3]
//
// For each prompt: classify_prompt (the learned router) and refine_with_model (one
// token from the model, the instructions' KV cached after the first call). A random-
// weight model of the real shape gives honest times; its labels mean nothing.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "answer/route_refiner.h"
#include "answer/router.h"
#include "llm/model_manager.h"

using namespace owlet;

namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("owlet-bench-router-model: added latency of the model-assisted router");
  std::string model;
  int threads = 2, rounds = 3;
  app.add_option("--model", model, "GGUF chat model (e.g. owlet-mkmodel --preset qwen2.5-0.5b --type q4_0)")->required();
  app.add_option("--threads", threads, "threads");
  app.add_option("--rounds", rounds, "passes over the prompts");
  CLI11_PARSE(app, argc, argv);

  const std::vector<std::string> prompts = {
      "Where do barn owls nest?", "What is owlet?", "How long do barn owls live?", "Who designed the Sydney Opera House?",
      "What is the tallest mountain in Africa?", "How many people live in Oslo?", "Which team won the last Super Bowl?",
      "What are the side effects of ibuprofen?", "哪里可以看到雪鸮？", "长城有多长？", "谁设计了悉尼歌剧院？",
      "奥斯陆有多少人口？"};
  llm::ModelManagerParams mp;
  mp.engine.n_slots = 1;
  mp.engine.n_ctx_slot = 2048;
  mp.engine.n_threads = threads;
  llm::ModelManager models(mp);
  Error err;
  auto handle = models.acquire(model, std::nullopt, &err);
  if (!handle || !handle->get().engine) {
    std::fprintf(stderr, "owlet-bench-router-model: %s\n", err ? err.message.c_str() : "not a chat model");
    return 1;
  }
  const int64_t now = 1795867200;
  answer::classify_prompt("warm-up", now);
  std::vector<double> classifier_us, model_ms, prefill_ms, generate_ms, prefill_tokens, cached_tokens;
  bool first = true;
  for (int r = 0; r < rounds; ++r) {
    for (const std::string& p : prompts) {
      const auto t0 = std::chrono::steady_clock::now();
      answer::PromptClass pc = answer::classify_prompt(p, now);
      classifier_us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      answer::RefineOutcome out;
      Error e;
      // A label outside N/S/C/F (possible only without the grammar) still took its time.
      if (!answer::refine_with_model(*handle, p, &pc, &out, &e) && out.ms == 0) {
        std::fprintf(stderr, "owlet-bench-router-model: %s\n", e.message.c_str());
        return 1;
      }
      if (first) {  // the first call fills the instructions' KV cache: reported apart
        std::printf("first call (cold prefix): %.1f ms, %d prompt tokens, %d cached\n", out.ms, out.prompt_tokens,
                    out.cached_tokens);
        first = false;
        continue;
      }
      model_ms.push_back(out.ms);
      prefill_ms.push_back(out.prefill_ms);
      generate_ms.push_back(out.generate_ms);
      prefill_tokens.push_back(out.prompt_tokens - out.cached_tokens);
      cached_tokens.push_back(out.cached_tokens);
    }
  }
  const double c50 = percentile(classifier_us, 0.5), c95 = percentile(classifier_us, 0.95);
  const double m50 = percentile(model_ms, 0.5), m95 = percentile(model_ms, 0.95);
  std::printf("classifier (classify_prompt): p50 %.0f us, p95 %.0f us over %zu prompts\n", c50, c95,
              classifier_us.size());
  std::printf("model-assisted refinement: p50 %.1f ms, p95 %.1f ms over %zu prompts; prompt tokens evaluated p50 %.0f "
              "(cached p50 %.0f)\n",
              m50, m95, model_ms.size(), percentile(prefill_tokens, 0.5), percentile(cached_tokens, 0.5));
  std::printf("  of which prefill p50 %.1f ms, generation p50 %.1f ms\n", percentile(prefill_ms, 0.5),
              percentile(generate_ms, 0.5));
  std::printf("ratio: refinement p50 / classifier p50 = %.0fx (added latency per uncertain prompt: %.1f ms)\n",
              c50 > 0 ? m50 * 1000.0 / c50 : 0.0, m50);
  return 0;
}
