#include <gumbo.h>

#include <cstring>

#include "web/search_providers.h"
#include "common/strings.h"
#include "web/url.h"

namespace owlet::web {
namespace {

bool has_class(const GumboNode* n, const char* cls) {
  if (n->type != GUMBO_NODE_ELEMENT) return false;
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, "class");
  if (!a) return false;
  std::string_view v = a->value, want = cls;
  size_t pos = 0;
  while ((pos = v.find(want, pos)) != std::string_view::npos) {
    bool start = pos == 0 || v[pos - 1] == ' ';
    bool end = pos + want.size() == v.size() || v[pos + want.size()] == ' ';
    if (start && end) return true;
    pos += want.size();
  }
  return false;
}

void text_of(const GumboNode* n, std::string& out) {
  if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE) {
    out += n->v.text.text;
    return;
  }
  if (n->type != GUMBO_NODE_ELEMENT) return;
  for (unsigned i = 0; i < n->v.element.children.length; ++i)
    text_of(static_cast<const GumboNode*>(n->v.element.children.data[i]), out);
}

const GumboNode* find_class(const GumboNode* n, const char* cls) {
  if (n->type != GUMBO_NODE_ELEMENT) return nullptr;
  if (has_class(n, cls)) return n;
  for (unsigned i = 0; i < n->v.element.children.length; ++i)
    if (const GumboNode* f = find_class(static_cast<const GumboNode*>(n->v.element.children.data[i]), cls)) return f;
  return nullptr;
}

void find_all(const GumboNode* n, const char* cls, std::vector<const GumboNode*>& out) {
  if (n->type != GUMBO_NODE_ELEMENT) return;
  if (has_class(n, cls)) {
    out.push_back(n);
    return;  // results do not nest
  }
  for (unsigned i = 0; i < n->v.element.children.length; ++i)
    find_all(static_cast<const GumboNode*>(n->v.element.children.data[i]), cls, out);
}

// Result links go through a redirector: //duckduckgo.com/l/?uddg=<target>&rut=...
std::string unwrap_link(std::string href) {
  if (size_t p = href.find("uddg="); p != std::string::npos) {
    size_t end = href.find('&', p);
    return url_decode(href.substr(p + 5, end == std::string::npos ? std::string::npos : end - p - 5));
  }
  if (href.rfind("//", 0) == 0) href = "https:" + href;
  return href;
}

class DuckDuckGoProvider : public SearchProvider {
 public:
  explicit DuckDuckGoProvider(DuckDuckGoOptions o) : opts_(std::move(o)) {
    while (!opts_.base_url.empty() && opts_.base_url.back() == '/') opts_.base_url.pop_back();
  }
  std::string name() const override { return "duckduckgo"; }

  HttpRequest build_request(const SearchQuery& q) const override {
    HttpRequest r{opts_.base_url + "/html/", "POST"};
    r.body = "q=" + url_encode(q.text);
    if (!opts_.region.empty()) r.body += "&kl=" + url_encode(opts_.region);
    static const std::pair<const char*, const char*> kRanges[] = {{"day", "d"}, {"week", "w"}, {"month", "m"}, {"year", "y"}};
    for (const auto& [range, code] : kRanges)
      if (q.time_range == range) r.body += std::string("&df=") + code;
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html"}};
    return r;
  }

  // DuckDuckGo answers 202 with a bot check instead of results when it is unhappy.
  Error status_error(const HttpResponse& resp) const override {
    if (resp.status != 202) return {};
    return {ErrorKind::rate_limited, "duckduckgo: served a bot challenge (HTTP 202)"};
  }
  Error parse_body(std::string_view body, std::vector<SearchResult>& out) const override {
    return parse_duckduckgo_html(body, out);
  }


 private:
  DuckDuckGoOptions opts_;
};

}  // namespace

Error parse_duckduckgo_html(std::string_view html, std::vector<SearchResult>& out) {
  GumboOutput* doc = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
  std::vector<const GumboNode*> blocks;
  find_all(doc->root, "result", blocks);
  Error err;
  for (const GumboNode* b : blocks) {
    if (has_class(b, "result--ad")) continue;  // sponsored
    const GumboNode* a = find_class(b, "result__a");
    if (!a) continue;
    const GumboAttribute* href = gumbo_get_attribute(&a->v.element.attributes, "href");
    if (!href) continue;
    std::string url = canonicalize_url(unwrap_link(href->value));
    if (url.empty()) continue;
    SearchResult sr;
    std::string title;
    text_of(a, title);
    sr.title = collapse_whitespace(title);
    if (const GumboNode* s = find_class(b, "result__snippet")) {
      std::string snip;
      text_of(s, snip);
      sr.snippet = collapse_whitespace(snip);
    }
    sr.url = url;
    sr.provider = "duckduckgo";
    sr.rank = static_cast<int>(out.size()) + 1;
    out.push_back(std::move(sr));
  }
  if (out.empty() && find_class(doc->root, "anomaly-modal") != nullptr)
    err = {ErrorKind::rate_limited, "duckduckgo: served a bot challenge instead of results"};
  gumbo_destroy_output(&kGumboDefaultOptions, doc);
  return err;
}

std::unique_ptr<SearchProvider> make_duckduckgo_provider(DuckDuckGoOptions options) {
  return std::make_unique<DuckDuckGoProvider>(std::move(options));
}

}  // namespace owlet::web
