// Sampling parameters and the sampler that applies them to a sequence's logits.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

struct llama_context;
struct llama_sampler;
struct llama_vocab;
struct llama_token_data;

namespace owlet::llm {

// What wakes a lazy grammar: a word in the output (a token when the word is
// one), or a regex over the output (pattern_full: the whole output so far).
struct GrammarTrigger {
  enum class Kind { word, pattern, pattern_full };
  Kind kind = Kind::word;
  std::string value;
};

struct SamplingParams {
  float temperature = 0.8f;  // 0 = greedy
  int top_k = 40;            // 0 = off
  float top_p = 0.9f;        // 1 = off
  float min_p = 0.05f;       // 0 = off
  float repeat_penalty = 1.1f;
  int repeat_last_n = 64;    // -1 = the whole context
  int64_t seed = -1;         // -1 = random
  std::string grammar;       // GBNF, "" = unconstrained
  // A chat template's tool-call grammar (ChatPrompt::configure sets these):
  bool grammar_lazy = false;                     // asleep until a trigger appears in the output
  std::vector<GrammarTrigger> grammar_triggers;
  std::string grammar_prefix;                    // prompt tail the grammar has already seen (not lazy)
  std::string thinking_start;                    // a lazy grammar sleeps while the model thinks
  std::vector<std::string> thinking_end;
  std::vector<std::pair<int, float>> logit_bias; // token id -> added to its logit (OpenAI logit_bias)
};

// The index of the largest of n logits, the first one on ties: a greedy pick.
// Vectorized; a plain scan over a 150k vocabulary costs ~0.65 ms per token.
int argmax(const float* logits, int n);

// One sequence's sampler: logit bias → penalties → top-k → top-p → min-p →
// temperature → dist (greedy when temperature is 0), the order llama.cpp's
// tools use, plus an optional grammar kept apart from the chain so that prompt
// tokens feed the repeat penalty but never the grammar. A lazy grammar wakes on
// its triggers and, as in llama.cpp's common sampler, is not applied while the
// model is inside a thinking block.
class Sampler {
 public:
  // nullptr and *err when the grammar does not parse. n_ctx resolves repeat_last_n = -1.
  static std::unique_ptr<Sampler> create(const SamplingParams& p, const llama_vocab* vocab, int n_ctx,
                                         Error* err);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Prompt tokens: seen by the repeat penalty only.
  void accept_prompt(const std::vector<int>& tokens);
  // Picks the next token from the logits at batch index idx and records it.
  // The grammar is checked lazily: only when the unconstrained pick breaks it
  // is the full vocabulary filtered (the same trick llama.cpp's common sampler uses).
  // Throws std::runtime_error if the grammar reaches a dead end.
  int sample(llama_context* ctx, int idx);

 private:
  Sampler() = default;
  bool init_grammar(const SamplingParams& p, Error* err);
  bool grammar_applies() const;
  void accept(int token);
  llama_sampler* chain_ = nullptr;
  llama_sampler* grammar_ = nullptr;
  llama_sampler* thinking_ = nullptr;  // tracks <think>…</think> for a lazy grammar (unlimited budget)
  bool lazy_ = false;
  const llama_vocab* vocab_ = nullptr;
  bool plain_greedy_ = false;  // argmax straight from the logits: no candidate array needed
  std::vector<llama_token_data> cur_;
};

}  // namespace owlet::llm
