// Answers already given, keyed by the normalized question (normalize_question in
// kb/text.h) and a variant the answer pipeline computes (answer/answer_cache_key.h:
// which model and options produced it), so one question can hold an answer per
// model. The answer pipeline decides TTLs by freshness class.
//
// An answer never outlives the knowledge it was built on: it remembers the
// sources it cites (`cites`), and removing or replacing one of those documents
// drops it in the same transaction; an answer that found nothing is dropped by
// any change to the knowledge base (a new document may answer it now).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace owlet::kb {

struct CachedAnswer {
  std::string question;        // as asked; stored under normalize_question(question)
  std::string variant;         // what else must match for the answer to be served
  std::string answer;
  std::string sources_json = "[]";
  std::string route;           // which tier served it, e.g. "local", "web-deep"
  int64_t created_at = 0;      // unix seconds; 0 = now
  int64_t expires_at = 0;      // unix seconds; 0 = never
  std::vector<std::string> cites;  // sources (document sources, page URLs) the answer was built on
  bool found_nothing = false;  // no source was found: valid only until the knowledge changes
};

// How a lookup was served, for the hit figures.
enum class CacheHitKind { miss, exact, paraphrase };

// The answer cache's size and hit figures (KnowledgeBase::cache_stats). Hits and
// lookups are counted over the knowledge base's life, by every process using it.
struct AnswerCacheStats {
  int64_t entries = 0;
  int64_t bytes = 0;           // answers, sources and questions stored
  int64_t lookups = 0;
  int64_t hits_exact = 0;
  int64_t hits_paraphrase = 0;
};

}  // namespace owlet::kb
