// Experiment arms end to end: a config with two arms builds one pipeline per
// arm (app::build_stack), the server assigns clients to arms stickily,
// the arm shows in each answer's route and as a label on /metrics, and
// POST /api/feedback counts thumbs up/down per arm. Real loopback HTTP, the
// tiny model, a fixture web.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "integration/answer_world.h"
#include "config/config.h"
#include "llm/model_manager.h"
#include "server/server.h"
#include "support/test_support.h"
#include "web/fixture_server.h"

using json = nlohmann::json;
using namespace owlet;
using web::test::FixtureRequest;
using web::test::FixtureResponse;
using web::test::FixtureServer;

namespace {

struct ArmsStack : test::AnswerWorld {
  ArmsStack() {
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
    const std::vector<std::pair<std::string, std::string>> keys = {
        {"learn", "false"},
        {"num_predict", "4"},
        // Two arms that differ in the router: one never goes online, one always does.
        {"experiment_arms", "kbonly:50,webfirst:50"},
        {"arm.kbonly.web", "never"},
        {"arm.kbonly.coverage_threshold", "0"},
        {"arm.webfirst.web", "always"},
        {"arm.webfirst.coverage_threshold", "1"},
        {"arm.webfirst.max_sources", "2"},
    };
    for (const auto& [k, v] : keys) set(k, v);
    start();
  }

  // A client name (sent as X-Owlet-Client) that the experiment puts on `arm`.
  std::string client_on(const std::string& arm) const {
    for (int i = 0; i < 1000; ++i) {
      std::string name = "user-" + std::to_string(i);
      int a = stack.experiment.assign("client:" + name);
      if (a >= 0 && stack.experiment.arms()[static_cast<size_t>(a)].name == arm) return name;
    }
    ADD_FAILURE() << "no client lands on " << arm;
    return "";
  }

  json ask(const std::string& client, const std::string& question) {
    httplib::Headers h;
    if (!client.empty()) h.emplace("X-Owlet-Client", client);
    auto res = cli->Post("/api/answer", h, json{{"question", question}, {"stream", false}}.dump(), "application/json");
    EXPECT_TRUE(res);
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body, nullptr, false);
  }

  httplib::Result feedback(const json& body) {
    return cli->Post("/api/feedback", body.dump(), "application/json");
  }
};

}  // namespace

