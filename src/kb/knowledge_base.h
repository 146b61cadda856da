// owlet's local knowledge base: one facade over three tiers.
//
//   hot  — SQLite (WAL): documents, chunks, FTS5/BM25 index, answer cache
//   warm — HNSW vectors over chunk embeddings (only with an Embedder)
//   cold — zstd archive of full document texts, checksummed
//
// A knowledge base is a directory:
//   kb.sqlite (+ -wal, -shm)   hot tier and all indexes of the others
//   kb.cold                    cold archive
//   kb.hnsw, kb.hnsw.meta      warm tier snapshot (rebuildable from kb.sqlite)
//
// Thread-safe. Writes (add, remove, cache_put, vacuum) are serialized; reads run
// on per-call reader connections and see only committed documents, whole. Several
// processes may open the same directory; SQLite arbitrates, one writer at a time.
// Errors come back in return values; nothing here throws.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "kb/answer_cache.h"
#include "kb/change_log.h"
#include "kb/chunker.h"
#include "kb/document.h"
#include "kb/embedder.h"
#include "kb/search.h"

namespace owlet::kb {

class SharedAnswerCache;

struct KbOptions {
  ChunkerOptions chunker;
  Embedder embedder;                // dim 0 / no function: warm tier off
  int near_dup_max_distance = 3;    // simhash bits; < 0 disables near-duplicate checks
  int near_dup_min_shingles = 24;   // shorter texts are compared by exact hash only
  size_t small_doc_bytes = 16384;   // cold tier: texts below this use the dictionary
  size_t dict_train_samples = 128;  // small texts needed before training a dictionary
  size_t dict_bytes = 32768;
  int rrf_k = 60;                   // reciprocal rank fusion constant
  // Per-tier weights in the fusion: score = w_hot/(rrf_k+rank_hot) + w_warm/(rrf_k+rank_warm).
  // Equal by default; lower warm_weight for a weak embedding model.
  double hot_weight = 1.0;
  double warm_weight = 1.0;
  int candidates = 50;              // per-tier candidates fused into the top k
  // Hot-tier cost bound: query terms are taken rarest first while their summed
  // document frequencies stay within this many postings (the rarest term is always
  // kept). Terms found in most chunks add little to BM25 but cost a scan each; on a
  // small knowledge base nothing is dropped. 0 = no bound.
  int64_t fts_posting_budget = 3000;
  // HNSW parameters (warm tier).
  int hnsw_m = 16;
  int hnsw_ef_construction = 100;
  int hnsw_ef_search = 128;
  // Journal every local change for a replication publisher (kb/change_log.h).
  bool journal_changes = false;
};

struct KbStats {
  int schema_version = 0;
  int64_t documents = 0;
  int64_t chunks = 0;
  int64_t vectors = 0;          // stored embeddings
  int64_t warm_live = 0;        // live elements in the HNSW index (0 when off)
  int64_t cached_answers = 0;
  AnswerCacheStats answer_cache;  // size and hit figures (cache_stats())
  int64_t cold_blobs = 0;
  int64_t cold_dictionaries = 0;
  int64_t text_bytes = 0;       // sum of document sizes
  int64_t db_bytes = 0;         // kb.sqlite + its WAL
  int64_t cold_bytes = 0;
  int64_t warm_bytes = 0;
  bool warm_enabled = false;
  std::string warm_rebuild_reason;  // why the warm tier was rebuilt at open, if it was
};

class KnowledgeBase {
 public:
  // Opens (creating if needed) the knowledge base in directory `dir`, migrating an
  // older schema. Returns nullptr with *err on failure.
  static std::unique_ptr<KnowledgeBase> open(const std::string& dir, const KbOptions& options, Error* err);
  ~KnowledgeBase();  // saves the warm index
  KnowledgeBase(const KnowledgeBase&) = delete;
  KnowledgeBase& operator=(const KnowledgeBase&) = delete;

  // Stores a document under doc.source: unchanged content is a no-op, changed content
  // replaces the old chunks in one transaction, a (near-)copy of another source is
  // reported as kDuplicate and not stored.
  AddResult add(const Document& doc);

