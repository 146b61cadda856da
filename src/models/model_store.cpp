#include "models/model_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ggml.h>
#include <gguf.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "models/manifest.h"
#include "models/model_create.h"
#include "models/regular_file.h"
#include "models/sha256.h"

namespace owlet::models {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr size_t kMaxManifestBytes = 4 << 20;

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string home_dir() { return env_or("HOME", "."); }

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool same_dir(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (a.empty() || b.empty()) return false;
  if (fs::equivalent(a, b, ec)) return true;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// Joins components under base, matching each case-insensitively when the exact
// spelling is absent (Ollama treats names case-insensitively). "" when absent.
std::string find_ci(const fs::path& base, const std::vector<std::string>& parts) {
  fs::path cur = base;
  std::error_code ec;
  for (size_t i = 0; i < parts.size(); ++i) {
    fs::path exact = cur / parts[i];
    if (fs::symlink_status(exact, ec).type() != fs::file_type::not_found && !ec) {
      cur = exact;
      continue;
    }
    ec.clear();
    bool found = false;
    if (is_dir(cur)) {
      for (const auto& e : fs::directory_iterator(cur, ec)) {
        if (iequals(e.path().filename().string(), parts[i])) {
          cur = e.path();
          found = true;
          break;
        }
      }
    }
    if (!found) return "";
  }
  std::error_code ec2;
  return fs::is_regular_file(cur, ec2) ? cur.string() : "";
}

// A manifest as the store sees it: the image manifest that names the GGUF, and
// every blob it keeps alive (layers, plus the child manifest blob of a list).
struct StoredManifest {
  Manifest image;
  std::vector<Layer> blobs;
  std::string child_hex;  // the child manifest blob of a manifest list, "" otherwise
};

// A list's child: inline, or a manifest blob in <store>/blobs verified against its digest.
bool load_child(const Manifest& list, const std::string& blobs_dir, StoredManifest* out, Error* err) {
  const ManifestChild* c = pick_child(list);
  if (!c) return fail(err, ErrorKind::parse, "manifest list has no child manifest");
  std::string text = c->inline_json;
  if (text.empty()) {
    std::string path = blobs_dir + "/sha256-" + c->hex;
    Error e;
    if (!read_regular_file(path, kMaxManifestBytes, &text, &e))
      return fail(err, e.kind == ErrorKind::not_found ? ErrorKind::not_found : e.kind,
                  "manifest list child " + path + " is missing or unreadable");
    if (sha256_hex(text) != c->hex)
      return fail(err, ErrorKind::parse, "manifest blob " + path + " does not match its digest");
    out->child_hex = c->hex;
  }
  if (!parse_manifest(text, &out->image, err)) return false;
  if (out->image.is_list) return fail(err, ErrorKind::parse, "manifest list inside a manifest list");
  return true;
}

bool load_manifest(const std::string& manifest_path, const std::string& store_dir, StoredManifest* out, Error* err) {
  std::string text;
  Error e;
  if (!read_regular_file(manifest_path, kMaxManifestBytes, &text, &e))
    return fail(err, e.kind, "cannot read manifest " + manifest_path + ": " + e.message);
  StoredManifest m;
  Manifest top;
  if (!parse_manifest(text, &top, &e) || (top.is_list && !load_child(top, store_dir + "/blobs", &m, &e)))
    return fail(err, e.kind, "manifest " + manifest_path + ": " + e.message);
  if (!top.is_list) m.image = std::move(top);
  m.blobs = m.image.layers;
  if (!m.child_hex.empty()) m.blobs.push_back({"", m.child_hex, 0});
  // manifests-v2 tags are links to a manifest blob; that blob is referenced too.
  std::error_code ec;
  if (fs::is_symlink(manifest_path, ec)) {
    std::string target = fs::canonical(manifest_path, ec).filename().string();
    if (!ec && target.rfind("sha256-", 0) == 0) {
      Layer l;
      l.hex = digest_hex(target);
      l.size = text.size();
      if (!l.hex.empty()) m.blobs.push_back(l);
    }
  }
  *out = std::move(m);
  return true;
}

// Candidate manifest files for a name in one store, in Ollama's lookup order.
std::string find_manifest(const std::string& store_dir, const OllamaName& n) {
  if (store_dir.empty()) return "";
  std::vector<std::pair<std::string, std::string>> tries;  // (root, host)
  if (n.default_host()) {
    tries = {{"manifests-v2", kOllamaV2Host}, {"manifests-v2", kOllamaDefaultHost},
             {"manifests", kOllamaDefaultHost}, {"manifests", kOllamaV2Host}};
  } else {
    tries = {{"manifests-v2", n.host}, {"manifests", n.host}};
  }
  for (const auto& [root, host] : tries) {
    std::string p = find_ci(fs::path(store_dir) / root, {host, n.ns, n.model, n.tag});
    if (!p.empty()) return p;
  }
  return "";
}

// ---- verification cache -----------------------------------------------------------

struct FileId {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtime_ns = 0, ctime_ns = 0;
  std::string key() const {
    std::ostringstream s;
    s << dev << ' ' << ino << ' ' << size << ' ' << mtime_ns << ' ' << ctime_ns;
    return s.str();
  }
};

bool file_id(const std::string& path, FileId* id) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return false;
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  id->size = static_cast<uint64_t>(st.st_size);
  id->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  id->ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  return true;
}

std::mutex g_verify_mu;

// <cache_dir>/verified: one line per verified file: "<hex> <dev> <ino> <size> <mtime_ns> <ctime_ns>".
std::set<std::string> load_verified(const std::string& cache_dir) {
  std::set<std::string> out;
  std::ifstream f(cache_dir + "/verified");
  std::string line;
  while (std::getline(f, line))
    if (!line.empty()) out.insert(line);
  return out;
}

void save_verified(const std::string& cache_dir, const std::set<std::string>& lines) {
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  std::string tmp = cache_dir + "/verified.tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::trunc);
    for (const auto& l : lines) f << l << '\n';
    if (!f) return;
  }
  fs::rename(tmp, cache_dir + "/verified", ec);
  if (ec) fs::remove(tmp, ec);
}

}  // namespace