TEST(Experiments, ArmsAreStickyReportedAndLabelled) {
  ArmsStack s;
  ASSERT_EQ(s.stack.arm_pipelines.size(), 2u);
  const std::string a = s.client_on("kbonly"), b = s.client_on("webfirst");

  // Client a: its arm never goes online, whatever the question says.
  json a1 = s.ask(a, "What is the owl news today?");
  EXPECT_EQ(a1["route"]["arm"], "kbonly") << a1.dump();
  EXPECT_EQ(a1["route"]["tier"], "local") << a1.dump();
  json a2 = s.ask(a, "Tell me about barn owls.");
  EXPECT_EQ(a2["route"]["arm"], "kbonly") << a2.dump();  // sticky

  // Client b: its arm always does, and cites at most 2 sources.
  json b1 = s.ask(b, "Any owl news this week?");
  EXPECT_EQ(b1["route"]["arm"], "webfirst") << b1.dump();
  EXPECT_EQ(b1["route"]["tier"].get<std::string>().rfind("web", 0), 0u) << b1.dump();
  EXPECT_LE(b1["sources"].size(), 2u);
  json b2 = s.ask(b, "Tell me about snowy owls.");
  EXPECT_EQ(b2["route"]["arm"], "webfirst") << b2.dump();

  // Without a header the address decides, and keeps deciding the same way.
  json n1 = s.ask("", "What do owls eat?");
  json n2 = s.ask("", "Where do owls live?");
  ASSERT_TRUE(n1["route"].contains("arm")) << n1.dump();
  EXPECT_EQ(n1["route"]["arm"], n2["route"]["arm"]);

  // Grounded Ollama chat goes through the same chooser.
  httplib::Headers h{{"X-Owlet-Client", a}};
  json chat{{"model", s.model},
            {"messages", json::array({{{"role", "user"}, {"content", "Is there owl news today?"}}})},
            {"stream", false},
            {"options", {{"num_predict", 3}}}};
  auto c = s.cli->Post("/api/chat", h, chat.dump(), "application/json");
  ASSERT_TRUE(c);
  ASSERT_EQ(c->status, 200) << c->body << " for " << chat.dump();
  EXPECT_EQ(json::parse(c->body)["route"]["arm"], "kbonly") << c->body;

  std::string metrics = s.cli->Get("/metrics")->body;
  EXPECT_NE(metrics.find("owlet_answers_total{arm=\"kbonly\",tier=\"local\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("owlet_answers_total{arm=\"webfirst\",tier=\"web"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("owlet_answer_duration_seconds_bucket{arm=\"kbonly\",tier=\"local\""), std::string::npos);
  EXPECT_NE(metrics.find("owlet_online_query_ratio{arm=\"kbonly\"} 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("owlet_online_query_ratio{arm=\"webfirst\"} 1"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("owlet_answers_total{tier="), std::string::npos) << "every answer came from an arm";

  // Feedback, counted under the arm that answered.
  auto f1 = s.feedback({{"id", a1["id"]}, {"rating", "up"}, {"comment", "good"}});
  ASSERT_TRUE(f1);
  ASSERT_EQ(f1->status, 200) << f1->body;
  EXPECT_EQ(json::parse(f1->body), (json{{"ok", true}, {"arm", "kbonly"}}));
  ASSERT_EQ(s.feedback({{"id", a2["id"]}, {"rating", "up"}})->status, 200);
  auto f2 = s.feedback({{"id", b1["id"]}, {"rating", "down"}});
  ASSERT_EQ(f2->status, 200) << f2->body;
  EXPECT_EQ(json::parse(f2->body)["arm"], "webfirst");
  metrics = s.cli->Get("/metrics")->body;
  EXPECT_NE(metrics.find("owlet_feedback_total{arm=\"kbonly\",rating=\"up\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("owlet_feedback_total{arm=\"webfirst\",rating=\"down\"} 1"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("owlet_feedback_total{arm=\"webfirst\",rating=\"up\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("endpoint=\"/api/feedback\""), std::string::npos) << "feedback has its own endpoint label";
}

TEST(Experiments, FeedbackRejectsUnknownIdsAndBadBodies) {
  ArmsStack s;
  auto check = [&](const std::string& body, int status, const std::string& contains) {
    auto res = s.cli->Post("/api/feedback", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << body << " -> " << res->body;
    json j = json::parse(res->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << res->body;
    EXPECT_NE(j["error"].get<std::string>().find(contains), std::string::npos) << j.dump();
  };
  check(json{{"id", "ans_0000"}, {"rating", "up"}}.dump(), 404, "unknown");
  check("{", 400, "JSON");
  check(json{{"rating", "up"}}.dump(), 400, "id");
  check(json{{"id", 5}, {"rating", "up"}}.dump(), 400, "id");
  json a = s.ask(s.client_on("kbonly"), "Tell me about barn owls.");
  check(json{{"id", a["id"]}, {"rating", "meh"}}.dump(), 400, "rating");
  check(json{{"id", a["id"]}}.dump(), 400, "rating");
  check(json{{"id", a["id"]}, {"rating", "up"}, {"comment", 3}}.dump(), 400, "comment");
  // Nothing was counted by the rejected calls.
  std::string metrics = s.cli->Get("/metrics")->body;
  EXPECT_EQ(metrics.find("owlet_feedback_total"), std::string::npos) << metrics;
}

TEST(Experiments, StackRejectsBadArmsNamingTheKey) {
  test::TempDir dir;
  auto build = [&](const std::vector<std::pair<std::string, std::string>>& keys, owlet::Error* err) {
    Config cfg;
    std::string why;
    EXPECT_TRUE(config_set(cfg, "knowledge_path", (dir.path() / "kb").string(), &why)) << why;
    for (const auto& [k, v] : keys) EXPECT_TRUE(config_set(cfg, k, v, &why)) << why;
    app::Stack stack;
    app::StackOptions no_models;
    no_models.models = false;
    bool ok = app::build_stack(cfg, no_models, &stack, err);
    if (ok) {
      EXPECT_EQ(stack.arm_pipelines.size(), stack.experiment.arms().size());
      std::string arm = "unset";
      EXPECT_NE(stack.choose("client:x", &arm), nullptr);
      if (stack.experiment.active()) EXPECT_NE(arm, "");
      else EXPECT_EQ(arm, "");
    }
    return ok;
  };
  owlet::Error err;
  EXPECT_TRUE(build({}, &err)) << err;
  EXPECT_TRUE(build({{"experiment_arms", "a:1,b:3"}, {"arm.b.search_providers", "wikipedia"}}, &err)) << err;
  EXPECT_FALSE(build({{"experiment_arms", "a:1,b:3"}, {"arm.b.search_providers", "altavista"}}, &err));
  EXPECT_EQ(err.message.rfind("arm.b.search_providers: unknown provider 'altavista'", 0), 0u) << err;
  EXPECT_FALSE(build({{"experiment_arms", "a:1"}, {"arm.c.web", "never"}}, &err));
  EXPECT_NE(err.message.find("arm 'c' is not listed"), std::string::npos) << err;
}
