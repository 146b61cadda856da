#include <algorithm>

#include "web/provider_json.h"
#include "common/strings.h"
#include "web/search_providers.h"
#include "web/url.h"

namespace owlet::web {
namespace {

// Language codes are [a-z-]; anything else would let a query rewrite the host.
bool valid_language(const std::string& l) {
  return !l.empty() && l.size() <= 16 &&
         std::all_of(l.begin(), l.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; });
}

class WikipediaProvider : public SearchProvider {
 public:
  explicit WikipediaProvider(WikipediaOptions o) : opts_(std::move(o)) {}
  std::string name() const override { return "wikipedia"; }

  HttpRequest build_request(const SearchQuery& q) const override {
    std::string lang = ascii_lower(q.language.substr(0, q.language.find_first_of("-_")));
    if (!valid_language(lang)) lang = opts_.default_language;
    std::string base = opts_.base_url;
    if (size_t pos = base.find("{lang}"); pos != std::string::npos) base.replace(pos, 6, lang);
    while (!base.empty() && base.back() == '/') base.pop_back();
    int limit = std::clamp(q.max_results, 1, 20);  // intro extracts are limited to 20 pages per call
    std::string url = base + "/w/api.php?action=query&format=json&formatversion=2&utf8=1" +
                      "&generator=search&gsrsearch=" + url_encode(q.text) + "&gsrlimit=" + std::to_string(limit) +
                      "&prop=extracts%7Cinfo&inprop=url&exintro=1&explaintext=1&exlimit=" + std::to_string(limit) +
                      "&exsentences=" + std::to_string(opts_.sentences);
    HttpRequest r{url};
    r.headers = {{"Accept", "application/json"}};
    return r;
  }

  Error parse_body(std::string_view body, std::vector<SearchResult>& out) const override {
    return parse_wikipedia_json(body, out);
  }


 private:
  WikipediaOptions opts_;
};

}  // namespace

Error parse_wikipedia_json(std::string_view body, std::vector<SearchResult>& out) {
  Error err;
  nlohmann::json j = detail::parse_object(body, "wikipedia", err);
  if (err) return err;
  if (auto e = j.find("error"); e != j.end() && e->is_object())
    return {ErrorKind::parse, "wikipedia: API error " + detail::str(*e, "code") + ": " + detail::str(*e, "info")};
  auto query = j.find("query");
  if (query == j.end() || !query->is_object()) return {};  // no hits: MediaWiki omits "query"
  auto pages = query->find("pages");
  if (pages == query->end()) return {};
  // formatversion=2 gives an array; version 1 an object keyed by page id.
  std::vector<std::pair<long, SearchResult>> found;
  auto take = [&](const nlohmann::json& p) {
    if (!p.is_object()) return;
    std::string url = detail::str(p, "fullurl");
    if (url.empty()) url = detail::str(p, "canonicalurl");
    url = canonicalize_url(url);
    if (url.empty()) return;
    long index = 1000000;
    if (auto it = p.find("index"); it != p.end() && it->is_number_integer()) index = it->get<long>();
    SearchResult sr;
    sr.title = detail::str(p, "title");
    sr.url = url;
    sr.snippet = detail::str(p, "extract");
    sr.provider = "wikipedia";
    found.emplace_back(index, std::move(sr));
  };
  if (pages->is_array())
    for (const auto& p : *pages) take(p);
  else if (pages->is_object())
    for (const auto& [k, p] : pages->items()) take(p);
  // Pages come back in page-id order; "index" is the search rank.
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [index, sr] : found) {
    sr.rank = static_cast<int>(out.size()) + 1;
    out.push_back(std::move(sr));
  }
  return {};
}

std::unique_ptr<SearchProvider> make_wikipedia_provider(WikipediaOptions options) {
  return std::make_unique<WikipediaProvider>(std::move(options));
}

}  // namespace owlet::web
