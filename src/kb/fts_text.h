// What goes into the FTS5 index and how queries are written against it.
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

namespace owlet::kb {

// Column values for one chunk. Deterministic: the contentless index deletes rows by
// recomputing them, so these must never change without a schema migration that
// rebuilds the index.
std::string fts_latin_column(std::string_view text);
std::string fts_cjk_column(std::string_view text);

// The searchable terms of a free-text query: Latin words (minus common stop words),
// CJK bigrams, and lone CJK characters (matched as prefixes). Deduplicated, in order.
struct FtsQueryTerms {
  std::vector<std::string> latin;
  std::vector<std::string> cjk;
  std::vector<std::string> cjk_prefix;
  bool empty() const { return latin.empty() && cjk.empty() && cjk_prefix.empty(); }
};
FtsQueryTerms fts_query_terms(std::string_view query);

// An FTS5 MATCH expression OR-ing the terms (each quoted, so FTS5 syntax in user
// input is inert), so BM25 ranks partial matches. Empty when there are no terms.
std::string fts_match_expr(const FtsQueryTerms& terms);
std::string fts_match_query(std::string_view query);  // fts_match_expr(fts_query_terms(q))

// A term as unicode61 (remove_diacritics 2) stores it: lower case, marks removed.
// Used to look up document frequencies in the fts5vocab table.
std::string fts_index_term(std::string_view term);

}  // namespace owlet::kb
