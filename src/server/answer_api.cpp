// owlet's own answer endpoint, and the machinery that runs pipeline answers for
// it and for grounded Ollama/OpenAI chat: a thread per answer, its output handed
// to the HTTP thread, cancelled when the client leaves or the server stops.
#include <deque>
#include <thread>

#include "answer/answer_json.h"
#include "answer/experiment.h"
#include "server/chat_options.h"
#include "server/messages.h"
#include "server/server_context.h"

namespace owlet::server {
namespace {

using Clock = std::chrono::steady_clock;

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

bool parse_web_field(const json& v, const std::string& where, std::optional<answer::WebMode>* out, Error* err) {
  if (v.is_null()) return true;
  answer::WebMode m;
  if (!v.is_string() || !answer::parse_web_mode(v.get<std::string>(), &m)) {
    *err = Error(ErrorKind::bad_request, "field '" + where + "' must be \"auto\", \"always\" or \"never\"");
    return false;
  }
  *out = m;
  return true;
}

bool parse_engine_field(const json& v, const std::string& where, std::optional<bool>* extractive, Error* err) {
  if (v.is_null()) return true;
  if (!v.is_string() || (v != "llm" && v != "extractive")) {
    *err = Error(ErrorKind::bad_request, "field '" + where + "' must be \"llm\" or \"extractive\"");
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
      body.contains("temperature") || body.contains("top_p") || body.contains("seed") ||  // OpenAI's top level
      body.contains("grammar") || body.contains("logit_bias"))
    a->sampling = o.sampling;
  // Its own temperature above 0 and no seed: the client asks for a sample, not
  // for the answer the cache holds (pipeline.h).
  const bool temperature = opts.contains("temperature") || body.contains("temperature");
  const bool seed = (opts.contains("seed") || body.contains("seed")) && o.sampling.seed >= 0;
  a->fresh_sample = temperature && o.sampling.temperature > 0 && !seed;
  if (opts.contains("num_predict") || o.num_predict > 0) a->num_predict = o.num_predict;
  a->num_ctx = o.num_ctx;
  a->stop = o.stop;
  a->keep_alive = o.keep_alive;
  a->draft_model = o.draft_model;
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

bool parse_cache_field(const json& body, bool* use_cache, Error* err) {
  // "cache": false at the top level (as on /api/answer) or in the owlet object.
  for (const json* o : {&body, body.contains("owlet") && body["owlet"].is_object() ? &body["owlet"] : nullptr}) {
    if (!o || !o->contains("cache") || (*o)["cache"].is_null()) continue;
    if (!(*o)["cache"].is_boolean())
      return fail(err, ErrorKind::bad_request, std::string("field '") + (o == &body ? "" : "owlet.") + "cache' must be a boolean");
    *use_cache = *use_cache && (*o)["cache"].get<bool>();
  }
  return true;
}

bool grounded_request(Server::Impl& s, const json& body, const ChatRequest& chat, answer::AnswerRequest* out,
                      Error* err) {
  if (!s.services.pipeline || chat.use_raw || chat.messages.empty()) return false;
  bool ground = s.opts.ground_chat, tools = false;
  answer::AnswerRequest a;
  if (!parse_cache_field(body, &a.use_cache, err)) return false;
  const json opts = body.contains("options") && body["options"].is_object() ? body["options"] : json::object();
  if (opts.contains("web") && !parse_web_field(opts["web"], "options.web", &a.web, err)) return false;
  if (body.contains("owlet") && !body["owlet"].is_null()) {
    const json& o = body["owlet"];
    if (!o.is_object()) return fail(err, ErrorKind::bad_request, "field 'owlet' must be an object");
    if (o.contains("web") && !parse_web_field(o["web"], "owlet.web", &a.web, err)) return false;
    if (o.contains("engine") && !parse_engine_field(o["engine"], "owlet.engine", &a.extractive, err)) return false;
    if (o.contains("ground")) {
      if (!o["ground"].is_boolean()) return fail(err, ErrorKind::bad_request, "field 'owlet.ground' must be a boolean");
      ground = o["ground"].get<bool>();
    }
    if (o.contains("tools")) {
      if (!o["tools"].is_boolean()) return fail(err, ErrorKind::bad_request, "field 'owlet.tools' must be a boolean");
      tools = o["tools"].get<bool>();
    }
  }
  // Structured output (format, response_format) is not prose to cite; a GBNF grammar shapes prose.
  const bool gbnf = body.contains("grammar") && body["grammar"].is_string();
  if (!chat.options.sampling.grammar.empty() && !gbnf) return false;
  if (tools) {
    // owlet's web_search and web_fetch offered beside the client's own tools.
    a.owlet_tools = true;
    a.messages = chat.messages;
    a.tools = chat.chat.tools;
    a.model = chat.model;
    copy_options(body, chat.options, &a);
    a.think = chat.think;
    a.reasoning_effort = chat.chat.reasoning_effort;
    *out = std::move(a);
    return true;
  }
  if (chat.messages.back().role != "user") return false;  // a tool result or a prefill: plain chat
  if (!chat.chat.tools.empty()) return false;            // the client's tools: the client is in charge
  if (a.web) ground = true;  // asking for a web mode asks for grounding
  if (!ground) return false;
  split_messages(chat.messages, &a);
  if (a.question.empty()) return false;
  a.model = chat.model;
  copy_options(body, chat.options, &a);
  a.think = chat.think;
  a.reasoning_effort = chat.chat.reasoning_effort;
  *out = std::move(a);
  return true;
}

llm::Completion completion_of(const answer::AnswerResult& r) {
  llm::Completion c;
  c.ok = r.ok;
  c.error = r.error;
  c.text = r.answer;
  c.finish = r.finish;
  c.n_prompt = r.prompt_tokens;
  c.n_prompt_cached = r.prompt_cached_tokens;
  c.n_generated = r.generated_tokens;
  c.n_drafted = r.drafted_tokens;
  c.n_accepted = r.accepted_tokens;
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
  auto work = s.begin_work();
  req.cancel = work->cancel_flag();
  // The thread holds the stream, and so the cancel flag the pipeline polls, until it ends.
  std::thread([&s, work, req = std::move(req), fmt]() mutable {
    answer::AnswerCallbacks cb;
    cb.on_route = [&](const answer::AnswerResult& r) { work->push(fmt.route(r)); };
    cb.on_text = [&](std::string_view t) {
      work->push(fmt.text(std::string(t)));
      return !work->cancelled();
    };
    if (fmt.thinking)
      cb.on_thinking = [&](std::string_view t) {
        work->push(fmt.thinking(std::string(t)));
        return !work->cancelled();
      };
    answer::AnswerResult r = pick_pipeline(s, req)->answer(req, cb);
    remember_answer(s, r);
    if (r.ok && !r.cache_hit && r.engine == "llm") record_completion(s.metrics, "answer", completion_of(r));
    work->push(fmt.done(r));
    work->finish();
    s.end_work(work);
  }).detach();
  stream_chunks(res, work, content_type);
}

bool check_answer_model(Server::Impl& s, answer::AnswerRequest& req, Error* err) {
  if (req.model.empty()) {
    // An arm may override the model; the pick is sticky, so the answer runs on the same arm.
    const answer::Pipeline* p = pick_pipeline(s, req);
    req.model = p && !p->options().default_model.empty() ? p->options().default_model : s.opts.default_model;
  }
  if (req.extractive.value_or(false) || req.model.empty()) return true;
  auto pin = s.chat.acquire(req.model, req.keep_alive, err, nullptr, req.draft_model);
  if (!pin) return false;
  if (!pin->get().engine)
    return fail(err, ErrorKind::unsupported, "model '" + req.model + "' is an embedding model and cannot generate text");
  return true;
}

answer::AnswerResult run_answer(Server::Impl& s, answer::AnswerRequest req) {
  auto work = s.begin_work();
  req.cancel = work->cancel_flag();
  answer::AnswerResult r = pick_pipeline(s, req)->answer(req);
  s.end_work(work);
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
    if (!s.services.pipeline) return send_error(res, ErrorKind::unavailable, "the answer pipeline is not configured on this server");
    JsonBody b;
    Error err;
    if (!b.parse(req.body, &err)) return send_error(res, err);
    answer::AnswerRequest a;
    bool stream = true, cache = true, include_context = false;
    if (!b.str("question", &a.question, true) || !b.str("model", &a.model) || !b.boolean("stream", &stream) ||
        !b.str("system", &a.system) || !b.boolean("cache", &cache) || !b.boolean("include_context", &include_context))
      return send_error(res, b.error());
    if (a.question.find_first_not_of(" \t\r\n") == std::string::npos)
      return send_error(res, ErrorKind::bad_request, "field 'question' is empty");
    const json& body = b.root();
    if (body.contains("web") && !parse_web_field(body["web"], "web", &a.web, &err)) return send_error(res, err);
    if (body.contains("engine") && !parse_engine_field(body["engine"], "engine", &a.extractive, &err))
      return send_error(res, err);
    if (b.has("messages")) {
      std::vector<llm::ChatMessage> turns;
      if (!parse_messages(body["messages"], MessageDialect::owlet, &turns, &err)) return send_error(res, err);
      for (auto& m : turns) {
        if (m.role == "system") a.system += (a.system.empty() ? "" : "\n") + m.content;
        else a.history.push_back(std::move(m));
      }
    }
    ChatRequest extra;  // think and grammar, as on /api/chat
    if (!parse_ollama_options(body, &extra.options, &err) || !parse_ollama_chat_options(body, &extra, &err))
      return send_error(res, err);
    copy_options(body, extra.options, &a);
    a.think = extra.think;
    a.reasoning_effort = extra.chat.reasoning_effort;
    a.use_cache = cache;
    a.client_id = client_id_of(s, req);
    if (!check_answer_model(s, a, &err)) return send_error(res, err);
    if (!stream) {
      answer::AnswerResult r = run_answer(s, std::move(a));
      if (!r.ok) return send_error(res, r.error);
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
    fmt.thinking = [line](const std::string& t) { return line(json{{"type", "thinking"}, {"content", t}}); };
    fmt.done = [line, include_context](const answer::AnswerResult& r) {
      if (!r.ok) return line(json{{"type", "error"}, {"error", r.error.message}});
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
    Error err;
    if (!b.parse(req.body, &err)) return send_error(res, err);
    std::string id, rating, comment;
    if (!b.str("id", &id, true) || !b.str("rating", &rating, true) || !b.str("comment", &comment))
      return send_error(res, b.error());
    if (rating != "up" && rating != "down") return send_error(res, ErrorKind::bad_request, "field 'rating' must be \"up\" or \"down\"");
    if (comment.size() > 4096) return send_error(res, ErrorKind::bad_request, "field 'comment' is longer than 4096 bytes");
    std::string arm;
    {
      std::lock_guard lk(s.answered_mu);
      auto it = s.answered.find(id);
      if (it == s.answered.end())
        return send_error(res, ErrorKind::not_found, "answer '" + id.substr(0, 64) + "' is unknown or too old for feedback");
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
