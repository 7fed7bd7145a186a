#include "server/store/postgres_store.h"

#include <openssl/rand.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "geo/base/time_format.h"
#include "server/store/chunk_codec.h"
#include "server/store/device_hash.h"
#include "server/store/pg_conn.h"
#include "server/store/row_mapping.h"

namespace covgap::store {

bool IsPostgresUri(std::string_view spec) {
  return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

namespace {

constexpr int kSchemaVersion = 3;

// Advisory lock keys: (kLockClass, one of the ids below), per database.
constexpr int kLockClass = 0x636776;  // "cgv"
constexpr int kMigrateLock = 1;
constexpr int kAnalysisLock = 2;
constexpr int kGapsLock = 3;  // serialises SaveAnalysis and gap events (ids in commit order)
constexpr int kPartitionLock = 4;

constexpr const char* kChannel = "covgap_changes";

// Gaps of this many most recent runs are kept (older runs keep their summary row).
constexpr int kRunsWithGaps = 5;
// Rows per MeasurementChunk handed to Scan's visitor.
constexpr std::size_t kChunkRows = 1 << 20;
// Connections reading partitions in parallel in one Scan (at most the number of cores).
constexpr std::size_t kScanWorkers = 4;

// Version 1: everything. Keys are COLLATE "C" so that ordering is by bytes, as in SQLite.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE meta(key text PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE operators(operator_id text COLLATE "C" PRIMARY KEY, name text NOT NULL);
CREATE TABLE batches(
  batch_id text COLLATE "C" PRIMARY KEY,
  received_ms bigint NOT NULL,
  accepted bigint NOT NULL,
  rejected bigint NOT NULL
);
-- Per (batch, operator, technology): row count and time range (Stats, Scan's groups).
CREATE TABLE batch_groups(
  batch_id text COLLATE "C" NOT NULL REFERENCES batches ON DELETE CASCADE,
  operator_id text COLLATE "C" NOT NULL,
  tech smallint NOT NULL,
  n bigint NOT NULL,
  t_min bigint NOT NULL,
  t_max bigint NOT NULL,
  PRIMARY KEY(batch_id, operator_id, tech)
);
CREATE TABLE measurements(
  operator_id text COLLATE "C" NOT NULL,
  tech smallint NOT NULL,
  time_ms bigint NOT NULL,
  lat_e7 integer NOT NULL,
  lon_e7 integer NOT NULL,
  signal_dbm smallint NOT NULL,
  source smallint NOT NULL,
  device_hash bigint NOT NULL,
  accuracy_m real NOT NULL,
  quality_db real NOT NULL,
  sinr_db real NOT NULL,
  dl_kbps real NOT NULL
) PARTITION BY RANGE (time_ms);
-- Times outside 1900..2199 (month partitions are created on demand for the others).
CREATE TABLE measurements_other PARTITION OF measurements DEFAULT;
CREATE INDEX measurements_by_time ON measurements USING brin(time_ms);

CREATE TABLE areas(
  level smallint NOT NULL,
  code text COLLATE "C" NOT NULL,
  name text NOT NULL,
  wkb bytea NOT NULL,
  geom geometry,
  PRIMARY KEY(level, code)
);
CREATE INDEX areas_geom ON areas USING gist(geom);
CREATE TABLE schools(
  school_id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  level smallint NOT NULL,
  district text NOT NULL,
  commune text NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  students bigint NOT NULL,
  students_nodev bigint NOT NULL,
  geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED
);
CREATE INDEX schools_geom ON schools USING gist(geom);
CREATE TABLE households(
  household_id text COLLATE "C" PRIMARY KEY,
  category smallint NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  students_nodev bigint NOT NULL,
  district text NOT NULL,
  commune text NOT NULL
);
CREATE TABLE analysis_runs(
  run_id bigserial PRIMARY KEY,
  started_ms bigint NOT NULL,
  finished_ms bigint NOT NULL,
  params_json text NOT NULL,
  summary_json text NOT NULL,
  measurements bigint NOT NULL,
  gaps bigint NOT NULL
);
CREATE TABLE gaps(
  run_id bigint NOT NULL,
  gap_id text COLLATE "C" NOT NULL,
  kind smallint NOT NULL,
  operator_id text COLLATE "C" NOT NULL,
  tech smallint NOT NULL,
  severity double precision NOT NULL,
  area_m2 double precision NOT NULL,
  n_cells bigint NOT NULL,
  n_dead_cells bigint NOT NULL,
  n_samples bigint NOT NULL,
  median_dbm double precision NOT NULL,
  min_dbm integer NOT NULL,
  province text NOT NULL,
  district text NOT NULL,
  commune text NOT NULL,
  schools bigint NOT NULL,
  students_nodev bigint NOT NULL,
  poor_hh bigint NOT NULL,
  npoor_hh bigint NOT NULL,
  hardship_students double precision NOT NULL,
  score double precision NOT NULL,
  rank bigint NOT NULL,
  status text NOT NULL,
  plan text NOT NULL,
  target_ms bigint,
  analysed_ms bigint NOT NULL,
  crs text NOT NULL,
  cleared_ms bigint,
  status_note text NOT NULL DEFAULT '',
  wkb bytea NOT NULL,
  geom geometry,
  PRIMARY KEY(run_id, gap_id)
);
CREATE INDEX gaps_by_score ON gaps(run_id, score DESC);
CREATE INDEX gaps_geom ON gaps USING gist(geom);
CREATE TABLE tokens(
  token_id text COLLATE "C" PRIMARY KEY,
  secret_hash bytea NOT NULL,
  role text NOT NULL,
  operator_id text NOT NULL,
  label text NOT NULL,
  created_by text NOT NULL,
  created_ms bigint NOT NULL,
  revoked_ms bigint
);
CREATE TABLE audit(
  id bigserial PRIMARY KEY,
  time_ms bigint NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  details text NOT NULL
);
CREATE TABLE gap_events(
  event_id bigserial PRIMARY KEY,
  time_ms bigint NOT NULL,
  gap_id text COLLATE "C" NOT NULL,
  type text NOT NULL,
  from_status text NOT NULL,
  to_status text NOT NULL,
  actor text NOT NULL,
  note text NOT NULL,
  operator_id text NOT NULL,
  tech smallint NOT NULL,
  kind smallint NOT NULL,
  district text NOT NULL
);
CREATE INDEX gap_events_by_gap ON gap_events(gap_id, event_id);
CREATE TABLE school_coverage(
  run_id bigint NOT NULL,
  school_id text COLLATE "C" NOT NULL,
  operator_id text COLLATE "C" NOT NULL,
  tech smallint NOT NULL,
  indoor_class smallint NOT NULL,
  samples bigint NOT NULL,
  median_dbm double precision,
  nearest_good_m double precision,
  PRIMARY KEY(run_id, school_id, operator_id, tech)
);
-- WKB bytes as a PostGIS geometry, NULL when they are not valid WKB (the bytes are kept as given).
CREATE FUNCTION covgap_geom(wkb bytea, srid integer) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN ST_SetSRID(ST_GeomFromWKB(wkb), srid);
EXCEPTION WHEN others THEN
  RETURN NULL;
END $$;
)sql";

// Version 2: operators' sites (docs/importing.md "Sites"), and the prediction's result fields
// (docs/prediction.md) on gaps and school coverage. Rows of earlier runs are binned results:
// measured, p_good 0, all cells measured, no prediction.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE sites(
  site_id text COLLATE "C" PRIMARY KEY,
  operator_id text COLLATE "C" NOT NULL,
  tech smallint NOT NULL,
  lat double precision NOT NULL,
  lon double precision NOT NULL,
  height_m double precision NOT NULL,
  azimuth_deg double precision,
  beamwidth_deg double precision,
  band_mhz double precision NOT NULL,
  eirp_dbm double precision NOT NULL,
  geom geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED
);
CREATE INDEX sites_by_operator ON sites(operator_id, tech, site_id);
CREATE INDEX sites_geom ON sites USING gist(geom);
ALTER TABLE gaps ADD COLUMN evidence text NOT NULL DEFAULT 'measured',
  ADD COLUMN p_good double precision NOT NULL DEFAULT 0,
  ADD COLUMN meas_share double precision NOT NULL DEFAULT 1;
ALTER TABLE school_coverage ADD COLUMN predicted_dbm double precision,
  ADD COLUMN sigma_db double precision,
  ADD COLUMN p_good_indoor double precision;
)sql";

// Version 3: the province's rank (docs/gaps.md "Ranking"). The old per-group rank becomes
// grp_rank; rank is renumbered over each run by score, area and id. Earlier runs knew no common
// gap containment, so each of their gaps is a row of its own.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE gaps ADD COLUMN grp_rank bigint NOT NULL DEFAULT 0,
  ADD COLUMN common_id text COLLATE "C" NOT NULL DEFAULT '',
  ADD COLUMN contains text NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN expires_ms bigint;
UPDATE gaps SET grp_rank = gaps.rank, rank = p.r
FROM (SELECT run_id, gap_id,
             row_number() OVER (PARTITION BY run_id ORDER BY score DESC, area_m2 DESC, gap_id) AS r
      FROM gaps) AS p
WHERE p.run_id = gaps.run_id AND p.gap_id = gaps.gap_id;
)sql";

