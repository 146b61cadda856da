#include "xquad_web.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "eval_data.h"
#include "web/fixture_server.h"

namespace owlet::bench {
namespace {

using json = nlohmann::json;

// Next code point of UTF-8 `s` at *i (advanced); U+FFFD on a bad byte.
uint32_t next_code_point(const std::string& s, size_t* i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(*i);
  int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || *i + static_cast<size_t>(len) > s.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? c : c & (0x7F >> len);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (b(*i + static_cast<size_t>(k)) & 0x3F);
  *i += static_cast<size_t>(len);
  return cp;
}

bool is_cjk(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x3040 && cp <= 0x30FF);
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

// The first ~max bytes of text, cut on a character boundary, with an ellipsis.
std::string lead(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

std::string page_html(const XquadSite& site, const XquadPage& page) {
  std::string h = "<!doctype html><html lang=\"" + site.lang + "\"><head><meta charset=\"utf-8\"><title>" +
                  html_escape(page.title) + " - Bench Encyclopedia</title></head><body>\n";
  h += "<nav><a href=\"/\">Home</a> | <a href=\"/random\">Random article</a> | <a href=\"/about\">About</a></nav>\n";
  h += "<main><article><h1>" + html_escape(page.title) + "</h1>\n";
  for (int p : page.paragraphs) h += "<p>" + html_escape(site.paragraphs[static_cast<size_t>(p)]) + "</p>\n";
  h += "</article></main>\n<footer>Text from XQuAD (CC BY-SA 4.0). Bench Encyclopedia.</footer></body></html>\n";
  return h;
}

}  // namespace

int article_half(const std::string& article) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : article) h = (h ^ c) * 16777619u;
  return static_cast<int>((h >> 7) & 1u);
}

namespace {

void add_page(XquadSite* out, const std::string& title, const std::vector<int>& paragraphs, int own_from, int own_to) {
  XquadPage page;
  page.title = title;
  page.paragraphs = paragraphs;
  for (int p : paragraphs) page.text += (page.text.empty() ? "" : "\n\n") + out->paragraphs[static_cast<size_t>(p)];
  for (int p = own_from; p < own_to; ++p) out->page_of_paragraph[static_cast<size_t>(p)] = static_cast<int>(out->pages.size());
  out->pages.push_back(std::move(page));
}

// Blocks: consecutive paragraphs, named after the article most of them belong to.
void layout_blocks(XquadSite* out, int per_page) {
  const int n = static_cast<int>(out->paragraphs.size());
  for (int start = 0; start < n; start += per_page) {
    std::vector<int> ps;
    std::map<std::string, int> titles;
    for (int p = start; p < std::min(n, start + per_page); ++p) {
      ps.push_back(p);
      ++titles[out->paragraph_titles[static_cast<size_t>(p)]];
    }
    std::string title = out->paragraph_titles[static_cast<size_t>(start)];
    for (const auto& [t, c] : titles)
      if (c > titles[title]) title = t;
    add_page(out, title, ps, start, static_cast<int>(start + ps.size()));
  }
}

// Noisy: each paragraph with three paragraphs of other articles, picked and
// placed by a fixed pseudo-random sequence (the same pages every run).
void layout_noisy(XquadSite* out) {
  const int n = static_cast<int>(out->paragraphs.size());
  for (int p = 0; p < n; ++p) {
    const std::string& title = out->paragraph_titles[static_cast<size_t>(p)];
    std::vector<int> noise;
    uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(p + 1);
    while (static_cast<int>(noise.size()) < 3) {
      x ^= x >> 31, x *= 0xBF58476D1CE4E5B9ull, x ^= x >> 29;
      const int q = static_cast<int>(x % static_cast<uint64_t>(n));
      if (out->paragraph_titles[static_cast<size_t>(q)] == title) continue;
      if (std::find(noise.begin(), noise.end(), q) != noise.end()) continue;
      noise.push_back(q);
    }
    std::vector<int> ps = noise;
    ps.insert(ps.begin() + static_cast<std::ptrdiff_t>(x % 4), p);
    add_page(out, title, ps, p, p + 1);
  }
}

// Article: every paragraph of one article on one page.
void layout_articles(XquadSite* out) {
  const int n = static_cast<int>(out->paragraphs.size());
  for (int start = 0; start < n;) {
    int end = start;
    std::vector<int> ps;
    while (end < n && out->paragraph_titles[static_cast<size_t>(end)] == out->paragraph_titles[static_cast<size_t>(start)])
      ps.push_back(end++);
    add_page(out, out->paragraph_titles[static_cast<size_t>(start)], ps, start, end);
    start = end;
  }
}

}  // namespace

