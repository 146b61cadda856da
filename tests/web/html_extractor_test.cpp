// HTML extraction on generated pages (each feature on its own) and on real
// pages nobody here wrote: Debian's Python documentation, when installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "web/html_extractor.h"

namespace owlet::web {
namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

const char* kArticle = R"(<!doctype html>
<html lang="en-GB"><head>
<meta charset="utf-8"><title>Owls at night | Bird News</title>
<link rel="canonical" href="/news/owls?utm_source=x">
<meta property="article:published_time" content="2024-05-01T08:00:00Z">
<meta name="description" content="All about owls.">
<style>p { color: red }</style><script>var tracking = "SCRIPT_TEXT";</script>
</head><body>
<header class="site-header"><a href="/">Bird News</a> <a href="/about">About</a> SITE_HEADER</header>
<nav><ul><li><a href="/a">Home</a></li><li><a href="/b">World</a></li><li><a href="/c">NAV_TEXT</a></li></ul></nav>
<main>
<article>
<header><h1>Owls hunt by sound</h1><p class="byline">By A. Writer</p></header>
<p>Barn owls locate prey in <em>complete</em> darkness using asymmetric ears.</p>
<h2>How it works</h2>
<p>Each ear sits at a different height,<br>so sound arrives at slightly different times.</p>
<ul><li>Left ear points up</li><li>Right ear points down<ul><li>Nested detail</li></ul></li></ul>
<table><tr><th>Species</th><th>Range</th></tr><tr><td>Barn owl</td><td>Worldwide</td></tr></table>
<pre>  code   keeps
  spacing</pre>
<p style="display: none">HIDDEN_STYLE</p><p hidden>HIDDEN_ATTR</p><div aria-hidden="true">HIDDEN_ARIA</div>
<form><input name="q"><button>FORM_BUTTON</button></form>
<div class="share-buttons"><a href="https://x.com/share">SHARE_TEXT</a></div>
<p>Read the <a href="https://example.org/study">original study</a> for details.</p>
</article>
<div class="related-links"><ul><li><a href="/r1">Related one RELATED_TEXT</a></li><li><a href="/r2">Related two</a></li></ul></div>
</main>
<aside>ASIDE_TEXT</aside>
<footer>Copyright FOOTER_TEXT <a href="/privacy">Privacy</a></footer>
</body></html>)";

TEST(HtmlExtractor, MainTextInReadingOrderWithoutChrome) {
  ExtractedPage p = extract_html(kArticle, "https://birds.example/news/owls");
  EXPECT_EQ(p.title, "Owls at night | Bird News");
  EXPECT_EQ(p.language, "en-gb");
  EXPECT_EQ(p.canonical_url, "https://birds.example/news/owls?utm_source=x");
  EXPECT_EQ(p.published, "2024-05-01T08:00:00Z");
  EXPECT_EQ(p.description, "All about owls.");
  const std::string& t = p.text;
  for (const char* gone : {"SCRIPT_TEXT", "SITE_HEADER", "NAV_TEXT", "HIDDEN_STYLE", "HIDDEN_ATTR", "HIDDEN_ARIA",
                           "FORM_BUTTON", "SHARE_TEXT", "RELATED_TEXT", "ASIDE_TEXT", "FOOTER_TEXT", "color: red"}) {
    EXPECT_FALSE(contains(t, gone)) << gone << " leaked into:\n" << t;
  }
  const char* in_order[] = {"# Owls hunt by sound", "By A. Writer",
                            "Barn owls locate prey in complete darkness using asymmetric ears.", "## How it works",
                            "Each ear sits at a different height, so sound arrives", "- Left ear points up",
                            "- Right ear points down", "  - Nested detail", "Species | Range", "Barn owl | Worldwide",
                            "  code   keeps\n  spacing", "Read the original study for details."};
  size_t pos = 0;
  for (const char* piece : in_order) {
    size_t found = t.find(piece, pos);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << piece << "\n---\n" << t;
    pos = found;
  }
}

