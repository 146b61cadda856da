// Loaded models are shared, pinned while in use, and unloaded after keep_alive idle.
#include <gtest/gtest.h>

#include <thread>

#include "llm/model_manager.h"
#include "support/test_support.h"

using namespace owlet::llm;
using namespace std::chrono_literals;

namespace {

ModelManagerParams small_params() {
  ModelManagerParams p;
  p.engine.n_slots = 1;
  p.engine.n_ctx_slot = 256;
  p.engine.n_threads = 2;
  p.sweep_interval = 0ms;  // the tests sweep themselves, at the time they choose
  return p;
}

}  // namespace

TEST(KeepAlive, Parses) {
  std::chrono::milliseconds d;
  owlet::Error err;
  ASSERT_TRUE(parse_keep_alive("5m", &d, &err));
  EXPECT_EQ(d, 300000ms);
  ASSERT_TRUE(parse_keep_alive("1h30m", &d, &err));
  EXPECT_EQ(d, 5400000ms);
  ASSERT_TRUE(parse_keep_alive("250ms", &d, &err));
  EXPECT_EQ(d, 250ms);
  ASSERT_TRUE(parse_keep_alive("30", &d, &err));
  EXPECT_EQ(d, 30000ms);
  ASSERT_TRUE(parse_keep_alive("0", &d, &err));
  EXPECT_EQ(d, 0ms);
  ASSERT_TRUE(parse_keep_alive("-1", &d, &err));
  EXPECT_EQ(d, std::chrono::milliseconds::max());
  EXPECT_FALSE(parse_keep_alive("5 minutes", &d, &err));
  EXPECT_FALSE(parse_keep_alive("abc", &d, &err));
  EXPECT_FALSE(parse_keep_alive("", &d, &err));
}

TEST(ModelManager, SharesOneLoadAndUnloadsAfterKeepAlive) {
  ModelManager mm(small_params());
  owlet::Error err;
  std::string path = owlet::test::fixture_model("qwen2-tiny");
  auto a = mm.acquire(path, 300ms, &err);
  ASSERT_NE(a, nullptr) << err;
  auto b = mm.acquire(path, 300ms, &err);
  ASSERT_NE(b, nullptr) << err;
  EXPECT_EQ(&a->model(), &b->model());  // one load, shared
  ASSERT_EQ(mm.loaded().size(), 1u);
  EXPECT_EQ(mm.loaded()[0].in_use, 2);
  Request r;
  r.prompt = "hello";
  r.num_predict = 3;
  EXPECT_TRUE(a->engine().generate(r).ok);
  a.reset();
  b.reset();
  mm.sweep();
  EXPECT_EQ(mm.loaded().size(), 1u);  // idle, still within keep_alive
  mm.sweep(std::chrono::steady_clock::now() + 301ms);
  EXPECT_EQ(mm.loaded().size(), 0u);
}

TEST(ModelManager, InUseIsNeverUnloaded) {
  ModelManager mm(small_params());
  owlet::Error err;
  auto h = mm.acquire(owlet::test::fixture_model("qwen2-tiny"), 0ms, &err);
  ASSERT_NE(h, nullptr) << err;
  mm.sweep(std::chrono::steady_clock::now() + 1h);
  EXPECT_EQ(mm.loaded().size(), 1u);
  EXPECT_FALSE(mm.unload(owlet::test::fixture_model("qwen2-tiny")));  // busy
  h.reset();                                                          // keep_alive 0: gone when idle
  EXPECT_EQ(mm.loaded().size(), 0u);
}

TEST(ModelManager, NegativeKeepAliveStaysAndUnloadWorks) {
  ModelManager mm(small_params());
  owlet::Error err;
  std::string path = owlet::test::fixture_model("llama-tiny");
  auto ka = std::chrono::milliseconds::max();
  mm.acquire(path, ka, &err).reset();
  mm.sweep(std::chrono::steady_clock::now() + 24h * 365);
  ASSERT_EQ(mm.loaded().size(), 1u);
  EXPECT_EQ(mm.loaded()[0].expires_at, std::chrono::system_clock::time_point::max());
  EXPECT_TRUE(mm.unload(path));
  EXPECT_EQ(mm.loaded().size(), 0u);
}

