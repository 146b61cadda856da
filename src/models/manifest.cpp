#include "models/manifest.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "models/model_store.h"
#include "models/sha256.h"

namespace owlet::models {
namespace {

using json = nlohmann::json;

bool parse_layer(const json& j, Layer* l) {
  if (!j.is_object()) return false;
  l->media_type = j.value("mediaType", "");
  l->hex = j.contains("digest") && j["digest"].is_string() ? digest_hex(j["digest"].get<std::string>()) : "";
  l->size = j.contains("size") && j["size"].is_number_unsigned() ? j["size"].get<uint64_t>() : 0;
  return !l->hex.empty();
}

bool parse_list(const json& j, Manifest* out, Error* err) {
  if (!j.contains("manifests") || !j["manifests"].is_array() || j["manifests"].empty())
    return fail(err, ErrorKind::parse, "manifest list without child manifests");
  for (const auto& c : j["manifests"]) {
    if (!c.is_object()) return fail(err, ErrorKind::parse, "manifest list entry is not an object");
    ManifestChild child;
    child.runner = c.contains("runner") && c["runner"].is_string() ? c["runner"].get<std::string>() : "";
    if (c.contains("layers")) {
      child.inline_json = c.dump();
    } else {
      child.hex = c.contains("digest") && c["digest"].is_string() ? digest_hex(c["digest"].get<std::string>()) : "";
      if (child.hex.empty()) return fail(err, ErrorKind::parse, "manifest list entry without a sha256 digest");
    }
    out->children.push_back(std::move(child));
  }
  out->is_list = true;
  return true;
}

bool parse_image(const json& j, Manifest* out, Error* err) {
  if (j.contains("config") && !j["config"].is_null()) {
    Layer c;
    if (!parse_layer(j["config"], &c)) return fail(err, ErrorKind::parse, "manifest config without a sha256 digest");
    out->layers.push_back(c);
  }
  if (!j.contains("layers") || !j["layers"].is_array()) return fail(err, ErrorKind::parse, "manifest has no layers");
  for (const auto& lj : j["layers"]) {
    Layer l;
    if (!parse_layer(lj, &l)) return fail(err, ErrorKind::parse, "manifest layer without a sha256 digest");
    out->layers.push_back(l);
    if (!out->has_model && l.media_type.rfind(kMediaTypeModel, 0) == 0) {
      out->model = l;
      out->has_model = true;
    }
  }
  return true;
}

}  // namespace

std::string digest_hex(std::string_view digest) {
  std::string_view d = digest;
  if (d.rfind("sha256:", 0) == 0 || d.rfind("sha256-", 0) == 0) d.remove_prefix(7);
  std::string hex = ascii_lower(d);
  return is_sha256_hex(hex) ? hex : "";
}

bool parse_manifest(std::string_view text, Manifest* out, Error* err) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(err, ErrorKind::parse, "not a JSON manifest");
  Manifest m;
  bool list = j.contains("manifests") || (j.contains("mediaType") && j["mediaType"].is_string() &&
                                          j["mediaType"].get<std::string>() == kMediaTypeManifestList);
  if (!(list ? parse_list(j, &m, err) : parse_image(j, &m, err))) return false;
  *out = std::move(m);
  return true;
}

const ManifestChild* pick_child(const Manifest& list) {
  for (const char* runner : {"llamacpp", "ollama"})
    for (const auto& c : list.children)
      if (iequals(c.runner, runner)) return &c;
  return list.children.empty() ? nullptr : &list.children.front();
}

}  // namespace owlet::models
