#include "llm/model_manager.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "llm/draft_fit.h"
#include "obs/log.h"

namespace owlet::llm {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool parse_keep_alive(const std::string& text, milliseconds* out, Error* err) {
  std::string s = text;
  if (s.empty()) {
    *err = Error(ErrorKind::bad_request, "keep_alive: empty");
    return false;
  }
  if (s[0] == '-') {  // any negative duration: keep loaded forever
    *out = milliseconds::max();
    return true;
  }
  // Above a century is a mistake, and past ~292 million years the milliseconds
  // would not fit: refuse rather than cast an out-of-range double.
  constexpr double kMaxMs = 100.0 * 365 * 24 * 3600 * 1000;
  auto number = [&](const std::string& t, double* v) {
    char* end = nullptr;
    *v = std::strtod(t.c_str(), &end);
    return !t.empty() && end == t.c_str() + t.size() && std::isfinite(*v);
  };
  auto too_long = [&] {
    return fail(err, ErrorKind::bad_request,
                "keep_alive: '" + text + "' is longer than 100 years (use -1 to keep a model loaded forever)");
  };
  // Plain number: seconds.
  if (s.find_first_not_of("0123456789.") == std::string::npos) {
    double v = 0;
    if (!number(s, &v)) return fail(err, ErrorKind::bad_request, "keep_alive: '" + text + "' is not a number of seconds");
    if (v * 1000 > kMaxMs) return too_long();
    *out = milliseconds(static_cast<long long>(v * 1000));
    return true;
  }
  // Go-style duration: sequence of <number><unit>.
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    double v = 0;
    if (j == i || !number(s.substr(i, j - i), &v)) {
      *err = Error(ErrorKind::bad_request, "keep_alive: '" + text + "' is not a duration (like 5m, 1h, 30s, 0 or -1)");
      return false;
    }
    size_t k = j;
    while (k < s.size() && isalpha(static_cast<unsigned char>(s[k]))) ++k;
    std::string unit = s.substr(j, k - j);
    double ms = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : unit == "h" ? 3600000 : -1;
    if (ms < 0) {
      *err = Error(ErrorKind::bad_request, "keep_alive: unknown unit '" + unit + "' in '" + text + "' (ms, s, m, h)");
      return false;
    }
    total += v * ms;
    if (total > kMaxMs) return too_long();
    i = k;
  }
  *out = milliseconds(static_cast<long long>(total));
  return true;
}

Embedder* LoadedModel::get_embedder(const EmbedParams& p, Error* err) {
  std::lock_guard<std::mutex> lk(embed_mu);
  if (!embedder) embedder = Embedder::create(*model, p, err);
  return embedder.get();
}

const ChatTemplate* LoadedModel::get_template(Error* err) {
  std::lock_guard<std::mutex> lk(template_mu_);
  if (!template_) template_ = ChatTemplate::create(*model, template_override, err);
  return template_.get();
}

ModelManager::ModelManager(ModelManagerParams params) : params_(std::move(params)) {
  // llm knows files only; names (Ollama, hf://) are resolved by the models
  // module, which the composition root plugs in here.
  if (!params_.resolve)
    params_.resolve = [](const std::string& name, std::string* path, Error* err) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(name, ec)) {
        *err = Error(ErrorKind::not_found, "model not found: " + name);
        return false;
      }
      *path = name;
      return true;
    };
  if (params_.sweep_interval.count() <= 0) return;
  sweeper_ = std::thread([this] {
    std::unique_lock<std::mutex> lk(mu_);
    while (!stopping_) {
      cv_.wait_for(lk, params_.sweep_interval);
      lk.unlock();
      sweep();
      lk.lock();
    }
  });
}

ModelManager::~ModelManager() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

// Loads a model and its engine (not yet registered): with a request's own draft
// at draft_path, else with the configured draft where its vocabulary fits.
std::shared_ptr<LoadedModel> ModelManager::load(const std::string& name, const std::string& path,
                                                const std::string& draft_path, const std::string& key,
                                                Error* err) const {
  auto lm = std::make_shared<LoadedModel>();
  lm->name = name;
  lm->path = path;
  lm->key = key;
  ModelParams mp = params_.model;
  mp.path = path;
  lm->model = Model::load(mp, err);
  if (!lm->model) return nullptr;
  if (lm->model->info().is_embedding) return lm;
  EngineParams ep = params_.engine;
  if (!draft_path.empty()) {
    mp.path = draft_path;
    lm->draft = Model::load(mp, err);
    if (!lm->draft) {
      *err = err->with_prefix("draft model: ");
      return nullptr;
    }
    ep.draft = lm->draft.get();  // Engine::create refuses one that does not fit
  } else if (ep.draft) {
    Error why;
    if (!draft_fits(*lm->model, *ep.draft, &why)) {
      obs::log(obs::LogLevel::info, "%s; %s runs without it", why.message.c_str(), name.c_str());
      ep.draft = nullptr;
    }
  }
  lm->engine = Engine::create(*lm->model, ep, err);
  if (!lm->engine) return nullptr;
  return lm;
}

