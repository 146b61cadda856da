#include "web/html_extractor.h"
#include "common/strings.h"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "web/url.h"

namespace owlet::web {
namespace {

const char* attr(const GumboNode* n, const char* name) {
  if (n->type != GUMBO_NODE_ELEMENT) return nullptr;
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a ? a->value : nullptr;
}

std::string attr_lower(const GumboNode* n, const char* name) {
  const char* v = attr(n, name);
  return v ? ascii_lower(v) : std::string();
}


// All text below a node, whitespace collapsed (for <title>, link anchors, JSON-LD).
void raw_text(const GumboNode* n, std::string& out) {
  if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
    out += n->v.text.text;
    return;
  }
  if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) return;
  const GumboVector& kids = n->v.element.children;
  for (unsigned i = 0; i < kids.length; ++i) raw_text(static_cast<const GumboNode*>(kids.data[i]), out);
}

std::string text_of(const GumboNode* n) {
  std::string s;
  raw_text(n, s);
  return collapse_whitespace(s);
}

bool is_heading(GumboTag t) { return t >= GUMBO_TAG_H1 && t <= GUMBO_TAG_H6; }

// Elements that never hold main text.
bool is_chrome_tag(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NAV: case GUMBO_TAG_FOOTER: case GUMBO_TAG_FORM: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_IFRAME: case GUMBO_TAG_SVG: case GUMBO_TAG_MATH: case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT: case GUMBO_TAG_INPUT: case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED: case GUMBO_TAG_CANVAS: case GUMBO_TAG_MENU:
    case GUMBO_TAG_HEAD: case GUMBO_TAG_AUDIO: case GUMBO_TAG_VIDEO: case GUMBO_TAG_MAP:
      return true;
    default:
      return false;
  }
}

bool is_block_tag(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_MAIN:
    case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_UL: case GUMBO_TAG_OL: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
    case GUMBO_TAG_DD: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_HR: case GUMBO_TAG_CAPTION: case GUMBO_TAG_DETAILS: case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_CENTER: case GUMBO_TAG_HEADER: case GUMBO_TAG_BODY: case GUMBO_TAG_HGROUP:
      return true;
    default:
      return false;
  }
}

// Class/id words that mark page chrome rather than content.
bool has_boilerplate_hint(const GumboNode* n) {
  static const std::unordered_set<std::string> kWords = {
      "nav", "navbar", "navigation", "menu", "sidebar", "sidenav", "breadcrumb", "breadcrumbs", "footer",
      "cookie", "cookies", "consent", "advert", "advertisement", "ads", "ad", "sponsored", "promo", "share",
      "sharing", "social", "related", "comments", "subscribe", "newsletter", "popup", "modal", "headerlink",
      "skip", "toc", "pagination", "pager", "masthead", "banner", "signup", "login"};
  static const char* const kSubstrings[] = {"sidebar", "breadcrumb", "cookie", "navbar", "footer", "advert"};
  for (const char* name : {"class", "id"}) {
    std::string v = attr_lower(n, name);
    if (v.empty()) continue;
    for (const char* sub : kSubstrings)
      if (v.find(sub) != std::string::npos) return true;
    std::string word;
    for (size_t i = 0; i <= v.size(); ++i) {
      char c = i < v.size() ? v[i] : ' ';
      if (std::isalnum(static_cast<unsigned char>(c))) {
        word += c;
      } else {
        if (!word.empty() && kWords.count(word)) return true;
        word.clear();
      }
    }
  }
  return false;
}

bool is_hidden(const GumboNode* n) {
  if (attr(n, "hidden")) return true;
  if (attr_lower(n, "aria-hidden") == "true") return true;
  std::string style = attr_lower(n, "style");
  style.erase(std::remove_if(style.begin(), style.end(), [](unsigned char c) { return std::isspace(c); }), style.end());
  return style.find("display:none") != std::string::npos || style.find("visibility:hidden") != std::string::npos;
}

bool has_chrome_role(const GumboNode* n) {
  std::string role = attr_lower(n, "role");
  return role == "navigation" || role == "banner" || role == "contentinfo" || role == "complementary" ||
         role == "search" || role == "menu" || role == "menubar" || role == "dialog" || role == "alertdialog";
}

struct Stats {
  size_t text = 0;
  size_t link = 0;
  double link_density() const { return text == 0 ? 0.0 : static_cast<double>(link) / static_cast<double>(text); }
};