  // Removes a document and everything derived from it, cached answers citing it
  // included (here and in a shared tier). *found = whether it existed;
  // *dropped_answers = how many local cached answers went with it.
  bool remove(const std::string& source, bool* found, Error* err, int64_t* dropped_answers = nullptr);
  bool remove(int64_t document_id, bool* found, Error* err, int64_t* dropped_answers = nullptr);

  // Hybrid search: BM25 (hot) and, with an embedder, HNSW (warm), fused by RRF.
  SearchResult search(std::string_view query, int k, const SearchFilters& filters = {}) const;

  // Metadata only (hot tier).
  std::optional<DocumentInfo> document_info(int64_t document_id) const;
  std::optional<DocumentInfo> document_info(const std::string& source) const;
  // Metadata and the full text from the cold tier. False with *err when unknown or
  // when the archive record fails its checksum.
  bool get_document(int64_t document_id, DocumentInfo* info, std::string* text, Error* err) const;
  std::vector<DocumentInfo> list_documents(int64_t offset, int64_t limit) const;

  KbStats stats() const;

  // Answer cache. An entry is stored with the sources it cites; changing or
  // removing one of them drops it (answer_cache.h).
  bool cache_put(const CachedAnswer& entry, Error* err);
  // Unexpired entry for the question (normalized first) and variant. now = 0: current time.
  std::optional<CachedAnswer> cache_get(std::string_view question, std::string_view variant, int64_t now = 0) const;
  std::optional<CachedAnswer> cache_get(std::string_view question, int64_t now = 0) const {
    return cache_get(question, std::string_view(), now);
  }
  int64_t cache_purge_expired(int64_t now = 0);
  // Unexpired entries, newest first, at most `limit` (question holds the normalized key).
  std::vector<CachedAnswer> cache_list(int64_t now = 0, int64_t limit = 10000) const;
  // Drops every cached answer, here and in a shared tier; how many were here (-1 on error).
  int64_t cache_clear(Error* err);
  // Counts one answer-cache lookup and how it was served (the hit figures of
  // cache_stats(); kept in memory and added to the database about once a second).
  void cache_count(CacheHitKind kind);
  AnswerCacheStats cache_stats() const;

  // Saves the warm index snapshot (also done on destruction).
  bool flush(Error* err);
  // Compacts everything: drops expired answers, rewrites the cold archive without
  // unreferenced records, rebuilds the HNSW graph without deleted nodes, optimizes
  // FTS5 and VACUUMs SQLite.
  bool vacuum(Error* err);

  // Runs PRAGMA integrity_check and the FTS5 integrity check; true when both pass.
  bool check_integrity(std::string* report) const;

  const std::string& dir() const;

  // Replication (kb/change_log.h). apply/apply_remove store a change read from
  // an external log and record `at` in the same transaction; a change that
  // writes nothing (unchanged, duplicate, already removed) still records `at`.
  AddResult apply(const Document& doc, const LogPosition& at);
  bool apply_remove(const std::string& source, const LogPosition& at, Error* err);
  // The last position recorded for `log` ("" = none).
  std::string applied_position(const std::string& log) const;
  // Journaled changes not yet acknowledged, oldest first, at most `limit`, each
  // with the document as that change stored it; *through = the last seq (0: none).
  std::vector<Change> pending_changes(size_t limit, int64_t* through) const;
  int64_t pending_count() const;
  bool ack_changes(int64_t through, Error* err);
  // Called (under the write lock: keep it short) after a journaled change commits.
  void set_change_listener(std::function<void()> listener);
  // A shared answer-cache tier behind the local one (kb/shared_answer_cache.h).
  void set_shared_answer_cache(std::shared_ptr<SharedAnswerCache> cache);

  struct Impl;

 private:
  explicit KnowledgeBase(std::unique_ptr<Impl> impl);
  AddResult apply_locked(const Document& doc, const LogPosition& at);
  bool apply_remove_locked(const std::string& source, const LogPosition& at, bool* removed, Error* err);
  std::unique_ptr<Impl> impl_;
};

}  // namespace owlet::kb
