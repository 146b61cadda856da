// The HTTP server over real loopback HTTP: success and error shapes of each
// endpoint, streaming framing byte for byte, auth, back-pressure, disconnects, metrics.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "server/server.h"
#include "support/test_support.h"

using json = nlohmann::json;
using namespace owlet;
using namespace std::chrono_literals;

namespace {

struct Running {
  std::unique_ptr<llm::ModelManager> models;
  std::unique_ptr<server::Server> srv;
  std::unique_ptr<httplib::Client> cli;
  std::string model = test::fixture_model("qwen2-tiny");
  std::string embed_model = test::fixture_model("bert-tiny");
};

std::unique_ptr<Running> start(server::ServerOptions so = {}, int slots = 2, int max_queue = 8, int n_ctx_slot = 1024) {
  auto r = std::make_unique<Running>();
  llm::ModelManagerParams mp;
  mp.engine.n_slots = slots;
  mp.engine.n_ctx_slot = n_ctx_slot;
  mp.engine.n_threads = 2;
  mp.engine.max_queue = max_queue;
  mp.embed.n_threads = 2;
  r->models = std::make_unique<llm::ModelManager>(mp);
  so.port = 0;
  // The fixtures are file paths: the operator's models, which API requests may name (intake.h).
  so.local_models = {r->model, r->embed_model};
  r->srv = std::make_unique<server::Server>(so, *r->models);
  owlet::Error err;
  EXPECT_TRUE(r->srv->start(&err)) << err;
  r->cli = std::make_unique<httplib::Client>("127.0.0.1", r->srv->port());
  r->cli->set_read_timeout(120, 0);
  return r;
}

json chat_body(const std::string& model, bool stream, int n = 6) {
  return json{{"model", model},
              {"messages", json::array({{{"role", "user"}, {"content", "Why do owls hoot?"}}})},
              {"stream", stream},
              {"options", {{"num_predict", n}, {"seed", 42}, {"temperature", 0}}}};
}

json parse(const std::string& s) { return json::parse(s, nullptr, false); }

void expect_json_error(const httplib::Result& r, int status, const std::string& contains) {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  json j = parse(r->body);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r->body;
  std::string msg = j["error"].is_string() ? j["error"].get<std::string>() : j["error"]["message"].get<std::string>();
  EXPECT_NE(msg.find(contains), std::string::npos) << msg;
}

// Value of an unlabelled gauge in the server's own /metrics.
double metric(httplib::Client& cli, const std::string& name) {
  auto res = cli.Get("/metrics");
  if (!res) return -1;
  std::smatch m;
  std::regex re("\\n" + name + " ([0-9.eE+-]+)");
  return std::regex_search(res->body, m, re) ? std::stod(m[1]) : -1;
}

// Polls instead of sleeping a guessed time: fast machines finish guesses early.
bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds limit = 30s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST(Server, RootVersionHealth) {
  auto r = start();
  auto root = r->cli->Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->body, "owlet is running");
  auto v = r->cli->Get("/api/version");
  EXPECT_TRUE(parse(v->body)["version"].is_string());
  auto h = r->cli->Get("/health");
  EXPECT_EQ(h->status, 200);
}

