// KnowledgeBase: opening, documents in (add, remove) and out (info, full text).
// Search, the warm tier, the answer cache and maintenance live in their own files;
// the shared state is in kb_impl.h.
#include "kb/knowledge_base.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "kb/chunker.h"
#include "kb/fts_text.h"
#include "kb/kb_impl.h"
#include "kb/schema.h"
#include "kb/simhash.h"
#include "kb/text.h"

namespace owlet::kb {

const char* to_string(AddStatus s) {
  switch (s) {
    case AddStatus::kAdded: return "added";
    case AddStatus::kReplaced: return "replaced";
    case AddStatus::kUnchanged: return "unchanged";
    case AddStatus::kDuplicate: return "duplicate";
    case AddStatus::kError: return "error";
  }
  return "?";
}

bool KnowledgeBase::Impl::load_fingerprints(std::string* err) {
  fingerprints.clear();
  Stmt st(writer, "SELECT id, simhash, shingles FROM documents");
  if (!st.ok()) {
    if (err) *err = db_error(writer, "load fingerprints");
    return false;
  }
  while (st.step() == SQLITE_ROW)
    fingerprints.push_back({st.i64(0), static_cast<uint64_t>(st.i64(1)), static_cast<int>(st.i64(2))});
  known_generation = generation(writer);
  return true;
}

void KnowledgeBase::Impl::maybe_train_dictionary() {
  if (small_undict < dict_train_at) return;
  std::string err;
  auto a = cold_for(writer, &err);
  if (!a || a->latest_dictionary() != 0) return;
  std::vector<std::string> samples;
  {
    Stmt st(writer,
            "SELECT offset, length, raw_length, dict_id FROM cold_blobs WHERE dict_id = 0 AND raw_length < ? "
            "ORDER BY rowid DESC LIMIT 2000");
    st.bind(1, static_cast<int64_t>(opts.small_doc_bytes));
    while (st.step() == SQLITE_ROW) {
      ColdLocation loc{static_cast<uint64_t>(st.i64(0)), static_cast<uint64_t>(st.i64(1)),
                       static_cast<uint64_t>(st.i64(2)), static_cast<uint32_t>(st.i64(3))};
      std::string text;
      if (a->read(loc, &text, &err)) samples.push_back(std::move(text));
    }
  }
  std::string dict;
  if (!train_dictionary(samples, opts.dict_bytes, &dict, &err)) {
    dict_train_at = small_undict * 2;  // too little to learn from yet: wait for more
    return;
  }
  Stmt ins(writer, "INSERT INTO cold_dicts(id, dict) VALUES(1, ?)");
  ins.bind_blob(1, dict.data(), dict.size());
  if (ins.step() == SQLITE_DONE) a->add_dictionary(1, std::move(dict), &err);
}

KnowledgeBase::KnowledgeBase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KnowledgeBase::~KnowledgeBase() {
  std::string err;
  flush(&err);
}

const std::string& KnowledgeBase::dir() const { return impl_->dir; }

std::unique_ptr<KnowledgeBase> KnowledgeBase::open(const std::string& dir, const KbOptions& options,
                                                   std::string* err) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    if (err) *err = "cannot create knowledge base directory " + dir + ": " + ec.message();
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->opts = options;
  impl->db_path = (fs::path(dir) / "kb.sqlite").string();
  impl->warm_path = (fs::path(dir) / "kb.hnsw").string();
  impl->writer = open_db(impl->db_path, false, err);
  if (!impl->writer) return nullptr;
  if (!migrate_schema(impl->writer, err)) return nullptr;
  if (!impl->load_fingerprints(err)) return nullptr;

