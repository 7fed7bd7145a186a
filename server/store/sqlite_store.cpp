#include "server/store/sqlite_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "geo/base/time_format.h"
#include "server/store/chunk_codec.h"
#include "server/store/device_hash.h"
#include "server/store/row_mapping.h"
#include "server/store/sqlite_db.h"

namespace covgap::store {
namespace {

constexpr int kSchemaVersion = 7;

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE operators(operator_id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE batches(
  batch_id TEXT PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  accepted INTEGER NOT NULL,
  rejected INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE measurement_chunks(
  chunk_id INTEGER PRIMARY KEY,
  batch_id TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  tech INTEGER NOT NULL,
  n INTEGER NOT NULL,
  t_min INTEGER NOT NULL,
  t_max INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX measurement_chunks_by_operator ON measurement_chunks(operator_id, tech);
CREATE TABLE measurement_counts(
  operator_id TEXT NOT NULL,
  tech INTEGER NOT NULL,
  n INTEGER NOT NULL,
  t_min INTEGER NOT NULL,
  t_max INTEGER NOT NULL,
  PRIMARY KEY(operator_id, tech)
) WITHOUT ROWID;
)sql";

// Version 2: the registry and analysis runs with their gaps.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE areas(
  level INTEGER NOT NULL,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  wkb BLOB NOT NULL,
  PRIMARY KEY(level, code)
) WITHOUT ROWID;
CREATE TABLE schools(
  school_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  level INTEGER NOT NULL,
  district TEXT NOT NULL,
  commune TEXT NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  students INTEGER NOT NULL,
  students_nodev INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE households(
  household_id TEXT PRIMARY KEY,
  category INTEGER NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  students_nodev INTEGER NOT NULL,
  district TEXT NOT NULL,
  commune TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE analysis_runs(
  run_id INTEGER PRIMARY KEY,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  params_json TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  measurements INTEGER NOT NULL,
  gaps INTEGER NOT NULL
);
CREATE TABLE gaps(
  run_id INTEGER NOT NULL,
  gap_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  operator_id TEXT NOT NULL,
  tech INTEGER NOT NULL,
  severity REAL NOT NULL,
  area_m2 REAL NOT NULL,
  n_cells INTEGER NOT NULL,
  n_dead_cells INTEGER NOT NULL,
  n_samples INTEGER NOT NULL,
  median_dbm REAL NOT NULL,
  min_dbm INTEGER NOT NULL,
  province TEXT NOT NULL,
  district TEXT NOT NULL,
  commune TEXT NOT NULL,
  schools INTEGER NOT NULL,
  students_nodev INTEGER NOT NULL,
  poor_hh INTEGER NOT NULL,
  npoor_hh INTEGER NOT NULL,
  hardship_students REAL NOT NULL,
  score REAL NOT NULL,
  rank INTEGER NOT NULL,
  status TEXT NOT NULL,
  plan TEXT NOT NULL,
  target_ms INTEGER,
  analysed_ms INTEGER NOT NULL,
  crs TEXT NOT NULL,
  wkb BLOB NOT NULL,
  PRIMARY KEY(run_id, gap_id)
);
CREATE INDEX gaps_by_score ON gaps(run_id, score DESC);
)sql";

// Version 3: access tokens and the audit trail.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE tokens(
  token_id TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  role TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  label TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE audit(
  id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details TEXT NOT NULL
);
)sql";

// Version 4: the gap life cycle: cleared date and status note on gaps, and the gap events.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE gaps ADD COLUMN cleared_ms INTEGER;
ALTER TABLE gaps ADD COLUMN status_note TEXT NOT NULL DEFAULT '';
CREATE TABLE gap_events(
  event_id INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  gap_id TEXT NOT NULL,
  type TEXT NOT NULL,
  from_status TEXT NOT NULL,
  to_status TEXT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  tech INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  district TEXT NOT NULL
);
CREATE INDEX gap_events_by_gap ON gap_events(gap_id, event_id);
)sql";

// Version 5: per-school coverage of each run (docs/gaps.md "Schools"), pruned with the gaps.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE school_coverage(
  run_id INTEGER NOT NULL,
  school_id TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  tech INTEGER NOT NULL,
  indoor_class INTEGER NOT NULL,
  samples INTEGER NOT NULL,
  median_dbm REAL,
  nearest_good_m REAL,
  PRIMARY KEY(run_id, school_id, operator_id, tech)
) WITHOUT ROWID;
)sql";

