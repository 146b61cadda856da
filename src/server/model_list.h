// The models the server lists (/api/tags, /v1/models, the chat page's picker):
// the stores' models and the served ones given by path or hf:// reference, with
// the same fields for both, so a client finds the model it talks to by the
// name it was listed under.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model_store.h"
#include "server/server.h"

namespace owlet::server {

struct ListedModel {
  std::string name;
  std::string path;     // the GGUF file
  std::string digest;   // hex, without "sha256:" (as Ollama lists it)
  std::string owner;    // "owlet", "ollama" (the store), or "owlet" for a served file
  uint64_t size = 0;    // bytes: every layer for store models, the file for served ones
  int64_t modified = 0; // unix seconds
  models::GgufSummary gguf;
};

// The served models the stores do not list, then the stores' models.
std::vector<ListedModel> list_models(const ServerOptions& o);

// The name a loaded model is listed under: a served model's, else the name it was loaded by.
std::string listed_name(const ServerOptions& o, const std::string& name, const std::string& path);

// The served model of that name, or null.
const ServedModel* served_model(const ServerOptions& o, const std::string& name);

// A stored model's Modelfile profile (template, system, parameters) by a name
// from a request; false when the name is no stored model (a served file, an unknown name).
bool stored_profile(const std::string& name, models::ModelProfile* out);

// A stored model's Modelfile defaults under a request's own fields, as Ollama
// applies them: its PARAMETERs where the request sets none, its SYSTEM where the
// request has no system message (chat) or "system" (generate). The body comes
// back unchanged for any other model, or a body the parsers will refuse anyway.
enum class Dialect { ollama_chat, ollama_generate, openai_chat };
nlohmann::json with_model_defaults(const ServerOptions& o, const nlohmann::json& body, Dialect dialect);

// The digest (hex) of a loaded model's file: a served model's, or a store blob's name.
std::string digest_of_path(const ServerOptions& o, const std::string& path);

}  // namespace owlet::server
