// owlet_bm25: the hot tier's ranking function, an FTS5 auxiliary function.
//
// FTS5's own bm25() normalizes by each row's length, which it reads from the
// %_docsize table: one B-tree lookup per matching row, most of a query's time at a
// million chunks. Chunks are already cut to a bounded token budget by the chunker,
// so length normalization buys little; owlet_bm25 is BM25 with b = 0 (saturating
// term frequency times IDF) and reads only the position lists FTS5 has in hand.
//
//   SELECT rowid, owlet_bm25(chunks_fts, df1, df2, ...) AS s FROM chunks_fts
//     WHERE chunks_fts MATCH ?  ORDER BY s DESC
//
// dfN is the document frequency of the N-th phrase of the MATCH expression, as the
// caller already looked it up (fts5vocab); 0 or absent means unknown, and the
// function counts it itself once per query. Scores are positive; higher is better.
#pragma once

#include "common/error.h"

#include <sqlite3.h>

#include <string>

namespace owlet::kb {

// Registers owlet_bm25 on this connection; false with *err set when FTS5 is missing.
bool register_fts_rank(sqlite3* db, Error* err);

}  // namespace owlet::kb