constexpr const char* kRunSelect =
    "SELECT run_id, started_ms, finished_ms, params_json, summary_json, measurements, gaps FROM "
    "analysis_runs";

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

AnalysisRun ReadRun(const PgResult& r, int i) {
  AnalysisRun run;
  run.run_id = r.Int(i, 0);
  run.started_ms = r.Int(i, 1);
  run.finished_ms = r.Int(i, 2);
  run.params_json = r.Text(i, 3);
  run.summary_json = r.Text(i, 4);
  run.measurements = static_cast<std::uint64_t>(r.Int(i, 5));
  run.gaps = static_cast<std::uint64_t>(r.Int(i, 6));
  return run;
}

// "EPSG:32648" -> 32648; 0 (unknown) otherwise.
int SridOf(const std::string& crs) {
  if (!crs.starts_with("EPSG:")) return 0;
  int srid = 0;
  for (char c : crs.substr(5)) {
    if (c < '0' || c > '9' || srid > 1000000) return 0;
    srid = srid * 10 + (c - '0');
  }
  return srid;
}

// An optional figure: NULL when absent.
void AddOptional(PgParams& p, const std::optional<double>& v) {
  if (v) {
    p.Add(*v);
  } else {
    p.AddNull();
  }
}

std::string LockSql(const char* fn, int id) {
  return std::string("SELECT ") + fn + "(" + std::to_string(kLockClass) + ", " +
         std::to_string(id) + ")";
}

// ---- binary COPY ----

template <typename T>
void PutBig(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[sizeof(T) - 1 - i] = static_cast<char>(u & 0xff);
    u = static_cast<U>(u >> 8);
  }
  out.append(bytes, sizeof(T));
}

template <typename T>
T GetBig(const char* p) {
  using U = std::make_unsigned_t<T>;
  U u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    u = static_cast<U>((u << 8) | static_cast<unsigned char>(p[i]));
  }
  return static_cast<T>(u);
}

constexpr char kCopySignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with the trailing NUL

void PutCopyHeader(std::string& out) {
  out.append(kCopySignature, 11);
  PutBig<std::int32_t>(out, 0);  // flags
  PutBig<std::int32_t>(out, 0);  // header extension length
}

