#include "answer/extractive.h"

#include <gtest/gtest.h>

#include <string>

using namespace owlet::answer;

namespace {

Source numbered(int n, const std::string& text) {
  Source s;
  s.n = n;
  s.title = "S" + std::to_string(n);
  s.text = text;
  return s;
}

TEST(Extractive, PicksTheAnsweringSentence) {
  const std::vector<Source> sources = {
      numbered(1, "The Nile flows through Egypt. Its delta is fertile."),
      numbered(2, "Mount Everest is 8,849 metres tall. It lies in the Himalayas. Climbers need oxygen."),
  };
  ExtractiveOptions one;
  one.max_sentences = 1;
  const ExtractiveAnswer a = extract_answer("How tall is Mount Everest?", sources, one);
  ASSERT_EQ(a.sentences.size(), 1u);
  EXPECT_EQ(a.sentences[0], "Mount Everest is 8,849 metres tall.");
  EXPECT_EQ(a.text, "Mount Everest is 8,849 metres tall. [2]");
  EXPECT_EQ(a.cited, (std::vector<int>{2}));
  EXPECT_GT(a.score, 0);
}

TEST(Extractive, TwoSentencesWithCitations) {
  const std::vector<Source> sources = {
      numbered(1, "Marie Curie won the Nobel Prize in Physics in 1903. She liked cycling."),
      numbered(2, "Curie won a second Nobel Prize, in Chemistry, in 1911."),
  };
  const ExtractiveAnswer a = extract_answer("Which Nobel Prizes did Marie Curie win?", sources);
  ASSERT_EQ(a.sentences.size(), 2u);
  EXPECT_EQ(a.text, a.sentences[0] + " [" + std::to_string(a.cited[0]) + "] " + a.sentences[1] + " [" +
                        std::to_string(a.cited[1]) + "]");
  EXPECT_EQ(a.text.find("cycling"), std::string::npos);
}

TEST(Extractive, Chinese) {
  const std::vector<Source> sources = {numbered(3, "长城位于中国北方。长城全长两万多公里。故宫在北京。")};
  ExtractiveOptions one;
  one.max_sentences = 1;
  const ExtractiveAnswer a = extract_answer("长城全长多少公里？", sources, one);
  ASSERT_EQ(a.sentences.size(), 1u);
  EXPECT_EQ(a.sentences[0], "长城全长两万多公里。");
  EXPECT_EQ(a.cited, (std::vector<int>{3}));
}

TEST(Extractive, NothingWhenUnsupported) {
  const std::vector<Source> sources = {numbered(1, "Cats sleep a lot.")};
  EXPECT_TRUE(extract_answer("What is the GDP of Peru?", sources).text.empty());
  ExtractiveOptions strict;
  strict.min_score = 0.99;
  EXPECT_TRUE(extract_answer("How long do cats sleep?", sources, strict).text.empty());
  EXPECT_TRUE(extract_answer("anything", {}).text.empty());
}

}  // namespace
