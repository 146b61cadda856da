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
