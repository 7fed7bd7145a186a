// Internal to the SQLite store (server/store/sqlite/): the store class, declared once and
// defined by concern across this folder: schema.cpp (schema, migrations, opening),
// measurements.cpp (batches and scans), registry.cpp (operators, areas, schools, households,
// sites), runs.cpp (analysis runs, gaps, school coverage), lifecycle.cpp (gap state changes and
// events) and access.cpp (tokens and the audit trail). Nothing outside this folder includes it;
// the rest of covgapd opens the store through server/store/sqlite_store.h.
#pragma once

#include <unistd.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "geo/base/status.h"
#include "server/store/sqlite/db.h"
#include "server/store/store.h"

namespace covgap::store::sqlite {

// Holds the data directory's flock (covgap.lock) for the store's lifetime.
class LockFile {
 public:
  LockFile() = default;
  explicit LockFile(int fd) : fd_(fd) {}
  LockFile(LockFile&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  LockFile& operator=(LockFile&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~LockFile() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
};

// Runs a prepared query and calls `row` for each result row.
template <typename F>
Status ForEachRow(Statement& q, F&& row) {
  while (true) {
    auto r = q.Step();
    if (!r.ok()) return r.status();
    if (!r.value()) return Status::Ok();
    row(q);
  }
}

// Binds an optional figure: NULL when absent.
inline void BindOptional(Statement& q, int index, const std::optional<double>& v) {
  if (v) {
    q.Bind(index, *v);
  } else {
    q.BindNull(index);
  }
}

class SqliteStore final : public Store {
 public:
  SqliteStore(LockFile lock, SqliteHandle writer, SqliteHandle reader, SqliteHandle lookup,
              std::array<std::uint8_t, 16> secret)
      : lock_(std::move(lock)),
        writer_(std::move(writer)),
        reader_(std::move(reader)),
        lookup_(std::move(lookup)),
        secret_(secret) {}

  Status Prepare();

  StatusOr<std::unique_ptr<AnalysisLease>> AcquireAnalysisLock(bool wait) override;

  StatusOr<std::vector<BatchOutcome>> CommitBatches(
      std::span<const BatchToStore* const> batches) override;

  StatusOr<StoreStats> Stats() override;

  StatusOr<std::vector<std::string>> Operators() override;

  Status RegisterOperator(const std::string& operator_id, const std::string& name) override;

  Status Scan(const ScanFilter& filter,
              const std::function<void(const MeasurementChunk&)>& visit) override;

  StatusOr<UpsertCounts> UpsertAreas(const std::vector<geo::AdminArea>& areas) override;

  StatusOr<std::vector<geo::AdminArea>> Areas() override;

  StatusOr<UpsertCounts> UpsertSchools(const std::vector<geo::School>& schools) override;

  StatusOr<std::vector<geo::School>> Schools() override;

  StatusOr<UpsertCounts> UpsertHouseholds(const std::vector<geo::Household>& households) override;

  StatusOr<std::vector<geo::Household>> Households() override;

  StatusOr<UpsertCounts> UpsertSites(const std::vector<geo::Site>& sites) override;

  StatusOr<std::vector<geo::Site>> Sites() override;

  StatusOr<std::int64_t> SaveAnalysis(const AnalysisRun& run, const std::vector<geo::Gap>& gaps,
                                      const std::vector<geo::SchoolCoverage>& schools) override;

  // Inside SaveAnalysis's transaction: the run's school records, and older runs' pruned.
  Status SaveSchoolCoverage(std::int64_t run_id, const std::vector<geo::SchoolCoverage>& schools);

  StatusOr<std::vector<geo::SchoolCoverage>> LatestSchoolCoverage() override;

  StatusOr<std::optional<AnalysisRun>> LatestRun() override;

  StatusOr<std::optional<AnalysisRun>> FirstRun() override;

  StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> ListGaps(
      const GapQuery& query) override;

  StatusOr<geo::Gap> GetGap(const std::string& gap_id) override;

  Status CreateToken(const TokenRecord& t) override;

  StatusOr<std::optional<TokenRecord>> FindToken(const std::string& token_id) override;

  StatusOr<std::vector<TokenRecord>> ListTokens() override;

  StatusOr<bool> RevokeToken(const std::string& token_id, std::int64_t when_ms) override;

  Status AppendAudit(const AuditEntry& e) override;

  StatusOr<std::vector<AuditEntry>> ListAudit(std::uint64_t limit) override;

  StatusOr<geo::Gap> UpdateGapState(const GapStateChange& c, GapEvent* event_out) override;

  StatusOr<std::vector<GapEvent>> ListGapEvents(std::int64_t after_id, std::uint64_t limit,
                                                const std::string& gap_id) override;

 private:
  // A statement on the lookup connection, prepared on first use and kept (lookup_mu_ held):
  // the small reads every call makes (tokens, runs, events) skip SQLite's parser.
  StatusOr<Statement*> LookupStatement(const std::string& sql);

  // Runs a read query (optionally with one text parameter) on the reader connection.
  Status Query(const std::string& sql, const std::function<void(const Statement&)>& row,
               const std::string& param = {});

  // Inserts or updates rows in one transaction; counts what existed before.
  template <typename T, typename BindFn>
  StatusOr<UpsertCounts> Upsert(const char* exists_sql, const char* upsert_sql,
                                const std::vector<T>& rows, BindFn bind) {
    std::lock_guard lock(write_mu_);
    auto txn = Transaction::Begin(writer_.get());
    if (!txn.ok()) return txn.status();
    auto exists = Statement::Prepare(writer_.get(), exists_sql);
    auto upsert = Statement::Prepare(writer_.get(), upsert_sql);
    if (!exists.ok()) return exists.status();
    if (!upsert.ok()) return upsert.status();
    UpsertCounts counts;
    for (const T& row : rows) {
      bind(exists.value(), row);
      auto found = exists->Step();
      if (!found.ok()) return found.status();
      if (found.value()) {
        exists->Reset();
        ++counts.updated;
      } else {
        ++counts.inserted;
      }
      bind(upsert.value(), row);
      if (Status s = upsert->Run(); !s.ok()) return s;
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
    return counts;
  }

  Status InsertRows(const BatchToStore& batch);

  LockFile lock_;
  std::mutex write_mu_;
  // AcquireAnalysisLock: one analysis at a time (one process).
  std::mutex analysis_mu_;
  std::condition_variable analysis_cv_;
  bool analysis_running_ = false;
  std::mutex read_mu_;
  SqliteHandle writer_;
  SqliteHandle reader_;  // scans and gap queries (long reads)
  SqliteHandle lookup_;  // small reads (tokens, registry, runs): never waits for a scan
  std::mutex lookup_mu_;
  std::unordered_map<std::string, Statement> lookup_statements_;  // LookupStatement
  std::array<std::uint8_t, 16> secret_;
  Statement batch_exists_, insert_batch_, insert_chunk_, upsert_count_;
};

}  // namespace covgap::store::sqlite
