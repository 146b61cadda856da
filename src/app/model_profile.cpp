#include "app/model_profile.h"

#include <algorithm>

#include "models/model_create.h"
#include "models/model_ref.h"
#include "models/model_store.h"

namespace owlet::app {

bool stored_profile(const std::string& model, models::ModelProfile* out) {
  models::ModelRef ref;
  Error why;
  if (model.empty() || !models::parse_model_ref(model, &ref, &why) || ref.kind == models::ModelRef::Kind::path)
    return false;
  models::ModelStore store;
  models::StoreEntry entry;
  std::string path;
  return store.resolve(ref, &path, &why, &entry) && models::read_profile(store, entry, out, &why);
}

std::string stored_template(const std::string& model) {
  models::ModelProfile p;
  if (!stored_profile(model, &p) || !p.template_text || models::is_go_template(*p.template_text)) return "";
  return *p.template_text;
}

std::vector<std::pair<std::string, std::string>> profile_config_values(const models::ModelProfile& p) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& known = models::known_parameters();
  for (const auto& [k, v] : p.parameters) {
    // Ollama's store carries parameters owlet has no use for (mirostat, num_gpu…): skipped.
    if (k == "stop" || std::find(known.begin(), known.end(), k) == known.end()) continue;
    out.emplace_back(k == "num_ctx" ? "ctx_size" : k, v);
  }
  return out;
}

bool apply_profile_parameters(Config* cfg, const models::ModelProfile& p, const std::string& config_path,
                              char** envp, const std::vector<std::pair<std::string, std::string>>& flags,
                              std::string* err) {
  const auto values = profile_config_values(p);
  if (values.empty()) return true;
  Config c;
  for (const auto& [k, v] : values) {
    std::string e;
    if (!config_set(c, k, v, &e)) {
      *err = "model " + cfg->model + ": PARAMETER " + e;
      return false;
    }
  }
  if (!config_resolve(c, config_path, envp, flags, err)) return false;
  c.model = cfg->model;
  *cfg = std::move(c);
  return true;
}

}  // namespace owlet::app
