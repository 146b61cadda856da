// KnowledgeBase: opening, documents in (add, remove) and out (info, full text).
// Search, the warm tier, the answer cache and maintenance live in their own files;
// the shared state is in kb_impl.h.
#include "kb/knowledge_base.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "kb/fts_text.h"
#include "kb/kb_impl.h"
#include "kb/schema.h"
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

bool KnowledgeBase::Impl::load_fingerprints(Error* err) {
  fingerprints.clear();
  Stmt st(writer, "SELECT id, simhash, shingles FROM documents");
  if (!st.ok()) {
    if (err) *err = Error(ErrorKind::io, db_error(writer, "load fingerprints"));
    return false;
  }
  while (st.step() == SQLITE_ROW)
    fingerprints.push_back({st.i64(0), static_cast<uint64_t>(st.i64(1)), static_cast<int>(st.i64(2))});
  known_generation = generation(writer);
  return true;
}

void KnowledgeBase::Impl::maybe_train_dictionary() {
  if (small_undict < dict_train_at) return;
  Error err;
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
  Error err;
  flush(&err);
}

const std::string& KnowledgeBase::dir() const { return impl_->dir; }

std::unique_ptr<KnowledgeBase> KnowledgeBase::open(const std::string& dir, const KbOptions& options,
                                                   Error* err) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    if (err) *err = Error(ErrorKind::io, "cannot create knowledge base directory " + dir + ": " + ec.message());
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
  if (options.journal_changes && !impl->open_journal(err)) return nullptr;

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
      Error save_err;  // a failed save only costs a rebuild at the next open
      impl->warm->save(impl->warm_path, {options.embedder.dim, options.embedder.id, impl->warm_generation},
                       &save_err);
    }
  }
  return std::unique_ptr<KnowledgeBase>(new KnowledgeBase(std::move(impl)));
}

AddResult KnowledgeBase::add(const Document& doc) {
  AddResult r;
  {
    std::lock_guard lock(impl_->write_mu);
    for (int attempt = 0;; ++attempt) {
      bool archive_moved = false;
      r = impl_->add_locked(doc, &archive_moved);
      if (!archive_moved || attempt == 2) break;
    }
  }
  if (r.status == AddStatus::kReplaced) impl_->drop_shared_citing(doc.source);  // outside the lock: a network call
  return r;
}

bool KnowledgeBase::Impl::remove_locked(int64_t id, bool* found, Error* err, int64_t* dropped, std::string* source_out) {
  sqlite3* db = writer;
  if (found) *found = false;
  int64_t dropped_answers = 0;
  if (!exec(db, "BEGIN IMMEDIATE", err)) return false;
  std::vector<int64_t> old_chunks;
  int64_t gen = 0;
  bool ok = true;
  bool exists = false;
  std::string source;
  {
    Stmt chk(db, "SELECT source FROM documents WHERE id = ?");
    chk.bind(1, id);
    exists = chk.step() == SQLITE_ROW;
    if (exists) source = chk.str(0);
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
    ok = ok && del.step() == SQLITE_DONE && record_remove(db, source) && bump_generation(db, &gen) &&
         drop_cached_answers(db, &source, &dropped_answers);
  }
  if (!ok) {
    if (err) *err = Error(ErrorKind::io, db_error(db, "remove document"));
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  if (!exec(db, "COMMIT", err)) {
    exec(db, "ROLLBACK", nullptr);
    return false;
  }
  if (!exists) return true;
  after_commit();
  if (found) *found = true;
  if (dropped) *dropped = dropped_answers;
  if (source_out) *source_out = source;
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

bool KnowledgeBase::remove(int64_t document_id, bool* found, Error* err, int64_t* dropped_answers) {
  bool was = false;
  std::string source;
  {
    std::lock_guard lock(impl_->write_mu);
    if (!impl_->remove_locked(document_id, &was, err, dropped_answers, &source)) return false;
  }
  if (found) *found = was;
  if (was) impl_->drop_shared_citing(source);  // outside the lock: a network call
  return true;
}

bool KnowledgeBase::remove(const std::string& source, bool* found, Error* err, int64_t* dropped_answers) {
  int64_t id = 0;
  {
    std::lock_guard lock(impl_->write_mu);
    Stmt st(impl_->writer, "SELECT id FROM documents WHERE source = ?");
    st.bind(1, source);
    if (st.step() == SQLITE_ROW) id = st.i64(0);
  }
  if (dropped_answers) *dropped_answers = 0;
  if (!id) {
    if (found) *found = false;
    return true;
  }
  return remove(id, found, err, dropped_answers);
}

std::optional<DocumentInfo> KnowledgeBase::document_info(int64_t document_id) const {
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return std::nullopt;
  Stmt st(txn.db(), std::string("SELECT ") + kDocColumns + " FROM documents d WHERE d.id = ?");
  st.bind(1, document_id);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return read_doc(st);
}

std::optional<DocumentInfo> KnowledgeBase::document_info(const std::string& source) const {
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return std::nullopt;
  Stmt st(txn.db(), std::string("SELECT ") + kDocColumns + " FROM documents d WHERE d.source = ?");
  st.bind(1, source);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return read_doc(st);
}

std::vector<DocumentInfo> KnowledgeBase::list_documents(int64_t offset, int64_t limit) const {
  std::vector<DocumentInfo> out;
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return out;
  Stmt st(txn.db(), std::string("SELECT ") + kDocColumns + " FROM documents d ORDER BY d.id LIMIT ? OFFSET ?");
  st.bind(1, limit).bind(2, offset);
  while (st.step() == SQLITE_ROW) out.push_back(read_doc(st));
  return out;
}

bool KnowledgeBase::get_document(int64_t document_id, DocumentInfo* info, std::string* text, Error* err) const {
  const Impl& m = *impl_;
  ReadTxn txn(m, err);
  if (!txn.db()) return false;
  sqlite3* db = txn.db();
  Stmt st(db, std::string("SELECT ") + kDocColumns +
                  ", b.offset, b.length, b.raw_length, b.dict_id FROM documents d "
                  "LEFT JOIN cold_blobs b ON b.hash = d.content_hash WHERE d.id = ?");
  st.bind(1, document_id);
  if (st.step() != SQLITE_ROW) {
    if (err) *err = Error(ErrorKind::not_found, "no document " + std::to_string(document_id));
    return false;
  }
  if (info) *info = read_doc(st);
  if (!text) return true;
  if (st.is_null(11)) {
    if (err) *err = Error(ErrorKind::internal, "document " + std::to_string(document_id) + " has no cold-archive record");
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
    if (err) *err = Error(ErrorKind::internal, "cold archive: document " + std::to_string(document_id) + " does not match its content hash");
    return false;
  }
  return true;
}

}  // namespace owlet::kb
