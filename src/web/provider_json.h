// Small helpers shared by the JSON-speaking providers (internal header).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "web/error.h"
#include "web/search_provider.h"
#include "web/url.h"

namespace owlet::web::detail {

// Parses without exceptions; `error` set when the body is not a JSON object.
inline nlohmann::json parse_object(std::string_view body, const char* provider, Error& error) {
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    error = {ErrorKind::parse, std::string(provider) + " returned invalid JSON"};
    return {};
  }
  if (!j.is_object()) {
    error = {ErrorKind::parse, std::string(provider) + " returned JSON that is not an object"};
    return {};
  }
  return j;
}

// A string member, or "" when missing or of another type (real APIs send null).
inline std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The {"results": [{"title", "url", "content"[, published_key]}]} shape SearxNG and
// Ollama's web search share. Results without a usable URL are dropped; ranks follow order.
inline Error parse_results_array(std::string_view body, const char* provider, const char* published_key,
                                 std::vector<SearchResult>& out) {
  Error err;
  nlohmann::json j = parse_object(body, provider, err);
  if (err) return err;
  auto it = j.find("results");
  if (it == j.end() || !it->is_array()) return {ErrorKind::parse, std::string(provider) + ": response has no results array"};
  for (const auto& r : *it) {
    std::string url = canonicalize_url(str(r, "url"));
    if (url.empty()) continue;
    SearchResult sr;
    sr.title = str(r, "title");
    sr.url = url;
    sr.snippet = str(r, "content");
    if (published_key) sr.published = str(r, published_key);
    sr.provider = provider;
    sr.rank = static_cast<int>(out.size()) + 1;
    out.push_back(std::move(sr));
  }
  return {};
}

}  // namespace owlet::web::detail
