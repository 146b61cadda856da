// Ollama manifests, the one parser for the store and for pull.
//
// An image manifest (Docker v2 schema 2) lists a config blob and layers; the
// layer of media type application/vnd.ollama.image.model is the GGUF. Newer
// Ollama registries and stores also use manifest lists: one tag, several
// runner-specific child manifests, each inline or referenced by digest. owlet
// runs the child meant for llama.cpp ("llamacpp", else "ollama", else the first).
//
//   Manifest m;
//   if (!parse_manifest(text, &m, &err)) ...;
//   if (m.is_list) { const ManifestChild* c = pick_child(m); ... fetch or read c->hex ... }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace owlet::models {

struct Layer {
  std::string media_type;
  std::string hex;     // lower-case sha256 of the blob
  uint64_t size = 0;
};

struct ManifestChild {
  std::string runner;       // "llamacpp", "ollama", …; may be empty
  std::string hex;          // digest of the child manifest blob ("" when inline)
  std::string inline_json;  // the child itself, when the list carries it inline
};

struct Manifest {
  bool is_list = false;
  // Image manifests: config first when present, then the layers in order.
  std::vector<Layer> layers;
  Layer model;               // the GGUF layer
  bool has_model = false;
  // Manifest lists.
  std::vector<ManifestChild> children;
};

// Parses either kind. False with ErrorKind::parse for anything that is not a
// manifest: bad JSON, a layer without a sha256 digest, a list without children.
bool parse_manifest(std::string_view text, Manifest* out, Error* err);

// The child of a manifest list that llama.cpp runs; null when there is none.
const ManifestChild* pick_child(const Manifest& list);

// "sha256:<hex>" / "sha256-<hex>" / "<hex>" → lower-case hex, "" when malformed.
std::string digest_hex(std::string_view digest);

}  // namespace owlet::models
