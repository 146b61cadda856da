// The answer cache's key: which stored answers a request may be given. One
// function for every cache layer (the knowledge base's SQLite table, a shared
// cache in front of replicas), so they never disagree about what matches.
//
// A model's answer is served only to requests for the same model (its identity:
// the store digest, or path + size + mtime of a loose file, models/model_identity.h)
// with the same options that change the text (the client's system prompt, and
// whether the reply was grounded). An extractive answer is the sources' own
// sentences, whatever model a request names: it is shared across models.
#pragma once

#include <string>
#include <string_view>

namespace owlet::answer {

struct AnswerVariant {
  bool extractive = false;
  std::string model_identity;  // of the model that answers (ignored for extractive answers)
  std::string system;          // the client's own system prompt
  bool grounded = true;        // the answer was built on retrieved sources
};

struct AnswerCacheKey {
  std::string question;  // kb::normalize_question(question): case, width and spacing folded
  std::string variant;   // "extractive", or "llm:" + a hash of identity, system prompt and grounding
  // Both parts in one string, for key-value caches.
  std::string str() const { return variant + "\n" + question; }
};

std::string answer_variant(const AnswerVariant& v);
// The key under which a question's answer of that variant is stored and looked up.
AnswerCacheKey answer_cache_key(std::string_view question, std::string_view variant);

}  // namespace owlet::answer
