// The Ollama API (docs/api.md of ollama/ollama): same paths, same shapes, so
// every Ollama client works against owlet unchanged.
#include "models/model_store.h"
#include "models/pull.h"
#include "answer/answer_json.h"
#include "server/server_context.h"

namespace owlet::server {
namespace {

using Clock = std::chrono::steady_clock;

// Ollama knows "stop" and "length"; a cancelled generation ends as "stop".
const char* done_reason(llm::FinishReason f) { return f == llm::FinishReason::length ? "length" : "stop"; }

std::string parameter_size(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ULL) snprintf(buf, sizeof buf, "%.1fB", static_cast<double>(n) / 1e9);
  else snprintf(buf, sizeof buf, "%.2fM", static_cast<double>(n) / 1e6);
  return buf;
}

json details_of(const models::GgufSummary& g) {
  return json{{"parent_model", ""},
              {"format", "gguf"},
              {"family", g.architecture},
              {"families", json::array({g.architecture})},
              {"parameter_size", parameter_size(g.n_params)},
              {"quantization_level", g.quantization}};
}

// Final object fields common to /api/chat and /api/generate.
void add_stats(json& j, const ChatRun& run, const llm::Completion& c) {
  j["done"] = true;
  j["done_reason"] = done_reason(c.finish);
  j["total_duration"] = ns_since(run.started);
  j["load_duration"] = static_cast<long long>(run.load_ms * 1e6);
  j["prompt_eval_count"] = c.n_prompt;
  j["prompt_eval_duration"] = static_cast<long long>(c.prompt_ms * 1e6);
  j["eval_count"] = c.n_generated;
  j["eval_duration"] = static_cast<long long>(c.generate_ms * 1e6);
}

bool parse_messages(const json& body, std::vector<llm::ChatMessage>* out, std::string* err) {
  if (!body.contains("messages") || body["messages"].is_null()) return true;
  if (!body["messages"].is_array()) {
    *err = "field 'messages' must be an array";
    return false;
  }
  size_t i = 0;
  for (const auto& m : body["messages"]) {
    std::string where = "messages[" + std::to_string(i++) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
      *err = where + " must be an object with a string 'role'";
      return false;
    }
    std::string role = m["role"].get<std::string>();
    if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
      *err = where + ".role must be system, user, assistant or tool";
      return false;
    }
    std::string content;
    if (m.contains("content") && !m["content"].is_null()) {
      if (!m["content"].is_string()) {
        *err = where + ".content must be a string";
        return false;
      }
      content = m["content"].get<std::string>();
    }
    if (m.contains("images") && m["images"].is_array() && !m["images"].empty()) {
      *err = where + ": images are not supported by owlet's text models";
      return false;
    }
    out->push_back({role, content});
  }
  return true;
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
  int status = 0;
  std::string err;
  auto h = s.chat.acquire(model, opt.keep_alive, &status, &err);
  if (!h) return send_error(res, status, err);
  j["done_reason"] = "load";
  send_json(res, 200, j);
}

