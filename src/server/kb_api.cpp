// owlet's knowledge endpoints: POST /api/ingest (text, a URL, or an uploaded
// file), GET /api/kb/stats, GET /api/kb/search; the answer cache's figures
// (GET /api/cache) and clearing it (DELETE /api/cache, POST /api/cache/clear).
//
// Everything a client sends is untrusted: a URL goes through the shared,
// SSRF-guarded HttpClient (never a client of our own), uploads must look like
// text, and every failure is a JSON error whose status says whose fault it is
// (400 malformed request, 413 too big, 422 understood but unusable, 502/504
// the remote site failed, 503 not configured).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "kb/knowledge_base.h"
#include "common/strings.h"
#include "server/json_body.h"
#include "server/server_context.h"
#include "web/charset.h"
#include "web/html_extractor.h"
#include "web/page_fetcher.h"
#include "web/ssrf_guard.h"

namespace owlet::server {
namespace {

// A document larger than this is rejected rather than chunked for minutes while
// holding the knowledge base's single writer; `owlet ingest` handles big files.
constexpr size_t kMaxTextBytes = 8u << 20;
// A title or source is a line shown in citations and stored per document, not a
// second copy of the text.
constexpr size_t kMaxTitleBytes = 1024;
constexpr size_t kMaxSourceBytes = 4096;
constexpr auto kFetchDeadline = std::chrono::seconds(20);
constexpr int kMaxK = 100;

bool kb_ready(Server::Impl& s, Res& res) {
  if (s.services.kb) return true;
  send_error(res, ErrorKind::unavailable, "no knowledge base is configured (set knowledge_path or OWLET_KNOWLEDGE_PATH)");
  return false;
}

// A stable name for pasted text with no source: the same text maps to the same
// document, so pasting twice is "unchanged" rather than a second copy. FNV-1a
// because std::hash is not promised to be stable across builds.
std::string text_source(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "text:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// 413 when a title or source is over its cap.
bool labels_fit(Res& res, const std::string& title, const std::string& source) {
  if (title.size() > kMaxTitleBytes) {
    send_error(res, ErrorKind::too_large, "\"title\" is longer than " + std::to_string(kMaxTitleBytes) + " bytes");
    return false;
  }
  if (source.size() > kMaxSourceBytes) {
    send_error(res, ErrorKind::too_large, "\"source\" is longer than " + std::to_string(kMaxSourceBytes) + " bytes");
    return false;
  }
  return true;
}

bool has_visible_text(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return !isspace(c); });
}

bool ends_with(const std::string& s, const char* suffix) {
  size_t n = strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Uploaded bytes are HTML when they are declared so, named so, or start like it.
bool looks_like_html(const std::string& content_type, const std::string& filename, const std::string& bytes) {
  std::string ct = ascii_lower(content_type), fn = ascii_lower(filename);
  if (ct.find("html") != std::string::npos) return true;
  if (ends_with(fn, ".html") || ends_with(fn, ".htm") || ends_with(fn, ".xhtml")) return true;
  std::string head = ascii_lower(bytes.substr(0, 512));
  size_t i = head.find_first_not_of(" \t\r\n\xef\xbb\xbf");
  if (i == std::string::npos) return false;
  return head.compare(i, 9, "<!doctype") == 0 || head.compare(i, 5, "<html") == 0;
}

// The first Markdown heading ("# Title") of a text, for untitled uploads.
std::string first_heading(const std::string& text) {
  size_t pos = 0;
  for (int line = 0; line < 20 && pos < text.size(); ++line) {
    size_t end = text.find('\n', pos);
    std::string l = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (l.rfind("# ", 0) == 0) return l.substr(2, 200);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return "";
}

void answer_add(Server::Impl& s, Res& res, const kb::Document& doc) {
  kb::AddResult r = s.services.kb->add(doc);
  if (!r.ok()) return send_error(res, r.error.with_prefix("knowledge base: "));
  json out{{"status", kb::to_string(r.status)},
           {"document_id", r.status == kb::AddStatus::kDuplicate ? r.duplicate_of : r.document_id},
           {"chunks", r.chunks},
           {"source", doc.source},
           {"title", doc.title},
           {"dropped_answers", r.dropped_answers}};
  if (r.status == kb::AddStatus::kDuplicate) out["duplicate_of"] = r.duplicate_of;
  send_json(res, 200, out);
}

// A URL refused by the SSRF guard or the domain policy is the client's to fix.
bool refused(ErrorKind k) {
  return k == ErrorKind::invalid_url || k == ErrorKind::blocked_address || k == ErrorKind::blocked_domain;
}

void ingest_url(Server::Impl& s, Res& res, const std::string& url, const std::string& title,
                const std::string& source) {
  if (!s.services.http)
    return send_error(res, ErrorKind::unavailable, "no web client is configured, so URLs cannot be ingested (send the text instead)");
  // Refuse bad schemes and private IP literals before any network use; host names
  // are checked again on the address actually connected to.
  web::Error pre = web::check_url_static(url, s.services.http->options().ssrf);
  if (pre) return send_error(res, pre.with_prefix("url refused: "));

  std::vector<web::FetchedPage> pages = web::fetch_pages(*s.services.http, {url}, kFetchDeadline);
  if (pages.empty()) return send_error(res, ErrorKind::http_status, "fetching " + url + " returned nothing");
  const web::FetchedPage& p = pages.front();
  if (p.error) return send_error(res, p.error.with_prefix(refused(p.error.kind) ? "url refused: " : "fetching url failed: "));
  if (p.status < 200 || p.status >= 300)
    return send_error(res, ErrorKind::http_status, "fetching url failed: HTTP " + std::to_string(p.status));
  if (!has_visible_text(p.page.text)) return send_error(res, ErrorKind::unprocessable, "no readable text found at " + url);
  if (p.page.text.size() > kMaxTextBytes) return send_error(res, ErrorKind::too_large, "page text is larger than 8 MiB");

  kb::Document doc;
  doc.source = source.empty() ? url : source;
  doc.title = title.empty() ? p.page.title : title;
  doc.text = p.page.text;
  doc.language = p.page.language.substr(0, p.page.language.find('-'));
  doc.source_kind = "web";
  answer_add(s, res, doc);
}

void ingest_json(Server::Impl& s, const Req& req, Res& res) {
  JsonBody b;
  Error err;
  if (!b.parse(req.body, &err)) return send_error(res, err);
  std::string text, url, title, source;
  if (!b.str("text", &text) || !b.str("url", &url) || !b.str("title", &title) || !b.str("source", &source))
    return send_error(res, b.error());
  if (b.has("text") && b.has("url")) return send_error(res, ErrorKind::bad_request, "send either \"text\" or \"url\", not both");
  if (!labels_fit(res, title, source)) return;
  if (!b.has("text") && !b.has("url"))
    return send_error(res, ErrorKind::bad_request, "missing \"text\" or \"url\" (or upload a file as multipart/form-data field \"file\")");
  if (b.has("url")) return ingest_url(s, res, url, title, source);

  if (text.size() > kMaxTextBytes) return send_error(res, ErrorKind::too_large, "text is larger than 8 MiB");
  if (!has_visible_text(text)) return send_error(res, ErrorKind::unprocessable, "\"text\" is empty");
  kb::Document doc;
  doc.source = source.empty() ? text_source(text) : source;
  doc.title = title.empty() ? first_heading(text) : title;
  doc.text = std::move(text);
  doc.source_kind = "text";
  answer_add(s, res, doc);
}

void ingest_upload(Server::Impl& s, const Req& req, Res& res) {
  if (!req.has_file("file")) return send_error(res, ErrorKind::bad_request, "multipart upload needs a \"file\" field");
  httplib::MultipartFormData f = req.get_file_value("file");
  std::string title = req.has_file("title") ? req.get_file_value("title").content : "";
  std::string source = req.has_file("source") ? req.get_file_value("source").content : "";
  if (!labels_fit(res, title, source)) return;
  if (f.content.size() > kMaxTextBytes) return send_error(res, ErrorKind::too_large, "file is larger than 8 MiB");
  if (f.content.empty()) return send_error(res, ErrorKind::unprocessable, "the uploaded file is empty");
  // NUL bytes do not occur in text files; PDFs, images and archives all have them.
  if (f.content.find('\0') != std::string::npos)
    return send_error(res, ErrorKind::unprocessable, "\"" + f.filename + "\" is not a text, Markdown or HTML file");

  kb::Document doc;
  doc.source = !source.empty() ? source : "upload:" + (f.filename.empty() ? text_source(f.content) : f.filename);
  if (looks_like_html(f.content_type, f.filename, f.content)) {
    web::DecodedText d = web::decode_to_utf8(f.content, f.content_type.empty() ? "text/html" : f.content_type);
    web::ExtractedPage p = web::extract_html(d.text);
    doc.text = std::move(p.text);
    doc.title = title.empty() ? p.title : title;
    doc.language = p.language.substr(0, p.language.find('-'));
  } else {
    doc.text = web::decode_to_utf8(f.content, f.content_type.empty() ? "text/plain" : f.content_type).text;
    doc.title = title.empty() ? first_heading(doc.text) : title;
  }
  if (doc.title.empty()) doc.title = f.filename;
  if (!has_visible_text(doc.text)) return send_error(res, ErrorKind::unprocessable, "no readable text in \"" + f.filename + "\"");
  doc.source_kind = "file";
  answer_add(s, res, doc);
}

}  // namespace

namespace {

json answer_cache_json(const kb::AnswerCacheStats& c) {
  return json{{"entries", c.entries},
              {"bytes", c.bytes},
              {"lookups", c.lookups},
              {"hits", {{"exact", c.hits_exact}, {"paraphrase", c.hits_paraphrase}}}};
}

// DELETE /api/cache (or POST /api/cache/clear): every cached answer goes, here
// and in a shared tier; fetched pages and the knowledge base stay.
void clear_answer_cache(Server::Impl& s, Res& res) {
  if (!kb_ready(s, res)) return;
  Error err;
  const int64_t n = s.services.kb->cache_clear(&err);
  if (n < 0) return send_error(res, err);
  send_json(res, 200, json{{"cleared", n}});
}

}  // namespace

void register_kb_routes(Server::Impl& s) {
  auto& h = s.http;
  h.Delete("/api/cache", [&s](const Req&, Res& res) { clear_answer_cache(s, res); });
  h.Post("/api/cache/clear", [&s](const Req&, Res& res) { clear_answer_cache(s, res); });
  h.Get("/api/cache", [&s](const Req&, Res& res) {
    if (!kb_ready(s, res)) return;
    send_json(res, 200, answer_cache_json(s.services.kb->cache_stats()));
  });
  h.Post("/api/ingest", [&s](const Req& req, Res& res) {
    if (!kb_ready(s, res)) return;
    if (req.is_multipart_form_data()) return ingest_upload(s, req, res);
    ingest_json(s, req, res);
  });

  h.Get("/api/kb/stats", [&s](const Req&, Res& res) {
    if (!kb_ready(s, res)) return;
    kb::KbStats st = s.services.kb->stats();
    send_json(res, 200,
              json{{"schema_version", st.schema_version},
                   {"documents", st.documents},
                   {"chunks", st.chunks},
                   {"vectors", st.vectors},
                   {"warm_live", st.warm_live},
                   {"cached_answers", st.cached_answers},
                   {"answer_cache", answer_cache_json(st.answer_cache)},
                   {"cold_blobs", st.cold_blobs},
                   {"cold_dictionaries", st.cold_dictionaries},
                   {"text_bytes", st.text_bytes},
                   {"db_bytes", st.db_bytes},
                   {"cold_bytes", st.cold_bytes},
                   {"warm_bytes", st.warm_bytes},
                   {"warm_enabled", st.warm_enabled},
                   {"warm_rebuild_reason", st.warm_rebuild_reason}});
  });

  h.Get("/api/kb/search", [&s](const Req& req, Res& res) {
    if (!kb_ready(s, res)) return;
    std::string q = req.get_param_value("q");
    if (!has_visible_text(q)) return send_error(res, ErrorKind::bad_request, "missing query parameter \"q\"");
    int k = 10;
    if (req.has_param("k")) {
      const std::string ks = req.get_param_value("k");
      char* end = nullptr;
      long v = strtol(ks.c_str(), &end, 10);
      if (ks.empty() || *end != '\0' || v < 1 || v > kMaxK)
        return send_error(res, ErrorKind::bad_request, "\"k\" must be an integer from 1 to " + std::to_string(kMaxK));
      k = static_cast<int>(v);
    }
    kb::SearchResult r = s.services.kb->search(q, k);
    if (!r.ok()) return send_error(res, r.error.with_prefix("knowledge base search failed: "));
    json hits = json::array();
    int n = 0;
    for (const auto& hit : r.hits)
      hits.push_back({{"n", ++n},
                      {"source", hit.source},
                      {"title", hit.title},
                      {"text", hit.text},
                      {"score", hit.fused_score},
                      {"document_id", hit.document_id},
                      {"chunk_id", hit.chunk_id}});
    send_json(res, 200, json{{"hits", hits}, {"took_ms", r.total_ms}});
  });
}

}  // namespace owlet::server
