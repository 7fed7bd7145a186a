// PostgreSQL store: measurement batches (binary COPY into month partitions, idempotent by
// batch id), parallel partition scans, the analysis lock and change notifications.
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <set>
#include <thread>
#include <unordered_map>

#include "geo/base/time_format.h"
#include "server/store/chunk_codec.h"
#include "server/store/device_hash.h"
#include "server/store/postgres/store_impl.h"

namespace covgap::store::postgres {
namespace {

// Month partitions: [first ms of the month, first ms of the next), or nullopt outside 1900..2199.
std::optional<std::pair<std::int64_t, std::int64_t>> MonthOf(std::int64_t time_ms) {
  using namespace std::chrono;
  constexpr std::int64_t kMin = -2208988800000LL;  // 1900-01-01
  constexpr std::int64_t kMax = 7258118400000LL;   // 2200-01-01
  if (time_ms < kMin || time_ms >= kMax) return std::nullopt;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(time_ms)));
  const year_month_day ymd(day);
  const year_month first = ymd.year() / ymd.month();
  const year_month next = first + months(1);
  auto ms = [](year_month ym) {
    return duration_cast<milliseconds>(sys_days(ym / 1).time_since_epoch()).count();
  };
  return std::make_pair(ms(first), ms(next));
}

std::string PartitionName(std::int64_t month_start_ms) {
  using namespace std::chrono;
  const year_month_day ymd(floor<days>(sys_time<milliseconds>(milliseconds(month_start_ms))));
  char buf[32];
  std::snprintf(buf, sizeof buf, "measurements_y%04dm%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()));
  return buf;
}

}  // namespace

StatusOr<std::unique_ptr<AnalysisLease>> PostgresStore::AcquireAnalysisLock(bool wait) {
  // A dedicated connection holds the session lock; closing it (the lease's end) releases it,
  // also when this process dies.
  struct Lease final : AnalysisLease {
    explicit Lease(PgConn c) : conn(std::move(c)) {}
    ~Lease() override { (void)conn.Exec(LockSql("pg_advisory_unlock", kAnalysisLock)); }
    PgConn conn;
  };
  auto conn = Connect(pool_.conninfo());
  if (!conn.ok()) return conn.status();
  auto r = conn->Query(LockSql(wait ? "pg_advisory_lock" : "pg_try_advisory_lock", kAnalysisLock));
  if (!r.ok()) return r.status();
  if (!wait && !r->Bool(0, 0)) return std::unique_ptr<AnalysisLease>();
  return std::unique_ptr<AnalysisLease>(std::make_unique<Lease>(std::move(conn.value())));
}

void PostgresStore::OnExternalChange(std::function<void()> changed) {
  if (listener_.joinable()) return;  // at most one callback
  auto conn = Connect(pool_.conninfo());
  if (!conn.ok() || !conn->Exec(std::string("LISTEN ") + kChannel).ok()) {
    std::fprintf(stderr, "covgapd: cannot LISTEN for changes by other replicas: %s\n",
                 conn.ok() ? PQerrorMessage(conn->get()) : conn.status().message().c_str());
  }
  PgConn first = conn.ok() ? std::move(conn.value()) : PgConn();
  listener_ = std::thread([this, changed = std::move(changed), c = std::move(first)]() mutable {
    Listen(std::move(c), changed);
  });
}

