// The OpenAI-compatible API (chat completions, completions, embeddings, models).
#include <atomic>
#include <random>

#include "llm/grammar.h"
#include "models/model_store.h"
#include "answer/answer_json.h"
#include "server/chat_options.h"
#include "server/messages.h"
#include "server/model_list.h"
#include "server/server_context.h"

namespace owlet::server {

bool embed_request(Server::Impl& s, const std::string& model, const std::vector<std::string>& inputs, bool truncate,
                   std::optional<std::chrono::milliseconds> ka, Res& res, bool openai,
                   std::vector<std::vector<float>>* out, int* n_tokens, double* load_ms);

namespace {

std::string new_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}();
  char buf[64];
  snprintf(buf, sizeof buf, "%s-%08llx%06llx", prefix, static_cast<unsigned long long>(salt & 0xffffffff),
           static_cast<unsigned long long>(++counter));
  return buf;
}

json usage(const llm::Completion& c) {
  return json{{"prompt_tokens", c.n_prompt},
              {"completion_tokens", c.n_generated},
              {"total_tokens", c.n_prompt + c.n_generated},
              {"prompt_tokens_details", {{"cached_tokens", c.n_prompt_cached}}}};
}

// OpenAI sampling fields onto GenerationOptions. Defaults follow OpenAI (temperature 1).
bool parse_openai_options(JsonBody& b, GenerationOptions* o, Error* err) {
  const json& j = b.root();
  double t = 1.0, p = 1.0;
  long long max_tokens = -1, seed = -1, n = 1;
  if (!b.number("temperature", &t, 0, 2) || !b.number("top_p", &p, 0, 1) ||
      !b.integer("max_tokens", &max_tokens, 1, 1 << 24) || !b.integer("max_completion_tokens", &max_tokens, 1, 1 << 24) ||
      !b.integer("seed", &seed, -1, 0xFFFFFFFFLL) || !b.integer("n", &n, 1, 1)) {
    *err = b.error().message == "field 'n' is out of range [1, 1]" ? Error(ErrorKind::unsupported, "only n = 1 is supported")
                                                                    : b.error();
    return false;
  }
  o->sampling.temperature = static_cast<float>(t);
  o->sampling.top_p = static_cast<float>(p);
  o->sampling.seed = seed;
  o->sampling.repeat_penalty = 1.0f;  // OpenAI clients expect none unless they ask (frequency_penalty)
  o->num_predict = static_cast<int>(max_tokens);
  // owlet's extension, as Ollama's options.draft_model: a draft for speculative decoding.
  if (!b.str("draft_model", &o->draft_model)) {
    *err = b.error();
    return false;
  }
  if (j.contains("stop") && !j["stop"].is_null()) {
    if (j["stop"].is_string()) {
      o->stop.push_back(j["stop"].get<std::string>());
    } else if (j["stop"].is_array()) {
      for (const auto& s : j["stop"]) {
        if (!s.is_string()) {
          *err = Error(ErrorKind::bad_request, "field 'stop' must be a string or an array of strings");
          return false;
        }
        o->stop.push_back(s.get<std::string>());
      }
    } else {
      *err = Error(ErrorKind::bad_request, "field 'stop' must be a string or an array of strings");
      return false;
    }
  }
  if (j.contains("response_format") && !j["response_format"].is_null()) {
    const json& rf = j["response_format"];
    std::string type = rf.is_object() && rf.contains("type") && rf["type"].is_string() ? rf["type"].get<std::string>() : "";
    if (type == "json_object") {
      o->sampling.grammar = llm::json_object_grammar();
    } else if (type == "json_schema") {
      const json* schema = nullptr;
      if (rf.contains("json_schema") && rf["json_schema"].is_object() && rf["json_schema"].contains("schema"))
        schema = &rf["json_schema"]["schema"];
      if (!schema || !schema->is_object()) {
        *err = Error(ErrorKind::bad_request, "response_format.json_schema.schema must be an object");
        return false;
      }
      if (!llm::grammar_from_json_schema(schema->dump(), &o->sampling.grammar, err)) return false;
    } else if (type != "text") {
      *err = Error(ErrorKind::bad_request, "response_format.type must be text, json_object or json_schema");
      return false;
    }
  }
  return true;
}

// encoding_format "base64": the float32 values, little-endian, base64-encoded (what openai-node asks for).
std::string base64_floats(const std::vector<float>& v) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  size_t n = v.size() * sizeof(float);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t x = static_cast<uint32_t>(p[i]) << 16;
    if (i + 1 < n) x |= static_cast<uint32_t>(p[i + 1]) << 8;
    if (i + 2 < n) x |= p[i + 2];
    out += tbl[(x >> 18) & 63];
    out += tbl[(x >> 12) & 63];
    out += i + 1 < n ? tbl[(x >> 6) & 63] : '=';
    out += i + 2 < n ? tbl[x & 63] : '=';
  }
  return out;
}

