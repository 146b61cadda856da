// The details Ollama clients rely on, over a real `owlet serve`: names
// compared as Ollama does (case, ":latest") for served and stored models;
// /api/show's template, parameters, model_info and capabilities; the Ollama
// API version in /api/version with owlet's own beside it; /api/create and
// /api/copy, whose SYSTEM and PARAMETERs chat then applies; the web tools
// under /api/experimental/; and `owlet ps` asking a running server.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/serve_process.h"
#include "support/test_support.h"
#include "web/logging_search.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace owlet::test;
using owlet::web::test::LoggingSearchApi;

namespace {

std::vector<std::string> scratch_env(const TempDir& home, const LoggingSearchApi& search) {
  const fs::path& h = home.path();
  return {"HOME=" + h.string(),
          "XDG_CONFIG_HOME=" + (h / ".config").string(),
          "OWLET_MODELS=" + (h / "models").string(),
          "OLLAMA_MODELS=" + (h / "ollama").string(),
          "OWLET_KNOWLEDGE_PATH=" + (h / "kb").string(),
          "OWLET_CONFIG=",
          "OWLET_MODEL=",
          "OWLET_WEB=auto",
          "OWLET_SEARCH_PROVIDERS=searxng",
          "OWLET_SEARXNG_URL=" + search.base_url(),
          "OWLET_ALLOW_PRIVATE=127.0.0.1",
          "OWLET_AUTO_PULL=false"};
}

json post(httplib::Client& c, const std::string& path, const json& body, int* status = nullptr) {
  auto r = c.Post(path, body.dump(), "application/json");
  if (status) *status = r ? r->status : -1;
  return r ? json::parse(r->body, nullptr, false) : json();
}

json get(httplib::Client& c, const std::string& path) {
  auto r = c.Get(path);
  return r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
}

bool listed(const json& tags, const std::string& name) {
  for (const auto& m : tags["models"])
    if (m.value("name", "") == name) return true;
  return false;
}

// A plain (ungrounded) chat turn.
json plain_chat(httplib::Client& c, const std::string& model, const json& options, int* status = nullptr) {
  return post(c, "/api/chat",
              {{"model", model},
               {"messages", json::array({{{"role", "user"}, {"content", "Tell me about owls."}}})},
               {"stream", false},
               {"think", false},
               {"owlet", {{"ground", false}}},
               {"options", options}},
              status);
}

// "0.12.6" → {0, 12, 6}
std::vector<int> semver(const std::string& v) {
  std::vector<int> out;
  std::stringstream in(v);
  for (std::string part; std::getline(in, part, '.');) out.push_back(std::stoi(part));
  return out;
}

struct Served {
  TempDir home;
  LoggingSearchApi search{"Owls", "Owls hoot to mark their territory.", "<p>Owls hoot to mark their territory.</p>"};
  std::string path;
  std::unique_ptr<ServeProcess> serve;
  std::unique_ptr<httplib::Client> c;
  Served() {
    path = (home / "qwen3-tiny.gguf").string();
    fs::copy_file(fixture_model("qwen3-tiny"), path);
    serve = std::make_unique<ServeProcess>(
        std::vector<std::string>{"--model", path, "--threads", "2", "--parallel", "2", "--ctx-size", "1024"},
        scratch_env(home, search));
    c = std::make_unique<httplib::Client>("127.0.0.1", serve->port());
    c->set_read_timeout(120, 0);
  }
};

}  // namespace

