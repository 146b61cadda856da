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
  EXPECT_NE(r.err.find("[route] none (llm): no retrieval: writing 'Write a haiku'"), std::string::npos) << r.err;

  const json f = ask_json("Who is the current mayor of Oslo?", env_for(home, search));
  EXPECT_EQ(f.value("/route/tier"_json_pointer, "").rfind("web", 0), 0u) << f.dump();
  ASSERT_EQ(search.queries().size(), 1u);
  EXPECT_EQ(search.queries()[0], "Who is the current mayor of Oslo?");
}
