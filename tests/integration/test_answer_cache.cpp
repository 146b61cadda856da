// Issue #25, "an answer cache that never lies", through the real server and the
// real CLI: what the cache serves is what the request would get from today's
// sources. Each test is one bullet of the list of failures.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "integration/answer_world.h"
#include "kb/knowledge_base.h"
#include "support/test_support.h"

using json = nlohmann::json;
using namespace owlet;
using test::ProcessResult;

namespace {

// A complete answer from the random-weight model: the grammar allows exactly
// this text, then only the end of the turn (done_reason "stop").
std::string exactly(const std::string& text) { return "root ::= \"" + text + "\""; }

struct World : test::AnswerWorld {
  explicit World(const std::string& engine = "extractive") {
    set("engine", engine);
    set("web", "never");  // the knowledge base is the only source: no search fixture needed
    set("num_predict", "12");
    server_options.api_key = "k3y";
    EXPECT_TRUE(start());
    cli->set_bearer_token_auth("k3y");
  }
  std::string kb_dir() const { return (dir.path() / "kb").string(); }
  json post(const std::string& path, const json& body) {
    auto r = cli->Post(path, body.dump(), "application/json");
    if (!r) return json{{"http", 0}};
    json j = json::parse(r->body, nullptr, false);
    if (!j.is_object()) j = json{{"body", r->body}};
    j["http"] = r->status;
    return j;
  }
  json ask(const std::string& q) { return post("/api/answer", {{"question", q}, {"stream", false}}); }
  int ingest(const std::string& source, const std::string& text) {
    return post("/api/ingest", {{"source", source}, {"text", text}})["http"].get<int>();
  }
  ProcessResult owlet(std::vector<std::string> args) {
    args.insert(args.begin(), OWLET_BINARY);
    args.push_back("--knowledge-path");
    args.push_back(kb_dir());
    test::ProcessOptions o;
    o.env = {"HOME=" + dir.path().string(), "OWLET_CONFIG="};
    return test::run_process(args, o);
  }
  std::string metrics() { return cli->Get("/metrics")->body; }
};

std::string tier(const json& j) { return j.contains("route") ? j["route"].value("tier", "") : "?"; }

// The chat body of one question to the default model, with extra fields merged in.
json chat(const std::string& model, const std::string& q, const json& extra = json::object()) {
  json b{{"model", model}, {"messages", json::array({{{"role", "user"}, {"content", q}}})}, {"stream", false}};
  b.update(extra);
  return b;
}

}  // namespace

// "Deleted and changed documents keep being quoted."
TEST(AnswerCache, RemovedOrReplacedDocumentsAreNeverQuoted) {
  World w;
  const std::string q = "What is the guest Wi-Fi password?";
  ASSERT_EQ(w.ingest("notes/wifi.txt", "The guest Wi-Fi password is hoot-hoot-42."), 200);
  json a = w.ask(q);
  ASSERT_EQ(a["http"], 200) << a.dump();
  EXPECT_NE(a["answer"].get<std::string>().find("hoot-hoot-42"), std::string::npos) << a.dump();
  EXPECT_EQ(tier(w.ask(q)), "cache");

  // `owlet kb rm`, a second process on the same knowledge base, says what it dropped.
  ProcessResult rm = w.owlet({"kb", "rm", "notes/wifi.txt"});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed notes/wifi.txt; dropped 1 cached answer"), std::string::npos) << rm.out;
  json after = w.ask(q);
  EXPECT_NE(tier(after), "cache") << after.dump();
  EXPECT_EQ(after["answer"].get<std::string>().find("hoot-hoot-42"), std::string::npos) << after.dump();

  // Replaced through the API: the old text's answers go with it.
  ASSERT_EQ(w.ingest("notes/wifi.txt", "The guest Wi-Fi password is hoot-hoot-42."), 200);
  EXPECT_NE(w.ask(q)["answer"].get<std::string>().find("hoot-hoot-42"), std::string::npos);
  EXPECT_EQ(tier(w.ask(q)), "cache");
  json re = w.post("/api/ingest", {{"source", "notes/wifi.txt"}, {"text", "The guest Wi-Fi password is tawny-77."}});
  EXPECT_EQ(re["status"], "replaced") << re.dump();
  EXPECT_EQ(re["dropped_answers"], 1) << re.dump();
  json now = w.ask(q);
  EXPECT_NE(tier(now), "cache");
  EXPECT_NE(now["answer"].get<std::string>().find("tawny-77"), std::string::npos) << now.dump();
  EXPECT_EQ(now["answer"].get<std::string>().find("hoot-hoot-42"), std::string::npos) << now.dump();

  // Replaced by `owlet ingest` from a file: the answers built on it go, and it says how many.
  test::TempDir docs;
  const std::string staff = "What is the staff Wi-Fi password?";
  test::write_file(docs / "staff.txt", "The staff Wi-Fi password is barn-owl-9.");
  ASSERT_EQ(w.owlet({"ingest", (docs / "staff.txt").string()}).exit_code, 0);
  json s1 = w.ask(staff);
  ASSERT_NE(s1["answer"].get<std::string>().find("barn-owl-9"), std::string::npos) << s1.dump();
  ASSERT_EQ(tier(w.ask(staff)), "cache");
  test::write_file(docs / "staff.txt", "The staff Wi-Fi password is kestrel-5.");
  ProcessResult in = w.owlet({"ingest", (docs / "staff.txt").string()});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  EXPECT_NE(in.err.find("1 replaced"), std::string::npos) << in.err;
  EXPECT_NE(in.err.find("dropped 1 cached answers"), std::string::npos) << in.err;
  json s2 = w.ask(staff);
  EXPECT_NE(tier(s2), "cache");
  EXPECT_NE(s2["answer"].get<std::string>().find("kestrel-5"), std::string::npos) << s2.dump();
  EXPECT_EQ(s2["answer"].get<std::string>().find("barn-owl-9"), std::string::npos) << s2.dump();
}

