#include "models/model_create.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/strings.h"
#include "models/regular_file.h"
#include "models/sha256.h"

namespace owlet::models {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr size_t kMaxTextLayer = 1 << 20;  // template, system, params, license

bool write_atomic(const std::string& path, const std::string& data, Error* err) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f) return fail(err, ErrorKind::io, "cannot write " + tmp + ": " + strerror(errno));
  bool ok = fwrite(data.data(), 1, data.size(), f) == data.size() && fflush(f) == 0 && fsync(fileno(f)) == 0;
  ok = fclose(f) == 0 && ok;
  if (ok) ok = rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    fail(err, ErrorKind::io, "cannot write " + path + ": " + strerror(errno));
    fs::remove(tmp, ec);
  }
  return ok;
}

// A text blob in owlet's store, named by its content.
bool put_text_blob(const ModelStore& store, const std::string& media_type, const std::string& text, Layer* out,
                   Error* err) {
  const std::string hex = sha256_hex(text);
  const std::string path = store.blob_path(hex);
  std::error_code ec;
  if (!fs::exists(path, ec) && !write_atomic(path, text, err)) return false;
  *out = {media_type, hex, text.size()};
  return true;
}

// A file into owlet's blobs under its digest: a hard link where the file
// system allows (no second copy of a large model), else a copy.
bool put_file_blob(const ModelStore& store, const std::string& src, const std::string& hex, Error* err) {
  const std::string dst = store.blob_path(hex);
  std::error_code ec;
  if (fs::exists(dst, ec)) return true;
  fs::create_directories(fs::path(dst).parent_path(), ec);
  const std::string tmp = dst + ".tmp-" + std::to_string(getpid());
  fs::remove(tmp, ec);
  ec.clear();
  fs::create_hard_link(src, tmp, ec);
  if (ec) {
    ec.clear();
    if (!fs::copy_file(src, tmp, fs::copy_options::overwrite_existing, ec) || ec)
      return fail(err, ErrorKind::io, "cannot copy " + src + " into owlet's store: " + ec.message());
  }
  fs::rename(tmp, dst, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return fail(err, ErrorKind::io, "cannot write " + dst + ": " + ec.message());
  }
  return true;
}

bool is_profile_layer(const std::string& media_type) {
  return media_type == kMediaTypeTemplate || media_type == kMediaTypeSystem || media_type == kMediaTypeParams ||
         media_type == kMediaTypeLicense;
}

// The base's layers (GGUF first) and profile, with every blob in owlet's store.
bool base_layers(const ModelStore& store, const CreateRequest& req, std::vector<Layer>* layers, ModelProfile* base,
                 std::string* gguf_path, Error* err) {
  ModelRef ref;
  if (!parse_model_ref(req.from, &ref, err, req.from_rule)) return false;
  if (ref.kind == ModelRef::Kind::path) {
    GgufSummary g;
    Error e;
    if (!read_gguf_summary(ref.path, &g, &e))
      return fail(err, e.kind == ErrorKind::not_found ? ErrorKind::bad_request : e.kind,
                  "FROM " + req.from + ": " + e.message);
    std::string hex;
    if (!sha256_file(ref.path, &hex, err) || !put_file_blob(store, ref.path, hex, err)) return false;
    std::error_code ec;
    layers->push_back({kMediaTypeModel, hex, static_cast<uint64_t>(fs::file_size(ref.path, ec))});
    *gguf_path = store.blob_path(hex);
    return true;
  }
  StoreEntry entry;
  std::string path;
  if (!store.resolve(ref, &path, err, &entry)) return false;
  Manifest m;
  if (!store.image_manifest(entry, &m, err) || !read_profile(store, entry, base, err)) return false;
  for (const auto& l : m.layers) {
    if (l.media_type == kMediaTypeConfig) continue;  // written anew
    if (!put_file_blob(store, entry.store_dir + "/blobs/sha256-" + l.hex, l.hex, err)) return false;
    layers->push_back(l);
  }
  *gguf_path = path;
  return true;
}

}  // namespace

bool is_go_template(const std::string& text) {
  static const std::regex go(R"(\{\{-?\s*(\.|(range|if|else|end|with|template|block|define)\b))");
  return text.find("{%") == std::string::npos && std::regex_search(text, go);
}

