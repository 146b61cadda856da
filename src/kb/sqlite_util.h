// Thin RAII over the SQLite C API, internal to kb.
#pragma once

#include "common/error.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace owlet::kb {

// A prepared statement; finalized on destruction. bind_* take 1-based indexes.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql);
  ~Stmt();
  Stmt(Stmt&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return st_ != nullptr; }
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind_blob(int i, const void* p, size_t n);
  Stmt& bind_null(int i);

  // SQLITE_ROW, SQLITE_DONE, or an error code.
  int step();
  void reset();

  int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }
  double f64(int col) const { return sqlite3_column_double(st_, col); }
  std::string str(int col) const;
  std::string_view blob(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

 private:
  sqlite3_stmt* st_ = nullptr;
};

// Runs one or more statements; false with *err set on failure.
bool exec(sqlite3* db, std::string_view sql, Error* err);

// Opens a connection configured for kb (WAL, busy timeout, foreign keys).
sqlite3* open_db(const std::string& path, bool read_only, Error* err);

std::string db_error(sqlite3* db, std::string_view what);

}  // namespace owlet::kb
