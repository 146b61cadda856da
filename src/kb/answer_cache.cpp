// KnowledgeBase's answer cache: exact lookups by normalized question, with expiry.
// With a shared tier (kb/shared_answer_cache.h) behind it: writes go to both,
// a local miss asks the shared tier and copies a hit locally.
#include "kb/kb_impl.h"
#include "kb/shared_answer_cache.h"
#include "kb/text.h"

namespace owlet::kb {
namespace {

// A row of "SELECT question, answer, sources, route, created_at, expires_at, variant".
CachedAnswer read_answer(Stmt& st) {
  CachedAnswer a;
  a.question = st.str(0);
  a.answer = st.str(1);
  a.sources_json = st.str(2);
  a.route = st.str(3);
  a.created_at = st.i64(4);
  a.expires_at = st.i64(5);
  a.variant = st.str(6);
  return a;
}

}  // namespace

std::string shared_answer_key(std::string_view question, std::string_view variant) {
  std::string k = normalize_question(question);
  k += '\x1f';
  k += variant;
  return k;
}

bool KnowledgeBase::cache_put(const CachedAnswer& e_in, Error* err) {
  CachedAnswer e = e_in;
  if (!e.created_at) e.created_at = now_seconds();
  if (!impl_->cache_put_local(e, err)) return false;
  std::shared_ptr<SharedAnswerCache> shared;
  {
    std::lock_guard lock(impl_->shared_mu);
    shared = impl_->shared_answers;
  }
  if (shared) shared->put(shared_answer_key(e.question, e.variant), e);
  return true;
}

void KnowledgeBase::set_shared_answer_cache(std::shared_ptr<SharedAnswerCache> cache) {
  std::lock_guard lock(impl_->shared_mu);
  impl_->shared_answers = std::move(cache);
}

bool KnowledgeBase::Impl::cache_put_local(const CachedAnswer& e, Error* err) {
  std::lock_guard lock(write_mu);
  Stmt st(writer,
          "INSERT OR REPLACE INTO answer_cache(question, answer, sources, route, created_at, expires_at, variant) "
          "VALUES(?,?,?,?,?,?,?)");
  st.bind(1, normalize_question(e.question)).bind(2, e.answer).bind(3, e.sources_json).bind(4, e.route);
  st.bind(5, e.created_at ? e.created_at : now_seconds()).bind(6, e.expires_at).bind(7, e.variant);
  if (st.step() != SQLITE_DONE) {
    if (err) *err = Error(ErrorKind::io, db_error(writer, "cache answer"));
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
    Stmt st(txn.db(),
            "SELECT question, answer, sources, route, created_at, expires_at, variant FROM answer_cache "
            "WHERE question = ? AND variant = ? AND (expires_at = 0 OR expires_at > ?)");
    st.bind(1, key).bind(2, variant).bind(3, now);
    if (st.step() == SQLITE_ROW) return read_answer(st);
  }
  std::shared_ptr<SharedAnswerCache> shared;
  {
    std::lock_guard lock(impl_->shared_mu);
    shared = impl_->shared_answers;
  }
  if (!shared) return std::nullopt;
  std::optional<CachedAnswer> hit = shared->get(shared_answer_key(key, variant));
  if (!hit || (hit->expires_at != 0 && hit->expires_at <= now)) return std::nullopt;
  hit->question = key;
  hit->variant = std::string(variant);
  Error err;
  impl_->cache_put_local(*hit, &err);  // the next lookup stays local; a failed copy is only slower
  return hit;
}

std::vector<CachedAnswer> KnowledgeBase::cache_list(int64_t now, int64_t limit) const {
  std::vector<CachedAnswer> out;
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return out;
  Stmt st(txn.db(),
          "SELECT question, answer, sources, route, created_at, expires_at, variant FROM answer_cache "
          "WHERE expires_at = 0 OR expires_at > ? ORDER BY created_at DESC LIMIT ?");
  st.bind(1, now ? now : now_seconds()).bind(2, limit);
  while (st.step() == SQLITE_ROW) out.push_back(read_answer(st));
  return out;
}

int64_t KnowledgeBase::cache_purge_expired(int64_t now) {
  std::lock_guard lock(impl_->write_mu);
  Stmt st(impl_->writer, "DELETE FROM answer_cache WHERE expires_at != 0 AND expires_at <= ?");
  st.bind(1, now ? now : now_seconds());
  if (st.step() != SQLITE_DONE) return -1;
  return sqlite3_changes(impl_->writer);
}

}  // namespace owlet::kb
