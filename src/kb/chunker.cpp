#include "kb/chunker.h"

#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include <algorithm>

#include "kb/text.h"

namespace owlet::kb {
namespace {

struct Span {
  size_t begin = 0, end = 0;
  int tokens = 0;
  bool para_start = false;  // first sentence of a paragraph
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Trims ASCII whitespace (and U+3000) off [b, e).
void trim(std::string_view s, size_t* b, size_t* e) {
  for (;;) {
    if (*b < *e && is_space(s[*b])) {
      ++*b;
    } else if (*e - *b >= 3 && s.substr(*b, 3) == "\xE3\x80\x80") {
      *b += 3;
    } else {
      break;
    }
  }
  for (;;) {
    if (*e > *b && is_space(s[*e - 1])) {
      --*e;
    } else if (*e - *b >= 3 && s.substr(*e - 3, 3) == "\xE3\x80\x80") {
      *e -= 3;
    } else {
      break;
    }
  }
}

bool is_cjk_terminator(char32_t cp) {
  return cp == U'。' || cp == U'！' || cp == U'？' || cp == U'；' || cp == U'｡' || cp == U'…';
}

// Closing quotes/brackets that belong to the sentence they end: 「…。」 or "…."
bool is_closer(char32_t cp) {
  return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == U'」' || cp == U'』' || cp == U'）' ||
         cp == U'”' || cp == U'’' || cp == U'】' || cp == U'》';
}

// Sentence spans of one paragraph [b, e).
void split_sentences(std::string_view s, size_t b, size_t e, std::vector<Span>* out) {
  size_t start = b;
  size_t i = b;
  bool first = true;
  auto emit = [&](size_t end) {
    size_t sb = start, se = end;
    trim(s, &sb, &se);
    if (se > sb) {
      out->push_back({sb, se, estimate_tokens(s.substr(sb, se - sb)), first});
      first = false;
    }
    start = end;
  };
  while (i < e) {
    const char32_t cp = utf8_next(s, i);
    bool boundary = false;
    if (is_cjk_terminator(cp)) {
      boundary = true;
    } else if (cp == '.' || cp == '!' || cp == '?' || cp == ';') {
      // Latin terminators need following whitespace: "3.14" and "e.g.x" stay whole.
      size_t j = i;
      while (j < e) {
        size_t k = j;
        if (!is_closer(utf8_next(s, k))) break;
        j = k;
      }
      boundary = j >= e || is_space(s[j]);
    }
    if (!boundary) continue;
    while (i < e) {
      size_t k = i;
      if (!is_closer(utf8_next(s, k))) break;
      i = k;
    }
    emit(i);
  }
  emit(e);
}

// Paragraphs are separated by a line that is empty or only whitespace.
std::vector<Span> split_units(std::string_view s) {
  std::vector<Span> units;
  size_t para_begin = 0;
  size_t i = 0;
  while (i <= s.size()) {
    const size_t nl = s.find('\n', i);
    const size_t line_end = nl == std::string_view::npos ? s.size() : nl;
    bool blank = true;
    for (size_t k = i; k < line_end; ++k) {
      if (!is_space(s[k])) {
        blank = false;
        break;
      }
    }
    if (blank || nl == std::string_view::npos) {
      const size_t para_end = blank ? i : s.size();
      if (para_end > para_begin) split_sentences(s, para_begin, para_end, &units);
      para_begin = line_end == s.size() ? s.size() : line_end + 1;
    }
    if (nl == std::string_view::npos) break;
    i = nl + 1;
  }
  return units;
}

// estimate_tokens(text) <= max_tokens, stopping as soon as the count passes the
// budget (it only grows along the text), so probing a long tail costs what fits,
// not the whole tail.
bool within_budget(std::string_view text, int max_tokens) {
  int tokens = 0;
  int word_chars = 0;
  auto word_tokens = [&] { return word_chars > 0 ? 1 + (word_chars - 1) / 8 : 0; };
  size_t i = 0;
  while (i < text.size()) {
    const char32_t cp = utf8_next(text, i);
    if (is_cjk(cp)) {
      tokens += word_tokens() + 1;
      word_chars = 0;
    } else if (is_word_char(cp)) {
      ++word_chars;
    } else {
      tokens += word_tokens();
      word_chars = 0;
    }
    if (tokens + word_tokens() > max_tokens) return false;
  }
  return true;
}

// Cuts an over-budget sentence into pieces of at most max_tokens at ICU word
// boundaries (UTF-8 UText, so boundaries are byte offsets).
void split_long(std::string_view s, const Span& sp, int max_tokens, std::vector<Span>* out) {
  std::vector<size_t> bounds;
  UErrorCode st = U_ZERO_ERROR;
  UText* ut = utext_openUTF8(nullptr, s.data() + sp.begin, static_cast<int64_t>(sp.end - sp.begin), &st);
  UBreakIterator* bi = U_SUCCESS(st) ? ubrk_open(UBRK_WORD, "", nullptr, 0, &st) : nullptr;
  if (U_SUCCESS(st) && bi) {
    ubrk_setUText(bi, ut, &st);
    for (int32_t p = ubrk_first(bi); p != UBRK_DONE; p = ubrk_next(bi)) bounds.push_back(sp.begin + p);
  }
  if (bi) ubrk_close(bi);
  if (ut) utext_close(ut);
  if (bounds.size() < 2) bounds = {sp.begin, sp.end};

  size_t piece_begin = sp.begin;
  bool first = sp.para_start;
  auto emit = [&](size_t b, size_t e) {
    trim(s, &b, &e);
    if (e <= b) return;
    out->push_back({b, e, estimate_tokens(s.substr(b, e - b)), first});
    first = false;
  };
  // estimate_tokens is monotone in the end of a piece, so the furthest boundary that
  // keeps a piece within budget is found by a galloping search: O(n log n) over the
  // sentence instead of re-estimating the growing piece at every boundary (O(n^2),
  // seconds for a 1 MB run-on text or base64 blob).
  auto fits = [&](size_t e) { return within_budget(s.substr(piece_begin, e - piece_begin), max_tokens); };
  size_t last_ok = sp.begin;  // furthest boundary that keeps the piece within budget
  size_t k = 1;
  while (k < bounds.size()) {
    if (fits(bounds[k])) {
      size_t good = k, bad = bounds.size(), step = 1;
      while (good + step < bounds.size()) {
        if (!fits(bounds[good + step])) {
          bad = good + step;
          break;
        }
        good += step;
        step *= 2;
      }
      while (bad - good > 1) {
        const size_t mid = good + (bad - good) / 2;
        if (fits(bounds[mid])) good = mid;
        else bad = mid;
      }
      last_ok = bounds[good];
      k = good + 1;
      continue;
    }
    if (last_ok > piece_begin) {
      emit(piece_begin, last_ok);
      piece_begin = last_ok;
      continue;  // re-examine this boundary against the new piece
    }
    // One word longer than the budget: cut it between code points, at the longest
    // prefix that fits (same galloping search over the word's code points).
    const size_t b = bounds[k];
    std::vector<size_t> cps;  // code point starts after piece_begin, up to the probe that failed
    size_t i = piece_begin;
    size_t probe = 16;
    while (i < b) {
      utf8_next(s, i);
      cps.push_back(i);
      if (cps.size() == probe) {
        if (!fits(i)) break;
        probe *= 2;
      }
    }
    size_t lo = 0, hi = cps.size();  // cps[lo - 1] fits (lo = 0: nothing does yet); cps[hi] does not
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (fits(cps[mid])) lo = mid + 1;
      else hi = mid;
    }
    size_t cut = lo == 0 ? piece_begin : cps[lo - 1];
    if (cut == piece_begin) utf8_next(s, cut);
    emit(piece_begin, cut);
    piece_begin = last_ok = cut;
  }
  emit(piece_begin, sp.end);
}

}  // namespace

std::vector<Chunk> chunk_text(std::string_view input, const ChunkerOptions& opts_in) {
  ChunkerOptions opts = opts_in;
  opts.max_tokens = std::max(opts.max_tokens, 8);
  opts.overlap_tokens = std::clamp(opts.overlap_tokens, 0, opts.max_tokens / 2);
  const std::string clean = utf8_sanitize(input);
  const std::string_view s = clean;

  std::vector<Span> units;
  for (const Span& u : split_units(s)) {
    if (u.tokens > opts.max_tokens) {
      split_long(s, u, opts.max_tokens, &units);
    } else {
      units.push_back(u);
    }
  }

  std::vector<Chunk> chunks;
  std::vector<size_t> cur;  // indexes into units
  int cur_tokens = 0;
  auto flush = [&](bool carry_overlap) {
    if (cur.empty()) return;
    const Span& a = units[cur.front()];
    const Span& z = units[cur.back()];
    chunks.push_back({std::string(s.substr(a.begin, z.end - a.begin)), 0, a.begin});
    chunks.back().tokens = estimate_tokens(chunks.back().text);
    std::vector<size_t> keep;
    int keep_tokens = 0;
    if (carry_overlap) {
      // Trailing sentences up to the overlap budget, never the whole chunk (no progress).
      for (size_t k = cur.size(); k-- > 1;) {
        if (keep_tokens + units[cur[k]].tokens > opts.overlap_tokens) break;
        keep_tokens += units[cur[k]].tokens;
        keep.insert(keep.begin(), cur[k]);
      }
    }
    cur.swap(keep);
    cur_tokens = keep_tokens;
  };

  for (size_t u = 0; u < units.size(); ++u) {
    const Span& sp = units[u];
    if (sp.para_start && !cur.empty()) {
      int para_tokens = 0;
      for (size_t k = u; k < units.size() && (k == u || !units[k].para_start); ++k) para_tokens += units[k].tokens;
      if (cur_tokens + para_tokens > opts.max_tokens && cur_tokens * 2 >= opts.max_tokens) flush(false);
    }
    // Overlap carried from the previous chunk must never block progress.
    if (!cur.empty() && cur_tokens + sp.tokens > opts.max_tokens) flush(!sp.para_start);
    if (!cur.empty() && cur_tokens + sp.tokens > opts.max_tokens) cur.clear(), cur_tokens = 0;
    cur.push_back(u);
    cur_tokens += sp.tokens;
  }
  if (!cur.empty()) {
    // Skip a tail made only of overlap already present in the previous chunk.
    const bool only_overlap = !chunks.empty() && units[cur.back()].end <= chunks.back().offset + chunks.back().text.size();
    if (!only_overlap) flush(false);
  }
  return chunks;
}

}  // namespace owlet::kb
