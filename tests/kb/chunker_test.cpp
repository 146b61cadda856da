#include <gtest/gtest.h>

#include <string>

#include "kb/chunker.h"
#include "kb/text.h"

namespace owlet::kb {
namespace {

std::string sentence(int i) {
  return "Sentence number " + std::to_string(i) + " talks about topic " + std::to_string(i * 7) + ".";
}

TEST(Chunker, ShortTextIsOneChunk) {
  const auto chunks = chunk_text("Hello world. Second sentence!");
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "Hello world. Second sentence!");
  EXPECT_EQ(chunks[0].tokens, 4);
  EXPECT_TRUE(chunk_text("").empty());
  EXPECT_TRUE(chunk_text(" \n\n \t").empty());
}

TEST(Chunker, RespectsBudgetAndOverlapsWithinParagraph) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += sentence(i) + " ";  // one paragraph, 7 tokens per sentence
  ChunkerOptions o;
  o.max_tokens = 30;
  o.overlap_tokens = 8;
  const auto chunks = chunk_text(text, o);
  ASSERT_GT(chunks.size(), 5u);
  for (size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].tokens, 30) << chunks[i].text;
    EXPECT_EQ(chunks[i].text.back(), '.') << "chunk must end at a sentence end: " << chunks[i].text;
    EXPECT_EQ(text.substr(chunks[i].offset, chunks[i].text.size()), chunks[i].text);
    if (i > 0) {
      // The last sentence of chunk i-1 opens chunk i.
      const std::string& prev = chunks[i - 1].text;
      const std::string last = prev.substr(prev.rfind("Sentence number"));
      EXPECT_EQ(chunks[i].text.rfind(last, 0), 0u) << chunks[i].text;
    }
  }
  // Every sentence appears somewhere.
  std::string all;
  for (const auto& c : chunks) all += c.text + " ";
  for (int i = 0; i < 40; ++i) EXPECT_NE(all.find(sentence(i)), std::string::npos) << i;
}

TEST(Chunker, BreaksAtParagraphsWithoutOverlap) {
  std::string p1, p2;
  for (int i = 0; i < 3; ++i) p1 += sentence(i) + " ";
  for (int i = 3; i < 6; ++i) p2 += sentence(i) + " ";
  ChunkerOptions o;
  o.max_tokens = 30;
  const auto chunks = chunk_text(p1 + "\n\n" + p2, o);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, p1.substr(0, p1.size() - 1));
  EXPECT_EQ(chunks[1].text, p2.substr(0, p2.size() - 1));
}

TEST(Chunker, SplitsCjkSentencesAtFullwidthTerminators) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "今天上海天气晴朗，适合出门散步。明天会下雨吗？";
  ChunkerOptions o;
  o.max_tokens = 40;
  o.overlap_tokens = 0;
  const auto chunks = chunk_text(text, o);
  ASSERT_GT(chunks.size(), 10u);
  for (const auto& c : chunks) {
    EXPECT_LE(c.tokens, 40);
    EXPECT_TRUE(utf8_valid(c.text));
    const std::string end = c.text.substr(c.text.size() - 3);
    EXPECT_TRUE(end == "。" || end == "？") << c.text;
  }
}

TEST(Chunker, LongSentenceIsCutAtWordBoundaries) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "word" + std::to_string(i) + " ";  // no sentence end at all
  ChunkerOptions o;
  o.max_tokens = 25;
  const auto chunks = chunk_text(text, o);
  ASSERT_GE(chunks.size(), 8u);
  for (const auto& c : chunks) {
    EXPECT_LE(c.tokens, 25);
    EXPECT_EQ(c.text.rfind("word", 0), 0u) << "starts mid-word: " << c.text;
    const char last = c.text.back();
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(last))) << c.text;
    // The next character in the source is a space: the cut fell between words.
    EXPECT_EQ(text[c.offset + c.text.size()], ' ');
  }
}

TEST(Chunker, CjkWithoutPunctuationNeverSplitsACharacter) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "天气";
  ChunkerOptions o;
  o.max_tokens = 64;
  const auto chunks = chunk_text(text, o);
  ASSERT_GE(chunks.size(), 15u);
  size_t total = 0;
  for (const auto& c : chunks) {
    EXPECT_TRUE(utf8_valid(c.text));
    EXPECT_LE(c.tokens, 64);
    EXPECT_EQ(c.text.size() % 3, 0u);
    total += c.text.size();
  }
  EXPECT_GE(total, text.size());
}

TEST(Chunker, GiantWordIsCutBetweenCodePoints) {
  std::string blob(5000, 'x');
  blob += "é";
  blob += std::string(3000, 'y');
  ChunkerOptions o;
  o.max_tokens = 50;
  const auto chunks = chunk_text(blob, o);
  ASSERT_GT(chunks.size(), 10u);
  for (const auto& c : chunks) {
    EXPECT_TRUE(utf8_valid(c.text));
    EXPECT_LE(c.tokens, 50);
  }
}

TEST(Chunker, InvalidUtf8IsRepairedNotPropagated) {
  std::string text = "Good start. Bad \xFF\xFE bytes here. Truncated \xE5\xA4";
  const auto chunks = chunk_text(text);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_TRUE(utf8_valid(chunks[0].text));
  EXPECT_NE(chunks[0].text.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(chunks[0].text.find("Good start."), std::string::npos);
}

TEST(Chunker, DecimalsAndAbbreviationsDoNotEndSentences) {
  ChunkerOptions o;
  o.max_tokens = 10;
  o.overlap_tokens = 0;
  const auto chunks = chunk_text("Pi is 3.14 exactly and that is all. The next sentence is here.", o);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].text, "Pi is 3.14 exactly and that is all.");
}

}  // namespace
}  // namespace owlet::kb