  // Cold tier: the active archive file and its dictionaries. Files left behind by
  // an interrupted vacuum are removed, under the write lock so this cannot race a
  // vacuum in another process (which holds it while it writes the new file).
  if (!exec(impl->writer, "BEGIN IMMEDIATE", err)) return nullptr;
  auto cold = impl->cold_for(impl->writer, err);
  if (cold) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("kb.cold", 0) == 0 && name != impl->cold_file) fs::remove(entry.path(), ec);
    }
  }
  exec(impl->writer, "COMMIT", nullptr);
  if (!cold) return nullptr;
  {
    Stmt st(impl->writer, "SELECT count(*) FROM cold_blobs WHERE dict_id = 0 AND raw_length < ?");
    st.bind(1, static_cast<int64_t>(options.small_doc_bytes));
    impl->small_undict = st.step() == SQLITE_ROW ? static_cast<size_t>(st.i64(0)) : 0;
    impl->dict_train_at = std::max<size_t>(options.dict_train_samples, 8);
  }

  // Warm tier: load the snapshot if it matches the database, else rebuild.
  if (options.embedder.enabled()) {
    const std::string stored_id = meta_get(impl->writer, "embedder_id");
    VectorIndexMeta expect{options.embedder.dim, options.embedder.id, generation(impl->writer)};
    auto idx = std::make_shared<VectorIndex>(options.embedder.dim, impl->hnsw_params());
    std::string why;
    impl->warm_enabled = true;
    if (stored_id == options.embedder.id && idx->load(impl->warm_path, expect, &why)) {
      impl->warm = std::move(idx);
      impl->warm_generation = expect.generation;
    } else {
      impl->warm_rebuild_reason = !why.empty() ? why : stored_id.empty() ? "no vectors yet" : "embedding model changed";
      if (!impl->fill_missing_vectors(err)) return nullptr;
      impl->warm = impl->load_vectors(impl->writer, &impl->warm_generation, err);
      if (!impl->warm) return nullptr;
      std::string save_err;
      impl->warm->save(impl->warm_path, {options.embedder.dim, options.embedder.id, impl->warm_generation},
                       &save_err);
    }
  }
  return std::unique_ptr<KnowledgeBase>(new KnowledgeBase(std::move(impl)));
}

AddResult KnowledgeBase::add(const Document& doc) {
  std::lock_guard lock(impl_->write_mu);
  for (int attempt = 0;; ++attempt) {
    bool archive_moved = false;
    AddResult r = impl_->add_locked(doc, &archive_moved);
    if (!archive_moved || attempt == 2) return r;
  }
}