bool load_xquad_site(const std::string& dir, const std::string& lang, int per_page, XquadSite* out, PageLayout layout) {
  std::vector<json> rows;
  if (!answer::eval::read_jsonl(dir + "/xquad/xquad." + lang + ".flat.jsonl", &rows)) return false;
  out->lang = lang;
  std::map<std::string, int> paragraph_id;
  for (size_t i = 0; i < rows.size(); ++i) {
    const json& r = rows[i];
    const std::string context = r.value("context", "");
    auto it = paragraph_id.find(context);
    if (it == paragraph_id.end()) {
      it = paragraph_id.emplace(context, static_cast<int>(out->paragraphs.size())).first;
      out->paragraphs.push_back(context);
      std::string title = r.value("title", "");
      std::replace(title.begin(), title.end(), '_', ' ');
      out->paragraph_titles.push_back(title);
    }
    XquadQuestion q;
    q.id = r.value("id", "");
    q.text = r.value("question", "");
    q.answers = r.value("answers", std::vector<std::string>{});
    q.paragraph = it->second;
    q.article = out->paragraph_titles[static_cast<size_t>(it->second)];
    q.index = static_cast<int>(i);
    out->questions.push_back(std::move(q));
  }
  // Paragraphs come article by article (the dataset's order).
  out->page_of_paragraph.assign(out->paragraphs.size(), 0);
  switch (layout) {
    case PageLayout::kBlocks: layout_blocks(out, std::max(1, per_page)); break;
    case PageLayout::kNoisy: layout_noisy(out); break;
    case PageLayout::kArticle: layout_articles(out); break;
  }
  return true;
}

std::vector<std::string> search_terms(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  uint32_t prev_cjk = 0;
  std::string prev_piece;
  auto flush = [&] {
    if (!word.empty()) out.push_back(word);
    word.clear();
  };
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    const uint32_t cp = next_code_point(text, &i);
    if (cp < 0x80 && std::isalnum(static_cast<int>(cp))) {
      word += static_cast<char>(std::tolower(static_cast<int>(cp)));
      prev_cjk = 0;
      continue;
    }
    flush();
    if (is_cjk(cp)) {
      const std::string piece = text.substr(at, i - at);
      out.push_back(piece);
      if (prev_cjk) out.push_back(prev_piece + piece);
      prev_cjk = cp;
      prev_piece = piece;
    } else {
      prev_cjk = 0;
    }
  }
  flush();
  return out;
}

Bm25::Bm25(const std::vector<std::string>& documents) {
  std::map<std::string, int> df;
  double total = 0;
  for (const std::string& d : documents) {
    std::map<std::string, int> tf;
    const std::vector<std::string> terms = search_terms(d);
    for (const std::string& t : terms) ++tf[t];
    for (const auto& [t, c] : tf) ++df[t];
    docs_.emplace_back(tf.begin(), tf.end());
    lengths_.push_back(static_cast<int>(terms.size()));
    total += static_cast<double>(terms.size());
  }
  avg_length_ = documents.empty() ? 1 : std::max(1.0, total / static_cast<double>(documents.size()));
  df_.assign(df.begin(), df.end());
}

