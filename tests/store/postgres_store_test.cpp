// PostgreSQL-only behaviour: several store objects (covgapd replicas) on one database, the
// database's own locks and notifications, partitions and PostGIS geometries. The behaviour both
// stores share is in store_conformance_test.cpp. Skipped without COVGAP_TEST_PG.
#include "server/store/postgres_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/store/postgres/conn.h"
#include "server/store/store.h"
#include "tests/store/pg_test_support.h"

namespace covgap::store {
namespace {

using namespace std::chrono_literals;

geo::Measurement Row(const std::string& op, int dbm, std::int64_t t) {
  geo::Measurement m;
  m.operator_id = op;
  m.tech = geo::Technology::kLte;
  m.lat = 21.3;
  m.lon = 106.3;
  m.signal_dbm = dbm;
  m.time_ms = t;
  m.source = geo::Source::kDrive;
  return m;
}

std::string SquareWkb(double x0, double y0, double size) {
  std::string w;
  auto u8 = [&](std::uint8_t v) { w.push_back(static_cast<char>(v)); };
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  auto f64 = [&](double d) {
    const auto v = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  u8(1);
  u32(6);
  u32(1);
  u8(1);
  u32(3);
  u32(1);
  u32(5);
  for (const auto& [x, y] :
       {std::pair{x0, y0}, std::pair{x0 + size, y0}, std::pair{x0 + size, y0 + size},
        std::pair{x0, y0 + size}, std::pair{x0, y0}}) {
    f64(x);
    f64(y);
  }
  return w;
}

geo::Gap MakeGap(const std::string& id) {
  geo::Gap g;
  g.gap_id = id;
  g.operator_id = "viettel";
  g.district = "Huyện Lục Ngạn";
  g.score = 1;
  g.crs = "EPSG:32648";
  g.wkb = SquareWkb(600000, 2360000, 100);
  return g;
}

AnalysisRun MakeRun() {
  AnalysisRun r;
  r.started_ms = 1;
  r.finished_ms = 2;
  r.params_json = "{}";
  r.summary_json = "{}";
  return r;
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PgAdminConninfo().empty()) GTEST_SKIP() << kPgSkipMessage;
    db_ = PgTestDatabaseName(std::string("pg_") +
                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::string error;
    conninfo_ = PgFreshDatabase(db_, &error);
    ASSERT_FALSE(conninfo_.empty()) << error;
  }
  void TearDown() override {
    if (!db_.empty()) PgDropDatabase(db_);
  }
  std::unique_ptr<Store> Open() {
    auto s = OpenPostgresStore(conninfo_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  // A query on the test database, outside the store.
  PgResult Sql(const std::string& sql) {
    auto conn = PgConn::Connect(conninfo_);
    EXPECT_TRUE(conn.ok());
    auto r = conn->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r.value()) : PgResult();
  }
  std::string db_, conninfo_;
};

std::vector<BatchOutcome> Commit(Store& s, const BatchToStore& b) {
  const BatchToStore* ptr = &b;
  auto r = s.CommitBatches(std::span(&ptr, 1));
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : std::vector<BatchOutcome>{};
}

TEST_F(PostgresStoreTest, TwoStoresOnOneDatabaseSeeEachOthersWritesAtOnce) {
  auto a = Open();
  auto b = Open();
  BatchToStore batch{"b1", 0, {Row("viettel", -100, 1000), Row("vnpt", -90, 2000)}};
  EXPECT_EQ(Commit(*a, batch), std::vector{BatchOutcome::kStored});
  EXPECT_EQ(b->Stats()->total, 2u);
  EXPECT_EQ(Commit(*b, batch), std::vector{BatchOutcome::kDuplicate});

  ASSERT_TRUE(a->SaveAnalysis(MakeRun(), {MakeGap("gap-a")}).ok());
  auto latest = b->LatestRun();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  GapStateChange change;
  change.gap_id = "gap-a";
  change.expected_status = "open";
  change.new_status = "planned";
  change.plan = "new BTS";
  change.event.type = "planned";
  ASSERT_TRUE(b->UpdateGapState(change).ok());
  EXPECT_EQ(a->GetGap("gap-a")->status, "planned");
  // The same change through the first replica now fails: the status is no longer `open`.
  EXPECT_EQ(a->UpdateGapState(change).status().code(), StatusCode::kFailedPrecondition);
  auto events = a->ListGapEvents(0, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].type, "planned");
}

TEST_F(PostgresStoreTest, ConcurrentCommitsOfTheSameBatchFromTwoStoresStoreItOnce) {
  auto a = Open();
  auto b = Open();
  constexpr int kRounds = 20;
  int stored = 0;
  for (int i = 0; i < kRounds; ++i) {
    BatchToStore batch{"same-" + std::to_string(i), 0, {}};
    for (int k = 0; k < 500; ++k) batch.rows.push_back(Row("viettel", -100 - k % 20, 1000 + k));
    std::vector<BatchOutcome> out_a, out_b;
    std::thread ta([&] { out_a = Commit(*a, batch); });
    std::thread tb([&] { out_b = Commit(*b, batch); });
    ta.join();
    tb.join();
    ASSERT_EQ(out_a.size(), 1u);
    ASSERT_EQ(out_b.size(), 1u);
    EXPECT_NE(out_a[0], out_b[0]) << "round " << i;  // one stored, one duplicate
    stored += (out_a[0] == BatchOutcome::kStored) + (out_b[0] == BatchOutcome::kStored);
  }
  EXPECT_EQ(stored, kRounds);
  auto stats = a->Stats();
  EXPECT_EQ(stats->total, kRounds * 500u);
  EXPECT_EQ(stats->batches, static_cast<std::uint64_t>(kRounds));
  EXPECT_EQ(Sql("SELECT count(*) FROM measurements").Int(0, 0), kRounds * 500);
}

TEST_F(PostgresStoreTest, OnExternalChangeFiresWhenAnotherStoreChangesGaps) {
  auto a = Open();
  auto b = Open();
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  b->OnExternalChange([&] {
    std::lock_guard lock(mu);
    ++calls;
    cv.notify_all();
  });
  auto wait_for = [&](int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 5s, [&] { return calls >= n; });
  };
  ASSERT_TRUE(a->SaveAnalysis(MakeRun(), {MakeGap("gap-a")}).ok());
  EXPECT_TRUE(wait_for(1)) << "no call after the other store saved an analysis";
  GapStateChange change;
  change.gap_id = "gap-a";
  change.expected_status = "open";
  change.new_status = "planned";
  change.event.type = "planned";
  const int before = [&] {
    std::lock_guard lock(mu);
    return calls;
  }();
  ASSERT_TRUE(a->UpdateGapState(change).ok());
  EXPECT_TRUE(wait_for(before + 1)) << "no call after the other store appended a gap event";
  // B's own changes do not call it.
  std::this_thread::sleep_for(300ms);
  const int settled = [&] {
    std::lock_guard lock(mu);
    return calls;
  }();
  change.expected_status = "planned";
  change.new_status = "open";
  ASSERT_TRUE(b->UpdateGapState(change).ok());
  std::this_thread::sleep_for(500ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(calls, settled);
}

TEST_F(PostgresStoreTest, AnalysisLockExcludesAcrossStores) {
  auto a = Open();
  auto b = Open();
  auto held = a->AcquireAnalysisLock(false);
  ASSERT_TRUE(held.ok() && held.value() != nullptr);
  auto refused = b->AcquireAnalysisLock(false);
  ASSERT_TRUE(refused.ok()) << refused.status().message();
  EXPECT_EQ(refused.value(), nullptr);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto waited = b->AcquireAnalysisLock(true);
    EXPECT_TRUE(waited.ok() && waited.value() != nullptr);
    got = true;
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(got.load());
  held.value().reset();
  waiter.join();
  EXPECT_TRUE(got.load());
  // Released with the waiter's lease: the first store gets it again.
  auto again = a->AcquireAnalysisLock(false);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again.value(), nullptr);
}

TEST_F(PostgresStoreTest, MigrationsAreAppliedOnceWhenSeveralOpenAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto s = OpenPostgresStore(conninfo_);
      EXPECT_TRUE(s.ok()) << s.status().message();
      if (s.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  auto versions = Sql("SELECT version FROM schema_version");
  ASSERT_EQ(versions.Rows(), 1);
  EXPECT_EQ(versions.Int(0, 0), 3);
  EXPECT_EQ(Sql("SELECT count(*) FROM operators").Int(0, 0),
            static_cast<std::int64_t>(DefaultOperators().size()));
  // All opened with the same device hash key (one row).
  EXPECT_EQ(Sql("SELECT count(*) FROM meta WHERE key = 'device_hash_key'").Int(0, 0), 1);
  EXPECT_NE(Open(), nullptr);
}

// A database of schema version 1 (before sites, the prediction's fields and the province's rank)
// is migrated to 3 at open: its gaps read as binned results (measured, p_good 0, meas_share 1)
// with their old per-group rank as grp_rank and rank renumbered by score, its school coverage
// without predicted figures, and sites can be stored.
TEST_F(PostgresStoreTest, VersionOneDatabaseIsMigratedAndItsRowsReadAsBinnedResults) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    geo::Gap gap = MakeGap("gap-a");
    gap.rank = 7;  // a per-group rank of the old schema
    gap.evidence = geo::Evidence::kMixed;
    gap.p_good = 0.5;
    gap.meas_share = 0.5;
    geo::SchoolCoverage c;
    c.school_id = "BG-TH-001";
    c.operator_id = "viettel";
    c.predicted_dbm = -90;
    c.sigma_db = 8;
    c.p_good_indoor = 0.5;
    ASSERT_TRUE(store->SaveAnalysis(MakeRun(), {gap}, {c}).ok());
  }
  {
    auto conn = PgConn::Connect(conninfo_);
    ASSERT_TRUE(conn.ok()) << conn.status().message();
    const Status back = conn->Exec(
        "DROP TABLE sites; ALTER TABLE gaps DROP COLUMN evidence, DROP COLUMN p_good, DROP COLUMN "
        "meas_share; ALTER TABLE school_coverage DROP COLUMN predicted_dbm, DROP COLUMN sigma_db, "
        "DROP COLUMN p_good_indoor; ALTER TABLE gaps DROP COLUMN grp_rank, DROP COLUMN common_id, "
        "DROP COLUMN contains; ALTER TABLE tokens DROP COLUMN expires_ms; DELETE FROM "
        "schema_version; INSERT INTO schema_version VALUES "
        "(1, 0)");
    ASSERT_TRUE(back.ok()) << back.message();
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto versions = Sql("SELECT version FROM schema_version ORDER BY version");
  ASSERT_EQ(versions.Rows(), 2);
  EXPECT_EQ(versions.Int(1, 0), 3);
  auto gap = store->GetGap("gap-a");
  ASSERT_TRUE(gap.ok()) << gap.status().message();
  EXPECT_EQ(gap->grp_rank, 7);
  EXPECT_EQ(gap->rank, 1);  // the only gap of its run
  EXPECT_EQ(gap->common_id, "");
  EXPECT_EQ(gap->evidence, geo::Evidence::kMeasured);
  EXPECT_EQ(gap->p_good, 0);
  EXPECT_EQ(gap->meas_share, 1);
  auto coverage = store->LatestSchoolCoverage();
  ASSERT_TRUE(coverage.ok()) << coverage.status().message();
  ASSERT_EQ(coverage->size(), 1u);
  EXPECT_FALSE((*coverage)[0].predicted_dbm.has_value());
  EXPECT_FALSE((*coverage)[0].sigma_db.has_value());
  EXPECT_FALSE((*coverage)[0].p_good_indoor.has_value());
  geo::Site site;
  site.site_id = "VT-1";
  site.operator_id = "viettel";
  site.lat = 21.3;
  site.lon = 106.3;
  ASSERT_TRUE(store->UpsertSites({site}).ok());
  // The PostGIS point of each site is kept beside its coordinates.
  EXPECT_EQ(Sql("SELECT ST_AsText(geom) FROM sites").Text(0, 0), "POINT(106.3 21.3)");
}

TEST_F(PostgresStoreTest, MeasurementsGoToMonthPartitionsAndScanByTime) {
  auto store = Open();
  constexpr std::int64_t kJan2025 = 1736899200000;  // 2025-01-15
  constexpr std::int64_t kMar2025 = 1741996800000;  // 2025-03-15
  BatchToStore batch{"months",
                     0,
                     {Row("viettel", -100, kJan2025), Row("viettel", -101, kJan2025 + 1),
                      Row("viettel", -102, kMar2025)}};
  ASSERT_EQ(Commit(*store, batch), std::vector{BatchOutcome::kStored});
  auto parts =
      Sql("SELECT c.relname, (SELECT count(*) FROM measurements m WHERE m.tableoid = c.oid) FROM "
          "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = "
          "'measurements'::regclass ORDER BY c.relname");
  std::map<std::string, std::int64_t> rows;
  for (int i = 0; i < parts.Rows(); ++i) rows[parts.Text(i, 0)] = parts.Int(i, 1);
  EXPECT_EQ(rows["measurements_y2025m01"], 2);
  EXPECT_EQ(rows["measurements_y2025m03"], 1);
  EXPECT_EQ(rows["measurements_other"], 0);
  // A second store sharing the database uses the partitions the first one created.
  auto other = Open();
  BatchToStore more{"more", 0, {Row("vnpt", -90, kMar2025 + 5)}};
  ASSERT_EQ(Commit(*other, more), std::vector{BatchOutcome::kStored});
  std::vector<int> seen;
  ASSERT_TRUE(store
                  ->Scan({.operator_id = "", .from_time_ms = kMar2025},
                         [&](const MeasurementChunk& c) {
                           for (auto v : c.columns.signal_dbm) seen.push_back(v);
                         })
                  .ok());
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<int>{-102, -90}));
}

