// KnowledgeBase's answer cache: exact lookups by normalized question, with expiry.
#include "kb/kb_impl.h"
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

bool KnowledgeBase::cache_put(const CachedAnswer& e, Error* err) {
  std::lock_guard lock(impl_->write_mu);
  Stmt st(impl_->writer,
          "INSERT OR REPLACE INTO answer_cache(question, answer, sources, route, created_at, expires_at, variant) "
          "VALUES(?,?,?,?,?,?,?)");
  st.bind(1, normalize_question(e.question)).bind(2, e.answer).bind(3, e.sources_json).bind(4, e.route);
  st.bind(5, e.created_at ? e.created_at : now_seconds()).bind(6, e.expires_at).bind(7, e.variant);
  if (st.step() != SQLITE_DONE) {
    if (err) *err = Error(ErrorKind::io, db_error(impl_->writer, "cache answer"));
    return false;
  }
  return true;
}

std::optional<CachedAnswer> KnowledgeBase::cache_get(std::string_view question, std::string_view variant,
                                                     int64_t now) const {
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return std::nullopt;
  Stmt st(txn.db(),
          "SELECT question, answer, sources, route, created_at, expires_at, variant FROM answer_cache "
          "WHERE question = ? AND variant = ? AND (expires_at = 0 OR expires_at > ?)");
  st.bind(1, normalize_question(question)).bind(2, variant).bind(3, now ? now : now_seconds());
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return read_answer(st);
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
