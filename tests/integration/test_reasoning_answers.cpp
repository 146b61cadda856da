// Reasoning models in owlet's own answers and tools, end to end over loopback:
// a grounded answer from DeepSeek-R1-Distill-Qwen's real template keeps the
// thinking out of the answer, its citation check, the answer cache and the
// knowledge base; "owlet": {"tools": true} runs the model's web_search /
// web_fetch calls through the providers, SSRF guard and learner; and Ollama's
// web search API (/api/web_search, /api/web_fetch) over the same services.
//
// A random-weight model says what a test needs through a GBNF grammar that
// forces the completion text: the engine generates it token by token and the
// template's parser reads it back, as it would a real model's.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"
#include "integration/answer_world.h"
#include "kb/knowledge_base.h"
#include "web/http_client.h"

using json = nlohmann::json;
using namespace owlet;
using web::test::FixtureRequest;
using web::test::FixtureResponse;

namespace {

std::string exactly(const std::string& text) {
  std::string g = "root ::= \"";
  for (char c : text) {
    if (c == '"' || c == '\\') g += '\\', g += c;
    else if (c == '\n') g += "\\n";
    else g += c;
  }
  return g + "\"";
}

std::vector<json> ndjson(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line, nullptr, false));
  return out;
}

const char* kPage =
    "<html><head><title>Owl census</title></head><body><p>The owl census counted 412 nesting pairs of snowy owls "
    "this week.</p><p>See <a href=\"/methods\">how owls are counted</a>.</p></body></html>";

// A fixture web: a SearxNG-shaped search that finds the census page, the page,
// and a page far over the fetch size limit.
struct World : test::AnswerWorld {
  std::atomic<int> searches{0};
  std::string last_query;
  std::mutex mu;
  explicit World(const std::string& fixture) {
    web.route("GET", "/search", [this](const FixtureRequest& q) {
      ++searches;
      {
        std::lock_guard lk(mu);
        last_query = q.param("q");
      }
      FixtureResponse r;
      r.content_type = "application/json";
      r.body = json{{"results", json::array({{{"url", web.url("/census")},
                                              {"title", "Owl census"},
                                              {"content", "The owl census counted 412 nesting pairs."}},
                                             {{"url", web.url("/other")},
                                              {"title", "Owl calls"},
                                              {"content", "Owls hoot to keep their territory."}}})}}
                   .dump();
      return r;
    });
    web.route("GET", "/census", [](const FixtureRequest&) {
      FixtureResponse r;
      r.body = kPage;
      return r;
    });
    web.route("GET", "/huge", [](const FixtureRequest&) {
      FixtureResponse r;
      r.body = "<html><body><p>" + std::string(200 * 1024, 'o') + "</p></body></html>";
      return r;
    });
    model = test::fixture_model(fixture);
    set("model", model);
    set("temperature", "0.8");
    set("num_predict", "160");
    options.tune_http = [](web::ClientOptions& o) { o.max_body_bytes = 64 * 1024; };
  }
};

// Thought first (R1's prompt opens <think>), then the answer. The thought's [2]
// and [3] point at sources that do not exist; the answer's [7] too.
const std::string kThought = "Source zyxwvut [2] and [3] look relevant.";
const std::string kCompletion = kThought + "\n</think>\n\nThe census counted 412 pairs [1]. A stray claim [7].";
const std::string kAnswer = "The census counted 412 pairs [1]. A stray claim.";

}  // namespace

