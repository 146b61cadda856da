// A multi-page loopback web built from XQuAD, for the grounded-answer bench.
//
// Per language, the 240 paragraphs (48 articles of 5) become pages in one of
// three layouts (PageLayout):
//   blocks   article by article, cut into pages of `paragraphs_per_page`
//            consecutive paragraphs (mostly one article, sometimes the next's);
//   noisy    one page per paragraph: the paragraph among three unrelated ones
//            from other articles (at a position that varies), as real pages
//            carry navigation, teasers and other sections; titled after the
//            paragraph's article;
//   article  one page per article: every paragraph of it (a long real page).
// Pages are HTML with navigation and a footer around the article, served on
// 127.0.0.1.
//
// The search API is SearXNG-shaped (GET /search?q=&format=json&language=) and
// ranks pages with its own BM25 (words, CJK character unigrams and bigrams): it
// shares no code with owlet, like a real search engine. Snippets are the page's
// first ~160 characters, not query-biased, so owlet reads the pages.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace owlet::bench {

enum class PageLayout { kBlocks, kNoisy, kArticle };

struct XquadQuestion {
  std::string id;
  std::string article;  // the article's title: the tune/check split hashes it
  std::string text;
  std::vector<std::string> answers;
  int paragraph = 0;  // index into XquadSite::paragraphs
  int index = 0;      // line number in the dataset (the even/odd split)
};

struct XquadPage {
  std::string title;
  std::vector<int> paragraphs;  // in page order
  std::string text;   // paragraphs joined by blank lines
};

struct XquadSite {
  std::string lang;
  std::vector<std::string> paragraphs;
  std::vector<std::string> paragraph_titles;
  std::vector<int> page_of_paragraph;  // the page that holds it as its own (not as noise)
  std::vector<XquadPage> pages;
  std::vector<XquadQuestion> questions;
};

// Reads <dir>/xquad/xquad.<lang>.flat.jsonl; false with a message on stderr.
// `paragraphs_per_page` applies to the blocks layout.
bool load_xquad_site(const std::string& dir, const std::string& lang, int paragraphs_per_page, XquadSite* out,
                     PageLayout layout = PageLayout::kBlocks);

// The half of the questions an article belongs to, by a hash of its title
// (en and zh share titles, so the halves match): 0 = tune, 1 = check.
int article_half(const std::string& article);

// Lower-cased ASCII words plus CJK character unigrams and bigrams.
std::vector<std::string> search_terms(const std::string& text);

// Okapi BM25 (k1 1.2, b 0.75) over a fixed set of documents.
class Bm25 {
 public:
  explicit Bm25(const std::vector<std::string>& documents);
  // Indexes of the best `k` documents for `query`, best first (documents without a
  // query term are left out).
  std::vector<int> top(const std::string& query, int k) const;
  std::vector<double> scores(const std::string& query) const;

 private:
  std::vector<std::vector<std::pair<std::string, int>>> docs_;  // term -> count, sorted
  std::vector<int> lengths_;
  double avg_length_ = 0;
  std::vector<std::pair<std::string, int>> df_;  // term -> documents, sorted
};

// The web: pages at /wiki/<lang>/<n>, search at /search. Both sites are served;
// `language=` picks one (else both are searched).
class LoopbackWeb {
 public:
  LoopbackWeb(const std::vector<const XquadSite*>& sites, int results = 8);
  ~LoopbackWeb();
  LoopbackWeb(const LoopbackWeb&) = delete;
  LoopbackWeb& operator=(const LoopbackWeb&) = delete;

  std::string base_url() const;  // http://127.0.0.1:<port>
  std::string page_url(const std::string& lang, int page) const;
  // What the search API answers for `query` (page indexes, best first).
  std::vector<int> search(const std::string& lang, const std::string& query) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace owlet::bench
