// Model identity over `owlet serve`: a model given by path is listed (tags,
// /v1/models, show, ps) under its file's stem with size, digest, family and
// quantization like a store model, and answers by that name; two models keep
// their cached answers apart while extractive answers are shared; a loose file
// that changes is a new model to the cache; and a draft model (configured or
// per request) changes no greedy text, is counted in /metrics, and must share
// the target's vocabulary.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "models/pull.h"
#include "models/sha256.h"
#include "support/registry_server.h"
#include "support/serve_process.h"
#include "support/test_support.h"

namespace fs = std::filesystem;
using namespace owlet::test;
using json = nlohmann::json;

namespace {

// Scratch HOME, stores and knowledge base; no web; no default model to pull.
std::vector<std::string> scratch_env(const TempDir& home) {
  const fs::path& h = home.path();
  return {"HOME=" + h.string(),
          "XDG_CONFIG_HOME=" + (h / ".config").string(),
          "OWLET_MODELS=" + (h / "models").string(),
          "OLLAMA_MODELS=" + (h / "ollama").string(),
          "OWLET_KNOWLEDGE_PATH=" + (h / "kb").string(),
          "OWLET_CONFIG=",
          "OWLET_MODEL=",
          "OWLET_WEB=never",
          "OWLET_AUTO_PULL=false"};
}

// A private copy of a fixture, so a test may touch it.
std::string copy_fixture(const TempDir& dir, const std::string& name) {
  fs::path p = dir / (name + ".gguf");
  fs::copy_file(fixture_model(name), p);
  return p.string();
}

std::vector<std::string> serve_args(const std::string& model, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"--model", model, "--threads", "2", "--parallel", "2", "--ctx-size", "1024"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

json get_json(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path);
  if (!r || r->status != 200) return json();
  return json::parse(r->body, nullptr, false);
}

json post_json(httplib::Client& c, const std::string& path, const json& body, int* status = nullptr) {
  auto r = c.Post(path, body.dump(), "application/json");
  if (status) *status = r ? r->status : -1;
  if (!r) return json();
  return json::parse(r->body, nullptr, false);
}

const json* find_by(const json& list, const char* key, const std::string& value) {
  for (const auto& m : list)
    if (m.value(key, "") == value) return &m;
  return nullptr;
}

// A grounded chat turn (through the answer pipeline and its cache).
// A grounded chat turn whose answer is complete (the grammar ends it), so it is cached.
json chat(httplib::Client& c, const std::string& model, const std::string& question) {
  return post_json(c, "/api/chat",
                   {{"model", model},
                    {"messages", json::array({{{"role", "user"}, {"content", question}}})},
                    {"stream", false},
                    {"grammar", "root ::= \"Owls hoot.\""},
                    {"options", {{"num_predict", 32}, {"temperature", 0}, {"seed", 1}}}});
}

// A plain chat turn (no pipeline, no cache), greedy.
json plain_chat(httplib::Client& c, const std::string& model, const json& extra_options = json::object(),
                int* status = nullptr) {
  json options = {{"num_predict", 32}, {"temperature", 0}, {"seed", 1}};
  options.update(extra_options);
  return post_json(c, "/api/chat",
                   {{"model", model},
                    {"messages", json::array({{{"role", "user"}, {"content", "Tell me about owls."}}})},
                    {"stream", false},
                    {"owlet", {{"ground", false}}},
                    {"options", options}},
                   status);
}

double metric(httplib::Client& c, const std::string& name) {
  auto r = c.Get("/metrics");
  if (!r) return -1;
  double sum = 0;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(name, 0) == 0 && (line[name.size()] == ' ' || line[name.size()] == '{'))
      sum += std::stod(line.substr(line.rfind(' ') + 1));
  return sum;
}

}  // namespace

