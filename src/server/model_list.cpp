#include "server/model_list.h"

#include <sys/stat.h>

#include <set>

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

std::vector<ListedModel> list_models(const ServerOptions& o) {
  std::vector<ListedModel> out;
  std::set<std::string> names;
  for (const auto& m : o.served_models) {
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
    std::string why;
    models::read_gguf_summary(m.path, &l.gguf, &why);
    names.insert(l.name);
    out.push_back(std::move(l));
  }
  for (const auto& e : models::ModelStore().list()) {
    if (!names.insert(e.name).second) continue;
    ListedModel l;
    l.name = e.name;
    l.path = e.blob_path;
    l.digest = hex_of(e.digest);
    l.owner = e.store;
    l.size = e.size;
    l.modified = e.modified;
    std::string why;
    models::read_gguf_summary(e.blob_path, &l.gguf, &why);
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace owlet::server
