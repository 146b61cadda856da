// New names in owlet's store: `owlet create NAME -f Modelfile`, `owlet cp`,
// and POST /api/create and /api/copy. A created model is a manifest in
// Ollama's layout: the base's GGUF layer (a file given by path is hashed and
// copied into blobs/, a model from Ollama's store is linked or copied over, so
// owlet's store never points into Ollama's) plus template, system, params and
// license layers; the fields a Modelfile sets replace the base's, its
// PARAMETER lines are merged over the base's (a new `stop` replaces them all).
//
//   CreateRequest r{"owl-helper", "/models/qwen.gguf"};
//   r.profile.system = "You answer briefly.";
//   if (!create_model(store, r, &entry, &err)) ...
#pragma once

#include <string>

#include "common/error.h"
#include "models/model_store.h"
#include "models/modelfile.h"

namespace owlet::models {

struct CreateRequest {
  std::string name;   // the new model: an Ollama name ("owl", "me/owl:v2")
  std::string from;   // a GGUF path or a stored model
  PathRule from_rule = PathRule::probe;  // names from the network: PathRule::syntax (the caller refuses paths)
  ModelProfile profile;
};

// bad_request: a malformed or non-Ollama name, a TEMPLATE in Go template syntax,
// a bad parameter; not_found: no such base; parse: FROM is not a GGUF file; io.
bool create_model(const ModelStore& store, const CreateRequest& req, StoreEntry* out, Error* err);

// The same layers under a second name (Ollama's `cp`).
bool copy_model(const ModelStore& store, const std::string& source, const std::string& destination, PathRule rule,
                Error* err);

// The template, system, params and license layers of a stored model.
bool read_profile(const ModelStore& store, const StoreEntry& entry, ModelProfile* out, Error* err);

// Whether a template is Ollama's Go template syntax ({{ .Prompt }}, {{ range .Messages }}),
// which owlet does not render, rather than a Jinja chat template.
bool is_go_template(const std::string& text);

}  // namespace owlet::models
