#include "web/page_fetcher.h"
#include "common/strings.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "web/url.h"

namespace owlet::web {
namespace {

std::string media_type(const std::string& content_type) {
  return ascii_lower(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
}

// Plain text becomes paragraphs split on blank lines.
ExtractedPage page_from_text(const std::string& text) {
  ExtractedPage p;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\n\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string para = text.substr(pos, end - pos);
    para.erase(0, para.find_first_not_of(" \t\r\n"));
    para.erase(para.find_last_not_of(" \t\r\n") + 1);
    if (!para.empty()) p.blocks.push_back({BlockKind::paragraph, 0, para});
    pos = end + 2;
  }
  p.text = render_blocks(p.blocks);
  return p;
}

}  // namespace

std::string page_cache_key(const std::string& url) {
  std::string c = canonicalize_url(url);
  return "page:" + (c.empty() ? url : c);
}

std::string serialize_page(const ExtractedPage& p) {
  nlohmann::json blocks = nlohmann::json::array();
  for (const auto& b : p.blocks) blocks.push_back({static_cast<int>(b.kind), b.level, b.text});
  nlohmann::json links = nlohmann::json::array();
  for (const auto& l : p.links) links.push_back({l.url, l.text, l.in_main});
  nlohmann::json j = {{"title", p.title},     {"canonical_url", p.canonical_url}, {"language", p.language},
                      {"published", p.published}, {"modified", p.modified},        {"description", p.description},
                      {"blocks", blocks},      {"links", links}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool deserialize_page(const std::string& data, ExtractedPage& p) {
  nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto s = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  p.title = s("title");
  p.canonical_url = s("canonical_url");
  p.language = s("language");
  p.published = s("published");
  p.modified = s("modified");
  p.description = s("description");
  if (j.contains("blocks") && j["blocks"].is_array())
    for (const auto& b : j["blocks"])
      if (b.is_array() && b.size() == 3 && b[0].is_number_integer() && b[1].is_number_integer() && b[2].is_string())
        p.blocks.push_back({static_cast<BlockKind>(std::clamp(b[0].get<int>(), 0, 4)), b[1].get<int>(), b[2].get<std::string>()});
  if (j.contains("links") && j["links"].is_array())
    for (const auto& l : j["links"])
      if (l.is_array() && l.size() == 3 && l[0].is_string() && l[1].is_string() && l[2].is_boolean())
        p.links.push_back({l[0].get<std::string>(), l[1].get<std::string>(), l[2].get<bool>()});
  p.text = render_blocks(p.blocks);
  return true;
}

std::vector<FetchedPage> fetch_pages(HttpClient& client, const std::vector<std::string>& urls,
                                     std::chrono::milliseconds deadline, KnowledgeCache* cache,
                                     const PageFetchOptions& options) {
  std::vector<FetchedPage> out(urls.size());
  std::vector<HttpRequest> requests;
  std::vector<size_t> slot;  // request index -> output index
  for (size_t i = 0; i < urls.size(); ++i) {
    out[i].url = urls[i];
    if (cache != nullptr) {
      if (auto hit = cache->get(page_cache_key(urls[i])); hit && deserialize_page(*hit, out[i].page)) {
        out[i].from_cache = true;
        out[i].final_url = urls[i];
        continue;
      }
    }
    HttpRequest r{urls[i]};
    r.headers = {{"Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}};
    requests.push_back(std::move(r));
    slot.push_back(i);
  }
  if (requests.empty()) return out;
  std::vector<HttpResponse> responses = client.fetch_all(requests, deadline);
  for (size_t k = 0; k < responses.size(); ++k) {
    HttpResponse& r = responses[k];
    FetchedPage& p = out[slot[k]];
    p.final_url = r.effective_url;
    p.status = r.status;
    p.http_version = r.http_version;
    p.content_type = r.content_type;
    p.elapsed_ms = r.elapsed_ms;
    if (!r.error.ok()) {
      p.error = r.error;
      continue;
    }
    if (r.status < 200 || r.status >= 300) {
      p.error = {ErrorKind::http_status, "HTTP " + std::to_string(r.status)};
      continue;
    }
    std::string type = media_type(r.content_type);
    const auto t_extract = std::chrono::steady_clock::now();
    if (type.empty() || type == "text/html" || type == "application/xhtml+xml") {
      p.page = extract_html(r.text, p.final_url, options.extract);
    } else if (type == "text/plain" || type == "text/markdown") {
      p.page = page_from_text(r.text);
    } else {
      p.error = {ErrorKind::unprocessable, "unsupported content type " + type};
      continue;
    }
    p.extract_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_extract).count();
    if (cache != nullptr) {
      std::string data = serialize_page(p.page);
      cache->put(page_cache_key(p.url), data, options.cache_ttl);
      if (p.final_url != p.url) cache->put(page_cache_key(p.final_url), std::move(data), options.cache_ttl);
    }
  }
  return out;
}

}  // namespace owlet::web
