// The router through the real server: prompts that need no retrieval (greetings, a
// haiku, a code fix, a translation, in English and Chinese) never reach the search
// engine and show tier `none` on every API that carries a route; a factual question
// does search; a pasted document never appears in a search query; a local source
// older than its class's TTL is not coverage. The "web" is a SearxNG-shaped loopback
// server that logs every query it receives.
#include <gtest/gtest.h>
#include <httplib.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <sstream>

#include "answer/route_refiner.h"
#include "answer_world.h"
#include "kb/knowledge_base.h"
#include "llm/model_manager.h"
#include "web/logging_search.h"

using json = nlohmann::json;
using namespace owlet;

namespace {

// An internal memo: if any run of its words shows up in a search query, the guard failed.
const char* kMemo =
    "Confidential memo for the Northwind Lantern board. Project Glowworm will acquire the Tromso wick factory "
    "for forty million crowns before the winter audit. Staff must not discuss the Glowworm price with the press. "
    "The night shift bonus rises by twelve percent and the Bergen office closes in March.";

struct Stack {
  web::test::LoggingSearchApi search{"Oslo city hall", "The current mayor of Oslo is Ingrid Fjell, elected this autumn.",
                                     "<html><head><title>Oslo city hall</title></head><body><p>The current mayor of "
                                     "Oslo is Ingrid Fjell, elected this autumn.</p></body></html>"};
  test::AnswerWorld w;  // built from a Config by the composition root, served over loopback HTTP
  httplib::Client* cli = nullptr;
  kb::KnowledgeBase* kb = nullptr;
  std::string model = w.model;
  int64_t now = static_cast<int64_t>(std::time(nullptr));

  explicit Stack(bool router_model = false) {
    w.set("searxng_url", search.base_url());  // the logging search API, not the world's own web
    w.set("learn", "false");                  // the knowledge base holds only what a test puts there
    w.set("num_predict", "4");
    if (router_model) w.set("router_model", "true");
    EXPECT_TRUE(w.start());
    cli = w.cli.get();
    kb = w.stack.knowledge.kb.get();
  }

  size_t searches() { return search.count(); }
  std::vector<std::string> logged() { return search.queries(); }

  // POST /api/answer, one object.
  json answer(const std::string& question, json extra = json::object()) {
    json body = extra;
    body["question"] = question;
    body["stream"] = false;
    auto res = cli->Post("/api/answer", body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return json::object();
    EXPECT_EQ(res->status, 200) << question << " -> " << res->body;
    return json::parse(res->body, nullptr, false);
  }
};

std::string reasons_of(const json& route) {
  std::string s;
  for (const auto& r : route.value("reasons", json::array())) s += r.get<std::string>() + "; ";
  return s;
}

bool has_reason(const json& route, const std::string& part) { return reasons_of(route).find(part) != std::string::npos; }

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> w;
  std::istringstream in(s);
  for (std::string x; in >> x;) w.push_back(x);
  return w;
}

// No four consecutive words of the memo in the query, and at most 32 words in all.
void expect_clean_query(const std::string& query) {
  const std::vector<std::string> m = words_of(kMemo);
  for (size_t i = 0; i + 4 <= m.size(); ++i) {
    const std::string gram = m[i] + " " + m[i + 1] + " " + m[i + 2] + " " + m[i + 3];
    EXPECT_EQ(query.find(gram), std::string::npos) << "pasted text in a search query: '" << gram << "' in " << query;
  }
  EXPECT_EQ(query.find("Glowworm"), std::string::npos) << query;
  EXPECT_LE(words_of(query).size(), 32u) << query;
}

}  // namespace

