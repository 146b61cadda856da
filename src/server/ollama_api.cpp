// The Ollama API (docs/api.md of ollama/ollama): same paths, same shapes, so
// every Ollama client works against owlet unchanged. Generation and embeddings
// here; the model routes (tags, show, ps, delete, pull) in model_routes.cpp.
#include "answer/answer_json.h"
#include "server/chat_options.h"
#include "server/messages.h"
#include "server/model_list.h"
#include "server/server_context.h"

namespace owlet::server {
namespace {

using Clock = std::chrono::steady_clock;

// Final object fields common to /api/chat and /api/generate.
void add_stats(const Server::Impl& s, json& j, const ChatRun& run, const llm::Completion& c) {
  j["done"] = true;
  j["done_reason"] = finish_reason_name(s, c.finish);
  j["total_duration"] = ns_since(run.started);
  j["load_duration"] = static_cast<long long>(run.load_ms * 1e6);
  j["prompt_eval_count"] = c.n_prompt;
  j["prompt_eval_duration"] = static_cast<long long>(c.prompt_ms * 1e6);
  j["eval_count"] = c.n_generated;
  j["eval_duration"] = static_cast<long long>(c.generate_ms * 1e6);
}

// Shared by /api/chat and /api/generate: a request with nothing to generate loads (or, with keep_alive 0, unloads).
void handle_load_only(Server::Impl& s, const std::string& model, const GenerationOptions& opt, Res& res, bool chat) {
  json j{{"model", model}, {"created_at", rfc3339_now()}, {"done", true}};
  if (chat) j["message"] = {{"role", "assistant"}, {"content", ""}};
  else j["response"] = "";
  if (opt.keep_alive && opt.keep_alive->count() == 0) {
    s.models.unload(model);
    j["done_reason"] = "unload";
    return send_json(res, 200, j);
  }
  Error err;
  auto h = s.chat.acquire(model, opt.keep_alive, &err);
  if (!h) return send_error(res, err);
  j["done_reason"] = "load";
  send_json(res, 200, j);
}

// /api/chat through the answer pipeline: the same shapes, plus `sources` and
// `route` on the final object (standard clients ignore them).
void grounded_chat(Server::Impl& s, Res& res, answer::AnswerRequest ar, bool stream) {
  auto timing = std::make_shared<ChatRun>();
  Error err;
  if (!check_answer_model(s, ar, &err)) return send_error(res, err);
  std::string model = ar.model;
  const bool block = s.opts.sources_block;
  auto final_object = [&s, model, timing, block](const answer::AnswerResult& r, bool with_text) {
    json j{{"model", model}, {"created_at", rfc3339_now()}};
    std::string text = (with_text ? r.answer : "") + (block ? sources_block(r) : "");
    j["message"] = {{"role", "assistant"}, {"content", text}};
    if (with_text && !r.reasoning.empty()) j["message"]["thinking"] = r.reasoning;
    if (with_text && !r.tool_calls.empty()) j["message"]["tool_calls"] = ollama_tool_calls(r.tool_calls);
    add_stats(s, j, *timing, completion_of(r));
    j["sources"] = answer::sources_to_json(r.sources);
    j["route"] = answer::route_to_json(r);
    return j;
  };
  if (!stream) {
    answer::AnswerResult r = run_answer(s, std::move(ar));
    if (!r.ok) return send_error(res, r.error);
    return send_json(res, 200, final_object(r, true));
  }
  AnswerFormat fmt;
  fmt.route = [](const answer::AnswerResult&) { return std::string(); };
  fmt.text = [model](const std::string& text) {
    json j{{"model", model}, {"created_at", rfc3339_now()}};
    j["message"] = {{"role", "assistant"}, {"content", text}};
    j["done"] = false;
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  };
  fmt.thinking = [model](const std::string& thinking) {
    json j{{"model", model}, {"created_at", rfc3339_now()}};
    j["message"] = {{"role", "assistant"}, {"content", ""}, {"thinking", thinking}};
    j["done"] = false;
    return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  };
  fmt.done = [final_object, model](const answer::AnswerResult& r) {
    if (!r.ok) return json{{"error", r.error.message}}.dump() + "\n";
    std::string calls;
    if (!r.tool_calls.empty()) {  // owlet's tool mode handing the client's own calls back
      json j{{"model", model}, {"created_at", rfc3339_now()}, {"done", false}};
      j["message"] = {{"role", "assistant"}, {"content", ""}, {"tool_calls", ollama_tool_calls(r.tool_calls)}};
      calls = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    }
    return calls + final_object(r, false).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  };
  stream_answer(s, res, std::move(ar), "application/x-ndjson", fmt);
}

// The final object of a plain /api/chat or /api/generate, or one streamed chunk
// of it: the answer text, the thinking apart (message.thinking / thinking) and
// the tool calls, whole (Ollama does not stream a call's arguments).
json generation_object(const std::string& model, bool chat, const std::string& text, const std::string& thinking = "",
                       const std::vector<llm::ToolCall>& calls = {}) {
  json j{{"model", model}, {"created_at", rfc3339_now()}};
  if (chat) {
    j["message"] = {{"role", "assistant"}, {"content", text}};
    if (!thinking.empty()) j["message"]["thinking"] = thinking;
    if (!calls.empty()) j["message"]["tool_calls"] = ollama_tool_calls(calls);
  } else {
    j["response"] = text;
    if (!thinking.empty()) j["thinking"] = thinking;
  }
  return j;
}

std::string ndjson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

// The request body of /api/chat and /api/generate as one ChatRequest; false
// after answering an error. *stream and *load_only come back too.
bool parse_generation(Server::Impl& s, const JsonBody& b, bool chat, ChatRequest* cr, bool* stream, bool* load_only,
                      Res& res) {
  JsonBody& body = const_cast<JsonBody&>(b);
  std::string prompt, system;
  bool raw = false;
  if (!body.str("model", &cr->model) || !body.boolean("stream", stream) || !body.str("prompt", &prompt) ||
      !body.str("system", &system) || !body.boolean("raw", &raw)) {
    send_error(res, body.error());
    return false;
  }
  if (cr->model.empty()) cr->model = s.opts.default_model;
  if (cr->model.empty()) {
    send_error(res, ErrorKind::bad_request, "missing field 'model'");
    return false;
  }
  Error err;
  if (!parse_ollama_options(b.root(), &cr->options, &err) || !parse_ollama_chat_options(b.root(), cr, &err) ||
      (chat && b.has("messages") && !parse_messages(b.root()["messages"], MessageDialect::ollama, &cr->messages, &err))) {
    send_error(res, err);
    return false;
  }
  if (!chat) cr->chat.tools.clear();  // /api/generate has no tools
  *load_only = chat ? cr->messages.empty() : prompt.empty();
  if (chat || *load_only) return true;
  if (raw) {
    cr->use_raw = true;
    cr->raw_prompt = prompt;
    return true;
  }
  if (!system.empty()) cr->messages.push_back({"system", system});
  cr->messages.push_back({"user", prompt});
  return true;
}

void handle_generation(Server::Impl& s, const Req& req, Res& res, bool chat) {
  JsonBody b;
  Error err;
  if (!b.parse(req.body, &err)) return send_error(res, err);
  if (json d = with_model_defaults(s.opts, b.root(), chat ? Dialect::ollama_chat : Dialect::ollama_generate);
      d != b.root() && !b.parse(d.dump(), &err))
    return send_error(res, err);
  ChatRequest cr;
  bool stream = true, load_only = false;
  if (!parse_generation(s, b, chat, &cr, &stream, &load_only, res)) return;
  bool use_cache = true;  // only grounded chat has an answer cache; the field is checked everywhere
  if (!parse_cache_field(b.root(), &use_cache, &err)) return send_error(res, err);
  if (load_only) return handle_load_only(s, cr.model, cr.options, res, chat);
  if (chat) {
    answer::AnswerRequest grounded;
    if (grounded_request(s, b.root(), cr, &grounded, &err)) {
      grounded.client_id = client_id_of(s, req);
      return grounded_chat(s, res, std::move(grounded), stream);
    }
    if (!err.ok()) return send_error(res, err);
  }
  const std::string model = cr.model;
  if (!stream) {
    ChatRun run;
    llm::Completion c;
    if (!run_generation(s, cr, &run, &c)) return send_error(res, run.error);
    if (!c.ok) return send_error(res, c.error);
    const llm::ParsedMessage& m = run.parser->message();
    json j = generation_object(model, chat, m.content, m.reasoning, m.tool_calls);
    add_stats(s, j, run, c);
    return send_json(res, 200, j);
  }
  GenerationFormat fmt;
  fmt.delta = [model, chat](const llm::MessageDelta& d) {
    if (d.is_tool()) return std::string();  // sent whole once parsed, before the final object
    json j = generation_object(model, chat, d.content, d.reasoning);
    j["done"] = false;
    return ndjson(j);
  };
  fmt.done = [&s, model, chat](const llm::Completion& c, const ChatRun& run) {
    if (!c.ok) return ndjson(json{{"error", c.error.message}});
    std::string out;
    const auto& calls = run.parser->message().tool_calls;
    if (chat && !calls.empty()) {
      json t = generation_object(model, chat, "", "", calls);
      t["done"] = false;
      out = ndjson(t);
    }
    json j = generation_object(model, chat, "");
    add_stats(s, j, run, c);
    return out + ndjson(j);
  };
  stream_generation(s, res, cr, "application/x-ndjson", false, fmt);
}

// input: a string or an array of strings.
bool parse_inputs(const json& v, const char* field, std::vector<std::string>* out, Error* err) {
  if (v.is_string()) {
    out->push_back(v.get<std::string>());
    return true;
  }
  if (v.is_array()) {
    for (const auto& x : v) {
      if (!x.is_string()) {
        *err = Error(ErrorKind::bad_request, std::string("field '") + field + "' must be a string or an array of strings");
        return false;
      }
      out->push_back(x.get<std::string>());
    }
    if (out->empty()) {
      *err = Error(ErrorKind::bad_request, std::string("field '") + field + "' is an empty array");
      return false;
    }
    return true;
  }
  *err = Error(ErrorKind::bad_request, std::string("field '") + field + "' must be a string or an array of strings");
  return false;
}

}  // namespace

// Embeds for both APIs; returns false after answering with an error.
bool embed_request(Server::Impl& s, const std::string& model, const std::vector<std::string>& inputs, bool truncate,
                   std::optional<std::chrono::milliseconds> ka, Res& res, bool openai,
                   std::vector<std::vector<float>>* out, int* n_tokens, double* load_ms) {
  Error err;
  auto fail = [&] {
    openai ? send_openai_error(res, err) : send_error(res, err);
    return false;
  };
  auto h = s.chat.acquire(model, ka, &err, load_ms);
  if (!h) return fail();
  llm::Embedder* e = h->get().get_embedder(s.models.params().embed, &err);
  if (!e || !e->embed(inputs, truncate, out, &err, n_tokens)) return fail();
  s.metrics.inc("owlet_embedded_tokens_total", "tokens embedded", {}, *n_tokens);
  return true;
}

namespace {

void handle_embed(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  Error err;
  std::string model;
  bool truncate = true;
  if (!b.parse(req.body, &err)) return send_error(res, err);
  if (!b.str("model", &model) || !b.boolean("truncate", &truncate)) return send_error(res, b.error());
  if (model.empty()) model = s.opts.default_model;
  if (model.empty()) return send_error(res, ErrorKind::bad_request, "missing field 'model'");
  if (!b.has("input")) return send_error(res, ErrorKind::bad_request, "missing field 'input'");
  std::vector<std::string> inputs;
  if (!parse_inputs(b.root()["input"], "input", &inputs, &err)) return send_error(res, err);
  GenerationOptions opt;
  if (!parse_ollama_options(b.root(), &opt, &err)) return send_error(res, err);
  auto t0 = Clock::now();
  std::vector<std::vector<float>> vecs;
  int n_tokens = 0;
  double load_ms = 0;
  if (!embed_request(s, model, inputs, truncate, opt.keep_alive, res, false, &vecs, &n_tokens, &load_ms)) return;
  send_json(res, 200,
            json{{"model", model},
                 {"embeddings", vecs},
                 {"total_duration", ns_since(t0)},
                 {"load_duration", static_cast<long long>(load_ms * 1e6)},
                 {"prompt_eval_count", n_tokens}});
}

void handle_embeddings(Server::Impl& s, const Req& req, Res& res) {  // the older, single-prompt form
  JsonBody b;
  Error err;
  std::string model, prompt;
  if (!b.parse(req.body, &err)) return send_error(res, err);
  if (!b.str("model", &model) || !b.str("prompt", &prompt, true)) return send_error(res, b.error());
  if (model.empty()) model = s.opts.default_model;
  if (model.empty()) return send_error(res, ErrorKind::bad_request, "missing field 'model'");
  GenerationOptions opt;
  if (!parse_ollama_options(b.root(), &opt, &err)) return send_error(res, err);
  std::vector<std::vector<float>> vecs;
  int n_tokens = 0;
  double load_ms = 0;
  if (!embed_request(s, model, {prompt}, true, opt.keep_alive, res, false, &vecs, &n_tokens, &load_ms)) return;
  send_json(res, 200, json{{"embedding", vecs[0]}});
}

}  // namespace

void register_ollama_routes(Server::Impl& s) {
  auto& h = s.http;
  h.Get("/api/version", [&s](const Req&, Res& res) {
    send_json(res, 200, json{{"version", kOllamaApiVersion}, {"owlet_version", s.opts.version}});
  });

  h.Post("/api/generate", [&s](const Req& req, Res& res) { handle_generation(s, req, res, false); });
  h.Post("/api/chat", [&s](const Req& req, Res& res) { handle_generation(s, req, res, true); });

  h.Post("/api/embed", [&s](const Req& req, Res& res) { handle_embed(s, req, res); });
  h.Post("/api/embeddings", [&s](const Req& req, Res& res) { handle_embeddings(s, req, res); });
}

}  // namespace owlet::server