TEST(ReasoningAnswers, ThinkingStaysOutOfTheAnswerTheCitationsTheCacheAndTheKnowledge) {
  World w("r1-qwen-tiny");
  ASSERT_TRUE(w.start());
  const std::string q = "How many owl pairs did the census count this week?";
  json body{{"question", q}, {"web", "always"}, {"stream", false}, {"grammar", exactly(kCompletion)}};
  auto res = w.cli->Post("/api/answer", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json a = json::parse(res->body);
  EXPECT_EQ(a["thinking"], kThought) << "returned apart, untouched";
  EXPECT_EQ(a["answer"], kAnswer) << "only the answer's dangling [7] is removed";
  EXPECT_EQ(a["citations_removed"], 1) << "the thought's [2] and [3] are no citations";
  ASSERT_GE(a["sources"].size(), 1u);

  // The answer cache holds the answer alone.
  const auto entries = w.stack.knowledge.kb->cache_list();
  ASSERT_EQ(entries.size(), 1u);
  const auto* cached = &entries[0];
  EXPECT_EQ(cached->answer, kAnswer);
  EXPECT_EQ(cached->answer.find("zyxwvut"), std::string::npos);
  json again = json::parse(w.cli->Post("/api/answer", body.dump(), "application/json")->body);
  EXPECT_EQ(again["route"]["tier"], "cache");
  EXPECT_EQ(again["answer"], kAnswer);
  EXPECT_EQ(again["thinking"], "");

  // The knowledge base learned the page it read, and nothing of the thought.
  w.stack.pipeline->wait_learning();
  EXPECT_FALSE(w.stack.knowledge.kb->search("census nesting pairs", 5).hits.empty());
  EXPECT_TRUE(w.stack.knowledge.kb->search("zyxwvut", 5).hits.empty());
}

// Issue #25: `think: false` then `think: true` on the same question: the second
// is not given the no-thinking reply (the cache key holds thinking and effort).
TEST(ReasoningAnswers, ThinkingOnAndOffAreCachedApart) {
  World w("r1-qwen-tiny");
  ASSERT_TRUE(w.start());
  const std::string q = "How many owl pairs did the census count this week?";
  const std::string completion = "Counting.\n</think>\n\nThe census counted 412 pairs [1].";
  auto ask = [&](const json& think) {
    json body{{"question", q}, {"web", "always"}, {"stream", false}, {"grammar", exactly(completion)}};
    if (!think.is_null()) body["think"] = think;
    auto res = w.cli->Post("/api/answer", body.dump(), "application/json");
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "no response");
    return res ? json::parse(res->body) : json::object();
  };
  json off = ask(false);
  EXPECT_EQ(off["done_reason"], "stop") << off.dump();
  EXPECT_EQ(ask(false)["route"]["tier"], "cache") << "the same request is served";
  json on = ask(true);
  EXPECT_NE(on["route"]["tier"], "cache") << on.dump();
  EXPECT_EQ(on["thinking"], "Counting.") << "this reply thinks";
  EXPECT_EQ(ask(true)["route"]["tier"], "cache");
}

TEST(ReasoningAnswers, StreamedThinkingIsItsOwnEventsAndChunks) {
  World w("r1-qwen-tiny");
  ASSERT_TRUE(w.start());
  // /api/answer: "thinking" events, then "token" events of the answer.
  auto res = w.cli->Post("/api/answer",
                         json{{"question", "How many owl pairs were counted?"}, {"web", "always"},
                              {"grammar", exactly(kCompletion)}}
                             .dump(),
                         "application/json");
  ASSERT_TRUE(res && res->status == 200);
  std::string thinking, tokens;
  json done;
  for (const auto& e : ndjson(res->body)) {
    if (e["type"] == "thinking") {
      EXPECT_TRUE(tokens.empty()) << "the thought comes before the answer";
      thinking += e["content"].get<std::string>();
    }
    if (e["type"] == "token") tokens += e["content"].get<std::string>();
    if (e["type"] == "done") done = e;
  }
  EXPECT_EQ(owlet::trimmed(thinking), kThought);
  EXPECT_EQ(tokens, kAnswer);
  EXPECT_EQ(done["answer"], kAnswer);
  EXPECT_EQ(done["thinking"], kThought);

  // Grounded Ollama chat: message.thinking chunks apart from content; sources at the end.
  json chat{{"model", w.model},
            {"messages", json::array({{{"role", "user"}, {"content", "Owl census pairs counted this week?"}}})},
            {"options", {{"web", "always"}}},
            {"grammar", exactly(kCompletion)}};
  auto c = w.cli->Post("/api/chat", chat.dump(), "application/json");
  ASSERT_TRUE(c && c->status == 200) << (c ? c->body : "");
  std::string t2, content;
  json last;
  for (const auto& e : ndjson(c->body)) {
    if (e["message"].contains("thinking")) t2 += e["message"]["thinking"].get<std::string>();
    content += e["message"]["content"].get<std::string>();
    last = e;
  }
  EXPECT_EQ(owlet::trimmed(t2), kThought);
  EXPECT_EQ(content, kAnswer);
  EXPECT_EQ(last["done"], true);
  EXPECT_FALSE(last["sources"].empty());
}

