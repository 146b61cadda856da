// Answers already given, keyed by the normalized question (normalize_question in
// kb/text.h) and a variant the answer pipeline computes (answer/answer_cache_key.h:
// which model and options produced it), so one question can hold an answer per
// model. The answer pipeline decides TTLs by freshness class.
#pragma once

#include <cstdint>
#include <string>

namespace owlet::kb {

struct CachedAnswer {
  std::string question;        // as asked; stored under normalize_question(question)
  std::string variant;         // what else must match for the answer to be served
  std::string answer;
  std::string sources_json = "[]";
  std::string route;           // which tier served it, e.g. "local", "web-deep"
  int64_t created_at = 0;      // unix seconds; 0 = now
  int64_t expires_at = 0;      // unix seconds; 0 = never
};

}  // namespace owlet::kb
