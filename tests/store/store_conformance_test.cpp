// Behaviour every Store implementation must have. Parameterised over store factories so the
// PostgreSQL store joins the same suite when it exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "server/store/store.h"
#include "server/store/sqlite_store.h"

namespace covgap::store {
namespace {

namespace fs = std::filesystem;

struct StoreFactory {
  std::string name;
  std::function<StatusOr<std::unique_ptr<Store>>(const std::string& dir)> open;
};

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

geo::Measurement Sample(const std::string& op, geo::Technology tech, int dbm, std::int64_t t,
                        std::string device = "") {
  geo::Measurement m;
  m.operator_id = op;
  m.tech = tech;
  m.lat = 21.3 + dbm * 1e-4;
  m.lon = 106.3;
  m.signal_dbm = dbm;
  m.time_ms = t;
  m.source = geo::Source::kDrive;
  m.device_id = std::move(device);
  return m;
}

BatchToStore Batch(const std::string& id, std::vector<geo::Measurement> rows,
                   std::uint32_t rejected = 0) {
  BatchToStore b;
  b.batch_id = id;
  b.rows = std::move(rows);
  b.rejected = rejected;
  return b;
}

std::vector<BatchOutcome> Commit(Store& store, std::vector<BatchToStore> batches) {
  std::vector<const BatchToStore*> ptrs;
  for (const auto& b : batches) ptrs.push_back(&b);
  auto r = store.CommitBatches(ptrs);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : std::vector<BatchOutcome>{};
}

std::uint64_t Total(Store& store) {
  auto s = store.Stats();
  EXPECT_TRUE(s.ok());
  return s.ok() ? s->total : 0;
}

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::path(::testing::TempDir()) / ("covgap_store_" + name);
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Store> Open() {
    auto s = GetParam().open(dir_.string());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  fs::path dir_;
};

TEST_P(StoreConformanceTest, NewStoreHasTheDefaultOperators) {
  auto store = Open();
  auto ops = store->Operators();
  ASSERT_TRUE(ops.ok());
  for (const char* id : {"viettel", "vnpt", "mobifone"}) {
    EXPECT_NE(std::find(ops->begin(), ops->end(), id), ops->end()) << id;
  }
  ASSERT_TRUE(store->RegisterOperator("reddi", "Reddi").ok());
  ops = store->Operators();
  EXPECT_NE(std::find(ops->begin(), ops->end(), "reddi"), ops->end());
  EXPECT_EQ(Total(*store), 0u);
}

TEST_P(StoreConformanceTest, StoresRowsAndCountsPerOperatorAndTechnology) {
  auto store = Open();
  const auto out = Commit(*store, {Batch("b1",
                                         {Sample("viettel", geo::Technology::kLte, -100, 1000),
                                          Sample("viettel", geo::Technology::kLte, -110, 3000),
                                          Sample("vnpt", geo::Technology::kUmts, -90, 2000)},
                                         2)});
  ASSERT_EQ(out, std::vector<BatchOutcome>{BatchOutcome::kStored});
  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total, 3u);
  EXPECT_EQ(stats->batches, 1u);
  ASSERT_EQ(stats->counts.size(), 2u);
  EXPECT_EQ(stats->counts[0].operator_id, "viettel");
  EXPECT_EQ(stats->counts[0].tech, geo::Technology::kLte);
  EXPECT_EQ(stats->counts[0].count, 2u);
  EXPECT_EQ(stats->counts[0].first_time_ms, 1000);
  EXPECT_EQ(stats->counts[0].last_time_ms, 3000);
  EXPECT_EQ(stats->counts[1].operator_id, "vnpt");
  EXPECT_EQ(stats->counts[1].count, 1u);
}

TEST_P(StoreConformanceTest, RepeatedBatchIdIsANoOp) {
  auto store = Open();
  auto rows = std::vector{Sample("viettel", geo::Technology::kLte, -100, 1000)};
  EXPECT_EQ(Commit(*store, {Batch("same", rows)}), std::vector{BatchOutcome::kStored});
  EXPECT_EQ(Commit(*store, {Batch("same", rows)}), std::vector{BatchOutcome::kDuplicate});
  // Within one call too, and a different batch in the same call is still stored.
  EXPECT_EQ(
      Commit(*store, {Batch("x", rows), Batch("x", rows), Batch("same", rows)}),
      (std::vector{BatchOutcome::kStored, BatchOutcome::kDuplicate, BatchOutcome::kDuplicate}));
  EXPECT_EQ(Total(*store), 2u);
  auto stats = store->Stats();
  EXPECT_EQ(stats->batches, 2u);
}

TEST_P(StoreConformanceTest, CommittedDataSurvivesReopen) {
  {
    auto store = Open();
    std::vector<geo::Measurement> rows;
    for (int i = 0; i < 1000; ++i) {
      rows.push_back(Sample("mobifone", geo::Technology::kLte, -60 - i % 80, 1000 + i));
    }
    Commit(*store,
           {Batch("b1", rows), Batch("b2", {Sample("vnpt", geo::Technology::kNr, -90, 5)})});
  }
  auto store = Open();
  EXPECT_EQ(Total(*store), 1001u);
  EXPECT_EQ(Commit(*store, {Batch("b1", {})}), std::vector{BatchOutcome::kDuplicate});
  long long sum = 0;
  std::size_t n = 0;
  ASSERT_TRUE(store
                  ->Scan({.operator_id = "mobifone"},
                         [&](const MeasurementChunk& c) {
                           EXPECT_EQ(c.operator_id, "mobifone");
                           for (auto v : c.columns.signal_dbm) sum += v;
                           n += c.columns.size();
                         })
                  .ok());
  long long expected = 0;
  for (int i = 0; i < 1000; ++i) expected += -60 - i % 80;
  EXPECT_EQ(n, 1000u);
  EXPECT_EQ(sum, expected);
}

TEST_P(StoreConformanceTest, ScanFiltersByOperatorAndTime) {
  auto store = Open();
  Commit(*store, {Batch("old", {Sample("viettel", geo::Technology::kLte, -100, 1000)}),
                  Batch("new", {Sample("viettel", geo::Technology::kLte, -101, 9000)}),
                  Batch("other", {Sample("vnpt", geo::Technology::kLte, -102, 9000)})});
  std::vector<int> seen;
  ASSERT_TRUE(store
                  ->Scan({.operator_id = "viettel", .from_time_ms = 5000},
                         [&](const MeasurementChunk& c) {
                           for (auto v : c.columns.signal_dbm) seen.push_back(v);
                         })
                  .ok());
  EXPECT_EQ(seen, std::vector<int>{-101});
  seen.clear();
  ASSERT_TRUE(store
                  ->Scan({},
                         [&](const MeasurementChunk& c) {
                           for (auto v : c.columns.signal_dbm) seen.push_back(v);
                         })
                  .ok());
  EXPECT_EQ(seen.size(), 3u);
}

TEST_P(StoreConformanceTest, DeviceIdsAreStoredOnlyAsKeyedHashes) {
  auto store = Open();
  Commit(*store,
         {Batch("b", {Sample("viettel", geo::Technology::kLte, -100, 1, "IMEI-358240051111110"),
                      Sample("viettel", geo::Technology::kLte, -100, 2, "IMEI-358240051111110"),
                      Sample("viettel", geo::Technology::kLte, -100, 3, "other-phone"),
                      Sample("viettel", geo::Technology::kLte, -100, 4, "")})});
  std::vector<std::uint64_t> hashes;
  ASSERT_TRUE(
      store->Scan({}, [&](const MeasurementChunk& c) { hashes = c.columns.device_hash; }).ok());
  ASSERT_EQ(hashes.size(), 4u);
  EXPECT_EQ(hashes[0], hashes[1]);
  EXPECT_NE(hashes[0], hashes[2]);
  EXPECT_NE(hashes[0], 0u);
  EXPECT_EQ(hashes[3], 0u);
  store.reset();
  for (const auto& entry : fs::directory_iterator(dir_)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("358240051111110"), std::string::npos) << entry.path();
  }
}