// owlet's tools: the model's web_search call runs through the providers; at the
// round limit it is offered no more of owlet's tools and what it says is the
// answer. Llama 3.1 calls tools with bare JSON, which the grammar forces.
TEST(ReasoningAnswers, OwletToolsRunTheModelsSearchThroughTheProviders) {
  World w("llama31-tiny");
  w.set("max_tool_rounds", "1");
  ASSERT_TRUE(w.start());
  const std::string call = R"({"name": "web_search", "parameters": {"query": "owl census"}})";
  json body{{"model", w.model},
            {"messages", json::array({{{"role", "user"}, {"content", "How many owl pairs?"}}})},
            {"stream", false},
            {"owlet", {{"tools", true}}},
            {"grammar", exactly(call)}};
  auto res = w.cli->Post("/api/chat", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(w.searches.load(), 1) << "one round of owlet's tools, then it must answer";
  {
    std::lock_guard lk(w.mu);
    EXPECT_EQ(w.last_query, "owl census");
  }
  EXPECT_EQ(j["route"]["tier"], "tools");
  EXPECT_EQ(j["route"]["tool_rounds"], 1);
  ASSERT_EQ(j["sources"].size(), 2u) << j.dump();
  EXPECT_EQ(j["sources"][0]["n"], 1);
  EXPECT_EQ(j["sources"][0]["title"], "Owl census");
  EXPECT_FALSE(j["message"].contains("tool_calls")) << "owlet's own calls are not the client's business";
  EXPECT_EQ(j["message"]["content"], call) << "with no tools on offer the same words are just words";
}

TEST(ReasoningAnswers, OwletToolsFetchThroughTheSsrfGuardAndLearn) {
  World w("llama31-tiny");
  w.set("max_tool_rounds", "1");
  ASSERT_TRUE(w.start());
  auto ask = [&](const std::string& url) {
    const std::string call = R"({"name": "web_fetch", "parameters": {"url": ")" + url + R"("}})";
    json body{{"model", w.model},
              {"messages", json::array({{{"role", "user"}, {"content", "Read this page."}}})},
              {"stream", false},
              {"owlet", {{"tools", true}}},
              {"grammar", exactly(call)}};
    auto res = w.cli->Post("/api/chat", body.dump(), "application/json");
    EXPECT_TRUE(res && res->status == 200) << (res ? res->body : "");
    return res ? json::parse(res->body) : json();
  };
  json blocked = ask("http://10.1.2.3/admin");
  EXPECT_TRUE(blocked["sources"].empty());
  ASSERT_TRUE(blocked["route"].contains("web_errors")) << blocked.dump();
  EXPECT_NE(blocked["route"]["web_errors"][0].get<std::string>().find("web_fetch"), std::string::npos);

  json read = ask(w.web.url("/census"));
  ASSERT_EQ(read["sources"].size(), 1u) << read.dump();
  EXPECT_EQ(read["sources"][0]["origin"], "web-page");
  EXPECT_EQ(read["sources"][0]["title"], "Owl census");
  w.stack.pipeline->wait_learning();
  EXPECT_FALSE(w.stack.knowledge.kb->search("snowy owls nesting pairs", 5).hits.empty());
}

// ---------------------------------------------------------------- Ollama's web search API

TEST(WebApi, SearchAndFetchThroughOwletsProviders) {
  World w("qwen2-tiny");
  w.set("deny_domains", "localhost");
  ASSERT_TRUE(w.start());
  auto post = [&](const std::string& path, const json& body) { return w.cli->Post(path, body.dump(), "application/json"); };

  auto s = post("/api/web_search", {{"query", "owl census"}, {"max_results", 1}});
  ASSERT_TRUE(s && s->status == 200) << (s ? s->body : "");
  json sr = json::parse(s->body);
  ASSERT_EQ(sr["results"].size(), 1u);
  EXPECT_EQ(sr["results"][0]["title"], "Owl census");
  EXPECT_EQ(sr["results"][0]["url"], w.web.url("/census"));
  EXPECT_EQ(sr["results"][0]["content"], "The owl census counted 412 nesting pairs.");
  // ollama-js sends maxResults; Ollama first served these under /api/experimental/.
  auto s2 = post("/api/experimental/web_search", {{"query", "owl census"}, {"maxResults", 5}});
  ASSERT_TRUE(s2 && s2->status == 200);
  EXPECT_EQ(json::parse(s2->body)["results"].size(), 2u);

  auto f = post("/api/web_fetch", {{"url", w.web.url("/census")}});
  ASSERT_TRUE(f && f->status == 200) << (f ? f->body : "");
  json fr = json::parse(f->body);
  EXPECT_EQ(fr["title"], "Owl census");
  EXPECT_NE(fr["content"].get<std::string>().find("412 nesting pairs"), std::string::npos);
  EXPECT_EQ(fr["links"], json::array({w.web.url("/methods")}));
  const int hits = w.web.hits();
  auto again = post("/api/experimental/web_fetch", {{"url", w.web.url("/census")}});
  ASSERT_TRUE(again && again->status == 200);
  EXPECT_EQ(json::parse(again->body)["content"], fr["content"]);
  EXPECT_EQ(w.web.hits(), hits) << "the knowledge cache served the page the second time";

  auto error = [&](const std::string& path, const json& body, int status, const std::string& says) {
    auto r = post(path, body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find(says), std::string::npos) << r->body;
  };
  error("/api/web_fetch", {{"url", "http://10.1.2.3/admin"}}, 422, "private");
  error("/api/web_fetch", {{"url", "http://169.254.169.254/latest/meta-data"}}, 422, "169.254.169.254");
  error("/api/web_fetch", {{"url", w.web.url("/huge")}}, 422, "exceeds");
  error("/api/web_fetch", {{"url", "http://localhost:" + std::to_string(w.web.port()) + "/census"}}, 422, "localhost");
  error("/api/web_fetch", {{"url", "file:///etc/passwd"}}, 400, "");
  error("/api/web_fetch", json::object(), 400, "url");
  error("/api/web_search", {{"query", "  "}}, 400, "empty");
  error("/api/web_search", {{"query", "owls"}, {"max_results", 50}}, 400, "max_results");
}
