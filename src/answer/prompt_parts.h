// What a prompt asks, set apart from what the user pasted into it.
//
// A prompt often carries material besides the request: a code block, a quoted
// passage, a document to summarize or translate. That material is the user's own
// data: it may inform the router (a prompt that brings its own text needs no
// search) but it must never leave the machine as part of a search query. The
// split is lexical and conservative: what looks like pasted material is set apart,
// the rest is the `ask`.
#pragma once

#include <string>
#include <string_view>

namespace owlet::answer {

struct PromptParts {
  std::string ask;          // the user's own words, white space collapsed; "" when all of it was material
  bool code = false;        // a fenced or indented code block, or lines of code
  bool quoted = false;      // a quoted passage ("> " lines, or a long passage in quotes)
  bool document = false;    // a long block of text (a paragraph, or the long tail after "…:")
  int material_words = 0;   // words (a CJK character counts as one) set apart
  int words = 0;            // words of the whole prompt
  bool pasted() const { return code || quoted || document; }
};

// Splits a prompt. Material: fenced blocks (``` or ~~~, unterminated ones to the end),
// lines indented as code or shaped like code, "> " quotes, passages in quotes of
// more than 12 words, paragraphs of more than 25 words beside a shorter one (or
// after the first, when all are long), and the tail after a colon past 25 words.
PromptParts split_prompt(std::string_view prompt);

// Words of `text`: Latin/digit runs count one each, every CJK character counts one.
int count_words(std::string_view text);

}  // namespace owlet::answer
