#include "app/served_model.h"

#include <filesystem>

#include "models/model_identity.h"
#include "models/model_ref.h"
#include "models/model_store.h"
#include "models/sha256.h"

namespace owlet::app {

std::string served_name(const std::string& ref) {
  if (ref.empty()) return "";
  models::ModelRef r;
  Error why;
  if (!models::parse_model_ref(ref, &r, &why)) return ref;
  if (r.kind == models::ModelRef::Kind::path) {
    std::string stem = std::filesystem::path(ref).stem().string();
    return stem.empty() ? ref : stem;
  }
  return r.display();
}

std::map<std::string, std::string> served_aliases(const Config& cfg) {
  std::map<std::string, std::string> out;
  if (!cfg.model.empty()) out.emplace(served_name(cfg.model), cfg.model);
  for (const auto& [arm, overrides] : cfg.arms)
    for (const auto& [key, value] : overrides)
      if (key == "model" && !value.empty()) out.emplace(served_name(value), value);
  return out;
}

bool describe_served_model(const std::string& ref, ServedModel* out, Error* err) {
  ServedModel m;
  m.name = served_name(ref);
  m.ref = ref;
  if (!models::resolve_model(ref, &m.path, err)) return false;
  m.digest = models::blob_digest(m.path);
  if (m.digest.empty()) {
    std::string hex;
    if (!models::sha256_file(m.path, &hex, err)) return false;
    m.digest = "sha256:" + hex;
  }
  *out = std::move(m);
  return true;
}

}  // namespace owlet::app