// /api/chat through the answer pipeline: the same shapes, plus `sources` and
// `route` on the final object (standard clients ignore them).
void grounded_chat(Server::Impl& s, Res& res, answer::AnswerRequest ar, bool stream) {
  auto timing = std::make_shared<ChatRun>();
  timing->started = std::chrono::steady_clock::now();
  int status = 0;
  std::string err;
  if (!check_answer_model(s, ar, &status, &err)) return send_error(res, status, err);
  std::string model = ar.model;
  const bool block = s.opts.sources_block;
  auto final_object = [model, timing, block](const answer::AnswerResult& r, bool with_text) {
    json j{{"model", model}, {"created_at", rfc3339_now()}};
    std::string text = (with_text ? r.answer : "") + (block ? sources_block(r) : "");
    j["message"] = {{"role", "assistant"}, {"content", text}};
    add_stats(j, *timing, completion_of(r));
    j["sources"] = answer::sources_to_json(r.sources);
    j["route"] = answer::route_to_json(r);
    return j;
  };
  if (!stream) {
    answer::AnswerResult r = run_answer(s, std::move(ar));
    if (!r.ok) return send_error(res, r.status, r.error);
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
  fmt.done = [final_object](const answer::AnswerResult& r) {
    if (!r.ok) return json{{"error", r.error}}.dump() + "\n";
    return final_object(r, false).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  };
  stream_answer(s, res, std::move(ar), "application/x-ndjson", fmt);
}

void handle_generation(Server::Impl& s, const Req& req, Res& res, bool chat) {
  JsonBody b;
  std::string err;
  if (!b.parse(req.body, &err)) return send_error(res, 400, err);
  ChatRequest cr;
  bool stream = true, raw = false;
  std::string prompt, system;
  if (!b.str("model", &cr.model) || !b.boolean("stream", &stream) || !b.str("prompt", &prompt) ||
      !b.str("system", &system) || !b.boolean("raw", &raw))
    return send_error(res, 400, b.error());
  if (cr.model.empty()) cr.model = s.opts.default_model;
  if (cr.model.empty()) return send_error(res, 400, "missing field 'model'");
  if (!parse_ollama_options(b.root(), &cr.options, &err)) return send_error(res, 400, err);
  if (chat) {
    if (!parse_messages(b.root(), &cr.messages, &err)) return send_error(res, 400, err);
    if (cr.messages.empty()) {
      handle_load_only(s, cr.model, cr.options, res, true);
      return;
    }
  } else {
    if (prompt.empty()) {
      handle_load_only(s, cr.model, cr.options, res, false);
      return;
    }
    if (raw) {
      cr.use_raw = true;
      cr.raw_prompt = prompt;
    } else {
      if (!system.empty()) cr.messages.push_back({"system", system});
      cr.messages.push_back({"user", prompt});
    }
  }
  if (chat) {
    answer::AnswerRequest grounded;
    if (grounded_request(s, b.root(), cr, &grounded, &err)) {
      grounded.client_id = client_id_of(s, req);
      return grounded_chat(s, res, std::move(grounded), stream);
    }
    if (!err.empty()) return send_error(res, 400, err);
  }
  auto run = std::make_shared<ChatRun>(s.chat.start(cr));
  if (!run->ok()) return send_error(res, run->status, run->error);
  std::string model = cr.model;
  if (!stream) {
    llm::Completion c = wait_run(s, *run);
    if (!c.ok) return send_error(res, 500, c.error);
    json j{{"model", model}, {"created_at", rfc3339_now()}};
    if (chat) j["message"] = {{"role", "assistant"}, {"content", c.text}};
    else j["response"] = c.text;
    add_stats(j, *run, c);
    return send_json(res, 200, j);
  }
  stream_response(
      s, res, run, "application/x-ndjson",
      [model, chat](const std::string& text) {
        json j{{"model", model}, {"created_at", rfc3339_now()}};
        if (chat) j["message"] = {{"role", "assistant"}, {"content", text}};
        else j["response"] = text;
        j["done"] = false;
        return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      },
      [model, chat, run](const llm::Completion& c) {
        if (!c.ok) return json{{"error", c.error}}.dump() + "\n";
        json j{{"model", model}, {"created_at", rfc3339_now()}};
        if (chat) j["message"] = {{"role", "assistant"}, {"content", ""}};
        else j["response"] = "";
        add_stats(j, *run, c);
        return j.dump() + "\n";
      });
}

// input: a string or an array of strings.
bool parse_inputs(const json& v, const char* field, std::vector<std::string>* out, std::string* err) {
  if (v.is_string()) {
    out->push_back(v.get<std::string>());
    return true;
  }
  if (v.is_array()) {
    for (const auto& x : v) {
      if (!x.is_string()) {
        *err = std::string("field '") + field + "' must be a string or an array of strings";
        return false;
      }
      out->push_back(x.get<std::string>());
    }
    if (out->empty()) {
      *err = std::string("field '") + field + "' is an empty array";
      return false;
    }
    return true;
  }
  *err = std::string("field '") + field + "' must be a string or an array of strings";
  return false;
}

}  // namespace