TEST(Router, PromptsThatNeedNoRetrievalNeverSearch) {
  Stack s;
  const std::vector<std::string> prompts = {
      "hi",
      "你好",
      "Write a haiku about autumn.",
      "写一首关于秋天的俳句",
      "def fib(n): fix the bug in this code\n```python\ndef fib(n):\n    return fib(n - 1) + fib(n - 2)\n```",
      "修复这段代码的bug：\n```\nfor i in range(10) print(i)\n```",
      "Translate into French: I am very happy today.",
      "把这句话翻译成英文：今天很开心",
  };
  for (const std::string& p : prompts) {
    const json j = s.answer(p);
    EXPECT_EQ(j["route"]["tier"], "none") << p << ": " << j["route"].dump();
    EXPECT_TRUE(has_reason(j["route"], "no retrieval")) << p << ": " << reasons_of(j["route"]);
    EXPECT_TRUE(j["sources"].empty()) << p;
    EXPECT_FALSE(j["answer"].get<std::string>().empty()) << p << ": the model answers directly";
  }
  EXPECT_EQ(s.searches(), 0u) << "searched for: " << (s.searches() ? s.logged()[0] : "");

  // The same through grounded chat (Ollama and OpenAI shapes) and the streamed answer API.
  json chat{{"model", s.model},
            {"messages", json::array({{{"role", "user"}, {"content", "Hello there!"}}})},
            {"stream", false},
            {"options", {{"num_predict", 3}}}};
  auto r1 = s.cli->Post("/api/chat", chat.dump(), "application/json");
  ASSERT_EQ(r1->status, 200) << r1->body;
  EXPECT_EQ(json::parse(r1->body)["route"]["tier"], "none") << r1->body;
  json oa{{"model", s.model},
          {"messages", json::array({{{"role", "user"}, {"content", "写一首关于月亮的诗"}}})},
          {"max_tokens", 3}};
  auto r2 = s.cli->Post("/v1/chat/completions", oa.dump(), "application/json");
  ASSERT_EQ(r2->status, 200) << r2->body;
  EXPECT_EQ(json::parse(r2->body)["route"]["tier"], "none") << r2->body;
  auto r3 = s.cli->Post("/api/answer", json{{"question", "thanks!"}}.dump(), "application/json");
  ASSERT_EQ(r3->status, 200);
  const json first = json::parse(r3->body.substr(0, r3->body.find('\n')));
  EXPECT_EQ(first["type"], "route");
  EXPECT_EQ(first["route"]["tier"], "none") << first.dump();
  EXPECT_EQ(s.searches(), 0u);

  // A factual question does search, and says why.
  const json f = s.answer("Who is the current mayor of Oslo?");
  EXPECT_TRUE(f["route"]["tier"].get<std::string>().rfind("web", 0) == 0) << f["route"].dump();
  EXPECT_TRUE(has_reason(f["route"], "time cue 'current'")) << reasons_of(f["route"]);
  EXPECT_TRUE(f["route"].contains("classifier")) << f["route"].dump();
  ASSERT_EQ(s.searches(), 1u);
  EXPECT_EQ(s.logged()[0], "Who is the current mayor of Oslo?");
  // The metrics count tier none like any other.
  const std::string metrics = s.cli->Get("/metrics")->body;
  EXPECT_NE(metrics.find("owlet_answers_total{tier=\"none\"}"), std::string::npos) << metrics;
}

TEST(Router, APastedDocumentIsNeverPartOfASearchQuery) {
  Stack s;
  const std::vector<std::string> prompts = {
      std::string("Here is our internal memo:\n\n") + kMemo + "\n\nWho is the current mayor of Oslo?",
      std::string("Who is the current mayor of Oslo? Context: ") + kMemo,
      std::string("Is this consistent with the news? \"") + kMemo + "\" Who is the current mayor of Oslo?",
      std::string("> ") + kMemo + "\nWho is the current mayor of Oslo?",
      std::string(kMemo) + "\n\nWho runs Oslo now?",
  };
  for (const std::string& p : prompts) {
    for (const char* web : {"auto", "always"}) {
      const size_t before = s.searches();
      s.answer(p, {{"web", web}, {"cache", false}});
      const std::vector<std::string> q = s.logged();
      for (size_t i = before; i < q.size(); ++i) expect_clean_query(q[i]);
      if (std::string(web) == "always") {
        EXPECT_GT(q.size(), before) << "web=always searches: " << p;
      }
    }
  }
  // A prompt that is all pasted material has nothing to search for, even with web=always.
  const size_t before = s.searches();
  const json j = s.answer(std::string("```\n") + kMemo + "\n```", {{"web", "always"}});
  EXPECT_EQ(s.searches(), before);
  EXPECT_TRUE(has_reason(j["route"], "no question of its own")) << reasons_of(j["route"]);
  EXPECT_EQ(j["route"]["tier"], "local") << "nothing was searched: " << j["route"].dump();
}