class Extractor {
 public:
  Extractor(std::string_view page_url, const ExtractOptions& opts) : base_(page_url), opts_(opts) {}

  ExtractedPage run(std::string_view html) {
    GumboOutput* out = gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size());
    scan_metadata(out->root);
    finish_metadata();
    const GumboNode* body = find_first(out->root, GUMBO_TAG_BODY);
    if (body != nullptr) {
      compute_stats(body, false);
      const GumboNode* root = choose_root(body);
      walk(root, root, 0);
      flush();
      collect_links(out->root);
    }
    if (page_.title.empty()) {
      for (const auto& b : page_.blocks)
        if (b.kind == BlockKind::heading) {
          page_.title = b.text;
          break;
        }
    }
    page_.text = render_blocks(page_.blocks);
    gumbo_destroy_output(&kGumboDefaultOptions, out);
    return std::move(page_);
  }

 private:
  // ---- metadata --------------------------------------------------------
  void scan_metadata(const GumboNode* n) {
    if (n->type != GUMBO_NODE_ELEMENT) return;
    GumboTag t = n->v.element.tag;
    if (t == GUMBO_TAG_HTML && page_.language.empty()) page_.language = trimmed(attr_lower(n, "lang"));
    if (t == GUMBO_TAG_TITLE && title_.empty()) title_ = text_of(n);
    if (t == GUMBO_TAG_BASE && attr(n, "href") && !base_.empty()) base_ = resolve_url(base_, attr(n, "href"));
    if (t == GUMBO_TAG_BASE && attr(n, "href") && base_.empty()) base_ = attr(n, "href");
    if (t == GUMBO_TAG_LINK && page_.canonical_url.empty() && attr_lower(n, "rel") == "canonical" && attr(n, "href"))
      page_.canonical_url = trimmed(attr(n, "href"));
    if (t == GUMBO_TAG_META) scan_meta(n);
    if (t == GUMBO_TAG_TIME && attr(n, "datetime")) {
      std::string dt = trimmed(attr(n, "datetime"));
      std::string prop = attr_lower(n, "itemprop");
      if (prop == "datemodified") set_if_empty(page_.modified, dt);
      else if (prop == "datepublished" || attr(n, "pubdate")) set_if_empty(page_.published, dt);
      else set_if_empty(first_time_, dt);
    }
    if (t == GUMBO_TAG_SCRIPT && attr_lower(n, "type") == "application/ld+json") scan_json_ld(n);
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) scan_metadata(static_cast<const GumboNode*>(kids.data[i]));
    if (t == GUMBO_TAG_HTML) {
      if (!title_.empty()) page_.title = title_;
      else if (!og_title_.empty()) page_.title = og_title_;
      set_if_empty(page_.published, first_time_);
    }
  }

  static void set_if_empty(std::string& field, const std::string& v) {
    if (field.empty() && !v.empty()) field = v;
  }

  void scan_meta(const GumboNode* n) {
    std::string key = attr_lower(n, "property");
    if (key.empty()) key = attr_lower(n, "name");
    if (key.empty()) key = attr_lower(n, "itemprop");
    std::string equiv = attr_lower(n, "http-equiv");
    const char* content_c = attr(n, "content");
    if (!content_c) return;
    std::string content = trimmed(content_c);
    if (equiv == "content-language") set_if_empty(page_.language, ascii_lower(content));
    static const char* const kPublished[] = {"article:published_time", "og:published_time", "datepublished", "date",
                                             "dc.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
                                             "pubdate", "publish-date", "publication_date", "sailthru.date",
                                             "parsely-pub-date", "citation_publication_date"};
    static const char* const kModified[] = {"article:modified_time", "og:updated_time", "datemodified",
                                            "last-modified", "dcterms.modified", "dc.date.modified"};
    for (const char* k : kPublished)
      if (key == k) set_if_empty(page_.published, content);
    for (const char* k : kModified)
      if (key == k) set_if_empty(page_.modified, content);
    if (key == "og:title") set_if_empty(og_title_, content);
    if (key == "og:url") set_if_empty(og_url_, content);
    if (key == "og:locale") set_if_empty(og_locale_, content);
    if (key == "description" || key == "og:description") set_if_empty(page_.description, content);
  }

  void scan_json_ld(const GumboNode* n) {
    std::string raw;
    raw_text(n, raw);
    nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return;
    scan_json(j, 0);
  }

  void scan_json(const nlohmann::json& j, int depth) {
    if (depth > 8) return;
    if (j.is_array()) {
      for (const auto& e : j) scan_json(e, depth + 1);
      return;
    }
    if (!j.is_object()) return;
    auto str = [&](const char* k) -> std::string {
      auto it = j.find(k);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    set_if_empty(page_.published, str("datePublished"));
    set_if_empty(page_.modified, str("dateModified"));
    set_if_empty(ld_language_, str("inLanguage"));
    set_if_empty(og_title_, str("headline"));
    for (const auto& [k, v] : j.items())
      if (v.is_object() || v.is_array()) scan_json(v, depth + 1);
  }

  std::string resolve(const std::string& href) const {
    if (base_.empty()) return href;
    std::string r = resolve_url(base_, href);
    return r.empty() ? href : r;
  }

  // ---- boilerplate classification ----------------------------------------
  bool dropped(const GumboNode* n, bool in_article) const {
    if (n->type != GUMBO_NODE_ELEMENT) return false;
    GumboTag t = n->v.element.tag;
    if (t == GUMBO_TAG_HTML || t == GUMBO_TAG_BODY || t == GUMBO_TAG_MAIN || t == GUMBO_TAG_ARTICLE) return false;
    if (attr_lower(n, "role") == "main") return false;
    if (is_chrome_tag(t) || is_hidden(n) || has_chrome_role(n)) return true;
    // An article's own <header> carries its title and byline; the page's does not.
    if (t == GUMBO_TAG_HEADER && !in_article) return true;
    return has_boilerplate_hint(n);
  }

  Stats compute_stats(const GumboNode* n, bool in_article) {
    Stats s;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) {
      for (const char* p = n->v.text.text; *p; ++p) s.text += !std::isspace(static_cast<unsigned char>(*p));
      return s;
    }
    if (n->type != GUMBO_NODE_ELEMENT || dropped(n, in_article)) return s;
    GumboTag t = n->v.element.tag;
    bool article = in_article || t == GUMBO_TAG_ARTICLE || t == GUMBO_TAG_MAIN;
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) {
      Stats c = compute_stats(static_cast<const GumboNode*>(kids.data[i]), article);
      s.text += c.text;
      s.link += c.link;
    }
    if (t == GUMBO_TAG_A && attr(n, "href")) s.link = s.text;
    stats_[n] = s;
    return s;
  }

  Stats stats(const GumboNode* n) const {
    auto it = stats_.find(n);
    return it == stats_.end() ? Stats{} : it->second;
  }

  // The element holding the main content: <main>/role=main, else the largest
  // <article>, else the body. A candidate must hold a real share of the text.
  const GumboNode* choose_root(const GumboNode* body) {
    const GumboNode* best = nullptr;
    size_t best_text = 0;
    bool best_is_main = false;
    std::vector<const GumboNode*> stack{body};
    while (!stack.empty()) {
      const GumboNode* n = stack.back();
      stack.pop_back();
      if (n->type != GUMBO_NODE_ELEMENT) continue;
      GumboTag t = n->v.element.tag;
      bool is_main = t == GUMBO_TAG_MAIN || attr_lower(n, "role") == "main";
      bool is_article = t == GUMBO_TAG_ARTICLE;
      if ((is_main || is_article) && n != body) {
        size_t text = stats(n).text;
        bool better = is_main ? (!best_is_main || text > best_text) : (!best_is_main && text > best_text);
        if (better) best = n, best_text = text, best_is_main = is_main;
      }
      const GumboVector& kids = n->v.element.children;
      for (unsigned i = 0; i < kids.length; ++i) stack.push_back(static_cast<const GumboNode*>(kids.data[i]));
    }
    size_t body_text = stats(body).text;
    if (best != nullptr && best_text >= 50 && best_text * 5 >= body_text) return best;
    return body;
  }

  // ---- emitting blocks -------------------------------------------------
  void append_text(const char* s) {
    for (const char* p = s; *p; ++p) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (pre_) {
        buf_ += *p;
        if (in_link_) ++buf_link_;
        continue;
      }
      if (std::isspace(c)) {
        pending_space_ = true;
        continue;
      }
      if (pending_space_ && !buf_.empty() && buf_.back() != '\n' && buf_.back() != ' ') buf_ += ' ';
      pending_space_ = false;
      buf_ += *p;
      ++buf_text_;
      if (in_link_) ++buf_link_;
    }
  }

  void flush() {
    std::string text = pre_kind_ ? buf_ : trimmed(buf_);
    if (pre_kind_) {
      while (!text.empty() && text.back() == '\n') text.pop_back();
      while (!text.empty() && text.front() == '\n') text.erase(0, 1);
    }
    // Only (nearly) pure-link blocks go ("Read more", "Next »"); a sentence that
    // merely cites a link ("Source code: Lib/x.py") is content.
    bool link_heavy = buf_text_ > 0 && kind_ != BlockKind::heading &&
                      static_cast<double>(buf_link_) / static_cast<double>(buf_text_) > opts_.max_block_link_density &&
                      buf_text_ - buf_link_ < 5;
    if (!trimmed(text).empty() && !link_heavy) {
      page_.blocks.push_back({kind_, level_, text});
      for (auto& l : pending_links_) l->in_main = true;
    }
    pending_links_.clear();
    buf_.clear();
    buf_text_ = buf_link_ = 0;
    pending_space_ = false;
  }

  void start_block(BlockKind kind, int level) {
    flush();
    kind_ = kind;
    level_ = level;
  }

  void walk_children(const GumboNode* n, const GumboNode* root, int list_depth) {
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) walk(static_cast<const GumboNode*>(kids.data[i]), root, list_depth);
  }

  void walk(const GumboNode* n, const GumboNode* root, int list_depth) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE || n->type == GUMBO_NODE_CDATA) {
      append_text(n->v.text.text);
      return;
    }
    if (n->type != GUMBO_NODE_ELEMENT) return;
    GumboTag t = n->v.element.tag;
    bool article = in_article_ || t == GUMBO_TAG_ARTICLE || t == GUMBO_TAG_MAIN;
    if (n != root && dropped(n, in_article_)) return;
    Stats st = stats(n);
    // Only list-like containers are judged whole; divs/sections are descended
    // into, so their link farms fall to this rule or to the pure-link block rule.
    bool container = t == GUMBO_TAG_UL || t == GUMBO_TAG_OL || t == GUMBO_TAG_TABLE || t == GUMBO_TAG_DL;
    // Link farms (menus, tag clouds, "related" lists) go; a section that also
    // holds real prose next to its links (a chapter intro + its index) stays.
    if (n != root && container && st.link_density() > opts_.max_container_link_density &&
        st.text - st.link < opts_.min_prose_chars)
      return;

    bool saved_article = in_article_;
    in_article_ = article;
    BlockKind saved_kind = kind_;
    int saved_level = level_;

    if (t == GUMBO_TAG_BR) {
      if (pre_) buf_ += '\n';
      else pending_space_ = true;
    } else if (t == GUMBO_TAG_A) {
      bool saved = in_link_;
      in_link_ = attr(n, "href") != nullptr;
      if (in_link_) track_link(n);
      walk_children(n, root, list_depth);
      in_link_ = saved;
    } else if (is_heading(t) && !in_row_) {
      start_block(BlockKind::heading, t - GUMBO_TAG_H1 + 1);
      walk_children(n, root, list_depth);
      flush();
    } else if (t == GUMBO_TAG_PRE && !in_row_) {
      start_block(BlockKind::preformatted, 0);
      pre_ = pre_kind_ = true;
      walk_children(n, root, list_depth);
      flush();
      pre_ = pre_kind_ = false;
    } else if ((t == GUMBO_TAG_UL || t == GUMBO_TAG_OL) && !in_row_) {
      flush();
      walk_children(n, root, list_depth + 1);
      flush();
    } else if (t == GUMBO_TAG_LI && !in_row_) {
      start_block(BlockKind::list_item, std::max(1, list_depth));
      bool saved = in_item_;
      in_item_ = true;
      walk_children(n, root, list_depth);
      in_item_ = saved;
      flush();
    } else if (t == GUMBO_TAG_TR) {
      start_block(BlockKind::table_row, 0);
      bool saved_row = in_row_;
      int saved_cells = cells_;
      in_row_ = true;
      cells_ = 0;
      walk_children(n, root, list_depth);
      flush();
      in_row_ = saved_row;
      cells_ = saved_cells;
    } else if ((t == GUMBO_TAG_TD || t == GUMBO_TAG_TH) && in_row_) {
      if (cells_++ > 0) {
        buf_ += " | ";
        pending_space_ = false;
      }
      walk_children(n, root, list_depth);
    } else if (is_block_tag(t) || t == GUMBO_TAG_TABLE) {
      if (in_item_ || in_row_) {
        pending_space_ = true;  // a <p> inside <li>/<td> stays part of that item
        walk_children(n, root, list_depth);
        pending_space_ = true;
      } else {
        start_block(BlockKind::paragraph, 0);
        walk_children(n, root, list_depth);
        flush();
      }
    } else {
      walk_children(n, root, list_depth);  // inline element
    }
    kind_ = saved_kind;
    level_ = saved_level;
    in_article_ = saved_article;
  }

  void track_link(const GumboNode* n) {
    std::string url = resolve(trimmed(attr(n, "href")));
    size_t idx = link_index(url, text_of(n));
    if (idx != SIZE_MAX) pending_links_.push_back(&page_.links[idx]);
  }

  size_t link_index(const std::string& url, const std::string& text) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return SIZE_MAX;
    auto it = link_pos_.find(url);
    if (it != link_pos_.end()) return it->second;
    if (page_.links.size() >= opts_.max_links) return SIZE_MAX;
    // Reserve once so pointers in pending_links_ stay valid.
    if (page_.links.capacity() < opts_.max_links) page_.links.reserve(opts_.max_links);
    page_.links.push_back({url, text, false});
    link_pos_[url] = page_.links.size() - 1;
    return page_.links.size() - 1;
  }

  // Links outside the main text (navigation etc.) are reported too, not in_main.
  void collect_links(const GumboNode* n) {
    if (n->type != GUMBO_NODE_ELEMENT) return;
    if (n->v.element.tag == GUMBO_TAG_A && attr(n, "href")) link_index(resolve(trimmed(attr(n, "href"))), text_of(n));
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i) collect_links(static_cast<const GumboNode*>(kids.data[i]));
  }

  const GumboNode* find_first(const GumboNode* n, GumboTag tag) {
    if (n->type != GUMBO_NODE_ELEMENT) return nullptr;
    if (n->v.element.tag == tag) return n;
    const GumboVector& kids = n->v.element.children;
    for (unsigned i = 0; i < kids.length; ++i)
      if (const GumboNode* f = find_first(static_cast<const GumboNode*>(kids.data[i]), tag)) return f;
    return nullptr;
  }

  void finish_metadata() {
    if (page_.canonical_url.empty()) page_.canonical_url = og_url_;
    if (!page_.canonical_url.empty()) page_.canonical_url = resolve(page_.canonical_url);
    if (page_.language.empty()) page_.language = !og_locale_.empty() ? og_locale_ : ld_language_;
    if (page_.title.empty()) page_.title = og_title_;
  }

  std::string base_;
  ExtractOptions opts_;
  ExtractedPage page_;
  std::string title_, og_title_, og_url_, og_locale_, ld_language_, first_time_;
  std::unordered_map<const GumboNode*, Stats> stats_;
  std::unordered_map<std::string, size_t> link_pos_;
  std::vector<PageLink*> pending_links_;
  std::string buf_;
  size_t buf_text_ = 0, buf_link_ = 0;
  bool pending_space_ = false, pre_ = false, pre_kind_ = false, in_link_ = false, in_item_ = false, in_row_ = false;
  bool in_article_ = false;
  int cells_ = 0;
  BlockKind kind_ = BlockKind::paragraph;
  int level_ = 0;
};

}  // namespace

std::string render_blocks(const std::vector<TextBlock>& blocks) {
  std::string out;
  BlockKind prev = BlockKind::paragraph;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const TextBlock& b = blocks[i];
    if (i > 0) {
      bool tight = (b.kind == BlockKind::list_item && prev == BlockKind::list_item) ||
                   (b.kind == BlockKind::table_row && prev == BlockKind::table_row);
      out += tight ? "\n" : "\n\n";
    }
    switch (b.kind) {
      case BlockKind::heading: out += std::string(static_cast<size_t>(std::clamp(b.level, 1, 6)), '#') + " " + b.text; break;
      case BlockKind::list_item: out += std::string(static_cast<size_t>(std::max(0, b.level - 1)) * 2, ' ') + "- " + b.text; break;
      default: out += b.text;
    }
    prev = b.kind;
  }
  return out;
}

ExtractedPage extract_html(std::string_view html, std::string_view page_url, const ExtractOptions& options) {
  Extractor ex(page_url, options);
  ExtractedPage page = ex.run(html);
  return page;
}

}  // namespace owlet::web
