// Loaded models, shared by every request, unloaded after `keep_alive` idle —
// Ollama's semantics: a duration after the last request ends; 0 = unload as
// soon as it is idle; negative = never.
//
//   ModelManager mm(params);
//   auto h = mm.acquire("qwen2.5:0.5b", kDefaultKeepAlive, &err);  // loads on first use
//   h->engine().generate(...);
//   h.reset();  // idle from now; unloaded keep_alive later
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "llm/chat_template.h"
#include "llm/embedder.h"
#include "llm/engine.h"
#include "llm/model.h"

namespace owlet::llm {

// Parses Ollama's keep_alive: "5m", "1h30m", "30s", "250ms", a number of
// seconds ("300"), "0", "-1" (never). Negative → std::chrono::seconds::max().
bool parse_keep_alive(const std::string& text, std::chrono::milliseconds* out, Error* err);

struct ModelManagerParams {
  EngineParams engine;
  EmbedParams embed;
  ModelParams model;                                  // path is filled per model
  std::chrono::milliseconds keep_alive{5 * 60 * 1000};  // default for requests that give none
  int max_loaded = 3;                                 // least recently used idle model goes first
  std::chrono::milliseconds sweep_interval{1000};     // 0 = no background sweeper (call sweep())
  // Name → GGUF path (Ollama names, hf://, paths): models::resolve_model in the
  // composition root. Default: the name is a file path.
  std::function<bool(const std::string&, std::string*, Error*)> resolve;
  // A stored model's own Jinja chat template (a Modelfile's TEMPLATE), by name;
  // "" or unset = the GGUF's. A model with its own template is loaded apart from
  // the same file without it.
  std::function<std::string(const std::string&)> template_for;
};

struct LoadedModel {
  std::string name;   // as the user asked for it
  std::string path;
  std::string key;    // path, and the draft's path when a request named its own draft, and the template's hash
  std::string template_override;       // Jinja source used instead of the GGUF's ("" = the GGUF's)
  std::unique_ptr<Model> draft;        // a request's own draft model (the configured one is shared)
  std::unique_ptr<Model> model;
  std::unique_ptr<Engine> engine;      // chat models
  std::unique_ptr<Embedder> embedder;  // created on first embed request
  std::mutex embed_mu;
  std::chrono::steady_clock::time_point expires;
  std::chrono::steady_clock::time_point loaded_at;
  int in_use = 0;
  Embedder* get_embedder(const EmbedParams& p, Error* err);
  // The model's own chat template, parsed once per load (render() is const and
  // safe to share between requests).
  const ChatTemplate* get_template(Error* err);

 private:
  std::mutex template_mu_;
  std::unique_ptr<ChatTemplate> template_;
};

class ModelHandle;

struct LoadedInfo {
  std::string name, path;
  uint64_t size_bytes = 0;
  int in_use = 0;
  std::chrono::system_clock::time_point expires_at;  // max() when never
};

class ModelManager {
 public:
  explicit ModelManager(ModelManagerParams params);
  ~ModelManager();

  // Loads (or finds) a model and pins it until the handle is released. An
  // empty keep_alive uses the default. Thread-safe; concurrent acquires of the
  // same model load it once.
  //
  // `draft` names a draft model for speculative decoding (Ollama's
  // options.draft_model): the target is loaded with it, beside any copy without
  // it; bad_request when its vocabulary does not fit the target's. Without one,
  // the configured draft (params.engine.draft) is used where it fits.
  std::shared_ptr<ModelHandle> acquire(const std::string& name, std::optional<std::chrono::milliseconds> keep_alive,
                                       Error* err, const std::string& draft = "");
  // Unloads now if idle (Ollama's keep_alive: 0 on a request with no prompt).
  bool unload(const std::string& name);
  std::vector<LoadedInfo> loaded() const;
  // Unloads idle models whose keep_alive ran out by `now`. A background thread
  // calls it every sweep_interval; tests call it with a later `now` instead of waiting.
  void sweep(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  const ModelManagerParams& params() const { return params_; }
  // Models being loaded right now (GET /health answers 503 meanwhile).
  int loading_count() const;
  // Visits each loaded chat model's engine (for metrics).
  void for_each_engine(const std::function<void(const Engine&)>& fn) const;

 private:
  friend class ModelHandle;
  void release(LoadedModel* m, std::chrono::milliseconds keep_alive);
  ModelManagerParams params_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<LoadedModel>> models_;  // by LoadedModel::key
  std::map<std::string, std::shared_ptr<std::mutex>> loading_;  // one loader per key
  std::shared_ptr<LoadedModel> load(const std::string& name, const std::string& path, const std::string& draft_path,
                                    const std::string& key, Error* err) const;
  bool stopping_ = false;
  std::thread sweeper_;
};

// Keeps one model loaded while alive.
class ModelHandle {
 public:
  ~ModelHandle();
  LoadedModel& get() { return *m_; }
  Engine& engine() { return *m_->engine; }
  const Model& model() const { return *m_->model; }

 private:
  friend class ModelManager;
  ModelHandle(ModelManager* mm, std::shared_ptr<LoadedModel> m, std::chrono::milliseconds ka)
      : mm_(mm), m_(std::move(m)), keep_alive_(ka) {}
  ModelManager* mm_;
  std::shared_ptr<LoadedModel> m_;
  std::chrono::milliseconds keep_alive_;
};

}  // namespace owlet::llm
