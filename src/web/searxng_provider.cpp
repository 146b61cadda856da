#include "web/provider_json.h"
#include "web/search_providers.h"
#include "web/url.h"

namespace owlet::web {
namespace {

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

class SearxngProvider : public SearchProvider {
 public:
  explicit SearxngProvider(SearxngOptions o) : opts_(std::move(o)) {}
  std::string name() const override { return "searxng"; }

  HttpRequest build_request(const SearchQuery& q) const override {
    std::string url = trim_slash(opts_.base_url) + "/search?q=" + url_encode(q.text) + "&format=json";
    if (!q.language.empty()) url += "&language=" + url_encode(q.language);
    if (!q.time_range.empty()) url += "&time_range=" + url_encode(q.time_range);
    if (!q.categories.empty()) {
      std::string cats;
      for (const auto& c : q.categories) cats += (cats.empty() ? "" : ",") + c;
      url += "&categories=" + url_encode(cats);
    }
    if (!opts_.safesearch.empty()) url += "&safesearch=" + url_encode(opts_.safesearch);
    HttpRequest r{url};
    r.headers = {{"Accept", "application/json"}};
    return r;
  }

  Error status_error(const HttpResponse& resp) const override {
    if (resp.status != 403) return {};
    return {ErrorKind::http_status,
            "searxng: " + opts_.base_url + " answered 403 to format=json: the JSON format is disabled in the "
            "instance's settings.yml (add 'json' to search.formats)"};
  }
  Error parse_body(std::string_view body, std::vector<SearchResult>& out) const override {
    return parse_searxng_json(body, out);
  }


 private:
  SearxngOptions opts_;
};

}  // namespace

Error parse_searxng_json(std::string_view body, std::vector<SearchResult>& out) {
  return detail::parse_results_array(body, "searxng", "publishedDate", out);
}

std::unique_ptr<SearchProvider> make_searxng_provider(SearxngOptions options) {
  return std::make_unique<SearxngProvider>(std::move(options));
}

}  // namespace owlet::web
