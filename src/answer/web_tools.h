// Web search and page reading as tools: what POST /api/web_search and
// /api/web_fetch serve (the shapes of Ollama's hosted web API, with no
// account) and what a model's web_search / web_fetch tool calls run. Both go
// through the answer pipeline's services, as its own retrieval does: its
// search providers, the HTTP client's SSRF guard and size, time and redirect
// limits, the domain policy (source governance) and the knowledge cache.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "answer/pipeline.h"
#include "common/error.h"
#include "kb/document.h"

namespace owlet::answer {

struct WebSearchHit {
  std::string title;
  std::string url;
  std::string content;  // the provider's snippet
};

struct WebPage {
  std::string url;                 // after redirects
  std::string title;
  std::string content;             // the extracted main text
  std::vector<std::string> links;  // absolute http(s) links on the page
  bool from_cache = false;         // served by the knowledge cache
  kb::Document learned;            // the page as a knowledge-base document (source empty when cached)
};

// max_results is clamped to 1..10 (Ollama's bounds). Results from denied
// domains are left out. unavailable without providers (or an HTTP client);
// a search no provider answered fails with the first provider's error.
bool web_search(const PipelineServices& sv, const std::string& query, int max_results,
                std::chrono::milliseconds deadline, std::vector<WebSearchHit>* out, Error* err);

// One page: invalid_url, blocked_address (private, loopback…), blocked_domain,
// unprocessable (too large, not a page), timeout, network, http_status….
bool web_fetch(const PipelineServices& sv, const std::string& url, std::chrono::milliseconds deadline, WebPage* out,
               Error* err);

}  // namespace owlet::answer