TEST_F(PostgresStoreTest, GapAndAreaGeometriesArePostgisGeometriesWithTheirSrid) {
  auto store = Open();
  ASSERT_TRUE(store->SaveAnalysis(MakeRun(), {MakeGap("gap-a")}).ok());
  auto g = Sql("SELECT ST_SRID(geom), ST_GeometryType(geom), ST_Area(geom) FROM gaps");
  ASSERT_EQ(g.Rows(), 1);
  EXPECT_EQ(g.Int(0, 0), 32648);
  EXPECT_EQ(g.Text(0, 1), "ST_MultiPolygon");
  EXPECT_DOUBLE_EQ(g.Real(0, 2), 10000.0);
  geo::AdminArea area;
  area.level = geo::AreaLevel::kDistrict;
  area.code = "22105";
  area.name = "Huyện Lục Ngạn";
  area.wkb = SquareWkb(106.5, 21.3, 0.3);
  ASSERT_TRUE(store->UpsertAreas({area}).ok());
  auto a =
      Sql("SELECT ST_SRID(geom), ST_Contains(geom, ST_SetSRID(ST_MakePoint(106.6, 21.4), 4326)) "
          "FROM areas");
  ASSERT_EQ(a.Rows(), 1);
  EXPECT_EQ(a.Int(0, 0), 4326);
  EXPECT_TRUE(a.Bool(0, 1));
}

