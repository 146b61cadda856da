// Single-stream generation on a real (random-weight) model: determinism, limits, cancellation.
#include <gtest/gtest.h>

#include <atomic>

#include "llm/chat_template.h"
#include "llm/model.h"
#include "llm/engine.h"
#include "support/test_support.h"

using namespace owlet::llm;

class Engine1 : public ::testing::Test {
 protected:
  void SetUp() override {
    owlet::Error err;
    model_ = Model::load({owlet::test::fixture_model("qwen2-tiny"), 0, true}, &err);
    ASSERT_NE(model_, nullptr) << err;
    EngineParams ep;
    ep.n_slots = 1;
    ep.n_ctx_slot = 512;
    ep.n_threads = 2;
    engine_ = Engine::create(*model_, ep, &err);
    ASSERT_NE(engine_, nullptr) << err;
  }
  Completion run(Request req, std::string* streamed = nullptr, const std::atomic<bool>* cancel = nullptr,
                 TextCallback cb = nullptr) {
    if (!cb)
      cb = [streamed](std::string_view t) {
        if (streamed) streamed->append(t);
        return true;
      };
    req.cancel = cancel;
    return engine_->generate(req, cb);
  }
  static Request req(int64_t seed, int n = 24) {
    Request r;
    r.prompt = "<|im_start|>user\nTell me about owls.<|im_end|>\n<|im_start|>assistant\n";
    r.sampling.seed = seed;
    r.sampling.temperature = 1.0f;
    r.num_predict = n;
    return r;
  }
  std::unique_ptr<Model> model_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(Engine1, SameSeedSameText) {
  std::string streamed;
  Completion a = run(req(1234), &streamed);
  ASSERT_TRUE(a.ok) << a.error;
  Completion b = run(req(1234));
  ASSERT_TRUE(b.ok) << b.error;
  EXPECT_EQ(a.n_generated, 24);
  EXPECT_EQ(a.finish, FinishReason::length);
  EXPECT_FALSE(a.text.empty());
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(streamed, a.text);  // what was streamed is what was returned
  EXPECT_GT(a.n_prompt, 5);
}

TEST_F(Engine1, DifferentSeedDifferentText) {
  Completion a = run(req(1));
  Completion b = run(req(2));
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_NE(a.text, b.text);
}

TEST_F(Engine1, GreedyIsDeterministicWithoutSeed) {
  Request r = req(-1);
  r.sampling.temperature = 0;
  Completion a = run(r), b = run(r);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.text, b.text);
}

TEST_F(Engine1, CancelMidStream) {
  std::atomic<bool> cancel{false};
  int pieces = 0;
  Completion r = run(req(5, 400), nullptr, &cancel, [&](std::string_view) {
    if (++pieces == 3) cancel = true;
    return true;
  });
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.finish, FinishReason::cancelled);
  EXPECT_LE(r.n_generated, 4);  // stops within one decode step of the request
  // The session is reusable after a cancel.
  Completion again = run(req(5, 8));
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.n_generated, 8);
}

TEST_F(Engine1, CancelBeforePromptEvaluation) {
  std::atomic<bool> cancel{true};
  Completion r = run(req(5, 10), nullptr, &cancel);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.finish, FinishReason::cancelled);
  EXPECT_EQ(r.n_generated, 0);
}

TEST_F(Engine1, CallbackCanStop) {
  int pieces = 0;
  Completion r = run(req(5, 100), nullptr, nullptr, [&](std::string_view) { return ++pieces < 2; });
  EXPECT_EQ(r.finish, FinishReason::cancelled);
  EXPECT_EQ(pieces, 2);
}

TEST_F(Engine1, ContextFullEndsWithLength) {
  Completion r = run(req(9, -1));
  ASSERT_TRUE(r.ok) << r.error;
  if (r.finish == FinishReason::length) {
    EXPECT_EQ(r.n_prompt + r.n_generated, 512);
  }
}

TEST_F(Engine1, PromptLongerThanContextIsAClearError) {
  Request r = req(1);
  r.prompt.clear();
  for (int i = 0; i < 600; ++i) r.prompt += "owl ";
  Completion g = run(r);
  EXPECT_FALSE(g.ok);
  EXPECT_EQ(g.error.kind, owlet::ErrorKind::prompt_too_long) << g.error;
}

TEST_F(Engine1, StopStringIsNeverEmitted) {
  // Find some text the model produces, then ask it to stop at a piece from the middle of it.
  Request r = req(77, 30);
  r.sampling.temperature = 0;
  Completion full = run(r);
  ASSERT_TRUE(full.ok);
  ASSERT_GT(full.text.size(), 12u);
  std::string stop = full.text.substr(full.text.size() / 2, 4);
  r.stop = {stop};
  Completion cut = run(r);
  ASSERT_TRUE(cut.ok);
  EXPECT_EQ(cut.finish, FinishReason::stop);
  EXPECT_EQ(cut.text.find(stop), std::string::npos);
  EXPECT_EQ(full.text.substr(0, cut.text.size()), cut.text);
  EXPECT_EQ(cut.text, full.text.substr(0, full.text.find(stop)));
}

// The weight types real models ship in (Q4_0, Q8_0) go through ggml's quantized
// matmul kernels, which the F16 fixtures never reach; on a CPU whose AMX kernels
// trap (docs/RELIABILITY.md, "AMX on virtual machines") this is where a build
// that compiled them in dies with SIGILL.
TEST(EngineQuantized, Q4AndQ8WeightsGenerate) {
  for (const char* name : {"qwen2-tiny-q4_0", "qwen2-tiny-q8_0"}) {
    owlet::Error err;
    auto model = Model::load({owlet::test::fixture_model(name), 0, true}, &err);
    ASSERT_NE(model, nullptr) << name << ": " << err;
    EngineParams ep;
    ep.n_slots = 1;
    ep.n_ctx_slot = 512;
    ep.n_threads = 2;
    auto engine = Engine::create(*model, ep, &err);
    ASSERT_NE(engine, nullptr) << name << ": " << err;
    Request r;
    r.prompt = "<|im_start|>user\nTell me about owls, please, in a few sentences.<|im_end|>\n<|im_start|>assistant\n";
    r.sampling.temperature = 0;
    r.num_predict = 8;
    std::string text;
    Completion c = engine->generate(r, [&text](std::string_view t) {
      text.append(t);
      return true;
    });
    ASSERT_TRUE(c.ok) << name << ": " << c.error;
    EXPECT_EQ(c.n_generated, 8) << name;
    EXPECT_GT(c.n_prompt, 8) << name;
  }
}