// Version 6: operators' sites (docs/importing.md "Sites"), and the prediction's result fields
// (docs/prediction.md): the evidence of each gap, the mean probability that its cells are good
// and the share of measured cells; the predicted signal of a school's cell. Rows of earlier runs
// are binned results: measured, p_good 0, all cells measured, no prediction.
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE sites(
  site_id TEXT PRIMARY KEY,
  operator_id TEXT NOT NULL,
  tech INTEGER NOT NULL,
  lat REAL NOT NULL,
  lon REAL NOT NULL,
  height_m REAL NOT NULL,
  azimuth_deg REAL,
  beamwidth_deg REAL,
  band_mhz REAL NOT NULL,
  eirp_dbm REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX sites_by_operator ON sites(operator_id, tech, site_id);
ALTER TABLE gaps ADD COLUMN evidence TEXT NOT NULL DEFAULT 'measured';
ALTER TABLE gaps ADD COLUMN p_good REAL NOT NULL DEFAULT 0;
ALTER TABLE gaps ADD COLUMN meas_share REAL NOT NULL DEFAULT 1;
ALTER TABLE school_coverage ADD COLUMN predicted_dbm REAL;
ALTER TABLE school_coverage ADD COLUMN sigma_db REAL;
ALTER TABLE school_coverage ADD COLUMN p_good_indoor REAL;
)sql";

// Version 7: the province's rank (docs/gaps.md "Ranking"). The old per-group rank becomes
// grp_rank; rank is renumbered over each run by score, area and id. Earlier runs knew no common
// gap containment, so each of their gaps is a row of its own.
constexpr const char* kSchemaV7 = R"sql(
ALTER TABLE gaps ADD COLUMN grp_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gaps ADD COLUMN common_id TEXT NOT NULL DEFAULT '';
ALTER TABLE gaps ADD COLUMN contains TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_ms INTEGER;
UPDATE gaps SET grp_rank = rank, rank = p.r
FROM (SELECT run_id, gap_id,
             row_number() OVER (PARTITION BY run_id ORDER BY score DESC, area_m2 DESC, gap_id) AS r
      FROM gaps) AS p
WHERE p.run_id = gaps.run_id AND p.gap_id = gaps.gap_id;
)sql";

// Gaps of this many most recent runs are kept (older runs keep their summary row).
constexpr int kRunsWithGaps = 5;

