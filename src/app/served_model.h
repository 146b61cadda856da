// The models a process serves by default (`model`, and each experiment arm's),
// under the names clients see: a file given by path is listed and asked for by
// its stem (/models/qwen2.5-1.5b-q4.gguf → "qwen2.5-1.5b-q4"), an Ollama name or
// hf:// reference by its display form. Open WebUI and the other front-ends fill
// their model picker from /api/tags and /v1/models and send back what they
// found there, so the served model must be listed, and found, by that name.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/error.h"
#include "config/config.h"

namespace owlet::app {

// "" for "".
std::string served_name(const std::string& ref);

// name → the reference as configured, for cfg.model and the arms' models.
std::map<std::string, std::string> served_aliases(const Config& cfg);

struct ServedModel {
  std::string name;    // served_name(ref)
  std::string ref;     // as configured
  std::string path;    // the GGUF file
  std::string digest;  // "sha256:<hex>": the store's for a blob, hashed for a loose file
};
// Resolves ref and finds its digest (reading the whole file once when it is
// not a store blob, as `ollama create` does).
bool describe_served_model(const std::string& ref, ServedModel* out, Error* err);

}  // namespace owlet::app