TEST(OllamaDetails, NamesAreComparedAsOllamaDoes) {
  Served s;
  ASSERT_TRUE(s.serve->wait_listening()) << s.serve->stderr_text();
  ASSERT_TRUE(listed(get(*s.c, "/api/tags"), "qwen3-tiny"));
  for (const char* name : {"qwen3-tiny", "qwen3-tiny:latest", "Qwen3-Tiny:LATEST", "library/qwen3-tiny"}) {
    int status = 0;
    json show = post(*s.c, "/api/show", {{"model", name}}, &status);
    EXPECT_EQ(status, 200) << name << ": " << show.dump();
    json r = plain_chat(*s.c, name, {{"num_predict", 2}, {"temperature", 0}}, &status);
    EXPECT_EQ(status, 200) << name << ": " << r.dump();
    EXPECT_EQ(r.value("eval_count", -1), 2) << r.dump();
  }
  int status = 0;
  post(*s.c, "/api/show", {{"model", "qwen3-tiny:7b"}}, &status);
  EXPECT_EQ(status, 404) << "another tag is another model";
  // A stored model, by any case and with or without its tag.
  ASSERT_EQ((post(*s.c, "/api/create", {{"model", "Owl"}, {"from", "qwen3-tiny"}, {"stream", false}}, &status), status), 200);
  for (const char* name : {"owl", "OWL:latest", "owl:latest"}) {
    post(*s.c, "/api/show", {{"model", name}}, &status);
    EXPECT_EQ(status, 200) << name;
  }
}

TEST(OllamaDetails, ShowHasTemplateParametersModelInfoAndCapabilities) {
  Served s;
  ASSERT_TRUE(s.serve->wait_listening()) << s.serve->stderr_text();
  int status = 0;
  json show = post(*s.c, "/api/show", {{"model", "qwen3-tiny"}}, &status);
  ASSERT_EQ(status, 200) << show.dump();
  // The GGUF's own chat template (Qwen3's Jinja).
  EXPECT_NE(show.value("template", "").find("<|im_start|>"), std::string::npos) << show.dump();
  EXPECT_NE(show.value("template", "").find("tools"), std::string::npos);
  EXPECT_EQ(show["capabilities"], json::array({"completion", "tools", "thinking"})) << show.dump();
  const json& info = show["model_info"];
  EXPECT_EQ(info.value("general.architecture", ""), "qwen2") << info.dump();
  EXPECT_EQ(info.value("qwen2.context_length", 0), 4096) << info.dump();
  EXPECT_GT(info.value("general.parameter_count", 0), 0);
  EXPECT_TRUE(info.contains("tokenizer.ggml.tokens") && info["tokenizer.ggml.tokens"].is_null()) << "arrays elided";
  EXPECT_FALSE(info.contains("tokenizer.chat_template"));
  EXPECT_EQ(show.value("parameters", "?"), "");

  // A created model: its parameters, system and license.
  post(*s.c, "/api/create",
       {{"model", "owl"},
        {"from", "qwen3-tiny"},
        {"system", "You are a terse owl."},
        {"parameters", {{"num_predict", 3}, {"temperature", 0.25}, {"stop", json::array({"<|endoftext|>"})}}},
        {"license", "MIT"},
        {"stream", false}},
       &status);
  ASSERT_EQ(status, 200);
  json owl = post(*s.c, "/api/show", {{"model", "owl"}}, &status);
  ASSERT_EQ(status, 200) << owl.dump();
  const std::string params = owl.value("parameters", "");
  EXPECT_NE(params.find("num_predict"), std::string::npos) << params;
  EXPECT_NE(params.find("temperature"), std::string::npos) << params;
  EXPECT_NE(params.find("\nstop "), std::string::npos) << params;
  EXPECT_NE(params.find("\"<|endoftext|>\"\n"), std::string::npos) << params;
  EXPECT_EQ(owl.value("system", ""), "You are a terse owl.");
  EXPECT_EQ(owl.value("license", ""), "MIT");
  EXPECT_NE(owl.value("modelfile", "").find("PARAMETER num_predict 3"), std::string::npos) << owl.dump();
  EXPECT_EQ(owl["capabilities"], show["capabilities"]);
}

