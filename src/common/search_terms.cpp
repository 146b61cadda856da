#include "common/search_terms.h"

#include <set>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "common/strings.h"
#include "common/text.h"

namespace owlet {
namespace {

// Byte offsets of each code point in a (valid) CJK run.
std::vector<size_t> cp_offsets(std::string_view run) {
  std::vector<size_t> offs;
  size_t i = 0;
  while (i < run.size()) {
    offs.push_back(i);
    utf8_next(run, i);
  }
  offs.push_back(run.size());
  return offs;
}

bool is_stop_word(const std::string& w) {
  static const std::set<std::string> kStop = {
      "a",    "an",   "and",  "are",  "as",    "at",   "be",   "by",    "did",  "do",   "does",
      "for",  "from", "had",  "has",  "have",  "how",  "in",   "is",    "it",   "its",  "of",
      "on",   "or",   "that", "the",  "their", "this", "to",   "was",   "were", "what", "when",
      "where", "which", "who", "whom", "why",  "will", "with", "would", "you",  "your"};
  return kStop.count(w) > 0;
}


// Words (runs of letters and digits) of a non-CJK piece; stop words dropped unless `keep_stop_words`.
void append_words(std::string_view piece, bool keep_stop_words, std::vector<std::string>* out) {
  std::string w;
  auto flush = [&] {
    if (!w.empty() && (keep_stop_words || !is_stop_word(ascii_lower(w)))) out->push_back(w);
    w.clear();
  };
  size_t i = 0;
  while (i < piece.size()) {
    const size_t s = i;
    if (is_word_char(utf8_next(piece, i))) w.append(piece.substr(s, i - s));
    else flush();
  }
  flush();
}

void dedupe(std::vector<std::string>& v) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto& s : v)
    if (seen.insert(s).second) out.push_back(s);
  v.swap(out);
}

}  // namespace

void for_each_cjk_run(std::string_view text, const std::function<void(std::string_view)>& on_run,
                      const std::function<void(std::string_view)>& on_other) {
  size_t i = 0;
  size_t other_start = 0;
  while (i < text.size()) {
    const size_t start = i;
    const char32_t cp = utf8_next(text, i);
    if (!is_cjk(cp)) continue;
    size_t end = i;
    while (end < text.size()) {
      size_t j = end;
      if (!is_cjk(utf8_next(text, j))) break;
      end = j;
    }
    on_other(text.substr(other_start, start - other_start));
    on_run(text.substr(start, end - start));
    i = end;
    other_start = end;
  }
  on_other(text.substr(other_start));
}

void append_cjk_bigrams(std::string_view run, std::vector<std::string>* out, bool with_tail) {
  const auto offs = cp_offsets(run);
  const size_t n = offs.size() - 1;
  for (size_t k = 0; k + 1 < n; ++k) out->emplace_back(run.substr(offs[k], offs[k + 2] - offs[k]));
  if (n == 1 || with_tail) out->emplace_back(run.substr(offs[n - 1]));
}

SearchTerms search_terms(std::string_view raw) {
  const std::string query = utf8_sanitize(raw);
  SearchTerms t;
  for_each_cjk_run(
      query,
      [&](std::string_view run) {
        if (cp_offsets(run).size() == 2) t.cjk_prefix.emplace_back(run);  // one character: a bigram prefix
        else append_cjk_bigrams(run, &t.cjk, false);
      },
      [&](std::string_view other) { append_words(other, false, &t.latin); });
  // A question made only of stop words ("who is it") still deserves a search.
  if (t.empty()) append_words(query, true, &t.latin);
  dedupe(t.latin);
  dedupe(t.cjk);
  dedupe(t.cjk_prefix);
  return t;
}

std::string index_term(std::string_view term) {
  // unicode61 folds case and Latin-style diacritics only; CJK terms (kana voicing
  // marks, Hangul syllables) are stored as written.
  for (size_t i = 0; i < term.size();)
    if (is_cjk(utf8_next(term, i))) return std::string(term);
  UErrorCode st = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(st);
  if (U_FAILURE(st)) return std::string(term);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(term.data(), static_cast<int32_t>(term.size())));
  icu::UnicodeString d = nfd->normalize(u, st);
  if (U_FAILURE(st)) return std::string(term);
  icu::UnicodeString out;
  for (int32_t i = 0; i < d.length();) {
    const UChar32 c = d.char32At(i);
    i += U16_LENGTH(c);
    if (u_getIntPropertyValue(c, UCHAR_GENERAL_CATEGORY_MASK) & U_GC_M_MASK) continue;  // drop diacritics
    out.append(static_cast<UChar32>(u_tolower(c)));
  }
  std::string r;
  out.toUTF8String(r);
  return r;
}

}  // namespace owlet
