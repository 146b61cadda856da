// One interface for every web search backend. A provider only builds its HTTP
// request and parses the response; the fan-out (search_fanout.h) runs all of
// them as one batch on the shared HttpClient, under one deadline.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "web/error.h"
#include "web/http_client.h"

namespace owlet::web {

struct SearchQuery {
  std::string text;
  int max_results = 10;
  std::string language;    // "en", "zh", "de"...; "" = provider default
  std::string time_range;  // "", "day", "week", "month", "year"
  std::vector<std::string> categories;  // SearxNG categories ("general", "news", ...)
};

struct SearchResult {
  std::string title;
  std::string url;        // canonical form (see canonicalize_url)
  std::string snippet;    // plain text
  std::string published;  // as the provider gave it ("" if unknown)
  std::string provider;   // provider name; after merging, all that returned it ("searxng,brave")
  int rank = 0;           // 1-based position in the provider's (or merged) list
};

struct ProviderResponse {
  std::string provider;
  std::vector<SearchResult> results;
  Error error;  // this provider's failure; never fails the whole search
  double elapsed_ms = 0;
};

class SearchProvider {
 public:
  virtual ~SearchProvider() = default;
  virtual std::string name() const = 0;
  virtual HttpRequest build_request(const SearchQuery& query) const = 0;
  // Turns the HTTP outcome into results or an error, the same way for every
  // provider: a status the provider explains itself (status_error), then
  // transport errors and non-2xx statuses, then the body (parse_body), cut to
  // query.max_results.
  ProviderResponse parse(const SearchQuery& query, const HttpResponse& response) const;

 protected:
  // A status that means more than "HTTP 403" for this provider (a rejected key,
  // a disabled format, a bot challenge); none by default.
  virtual Error status_error(const HttpResponse& response) const;
  virtual Error parse_body(std::string_view body, std::vector<SearchResult>& out) const = 0;
};

// Shared by providers: transport errors and non-2xx statuses as a provider error.
Error provider_http_error(const std::string& provider, const HttpResponse& response);

// Strips tags and decodes the common HTML entities in provider snippets.
std::string strip_html(std::string_view html);

}  // namespace owlet::web
