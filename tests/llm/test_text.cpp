// Streaming text plumbing: whole UTF-8 characters only, stop strings across pieces;
// and the greedy pick over the logits.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "llm/sampling.h"
#include "llm/stop_matcher.h"
#include "llm/utf8_buffer.h"

using owlet::llm::StopMatcher;
using owlet::llm::Utf8Buffer;

TEST(Utf8Buffer, HoldsBackSplitCharacters) {
  Utf8Buffer b;
  std::string zh = "天气";  // 6 bytes
  EXPECT_EQ(b.push(zh.substr(0, 2)), "");
  EXPECT_EQ(b.push(zh.substr(2, 2)), "天");
  EXPECT_EQ(b.push(zh.substr(4, 2)), "气");
  EXPECT_EQ(b.flush(), "");
  std::string emoji = "\xF0\x9F\xA6\x89";  // 🦉
  EXPECT_EQ(b.push(emoji.substr(0, 3)), "");
  EXPECT_EQ(b.push(emoji.substr(3)), emoji);
  EXPECT_EQ(b.push("abc"), "abc");
  EXPECT_EQ(b.push("\xE4"), "");
  EXPECT_EQ(b.flush(), "\xE4");  // incomplete at end of stream comes out at flush
}

TEST(StopMatcher, StopAcrossPieces) {
  StopMatcher m({"<|im_end|>"});
  bool stopped = false;
  std::string out;
  out += m.push("Hello <|im", &stopped);
  EXPECT_FALSE(stopped);
  EXPECT_EQ(out, "Hello ");  // "<|im" held back
  out += m.push("_en", &stopped);
  EXPECT_FALSE(stopped);
  out += m.push("d|> trailing", &stopped);
  EXPECT_TRUE(stopped);
  EXPECT_EQ(out, "Hello ");
}

TEST(StopMatcher, FalseAlarmIsReleased) {
  StopMatcher m({"STOP"});
  bool stopped = false;
  std::string out = m.push("ST", &stopped);
  EXPECT_EQ(out, "");
  out += m.push("AR", &stopped);
  EXPECT_FALSE(stopped);
  EXPECT_EQ(out, "STAR");
  out += m.push("ST", &stopped);
  out += m.flush();
  EXPECT_EQ(out, "STARST");
}

TEST(StopMatcher, EarliestOfSeveral) {
  StopMatcher m({"world", "lo w"});
  bool stopped = false;
  EXPECT_EQ(m.push("hello world", &stopped), "hel");
  EXPECT_TRUE(stopped);
}

TEST(StopMatcher, NoStopsPassesThrough) {
  StopMatcher m({});
  bool stopped = true;
  EXPECT_EQ(m.push("abc", &stopped), "abc");
  EXPECT_FALSE(stopped);
}

// The greedy pick must be the plain scan's answer: the first of equal maxima, in the
// 16-wide body or in the tail past it, all-negative logits included.
TEST(Argmax, FirstMaximumAnywhere) {
  using owlet::llm::argmax;
  for (int n : {1, 15, 16, 17, 151936}) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = -1000.0f + static_cast<float>(i % 97) * 0.5f;
    int want = 0;
    for (int t = 1; t < n; ++t)
      if (v[static_cast<size_t>(t)] > v[static_cast<size_t>(want)]) want = t;
    EXPECT_EQ(argmax(v.data(), n), want) << n;
    v[static_cast<size_t>(n - 1)] = 5.0f;  // a new maximum in the last position (the tail)
    EXPECT_EQ(argmax(v.data(), n), n - 1) << n;
    if (n > 3) {
      v[2] = 5.0f;  // a tie: the earlier one wins
      EXPECT_EQ(argmax(v.data(), n), 2) << n;
    }
  }
  const float all_neg_inf[3] = {-INFINITY, -INFINITY, -INFINITY};
  EXPECT_EQ(argmax(all_neg_inf, 3), 0);
}
