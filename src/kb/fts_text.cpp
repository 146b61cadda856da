#include "kb/fts_text.h"

#include "common/search_terms.h"

namespace owlet::kb {
namespace {

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

}  // namespace

std::string fts_latin_column(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_cjk_run(
      text, [&](std::string_view) { out += ' '; }, [&](std::string_view other) { out.append(other); });
  return out;
}

std::string fts_cjk_column(std::string_view text) {
  std::vector<std::string> grams;
  for_each_cjk_run(
      text, [&](std::string_view run) { append_cjk_bigrams(run, &grams, true); }, [](std::string_view) {});
  std::string out;
  for (const auto& g : grams) {
    if (!out.empty()) out += ' ';
    out += g;
  }
  return out;
}

std::string fts_match_expr(const SearchTerms& t) {
  std::string latin_expr, cjk_expr;
  for (const auto& w : t.latin) latin_expr += (latin_expr.empty() ? "" : " OR ") + quote(w);
  for (const auto& g : t.cjk) cjk_expr += (cjk_expr.empty() ? "" : " OR ") + quote(g);
  for (const auto& g : t.cjk_prefix) cjk_expr += (cjk_expr.empty() ? "" : " OR ") + quote(g) + " *";
  std::string expr;
  if (!latin_expr.empty()) expr = "{latin} : (" + latin_expr + ")";
  if (!cjk_expr.empty()) expr += (expr.empty() ? "" : " OR ") + std::string("{cjk} : (") + cjk_expr + ")";
  return expr;
}

std::string fts_match_query(std::string_view query) { return fts_match_expr(search_terms(query)); }

}  // namespace owlet::kb
