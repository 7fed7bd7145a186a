// SQLite store: measurement batches (idempotent by batch id) and chunk scans.
#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "geo/base/time_format.h"
#include "server/store/chunk_codec.h"
#include "server/store/device_hash.h"
#include "server/store/sqlite/store_impl.h"

namespace covgap::store::sqlite {

Status SqliteStore::Prepare() {
  auto s1 = Statement::Prepare(writer_.get(), "SELECT 1 FROM batches WHERE batch_id = ?");
  auto s2 = Statement::Prepare(writer_.get(), "INSERT INTO batches VALUES(?, ?, ?, ?)");
  auto s3 = Statement::Prepare(writer_.get(),
                               "INSERT INTO measurement_chunks(batch_id, operator_id, tech, n, "
                               "t_min, t_max, data) VALUES(?, ?, ?, ?, ?, ?, ?)");
  auto s4 = Statement::Prepare(
      writer_.get(),
      "INSERT INTO measurement_counts VALUES(?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(operator_id, tech) DO UPDATE SET n = n + ?3, t_min = min(t_min, ?4), "
      "t_max = max(t_max, ?5)");
  for (auto* s : {&s1, &s2, &s3, &s4}) {
    if (!s->ok()) return s->status();
  }
  batch_exists_ = std::move(s1.value());
  insert_batch_ = std::move(s2.value());
  insert_chunk_ = std::move(s3.value());
  upsert_count_ = std::move(s4.value());
  return Status::Ok();
}

StatusOr<std::unique_ptr<AnalysisLease>> SqliteStore::AcquireAnalysisLock(bool wait) {
  // A flag rather than a held mutex: the lease may be released by another thread.
  struct Lease final : AnalysisLease {
    explicit Lease(SqliteStore& s) : store(s) {}
    ~Lease() override {
      {
        std::lock_guard lock(store.analysis_mu_);
        store.analysis_running_ = false;
      }
      store.analysis_cv_.notify_one();
    }
    SqliteStore& store;
  };
  std::unique_lock lock(analysis_mu_);
  if (!wait && analysis_running_) return std::unique_ptr<AnalysisLease>();
  analysis_cv_.wait(lock, [&] { return !analysis_running_; });
  analysis_running_ = true;
  return std::unique_ptr<AnalysisLease>(std::make_unique<Lease>(*this));
}

StatusOr<std::vector<BatchOutcome>> SqliteStore::CommitBatches(
    std::span<const BatchToStore* const> batches) {
  std::lock_guard lock(write_mu_);
  auto txn = Transaction::Begin(writer_.get());
  if (!txn.ok()) return txn.status();
  std::vector<BatchOutcome> outcomes;
  outcomes.reserve(batches.size());
  std::set<std::string_view> seen;
  const std::int64_t now = geo::NowUnixMs();
  for (const BatchToStore* batch : batches) {
    auto exists = batch_exists_.Bind(1, batch->batch_id).Step();
    if (!exists.ok()) return exists.status();
    if (exists.value()) batch_exists_.Reset();
    if (exists.value() || !seen.insert(batch->batch_id).second) {
      outcomes.push_back(BatchOutcome::kDuplicate);
      continue;
    }
    if (Status s = insert_batch_.Bind(1, batch->batch_id)
                       .Bind(2, now)
                       .Bind(3, static_cast<std::int64_t>(batch->rows.size()))
                       .Bind(4, std::int64_t{batch->rejected})
                       .Run();
        !s.ok()) {
      return s;
    }
    if (Status s = InsertRows(*batch); !s.ok()) return s;
    outcomes.push_back(BatchOutcome::kStored);
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  return outcomes;
}

StatusOr<StoreStats> SqliteStore::Stats() {
  std::lock_guard lock(read_mu_);
  auto txn = Transaction::Begin(reader_.get(), "BEGIN");
  if (!txn.ok()) return txn.status();
  StoreStats stats;
  auto q = Statement::Prepare(reader_.get(),
                              "SELECT operator_id, tech, n, t_min, t_max FROM "
                              "measurement_counts ORDER BY operator_id, tech");
  if (!q.ok()) return q.status();
  while (true) {
    auto row = q->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    MeasurementCount c;
    c.operator_id = q->Text(0);
    c.tech = static_cast<geo::Technology>(q->Int(1));
    c.count = static_cast<std::uint64_t>(q->Int(2));
    c.first_time_ms = q->Int(3);
    c.last_time_ms = q->Int(4);
    stats.total += c.count;
    stats.counts.push_back(std::move(c));
  }
  auto b = Statement::Prepare(reader_.get(), "SELECT count(*) FROM batches");
  if (!b.ok()) return b.status();
  auto row = b->Step();
  if (!row.ok()) return row.status();
  stats.batches = static_cast<std::uint64_t>(b->Int(0));
  b->Reset();
  return stats;
}

Status SqliteStore::Scan(const ScanFilter& filter,
                         const std::function<void(const MeasurementChunk&)>& visit) {
  std::lock_guard lock(read_mu_);
  auto txn = Transaction::Begin(reader_.get(), "BEGIN");  // one snapshot for the whole scan
  if (!txn.ok()) return txn.status();
  auto q = Statement::Prepare(
      reader_.get(),
      "SELECT operator_id, tech, data FROM measurement_chunks WHERE (?1 = '' OR operator_id = "
      "?1) AND t_max >= ?2 AND t_min <= ?3 ORDER BY operator_id, tech, chunk_id");
  if (!q.ok()) return q.status();
  q->Bind(1, filter.operator_id).Bind(2, filter.from_time_ms).Bind(3, filter.to_time_ms);
  MeasurementChunk chunk;
  while (true) {
    auto row = q->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    chunk.operator_id = q->Text(0);
    chunk.tech = static_cast<geo::Technology>(q->Int(1));
    if (Status s = DecodeColumns(q->Blob(2), chunk.columns); !s.ok()) {
      q->Reset();
      return s;
    }
    visit(chunk);
  }
  return txn->Commit();
}

Status SqliteStore::InsertRows(const BatchToStore& batch) {
  // Group rows by (operator, technology): one chunk each.
  std::map<std::pair<std::string_view, geo::Technology>, MeasurementColumns> groups;
  std::map<std::pair<std::string_view, geo::Technology>, std::pair<std::int64_t, std::int64_t>>
      ranges;
  for (const geo::Measurement& m : batch.rows) {
    const auto key = std::make_pair(std::string_view(m.operator_id), m.tech);
    AppendMeasurement(m, DeviceHash(secret_, m.device_id), groups[key]);
    auto [it, inserted] = ranges.try_emplace(key, m.time_ms, m.time_ms);
    if (!inserted) {
      it->second.first = std::min(it->second.first, m.time_ms);
      it->second.second = std::max(it->second.second, m.time_ms);
    }
  }
  for (const auto& [key, columns] : groups) {
    const std::string blob = EncodeColumns(columns);
    const auto [t_min, t_max] = ranges[key];
    const auto n = static_cast<std::int64_t>(columns.size());
    const auto tech = static_cast<std::int64_t>(key.second);
    if (Status s = insert_chunk_.Bind(1, batch.batch_id)
                       .Bind(2, key.first)
                       .Bind(3, tech)
                       .Bind(4, n)
                       .Bind(5, t_min)
                       .Bind(6, t_max)
                       .BindBlob(7, blob)
                       .Run();
        !s.ok()) {
      return s;
    }
    if (Status s = upsert_count_.Bind(1, key.first)
                       .Bind(2, tech)
                       .Bind(3, n)
                       .Bind(4, t_min)
                       .Bind(5, t_max)
                       .Run();
        !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace covgap::store::sqlite
