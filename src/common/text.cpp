#include "common/text.h"

#include <algorithm>

#include <unicode/uchar.h>

namespace owlet {

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

size_t utf8_seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

// Decodes the sequence at s[i]; returns its length, or 0 if ill-formed.
static size_t decode(std::string_view s, size_t i, char32_t* out) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *out = c;
    return 1;
  }
  size_t n;
  char32_t cp;
  char32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *out = cp;
  return n;
}

bool utf8_valid(std::string_view s, size_t* bad_offset) {
  size_t i = 0;
  while (i < s.size()) {
    // Fast path for ASCII runs, the common case in ingested text.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const size_t n = decode(s, i, &cp);
    if (n == 0) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += n;
  }
  return true;
}

std::string utf8_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    char32_t cp;
    const size_t n = decode(s, i, &cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

char32_t utf8_next(std::string_view s, size_t& i) {
  char32_t cp;
  const size_t n = decode(s, i, &cp);
  if (n == 0) {
    ++i;
    return 0xFFFD;
  }
  i += n;
  return cp;
}

void utf8_append(std::string* out, char32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK unified ideographs
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // extension A
         (cp >= 0x20000 && cp <= 0x3134F) ||  // extensions B..G
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // compatibility ideographs
         (cp >= 0x3040 && cp <= 0x30FF) ||    // hiragana, katakana
         (cp >= 0x31F0 && cp <= 0x31FF) ||    // katakana phonetic extensions
         (cp >= 0xFF66 && cp <= 0xFF9D) ||    // halfwidth katakana
         (cp >= 0xAC00 && cp <= 0xD7AF) ||    // hangul syllables
         (cp >= 0x1100 && cp <= 0x11FF) ||    // hangul jamo
         (cp >= 0x3130 && cp <= 0x318F);      // hangul compatibility jamo
}

bool is_word_char(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z');
  return u_isalnum(static_cast<UChar32>(cp)) || is_cjk(cp) ||
         u_getIntPropertyValue(static_cast<UChar32>(cp), UCHAR_GENERAL_CATEGORY_MASK) & U_GC_M_MASK;
}

int estimate_tokens(std::string_view text) {
  int tokens = 0;
  int word_chars = 0;
  auto end_word = [&] {
    if (word_chars > 0) tokens += 1 + (word_chars - 1) / 8;
    word_chars = 0;
  };
  size_t i = 0;
  while (i < text.size()) {
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      end_word();
      ++tokens;
    } else if (is_word_char(cp)) {
      ++word_chars;
    } else {
      end_word();
    }
  }
  end_word();
  return tokens;
}

std::string detect_language(std::string_view text) {
  size_t han = 0, kana = 0, hangul = 0, ascii_letters = 0, other_letters = 0;
  size_t i = 0;
  // The first 4 KiB decide; language detection needs no more.
  const size_t limit = std::min<size_t>(text.size(), 4096);
  while (i < limit) {
    const char32_t cp = utf8_next(text, i);
    if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xFF66 && cp <= 0xFF9D)) {
      ++kana;
    } else if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF)) {
      ++hangul;
    } else if (is_cjk(cp)) {
      ++han;
    } else if (cp < 0x80 && ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')) {
      ++ascii_letters;
    } else if (cp >= 0x80 && u_isalpha(static_cast<UChar32>(cp))) {
      ++other_letters;
    }
  }
  const size_t cjk = han + kana + hangul;
  // A CJK character carries about as much as a short Latin word.
  if (cjk * 3 >= ascii_letters + other_letters && cjk > 0) {
    if (hangul >= han && hangul >= kana) return "ko";
    if (kana * 10 >= cjk) return "ja";  // Japanese mixes kana into kanji text
    return "zh";
  }
  if (ascii_letters > 0 && ascii_letters >= other_letters * 4) return "en";
  return "und";
}

}  // namespace owlet