TEST(Router, ALocalSourceOlderThanItsClassTtlIsNotCoverage) {
  Stack s;
  kb::Document doc;
  doc.source = "file:///notes/oslo.txt";
  doc.title = "Oslo notes";
  doc.text = "The current mayor of Oslo is Marius Holm. Oslo city hall stands by the harbour.";
  doc.fetched_at = s.now - 200 * 86400;  // ingested 200 days ago
  ASSERT_TRUE(s.kb->add(doc).ok());

  const json old = s.answer("Who is the current mayor of Oslo?");
  EXPECT_TRUE(old["route"]["tier"].get<std::string>().rfind("web", 0) == 0) << old["route"].dump();
  EXPECT_GE(old["route"]["coverage"].get<double>(), 0.7) << "the note matches the question";
  EXPECT_TRUE(has_reason(old["route"], "local source fetched 200 d ago is older than the")) << reasons_of(old["route"]);
  EXPECT_TRUE(has_reason(old["route"], "-changing answer: not coverage")) << reasons_of(old["route"]);
  EXPECT_EQ(s.searches(), 1u);

  // The same note, fresh: it covers the question and no search is made.
  doc.text += " Updated this morning.";
  doc.fetched_at = s.now - 120;
  ASSERT_TRUE(s.kb->add(doc).ok());
  const json fresh = s.answer("Who is the current mayor of Oslo?", {{"cache", false}});
  EXPECT_EQ(fresh["route"]["tier"], "local") << fresh["route"].dump();
  EXPECT_TRUE(has_reason(fresh["route"], "local source fetched 2 min ago is within the")) << reasons_of(fresh["route"]);
  EXPECT_EQ(s.searches(), 1u);

  // A settled question is covered by a source of any age.
  kb::Document settled;
  settled.source = "file:///notes/ibsen.txt";
  settled.title = "Ibsen";
  settled.text = "Henrik Ibsen wrote the play A Doll's House, first staged in Copenhagen in 1879.";
  settled.fetched_at = s.now - 900 * 86400;
  ASSERT_TRUE(s.kb->add(settled).ok());
  const json ibsen = s.answer("Who wrote the play A Doll's House?");
  EXPECT_EQ(ibsen["route"]["tier"], "local") << ibsen["route"].dump();
  EXPECT_EQ(s.searches(), 1u);
}

TEST(Router, ModelAssistedRouterAsksTheModelOnlyWhenUnsure) {
  Stack s(/*router_model=*/true);
  // Near the classifier's threshold: the loaded model is asked (the tiny fixture's
  // reply is noise, so it either labels the prompt or leaves the classifier's call).
  const json unsure = s.answer("Where do barn owls nest?");
  ASSERT_TRUE(unsure["route"].contains("classifier")) << unsure["route"].dump();
  EXPECT_TRUE(unsure["route"]["classifier"]["uncertain"].get<bool>()) << unsure["route"].dump();
  EXPECT_TRUE(has_reason(unsure["route"], "router model")) << reasons_of(unsure["route"]);
  // Rules and confident decisions never wait for the model.
  for (const char* q : {"hi", "What is the weather in Oslo today?", "Who won the 2018 World Cup?"}) {
    const json j = s.answer(q);
    EXPECT_FALSE(has_reason(j["route"], "router model")) << q << ": " << reasons_of(j["route"]);
  }
  // Off by default.
  Stack plain;
  EXPECT_FALSE(has_reason(plain.answer("Where do barn owls nest?")["route"], "router model"));
}

TEST(Router, RouterModelPromptReusesItsCachedPrefix) {
  llm::ModelManagerParams mp;
  mp.engine.n_slots = 1;
  mp.engine.n_ctx_slot = 1024;
  mp.engine.n_threads = 2;
  llm::ModelManager models(mp);
  Error err;
  auto handle = models.acquire(test::fixture_model("qwen2-tiny"), std::nullopt, &err);
  ASSERT_TRUE(handle) << err;
  answer::RefineOutcome first, second;
  Error e;
  answer::PromptClass pc;
  answer::refine_with_model(*handle, "Where do barn owls nest?", &pc, &first, &e);
  answer::refine_with_model(*handle, "How long do barn owls live?", &pc, &second, &e);
  EXPECT_GT(first.prompt_tokens, 50) << "the instructions and the question";
  EXPECT_GT(second.cached_tokens, first.prompt_tokens / 2) << "the instructions' KV is reused";
  EXPECT_GT(second.ms, 0.0);
}

