// Source text cut into the units the context builder and extractive answers
// pick from: sentences, each with the heading it sits under.
//
// Sentences come from ICU's sentence break iterator (Latin . ! ?, CJK 。！？,
// decimals such as "3.14" stay whole), repaired where ICU breaks after an
// abbreviation it does not know ("Dr.", "e.g.", "U.S."), or a person's initial
// ("J. R. R. Tolkien"). Clauses joined by a semicolon ("; " or "；") count as
// sentences of their own. A paragraph is a blank-line separated block; its hard
// line wraps are joined, while list items and table rows stay lines of their own.
// Markdown headings ("# Title", as the HTML extractor renders <h1>–<h6>) are
// headings: context for the sentences below them, never an answer themselves.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

struct TextUnit {
  std::string text;      // trimmed, never empty
  bool heading = false;  // a heading line ("# " markers removed)
  int level = 0;         // a heading's level (1 for "#"), 0 for a sentence
  // Index (in the same list) of the heading this unit sits under: for a
  // sentence the nearest heading above, for a heading the nearest one of a
  // higher rank (lower level); -1 = none.
  int section = -1;
  int paragraph = 0;     // index of the paragraph (block) it belongs to
};

// The headings above unit `i`, outermost first, joined by " · " ("" = none).
std::string heading_path(const std::vector<TextUnit>& units, size_t i);

// Headings and sentences of `text`, in document order.
std::vector<TextUnit> split_units(std::string_view text);

// The sentences of `text` alone (headings left out).
std::vector<std::string> split_sentences(std::string_view text);

// `s` without ASCII white space, no-break or ideographic spaces at its edges.
std::string trim_text(std::string_view s);

}  // namespace owlet::answer
