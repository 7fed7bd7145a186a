// SQLite store: the schema and its migrations (PRAGMA user_version), the data-directory lock
// and OpenSqliteStore.
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "server/store/sqlite/store_impl.h"
#include "server/store/sqlite_store.h"

namespace covgap::store {
namespace {

using sqlite::LockFile;
using sqlite::SqliteStore;

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
