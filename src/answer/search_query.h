// The privacy guard between a prompt and a search engine: the only text that
// leaves the machine in a web search.
//
// The query is built from the question the user asked, never from what they
// pasted (code, quoted passages, documents: see prompt_parts.h), and it is bounded
// in words. A prompt that is all material yields no query, and then no search.
#pragma once

#include <string>
#include <string_view>

namespace owlet::answer {

constexpr int kMaxQueryWords = 32;

// The question sentence(s) of the prompt's own words, at most `max_words` words
// (a CJK character counts as one), cut at a word boundary. "" = nothing to search for.
std::string search_query(std::string_view prompt, int max_words = kMaxQueryWords);

}  // namespace owlet::answer
