// Scores candidate sentences against a question: the IDF-weighted share of the
// question's content terms a sentence contains, IDF taken over the candidate set
// (so words that every candidate shares, like the article's topic, weigh little).
// Shared by the context builder and extractive answers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

// Scores in 0..1 (1 = every weighted question term present), one per sentence,
// plus kNumberBonus for a sentence holding a number when the question asks for one.
std::vector<double> score_sentences(std::string_view question, const std::vector<std::string>& sentences);

// Answer-type hint: the question asks for a number, a date or a quantity
// ("how many", "when", "what year", "多少", "几", "哪一年").
bool asks_for_number(std::string_view question);
bool has_number(std::string_view sentence);  // ASCII digits or Chinese numerals

constexpr double kNumberBonus = 0.15;

// The retriever's order is evidence too: a sentence from the source ranked r
// (0-based) loses r * kSourceRankPenalty, enough to break near-ties in favour of
// the better source, too little to hide a clearly better sentence further down.
constexpr double kSourceRankPenalty = 0.1;

}  // namespace owlet::answer
