#include "web/provider_json.h"
#include "web/search_providers.h"
#include "web/url.h"

namespace owlet::web {
namespace {

std::string base(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

HttpRequest json_post(const std::string& url, const std::string& key, const nlohmann::json& body) {
  HttpRequest r{url, "POST"};
  r.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!key.empty()) r.headers.emplace_back("Authorization", "Bearer " + key);
  r.body = body.dump();
  return r;
}

class OllamaProvider : public SearchProvider {
 public:
  explicit OllamaProvider(OllamaSearchOptions o) : opts_(std::move(o)) {}
  std::string name() const override { return "ollama"; }

  HttpRequest build_request(const SearchQuery& q) const override {
    nlohmann::json body = {{"query", q.text}, {"max_results", std::clamp(q.max_results, 1, 10)}};  // API max is 10
    return json_post(base(opts_.base_url) + "/api/web_search", opts_.api_key, body);
  }

  Error status_error(const HttpResponse& resp) const override {
    if (resp.status != 401) return {};
    return {ErrorKind::http_status, "ollama: API key missing or rejected (HTTP 401)"};
  }
  Error parse_body(std::string_view body, std::vector<SearchResult>& out) const override {
    return parse_ollama_search_json(body, out);
  }


 private:
  OllamaSearchOptions opts_;
};

}  // namespace

Error parse_ollama_search_json(std::string_view body, std::vector<SearchResult>& out) {
  return detail::parse_results_array(body, "ollama", nullptr, out);
}

HttpRequest make_ollama_fetch_request(const OllamaSearchOptions& options, const std::string& url) {
  return json_post(base(options.base_url) + "/api/web_fetch", options.api_key, nlohmann::json{{"url", url}});
}

Error parse_ollama_fetch_json(std::string_view body, WebFetchResult& out) {
  Error err;
  nlohmann::json j = detail::parse_object(body, "ollama web_fetch", err);
  if (err) return err;
  out.title = detail::str(j, "title");
  out.content = detail::str(j, "content");
  if (auto it = j.find("links"); it != j.end() && it->is_array())
    for (const auto& l : *it)
      if (l.is_string()) out.links.push_back(l.get<std::string>());
  return {};
}

WebFetchResult parse_ollama_fetch(const HttpResponse& response) {
  WebFetchResult out;
  if ((out.error = provider_http_error("ollama web_fetch", response))) return out;
  out.error = parse_ollama_fetch_json(response.text.empty() ? response.body : response.text, out);
  return out;
}

std::unique_ptr<SearchProvider> make_ollama_provider(OllamaSearchOptions options) {
  return std::make_unique<OllamaProvider>(std::move(options));
}

}  // namespace owlet::web
