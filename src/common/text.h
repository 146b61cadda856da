// Text basics every module shares: UTF-8 validation, repair and decoding,
// CJK classification, the token estimate and language detection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace owlet {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
// On failure, *bad_offset (if given) receives the byte offset of the first bad sequence.
bool utf8_valid(std::string_view s, size_t* bad_offset = nullptr);

// Returns `s` with every ill-formed sequence replaced by U+FFFD.
std::string utf8_sanitize(std::string_view s);

// Decodes one code point at s[i] (which must be valid UTF-8) and advances i.
// Returns U+FFFD and advances one byte on a bad sequence.
char32_t utf8_next(std::string_view s, size_t& i);

// Appends code point cp as UTF-8; NUL, surrogates and values past U+10FFFF
// (what a hostile numeric entity like &#0; or &#xD800; decodes to) become U+FFFD.
void utf8_append(std::string* out, char32_t cp);

// The longest prefix of `s` of at most `max_bytes` that ends on a code point boundary.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

// Length in bytes of the UTF-8 sequence starting with lead byte `c` (1 for bad bytes).
size_t utf8_seq_len(unsigned char c);

// Han, Hiragana, Katakana or Hangul: scripts written without spaces between words
// (Hangul uses spaces, but its words carry particles, so it is indexed the same way).
bool is_cjk(char32_t cp);

// Letters and digits of any script (what unicode61 would treat as token characters).
bool is_word_char(char32_t cp);

// Estimated LLM tokens: one per CJK character, one per Latin word plus one per
// further 8 characters of a long word. An estimate is enough for chunk budgets.
int estimate_tokens(std::string_view text);

// "zh", "ja", "ko" when CJK characters dominate, "en" when ASCII letters do, else "und".
std::string detect_language(std::string_view text);

}  // namespace owlet
