// JSON forms of an answer, shared by `owlet ask --json`, POST /api/answer and
// the extra fields of grounded chat responses.
#pragma once

#include <nlohmann/json.hpp>

#include "answer/pipeline.h"

namespace owlet::answer {

nlohmann::json source_to_json(const Source& s);             // n, title, url, site, published, snippet, origin
nlohmann::json sources_to_json(const std::vector<Source>& s);
nlohmann::json route_to_json(const AnswerResult& r);        // tier, reasons, freshness, ..., timings_ms, note
// id, answer, thinking, sources, route, model, ...; with include_context also
// `context`, the sources block exactly as the model saw it (a string; "" when none).
nlohmann::json answer_to_json(const AnswerResult& r, bool include_context = false);
// Sources back from the answer cache's sources_json.
std::vector<Source> sources_from_json(const std::string& text);

}  // namespace owlet::answer
