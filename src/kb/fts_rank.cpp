#include "kb/fts_rank.h"

#include <cmath>
#include <vector>

namespace owlet::kb {
namespace {

constexpr double kK1 = 1.2;  // FTS5's bm25() uses the same k1

// Per query (FTS5 keeps aux data for the statement's life): the IDF of each phrase.
struct QueryIdf {
  std::vector<double> idf;
};

int count_row(const Fts5ExtensionApi*, Fts5Context*, void* n) {
  ++*static_cast<sqlite3_int64*>(n);
  return SQLITE_OK;
}

QueryIdf* query_idf(const Fts5ExtensionApi* api, Fts5Context* fts, int n_val, sqlite3_value** vals, int* rc) {
  auto* q = static_cast<QueryIdf*>(api->xGetAuxdata(fts, 0));
  if (q) return q;
  sqlite3_int64 n_rows = 0;
  if ((*rc = api->xRowCount(fts, &n_rows)) != SQLITE_OK) return nullptr;
  q = new QueryIdf;
  const int n_phrase = api->xPhraseCount(fts);
  for (int i = 0; i < n_phrase; ++i) {
    sqlite3_int64 df = i < n_val ? sqlite3_value_int64(vals[i]) : 0;
    if (df <= 0 && (*rc = api->xQueryPhrase(fts, i, &df, count_row)) != SQLITE_OK) {
      delete q;
      return nullptr;
    }
    // The BM25 IDF that stays positive for terms in more than half the rows.
    const double n = static_cast<double>(n_rows), d = static_cast<double>(df);
    q->idf.push_back(std::log((n - d + 0.5) / (d + 0.5) + 1.0));
  }
  if ((*rc = api->xSetAuxdata(fts, q, [](void* p) { delete static_cast<QueryIdf*>(p); })) != SQLITE_OK) return nullptr;
  return q;
}

void owlet_bm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int n_val,
                sqlite3_value** vals) {
  int rc = SQLITE_OK;
  const QueryIdf* q = query_idf(api, fts, n_val, vals, &rc);
  if (!q) {
    sqlite3_result_error_code(ctx, rc == SQLITE_OK ? SQLITE_NOMEM : rc);
    return;
  }
  double score = 0;
  for (int i = 0; i < static_cast<int>(q->idf.size()); ++i) {
    Fts5PhraseIter it;
    int col = 0, off = 0, tf = 0;
    if ((rc = api->xPhraseFirst(fts, i, &it, &col, &off)) != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
      return;
    }
    for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) ++tf;
    if (tf) score += q->idf[static_cast<size_t>(i)] * tf * (kK1 + 1) / (tf + kK1);
  }
  sqlite3_result_double(ctx, score);
}

fts5_api* fts5_of(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return api;
}

}  // namespace

bool register_fts_rank(sqlite3* db, Error* err) {
  fts5_api* api = fts5_of(db);
  if (!api || api->iVersion < 2) {
    if (err) *err = Error(ErrorKind::unsupported, "this SQLite has no FTS5");
    return false;
  }
  if (api->xCreateFunction(api, "owlet_bm25", nullptr, owlet_bm25, nullptr) != SQLITE_OK) {
    if (err) *err = Error(ErrorKind::internal, "cannot register owlet_bm25");
    return false;
  }
  return true;
}

}  // namespace owlet::kb