StatusOr<std::vector<BatchOutcome>> PostgresStore::CommitBatches(
    std::span<const BatchToStore* const> batches) {
  if (Status s = EnsurePartitions(batches); !s.ok()) return s;
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTxn::Begin(**conn);
  if (!txn.ok()) return txn.status();
  // Claim the batch ids in a fixed (sorted) order so concurrent calls never deadlock; a
  // concurrent claim of the same id waits for the other transaction and then finds it.
  std::vector<BatchOutcome> outcomes(batches.size(), BatchOutcome::kDuplicate);
  std::map<std::string_view, std::size_t> first;  // id -> index of its first occurrence
  for (std::size_t i = 0; i < batches.size(); ++i) first.try_emplace(batches[i]->batch_id, i);
  const std::int64_t now = geo::NowUnixMs();
  std::string rows, groups;
  PutCopyHeader(rows);
  std::size_t stored_rows = 0;
  for (const auto& [id, index] : first) {
    const BatchToStore& b = *batches[index];
    auto r = (*conn)->Query(
        "INSERT INTO batches VALUES($1, $2, $3, $4) ON CONFLICT (batch_id) DO NOTHING "
        "RETURNING 1",
        PgParams()
            .Add(b.batch_id)
            .Add(now)
            .Add(static_cast<std::int64_t>(b.rows.size()))
            .Add(static_cast<std::int64_t>(b.rejected)));
    if (!r.ok()) return r.status();
    if (r->Rows() == 0) continue;
    outcomes[index] = BatchOutcome::kStored;
    AppendRows(b, rows, groups);
    stored_rows += b.rows.size();
  }
  PutBig<std::int16_t>(rows, -1);
  if (stored_rows > 0) {
    if (Status s = (*conn)->CopyIn(
            "COPY measurements(operator_id, tech, time_ms, lat_e7, lon_e7, signal_dbm, source, "
            "device_hash, accuracy_m, quality_db, sinr_db, dl_kbps) FROM STDIN (FORMAT binary)",
            rows);
        !s.ok()) {
      return s;
    }
  }
  if (!groups.empty()) {
    if (Status s = (*conn)->CopyIn("COPY batch_groups FROM STDIN", groups); !s.ok()) return s;
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  return outcomes;
}

StatusOr<StoreStats> PostgresStore::Stats() {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTxn::Begin(**conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!txn.ok()) return txn.status();
  auto r = (*conn)->Query(
      "SELECT operator_id, tech, sum(n), min(t_min), max(t_max) FROM batch_groups GROUP BY "
      "operator_id, tech ORDER BY operator_id, tech");
  if (!r.ok()) return r.status();
  StoreStats stats;
  for (int i = 0; i < r->Rows(); ++i) {
    MeasurementCount c;
    c.operator_id = r->Text(i, 0);
    c.tech = static_cast<geo::Technology>(r->Int(i, 1));
    c.count = static_cast<std::uint64_t>(r->Int(i, 2));
    c.first_time_ms = r->Int(i, 3);
    c.last_time_ms = r->Int(i, 4);
    stats.total += c.count;
    stats.counts.push_back(std::move(c));
  }
  auto b = (*conn)->Query("SELECT count(*) FROM batches");
  if (!b.ok()) return b.status();
  stats.batches = static_cast<std::uint64_t>(b->Int(0, 0));
  if (Status s = txn->Commit(); !s.ok()) return s;
  return stats;
}

Status PostgresStore::Scan(const ScanFilter& filter,
                           const std::function<void(const MeasurementChunk&)>& visit) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTxn::Begin(**conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!txn.ok()) return txn.status();
  // The partitions that may hold rows in the time range, read in parallel by workers that
  // share this transaction's snapshot (pg_export_snapshot), so the scan is one consistent
  // snapshot as with a single reader.
  auto snapshot = (*conn)->Query("SELECT pg_export_snapshot()");
  if (!snapshot.ok()) return snapshot.status();
  auto parts = (*conn)->Query(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE "
      "i.inhparent = 'measurements'::regclass ORDER BY c.relname");
  if (!parts.ok()) return parts.status();
  std::vector<std::string> tables;
  for (int i = 0; i < parts->Rows(); ++i) {
    const std::string name = parts->Text(i, 0);
    int year = 0;
    unsigned month = 0;
    if (std::sscanf(name.c_str(), "measurements_y%4dm%2u", &year, &month) == 2) {
      using namespace std::chrono;
      const auto from =
          duration_cast<milliseconds>(
              sys_days(std::chrono::year(year) / std::chrono::month(month) / 1).time_since_epoch())
              .count();
      const auto range = MonthOf(from);
      if (range && (range->second <= filter.from_time_ms || range->first > filter.to_time_ms)) {
        continue;  // entirely outside the filter
      }
    }
    tables.push_back(name);
  }
  std::string where = " WHERE time_ms >= " + std::to_string(filter.from_time_ms) +
                      " AND time_ms <= " + std::to_string(filter.to_time_ms);
  if (!filter.operator_id.empty()) {
    char* lit =
        PQescapeLiteral((*conn)->get(), filter.operator_id.data(), filter.operator_id.size());
    if (!lit) return InvalidArgument("operator id cannot be quoted");
    where += std::string(" AND operator_id = ") + lit;
    PQfreemem(lit);
  }
  std::mutex visit_mu;
  std::atomic<std::size_t> next{0};
  const std::string snapshot_id = snapshot->Text(0, 0);
  auto worker = [&]() -> Status {
    auto wconn = pool_.Acquire();
    if (!wconn.ok()) return wconn.status();
    auto wtxn = PgTxn::Begin(**wconn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!wtxn.ok()) return wtxn.status();
    if (Status s = (*wconn)->Exec("SET TRANSACTION SNAPSHOT '" + snapshot_id + "'"); !s.ok()) {
      return s;
    }
    std::map<std::pair<std::string, int>, MeasurementChunk> open;
    auto flush = [&](MeasurementChunk& chunk) {
      if (chunk.columns.size() == 0) return;
      {
        std::lock_guard lock(visit_mu);
        visit(chunk);
      }
      chunk.columns = MeasurementColumns();
    };
    for (std::size_t t = next++; t < tables.size(); t = next++) {
      if (Status s = CopyOutTable(**wconn, tables[t] + where, open, flush); !s.ok()) return s;
    }
    for (auto& [key, chunk] : open) flush(chunk);
    return wtxn->Commit();
  };
  const std::size_t workers = std::min<std::size_t>(
      {tables.size(), kScanWorkers, std::max(1u, std::thread::hardware_concurrency())});
  std::vector<Status> results(workers);
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) {
    threads.emplace_back([&, w] { results[w] = worker(); });
  }
  if (workers > 0) results[0] = worker();
  for (auto& t : threads) t.join();
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  return txn->Commit();
}

