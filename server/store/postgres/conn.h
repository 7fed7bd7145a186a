// A small RAII wrapper over libpq for the PostgreSQL store: connections, parameterised queries
// (text parameters, bytea as binary), results read as text, and COPY in and out.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"

namespace covgap::store {

struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

// A query result (text format). Row and column indexes start at 0.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  int Rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string Text(int row, int col) const;
  std::int64_t Int(int row, int col) const;
  double Real(int row, int col) const;
  bool Bool(int row, int col) const;
  std::string Bytes(int row, int col) const;  // a bytea column (hex output)
  std::uint64_t Affected() const;             // rows an INSERT/UPDATE/DELETE touched
  PGresult* raw() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, PgResultDeleter> r_;
};

// Parameters of one query: text values (numbers printed exactly), NULLs, and binary bytea.
class PgParams {
 public:
  PgParams& Add(std::string_view text);
  PgParams& Add(const char* text) { return Add(std::string_view(text)); }
  PgParams& Add(const std::string& text) { return Add(std::string_view(text)); }
  PgParams& Add(std::int64_t v);
  PgParams& Add(int v) { return Add(static_cast<std::int64_t>(v)); }
  PgParams& Add(std::uint64_t v) { return Add(static_cast<std::int64_t>(v)); }
  PgParams& Add(double v);
  PgParams& Add(bool v) { return Add(std::string_view(v ? "true" : "false")); }
  PgParams& Add(const std::optional<std::int64_t>& v);
  PgParams& AddBytes(std::string_view bytes);
  PgParams& AddNull();

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Values() const;
  const std::vector<int>& Lengths() const { return lengths_; }
  const std::vector<int>& Formats() const { return formats_; }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// The conninfo with any password replaced by "***" (for logs and messages).
std::string RedactConninfo(const std::string& conninfo);

// Status of a failed command; SQLSTATE 23505 (unique violation) is kAlreadyExists, 40001 and
// 40P01 (serialization failure, deadlock) kAborted, connection loss kUnavailable.
Status PgError(PGconn* conn, const PGresult* r, std::string_view what);

class PgConn {
 public:
  PgConn() = default;
  explicit PgConn(PGconn* c) : c_(c) {}
  PgConn(PgConn&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  PgConn& operator=(PgConn&& o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn() {
    if (c_) PQfinish(c_);
  }

  // Connects; a failure says what was tried and what to do.
  static StatusOr<PgConn> Connect(const std::string& conninfo);

  PGconn* get() const { return c_; }
  bool Healthy() const { return c_ && PQstatus(c_) == CONNECTION_OK; }

  // Runs one or more statements without parameters.
  Status Exec(std::string_view sql);
  // Runs one statement with parameters; results in text format.
  StatusOr<PgResult> Query(const std::string& sql, const PgParams& params = {});

  // COPY ... FROM STDIN: sends `data` (in the format the statement names) and ends the copy.
  Status CopyIn(const std::string& copy_sql, std::string_view data);
  // COPY ... TO STDOUT: calls `sink` with each piece of data as it arrives.
  template <typename Sink>
  Status CopyOut(const std::string& copy_sql, Sink&& sink);

 private:
  Status StartCopy(const std::string& copy_sql, ExecStatusType want);
  Status FinishCopy(std::string_view what);
  PGconn* c_ = nullptr;
};

template <typename Sink>
Status PgConn::CopyOut(const std::string& copy_sql, Sink&& sink) {
  if (Status s = StartCopy(copy_sql, PGRES_COPY_OUT); !s.ok()) return s;
  Status failed;
  while (true) {
    char* buf = nullptr;
    const int n = PQgetCopyData(c_, &buf, 0);
    if (n == -1) break;  // done
    if (n == -2) {
      return Unavailable(std::string("COPY TO STDOUT failed: ") + PQerrorMessage(c_));
    }
    if (failed.ok()) failed = sink(std::string_view(buf, static_cast<std::size_t>(n)));
    PQfreemem(buf);
  }
  if (Status s = FinishCopy("COPY TO STDOUT"); !s.ok()) return s;
  return failed;
}

}  // namespace covgap::store
