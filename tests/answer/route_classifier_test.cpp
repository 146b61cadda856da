// The learned router with its shipped weights: direct-task rules and cue questions
// in English and Chinese, reasons that name features, coverage with age, and the
// weights file format.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "answer/direct_tasks.h"
#include "answer/route_features.h"
#include "answer/route_model.h"
#include "answer/router.h"
#include "answer/zh_lexicon.h"

using namespace owlet::answer;

namespace {

constexpr int64_t kNow = 1795867200;  // 2026-11-28 12:00 UTC

bool has_reason(const std::vector<std::string>& reasons, const std::string& part) {
  return std::any_of(reasons.begin(), reasons.end(), [&](const std::string& r) { return r.find(part) != std::string::npos; });
}

std::string why(const PromptClass& c) {
  std::string s;
  for (const auto& r : c.reasons) s += r + "; ";
  return s;
}

bool needs_web(const PromptClass& c) { return c.retrieval && c.freshness != Freshness::never; }

}  // namespace

TEST(DirectTasks, PromptsTheModelAnswersAlone) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hi", "greeting"},
      {"Hello there!", "greeting"},
      {"thanks!", "greeting"},
      {"你好", "greeting"},
      {"你好，你是谁？", "greeting"},
      {"Write a haiku about autumn.", "writing"},
      {"写一首关于秋天的俳句", "writing"},
      {"帮我润色一下这段话：我今天很高兴。", "writing"},
      {"def fib(n): fix the bug in this code", "code"},
      {"```python\nprint(undefined_name)\n```\nWhy does this fail?", "code"},
      {"修复这段代码的bug：for i in range(10) print(i)", "code"},
      {"Translate 'good morning' into French.", "translation"},
      {"把这句话翻译成英文：今天很开心", "translation"},
      {"用英语怎么说“谢谢”？", "translation"},
      {"What is 17 * 23?", "maths"},
      {"计算 3+5 等于多少", "maths"},
      {"Solve x^2 - 4 = 0 for x.", "maths"},
  };
  for (const auto& [prompt, kind] : cases) {
    const DirectTask t = detect_direct_task(prompt);
    EXPECT_EQ(t.kind, kind) << prompt;
    const PromptClass c = classify_prompt(prompt, kNow);
    EXPECT_FALSE(c.retrieval) << prompt << ": " << why(c);
    EXPECT_TRUE(has_reason(c.reasons, "no retrieval: " + kind)) << prompt << ": " << why(c);
    // A prompt that needs no retrieval routes to tier none, web=auto or never; always still goes online.
    EXPECT_EQ(route(c, {}, WebMode::automatic, kNow).tier, Tier::none) << prompt;
    EXPECT_EQ(route(c, {}, WebMode::never, kNow).tier, Tier::none) << prompt;
    EXPECT_TRUE(route(c, {}, WebMode::always, kNow).needs_web()) << prompt;
  }
}

TEST(DirectTasks, QuestionsAboutTheWorldAreNotTasks) {
  for (const char* q : {"Who translated the Bible into English?", "hi, what's the weather in Paris today?",
                        "Who wrote the poem The Raven?", "这部电影讲的是什么故事？",
                        "加拿大目前要求入境旅客通过哪个应用程序提供疫苗接种证明？", "Explain the function of the liver.",
                        "How do computers calculate square roots?"}) {
    EXPECT_FALSE(detect_direct_task(q).matched()) << q << " -> " << detect_direct_task(q).kind;
  }
}

TEST(RouteClassifier, CueQuestionsRouteAsExpectedInBothLanguages) {
  for (const char* q : {"What is the weather in Paris today?", "What is the price of bitcoin right now?",
                        "What are today's top news headlines?", "今天上海天气怎么样？", "比特币现在的价格是多少？"}) {
    const PromptClass c = classify_prompt(q, kNow);
    EXPECT_TRUE(c.retrieval) << q << ": " << why(c);
    EXPECT_EQ(c.freshness, Freshness::fast) << q << ": " << why(c);
    EXPECT_TRUE(c.time_sensitive) << q;
  }
  for (const char* q : {"Who is the current CEO of Apple?", "What is the latest version of Python?",
                        "现任美国总统是谁？", "最新版本的 Python 是哪个？"}) {
    const PromptClass c = classify_prompt(q, kNow);
    EXPECT_TRUE(needs_web(c)) << q << ": " << why(c);
  }
  for (const char* q : {"Who wrote Great Expectations?", "What is the capital of France?", "Who won the 2018 World Cup?",
                        "谁写了《红楼梦》？", "法国的首都是哪里？"}) {
    const PromptClass c = classify_prompt(q, kNow);
    EXPECT_TRUE(c.retrieval) << q << ": " << why(c);
    EXPECT_EQ(c.freshness, Freshness::never) << q << ": " << why(c);
  }
}

