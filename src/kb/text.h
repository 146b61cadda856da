// Question normalization for the answer cache (ICU). The text basics it
// builds on (UTF-8, CJK, token estimates, language) are in common/text.h.
#pragma once

#include <string>
#include <string_view>

#include "common/text.h"

namespace owlet::kb {

// Answer-cache key: NFKC + case fold (ICU), whitespace collapsed, trailing
// punctuation dropped, so "What is X?" and "  what is x " share one entry.
std::string normalize_question(std::string_view question);

}  // namespace owlet::kb