// Embeds for both APIs; returns false after answering with an error.
bool embed_request(Server::Impl& s, const std::string& model, const std::vector<std::string>& inputs, bool truncate,
                   std::optional<std::chrono::milliseconds> ka, Res& res, bool openai,
                   std::vector<std::vector<float>>* out, int* n_tokens, double* load_ms) {
  int status = 0;
  std::string err;
  auto h = s.chat.acquire(model, ka, &status, &err, load_ms);
  auto fail = [&](int st, const std::string& m) {
    openai ? send_openai_error(res, st, m) : send_error(res, st, m);
    return false;
  };
  if (!h) return fail(status, err);
  llm::Embedder* e = h->get().get_embedder(s.models.params().embed, &err);
  if (!e) return fail(500, err);
  if (!e->embed(inputs, truncate, out, &err, n_tokens)) return fail(400, err);
  s.metrics.inc("owlet_embedded_tokens_total", "tokens embedded", {}, *n_tokens);
  return true;
}

void register_ollama_routes(Server::Impl& s) {
  auto& h = s.http;
  h.Get("/api/version", [&s](const Req&, Res& res) { send_json(res, 200, json{{"version", s.opts.version}}); });

  h.Get("/api/tags", [](const Req&, Res& res) {
    models::ModelStore store;
    json models = json::array();
    for (const auto& e : store.list()) {
      models::GgufSummary g;
      std::string err;
      models::read_gguf_summary(e.blob_path, &g, &err);
      std::string digest = e.digest.rfind("sha256:", 0) == 0 ? e.digest.substr(7) : e.digest;
      models.push_back({{"name", e.name},
                        {"model", e.name},
                        {"modified_at", rfc3339(std::chrono::system_clock::from_time_t(e.modified))},
                        {"size", e.size},
                        {"digest", digest},
                        {"details", details_of(g)}});
    }
    send_json(res, 200, json{{"models", models}});
  });

  h.Post("/api/show", [](const Req& req, Res& res) {
    JsonBody b;
    std::string err, name;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    if (!b.str("model", &name) || (name.empty() && !b.str("name", &name))) return send_error(res, 400, b.error());
    if (name.empty()) return send_error(res, 400, "missing field 'model'");
    models::ModelStore store;
    models::ModelDetails d;
    if (!store.show(name, &d, &err)) return send_error(res, 404, err);
    const auto& g = d.gguf;
    json info{{"general.architecture", g.architecture},
              {"general.name", g.name},
              {"general.parameter_count", g.n_params},
              {g.architecture + ".context_length", g.context_length}};
    bool embedding = g.architecture == "bert" || g.architecture == "nomic-bert";
    send_json(res, 200,
              json{{"modelfile", "# owlet: " + d.path + "\nFROM " + d.path + "\n"},
                   {"parameters", ""},
                   {"template", ""},
                   {"details", details_of(g)},
                   {"model_info", info},
                   {"capabilities", embedding ? json::array({"embedding"}) : json::array({"completion"})},
                   {"modified_at", rfc3339(std::chrono::system_clock::from_time_t(d.entry.modified))}});
  });

  h.Get("/api/ps", [&s](const Req&, Res& res) {
    json models = json::array();
    for (const auto& l : s.models.loaded()) {
      models::GgufSummary g;
      std::string err;
      models::read_gguf_summary(l.path, &g, &err);
      auto exp = l.expires_at == std::chrono::system_clock::time_point::max()
                     ? std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 100)
                     : l.expires_at;
      models.push_back({{"name", l.name},
                        {"model", l.name},
                        {"size", l.size_bytes},
                        {"digest", ""},
                        {"details", details_of(g)},
                        {"expires_at", rfc3339(exp)},
                        {"size_vram", 0}});
    }
    send_json(res, 200, json{{"models", models}});
  });

  h.Delete("/api/delete", [&s](const Req& req, Res& res) {
    JsonBody b;
    std::string err, name;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    if (!b.str("model", &name) || (name.empty() && !b.str("name", &name))) return send_error(res, 400, b.error());
    if (name.empty()) return send_error(res, 400, "missing field 'model'");
    s.models.unload(name);
    models::ModelStore store;
    std::vector<std::string> removed;
    if (!store.remove(name, &removed, &err))
      return send_error(res, err.find("not found") != std::string::npos ? 404 : 400, err);
    res.status = 200;
  });

  h.Post("/api/pull", [](const Req& req, Res& res) {
    JsonBody b;
    std::string err, name;
    bool stream = true, insecure = false;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    if (!b.str("model", &name) || (name.empty() && !b.str("name", &name)) || !b.boolean("stream", &stream) ||
        !b.boolean("insecure", &insecure))
      return send_error(res, 400, b.error());
    if (name.empty()) return send_error(res, 400, "missing field 'model'");
    models::PullOptions po;
    po.insecure = insecure;
    if (!stream) {
      models::PullResult r = models::pull_model(name, po);
      if (!r.ok) return send_error(res, 500, r.error);
      return send_json(res, 200, json{{"status", "success"}});
    }
    // Progress lines as the pull goes: run it on its own thread, stream what it reports.
    auto lines = std::make_shared<TokenStream>();
    po.status = [lines](const std::string& st) { lines->push(json{{"status", st}}.dump() + "\n"); };
    po.progress = [lines, name](uint64_t done, uint64_t total, double) {
      lines->push(json{{"status", "pulling " + name}, {"total", total}, {"completed", done}}.dump() + "\n");
    };
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    po.cancel = cancel.get();
    std::thread([name, po, lines] {
      models::PullResult r = models::pull_model(name, po);
      lines->push(r.ok ? json{{"status", "success"}}.dump() + "\n" : json{{"error", r.error}}.dump() + "\n");
      llm::Completion c;
      c.ok = true;
      lines->finish(c);
    }).detach();
    res.set_chunked_content_provider(
        "application/x-ndjson",
        [lines, cancel](size_t, httplib::DataSink& sink) {
          std::string text;
          while (true) {
            bool finished = lines->next(&text, 200);
            if (!text.empty() && !sink.write(text.data(), text.size())) {
              *cancel = true;
              return false;
            }
            if (finished) break;
          }
          sink.done();
          return true;
        },
        [cancel](bool ok) {
          if (!ok) *cancel = true;
        });
  });

  h.Post("/api/generate", [&s](const Req& req, Res& res) { handle_generation(s, req, res, false); });
  h.Post("/api/chat", [&s](const Req& req, Res& res) { handle_generation(s, req, res, true); });

  h.Post("/api/embed", [&s](const Req& req, Res& res) {
    JsonBody b;
    std::string err, model;
    bool truncate = true;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    if (!b.str("model", &model) || !b.boolean("truncate", &truncate)) return send_error(res, 400, b.error());
    if (model.empty()) model = s.opts.default_model;
    if (model.empty()) return send_error(res, 400, "missing field 'model'");
    if (!b.has("input")) return send_error(res, 400, "missing field 'input'");
    std::vector<std::string> inputs;
    if (!parse_inputs(b.root()["input"], "input", &inputs, &err)) return send_error(res, 400, err);
    GenerationOptions opt;
    if (!parse_ollama_options(b.root(), &opt, &err)) return send_error(res, 400, err);
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
  });

  h.Post("/api/embeddings", [&s](const Req& req, Res& res) {  // the older, single-prompt form
    JsonBody b;
    std::string err, model, prompt;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    if (!b.str("model", &model) || !b.str("prompt", &prompt, true)) return send_error(res, 400, b.error());
    if (model.empty()) model = s.opts.default_model;
    if (model.empty()) return send_error(res, 400, "missing field 'model'");
    GenerationOptions opt;
    if (!parse_ollama_options(b.root(), &opt, &err)) return send_error(res, 400, err);
    std::vector<std::vector<float>> vecs;
    int n_tokens = 0;
    double load_ms = 0;
    if (!embed_request(s, model, {prompt}, true, opt.keep_alive, res, false, &vecs, &n_tokens, &load_ms)) return;
    send_json(res, 200, json{{"embedding", vecs[0]}});
  });
}

}  // namespace owlet::server
