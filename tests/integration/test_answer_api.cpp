// owlet's HTTP surface over the pipeline: POST /api/answer (NDJSON events and the
// one-object form) and grounded Ollama/OpenAI chat with their extra `sources` and
// `route` fields, over real loopback HTTP with the tiny model and a fixture web.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "answer/prompt.h"
#include "integration/answer_world.h"
#include "kb/knowledge_base.h"
#include "llm/chat_template.h"

using json = nlohmann::json;
using namespace owlet;
using web::test::FixtureRequest;
using web::test::FixtureResponse;
using web::test::FixtureServer;

namespace {

// The fixture web answers every search with one page about owls.
struct Stack : test::AnswerWorld {
  Stack() {
    web.route("GET", "/search", [this](const FixtureRequest&) {
      FixtureResponse r;
      r.content_type = "application/json";
      r.body = json{{"results", json::array({{{"url", web.url("/owls")},
                                              {"title", "Owl news"},
                                              {"content", "Owl news today: the owl census counted 412 pairs."}}})}}
                   .dump();
      return r;
    });
    web.route("GET", "/owls", [](const FixtureRequest&) {
      FixtureResponse r;
      r.body = "<html><head><title>Owl news</title></head><body><p>Owl news today: the owl census counted 412 "
               "nesting pairs of snowy owls this week.</p></body></html>";
      return r;
    });
    set("num_predict", "6");
    start();
  }
};

std::vector<json> ndjson(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(j);
  }
  EXPECT_TRUE(body.empty() || body.back() == '\n');
  return out;
}

}  // namespace

