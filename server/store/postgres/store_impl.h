// Internal to the PostgreSQL store (server/store/postgres/): the store class, declared once
// and defined by concern across this folder: schema.cpp (schema, migrations, opening),
// measurements.cpp (batches, partitions, scans and change notifications), registry.cpp
// (operators, areas, schools, households, sites; the shared Query helper), runs.cpp (analysis
// runs, gaps, school coverage), lifecycle.cpp (gap state changes and events) and access.cpp
// (tokens and the audit trail). Nothing outside this folder includes it; the rest of covgapd
// opens the store through server/store/postgres_store.h.
#pragma once

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "geo/base/status.h"
#include "server/store/postgres/conn.h"
#include "server/store/postgres/copy.h"
#include "server/store/postgres/pool.h"
#include "server/store/store.h"

namespace covgap::store::postgres {

// Advisory lock keys: (kLockClass, one of the ids below), per database.
constexpr int kLockClass = 0x636776;  // "cgv"
constexpr int kMigrateLock = 1;
constexpr int kAnalysisLock = 2;
constexpr int kGapsLock = 3;  // serialises SaveAnalysis and gap events (ids in commit order)
constexpr int kPartitionLock = 4;

constexpr const char* kChannel = "covgap_changes";

// Rows per MeasurementChunk handed to Scan's visitor.
constexpr std::size_t kChunkRows = 1 << 20;
// Connections reading partitions in parallel in one Scan (at most the number of cores).
constexpr std::size_t kScanWorkers = 4;

// Row `i` of a result, by column (the row type of row_mapping.h).
struct PgRow {
  const PgResult& r;
  int i;
  std::string Text(int col) const { return r.Text(i, col); }
  std::int64_t Int(int col) const { return r.Int(i, col); }
  double Real(int col) const { return r.Real(i, col); }
  bool IsNull(int col) const { return r.IsNull(i, col); }
  std::string Bytes(int col) const { return r.Bytes(i, col); }
};

// An optional figure: NULL when absent.
inline void AddOptional(PgParams& p, const std::optional<double>& v) {
  if (v) {
    p.Add(*v);
  } else {
    p.AddNull();
  }
}

inline std::string LockSql(const char* fn, int id) {
  return std::string("SELECT ") + fn + "(" + std::to_string(kLockClass) + ", " +
         std::to_string(id) + ")";
}

// A replica's instance id (the NOTIFY payload that lets it ignore its own notifications); not a
// secret, so a failing RAND_bytes falls back to rand().
inline std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    for (auto& b : raw) b = static_cast<unsigned char>(std::rand());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string conninfo, std::array<std::uint8_t, 16> secret)
      : pool_(std::move(conninfo)), secret_(secret), instance_(RandomHex(8)) {}

  ~PostgresStore() override {
    stop_ = true;
    if (listener_.joinable()) listener_.join();
  }

  // Coordination and measurements (measurements.cpp)
  StatusOr<std::unique_ptr<AnalysisLease>> AcquireAnalysisLock(bool wait) override;
  void OnExternalChange(std::function<void()> changed) override;
  StatusOr<std::vector<BatchOutcome>> CommitBatches(
      std::span<const BatchToStore* const> batches) override;
  StatusOr<StoreStats> Stats() override;
  Status Scan(const ScanFilter& filter,
              const std::function<void(const MeasurementChunk&)>& visit) override;

  // Registry (registry.cpp)
  StatusOr<std::vector<std::string>> Operators() override;
  Status RegisterOperator(const std::string& operator_id, const std::string& name) override;
  StatusOr<UpsertCounts> UpsertAreas(const std::vector<geo::AdminArea>& areas) override;
  StatusOr<std::vector<geo::AdminArea>> Areas() override;
  StatusOr<UpsertCounts> UpsertSchools(const std::vector<geo::School>& schools) override;
  StatusOr<std::vector<geo::School>> Schools() override;
  StatusOr<UpsertCounts> UpsertHouseholds(const std::vector<geo::Household>& households) override;
  StatusOr<std::vector<geo::Household>> Households() override;
  StatusOr<UpsertCounts> UpsertSites(const std::vector<geo::Site>& sites) override;
  StatusOr<std::vector<geo::Site>> Sites() override;

  // Runs, gaps and school coverage (runs.cpp)
  StatusOr<std::int64_t> SaveAnalysis(const AnalysisRun& run, const std::vector<geo::Gap>& gaps,
                                      const std::vector<geo::SchoolCoverage>& schools) override;
  StatusOr<std::optional<AnalysisRun>> LatestRun() override;
  StatusOr<std::optional<AnalysisRun>> FirstRun() override;
  StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> ListGaps(
      const GapQuery& query) override;
  StatusOr<geo::Gap> GetGap(const std::string& gap_id) override;
  StatusOr<std::vector<geo::SchoolCoverage>> LatestSchoolCoverage() override;

  // Gap life cycle (lifecycle.cpp)
  StatusOr<geo::Gap> UpdateGapState(const GapStateChange& ch, GapEvent* event_out) override;
  StatusOr<std::vector<GapEvent>> ListGapEvents(std::int64_t after_id, std::uint64_t limit,
                                                const std::string& gap_id) override;

  // Tokens and audit (access.cpp)
  Status CreateToken(const TokenRecord& t) override;
  StatusOr<std::optional<TokenRecord>> FindToken(const std::string& token_id) override;
  StatusOr<std::vector<TokenRecord>> ListTokens() override;
  StatusOr<bool> RevokeToken(const std::string& token_id, std::int64_t when_ms) override;
  Status AppendAudit(const AuditEntry& e) override;
  StatusOr<std::vector<AuditEntry>> ListAudit(std::uint64_t limit) override;

 private:
  StatusOr<PgResult> Query(const std::string& sql, const PgParams& params = {});

  StatusOr<std::optional<AnalysisRun>> OneRun(const std::string& sql);

  // Inserts or updates rows in one transaction; counts what existed before.
  template <typename T, typename ParamsFn>
  StatusOr<UpsertCounts> Upsert(const char* sql, const std::vector<T>& rows, ParamsFn params) {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    auto txn = PgTxn::Begin(**conn);
    if (!txn.ok()) return txn.status();
    UpsertCounts counts;
    for (const T& row : rows) {
      auto r = (*conn)->Query(sql, params(row));
      if (!r.ok()) return r.status();
      if (r->Bool(0, 0)) {
        ++counts.inserted;
      } else {
        ++counts.updated;
      }
    }
    if (Status s = txn->Commit(); !s.ok()) return s;
    return counts;
  }

  // Streams `from_where` ("TABLE WHERE ...") with binary COPY, appending rows to per-(operator,
  // technology) chunks and flushing a chunk when it reaches kChunkRows.
  template <typename Flush>
  Status CopyOutTable(PgConn& conn, const std::string& from_where,
                      std::map<std::pair<std::string, int>, MeasurementChunk>& open, Flush& flush) {
    const std::string sql =
        "COPY (SELECT operator_id, tech, time_ms, lat_e7, lon_e7, signal_dbm, source, "
        "device_hash, accuracy_m, quality_db, sinr_db, dl_kbps FROM " +
        from_where + ") TO STDOUT (FORMAT binary)";
    CopyRowParser parser;
    MeasurementChunk* last = nullptr;  // rows of one group usually come together
    auto on_row = [&](const char* const* f, const int* len, int n) -> Status {
      if (n != 12 || len[1] != 2 || len[2] != 8 || len[3] != 4 || len[4] != 4 || len[5] != 2 ||
          len[6] != 2 || len[7] != 8 || len[8] != 4 || len[9] != 4 || len[10] != 4 ||
          len[11] != 4) {
        return {StatusCode::kDataLoss, "postgresql: unexpected measurement row layout"};
      }
      const int tech = GetBig<std::int16_t>(f[1]);
      const std::string_view op(f[0], static_cast<std::size_t>(len[0]));
      if (last == nullptr || static_cast<int>(last->tech) != tech || last->operator_id != op) {
        auto key = std::make_pair(std::string(op), tech);
        auto it = open.find(key);
        if (it == open.end()) {
          it = open.emplace(key, MeasurementChunk{}).first;
          it->second.operator_id = key.first;
          it->second.tech = static_cast<geo::Technology>(tech);
        }
        last = &it->second;
      }
      MeasurementColumns& c = last->columns;
      c.time_ms.push_back(GetBig<std::int64_t>(f[2]));
      c.lat_e7.push_back(GetBig<std::int32_t>(f[3]));
      c.lon_e7.push_back(GetBig<std::int32_t>(f[4]));
      c.signal_dbm.push_back(GetBig<std::int16_t>(f[5]));
      c.source.push_back(static_cast<std::uint8_t>(GetBig<std::int16_t>(f[6])));
      c.device_hash.push_back(static_cast<std::uint64_t>(GetBig<std::int64_t>(f[7])));
      c.accuracy_m.push_back(std::bit_cast<float>(GetBig<std::int32_t>(f[8])));
      c.quality_db.push_back(std::bit_cast<float>(GetBig<std::int32_t>(f[9])));
      c.sinr_db.push_back(std::bit_cast<float>(GetBig<std::int32_t>(f[10])));
      c.dl_kbps.push_back(std::bit_cast<float>(GetBig<std::int32_t>(f[11])));
      if (c.size() >= kChunkRows) flush(*last);
      return Status::Ok();
    };
    return conn.CopyOut(sql, [&](std::string_view data) { return parser.Feed(data, on_row); });
  }

  // Inside a transaction: tells the other replicas' listeners (delivered at commit).
  Status Notify(PgConn& c);

  // Appends a batch's rows to the binary COPY data, and its per-(operator, technology) counts
  // to the text COPY data of batch_groups.
  void AppendRows(const BatchToStore& b, std::string& rows, std::string& groups);

  // Creates the month partitions the batches' rows need, each once (under an advisory lock so
  // that replicas creating the same month do not collide).
  Status EnsurePartitions(std::span<const BatchToStore* const> batches);

  // The listener thread: waits on the LISTEN connection with a timeout so the destructor can
  // stop it; reconnects when the connection drops.
  void Listen(PgConn conn, const std::function<void()>& changed);

  PgPool pool_;
  std::array<std::uint8_t, 16> secret_;
  const std::string instance_;  // NOTIFY payload: this store's own notifications are ignored
  std::mutex partitions_mu_;
  std::set<std::int64_t> partitions_;  // month partitions known to exist
  std::atomic<bool> stop_{false};
  std::thread listener_;
};

}  // namespace covgap::store::postgres