// ---- public helpers -----------------------------------------------------------------

StorePaths default_store_paths() {
  StorePaths p;
  std::string data = env_or("XDG_DATA_HOME", home_dir() + "/.local/share");
  p.owlet = env_or("OWLET_MODELS", data + "/owlet/models");
  if (const char* o = std::getenv("OLLAMA_MODELS"); o && *o) {
    p.ollama = o;
  } else {
    std::string user = home_dir() + "/.ollama/models";
    std::string system = "/usr/share/ollama/.ollama/models";
    p.ollama = is_dir(user) || !is_dir(system) ? user : system;
  }
  return p;
}

std::string hf_tag_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '.' || c == '-' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string hf_tag_unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool verify_blob(const std::string& path, const std::string& hex, const std::string& cache_dir, Error* err) {
  FileId id;
  if (!file_id(path, &id)) return fail(err, ErrorKind::not_found, "blob " + path + " is missing");
  std::string line = hex + " " + id.key();
  if (!cache_dir.empty()) {
    std::lock_guard<std::mutex> lock(g_verify_mu);
    if (load_verified(cache_dir).count(line)) return true;
  }
  std::string got;
  if (!sha256_file(path, &got, err)) return false;
  if (got != hex)
    return fail(err, ErrorKind::parse,
                "blob " + path + " is corrupt: its sha256 is " + got.substr(0, 12) + "…, the manifest says " +
                    hex.substr(0, 12) + "… (re-pull the model)");
  remember_verified(path, hex, cache_dir);
  return true;
}

