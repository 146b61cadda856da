// Internal to kb: the KnowledgeBase implementation state shared by the files that
// implement the facade (knowledge_base.cpp: documents; hybrid_search.cpp;
// warm_tier.cpp; answer_cache.cpp; maintenance.cpp). Not a public header.
#pragma once

#include "common/error.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kb/change_log.h"
#include "kb/cold_archive.h"
#include "kb/fts_text.h"
#include "kb/knowledge_base.h"
#include "kb/sqlite_util.h"
#include "kb/vector_index.h"

namespace owlet::kb {
namespace fs = std::filesystem;

inline int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

inline std::string content_hash(std::string_view text) {
  const XXH128_hash_t h = XXH3_128bits(text.data(), text.size());
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return buf;
}

inline int64_t file_size(const fs::path& p) {
  std::error_code ec;
  const auto n = fs::file_size(p, ec);
  return ec ? 0 : static_cast<int64_t>(n);
}

inline std::string meta_get(sqlite3* db, const char* key) {
  Stmt st(db, "SELECT value FROM meta WHERE key=?");
  st.bind(1, std::string_view(key));
  return st.step() == SQLITE_ROW ? st.str(0) : std::string();
}

inline bool meta_set(sqlite3* db, const char* key, const std::string& value) {
  Stmt st(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  st.bind(1, std::string_view(key)).bind(2, value);
  return st.step() == SQLITE_DONE;
}

inline int64_t generation(sqlite3* db) {
  const std::string g = meta_get(db, "generation");
  return g.empty() ? 0 : std::stoll(g);
}

inline bool bump_generation(sqlite3* db, int64_t* gen) {
  *gen = generation(db) + 1;
  return meta_set(db, "generation", std::to_string(*gen));
}

// Removes a chunk's postings: a contentless FTS5 table deletes by re-supplying the
// indexed values, recomputed from the stored chunk text.
inline constexpr const char* kFtsDelete = "INSERT INTO chunks_fts(chunks_fts, rowid, latin, cjk) VALUES('delete', ?, ?, ?)";
inline constexpr const char* kFtsInsert = "INSERT INTO chunks_fts(rowid, latin, cjk) VALUES(?, ?, ?)";

// Runs a prepared kFtsDelete or kFtsInsert for one chunk.
inline bool fts_write(Stmt& st, int64_t chunk_id, std::string_view text) {
  st.bind(1, chunk_id).bind(2, fts_latin_column(text)).bind(3, fts_cjk_column(text));
  const bool ok = st.step() == SQLITE_DONE;
  st.reset();
  return ok;
}

inline constexpr const char* kDocColumns =
    "d.id, d.source, d.title, d.language, d.source_kind, d.trust, d.fetched_at, d.modified_at, d.content_hash, "
    "d.bytes, (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)";

inline DocumentInfo read_doc(const Stmt& st) {
  DocumentInfo d;
  d.id = st.i64(0);
  d.source = st.str(1);
  d.title = st.str(2);
  d.language = st.str(3);
  d.source_kind = st.str(4);
  d.trust = st.f64(5);
  d.fetched_at = st.i64(6);
  d.modified_at = st.i64(7);
  d.content_hash = st.str(8);
  d.bytes = st.i64(9);
  d.chunks = st.i64(10);
  return d;
}

inline bool passes_filters(const SearchFilters& f, const SearchHit& h, int64_t modified_at) {
  if (!f.source_kinds.empty() &&
      std::find(f.source_kinds.begin(), f.source_kinds.end(), h.source_kind) == f.source_kinds.end())
    return false;
  if (!f.language.empty() && h.language != f.language) return false;
  if (h.trust < f.min_trust) return false;
  if (f.modified_after > 0 && modified_at <= f.modified_after) return false;
  if (!f.source_prefix.empty() && h.source.compare(0, f.source_prefix.size(), f.source_prefix) != 0) return false;
  return true;
}

// Inside a write transaction that changes documents: drops the cached answers
// the change makes stale, those citing `changed_source` (a removed or replaced
// document; null for a new one) and those that found nothing. answer_cache.cpp.
bool drop_cached_answers(sqlite3* db, const std::string* changed_source, int64_t* dropped);

struct Fingerprint {
  int64_t id;
  uint64_t hash;
  int shingles;
};

struct KnowledgeBase::Impl {
  std::string dir;
  KbOptions opts;
  std::string db_path;
  std::string warm_path;

  // Writer side: one connection, one writer at a time.
  sqlite3* writer = nullptr;
  std::mutex write_mu;
  std::vector<Fingerprint> fingerprints;  // near-duplicate candidates (write_mu)
  int64_t known_generation = -1;          // generation the writer's caches reflect
  size_t small_undict = 0;                // small cold records without a dictionary
  size_t dict_train_at = 0;

  // Readers: pooled connections, each used by one call at a time.
  mutable std::mutex pool_mu;
  mutable std::vector<sqlite3*> idle_readers;

  // Cold tier; reopened when vacuum swaps the archive file.
  mutable std::mutex cold_mu;
  mutable std::shared_ptr<ColdArchive> cold;
  mutable std::string cold_file;

  // Warm tier (null when off). warm_generation is the database generation it
  // reflects; a mismatch at search time (another process wrote) triggers a rebuild.
  bool warm_enabled = false;
  mutable std::mutex warm_mu;  // guards the pointer, warm_generation and rebuilds
  mutable std::shared_ptr<VectorIndex> warm;
  mutable int64_t warm_generation = -1;
  mutable bool warm_dirty = false;  // differs from kb.hnsw: save on flush/close
  std::string warm_rebuild_reason;

  // Replication (change_log.cpp). `applying` is set (under write_mu) while a
  // change from an external log is stored; `journaled` while a local one was.
  bool journal = false;
  const LogPosition* applying = nullptr;
  bool journaled = false;
  std::function<void()> change_listener;  // write_mu
  mutable std::mutex shared_mu;
  std::shared_ptr<SharedAnswerCache> shared_answers;  // shared_mu
  // Answer-cache hit figures not yet added to meta (answer_cache.cpp).
  std::mutex counts_mu;
  int64_t pending_lookups = 0, pending_exact = 0, pending_paraphrase = 0;  // counts_mu
  std::chrono::steady_clock::time_point counts_flushed = std::chrono::steady_clock::now();

  ~Impl() {
    for (sqlite3* db : idle_readers) sqlite3_close(db);
    sqlite3_close(writer);
  }

  sqlite3* acquire_reader(Error* err) const {
    {
      std::lock_guard lock(pool_mu);
      if (!idle_readers.empty()) {
        sqlite3* db = idle_readers.back();
        idle_readers.pop_back();
        return db;
      }
    }
    return open_db(db_path, /*read_only=*/true, err);
  }

  void release_reader(sqlite3* db) const {
    std::lock_guard lock(pool_mu);
    if (idle_readers.size() < 8) {
      idle_readers.push_back(db);
    } else {
      sqlite3_close(db);
    }
  }

  // The archive the database (as seen through `db`) points at; vacuum, perhaps in
  // another process, may have switched files since we last looked.
  std::shared_ptr<ColdArchive> cold_for(sqlite3* db, Error* err) const {
    std::string file = meta_get(db, "cold_file");
    if (file.empty()) file = "kb.cold";
    std::lock_guard lock(cold_mu);
    if (cold && cold_file == file) return cold;
    auto a = std::make_shared<ColdArchive>();
    if (!a->open((fs::path(dir) / file).string(), err) || !load_dictionaries(db, a.get(), err)) return nullptr;
    cold = a;
    cold_file = file;
    return a;
  }

  bool load_dictionaries(sqlite3* db, ColdArchive* a, Error* err) const {
    Stmt st(db, "SELECT id, dict FROM cold_dicts ORDER BY id");
    while (st.step() == SQLITE_ROW) {
      if (!a->add_dictionary(static_cast<uint32_t>(st.i64(0)), std::string(st.blob(1)), err)) return false;
    }
    return true;
  }

  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts, Error* err) const;
  bool load_fingerprints(Error* err);
  bool fill_missing_vectors(Error* err);
  std::shared_ptr<VectorIndex> load_vectors(sqlite3* db, int64_t* gen, Error* err) const;
  std::shared_ptr<VectorIndex> current_warm(sqlite3* db) const;
  void maybe_train_dictionary();
  HnswParams hnsw_params() const { return {opts.hnsw_m, opts.hnsw_ef_construction, opts.hnsw_ef_search}; }
  std::string hot_match(sqlite3* db, std::string_view query, std::vector<int64_t>* dfs) const;
  AddResult add_locked(const Document& doc, bool* archive_moved);
  bool remove_locked(int64_t id, bool* found, Error* err, int64_t* dropped = nullptr, std::string* source = nullptr);
  // Inside a write transaction: journal the change (the document as stored),
  // or record the log position of the change being applied. After the commit:
  // tell the listener.
  bool record_upsert(sqlite3* db, const Document& doc, std::string_view text, std::string_view language,
                     int64_t fetched_at, std::string_view hash);
  bool record_remove(sqlite3* db, const std::string& source);
  void after_commit();
  bool open_journal(Error* err);
  bool record_position(const LogPosition& at, Error* err);  // alone, in its own transaction
  bool cache_put_local(const CachedAnswer& e, Error* err);
  // Drops the shared tier's answers citing `source` (after a local remove or replace).
  void drop_shared_citing(const std::string& source);
  // Adds the pending hit figures to meta (takes write_mu).
  void flush_cache_counts();
};

// A read transaction on a pooled connection, released on destruction: every read
// in it sees one committed snapshot.
class ReadTxn {
 public:
  ReadTxn(const KnowledgeBase::Impl& kb, Error* err) : kb_(kb) {
    db_ = kb.acquire_reader(err);
    if (db_ && !exec(db_, "BEGIN", err)) {
      sqlite3_close(db_);
      db_ = nullptr;
    }
  }
  ~ReadTxn() {
    if (!db_) return;
    exec(db_, "COMMIT", nullptr);
    kb_.release_reader(db_);
  }
  sqlite3* db() const { return db_; }

 private:
  const KnowledgeBase::Impl& kb_;
  sqlite3* db_ = nullptr;
};

}  // namespace owlet::kb