TEST(RouteClassifier, ReasonsNameTheTopFeatures) {
  const PromptClass c = classify_prompt("What is the price of bitcoin?", kNow);
  EXPECT_EQ(c.decided_by, "classifier");
  EXPECT_GT(c.p_changing, 0.0);
  EXPECT_LT(c.p_changing, 1.0);
  ASSERT_FALSE(c.reasons.empty());
  EXPECT_EQ(c.reasons[0].rfind("changing 0.", 0), 0u) << c.reasons[0];
  EXPECT_TRUE(c.reasons[0].find("'price'") != std::string::npos ||
              c.reasons[0].find("rule fast price or market") != std::string::npos)
      << c.reasons[0];
  // Settled questions say so, with what spoke against change.
  const PromptClass s = classify_prompt("Who won the 2018 World Cup?", kNow);
  EXPECT_TRUE(has_reason(s.reasons, "settled: changing 0.")) << why(s);
  EXPECT_TRUE(has_reason(s.reasons, "a past date")) << why(s);
}

TEST(RouteClassifier, ExplicitCuesOverrideTheClassifier) {
  // Whatever the classifier thinks of the words, "today" and 今天 ask about now.
  for (const char* q : {"Who won the chess match today?", "今天谁赢了比赛？", "What happened on 2026-11-20?"}) {
    const PromptClass c = classify_prompt(q, kNow);
    EXPECT_TRUE(needs_web(c)) << q << ": " << why(c);
    EXPECT_EQ(c.decided_by, "rule") << q;
    EXPECT_TRUE(has_reason(c.reasons, "time cue")) << q << ": " << why(c);
  }
}

TEST(RouteClassifier, CuesInsidePastedTextAreNotAboutToday) {
  std::string doc;
  for (int i = 0; i < 8; ++i)
    doc += "Today the latest quarterly report shows that the current revenue of the firm grew again this week. ";
  const PromptClass c = classify_prompt("Summarize this article in two sentences.\n\n" + doc, kNow);
  EXPECT_FALSE(c.retrieval) << why(c);
}

TEST(RouteClassifier, ChineseConceptsShareTheEnglishFeatures) {
  EXPECT_EQ(zh_concepts("现任总统"), (std::vector<std::string>{"current", "president"}));
  EXPECT_EQ(zh_concepts("上海天气"), (std::vector<std::string>{"weather"})) << "上海 is a blocker, not 'sea'";
  EXPECT_TRUE(is_concept_word("president"));
  EXPECT_TRUE(is_concept_word("2022"));
  EXPECT_FALSE(is_concept_word("the"));
  EXPECT_GT(zh_lexicon_size(), 500u);
  const std::vector<std::string> zh = route_features("现任美国总统是谁？", kNow, FeatureView::concepts);
  const std::vector<std::string> en = route_features("who is the current president of the united states", kNow,
                                                     FeatureView::concepts);
  for (const char* f : {"w:current", "w:president", "w:who", "r:slow time cue"}) {
    EXPECT_NE(std::find(zh.begin(), zh.end(), f), zh.end()) << f;
    EXPECT_NE(std::find(en.begin(), en.end(), f), en.end()) << f;
  }
  EXPECT_EQ(view_for("现任美国总统是谁？"), FeatureView::concepts);
  EXPECT_EQ(view_for("Who is the president?"), FeatureView::words);
}

