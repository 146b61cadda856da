// KnowledgeBase housekeeping: stats, vacuum (cold archive rewrite, HNSW rebuild,
// FTS optimize, SQLite VACUUM) and integrity checks.
#include <unistd.h>

#include "kb/kb_impl.h"
#include "kb/schema.h"

namespace owlet::kb {

KbStats KnowledgeBase::stats() const {
  const Impl& m = *impl_;
  KbStats s;
  Error err;
  {
    ReadTxn txn(m, &err);
    if (txn.db()) {
      sqlite3* db = txn.db();
      s.schema_version = schema_version(db, &err);
      auto count = [&](const char* sql) {
        Stmt st(db, sql);
        return st.step() == SQLITE_ROW ? st.i64(0) : 0;
      };
      s.documents = count("SELECT count(*) FROM documents");
      s.chunks = count("SELECT count(*) FROM chunks");
      s.vectors = count("SELECT count(*) FROM chunk_vectors");
      s.cached_answers = count("SELECT count(*) FROM answer_cache");
      s.cold_blobs = count("SELECT count(*) FROM cold_blobs");
      s.cold_dictionaries = count("SELECT count(*) FROM cold_dicts");
      s.text_bytes = count("SELECT coalesce(sum(bytes), 0) FROM documents");
    }
  }
  s.answer_cache = cache_stats();
  s.db_bytes = file_size(m.db_path) + file_size(m.db_path + "-wal");
  {
    std::lock_guard lock(m.cold_mu);
    s.cold_bytes = m.cold ? static_cast<int64_t>(m.cold->size()) : 0;
  }
  s.warm_enabled = m.warm_enabled;
  {
    std::lock_guard lock(m.warm_mu);
    s.warm_live = m.warm ? static_cast<int64_t>(m.warm->size()) : 0;
  }
  s.warm_bytes = file_size(m.warm_path);
  s.warm_rebuild_reason = m.warm_rebuild_reason;
  return s;
}

bool KnowledgeBase::vacuum(Error* err) {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.write_mu);
    sqlite3* db = m.writer;
    Stmt purge(db, "DELETE FROM answer_cache WHERE expires_at != 0 AND expires_at <= ?");
    purge.bind(1, now_seconds());
    purge.step();

    // Cold tier: copy live records into a fresh file; the switch is one transaction
    // (offsets + meta.cold_file), so a crash leaves either the old or the new file in
    // use, and the other is removed at the next open.
    if (!exec(db, "BEGIN IMMEDIATE", err)) return false;
    auto old = m.cold_for(db, err);
    const std::string next_file = "kb.cold." + std::to_string(now_seconds()) + "." + std::to_string(getpid());
    auto fresh = std::make_shared<ColdArchive>();
    if (!old || !fresh->open((fs::path(m.dir) / next_file).string(), err) ||
        !m.load_dictionaries(db, fresh.get(), err)) {
      exec(db, "ROLLBACK", nullptr);
      return false;
    }
    bool ok = exec(db, "DELETE FROM cold_blobs WHERE hash NOT IN (SELECT content_hash FROM documents)", err);
    std::vector<std::pair<std::string, ColdLocation>> moved;
    {
      Stmt st(db, "SELECT hash, offset, length, raw_length, dict_id FROM cold_blobs ORDER BY offset");
      while (ok && st.step() == SQLITE_ROW) {
        const ColdLocation loc{static_cast<uint64_t>(st.i64(1)), static_cast<uint64_t>(st.i64(2)),
                               static_cast<uint64_t>(st.i64(3)), static_cast<uint32_t>(st.i64(4))};
        std::string text;
        ColdLocation nl;
        // A record that fails its checksum is dropped here rather than copied; its
        // document keeps its chunks and can be re-ingested.
        if (!old->read(loc, &text, nullptr)) continue;
        ok = fresh->append(text, loc.dict_id, &nl, err);
        moved.emplace_back(st.str(0), nl);
      }
    }
    ok = ok && exec(db, "DELETE FROM cold_blobs", err) && fresh->sync(err);
    Stmt ins(db, "INSERT INTO cold_blobs(hash, offset, length, raw_length, dict_id) VALUES(?,?,?,?,?)");
    for (const auto& [hash, nl] : moved) {
      if (!ok) break;
      ins.bind(1, hash).bind(2, static_cast<int64_t>(nl.offset)).bind(3, static_cast<int64_t>(nl.length));
      ins.bind(4, static_cast<int64_t>(nl.raw_length)).bind(5, static_cast<int64_t>(nl.dict_id));
      ok = ins.step() == SQLITE_DONE;
      ins.reset();
    }
    ok = ok && meta_set(db, "cold_file", next_file);
    if (!ok || !exec(db, "COMMIT", err)) {
      if (err && err->ok()) *err = Error(ErrorKind::io, db_error(db, "vacuum"));
      exec(db, "ROLLBACK", nullptr);
      fs::remove(fs::path(m.dir) / next_file);
      return false;
    }
    {
      std::lock_guard cl(m.cold_mu);
      m.cold = fresh;
      m.cold_file = next_file;
    }
    std::error_code ec;
    fs::remove(old->path(), ec);

    // Warm tier without the tombstones of deleted chunks.
    if (m.warm_enabled) {
      std::lock_guard wl(m.warm_mu);
      int64_t gen = 0;
      auto idx = m.load_vectors(db, &gen, err);
      if (!idx) return false;
      m.warm = std::move(idx);
      m.warm_generation = gen;
      m.warm_dirty = true;
    }
    if (!exec(db, "INSERT INTO chunks_fts(chunks_fts) VALUES('optimize')", err)) return false;
    if (!exec(db, "VACUUM", err)) return false;
    if (!exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err)) return false;
  }
  return flush(err);
}

bool KnowledgeBase::check_integrity(std::string* report) const {
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) {
    if (report) *report = err.message;
    return false;
  }
  std::string out;
  Stmt st(txn.db(), "PRAGMA integrity_check");
  while (st.step() == SQLITE_ROW) out += st.str(0) + "\n";
  bool ok = out == "ok\n";
  // query_only forbids the FTS5 check (it is spelled as an INSERT); run it on a
  // private connection inside a transaction that is rolled back.
  Error e;
  sqlite3* db = open_db(impl_->db_path, false, &e);
  if (db) {
    exec(db, "BEGIN", nullptr);
    if (!exec(db, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 0)", &e)) {
      ok = false;
      out += "fts: " + e.message + "\n";
    }
    exec(db, "ROLLBACK", nullptr);
    sqlite3_close(db);
  } else {
    ok = false;
    out += e.message + "\n";
  }
  if (report) *report = out;
  return ok;
}

}  // namespace owlet::kb
