// Ollama's hosted web search API, served by owlet with no account:
//   POST /api/web_search {query, max_results} -> {results: [{title, url, content}]}
//   POST /api/web_fetch  {url}                -> {title, url, content, links}
// (also under /api/experimental/, where Ollama first put them). Searches run
// on owlet's own providers and pages through its fetcher and extractor, with
// the answer pipeline's SSRF guard, limits, domain policy and knowledge cache.
#include "answer/web_tools.h"
#include "server/server_context.h"

namespace owlet::server {
namespace {

const answer::PipelineServices* web_services(Server::Impl& s, Res& res) {
  if (!s.services.pipeline) {
    send_error(res, ErrorKind::unavailable, "web access is not configured on this server");
    return nullptr;
  }
  return &s.services.pipeline->services();
}

void handle_web_search(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  Error err;
  std::string query;
  long long max_results = 5;
  if (!b.parse(req.body, &err)) return send_error(res, err);
  // ollama-js sends maxResults; Ollama's REST docs say max_results.
  if (!b.str("query", &query, true) || !b.integer("max_results", &max_results, 1, 10) ||
      !b.integer("maxResults", &max_results, 1, 10))
    return send_error(res, b.error());
  const answer::PipelineServices* sv = web_services(s, res);
  if (!sv) return;
  std::vector<answer::WebSearchHit> hits;
  if (!answer::web_search(*sv, query, static_cast<int>(max_results), s.services.pipeline->options().search_deadline,
                          &hits, &err))
    return send_error(res, err);
  json results = json::array();
  for (const auto& h : hits) results.push_back({{"title", h.title}, {"url", h.url}, {"content", h.content}});
  send_json(res, 200, json{{"results", results}});
}

void handle_web_fetch(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  Error err;
  std::string url;
  if (!b.parse(req.body, &err)) return send_error(res, err);
  if (!b.str("url", &url, true)) return send_error(res, b.error());
  const answer::PipelineServices* sv = web_services(s, res);
  if (!sv) return;
  answer::WebPage page;
  if (!answer::web_fetch(*sv, url, s.services.pipeline->options().fetch_deadline, &page, &err))
    return send_error(res, err);
  send_json(res, 200, json{{"title", page.title}, {"url", page.url}, {"content", page.content}, {"links", page.links}});
}

}  // namespace

void register_web_routes(Server::Impl& s) {
  for (const char* prefix : {"/api", "/api/experimental"}) {
    s.http.Post(std::string(prefix) + "/web_search", [&s](const Req& req, Res& res) { handle_web_search(s, req, res); });
    s.http.Post(std::string(prefix) + "/web_fetch", [&s](const Req& req, Res& res) { handle_web_fetch(s, req, res); });
  }
}

}  // namespace owlet::server
