// The answer cache's key: one model's answer is never another's, options that
// change the text change the key, extractive answers are shared by every model,
// and the question part is the knowledge base's normalized form.
#include <gtest/gtest.h>

#include <set>

#include "answer/answer_cache_key.h"
#include "answer/cache_index.h"
#include "kb/text.h"

using owlet::answer::answer_cache_key;
using owlet::answer::answer_variant;
using owlet::answer::AnswerVariant;

namespace {

AnswerVariant llm(const std::string& identity, const std::string& system = "", bool grounded = true) {
  AnswerVariant v;
  v.model_identity = identity;
  v.system = system;
  v.grounded = grounded;
  return v;
}

}  // namespace

TEST(AnswerCacheKey, EachModelHasItsOwnVariant) {
  const std::string a = answer_variant(llm("sha256:aaaa"));
  EXPECT_EQ(a, answer_variant(llm("sha256:aaaa"))) << "stable";
  EXPECT_NE(a, answer_variant(llm("sha256:bbbb")));
  // A loose file that changed (size or mtime) is another model.
  EXPECT_NE(answer_variant(llm("file:/m/q.gguf:100:1")), answer_variant(llm("file:/m/q.gguf:100:2")));
  EXPECT_EQ(a.rfind("llm:", 0), 0u);
  EXPECT_EQ(a.find("aaaa"), std::string::npos) << "identities and prompts are hashed, not spelled out";
}

TEST(AnswerCacheKey, OptionsThatChangeTheTextChangeTheVariant) {
  const std::string plain = answer_variant(llm("sha256:aaaa"));
  EXPECT_NE(plain, answer_variant(llm("sha256:aaaa", "Answer in French.")));
  EXPECT_NE(plain, answer_variant(llm("sha256:aaaa", "", /*grounded=*/false)));
  // The parts cannot run into each other.
  EXPECT_NE(answer_variant(llm("ab", "c")), answer_variant(llm("a", "bc")));
}

// Issue #25: every option that changes the text changes the key.
TEST(AnswerCacheKey, EveryOptionThatChangesTheTextChangesTheVariant) {
  const AnswerVariant base = llm("sha256:aaaa");
  const std::string plain = answer_variant(base);
  std::vector<AnswerVariant> others(11, base);
  others[0].history = std::string("user\0hi\0", 8);
  others[1].think = false;
  others[2].think = true;
  others[3].reasoning_effort = "high";
  others[4].tools = "get_weather";
  others[5].sampling = R"({"temperature":0,"grammar":"root ::= \"yes\""})";
  others[6].stop = {"\n"};
  others[7].num_predict = 1;
  others[8].num_predict = 40;
  others[9].num_ctx = 4096;
  others[10].web = "never";
  std::set<std::string> seen = {plain};
  for (const auto& v : others) EXPECT_TRUE(seen.insert(answer_variant(v)).second) << "a collision";
  // think unset (the model's default) is neither on nor off.
  AnswerVariant unset = base;
  EXPECT_EQ(answer_variant(unset), plain);
  // num_predict: every "no limit" is one.
  AnswerVariant nolimit = base;
  nolimit.num_predict = -2;
  EXPECT_EQ(answer_variant(nolimit), plain);
}

TEST(AnswerCacheKey, ExtractiveAnswersAreSharedAcrossModels) {
  AnswerVariant x = llm("sha256:aaaa", "a system prompt");
  x.extractive = true;
  AnswerVariant y = llm("sha256:bbbb");
  y.extractive = true;
  EXPECT_EQ(answer_variant(x), "extractive");
  EXPECT_EQ(answer_variant(y), "extractive");
  EXPECT_NE(answer_variant(llm("sha256:aaaa")), "extractive");
  y.web = "never";  // the web mode changes what it is built on
  EXPECT_EQ(answer_variant(y), "extractive:never");
}

TEST(AnswerCacheKey, QuestionIsNormalized) {
  auto k = answer_cache_key("  Why do OWLS hoot？ ", "extractive");
  EXPECT_EQ(k.question, owlet::kb::normalize_question("why do owls hoot"));
  EXPECT_EQ(k.variant, "extractive");
  EXPECT_EQ(answer_cache_key("why do owls hoot", "extractive").str(), k.str());
  EXPECT_NE(answer_cache_key("why do owls hoot", "llm:1").str(), k.str());
}

// Paraphrases match; different questions sharing most words do not (issue #25).
TEST(ParaphraseIndex, OnlyTrueParaphrasesShareASignature) {
  using owlet::answer::paraphrase_signature;
  auto same = [](const char* a, const char* b) {
    const std::string sa = paraphrase_signature(owlet::kb::normalize_question(a));
    return !sa.empty() && sa == paraphrase_signature(owlet::kb::normalize_question(b));
  };
  // Paraphrases: punctuation, articles, contractions, politeness, plural -s.
  EXPECT_TRUE(same("What is the capital of France?", "what's the capital of france"));
  EXPECT_TRUE(same("Why do owls hoot at night?", "Can you tell me why owls hoot at night, please?"));
  EXPECT_TRUE(same("Isn't Paris the capital of France?", "Is Paris not the capital of France"));
  EXPECT_TRUE(same("When do tawny owls nest?", "When does a tawny owl nest?"));
  // Different questions: the question word, negation, tense, names, numbers, direction.
  EXPECT_FALSE(same("Is Paris the capital of France?", "Why is Paris the capital of France?"));
  EXPECT_FALSE(same("Why did Rome fall?", "When did Rome fall?"));
  EXPECT_FALSE(same("Whether owls hoot at night", "Why owls hoot at night"));
  EXPECT_FALSE(same("Is Paris the capital of France?", "Is Paris not the capital of France?"));
  EXPECT_FALSE(same("Who is the president of Brazil?", "Who was the president of Brazil?"));
  EXPECT_FALSE(same("Did Spain beat Italy in the final?", "Did Italy beat Spain in the final?"));
  EXPECT_FALSE(same("Who won the 2022 world cup?", "Who won the 2018 world cup?"));
  EXPECT_FALSE(same("How long is the flight from Paris to London?", "How long is the flight to Paris from London?"));
  EXPECT_FALSE(same("How many moons does Mars have?", "How big are the moons of Mars?"));
  EXPECT_FALSE(same("What is the capital of France?", "What is the capital of Germany?"));
  EXPECT_FALSE(same("为什么天空是蓝色的", "天空是蓝色的吗"));
  EXPECT_FALSE(same("上海今天下雨吗", "上海今天不下雨吗"));
  EXPECT_TRUE(same("请问上海今天下雨吗", "上海今天下雨吗？"));
  // Too little to go on: a single key word never matches another question.
  EXPECT_EQ(paraphrase_signature("owls?"), "");
}

TEST(ParaphraseIndex, FindsByTagAndExpiry) {
  owlet::answer::CacheIndex idx;
  idx.add(owlet::kb::normalize_question("What is the capital of France?"), "v1", 100);
  EXPECT_EQ(idx.find(owlet::kb::normalize_question("what's the capital of france"), "v1", 50).value_or(""),
            "what is the capital of france");
  EXPECT_FALSE(idx.find("what's the capital of france", "v2", 50)) << "another variant";
  EXPECT_FALSE(idx.find("what's the capital of france", "v1", 100)) << "expired";
  EXPECT_FALSE(idx.find("why is paris the capital of france", "v1", 50));
  idx.clear();
  EXPECT_EQ(idx.size(), 0u);
}