// Binds values in order from parameter `next` on (AddGapColumns' sink).
struct Binder {
  Statement& q;
  int next;
  void Add(std::string_view v) { q.Bind(next++, v); }
  void Add(std::int64_t v) { q.Bind(next++, v); }
  void Add(double v) { q.Bind(next++, v); }
  void Add(const std::optional<std::int64_t>& v) {
    if (v) {
      q.Bind(next++, *v);
    } else {
      q.BindNull(next++);
    }
  }
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
void BindOptional(Statement& q, int index, const std::optional<double>& v) {
  if (v) {
    q.Bind(index, *v);
  } else {
    q.BindNull(index);
  }
}

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

StatusOr<LockFile> LockDataDir(const std::string& dir) {
  const std::string path = dir + "/covgap.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return FailedPrecondition("cannot open " + path + ": " + std::strerror(errno) +
                              " (is the data directory writable?)");
  }
  LockFile lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return FailedPrecondition("data directory " + dir +
                              " is in use by another covgapd (covgap.lock is held)");
  }
  return lock;
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

  Status Prepare() {
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

  StatusOr<std::unique_ptr<AnalysisLease>> AcquireAnalysisLock(bool wait) override {
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

  StatusOr<std::vector<BatchOutcome>> CommitBatches(
      std::span<const BatchToStore* const> batches) override {
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

  StatusOr<StoreStats> Stats() override {
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

  StatusOr<std::vector<std::string>> Operators() override {
    std::lock_guard lock(lookup_mu_);
    auto q =
        Statement::Prepare(lookup_.get(), "SELECT operator_id FROM operators ORDER BY operator_id");
    if (!q.ok()) return q.status();
    std::vector<std::string> ids;
    while (true) {
      auto row = q->Step();
      if (!row.ok()) return row.status();
      if (!row.value()) break;
      ids.push_back(q->Text(0));
    }
    return ids;
  }

  Status RegisterOperator(const std::string& operator_id, const std::string& name) override {
    std::lock_guard lock(write_mu_);
    auto q = Statement::Prepare(writer_.get(),
                                "INSERT INTO operators VALUES(?, ?) ON CONFLICT(operator_id) DO "
                                "UPDATE SET name = excluded.name");
    if (!q.ok()) return q.status();
    return q->Bind(1, operator_id).Bind(2, name).Run();
  }

  Status Scan(const ScanFilter& filter,
              const std::function<void(const MeasurementChunk&)>& visit) override {
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

  StatusOr<UpsertCounts> UpsertAreas(const std::vector<geo::AdminArea>& areas) override {
    return Upsert("SELECT 1 FROM areas WHERE level = ?1 AND code = ?2",
                  "INSERT INTO areas VALUES(?1, ?2, ?3, ?4) ON CONFLICT(level, code) DO UPDATE SET "
                  "name = excluded.name, wkb = excluded.wkb",
                  areas, [](Statement& q, const geo::AdminArea& a) {
                    q.Bind(1, static_cast<std::int64_t>(a.level)).Bind(2, a.code);
                    q.Bind(3, a.name).BindBlob(4, a.wkb);
                  });
  }

  StatusOr<std::vector<geo::AdminArea>> Areas() override {
    std::vector<geo::AdminArea> out;
    Status s = Query("SELECT level, code, name, wkb FROM areas ORDER BY level, code",
                     [&](const Statement& q) {
                       geo::AdminArea& a = out.emplace_back();
                       a.level = static_cast<geo::AreaLevel>(q.Int(0));
                       a.code = q.Text(1);
                       a.name = q.Text(2);
                       const auto blob = q.Blob(3);
                       a.wkb.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
                     });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<UpsertCounts> UpsertSchools(const std::vector<geo::School>& schools) override {
    return Upsert(
        "SELECT 1 FROM schools WHERE school_id = ?1",
        "INSERT OR REPLACE INTO schools VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", schools,
        [](Statement& q, const geo::School& x) {
          q.Bind(1, x.school_id).Bind(2, x.name).Bind(3, static_cast<std::int64_t>(x.level));
          q.Bind(4, x.district).Bind(5, x.commune).Bind(6, x.lat).Bind(7, x.lon);
          q.Bind(8, x.students).Bind(9, x.students_nodev);
        });
  }

  StatusOr<std::vector<geo::School>> Schools() override {
    std::vector<geo::School> out;
    Status s = Query(
        "SELECT school_id, name, level, district, commune, lat, lon, students, students_nodev "
        "FROM schools ORDER BY school_id",
        [&](const Statement& q) {
          geo::School& x = out.emplace_back();
          x.school_id = q.Text(0);
          x.name = q.Text(1);
          x.level = static_cast<geo::SchoolLevel>(q.Int(2));
          x.district = q.Text(3);
          x.commune = q.Text(4);
          x.lat = q.Real(5);
          x.lon = q.Real(6);
          x.students = q.Int(7);
          x.students_nodev = q.Int(8);
        });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<UpsertCounts> UpsertHouseholds(const std::vector<geo::Household>& households) override {
    return Upsert("SELECT 1 FROM households WHERE household_id = ?1",
                  "INSERT OR REPLACE INTO households VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  households, [](Statement& q, const geo::Household& x) {
                    q.Bind(1, x.household_id).Bind(2, static_cast<std::int64_t>(x.category));
                    q.Bind(3, x.lat).Bind(4, x.lon).Bind(5, x.students_nodev);
                    q.Bind(6, x.district).Bind(7, x.commune);
                  });
  }

  StatusOr<std::vector<geo::Household>> Households() override {
    std::vector<geo::Household> out;
    Status s = Query(
        "SELECT household_id, category, lat, lon, students_nodev, district, commune FROM "
        "households ORDER BY household_id",
        [&](const Statement& q) {
          geo::Household& x = out.emplace_back();
          x.household_id = q.Text(0);
          x.category = static_cast<geo::HouseholdCategory>(q.Int(1));
          x.lat = q.Real(2);
          x.lon = q.Real(3);
          x.students_nodev = q.Int(4);
          x.district = q.Text(5);
          x.commune = q.Text(6);
        });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<UpsertCounts> UpsertSites(const std::vector<geo::Site>& sites) override {
    return Upsert("SELECT 1 FROM sites WHERE site_id = ?1",
                  "INSERT OR REPLACE INTO sites VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                  sites, [](Statement& q, const geo::Site& x) {
                    q.Bind(1, x.site_id).Bind(2, x.operator_id);
                    q.Bind(3, static_cast<std::int64_t>(x.tech)).Bind(4, x.lat).Bind(5, x.lon);
                    q.Bind(6, x.height_m);
                    BindOptional(q, 7, x.azimuth_deg);
                    BindOptional(q, 8, x.beamwidth_deg);
                    q.Bind(9, x.band_mhz).Bind(10, x.eirp_dbm);
                  });
  }

  StatusOr<std::vector<geo::Site>> Sites() override {
    std::vector<geo::Site> out;
    Status s = Query(
        "SELECT site_id, operator_id, tech, lat, lon, height_m, azimuth_deg, beamwidth_deg, "
        "band_mhz, eirp_dbm FROM sites ORDER BY operator_id, tech, site_id",
        [&](const Statement& q) {
          geo::Site& x = out.emplace_back();
          x.site_id = q.Text(0);
          x.operator_id = q.Text(1);
          x.tech = static_cast<geo::Technology>(q.Int(2));
          x.lat = q.Real(3);
          x.lon = q.Real(4);
          x.height_m = q.Real(5);
          if (!q.IsNull(6)) x.azimuth_deg = q.Real(6);
          if (!q.IsNull(7)) x.beamwidth_deg = q.Real(7);
          x.band_mhz = q.Real(8);
          x.eirp_dbm = q.Real(9);
        });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<std::int64_t> SaveAnalysis(const AnalysisRun& run, const std::vector<geo::Gap>& gaps,
                                      const std::vector<geo::SchoolCoverage>& schools) override {
    std::lock_guard lock(write_mu_);
    auto txn = Transaction::Begin(writer_.get());
    if (!txn.ok()) return txn.status();
    auto prev = Statement::Prepare(writer_.get(), "SELECT max(run_id) FROM analysis_runs");
    if (!prev.ok()) return prev.status();
    if (auto r = prev->Step(); !r.ok()) return r.status();
    const std::int64_t previous = prev->IsNull(0) ? 0 : prev->Int(0);
    prev->Reset();
    auto ins_run = Statement::Prepare(
        writer_.get(),
        "INSERT INTO analysis_runs(started_ms, finished_ms, params_json, summary_json, "
        "measurements, gaps) VALUES(?, ?, ?, ?, ?, ?)");
    if (!ins_run.ok()) return ins_run.status();
    if (Status s = ins_run->Bind(1, run.started_ms)
                       .Bind(2, run.finished_ms)
                       .Bind(3, run.params_json)
                       .Bind(4, run.summary_json)
                       .Bind(5, static_cast<std::int64_t>(run.measurements))
                       .Bind(6, static_cast<std::int64_t>(gaps.size()))
                       .Run();
        !s.ok()) {
      return s;
    }
    const std::int64_t run_id = sqlite3_last_insert_rowid(writer_.get());
    auto ins_gap = Statement::Prepare(
        writer_.get(), "INSERT INTO gaps(run_id, " + std::string(kGapColumns) +
                           ", wkb) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                           "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
                           "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36)");
    if (!ins_gap.ok()) return ins_gap.status();
    for (const geo::Gap& g : gaps) {
      Statement& q = ins_gap.value();
      q.Bind(1, run_id);
      Binder binder{q, 2};
      AddGapColumns(g, binder);
      q.BindBlob(kGapColumnCount + 2, g.wkb);
      if (Status s = q.Run(); !s.ok()) return s;
    }
    if (previous > 0) {
      auto carry = Statement::Prepare(writer_.get(), CarryLifecycleSql(SqlDialect::kSqlite));
      if (!carry.ok()) return carry.status();
      if (Status s = carry->Bind(1, run_id).Bind(2, previous).Run(); !s.ok()) return s;
    }
    // Ids the previous run did not have are new gaps: one `new` event each (before the
    // carry-over below, which only brings back ids the previous run had).
    auto fresh = Statement::Prepare(writer_.get(), NewGapEventsSql(SqlDialect::kSqlite));
    if (!fresh.ok()) return fresh.status();
    if (Status s = fresh->Bind(1, run_id)
                       .Bind(2, previous)
                       .Bind(3, run.finished_ms)
                       .Bind(4, "covgapd (analysis run " + std::to_string(run_id) + ")")
                       .Run();
        !s.ok()) {
      return s;
    }
    if (previous > 0) {
      // A gap in the life cycle (not open) that no new gap matched stays, unchanged, until it
      // is verified or reopened; an id a new gap took already is not duplicated.
      auto keep = Statement::Prepare(writer_.get(), KeepLifecycleGapsSql(SqlDialect::kSqlite));
      if (!keep.ok()) return keep.status();
      if (Status s = keep->Bind(1, run_id).Bind(2, previous).Run(); !s.ok()) return s;
    }
    // The first run's gaps stay: they are the baseline of the progress report.
    auto prune = Statement::Prepare(writer_.get(),
                                    "DELETE FROM gaps WHERE run_id <= ?1 AND run_id <> (SELECT "
                                    "min(run_id) FROM analysis_runs)");
    if (!prune.ok()) return prune.status();
    if (Status s = prune->Bind(1, run_id - kRunsWithGaps).Run(); !s.ok()) return s;
    if (Status s = SaveSchoolCoverage(run_id, schools); !s.ok()) return s;
    if (Status s = txn->Commit(); !s.ok()) return s;
    return run_id;
  }

  // Inside SaveAnalysis's transaction: the run's school records, and older runs' pruned.
  Status SaveSchoolCoverage(std::int64_t run_id, const std::vector<geo::SchoolCoverage>& schools) {
    auto ins = Statement::Prepare(writer_.get(),
                                  "INSERT OR REPLACE INTO school_coverage VALUES(?1, ?2, ?3, ?4, "
                                  "?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    if (!ins.ok()) return ins.status();
    for (const geo::SchoolCoverage& c : schools) {
      Statement& q = ins.value();
      q.Bind(1, run_id).Bind(2, c.school_id).Bind(3, c.operator_id);
      q.Bind(4, static_cast<std::int64_t>(c.tech));
      q.Bind(5, static_cast<std::int64_t>(c.indoor_class)).Bind(6, c.samples);
      if (std::isnan(c.median_dbm)) {
        q.BindNull(7);
      } else {
        q.Bind(7, c.median_dbm);
      }
      BindOptional(q, 8, c.nearest_good_m);
      BindOptional(q, 9, c.predicted_dbm);
      BindOptional(q, 10, c.sigma_db);
      BindOptional(q, 11, c.p_good_indoor);
      if (Status s = q.Run(); !s.ok()) return s;
    }
    auto prune =
        Statement::Prepare(writer_.get(), "DELETE FROM school_coverage WHERE run_id <= ?1");
    if (!prune.ok()) return prune.status();
    return prune->Bind(1, run_id - kRunsWithGaps).Run();
  }

  StatusOr<std::vector<geo::SchoolCoverage>> LatestSchoolCoverage() override {
    std::vector<geo::SchoolCoverage> out;
    Status s = Query(
        "SELECT school_id, operator_id, tech, indoor_class, samples, median_dbm, nearest_good_m, "
        "predicted_dbm, sigma_db, p_good_indoor FROM school_coverage WHERE run_id = (SELECT "
        "max(run_id) FROM analysis_runs) ORDER BY school_id, operator_id, tech",
        [&](const Statement& q) {
          geo::SchoolCoverage c;
          c.school_id = q.Text(0);
          c.operator_id = q.Text(1);
          c.tech = static_cast<geo::Technology>(q.Int(2));
          c.indoor_class = static_cast<geo::CellClass>(q.Int(3));
          c.samples = q.Int(4);
          if (!q.IsNull(5)) c.median_dbm = q.Real(5);
          if (!q.IsNull(6)) c.nearest_good_m = q.Real(6);
          if (!q.IsNull(7)) c.predicted_dbm = q.Real(7);
          if (!q.IsNull(8)) c.sigma_db = q.Real(8);
          if (!q.IsNull(9)) c.p_good_indoor = q.Real(9);
          out.push_back(std::move(c));
        });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<std::optional<AnalysisRun>> LatestRun() override {
    std::optional<AnalysisRun> run;
    Status s = Query(
        "SELECT run_id, started_ms, finished_ms, params_json, summary_json, measurements, gaps "
        "FROM analysis_runs ORDER BY run_id DESC LIMIT 1",
        [&](const Statement& q) {
          run.emplace();
          run->run_id = q.Int(0);
          run->started_ms = q.Int(1);
          run->finished_ms = q.Int(2);
          run->params_json = q.Text(3);
          run->summary_json = q.Text(4);
          run->measurements = static_cast<std::uint64_t>(q.Int(5));
          run->gaps = static_cast<std::uint64_t>(q.Int(6));
        });
    if (!s.ok()) return s;
    return run;
  }

  StatusOr<std::optional<AnalysisRun>> FirstRun() override {
    std::optional<AnalysisRun> run;
    Status s = Query(
        "SELECT run_id, started_ms, finished_ms, params_json, summary_json, measurements, gaps "
        "FROM analysis_runs ORDER BY run_id LIMIT 1",
        [&](const Statement& q) {
          run.emplace();
          run->run_id = q.Int(0);
          run->started_ms = q.Int(1);
          run->finished_ms = q.Int(2);
          run->params_json = q.Text(3);
          run->summary_json = q.Text(4);
          run->measurements = static_cast<std::uint64_t>(q.Int(5));
          run->gaps = static_cast<std::uint64_t>(q.Int(6));
        });
    if (!s.ok()) return s;
    return run;
  }

  StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> ListGaps(
      const GapQuery& query) override {
    std::lock_guard lock(read_mu_);
    auto txn = Transaction::Begin(reader_.get(), "BEGIN");
    if (!txn.ok()) return txn.status();
    // A district matches by its full name or by the name after its unit prefix ("Lục Ngạn" for
    // "Huyện Lục Ngạn"), never by its last words alone ("Ngạn").
    const std::string where =
        " FROM gaps WHERE run_id = (CASE WHEN ?10 > 0 THEN ?10 ELSE"  // ?10: run_id, 0 = latest
        " (SELECT max(run_id) FROM analysis_runs) END)"
        " AND (?1 = '' OR operator_id = ?1 OR (?9 AND kind = 1))"  // ?9: include_common
        " AND (?2 < 0 OR tech = ?2) AND (?3 < 0 OR kind = ?3)"
        " AND (?4 = '' OR district IN (?4, 'Huyện ' || ?4, 'Quận ' || ?4, 'Thị xã ' || ?4,"
        " 'Thành phố ' || ?4))"
        " AND (?5 = '' OR status = ?5) AND score >= ?6"
        // ?11: grouped: leave out an operator gap whose common gap matches the filter too
        " AND NOT (?11 AND kind = 0 AND common_id <> '' AND (?1 = '' OR ?9) AND (?3 < 0 OR ?3 = 1)"
        " AND EXISTS (SELECT 1 FROM gaps c WHERE c.run_id = gaps.run_id"
        " AND c.gap_id = gaps.common_id AND (?4 = '' OR c.district IN (?4, 'Huyện ' || ?4,"
        " 'Quận ' || ?4, 'Thị xã ' || ?4, 'Thành phố ' || ?4))"
        " AND (?5 = '' OR c.status = ?5) AND c.score >= ?6))";
    const char* order = query.order == GapOrder::kRank   ? " ORDER BY rank, kind DESC, gap_id"
                        : query.order == GapOrder::kArea ? " ORDER BY area_m2 DESC, gap_id"
                        : query.order == GapOrder::kTodo ? " ORDER BY kind DESC, score DESC, gap_id"
                                                         : " ORDER BY score DESC, gap_id";
    auto bind = [&](Statement& q) {
      q.Bind(1, query.operator_id)
          .Bind(2, query.tech ? static_cast<std::int64_t>(*query.tech) : std::int64_t{-1})
          .Bind(3, query.kind ? static_cast<std::int64_t>(*query.kind) : std::int64_t{-1})
          .Bind(4, query.district)
          .Bind(5, query.status)
          .Bind(6, query.min_score)
          .Bind(9, std::int64_t{query.include_common ? 1 : 0})
          .Bind(10, query.run_id)
          .Bind(11, std::int64_t{query.grouped ? 1 : 0});
    };
    if (query.run_id > 0) {
      auto run = Statement::Prepare(reader_.get(), "SELECT 1 FROM analysis_runs WHERE run_id = ?1");
      if (!run.ok()) return run.status();
      run->Bind(1, query.run_id);
      auto found = run->Step();
      if (!found.ok()) return found.status();
      if (!found.value()) return NotFound("no analysis run " + std::to_string(query.run_id));
      run->Reset();
    }
    auto count = Statement::Prepare(reader_.get(), "SELECT count(*)" + where);
    if (!count.ok()) return count.status();
    bind(count.value());
    if (auto r = count->Step(); !r.ok()) return r.status();
    const auto total = static_cast<std::uint64_t>(count->Int(0));
    count->Reset();
    auto q = Statement::Prepare(reader_.get(), "SELECT " + std::string(kGapColumns) +
                                                   (query.with_geometry ? ", wkb" : "") + where +
                                                   order + " LIMIT ?7 OFFSET ?8");
    if (!q.ok()) return q.status();
    bind(q.value());
    q->Bind(7, static_cast<std::int64_t>(std::min<std::uint64_t>(query.limit, INT64_MAX)))
        .Bind(8, static_cast<std::int64_t>(query.offset));
    std::vector<geo::Gap> gaps;
    if (Status s = ForEachRow(
            q.value(),
            [&](const Statement& row) { gaps.push_back(ReadGap(row, query.with_geometry)); });
        !s.ok()) {
      return s;
    }
    return std::make_pair(std::move(gaps), total);
  }

  StatusOr<geo::Gap> GetGap(const std::string& gap_id) override {
    std::optional<geo::Gap> gap;
    Status s = Query(
        "SELECT " + std::string(kGapColumns) +
            ", wkb FROM gaps WHERE run_id = (SELECT max(run_id) FROM analysis_runs) "
            "AND gap_id = ?1",
        [&](const Statement& q) { gap = ReadGap(q, true); }, gap_id);
    if (!s.ok()) return s;
    if (!gap)
      return NotFound("no gap '" + gap_id +
                      "' in the latest analysis: covgap gaps lists its gap ids");
    return std::move(*gap);
  }

  Status CreateToken(const TokenRecord& t) override {
    std::lock_guard lock(write_mu_);
    auto q = Statement::Prepare(writer_.get(),
                                "INSERT INTO tokens VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!q.ok()) return q.status();
    q->Bind(1, t.token_id).BindBlob(2, t.secret_hash).Bind(3, t.role).Bind(4, t.operator_id);
    q->Bind(5, t.label).Bind(6, t.created_by).Bind(7, t.created_ms);
    for (const auto& [index, value] : {std::pair{8, t.revoked_ms}, std::pair{9, t.expires_ms}}) {
      if (value) {
        q->Bind(index, *value);
      } else {
        q->BindNull(index);
      }
    }
    Status s = q->Run();
    if (!s.ok() && s.message().find("UNIQUE") != std::string::npos) {
      return {StatusCode::kAlreadyExists, "a token with id " + t.token_id + " exists"};
    }
    return s;
  }

  StatusOr<std::optional<TokenRecord>> FindToken(const std::string& token_id) override {
    std::optional<TokenRecord> found;
    Status s = Query(
        std::string(kTokenSelect) + " WHERE token_id = ?1",
        [&](const Statement& q) { found = ReadToken(q); }, token_id);
    if (!s.ok()) return s;
    return found;
  }

  StatusOr<std::vector<TokenRecord>> ListTokens() override {
    std::vector<TokenRecord> out;
    Status s = Query(std::string(kTokenSelect) + " ORDER BY created_ms, token_id",
                     [&](const Statement& q) { out.push_back(ReadToken(q)); });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<bool> RevokeToken(const std::string& token_id, std::int64_t when_ms) override {
    std::lock_guard lock(write_mu_);
    auto q = Statement::Prepare(
        writer_.get(),
        "UPDATE tokens SET revoked_ms = ?2 WHERE token_id = ?1 AND revoked_ms IS NULL");
    if (!q.ok()) return q.status();
    if (Status s = q->Bind(1, token_id).Bind(2, when_ms).Run(); !s.ok()) return s;
    return sqlite3_changes(writer_.get()) > 0;
  }

  Status AppendAudit(const AuditEntry& e) override {
    std::lock_guard lock(write_mu_);
    auto q = Statement::Prepare(
        writer_.get(),
        "INSERT INTO audit(time_ms, actor, action, target, details) VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!q.ok()) return q.status();
    return q->Bind(1, e.time_ms)
        .Bind(2, e.actor)
        .Bind(3, e.action)
        .Bind(4, e.target)
        .Bind(5, e.details)
        .Run();
  }

  StatusOr<std::vector<AuditEntry>> ListAudit(std::uint64_t limit) override {
    std::vector<AuditEntry> out;
    Status s = Query(
        "SELECT id, time_ms, actor, action, target, details FROM audit ORDER BY id DESC LIMIT " +
            std::to_string(std::min<std::uint64_t>(limit, INT64_MAX)),
        [&](const Statement& q) {
          AuditEntry& e = out.emplace_back();
          e.id = q.Int(0);
          e.time_ms = q.Int(1);
          e.actor = q.Text(2);
          e.action = q.Text(3);
          e.target = q.Text(4);
          e.details = q.Text(5);
        });
    if (!s.ok()) return s;
    return out;
  }

  StatusOr<geo::Gap> UpdateGapState(const GapStateChange& c, GapEvent* event_out) override {
    {
      std::lock_guard lock(write_mu_);
      auto txn = Transaction::Begin(writer_.get());
      if (!txn.ok()) return txn.status();
      auto cur = Statement::Prepare(
          writer_.get(),
          "SELECT status, operator_id, tech, kind, district FROM gaps WHERE run_id = (SELECT "
          "max(run_id) FROM analysis_runs) AND gap_id = ?1");
      if (!cur.ok()) return cur.status();
      auto row = cur->Bind(1, c.gap_id).Step();
      if (!row.ok()) return row.status();
      if (!row.value()) return NotFound("no gap '" + c.gap_id + "' in the latest analysis");
      GapEvent e = c.event;
      e.gap_id = c.gap_id;
      const std::string status = cur->Text(0);
      e.operator_id = cur->Text(1);
      e.tech = static_cast<geo::Technology>(cur->Int(2));
      e.kind = static_cast<geo::GapKind>(cur->Int(3));
      e.district = cur->Text(4);
      cur->Reset();
      if (status != c.expected_status) {
        return FailedPrecondition("gap " + c.gap_id + " is " + status + ", not " +
                                  c.expected_status + " (it was changed meanwhile); read it again");
      }
      auto upd = Statement::Prepare(
          writer_.get(),
          "UPDATE gaps SET status = ?2, plan = ?3, target_ms = ?4, cleared_ms = ?5, "
          "status_note = ?6 WHERE run_id = (SELECT max(run_id) FROM analysis_runs) AND "
          "gap_id = ?1");
      if (!upd.ok()) return upd.status();
      upd->Bind(1, c.gap_id).Bind(2, c.new_status).Bind(3, c.plan);
      if (c.target_ms) {
        upd->Bind(4, *c.target_ms);
      } else {
        upd->BindNull(4);
      }
      if (c.cleared_ms) {
        upd->Bind(5, *c.cleared_ms);
      } else {
        upd->BindNull(5);
      }
      upd->Bind(6, c.status_note);
      if (Status s = upd->Run(); !s.ok()) return s;
      if (e.time_ms == 0) e.time_ms = geo::NowUnixMs();
      e.from_status = status;
      e.to_status = c.new_status;
      auto ins = Statement::Prepare(
          writer_.get(),
          "INSERT INTO gap_events(time_ms, gap_id, type, from_status, to_status, actor, note, "
          "operator_id, tech, kind, district) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
          "?11)");
      if (!ins.ok()) return ins.status();
      ins->Bind(1, e.time_ms).Bind(2, e.gap_id).Bind(3, e.type).Bind(4, e.from_status);
      ins->Bind(5, e.to_status).Bind(6, e.actor).Bind(7, e.note).Bind(8, e.operator_id);
      ins->Bind(9, static_cast<std::int64_t>(e.tech)).Bind(10, static_cast<std::int64_t>(e.kind));
      ins->Bind(11, e.district);
      if (Status s = ins->Run(); !s.ok()) return s;
      e.event_id = sqlite3_last_insert_rowid(writer_.get());
      if (Status s = txn->Commit(); !s.ok()) return s;
      if (event_out) *event_out = std::move(e);
    }
    return GetGap(c.gap_id);
  }

  StatusOr<std::vector<GapEvent>> ListGapEvents(std::int64_t after_id, std::uint64_t limit,
                                                const std::string& gap_id) override {
    std::lock_guard lock(lookup_mu_);
    auto q = Statement::Prepare(lookup_.get(), "SELECT " + std::string(kGapEventColumns) +
                                                   " FROM gap_events WHERE event_id > ?1 AND "
                                                   "(?2 = '' OR gap_id = ?2) ORDER BY event_id "
                                                   "LIMIT ?3");
    if (!q.ok()) return q.status();
    q->Bind(1, after_id)
        .Bind(2, gap_id)
        .Bind(3, static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX)));
    std::vector<GapEvent> out;
    if (Status s =
            ForEachRow(q.value(), [&](const Statement& r) { out.push_back(ReadGapEvent(r)); });
        !s.ok()) {
      return s;
    }
    return out;
  }

 private:
  // Runs a read query (optionally with one text parameter) on the reader connection.
  Status Query(const std::string& sql, const std::function<void(const Statement&)>& row,
               const std::string& param = {}) {
    std::lock_guard lock(lookup_mu_);
    auto q = Statement::Prepare(lookup_.get(), sql);
    if (!q.ok()) return q.status();
    if (!param.empty()) q->Bind(1, param);
    return ForEachRow(q.value(), row);
  }

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

  Status InsertRows(const BatchToStore& batch) {
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
  std::array<std::uint8_t, 16> secret_;
  Statement batch_exists_, insert_batch_, insert_chunk_, upsert_count_;
};

Status Migrate(sqlite3* db) {
  auto v = Statement::Prepare(db, "PRAGMA user_version");
  if (!v.ok()) return v.status();
  auto row = v->Step();
  if (!row.ok()) return row.status();
  const std::int64_t version = v->Int(0);
  v->Reset();
  if (version > kSchemaVersion) {
    return FailedPrecondition("the store has schema version " + std::to_string(version) +
                              ", newer than this covgapd understands (" +
                              std::to_string(kSchemaVersion) + ")");
  }
  if (version == kSchemaVersion) return Status::Ok();
  auto txn = Transaction::Begin(db);
  if (!txn.ok()) return txn.status();
  if (version < 1) {
    if (Status s = Exec(db, kSchemaV1); !s.ok()) return s;
    unsigned char secret[16];
    if (RAND_bytes(secret, sizeof secret) != 1) {
      return Internal("no random bytes for the store key");
    }
    auto meta = Statement::Prepare(db, "INSERT INTO meta VALUES('device_hash_key', ?)");
    if (!meta.ok()) return meta.status();
    if (Status s = meta->BindBlob(1, {reinterpret_cast<const char*>(secret), sizeof secret}).Run();
        !s.ok()) {
      return s;
    }
    auto op = Statement::Prepare(db, "INSERT INTO operators VALUES(?, ?)");
    if (!op.ok()) return op.status();
    for (const auto& [id, name] : DefaultOperators()) {
      if (Status s = op->Bind(1, id).Bind(2, name).Run(); !s.ok()) return s;
    }
  }
  if (version < 2) {
    if (Status s = Exec(db, kSchemaV2); !s.ok()) return s;
  }
  if (version < 3) {
    if (Status s = Exec(db, kSchemaV3); !s.ok()) return s;
  }
  if (version < 4) {
    if (Status s = Exec(db, kSchemaV4); !s.ok()) return s;
  }
  if (version < 5) {
    if (Status s = Exec(db, kSchemaV5); !s.ok()) return s;
  }
  if (version < 6) {
    if (Status s = Exec(db, kSchemaV6); !s.ok()) return s;
  }
  if (version < 7) {
    if (Status s = Exec(db, kSchemaV7); !s.ok()) return s;
  }

  if (Status s = Exec(db, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
      !s.ok()) {
    return s;
  }
  return txn->Commit();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                 const SqliteStoreOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    if (!options.create_if_missing || !std::filesystem::create_directories(data_dir, ec)) {
      return FailedPrecondition("cannot create data directory " + data_dir + ": " +
                                (ec ? ec.message() : "it does not exist"));
    }
  } else if (!std::filesystem::is_directory(data_dir, ec)) {
    return FailedPrecondition(data_dir + " is not a directory");
  }
  auto lock = LockDataDir(data_dir);
  if (!lock.ok()) return lock.status();
  const std::string path = data_dir + "/covgap.sqlite";
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
                    (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  auto writer = OpenSqlite(path, flags);
  if (!writer.ok()) return writer.status();
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                             "PRAGMA foreign_keys = ON", "PRAGMA wal_autocheckpoint = 4000"}) {
    if (Status s = Exec(writer->get(), pragma); !s.ok()) return s;
  }
  if (Status s = Migrate(writer->get()); !s.ok()) return s;
  auto reader = OpenSqlite(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!reader.ok()) return reader.status();
  auto lookup = OpenSqlite(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!lookup.ok()) return lookup.status();

  auto key =
      Statement::Prepare(writer->get(), "SELECT value FROM meta WHERE key = 'device_hash_key'");
  if (!key.ok()) return key.status();
  auto row = key->Step();
  if (!row.ok()) return row.status();
  if (!row.value()) return Status(StatusCode::kDataLoss, "the store has no device hash key");
  const auto blob = key->Blob(0);
  std::array<std::uint8_t, 16> secret{};
  if (blob.size() != secret.size()) {
    return Status(StatusCode::kDataLoss, "the store's device hash key is damaged");
  }
  std::copy(blob.begin(), blob.end(), secret.begin());
  key->Reset();

  auto store =
      std::make_unique<SqliteStore>(std::move(lock.value()), std::move(writer.value()),
                                    std::move(reader.value()), std::move(lookup.value()), secret);
  if (Status s = store->Prepare(); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace covgap::store
