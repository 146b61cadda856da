// What goes into the FTS5 index and how queries are written against it. The
// terms themselves (words, CJK bigrams) come from common/search_terms.h.
//
// The index has two columns, both tokenized by `unicode61 remove_diacritics 2`:
//   latin — the chunk text with CJK runs blanked out (word tokens, diacritics folded);
//   cjk   — every CJK run rewritten as overlapping character bigrams plus its last
//           character ("今天上海" → "今天 天上 上海 海").
// unicode61 would otherwise keep a whole CJK run as one token, so `天气` could never
// match inside `今天上海天气晴`. Bigrams give substring-like matching without a
// dictionary, and the query is rewritten the same way, so both sides always agree
// (ICU's dictionary segmentation can cut the same word differently in a query and in
// a document, bigrams cannot).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/search_terms.h"

namespace owlet::kb {

// Column values for one chunk. Deterministic: the contentless index deletes rows by
// recomputing them, so these must never change without a schema migration that
// rebuilds the index.
std::string fts_latin_column(std::string_view text);
std::string fts_cjk_column(std::string_view text);

// An FTS5 MATCH expression OR-ing the terms (each quoted, so FTS5 syntax in user
// input is inert), so BM25 ranks partial matches. Empty when there are no terms.
std::string fts_match_expr(const SearchTerms& terms);
std::string fts_match_query(std::string_view query);  // fts_match_expr(search_terms(q))

}  // namespace owlet::kb