// The product rule: a prompt that asks for facts is answered from sources, in
// English and Chinese; direct tasks stay offline; a question about the user's own
// things is answered from their notes; the route says why in plain words.
TEST(Router, FactQuestionsAreAnsweredFromSources) {
  Stack s;
  const std::vector<std::string> questions = {
      "Why is the sky blue?",
      "How does a refrigerator keep food cold?",
      "When did the Berlin Wall fall?",
      "Tell me about the Eiffel Tower.",
      "Is the Great Wall of China visible from space?",
      "谁发明了电话？",
      "光合作用是什么？",
      "长城有多长",
      "为什么海水是咸的？",
      "介绍一下敦煌莫高窟",
  };
  size_t searched = 0;
  for (const std::string& q : questions) {
    const json j = s.answer(q);
    EXPECT_TRUE(j["route"]["tier"].get<std::string>().rfind("web", 0) == 0) << q << ": " << j["route"].dump();
    EXPECT_NE(j["route"].value("summary", "").find("asks for facts"), std::string::npos) << q << ": " << j["route"].dump();
    EXPECT_NE(j["route"].value("summary", "").find("knowledge base, then web"), std::string::npos) << j["route"].dump();
    EXPECT_EQ(s.searches(), ++searched) << q;
  }
  // Direct tasks, in both languages, never search.
  for (const std::string& p : std::vector<std::string>{
           "Give me five ideas for a rainy Sunday with kids.",
           "Classify each of these as fruit or vegetable: apple, carrot, banana, leek.",
           "Rewrite this sentence to sound friendlier: Send me the report now.",
           "What is 12 * 37?",
           "How do I reverse a list in Python?",
           "给我推荐几个周末活动的点子",
           "把下面这句话改写得更正式一些：明天我不来了。",
           "一个数的3倍加5等于20，这个数是多少？",
           "用Python写一个读取CSV文件的函数",
           "你觉得哪个季节最好？",
       }) {
    const json j = s.answer(p);
    EXPECT_EQ(j["route"]["tier"], "none") << p << ": " << j["route"].dump();
    EXPECT_NE(j["route"].value("summary", "").find("the model alone"), std::string::npos) << j["route"].dump();
  }
  EXPECT_EQ(s.searches(), searched) << "a direct task searched: " << s.logged().back();
}

TEST(Router, QuestionsAboutYourOwnThingsAreAnsweredFromYourNotes) {
  Stack s;
  kb::Document bike;
  bike.source = "file:///home/me/notes/bike.md";
  bike.title = "bike.md";
  bike.text = "My bicycle is a green Brompton with a brown leather saddle. I bought it in Leeds in 2019.";
  bike.fetched_at = s.now - 30 * 86400;
  ASSERT_TRUE(s.kb->add(bike).ok());
  kb::Document recipe;
  recipe.source = "file:///home/me/notes/recipes.md";
  recipe.title = "recipes.md";
  recipe.text = "# Grandma's pancakes\n\nMix 200 g flour, two eggs and 300 ml milk. Rest the batter for an hour, "
                "then fry thin pancakes in butter.";
  recipe.fetched_at = s.now - 30 * 86400;
  ASSERT_TRUE(s.kb->add(recipe).ok());

  const json b = s.answer("What colour is my bicycle?", {{"engine", "extractive"}});
  EXPECT_EQ(b["route"]["tier"], "local") << b["route"].dump();
  ASSERT_FALSE(b["sources"].empty()) << b.dump();
  EXPECT_EQ(b["sources"][0]["url"], "file:///home/me/notes/bike.md") << b.dump();
  EXPECT_NE(b["answer"].get<std::string>().find("green Brompton"), std::string::npos) << b["answer"];
  EXPECT_NE(b["route"].value("summary", "").find("about your own things 'my bicycle'"), std::string::npos)
      << b["route"].dump();

  const json p = s.answer("How do I make grandma's pancakes?", {{"engine", "extractive"}});
  EXPECT_EQ(p["route"]["tier"], "local") << p["route"].dump();
  ASSERT_FALSE(p["sources"].empty()) << p.dump();
  EXPECT_EQ(p["sources"][0]["url"], "file:///home/me/notes/recipes.md") << p.dump();
  EXPECT_NE(p["route"].value("summary", "").find("about your own things 'grandma's pancakes'"), std::string::npos)
      << p["route"].dump();

  kb::Document zh_note;
  zh_note.source = "file:///home/me/notes/车.md";
  zh_note.title = "车.md";
  zh_note.text = "我的自行车是绿色的布朗普顿，车座是棕色的皮革。";
  zh_note.fetched_at = s.now - 30 * 86400;
  ASSERT_TRUE(s.kb->add(zh_note).ok());
  const json zh = s.answer("我的自行车是什么颜色的？", {{"engine", "extractive"}});
  EXPECT_EQ(zh["route"]["tier"], "local") << zh["route"].dump();
  EXPECT_NE(zh["route"].value("summary", "").find("about your own things"), std::string::npos) << zh["route"].dump();
  EXPECT_NE(zh["answer"].get<std::string>().find("绿色"), std::string::npos) << zh["answer"];
  EXPECT_EQ(s.searches(), 0u) << "the notes answered: " << (s.searches() ? s.logged()[0] : "");
}
