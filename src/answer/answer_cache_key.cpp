#include "answer/answer_cache_key.h"

#include "kb/text.h"
#include "models/sha256.h"

namespace owlet::answer {

std::string answer_variant(const AnswerVariant& v) {
  if (v.extractive) return "extractive";
  // Hashed: a system prompt can be long, and a model path is nobody else's business.
  std::string material = v.model_identity;
  material += '\0';
  material += v.system;
  material += '\0';
  material += v.grounded ? "grounded" : "plain";
  return "llm:" + models::sha256_hex(material).substr(0, 32);
}

AnswerCacheKey answer_cache_key(std::string_view question, std::string_view variant) {
  return {kb::normalize_question(question), std::string(variant)};
}

}  // namespace owlet::answer
