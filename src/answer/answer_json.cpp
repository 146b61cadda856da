#include "answer/answer_json.h"

namespace owlet::answer {

using json = nlohmann::json;

json source_to_json(const Source& s) {
  return json{{"n", s.n},           {"title", s.title},     {"url", s.url},      {"site", s.site},
              {"published", s.published}, {"snippet", s.snippet}, {"origin", s.origin}};
}

json sources_to_json(const std::vector<Source>& sources) {
  json a = json::array();
  for (const auto& s : sources) a.push_back(source_to_json(s));
  return a;
}

json route_to_json(const AnswerResult& r) {
  const StageTimes& t = r.times;
  json j{{"tier", r.served_by},
         {"summary", r.decision.summary},
         {"reasons", r.decision.reasons},
         {"freshness", to_string(r.decision.freshness)},
         {"time_sensitive", r.decision.time_sensitive},
         {"coverage", r.decision.coverage},
         {"offline", r.offline},
         {"cache_hit", r.cache_hit},
         {"engine", r.engine},
         {"timings_ms",
          {{"cache", t.cache}, {"route", t.route}, {"search", t.search}, {"fetch", t.fetch}, {"extract", t.extract},
           {"rank", t.rank}, {"prompt", t.prompt}, {"prefill", t.prefill}, {"generate", t.generate},
           {"total", t.total}}}};
  // What the router's classifier said (absent when a rule or the cache decided).
  const PromptClass& pc = r.decision.prompt;
  if (pc.p_changing >= 0) {
    j["classifier"] = {{"changing", pc.p_changing}, {"fast", pc.p_fast}, {"retrieval", pc.p_retrieval},
                       {"decided_by", pc.decided_by}, {"uncertain", pc.uncertain}};
  }
  if (r.cache_hit) j["cache_match"] = r.cache_match;
  if (!r.arm.empty()) j["arm"] = r.arm;
  if (!r.note.empty()) j["note"] = r.note;
  if (!r.web_errors.empty()) j["web_errors"] = r.web_errors;
  if (r.tool_rounds > 0) j["tool_rounds"] = r.tool_rounds;
  return j;
}

json answer_to_json(const AnswerResult& r, bool include_context) {
  json j{{"id", r.id},
              {"answer", r.answer},
              {"thinking", r.reasoning},
              {"sources", sources_to_json(r.sources)},
              {"route", route_to_json(r)},
              {"model", r.model},
              {"done_reason", llm::finish_reason_name(r.finish)},
              {"citations_removed", r.citations_removed},
              {"prompt_eval_count", r.prompt_tokens},
              {"prompt_cached_tokens", r.prompt_cached_tokens},
              {"eval_count", r.generated_tokens}};
  if (include_context) j["context"] = r.context;
  return j;
}

std::vector<Source> sources_from_json(const std::string& text) {
  std::vector<Source> out;
  json a = json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    if (!j.is_object()) continue;
    Source s;
    try {  // value() throws on a wrong type; a damaged entry is skipped, not fatal
      s.n = j.value("n", 0);
      s.title = j.value("title", "");
      s.url = j.value("url", "");
      s.site = j.value("site", "");
      s.published = j.value("published", "");
      s.snippet = j.value("snippet", "");
      s.origin = j.value("origin", "");
    } catch (const json::exception&) {
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace owlet::answer
