#include "server/store/sqlite_store.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "geo/time_format.h"
#include "server/store/chunk_codec.h"
#include "server/store/device_hash.h"
#include "server/store/sqlite_db.h"

namespace covgap::store {
namespace {

constexpr int kSchemaVersion = 1;

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
  SqliteStore(LockFile lock, SqliteHandle writer, SqliteHandle reader,
              std::array<std::uint8_t, 16> secret)
      : lock_(std::move(lock)),
        writer_(std::move(writer)),
        reader_(std::move(reader)),
        secret_(std::move(secret)) {}

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
    std::lock_guard lock(read_mu_);
    auto q =
        Statement::Prepare(reader_.get(), "SELECT operator_id FROM operators ORDER BY operator_id");
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

 private:
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
  std::mutex read_mu_;
  SqliteHandle writer_;
  SqliteHandle reader_;
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
  if (Status s = Exec(db, kSchemaV1); !s.ok()) return s;
  unsigned char secret[16];
  if (RAND_bytes(secret, sizeof secret) != 1) return Internal("no random bytes for the store key");
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
  if (Status s = Exec(db, "PRAGMA user_version = 1"); !s.ok()) return s;
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

  auto store = std::make_unique<SqliteStore>(std::move(lock.value()), std::move(writer.value()),
                                             std::move(reader.value()), std::move(secret));
  if (Status s = store->Prepare(); !s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace covgap::store
