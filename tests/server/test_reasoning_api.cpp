// Reasoning and tool calls over real loopback HTTP, on fixtures carrying the
// real chat templates of DeepSeek-R1-Distill-Qwen, Qwen3 and Llama 3.1: Ollama's
// `think` and message.thinking, OpenAI's reasoning_content and tool_calls
// (streamed as argument deltas), capabilities in /api/show, and clear errors for
// what a template cannot do. Where a random-weight model must say something
// particular, a GBNF grammar (llama-server's `grammar` field) forces the text and
// the template's own parser reads it back.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"
#include "server/server.h"
#include "support/test_support.h"

using json = nlohmann::json;
using namespace owlet;

namespace {

struct Running {
  std::unique_ptr<llm::ModelManager> models;
  std::unique_ptr<server::Server> srv;
  std::unique_ptr<httplib::Client> cli;
};

std::unique_ptr<Running> start() {
  auto r = std::make_unique<Running>();
  llm::ModelManagerParams mp;
  mp.engine.n_slots = 1;
  mp.engine.n_ctx_slot = 2048;
  mp.engine.n_threads = 2;
  mp.embed.n_threads = 2;
  r->models = std::make_unique<llm::ModelManager>(mp);
  server::ServerOptions so;
  so.port = 0;
  // The fixtures are files: configured, they are names the API accepts.
  for (const char* f : {"r1-qwen-tiny", "qwen3-tiny", "llama31-tiny", "llama-tiny", "bert-tiny"})
    so.local_models.push_back(test::fixture_model(f));
  r->srv = std::make_unique<server::Server>(so, *r->models);
  Error err;
  EXPECT_TRUE(r->srv->start(&err)) << err;
  r->cli = std::make_unique<httplib::Client>("127.0.0.1", r->srv->port());
  r->cli->set_read_timeout(300, 0);
  return r;
}

const std::string kR1 = test::fixture_model("r1-qwen-tiny");
const std::string kQwen3 = test::fixture_model("qwen3-tiny");
const std::string kLlama31 = test::fixture_model("llama31-tiny");

// A GBNF grammar that accepts exactly `text`.
std::string exactly(const std::string& text) {
  std::string g = "root ::= \"";
  for (char c : text) {
    if (c == '"' || c == '\\') g += '\\', g += c;
    else if (c == '\n') g += "\\n";
    else g += c;
  }
  return g + "\"";
}

json user(const std::string& text) { return json::array({{{"role", "user"}, {"content", text}}}); }

json post(Running& r, const std::string& path, const json& body, int want = 200) {
  auto res = r.cli->Post(path, body.dump(), "application/json");
  EXPECT_TRUE(res);
  if (!res) return json();
  EXPECT_EQ(res->status, want) << res->body;
  return json::parse(res->body, nullptr, false);
}

std::vector<json> ndjson(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line, nullptr, false));
  return out;
}

std::vector<json> sse(const std::string& body) {
  std::vector<json> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find("\n\n", pos);
    std::string data = body.substr(pos + 6, end - pos - 6);
    if (data != "[DONE]") out.push_back(json::parse(data, nullptr, false));
    pos = end;
  }
  return out;
}

void expect_error(const httplib::Result& res, int status, const std::string& contains) {
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, status) << res->body;
  json j = json::parse(res->body, nullptr, false);
  std::string msg = j["error"].is_string() ? j["error"].get<std::string>() : j["error"]["message"].get<std::string>();
  EXPECT_NE(msg.find(contains), std::string::npos) << msg;
}

// R1's prompt ends inside an open <think>: the forced text is thought, then answer.
const std::string kThoughtThenAnswer = "The user greets me [2].\n</think>\n\nHello! Owls hoot at night [1].";

}  // namespace

TEST(ReasoningApi, ShowReportsCapabilitiesFromTheTemplate) {
  auto r = start();
  auto caps = [&](const std::string& m) { return post(*r, "/api/show", {{"model", m}})["capabilities"]; };
  EXPECT_EQ(caps(kR1), json::array({"completion", "thinking"}));
  EXPECT_EQ(caps(kQwen3), json::array({"completion", "tools", "thinking"}));
  EXPECT_EQ(caps(kLlama31), json::array({"completion", "tools"}));
  EXPECT_EQ(caps(test::fixture_model("llama-tiny")), json::array({"completion"}));
  EXPECT_EQ(caps(test::fixture_model("bert-tiny")), json::array({"embedding"}));
}

