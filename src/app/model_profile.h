// A stored model's Modelfile profile (`owlet create`: TEMPLATE, SYSTEM,
// PARAMETER), applied where owlet runs it: the template through the model
// manager (every API and the CLI), the parameters and system prompt by `ask`
// and `run` under the user's own config, flags and --system.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "models/modelfile.h"

namespace owlet::app {

// The profile of a model named by the CLI or the config (a store name; a path
// has none). False when there is none to read.
bool stored_profile(const std::string& model, models::ModelProfile* out);

// The Jinja template a stored model carries, "" for the GGUF's own (also for
// Ollama's Go templates, which owlet does not render).
std::string stored_template(const std::string& model);

// PARAMETER lines as config values (num_ctx → ctx_size; stop is not a config key).
std::vector<std::pair<std::string, std::string>> profile_config_values(const models::ModelProfile& p);

// Re-resolves the config with the model's parameters as the lowest layer (under
// YAML, environment and flags), keeping cfg->model. False with *err on a bad value.
bool apply_profile_parameters(Config* cfg, const models::ModelProfile& p, const std::string& config_path,
                              char** envp, const std::vector<std::pair<std::string, std::string>>& flags,
                              std::string* err);

}  // namespace owlet::app