AddResult KnowledgeBase::Impl::add_locked(const Document& doc_in, bool* archive_moved) {
  Impl& m = *this;
  AddResult r;
  auto fail = [&](std::string why) {
    r.status = AddStatus::kError;
    r.error = std::move(why);
    return r;
  };
  if (doc_in.source.empty()) return fail("document has no source");
  const std::string text = utf8_sanitize(doc_in.text);
  if (estimate_tokens(text) == 0) return fail("document has no text");
  const std::string hash = content_hash(text);

  sqlite3* db = m.writer;
  std::string err;

  // Another process may have written since our caches were filled.
  if (generation(db) != m.known_generation && !m.load_fingerprints(&err)) return fail(err);

  int64_t existing_id = 0;
  {
    Stmt st(db, "SELECT id, content_hash FROM documents WHERE source = ?");
    st.bind(1, doc_in.source);
    if (st.step() == SQLITE_ROW) {
      existing_id = st.i64(0);
      if (st.str(1) == hash) {
        r.status = AddStatus::kUnchanged;
        r.document_id = existing_id;
        return r;
      }
    }
  }
  // Exact copy under another source, then near copies (simhash).
  {
    Stmt st(db, "SELECT id FROM documents WHERE content_hash = ? AND id != ? LIMIT 1");
    st.bind(1, hash).bind(2, existing_id);
    if (st.step() == SQLITE_ROW) {
      r.status = AddStatus::kDuplicate;
      r.duplicate_of = st.i64(0);
      return r;
    }
  }
  const SimhashResult sh = simhash(text);
  if (m.opts.near_dup_max_distance >= 0 && sh.shingles >= m.opts.near_dup_min_shingles) {
    for (const Fingerprint& f : m.fingerprints) {
      if (f.id == existing_id || f.shingles < m.opts.near_dup_min_shingles) continue;
      if (hamming_distance(f.hash, sh.hash) <= m.opts.near_dup_max_distance) {
        r.status = AddStatus::kDuplicate;
        r.duplicate_of = f.id;
        return r;
      }
    }
  }

  // Everything slow happens before the write transaction: chunking, embedding and
  // the cold-archive append (which the transaction then references).
  const std::vector<Chunk> chunks = chunk_text(text, m.opts.chunker);
  std::vector<std::vector<float>> vecs;
  if (m.warm_enabled) {
    std::vector<std::string> texts;
    for (const Chunk& c : chunks) texts.push_back(c.text);
    vecs = m.embed(texts, &err);
    if (vecs.size() != chunks.size()) return fail("embedding failed: " + err);
  }
  ColdLocation loc;
  bool new_blob = false;
  {
    Stmt st(db, "SELECT 1 FROM cold_blobs WHERE hash = ?");
    st.bind(1, hash);
    new_blob = st.step() != SQLITE_ROW;
  }
  auto cold = m.cold_for(db, &err);
  if (!cold) return fail(err);
  if (new_blob) {
    const bool small = text.size() < m.opts.small_doc_bytes;
    const uint32_t dict = small ? cold->latest_dictionary() : 0;
    if (!cold->append(text, dict, &loc, &err)) return fail(err);
  }

  const std::string language = doc_in.language.empty() ? detect_language(text) : doc_in.language;
  const int64_t fetched_at = doc_in.fetched_at ? doc_in.fetched_at : now_seconds();
  if (!exec(db, "BEGIN IMMEDIATE", &err)) return fail(err);
  std::vector<int64_t> old_chunks, new_chunks;
  int64_t gen = 0;
  bool stored_meanwhile = false;
  auto write = [&]() -> bool {
    int64_t id = existing_id;
    if (existing_id) {
      // Re-check under the write lock: another process may have stored it meanwhile.
      Stmt chk(db, "SELECT content_hash FROM documents WHERE id = ?");
      chk.bind(1, existing_id);
      if (chk.step() == SQLITE_ROW && chk.str(0) == hash) {
        stored_meanwhile = true;
        return false;
      }
      Stmt old(db, "SELECT id, text FROM chunks WHERE document_id = ?");
      Stmt fts_del(db, kFtsDelete);
      old.bind(1, existing_id);
      while (old.step() == SQLITE_ROW) {
        old_chunks.push_back(old.i64(0));
        if (!fts_write(fts_del, old.i64(0), old.str(1))) return false;
      }
      Stmt del(db, "DELETE FROM chunks WHERE document_id = ?");
      del.bind(1, existing_id);
      if (del.step() != SQLITE_DONE) return false;
      Stmt up(db,
              "UPDATE documents SET title=?, language=?, source_kind=?, trust=?, fetched_at=?, modified_at=?, "
              "content_hash=?, bytes=?, simhash=?, shingles=? WHERE id=?");
      up.bind(1, doc_in.title).bind(2, language).bind(3, doc_in.source_kind).bind(4, doc_in.trust);
      up.bind(5, fetched_at).bind(6, doc_in.modified_at).bind(7, hash).bind(8, static_cast<int64_t>(text.size()));
      up.bind(9, static_cast<int64_t>(sh.hash)).bind(10, static_cast<int64_t>(sh.shingles)).bind(11, existing_id);
      if (up.step() != SQLITE_DONE) return false;
    } else {
      Stmt ins(db,
               "INSERT INTO documents(source, title, language, source_kind, trust, fetched_at, modified_at, "
               "content_hash, bytes, simhash, shingles) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
      ins.bind(1, doc_in.source).bind(2, doc_in.title).bind(3, language).bind(4, doc_in.source_kind);
      ins.bind(5, doc_in.trust).bind(6, fetched_at).bind(7, doc_in.modified_at).bind(8, hash);
      ins.bind(9, static_cast<int64_t>(text.size())).bind(10, static_cast<int64_t>(sh.hash));
      ins.bind(11, static_cast<int64_t>(sh.shingles));
      if (ins.step() != SQLITE_DONE) return false;
      id = sqlite3_last_insert_rowid(db);
    }
    Stmt ch(db, "INSERT INTO chunks(document_id, ord, text, tokens) VALUES(?,?,?,?)");
    Stmt vec(db, "INSERT INTO chunk_vectors(chunk_id, vec) VALUES(?,?)");
    Stmt fts_ins(db, kFtsInsert);
    for (size_t i = 0; i < chunks.size(); ++i) {
      ch.bind(1, id).bind(2, static_cast<int64_t>(i)).bind(3, chunks[i].text).bind(4, int64_t{chunks[i].tokens});
      if (ch.step() != SQLITE_DONE) return false;
      ch.reset();
      const int64_t cid = sqlite3_last_insert_rowid(db);
      new_chunks.push_back(cid);
      if (!fts_write(fts_ins, cid, chunks[i].text)) return false;
      if (!vecs.empty()) {
        vec.bind(1, cid).bind_blob(2, vecs[i].data(), vecs[i].size() * sizeof(float));
        if (vec.step() != SQLITE_DONE) return false;
        vec.reset();
      }
    }
    if (new_blob) {
      // The record went into cold->path(); if a vacuum switched files meanwhile, retry.
      if (fs::path(cold->path()).filename() != meta_get(db, "cold_file")) {
        *archive_moved = true;
        return false;
      }
      Stmt cb(db, "INSERT OR IGNORE INTO cold_blobs(hash, offset, length, raw_length, dict_id) VALUES(?,?,?,?,?)");
      cb.bind(1, hash).bind(2, static_cast<int64_t>(loc.offset)).bind(3, static_cast<int64_t>(loc.length));
      cb.bind(4, static_cast<int64_t>(loc.raw_length)).bind(5, static_cast<int64_t>(loc.dict_id));
      if (cb.step() != SQLITE_DONE) return false;
    }
    if (!new_blob) {
      // The text's record existed before the transaction; make sure a vacuum did not
      // drop it meanwhile (it drops records no document references).
      Stmt chk(db, "SELECT 1 FROM cold_blobs WHERE hash = ?");
      chk.bind(1, hash);
      if (chk.step() != SQLITE_ROW) {
        *archive_moved = true;
        return false;
      }
    }
    r.document_id = id;
    return bump_generation(db, &gen);
  };
  if (!write()) {
    const std::string why = db_error(db, "store " + doc_in.source);
    exec(db, "ROLLBACK", nullptr);
    if (*archive_moved) return fail("cold archive switched by a vacuum");
    if (stored_meanwhile) {
      // The re-check found the same content already stored by another writer.
      r.status = AddStatus::kUnchanged;
      r.document_id = existing_id;
      return r;
    }
    return fail(why);
  }
  if (!exec(db, "COMMIT", &err)) {
    exec(db, "ROLLBACK", nullptr);
    return fail("commit " + doc_in.source + ": " + err);
  }

  // Caches follow the committed state.
  m.known_generation = m.known_generation == gen - 1 ? gen : -1;
  if (existing_id) {
    for (auto& f : m.fingerprints)
      if (f.id == existing_id) f = {existing_id, sh.hash, sh.shingles};
  } else {
    m.fingerprints.push_back({r.document_id, sh.hash, sh.shingles});
  }
  if (m.warm_enabled) {
    std::lock_guard wl(m.warm_mu);
    if (m.warm_generation == gen - 1) {
      for (int64_t id : old_chunks) m.warm->remove(id);
      for (size_t i = 0; i < new_chunks.size(); ++i) m.warm->add(new_chunks[i], vecs[i].data(), &err);
      m.warm_generation = gen;
      m.warm_dirty = true;
    }
  }
  if (new_blob && loc.dict_id == 0 && text.size() < m.opts.small_doc_bytes) {
    ++m.small_undict;
    m.maybe_train_dictionary();
  }
  r.status = existing_id ? AddStatus::kReplaced : AddStatus::kAdded;
  r.chunks = static_cast<int>(chunks.size());
  return r;
}

bool KnowledgeBase::Impl::remove_locked(int64_t id, bool* found, std::string* err) {
  sqlite3* db = writer;
  if (found) *found = false;
  if (!exec(db, "BEGIN IMMEDIATE", err)) return false;
  std::vector<int64_t> old_chunks;
  int64_t gen = 0;
  bool ok = true;
  bool exists = false;
  {
    Stmt chk(db, "SELECT 1 FROM documents WHERE id = ?");
    chk.bind(1, id);
    exists = chk.step() == SQLITE_ROW;
  }
  if (exists) {
    Stmt old(db, "SELECT id, text FROM chunks WHERE document_id = ?");
    Stmt fts_del(db, kFtsDelete);
    old.bind(1, id);
    while (ok && old.step() == SQLITE_ROW) {
      old_chunks.push_back(old.i64(0));
      ok = fts_write(fts_del, old.i64(0), old.str(1));
    }
    Stmt del(db, "DELETE FROM documents WHERE id = ?");  // chunks and vectors cascade
    del.bind(1, id);
    ok = ok && del.step() == SQLITE_DONE && bump_generation(db, &gen);
  }
  if (!ok) {
    if (err) *err = db_error(db, "remove document");
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  if (!exec(db, "COMMIT", err)) {
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  if (!exists) return true;
  if (found) *found = true;
  std::erase_if(fingerprints, [&](const Fingerprint& f) { return f.id == id; });
  if (known_generation == gen - 1) known_generation = gen;
  if (warm_enabled) {
    std::lock_guard wl(warm_mu);
    if (warm_generation == gen - 1) {
      for (int64_t c : old_chunks) warm->remove(c);
      warm_generation = gen;
      warm_dirty = true;
    }
  }
  return true;
}

bool KnowledgeBase::remove(int64_t document_id, bool* found, std::string* err) {
  std::lock_guard lock(impl_->write_mu);
  return impl_->remove_locked(document_id, found, err);
}

bool KnowledgeBase::remove(const std::string& source, bool* found, std::string* err) {
  std::lock_guard lock(impl_->write_mu);
  Stmt st(impl_->writer, "SELECT id FROM documents WHERE source = ?");
  st.bind(1, source);
  if (st.step() != SQLITE_ROW) {
    if (found) *found = false;
    return true;
  }
  const int64_t id = st.i64(0);
  st = Stmt();
  return impl_->remove_locked(id, found, err);
}

std::optional<DocumentInfo> KnowledgeBase::document_info(int64_t document_id) const {
  std::string err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return std::nullopt;
  Stmt st(txn.db(), std::string("SELECT ") + kDocColumns + " FROM documents d WHERE d.id = ?");
  st.bind(1, document_id);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return read_doc(st);
}

std::optional<DocumentInfo> KnowledgeBase::document_info(const std::string& source) const {
  std::string err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return std::nullopt;
  Stmt st(txn.db(), std::string("SELECT ") + kDocColumns + " FROM documents d WHERE d.source = ?");
  st.bind(1, source);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return read_doc(st);
}

std::vector<DocumentInfo> KnowledgeBase::list_documents(int64_t offset, int64_t limit) const {
  std::vector<DocumentInfo> out;
  std::string err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return out;
  Stmt st(txn.db(), std::string("SELECT ") + kDocColumns + " FROM documents d ORDER BY d.id LIMIT ? OFFSET ?");
  st.bind(1, limit).bind(2, offset);
  while (st.step() == SQLITE_ROW) out.push_back(read_doc(st));
  return out;
}

bool KnowledgeBase::get_document(int64_t document_id, DocumentInfo* info, std::string* text, std::string* err) const {
  const Impl& m = *impl_;
  ReadTxn txn(m, err);
  if (!txn.db()) return false;
  sqlite3* db = txn.db();
  Stmt st(db, std::string("SELECT ") + kDocColumns +
                  ", b.offset, b.length, b.raw_length, b.dict_id FROM documents d "
                  "LEFT JOIN cold_blobs b ON b.hash = d.content_hash WHERE d.id = ?");
  st.bind(1, document_id);
  if (st.step() != SQLITE_ROW) {
    if (err) *err = "no document " + std::to_string(document_id);
    return false;
  }
  if (info) *info = read_doc(st);
  if (!text) return true;
  if (st.is_null(11)) {
    if (err) *err = "document " + std::to_string(document_id) + " has no cold-archive record";
    return false;
  }
  const ColdLocation loc{static_cast<uint64_t>(st.i64(11)), static_cast<uint64_t>(st.i64(12)),
                         static_cast<uint64_t>(st.i64(13)), static_cast<uint32_t>(st.i64(14))};
  const std::string hash = st.str(8);
  // The archive file this snapshot refers to (vacuum may have swapped it).
  auto cold = m.cold_for(db, err);
  if (!cold) return false;
  // A dictionary trained by another process after we opened the archive.
  if (loc.dict_id != 0 && cold->latest_dictionary() < loc.dict_id && !m.load_dictionaries(db, cold.get(), err))
    return false;
  if (!cold->read(loc, text, err)) return false;
  if (content_hash(*text) != hash) {
    if (err) *err = "cold archive: document " + std::to_string(document_id) + " does not match its content hash";
    return false;
  }
  return true;
}

}  // namespace owlet::kb
