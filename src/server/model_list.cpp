#include "server/model_list.h"

#include <sys/stat.h>


#include "models/model_identity.h"

namespace owlet::server {
namespace {

std::string hex_of(const std::string& digest) { return digest.rfind("sha256:", 0) == 0 ? digest.substr(7) : digest; }

}  // namespace

const ServedModel* served_model(const ServerOptions& o, const std::string& name) {
  for (const auto& m : o.served_models)
    if (m.name == name) return &m;
  return nullptr;
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
      if (e.name == name) return true;
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
