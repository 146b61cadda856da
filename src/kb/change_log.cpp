// KnowledgeBase's replication support (kb/change_log.h): the change journal and
// writes applied from an external log with their position.
#include "kb/kb_impl.h"

namespace owlet::kb {
namespace {

// Created only when journaling is on: a knowledge base outside a cluster keeps
// the schema it always had. A row holds the document as that change stored it,
// not a reference to the current one: a replica also applies the log's older
// entries, so "the current document" may briefly be an older version, and a
// publisher reading it would send that older version as the newer change.
constexpr const char* kJournalTable =
    "CREATE TABLE IF NOT EXISTS change_log("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  op TEXT NOT NULL,"              // upsert | remove
    "  source TEXT NOT NULL,"
    "  title TEXT NOT NULL DEFAULT '',"
    "  text TEXT NOT NULL DEFAULT '',"
    "  language TEXT NOT NULL DEFAULT '',"
    "  source_kind TEXT NOT NULL DEFAULT '',"
    "  trust REAL NOT NULL DEFAULT 0,"
    "  fetched_at INTEGER NOT NULL DEFAULT 0,"
    "  modified_at INTEGER NOT NULL DEFAULT 0,"
    "  content_hash TEXT NOT NULL DEFAULT '',"
    "  at INTEGER NOT NULL)";          // unix seconds

std::string position_key(const std::string& log) { return "applied:" + log; }

bool has_journal(sqlite3* db) {
  Stmt st(db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='change_log'");
  return st.step() == SQLITE_ROW;
}

}  // namespace

const char* to_string(Change::Op op) { return op == Change::Op::upsert ? "upsert" : "remove"; }

bool KnowledgeBase::Impl::open_journal(Error* err) {
  std::lock_guard lock(write_mu);
  if (!exec(writer, kJournalTable, err)) return false;
  journal = true;
  return true;
}

bool KnowledgeBase::Impl::record_upsert(sqlite3* db, const Document& doc, std::string_view text,
                                         std::string_view language, int64_t fetched_at, std::string_view hash) {
  if (applying) return meta_set(db, position_key(applying->log).c_str(), applying->position);
  if (!journal) return true;
  Stmt st(db,
          "INSERT INTO change_log(op, source, title, text, language, source_kind, trust, fetched_at, modified_at, "
          "content_hash, at) VALUES('upsert', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, doc.source).bind(2, doc.title).bind(3, text).bind(4, language).bind(5, doc.source_kind);
  st.bind(6, doc.trust).bind(7, fetched_at).bind(8, doc.modified_at).bind(9, hash).bind(10, now_seconds());
  if (st.step() != SQLITE_DONE) return false;
  journaled = true;
  return true;
}

bool KnowledgeBase::Impl::record_remove(sqlite3* db, const std::string& source) {
  if (applying) return meta_set(db, position_key(applying->log).c_str(), applying->position);
  if (!journal) return true;
  Stmt st(db, "INSERT INTO change_log(op, source, at) VALUES('remove', ?, ?)");
  st.bind(1, source).bind(2, now_seconds());
  if (st.step() != SQLITE_DONE) return false;
  journaled = true;
  return true;
}

void KnowledgeBase::Impl::after_commit() {
  if (!journaled) return;
  journaled = false;
  if (change_listener) change_listener();
}

void KnowledgeBase::set_change_listener(std::function<void()> listener) {
  std::lock_guard lock(impl_->write_mu);
  impl_->change_listener = std::move(listener);
}

AddResult KnowledgeBase::apply(const Document& doc, const LogPosition& at) {
  AddResult r = apply_locked(doc, at);
  if (r.status == AddStatus::kReplaced) impl_->drop_shared_citing(doc.source);
  return r;
}

AddResult KnowledgeBase::apply_locked(const Document& doc, const LogPosition& at) {
  std::lock_guard lock(impl_->write_mu);
  impl_->applying = &at;
  AddResult r;
  for (int attempt = 0;; ++attempt) {
    bool archive_moved = false;
    r = impl_->add_locked(doc, &archive_moved);
    if (!archive_moved || attempt == 2) break;
  }
  impl_->applying = nullptr;
  if (r.status == AddStatus::kUnchanged || r.status == AddStatus::kDuplicate) {
    // Nothing was written, so nothing carried the position: record it alone.
    Error err;
    if (!impl_->record_position(at, &err)) {
      r.status = AddStatus::kError;
      r.error = err;
    }
  }
  return r;
}

bool KnowledgeBase::apply_remove(const std::string& source, const LogPosition& at, Error* err) {
  bool removed = false;
  const bool ok = apply_remove_locked(source, at, &removed, err);
  if (removed) impl_->drop_shared_citing(source);  // the publisher's replica dropped them too; this is idempotent
  return ok;
}

bool KnowledgeBase::apply_remove_locked(const std::string& source, const LogPosition& at, bool* removed, Error* err) {
  std::lock_guard lock(impl_->write_mu);
  sqlite3* db = impl_->writer;
  int64_t id = 0;
  {
    Stmt st(db, "SELECT id FROM documents WHERE source = ?");
    st.bind(1, source);
    if (st.step() == SQLITE_ROW) id = st.i64(0);
  }
  if (id) {
    impl_->applying = &at;
    bool found = false;
    Error why;
    const bool ok = impl_->remove_locked(id, &found, &why);
    impl_->applying = nullptr;
    if (!ok) return fail(err, why.kind, "remove " + source + ": " + why.message);
    *removed = found;
    if (found) return true;
  }
  return impl_->record_position(at, err);
}

bool KnowledgeBase::Impl::record_position(const LogPosition& at, Error* err) {
  if (!exec(writer, "BEGIN IMMEDIATE", err)) return false;
  if (!meta_set(writer, position_key(at.log).c_str(), at.position) || !exec(writer, "COMMIT", err)) {
    const std::string why = db_error(writer, "record log position");
    exec(writer, "ROLLBACK", nullptr);
    return fail(err, ErrorKind::io, why);
  }
  return true;
}

std::string KnowledgeBase::applied_position(const std::string& log) const {
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db()) return {};
  return meta_get(txn.db(), position_key(log).c_str());
}

std::vector<Change> KnowledgeBase::pending_changes(size_t limit, int64_t* through) const {
  std::vector<Change> out;
  *through = 0;
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db() || !has_journal(txn.db())) return out;
  Stmt st(txn.db(),
          "SELECT seq, op, source, title, text, language, source_kind, trust, fetched_at, modified_at, content_hash "
          "FROM change_log ORDER BY seq LIMIT ?");
  st.bind(1, static_cast<int64_t>(limit));
  while (st.step() == SQLITE_ROW) {
    Change c;
    c.seq = st.i64(0);
    c.op = st.str(1) == "remove" ? Change::Op::remove : Change::Op::upsert;
    c.doc.source = st.str(2);
    c.doc.title = st.str(3);
    c.doc.text = st.str(4);
    c.doc.language = st.str(5);
    c.doc.source_kind = st.str(6);
    c.doc.trust = st.f64(7);
    c.doc.fetched_at = st.i64(8);
    c.doc.modified_at = st.i64(9);
    c.content_hash = st.str(10);
    *through = c.seq;
    out.push_back(std::move(c));
  }
  return out;
}

int64_t KnowledgeBase::pending_count() const {
  Error err;
  ReadTxn txn(*impl_, &err);
  if (!txn.db() || !has_journal(txn.db())) return 0;
  Stmt st(txn.db(), "SELECT count(*) FROM change_log");
  return st.step() == SQLITE_ROW ? st.i64(0) : 0;
}

bool KnowledgeBase::ack_changes(int64_t through, Error* err) {
  std::lock_guard lock(impl_->write_mu);
  if (!has_journal(impl_->writer)) return true;
  Stmt st(impl_->writer, "DELETE FROM change_log WHERE seq <= ?");
  st.bind(1, through);
  if (st.step() != SQLITE_DONE) return fail(err, ErrorKind::io, db_error(impl_->writer, "acknowledge changes"));
  return true;
}

}  // namespace owlet::kb