TEST(HtmlExtractor, BlocksCarryKindsAndLevels) {
  ExtractedPage p = extract_html(kArticle, "https://birds.example/news/owls");
  auto find = [&](const std::string& text) -> const TextBlock* {
    for (const auto& b : p.blocks)
      if (b.text == text) return &b;
    return nullptr;
  };
  ASSERT_TRUE(find("How it works"));
  EXPECT_EQ(find("How it works")->kind, BlockKind::heading);
  EXPECT_EQ(find("How it works")->level, 2);
  ASSERT_TRUE(find("Nested detail"));
  EXPECT_EQ(find("Nested detail")->kind, BlockKind::list_item);
  EXPECT_EQ(find("Nested detail")->level, 2);
  ASSERT_TRUE(find("Barn owl | Worldwide"));
  EXPECT_EQ(find("Barn owl | Worldwide")->kind, BlockKind::table_row);
}

TEST(HtmlExtractor, LinksResolvedAndMarked) {
  ExtractedPage p = extract_html(kArticle, "https://birds.example/news/owls");
  auto link = [&](const std::string& url) -> const PageLink* {
    for (const auto& l : p.links)
      if (l.url == url) return &l;
    return nullptr;
  };
  ASSERT_TRUE(link("https://example.org/study"));
  EXPECT_TRUE(link("https://example.org/study")->in_main);
  EXPECT_EQ(link("https://example.org/study")->text, "original study");
  ASSERT_TRUE(link("https://birds.example/privacy"));  // resolved against the page URL
  EXPECT_FALSE(link("https://birds.example/privacy")->in_main);
}

TEST(HtmlExtractor, LinkDenseBlocksDroppedWithoutHints) {
  std::string html = "<html><body><div>";
  for (int i = 0; i < 12; ++i) html += "<a href='/p" + std::to_string(i) + "'>Category " + std::to_string(i) + "</a> ";
  html += "</div><div><p>The actual article text is long enough to count as content and mentions a "
          "<a href='/x'>single link</a> inside a sentence that carries real information.</p></div>"
          "<p><a href='/more'>Read more</a></p></body></html>";
  ExtractedPage p = extract_html(html, "https://s.example/");
  EXPECT_FALSE(contains(p.text, "Category 3")) << p.text;
  EXPECT_FALSE(contains(p.text, "Read more")) << p.text;
  EXPECT_TRUE(contains(p.text, "The actual article text")) << p.text;
  EXPECT_TRUE(contains(p.text, "single link"));
}

TEST(HtmlExtractor, DatesFromJsonLdAndTime) {
  std::string ld = R"(<html><head><script type="application/ld+json">
    {"@context":"https://schema.org","@graph":[{"@type":"WebSite"},{"@type":"NewsArticle","headline":"H",
     "datePublished":"2023-01-02","dateModified":"2023-02-03","inLanguage":"de"}]}</script></head>
    <body><p>Text</p></body></html>)";
  ExtractedPage p = extract_html(ld);
  EXPECT_EQ(p.published, "2023-01-02");
  EXPECT_EQ(p.modified, "2023-02-03");
  EXPECT_EQ(p.language, "de");
  EXPECT_EQ(p.title, "H");
  ExtractedPage t = extract_html("<html><body><article><h1>T</h1><time datetime='2022-07-08T10:00'>July 8</time>"
                                 "<p>Body</p></article></body></html>");
  EXPECT_EQ(t.published, "2022-07-08T10:00");
  EXPECT_EQ(t.title, "T");  // no <title>: first heading
  ExtractedPage bad = extract_html("<html><head><script type='application/ld+json'>{not json</script></head>"
                                   "<body><p>still fine</p></body></html>");
  EXPECT_EQ(bad.text, "still fine");
}

