// KnowledgeBase::search: BM25 over FTS5 (hot) and HNSW (warm), fused by
// reciprocal rank fusion.
#include <algorithm>
#include <unordered_map>

#include "kb/fts_text.h"
#include "kb/kb_impl.h"

namespace owlet::kb {

// The MATCH expression for a query, with the hot tier's cost bounded: terms are
// kept rarest first while their document frequencies sum to at most the posting
// budget. Terms the vocabulary does not know (df 0, or a folding mismatch) cost
// nothing and are always kept. *dfs gets each phrase's document frequency in the
// expression's order (0 = unknown), for owlet_bm25.
std::string KnowledgeBase::Impl::hot_match(sqlite3* db, std::string_view query, std::vector<int64_t>* dfs) const {
  SearchTerms t = search_terms(query);
  dfs->clear();
  const int64_t budget = opts.fts_posting_budget;
  Stmt df(db, "SELECT doc FROM chunks_vocab WHERE term = ?");
  if (!df.ok()) return fts_match_expr(t);
  struct Term {
    int64_t df;
    bool cjk;
    std::string text;
  };
  std::vector<Term> terms;
  auto lookup = [&](const std::string& term, bool cjk) {
    df.bind(1, index_term(term));
    terms.push_back({df.step() == SQLITE_ROW ? df.i64(0) : 0, cjk, term});
    df.reset();
  };
  for (const auto& w : t.latin) lookup(w, false);
  for (const auto& g : t.cjk) lookup(g, true);
  std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.df < b.df; });
  int64_t spent = 0;
  SearchTerms kept;
  kept.cjk_prefix = t.cjk_prefix;
  std::vector<int64_t> latin_df, cjk_df;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (budget > 0 && i > 0 && spent + terms[i].df > budget) break;
    spent += terms[i].df;
    (terms[i].cjk ? kept.cjk : kept.latin).push_back(terms[i].text);
    (terms[i].cjk ? cjk_df : latin_df).push_back(terms[i].df);
  }
  // fts_match_expr writes Latin phrases, then CJK bigrams, then CJK prefixes.
  dfs->insert(dfs->end(), latin_df.begin(), latin_df.end());
  dfs->insert(dfs->end(), cjk_df.begin(), cjk_df.end());
  dfs->insert(dfs->end(), kept.cjk_prefix.size(), 0);
  return fts_match_expr(kept);
}

namespace {

// "owlet_bm25(chunks_fts, ?F, ?F+1, ...)" for n phrases whose dfs bind from ?first.
std::string rank_call(size_t n, int first) {
  std::string s = "owlet_bm25(chunks_fts";
  for (size_t i = 0; i < n; ++i) s += ", ?" + std::to_string(first + static_cast<int>(i));
  return s + ")";
}

// The hot-tier query: BM25 over FTS5, best first. With filters it joins the
// documents so the filter applies before LIMIT. Filter parameters are ?3..?6 and
// the source kinds after them; the document frequencies come last.
std::string hot_sql(const SearchFilters& filters, size_t n_dfs, int* df_first) {
  *df_first = filters.empty() ? 3 : 7 + static_cast<int>(filters.source_kinds.size());
  if (filters.empty())
    return "SELECT rowid, " + rank_call(n_dfs, *df_first) +
           " AS s FROM chunks_fts WHERE chunks_fts MATCH ?1 ORDER BY s DESC LIMIT ?2";
  std::string sql = "SELECT f.rowid, " + rank_call(n_dfs, *df_first) +
                    " AS s FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
                    "JOIN documents d ON d.id = c.document_id WHERE chunks_fts MATCH ?1 AND d.trust >= ?3 "
                    "AND (?4 = '' OR d.language = ?4) AND (?5 = 0 OR d.modified_at > ?5) "
                    "AND (?6 = '' OR substr(d.source, 1, length(?6)) = ?6)";
  if (!filters.source_kinds.empty()) {
    sql += " AND d.source_kind IN (";
    for (size_t i = 0; i < filters.source_kinds.size(); ++i) sql += (i ? ",?" : "?") + std::to_string(7 + i);
    sql += ")";
  }
  return sql + " ORDER BY s DESC LIMIT ?2";
}

// Hot-tier candidates (chunk id, BM25 score), best first.
bool hot_candidates(const KnowledgeBase::Impl& m, sqlite3* db, std::string_view query, const SearchFilters& filters,
                    int n_cand, std::vector<std::pair<int64_t, double>>* out, Error* err) {
  std::vector<int64_t> dfs;
  const std::string match = m.hot_match(db, query, &dfs);
  if (match.empty()) return true;
  int df_first = 0;
  Stmt st(db, hot_sql(filters, dfs.size(), &df_first));
  if (!st.ok()) return fail(err, ErrorKind::io, db_error(db, "search"));
  st.bind(1, match).bind(2, int64_t{n_cand});
  if (!filters.empty()) {
    st.bind(3, filters.min_trust).bind(4, filters.language).bind(5, filters.modified_after);
    st.bind(6, filters.source_prefix);
    for (size_t i = 0; i < filters.source_kinds.size(); ++i) st.bind(static_cast<int>(7 + i), filters.source_kinds[i]);
  }
  for (size_t i = 0; i < dfs.size(); ++i) st.bind(df_first + static_cast<int>(i), dfs[i]);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out->emplace_back(st.i64(0), st.f64(1));
  if (rc != SQLITE_DONE) return fail(err, ErrorKind::io, db_error(db, "search"));
  return true;
}

// Warm-tier candidates: the chunks nearest the query's embedding. Filters apply
// after the graph search, so it asks for more when filtering.
bool warm_candidates(const KnowledgeBase::Impl& m, sqlite3* db, std::string_view query, const SearchFilters& filters,
                     int n_cand, std::vector<std::pair<int64_t, float>>* out, Error* err) {
  const std::shared_ptr<VectorIndex> index = m.current_warm(db);
  Error why;
  auto qv = m.embed({std::string(query)}, &why);
  if (qv.size() != 1 || !index)
    return fail(err, why.ok() ? ErrorKind::internal : why.kind, "query embedding failed: " + why.message);
  *out = index->search(qv[0].data(), static_cast<size_t>(filters.empty() ? n_cand : n_cand * 4));
  return true;
}

// Reads hits by chunk id within the search's read transaction.
class ChunkReader {
 public:
  explicit ChunkReader(sqlite3* db)
      : st_(db,
            "SELECT c.document_id, c.ord, c.text, d.source, d.title, d.language, d.source_kind, d.trust, "
            "d.modified_at FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?") {}
  // False when the chunk is gone (deleted since the warm index saw it).
  bool read(int64_t id, SearchHit* h, int64_t* modified) {
    st_.bind(1, id);
    const bool found = st_.step() == SQLITE_ROW;
    if (found) {
      h->chunk_id = id;
      h->document_id = st_.i64(0);
      h->ord = static_cast<int>(st_.i64(1));
      h->text = st_.str(2);
      h->source = st_.str(3);
      h->title = st_.str(4);
      h->language = st_.str(5);
      h->source_kind = st_.str(6);
      h->trust = st_.f64(7);
      *modified = st_.i64(8);
    }
    st_.reset();
    return found;
  }

