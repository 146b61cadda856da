// Prefill-only jobs: a prompt's fixed part evaluated into a slot's KV cache
// ahead of the request that needs it (the answer pipeline does this while
// retrieval runs), found again by the longest-prefix slot choice.
#include <gtest/gtest.h>

#include "llm/engine.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;

namespace {

std::unique_ptr<Model> load_tiny() {
  owlet::Error err;
  auto m = Model::load({owlet::test::fixture_model("qwen2-tiny"), 0, true}, &err);
  EXPECT_NE(m, nullptr) << err;
  return m;
}

std::unique_ptr<Engine> make_engine(const Model& m, int slots) {
  EngineParams p;
  p.n_slots = slots;
  p.n_ctx_slot = 1024;
  p.n_threads = 2;
  owlet::Error err;
  auto e = Engine::create(m, p, &err);
  EXPECT_NE(e, nullptr) << err;
  return e;
}

Request greedy(const std::string& prompt, int n) {
  Request r;
  r.prompt = prompt;
  r.sampling.temperature = 0;
  r.num_predict = n;
  return r;
}

Request prefill(const std::string& prompt) {
  Request r;
  r.prompt = prompt;
  r.prefill_only = true;
  return r;
}

std::string words(int n) {
  std::string s;
  const char* w[] = {"owls", "hunt", "at", "night", "with", "silent", "feathers", "and", "keen", "ears"};
  for (int i = 0; i < n; ++i) s += std::string(w[i % 10]) + " ";
  return s;
}

const std::string kPrefix = "<|im_start|>system\nYou are owlet. " + words(120) + "<|im_end|>\n<|im_start|>user\n";
const std::string kPrompt = kPrefix + "Which bird hunts at night?<|im_end|>\n<|im_start|>assistant\n";

}  // namespace

TEST(EnginePrefill, EvaluatesThePromptAndGeneratesNothing) {
  auto model = load_tiny();
  auto e = make_engine(*model, 2);
  std::string streamed;
  Completion c = e->generate(prefill(kPrefix), [&](std::string_view t) {
    streamed += t;
    return true;
  });
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.finish, FinishReason::stop);
  EXPECT_EQ(c.n_generated, 0);
  EXPECT_TRUE(c.text.empty());
  EXPECT_TRUE(streamed.empty());
  EXPECT_GT(c.n_prompt, 100);
  EXPECT_EQ(c.n_prompt_cached, 0);
  EXPECT_EQ(e->stats().tokens_prompt, static_cast<uint64_t>(c.n_prompt));
  EXPECT_EQ(e->stats().slots_busy, 0);
}

TEST(EnginePrefill, TheRequestAfterItReusesThePrefixAndSaysTheSame) {
  auto model = load_tiny();
  auto fresh = make_engine(*model, 2);
  Completion expected = fresh->generate(greedy(kPrompt, 12));
  ASSERT_TRUE(expected.ok) << expected.error;

  auto e = make_engine(*model, 2);
  Completion warm = e->generate(prefill(kPrefix));
  ASSERT_TRUE(warm.ok) << warm.error;
  Completion c = e->generate(greedy(kPrompt, 12));
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_GE(c.n_prompt_cached, warm.n_prompt - 1) << "the prefilled prefix is found again";
  EXPECT_EQ(c.text, expected.text) << "a prefilled prefix gives the same output as a fresh prompt";
}

TEST(EnginePrefill, AnAlreadyCachedPrefixCostsNothingAndKeepsTheLongerCache) {
  auto model = load_tiny();
  auto e = make_engine(*model, 1);
  Completion first = e->generate(greedy(kPrompt, 4));
  ASSERT_TRUE(first.ok);
  const uint64_t evaluated = e->stats().tokens_prompt;
  // The prefix is in the slot already, followed by more: nothing to evaluate,
  // and the slot's longer cache must survive (it is not cut back to the prefix).
  Completion warm = e->generate(prefill(kPrefix));
  ASSERT_TRUE(warm.ok) << warm.error;
  EXPECT_EQ(warm.n_prompt_cached, warm.n_prompt);
  EXPECT_EQ(e->stats().tokens_prompt, evaluated);
  Completion again = e->generate(greedy(kPrompt, 4));
  EXPECT_EQ(again.n_prompt_cached, again.n_prompt - 1);
  EXPECT_EQ(again.text, first.text);
}

TEST(EnginePrefill, RunsBesideAGeneratingSlot) {
  auto model = load_tiny();
  auto e = make_engine(*model, 2);
  auto busy = e->submit(greedy("<|im_start|>user\nTalk for a long time.<|im_end|>\n<|im_start|>assistant\n", 300));
  Completion warm = e->generate(prefill(kPrefix));
  ASSERT_TRUE(warm.ok) << warm.error;
  EXPECT_EQ(warm.n_generated, 0);
  Completion c = e->generate(greedy(kPrompt, 4));
  ASSERT_TRUE(c.ok);
  EXPECT_GE(c.n_prompt_cached, warm.n_prompt - 1);
  busy->cancel();
  EXPECT_EQ(busy->wait().finish, FinishReason::cancelled);
}

TEST(EnginePrefill, CancelledBeforeItRuns) {
  auto model = load_tiny();
  auto e = make_engine(*model, 1);
  std::atomic<bool> cancel{true};
  Request r = prefill(kPrefix);
  r.cancel = &cancel;
  Completion c = e->generate(r);
  EXPECT_EQ(c.finish, FinishReason::cancelled);
  EXPECT_EQ(e->stats().tokens_prompt, 0u);
}

TEST(EnginePrefill, CachedPrefixSaysWhatASlotHolds) {
  auto model = load_tiny();
  auto e = make_engine(*model, 1);
  int n = 0;
  EXPECT_EQ(e->cached_prefix(kPrefix, &n), 0) << "nothing evaluated yet";
  EXPECT_GT(n, 100);
  ASSERT_TRUE(e->generate(greedy(kPrompt, 2)).ok);
  EXPECT_EQ(e->cached_prefix(kPrefix, &n), n) << "the prompt that ran starts with this prefix";
  // Another prompt takes the only slot: the prefix is gone but for what the two share.
  ASSERT_TRUE(e->generate(greedy("<|im_start|>system\nSomething else entirely.<|im_end|>\n", 2)).ok);
  EXPECT_LT(e->cached_prefix(kPrefix, &n), 10);
}
