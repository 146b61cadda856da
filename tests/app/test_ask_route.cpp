// `owlet ask` (the real binary) and the router: prompts that need no retrieval get
// tier `none` and never reach the search engine, in English and Chinese; a factual
// question searches with its own words only. The search engine is a SearxNG-shaped
// loopback server that logs every query.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "web/logging_search.h"

using json = nlohmann::json;
using owlet::test::fixture_model;
using owlet::test::ProcessOptions;
using owlet::test::ProcessResult;
using owlet::test::run_process;
using owlet::test::TempDir;
using owlet::web::test::LoggingSearchApi;

namespace {

ProcessOptions env_for(TempDir& home, const LoggingSearchApi& search) {
  ProcessOptions o;
  o.timeout = std::chrono::seconds(300);  // each ask loads the model; shared machines are slow
  o.env = {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=", "OWLET_MODEL=", "OWLET_CONFIG=",
           "OWLET_WEB=auto", "OWLET_KNOWLEDGE_PATH=" + (home.path() / "kb").string(),
           "OWLET_SEARCH_PROVIDERS=searxng", "OWLET_SEARXNG_URL=" + search.base_url(),
           "OWLET_ALLOW_PRIVATE=127.0.0.1",
           // The retrieval deadline runs from the request's start, model load included:
           // generous, so a loaded machine cannot turn a search into "offline".
           "OWLET_TOTAL_DEADLINE_MS=120000", "OWLET_SEARCH_DEADLINE_MS=60000"};
  return o;
}

json ask_json(const std::string& question, ProcessOptions o) {
  const ProcessResult r = run_process({OWLET_BINARY, "ask", "--model", fixture_model("qwen2-tiny"), "--threads", "2",
                                 "--ctx-size", "1024", "-n", "4", "--json", question},
                                o);
  EXPECT_EQ(r.exit_code, 0) << question << "\n" << r.err;
  json j = json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.out << r.err;
  return j.is_object() ? j : json::object();
}

}  // namespace

TEST(AskRoute, NoRetrievalPromptsNeverSearch) {
  TempDir home;
  LoggingSearchApi search("Oslo", "The current mayor of Oslo is Ingrid Fjell.",
                          "<p>The current mayor of Oslo is Ingrid Fjell.</p>");
  for (const char* q : {"hi", "你好", "Write a haiku about autumn.", "把这句话翻译成英文：今天很开心",
                        "def fib(n): fix the bug in this code"}) {
    const json j = ask_json(q, env_for(home, search));
    EXPECT_EQ(j.value("/route/tier"_json_pointer, ""), "none") << q << ": " << j.dump();
  }
  EXPECT_TRUE(search.queries().empty()) << "searched for: " << search.queries()[0];

  // The human-readable summary on stderr names the tier and the reason.
  ProcessResult r = run_process({OWLET_BINARY, "ask", "--model", fixture_model("qwen2-tiny"), "--threads", "2",
                                 "--ctx-size", "1024", "-n", "4", "Write a haiku about autumn."},
                                env_for(home, search));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[route] none (llm): a writing task → the model alone, no search | why: no retrieval: writing "
                       "'Write a haiku'"),
            std::string::npos)
      << r.err;

  const json f = ask_json("Who is the current mayor of Oslo?", env_for(home, search));
  EXPECT_EQ(f.value("/route/tier"_json_pointer, "").rfind("web", 0), 0u) << f.dump();
  ASSERT_EQ(search.queries().size(), 1u);
  EXPECT_EQ(search.queries()[0], "Who is the current mayor of Oslo?");
}

