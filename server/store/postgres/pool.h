// Internal to the PostgreSQL store: connections with the store's session settings, a pool of them
// and a transaction guard.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "geo/base/status.h"
#include "server/store/postgres/conn.h"

namespace covgap::store::postgres {

// Opens a connection with the session settings the store relies on.
inline StatusOr<PgConn> Connect(const std::string& conninfo) {
  auto conn = PgConn::Connect(conninfo);
  if (!conn.ok()) return conn.status();
  if (Status s =
          conn->Exec("SET synchronous_commit = on; SET client_min_messages = warning; "
                     "SET extra_float_digits = 1; SET bytea_output = 'hex'; SET TIME ZONE 'UTC'");
      !s.ok()) {
    return s;
  }
  return std::move(conn.value());
}

// A mutex-protected pool: one connection per concurrent call, opened on demand.
class PgPool {
 public:
  explicit PgPool(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  class Lease {
   public:
    Lease(PgPool* pool, PgConn conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_) pool_->Return(std::move(conn_));
    }
    PgConn* operator->() { return &conn_; }
    PgConn& operator*() { return conn_; }

   private:
    PgPool* pool_;
    PgConn conn_;
  };

  // Waits while kMaxOpen connections are in use (a bound per process, so that several replicas
  // stay within the server's max_connections).
  StatusOr<Lease> Acquire() {
    {
      std::unique_lock lock(mu_);
      freed_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxOpen; });
      if (!idle_.empty()) {
        PgConn conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
      }
      ++open_;
    }
    auto conn = Connect(conninfo_);
    if (!conn.ok()) {
      Forget();
      return conn.status();
    }
    return Lease(this, std::move(conn.value()));
  }

  const std::string& conninfo() const { return conninfo_; }

 private:
  static constexpr std::size_t kMaxOpen = 16;
  void Return(PgConn conn) {
    if (!conn.Healthy() || PQtransactionStatus(conn.get()) != PQTRANS_IDLE) {
      Forget();  // dropped: broken, or left inside a transaction
      return;
    }
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
  }
  void Forget() {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    freed_.notify_one();
  }

  std::string conninfo_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::size_t open_ = 0;  // connections opened and not dropped (idle or in use)
  std::vector<PgConn> idle_;
};

// BEGIN ... COMMIT; rolled back when destroyed uncommitted.
class PgTxn {
 public:
  static StatusOr<PgTxn> Begin(PgConn& conn, const char* begin = "BEGIN") {
    if (Status s = conn.Exec(begin); !s.ok()) return s;
    return PgTxn(conn);
  }
  PgTxn(PgTxn&& o) noexcept : conn_(std::exchange(o.conn_, nullptr)) {}
  PgTxn& operator=(PgTxn&&) = delete;
  ~PgTxn() {
    if (conn_) (void)conn_->Exec("ROLLBACK");
  }
  Status Commit() {
    PgConn* conn = std::exchange(conn_, nullptr);
    return conn->Exec("COMMIT");
  }

 private:
  explicit PgTxn(PgConn& conn) : conn_(&conn) {}
  PgConn* conn_;
};

}  // namespace covgap::store::postgres
