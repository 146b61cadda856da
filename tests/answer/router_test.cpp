#include "answer/router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace owlet::answer;

namespace {

constexpr int64_t kNow = 1795867200;  // 2026-11-28 12:00 UTC

bool has_cue(const TimeSignals& s, const std::string& cue) {
  return std::find(s.cues.begin(), s.cues.end(), cue) != s.cues.end();
}

bool has_reason_containing(const RouteDecision& d, const std::string& part) {
  return std::any_of(d.reasons.begin(), d.reasons.end(), [&](const std::string& r) { return r.find(part) != std::string::npos; });
}

TEST(Router, NamesAndModes) {
  EXPECT_STREQ(to_string(Tier::web_light), "web-light");
  EXPECT_STREQ(to_string(Tier::web_deep), "web-deep");
  EXPECT_STREQ(to_string(Freshness::slow), "slow");
  EXPECT_STREQ(to_string(WebMode::automatic), "auto");
  WebMode m = WebMode::never;
  EXPECT_TRUE(parse_web_mode("always", &m));
  EXPECT_EQ(m, WebMode::always);
  EXPECT_TRUE(parse_web_mode("auto", &m));
  EXPECT_EQ(m, WebMode::automatic);
  EXPECT_FALSE(parse_web_mode("sometimes", &m));
  EXPECT_EQ(m, WebMode::automatic);
}

TEST(Router, EnglishTimeCues) {
  const TimeSignals s = detect_time_signals("What is the latest price of gold today?", kNow);
  EXPECT_TRUE(s.time_sensitive);
  EXPECT_TRUE(has_cue(s, "latest"));
  EXPECT_TRUE(has_cue(s, "price"));
  EXPECT_TRUE(has_cue(s, "today"));
  EXPECT_TRUE(detect_time_signals("Who is the current CEO of Intel?", kNow).time_sensitive);
  EXPECT_TRUE(detect_time_signals("weather in Oslo this week", kNow).time_sensitive);
  EXPECT_FALSE(detect_time_signals("What is the capital of Costa Rica?", kNow).time_sensitive);
  EXPECT_FALSE(detect_time_signals("Who wrote Great Expectations?", kNow).time_sensitive);
}

TEST(Router, ChineseTimeCues) {
  const TimeSignals s = detect_time_signals("今天上海天气怎么样", kNow);
  EXPECT_TRUE(s.time_sensitive);
  EXPECT_TRUE(has_cue(s, "今天"));
  EXPECT_TRUE(has_cue(s, "天气"));
  EXPECT_TRUE(detect_time_signals("特斯拉最新股价是多少", kNow).time_sensitive);
  EXPECT_TRUE(detect_time_signals("目前的比分是多少", kNow).time_sensitive);
  EXPECT_FALSE(detect_time_signals("勾股定理是什么", kNow).time_sensitive);
  EXPECT_FALSE(detect_time_signals("李白是哪个朝代的诗人", kNow).time_sensitive);
}

TEST(Router, DatesNearAndFar) {
  EXPECT_TRUE(detect_time_signals("What happened on 2026-11-20?", kNow).time_sensitive);
  EXPECT_TRUE(detect_time_signals("Results of the vote on November 25, 2026", kNow).time_sensitive);
  EXPECT_TRUE(detect_time_signals("2026年11月1日发生了什么", kNow).time_sensitive);
  EXPECT_FALSE(detect_time_signals("What happened on 1969-07-20?", kNow).time_sensitive);
  EXPECT_FALSE(detect_time_signals("What happened on 2026-01-02?", kNow).time_sensitive)
      << "330 days ago is outside recent_days=60";
  RouterOptions wide;
  wide.recent_days = 400;
  EXPECT_TRUE(detect_time_signals("What happened on 2026-01-02?", kNow, wide).time_sensitive);
  // A date far in the past settles even a drifting kind of fact.
  EXPECT_EQ(classify_freshness("Who won the Nobel Prize in Physics in 1921?", kNow), Freshness::never);
  EXPECT_EQ(classify_freshness("Who won the Nobel Prize in Physics?", kNow), Freshness::slow);
}

TEST(Router, FreshnessClasses) {
  // Fast: markets, weather, live results, news, the next occurrence of an event.
  EXPECT_EQ(classify_freshness("What is the price of bitcoin?", kNow), Freshness::fast);
  EXPECT_EQ(classify_freshness("Will it rain in Berlin tomorrow?", kNow), Freshness::fast);
  EXPECT_EQ(classify_freshness("When is the next solar eclipse?", kNow), Freshness::fast);
  EXPECT_EQ(classify_freshness("Which film won the most recent Oscar for Best Picture?", kNow), Freshness::fast);
  EXPECT_EQ(classify_freshness("黄金价格", kNow), Freshness::fast);
  // Slow: office holders, records, ages, team membership.
  EXPECT_EQ(classify_freshness("Who is the prime minister of Japan?", kNow), Freshness::slow);
  EXPECT_EQ(classify_freshness("Who holds the record for the most Grand Slam titles ever?", kNow), Freshness::slow);
  EXPECT_EQ(classify_freshness("How old is Keanu Reeves?", kNow), Freshness::slow);
  EXPECT_EQ(classify_freshness("Which club does Kylian Mbappe play for?", kNow), Freshness::slow);
  EXPECT_EQ(classify_freshness("What is the tallest building in the world?", kNow), Freshness::slow);
  EXPECT_EQ(classify_freshness("谁是美国现任总统", kNow), Freshness::slow);
  EXPECT_EQ(classify_freshness("世界上最高的建筑是哪座", kNow), Freshness::slow);
  // Never: definitions, history, natural-world superlatives, settled firsts.
  EXPECT_EQ(classify_freshness("What is the derivative of sin x?", kNow), Freshness::never);
  EXPECT_EQ(classify_freshness("Who founded the Ming dynasty?", kNow), Freshness::never);
  EXPECT_EQ(classify_freshness("What is the longest river in Africa?", kNow), Freshness::never);
  EXPECT_EQ(classify_freshness("Who was the first person to walk on the Moon?", kNow), Freshness::never);
  EXPECT_EQ(classify_freshness("水的化学式是什么", kNow), Freshness::never);
}

TEST(Router, ExplanationNamesTheRule) {
  const FreshnessExplanation e = explain_freshness("Who is the CEO of Nvidia?", kNow);
  EXPECT_EQ(e.freshness, Freshness::slow);
  ASSERT_FALSE(e.reasons.empty());
  EXPECT_NE(e.reasons[0].find("office holder"), std::string::npos) << e.reasons[0];
}

TEST(Router, Coverage) {
  EXPECT_DOUBLE_EQ(coverage("capital of France", "Paris is the capital of France."), 1.0);
  EXPECT_DOUBLE_EQ(coverage("capital of France", "Berlin is a city."), 0.0);
  const double half = coverage("capital of Peru", "The capital of France is Paris.");
  EXPECT_GT(half, 0.4);
  EXPECT_LT(half, 0.6);
  // Bigrams across the word boundary ("海天") are terms too: 2 of 3 here.
  EXPECT_NEAR(coverage("上海天气", "上海今天的天气晴朗"), 2.0 / 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(coverage("上海天气", "上海天气晴朗"), 1.0);
  EXPECT_LT(coverage("上海天气", "北京是首都"), 0.01);
  EXPECT_DOUBLE_EQ(coverage("", "anything"), 0.0);
}

TEST(Router, RouteAuto) {
  // Settled and covered: local.
  RouteDecision d = route("What is the boiling point of water?", 0.9, WebMode::automatic, kNow);
  EXPECT_EQ(d.tier, Tier::local);
  EXPECT_FALSE(d.needs_web());
  EXPECT_TRUE(has_reason_containing(d, "local coverage 0.90 >= 0.70"));
  // Settled but not covered: web-deep, with the coverage reason.
  d = route("What is the boiling point of water?", 0.42, WebMode::automatic, kNow);
  EXPECT_EQ(d.tier, Tier::web_deep);
  EXPECT_TRUE(has_reason_containing(d, "local coverage 0.42 < 0.70"));
  // Fast-changing: web-light, even when covered.
  d = route("What is the latest Apple stock price?", 1.0, WebMode::automatic, kNow);
  EXPECT_EQ(d.tier, Tier::web_light);
  EXPECT_EQ(d.freshness, Freshness::fast);
  EXPECT_TRUE(d.time_sensitive);
  EXPECT_TRUE(has_reason_containing(d, "time cue 'latest'"));
  // Slow-changing: web-deep.
  d = route("Who is the president of France?", 1.0, WebMode::automatic, kNow);
  EXPECT_EQ(d.tier, Tier::web_deep);
  // A custom threshold.
  RouterOptions strict;
  strict.coverage_threshold = 0.95;
  EXPECT_EQ(route("What is the boiling point of water?", 0.9, WebMode::automatic, kNow, strict).tier, Tier::web_deep);
}

TEST(Router, RouteForced) {
  RouteDecision d = route("今天的新闻", 0.1, WebMode::never, kNow);
  EXPECT_EQ(d.tier, Tier::local);
  EXPECT_TRUE(d.time_sensitive);
  EXPECT_TRUE(has_reason_containing(d, "forced: web=never"));
  d = route("What is 2 + 2?", 1.0, WebMode::always, kNow);
  EXPECT_TRUE(d.needs_web());
  EXPECT_EQ(d.tier, Tier::web_deep);
  EXPECT_TRUE(has_reason_containing(d, "forced: web=always"));
}

}  // namespace
