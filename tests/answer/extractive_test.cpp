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

// Issue #26: "Pixel's vet is Dr. [1]" and "# Grandma's pancakes [1]".
TEST(Extractive, AbbreviationsDecimalsAndHeadings) {
  ExtractiveOptions one;
  one.max_sentences = 1;
  const std::vector<Source> vet = {numbered(1, "# Pixel\n\nPixel is a grey cat. Pixel's vet is Dr. Okafor of the "
                                               "Elm St. clinic. Pixel likes boxes.")};
  const ExtractiveAnswer a = extract_answer("Who is Pixel's vet?", vet, one);
  ASSERT_EQ(a.sentences.size(), 1u);
  EXPECT_EQ(a.text, "Pixel's vet is Dr. Okafor of the Elm St. clinic. [1]");

  const std::vector<Source> rate = {numbered(2, "Interest rates\n\nThe central bank raised its rate to 3.75 percent "
                                                "in March. Markets fell.")};
  const ExtractiveAnswer r = extract_answer("What rate did the central bank set?", rate, one);
  ASSERT_EQ(r.sentences.size(), 1u);
  EXPECT_EQ(r.sentences[0], "The central bank raised its rate to 3.75 percent in March.");

  const std::vector<Source> recipe = {numbered(1, "# Grandma's pancakes\n\n## Ingredients\n\nYou need flour, milk "
                                                  "and two eggs. Grandma used salted butter.")};
  const ExtractiveAnswer p = extract_answer("What do you need for grandma's pancakes?", recipe);
  ASSERT_FALSE(p.sentences.empty());
  for (const std::string& s : p.sentences) {
    EXPECT_EQ(s.find('#'), std::string::npos) << p.text;
    EXPECT_NE(s, "Grandma's pancakes") << p.text;
  }
  EXPECT_NE(p.text.find("You need flour, milk and two eggs. [1]"), std::string::npos) << p.text;

  const std::vector<Source> project = {numbered(1, "# Project Heron\n\nThe team ships the first Heron build in May "
                                                   "2027. It runs on two boards.")};
  const ExtractiveAnswer h = extract_answer("When does Project Heron ship?", project, one);
  ASSERT_EQ(h.sentences.size(), 1u);
  EXPECT_EQ(h.sentences[0], "The team ships the first Heron build in May 2027.");
}

}  // namespace