// "No source found outlives new sources."
TEST(AnswerCache, NoSourceFoundGoesWhenKnowledgeArrives) {
  World w;
  const std::string q = "What colour is my bicycle?";
  json none = w.ask(q);
  ASSERT_EQ(none["http"], 200) << none.dump();
  EXPECT_TRUE(none["sources"].empty()) << none.dump();
  EXPECT_EQ(tier(w.ask(q)), "cache") << "stored while the knowledge base stays as it is";
  test::TempDir docs;
  test::write_file(docs / "bike.md", "The colour of my bicycle is green: a Dutch city bike with a wicker basket.");
  ProcessResult in = w.owlet({"ingest", (docs / "bike.md").string()});
  ASSERT_EQ(in.exit_code, 0) << in.err;
  json found = w.ask(q);
  EXPECT_NE(tier(found), "cache") << found.dump();
  EXPECT_NE(found["answer"].get<std::string>().find("green"), std::string::npos) << found.dump();
}

// "Requests that want a different answer get the cached one" and "No fresh
// answer on request": the key covers the options, only complete answers are
// stored, a request for a sample or with cache false is not served the cache.
TEST(AnswerCache, RequestsThatWantADifferentAnswerGetOne) {
  World w("llm");
  const std::string q = "Why do owls hoot at night?";
  // Cut by num_predict: not stored, and never passed off as complete.
  json cut = w.post("/api/chat", chat(w.model, q, {{"options", {{"num_predict", 1}}}}));
  ASSERT_EQ(cut["http"], 200) << cut.dump();
  EXPECT_EQ(cut["done_reason"], "length");
  json cut2 = w.post("/api/chat", chat(w.model, q, {{"options", {{"num_predict", 1}}}}));
  EXPECT_NE(tier(cut2), "cache") << cut2.dump();
  EXPECT_EQ(w.post("/api/answer", {{"question", q}})["http"], 200);  // streamed, default options
  auto st = w.cli->Get("/api/cache");
  ASSERT_TRUE(st);
  EXPECT_EQ(json::parse(st->body)["entries"], 0) << "length-cut answers are never stored: " << st->body;

  // A complete answer is stored and served to the same request...
  const json g = {{"grammar", exactly("Owls hoot.")}};
  json full = w.post("/api/chat", chat(w.model, q, g));
  ASSERT_EQ(full["done_reason"], "stop") << full.dump();
  json again = w.post("/api/chat", chat(w.model, q, g));
  EXPECT_EQ(tier(again), "cache") << again.dump();
  EXPECT_EQ(again["message"]["content"], full["message"]["content"]);
  // ...but not to one with another limit, another API's limit, stop strings or system prompt.
  json g40 = g;
  g40["options"] = {{"num_predict", 40}};
  EXPECT_NE(tier(w.post("/api/chat", chat(w.model, q, g40))), "cache");
  json oa = chat(w.model, q, g);
  oa["max_tokens"] = 30;
  auto r = w.cli->Post("/v1/chat/completions", oa.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(json::parse(r->body)["route"].value("tier", ""), "cache") << r->body;
  json stop = g;
  stop["options"] = {{"stop", {"hoot"}}};
  EXPECT_NE(tier(w.post("/api/chat", chat(w.model, q, stop))), "cache");

  // A sample asked for (its own temperature, no seed) is never the cached one;
  // with a seed it is deterministic, so it is cached under its own key.
  json hot = g;
  hot["options"] = {{"temperature", 0.8}};
  EXPECT_NE(tier(w.post("/api/chat", chat(w.model, q, hot))), "cache");
  EXPECT_NE(tier(w.post("/api/chat", chat(w.model, q, hot))), "cache");
  json seeded = g;
  seeded["options"] = {{"temperature", 0.8}, {"seed", 7}};
  EXPECT_NE(tier(w.post("/api/chat", chat(w.model, q, seeded))), "cache");
  EXPECT_EQ(tier(w.post("/api/chat", chat(w.model, q, seeded))), "cache");
  EXPECT_EQ(tier(w.post("/api/chat", chat(w.model, q, g))), "cache") << "leaving sampling to the server may be served";

  // cache: false on /api/chat and /v1/chat/completions (the web page's regenerate).
  json fresh = g;
  fresh["cache"] = false;
  EXPECT_NE(tier(w.post("/api/chat", chat(w.model, q, fresh))), "cache");
  json oaf = chat(w.model, q, g);
  oaf["cache"] = false;
  r = w.cli->Post("/v1/chat/completions", oaf.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(json::parse(r->body)["route"].value("tier", ""), "cache") << r->body;
  json owf = chat(w.model, q, g);
  owf["owlet"] = {{"cache", false}};
  EXPECT_NE(tier(w.post("/api/chat", owf)), "cache");
  // /api/generate takes the field too (it has no answer cache); a bad value is a 400.
  json gen{{"model", w.model}, {"prompt", q}, {"stream", false}, {"cache", false}, {"options", {{"num_predict", 2}}}};
  EXPECT_EQ(w.post("/api/generate", gen)["http"], 200);
  gen["cache"] = "no";
  json bad = w.post("/api/generate", gen);
  EXPECT_EQ(bad["http"], 400);
  EXPECT_NE(bad.value("error", "").find("cache"), std::string::npos) << bad.dump();
  fresh["cache"] = 1;
  EXPECT_EQ(w.post("/api/chat", chat(w.model, q, fresh))["http"], 400);
}

// "Near-duplicates that are different questions match."
TEST(AnswerCache, ParaphrasesMatchDifferentQuestionsDoNot) {
  World w;
  ASSERT_EQ(w.ingest("notes/paris.txt", "Paris is the capital of France and its largest city."), 200);
  ASSERT_EQ(w.ingest("notes/why.txt", "Paris became the capital because the Capetian kings ruled from it."), 200);
  json is = w.ask("Is Paris the capital of France?");
  ASSERT_EQ(is["http"], 200) << is.dump();
  EXPECT_EQ(tier(w.ask("Is Paris the capital of France?")), "cache");
  json para = w.ask("Please, is Paris the capital of France");
  EXPECT_EQ(tier(para), "cache") << para.dump();
  EXPECT_EQ(para["route"]["cache_match"], "paraphrase");
  EXPECT_EQ(para["answer"], is["answer"]);
  for (const char* other : {"Why is Paris the capital of France?", "When was Paris the capital of France?",
                            "Is Paris not the capital of France?", "Is Lyon the capital of France?"}) {
    json j = w.ask(other);
    EXPECT_NE(tier(j), "cache") << other << " -> " << j.dump();
  }
  // Hits by kind in /metrics and `owlet kb stats`.
  const std::string m = w.metrics();
  EXPECT_NE(m.find("owlet_answer_cache_hits_total{kind=\"exact\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("owlet_answer_cache_hits_total{kind=\"paraphrase\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("owlet_answer_cache_entries 5"), std::string::npos) << m;
  EXPECT_NE(m.find("owlet_answer_cache_bytes "), std::string::npos) << m;
  w.stack.knowledge.kb->flush(nullptr);
  ProcessResult st = w.owlet({"kb", "stats", "--json"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  json s = json::parse(st.out);
  EXPECT_EQ(s["cached_answers"], 5);
  EXPECT_EQ(s["cache_hits_exact"], 1);
  EXPECT_EQ(s["cache_hits_paraphrase"], 1);
  EXPECT_EQ(s["cache_lookups"], 7);
  EXPECT_GT(s["cached_answer_bytes"].get<int>(), 0);
}

// "There is no command or endpoint to clear the cache."
TEST(AnswerCache, ClearedByTheApiAndTheCli) {
  World w;
  ASSERT_EQ(w.ingest("notes/owls.txt", "Tawny owls hoot at dusk to hold their territory."), 200);
  const std::string q = "When do tawny owls hoot?";
  w.ask(q);
  ASSERT_EQ(tier(w.ask(q)), "cache");
  // Behind the API key like every endpoint.
  httplib::Client anon("127.0.0.1", w.srv->port());
  auto denied = anon.Delete("/api/cache");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  auto del = w.cli->Delete("/api/cache");
  ASSERT_TRUE(del);
  ASSERT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(json::parse(del->body)["cleared"], 1);
  EXPECT_NE(tier(w.ask(q)), "cache");
  EXPECT_EQ(tier(w.ask(q)), "cache");
  EXPECT_EQ(w.post("/api/cache/clear", json::object())["cleared"], 1);
  EXPECT_NE(tier(w.ask(q)), "cache");
  ProcessResult clear = w.owlet({"cache", "clear"});
  ASSERT_EQ(clear.exit_code, 0) << clear.err;
  EXPECT_NE(clear.out.find("cleared 1 cached answer"), std::string::npos) << clear.out;
  EXPECT_NE(tier(w.ask(q)), "cache");
}
