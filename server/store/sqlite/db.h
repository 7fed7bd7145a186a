// Thin RAII layer over the SQLite C API: a move-only connection and prepared statement, errors as
// Status with SQLite's message. SQLITE_FULL maps to ResourceExhausted ("disk full"), read-only and
// permission failures to FailedPrecondition; everything else to Internal.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "geo/base/status.h"

namespace covgap::store {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqliteHandle = std::unique_ptr<sqlite3, SqliteCloser>;

Status SqliteError(sqlite3* db, int rc, std::string_view what);

StatusOr<SqliteHandle> OpenSqlite(const std::string& path, int flags);
Status Exec(sqlite3* db, const char* sql);

class Statement {
 public:
  static StatusOr<Statement> Prepare(sqlite3* db, std::string_view sql);

  Statement& Bind(int index, std::int64_t v);
  Statement& Bind(int index, std::string_view v);
  Statement& Bind(int index, double v);
  Statement& BindNull(int index);
  Statement& BindBlob(int index, std::span<const char> v);
  // SQLITE_ROW -> true, SQLITE_DONE -> false (and resets), anything else -> error status.
  StatusOr<bool> Step();
  Status Run();  // Step until done, then reset
  void Reset();

  std::int64_t Int(int col) const { return sqlite3_column_int64(stmt_.get(), col); }
  double Real(int col) const { return sqlite3_column_double(stmt_.get(), col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL; }
  std::string Text(int col) const;
  std::span<const std::uint8_t> Blob(int col) const;
  std::string Bytes(int col) const;  // the blob as a string

 private:
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, SqliteFinalizer> stmt_;
};

// BEGIN IMMEDIATE … COMMIT, rolled back by the destructor unless committed.
class Transaction {
 public:
  static StatusOr<Transaction> Begin(sqlite3* db, const char* begin_sql = "BEGIN IMMEDIATE");
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace covgap::store
