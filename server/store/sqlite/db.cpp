#include "server/store/sqlite/db.h"

#include <cerrno>
#include <utility>

namespace covgap::store {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  // A write that failed for lack of space (or a file size limit) is reported by SQLite as a
  // generic I/O error; the system error says which.
  const int system_errno = db ? sqlite3_system_errno(db) : 0;
  if ((rc & 0xff) == SQLITE_IOERR && (system_errno == ENOSPC || system_errno == EFBIG)) {
    return ResourceExhausted(
        "cannot write the store: " +
        std::string(system_errno == ENOSPC ? "the disk holding the data directory is full"
                                           : "the file size limit was reached") +
        "; nothing of this write was kept. Free space (or raise the limit) and retry");
  }
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return ResourceExhausted(message + " (the disk holding the data directory is full)");
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return FailedPrecondition(message + " (is the data directory writable?)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return {StatusCode::kDataLoss, message};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(message);
    default:
      return Internal(message);
  }
}

StatusOr<SqliteHandle> OpenSqlite(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  SqliteHandle db(raw);
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 10000);
  return db;
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    Status s = SqliteError(db, rc, "store");
    if (s.code() == StatusCode::kResourceExhausted) return s;
    return Status(s.code(), "store: " + message);
  }
  return Status::Ok();
}

StatusOr<Statement> Statement::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db, rc, "prepare");
  Statement s;
  s.db_ = db;
  s.stmt_.reset(raw);
  return s;
}

Statement& Statement::Bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_.get(), index, v);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view v) {
  sqlite3_bind_text(stmt_.get(), index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, double v) {
  sqlite3_bind_double(stmt_.get(), index, v);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Statement& Statement::BindBlob(int index, std::span<const char> v) {
  sqlite3_bind_blob64(stmt_.get(), index, v.data(), v.size(), SQLITE_STATIC);
  return *this;
}

StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    Reset();
    return false;
  }
  Status s = SqliteError(db_, rc, "step");
  Reset();
  return s;
}

Status Statement::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!r.value()) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::Text(int col) const {
  const auto* p = sqlite3_column_text(stmt_.get(), col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)))
           : std::string();
}

std::span<const std::uint8_t> Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_.get(), col);
  const int n = sqlite3_column_bytes(stmt_.get(), col);
  return {static_cast<const std::uint8_t*>(p), static_cast<size_t>(n)};
}

std::string Statement::Bytes(int col) const {
  const auto blob = Blob(col);
  return std::string(reinterpret_cast<const char*>(blob.data()), blob.size());
}

StatusOr<Transaction> Transaction::Begin(sqlite3* db, const char* begin_sql) {
  if (Status s = Exec(db, begin_sql); !s.ok()) return s;
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Commit() {
  Status s = Exec(db_, "COMMIT");
  if (s.ok()) db_ = nullptr;
  return s;
}

}  // namespace covgap::store
