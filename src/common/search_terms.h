// The terms a text is searched by, computed one way for everyone: the knowledge
// base indexes and queries with them (kb/fts_text), and the answer module
// measures question coverage and near-duplicate questions with them, so both
// always agree on what a "term" is.
//
// Latin words are kept whole (minus common English stop words); CJK runs become
// overlapping character bigrams ("今天上海" → 今天 天上 上海), since unicode61
// would otherwise keep a whole run as one token and `天气` could never match
// inside `今天上海天气晴`.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace owlet {

// The searchable terms of a free-text query: Latin words (minus common stop
// words), CJK bigrams, and lone CJK characters (matched as prefixes).
// Deduplicated, in order. A query made only of stop words keeps them.
struct SearchTerms {
  std::vector<std::string> latin;
  std::vector<std::string> cjk;
  std::vector<std::string> cjk_prefix;
  bool empty() const { return latin.empty() && cjk.empty() && cjk_prefix.empty(); }
};
SearchTerms search_terms(std::string_view text);

// A term as unicode61 (remove_diacritics 2) stores it: lower case, marks removed
// ("Café" → "cafe"); CJK terms as written.
std::string index_term(std::string_view term);

// Splits text into maximal runs of CJK code points: on_run(run) for each, and
// on_other(piece) for the text between (possibly empty).
void for_each_cjk_run(std::string_view text, const std::function<void(std::string_view)>& on_run,
                      const std::function<void(std::string_view)>& on_other);

// Overlapping bigrams of a CJK run. With `with_tail` the run's last character
// is added as a unigram too (the index does this, so that a one-character
// prefix query finds it even at the end of a run).
void append_cjk_bigrams(std::string_view run, std::vector<std::string>* out, bool with_tail);

}  // namespace owlet
