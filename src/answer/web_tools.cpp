#include "answer/web_tools.h"

#include <algorithm>
#include <ctime>

#include "web/domain_policy.h"
#include "web/http_client.h"
#include "web/page_fetcher.h"
#include "web/search_fanout.h"
#include "web/url.h"

namespace owlet::answer {

bool web_search(const PipelineServices& sv, const std::string& query, int max_results,
                std::chrono::milliseconds deadline, std::vector<WebSearchHit>* out, Error* err) {
  if (query.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(err, ErrorKind::bad_request, "the search query is empty");
  if (!sv.http || sv.providers.empty()) return fail(err, ErrorKind::unavailable, "no search provider configured");
  web::SearchQuery q;
  q.text = query;
  q.max_results = std::clamp(max_results, 1, 10);
  web::SearchOutcome o = web::search_all(*sv.http, sv.providers, q, deadline);
  if (o.answered.empty()) {
    for (const auto& p : o.providers)
      if (!p.error.ok()) return fail(err, p.error.kind, p.provider + ": " + p.error.message);
    return fail(err, ErrorKind::unavailable, "no search provider answered");
  }
  const web::DomainPolicy& domains = sv.http->options().domains;
  for (const auto& r : o.results) {
    if (static_cast<int>(out->size()) >= q.max_results) break;
    web::UrlParse u = web::parse_url(r.url);
    if (!u.error.ok() || !web::check_domain(u.url.host, domains).ok()) continue;  // governance
    out->push_back({r.title, r.url, r.snippet});
  }
  return true;
}

bool web_fetch(const PipelineServices& sv, const std::string& url, std::chrono::milliseconds deadline, WebPage* out,
               Error* err) {
  if (!sv.http) return fail(err, ErrorKind::unavailable, "web access is not configured on this server");
  web::UrlParse u = web::parse_url(url);
  if (!u.error.ok()) return fail(err, ErrorKind::invalid_url, u.error.message);
  Error policy = web::check_domain(u.url.host, sv.http->options().domains);
  if (!policy.ok()) return fail(err, policy.kind, policy.message);
  std::vector<web::FetchedPage> pages = web::fetch_pages(*sv.http, {url}, deadline, sv.page_cache);
  const web::FetchedPage& p = pages.at(0);
  if (!p.error.ok()) {
    // A page over the size limit is a page owlet cannot use, not a request too large.
    const ErrorKind kind = p.error.kind == ErrorKind::too_large ? ErrorKind::unprocessable : p.error.kind;
    return fail(err, kind, url + ": " + p.error.message);
  }
  out->url = p.final_url.empty() ? p.url : p.final_url;
  out->title = p.page.title;
  out->content = p.page.text;
  for (const auto& l : p.page.links) out->links.push_back(l.url);
  out->from_cache = p.from_cache;
  if (!p.from_cache && !p.page.text.empty()) {
    kb::Document& d = out->learned;
    d.source = out->url;
    d.title = p.page.title;
    d.text = p.page.text;
    d.language = p.page.language.substr(0, 2);
    d.source_kind = "web";
    d.trust = 0.5;
    d.fetched_at = static_cast<int64_t>(time(nullptr));
  }
  return true;
}

}  // namespace owlet::answer
