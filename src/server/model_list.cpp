#include "server/model_list.h"

#include <sys/stat.h>


#include "models/model_create.h"
#include "models/model_identity.h"
#include "models/model_ref.h"

namespace owlet::server {
namespace {

std::string hex_of(const std::string& digest) { return digest.rfind("sha256:", 0) == 0 ? digest.substr(7) : digest; }

}  // namespace

const ServedModel* served_model(const ServerOptions& o, const std::string& name) {
  // Ollama's rules: case folded, ":latest" implied ("qwen3-tiny:latest" finds "qwen3-tiny").
  for (const auto& m : o.served_models)
    if (models::same_model_name(m.name, name)) return &m;
  return nullptr;
}

bool stored_profile(const std::string& name, models::ModelProfile* out) {
  models::ModelRef ref;
  Error why;
  if (!models::parse_model_ref(name, &ref, &why, models::PathRule::syntax) || ref.kind == models::ModelRef::Kind::path)
    return false;
  models::ModelStore store;
  models::StoreEntry entry;
  std::string path;
  return store.resolve(ref, &path, &why, &entry) && models::read_profile(store, entry, out, &why);
}

namespace {

// Ollama's parameter names as an OpenAI request spells them ("" = no such field).
std::string openai_field(const std::string& parameter) {
  if (parameter == "num_predict") return "max_tokens";
  if (parameter == "temperature" || parameter == "top_p" || parameter == "seed" || parameter == "stop") return parameter;
  return "";
}

}  // namespace

nlohmann::json with_model_defaults(const ServerOptions& o, const nlohmann::json& body, Dialect dialect) {
  using json = nlohmann::json;
  std::string name = body.contains("model") && body["model"].is_string() ? body["model"].get<std::string>() : "";
  if (name.empty()) name = o.default_model;
  models::ModelProfile p;
  if (!body.is_object() || name.empty() || !stored_profile(name, &p) || (p.parameters.empty() && !p.system)) return body;
  json j = body;
  const bool openai = dialect == Dialect::openai_chat;
  if (!openai && (!j.contains("options") || j["options"].is_null())) j["options"] = json::object();
  json& opts = openai ? j : j["options"];
  if (!opts.is_object()) return body;
  const bool client_stop = opts.contains("stop") && !opts["stop"].is_null();
  for (const auto& [k, v] : p.parameters) {
    const std::string field = openai ? openai_field(k) : k;
    if (field.empty() || !models::check_parameter(k, v, nullptr)) continue;
    if (k == "stop") {
      if (client_stop) continue;  // the client's stops replace the model's
      if (!opts.contains("stop")) opts["stop"] = json::array();
      opts["stop"].push_back(v);
    } else {
      auto set = [&opts](const char* f) { return opts.contains(f) && !opts[f].is_null(); };
      if (set(field.c_str()) || (field == "max_tokens" && set("max_completion_tokens"))) continue;
      json n = json::parse(v, nullptr, false);
      if (n.is_number()) opts[field] = n;
    }
  }
  if (p.system) {
    if (dialect != Dialect::ollama_generate && j.contains("messages") && j["messages"].is_array()) {
      bool has_system = false;
      for (const auto& m : j["messages"])
        has_system = has_system || (m.is_object() && (m.value("role", "") == "system" || m.value("role", "") == "developer"));
      if (!has_system && !j["messages"].empty())
        j["messages"].insert(j["messages"].begin(), json{{"role", "system"}, {"content", *p.system}});
    } else if (dialect == Dialect::ollama_generate &&
               (!j.contains("system") || !j["system"].is_string() || j["system"].get<std::string>().empty())) {
      j["system"] = *p.system;
    }
  }
  return j;
}

std::string digest_of_path(const ServerOptions& o, const std::string& path) {
  for (const auto& m : o.served_models)
    if (m.path == path) return hex_of(m.digest);
  return hex_of(models::blob_digest(path));
}

std::string listed_name(const ServerOptions& o, const std::string& name, const std::string& path) {
  for (const auto& m : o.served_models)
    if (m.path == path) return m.name;
  return name;
}

std::vector<ListedModel> list_models(const ServerOptions& o) {
  std::vector<ListedModel> out;
  const std::vector<models::StoreEntry> store = models::ModelStore().list();
  auto in_store = [&store](const std::string& name) {
    for (const auto& e : store)
      if (models::same_model_name(e.name, name)) return true;
    return false;
  };
  // Served models the stores do not list (a file by path, an hf:// file elsewhere) first;
  // one the store has is listed as the store lists it (every layer in its size).
  for (const auto& m : o.served_models) {
    if (in_store(m.name)) continue;
    ListedModel l;
    l.name = m.name;
    l.path = m.path;
    l.digest = hex_of(m.digest);
    l.owner = "owlet";
    struct stat st {};
    if (stat(m.path.c_str(), &st) == 0) {
      l.size = static_cast<uint64_t>(st.st_size);
      l.modified = st.st_mtim.tv_sec;
    }
    Error why;  // an unreadable file is listed without details
    models::read_gguf_summary(m.path, &l.gguf, &why);
    out.push_back(std::move(l));
  }
  for (const auto& e : store) {
    ListedModel l;
    l.name = e.name;
    l.path = e.blob_path;
    l.digest = hex_of(e.digest);
    l.owner = e.store;
    l.size = e.size;
    l.modified = e.modified;
    Error why;
    models::read_gguf_summary(e.blob_path, &l.gguf, &why);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace owlet::server