// The README's first question is answered from sources; questions about the user's
// notes are answered from the ingested notes; `--local` forces the knowledge base;
// the route line says why in words.
TEST(AskRoute, FactsComeFromSourcesAndNotesFromTheKnowledgeBase) {
  TempDir home;
  LoggingSearchApi search("Rayleigh scattering",
                          "The sky is blue because air molecules scatter short blue wavelengths of sunlight more.",
                          "<p>The sky is blue because air molecules scatter short blue wavelengths of sunlight more "
                          "strongly than red ones (Rayleigh scattering).</p>");
  ProcessOptions no_learning = env_for(home, search);
  no_learning.env.push_back("OWLET_LEARN=false");  // the second ask must not find the first one's page locally
  const json sky = ask_json("Why is the sky blue?", no_learning);
  EXPECT_EQ(sky.value("/route/tier"_json_pointer, "").rfind("web", 0), 0u) << sky.dump();
  ASSERT_FALSE(sky.value("sources", json::array()).empty()) << sky.dump();
  ASSERT_EQ(search.queries().size(), 1u);
  const json zh = ask_json("为什么天空是蓝色的？", no_learning);
  EXPECT_EQ(zh.value("/route/tier"_json_pointer, "").rfind("web", 0), 0u) << zh.dump();
  EXPECT_NE(zh.value("/route/summary"_json_pointer, "").find("asks for facts '为什么'"), std::string::npos) << zh.dump();
  ASSERT_EQ(search.queries().size(), 2u);
  ProcessResult r = run_process({OWLET_BINARY, "ask", "--model", fixture_model("qwen2-tiny"), "--threads", "2",
                                 "--ctx-size", "1024", "-n", "4", "--no-cache", "Why is the sky blue?"},
                                no_learning);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("asks for facts 'Why' → knowledge base, then web: no local source covers it"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("Sources:\n[1] Rayleigh scattering"), std::string::npos) << r.out;

  // Notes, ingested as a user would.
  const auto notes = home.path() / "notes";
  std::filesystem::create_directories(notes);
  owlet::test::write_file(notes / "bike.md", "My bicycle is a green Brompton with a brown leather saddle.\n");
  owlet::test::write_file(notes / "recipes.md",
                          "# Grandma's pancakes\n\nMix 200 g flour, two eggs and 300 ml milk, then fry thin pancakes "
                          "in butter.\n");
  ProcessOptions o = env_for(home, search);
  const ProcessResult ing = run_process({OWLET_BINARY, "ingest", notes.string()}, o);
  ASSERT_EQ(ing.exit_code, 0) << ing.err;
  const size_t before = search.queries().size();
  auto ask_notes = [&](const std::string& q, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{OWLET_BINARY, "ask", "--engine", "extractive", "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(q);
    const ProcessResult a = run_process(argv, o);
    EXPECT_EQ(a.exit_code, 0) << q << a.err;
    json j = json::parse(a.out, nullptr, false);
    return j.is_object() ? j : json::object();
  };
  const json bike = ask_notes("What colour is my bicycle?");
  EXPECT_EQ(bike.value("/route/tier"_json_pointer, ""), "local") << bike.dump();
  EXPECT_NE(bike.value("answer", "").find("green Brompton"), std::string::npos) << bike.dump();
  const json cakes = ask_notes("How do I make grandma's pancakes?");
  EXPECT_EQ(cakes.value("/route/tier"_json_pointer, ""), "local") << cakes.dump();
  EXPECT_NE(cakes.value("/sources/0/url"_json_pointer, "").find("recipes.md"), std::string::npos) << cakes.dump();
  EXPECT_EQ(search.queries().size(), before) << "the notes answered; nothing goes to the web";

  // --local: the knowledge base even for a prompt the router would answer alone, never the web.
  const json local = ask_notes("Write a haiku about my bicycle.", {"--local"});
  EXPECT_EQ(local.value("/route/tier"_json_pointer, ""), "local") << local.dump();
  EXPECT_NE(local.value("answer", "").find("Brompton"), std::string::npos) << local.dump();
  const json local_fact = ask_notes("Who painted the Mona Lisa?", {"--local"});
  EXPECT_EQ(local_fact.value("/route/tier"_json_pointer, ""), "local") << local_fact.dump();
  EXPECT_EQ(search.queries().size(), before);
}