TEST(Server, OllamaChatNonStreamingShape) {
  auto r = start();
  auto res = r->cli->Post("/api/chat", chat_body(r->model, false).dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = parse(res->body);
  EXPECT_EQ(j["model"], r->model);
  EXPECT_EQ(j["message"]["role"], "assistant");
  EXPECT_FALSE(j["message"]["content"].get<std::string>().empty());
  EXPECT_EQ(j["done"], true);
  EXPECT_EQ(j["done_reason"], "length");
  EXPECT_EQ(j["eval_count"], 6);
  for (const char* k : {"total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_duration"})
    EXPECT_TRUE(j[k].is_number_integer()) << k;
  EXPECT_TRUE(std::regex_match(j["created_at"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")));
}

TEST(Server, OllamaChatStreamIsNdjsonByteForByte) {
  auto r = start();
  auto res = r->cli->Post("/api/chat", chat_body(r->model, true, 5).dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-ndjson");
  const std::string& b = res->body;
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.back(), '\n');
  std::istringstream in(b);
  std::string line, text;
  std::vector<json> objs;
  while (std::getline(in, line)) {
    ASSERT_FALSE(line.empty()) << "blank line inside NDJSON";
    json j = parse(line);
    ASSERT_TRUE(j.is_object()) << line;
    objs.push_back(j);
  }
  ASSERT_GE(objs.size(), 2u);
  for (size_t i = 0; i + 1 < objs.size(); ++i) {
    EXPECT_EQ(objs[i]["done"], false);
    text += objs[i]["message"]["content"].get<std::string>();
  }
  EXPECT_EQ(objs.back()["done"], true);
  EXPECT_EQ(objs.back()["eval_count"], 5);
  // Same text as the non-streamed answer (greedy).
  auto whole = r->cli->Post("/api/chat", chat_body(r->model, false, 5).dump(), "application/json");
  EXPECT_EQ(parse(whole->body)["message"]["content"], text);
}

TEST(Server, OllamaGenerateAndLoadUnload) {
  auto r = start();
  json body{{"model", r->model}, {"prompt", "Once upon a time"}, {"stream", false}, {"options", {{"num_predict", 4}}}};
  auto res = r->cli->Post("/api/generate", body.dump(), "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(parse(res->body)["response"].is_string());
  auto load = r->cli->Post("/api/generate", json{{"model", r->model}}.dump(), "application/json");
  EXPECT_EQ(parse(load->body)["done_reason"], "load");
  auto ps = r->cli->Get("/api/ps");
  EXPECT_EQ(parse(ps->body)["models"].size(), 1u);
  auto unload = r->cli->Post("/api/generate", json{{"model", r->model}, {"keep_alive", 0}}.dump(), "application/json");
  EXPECT_EQ(parse(unload->body)["done_reason"], "unload");
  EXPECT_EQ(parse(r->cli->Get("/api/ps")->body)["models"].size(), 0u);
}

TEST(Server, OllamaEmbed) {
  auto r = start();
  auto res = r->cli->Post("/api/embed", json{{"model", r->embed_model}, {"input", {"a owl", "a vole"}}}.dump(),
                          "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  json j = parse(res->body);
  ASSERT_EQ(j["embeddings"].size(), 2u);
  EXPECT_EQ(j["embeddings"][0].size(), 64u);
  EXPECT_GT(j["prompt_eval_count"].get<int>(), 2);
  auto legacy = r->cli->Post("/api/embeddings", json{{"model", r->embed_model}, {"prompt", "owl"}}.dump(),
                             "application/json");
  EXPECT_EQ(parse(legacy->body)["embedding"].size(), 64u);
  expect_json_error(r->cli->Post("/api/embed", json{{"model", r->embed_model}, {"input", 5}}.dump(), "application/json"),
                    400, "input");
}

TEST(Server, OpenAiChatAndStreamFraming) {
  auto r = start();
  json body{{"model", r->model},
            {"messages", {{{"role", "user"}, {"content", "hi"}}}},
            {"max_tokens", 4},
            {"temperature", 0}};
  auto res = r->cli->Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  json j = parse(res->body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 4);
  std::string full = j["choices"][0]["message"]["content"];

  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  auto s = r->cli->Post("/v1/chat/completions", body.dump(), "application/json");
  ASSERT_EQ(s->status, 200);
  EXPECT_EQ(s->get_header_value("Content-Type"), "text/event-stream");
  const std::string& b = s->body;
  // Events are "data: <json>\n\n", ending with "data: [DONE]\n\n".
  ASSERT_GE(b.size(), 14u);
  EXPECT_EQ(b.substr(b.size() - 14), "data: [DONE]\n\n");
  std::vector<json> events;
  size_t pos = 0;
  while (pos < b.size()) {
    ASSERT_EQ(b.compare(pos, 6, "data: "), 0) << b.substr(pos, 40);
    size_t end = b.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    std::string payload = b.substr(pos + 6, end - pos - 6);
    pos = end + 2;
    if (payload == "[DONE]") break;
    events.push_back(parse(payload));
  }
  EXPECT_EQ(pos, b.size());
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  for (const auto& e : events)
    if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content"))
      text += e["choices"][0]["delta"]["content"].get<std::string>();
  EXPECT_EQ(text, full);
  EXPECT_TRUE(events.back()["choices"].empty());
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], 4);
  EXPECT_EQ(events[events.size() - 2]["choices"][0]["finish_reason"], "length");
}

TEST(Server, OpenAiCompletionsEmbeddingsModels) {
  auto r = start();
  auto c = r->cli->Post("/v1/completions", json{{"model", r->model}, {"prompt", "Owls are"}, {"max_tokens", 3}}.dump(),
                        "application/json");
  ASSERT_EQ(c->status, 200) << c->body;
  EXPECT_EQ(parse(c->body)["object"], "text_completion");
  auto e = r->cli->Post("/v1/embeddings", json{{"model", r->embed_model}, {"input", "owl"}}.dump(), "application/json");
  ASSERT_EQ(e->status, 200) << e->body;
  EXPECT_EQ(parse(e->body)["data"][0]["embedding"].size(), 64u);
  auto b64 = r->cli->Post("/v1/embeddings", json{{"model", r->embed_model}, {"input", "owl"}, {"encoding_format", "base64"}}.dump(),
                          "application/json");
  ASSERT_EQ(b64->status, 200) << b64->body;
  EXPECT_EQ(parse(b64->body)["data"][0]["embedding"].get<std::string>().size(), (64 * 4 + 2) / 3 * 4);
  auto m = r->cli->Get("/v1/models");
  EXPECT_EQ(parse(m->body)["object"], "list");
}

TEST(Server, JsonSchemaFormat) {
  auto r = start();
  json body = chat_body(r->model, false, 120);
  body["format"] = {{"type", "object"},
                    {"properties", {{"ok", {{"type", "boolean"}}}}},
                    {"required", {"ok"}},
                    {"additionalProperties", false}};
  auto res = r->cli->Post("/api/chat", body.dump(), "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  json answer = parse(parse(res->body)["message"]["content"].get<std::string>());
  ASSERT_TRUE(answer.is_object()) << res->body;
  EXPECT_TRUE(answer["ok"].is_boolean());
}

TEST(Server, BadInputGivesJsonErrors) {
  auto r = start();
  expect_json_error(r->cli->Post("/api/chat", "{not json", "application/json"), 400, "invalid JSON");
  expect_json_error(r->cli->Post("/api/chat", "[1,2]", "application/json"), 400, "JSON object");
  expect_json_error(r->cli->Post("/api/chat", json{{"model", 7}}.dump(), "application/json"), 400, "'model'");
  expect_json_error(r->cli->Post("/api/chat", json{{"messages", json::array()}}.dump(), "application/json"), 400,
                    "model");
  json bad_opt = chat_body(r->model, false);
  bad_opt["options"]["temperature"] = "hot";
  expect_json_error(r->cli->Post("/api/chat", bad_opt.dump(), "application/json"), 400, "options.temperature");
  json bad_role = chat_body(r->model, false);
  bad_role["messages"][0]["role"] = "wizard";
  expect_json_error(r->cli->Post("/api/chat", bad_role.dump(), "application/json"), 400, "role");
  expect_json_error(r->cli->Post("/api/chat", chat_body("nosuch:model", false).dump(), "application/json"), 404,
                    "not found");
  expect_json_error(r->cli->Post("/v1/chat/completions", json{{"model", r->model}, {"messages", "hi"}}.dump(),
                                 "application/json"),
                    400, "messages");
  expect_json_error(r->cli->Get("/api/nothing"), 404, "no such endpoint");
  std::string huge(17 << 20, 'x');
  expect_json_error(r->cli->Post("/api/chat", huge, "application/json"), 413, "too large");
  // The server is still fine.
  EXPECT_EQ(r->cli->Get("/health")->status, 200);
}

TEST(Server, ApiKeyEnforcedExceptHealth) {
  server::ServerOptions so;
  so.api_key = "s3cret";
  auto r = start(so);
  EXPECT_EQ(r->cli->Get("/health")->status, 200);
  for (const char* path : {"/api/tags", "/api/version", "/v1/models", "/metrics", "/api/kb/stats"}) {
    auto res = r->cli->Get(path);
    EXPECT_EQ(res->status, 401) << path;
    EXPECT_TRUE(parse(res->body).contains("error")) << path;
  }
  expect_json_error(r->cli->Post("/api/chat", chat_body(r->model, false).dump(), "application/json"), 401, "API key");
  expect_json_error(r->cli->Post("/api/answer", R"({"question":"hi"})", "application/json"), 401, "API key");
  // The UI page itself loads without the key (a browser cannot send one); its API calls then need it.
  EXPECT_EQ(r->cli->Get("/ui/")->status, 200);
  EXPECT_EQ(r->cli->Get("/", {{"Accept", "text/html"}})->status, 200);
  httplib::Headers wrong = {{"Authorization", "Bearer nope"}};
  EXPECT_EQ(r->cli->Get("/api/tags", wrong)->status, 401);
  httplib::Headers good = {{"Authorization", "Bearer s3cret"}};
  EXPECT_EQ(r->cli->Get("/api/tags", good)->status, 200);
}

TEST(Server, QueueFullGives503WithRetryAfter) {
  // A long context keeps the two long generations running until stop(): at
  // ~1 ms/token on the tiny model a 1k context would end within a second.
  auto r = start({}, /*slots=*/1, /*max_queue=*/1, /*n_ctx_slot=*/32768);
  auto long_body = chat_body(r->model, false, 100000).dump();
  auto post_long = [&] {
    httplib::Client c("127.0.0.1", r->srv->port());
    c.set_read_timeout(120, 0);
    c.Post("/api/chat", long_body, "application/json");
  };
  std::thread t1(post_long);
  EXPECT_TRUE(wait_for([&] { return metric(*r->cli, "owlet_slots_busy") == 1; }));
  std::thread t2(post_long);
  EXPECT_TRUE(wait_for([&] { return metric(*r->cli, "owlet_queue_depth") == 1; }));
  auto res = r->cli->Post("/api/chat", chat_body(r->model, false).dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503) << res->body;
  EXPECT_EQ(res->get_header_value("Retry-After"), "1");
  r->srv->stop(0);  // cancels the two long generations
  t1.join();
  t2.join();
}

TEST(Server, ClientDisconnectCancelsGeneration) {
  auto r = start({}, 1);
  std::string body = chat_body(r->model, true, 100000).dump();
  int chunks = 0;
  httplib::Client c("127.0.0.1", r->srv->port());
  httplib::Request req;
  req.method = "POST";
  req.path = "/api/chat";
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 3; };
  c.send(req);
  // The slot frees up: a short request now completes promptly instead of waiting behind the long one.
  auto t0 = std::chrono::steady_clock::now();
  auto res = r->cli->Post("/api/chat", chat_body(r->model, false, 3).dump(), "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
}

TEST(Server, MetricsAreValidPrometheusAndMove) {
  auto r = start();
  auto before = r->cli->Get("/metrics");
  ASSERT_EQ(before->status, 200);
  r->cli->Post("/api/chat", chat_body(r->model, false, 3).dump(), "application/json");
  // A request is counted just after its response is written: allow the server a moment.
  const std::string counted = "owlet_http_requests_total{endpoint=\"/api/chat\",status=\"200\"} 1";
  auto after = r->cli->Get("/metrics");
  for (int i = 0; i < 50 && after->body.find(counted) == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
    after = r->cli->Get("/metrics");
  }
  std::regex comment(R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  std::regex sample(R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eEInfa]+)");
  std::istringstream in(after->body);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') EXPECT_TRUE(std::regex_match(line, comment)) << line;
    else {
      EXPECT_TRUE(std::regex_match(line, sample)) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 10);
  EXPECT_NE(after->body.find(counted), std::string::npos) << after->body;
  EXPECT_NE(after->body.find("owlet_generated_tokens_total"), std::string::npos);
  EXPECT_NE(after->body.find("owlet_process_resident_memory_bytes"), std::string::npos);
}

// A port another socket already listens on — even one that set SO_REUSEPORT, as
// cpp-httplib's defaults do — is an error at start, not a server that silently
// gets half of the connections (the kernel would split them between the two).
TEST(Server, PortSharedWithAReusePortSocketFailsAtStart) {
  int other = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(other, 0);
  int yes = 1;
  setsockopt(other, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &yes, sizeof yes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(other, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(other, 5), 0);
  socklen_t len = sizeof a;
  getsockname(other, reinterpret_cast<sockaddr*>(&a), &len);
  llm::ModelManager models(llm::ModelManagerParams{});
  server::ServerOptions so;
  so.port = ntohs(a.sin_port);
  server::Server srv(so, models);
  owlet::Error err;
  EXPECT_FALSE(srv.start(&err));
  EXPECT_NE(err.message.find("cannot listen"), std::string::npos) << err;
  close(other);
}
