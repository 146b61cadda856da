// The warm tier's lifecycle inside KnowledgeBase: embedding, vectors stored in
// SQLite, building and refreshing the HNSW graph, saving its snapshot.
#include <algorithm>
#include <cstring>

#include "kb/kb_impl.h"

namespace owlet::kb {

std::vector<std::vector<float>> KnowledgeBase::Impl::embed(const std::vector<std::string>& texts,
                                                           Error* err) const {
  std::vector<std::vector<float>> out;
  const size_t batch = static_cast<size_t>(std::max(1, opts.embedder.batch_size));
  for (size_t i = 0; i < texts.size(); i += batch) {
    std::vector<std::string> part(texts.begin() + static_cast<std::ptrdiff_t>(i),
                                  texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), i + batch)));
    std::vector<std::vector<float>> vecs = opts.embedder.embed(part);
    if (vecs.size() != part.size()) {
      if (err) *err = Error(ErrorKind::internal, "embedder returned " + std::to_string(vecs.size()) + " vectors for " +
                      std::to_string(part.size()) + " texts");
      return {};
    }
    for (auto& v : vecs) {
      if (v.size() != static_cast<size_t>(opts.embedder.dim)) {
        if (err) *err = Error(ErrorKind::internal, "embedder returned a vector of dim " + std::to_string(v.size()) + ", expected " +
                        std::to_string(opts.embedder.dim));
        return {};
      }
      l2_normalize(&v);
      out.push_back(std::move(v));
    }
  }
  return out;
}

// Makes sure every chunk has a vector from the current embedder (the writer, at
// open), so switching models or enabling the warm tier later just works.
bool KnowledgeBase::Impl::fill_missing_vectors(Error* err) {
  const Embedder& e = opts.embedder;
  sqlite3* db = writer;
  const std::string stored_id = meta_get(db, "embedder_id");
  const std::string stored_dim = meta_get(db, "embedder_dim");
  if (stored_id != e.id || stored_dim != std::to_string(e.dim)) {
    // Vectors from another model live in another space: drop them all.
    if (!exec(db, "BEGIN IMMEDIATE", err)) return false;
    const bool ok = exec(db, "DELETE FROM chunk_vectors", err) && meta_set(db, "embedder_id", e.id) &&
                    meta_set(db, "embedder_dim", std::to_string(e.dim));
    if (!exec(db, ok ? "COMMIT" : "ROLLBACK", err) || !ok) return false;
  }
  for (;;) {
    std::vector<int64_t> ids;
    std::vector<std::string> texts;
    {
      Stmt st(db,
              "SELECT c.id, c.text FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id "
              "WHERE v.chunk_id IS NULL ORDER BY c.id LIMIT 256");
      while (st.step() == SQLITE_ROW) {
        ids.push_back(st.i64(0));
        texts.push_back(st.str(1));
      }
    }
    if (ids.empty()) return true;
    const auto vecs = embed(texts, err);
    if (vecs.size() != ids.size()) return false;
    if (!exec(db, "BEGIN IMMEDIATE", err)) return false;
    bool ok = true;
    {
      Stmt ins(db, "INSERT OR REPLACE INTO chunk_vectors(chunk_id, vec) VALUES(?, ?)");
      for (size_t i = 0; ok && i < ids.size(); ++i) {
        ins.bind(1, ids[i]).bind_blob(2, vecs[i].data(), vecs[i].size() * sizeof(float));
        ok = ins.step() == SQLITE_DONE;
        ins.reset();
      }
    }
    int64_t gen = 0;
    ok = ok && bump_generation(db, &gen);
    if (!ok) {
      if (err) *err = Error(ErrorKind::io, db_error(db, "store vectors"));
      exec(db, "ROLLBACK", nullptr);
      return false;
    }
    if (!exec(db, "COMMIT", err)) return false;
    known_generation = -1;
  }
}

// Builds an HNSW graph from the vectors stored in SQLite, reading them and the
// generation they belong to in one snapshot.
std::shared_ptr<VectorIndex> KnowledgeBase::Impl::load_vectors(sqlite3* db, int64_t* gen, Error* err) const {
  const int dim = opts.embedder.dim;
  const bool own_txn = sqlite3_get_autocommit(db) != 0;
  if (own_txn && !exec(db, "BEGIN", err)) return nullptr;
  *gen = generation(db);
  int64_t count = 0;
  {
    Stmt n(db, "SELECT count(*) FROM chunk_vectors");
    if (n.step() == SQLITE_ROW) count = n.i64(0);
  }
  auto idx = std::make_shared<VectorIndex>(dim, hnsw_params());
  idx->reset(static_cast<size_t>(count) + 1024);
  bool ok = true;
  {
    Stmt st(db, "SELECT chunk_id, vec FROM chunk_vectors");
    std::vector<float> v(static_cast<size_t>(dim));
    while (ok && st.step() == SQLITE_ROW) {
      const std::string_view blob = st.blob(1);
      if (blob.size() != v.size() * sizeof(float)) continue;  // another model's shape: skip
      std::memcpy(v.data(), blob.data(), blob.size());
      ok = idx->add(st.i64(0), v.data(), err);
    }
  }
  if (own_txn) exec(db, "COMMIT", nullptr);
  return ok ? idx : nullptr;
}

// The warm index for a search whose snapshot is at the database's current
// generation. If another process changed the database since the index was built,
// rebuild it from stored vectors (no embedding needed).
std::shared_ptr<VectorIndex> KnowledgeBase::Impl::current_warm(sqlite3* db) const {
  std::lock_guard lock(warm_mu);
  const int64_t gen = generation(db);
  if (warm_generation != gen) {
    int64_t g = 0;
    Error err;
    if (auto idx = load_vectors(db, &g, &err)) {
      warm = std::move(idx);
      warm_generation = g;
      warm_dirty = true;
    }
  }
  return warm;
}

bool KnowledgeBase::flush(Error* err) {
  Impl& m = *impl_;
  m.flush_cache_counts();
  if (!m.warm_enabled) return true;
  std::lock_guard lock(m.write_mu);
  std::lock_guard wl(m.warm_mu);
  // Only when changed: the snapshot of a large index is gigabytes, and a read-only
  // user (owlet kb search) must not rewrite it on every exit.
  if (!m.warm || !m.warm_dirty) return true;
  if (!m.warm->save(m.warm_path, {m.opts.embedder.dim, m.opts.embedder.id, m.warm_generation}, err)) return false;
  m.warm_dirty = false;
  return true;
}

}  // namespace owlet::kb
