// The concrete search providers. Every one takes its base URL from its options,
// which is how config (and the tests' loopback fixtures) point them anywhere.
// The parse_* functions are pure (body in, results out) so fuzzers can drive them.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "web/search_provider.h"

namespace owlet::web {

// SearxNG JSON API: GET {base}/search?q=..&format=json&language=..&time_range=..&categories=..
struct SearxngOptions {
  std::string base_url = "http://127.0.0.1:8888";
  std::string safesearch;  // "0", "1", "2"; "" = instance default
};
std::unique_ptr<SearchProvider> make_searxng_provider(SearxngOptions options);
Error parse_searxng_json(std::string_view body, std::vector<SearchResult>& out);

// Brave Search API: GET {base}/res/v1/web/search?q=..&count=.. with X-Subscription-Token.
struct BraveOptions {
  std::string base_url = "https://api.search.brave.com";
  std::string api_key;
  std::string country;  // "us", "de"...; "" = Brave's default
};
std::unique_ptr<SearchProvider> make_brave_provider(BraveOptions options);
Error parse_brave_json(std::string_view body, std::vector<SearchResult>& out);

// Ollama web search: POST {base}/api/web_search {"query","max_results"} with a Bearer key.
struct OllamaSearchOptions {
  std::string base_url = "https://ollama.com";
  std::string api_key;
};
std::unique_ptr<SearchProvider> make_ollama_provider(OllamaSearchOptions options);
Error parse_ollama_search_json(std::string_view body, std::vector<SearchResult>& out);

// Ollama web fetch: POST {base}/api/web_fetch {"url"} -> {title, content, links}.
struct WebFetchResult {
  std::string title;
  std::string content;
  std::vector<std::string> links;
  Error error;
};
HttpRequest make_ollama_fetch_request(const OllamaSearchOptions& options, const std::string& url);
WebFetchResult parse_ollama_fetch(const HttpResponse& response);
Error parse_ollama_fetch_json(std::string_view body, WebFetchResult& out);

// Wikipedia (MediaWiki API, no key): one call doing search + intro extracts:
// {base}/w/api.php?action=query&generator=search&prop=extracts|info&...
// "{lang}" in base_url becomes the query's language (or default_language).
struct WikipediaOptions {
  std::string base_url = "https://{lang}.wikipedia.org";
  std::string default_language = "en";
  int sentences = 3;  // length of the intro extract used as snippet
};
std::unique_ptr<SearchProvider> make_wikipedia_provider(WikipediaOptions options);
Error parse_wikipedia_json(std::string_view body, std::vector<SearchResult>& out);

// DuckDuckGo HTML endpoint (no key): POST {base}/html/ q=..; results scraped with gumbo.
struct DuckDuckGoOptions {
  std::string base_url = "https://html.duckduckgo.com";
  std::string region;  // kl parameter, e.g. "us-en", "cn-zh"
};
std::unique_ptr<SearchProvider> make_duckduckgo_provider(DuckDuckGoOptions options);
Error parse_duckduckgo_html(std::string_view html, std::vector<SearchResult>& out);

}  // namespace owlet::web
