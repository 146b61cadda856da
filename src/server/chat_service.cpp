#include "server/chat_service.h"

#include "llm/grammar.h"
#include "llm/model_manager.h"

namespace owlet::server {

using Clock = std::chrono::steady_clock;

bool parse_ollama_options(const json& body, GenerationOptions* out, std::string* err) {
  if (body.contains("options") && !body["options"].is_null()) {
    const json& o = body["options"];
    if (!o.is_object()) {
      *err = "field 'options' must be an object";
      return false;
    }
    double d;
    long long i;
    auto& s = out->sampling;
    d = s.temperature;
    if (!JsonBody::get_number(o, "options", "temperature", &d, 0, 100, err)) return false;
    s.temperature = static_cast<float>(d);
    d = s.top_p;
    if (!JsonBody::get_number(o, "options", "top_p", &d, 0, 1, err)) return false;
    s.top_p = static_cast<float>(d);
    d = s.min_p;
    if (!JsonBody::get_number(o, "options", "min_p", &d, 0, 1, err)) return false;
    s.min_p = static_cast<float>(d);
    d = s.repeat_penalty;
    if (!JsonBody::get_number(o, "options", "repeat_penalty", &d, 0, 10, err)) return false;
    s.repeat_penalty = static_cast<float>(d);
    i = s.top_k;
    if (!JsonBody::get_integer(o, "options", "top_k", &i, 0, 1 << 20, err)) return false;
    s.top_k = static_cast<int>(i);
    i = s.repeat_last_n;
    if (!JsonBody::get_integer(o, "options", "repeat_last_n", &i, -1, 1 << 20, err)) return false;
    s.repeat_last_n = static_cast<int>(i);
    i = s.seed;
    if (!JsonBody::get_integer(o, "options", "seed", &i, -1, 0xFFFFFFFFLL, err)) return false;
    s.seed = i;
    i = out->num_predict;
    if (!JsonBody::get_integer(o, "options", "num_predict", &i, -2, 1 << 24, err)) return false;
    out->num_predict = i < 0 ? -1 : static_cast<int>(i);
    i = out->num_ctx;
    if (!JsonBody::get_integer(o, "options", "num_ctx", &i, 0, 1 << 24, err)) return false;
    out->num_ctx = static_cast<int>(i);
    if (o.contains("stop") && !o["stop"].is_null()) {
      if (!o["stop"].is_array()) {
        *err = "field 'options.stop' must be an array of strings";
        return false;
      }
      for (const auto& x : o["stop"]) {
        if (!x.is_string()) {
          *err = "field 'options.stop' must be an array of strings";
          return false;
        }
        out->stop.push_back(x.get<std::string>());
      }
    }
  }
  if (body.contains("format") && !body["format"].is_null()) {
    const json& f = body["format"];
    if (f.is_string() && f.get<std::string>() == "json") {
      out->sampling.grammar = llm::json_object_grammar();
    } else if (f.is_object()) {
      if (!llm::grammar_from_json_schema(f.dump(), &out->sampling.grammar, err)) return false;
    } else if (!(f.is_string() && f.get<std::string>().empty())) {
      *err = "field 'format' must be \"json\" or a JSON schema object";
      return false;
    }
  }
  if (body.contains("keep_alive") && !body["keep_alive"].is_null()) {
    const json& k = body["keep_alive"];
    std::chrono::milliseconds ka;
    std::string text = k.is_string() ? k.get<std::string>() : k.is_number() ? std::to_string(k.get<double>()) : "";
    if (k.is_number() && k.get<double>() < 0) text = "-1";
    if (text.empty() || !llm::parse_keep_alive(text, &ka, err)) {
      if (err->empty()) *err = "field 'keep_alive' must be a duration like \"5m\" or a number of seconds";
      return false;
    }
    out->keep_alive = ka;
  }
  return true;
}

std::shared_ptr<llm::ModelHandle> ChatService::acquire(const std::string& model,
                                                       std::optional<std::chrono::milliseconds> ka, int* status,
                                                       std::string* err, double* load_ms) {
  auto t0 = Clock::now();
  if (model.empty()) {
    *status = 400;
    *err = "missing field 'model'";
    return nullptr;
  }
  auto h = models_.acquire(model, ka, err);
  if (load_ms) *load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!h) {
    *status = err->find("not found") != std::string::npos ? 404 : 500;
    return nullptr;
  }
  return h;
}

ChatRun ChatService::start(const ChatRequest& req) {
  ChatRun run;
  run.started = Clock::now();
  run.handle = acquire(req.model, req.options.keep_alive, &run.status, &run.error, &run.load_ms);
  if (!run.handle) return run;
  if (!run.handle->get().engine) {
    run.status = 400;
    run.error = "model '" + req.model + "' is an embedding model and cannot generate text";
    run.handle.reset();
    return run;
  }
  llm::Request r;
  r.sampling = req.options.sampling;
  r.num_predict = req.options.num_predict;
  r.num_ctx = req.options.num_ctx;
  r.stop = req.options.stop;
  if (req.use_raw) {
    r.prompt = req.raw_prompt;
  } else {
    auto tmpl = llm::ChatTemplate::create(run.handle->model(), "", &run.error);
    if (!tmpl || !tmpl->apply(req.messages, true, &r.prompt, &run.error)) {
      run.status = 500;
      run.handle.reset();
      return run;
    }
    for (const auto& s : tmpl->additional_stops()) r.stop.push_back(s);
  }
  run.stream = std::make_shared<TokenStream>();
  auto stream = run.stream;
  run.job = run.handle->engine().submit(
      std::move(r),
      [stream](std::string_view t) {
        stream->push(t);
        return true;
      },
      [stream](const llm::Completion& c) { stream->finish(c); });
  if (run.job->done()) {  // refused at once: queue full, prompt too long, bad grammar
    llm::Completion c = run.job->wait();
    if (!c.ok) {
      run.status = c.error == "queue full" ? 503 : 400;
      run.error = c.error;
      run.handle.reset();
      return run;
    }
  }
  return run;
}

}  // namespace owlet::server