TEST(ReasoningApi, OllamaChatThinkingApartFromContent) {
  auto r = start();
  json body{{"model", kR1}, {"messages", user("hi")}, {"stream", false}, {"grammar", exactly(kThoughtThenAnswer)},
            {"options", {{"num_predict", 80}, {"seed", 3}}}};
  json j = post(*r, "/api/chat", body);
  EXPECT_EQ(j["message"]["thinking"], "The user greets me [2].");
  EXPECT_EQ(j["message"]["content"], "Hello! Owls hoot at night [1].");
  EXPECT_EQ(j["done_reason"], "stop");

  // Streamed: thinking chunks and content chunks, never both in one, adding up to the same.
  body["stream"] = true;
  auto res = r->cli->Post("/api/chat", body.dump(), "application/json");
  ASSERT_TRUE(res && res->status == 200);
  std::string thinking, content;
  std::vector<json> chunks = ndjson(res->body);
  for (const auto& c : chunks) {
    if (c["done"] == true) break;
    const json& m = c["message"];
    const bool has_thinking = m.contains("thinking");
    EXPECT_TRUE(!has_thinking || m["content"] == "") << c.dump();
    if (has_thinking) thinking += m["thinking"].get<std::string>();
    content += m["content"].get<std::string>();
  }
  EXPECT_EQ(owlet::trimmed(thinking), "The user greets me [2].");
  EXPECT_EQ(content, "Hello! Owls hoot at night [1].");
  EXPECT_EQ(chunks.back()["done"], true);
}

TEST(ReasoningApi, ThinkFalseAndGenerate) {
  auto r = start();
  // think: false closes the thought in the prompt: everything is answer.
  json j = post(*r, "/api/chat",
                {{"model", kR1}, {"messages", user("hi")}, {"stream", false}, {"think", false},
                 {"grammar", exactly("Just the answer.")}, {"options", {{"num_predict", 40}}}});
  EXPECT_EQ(j["message"]["content"], "Just the answer.");
  EXPECT_FALSE(j["message"].contains("thinking"));
  // /api/generate: `thinking` beside `response`.
  json g = post(*r, "/api/generate",
                {{"model", kR1}, {"prompt", "hi"}, {"stream", false}, {"grammar", exactly(kThoughtThenAnswer)},
                 {"options", {{"num_predict", 80}}}});
  EXPECT_EQ(g["thinking"], "The user greets me [2].");
  EXPECT_EQ(g["response"], "Hello! Owls hoot at night [1].");
  // A model without a thinking template: think true is refused, as Ollama does; false is fine.
  expect_error(r->cli->Post("/api/chat", json{{"model", kLlama31}, {"messages", user("hi")}, {"think", true}}.dump(),
                            "application/json"),
               400, "does not support thinking");
  expect_error(r->cli->Post("/api/chat", json{{"model", kR1}, {"messages", user("hi")}, {"think", "very"}}.dump(),
                            "application/json"),
               400, "think");
  json ok = post(*r, "/api/chat",
                 {{"model", kLlama31}, {"messages", user("hi")}, {"stream", false}, {"think", false},
                  {"options", {{"num_predict", 2}}}});
  EXPECT_EQ(ok["done"], true);
}

