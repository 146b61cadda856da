// The Chinese side of the router's concept vocabulary: Chinese words and the English
// concept words they stand for ("现任" -> "current", "总统" -> "president").
//
// The English words were not picked by hand: they are the words that carry the most
// weight in the English-trained router (owlet-train-router --top-words), question
// words and the time and kind-of-fact words of the rule lexicons. Each was given its
// common Chinese renderings. Chinese text is segmented by longest match against
// these entries; the concept view of English keeps only the words that appear as
// targets here, so both languages land in one feature space. Entries with no English
// word are blockers: common words that contain a one-character entry but mean
// something else ("上海" holds 海 "sea"), matched whole so that they map to nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet::answer {

// Concept words of a run of CJK text, in order: segmented by longest lexicon match,
// characters that start no entry skipped.
std::vector<std::string> zh_concepts(std::string_view cjk_run);

// True when `word` (lower-case English) is a concept word; numbers always are.
bool is_concept_word(std::string_view word);

// Number of lexicon entries (for docs and tests).
size_t zh_lexicon_size();

}  // namespace owlet::answer
