// The answer cache's key: one model's answer is never another's, options that
// change the text change the key, extractive answers are shared by every model,
// and the question part is the knowledge base's normalized form.
#include <gtest/gtest.h>

#include "answer/answer_cache_key.h"
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

TEST(AnswerCacheKey, ExtractiveAnswersAreSharedAcrossModels) {
  AnswerVariant x = llm("sha256:aaaa", "a system prompt");
  x.extractive = true;
  AnswerVariant y = llm("sha256:bbbb");
  y.extractive = true;
  EXPECT_EQ(answer_variant(x), "extractive");
  EXPECT_EQ(answer_variant(y), "extractive");
  EXPECT_NE(answer_variant(llm("sha256:aaaa")), "extractive");
}

TEST(AnswerCacheKey, QuestionIsNormalized) {
  auto k = answer_cache_key("  Why do OWLS hoot？ ", "extractive");
  EXPECT_EQ(k.question, owlet::kb::normalize_question("why do owls hoot"));
  EXPECT_EQ(k.variant, "extractive");
  EXPECT_EQ(answer_cache_key("why do owls hoot", "extractive").str(), k.str());
  EXPECT_NE(answer_cache_key("why do owls hoot", "llm:1").str(), k.str());
}