std::shared_ptr<ModelHandle> ModelManager::acquire(const std::string& name, std::optional<milliseconds> keep_alive,
                                                   Error* err, const std::string& draft) {
  milliseconds ka = keep_alive.value_or(params_.keep_alive);
  std::string path, draft_path;
  if (!params_.resolve(name, &path, err)) return nullptr;
  if (!draft.empty()) {
    if (!params_.resolve(draft, &draft_path, err)) {
      *err = err->with_prefix("draft model: ");
      return nullptr;
    }
    if (params_.engine.draft && draft_path == params_.engine.draft->path()) draft_path.clear();  // the shared one
  }
  const std::string tmpl = params_.template_for ? params_.template_for(name) : std::string();
  std::string key = draft_path.empty() ? path : path + "\n" + draft_path;
  if (!tmpl.empty()) key += "\ntemplate:" + std::to_string(std::hash<std::string>{}(tmpl));

  std::shared_ptr<std::mutex> loader;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = models_.find(key);
    if (it != models_.end()) {
      ++it->second->in_use;
      return std::shared_ptr<ModelHandle>(new ModelHandle(this, it->second, ka));
    }
    auto& l = loading_[key];
    if (!l) l = std::make_shared<std::mutex>();
    loader = l;
  }
  // Load outside the manager lock so other models stay usable; one loader per key.
  std::lock_guard<std::mutex> load_lock(*loader);
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = models_.find(key);
    if (it != models_.end()) {  // another thread loaded it while we waited
      ++it->second->in_use;
      return std::shared_ptr<ModelHandle>(new ModelHandle(this, it->second, ka));
    }
  }
  std::shared_ptr<LoadedModel> lm = load(name, path, draft_path, key, err);
  if (lm) lm->template_override = tmpl;
  if (!lm) {
    std::lock_guard<std::mutex> lk(mu_);
    loading_.erase(key);
    return nullptr;
  }
  lm->loaded_at = Clock::now();
  lm->in_use = 1;
  std::vector<std::shared_ptr<LoadedModel>> evicted;  // freed outside the lock
  {
    std::lock_guard<std::mutex> lk(mu_);
    // Over the limit: drop the least recently used idle models.
    while (static_cast<int>(models_.size()) >= params_.max_loaded) {
      auto victim = models_.end();
      for (auto it = models_.begin(); it != models_.end(); ++it)
        if (it->second->in_use == 0 && (victim == models_.end() || it->second->expires < victim->second->expires))
          victim = it;
      if (victim == models_.end()) break;
      evicted.push_back(victim->second);
      models_.erase(victim);
    }
    models_[key] = lm;
    loading_.erase(key);
  }
  return std::shared_ptr<ModelHandle>(new ModelHandle(this, lm, ka));
}

void ModelManager::release(LoadedModel* m, milliseconds ka) {
  std::shared_ptr<LoadedModel> drop;
  {
    std::lock_guard<std::mutex> lk(mu_);
    --m->in_use;
    m->expires = ka == milliseconds::max() ? Clock::time_point::max() : Clock::now() + ka;
    if (m->in_use == 0 && ka.count() == 0) {
      auto it = models_.find(m->key);
      if (it != models_.end() && it->second.get() == m) {
        drop = it->second;
        models_.erase(it);
      }
    }
  }
  // `drop` frees the model here, outside the lock.
}

ModelHandle::~ModelHandle() { mm_->release(m_.get(), keep_alive_); }

bool ModelManager::unload(const std::string& name) {
  std::string path;
  Error err;
  if (!params_.resolve(name, &path, &err)) return false;
  // Every idle copy of it (with and without a request's own draft).
  std::vector<std::shared_ptr<LoadedModel>> drop;  // freed after the lock
  std::lock_guard<std::mutex> lk(mu_);
  for (auto it = models_.begin(); it != models_.end();) {
    if (it->second->path == path && it->second->in_use == 0) {
      drop.push_back(it->second);
      it = models_.erase(it);
    } else {
      ++it;
    }
  }
  return !drop.empty();
}

void ModelManager::sweep(Clock::time_point now) {
  std::vector<std::shared_ptr<LoadedModel>> drop;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto it = models_.begin(); it != models_.end();) {
      if (it->second->in_use == 0 && it->second->expires <= now) {
        drop.push_back(it->second);
        it = models_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

std::vector<LoadedInfo> ModelManager::loaded() const {
  std::vector<LoadedInfo> out;
  std::lock_guard<std::mutex> lk(mu_);
  auto now_steady = Clock::now();
  auto now_sys = std::chrono::system_clock::now();
  for (const auto& [key, m] : models_) {
    LoadedInfo i;
    i.name = m->name;
    i.path = m->path;
    i.size_bytes = m->model->info().size_bytes;
    i.in_use = m->in_use;
    i.expires_at = m->in_use > 0 || m->expires == Clock::time_point::max()
                       ? std::chrono::system_clock::time_point::max()
                       : now_sys + std::chrono::duration_cast<std::chrono::system_clock::duration>(m->expires - now_steady);
    out.push_back(i);
  }
  return out;
}

}  // namespace owlet::llm

namespace owlet::llm {

int ModelManager::loading_count() const {
  std::lock_guard<std::mutex> lk(mu_);
  return static_cast<int>(loading_.size());
}

void ModelManager::for_each_engine(const std::function<void(const Engine&)>& fn) const {
  std::lock_guard<std::mutex> lk(mu_);
  for (const auto& [path, m] : models_)
    if (m->engine) fn(*m->engine);
}

}  // namespace owlet::llm
