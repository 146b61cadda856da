// Sampling parameters and the llama.cpp sampler chain built from them.
#pragma once

#include <cstdint>
#include <string>

struct llama_sampler;
struct llama_vocab;

namespace owlet::llm {

struct SamplingParams {
  float temperature = 0.8f;  // 0 = greedy
  int top_k = 40;            // 0 = off
  float top_p = 0.9f;        // 1 = off
  float min_p = 0.05f;       // 0 = off
  float repeat_penalty = 1.1f;
  int repeat_last_n = 64;
  int64_t seed = -1;         // -1 = random
  std::string grammar;       // GBNF, "" = unconstrained
};

// Builds the chain: penalties → grammar → top-k → top-p → min-p → temperature → dist
// (greedy when temperature is 0), the order llama.cpp's own tools use.
// n_ctx resolves repeat_last_n = -1. Returns nullptr and *err when the grammar does not parse.
llama_sampler* make_sampler(const SamplingParams& p, const llama_vocab* vocab, int n_ctx, std::string* err);

}  // namespace owlet::llm