TEST(ModelManager, EvictsLeastRecentlyUsedIdleModel) {
  ModelManagerParams p = small_params();
  p.max_loaded = 2;
  ModelManager mm(p);
  owlet::Error err;
  mm.acquire(owlet::test::fixture_model("qwen2-tiny"), 60s, &err).reset();
  mm.acquire(owlet::test::fixture_model("llama-tiny"), 120s, &err).reset();
  mm.acquire(owlet::test::fixture_model("deepseek-tiny"), 60s, &err).reset();
  auto loaded = mm.loaded();
  ASSERT_EQ(loaded.size(), 2u);
  for (const auto& l : loaded) EXPECT_EQ(l.path.find("qwen2-tiny"), std::string::npos);
}

TEST(ModelManager, BadModelIsAnError) {
  ModelManager mm(small_params());
  owlet::Error err;
  EXPECT_EQ(mm.acquire("/nonexistent/x.gguf", std::nullopt, &err), nullptr);
  EXPECT_FALSE(err.ok());
}

TEST(ModelManager, EmbeddingModelHasEmbedderNotEngine) {
  ModelManager mm(small_params());
  owlet::Error err;
  auto h = mm.acquire(owlet::test::fixture_model("bert-tiny"), std::nullopt, &err);
  ASSERT_NE(h, nullptr) << err;
  EXPECT_EQ(h->get().engine, nullptr);
  Embedder* e = h->get().get_embedder(mm.params().embed, &err);
  ASSERT_NE(e, nullptr) << err;
  std::vector<std::vector<float>> v;
  EXPECT_TRUE(e->embed({"owl"}, true, &v, &err)) << err;
}

namespace {

// Greedy text and draft counts of one short generation on a handle.
Completion greedy(ModelHandle& h) {
  Request r;
  r.prompt = "The owl said";
  r.num_predict = 12;
  r.sampling.temperature = 0;
  return h.engine().generate(r);
}

}  // namespace

TEST(ModelManager, RequestDraftLoadsBesideThePlainModelAndKeepsText) {
  ModelManager mm(small_params());
  owlet::Error err;
  const std::string target = owlet::test::fixture_model("qwen2-tiny");
  auto plain = mm.acquire(target, 60s, &err);
  ASSERT_NE(plain, nullptr) << err;
  auto drafted = mm.acquire(target, 60s, &err, owlet::test::fixture_model("qwen2-tiny-draft"));
  ASSERT_NE(drafted, nullptr) << err;
  EXPECT_NE(&plain->engine(), &drafted->engine());  // its own engine, with the draft
  Completion a = greedy(*plain), b = greedy(*drafted);
  ASSERT_TRUE(a.ok && b.ok) << b.error;
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.n_drafted, 0);
  EXPECT_GT(b.n_drafted, 0);
  EXPECT_EQ(mm.loaded().size(), 2u);
  plain.reset();
  drafted.reset();
  EXPECT_TRUE(mm.unload(target));  // both copies go
  EXPECT_TRUE(mm.loaded().empty());
}

TEST(ModelManager, DraftOfAnotherVocabularyIsABadRequest) {
  ModelManager mm(small_params());
  owlet::Error err;
  auto h = mm.acquire(owlet::test::fixture_model("qwen2-tiny"), 60s, &err, owlet::test::fixture_model("llama-tiny"));
  EXPECT_EQ(h, nullptr);
  EXPECT_EQ(err.kind, owlet::ErrorKind::bad_request) << err;
  EXPECT_NE(err.message.find("does not fit"), std::string::npos) << err;
  EXPECT_TRUE(mm.loaded().empty());
}

TEST(ModelManager, ConfiguredDraftServesTheModelsItFitsOnly) {
  owlet::Error err;
  auto draft = Model::load({owlet::test::fixture_model("qwen2-tiny-draft"), 0, true}, &err);
  ASSERT_TRUE(draft) << err;
  ModelManagerParams p = small_params();
  p.engine.draft = draft.get();
  {
    ModelManager mm(p);
    auto fits = mm.acquire(owlet::test::fixture_model("qwen2-tiny"), 60s, &err);
    ASSERT_NE(fits, nullptr) << err;
    EXPECT_GT(greedy(*fits).n_drafted, 0);
    // Another vocabulary: loaded without the draft rather than refused.
    auto other = mm.acquire(owlet::test::fixture_model("llama-tiny"), 60s, &err);
    ASSERT_NE(other, nullptr) << err;
    Completion c = greedy(*other);
    EXPECT_TRUE(c.ok) << c.error;
    EXPECT_EQ(c.n_drafted, 0);
  }
}