Status PostgresStore::Notify(PgConn& c) {
  return c.Query("SELECT pg_notify($1, $2)", PgParams().Add(kChannel).Add(instance_)).status();
}

void PostgresStore::AppendRows(const BatchToStore& b, std::string& rows, std::string& groups) {
  std::map<std::pair<std::string_view, int>, std::array<std::int64_t, 3>> g;  // n, min, max
  rows.reserve(rows.size() + b.rows.size() * 100);
  for (const geo::Measurement& m : b.rows) {
    PutBig<std::int16_t>(rows, 12);
    PutTextField(rows, m.operator_id);
    PutField<std::int16_t>(rows, static_cast<std::int16_t>(m.tech));
    PutField<std::int64_t>(rows, m.time_ms);
    PutField<std::int32_t>(rows, static_cast<std::int32_t>(std::lround(m.lat * 1e7)));
    PutField<std::int32_t>(rows, static_cast<std::int32_t>(std::lround(m.lon * 1e7)));
    PutField<std::int16_t>(rows, static_cast<std::int16_t>(m.signal_dbm));
    PutField<std::int16_t>(rows, static_cast<std::int16_t>(m.source));
    PutField<std::int64_t>(rows, static_cast<std::int64_t>(DeviceHash(secret_, m.device_id)));
    PutFloatField(rows, m.accuracy_m);
    PutFloatField(rows, m.quality_db);
    PutFloatField(rows, m.sinr_db);
    PutFloatField(rows, m.dl_kbps);
    auto [it, inserted] =
        g.try_emplace(std::make_pair(std::string_view(m.operator_id), static_cast<int>(m.tech)),
                      std::array<std::int64_t, 3>{0, m.time_ms, m.time_ms});
    ++it->second[0];
    it->second[1] = std::min(it->second[1], m.time_ms);
    it->second[2] = std::max(it->second[2], m.time_ms);
  }
  for (const auto& [key, v] : g) {
    PutCopyText(groups, b.batch_id);
    groups.push_back('\t');
    PutCopyText(groups, key.first);
    groups += "\t" + std::to_string(key.second) + "\t" + std::to_string(v[0]) + "\t" +
              std::to_string(v[1]) + "\t" + std::to_string(v[2]) + "\n";
  }
}

Status PostgresStore::EnsurePartitions(std::span<const BatchToStore* const> batches) {
  std::set<std::pair<std::int64_t, std::int64_t>> missing;
  {
    std::lock_guard lock(partitions_mu_);
    std::pair<std::int64_t, std::int64_t> last{1, 0};  // empty range
    for (const BatchToStore* b : batches) {
      for (const geo::Measurement& m : b->rows) {
        if (m.time_ms >= last.first && m.time_ms < last.second) continue;
        auto month = MonthOf(m.time_ms);
        if (!month) continue;  // the default partition
        last = *month;
        if (!partitions_.contains(month->first)) missing.insert(*month);
      }
    }
  }
  if (missing.empty()) return Status::Ok();
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  auto txn = PgTxn::Begin(**conn);
  if (!txn.ok()) return txn.status();
  if (Status s = (*conn)->Exec(LockSql("pg_advisory_xact_lock", kPartitionLock)); !s.ok()) {
    return s;
  }
  for (const auto& [from, to] : missing) {
    if (Status s = (*conn)->Exec("CREATE TABLE IF NOT EXISTS " + PartitionName(from) +
                                 " PARTITION OF measurements FOR VALUES FROM (" +
                                 std::to_string(from) + ") TO (" + std::to_string(to) + ")");
        !s.ok()) {
      return s;
    }
  }
  if (Status s = txn->Commit(); !s.ok()) return s;
  std::lock_guard lock(partitions_mu_);
  for (const auto& m : missing) partitions_.insert(m.first);
  return Status::Ok();
}

void PostgresStore::Listen(PgConn conn, const std::function<void()>& changed) {
  while (!stop_) {
    if (!conn.Healthy()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      auto again = Connect(pool_.conninfo());
      if (!again.ok() || !again->Exec(std::string("LISTEN ") + kChannel).ok()) continue;
      conn = std::move(again.value());
      changed();  // changes may have been missed meanwhile
    }
    pollfd pfd{PQsocket(conn.get()), POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    if (PQconsumeInput(conn.get()) != 1) continue;  // unhealthy: reconnect above
    bool other = false;
    while (PGnotify* n = PQnotifies(conn.get())) {
      if (instance_ != n->extra) other = true;
      PQfreemem(n);
    }
    if (other) changed();
  }
}

}  // namespace covgap::store::postgres
