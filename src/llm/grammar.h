// Structured output: GBNF grammars that constrain sampling (SamplingParams::grammar).
#pragma once

#include <string>

#include "common/error.h"

namespace owlet::llm {

// A grammar that accepts exactly the JSON documents valid under a JSON Schema
// (llama.cpp's converter, as llama-server uses). False and *err on a schema
// that is not JSON or that the converter rejects.
bool grammar_from_json_schema(const std::string& schema_json, std::string* gbnf, Error* err);

// JSON mode (Ollama's "format": "json"): any JSON object.
std::string json_object_grammar();

}  // namespace owlet::llm
