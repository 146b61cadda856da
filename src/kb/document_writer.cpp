// Documents in: KnowledgeBase::Impl::add_locked and its steps. A document is
// checked against what is stored (same source, same or near-same text
// elsewhere), prepared outside the write transaction (chunks, vectors, the
// cold-archive record), then written in one IMMEDIATE transaction that re-reads
// the source row under the write lock, so two processes adding the same source
// at once end as one row (the second replaces or finds it unchanged) instead of
// a UNIQUE failure.
#include <algorithm>

#include "kb/chunker.h"
#include "kb/kb_impl.h"
#include "common/simhash.h"
#include "kb/text.h"

namespace owlet::kb {
namespace {

// What the steps before the transaction work out for one document.
struct Prepared {
  std::string text;      // UTF-8 sanitized
  std::string hash;      // content_hash(text)
  std::string language;
  int64_t fetched_at = 0;
  SimhashResult sh;
  std::vector<Chunk> chunks;
  std::vector<std::vector<float>> vecs;  // one per chunk when the warm tier is on
  std::shared_ptr<ColdArchive> cold;
  ColdLocation loc;
  bool new_blob = false;  // the text had no cold record yet: loc is the one appended
};

// The row written (or found) inside the transaction.
struct Written {
  int64_t id = 0;
  bool replaced = false;   // an existing row for the source was updated
  bool unchanged = false;  // the same content was already stored (by another writer meanwhile)
  std::vector<int64_t> old_chunks, new_chunks;
  int64_t generation = 0;
  int64_t dropped_answers = 0;  // cached answers the change made stale
};

AddResult failed(ErrorKind kind, std::string why) {
  AddResult r;
  r.status = AddStatus::kError;
  r.error = Error(kind, std::move(why));
  return r;
}

AddResult settled(AddStatus status, int64_t document_id, int64_t duplicate_of = 0) {
  AddResult r;
  r.status = status;
  r.document_id = document_id;
  r.duplicate_of = duplicate_of;
  return r;
}

// The stored row for a source: its id and content hash (id 0 when there is none).
int64_t find_source(sqlite3* db, const std::string& source, std::string* hash) {
  Stmt st(db, "SELECT id, content_hash FROM documents WHERE source = ?");
  st.bind(1, source);
  if (st.step() != SQLITE_ROW) return 0;
  *hash = st.str(1);
  return st.i64(0);
}

// Another source already holding the same text (exactly, then by simhash): its id, or 0.
int64_t find_duplicate(const KnowledgeBase::Impl& m, sqlite3* db, const Prepared& p, int64_t existing_id) {
  {
    Stmt st(db, "SELECT id FROM documents WHERE content_hash = ? AND id != ? LIMIT 1");
    st.bind(1, p.hash).bind(2, existing_id);
    if (st.step() == SQLITE_ROW) return st.i64(0);
  }
  if (m.opts.near_dup_max_distance < 0 || p.sh.shingles < m.opts.near_dup_min_shingles) return 0;
  for (const Fingerprint& f : m.fingerprints) {
    if (f.id == existing_id || f.shingles < m.opts.near_dup_min_shingles) continue;
    if (hamming_distance(f.hash, p.sh.hash) <= m.opts.near_dup_max_distance) return f.id;
  }
  return 0;
}

// The slow part, before any lock on the database: chunks, their vectors, and the
// text's cold-archive record (which the transaction then references).
bool prepare(const KnowledgeBase::Impl& m, sqlite3* db, Prepared* p, Error* err) {
  p->chunks = chunk_text(p->text, m.opts.chunker);
  if (m.warm_enabled) {
    std::vector<std::string> texts;
    for (const Chunk& c : p->chunks) texts.push_back(c.text);
    p->vecs = m.embed(texts, err);
    if (p->vecs.size() != p->chunks.size())
      return fail(err, err->ok() ? ErrorKind::internal : err->kind, "embedding failed: " + err->message);
  }
  {
    Stmt st(db, "SELECT 1 FROM cold_blobs WHERE hash = ?");
    st.bind(1, p->hash);
    p->new_blob = st.step() != SQLITE_ROW;
  }
  p->cold = m.cold_for(db, err);
  if (!p->cold) return false;
  if (p->new_blob) {
    const bool small = p->text.size() < m.opts.small_doc_bytes;
    const uint32_t dict = small ? p->cold->latest_dictionary() : 0;
    if (!p->cold->append(p->text, dict, &p->loc, err)) return false;
  }
  return true;
}

// The documents row: updated in place (its old chunks and postings removed) or inserted.
bool write_row(sqlite3* db, const Document& doc, const Prepared& p, Written* w) {
  if (w->id) {
    Stmt old(db, "SELECT id, text FROM chunks WHERE document_id = ?");
    Stmt fts_del(db, kFtsDelete);
    old.bind(1, w->id);
    while (old.step() == SQLITE_ROW) {
      w->old_chunks.push_back(old.i64(0));
      if (!fts_write(fts_del, old.i64(0), old.str(1))) return false;
    }
    Stmt del(db, "DELETE FROM chunks WHERE document_id = ?");
    del.bind(1, w->id);
    if (del.step() != SQLITE_DONE) return false;
    Stmt up(db,
            "UPDATE documents SET title=?, language=?, source_kind=?, trust=?, fetched_at=?, modified_at=?, "
            "content_hash=?, bytes=?, simhash=?, shingles=? WHERE id=?");
    up.bind(1, doc.title).bind(2, p.language).bind(3, doc.source_kind).bind(4, doc.trust);
    up.bind(5, p.fetched_at).bind(6, doc.modified_at).bind(7, p.hash).bind(8, static_cast<int64_t>(p.text.size()));
    up.bind(9, static_cast<int64_t>(p.sh.hash)).bind(10, static_cast<int64_t>(p.sh.shingles)).bind(11, w->id);
    return up.step() == SQLITE_DONE;
  }
  Stmt ins(db,
           "INSERT INTO documents(source, title, language, source_kind, trust, fetched_at, modified_at, "
           "content_hash, bytes, simhash, shingles) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, doc.source).bind(2, doc.title).bind(3, p.language).bind(4, doc.source_kind);
  ins.bind(5, doc.trust).bind(6, p.fetched_at).bind(7, doc.modified_at).bind(8, p.hash);
  ins.bind(9, static_cast<int64_t>(p.text.size())).bind(10, static_cast<int64_t>(p.sh.hash));
  ins.bind(11, static_cast<int64_t>(p.sh.shingles));
  if (ins.step() != SQLITE_DONE) return false;
  w->id = sqlite3_last_insert_rowid(db);
  return true;
}

// The chunks, their postings and (warm tier) their vectors.
bool write_chunks(sqlite3* db, const Prepared& p, Written* w) {
  Stmt ch(db, "INSERT INTO chunks(document_id, ord, text, tokens) VALUES(?,?,?,?)");
  Stmt vec(db, "INSERT INTO chunk_vectors(chunk_id, vec) VALUES(?,?)");
  Stmt fts_ins(db, kFtsInsert);
  for (size_t i = 0; i < p.chunks.size(); ++i) {
    ch.bind(1, w->id).bind(2, static_cast<int64_t>(i)).bind(3, p.chunks[i].text).bind(4, int64_t{p.chunks[i].tokens});
    if (ch.step() != SQLITE_DONE) return false;
    ch.reset();
    const int64_t cid = sqlite3_last_insert_rowid(db);
    w->new_chunks.push_back(cid);
    if (!fts_write(fts_ins, cid, p.chunks[i].text)) return false;
    if (!p.vecs.empty()) {
      vec.bind(1, cid).bind_blob(2, p.vecs[i].data(), p.vecs[i].size() * sizeof(float));
      if (vec.step() != SQLITE_DONE) return false;
      vec.reset();
    }
  }
  return true;
}

// Points the database at the text's cold record. A vacuum (perhaps in another
// process) may have switched archive files, or dropped an unreferenced record,
// since prepare(): then *archive_moved and the caller prepares again.
bool reference_blob(sqlite3* db, const Prepared& p, bool* archive_moved) {
  if (p.new_blob) {
    if (fs::path(p.cold->path()).filename() != meta_get(db, "cold_file")) {
      *archive_moved = true;
      return false;
    }
    Stmt cb(db, "INSERT OR IGNORE INTO cold_blobs(hash, offset, length, raw_length, dict_id) VALUES(?,?,?,?,?)");
    cb.bind(1, p.hash).bind(2, static_cast<int64_t>(p.loc.offset)).bind(3, static_cast<int64_t>(p.loc.length));
    cb.bind(4, static_cast<int64_t>(p.loc.raw_length)).bind(5, static_cast<int64_t>(p.loc.dict_id));
    return cb.step() == SQLITE_DONE;
  }
  Stmt chk(db, "SELECT 1 FROM cold_blobs WHERE hash = ?");
  chk.bind(1, p.hash);
  if (chk.step() == SQLITE_ROW) return true;
  *archive_moved = true;
  return false;
}

// The whole write, inside BEGIN IMMEDIATE. The source row is looked up again
// under the write lock: another process may have stored it since our first look.
bool write_document(sqlite3* db, const Document& doc, const Prepared& p, Written* w, bool* archive_moved) {
  std::string stored_hash;
  w->id = find_source(db, doc.source, &stored_hash);
  if (w->id && stored_hash == p.hash) {
    w->unchanged = true;
    return true;
  }
  w->replaced = w->id != 0;
  // Cached answers built on the old text go with it, in the same transaction;
  // a new document drops only the answers that found nothing.
  return write_row(db, doc, p, w) && write_chunks(db, p, w) && reference_blob(db, p, archive_moved) &&
         bump_generation(db, &w->generation) &&
         drop_cached_answers(db, w->replaced ? &doc.source : nullptr, &w->dropped_answers);
}

// Caches follow the committed state: fingerprints, the warm index, and the
// count of small records waiting for a compression dictionary.
void after_write(KnowledgeBase::Impl& m, const Prepared& p, const Written& w) {
  auto& known_generation = m.known_generation;
  auto& fingerprints = m.fingerprints;
  known_generation = known_generation == w.generation - 1 ? w.generation : -1;
  auto f = std::find_if(fingerprints.begin(), fingerprints.end(), [&](const Fingerprint& x) { return x.id == w.id; });
  if (f != fingerprints.end()) *f = {w.id, p.sh.hash, p.sh.shingles};
  else fingerprints.push_back({w.id, p.sh.hash, p.sh.shingles});
  if (m.warm_enabled) {
    std::lock_guard wl(m.warm_mu);
    if (m.warm_generation == w.generation - 1) {
      Error ignored;  // a failed in-memory add only costs recall until the next rebuild
      for (int64_t id : w.old_chunks) m.warm->remove(id);
      for (size_t i = 0; i < w.new_chunks.size(); ++i) m.warm->add(w.new_chunks[i], p.vecs[i].data(), &ignored);
      m.warm_generation = w.generation;
      m.warm_dirty = true;
    }
  }
  if (p.new_blob && p.loc.dict_id == 0 && p.text.size() < m.opts.small_doc_bytes) {
    ++m.small_undict;
    m.maybe_train_dictionary();
  }
}

}  // namespace

AddResult KnowledgeBase::Impl::add_locked(const Document& doc, bool* archive_moved) {
  if (doc.source.empty()) return failed(ErrorKind::bad_request, "document has no source");
  Prepared p;
  p.text = utf8_sanitize(doc.text);
  if (estimate_tokens(p.text) == 0) return failed(ErrorKind::bad_request, "document has no text");
  p.hash = content_hash(p.text);
  p.sh = simhash(p.text);
  p.language = doc.language.empty() ? detect_language(p.text) : doc.language;
  p.fetched_at = doc.fetched_at ? doc.fetched_at : now_seconds();

  sqlite3* db = writer;
  Error err;
  // Another process may have written since our caches were filled.
  if (generation(db) != known_generation && !load_fingerprints(&err)) return failed(err.kind, err.message);
  std::string stored_hash;
  const int64_t existing_id = find_source(db, doc.source, &stored_hash);
  if (existing_id && stored_hash == p.hash) return settled(AddStatus::kUnchanged, existing_id);
  if (int64_t dup = find_duplicate(*this, db, p, existing_id)) return settled(AddStatus::kDuplicate, 0, dup);
  if (!prepare(*this, db, &p, &err)) return failed(err.kind, err.message);

  if (!exec(db, "BEGIN IMMEDIATE", &err)) return failed(err.kind, err.message);
  Written w;
  // The journal row (or the applied log position) commits with the change (kb/change_log.h).
  if (!write_document(db, doc, p, &w, archive_moved) ||
      (!w.unchanged && !record_upsert(db, doc, p.text, p.language, p.fetched_at, p.hash))) {
    const std::string why = db_error(db, "store " + doc.source);
    exec(db, "ROLLBACK", nullptr);
    return failed(ErrorKind::io, *archive_moved ? "cold archive switched by a vacuum" : why);
  }
  if (w.unchanged) {
    exec(db, "ROLLBACK", nullptr);
    return settled(AddStatus::kUnchanged, w.id);
  }
  if (!exec(db, "COMMIT", &err)) {
    exec(db, "ROLLBACK", nullptr);
    return failed(err.kind, "commit " + doc.source + ": " + err.message);
  }
  after_commit();
  after_write(*this, p, w);
  AddResult r = settled(w.replaced ? AddStatus::kReplaced : AddStatus::kAdded, w.id);
  r.chunks = static_cast<int>(p.chunks.size());
  r.dropped_answers = w.dropped_answers;
  return r;
}

}  // namespace owlet::kb
