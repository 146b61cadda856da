// Content terms: the unit in which questions and passages are compared by the
// router (coverage), the context builder (sentence scores) and extractive answers.
//
// Latin words are lower-cased, stop words dropped (via search_terms, as the knowledge base),
// plurals and -ing/-ed endings folded and long words truncated to six letters
// ("prices" -> "price", "registered" -> "regist"), so that a question and a passage
// that inflect or derive a word differently still agree. CJK text becomes character bigrams, like
// the FTS index, minus bigrams made only of question words ("什么", "多少"), which
// say what is asked, not what it is about.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

// Unique content terms of `text`, in order of first appearance.
std::vector<std::string> content_terms(std::string_view text);

// Every token of `text` in order, for position-aware matching (phrases): folded
// Latin words, stop words included so that distances stay true, and CJK character
// bigrams (a lone CJK character stands as itself). "" marks a break between a CJK
// run and what follows, which no phrase spans.
std::vector<std::string> term_sequence(std::string_view text);

// The fold applied to one Latin word: ASCII lower case, "'s", plural and verb
// endings removed, truncated to six letters.
std::string fold_word(std::string_view word);

}  // namespace owlet::answer