template <typename T>
void PutField(std::string& out, T v) {
  PutBig<std::int32_t>(out, sizeof(T));
  PutBig<T>(out, v);
}

void PutFloatField(std::string& out, float v) {
  PutField<std::int32_t>(out, std::bit_cast<std::int32_t>(v));
}

void PutTextField(std::string& out, std::string_view v) {
  PutBig<std::int32_t>(out, static_cast<std::int32_t>(v.size()));
  out.append(v);
}

// Escapes a value for COPY's text format.
void PutCopyText(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
}

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

// Parses binary COPY output incrementally (each row is a complete CopyData message).
class CopyRowParser {
 public:
  // Returns the fields of one row (pointer, length; length -1 = NULL), or an error.
  Status Feed(std::string_view data,
              const std::function<Status(const char* const*, const int*, int)>& row) {
    if (!header_done_) {
      if (data.size() < 19 || std::memcmp(data.data(), kCopySignature, 11) != 0) {
        return {StatusCode::kDataLoss, "postgresql: bad binary COPY header"};
      }
      const auto ext = GetBig<std::int32_t>(data.data() + 15);
      data.remove_prefix(19 + static_cast<std::size_t>(ext));
      header_done_ = true;
    }
    while (data.size() >= 2) {
      const auto n = GetBig<std::int16_t>(data.data());
      data.remove_prefix(2);
      if (n == -1) return Status::Ok();  // trailer
      if (n > static_cast<int>(ptrs_.size())) {
        return {StatusCode::kDataLoss, "postgresql: unexpected COPY row width"};
      }
      for (int i = 0; i < n; ++i) {
        if (data.size() < 4) return {StatusCode::kDataLoss, "postgresql: truncated COPY row"};
        const auto len = GetBig<std::int32_t>(data.data());
        data.remove_prefix(4);
        lens_[static_cast<std::size_t>(i)] = len;
        ptrs_[static_cast<std::size_t>(i)] = data.data();
        if (len > 0) {
          if (data.size() < static_cast<std::size_t>(len)) {
            return {StatusCode::kDataLoss, "postgresql: truncated COPY row"};
          }
          data.remove_prefix(static_cast<std::size_t>(len));
        }
      }
      if (Status s = row(ptrs_.data(), lens_.data(), n); !s.ok()) return s;
    }
    return Status::Ok();
  }

 private:
  bool header_done_ = false;
  std::array<const char*, 16> ptrs_{};
  std::array<int, 16> lens_{};
};

// ---- connections ----