TEST(ReasoningApi, OpenAIReasoningContent) {
  auto r = start();
  json body{{"model", kR1}, {"messages", user("hi")}, {"max_tokens", 80}, {"grammar", exactly(kThoughtThenAnswer)}};
  json j = post(*r, "/v1/chat/completions", body);
  const json& m = j["choices"][0]["message"];
  EXPECT_EQ(m["reasoning_content"], "The user greets me [2].");
  EXPECT_EQ(m["content"], "Hello! Owls hoot at night [1].");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");

  body["stream"] = true;
  auto res = r->cli->Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(res && res->status == 200);
  std::string reasoning, content;
  int reasoning_deltas = 0;
  for (const auto& e : sse(res->body)) {
    const json& d = e["choices"][0]["delta"];
    if (d.contains("reasoning_content")) {
      reasoning += d["reasoning_content"].get<std::string>();
      ++reasoning_deltas;
    }
    if (d.contains("content")) content += d["content"].get<std::string>();
  }
  EXPECT_GT(reasoning_deltas, 1);
  EXPECT_EQ(owlet::trimmed(reasoning), "The user greets me [2].");
  EXPECT_EQ(content, "Hello! Owls hoot at night [1].");

  // reasoning_effort "none" turns thinking off.
  json off = post(*r, "/v1/chat/completions",
                  {{"model", kR1}, {"messages", user("hi")}, {"max_tokens", 40}, {"reasoning_effort", "none"},
                   {"grammar", exactly("Plain.")}});
  EXPECT_EQ(off["choices"][0]["message"]["content"], "Plain.");
  EXPECT_FALSE(off["choices"][0]["message"].contains("reasoning_content"));
}

TEST(ReasoningApi, ToolsOnATemplateWithoutToolSupportAre400) {
  auto r = start();
  json tools = json::array({{{"type", "function"},
                             {"function", {{"name", "f"}, {"parameters", {{"type", "object"}}}}}}});
  for (const std::string& m : {kR1, test::fixture_model("llama-tiny")}) {
    expect_error(r->cli->Post("/api/chat", json{{"model", m}, {"messages", user("hi")}, {"tools", tools}}.dump(),
                              "application/json"),
                 400, "does not support tools");
    expect_error(r->cli->Post("/v1/chat/completions",
                              json{{"model", m}, {"messages", user("hi")}, {"tools", tools}}.dump(), "application/json"),
                 400, "does not support tools");
  }
  // Malformed tool fields name themselves.
  expect_error(r->cli->Post("/v1/chat/completions",
                            json{{"model", kQwen3}, {"messages", user("hi")}, {"tools", "x"}}.dump(), "application/json"),
               400, "tools");
  expect_error(r->cli->Post("/v1/chat/completions",
                            json{{"model", kQwen3}, {"messages", user("hi")}, {"tools", tools}, {"tool_choice", "maybe"}}
                                .dump(),
                            "application/json"),
               400, "tool_choice");
  expect_error(r->cli->Post("/v1/chat/completions",
                            json{{"model", kQwen3}, {"messages", user("hi")}, {"logit_bias", {{"x", 1}}}}.dump(),
                            "application/json"),
               400, "logit_bias");
}

