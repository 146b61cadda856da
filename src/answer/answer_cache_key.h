// The answer cache's key: which stored answers a request may be given. One
// function for every cache layer (the knowledge base's SQLite table, a shared
// cache in front of replicas), so they never disagree about what matches.
//
// A cached answer is served only to a request that would produce it: the key
// covers everything that changes the text. A model's answer is served only to
// requests for the same model (its identity: the store digest, or path + size +
// mtime of a loose file, models/model_identity.h) with the same system prompt
// and history, thinking and effort, tools, grammar (format / response_format /
// GBNF), stop strings, generation limit, context size, web mode, and sampling
// (the server's defaults, or the request's own deterministic parameters; a
// request asking for a fresh sample is never served from the cache, see
// AnswerRequest::fresh_sample). An extractive answer is the sources' own
// sentences, whatever model a request names: it is shared across models and
// depends on the web mode only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

struct AnswerVariant {
  bool extractive = false;
  std::string model_identity;  // of the model that answers (ignored for extractive answers)
  std::string system;          // the client's own system prompt
  std::string history;         // earlier turns, each "role\0content\0" ("" = none)
  bool grounded = true;        // the answer was built on retrieved sources
  std::optional<bool> think;   // unset = the model's default
  std::string reasoning_effort;
  std::string tools;           // the client's tools, as JSON ("" = none)
  std::string sampling;        // "" = the server's defaults; else the request's parameters, grammar included
  std::vector<std::string> stop;
  int num_predict = -1;        // the generation limit in effect
  int num_ctx = 0;             // the context size asked for (0 = the model's)
  std::string web;             // web mode: "auto", "always", "never"
};

struct AnswerCacheKey {
  std::string question;  // kb::normalize_question(question): case, width and spacing folded
  std::string variant;   // "extractive[:web]", or "llm:" + a hash of everything else above
  // Both parts in one string, for key-value caches.
  std::string str() const { return variant + "\n" + question; }
};

std::string answer_variant(const AnswerVariant& v);
// The key under which a question's answer of that variant is stored and looked up.
AnswerCacheKey answer_cache_key(std::string_view question, std::string_view variant);

}  // namespace owlet::answer
