#include "answer/citations.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace owlet::answer;

namespace {

std::string stream(CitationFilter& f, const std::vector<std::string>& pieces, std::vector<std::string>* emitted = nullptr) {
  std::string out;
  for (const auto& p : pieces) {
    const std::string e = f.feed(p);
    if (emitted) emitted->push_back(e);
    out += e;
  }
  out += f.finish();
  return out;
}

TEST(CheckCitations, ValidMarkersKept) {
  const CitationCheck c = check_citations("Paris is the capital [1]. It is large [2][1].", 2);
  EXPECT_EQ(c.text, "Paris is the capital [1]. It is large [2][1].");
  EXPECT_EQ(c.removed, 0);
  EXPECT_EQ(c.cited, (std::vector<int>{1, 2}));
}

TEST(CheckCitations, DanglingRemovedAndCounted) {
  CitationCheck c = check_citations("Fact one [3]. Fact two [1].", 2);
  EXPECT_EQ(c.text, "Fact one. Fact two [1].");
  EXPECT_EQ(c.removed, 1);
  EXPECT_EQ(c.cited, (std::vector<int>{1}));
  c = check_citations("Both [1, 7] and [0].", 3);
  EXPECT_EQ(c.text, "Both [1] and.");
  EXPECT_EQ(c.removed, 2);
  c = check_citations("Nothing [5][6]", 0);
  EXPECT_EQ(c.text, "Nothing");
  EXPECT_EQ(c.removed, 2);
  EXPECT_TRUE(c.cited.empty());
}

TEST(CheckCitations, FullWidthAndLists) {
  CitationCheck c = check_citations("上海很大【1】。北京是首都【2，9】。", 2);
  EXPECT_EQ(c.text, "上海很大【1】。北京是首都【2】。");
  EXPECT_EQ(c.removed, 1);
  EXPECT_EQ(c.cited, (std::vector<int>{1, 2}));
  c = check_citations("x [2,3] y", 3);
  EXPECT_EQ(c.text, "x [2,3] y");
  EXPECT_EQ(c.cited, (std::vector<int>{2, 3}));
}

TEST(CheckCitations, NonMarkersUntouched) {
  const std::string s = "arr[i] and [note] and [] and [1a] and [123456] stay";
  const CitationCheck c = check_citations(s, 3);
  EXPECT_EQ(c.text, s);
  EXPECT_EQ(c.removed, 0);
}

TEST(CitationFilter, MarkerSplitAcrossPieces) {
  CitationFilter f(2);
  std::vector<std::string> emitted;
  const std::string out = stream(f, {"Paris is big ", "[", "1", "]", " and old", " [", "9", "]", "."}, &emitted);
  EXPECT_EQ(out, "Paris is big [1] and old.");
  EXPECT_EQ(f.removed(), 1);
  EXPECT_EQ(f.cited(), (std::vector<int>{1}));
  // Held back only while a marker may be forming.
  EXPECT_EQ(emitted[0], "Paris is big");
  EXPECT_EQ(emitted[1], "");
  EXPECT_EQ(emitted[2], "");
  EXPECT_EQ(emitted[3], " [1]");
}

TEST(CitationFilter, NotAMarkerIsReleasedAtOnce) {
  CitationFilter f(3);
  EXPECT_EQ(f.feed("see [a"), "see [a");
  EXPECT_EQ(f.feed("rray]"), "rray]");
  EXPECT_EQ(f.feed("x[12"), "x");
  EXPECT_EQ(f.feed("34567"), "[1234567") << "too long for a marker";
  EXPECT_EQ(f.finish(), "");
}

TEST(CitationFilter, FullWidthSplitInsideUtf8) {
  CitationFilter f(1);
  const std::string open = "【", close = "】";
  const std::string out = stream(f, {"答案", open.substr(0, 1), open.substr(1), "1", close.substr(0, 2), close.substr(2), "。"});
  EXPECT_EQ(out, "答案【1】。");
  EXPECT_EQ(f.cited(), (std::vector<int>{1}));
}

TEST(CitationFilter, FinishFlushesIncompleteMarker) {
  CitationFilter f(2);
  EXPECT_EQ(f.feed("trailing [1, "), "trailing");
  EXPECT_EQ(f.finish(), " [1, ");
  EXPECT_EQ(f.removed(), 0);
}

TEST(CitationFilter, MatchesBatchCheck) {
  const std::string answer = "A [1]. B [4][2]. C [2, 5] and [x] end [3]";
  const CitationCheck batch = check_citations(answer, 3);
  for (size_t step = 1; step <= 4; ++step) {
    CitationFilter f(3);
    std::vector<std::string> pieces;
    for (size_t i = 0; i < answer.size(); i += step) pieces.push_back(answer.substr(i, step));
    EXPECT_EQ(stream(f, pieces), batch.text) << "step " << step;
    EXPECT_EQ(f.removed(), batch.removed);
    EXPECT_EQ(f.cited(), batch.cited);
  }
}

TEST(CitationFilter, RandomPiecesMatchBatch) {
  // Property: however the answer is cut into pieces, the stream equals the batch check.
  const std::vector<std::string> alphabet = {"[", "]", "1", "2", "9", "12345", ",", " ", "a", "【", "】", "，", "\n"};
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    std::string answer;
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) answer += alphabet[rng() % alphabet.size()];
    const CitationCheck batch = check_citations(answer, 2);
    CitationFilter f(2);
    std::vector<std::string> pieces;
    for (size_t i = 0; i < answer.size();) {
      const size_t n = 1 + rng() % 5;  // byte pieces: may split UTF-8 sequences
      pieces.push_back(answer.substr(i, n));
      i += n;
    }
    ASSERT_EQ(stream(f, pieces), batch.text) << "answer: " << answer;
    ASSERT_EQ(f.removed(), batch.removed) << answer;
    ASSERT_EQ(f.cited(), batch.cited) << answer;
  }
}

}  // namespace
