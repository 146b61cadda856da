// Ollama's Modelfile, the part owlet runs: FROM (a GGUF path or a stored
// model), TEMPLATE, SYSTEM, PARAMETER and LICENSE. Values may be bare (the rest
// of the line), "quoted" or """triple-quoted""" across lines, as Ollama reads
// them; instructions are case-insensitive; '#' starts a comment line.
//
//   Modelfile mf;
//   if (!parse_modelfile(text, &mf, &err)) ...   // bad_request: "Modelfile line 3: ..."
//
// TEMPLATE is a Jinja chat template (the GGUF's tokenizer.chat_template
// dialect that llama.cpp renders), not Ollama's Go template syntax.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace owlet::models {

// Parameters in the order given; `stop` may repeat. Values are text, checked by check_parameter.
using Parameters = std::vector<std::pair<std::string, std::string>>;

// What a model carries besides its weights (the manifest's template, system,
// params and license layers); unset = the base model's (or the GGUF's own).
struct ModelProfile {
  std::optional<std::string> template_text;
  std::optional<std::string> system;
  std::optional<std::string> license;
  Parameters parameters;
};

struct Modelfile {
  std::string from;  // required
  ModelProfile profile;
};

bool parse_modelfile(std::string_view text, Modelfile* out, Error* err);

// The parameters owlet applies: temperature, top_k, top_p, min_p,
// repeat_penalty, repeat_last_n, seed, num_predict, num_ctx, stop. bad_request
// naming the parameter for an unknown name or a value of the wrong type.
bool check_parameter(const std::string& name, const std::string& value, Error* err);
const std::vector<std::string>& known_parameters();

// The params layer as Ollama writes it: {"temperature": 0.7, "stop": ["a", "b"]}.
std::string parameters_to_json(const Parameters& p);
bool parameters_from_json(std::string_view text, Parameters* out, Error* err);
// /api/show's "parameters": one "name value" line each, strings quoted.
std::string parameters_to_text(const Parameters& p);

}  // namespace owlet::models
