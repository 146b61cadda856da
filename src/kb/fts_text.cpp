#include "kb/fts_text.h"

#include <algorithm>
#include <array>
#include <set>
#include <vector>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "kb/text.h"

namespace owlet::kb {
namespace {

// Splits text into maximal runs of CJK code points (as byte ranges) and calls
// on_run(run) for each, on_other(piece) for the text between.
template <typename RunFn, typename OtherFn>
void split_cjk(std::string_view text, RunFn on_run, OtherFn on_other) {
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

// Overlapping bigrams of a run. For the index (`with_tail`), the run's last
// character is added as a unigram too: then every character starts some token, and
// a one-character query ("雨*" as a prefix) finds it even at the end of a run.
void append_bigrams(std::string_view run, std::vector<std::string>* out, bool with_tail) {
  const auto offs = cp_offsets(run);
  const size_t n = offs.size() - 1;
  for (size_t k = 0; k + 1 < n; ++k) out->emplace_back(run.substr(offs[k], offs[k + 2] - offs[k]));
  if (n == 1 || with_tail) out->emplace_back(run.substr(offs[n - 1]));
}

// FTS5 string literal: double quotes, embedded quotes doubled.
std::string quote(std::string_view term) {
  std::string q = "\"";
  for (char c : term) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

bool is_stop_word(const std::string& w) {
  static const std::set<std::string> kStop = {
      "a",    "an",   "and",  "are",  "as",    "at",   "be",   "by",    "did",  "do",   "does",
      "for",  "from", "had",  "has",  "have",  "how",  "in",   "is",    "it",   "its",  "of",
      "on",   "or",   "that", "the",  "their", "this", "to",   "was",   "were", "what", "when",
      "where", "which", "who", "whom", "why",  "will", "with", "would", "you",  "your"};
  return kStop.count(w) > 0;
}

}  // namespace

std::string fts_latin_column(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  split_cjk(
      text, [&](std::string_view) { out += ' '; }, [&](std::string_view other) { out.append(other); });
  return out;
}

std::string fts_cjk_column(std::string_view text) {
  std::vector<std::string> grams;
  split_cjk(
      text, [&](std::string_view run) { append_bigrams(run, &grams, true); }, [](std::string_view) {});
  std::string out;
  for (const auto& g : grams) {
    if (!out.empty()) out += ' ';
    out += g;
  }
  return out;
}

FtsQueryTerms fts_query_terms(std::string_view raw) {
  const std::string query = utf8_sanitize(raw);
  std::vector<std::string> words;
  std::vector<std::string> grams;
  std::vector<std::string> lone;  // single CJK characters: matched as bigram prefixes
  split_cjk(
      query,
      [&](std::string_view run) {
        const auto offs = cp_offsets(run);
        if (offs.size() == 2) {
          lone.emplace_back(run);
        } else {
          append_bigrams(run, &grams, false);
        }
      },
      [&](std::string_view other) {
        std::string w;
        size_t i = 0;
        auto flush = [&] {
          if (w.empty()) return;
          std::string lower = w;
          std::transform(lower.begin(), lower.end(), lower.begin(),
                         [](unsigned char c) { return static_cast<char>(c < 0x80 ? std::tolower(c) : c); });
          if (!is_stop_word(lower)) words.push_back(w);
          w.clear();
        };
        while (i < other.size()) {
          const size_t s = i;
          const char32_t cp = utf8_next(other, i);
          if (is_word_char(cp)) {
            w.append(other.substr(s, i - s));
          } else {
            flush();
          }
        }
        flush();
      });
  // A question made only of stop words ("who is it") still deserves a search.
  if (words.empty() && grams.empty() && lone.empty()) {
    size_t i = 0;
    std::string w;
    while (i < query.size()) {
      const size_t s = i;
      if (is_word_char(utf8_next(query, i))) {
        w.append(query.substr(s, i - s));
      } else if (!w.empty()) {
        words.push_back(w), w.clear();
      }
    }
    if (!w.empty()) words.push_back(w);
  }
  auto dedupe = [](std::vector<std::string>& v) {
    std::set<std::string> seen;
    std::vector<std::string> out;
    for (auto& s : v)
      if (seen.insert(s).second) out.push_back(s);
    v.swap(out);
  };
  dedupe(words);
  dedupe(grams);
  dedupe(lone);
  return {std::move(words), std::move(grams), std::move(lone)};
}

std::string fts_match_expr(const FtsQueryTerms& t) {
  std::string latin_expr, cjk_expr;
  for (const auto& w : t.latin) latin_expr += (latin_expr.empty() ? "" : " OR ") + quote(w);
  for (const auto& g : t.cjk) cjk_expr += (cjk_expr.empty() ? "" : " OR ") + quote(g);
  for (const auto& g : t.cjk_prefix) cjk_expr += (cjk_expr.empty() ? "" : " OR ") + quote(g) + " *";
  std::string expr;
  if (!latin_expr.empty()) expr = "{latin} : (" + latin_expr + ")";
  if (!cjk_expr.empty()) expr += (expr.empty() ? "" : " OR ") + std::string("{cjk} : (") + cjk_expr + ")";
  return expr;
}

std::string fts_match_query(std::string_view query) { return fts_match_expr(fts_query_terms(query)); }

std::string fts_index_term(std::string_view term) {
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

}  // namespace owlet::kb
