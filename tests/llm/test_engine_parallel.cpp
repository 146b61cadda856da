// The multi-slot scheduler: continuous batching, prefix reuse, cancellation, back-pressure, grammars.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "llm/backend.h"
#include "llm/engine.h"
#include "llm/grammar.h"
#include "llm/model.h"
#include "support/test_support.h"

using namespace owlet::llm;

namespace {

std::unique_ptr<Model> load_fixture(const char* name) {
  owlet::Error err;
  auto m = Model::load({owlet::test::fixture_model(name), 0, true}, &err);
  EXPECT_NE(m, nullptr) << err;
  return m;
}

std::unique_ptr<Engine> make_engine(const Model& m, int slots, int ctx = 1024, int max_queue = 64) {
  EngineParams p;
  p.n_slots = slots;
  p.n_ctx_slot = ctx;
  p.n_threads = 2;
  p.max_queue = max_queue;
  owlet::Error err;
  auto e = Engine::create(m, p, &err);
  EXPECT_NE(e, nullptr) << err;
  return e;
}

Request greedy(const std::string& prompt, int n) {
  Request r;
  r.prompt = prompt;
  r.sampling.temperature = 0;
  r.sampling.repeat_penalty = 1.0f;
  r.num_predict = n;
  return r;
}

std::string chat(const std::string& user) {
  return "<|im_start|>system\nYou are owlet.<|im_end|>\n<|im_start|>user\n" + user +
         "<|im_end|>\n<|im_start|>assistant\n";
}

std::string long_text(int words) {
  std::string s;
  const char* w[] = {"owls", "hunt", "at", "night", "with", "silent", "feathers", "and", "keen", "ears"};
  for (int i = 0; i < words; ++i) s += std::string(w[i % 10]) + " ";
  return s;
}

class Parallel : public ::testing::Test {
 protected:
  void SetUp() override { model_ = load_fixture("qwen2-tiny"); }
  std::unique_ptr<Model> model_;
};

}  // namespace

TEST_F(Parallel, SameTextAsOneAtATime) {
  std::vector<std::string> prompts = {chat("What do owls eat?"), chat("Tell me a story about the moon."),
                                      chat("List three rivers."), chat(long_text(120))};
  auto seq = make_engine(*model_, 4);
  std::vector<std::string> one_at_a_time;
  for (const auto& p : prompts) {
    Completion c = seq->generate(greedy(p, 24));
    ASSERT_TRUE(c.ok) << c.error;
    one_at_a_time.push_back(c.text);
  }
  auto par = make_engine(*model_, 4);
  std::vector<std::shared_ptr<Job>> jobs;
  for (const auto& p : prompts) jobs.push_back(par->submit(greedy(p, 24)));
  std::vector<int> slots_used;
  for (size_t i = 0; i < jobs.size(); ++i) {
    Completion c = jobs[i]->wait();
    ASSERT_TRUE(c.ok) << c.error;
    EXPECT_EQ(c.n_generated, 24);
    EXPECT_EQ(c.text, one_at_a_time[i]) << "prompt " << i;
    slots_used.push_back(c.slot);
  }
  std::sort(slots_used.begin(), slots_used.end());
  EXPECT_EQ(std::unique(slots_used.begin(), slots_used.end()) - slots_used.begin(), 4);  // really in parallel
}

TEST_F(Parallel, NewRequestJoinsWhileAnotherGenerates) {
  auto e = make_engine(*model_, 2);
  auto a = e->submit(greedy(chat("Talk for a long time."), 300));
  ASSERT_TRUE(owlet::test::wait_until([&] { return e->stats().tokens_generated >= 1; })) << "a never started";
  auto b = e->submit(greedy(chat("Short."), 4));
  Completion cb = b->wait();
  ASSERT_TRUE(cb.ok);
  EXPECT_FALSE(a->done()) << "b had to wait for a to finish: no continuous batching";
  EXPECT_TRUE(a->wait().ok);
}

TEST_F(Parallel, PrefixReuseOnSameSlot) {
  auto e = make_engine(*model_, 2);
  std::string shared = chat(long_text(200));
  Completion first = e->generate(greedy(shared, 4));
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.n_prompt_cached, 0);
  Completion second = e->generate(greedy(shared + "More.", 4));
  ASSERT_TRUE(second.ok);
  EXPECT_GE(second.n_prompt_cached, first.n_prompt - 1);
  EXPECT_GE(e->stats().tokens_cached, static_cast<uint64_t>(first.n_prompt - 1));
  // The identical prompt again: everything but the last token is reused, and the text is the same.
  Completion again = e->generate(greedy(shared, 4));
  EXPECT_EQ(again.n_prompt_cached, again.n_prompt - 1);
  EXPECT_EQ(again.text, first.text);
}

TEST_F(Parallel, PrefixBorrowedFromBusySlotGivesSameText) {
  std::string prefix = "<|im_start|>system\n" + long_text(200) + "<|im_end|>\n<|im_start|>user\n";
  std::string q = prefix + "Which bird?<|im_end|>\n<|im_start|>assistant\n";
  auto fresh = make_engine(*model_, 1);
  Completion expected = fresh->generate(greedy(q, 16));
  ASSERT_TRUE(expected.ok);

  auto e = make_engine(*model_, 2);
  auto busy = e->submit(greedy(prefix + "Talk for a long time.<|im_end|>\n<|im_start|>assistant\n", 400));
  ASSERT_TRUE(owlet::test::wait_until([&] { return e->stats().tokens_generated >= 2; }));
  Completion c = e->generate(greedy(q, 16));
  ASSERT_TRUE(c.ok);
  EXPECT_GT(c.n_prompt_cached, 150);
  if (owlet::llm::accelerator_memory().empty()) {
    EXPECT_EQ(c.text, expected.text);
  } else {
    // On a GPU the kernels depend on the batch's shape (two sequences here, one
    // there), so a random-weight model's near-tied logits may part after a
    // while (seen on an H200 after 13 of 16 tokens); the first tokens show the
    // borrowed KV is the prefix's.
    const auto got = e->tokenize(c.text, false), want = e->tokenize(expected.text, false);
    ASSERT_GE(got.size(), 8u);
    ASSERT_GE(want.size(), 8u);
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + 8, want.begin())) << c.text << " vs " << expected.text;
  }
  busy->cancel();
  EXPECT_EQ(busy->wait().finish, FinishReason::cancelled);
}

