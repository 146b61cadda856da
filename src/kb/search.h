// Search requests and results: one hit per chunk, with each tier's view of it.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace owlet::kb {

struct SearchFilters {
  std::vector<std::string> source_kinds;  // empty = any
  std::string language;                   // empty = any
  double min_trust = 0.0;
  int64_t modified_after = 0;             // unix seconds; 0 = any
  std::string source_prefix;              // e.g. "https://docs.example.com/"
  bool empty() const {
    return source_kinds.empty() && language.empty() && min_trust <= 0 && modified_after == 0 && source_prefix.empty();
  }
};

struct SearchHit {
  int64_t chunk_id = 0;
  int64_t document_id = 0;
  int ord = 0;  // chunk order in its document
  std::string text;
  std::string source;
  std::string title;
  std::string language;
  std::string source_kind;
  double trust = 0;
  // Per tier: rank is 1-based, 0 = this tier did not return the chunk.
  int hot_rank = 0;
  double hot_score = 0;   // BM25, higher is better
  int warm_rank = 0;
  double warm_score = 0;  // cosine similarity
  double fused_score = 0; // reciprocal rank fusion: sum of weight/(rrf_k + rank)
  int fused_rank = 0;     // 1-based position in the result
};

struct SearchResult {
  std::vector<SearchHit> hits;  // best first
  bool warm_used = false;       // false when no embedder is configured
  double hot_ms = 0;
  double warm_ms = 0;
  double total_ms = 0;
  Error error;                  // set: the search failed (hits may be partial)
  bool ok() const { return error.ok(); }
};

}  // namespace owlet::kb