// Opens a connection with the session settings the store relies on.
StatusOr<PgConn> Connect(const std::string& conninfo) {
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

std::string RandomHex(std::size_t bytes) {
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

  StatusOr<std::unique_ptr<AnalysisLease>> AcquireAnalysisLock(bool wait) override {
    // A dedicated connection holds the session lock; closing it (the lease's end) releases it,
    // also when this process dies.
    struct Lease final : AnalysisLease {
      explicit Lease(PgConn c) : conn(std::move(c)) {}
      ~Lease() override { (void)conn.Exec(LockSql("pg_advisory_unlock", kAnalysisLock)); }
      PgConn conn;
    };
    auto conn = Connect(pool_.conninfo());
    if (!conn.ok()) return conn.status();
    auto r =
        conn->Query(LockSql(wait ? "pg_advisory_lock" : "pg_try_advisory_lock", kAnalysisLock));
    if (!r.ok()) return r.status();
    if (!wait && !r->Bool(0, 0)) return std::unique_ptr<AnalysisLease>();
    return std::unique_ptr<AnalysisLease>(std::make_unique<Lease>(std::move(conn.value())));
  }

  void OnExternalChange(std::function<void()> changed) override {
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

  StatusOr<std::vector<BatchOutcome>> CommitBatches(
      std::span<const BatchToStore* const> batches) override {
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

  StatusOr<StoreStats> Stats() override {
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

  StatusOr<std::vector<std::string>> Operators() override {
    auto r = Query("SELECT operator_id FROM operators ORDER BY operator_id");
    if (!r.ok()) return r.status();
    std::vector<std::string> ids;
    for (int i = 0; i < r->Rows(); ++i) ids.push_back(r->Text(i, 0));
    return ids;
  }

  Status RegisterOperator(const std::string& operator_id, const std::string& name) override {
    return Query(
               "INSERT INTO operators VALUES($1, $2) ON CONFLICT (operator_id) DO UPDATE SET name "
               "= excluded.name",
               PgParams().Add(operator_id).Add(name))
        .status();
  }

  Status Scan(const ScanFilter& filter,
              const std::function<void(const MeasurementChunk&)>& visit) override {
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
        const auto from = duration_cast<milliseconds>(
                              sys_days(std::chrono::year(year) / std::chrono::month(month) / 1)
                                  .time_since_epoch())
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

  StatusOr<UpsertCounts> UpsertAreas(const std::vector<geo::AdminArea>& areas) override {
    return Upsert(
        "INSERT INTO areas VALUES($1, $2, $3, $4, covgap_geom($4, 4326)) ON CONFLICT (level, "
        "code) DO UPDATE SET name = excluded.name, wkb = excluded.wkb, geom = excluded.geom "
        "RETURNING (xmax = 0)",
        areas, [](const geo::AdminArea& a) {
          return PgParams().Add(static_cast<int>(a.level)).Add(a.code).Add(a.name).AddBytes(a.wkb);
        });
  }

  StatusOr<std::vector<geo::AdminArea>> Areas() override {
    auto r = Query("SELECT level, code, name, wkb FROM areas ORDER BY level, code");
    if (!r.ok()) return r.status();
    std::vector<geo::AdminArea> out;
    for (int i = 0; i < r->Rows(); ++i) {
      geo::AdminArea& a = out.emplace_back();
      a.level = static_cast<geo::AreaLevel>(r->Int(i, 0));
      a.code = r->Text(i, 1);
      a.name = r->Text(i, 2);
      a.wkb = r->Bytes(i, 3);
    }
    return out;
  }

  StatusOr<UpsertCounts> UpsertSchools(const std::vector<geo::School>& schools) override {
    return Upsert(
        "INSERT INTO schools VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (school_id) "
        "DO UPDATE SET name = excluded.name, level = excluded.level, district = "
        "excluded.district, commune = excluded.commune, lat = excluded.lat, lon = excluded.lon, "
        "students = excluded.students, students_nodev = excluded.students_nodev RETURNING (xmax "
        "= 0)",
        schools, [](const geo::School& x) {
          return PgParams()
              .Add(x.school_id)
              .Add(x.name)
              .Add(static_cast<int>(x.level))
              .Add(x.district)
              .Add(x.commune)
              .Add(x.lat)
              .Add(x.lon)
              .Add(static_cast<std::int64_t>(x.students))
              .Add(static_cast<std::int64_t>(x.students_nodev));
        });
  }

  StatusOr<std::vector<geo::School>> Schools() override {
    auto r = Query(
        "SELECT school_id, name, level, district, commune, lat, lon, students, students_nodev "
        "FROM schools ORDER BY school_id");
    if (!r.ok()) return r.status();
    std::vector<geo::School> out;
    for (int i = 0; i < r->Rows(); ++i) {
      geo::School& x = out.emplace_back();
      x.school_id = r->Text(i, 0);
      x.name = r->Text(i, 1);
      x.level = static_cast<geo::SchoolLevel>(r->Int(i, 2));
      x.district = r->Text(i, 3);
      x.commune = r->Text(i, 4);
      x.lat = r->Real(i, 5);
      x.lon = r->Real(i, 6);
      x.students = r->Int(i, 7);
      x.students_nodev = r->Int(i, 8);
    }
    return out;
  }

  StatusOr<UpsertCounts> UpsertHouseholds(const std::vector<geo::Household>& households) override {
    return Upsert(
        "INSERT INTO households VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (household_id) "
        "DO UPDATE SET category = excluded.category, lat = excluded.lat, lon = excluded.lon, "
        "students_nodev = excluded.students_nodev, district = excluded.district, commune = "
        "excluded.commune RETURNING (xmax = 0)",
        households, [](const geo::Household& x) {
          return PgParams()
              .Add(x.household_id)
              .Add(static_cast<int>(x.category))
              .Add(x.lat)
              .Add(x.lon)
              .Add(static_cast<std::int64_t>(x.students_nodev))
              .Add(x.district)
              .Add(x.commune);
        });
  }

  StatusOr<std::vector<geo::Household>> Households() override {
    auto r = Query(
        "SELECT household_id, category, lat, lon, students_nodev, district, commune FROM "
        "households ORDER BY household_id");
    if (!r.ok()) return r.status();
    std::vector<geo::Household> out;
    for (int i = 0; i < r->Rows(); ++i) {
      geo::Household& x = out.emplace_back();
      x.household_id = r->Text(i, 0);
      x.category = static_cast<geo::HouseholdCategory>(r->Int(i, 1));
      x.lat = r->Real(i, 2);
      x.lon = r->Real(i, 3);
      x.students_nodev = r->Int(i, 4);
      x.district = r->Text(i, 5);
      x.commune = r->Text(i, 6);
    }
    return out;
  }

  StatusOr<UpsertCounts> UpsertSites(const std::vector<geo::Site>& sites) override {
    return Upsert(
        "INSERT INTO sites VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (site_id) "
        "DO UPDATE SET operator_id = excluded.operator_id, tech = excluded.tech, lat = "
        "excluded.lat, lon = excluded.lon, height_m = excluded.height_m, azimuth_deg = "
        "excluded.azimuth_deg, beamwidth_deg = excluded.beamwidth_deg, band_mhz = "
        "excluded.band_mhz, eirp_dbm = excluded.eirp_dbm RETURNING (xmax = 0)",
        sites, [](const geo::Site& x) {
          PgParams p;
          p.Add(x.site_id).Add(x.operator_id).Add(static_cast<int>(x.tech)).Add(x.lat).Add(x.lon);
          p.Add(x.height_m);
          AddOptional(p, x.azimuth_deg);
          AddOptional(p, x.beamwidth_deg);
          p.Add(x.band_mhz).Add(x.eirp_dbm);
          return p;
        });
  }

  StatusOr<std::vector<geo::Site>> Sites() override {
    auto r = Query(
        "SELECT site_id, operator_id, tech, lat, lon, height_m, azimuth_deg, beamwidth_deg, "
        "band_mhz, eirp_dbm FROM sites ORDER BY operator_id, tech, site_id");
    if (!r.ok()) return r.status();
    std::vector<geo::Site> out;
    for (int i = 0; i < r->Rows(); ++i) {
      geo::Site& x = out.emplace_back();
      x.site_id = r->Text(i, 0);
      x.operator_id = r->Text(i, 1);
      x.tech = static_cast<geo::Technology>(r->Int(i, 2));
      x.lat = r->Real(i, 3);
      x.lon = r->Real(i, 4);
      x.height_m = r->Real(i, 5);
      if (!r->IsNull(i, 6)) x.azimuth_deg = r->Real(i, 6);
      if (!r->IsNull(i, 7)) x.beamwidth_deg = r->Real(i, 7);
      x.band_mhz = r->Real(i, 8);
      x.eirp_dbm = r->Real(i, 9);
    }
    return out;
  }

  StatusOr<std::int64_t> SaveAnalysis(const AnalysisRun& run, const std::vector<geo::Gap>& gaps,
                                      const std::vector<geo::SchoolCoverage>& schools) override {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    PgConn& c = **conn;
    auto txn = PgTxn::Begin(c);
    if (!txn.ok()) return txn.status();
    if (Status s = c.Exec(LockSql("pg_advisory_xact_lock", kGapsLock)); !s.ok()) return s;
    auto prev = c.Query("SELECT coalesce(max(run_id), 0) FROM analysis_runs");
    if (!prev.ok()) return prev.status();
    const std::int64_t previous = prev->Int(0, 0);
    auto ins = c.Query(
        "INSERT INTO analysis_runs(started_ms, finished_ms, params_json, summary_json, "
        "measurements, gaps) VALUES($1, $2, $3, $4, $5, $6) RETURNING run_id",
        PgParams()
            .Add(run.started_ms)
            .Add(run.finished_ms)
            .Add(run.params_json)
            .Add(run.summary_json)
            .Add(static_cast<std::int64_t>(run.measurements))
            .Add(static_cast<std::int64_t>(gaps.size())));
    if (!ins.ok()) return ins.status();
    const std::int64_t run_id = ins->Int(0, 0);
    const std::string insert_gap =
        "INSERT INTO gaps(run_id, " + std::string(kGapColumns) +
        ", wkb, geom) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
        "$16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, "
        "$33, $34, $35, $36, covgap_geom($36, $37))";
    for (const geo::Gap& g : gaps) {
      PgParams p;
      p.Add(run_id);
      AddGapColumns(g, p);
      p.AddBytes(g.wkb).Add(SridOf(g.crs));
      if (auto r = c.Query(insert_gap, p); !r.ok()) return r.status();
    }
    if (previous > 0) {
      auto carry =
          c.Query(CarryLifecycleSql(SqlDialect::kPostgres), PgParams().Add(run_id).Add(previous));
      if (!carry.ok()) return carry.status();
    }
    // Ids the previous run did not have are new gaps: one `new` event each (before the
    // carry-over below, which only brings back ids the previous run had).
    auto fresh = c.Query(NewGapEventsSql(SqlDialect::kPostgres),
                         PgParams()
                             .Add(run_id)
                             .Add(previous)
                             .Add(run.finished_ms)
                             .Add("covgapd (analysis run " + std::to_string(run_id) + ")"));
    if (!fresh.ok()) return fresh.status();
    if (previous > 0) {
      // A gap in the life cycle (not open) that no new gap matched stays, unchanged, until it
      // is verified or reopened; an id a new gap took already is not duplicated.
      auto keep = c.Query(KeepLifecycleGapsSql(SqlDialect::kPostgres, ", geom"),
                          PgParams().Add(run_id).Add(previous));
      if (!keep.ok()) return keep.status();
    }
    // Gaps of the kRunsWithGaps most recent runs stay, and the first run's (the baseline of the
    // progress report).
    const std::string older = "(SELECT run_id FROM analysis_runs ORDER BY run_id DESC OFFSET " +
                              std::to_string(kRunsWithGaps) + ")";
    if (Status s = c.Exec("DELETE FROM gaps WHERE run_id IN " + older +
                          " AND run_id <> (SELECT min(run_id) FROM analysis_runs)");
        !s.ok()) {
      return s;
    }
    for (const geo::SchoolCoverage& sc : schools) {
      PgParams p;
      p.Add(run_id).Add(sc.school_id).Add(sc.operator_id).Add(static_cast<int>(sc.tech));
      p.Add(static_cast<int>(sc.indoor_class)).Add(sc.samples);
      if (std::isnan(sc.median_dbm)) {
        p.AddNull();
      } else {
        p.Add(sc.median_dbm);
      }
      AddOptional(p, sc.nearest_good_m);
      AddOptional(p, sc.predicted_dbm);
      AddOptional(p, sc.sigma_db);
      AddOptional(p, sc.p_good_indoor);
      auto r = c.Query(
          "INSERT INTO school_coverage VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON "
          "CONFLICT (run_id, school_id, operator_id, tech) DO UPDATE SET indoor_class = "
          "excluded.indoor_class, samples = excluded.samples, median_dbm = excluded.median_dbm, "
          "nearest_good_m = excluded.nearest_good_m, predicted_dbm = excluded.predicted_dbm, "
          "sigma_db = excluded.sigma_db, p_good_indoor = excluded.p_good_indoor",
          p);
      if (!r.ok()) return r.status();
    }
    if (Status s = c.Exec("DELETE FROM school_coverage WHERE run_id IN " + older); !s.ok()) {
      return s;
    }
    if (Status s = Notify(c); !s.ok()) return s;
    if (Status s = txn->Commit(); !s.ok()) return s;
    return run_id;
  }

  StatusOr<std::optional<AnalysisRun>> LatestRun() override {
    return OneRun(std::string(kRunSelect) + " ORDER BY run_id DESC LIMIT 1");
  }

  StatusOr<std::optional<AnalysisRun>> FirstRun() override {
    return OneRun(std::string(kRunSelect) + " ORDER BY run_id LIMIT 1");
  }

  StatusOr<std::pair<std::vector<geo::Gap>, std::uint64_t>> ListGaps(
      const GapQuery& query) override {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    PgConn& c = **conn;
    auto txn = PgTxn::Begin(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!txn.ok()) return txn.status();
    if (query.run_id > 0) {
      auto run =
          c.Query("SELECT 1 FROM analysis_runs WHERE run_id = $1", PgParams().Add(query.run_id));
      if (!run.ok()) return run.status();
      if (run->Rows() == 0) return NotFound("no analysis run " + std::to_string(query.run_id));
    }
    // A district matches by its full name or by the name after its unit prefix ("Lục Ngạn" for
    // "Huyện Lục Ngạn"), never by its last words alone ("Ngạn").
    const std::string where =
        " FROM gaps WHERE run_id = (CASE WHEN $7::bigint > 0 THEN $7::bigint ELSE"
        " (SELECT max(run_id) FROM analysis_runs) END)"
        " AND ($1::text = '' OR operator_id = $1::text OR ($8::boolean AND kind = 1))"
        " AND ($2::integer < 0 OR tech = $2::integer) AND ($3::integer < 0 OR kind = $3::integer)"
        " AND ($4::text = '' OR district IN ($4::text, 'Huyện ' || $4::text, 'Quận ' || $4::text,"
        " 'Thị xã ' || $4::text, 'Thành phố ' || $4::text))"
        " AND ($5::text = '' OR status = $5::text) AND score >= $6::double precision"
        // $9: grouped: leave out an operator gap whose common gap matches the filter too
        " AND NOT ($9::boolean AND kind = 0 AND common_id <> '' AND ($1::text = '' OR $8::boolean)"
        " AND ($3::integer < 0 OR $3::integer = 1) AND EXISTS (SELECT 1 FROM gaps c"
        " WHERE c.run_id = gaps.run_id AND c.gap_id = gaps.common_id AND ($4::text = ''"
        " OR c.district IN ($4::text, 'Huyện ' || $4::text, 'Quận ' || $4::text,"
        " 'Thị xã ' || $4::text, 'Thành phố ' || $4::text))"
        " AND ($5::text = '' OR c.status = $5::text) AND c.score >= $6::double precision))";
    const char* order = query.order == GapOrder::kRank   ? " ORDER BY rank, kind DESC, gap_id"
                        : query.order == GapOrder::kArea ? " ORDER BY area_m2 DESC, gap_id"
                        : query.order == GapOrder::kTodo ? " ORDER BY kind DESC, score DESC, gap_id"
                                                         : " ORDER BY score DESC, gap_id";
    PgParams p;
    p.Add(query.operator_id)
        .Add(query.tech ? static_cast<int>(*query.tech) : -1)
        .Add(query.kind ? static_cast<int>(*query.kind) : -1)
        .Add(query.district)
        .Add(query.status)
        .Add(std::max(query.min_score, -1e300))
        .Add(query.run_id)
        .Add(query.include_common)
        .Add(query.grouped);
    auto count = c.Query("SELECT count(*)" + where, p);
    if (!count.ok()) return count.status();
    const auto total = static_cast<std::uint64_t>(count->Int(0, 0));
    p.Add(static_cast<std::int64_t>(std::min<std::uint64_t>(query.limit, INT64_MAX)))
        .Add(static_cast<std::int64_t>(std::min<std::uint64_t>(query.offset, INT64_MAX)));
    auto r = c.Query("SELECT " + std::string(kGapColumns) + (query.with_geometry ? ", wkb" : "") +
                         where + order + " LIMIT $10 OFFSET $11",
                     p);
    if (!r.ok()) return r.status();
    std::vector<geo::Gap> gaps;
    for (int i = 0; i < r->Rows(); ++i) gaps.push_back(ReadGap(PgRow{*r, i}, query.with_geometry));
    if (Status s = txn->Commit(); !s.ok()) return s;
    return std::make_pair(std::move(gaps), total);
  }

  StatusOr<geo::Gap> GetGap(const std::string& gap_id) override {
    auto r = Query("SELECT " + std::string(kGapColumns) +
                       ", wkb FROM gaps WHERE run_id = (SELECT max(run_id) FROM analysis_runs) "
                       "AND gap_id = $1",
                   PgParams().Add(gap_id));
    if (!r.ok()) return r.status();
    if (r->Rows() == 0)
      return NotFound("no gap '" + gap_id +
                      "' in the latest analysis: covgap gaps lists its gap ids");
    return ReadGap(PgRow{*r, 0}, true);
  }

  StatusOr<std::vector<geo::SchoolCoverage>> LatestSchoolCoverage() override {
    auto r = Query(
        "SELECT school_id, operator_id, tech, indoor_class, samples, median_dbm, nearest_good_m, "
        "predicted_dbm, sigma_db, p_good_indoor FROM school_coverage WHERE run_id = (SELECT "
        "max(run_id) FROM analysis_runs) ORDER BY school_id, operator_id, tech");
    if (!r.ok()) return r.status();
    std::vector<geo::SchoolCoverage> out;
    for (int i = 0; i < r->Rows(); ++i) {
      geo::SchoolCoverage c;
      c.school_id = r->Text(i, 0);
      c.operator_id = r->Text(i, 1);
      c.tech = static_cast<geo::Technology>(r->Int(i, 2));
      c.indoor_class = static_cast<geo::CellClass>(r->Int(i, 3));
      c.samples = r->Int(i, 4);
      if (!r->IsNull(i, 5)) c.median_dbm = r->Real(i, 5);
      if (!r->IsNull(i, 6)) c.nearest_good_m = r->Real(i, 6);
      if (!r->IsNull(i, 7)) c.predicted_dbm = r->Real(i, 7);
      if (!r->IsNull(i, 8)) c.sigma_db = r->Real(i, 8);
      if (!r->IsNull(i, 9)) c.p_good_indoor = r->Real(i, 9);
      out.push_back(std::move(c));
    }
    return out;
  }

  Status CreateToken(const TokenRecord& t) override {
    auto r = Query("INSERT INTO tokens VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                   PgParams()
                       .Add(t.token_id)
                       .AddBytes(t.secret_hash)
                       .Add(t.role)
                       .Add(t.operator_id)
                       .Add(t.label)
                       .Add(t.created_by)
                       .Add(t.created_ms)
                       .Add(t.revoked_ms)
                       .Add(t.expires_ms));
    if (!r.ok() && r.status().code() == StatusCode::kAlreadyExists) {
      return {StatusCode::kAlreadyExists, "a token with id " + t.token_id + " exists"};
    }
    return r.status();
  }

  StatusOr<std::optional<TokenRecord>> FindToken(const std::string& token_id) override {
    auto r = Query(std::string(kTokenSelect) + " WHERE token_id = $1", PgParams().Add(token_id));
    if (!r.ok()) return r.status();
    std::optional<TokenRecord> found;
    if (r->Rows() > 0) found = ReadToken(PgRow{*r, 0});
    return found;
  }

  StatusOr<std::vector<TokenRecord>> ListTokens() override {
    auto r = Query(std::string(kTokenSelect) + " ORDER BY created_ms, token_id");
    if (!r.ok()) return r.status();
    std::vector<TokenRecord> out;
    for (int i = 0; i < r->Rows(); ++i) out.push_back(ReadToken(PgRow{*r, i}));
    return out;
  }

  StatusOr<bool> RevokeToken(const std::string& token_id, std::int64_t when_ms) override {
    auto r = Query("UPDATE tokens SET revoked_ms = $2 WHERE token_id = $1 AND revoked_ms IS NULL",
                   PgParams().Add(token_id).Add(when_ms));
    if (!r.ok()) return r.status();
    return r->Affected() > 0;
  }

  Status AppendAudit(const AuditEntry& e) override {
    return Query(
               "INSERT INTO audit(time_ms, actor, action, target, details) VALUES($1, $2, $3, "
               "$4, $5)",
               PgParams().Add(e.time_ms).Add(e.actor).Add(e.action).Add(e.target).Add(e.details))
        .status();
  }

  StatusOr<std::vector<AuditEntry>> ListAudit(std::uint64_t limit) override {
    auto r = Query(
        "SELECT id, time_ms, actor, action, target, details FROM audit ORDER BY id DESC LIMIT $1",
        PgParams().Add(static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX))));
    if (!r.ok()) return r.status();
    std::vector<AuditEntry> out;
    for (int i = 0; i < r->Rows(); ++i) {
      AuditEntry& e = out.emplace_back();
      e.id = r->Int(i, 0);
      e.time_ms = r->Int(i, 1);
      e.actor = r->Text(i, 2);
      e.action = r->Text(i, 3);
      e.target = r->Text(i, 4);
      e.details = r->Text(i, 5);
    }
    return out;
  }

  StatusOr<geo::Gap> UpdateGapState(const GapStateChange& ch, GapEvent* event_out) override {
    {
      auto conn = pool_.Acquire();
      if (!conn.ok()) return conn.status();
      PgConn& c = **conn;
      auto txn = PgTxn::Begin(c);
      if (!txn.ok()) return txn.status();
      if (Status s = c.Exec(LockSql("pg_advisory_xact_lock", kGapsLock)); !s.ok()) return s;
      // The compare-and-set: only a gap that still has the expected status changes.
      auto upd = c.Query(
          "UPDATE gaps SET status = $2, plan = $3, target_ms = $4, cleared_ms = $5, status_note "
          "= $6 WHERE run_id = (SELECT max(run_id) FROM analysis_runs) AND gap_id = $1 AND "
          "status = $7 RETURNING operator_id, tech, kind, district",
          PgParams()
              .Add(ch.gap_id)
              .Add(ch.new_status)
              .Add(ch.plan)
              .Add(ch.target_ms)
              .Add(ch.cleared_ms)
              .Add(ch.status_note)
              .Add(ch.expected_status));
      if (!upd.ok()) return upd.status();
      if (upd->Rows() == 0) {
        auto cur = c.Query(
            "SELECT status FROM gaps WHERE run_id = (SELECT max(run_id) FROM analysis_runs) AND "
            "gap_id = $1",
            PgParams().Add(ch.gap_id));
        if (!cur.ok()) return cur.status();
        if (cur->Rows() == 0) return NotFound("no gap '" + ch.gap_id + "' in the latest analysis");
        return FailedPrecondition("gap " + ch.gap_id + " is " + cur->Text(0, 0) + ", not " +
                                  ch.expected_status +
                                  " (it was changed meanwhile); read it again");
      }
      GapEvent e = ch.event;
      e.gap_id = ch.gap_id;
      e.operator_id = upd->Text(0, 0);
      e.tech = static_cast<geo::Technology>(upd->Int(0, 1));
      e.kind = static_cast<geo::GapKind>(upd->Int(0, 2));
      e.district = upd->Text(0, 3);
      if (e.time_ms == 0) e.time_ms = geo::NowUnixMs();
      e.from_status = ch.expected_status;
      e.to_status = ch.new_status;
      auto ins = c.Query(
          "INSERT INTO gap_events(time_ms, gap_id, type, from_status, to_status, actor, note, "
          "operator_id, tech, kind, district) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
          "$11) RETURNING event_id",
          PgParams()
              .Add(e.time_ms)
              .Add(e.gap_id)
              .Add(e.type)
              .Add(e.from_status)
              .Add(e.to_status)
              .Add(e.actor)
              .Add(e.note)
              .Add(e.operator_id)
              .Add(static_cast<int>(e.tech))
              .Add(static_cast<int>(e.kind))
              .Add(e.district));
      if (!ins.ok()) return ins.status();
      e.event_id = ins->Int(0, 0);
      if (Status s = Notify(c); !s.ok()) return s;
      if (Status s = txn->Commit(); !s.ok()) return s;
      if (event_out) *event_out = std::move(e);
    }
    return GetGap(ch.gap_id);
  }

  StatusOr<std::vector<GapEvent>> ListGapEvents(std::int64_t after_id, std::uint64_t limit,
                                                const std::string& gap_id) override {
    auto r = Query("SELECT " + std::string(kGapEventColumns) +
                       " FROM gap_events WHERE event_id > $1 AND ($2::text = '' OR gap_id = "
                       "$2::text) ORDER BY event_id LIMIT $3",
                   PgParams().Add(after_id).Add(gap_id).Add(
                       static_cast<std::int64_t>(std::min<std::uint64_t>(limit, INT64_MAX))));
    if (!r.ok()) return r.status();
    std::vector<GapEvent> out;
    for (int i = 0; i < r->Rows(); ++i) out.push_back(ReadGapEvent(PgRow{*r, i}));
    return out;
  }

 private:
  StatusOr<PgResult> Query(const std::string& sql, const PgParams& params = {}) {
    auto conn = pool_.Acquire();
    if (!conn.ok()) return conn.status();
    return (*conn)->Query(sql, params);
  }

  StatusOr<std::optional<AnalysisRun>> OneRun(const std::string& sql) {
    auto r = Query(sql);
    if (!r.ok()) return r.status();
    std::optional<AnalysisRun> run;
    if (r->Rows() > 0) run = ReadRun(*r, 0);
    return run;
  }

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
  Status Notify(PgConn& c) {
    return c.Query("SELECT pg_notify($1, $2)", PgParams().Add(kChannel).Add(instance_)).status();
  }

  // Appends a batch's rows to the binary COPY data, and its per-(operator, technology) counts
  // to the text COPY data of batch_groups.
  void AppendRows(const BatchToStore& b, std::string& rows, std::string& groups) {
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

  // Creates the month partitions the batches' rows need, each once (under an advisory lock so
  // that replicas creating the same month do not collide).
  Status EnsurePartitions(std::span<const BatchToStore* const> batches) {
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

  // The listener thread: waits on the LISTEN connection with a timeout so the destructor can
  // stop it; reconnects when the connection drops.
  void Listen(PgConn conn, const std::function<void()>& changed) {
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

  PgPool pool_;
  std::array<std::uint8_t, 16> secret_;
  const std::string instance_;  // NOTIFY payload: this store's own notifications are ignored
  std::mutex partitions_mu_;
  std::set<std::int64_t> partitions_;  // month partitions known to exist
  std::atomic<bool> stop_{false};
  std::thread listener_;
};

Status Migrate(PgConn& conn, const std::string& conninfo) {
  auto avail = conn.Query("SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'");
  if (!avail.ok()) return avail.status();
  if (avail->Int(0, 0) == 0) {
    return FailedPrecondition(
        "PostGIS is not installed on the PostgreSQL server at '" + RedactConninfo(conninfo) +
        "': install the package postgresql-15-postgis-3 on the database server (covgapd then runs "
        "CREATE EXTENSION postgis itself)");
  }
  auto txn = PgTxn::Begin(conn);
  if (!txn.ok()) return txn.status();
  // Several replicas may start at once: one migrates, the others wait and then find it done.
  if (Status s = conn.Exec(LockSql("pg_advisory_xact_lock", kMigrateLock)); !s.ok()) return s;
  if (Status s = conn.Exec("CREATE EXTENSION IF NOT EXISTS postgis"); !s.ok()) {
    return FailedPrecondition(s.message() +
                              " (CREATE EXTENSION postgis needs a superuser or the database "
                              "owner: run it once as such, e.g. psql -c 'CREATE EXTENSION "
                              "postgis' DB)");
  }
  if (Status s = conn.Exec(
          "CREATE TABLE IF NOT EXISTS schema_version(version integer PRIMARY KEY, applied_ms "
          "bigint NOT NULL)");
      !s.ok()) {
    return s;
  }
  auto v = conn.Query("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!v.ok()) return v.status();
  const std::int64_t version = v->Int(0, 0);
  if (version > kSchemaVersion) {
    return FailedPrecondition("the database has schema version " + std::to_string(version) +
                              ", newer than this covgapd understands (" +
                              std::to_string(kSchemaVersion) + "): upgrade covgapd");
  }
  if (version == kSchemaVersion) return txn->Commit();
  if (version < 1) {
    if (Status s = conn.Exec(kSchemaV1); !s.ok()) return s;
    std::array<unsigned char, 16> key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      return Internal("no random bytes for the store key");
    }
    auto meta = conn.Query(
        "INSERT INTO meta VALUES('device_hash_key', $1)",
        PgParams().AddBytes(std::string_view(reinterpret_cast<const char*>(key.data()), 16)));
    if (!meta.ok()) return meta.status();
    for (const auto& [id, name] : DefaultOperators()) {
      auto op = conn.Query("INSERT INTO operators VALUES($1, $2)", PgParams().Add(id).Add(name));
      if (!op.ok()) return op.status();
    }
  }
  if (version < 2) {
    if (Status s = conn.Exec(kSchemaV2); !s.ok()) return s;
  }
  if (version < 3) {
    if (Status s = conn.Exec(kSchemaV3); !s.ok()) return s;
  }
  auto done = conn.Query("INSERT INTO schema_version VALUES($1, $2)",
                         PgParams().Add(kSchemaVersion).Add(geo::NowUnixMs()));
  if (!done.ok()) return done.status();
  return txn->Commit();
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo) {
  auto conn = Connect(conninfo);
  if (!conn.ok()) return conn.status();
  if (Status s = Migrate(conn.value(), conninfo); !s.ok()) return s;
  auto key = conn->Query("SELECT value FROM meta WHERE key = 'device_hash_key'");
  if (!key.ok()) return key.status();
  if (key->Rows() == 0) return Status(StatusCode::kDataLoss, "the store has no device hash key");
  const std::string bytes = key->Bytes(0, 0);
  std::array<std::uint8_t, 16> secret{};
  if (bytes.size() != secret.size()) {
    return Status(StatusCode::kDataLoss, "the store's device hash key is damaged");
  }
  std::copy(bytes.begin(), bytes.end(), secret.begin());
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(conninfo, secret));
}

}  // namespace covgap::store