TEST_F(Parallel, CancelFreesTheSlotForTheNext) {
  auto e = make_engine(*model_, 1);
  auto a = e->submit(greedy(chat("Go on forever."), 100000));
  ASSERT_TRUE(owlet::test::wait_until([&] { return e->stats().tokens_generated >= 3; }));
  auto b = e->submit(greedy(chat("Next."), 3));
  a->cancel();
  Completion ca = a->wait();
  EXPECT_EQ(ca.finish, FinishReason::cancelled);
  Completion cb = b->wait();
  EXPECT_TRUE(cb.ok);
  EXPECT_EQ(cb.n_generated, 3);
  EXPECT_EQ(e->stats().slots_busy, 0);
}

TEST_F(Parallel, QueueFullIsRefused) {
  auto e = make_engine(*model_, 1, 1024, /*max_queue=*/1);
  auto running = e->submit(greedy(chat("Go on forever."), 100000));
  ASSERT_TRUE(owlet::test::wait_until([&] { return e->stats().slots_busy > 0; }));
  auto queued = e->submit(greedy(chat("wait"), 2));
  auto refused = e->submit(greedy(chat("no room"), 2));
  Completion r = refused->wait();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.kind, owlet::ErrorKind::queue_full) << r.error;
  running->cancel();
  EXPECT_TRUE(queued->wait().ok);
}

TEST_F(Parallel, ContextOverflowIsAnErrorUnlessTruncating) {
  auto e = make_engine(*model_, 1, 256);
  Request r = greedy(chat(long_text(400)), 8);
  Completion c = e->generate(r);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error.kind, owlet::ErrorKind::prompt_too_long) << c.error;
  EXPECT_NE(c.error.message.find("context holds 256"), std::string::npos) << c.error;
  r.truncate = true;
  c = e->generate(r);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_LT(c.n_prompt, 256);
  EXPECT_EQ(c.n_generated, 8);
  // A per-request num_ctx below the slot's is honoured too.
  Request small = greedy(chat(long_text(100)), 8);
  small.num_ctx = 64;
  EXPECT_FALSE(e->generate(small).ok);
}

TEST_F(Parallel, JsonSchemaOutputParses) {
  std::string gbnf;
  owlet::Error err;
  ASSERT_TRUE(grammar_from_json_schema(R"({"type":"object","properties":{
      "name":{"type":"string","maxLength":12},
      "age":{"type":"integer","minimum":0,"maximum":150},
      "owl":{"type":"boolean"}},
      "required":["name","age","owl"],"additionalProperties":false})",
                                       &gbnf, &err))
      << err;
  auto e = make_engine(*model_, 2);
  for (int seed : {1, 2, 3}) {
    Request r;
    r.prompt = chat("Describe a person as JSON.");
    r.sampling.grammar = gbnf;
    r.sampling.seed = seed;
    r.sampling.temperature = 1.0f;
    r.num_predict = 200;
    Completion c = e->generate(r);
    ASSERT_TRUE(c.ok) << c.error;
    EXPECT_EQ(c.finish, FinishReason::stop) << c.text;
    auto j = nlohmann::json::parse(c.text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << c.text;
    EXPECT_TRUE(j["name"].is_string());
    EXPECT_TRUE(j["age"].is_number_integer());
    EXPECT_GE(j["age"].get<int>(), 0);
    EXPECT_LE(j["age"].get<int>(), 150);
    EXPECT_TRUE(j["owl"].is_boolean());
  }
}

TEST_F(Parallel, JsonModeGivesAnObject) {
  auto e = make_engine(*model_, 1);
  Request r;
  r.prompt = chat("JSON please");
  r.sampling.grammar = json_object_grammar();
  r.sampling.seed = 5;
  r.num_predict = 400;
  Completion c = e->generate(r);
  ASSERT_TRUE(c.ok) << c.error;
  if (c.finish == FinishReason::stop) {
    auto j = nlohmann::json::parse(c.text, nullptr, false);
    EXPECT_TRUE(j.is_object()) << c.text;
  } else {
    EXPECT_EQ(c.text.front(), '{');  // cut by num_predict, but an object from the first byte
  }
}

TEST_F(Parallel, BadSchemaAndGrammarAreErrors) {
  std::string gbnf;
  owlet::Error err;
  EXPECT_FALSE(grammar_from_json_schema("{not json", &gbnf, &err));
  EXPECT_NE(err.message.find("invalid JSON schema"), std::string::npos);
  auto e = make_engine(*model_, 1);
  Request r = greedy(chat("x"), 4);
  r.sampling.grammar = "root ::= (";
  Completion c = e->generate(r);
  EXPECT_FALSE(c.ok);
  EXPECT_NE(c.error.message.find("grammar"), std::string::npos) << c.error;
}
