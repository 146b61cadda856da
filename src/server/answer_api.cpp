// owlet's own answer endpoint, and the machinery that runs pipeline answers for
// it and for grounded Ollama/OpenAI chat: a thread per answer, its output handed
// to the HTTP thread, cancelled when the client leaves or the server stops.
#include <deque>
#include <thread>

#include "answer/answer_json.h"
#include "answer/experiment.h"
#include "server/server_context.h"

namespace owlet::server {
namespace {

using Clock = std::chrono::steady_clock;

// What the answer thread hands to the HTTP thread.
struct AnswerOutput {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> chunks;
  bool done = false;
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);

  void push(std::string bytes) {
    if (bytes.empty()) return;
    {
      std::lock_guard lk(mu);
      chunks.push_back(std::move(bytes));
    }
    cv.notify_one();
  }
  void finish() {
    {
      std::lock_guard lk(mu);
      done = true;
    }
    cv.notify_one();
  }
  // Waits up to ms; moves pending bytes to *out; true once finished and drained.
  bool next(std::string* out, int ms) {
    std::unique_lock lk(mu);
    cv.wait_for(lk, std::chrono::milliseconds(ms), [&] { return done || !chunks.empty(); });
    out->clear();
    while (!chunks.empty()) {
      *out += chunks.front();
      chunks.pop_front();
    }
    return done && out->empty();
  }
};

void track(Server::Impl& s, const std::shared_ptr<std::atomic<bool>>& cancel) {
  std::lock_guard lk(s.jobs_mu);
  s.answers.insert(cancel);
}

void untrack(Server::Impl& s, const std::shared_ptr<std::atomic<bool>>& cancel) {
  {
    std::lock_guard lk(s.jobs_mu);
    s.answers.erase(cancel);
  }
  s.answers_cv.notify_all();
}

// The pipeline for this request: its experiment arm's, or the only one.
answer::Pipeline* pick_pipeline(Server::Impl& s, const answer::AnswerRequest& req) {
  if (!s.services.choose_pipeline) return s.services.pipeline;
  std::string arm;
  answer::Pipeline* p = s.services.choose_pipeline(req.client_id, &arm);
  return p ? p : s.services.pipeline;
}

// Remembers which arm gave an answer, for feedback on it later.
void remember_answer(Server::Impl& s, const answer::AnswerResult& r) {
  if (!r.ok || r.id.empty()) return;
  std::lock_guard lk(s.answered_mu);
  if (!s.answered.emplace(r.id, r.arm).second) return;
  s.answered_order.push_back(r.id);
  while (s.answered_order.size() > Server::Impl::kMaxRemembered) {
    s.answered.erase(s.answered_order.front());
    s.answered_order.pop_front();
  }
}

bool parse_web_field(const json& v, const std::string& where, std::optional<answer::WebMode>* out, std::string* err) {
  if (v.is_null()) return true;
  answer::WebMode m;
  if (!v.is_string() || !answer::parse_web_mode(v.get<std::string>(), &m)) {
    *err = "field '" + where + "' must be \"auto\", \"always\" or \"never\"";
    return false;
  }
  *out = m;
  return true;
}

bool parse_engine_field(const json& v, const std::string& where, std::optional<bool>* extractive, std::string* err) {
  if (v.is_null()) return true;
  if (!v.is_string() || (v != "llm" && v != "extractive")) {
    *err = "field '" + where + "' must be \"llm\" or \"extractive\"";
    return false;
  }
  *extractive = v == "extractive";
  return true;
}

// The request's generation options onto the answer request; only what the client set.
void copy_options(const json& body, const GenerationOptions& o, answer::AnswerRequest* a) {
  const json opts = body.contains("options") && body["options"].is_object() ? body["options"] : json::object();
  if (opts.contains("temperature") || opts.contains("top_k") || opts.contains("top_p") || opts.contains("min_p") ||
      opts.contains("seed") || opts.contains("repeat_penalty") || opts.contains("repeat_last_n") ||
      body.contains("temperature") || body.contains("top_p") || body.contains("seed"))  // OpenAI's top level
    a->sampling = o.sampling;
  if (opts.contains("num_predict") || o.num_predict > 0) a->num_predict = o.num_predict;
  a->num_ctx = o.num_ctx;
  a->stop = o.stop;
  a->keep_alive = o.keep_alive;
}

void split_messages(const std::vector<llm::ChatMessage>& messages, answer::AnswerRequest* a) {
  // The last user turn is the question; system turns become the client's system
  // prompt (kept after owlet's); the rest is history.
  size_t last_user = messages.size();
  for (size_t i = messages.size(); i-- > 0;)
    if (messages[i].role == "user") {
      last_user = i;
      break;
    }
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    if (i == last_user) a->question = m.content;
    else if (m.role == "system") a->system += (a->system.empty() ? "" : "\n") + m.content;
    else if (i < last_user) a->history.push_back(m);
  }
}

}  // namespace