TEST(ServedModels, AModelGivenByPathIsListedAndAnswersByItsName) {
  TempDir home;
  std::string path = copy_fixture(home, "qwen2-tiny");
  ServeProcess serve(serve_args(path), scratch_env(home));
  ASSERT_TRUE(serve.wait_listening()) << serve.stderr_text();
  httplib::Client c("127.0.0.1", serve.port());
  c.set_read_timeout(60, 0);
  std::string hex;
  owlet::Error why;
  ASSERT_TRUE(owlet::models::sha256_file(path, &hex, &why)) << why.message;

  json tags = get_json(c, "/api/tags");
  const json* t = find_by(tags["models"], "name", "qwen2-tiny");
  ASSERT_TRUE(t) << tags.dump();
  EXPECT_EQ((*t)["model"], "qwen2-tiny");
  EXPECT_EQ((*t)["size"], fs::file_size(path));
  EXPECT_EQ((*t)["digest"], hex);
  EXPECT_EQ((*t)["details"]["family"], "qwen2");
  EXPECT_EQ((*t)["details"]["format"], "gguf");
  EXPECT_FALSE((*t)["details"]["quantization_level"].get<std::string>().empty()) << t->dump();

  json v1 = get_json(c, "/v1/models");
  ASSERT_TRUE(find_by(v1["data"], "id", "qwen2-tiny")) << v1.dump();

  int status = 0;
  json show = post_json(c, "/api/show", {{"model", "qwen2-tiny"}}, &status);
  EXPECT_EQ(status, 200) << show.dump();
  EXPECT_EQ(show["details"]["family"], "qwen2");

  json r = chat(c, "qwen2-tiny", "Why do owls hoot?");
  EXPECT_EQ(r["model"], "qwen2-tiny") << r.dump();
  EXPECT_EQ(r["done_reason"], "stop") << r.dump();  // the grammar ends it (chat())
  EXPECT_GT(r["eval_count"].get<int>(), 0) << r.dump();

  json ps = get_json(c, "/api/ps");
  const json* p = find_by(ps["models"], "name", "qwen2-tiny");
  ASSERT_TRUE(p) << ps.dump();
  EXPECT_EQ((*p)["digest"], hex);
  EXPECT_EQ((*p)["details"]["family"], "qwen2");
}

TEST(ServedModels, TwoModelsKeepTheirCachedAnswersApart) {
  TempDir home;
  std::string served = copy_fixture(home, "qwen2-tiny");
  // The second model is in owlet's store, as `owlet pull` leaves it.
  RegistryServer reg;
  reg.add_ollama_model("library", "llama3.2", "1b", read_file(fixture_model("llama-tiny")));
  owlet::models::PullOptions po;
  po.store_dir = (home / "models").string();
  po.registry = reg.url();
  po.insecure = true;
  po.ssrf.allow_cidrs = {"127.0.0.1"};  // the registry is on loopback
  auto pulled = owlet::models::pull_model("llama3.2:1b", po);
  ASSERT_TRUE(pulled.ok()) << pulled.error.message;

  ServeProcess serve(serve_args(served), scratch_env(home));
  ASSERT_TRUE(serve.wait_listening()) << serve.stderr_text();
  httplib::Client c("127.0.0.1", serve.port());
  c.set_read_timeout(60, 0);
  json tags = get_json(c, "/api/tags");
  ASSERT_TRUE(find_by(tags["models"], "name", "qwen2-tiny")) << tags.dump();
  ASSERT_TRUE(find_by(tags["models"], "name", "llama3.2:1b")) << tags.dump();

  const std::string q = "Why do owls hoot at night?";
  // The same question to each model is generated by each: no cross-model hit.
  json a1 = chat(c, "qwen2-tiny", q);
  json b1 = chat(c, "llama3.2:1b", q);
  EXPECT_NE(a1["route"]["tier"], "cache") << a1.dump();
  EXPECT_NE(b1["route"]["tier"], "cache") << b1.dump();
  EXPECT_EQ(a1["done_reason"], "stop") << a1.dump();
  EXPECT_EQ(b1["done_reason"], "stop") << b1.dump();
  // Asked again, each model gets its own answer back from the cache.
  json a2 = chat(c, "qwen2-tiny", q);
  json b2 = chat(c, "llama3.2:1b", q);
  EXPECT_EQ(a2["route"]["tier"], "cache") << a2.dump();
  EXPECT_EQ(b2["route"]["tier"], "cache") << b2.dump();
  EXPECT_EQ(a2["message"]["content"], a1["message"]["content"]);
  EXPECT_EQ(b2["message"]["content"], b1["message"]["content"]);
  EXPECT_EQ(a2["model"], "qwen2-tiny");
  EXPECT_EQ(b2["model"], "llama3.2:1b");

  // A different system prompt changes the answer's text: not the same cache entry.
  json sys = post_json(c, "/api/chat",
                       {{"model", "qwen2-tiny"},
                        {"messages", json::array({{{"role", "system"}, {"content", "Answer in one word."}},
                                                  {{"role", "user"}, {"content", q}}})},
                        {"stream", false},
                        {"grammar", "root ::= \"Owls hoot.\""},
                        {"options", {{"num_predict", 32}, {"temperature", 0}, {"seed", 1}}}});
  EXPECT_NE(sys["route"]["tier"], "cache") << sys.dump();

  // The served file changes (here only its mtime): to the cache it is a new model.
  struct timespec times[2] = {{0, UTIME_OMIT}, {1700000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, served.c_str(), times, 0), 0);
  json a3 = chat(c, "qwen2-tiny", q);
  EXPECT_NE(a3["route"]["tier"], "cache") << a3.dump();

  // Extractive answers are the sources' sentences whatever the model: shared.
  auto extractive = [&](const std::string& model) {
    return post_json(c, "/api/chat",
                     {{"model", model},
                      {"messages", json::array({{{"role", "user"}, {"content", "What do barn owls eat?"}}})},
                      {"stream", false},
                      {"owlet", {{"engine", "extractive"}}}});
  };
  json e1 = extractive("qwen2-tiny");
  json e2 = extractive("llama3.2:1b");
  EXPECT_NE(e1["route"]["tier"], "cache") << e1.dump();
  EXPECT_EQ(e2["route"]["tier"], "cache") << e2.dump();
}