void remember_verified(const std::string& path, const std::string& hex, const std::string& cache_dir) {
  if (cache_dir.empty()) return;
  FileId id;
  if (!file_id(path, &id)) return;
  std::lock_guard<std::mutex> lock(g_verify_mu);
  auto lines = load_verified(cache_dir);
  // Drop stale lines for the same file (same dev+inode) before adding the new one.
  std::string ident = std::to_string(id.dev) + " " + std::to_string(id.ino) + " ";
  for (auto it = lines.begin(); it != lines.end();) {
    if (it->size() > 65 && it->compare(65, ident.size(), ident) == 0) it = lines.erase(it);
    else ++it;
  }
  lines.insert(hex + " " + id.key());
  save_verified(cache_dir, lines);
}

bool read_gguf_summary(const std::string& path, GgufSummary* out, Error* err) {
  // ggml opens the file itself, blocking on a FIFO: check what it is first.
  FILE* f = open_regular_file(path, err);
  if (!f) return false;
  fclose(f);
  gguf_init_params params{};
  params.no_alloc = true;
  params.ctx = nullptr;
  gguf_context* ctx = gguf_init_from_file(path.c_str(), params);
  if (!ctx) return fail(err, ErrorKind::parse, path + " is not a readable GGUF file");
  auto get_str = [&](const std::string& key) -> std::string {
    int64_t id = gguf_find_key(ctx, key.c_str());
    return id >= 0 && gguf_get_kv_type(ctx, id) == GGUF_TYPE_STRING ? gguf_get_val_str(ctx, id) : "";
  };
  auto get_uint = [&](const std::string& key) -> int64_t {
    int64_t id = gguf_find_key(ctx, key.c_str());
    if (id < 0) return -1;
    switch (gguf_get_kv_type(ctx, id)) {
      case GGUF_TYPE_UINT8: return gguf_get_val_u8(ctx, id);
      case GGUF_TYPE_UINT16: return gguf_get_val_u16(ctx, id);
      case GGUF_TYPE_UINT32: return gguf_get_val_u32(ctx, id);
      case GGUF_TYPE_UINT64: return static_cast<int64_t>(gguf_get_val_u64(ctx, id));
      case GGUF_TYPE_INT8: return gguf_get_val_i8(ctx, id);
      case GGUF_TYPE_INT16: return gguf_get_val_i16(ctx, id);
      case GGUF_TYPE_INT32: return gguf_get_val_i32(ctx, id);
      case GGUF_TYPE_INT64: return gguf_get_val_i64(ctx, id);
      default: return -1;
    }
  };
  GgufSummary s;
  s.architecture = get_str("general.architecture");
  s.name = get_str("general.name");
  int64_t ctx_len = get_uint(s.architecture + ".context_length");
  s.context_length = ctx_len > 0 ? static_cast<uint64_t>(ctx_len) : 0;
  s.has_chat_template = gguf_find_key(ctx, "tokenizer.chat_template") >= 0;
  s.n_tensors = gguf_get_n_tensors(ctx);
  std::map<int, uint64_t> by_type;  // elements per ggml type, over matrices
  for (int64_t i = 0; i < s.n_tensors; ++i) {
    const int64_t* ne = gguf_get_tensor_ne(ctx, i);
    uint64_t n = 1;
    for (int d = 0; d < GGML_MAX_DIMS; ++d) n *= static_cast<uint64_t>(ne[d]);
    s.n_params += n;
    if (ne[1] > 1) by_type[gguf_get_tensor_type(ctx, i)] += n;
  }
  // llama_ftype names (llama.h), for files that record general.file_type.
  static const std::map<int64_t, const char*> kFtypes = {
      {0, "F32"},     {1, "F16"},      {2, "Q4_0"},    {3, "Q4_1"},     {7, "Q8_0"},     {8, "Q5_0"},
      {9, "Q5_1"},    {10, "Q2_K"},    {11, "Q3_K_S"}, {12, "Q3_K_M"},  {13, "Q3_K_L"},  {14, "Q4_K_S"},
      {15, "Q4_K_M"}, {16, "Q5_K_S"},  {17, "Q5_K_M"}, {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},
      {21, "Q2_K_S"}, {22, "IQ3_XS"},  {23, "IQ3_XXS"}, {24, "IQ1_S"},  {25, "IQ4_NL"},  {26, "IQ3_S"},
      {27, "IQ3_M"},  {28, "IQ2_S"},   {29, "IQ2_M"},  {30, "IQ4_XS"},  {31, "IQ1_M"},   {32, "BF16"},
      {36, "TQ1_0"},  {37, "TQ2_0"},   {38, "MXFP4_MOE"}};
  int64_t ft = get_uint("general.file_type");
  if (auto it = kFtypes.find(ft); it != kFtypes.end()) {
    s.quantization = it->second;
  } else if (!by_type.empty()) {
    auto best = std::max_element(by_type.begin(), by_type.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    s.quantization = ggml_type_name(static_cast<ggml_type>(best->first));
    for (char& c : s.quantization)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  gguf_free(ctx);
  *out = std::move(s);
  return true;
}

bool read_gguf_metadata(const std::string& path, std::string* json_object, Error* err) {
  FILE* f = open_regular_file(path, err);
  if (!f) return false;
  fclose(f);
  gguf_init_params params{};
  params.no_alloc = true;
  params.ctx = nullptr;
  gguf_context* ctx = gguf_init_from_file(path.c_str(), params);
  if (!ctx) return fail(err, ErrorKind::parse, path + " is not a readable GGUF file");
  json j = json::object();
  for (int64_t i = 0; i < gguf_get_n_kv(ctx); ++i) {
    const std::string key = gguf_get_key(ctx, i);
    if (key == "tokenizer.chat_template") continue;
    switch (gguf_get_kv_type(ctx, i)) {
      case GGUF_TYPE_UINT8: j[key] = gguf_get_val_u8(ctx, i); break;
      case GGUF_TYPE_INT8: j[key] = gguf_get_val_i8(ctx, i); break;
      case GGUF_TYPE_UINT16: j[key] = gguf_get_val_u16(ctx, i); break;
      case GGUF_TYPE_INT16: j[key] = gguf_get_val_i16(ctx, i); break;
      case GGUF_TYPE_UINT32: j[key] = gguf_get_val_u32(ctx, i); break;
      case GGUF_TYPE_INT32: j[key] = gguf_get_val_i32(ctx, i); break;
      case GGUF_TYPE_UINT64: j[key] = gguf_get_val_u64(ctx, i); break;
      case GGUF_TYPE_INT64: j[key] = gguf_get_val_i64(ctx, i); break;
      case GGUF_TYPE_FLOAT32: j[key] = gguf_get_val_f32(ctx, i); break;
      case GGUF_TYPE_FLOAT64: j[key] = gguf_get_val_f64(ctx, i); break;
      case GGUF_TYPE_BOOL: j[key] = gguf_get_val_bool(ctx, i); break;
      case GGUF_TYPE_STRING: j[key] = gguf_get_val_str(ctx, i); break;
      default: j[key] = nullptr; break;  // arrays (the vocabulary): large, and elided by Ollama too
    }
  }
  gguf_free(ctx);
  *json_object = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return true;
}

// ---- ModelStore -------------------------------------------------------------------

ModelStore::ModelStore(StorePaths paths) : paths_(std::move(paths)) {}

std::string ModelStore::blob_path(const std::string& hex) const { return paths_.owlet + "/blobs/sha256-" + hex; }

std::string ModelStore::manifest_path(const OllamaName& n) const {
  OllamaName m = n;
  if (m.default_host()) m.host = kOllamaDefaultHost;
  return paths_.owlet + "/manifests/" + m.rel_path();
}

OllamaName ModelStore::hf_store_name(const HfRef& r) {
  OllamaName n;
  n.host = kHfStoreHost;
  n.ns = r.owner;
  n.model = r.repo;
  n.tag = hf_tag_escape(r.file) + (r.revision == "main" ? "" : "@" + hf_tag_escape(r.revision));
  return n;
}

namespace {

std::string cache_dir_of(const StorePaths& p) { return p.owlet.empty() ? "" : p.owlet; }

StoreEntry make_entry(const std::string& name, const std::string& store, const std::string& store_dir,
                      const std::string& manifest_path, const StoredManifest& m) {
  StoreEntry e;
  e.name = name;
  e.store = store;
  e.store_dir = store_dir;
  e.manifest_path = manifest_path;
  e.blob_path = store_dir + "/blobs/sha256-" + m.image.model.hex;
  e.digest = "sha256:" + m.image.model.hex;
  std::set<std::string> seen;
  for (const auto& l : m.blobs)
    if (seen.insert(l.hex).second && l.hex != m.child_hex) e.size += l.size;
  std::error_code ec;
  struct stat st {};
  if (lstat(manifest_path.c_str(), &st) == 0) e.modified = st.st_mtim.tv_sec;
  return e;
}

// Name shown for a manifest at <root>/<host>/<ns>/<model>/<tag>.
std::string display_name(const std::string& store, const std::string& host, const std::string& ns,
                         const std::string& model, const std::string& tag) {
  if (store == "owlet" && iequals(host, kHfStoreHost)) {
    size_t at = tag.find('@');
    HfRef r;
    r.owner = ns;
    r.repo = model;
    r.file = hf_tag_unescape(tag.substr(0, at));
    if (at != std::string::npos) r.revision = hf_tag_unescape(tag.substr(at + 1));
    return r.display();
  }
  OllamaName n;
  n.host = host;
  n.ns = ns;
  n.model = model;
  n.tag = tag;
  return n.display();
}

struct Found {
  std::string manifest;
  std::string store;  // "owlet" | "ollama"
  std::string dir;
};

}  // namespace

bool ModelStore::resolve(const std::string& text, std::string* path, Error* err, PathRule rule) const {
  ModelRef ref;
  if (!parse_model_ref(text, &ref, err, rule)) return false;
  return resolve(ref, path, err);
}

bool ModelStore::resolve(const ModelRef& ref, std::string* path, Error* err, StoreEntry* entry) const {
  if (ref.kind == ModelRef::Kind::path) {
    *path = ref.path;
    return true;
  }
  std::vector<Found> found;
  if (ref.kind == ModelRef::Kind::hf) {
    OllamaName n = hf_store_name(ref.hf);
    std::string m = find_ci(fs::path(paths_.owlet) / "manifests", {n.host, n.ns, n.model, n.tag});
    if (m.empty())
      return fail(err, ErrorKind::not_found,
                  ref.hf.display() + " not found in owlet's store (" + paths_.owlet + "/manifests/" + n.rel_path() +
                      "); run owlet pull " + ref.hf.display());
    found.push_back({m, "owlet", paths_.owlet});
  } else {
    const OllamaName& n = ref.ollama;
    if (std::string m = find_manifest(paths_.owlet, n); !m.empty()) found.push_back({m, "owlet", paths_.owlet});
    if (!same_dir(paths_.owlet, paths_.ollama))
      if (std::string m = find_manifest(paths_.ollama, n); !m.empty()) found.push_back({m, "ollama", paths_.ollama});
    if (found.empty())
      return fail(err, ErrorKind::not_found,
                  "model '" + n.display() + "' not found: no manifest " + n.rel_path() + " in owlet's store (" +
                      paths_.owlet + ") or Ollama's (" + paths_.ollama + "); run owlet pull " + n.display());
  }
  // The first store that holds the name decides; a broken entry there is an error, not a fallthrough.
  const Found& f = found.front();
  StoredManifest m;
  if (!load_manifest(f.manifest, f.dir, &m, err)) return false;
  if (!m.image.has_model)
    return fail(err, ErrorKind::unsupported,
                "manifest " + f.manifest + " has no GGUF layer (" + kMediaTypeModel + "); owlet runs GGUF models only");
  std::string blob = f.dir + "/blobs/sha256-" + m.image.model.hex;
  std::error_code ec;
  if (!fs::exists(blob, ec))
    return fail(err, ErrorKind::not_found,
                "model '" + ref.display() + "': manifest " + f.manifest + " names blob " + blob + ", which is missing");
  Error e;
  if (!verify_blob(blob, m.image.model.hex, cache_dir_of(paths_), &e))
    return fail(err, e.kind, "model '" + ref.display() + "': " + e.message);
  if (entry) *entry = make_entry(ref.display(), f.store, f.dir, f.manifest, m);
  *path = blob;
  return true;
}

std::vector<StoreEntry> ModelStore::list(std::vector<std::string>* warnings) const {
  std::vector<StoreEntry> out;
  std::vector<std::pair<std::string, std::string>> stores = {{"owlet", paths_.owlet}};
  if (!same_dir(paths_.owlet, paths_.ollama)) stores.push_back({"ollama", paths_.ollama});
  for (const auto& [store, dir] : stores) {
    if (dir.empty() || !is_dir(dir)) continue;
    std::vector<StoreEntry> here;
    std::set<std::string> seen;  // lower-cased logical names
    try {
      for (const char* root : {"manifests-v2", "manifests"}) {
        fs::path base = fs::path(dir) / root;
        if (!is_dir(base)) continue;
        std::error_code ec;
        // <host>/<ns>/<model>/<tag>: exactly four levels.
        for (const auto& h : fs::directory_iterator(base, ec)) {
          if (!h.is_directory()) continue;
          for (const auto& nsd : fs::directory_iterator(h.path(), ec)) {
            if (!nsd.is_directory()) continue;
            for (const auto& md : fs::directory_iterator(nsd.path(), ec)) {
              if (!md.is_directory()) continue;
              for (const auto& t : fs::directory_iterator(md.path(), ec)) {
                if (t.is_directory()) continue;
                std::string tag = t.path().filename().string();
                if (tag.find(".tmp") != std::string::npos || tag[0] == '.') continue;
                std::string host = h.path().filename().string();
                std::string name = display_name(store, host, nsd.path().filename().string(),
                                                 md.path().filename().string(), tag);
                if (!seen.insert(ascii_lower(name)).second) continue;
                StoredManifest m;
                Error e;
                if (!load_manifest(t.path().string(), dir, &m, &e)) {
                  if (warnings) warnings->push_back(e.message);
                  continue;
                }
                if (!m.image.has_model) {
                  if (warnings) warnings->push_back(name + " (" + store + " store) has no GGUF layer; skipped");
                  continue;
                }
                here.push_back(make_entry(name, store, dir, t.path().string(), m));
              }
            }
          }
        }
      }
    } catch (const fs::filesystem_error& e) {  // e.g. a store directory we may not read
      if (warnings) warnings->push_back(store + " store (" + dir + "): " + e.what());
    }
    std::sort(here.begin(), here.end(), [](const StoreEntry& a, const StoreEntry& b) { return a.name < b.name; });
    out.insert(out.end(), here.begin(), here.end());
  }
  return out;
}

bool ModelStore::image_manifest(const StoreEntry& entry, Manifest* out, Error* err) const {
  StoredManifest m;
  if (!load_manifest(entry.manifest_path, entry.store_dir, &m, err)) return false;
  *out = std::move(m.image);
  return true;
}

bool ModelStore::show(const std::string& text, ModelDetails* out, Error* err, PathRule rule) const {
  ModelRef ref;
  if (!parse_model_ref(text, &ref, err, rule)) return false;
  ModelDetails d;
  if (!resolve(ref, &d.path, err, &d.entry)) return false;
  std::error_code ec;
  if (!fs::exists(d.path, ec)) return fail(err, ErrorKind::not_found, "no such file: " + d.path);
  if (!read_gguf_summary(d.path, &d.gguf, err)) return false;
  d.file_size = fs::file_size(d.path, ec);
  if (!d.entry.store.empty() && !read_profile(*this, d.entry, &d.profile, err)) return false;
  *out = std::move(d);
  return true;
}

bool ModelStore::remove(const std::string& text, std::vector<std::string>* removed_files, Error* err,
                        PathRule rule) const {
  ModelRef ref;
  if (!parse_model_ref(text, &ref, err, rule)) return false;
  if (ref.kind == ModelRef::Kind::path)
    return fail(err, ErrorKind::bad_request,
                "'" + text + "' is a file path; owlet models rm removes models from owlet's store only");
  OllamaName n = ref.kind == ModelRef::Kind::hf ? hf_store_name(ref.hf) : ref.ollama;
  // Every spelling of this name in owlet's store (v2 and legacy roots, both default hosts).
  std::vector<std::string> manifests;
  std::vector<std::pair<std::string, std::string>> tries;
  if (n.default_host())
    tries = {{"manifests-v2", kOllamaV2Host}, {"manifests-v2", kOllamaDefaultHost},
             {"manifests", kOllamaDefaultHost}, {"manifests", kOllamaV2Host}};
  else
    tries = {{"manifests-v2", n.host}, {"manifests", n.host}};
  for (const auto& [root, host] : tries) {
    std::string p = find_ci(fs::path(paths_.owlet) / root, {host, n.ns, n.model, n.tag});
    if (!p.empty() && std::find(manifests.begin(), manifests.end(), p) == manifests.end()) manifests.push_back(p);
  }
  if (manifests.empty()) {
    if (ref.kind == ModelRef::Kind::ollama && !same_dir(paths_.owlet, paths_.ollama)) {
      if (std::string m = find_manifest(paths_.ollama, n); !m.empty())
        return fail(err, ErrorKind::forbidden,
                    "'" + n.display() + "' is in Ollama's store (" + paths_.ollama +
                        "), which owlet never modifies; remove it with: ollama rm " + n.display());
    }
    return fail(err, ErrorKind::not_found, "model '" + ref.display() + "' not found in owlet's store (" + paths_.owlet + ")");
  }
  std::set<std::string> candidates;
  for (const auto& m : manifests) {
    StoredManifest pm;
    if (load_manifest(m, paths_.owlet, &pm, nullptr))
      for (const auto& l : pm.blobs) candidates.insert(l.hex);
  }
  std::error_code ec;
  for (const auto& m : manifests) {
    if (!fs::remove(m, ec) || ec) return fail(err, ErrorKind::io, "cannot remove " + m + ": " + ec.message());
    if (removed_files) removed_files->push_back(m);
    // Prune now-empty <model>/<ns>/<host> directories up to the manifests root.
    fs::path dir = fs::path(m).parent_path();
    for (int i = 0; i < 3; ++i, dir = dir.parent_path()) {
      if (!fs::is_empty(dir, ec) || ec) break;
      fs::remove(dir, ec);
    }
  }
  // Blobs still referenced by the remaining manifests stay.
  std::set<std::string> keep;
  for (const char* root : {"manifests-v2", "manifests"}) {
    fs::path base = fs::path(paths_.owlet) / root;
    if (!is_dir(base)) continue;
    for (auto it = fs::recursive_directory_iterator(base, ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (ec) break;
      if (it->is_directory() || it.depth() != 3) continue;
      StoredManifest pm;
      if (load_manifest(it->path().string(), paths_.owlet, &pm, nullptr))
        for (const auto& l : pm.blobs) keep.insert(l.hex);
    }
  }
  for (const auto& hex : candidates) {
    if (keep.count(hex)) continue;
    std::string b = blob_path(hex);
    if (fs::remove(b, ec) && removed_files) removed_files->push_back(b);
  }
  return true;
}

bool resolve_model(const std::string& ref, std::string* path, Error* err, PathRule rule) {
  ModelStore store;
  return store.resolve(ref, path, err, rule);
}

ModelResolver make_resolver(std::vector<std::string> trusted) {
  return [trusted = std::move(trusted)](const std::string& name, std::string* path, Error* err) {
    bool configured = !name.empty() && std::find(trusted.begin(), trusted.end(), name) != trusted.end();
    ModelRef ref;
    if (!parse_model_ref(name, &ref, err, configured ? PathRule::probe : PathRule::syntax)) return false;
    if (ref.kind == ModelRef::Kind::path && !configured)
      return fail(err, ErrorKind::forbidden, "model '" + name + "': file paths are not model names here");
    return ModelStore().resolve(ref, path, err);
  };
}

}  // namespace owlet::models