// tool_choice "required": the template's grammar forces a well-formed call out
// of random weights. Llama 3.1's grammar lets prose come first, up to a "{";
// logit_bias on "{" (token 90) starts the call at once and on <|eot_id|>
// (128009) ends the turn as soon as the call is complete.
TEST(ReasoningApi, OpenAIRequiredToolCallStreamsArgumentDeltas) {
  auto r = start();
  json body{{"model", kLlama31},
            {"messages", user("What is the weather?")},
            {"max_tokens", 200},
            {"seed", 11},
            {"tools", json::array({{{"type", "function"},
                                    {"function",
                                     {{"name", "get_weather"},
                                      {"description", "Weather now"},
                                      {"parameters",
                                       {{"type", "object"},
                                        {"properties", {{"unit", {{"type", "string"}, {"enum", {"celsius", "fahrenheit"}}}}}},
                                        {"required", {"unit"}}}}}}}})},
            {"tool_choice", "required"},
            {"logit_bias", {{"90", 50}, {"128009", 100}}}};
  json j = post(*r, "/v1/chat/completions", body);
  const json& choice = j["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_TRUE(choice["message"]["content"].is_null());
  ASSERT_EQ(choice["message"]["tool_calls"].size(), 1u) << j.dump();
  const json& call = choice["message"]["tool_calls"][0];
  EXPECT_EQ(call["type"], "function");
  EXPECT_EQ(call["id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_EQ(call["function"]["name"], "get_weather");
  json args = json::parse(call["function"]["arguments"].get<std::string>());
  EXPECT_TRUE(args["unit"] == "celsius" || args["unit"] == "fahrenheit");

  body["stream"] = true;
  auto res = r->cli->Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_TRUE(res && res->status == 200);
  std::string arguments, finish;
  int arg_deltas = 0, headers = 0;
  for (const auto& e : sse(res->body)) {
    const json& c = e["choices"][0];
    if (c["finish_reason"].is_string()) finish = c["finish_reason"];
    if (!c["delta"].contains("tool_calls")) continue;
    const json& tc = c["delta"]["tool_calls"][0];
    EXPECT_EQ(tc["index"], 0);
    if (tc.contains("id")) {
      ++headers;
      EXPECT_EQ(tc["function"]["name"], "get_weather");
      EXPECT_EQ(tc["type"], "function");
    }
    arguments += tc["function"]["arguments"].get<std::string>();
    ++arg_deltas;
  }
  EXPECT_EQ(headers, 1);
  EXPECT_GT(arg_deltas, 2) << "arguments arrive in pieces";
  EXPECT_EQ(json::parse(arguments), args) << arguments;  // same seed, same call
  EXPECT_EQ(finish, "tool_calls");
}

// Ollama: a call parsed out of the model's output by the template's parser, and
// the client's tool result sent back in a role "tool" message. Llama 3.1 calls
// tools with bare JSON; Ollama's `format` (a JSON schema) forces exactly that.
TEST(ReasoningApi, OllamaToolCallRoundTrip) {
  auto r = start();
  json tools = json::array({{{"type", "function"},
                             {"function",
                              {{"name", "get_weather"},
                               {"parameters",
                                {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}, {"required", {"city"}}}}}}}});
  json format{{"type", "object"},
              {"properties",
               {{"name", {{"const", "get_weather"}}},
                {"parameters",
                 {{"type", "object"}, {"properties", {{"city", {{"const", "Paris"}}}}}, {"required", {"city"}}}}}},
              {"required", {"name", "parameters"}}};
  json body{{"model", kLlama31}, {"messages", user("Weather in Paris?")}, {"tools", tools}, {"format", format},
            {"stream", false}, {"options", {{"num_predict", 120}, {"seed", 5}}}};
  json j = post(*r, "/api/chat", body);
  ASSERT_TRUE(j["message"].contains("tool_calls")) << j.dump();
  const json& call = j["message"]["tool_calls"][0];
  EXPECT_EQ(call["function"]["name"], "get_weather");
  EXPECT_EQ(call["function"]["arguments"], json({{"city", "Paris"}}));  // an object, as Ollama sends
  EXPECT_EQ(j["message"]["content"], "");

  // Streamed: the call comes whole in one chunk before the final object.
  body["stream"] = true;
  auto res = r->cli->Post("/api/chat", body.dump(), "application/json");
  ASSERT_TRUE(res && res->status == 200);
  std::vector<json> chunks = ndjson(res->body);
  int with_calls = 0;
  for (const auto& c : chunks)
    if (c["message"].contains("tool_calls")) {
      ++with_calls;
      EXPECT_EQ(c["done"], false);
      EXPECT_EQ(c["message"]["tool_calls"], j["message"]["tool_calls"]);
    }
  EXPECT_EQ(with_calls, 1);

  // The tool's answer goes back; the model answers from it.
  json history = user("Weather in Paris?");
  history.push_back({{"role", "assistant"}, {"content", ""}, {"tool_calls", j["message"]["tool_calls"]}});
  history.push_back({{"role", "tool"}, {"tool_name", "get_weather"}, {"content", "18 C and sunny"}});
  json reply = post(*r, "/api/chat",
                    {{"model", kLlama31}, {"messages", history}, {"tools", tools}, {"stream", false},
                     {"grammar", exactly("It is 18 C and sunny.")}, {"options", {{"num_predict", 40}}}});
  EXPECT_EQ(reply["message"]["content"], "It is 18 C and sunny.");
  EXPECT_FALSE(reply["message"].contains("tool_calls"));
  EXPECT_GT(reply["prompt_eval_count"].get<int>(), j["prompt_eval_count"].get<int>());
}
