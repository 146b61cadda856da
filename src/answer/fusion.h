// Fusing ranked source lists (knowledge base, search snippets, fetched pages)
// into one: reciprocal rank fusion, then duplicates dropped — the same page by
// canonical URL, mirrors and reposts by near-duplicate text — and, for
// time-sensitive questions, a boost for recent sources.
#pragma once

#include <cstdint>
#include <vector>

#include "answer/source.h"

namespace owlet::answer {

struct FusionOptions {
  int rrf_k = 60;
  bool time_sensitive = false;
  double recency_boost = 0.5;   // score x (1 + boost) for a source dated within recent_days
  int recent_days = 60;
  int64_t now = 0;              // unix seconds
  int near_dup_bits = 3;        // simhash Hamming distance counted as the same text
  size_t max_sources = 12;
};

// Each list is best first. A source found in several lists sums its RRF terms
// and keeps the richest text (a fetched page over its snippet). Scores are set.
std::vector<Source> fuse_sources(const std::vector<std::vector<Source>>& lists, const FusionOptions& options);

// Unix seconds of an ISO 8601 date prefix ("2026-11-27", "2026-11-27T10:00:00Z"); 0 when unparsable.
int64_t parse_iso_date(const std::string& s);

}  // namespace owlet::answer
