// KnowledgeBase's answer cache: exact lookups by normalized question, with expiry.
// With a shared tier (kb/shared_answer_cache.h) behind it: writes go to both,
// a local miss asks the shared tier and copies a hit locally.
//
// Invalidation: each answer's cites are rows of answer_cites; a document's
// removal or replacement deletes the answers citing it inside its own write
// transaction (drop_cached_answers), so no reader ever sees the document gone
// and its answers still there.
#include "kb/kb_impl.h"
#include "kb/shared_answer_cache.h"
#include "kb/text.h"

namespace owlet::kb {
namespace {

constexpr const char* kColumns = "question, answer, sources, route, created_at, expires_at, variant, found_nothing, id";

// A row of "SELECT <kColumns>"; the cites are read apart (read_cites).
CachedAnswer read_answer(Stmt& st) {
  CachedAnswer a;
  a.question = st.str(0);
  a.answer = st.str(1);
  a.sources_json = st.str(2);
  a.route = st.str(3);
  a.created_at = st.i64(4);
  a.expires_at = st.i64(5);
  a.variant = st.str(6);
  a.found_nothing = st.i64(7) != 0;
  return a;
}

std::vector<std::string> read_cites(sqlite3* db, int64_t answer_id) {
  std::vector<std::string> out;
  Stmt st(db, "SELECT source FROM answer_cites WHERE answer_id = ?");
  st.bind(1, answer_id);
  while (st.step() == SQLITE_ROW) out.push_back(st.str(0));
  return out;
}

int64_t changes(sqlite3* db) { return static_cast<int64_t>(sqlite3_changes(db)); }

}  // namespace

std::string shared_answer_key(std::string_view question, std::string_view variant) {
  std::string k = normalize_question(question);
  k += '\x1f';
  k += variant;
  return k;
}

bool drop_cached_answers(sqlite3* db, const std::string* changed_source, int64_t* dropped) {
  int64_t n = 0;
  if (changed_source) {
    Stmt st(db, "DELETE FROM answer_cache WHERE id IN (SELECT answer_id FROM answer_cites WHERE source = ?)");
    st.bind(1, *changed_source);
    if (st.step() != SQLITE_DONE) return false;
    n += changes(db);
  }
  Stmt nothing(db, "DELETE FROM answer_cache WHERE found_nothing != 0");
  if (nothing.step() != SQLITE_DONE) return false;
  n += changes(db);
  if (dropped) *dropped += n;
  return true;
}

std::shared_ptr<SharedAnswerCache> shared_of(const KnowledgeBase::Impl& m) {
  std::lock_guard lock(m.shared_mu);
  return m.shared_answers;
}

bool KnowledgeBase::cache_put(const CachedAnswer& e_in, Error* err) {
  CachedAnswer e = e_in;
  if (!e.created_at) e.created_at = now_seconds();
  if (!impl_->cache_put_local(e, err)) return false;
  // An answer that found nothing is valid for this knowledge base's version only.
  if (e.found_nothing) return true;
  if (auto shared = shared_of(*impl_)) shared->put(shared_answer_key(e.question, e.variant), e);
  return true;
}

void KnowledgeBase::set_shared_answer_cache(std::shared_ptr<SharedAnswerCache> cache) {
  std::lock_guard lock(impl_->shared_mu);
  impl_->shared_answers = std::move(cache);
}

void KnowledgeBase::Impl::drop_shared_citing(const std::string& source) {
  if (auto shared = shared_of(*this)) shared->drop_citing(source);
}

bool KnowledgeBase::Impl::cache_put_local(const CachedAnswer& e, Error* err) {
  std::lock_guard lock(write_mu);
  if (!exec(writer, "BEGIN IMMEDIATE", err)) return false;
  bool ok = true;
  {
    // REPLACE deletes the old row, and its cites with it (ON DELETE CASCADE).
    Stmt del(writer, "DELETE FROM answer_cache WHERE question = ? AND variant = ?");
    del.bind(1, normalize_question(e.question)).bind(2, e.variant);
    ok = del.step() == SQLITE_DONE;
  }
  if (ok) {
    Stmt st(writer,
            "INSERT INTO answer_cache(question, answer, sources, route, created_at, expires_at, variant, found_nothing) "
            "VALUES(?,?,?,?,?,?,?,?)");
    st.bind(1, normalize_question(e.question)).bind(2, e.answer).bind(3, e.sources_json).bind(4, e.route);
    st.bind(5, e.created_at ? e.created_at : now_seconds()).bind(6, e.expires_at).bind(7, e.variant);
    st.bind(8, static_cast<int64_t>(e.found_nothing ? 1 : 0));
    ok = st.step() == SQLITE_DONE;
  }
  if (ok) {
    const int64_t id = sqlite3_last_insert_rowid(writer);
    Stmt cite(writer, "INSERT OR IGNORE INTO answer_cites(source, answer_id) VALUES(?, ?)");
    for (const auto& s : e.cites) {
      if (s.empty()) continue;
      cite.bind(1, s).bind(2, id);
      ok = ok && cite.step() == SQLITE_DONE;
      cite.reset();
    }
  }
  if (!ok || !exec(writer, "COMMIT", err)) {
    if (err && err->ok()) *err = Error(ErrorKind::io, db_error(writer, "cache answer"));
    exec(writer, "ROLLBACK", nullptr);
    return false;
  }
  return true;
}

std::optional<CachedAnswer> KnowledgeBase::cache_get(std::string_view question, std::string_view variant,
                                                     int64_t now) const {
  const std::string key = normalize_question(question);
  if (!now) now = now_seconds();
  {
    Error err;
    ReadTxn txn(*impl_, &err);
    if (!txn.db()) return std::nullopt;
    Stmt st(txn.db(), std::string("SELECT ") + kColumns +
                          " FROM answer_cache WHERE question = ? AND variant = ? AND (expires_at = 0 OR expires_at > ?)");
    st.bind(1, key).bind(2, variant).bind(3, now);
    if (st.step() == SQLITE_ROW) {
      CachedAnswer a = read_answer(st);
      a.cites = read_cites(txn.db(), st.i64(8));
      return a;
    }
  }
  auto shared = shared_of(*impl_);
  if (!shared) return std::nullopt;
  std::optional<CachedAnswer> hit = shared->get(shared_answer_key(key, variant));
  if (!hit || hit->found_nothing || (hit->expires_at != 0 && hit->expires_at <= now)) return std::nullopt;
  hit->question = key;
  hit->variant = std::string(variant);
  // A cited document stored here after the answer was made (replaced by another
  // process, or on another replica whose change this one applied): stale.
  {
    Error err;
    ReadTxn txn(*impl_, &err);
    if (!txn.db()) return std::nullopt;
    Stmt doc(txn.db(), "SELECT fetched_at FROM documents WHERE source = ?");
    for (const auto& source : hit->cites) {
      doc.bind(1, source);
      const bool stale = doc.step() == SQLITE_ROW && doc.i64(0) > hit->created_at;
      doc.reset();
      if (stale) {
        shared->drop_citing(source);
        return std::nullopt;
      }
    }
  }
  Error err;
  impl_->cache_put_local(*hit, &err);  // the next lookup stays local; a failed copy is only slower
  return hit;
}

std::vector<CachedAnswer> KnowledgeBase::cache_list(int64_t now, int64_t limit) const {
  std::vector<CachedAnswer> out;
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return out;
  Stmt st(txn.db(), std::string("SELECT ") + kColumns +
                        " FROM answer_cache WHERE expires_at = 0 OR expires_at > ? ORDER BY created_at DESC LIMIT ?");
  st.bind(1, now ? now : now_seconds()).bind(2, limit);
  while (st.step() == SQLITE_ROW) out.push_back(read_answer(st));
  return out;
}

int64_t KnowledgeBase::cache_purge_expired(int64_t now) {
  std::lock_guard lock(impl_->write_mu);
  Stmt st(impl_->writer, "DELETE FROM answer_cache WHERE expires_at != 0 AND expires_at <= ?");
  st.bind(1, now ? now : now_seconds());
  if (st.step() != SQLITE_DONE) return -1;
  return changes(impl_->writer);
}

int64_t KnowledgeBase::cache_clear(Error* err) {
  int64_t n = 0;
  {
    std::lock_guard lock(impl_->write_mu);
    Stmt st(impl_->writer, "DELETE FROM answer_cache");
    if (st.step() != SQLITE_DONE) {
      if (err) *err = Error(ErrorKind::io, db_error(impl_->writer, "clear the answer cache"));
      return -1;
    }
    n = changes(impl_->writer);
  }
  if (auto shared = shared_of(*impl_)) shared->clear();
  return n;
}

void KnowledgeBase::cache_count(CacheHitKind kind) {
  Impl& m = *impl_;
  bool due = false;
  {
    std::lock_guard lock(m.counts_mu);
    ++m.pending_lookups;
    if (kind == CacheHitKind::exact) ++m.pending_exact;
    if (kind == CacheHitKind::paraphrase) ++m.pending_paraphrase;
    due = std::chrono::steady_clock::now() - m.counts_flushed >= std::chrono::seconds(1);
  }
  if (due) m.flush_cache_counts();
}

void KnowledgeBase::Impl::flush_cache_counts() {
  int64_t lookups, exact, paraphrase;
  {
    std::lock_guard lock(counts_mu);
    lookups = pending_lookups;
    exact = pending_exact;
    paraphrase = pending_paraphrase;
    pending_lookups = pending_exact = pending_paraphrase = 0;
    counts_flushed = std::chrono::steady_clock::now();
  }
  if (lookups == 0) return;
  std::lock_guard lock(write_mu);
  Stmt st(writer,
          "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET "
          "value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER) AS TEXT)");
  const std::pair<const char*, int64_t> rows[] = {
      {"answer_cache_lookups", lookups}, {"answer_cache_hits_exact", exact}, {"answer_cache_hits_paraphrase", paraphrase}};
  for (const auto& [k, v] : rows) {
    st.bind(1, std::string_view(k)).bind(2, std::to_string(v));
    st.step();  // best effort: a figure, not data
    st.reset();
  }
}

AnswerCacheStats KnowledgeBase::cache_stats() const {
  AnswerCacheStats s;
  {
    Error err;
    ReadTxn txn(*impl_, &err);
    if (txn.db()) {
      Stmt st(txn.db(),
              "SELECT count(*), coalesce(sum(length(question) + length(answer) + length(sources) + length(route)), 0) "
              "FROM answer_cache");
      if (st.step() == SQLITE_ROW) {
        s.entries = st.i64(0);
        s.bytes = st.i64(1);
      }
      auto num = [&](const char* k) {
        const std::string v = meta_get(txn.db(), k);
        return v.empty() ? int64_t{0} : std::stoll(v);
      };
      s.lookups = num("answer_cache_lookups");
      s.hits_exact = num("answer_cache_hits_exact");
      s.hits_paraphrase = num("answer_cache_hits_paraphrase");
    }
  }
  std::lock_guard lock(impl_->counts_mu);
  s.lookups += impl_->pending_lookups;
  s.hits_exact += impl_->pending_exact;
  s.hits_paraphrase += impl_->pending_paraphrase;
  return s;
}

}  // namespace owlet::kb
