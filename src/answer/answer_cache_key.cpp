#include "answer/answer_cache_key.h"

#include "kb/text.h"
#include "models/sha256.h"

namespace owlet::answer {
namespace {

// One field of the hashed material: a tag and a length, so no two different
// sets of fields can spell the same bytes.
void field(std::string* m, const char* tag, std::string_view value) {
  *m += tag;
  *m += ':';
  *m += std::to_string(value.size());
  *m += ':';
  m->append(value.data(), value.size());
  *m += '\n';
}

}  // namespace

std::string answer_variant(const AnswerVariant& v) {
  if (v.extractive) return v.web.empty() || v.web == "auto" ? "extractive" : "extractive:" + v.web;
  // Hashed: a system prompt can be long, and a model path is nobody else's business.
  std::string m;
  field(&m, "model", v.model_identity);
  field(&m, "system", v.system);
  field(&m, "history", v.history);
  field(&m, "grounded", v.grounded ? "1" : "0");
  field(&m, "think", !v.think ? "" : *v.think ? "on" : "off");
  field(&m, "effort", v.reasoning_effort);
  field(&m, "tools", v.tools);
  field(&m, "sampling", v.sampling);
  for (const auto& s : v.stop) field(&m, "stop", s);
  field(&m, "num_predict", std::to_string(v.num_predict < 0 ? -1 : v.num_predict));
  field(&m, "num_ctx", std::to_string(v.num_ctx));
  field(&m, "web", v.web);
  return "llm:" + models::sha256_hex(m).substr(0, 32);
}

AnswerCacheKey answer_cache_key(std::string_view question, std::string_view variant) {
  return {kb::normalize_question(question), std::string(variant)};
}

}  // namespace owlet::answer