TEST(Router, CoverageWithAge) {
  RouterOptions o;  // max source age: slow 24 h, fast 10 min, never any
  const PromptClass slow = classify_prompt("Who is the current mayor of Oslo?", kNow);
  ASSERT_TRUE(needs_web(slow)) << why(slow);
  ASSERT_EQ(slow.freshness, Freshness::slow) << why(slow);
  RouteDecision d = route(slow, {0.9, kNow - 200 * 86400}, WebMode::automatic, kNow, o);
  EXPECT_TRUE(d.needs_web());
  EXPECT_TRUE(has_reason(d.reasons, "local source fetched 200 d ago is older than the 24 h TTL of a slow-changing "
                                    "answer: not coverage"))
      << why(d.prompt);
  d = route(slow, {0.9, kNow - 3600}, WebMode::automatic, kNow, o);
  EXPECT_EQ(d.tier, Tier::local);
  EXPECT_TRUE(has_reason(d.reasons, "within the 24 h TTL of a slow-changing answer"));
  d = route(slow, {0.9, 0}, WebMode::automatic, kNow, o);
  EXPECT_TRUE(d.needs_web());
  EXPECT_TRUE(has_reason(d.reasons, "unknown age is not coverage"));
  // Offline, an old source still answers (the pipeline adds its staleness note).
  EXPECT_EQ(route(slow, {0.9, kNow - 200 * 86400}, WebMode::never, kNow, o).tier, Tier::local);

  const PromptClass settled = classify_prompt("What is the capital of France?", kNow);
  ASSERT_EQ(settled.freshness, Freshness::never);
  EXPECT_EQ(route(settled, {0.9, kNow - 400 * 86400}, WebMode::automatic, kNow, o).tier, Tier::local);
  EXPECT_TRUE(route(settled, {0.3, kNow - 60}, WebMode::automatic, kNow, o).needs_web());

  // The classifier's "no retrieval" yields to a covering knowledge base; a rule's does not.
  PromptClass learned_none;
  learned_none.retrieval = false;
  learned_none.decided_by = "classifier";
  d = route(learned_none, {0.9, kNow - 400 * 86400}, WebMode::automatic, kNow, o);
  EXPECT_EQ(d.tier, Tier::local);
  EXPECT_TRUE(has_reason(d.reasons, "the knowledge base covers it"));
  EXPECT_EQ(route(learned_none, {0.3, kNow}, WebMode::automatic, kNow, o).tier, Tier::none);
  const PromptClass greeting = classify_prompt("hello!", kNow);
  EXPECT_EQ(route(greeting, {1.0, kNow}, WebMode::automatic, kNow, o).tier, Tier::none);

  const PromptClass fast = classify_prompt("What is the price of bitcoin right now?", kNow);
  ASSERT_EQ(fast.freshness, Freshness::fast);
  EXPECT_EQ(route(fast, {0.9, kNow - 120}, WebMode::automatic, kNow, o).tier, Tier::local);
  EXPECT_EQ(route(fast, {0.9, kNow - 3600}, WebMode::automatic, kNow, o).tier, Tier::web_light);
}

TEST(RouteModel, WeightsFileFormat) {
  RouteModel m;
  owlet::Error err;
  EXPECT_FALSE(RouteModel::parse("not weights\n", &m, &err));
  EXPECT_EQ(err.kind, owlet::ErrorKind::parse);
  EXPECT_FALSE(RouteModel::parse("owlet-router-weights 1\nview\twords\nbias\t0\t0\n", &m, &err));
  EXPECT_NE(err.message.find("line 3"), std::string::npos) << err.message;
  EXPECT_FALSE(RouteModel::parse("owlet-router-weights 1\nview\twords\nbias\t0\t0\t0\n", &m, &err))
      << "a view with no weights";
  ASSERT_TRUE(RouteModel::parse("owlet-router-weights 1\n# a comment\nview\twords\nthreshold\tchanging\t0.25\n"
                                "bias\t-1\t0\t2\nw:now\t3\t0.5\t0\nview\tconcepts\nbias\t0\t0\t0\n",
                                &m, &err))
      << err.message;
  EXPECT_DOUBLE_EQ(m.threshold(FeatureView::words, RouteHead::changing), 0.25);
  const HeadScore s = m.score(FeatureView::words, RouteHead::changing, {"bias", "w:now", "w:unknown"});
  EXPECT_NEAR(s.logit, 2.0, 1e-6);
  ASSERT_EQ(s.top.size(), 1u);
  EXPECT_EQ(s.top[0].feature, "w:now");
  // serialize() round-trips.
  RouteModel again;
  ASSERT_TRUE(RouteModel::parse(m.serialize(), &again, &err)) << err.message;
  EXPECT_EQ(again.serialize(), m.serialize());
  // The shipped weights load, both views.
  EXPECT_GT(RouteModel::builtin().size(FeatureView::words), 1000u);
  EXPECT_GT(RouteModel::builtin().size(FeatureView::concepts), 100u);
}