TEST(OllamaDetails, VersionIsAnOllamaVersionWithOwletsBeside) {
  Served s;
  ASSERT_TRUE(s.serve->wait_listening()) << s.serve->stderr_text();
  json v = get(*s.c, "/api/version");
  ASSERT_TRUE(v.contains("version")) << v.dump();
  const auto ollama = semver(v["version"].get<std::string>());
  ASSERT_EQ(ollama.size(), 3u) << v.dump();
  // Newer than the minimums clients check (Continue 0.6.5, the 0.5.5 "client needs" message).
  EXPECT_GE(ollama, (std::vector<int>{0, 6, 5})) << v.dump();
  EXPECT_EQ(v.value("owlet_version", ""), "0.1.0") << v.dump();
}

TEST(OllamaDetails, CreateAndCopyOverTheApiAndTheirDefaultsApply) {
  Served s;
  ASSERT_TRUE(s.serve->wait_listening()) << s.serve->stderr_text();
  int status = 0;
  // Streamed progress, as Ollama's create.
  auto r = s.c->Post("/api/create", json{{"model", "owl"}, {"from", "qwen3-tiny"}, {"parameters", {{"num_predict", 3}}}}.dump(),
                     "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("{\"status\":\"success\"}"), std::string::npos) << r->body;
  EXPECT_TRUE(listed(get(*s.c, "/api/tags"), "owl:latest"));
  // PARAMETER num_predict applies; the request's own options win.
  EXPECT_EQ(plain_chat(*s.c, "owl", {{"temperature", 0}}).value("eval_count", -1), 3);
  EXPECT_EQ(plain_chat(*s.c, "owl", {{"temperature", 0}, {"num_predict", 5}}).value("eval_count", -1), 5);
  // SYSTEM applies: the prompt grows by it (the legacy modelfile form).
  post(*s.c, "/api/create",
       {{"name", "owl-sys"},
        {"modelfile", "FROM owl\nSYSTEM You are an owl who lives in the old barn and answers every question about "
                      "the night sky in great detail.\n"},
        {"stream", false}},
       &status);
  ASSERT_EQ(status, 200);
  const json plain = plain_chat(*s.c, "owl", {{"temperature", 0}});
  const json sys = plain_chat(*s.c, "owl-sys", {{"temperature", 0}});
  EXPECT_GT(sys.value("prompt_eval_count", 0), plain.value("prompt_eval_count", 0) + 15) << sys.dump();
  EXPECT_EQ(sys.value("eval_count", -1), 3) << "parameters come from the base";
  // The OpenAI route applies them too; the client's max_tokens and system message win.
  auto openai = [&](const std::string& model, json extra) {
    json body = {{"model", model},
                 {"messages", json::array({{{"role", "user"}, {"content", "Tell me about owls."}}})},
                 {"temperature", 0},
                 {"owlet", {{"ground", false}}}};
    body.update(extra);
    return post(*s.c, "/v1/chat/completions", body);
  };
  const json o_sys = openai("owl-sys", json::object());
  EXPECT_EQ(o_sys["usage"].value("completion_tokens", -1), 3) << o_sys.dump();
  EXPECT_EQ(openai("owl-sys", {{"max_tokens", 4}})["usage"].value("completion_tokens", -1), 4);
  const json o_own = openai("owl-sys", {{"messages", json::array({{{"role", "system"}, {"content", "Hi."}},
                                                                   {{"role", "user"}, {"content", "Tell me about owls."}}})}});
  EXPECT_LT(o_own["usage"].value("prompt_tokens", 0), o_sys["usage"].value("prompt_tokens", 0)) << o_own.dump();

  ASSERT_EQ((post(*s.c, "/api/copy", {{"source", "owl"}, {"destination", "owl-2"}}, &status), status), 200);
  EXPECT_TRUE(listed(get(*s.c, "/api/tags"), "owl-2:latest"));
  EXPECT_EQ(plain_chat(*s.c, "owl-2", {{"temperature", 0}}).value("eval_count", -1), 3);
  auto del = s.c->Delete("/api/delete", json{{"model", "owl-2"}}.dump(), "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200);
  EXPECT_FALSE(listed(get(*s.c, "/api/tags"), "owl-2:latest"));

  // Bad input: JSON errors with the right status, nothing created.
  struct Bad {
    json body;
    int status;
  };
  const std::vector<Bad> bad = {
      {{{"model", "x"}, {"from", (s.home / "other.gguf").string()}}, 403},    // a path over the API
      {{{"model", "x"}, {"modelfile", "FROM /etc/passwd\n"}}, 403},           // …also inside a modelfile
      {{{"model", "x"}, {"from", "owl"}, {"parameters", {{"temprature", 1}}}}, 400},
      {{{"model", "x"}, {"from", "owl"}, {"template", "{{ .Prompt }}"}}, 400},  // Go template syntax
      {{{"model", "x"}}, 400},                                                // no from
      {{{"model", "x"}, {"from", "no-such-model"}}, 404},
      {{{"model", "x"}, {"files", {{"a.gguf", "sha256:00"}}}}, 400},            // uploaded blobs: not supported
  };
  for (const auto& b : bad) {
    json e = post(*s.c, "/api/create", b.body, &status);
    EXPECT_EQ(status, b.status) << b.body.dump() << " → " << e.dump();
    EXPECT_TRUE(e.contains("error")) << e.dump();
  }
  json e = post(*s.c, "/api/copy", {{"source", "no-such-model"}, {"destination", "y"}}, &status);
  EXPECT_EQ(status, 404) << e.dump();
  e = post(*s.c, "/api/copy", {{"source", "owl"}}, &status);
  EXPECT_EQ(status, 400) << e.dump();
  json tags = get(*s.c, "/api/tags");
  EXPECT_FALSE(listed(tags, "x:latest") || listed(tags, "y:latest")) << tags.dump();
}

TEST(OllamaDetails, ExperimentalWebToolsAreAliases) {
  Served s;
  ASSERT_TRUE(s.serve->wait_listening()) << s.serve->stderr_text();
  int status = 0;
  json a = post(*s.c, "/api/web_search", {{"query", "why owls hoot"}, {"max_results", 3}}, &status);
  ASSERT_EQ(status, 200) << a.dump();
  json b = post(*s.c, "/api/experimental/web_search", {{"query", "why owls hoot"}, {"max_results", 3}}, &status);
  ASSERT_EQ(status, 200) << b.dump();
  ASSERT_FALSE(b["results"].empty()) << b.dump();
  EXPECT_EQ(a["results"][0]["url"], b["results"][0]["url"]);
  for (const char* k : {"title", "url", "content"}) EXPECT_TRUE(b["results"][0][k].is_string()) << k;
  json f = post(*s.c, "/api/experimental/web_fetch", {{"url", b["results"][0]["url"]}}, &status);
  ASSERT_EQ(status, 200) << f.dump();
  EXPECT_NE(f.value("content", "").find("territory"), std::string::npos) << f.dump();
  EXPECT_TRUE(f["links"].is_array());
  post(*s.c, "/api/experimental/web_search", {{"max_results", 3}}, &status);
  EXPECT_EQ(status, 400);
}

TEST(OllamaDetails, PsAsksTheRunningServer) {
  Served s;
  ASSERT_TRUE(s.serve->wait_listening()) << s.serve->stderr_text();
  ProcessOptions o;
  o.env = scratch_env(s.home, s.search);
  plain_chat(*s.c, "qwen3-tiny", {{"num_predict", 1}});
  ProcessResult ps = run_process({OWLET_BINARY, "ps", "--port", std::to_string(s.serve->port())}, o);
  ASSERT_EQ(ps.exit_code, 0) << ps.err;
  EXPECT_EQ(ps.out.rfind("NAME", 0), 0u) << ps.out;
  EXPECT_NE(ps.out.find("\nqwen3-tiny "), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("100% CPU"), std::string::npos) << ps.out;
  const int nobody = free_port();
  ProcessResult none = run_process({OWLET_BINARY, "ps", "--port", std::to_string(nobody)}, o);
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(count_lines(none.err), 1) << none.err;
  EXPECT_NE(none.err.find("no owlet server answers at http://127.0.0.1:" + std::to_string(nobody)), std::string::npos)
      << none.err;
}