TEST(ServedModels, DraftModelKeepsGreedyTextAndIsCounted) {
  TempDir home;
  std::string target = copy_fixture(home, "qwen2-tiny");
  std::string draft = fixture_model("qwen2-tiny-draft");
  // Over the API a model is a store name, never a file (the front door): the
  // drafts a request names are in owlet's store, as `owlet pull` leaves them.
  RegistryServer reg;
  reg.add_ollama_model("library", "owl-draft", "latest", read_file(draft));
  reg.add_ollama_model("library", "llama-tiny", "latest", read_file(fixture_model("llama-tiny")));
  owlet::models::PullOptions po;
  po.store_dir = (home / "models").string();
  po.registry = reg.url();
  po.insecure = true;
  po.ssrf.allow_cidrs = {"127.0.0.1"};  // the registry is on loopback
  for (const char* name : {"owl-draft:latest", "llama-tiny:latest"}) {
    auto pulled = owlet::models::pull_model(name, po);
    ASSERT_TRUE(pulled.ok()) << pulled.error.message;
  }
  std::string plain_text;
  {
    ServeProcess serve(serve_args(target), scratch_env(home));
    ASSERT_TRUE(serve.wait_listening()) << serve.stderr_text();
    httplib::Client c("127.0.0.1", serve.port());
    c.set_read_timeout(60, 0);
    json plain = plain_chat(c, "qwen2-tiny");
    plain_text = plain["message"]["content"].get<std::string>();
    EXPECT_EQ(plain["eval_count"], 32) << plain.dump();
    EXPECT_EQ(metric(c, "owlet_draft_tokens_total"), 0);
    // Per request: options.draft_model, the same text.
    json per_request = plain_chat(c, "qwen2-tiny", {{"draft_model", "owl-draft"}});
    EXPECT_EQ(per_request["message"]["content"], plain_text) << per_request.dump();
    EXPECT_GT(metric(c, "owlet_draft_tokens_total"), 0);
    // A draft with another vocabulary is refused, saying why.
    int status = 0;
    json bad = plain_chat(c, "qwen2-tiny", {{"draft_model", "llama-tiny"}}, &status);
    EXPECT_EQ(status, 400) << bad.dump();
    EXPECT_NE(bad.value("error", "").find("does not fit"), std::string::npos) << bad.dump();
  }
  {
    // Configured for the server: every request drafts, the text is the same.
    ServeProcess serve(serve_args(target, {"--draft-model", draft, "--n-draft", "4"}), scratch_env(home));
    ASSERT_TRUE(serve.wait_listening()) << serve.stderr_text();
    httplib::Client c("127.0.0.1", serve.port());
    c.set_read_timeout(60, 0);
    json drafted = plain_chat(c, "qwen2-tiny");
    EXPECT_EQ(drafted["message"]["content"], plain_text) << drafted.dump();
    double proposed = metric(c, "owlet_draft_tokens_total");
    double accepted = metric(c, "owlet_draft_accepted_tokens_total");
    EXPECT_GT(proposed, 0);
    EXPECT_GE(accepted, 0);
    EXPECT_LE(accepted, proposed);
    // Grounded answers draft too.
    json grounded = chat(c, "qwen2-tiny", "Why do owls hoot?");
    EXPECT_GT(grounded["eval_count"].get<int>(), 0) << grounded.dump();
    EXPECT_GT(metric(c, "owlet_draft_tokens_total"), proposed);
  }
  // A configured draft that does not fit the configured model: one line at start, exit 2.
  ServeProcess bad(serve_args(target, {"--draft-model", fixture_model("llama-tiny")}), scratch_env(home));
  EXPECT_FALSE(bad.wait_listening());
  EXPECT_EQ(bad.stop(), 2);
  std::string log = bad.stderr_text();
  EXPECT_EQ(count_lines(log), 1) << log;
  EXPECT_NE(log.find("draft_model: "), std::string::npos) << log;
  EXPECT_NE(log.find("does not fit"), std::string::npos) << log;
}
