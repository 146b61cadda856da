// Fetch pages and extract their main text, many in parallel under one
// deadline, with extracted pages kept in the knowledge cache so a page read
// once is served locally (and offline) until its TTL runs out.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "web/error.h"
#include "web/html_extractor.h"
#include "web/http_client.h"
#include "web/knowledge_cache.h"

namespace owlet::web {

struct FetchedPage {
  std::string url;            // as requested
  std::string final_url;      // after redirects
  Error error;                // transport, policy, HTTP status or unsupported type
  long status = 0;
  std::string http_version;
  std::string content_type;
  bool from_cache = false;
  double elapsed_ms = 0;      // transfer
  double extract_ms = 0;      // main-text extraction
  ExtractedPage page;         // title/text/metadata (empty on error)
};

struct PageFetchOptions {
  ExtractOptions extract;
  std::chrono::seconds cache_ttl{24 * 3600};  // for pages stored in the cache
};

// Fetches `urls` in one batch. Results keep the input order. With a cache,
// fresh entries are served from it and successful extractions are stored.
std::vector<FetchedPage> fetch_pages(HttpClient& client, const std::vector<std::string>& urls,
                                     std::chrono::milliseconds deadline, KnowledgeCache* cache = nullptr,
                                     const PageFetchOptions& options = {});

// Cache key of a page: "page:" + canonical URL.
std::string page_cache_key(const std::string& url);

// ExtractedPage <-> JSON, the cache's storage format.
std::string serialize_page(const ExtractedPage& page);
bool deserialize_page(const std::string& data, ExtractedPage& page);

}  // namespace owlet::web
