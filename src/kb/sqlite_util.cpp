#include "kb/sqlite_util.h"

#include "kb/fts_rank.h"

namespace owlet::kb {

Stmt::Stmt(sqlite3* db, std::string_view sql) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st_);
    st_ = nullptr;
  }
}

Stmt::~Stmt() { sqlite3_finalize(st_); }

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(st_);
    st_ = o.st_;
    o.st_ = nullptr;
  }
  return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, double v) {
  sqlite3_bind_double(st_, i, v);
  return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
  // A default string_view has no data pointer, which SQLite would bind as NULL, not ''.
  sqlite3_bind_text(st_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_blob(int i, const void* p, size_t n) {
  sqlite3_bind_blob(st_, i, p, static_cast<int>(n), SQLITE_TRANSIENT);
  return *this;
}
Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}

int Stmt::step() { return st_ ? sqlite3_step(st_) : SQLITE_MISUSE; }

void Stmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string Stmt::str(int col) const {
  const auto* p = sqlite3_column_text(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st_, col)))
           : std::string();
}

std::string_view Stmt::blob(int col) const {
  const void* p = sqlite3_column_blob(st_, col);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st_, col)))
           : std::string_view();
}

bool exec(sqlite3* db, std::string_view sql, Error* err) {
  char* msg = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    if (err) *err = Error(ErrorKind::io, msg ? msg : "sqlite error");
    sqlite3_free(msg);
    return false;
  }
  return true;
}

std::string db_error(sqlite3* db, std::string_view what) {
  return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "no database");
}

sqlite3* open_db(const std::string& path, bool read_only, Error* err) {
  sqlite3* db = nullptr;
  // Readers open read-write but query_only: a SQLITE_OPEN_READONLY connection cannot
  // create the WAL index when it is the first to open the file.
  const int flags = SQLITE_OPEN_READWRITE | (read_only ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    if (err) *err = Error(ErrorKind::io, db_error(db, "open " + path));
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  // WAL: readers never block the writer and see only committed transactions.
  // synchronous=NORMAL in WAL keeps the database consistent on a crash; at worst the
  // last commits before a power loss are lost, never half of one.
  const char* pragmas = read_only ? "PRAGMA foreign_keys=ON; PRAGMA query_only=ON;"
                                  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
  // Memory-mapped reads: a search at a million chunks touches thousands of pages;
  // through mmap they come from the OS page cache shared by every connection,
  // instead of being copied into each connection's 2 MB page cache and evicted.
  // (SQLite caps the size at its compile-time maximum, 2 GiB in Debian's build.)
  if (!exec(db, pragmas, err) || !exec(db, "PRAGMA mmap_size=17179869184", err) || !register_fts_rank(db, err)) {
    sqlite3_close(db);
    return nullptr;
  }
  return db;
}

}  // namespace owlet::kb