TEST_P(StoreConformanceTest, ConcurrentCommitsAllLand) {
  auto store = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Commit(*store, {Batch("t" + std::to_string(t) + "-" + std::to_string(i),
                              {Sample("viettel", geo::Technology::kLte, -100, i),
                               Sample("vnpt", geo::Technology::kUmts, -90, i)})});
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Total(*store), 200u);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformanceTest,
    ::testing::Values(StoreFactory{"sqlite",
                                   [](const std::string& dir) { return OpenSqliteStore(dir); }}),
    [](const ::testing::TestParamInfo<StoreFactory>& p) { return p.param.name; });

TEST(SqliteStore, SecondOpenOfTheSameDirectoryIsRefused) {
  const std::string dir = ::testing::TempDir() + "/covgap_lock_test";
  fs::remove_all(dir);
  auto first = OpenSqliteStore(dir);
  ASSERT_TRUE(first.ok());
  auto second = OpenSqliteStore(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos);
  first.value().reset();
  EXPECT_TRUE(OpenSqliteStore(dir).ok());
  fs::remove_all(dir);
}

TEST(SqliteStore, DataDirThatIsAFileIsAClearError) {
  const std::string path = ::testing::TempDir() + "/covgap_not_a_dir";
  std::ofstream(path) << "x";
  auto s = OpenSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("not a directory"), std::string::npos);
  fs::remove(path);
}

}  // namespace
}  // namespace covgap::store
