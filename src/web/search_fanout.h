// Runs several search providers in parallel under one deadline and merges
// their results (reciprocal-rank fusion, deduplicated by canonical URL).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "web/http_client.h"
#include "web/search_provider.h"

namespace owlet::web {

struct SearchOutcome {
  std::vector<SearchResult> results;       // merged, best first, rank = position
  std::vector<ProviderResponse> providers;  // one per provider, input order
  std::vector<std::string> answered;        // providers that returned without error
  double elapsed_ms = 0;
};

// A slow provider is cut at the deadline (ErrorKind::timeout) and never delays
// the others; a failing one is reported in `providers` and the search goes on.
SearchOutcome search_all(HttpClient& client, const std::vector<const SearchProvider*>& providers,
                         const SearchQuery& query, std::chrono::milliseconds deadline);

// Reciprocal-rank fusion (k = 60) over the providers' lists; a URL found by
// several providers keeps the best title/snippet and lists every provider.
std::vector<SearchResult> merge_results(const std::vector<ProviderResponse>& responses, std::size_t max_results);

}  // namespace owlet::web
