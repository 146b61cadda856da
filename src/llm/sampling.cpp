#include "llm/sampling.h"

#include <llama.h>

#include <random>

namespace owlet::llm {

llama_sampler* make_sampler(const SamplingParams& p, const llama_vocab* vocab, int n_ctx, std::string* err) {
  llama_sampler_chain_params cp = llama_sampler_chain_default_params();
  cp.no_perf = true;
  llama_sampler* chain = llama_sampler_chain_init(cp);
  if (p.repeat_penalty != 1.0f && p.repeat_last_n != 0) {
    int last_n = p.repeat_last_n < 0 ? n_ctx : p.repeat_last_n;  // -1 = the whole context, as in Ollama
    llama_sampler_chain_add(chain, llama_sampler_init_penalties(llama_vocab_n_tokens(vocab), last_n,
                                                                p.repeat_penalty, 0.0f, 0.0f));
  }
  if (!p.grammar.empty()) {
    llama_sampler* g = llama_sampler_init_grammar(vocab, p.grammar.c_str(), "root");
    if (!g) {
      llama_sampler_free(chain);
      *err = "invalid grammar";
      return nullptr;
    }
    llama_sampler_chain_add(chain, g);
  }
  if (p.temperature <= 0.0f) {
    llama_sampler_chain_add(chain, llama_sampler_init_greedy());
    return chain;
  }
  if (p.top_k > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k(p.top_k));
  if (p.top_p < 1.0f) llama_sampler_chain_add(chain, llama_sampler_init_top_p(p.top_p, 1));
  if (p.min_p > 0.0f) llama_sampler_chain_add(chain, llama_sampler_init_min_p(p.min_p, 1));
  llama_sampler_chain_add(chain, llama_sampler_init_temp(p.temperature));
  uint32_t seed = p.seed < 0 ? std::random_device{}() : static_cast<uint32_t>(p.seed);
  llama_sampler_chain_add(chain, llama_sampler_init_dist(seed));
  return chain;
}

}  // namespace owlet::llm
