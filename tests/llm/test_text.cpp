// Streaming text plumbing: whole UTF-8 characters only, stop strings across pieces.
#include <gtest/gtest.h>

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