std::vector<double> Bm25::scores(const std::string& query) const {
  const double k1 = 1.2, b = 0.75, n = static_cast<double>(docs_.size());
  std::map<std::string, int> q;
  for (const std::string& t : search_terms(query)) ++q[t];
  std::vector<double> out(docs_.size(), 0.0);
  const auto less = [](const std::pair<std::string, int>& a, const std::string& t) { return a.first < t; };
  for (const auto& [term, qtf] : q) {
    auto d = std::lower_bound(df_.begin(), df_.end(), term, less);
    if (d == df_.end() || d->first != term) continue;
    const double idf = std::log(1.0 + (n - d->second + 0.5) / (d->second + 0.5));
    for (size_t i = 0; i < docs_.size(); ++i) {
      auto f = std::lower_bound(docs_[i].begin(), docs_[i].end(), term, less);
      if (f == docs_[i].end() || f->first != term) continue;
      const double tf = f->second;
      const double norm = 1 - b + b * lengths_[i] / avg_length_;
      out[i] += idf * tf * (k1 + 1) / (tf + k1 * norm);
    }
  }
  return out;
}

std::vector<int> Bm25::top(const std::string& query, int k) const {
  const std::vector<double> s = scores(query);
  std::vector<int> idx;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] > 0) idx.push_back(static_cast<int>(i));
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return s[static_cast<size_t>(a)] > s[static_cast<size_t>(b)]; });
  if (static_cast<int>(idx.size()) > k) idx.resize(static_cast<size_t>(k));
  return idx;
}

struct LoopbackWeb::Impl {
  web::test::FixtureServer server;
  std::map<std::string, const XquadSite*> sites;
  std::map<std::string, std::unique_ptr<Bm25>> index;
  int results = 8;
};

LoopbackWeb::LoopbackWeb(const std::vector<const XquadSite*>& sites, int results) : impl_(std::make_unique<Impl>()) {
  impl_->results = results;
  for (const XquadSite* s : sites) {
    impl_->sites[s->lang] = s;
    std::vector<std::string> docs;
    for (const XquadPage& p : s->pages) docs.push_back(p.title + "\n" + p.text);
    impl_->index[s->lang] = std::make_unique<Bm25>(docs);
  }
  Impl* impl = impl_.get();
  impl_->server.route("GET", R"(/wiki/([a-z]+)/(\d+))", [impl](const web::test::FixtureRequest& r) {
    web::test::FixtureResponse res;
    const size_t slash = r.path.find('/', 6);
    const std::string lang = r.path.substr(6, slash - 6);
    const auto site = impl->sites.find(lang);
    const size_t page = std::strtoul(r.path.c_str() + slash + 1, nullptr, 10);
    if (site == impl->sites.end() || page >= site->second->pages.size()) {
      res.status = 404;
      res.body = "<html><body>not found</body></html>";
      return res;
    }
    res.body = page_html(*site->second, site->second->pages[page]);
    return res;
  });
  LoopbackWeb* self = this;
  impl_->server.route("GET", "/search", [impl, self](const web::test::FixtureRequest& r) {
    web::test::FixtureResponse res;
    res.content_type = "application/json";
    const std::string q = r.param("q");
    const std::string want = r.param("language");
    json results = json::array();
    for (const auto& [lang, site] : impl->sites) {
      if (!want.empty() && want != lang && impl->sites.count(want)) continue;
      for (int p : self->search(lang, q)) {
        const XquadPage& page = site->pages[static_cast<size_t>(p)];
        results.push_back({{"url", self->page_url(lang, p)}, {"title", page.title}, {"content", lead(page.text, 160)}});
      }
    }
    res.body = json{{"query", q}, {"results", results}}.dump();
    return res;
  });
  impl_->server.start();
}

LoopbackWeb::~LoopbackWeb() { impl_->server.stop(); }

std::string LoopbackWeb::base_url() const { return "http://127.0.0.1:" + std::to_string(impl_->server.port()); }

std::string LoopbackWeb::page_url(const std::string& lang, int page) const {
  return base_url() + "/wiki/" + lang + "/" + std::to_string(page);
}

std::vector<int> LoopbackWeb::search(const std::string& lang, const std::string& query) const {
  auto it = impl_->index.find(lang);
  if (it == impl_->index.end()) return {};
  return it->second->top(query, impl_->results);
}

}  // namespace owlet::bench
