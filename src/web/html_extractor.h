// Main-content extraction from HTML (gumbo): title, text in reading order,
// metadata and links, with navigation, chrome, forms, hidden elements and
// link-heavy boilerplate blocks dropped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace owlet::web {

enum class BlockKind { heading, paragraph, list_item, table_row, preformatted };

struct TextBlock {
  BlockKind kind = BlockKind::paragraph;
  int level = 0;  // heading level 1-6, list nesting depth (1 = top)
  std::string text;
};

struct PageLink {
  std::string url;   // absolute http(s) URL
  std::string text;  // anchor text, whitespace collapsed
  bool in_main = false;  // inside the extracted main text
};

struct ExtractOptions {
  // A container whose text is more than this share link text is boilerplate.
  double max_container_link_density = 0.5;
  // ...unless it also holds at least this many non-link characters of prose.
  std::size_t min_prose_chars = 200;
  // A block that is (almost) only link text is boilerplate too.
  double max_block_link_density = 0.8;
  std::size_t max_links = 1000;
};

struct ExtractedPage {
  std::string title;
  std::string text;  // blocks joined: "# heading", "- item", "a | b" rows, paragraphs
  std::vector<TextBlock> blocks;
  std::string canonical_url;
  std::string language;   // as declared, e.g. "en", "zh-CN"
  std::string published;  // as declared (usually ISO 8601), "" if unknown
  std::string modified;
  std::string description;
  std::vector<PageLink> links;
};

// `html` must be UTF-8 (see charset.h). `page_url` resolves relative links.
ExtractedPage extract_html(std::string_view html, std::string_view page_url = {}, const ExtractOptions& options = {});

// Renders blocks the way ExtractedPage::text is built.
std::string render_blocks(const std::vector<TextBlock>& blocks);

}  // namespace owlet::web
