// "Did you mean …?": the nearest known name to a mistyped one (commands,
// environment variables).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace owlet {

// Levenshtein distance over bytes.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` (case-insensitively), "" when none is within
// max(2, word.size() / 3) edits: a typo's suggestion, never a guess.
std::string nearest_name(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace owlet