bool read_profile(const ModelStore& store, const StoreEntry& entry, ModelProfile* out, Error* err) {
  Manifest m;
  if (!store.image_manifest(entry, &m, err)) return false;
  ModelProfile p;
  for (const auto& l : m.layers) {
    if (!is_profile_layer(l.media_type)) continue;
    std::string text;
    if (!read_regular_file(entry.store_dir + "/blobs/sha256-" + l.hex, kMaxTextLayer, &text, err)) return false;
    if (l.media_type == kMediaTypeTemplate) p.template_text = text;
    else if (l.media_type == kMediaTypeSystem) p.system = text;
    else if (l.media_type == kMediaTypeLicense) p.license = p.license ? *p.license + "\n" + text : text;
    else if (!parameters_from_json(text, &p.parameters, err)) return false;
  }
  *out = std::move(p);
  return true;
}

bool create_model(const ModelStore& store, const CreateRequest& req, StoreEntry* out, Error* err) {
  OllamaName name;
  if (!parse_ollama_name(req.name, &name, err)) return false;
  if (iequals(name.host, kHfStoreHost))
    return fail(err, ErrorKind::bad_request, "model name '" + req.name + "': huggingface.co names are pull-only");
  if (req.profile.template_text && is_go_template(*req.profile.template_text))
    return fail(err, ErrorKind::bad_request,
                "TEMPLATE is in Ollama's Go template syntax; owlet renders Jinja chat templates "
                "(the GGUF's tokenizer.chat_template dialect)");
  for (const auto& [k, v] : req.profile.parameters)
    if (!check_parameter(k, v, err)) return false;

  std::vector<Layer> layers;
  ModelProfile base;
  std::string gguf;
  if (!base_layers(store, req, &layers, &base, &gguf, err)) return false;
  // The profile: the request's fields over the base's; parameters merged by name.
  ModelProfile p = base;
  if (req.profile.template_text) p.template_text = req.profile.template_text;
  if (req.profile.system) p.system = req.profile.system;
  if (req.profile.license) p.license = req.profile.license;
  for (const auto& [k, v] : req.profile.parameters) {
    for (auto it = p.parameters.begin(); it != p.parameters.end();)
      it = it->first == k ? p.parameters.erase(it) : it + 1;
  }
  for (const auto& kv : req.profile.parameters) p.parameters.push_back(kv);

  std::vector<Layer> out_layers;
  for (const auto& l : layers)
    if (!is_profile_layer(l.media_type)) out_layers.push_back(l);
  auto add = [&](const char* media_type, const std::string& text) {
    Layer l;
    if (!put_text_blob(store, media_type, text, &l, err)) return false;
    out_layers.push_back(l);
    return true;
  };
  if (p.template_text && !add(kMediaTypeTemplate, *p.template_text)) return false;
  if (p.system && !add(kMediaTypeSystem, *p.system)) return false;
  if (!p.parameters.empty() && !add(kMediaTypeParams, parameters_to_json(p.parameters))) return false;
  if (p.license && !add(kMediaTypeLicense, *p.license)) return false;

  GgufSummary g;
  Error why;
  read_gguf_summary(gguf, &g, &why);  // the config's family; an unreadable GGUF fails at load
  const std::string config_text =
      json{{"model_format", "gguf"}, {"model_family", g.architecture}, {"file_type", g.quantization}}.dump();
  Layer config;
  if (!put_text_blob(store, kMediaTypeConfig, config_text, &config, err)) return false;
  json jl = json::array();
  for (const auto& l : out_layers)
    jl.push_back({{"mediaType", l.media_type}, {"digest", "sha256:" + l.hex}, {"size", l.size}});
  const json manifest{{"schemaVersion", 2},
                      {"mediaType", kMediaTypeManifest},
                      {"config", {{"mediaType", kMediaTypeConfig}, {"digest", "sha256:" + config.hex}, {"size", config.size}}},
                      {"layers", jl}};
  const std::string path = store.manifest_path(name);
  if (!write_atomic(path, manifest.dump(), err)) return false;
  if (out) {
    std::string resolved;
    ModelRef ref;
    ref.kind = ModelRef::Kind::ollama;
    ref.ollama = name;
    ref.text = req.name;
    if (!store.resolve(ref, &resolved, err, out)) return false;
  }
  return true;
}

bool copy_model(const ModelStore& store, const std::string& source, const std::string& destination, PathRule rule,
                Error* err) {
  ModelRef ref;
  if (!parse_model_ref(source, &ref, err, rule)) return false;
  if (ref.kind == ModelRef::Kind::path)
    return fail(err, ErrorKind::bad_request, "'" + source + "' is a file path; cp copies a stored model (use create)");
  CreateRequest r;
  r.name = destination;
  r.from = source;
  r.from_rule = rule;
  return create_model(store, r, nullptr, err);
}

}  // namespace owlet::models