TEST(PostgresStoreOpen, UnreachableDatabaseIsAClearError) {
  auto s = OpenPostgresStore("postgresql://covgap@127.0.0.1:1/covgap?connect_timeout=2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("cannot connect to PostgreSQL at"), std::string::npos)
      << s.status().message();
  EXPECT_NE(s.status().message().find("127.0.0.1:1"), std::string::npos);
}

TEST(PostgresStoreOpen, RecognisesPostgresUris) {
  EXPECT_TRUE(IsPostgresUri("postgresql://u@h:5432/db"));
  EXPECT_TRUE(IsPostgresUri("postgres://u@h/db"));
  EXPECT_FALSE(IsPostgresUri("/var/lib/covgap"));
  EXPECT_FALSE(IsPostgresUri("sqlite:///x"));
}

}  // namespace
}  // namespace covgap::store

namespace covgap::store {
namespace {

TEST(PostgresStoreOpen, PasswordsAreRedactedForLogs) {
  EXPECT_EQ(RedactConninfo("postgresql://covgap:s3cret@db:5432/covgap"),
            "postgresql://covgap:***@db:5432/covgap");
  EXPECT_EQ(RedactConninfo("postgresql://covgap@db/covgap?password=s3cret&sslmode=require"),
            "postgresql://covgap@db/covgap?password=***&sslmode=require");
  EXPECT_EQ(RedactConninfo("host=db user=covgap password=s3cret dbname=covgap"),
            "host=db user=covgap password=*** dbname=covgap");
  EXPECT_EQ(RedactConninfo("postgresql://covgap@db:5432/covgap"),
            "postgresql://covgap@db:5432/covgap");
}

}  // namespace
}  // namespace covgap::store

