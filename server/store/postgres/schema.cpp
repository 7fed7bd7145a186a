// PostgreSQL store: the schema and its migrations (under an advisory lock), and
// OpenPostgresStore.
#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "geo/base/time_format.h"
#include "server/store/postgres/store_impl.h"
#include "server/store/postgres_store.h"

namespace covgap::store {

bool IsPostgresUri(std::string_view spec) {
  return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

namespace {

using postgres::Connect;
using postgres::kMigrateLock;
using postgres::LockSql;
using postgres::PgTxn;
using postgres::PostgresStore;

constexpr int kSchemaVersion = 3;

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
