#include "kb/schema.h"

#include "kb/fts_text.h"
#include "kb/sqlite_util.h"

namespace owlet::kb {
namespace {

// v1: documents, chunks, and the contentless FTS5 index over chunks.
const char* kV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Bumped by every transaction that changes chunks; derived indexes (HNSW) record
-- the generation they reflect.
INSERT OR IGNORE INTO meta(key, value) VALUES('generation', '0');
CREATE TABLE documents(
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL UNIQUE,          -- URL or absolute path
  title TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT '',
  source_kind TEXT NOT NULL DEFAULT 'file',
  trust REAL NOT NULL DEFAULT 0.5,
  fetched_at INTEGER NOT NULL DEFAULT 0,   -- unix seconds
  modified_at INTEGER NOT NULL DEFAULT 0,  -- unix seconds
  content_hash TEXT NOT NULL,
  bytes INTEGER NOT NULL DEFAULT 0
);
-- AUTOINCREMENT: chunk ids are never reused, so an id in the HNSW graph or a
-- cached search result can never come to mean a different chunk.
CREATE TABLE chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ord INTEGER NOT NULL,
  text TEXT NOT NULL,
  tokens INTEGER NOT NULL,
  UNIQUE(document_id, ord)
);
-- Contentless: chunk text lives once, in chunks; rows are deleted by re-supplying
-- their column values (see fts_text.h).
CREATE VIRTUAL TABLE chunks_fts USING fts5(latin, cjk, content='', tokenize='unicode61 remove_diacritics 2');
)sql";

// v2: the answer cache.
const char* kV2 = R"sql(
CREATE TABLE answer_cache(
  question TEXT PRIMARY KEY,            -- normalize_question()
  answer TEXT NOT NULL,
  sources TEXT NOT NULL DEFAULT '[]',   -- JSON array
  route TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL           -- unix seconds; 0 = never
);
CREATE INDEX IF NOT EXISTS answer_cache_expires ON answer_cache(expires_at);
)sql";

// v3: near-duplicate fingerprints, stored embeddings (warm tier rebuilds without
// re-embedding), and the cold archive's index and zstd dictionaries.
const char* kV3 = R"sql(
ALTER TABLE documents ADD COLUMN simhash INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN shingles INTEGER NOT NULL DEFAULT 0;
CREATE TABLE chunk_vectors(
  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
  vec BLOB NOT NULL                     -- float32[dim], L2-normalized
);
CREATE TABLE cold_blobs(
  hash TEXT PRIMARY KEY,                -- documents.content_hash
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,              -- record bytes in the archive
  raw_length INTEGER NOT NULL,
  dict_id INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE cold_dicts(id INTEGER PRIMARY KEY, dict BLOB NOT NULL);
CREATE INDEX documents_hash ON documents(content_hash);
INSERT OR IGNORE INTO meta(key, value) VALUES('cold_file', 'kb.cold');
)sql";

// v4: per-term document frequencies (read-only view over the FTS index), so a
// search can leave out terms that occur in most chunks (see KbOptions).
const char* kV4 = R"sql(
CREATE VIRTUAL TABLE chunks_vocab USING fts5vocab(chunks_fts, 'row');
)sql";

// v5: the answer cache keyed by question and variant (answer/answer_cache_key.h):
// one question may hold an answer per model and an extractive one. Entries from
// before carry no model identity, so they cannot be told apart and are dropped
// (it is a cache: they are answered again).
const char* kV5 = R"sql(
DROP TABLE answer_cache;
CREATE TABLE answer_cache(
  question TEXT NOT NULL,               -- normalize_question()
  variant TEXT NOT NULL DEFAULT '',     -- answer_variant(): engine, model identity, options
  answer TEXT NOT NULL,
  sources TEXT NOT NULL DEFAULT '[]',   -- JSON array
  route TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,          -- unix seconds; 0 = never
  PRIMARY KEY(question, variant)
);
CREATE INDEX answer_cache_expires ON answer_cache(expires_at);
)sql";

// v6: an answer cache that never outlives its knowledge (issue #25). Each answer
// remembers the sources it was built on (answer_cites), so removing or replacing
// a document drops the answers that cite it in the same transaction; an answer
// that found nothing (found_nothing) goes with any knowledge change. Entries
// from before remember no sources, so they are dropped.
const char* kV6 = R"sql(
DROP TABLE answer_cache;
CREATE TABLE answer_cache(
  id INTEGER PRIMARY KEY,
  question TEXT NOT NULL,               -- normalize_question()
  variant TEXT NOT NULL DEFAULT '',     -- answer_variant(): engine, model identity, options
  answer TEXT NOT NULL,
  sources TEXT NOT NULL DEFAULT '[]',   -- JSON array
  route TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,          -- unix seconds; 0 = never
  found_nothing INTEGER NOT NULL DEFAULT 0,
  UNIQUE(question, variant)
);
CREATE INDEX answer_cache_expires ON answer_cache(expires_at);
CREATE INDEX answer_cache_nothing ON answer_cache(found_nothing) WHERE found_nothing != 0;
CREATE TABLE answer_cites(
  source TEXT NOT NULL,                 -- documents.source (or a web page's URL)
  answer_id INTEGER NOT NULL REFERENCES answer_cache(id) ON DELETE CASCADE,
  PRIMARY KEY(source, answer_id)
) WITHOUT ROWID;
CREATE INDEX answer_cites_answer ON answer_cites(answer_id);
)sql";

const char* kSteps[] = {kV1, kV2, kV3, kV4, kV5, kV6};
static_assert(sizeof(kSteps) / sizeof(kSteps[0]) == kSchemaVersion);

}  // namespace

int schema_version(sqlite3* db, Error* err) {
  Stmt has(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'");
  if (!has.ok()) {
    if (err) *err = Error(ErrorKind::io, db_error(db, "read schema"));
    return -1;
  }
  if (has.step() != SQLITE_ROW) return 0;
  Stmt v(db, "SELECT value FROM meta WHERE key='schema_version'");
  if (!v.ok()) {
    if (err) *err = Error(ErrorKind::io, db_error(db, "read schema_version"));
    return -1;
  }
  return v.step() == SQLITE_ROW ? std::stoi(v.str(0)) : 0;
}

bool migrate_schema(sqlite3* db, Error* err, int target) {
  if (!exec(db, "BEGIN IMMEDIATE", err)) return false;
  // Read the version inside the write transaction: two processes opening a fresh
  // database at once must not both run step 1.
  int v = schema_version(db, err);
  auto fail = [&] {
    exec(db, "ROLLBACK", nullptr);
    return false;
  };
  if (v < 0) return fail();
  if (v > kSchemaVersion) {
    if (err) *err = Error(ErrorKind::unsupported, "knowledge base schema version " + std::to_string(v) + " is newer than this owlet (" +
                    std::to_string(kSchemaVersion) + ")");
    return fail();
  }
  for (; v < target; ++v) {
    Error e;
    if (!exec(db, kSteps[v], &e)) {
      if (err) *err = Error(ErrorKind::io, "migrate to schema " + std::to_string(v + 1) + ": " + e.message);
      return fail();
    }
    Stmt set(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
    set.bind(1, std::to_string(v + 1));
    if (set.step() != SQLITE_DONE) {
      if (err) *err = Error(ErrorKind::io, db_error(db, "set schema_version"));
      return fail();
    }
  }
  return exec(db, "COMMIT", err) || fail();
}

}  // namespace owlet::kb