bool grounded_request(Server::Impl& s, const json& body, const ChatRequest& chat, answer::AnswerRequest* out,
                      std::string* err) {
  if (!s.services.pipeline || chat.use_raw || chat.messages.empty()) return false;
  if (chat.messages.back().role != "user") return false;  // a tool result or a prefill: plain chat
  if (!chat.options.sampling.grammar.empty()) return false;  // structured output is not prose to cite
  if (body.contains("tools") && body["tools"].is_array() && !body["tools"].empty()) return false;
  bool ground = s.opts.ground_chat;
  answer::AnswerRequest a;
  const json opts = body.contains("options") && body["options"].is_object() ? body["options"] : json::object();
  if (opts.contains("web") && !parse_web_field(opts["web"], "options.web", &a.web, err)) return false;
  if (body.contains("owlet") && !body["owlet"].is_null()) {
    const json& o = body["owlet"];
    if (!o.is_object()) {
      *err = "field 'owlet' must be an object";
      return false;
    }
    if (o.contains("web") && !parse_web_field(o["web"], "owlet.web", &a.web, err)) return false;
    if (o.contains("engine") && !parse_engine_field(o["engine"], "owlet.engine", &a.extractive, err)) return false;
    if (o.contains("ground")) {
      if (!o["ground"].is_boolean()) {
        *err = "field 'owlet.ground' must be a boolean";
        return false;
      }
      ground = o["ground"].get<bool>();
    }
  }
  if (a.web) ground = true;  // asking for a web mode asks for grounding
  if (!ground) return false;
  split_messages(chat.messages, &a);
  if (a.question.empty()) return false;
  a.model = chat.model;
  copy_options(body, chat.options, &a);
  *out = std::move(a);
  return true;
}

llm::Completion completion_of(const answer::AnswerResult& r) {
  llm::Completion c;
  c.ok = r.ok;
  c.error = r.error;
  c.text = r.answer;
  c.finish = r.done_reason == "length"      ? llm::FinishReason::length
             : r.done_reason == "cancelled" ? llm::FinishReason::cancelled
                                            : llm::FinishReason::stop;
  c.n_prompt = r.prompt_tokens;
  c.n_prompt_cached = r.prompt_cached_tokens;
  c.n_generated = r.generated_tokens;
  c.prompt_ms = r.times.prefill;
  c.generate_ms = r.times.generate;
  return c;
}

std::string sources_block(const answer::AnswerResult& r) {
  if (r.sources.empty()) return "";
  std::string out = "\n\nSources:\n";
  for (const auto& src : r.sources)
    out += "[" + std::to_string(src.n) + "] " + (src.title.empty() ? src.url : src.title + " — " + src.url) + "\n";
  return out;
}

void stream_answer(Server::Impl& s, Res& res, answer::AnswerRequest req, const char* content_type, AnswerFormat fmt) {
  auto out = std::make_shared<AnswerOutput>();
  track(s, out->cancel);
  req.cancel = out->cancel.get();
  std::thread([&s, out, req = std::move(req), fmt]() mutable {
    answer::AnswerCallbacks cb;
    cb.on_route = [&](const answer::AnswerResult& r) { out->push(fmt.route(r)); };
    cb.on_text = [&](std::string_view t) {
      out->push(fmt.text(std::string(t)));
      return !out->cancel->load();
    };
    answer::AnswerResult r = pick_pipeline(s, req)->answer(req, cb);
    remember_answer(s, r);
    if (r.ok && !r.cache_hit && r.engine == "llm") record_completion(s.metrics, "answer", completion_of(r));
    out->push(fmt.done(r));
    out->finish();
    untrack(s, out->cancel);
  }).detach();
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      content_type,
      [out](size_t, httplib::DataSink& sink) {
        std::string bytes;
        while (true) {
          bool finished = out->next(&bytes, 200);
          if (!bytes.empty()) {
            if (!sink.write(bytes.data(), bytes.size())) {
              *out->cancel = true;  // client went away
              return false;
            }
          } else if (!finished && !sink.is_writable()) {
            *out->cancel = true;
            return false;
          }
          if (finished) break;
        }
        sink.done();
        return true;
      },
      [out](bool success) {
        if (!success) *out->cancel = true;
      });
}

bool check_answer_model(Server::Impl& s, answer::AnswerRequest& req, int* status, std::string* err) {
  if (req.model.empty()) {
    // An arm may override the model; the pick is sticky, so the answer runs on the same arm.
    const answer::Pipeline* p = pick_pipeline(s, req);
    req.model = p && !p->options().default_model.empty() ? p->options().default_model : s.opts.default_model;
  }
  if (req.extractive.value_or(false) || req.model.empty()) return true;
  auto pin = s.chat.acquire(req.model, req.keep_alive, status, err);
  if (!pin) return false;
  if (!pin->get().engine) {
    *status = 400;
    *err = "model '" + req.model + "' is an embedding model and cannot generate text";
    return false;
  }
  return true;
}

answer::AnswerResult run_answer(Server::Impl& s, answer::AnswerRequest req) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  track(s, cancel);
  req.cancel = cancel.get();
  answer::AnswerResult r = pick_pipeline(s, req)->answer(req);
  untrack(s, cancel);
  remember_answer(s, r);
  if (r.ok && !r.cache_hit && r.engine == "llm") record_completion(s.metrics, "answer", completion_of(r));
  return r;
}

