// Model names that API requests may use (part of the request intake).
//
// Over the network a model is a store name: an Ollama name (qwen2.5:0.5b,
// ns/model:tag, host/ns/model:tag) whose registry host is on `registries`, or an
// hf:// reference when Hugging Face is. File paths are refused — they would load
// any GGUF on the machine and tell a client which files exist — except the exact
// names the operator configured (`configured`: the default model and the like,
// which may be paths). Names are classified by spelling alone, never by looking
// at the file system. Pulls over plain http ("insecure") need `allow_insecure`.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace owlet::server {

// The Ollama registry (both spellings of its host) and Hugging Face.
const std::vector<std::string>& default_registries();

struct ModelNamePolicy {
  std::vector<std::string> configured;
  std::vector<std::string> registries = default_registries();  // hosts, "host:port" for a port
  bool allow_insecure = false;
};

// bad_request for a malformed name (control characters included), forbidden for
// a path or a registry not on the list.
bool check_model_name(const std::string& name, const ModelNamePolicy& policy, Error* err);

// check_model_name, plus `insecure` (a pull over plain http) allowed only by the policy.
bool check_pull_request(const std::string& name, bool insecure, const ModelNamePolicy& policy, Error* err);

}  // namespace owlet::server
