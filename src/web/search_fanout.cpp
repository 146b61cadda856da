#include "web/search_fanout.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "web/url.h"

namespace owlet::web {

std::vector<SearchResult> merge_results(const std::vector<ProviderResponse>& responses, std::size_t max_results) {
  struct Merged {
    SearchResult best;
    double score = 0;
    size_t first_seen = 0;
  };
  std::unordered_map<std::string, Merged> by_url;
  size_t order = 0;
  for (const auto& resp : responses) {
    for (const auto& r : resp.results) {
      std::string key = canonicalize_url(r.url);
      if (key.empty()) continue;
      double contribution = 1.0 / (60.0 + std::max(1, r.rank));
      auto [it, inserted] = by_url.try_emplace(key);
      Merged& m = it->second;
      if (inserted) {
        m.best = r;
        m.best.url = key;
        m.first_seen = order++;
      } else {
        if (m.best.provider.find(r.provider) == std::string::npos) m.best.provider += "," + r.provider;
        if (m.best.snippet.size() < r.snippet.size() / 2) m.best.snippet = r.snippet;  // much richer snippet wins
        if (m.best.title.empty()) m.best.title = r.title;
        if (m.best.published.empty()) m.best.published = r.published;
      }
      m.score += contribution;
    }
  }
  std::vector<Merged> all;
  all.reserve(by_url.size());
  for (auto& [k, m] : by_url) all.push_back(std::move(m));
  std::sort(all.begin(), all.end(), [](const Merged& a, const Merged& b) {
    return a.score != b.score ? a.score > b.score : a.first_seen < b.first_seen;
  });
  std::vector<SearchResult> out;
  for (auto& m : all) {
    if (out.size() >= max_results) break;
    m.best.rank = static_cast<int>(out.size()) + 1;
    out.push_back(std::move(m.best));
  }
  return out;
}

SearchOutcome search_all(HttpClient& client, const std::vector<const SearchProvider*>& providers,
                         const SearchQuery& query, std::chrono::milliseconds deadline) {
  auto t0 = std::chrono::steady_clock::now();
  SearchOutcome out;
  if (query.text.empty()) {
    for (const auto* p : providers) out.providers.push_back({p->name(), {}, {ErrorKind::parse, "empty query"}});
    return out;
  }
  std::vector<HttpRequest> requests;
  for (const auto* p : providers) requests.push_back(p->build_request(query));
  // One batch: all providers share the deadline; none waits on another.
  std::vector<HttpResponse> responses = client.fetch_all(requests, deadline);
  for (size_t i = 0; i < providers.size(); ++i) {
    ProviderResponse pr = providers[i]->parse(query, responses[i]);
    pr.provider = providers[i]->name();
    pr.elapsed_ms = responses[i].elapsed_ms;
    if (pr.error.ok()) out.answered.push_back(pr.provider);
    out.providers.push_back(std::move(pr));
  }
  out.results = merge_results(out.providers, static_cast<size_t>(std::max(1, query.max_results)));
  out.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace owlet::web