std::string client_id_of(const Server::Impl& s, const Req& req) {
  std::string header = req.get_header_value("X-Owlet-Client");
  if (!header.empty()) return "client:" + header;
  std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0 && auth.size() > 7 && auth.substr(7) != s.opts.api_key) {
    // Only a hash of the key travels further, so no log line or metric can leak it.
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(answer::client_hash(auth.substr(7))));
    return std::string("key:") + hex;
  }
  return "addr:" + req.remote_addr;
}

void register_answer_routes(Server::Impl& s) {
  s.http.Post("/api/answer", [&s](const Req& req, Res& res) {
    if (!s.services.pipeline) return send_error(res, 503, "the answer pipeline is not configured on this server");
    JsonBody b;
    std::string err;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    answer::AnswerRequest a;
    bool stream = true, cache = true, include_context = false;
    if (!b.str("question", &a.question, true) || !b.str("model", &a.model) || !b.boolean("stream", &stream) ||
        !b.str("system", &a.system) || !b.boolean("cache", &cache) || !b.boolean("include_context", &include_context))
      return send_error(res, 400, b.error());
    if (a.question.find_first_not_of(" \t\r\n") == std::string::npos)
      return send_error(res, 400, "field 'question' is empty");
    const json& body = b.root();
    if (body.contains("web") && !parse_web_field(body["web"], "web", &a.web, &err)) return send_error(res, 400, err);
    if (body.contains("engine") && !parse_engine_field(body["engine"], "engine", &a.extractive, &err))
      return send_error(res, 400, err);
    ChatRequest history;
    if (body.contains("messages") && !body["messages"].is_null()) {
      if (!body["messages"].is_array()) return send_error(res, 400, "field 'messages' must be an array");
      for (const auto& m : body["messages"]) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
            !m["content"].is_string())
          return send_error(res, 400, "each of 'messages' must be {\"role\": string, \"content\": string}");
        std::string role = m["role"].get<std::string>();
        if (role != "user" && role != "assistant" && role != "system")
          return send_error(res, 400, "messages[].role must be system, user or assistant");
        if (role == "system") a.system += (a.system.empty() ? "" : "\n") + m["content"].get<std::string>();
        else a.history.push_back({role, m["content"].get<std::string>()});
      }
    }
    GenerationOptions opt;
    if (!parse_ollama_options(body, &opt, &err)) return send_error(res, 400, err);
    copy_options(body, opt, &a);
    a.use_cache = cache;
    a.client_id = client_id_of(s, req);
    int status = 0;
    if (!check_answer_model(s, a, &status, &err)) return send_error(res, status, err);
    if (!stream) {
      answer::AnswerResult r = run_answer(s, std::move(a));
      if (!r.ok) return send_error(res, r.status, r.error);
      return send_json(res, 200, answer::answer_to_json(r, include_context));
    }
    auto line = [](json j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; };
    AnswerFormat fmt;
    fmt.route = [line, include_context](const answer::AnswerResult& r) {
      json sources{{"type", "sources"}, {"sources", answer::sources_to_json(r.sources)}};
      if (include_context) sources["context"] = r.context;  // before prefill starts: what the model will see
      return line(json{{"type", "route"}, {"id", r.id}, {"route", answer::route_to_json(r)}}) + line(sources);
    };
    fmt.text = [line](const std::string& t) { return line(json{{"type", "token"}, {"content", t}}); };
    fmt.done = [line, include_context](const answer::AnswerResult& r) {
      if (!r.ok) return line(json{{"type", "error"}, {"error", r.error}});
      json j = answer::answer_to_json(r, include_context);
      j["type"] = "done";
      return line(j);
    };
    stream_answer(s, res, std::move(a), "application/x-ndjson", fmt);
  });

  // Thumbs up/down on an answer, counted under the arm that gave it, so arms
  // compare on what users thought as well as on latency and tiers.
  s.http.Post("/api/feedback", [&s](const Req& req, Res& res) {
    JsonBody b;
    std::string err;
    if (!b.parse(req.body, &err)) return send_error(res, 400, err);
    std::string id, rating, comment;
    if (!b.str("id", &id, true) || !b.str("rating", &rating, true) || !b.str("comment", &comment))
      return send_error(res, 400, b.error());
    if (rating != "up" && rating != "down") return send_error(res, 400, "field 'rating' must be \"up\" or \"down\"");
    if (comment.size() > 4096) return send_error(res, 400, "field 'comment' is longer than 4096 bytes");
    std::string arm;
    {
      std::lock_guard lk(s.answered_mu);
      auto it = s.answered.find(id);
      if (it == s.answered.end())
        return send_error(res, 404, "answer '" + id.substr(0, 64) + "' is unknown or too old for feedback");
      arm = it->second;
    }
    obs::Labels labels;
    if (!arm.empty()) labels.emplace_back("arm", arm);
    labels.emplace_back("rating", rating);
    s.metrics.inc("owlet_feedback_total", "thumbs up/down on answers, by experiment arm", labels);
    send_json(res, 200, json{{"ok", true}, {"arm", arm}});
  });
}

}  // namespace owlet::server
