#include "server/chat_service.h"

#include "llm/grammar.h"
#include "llm/model_manager.h"

namespace owlet::server {

using Clock = std::chrono::steady_clock;

namespace {

// One field of Ollama's "options", range-checked, onto its typed place.
bool option(const json& o, const char* key, float* field, double lo, double hi, Error* err) {
  double d = *field;
  if (!JsonBody::get_number(o, "options", key, &d, lo, hi, err)) return false;
  *field = static_cast<float>(d);
  return true;
}

bool option(const json& o, const char* key, int* field, long long lo, long long hi, Error* err) {
  long long i = *field;
  if (!JsonBody::get_integer(o, "options", key, &i, lo, hi, err)) return false;
  *field = static_cast<int>(i);
  return true;
}

}  // namespace

bool parse_ollama_options(const json& body, GenerationOptions* out, Error* err) {
  if (body.contains("options") && !body["options"].is_null()) {
    const json& o = body["options"];
    if (!o.is_object()) {
      *err = Error(ErrorKind::bad_request, "field 'options' must be an object");
      return false;
    }
    auto& s = out->sampling;
    long long seed = s.seed;
    if (!option(o, "temperature", &s.temperature, 0, 100, err) || !option(o, "top_p", &s.top_p, 0, 1, err) ||
        !option(o, "min_p", &s.min_p, 0, 1, err) || !option(o, "repeat_penalty", &s.repeat_penalty, 0, 10, err) ||
        !option(o, "top_k", &s.top_k, 0, 1 << 20, err) || !option(o, "repeat_last_n", &s.repeat_last_n, -1, 1 << 20, err) ||
        !JsonBody::get_integer(o, "options", "seed", &seed, -1, 0xFFFFFFFFLL, err) ||
        !option(o, "num_predict", &out->num_predict, -2, 1 << 24, err) || !option(o, "num_ctx", &out->num_ctx, 0, 1 << 24, err))
      return false;
    s.seed = seed;
    if (o.contains("draft_model") && !o["draft_model"].is_null()) {
      if (!o["draft_model"].is_string()) return fail(err, ErrorKind::bad_request, "field 'options.draft_model' must be a string");
      out->draft_model = o["draft_model"].get<std::string>();
    }
    if (out->num_predict < 0) out->num_predict = -1;  // Ollama's -2 ("fill the context") is ours -1
    if (o.contains("stop") && !o["stop"].is_null()) {
      if (!o["stop"].is_array()) {
        *err = Error(ErrorKind::bad_request, "field 'options.stop' must be an array of strings");
        return false;
      }
      for (const auto& x : o["stop"]) {
        if (!x.is_string()) {
          *err = Error(ErrorKind::bad_request, "field 'options.stop' must be an array of strings");
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
      *err = Error(ErrorKind::bad_request, "field 'format' must be \"json\" or a JSON schema object");
      return false;
    }
  }
  if (body.contains("keep_alive") && !body["keep_alive"].is_null()) {
    const json& k = body["keep_alive"];
    std::chrono::milliseconds ka;
    std::string text = k.is_string() ? k.get<std::string>() : k.is_number() ? std::to_string(k.get<double>()) : "";
    if (k.is_number() && k.get<double>() < 0) text = "-1";
    if (text.empty() || !llm::parse_keep_alive(text, &ka, err)) {
      if (err->ok()) *err = Error(ErrorKind::bad_request, "field 'keep_alive' must be a duration like \"5m\" or a number of seconds");
      return false;
    }
    out->keep_alive = ka;
  }
  return true;
}

bool render_chat(const ChatRequest& req, llm::LoadedModel& model, llm::ChatPrompt* out, Error* err) {
  const llm::ChatTemplate* tmpl = model.get_template(err);
  if (!tmpl) return false;
  const std::string who = "\"" + req.model + "\"";
  if (req.think.value_or(false) && !tmpl->caps().thinking)
    return fail(err, ErrorKind::unsupported, who + " does not support thinking");
  llm::ChatOptions o = req.chat;
  o.thinking = req.think.value_or(true);
  if (!o.tools.empty() && o.tool_choice != llm::ToolChoice::none && !tmpl->caps().tools)
    return fail(err, ErrorKind::unsupported, who + " does not support tools");
  return tmpl->render(req.messages, o, out, err);
}

std::shared_ptr<llm::ModelHandle> ChatService::acquire(const std::string& model,
                                                       std::optional<std::chrono::milliseconds> ka, Error* err,
                                                       double* load_ms, const std::string& draft) {
  auto t0 = Clock::now();
  if (model.empty()) {
    fail(err, ErrorKind::bad_request, "missing field 'model'");
    return nullptr;
  }
  auto h = models_.acquire(model, ka, err, draft);
  if (load_ms) *load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return h;
}

void ChatService::start(const ChatRequest& req, const std::atomic<bool>* cancel, llm::TextCallback on_text,
                        llm::DoneCallback on_done, ChatRun* run) {
  run->started = Clock::now();
  run->handle = acquire(req.model, req.options.keep_alive, &run->error, &run->load_ms, req.options.draft_model);
  if (!run->handle) return;
  if (!run->handle->get().engine) {
    run->error = Error(ErrorKind::unsupported, "model '" + req.model + "' is an embedding model and cannot generate text");
    run->handle.reset();
    return;
  }
  llm::Request r;
  r.sampling = req.options.sampling;
  r.num_predict = req.options.num_predict;
  r.num_ctx = req.options.num_ctx;
  r.stop = req.options.stop;
  r.cancel = cancel;
  if (req.use_raw) {
    r.prompt = req.raw_prompt;
  } else if (!render_chat(req, run->handle->get(), &run->prompt, &run->error)) {
    run->handle.reset();
    return;
  } else {
    run->prompt.configure(&r);
  }
  run->parser = std::make_shared<llm::ChatParser>(run->prompt);
  run->job = run->handle->engine().submit(std::move(r), std::move(on_text), std::move(on_done));
  if (run->job->done()) {  // refused at once: queue full, prompt too long, bad grammar
    llm::Completion c = run->job->wait();
    if (!c.ok) {
      run->error = c.error;
      run->handle.reset();
    }
  }
}

}  // namespace owlet::server
