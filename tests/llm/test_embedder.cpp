// Embeddings from the BERT fixture (CLS pooling from its GGUF) and from a chat model (mean pooling).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <latch>
#include <thread>

#include "llm/embedder.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;

namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

struct Loaded {
  std::unique_ptr<Model> model;
  std::unique_ptr<Embedder> emb;
};

Loaded load(const char* fixture, EmbedParams p = {}) {
  Loaded l;
  owlet::Error err;
  l.model = Model::load({owlet::test::fixture_model(fixture), 0, true}, &err);
  EXPECT_NE(l.model, nullptr) << err;
  if (!l.model) return l;
  p.n_threads = 2;
  l.emb = Embedder::create(*l.model, p, &err);
  EXPECT_NE(l.emb, nullptr) << err;
  return l;
}

}  // namespace

TEST(Embedder, ShapeNormAndDeterminism) {
  auto l = load("bert-tiny");
  ASSERT_TRUE(l.emb);
  std::vector<std::string> texts = {"hello world", "owls hunt at night", "今天上海天气晴", "hello world"};
  std::vector<std::vector<float>> a, b;
  owlet::Error err;
  int n_tokens = 0;
  ASSERT_TRUE(l.emb->embed(texts, true, &a, &err, &n_tokens)) << err;
  ASSERT_EQ(a.size(), 4u);
  EXPECT_GT(n_tokens, 8);
  for (const auto& v : a) {
    EXPECT_EQ(static_cast<int>(v.size()), 64);
    EXPECT_NEAR(dot(v, v), 1.0, 1e-4);
  }
  EXPECT_NEAR(dot(a[0], a[3]), 1.0, 1e-5);  // same text, same vector
  EXPECT_LT(dot(a[0], a[1]), 1.0 - 1e-6);   // different texts differ (random weights: not by much)
  ASSERT_TRUE(l.emb->embed(texts, true, &b, &err)) << err;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t d = 0; d < a[i].size(); ++d) EXPECT_FLOAT_EQ(a[i][d], b[i][d]);
}

TEST(Embedder, BatchCompositionDoesNotChangeVectors) {
  auto l = load("bert-tiny", {0, 2048, 2, true});  // 2 texts per decode: forces several batches
  ASSERT_TRUE(l.emb);
  std::vector<std::string> texts = {"one", "two words", "three little words", "four is a number", "five"};
  std::vector<std::vector<float>> together, alone;
  owlet::Error err;
  ASSERT_TRUE(l.emb->embed(texts, true, &together, &err)) << err;
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(l.emb->embed({texts[i]}, true, &alone, &err)) << err;
    EXPECT_NEAR(dot(together[i], alone[0]), 1.0, 1e-4) << texts[i];
  }
}

TEST(Embedder, LongInputTruncatedOrRefused) {
  auto l = load("bert-tiny");
  ASSERT_TRUE(l.emb);
  std::string long_text;
  for (int i = 0; i < 2000; ++i) long_text += "owl ";
  std::vector<std::vector<float>> out;
  owlet::Error err;
  EXPECT_FALSE(l.emb->embed({long_text}, false, &out, &err));
  EXPECT_NE(err.message.find("over the limit"), std::string::npos) << err;
  EXPECT_TRUE(l.emb->embed({long_text}, true, &out, &err)) << err;
  EXPECT_EQ(out[0].size(), 64u);
  EXPECT_TRUE(l.emb->embed({"x"}, true, &out, &err)) << err;
}

TEST(Embedder, ChatModelMeanPooling) {
  auto l = load("qwen2-tiny");
  ASSERT_TRUE(l.emb);
  std::vector<std::vector<float>> out;
  owlet::Error err;
  ASSERT_TRUE(l.emb->embed({"first text", "second, longer text"}, true, &out, &err)) << err;
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(static_cast<int>(out[0].size()), l.emb->dim());
  EXPECT_NEAR(dot(out[0], out[0]), 1.0, 1e-4);
}

namespace {

int thread_count() {
  int n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

}  // namespace

// Every computation runs on the embedder's own thread (llm/compute_thread.h): callers on
// other threads must not each leave an OpenMP team (a worker thread per caller) behind.
TEST(Embedder, CallersOnManyThreadsLeaveNoOpenMpTeams) {
  auto l = load("bert-tiny");  // 2 threads: graphs run in OpenMP regions
  ASSERT_TRUE(l.emb);
  std::vector<std::vector<float>> v;
  owlet::Error err;
  ASSERT_TRUE(l.emb->embed({"warm up"}, true, &v, &err)) << err;
  const int base = thread_count();
  constexpr int kCallers = 4;
  std::latch embedded(kCallers), counted(1);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i)
    callers.emplace_back([&, i] {
      std::vector<std::vector<float>> out;
      owlet::Error e;
      EXPECT_TRUE(l.emb->embed({"caller " + std::to_string(i)}, true, &out, &e)) << e;
      embedded.count_down();
      counted.wait();  // stay alive: a caller's OpenMP team lives as long as the caller
    });
  embedded.wait();
  EXPECT_EQ(thread_count(), base + kCallers);
  counted.count_down();
  for (auto& t : callers) t.join();
}