// A chat completion's message: the answer, the reasoning apart
// (reasoning_content, as DeepSeek's and llama-server's APIs name it) and the
// tool calls (content null when there is none beside them, as OpenAI sends).
json message_json(const llm::ParsedMessage& m) {
  json msg{{"role", "assistant"}, {"content", m.content}};
  if (!m.reasoning.empty()) msg["reasoning_content"] = m.reasoning;
  if (!m.tool_calls.empty()) {
    msg["tool_calls"] = openai_tool_calls(m.tool_calls);
    if (m.content.empty()) msg["content"] = nullptr;
  }
  return msg;
}

// One streamed delta: reasoning_content, content, or a tool call's part (its
// first carries id, type and name; the rest only arguments).
json delta_json(const llm::MessageDelta& d) {
  json delta = json::object();
  if (d.is_tool()) {
    json call{{"index", d.tool_index}};
    json fn{{"arguments", d.tool_arguments}};
    if (!d.tool_id.empty()) {
      call["id"] = d.tool_id;
      call["type"] = "function";
    }
    if (!d.tool_name.empty()) fn["name"] = d.tool_name;
    call["function"] = fn;
    delta["tool_calls"] = json::array({call});
    return delta;
  }
  if (!d.reasoning.empty()) delta["reasoning_content"] = d.reasoning;
  if (!d.content.empty()) delta["content"] = d.content;
  return delta;
}

// "tool_calls" when the model stopped to call tools, else stop / length / ….
const char* finish_of(const Server::Impl& s, const llm::Completion& c, const llm::ParsedMessage& m) {
  if (!m.tool_calls.empty() && c.finish == llm::FinishReason::stop) return "tool_calls";
  return finish_reason_name(s, c.finish);
}