TEST(AnswerApi, StreamsRouteSourcesTokensDone) {
  Stack s;
  // The grammar ends the answer (done_reason stop): only complete answers are cached.
  const json g = "root ::= \"Owls [1].\"";
  const json opts = {{"num_predict", 24}};
  auto res = s.cli->Post("/api/answer",
                         json{{"question", "What is the owl news today?"}, {"grammar", g}, {"options", opts}}.dump(),
                         "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-ndjson");
  std::vector<json> ev = ndjson(res->body);
  ASSERT_GE(ev.size(), 4u) << res->body;
  EXPECT_EQ(ev[0]["type"], "route");
  EXPECT_TRUE(ev[0]["route"]["tier"] == "web-light" || ev[0]["route"]["tier"] == "web-deep") << ev[0].dump();
  EXPECT_EQ(ev[1]["type"], "sources");
  ASSERT_FALSE(ev[1]["sources"].empty());
  EXPECT_EQ(ev[1]["sources"][0]["n"], 1);
  EXPECT_NE(ev[1]["sources"][0]["url"].get<std::string>().find("/owls"), std::string::npos);
  std::string text;
  for (size_t i = 2; i + 1 < ev.size(); ++i) {
    EXPECT_EQ(ev[i]["type"], "token");
    text += ev[i]["content"].get<std::string>();
  }
  const json& done = ev.back();
  EXPECT_EQ(done["type"], "done");
  EXPECT_EQ(done["answer"], text);
  EXPECT_EQ(done["id"], ev[0]["id"]);
  for (const char* stage : {"cache", "route", "search", "fetch", "extract", "rank", "prompt", "prefill", "generate"})
    EXPECT_TRUE(done["route"]["timings_ms"].contains(stage)) << stage;

  // Once more, not streamed: the answer cache, as one object.
  auto again = s.cli->Post("/api/answer",
                           json{{"question", "What is the owl news today?"}, {"grammar", g}, {"options", opts},
                                {"stream", false}}
                               .dump(),
                           "application/json");
  ASSERT_EQ(again->status, 200);
  json j = json::parse(again->body);
  EXPECT_EQ(j["route"]["tier"], "cache");
  EXPECT_EQ(j["answer"], text);
  auto metrics = s.cli->Get("/metrics")->body;
  EXPECT_NE(metrics.find("owlet_answers_total{tier=\"cache\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("owlet_answer_duration_seconds_bucket{tier=\"cache\""), std::string::npos);
}

TEST(AnswerApi, BadRequestsGetJsonErrors) {
  Stack s;
  auto check = [&](const std::string& body, int status, const std::string& contains) {
    auto res = s.cli->Post("/api/answer", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << body << " -> " << res->body;
    json j = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << res->body;
    EXPECT_NE(j["error"].get<std::string>().find(contains), std::string::npos) << j.dump();
  };
  check("{", 400, "JSON");
  check(json{{"stream", false}}.dump(), 400, "question");
  check(json{{"question", "  "}}.dump(), 400, "empty");
  check(json{{"question", "hi"}, {"web", "sometimes"}}.dump(), 400, "web");
  check(json{{"question", "hi"}, {"engine", "magic"}}.dump(), 400, "engine");
  check(json{{"question", "hi"}, {"model", "no-such:model"}}.dump(), 404, "not found");
  EXPECT_EQ(s.cli->Get("/health")->status, 200);
}

TEST(AnswerApi, GroundedChatCarriesSourcesAndRoute) {
  Stack s;
  json body{{"model", s.model},
            {"messages", json::array({{{"role", "user"}, {"content", "What is the owl news today?"}}})},
            {"stream", false},
            {"options", {{"num_predict", 5}, {"web", "always"}}}};
  auto res = s.cli->Post("/api/chat", body.dump(), "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(j["message"]["role"], "assistant");
  EXPECT_EQ(j["done"], true);
  EXPECT_EQ(j["eval_count"], 5);
  ASSERT_TRUE(j["sources"].is_array());
  EXPECT_FALSE(j["sources"].empty());
  EXPECT_TRUE(j["route"]["tier"].get<std::string>().rfind("web", 0) == 0) << j["route"].dump();

  // web=never per request, through the owlet object, on the OpenAI endpoint.
  json oa{{"model", s.model},
          {"messages", json::array({{{"role", "user"}, {"content", "Where do barn owls nest?"}}})},
          {"max_tokens", 4},
          {"owlet", {{"web", "never"}}}};
  auto r2 = s.cli->Post("/v1/chat/completions", oa.dump(), "application/json");
  ASSERT_EQ(r2->status, 200) << r2->body;
  json k = json::parse(r2->body);
  EXPECT_EQ(k["object"], "chat.completion");
  EXPECT_EQ(k["route"]["tier"], "local");
  EXPECT_EQ(k["usage"]["completion_tokens"], 4);

  // Streamed Ollama chat: NDJSON chunks, the last one with sources and route.
  body["stream"] = true;
  body["messages"][0]["content"] = "Any owl news today?";
  auto r3 = s.cli->Post("/api/chat", body.dump(), "application/json");
  ASSERT_EQ(r3->status, 200);
  std::vector<json> lines = ndjson(r3->body);
  ASSERT_GE(lines.size(), 2u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i]["done"], false);
  EXPECT_EQ(lines.back()["done"], true);
  EXPECT_TRUE(lines.back().contains("sources"));
  EXPECT_TRUE(lines.back().contains("route"));

  json bad = body;
  bad["options"]["web"] = 3;
  auto r4 = s.cli->Post("/api/chat", bad.dump(), "application/json");
  EXPECT_EQ(r4->status, 400);
  EXPECT_NE(r4->body.find("options.web"), std::string::npos) << r4->body;
}

// A prompt longer than the model's context is the client's to fix: the same
// 400 from every API, grounded or not, with the engine's own reason.
TEST(AnswerApi, OverLongPromptIsTheSame400EverywhereAndTheServerStaysUp) {
  Stack s;
  std::string question;
  for (int i = 0; i < 3000; ++i) question += "owl ";  // ~3000 tokens; the context holds 2048
  question += "?";
  const json messages = json::array({{{"role", "user"}, {"content", question}}});
  struct Call {
    const char* path;
    json body;
  };
  const std::vector<Call> calls = {
      {"/api/answer", {{"question", question}, {"stream", false}, {"cache", false}, {"web", "never"}}},
      {"/api/chat", {{"model", s.model}, {"messages", messages}, {"stream", false}}},
      {"/api/chat", {{"model", s.model}, {"messages", messages}, {"stream", false}, {"owlet", {{"ground", false}}}}},
      {"/api/generate", {{"model", s.model}, {"prompt", question}, {"stream", false}}},
      {"/v1/chat/completions", {{"model", s.model}, {"messages", messages}}},
      {"/v1/chat/completions", {{"model", s.model}, {"messages", messages}, {"owlet", {{"ground", false}}}}},
  };
  for (const auto& c : calls) {
    auto res = s.cli->Post(c.path, c.body.dump(), "application/json");
    ASSERT_TRUE(res) << c.path;
    EXPECT_EQ(res->status, 400) << c.path << " " << c.body.dump().substr(0, 80) << ": " << res->body;
    json e = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(e.is_object()) << res->body;
    const std::string msg = e["error"].is_string() ? e["error"].get<std::string>() : e["error"]["message"].get<std::string>();
    EXPECT_NE(msg.find("context holds"), std::string::npos) << c.path << ": " << msg;
  }
  EXPECT_EQ(s.cli->Get("/health")->status, 200);
}

// ---- include_context: the sources block exactly as the model saw it (issue #19)

TEST(AnswerApi, IncludeContextReturnsTheBlockTheModelSaw) {
  Stack s;
  const std::string q = "How many snowy owl pairs were counted this week?";
  json body{{"question", q}, {"web", "always"}, {"cache", false}, {"include_context", true}};
  auto res = s.cli->Post("/api/answer", body.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  std::vector<json> ev = ndjson(res->body);
  ASSERT_GE(ev.size(), 3u);
  ASSERT_EQ(ev[1]["type"], "sources");
  ASSERT_TRUE(ev[1].contains("context")) << "shown with the sources, before the answer starts";
  const std::string context = ev[1]["context"].get<std::string>();
  EXPECT_EQ(context.rfind("<<<SOURCES", 0), 0u) << context;
  EXPECT_NE(context.find("412 nesting pairs"), std::string::npos) << context;
  const json& done = ev.back();
  ASSERT_EQ(done["type"], "done");
  EXPECT_EQ(done["context"], context);

  // Byte for byte: templating the question with this block gives exactly the
  // prompt the server evaluated (its token count).
  Error err;
  auto h = s.stack.models->acquire(s.model, std::nullopt, &err);
  ASSERT_TRUE(h) << err;
  auto tmpl = llm::ChatTemplate::create(h->model(), "", &err);
  ASSERT_TRUE(tmpl) << err;
  std::string prompt;
  ASSERT_TRUE(tmpl->apply(answer::build_messages(q, context, {}, "", answer::iso_date(time(nullptr)), "en"), true,
                          &prompt, &err))
      << err;
  EXPECT_EQ(done["prompt_eval_count"].get<int>(), static_cast<int>(h->engine().tokenize(prompt, true).size()));

  // The one-object form carries it too; without the flag it stays out.
  body["stream"] = false;
  json one = json::parse(s.cli->Post("/api/answer", body.dump(), "application/json")->body);
  EXPECT_EQ(one["context"].get<std::string>().rfind("<<<SOURCES", 0), 0u) << one.dump();
  body.erase("include_context");
  json plain = json::parse(s.cli->Post("/api/answer", body.dump(), "application/json")->body);
  EXPECT_FALSE(plain.contains("context")) << plain.dump();
  auto bad = s.cli->Post("/api/answer", json{{"question", q}, {"include_context", "yes"}}.dump(), "application/json");
  EXPECT_EQ(bad->status, 400) << bad->body;
  EXPECT_NE(bad->body.find("include_context"), std::string::npos) << bad->body;
}

// ---- Issue #26: two unrelated questions whose result lists share a page

namespace {

// Every search returns a hub page (a list of landmarks that names both
// subjects) first, then the page about the question's subject.
struct SharedPageStack : test::AnswerWorld {
  SharedPageStack() {
    web.route("GET", "/search", [this](const FixtureRequest& q) {
      const std::string query = q.param("q");
      const bool bridge = query.find("ridge") != std::string::npos;
      FixtureResponse r;
      r.content_type = "application/json";
      r.body = json{{"results", json::array({{{"url", web.url("/hub")},
                                              {"title", "Yorkshire landmarks"},
                                              {"content", "Landmarks: the Kings Bridge, the Ribblehead Viaduct."}},
                                             {{"url", web.url(bridge ? "/bridge" : "/viaduct")},
                                              {"title", bridge ? "Kings Bridge" : "Ribblehead Viaduct"},
                                              {"content", bridge ? "The Kings Bridge" : "The Ribblehead Viaduct"}}})}}
                   .dump();
      return r;
    });
    auto page = [](const std::string& title, const std::string& body) {
      return [=](const FixtureRequest&) {
        FixtureResponse r;
        r.body = "<html><head><title>" + title + "</title></head><body><article><h1>" + title + "</h1>" + body +
                 "</article></body></html>";
        return r;
      };
    };
    web.route("GET", "/hub", page("Yorkshire landmarks", "<p>Landmarks of Yorkshire include the Kings Bridge in Leeds "
                                                         "and the Ribblehead Viaduct in the Dales.</p><p>See also: "
                                                         "rivers, railways, abbeys.</p>"));
    web.route("GET", "/bridge", page("Kings Bridge", "<p>The Kings Bridge crosses the river Aire in Leeds. It was "
                                                     "opened in 1850 by the mayor. Trams crossed it until 1951.</p>"));
    web.route("GET", "/viaduct", page("Ribblehead Viaduct", "<p>The Ribblehead Viaduct carries the Settle-Carlisle "
                                                            "railway. It has 24 arches. Building it took 2,300 men "
                                                            "from 1870 to 1874.</p>"));
    set("num_predict", "2");
    start();
  }

  json ask(const std::string& q) {
    json body{{"question", q}, {"web", "always"}, {"cache", false}, {"include_context", true}, {"stream", false}};
    auto res = cli->Post("/api/answer", body.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return json::object();
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body, nullptr, false);
  }
};

}  // namespace

TEST(AnswerApi, UnrelatedQuestionAfterASharedPageGetsItsOwnSources) {
  SharedPageStack s;  // the defaults: block reuse and the follow-up prefetch on
  const json a = s.ask("When was the Kings Bridge opened?");
  ASSERT_TRUE(a.contains("context")) << a.dump();
  const std::string ca = a["context"].get<std::string>();
  ASSERT_NE(ca.find("opened in 1850"), std::string::npos) << ca;
  ASSERT_FALSE(a["sources"].empty());
  EXPECT_EQ(a["sources"][0]["url"], s.web.url("/bridge")) << a.dump();

  const json b = s.ask("How many arches does the Ribblehead Viaduct have?");
  ASSERT_TRUE(b.contains("context")) << b.dump();
  const std::string cb = b["context"].get<std::string>();
  EXPECT_NE(cb.find("It has 24 arches."), std::string::npos) << cb;
  EXPECT_EQ(cb.find("1850"), std::string::npos) << "the first question's sentences:\n" << cb;
  EXPECT_EQ(cb.find("Kings Bridge —"), std::string::npos) << cb;
  ASSERT_FALSE(b["sources"].empty());
  EXPECT_EQ(b["sources"][0]["url"], s.web.url("/viaduct")) << "[1] is this question's best source:\n" << b.dump();
  for (const json& src : b["sources"]) {
    EXPECT_NE(src["url"], s.web.url("/bridge")) << b.dump();
    // Every listed source contributes a sentence to the block the model saw.
    EXPECT_NE(cb.find("[" + std::to_string(src["n"].get<int>()) + "] "), std::string::npos) << b.dump();
  }
}