 private:
  Stmt st_;
};

struct Candidate {
  int hot_rank = 0, warm_rank = 0;
  double hot_score = 0, warm_score = 0;
};

// Both tiers' candidates by chunk id. Warm-only candidates must pass the filters
// (hot ones passed them in SQL).
std::unordered_map<int64_t, Candidate> merge_candidates(const std::vector<std::pair<int64_t, double>>& hot,
                                                        const std::vector<std::pair<int64_t, float>>& warm,
                                                        const SearchFilters& filters, int n_cand, ChunkReader& reader) {
  std::unordered_map<int64_t, Candidate> cands;
  for (size_t i = 0; i < hot.size(); ++i) {
    cands[hot[i].first].hot_rank = static_cast<int>(i + 1);
    cands[hot[i].first].hot_score = hot[i].second;
  }
  int warm_rank = 0;
  for (const auto& [id, score] : warm) {
    if (!filters.empty() && !cands.count(id)) {
      SearchHit h;
      int64_t modified = 0;
      if (!reader.read(id, &h, &modified) || !passes_filters(filters, h, modified)) continue;
    }
    Candidate& c = cands[id];
    c.warm_rank = ++warm_rank;
    c.warm_score = score;
    if (warm_rank >= n_cand) break;
  }
  return cands;
}

// Reciprocal rank fusion: (score, chunk id), best first; ties go to the better
// hot rank, then the lower id, so the order is deterministic.
std::vector<std::pair<double, int64_t>> fuse(const std::unordered_map<int64_t, Candidate>& cands, const KbOptions& o) {
  std::vector<std::pair<double, int64_t>> order;
  for (const auto& [id, c] : cands) {
    double s = 0;
    if (c.hot_rank) s += o.hot_weight / (o.rrf_k + c.hot_rank);
    if (c.warm_rank) s += o.warm_weight / (o.rrf_k + c.warm_rank);
    order.emplace_back(s, id);
  }
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    const Candidate& ca = cands.at(a.second);
    const Candidate& cb = cands.at(b.second);
    const int ra = ca.hot_rank ? ca.hot_rank : 1 << 30, rb = cb.hot_rank ? cb.hot_rank : 1 << 30;
    if (ra != rb) return ra < rb;
    return a.second < b.second;
  });
  return order;
}

}  // namespace

SearchResult KnowledgeBase::search(std::string_view query, int k, const SearchFilters& filters) const {
  const Impl& m = *impl_;
  SearchResult res;
  const auto t0 = std::chrono::steady_clock::now();
  if (k <= 0) return res;
  ReadTxn txn(m, &res.error);
  if (!txn.db()) return res;
  sqlite3* db = txn.db();
  const int n_cand = std::max(m.opts.candidates, k);

  std::vector<std::pair<int64_t, double>> hot;
  if (!hot_candidates(m, db, query, filters, n_cand, &hot, &res.error)) return res;
  res.hot_ms = ms_since(t0);
  std::vector<std::pair<int64_t, float>> warm;
  if (m.warm_enabled) {
    const auto t1 = std::chrono::steady_clock::now();
    res.warm_used = warm_candidates(m, db, query, filters, n_cand, &warm, &res.error);  // hot hits still count
    res.warm_ms = ms_since(t1);
  }

  ChunkReader reader(db);
  const std::unordered_map<int64_t, Candidate> cands = merge_candidates(hot, warm, filters, n_cand, reader);
  for (const auto& [score, id] : fuse(cands, m.opts)) {
    if (static_cast<int>(res.hits.size()) >= k) break;
    SearchHit h;
    int64_t modified = 0;
    if (!reader.read(id, &h, &modified)) continue;  // deleted since the warm index saw it
    const Candidate& c = cands.at(id);
    h.hot_rank = c.hot_rank;
    h.hot_score = c.hot_score;
    h.warm_rank = c.warm_rank;
    h.warm_score = c.warm_score;
    h.fused_score = score;
    h.fused_rank = static_cast<int>(res.hits.size() + 1);
    res.hits.push_back(std::move(h));
  }
  res.total_ms = ms_since(t0);
  return res;
}

}  // namespace owlet::kb