TEST(HtmlExtractor, BrokenAndEmptyInputIsSafe) {
  EXPECT_EQ(extract_html("").text, "");
  ExtractedPage p = extract_html("<p>unclosed <b>bold <i>italic<div>next</p></td></table>");
  EXPECT_TRUE(contains(p.text, "unclosed bold italic")) << p.text;
  EXPECT_TRUE(contains(p.text, "next"));
  ExtractedPage bin = extract_html(std::string("\0\x01\x02<html>\xFF", 9));
  (void)bin;
}

TEST(HtmlExtractor, ChineseTextKept) {
  ExtractedPage p = extract_html("<html lang='zh-CN'><head><title>猫头鹰</title></head><body><main>"
                                 "<p>猫头鹰在夜间捕猎，依靠听觉定位猎物。这段文字足够长，可以作为正文。</p></main></body></html>");
  EXPECT_EQ(p.title, "猫头鹰");
  EXPECT_EQ(p.language, "zh-cn");
  EXPECT_TRUE(contains(p.text, "猫头鹰在夜间捕猎"));
}

// ---- real pages: Debian's python3.11-doc ------------------------------------

std::string read_all(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Alphanumeric ASCII words of a text, for comparisons immune to markup and entities.
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string w;
  for (char c : s + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += c;
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
}

// The page's first paragraph inside role="main", found with a plain string scan
// (independent of the extractor), stripped of tags and entities.
std::string first_paragraph(const std::string& html) {
  size_t main = html.find("role=\"main\"");
  if (main == std::string::npos) return {};
  size_t p = html.find("<p>", main);
  size_t end = html.find("</p>", p);
  if (p == std::string::npos || end == std::string::npos) return {};
  std::string inner = html.substr(p + 3, end - p - 3);
  inner = std::regex_replace(inner, std::regex("<[^>]*>"), " ");
  inner = std::regex_replace(inner, std::regex("&[#a-zA-Z0-9]+;"), " ");
  return inner;
}

TEST(HtmlExtractorRealPages, PythonDocsFirstParagraphInSidebarOut) {
  std::filesystem::path dir = "/usr/share/doc/python3.11/html/library";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "python3.11-doc not installed (apt-get install python3.11-doc)";
  std::vector<std::filesystem::path> pages;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".html") pages.push_back(e.path());
  std::sort(pages.begin(), pages.end());
  int checked = 0;
  size_t bytes = 0;
  double seconds = 0;
  for (const auto& path : pages) {
    if (checked == 20) break;
    std::string html = read_all(path);
    std::vector<std::string> expect = words(first_paragraph(html));
    if (expect.size() < 8) continue;  // index-like pages without prose
    expect.resize(std::min<size_t>(expect.size(), 30));
    auto t0 = std::chrono::steady_clock::now();
    ExtractedPage p = extract_html(html, "https://docs.python.org/3.11/library/" + path.filename().string());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    bytes += html.size();
    std::vector<std::string> got = words(p.text);
    bool found = std::search(got.begin(), got.end(), expect.begin(), expect.end()) != got.end();
    EXPECT_TRUE(found) << path << ": first paragraph missing";
    for (const char* sidebar : {"Previous topic", "Next topic", "This Page", "Report a Bug", "Show Source",
                                "Table of Contents", "Quick search", "Navigation"})
      EXPECT_FALSE(contains(p.text, sidebar)) << path << ": sidebar text '" << sidebar << "' leaked";
    EXPECT_FALSE(p.title.empty()) << path;
    EXPECT_EQ(p.language, "en") << path;
    ++checked;
  }
  EXPECT_EQ(checked, 20);
  std::printf("[ python-doc ] %d pages, %.1f MB, extraction %.1f MB/s\n", checked, static_cast<double>(bytes) / 1e6,
              static_cast<double>(bytes) / 1e6 / std::max(seconds, 1e-9));
}

}  // namespace
}  // namespace owlet::web
