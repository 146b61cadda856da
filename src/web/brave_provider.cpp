#include "web/provider_json.h"
#include "web/search_providers.h"
#include "web/url.h"

namespace owlet::web {
namespace {

// Brave's freshness codes for our time ranges.
std::string freshness(const std::string& range) {
  if (range == "day") return "pd";
  if (range == "week") return "pw";
  if (range == "month") return "pm";
  if (range == "year") return "py";
  return {};
}

class BraveProvider : public SearchProvider {
 public:
  explicit BraveProvider(BraveOptions o) : opts_(std::move(o)) {
    while (!opts_.base_url.empty() && opts_.base_url.back() == '/') opts_.base_url.pop_back();
  }
  std::string name() const override { return "brave"; }

  HttpRequest build_request(const SearchQuery& q) const override {
    int count = std::clamp(q.max_results, 1, 20);  // the API's limit
    std::string url = opts_.base_url + "/res/v1/web/search?q=" + url_encode(q.text) + "&count=" + std::to_string(count);
    if (!q.language.empty()) url += "&search_lang=" + url_encode(q.language);
    if (!opts_.country.empty()) url += "&country=" + url_encode(opts_.country);
    if (std::string f = freshness(q.time_range); !f.empty()) url += "&freshness=" + f;
    HttpRequest r{url};
    r.headers = {{"Accept", "application/json"}, {"X-Subscription-Token", opts_.api_key}};
    return r;
  }

  Error status_error(const HttpResponse& resp) const override {
    if (resp.status != 401 && resp.status != 403) return {};
    return {ErrorKind::http_status, "brave: API key rejected (HTTP " + std::to_string(resp.status) + ")"};
  }
  Error parse_body(std::string_view body, std::vector<SearchResult>& out) const override {
    return parse_brave_json(body, out);
  }


 private:
  BraveOptions opts_;
};

}  // namespace

Error parse_brave_json(std::string_view body, std::vector<SearchResult>& out) {
  Error err;
  nlohmann::json j = detail::parse_object(body, "brave", err);
  if (err) return err;
  auto web = j.find("web");
  // No "web" section is Brave's way of saying "no web results".
  if (web == j.end() || !web->is_object()) return {};
  auto results = web->find("results");
  if (results == web->end() || !results->is_array()) return {};
  for (const auto& r : *results) {
    std::string url = canonicalize_url(detail::str(r, "url"));
    if (url.empty()) continue;
    SearchResult sr;
    sr.title = strip_html(detail::str(r, "title"));
    sr.url = url;
    sr.snippet = strip_html(detail::str(r, "description"));  // Brave marks matches with <strong>
    sr.published = detail::str(r, "page_age");
    if (sr.published.empty()) sr.published = detail::str(r, "age");
    sr.provider = "brave";
    sr.rank = static_cast<int>(out.size()) + 1;
    out.push_back(std::move(sr));
  }
  return {};
}

std::unique_ptr<SearchProvider> make_brave_provider(BraveOptions options) {
  return std::make_unique<BraveProvider>(std::move(options));
}

}  // namespace owlet::web