std::string sse(const json& j) { return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n"; }

// The end of a stream: the usage chunk (no choices) when the client asked for
// it, then [DONE]. `base` wraps a choice in the stream's chunk object.
std::string stream_end(const std::function<json(json)>& base, bool include_usage, const llm::Completion& c) {
  std::string out;
  if (include_usage) {
    json u = base(json::object());
    u["choices"] = json::array();
    u["usage"] = usage(c);
    out = sse(u);
  }
  return out + "data: [DONE]\n\n";
}

// /v1/chat/completions through the answer pipeline: OpenAI's shapes, plus
// `sources` and `route` on the response (and on the last streamed chunk).
void grounded_completion(Server::Impl& s, Res& res, answer::AnswerRequest ar, bool stream, bool include_usage) {
  Error err;
  if (!check_answer_model(s, ar, &err)) return send_openai_error(res, err);
  std::string id = new_id("chatcmpl"), model = ar.model;
  long long created = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const bool block = s.opts.sources_block;
  if (!stream) {
    answer::AnswerResult r = run_answer(s, std::move(ar));
    if (!r.ok) return send_openai_error(res, r.error);
    llm::Completion c = completion_of(r);
    json message{{"role", "assistant"}, {"content", r.answer + (block ? sources_block(r) : "")}};
    if (!r.reasoning.empty()) message["reasoning_content"] = r.reasoning;
    const char* finish = finish_reason_name(s, c.finish);
    if (!r.tool_calls.empty()) {  // owlet's tool mode handing the client's own calls back
      message["tool_calls"] = openai_tool_calls(r.tool_calls);
      finish = "tool_calls";
    }
    json choice{{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", finish}};
    return send_json(res, 200,
                     json{{"id", id}, {"object", "chat.completion"}, {"created", created}, {"model", model},
                          {"system_fingerprint", "fp_owlet"}, {"choices", json::array({choice})}, {"usage", usage(c)},
                          {"sources", answer::sources_to_json(r.sources)}, {"route", answer::route_to_json(r)}});
  }
  auto base = [=](json choice) {
    return json{{"id", id},          {"object", "chat.completion.chunk"}, {"created", created},
                {"model", model},    {"system_fingerprint", "fp_owlet"},  {"choices", json::array({std::move(choice)})}};
  };
  AnswerFormat fmt;
  fmt.route = [base](const answer::AnswerResult&) {  // the first event carries the role, as OpenAI's does
    return sse(base({{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                     {"finish_reason", nullptr}}));
  };
  fmt.text = [base](const std::string& text) {
    return sse(base({{"index", 0}, {"delta", {{"content", text}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}}));
  };
  fmt.thinking = [base](const std::string& text) {
    return sse(base({{"index", 0}, {"delta", {{"reasoning_content", text}}}, {"logprobs", nullptr},
                     {"finish_reason", nullptr}}));
  };
  fmt.done = [&s, base, block, include_usage](const answer::AnswerResult& r) {
    if (!r.ok) return sse(json{{"error", {{"message", r.error.message}, {"type", "server_error"}}}}) + "data: [DONE]\n\n";
    llm::Completion c = completion_of(r);
    std::string out;
    if (block && !r.sources.empty())
      out += sse(base({{"index", 0}, {"delta", {{"content", sources_block(r)}}}, {"logprobs", nullptr},
                       {"finish_reason", nullptr}}));
    const char* finish = finish_reason_name(s, c.finish);
    if (!r.tool_calls.empty()) {
      json calls = openai_tool_calls(r.tool_calls);
      for (size_t i = 0; i < calls.size(); ++i) calls[i]["index"] = i;
      out += sse(base({{"index", 0}, {"delta", {{"tool_calls", calls}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}}));
      finish = "tool_calls";
    }
    json last = base({{"index", 0}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", finish}});
    last["sources"] = answer::sources_to_json(r.sources);
    last["route"] = answer::route_to_json(r);
    out += sse(last);
    return out + stream_end(base, include_usage, c);
  };
  stream_answer(s, res, std::move(ar), "text/event-stream", fmt);
}

// The request body of /v1/chat/completions and /v1/completions as one
// ChatRequest; false after answering the error.
bool parse_completion(Server::Impl& s, JsonBody& b, bool chat, ChatRequest* cr, bool* stream, bool* include_usage,
                      Res& res) {
  Error err;
  if (!b.str("model", &cr->model) || !b.boolean("stream", stream)) {
    send_openai_error(res, b.error());
    return false;
  }
  if (cr->model.empty()) cr->model = s.opts.default_model;
  if (cr->model.empty()) err = Error(ErrorKind::bad_request, "missing field 'model'");
  else if (!parse_openai_options(b, &cr->options, &err) || !parse_openai_chat_options(b.root(), cr, &err)) {
  } else if (chat) {
    if (!b.has("messages") || !b.root()["messages"].is_array() || b.root()["messages"].empty())
      err = Error(ErrorKind::bad_request, "field 'messages' must be a non-empty array");
    else parse_messages(b.root()["messages"], MessageDialect::openai, &cr->messages, &err);
  } else {
    const json& p = b.has("prompt") ? b.root()["prompt"] : json();
    if (p.is_string()) cr->raw_prompt = p.get<std::string>();
    else if (p.is_array() && p.size() == 1 && p[0].is_string()) cr->raw_prompt = p[0].get<std::string>();
    else err = Error(ErrorKind::bad_request, "field 'prompt' must be a string (or an array of one string)");
    cr->use_raw = true;
    cr->chat.tools.clear();
    if (cr->options.num_predict < 0) cr->options.num_predict = 16;  // OpenAI's default max_tokens for completions
  }
  if (!err.ok()) {
    send_openai_error(res, err);
    return false;
  }
  if (b.has("stream_options") && b.root()["stream_options"].is_object())
    *include_usage = b.root()["stream_options"].value("include_usage", false);
  return true;
}

void completions(Server::Impl& s, const Req& req, Res& res, bool chat) {
  JsonBody b;
  Error err;
  if (!b.parse(req.body, &err)) return send_openai_error(res, err);
  // A created model's SYSTEM and PARAMETERs (model_list.h), as on Ollama's routes.
  if (chat)
    if (json d = with_model_defaults(s.opts, b.root(), Dialect::openai_chat); d != b.root() && !b.parse(d.dump(), &err))
      return send_openai_error(res, err);
  ChatRequest cr;
  bool stream = false, include_usage = false;
  if (!parse_completion(s, b, chat, &cr, &stream, &include_usage, res)) return;
  bool use_cache = true;  // only grounded chat has an answer cache; the field is checked everywhere
  if (!parse_cache_field(b.root(), &use_cache, &err)) return send_openai_error(res, err);
  if (chat) {
    answer::AnswerRequest grounded;
    if (grounded_request(s, b.root(), cr, &grounded, &err)) {
      grounded.client_id = client_id_of(s, req);
      return grounded_completion(s, res, std::move(grounded), stream, include_usage);
    }
    if (!err.ok()) return send_openai_error(res, err);
  }
  std::string id = new_id(chat ? "chatcmpl" : "cmpl"), model = cr.model;
  long long created = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const char* object = chat ? "chat.completion" : "text_completion";
  if (!stream) {
    ChatRun run;
    llm::Completion c;
    if (!run_generation(s, cr, &run, &c)) return send_openai_error(res, run.error);
    if (!c.ok) return send_openai_error(res, c.error);
    const llm::ParsedMessage& m = run.parser->message();
    const char* finish = finish_of(s, c, m);
    json choice = chat ? json{{"index", 0}, {"message", message_json(m)}, {"logprobs", nullptr}, {"finish_reason", finish}}
                       : json{{"index", 0}, {"text", m.content}, {"logprobs", nullptr}, {"finish_reason", finish}};
    return send_json(res, 200,
                     json{{"id", id},
                          {"object", object},
                          {"created", created},
                          {"model", model},
                          {"system_fingerprint", "fp_owlet"},
                          {"choices", json::array({choice})},
                          {"usage", usage(c)}});
  }
  const char* chunk_object = chat ? "chat.completion.chunk" : "text_completion";
  auto first = std::make_shared<bool>(true);
  auto base = [=](json choice) {
    return json{{"id", id},
                {"object", chunk_object},
                {"created", created},
                {"model", model},
                {"system_fingerprint", "fp_owlet"},
                {"choices", json::array({std::move(choice)})}};
  };
  // The first event carries the role, as OpenAI's does.
  auto role_chunk = [=]() -> std::string {
    if (!chat || !*first) return "";
    *first = false;
    return sse(base({{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr},
                     {"finish_reason", nullptr}}));
  };
  GenerationFormat fmt;
  fmt.delta = [=](const llm::MessageDelta& d) {
    json choice = chat ? json{{"index", 0}, {"delta", delta_json(d)}, {"logprobs", nullptr}, {"finish_reason", nullptr}}
                       : json{{"index", 0}, {"text", d.content}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
    return role_chunk() + sse(base(choice));
  };
  fmt.done = [=, &s](const llm::Completion& c, const ChatRun& run) {
    if (!c.ok) return sse(json{{"error", {{"message", c.error.message}, {"type", "server_error"}}}}) + "data: [DONE]\n\n";
    const char* finish = finish_of(s, c, run.parser->message());
    json last = chat ? json{{"index", 0}, {"delta", json::object()}, {"logprobs", nullptr}, {"finish_reason", finish}}
                     : json{{"index", 0}, {"text", ""}, {"logprobs", nullptr}, {"finish_reason", finish}};
    return role_chunk() + sse(base(last)) + stream_end(base, include_usage, c);
  };
  stream_generation(s, res, cr, "text/event-stream", true, fmt);
}

}  // namespace

void register_openai_routes(Server::Impl& s) {
  auto& h = s.http;
  h.Get("/v1/models", [&s](const Req&, Res& res) {
    json data = json::array();
    for (const auto& m : list_models(s.opts))
      data.push_back({{"id", m.name}, {"object", "model"}, {"created", m.modified}, {"owned_by", m.owner}});
    send_json(res, 200, json{{"object", "list"}, {"data", data}});
  });
  h.Post("/v1/chat/completions", [&s](const Req& req, Res& res) { completions(s, req, res, true); });
  h.Post("/v1/completions", [&s](const Req& req, Res& res) { completions(s, req, res, false); });
  h.Post("/v1/embeddings", [&s](const Req& req, Res& res) {
    JsonBody b;
    Error err;
    std::string model, format = "float";
    if (!b.parse(req.body, &err)) return send_openai_error(res, err);
    if (!b.str("model", &model) || !b.str("encoding_format", &format)) return send_openai_error(res, b.error());
    if (model.empty()) model = s.opts.default_model;
    if (model.empty()) return send_openai_error(res, ErrorKind::bad_request, "missing field 'model'");
    if (format != "float" && format != "base64")
      return send_openai_error(res, ErrorKind::bad_request, "encoding_format must be \"float\" or \"base64\"");
    std::vector<std::string> inputs;
    const json& in = b.root().contains("input") ? b.root()["input"] : json();
    if (in.is_string()) inputs.push_back(in.get<std::string>());
    else if (in.is_array() && !in.empty())
      for (const auto& x : in) {
        if (!x.is_string()) return send_openai_error(res, ErrorKind::bad_request, "field 'input' must be a string or an array of strings");
        inputs.push_back(x.get<std::string>());
      }
    else return send_openai_error(res, ErrorKind::bad_request, "field 'input' must be a string or a non-empty array of strings");
    std::vector<std::vector<float>> vecs;
    int n_tokens = 0;
    double load_ms = 0;
    if (!embed_request(s, model, inputs, true, std::nullopt, res, true, &vecs, &n_tokens, &load_ms)) return;
    json data = json::array();
    for (size_t i = 0; i < vecs.size(); ++i) {
      json emb = format == "base64" ? json(base64_floats(vecs[i])) : json(vecs[i]);
      data.push_back({{"object", "embedding"}, {"embedding", emb}, {"index", i}});
    }
    send_json(res, 200, json{{"object", "list"}, {"data", data}, {"model", model},
                             {"usage", {{"prompt_tokens", n_tokens}, {"total_tokens", n_tokens}}}});
  });
}

}  // namespace owlet::server
