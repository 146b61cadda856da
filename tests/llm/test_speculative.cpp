// Speculative decoding changes speed, never text: greedy output is identical with or without a draft.
#include <gtest/gtest.h>

#include "llm/engine.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;

namespace {

std::unique_ptr<Model> load(const char* name) {
  owlet::Error err;
  auto m = Model::load({owlet::test::fixture_model(name), 0, true}, &err);
  EXPECT_NE(m, nullptr) << err;
  return m;
}

Completion run(const Model& m, const Model* draft, const std::string& prompt, int n, int slots = 1) {
  EngineParams p;
  p.n_slots = slots;
  p.n_ctx_slot = 512;
  p.n_threads = 2;
  p.draft = draft;
  p.n_draft = 5;
  owlet::Error err;
  auto e = Engine::create(m, p, &err);
  EXPECT_NE(e, nullptr) << err;
  if (!e) return {};
  Request r;
  r.prompt = prompt;
  r.sampling.temperature = 0;
  r.num_predict = n;
  return e->generate(r);
}

const char* kPrompt = "<|im_start|>user\nWhy do owls hoot at night?<|im_end|>\n<|im_start|>assistant\n";

}  // namespace

TEST(Speculative, SameModelAsDraftAcceptsAllAndKeepsText) {
  auto main = load("qwen2-tiny");
  auto draft = load("qwen2-tiny");  // a perfect draft: every proposal must be accepted
  Completion plain = run(*main, nullptr, kPrompt, 40);
  Completion spec = run(*main, draft.get(), kPrompt, 40);
  ASSERT_TRUE(plain.ok && spec.ok) << spec.error;
  EXPECT_EQ(spec.text, plain.text);
  EXPECT_EQ(spec.n_generated, 40);
  EXPECT_GT(spec.n_drafted, 20);
  EXPECT_EQ(spec.n_accepted, spec.n_drafted);
}

TEST(Speculative, SmallDraftKeepsTextAndReportsAcceptance) {
  auto main = load("qwen2-tiny");
  auto draft = load("qwen2-tiny-draft");
  Completion plain = run(*main, nullptr, kPrompt, 40);
  Completion spec = run(*main, draft.get(), kPrompt, 40);
  ASSERT_TRUE(plain.ok && spec.ok) << spec.error;
  EXPECT_EQ(spec.text, plain.text);
  EXPECT_GT(spec.n_drafted, 0);
  EXPECT_LE(spec.n_accepted, spec.n_drafted);
}

TEST(Speculative, WorksAcrossParallelSlots) {
  auto main = load("qwen2-tiny");
  auto draft = load("qwen2-tiny");
  Completion plain = run(*main, nullptr, kPrompt, 30);
  Completion spec = run(*main, draft.get(), kPrompt, 30, 3);
  EXPECT_EQ(spec.text, plain.text);
}

TEST(Speculative, DifferentVocabularyIsRefused) {
  auto main = load("qwen2-tiny");
  auto draft = load("llama-tiny");
  EngineParams p;
  p.draft = draft.get();
  owlet::Error err;
  EXPECT_EQ(Engine::create(*main, p, &err), nullptr);
  EXPECT_NE(err.message.find("does not fit"), std::string::npos) << err;
  EXPECT_EQ(err.kind, owlet::ErrorKind::bad_request);
}