namespace covgap::store {
namespace {

// Scan reads the month partitions on parallel connections: every row once, only the months in
// the time range, chunks per (operator, technology).
TEST_F(PostgresStoreTest, ScanReadsEveryMonthPartitionOnce) {
  auto store = Open();
  constexpr std::int64_t kDay = 86400000;
  constexpr std::int64_t kJan2024 = 1704067200000;  // 2024-01-01
  BatchToStore batch{"six-months", 0, {}};
  for (int month = 0; month < 6; ++month) {
    for (int i = 0; i < 1000; ++i) {
      geo::Measurement m =
          Row(i % 2 ? "viettel" : "vnpt", -60 - month, kJan2024 + (month * 31 + 1) * kDay + i);
      batch.rows.push_back(m);
    }
  }
  ASSERT_EQ(Commit(*store, batch), std::vector{BatchOutcome::kStored});
  EXPECT_EQ(
      Sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'measurements'::regclass").Int(0, 0),
      7);  // six months and the default partition
  auto scan = [&](ScanFilter filter) {
    std::map<int, int> per_signal;
    std::set<std::string> groups;
    EXPECT_TRUE(store
                    ->Scan(filter,
                           [&](const MeasurementChunk& c) {
                             groups.insert(c.operator_id);
                             for (auto v : c.columns.signal_dbm) ++per_signal[v];
                             for (auto t : c.columns.time_ms) {
                               EXPECT_GE(t, filter.from_time_ms);
                               EXPECT_LE(t, filter.to_time_ms);
                             }
                           })
                    .ok());
    return std::make_pair(per_signal, groups);
  };
  auto [all, all_groups] = scan({});
  EXPECT_EQ(all,
            (std::map<int, int>{
                {-65, 1000}, {-64, 1000}, {-63, 1000}, {-62, 1000}, {-61, 1000}, {-60, 1000}}));
  EXPECT_EQ(all_groups, (std::set<std::string>{"viettel", "vnpt"}));
  // February to April only (months 1..3), one operator.
  auto [some, some_groups] = scan({.operator_id = "viettel",
                                   .from_time_ms = kJan2024 + 32 * kDay,
                                   .to_time_ms = kJan2024 + 94 * kDay + 999});
  EXPECT_EQ(some, (std::map<int, int>{{-63, 500}, {-62, 500}, {-61, 500}}));
  EXPECT_EQ(some_groups, std::set<std::string>{"viettel"});
}

}  // namespace
}  // namespace covgap::store
