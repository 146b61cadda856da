// The learned router with its shipped weights: direct-task rules and cue questions
// in English and Chinese, reasons that name features, coverage with age, and the
// weights file format.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "answer/direct_tasks.h"
#include "answer/fact_question.h"
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

TEST(DirectTasks, BrainstormingClassificationAndOpinionInBothLanguages) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Give me a list of ideas for a birthday party.", "brainstorming"},
      {"Can you suggest some names for a grey kitten?", "brainstorming"},
      {"What are some fun ways to spend a rainy afternoon?", "brainstorming"},
      {"帮我想几个咖啡店的名字", "brainstorming"},
      {"有什么好的减压建议？", "brainstorming"},
      {"Classify these as mammals or birds: whale, eagle, bat, penguin.", "classification"},
      {"Which of the following are prime numbers: 4, 7, 9, 11?", "classification"},
      {"把这些动物分类：猫、鹰、鲸鱼", "classification"},
      {"What do you think about pineapple on pizza?", "opinion"},
      {"你觉得猫和狗哪个更可爱？", "opinion"},
      {"Write a short bio of a fictional violinist.", "writing"},
      {"帮我写一封请假条，明天要去看医生", "writing"},
      {"How do I read a JSON file in Python?", "code"},
      {"用JavaScript实现一个防抖函数", "code"},
      {"一个长方形长5米宽3米，求它的面积", "maths"},
  };
  for (const auto& [prompt, kind] : cases) {
    EXPECT_EQ(detect_direct_task(prompt).kind, kind) << prompt;
    const PromptClass c = classify_prompt(prompt, kNow);
    EXPECT_FALSE(c.retrieval) << prompt << ": " << why(c);
    EXPECT_EQ(c.direct_task, kind) << prompt;
  }
}

TEST(FactQuestions, TheFormsOfAQuestionInBothLanguages) {
  const std::vector<std::pair<std::string, QuestionForm>> cases = {
      {"Why do cats purr?", QuestionForm::strong},
      {"who wrote the Odyssey", QuestionForm::strong},
      {"How many bones are in the human body?", QuestionForm::strong},
      {"What is a black hole?", QuestionForm::strong},
      {"In which country is Timbuktu?", QuestionForm::strong},
      {"Did the Romans have concrete?", QuestionForm::strong},
      {"Tell me about the history of tea.", QuestionForm::strong},
      {"Explain how vaccines work", QuestionForm::strong},
      {"What are the main exports of Chile?", QuestionForm::open},
      {"How do I get a passport?", QuestionForm::open},
      {"什么是量子计算？", QuestionForm::strong},
      {"珠穆朗玛峰有多高", QuestionForm::strong},
      {"秦始皇是哪一年统一六国的", QuestionForm::strong},
      {"鲸鱼是鱼吗", QuestionForm::strong},
      {"介绍一下苏州园林", QuestionForm::strong},
      {"Banana bread recipe", QuestionForm::none},
  };
  for (const auto& [prompt, form] : cases)
    EXPECT_EQ(detect_fact_question(prompt).form, form) << prompt << ": '" << detect_fact_question(prompt).match << "'";
  EXPECT_TRUE(detect_fact_question("Where did I leave my passport?").personal);
  EXPECT_EQ(detect_fact_question("Where did I leave my passport?").personal_match, "my passport");
  EXPECT_TRUE(detect_fact_question("我的护照放在哪里了？").personal);
  EXPECT_FALSE(detect_fact_question("Who painted the Night Watch?").personal);
}

TEST(RouteClassifier, AQuestionForFactsRetrievesWhateverTheClassifierSays) {
  for (const char* q : {"Why is the sky blue?", "How does a bicycle stay upright?", "Who was Ada Lovelace?",
                        "为什么天空是蓝色的？", "地球到月球有多远？", "谁是第一个登上月球的人", "熊猫吃什么"}) {
    const PromptClass c = classify_prompt(q, kNow);
    EXPECT_TRUE(c.retrieval) << q << ": " << why(c);
    EXPECT_NE(c.question, QuestionForm::none) << q;
    const RouteDecision d = route(c, {}, WebMode::automatic, kNow);
    EXPECT_TRUE(d.needs_web()) << q;
    EXPECT_NE(d.summary.find("→ knowledge base, then web: no local source covers it"), std::string::npos) << d.summary;
  }
  // The same questions about pasted text are answered from that text.
  std::string doc;
  for (int i = 0; i < 6; ++i) doc += "The committee met on Tuesday and agreed to repaint the hall in a pale green colour. ";
  const PromptClass pasted = classify_prompt("Why did the committee meet?\n\n" + doc, kNow);
  EXPECT_FALSE(pasted.retrieval) << why(pasted);
}

TEST(RouteClassifier, YourOwnThingsAreAnsweredFromTheKnowledgeBase) {
  const PromptClass c = classify_prompt("What colour is my bicycle?", kNow);
  EXPECT_TRUE(c.personal);
  // A note that covers it answers, whatever the classifier thought of the words.
  const RouteDecision d = route(c, LocalEvidence{0.5, kNow - 86400}, WebMode::automatic, kNow);
  EXPECT_EQ(d.tier, Tier::local) << d.summary;
  EXPECT_EQ(d.summary, "about your own things 'my bicycle' → knowledge base: a local source covers it");
  // Nothing in the notes: never a web search for it unless the classifier asks for one.
  const RouteDecision none = route(c, LocalEvidence{0.0, 0}, WebMode::automatic, kNow);
  EXPECT_EQ(none.tier == Tier::local, false);
  // --local: the knowledge base for anything, a direct task included, and never the web.
  RouterOptions forced;
  forced.force_retrieval = true;
  const PromptClass haiku = classify_prompt("Write a haiku about autumn.", kNow, forced);
  EXPECT_TRUE(haiku.retrieval) << why(haiku);
  EXPECT_EQ(route(haiku, {}, WebMode::never, kNow).tier, Tier::local);
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
