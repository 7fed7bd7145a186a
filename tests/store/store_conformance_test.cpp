// Behaviour every Store implementation must have. Parameterised over store factories so the
// PostgreSQL store joins the same suite when it exists.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "server/store/postgres_store.h"
#include "server/store/sqlite/db.h"
#include "server/store/sqlite_store.h"
#include "server/store/store.h"
#include "tests/store/pg_test_support.h"

namespace covgap::store {
namespace {

namespace fs = std::filesystem;

struct StoreFactory {
  std::string name;
  std::function<StatusOr<std::unique_ptr<Store>>(const std::string& dir)> open;
  // Called before each test with the test's directory: makes a fresh, empty store there (or
  // skips the test when the store cannot be had here). Optional.
  std::function<void(const std::string& dir)> fresh;
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
    if (GetParam().fresh) GetParam().fresh(dir_.string());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<Store> Open() {
    auto s = GetParam().open(dir_.string());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s.value()) : nullptr;
  }
  fs::path dir_;
};

// One analysis at a time: a second holder is refused without waiting, waits with wait = true and
// gets the lock once the first lets go.
TEST_P(StoreConformanceTest, AnalysisLockHasOneHolderAtATime) {
  auto store = Open();
  auto first = store->AcquireAnalysisLock(false);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_NE(first.value(), nullptr);
  auto refused = store->AcquireAnalysisLock(false);
  ASSERT_TRUE(refused.ok()) << refused.status().message();
  EXPECT_EQ(refused.value(), nullptr);
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    auto waited = store->AcquireAnalysisLock(true);
    EXPECT_TRUE(waited.ok() && waited.value() != nullptr);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got.load());  // still held by `first`
  first.value().reset();
  waiter.join();
  EXPECT_TRUE(got.load());
  auto again = store->AcquireAnalysisLock(false);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again.value(), nullptr);  // the waiter released it when its lease went
}

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

// ---- registry and analysis ----

// A little-endian ISO WKB MultiPolygon with one square ring: real geometry, though the store only
// has to keep the bytes (which include zero bytes, so text handling would truncate them).
std::string SquareMultiPolygonWkb(double x0, double y0, double size) {
  std::string w;
  auto u8 = [&](std::uint8_t v) { w.push_back(static_cast<char>(v)); };
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  auto f64 = [&](double d) {
    const auto v = std::bit_cast<std::uint64_t>(d);
    for (int i = 0; i < 8; ++i) u8(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  u8(1);   // little endian
  u32(6);  // MultiPolygon
  u32(1);  // of one polygon
  u8(1);
  u32(3);  // Polygon
  u32(1);  // of one ring
  u32(5);  // of five points
  for (const auto& [x, y] :
       {std::pair{x0, y0}, std::pair{x0 + size, y0}, std::pair{x0 + size, y0 + size},
        std::pair{x0, y0 + size}, std::pair{x0, y0}}) {
    f64(x);
    f64(y);
  }
  return w;
}

geo::AdminArea Area(geo::AreaLevel level, std::string code, std::string name, std::string wkb) {
  geo::AdminArea a;
  a.level = level;
  a.code = std::move(code);
  a.name = std::move(name);
  a.wkb = std::move(wkb);
  return a;
}

auto Fields(const geo::AdminArea& a) { return std::tie(a.level, a.code, a.name, a.wkb); }

auto Fields(const geo::School& s) {
  return std::tie(s.school_id, s.name, s.level, s.district, s.commune, s.lat, s.lon, s.students,
                  s.students_nodev);
}

auto Fields(const geo::Household& h) {
  return std::tie(h.household_id, h.category, h.lat, h.lon, h.students_nodev, h.district,
                  h.commune);
}

auto Fields(const geo::Site& s) {
  return std::tie(s.site_id, s.operator_id, s.tech, s.lat, s.lon, s.height_m, s.azimuth_deg,
                  s.beamwidth_deg, s.band_mhz, s.eirp_dbm);
}

auto Fields(const AnalysisRun& r) {
  return std::tie(r.run_id, r.started_ms, r.finished_ms, r.params_json, r.summary_json,
                  r.measurements, r.gaps);
}

// Compares element by element so a failure names the row.
template <typename T>
void ExpectSameRows(const std::vector<T>& got, const std::vector<T>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(Fields(got[i]), Fields(want[i])) << "row " << i;
  }
}

template <typename T>
std::vector<T> SortedById(std::vector<T> rows, std::string T::*id) {
  std::sort(rows.begin(), rows.end(), [&](const T& a, const T& b) { return a.*id < b.*id; });
  return rows;
}

geo::School MakeSchool(std::string id, std::string name, geo::SchoolLevel level,
                       std::string district, std::string commune, double lat, double lon,
                       std::int64_t students, std::int64_t students_nodev) {
  geo::School s;
  s.school_id = std::move(id);
  s.name = std::move(name);
  s.level = level;
  s.district = std::move(district);
  s.commune = std::move(commune);
  s.lat = lat;
  s.lon = lon;
  s.students = students;
  s.students_nodev = students_nodev;
  return s;
}

geo::Household MakeHousehold(std::string id, geo::HouseholdCategory category, double lat,
                             double lon, std::int64_t students_nodev, std::string district,
                             std::string commune) {
  geo::Household h;
  h.household_id = std::move(id);
  h.category = category;
  h.lat = lat;
  h.lon = lon;
  h.students_nodev = students_nodev;
  h.district = std::move(district);
  h.commune = std::move(commune);
  return h;
}

geo::Site MakeSite(std::string id, std::string op, geo::Technology tech, double lat, double lon,
                   double height_m, std::optional<double> azimuth_deg,
                   std::optional<double> beamwidth_deg, double band_mhz, double eirp_dbm) {
  geo::Site s;
  s.site_id = std::move(id);
  s.operator_id = std::move(op);
  s.tech = tech;
  s.lat = lat;
  s.lon = lon;
  s.height_m = height_m;
  s.azimuth_deg = azimuth_deg;
  s.beamwidth_deg = beamwidth_deg;
  s.band_mhz = band_mhz;
  s.eirp_dbm = eirp_dbm;
  return s;
}

// A gap with every field set, each to a value derived from `seed` so that no two fields (and no
// two gaps) share a value by accident.
geo::Gap MakeGap(std::string id, geo::GapKind kind, std::string op, geo::Technology tech,
                 double score, double area_m2, std::string district, std::int64_t grp_rank,
                 int seed) {
  geo::Gap g;
  g.gap_id = std::move(id);
  g.kind = kind;
  g.operator_id = std::move(op);
  g.tech = tech;
  g.severity = 0.125 + seed / 1024.0 + 1e-9;
  g.area_m2 = area_m2;
  g.n_cells = 10 + seed;
  g.n_dead_cells = 3 + seed;
  g.n_samples = 1000 + seed;
  g.median_dbm = -108.25 - seed / 3.0;
  g.min_dbm = -121 - seed;
  g.province = "Tỉnh Bắc Giang";
  g.district = std::move(district);
  g.commune = "Xã Tân Sơn " + std::to_string(seed);
  g.schools = 2 + seed;
  g.students_nodev = 57 + seed;
  g.poor_hh = 11 + seed;
  g.npoor_hh = 7 + seed;
  g.hardship_students = 83.0 / 7.0 + seed;
  // The prediction's fields (geo/gap.h), each seed on its own evidence.
  g.evidence = static_cast<geo::Evidence>(seed % 3);
  g.p_good = 0.1 / 3.0 + seed / 512.0;
  g.meas_share = 1.0 - 1.0 / (seed + 7.0);
  g.score = score;
  g.grp_rank = grp_rank;
  g.analysed_ms = 1717200000000 + seed;
  g.crs = "EPSG:32648";
  g.wkb = SquareMultiPolygonWkb(600000 + 100 * seed, 2360000 + 100 * seed, 100);
  return g;
}

void ExpectSameGap(const geo::Gap& got, const geo::Gap& want, bool with_wkb = true) {
  SCOPED_TRACE("gap " + want.gap_id);
  EXPECT_EQ(got.gap_id, want.gap_id);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.operator_id, want.operator_id);
  EXPECT_EQ(got.tech, want.tech);
  EXPECT_EQ(got.severity, want.severity);
  EXPECT_EQ(got.area_m2, want.area_m2);
  EXPECT_EQ(got.n_cells, want.n_cells);
  EXPECT_EQ(got.n_dead_cells, want.n_dead_cells);
  EXPECT_EQ(got.n_samples, want.n_samples);
  EXPECT_EQ(got.median_dbm, want.median_dbm);
  EXPECT_EQ(got.min_dbm, want.min_dbm);
  EXPECT_EQ(got.province, want.province);
  EXPECT_EQ(got.district, want.district);
  EXPECT_EQ(got.commune, want.commune);
  EXPECT_EQ(got.schools, want.schools);
  EXPECT_EQ(got.students_nodev, want.students_nodev);
  EXPECT_EQ(got.poor_hh, want.poor_hh);
  EXPECT_EQ(got.npoor_hh, want.npoor_hh);
  EXPECT_EQ(got.hardship_students, want.hardship_students);
  EXPECT_EQ(got.evidence, want.evidence);
  EXPECT_EQ(got.p_good, want.p_good);
  EXPECT_EQ(got.meas_share, want.meas_share);
  EXPECT_EQ(got.score, want.score);
  EXPECT_EQ(got.rank, want.rank);
  EXPECT_EQ(got.grp_rank, want.grp_rank);
  EXPECT_EQ(got.common_id, want.common_id);
  EXPECT_EQ(got.contains, want.contains);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.plan, want.plan);
  EXPECT_EQ(got.target_ms, want.target_ms);
  EXPECT_EQ(got.cleared_ms, want.cleared_ms);
  EXPECT_EQ(got.status_note, want.status_note);
  EXPECT_EQ(got.analysed_ms, want.analysed_ms);
  EXPECT_EQ(got.crs, want.crs);
  EXPECT_EQ(got.wkb, with_wkb ? want.wkb : std::string());
}

constexpr std::int64_t kTargetMs = 1735603200000;  // 2024-12-31

// Five gaps of one run. Scores, areas and ids are ordered differently from each other:
//   by score: b c d a e   by area: a d b c e   by group (kind, operator, tech, grp_rank): d a e c
//   b.
// gap-a (viettel LTE) lies inside the common LTE gap gap-b: one row of the province's list,
//   by rank: b+a c d e (ranks 1 1 2 3 4).
std::vector<geo::Gap> SampleGaps() {
  using geo::GapKind;
  using geo::Technology;
  std::vector<geo::Gap> gaps = {
      MakeGap("gap-a", GapKind::kOperator, "viettel", Technology::kLte, 0.42, 900000,
              "Huyện Lục Ngạn", 2, 1),
      MakeGap("gap-b", GapKind::kCommon, "", Technology::kLte, 0.91, 250000, "Huyện Lục Ngạn", 1,
              2),
      MakeGap("gap-c", GapKind::kOperator, "vnpt", Technology::kUmts, 0.77, 120000,
              "Thành phố Bắc Giang", 1, 3),
      MakeGap("gap-d", GapKind::kOperator, "viettel", Technology::kLte, 0.55, 480000,
              "Huyện Sơn Động", 1, 4),
      MakeGap("gap-e", GapKind::kOperator, "viettel", Technology::kNr, 0.13, 60000, "Huyện Lục Nam",
              1, 5),
  };
  gaps[1].status = "planned";
  gaps[1].plan = "Trạm BTS mới tại xã Tân Sơn, Viettel lắp đặt";
  gaps[1].target_ms = kTargetMs;
  gaps[1].cleared_ms = kTargetMs - 86400000;
  gaps[1].status_note = "2 samples after 2024-12-30, 5 needed";
  gaps[3].status = "in_progress";
  gaps[0].common_id = "gap-b";
  gaps[1].contains = "viettel";
  for (auto [i, rank] : {std::pair{0, 1}, {1, 1}, {2, 2}, {3, 3}, {4, 4}}) gaps[i].rank = rank;
  return gaps;
}

// The gaps as a store of schema 6 or earlier (SQLite; PostgreSQL 2) migrates them: the stored
// rank becomes grp_rank, rank is renumbered by score, area and id, no containment; and the
// binned evidence when `binned`.
std::vector<geo::Gap> AsMigrated(std::vector<geo::Gap> gaps, bool binned) {
  for (geo::Gap& g : gaps) {
    g.grp_rank = g.rank;
    g.common_id.clear();
    g.contains.clear();
    if (binned) {
      g.evidence = geo::Evidence::kMeasured;
      g.p_good = 0;
      g.meas_share = 1;
    }
  }
  std::vector<geo::Gap*> order;
  for (geo::Gap& g : gaps) order.push_back(&g);
  std::sort(order.begin(), order.end(), [](const geo::Gap* a, const geo::Gap* b) {
    if (a->score != b->score) return a->score > b->score;
    if (a->area_m2 != b->area_m2) return a->area_m2 > b->area_m2;
    return a->gap_id < b->gap_id;
  });
  for (std::size_t i = 0; i < order.size(); ++i) order[i]->rank = static_cast<std::int64_t>(i + 1);
  return gaps;
}

AnalysisRun SampleRun(std::uint64_t gaps) {
  AnalysisRun run;
  run.started_ms = 1717200000000;
  run.finished_ms = 1717200004321;
  run.params_json = R"({"cell_size_m":100,"min_samples":3,"analysis_crs":"EPSG:32648"})";
  run.summary_json =
      R"({"grids":{"viettel/lte":{"good":120,"weak":30,"dead":4}},"note":"Lục Ngạn"})";
  run.measurements = 123456789012;
  run.gaps = gaps;
  return run;
}

std::vector<std::string> Ids(const std::vector<geo::Gap>& gaps) {
  std::vector<std::string> ids;
  for (const geo::Gap& g : gaps) ids.push_back(g.gap_id);
  return ids;
}

// A GapQuery built field by field (designated initializers warn about the fields they skip).
class Query {
 public:
  Query& Operator(std::string id) {
    q_.operator_id = std::move(id);
    return *this;
  }
  Query& Tech(geo::Technology tech) {
    q_.tech = tech;
    return *this;
  }
  Query& Kind(geo::GapKind kind) {
    q_.kind = kind;
    return *this;
  }
  Query& District(std::string name) {
    q_.district = std::move(name);
    return *this;
  }
  Query& Status(std::string status) {
    q_.status = std::move(status);
    return *this;
  }
  Query& MinScore(double score) {
    q_.min_score = score;
    return *this;
  }
  Query& Order(GapOrder order) {
    q_.order = order;
    return *this;
  }
  Query& Grouped() {
    q_.grouped = true;
    return *this;
  }
  Query& WithCommon() {
    q_.include_common = true;
    return *this;
  }
  Query& Page(std::uint64_t offset, std::uint64_t limit) {
    q_.offset = offset;
    q_.limit = limit;
    return *this;
  }
  Query& WithGeometry(bool with_geometry) {
    q_.with_geometry = with_geometry;
    return *this;
  }
  Query& IncludeCommon(bool include_common) {
    q_.include_common = include_common;
    return *this;
  }
  operator GapQuery() const { return q_; }  // NOLINT(google-explicit-constructor)

 private:
  GapQuery q_;
};

// The ids ListGaps returns for `query`, and the total it reports.
std::pair<std::vector<std::string>, std::uint64_t> ListIds(Store& store, const GapQuery& query) {
  auto r = store.ListGaps(query);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return {};
  return {Ids(r->first), r->second};
}

using IdsAndTotal = std::pair<std::vector<std::string>, std::uint64_t>;

TEST_P(StoreConformanceTest, AreasUpsertByLevelAndCodeAndReadBackOrdered) {
  auto store = Open();
  const std::vector<geo::AdminArea> first = {
      Area(geo::AreaLevel::kCommune, "22101", "Xã Tân Sơn", SquareMultiPolygonWkb(106.6, 21.4, .1)),
      Area(geo::AreaLevel::kProvince, "221", "Tỉnh Bắc Giang", SquareMultiPolygonWkb(106, 21, 1)),
      Area(geo::AreaLevel::kDistrict, "22105", "Huyện Lục Ngạn",
           SquareMultiPolygonWkb(106.5, 21.3, .3)),
  };
  auto counts = store->UpsertAreas(first);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 3u);
  EXPECT_EQ(counts->updated, 0u);

  // A district renamed, with a new geometry; and a new district with the code of a commune (areas
  // are keyed by level and code), which sorts before the other district.
  const std::vector<geo::AdminArea> second = {
      Area(geo::AreaLevel::kDistrict, "22105", "Thị xã Chũ",
           SquareMultiPolygonWkb(106.5, 21.3, .2)),
      Area(geo::AreaLevel::kDistrict, "22101", "Huyện Sơn Động", std::string("\x01\x00\xff", 3)),
  };
  counts = store->UpsertAreas(second);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 1u);
  EXPECT_EQ(counts->updated, 1u);

  auto areas = store->Areas();
  ASSERT_TRUE(areas.ok()) << areas.status().message();
  ExpectSameRows(*areas, {first[1], second[1], second[0], first[0]});
}

TEST_P(StoreConformanceTest, SchoolsUpsertBySchoolIdWithoutDuplicates) {
  auto store = Open();
  const std::vector<geo::School> first = {
      MakeSchool("BG-TH-001", "Trường Tiểu học Thị trấn Thắng", geo::SchoolLevel::kPrimary,
                 "Huyện Hiệp Hòa", "Thị trấn Thắng", 21.353330123456789, 105.97912345678901, 612,
                 41),
      MakeSchool("BG-THPT-014", "Trường THPT Sơn Động số 3", geo::SchoolLevel::kUpperSecondary,
                 "Huyện Sơn Động", "Thị trấn An Châu", 21.3311, 106.8422, 1034, 0),
      MakeSchool("BG-GDTX-013", "Trung tâm GDTX Lục Nam", geo::SchoolLevel::kContinuingEd,
                 "Huyện Lục Nam", "", 21.33, 106.38, 0, 7),
  };
  auto counts = store->UpsertSchools(first);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 3u);
  EXPECT_EQ(counts->updated, 0u);
  auto schools = store->Schools();
  ASSERT_TRUE(schools.ok()) << schools.status().message();
  ExpectSameRows(SortedById(*schools, &geo::School::school_id),
                 SortedById(first, &geo::School::school_id));

  // Re-import: one school changed in every field but its id, one new.
  const std::vector<geo::School> second = {
      MakeSchool("BG-THPT-014", "Trường THCS \"Lê Lợi\", số 2", geo::SchoolLevel::kLowerSecondary,
                 "Huyện Lục Ngạn", "Xã Kiên Lao", -0.1, 179.99999999, 250, 249),
      MakeSchool("BG-TH-015", "Trường Tiểu học Đồng Việt", geo::SchoolLevel::kPrimary,
                 "Huyện Yên Dũng", "Xã Đồng Việt", 21.18, 106.28, 301, 12),
  };
  counts = store->UpsertSchools(second);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 1u);
  EXPECT_EQ(counts->updated, 1u);
  schools = store->Schools();
  ASSERT_TRUE(schools.ok()) << schools.status().message();
  ExpectSameRows(
      SortedById(*schools, &geo::School::school_id),
      SortedById(std::vector{first[0], second[0], first[2], second[1]}, &geo::School::school_id));

  // The same import again only updates.
  counts = store->UpsertSchools(second);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 0u);
  EXPECT_EQ(counts->updated, 2u);
  schools = store->Schools();
  ASSERT_TRUE(schools.ok()) << schools.status().message();
  EXPECT_EQ(schools->size(), 4u);
}

TEST_P(StoreConformanceTest, HouseholdsUpsertByHouseholdIdWithoutDuplicates) {
  auto store = Open();
  const std::vector<geo::Household> first = {
      MakeHousehold("HH-0001", geo::HouseholdCategory::kPoor, 21.40123456789, 106.61234567891, 2,
                    "Huyện Lục Ngạn", "Xã Tân Sơn"),
      MakeHousehold("HH-0002", geo::HouseholdCategory::kNearPoor, 21.2, 106.1, 1, "Huyện Yên Thế",
                    "Xã Đồng Kỳ"),
      MakeHousehold("HH-0003", geo::HouseholdCategory::kCovidOrphan, 21.3, 106.2, 1,
                    "Huyện Sơn Động", "Thị trấn An Châu"),
  };
  auto counts = store->UpsertHouseholds(first);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 3u);
  EXPECT_EQ(counts->updated, 0u);
  auto households = store->Households();
  ASSERT_TRUE(households.ok()) << households.status().message();
  ExpectSameRows(SortedById(*households, &geo::Household::household_id),
                 SortedById(first, &geo::Household::household_id));

  const std::vector<geo::Household> second = {
      MakeHousehold("HH-0002", geo::HouseholdCategory::kOtherDifficulty, 21.25, 106.15, 3,
                    "Huyện Lục Nam", "Xã Cẩm Lý"),
      MakeHousehold("HH-0004", geo::HouseholdCategory::kPoor, 21.5, 106.5, 0, "Huyện Lục Ngạn",
                    "Xã Kiên Lao"),
  };
  counts = store->UpsertHouseholds(second);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 1u);
  EXPECT_EQ(counts->updated, 1u);
  households = store->Households();
  ASSERT_TRUE(households.ok()) << households.status().message();
  ExpectSameRows(SortedById(*households, &geo::Household::household_id),
                 SortedById(std::vector{first[0], second[0], first[2], second[1]},
                            &geo::Household::household_id));

  counts = store->UpsertHouseholds(second);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 0u);
  EXPECT_EQ(counts->updated, 2u);
  households = store->Households();
  ASSERT_TRUE(households.ok()) << households.status().message();
  EXPECT_EQ(households->size(), 4u);
}

// Sites upsert by site_id (over all operators) and read back by operator, technology (enum
// order), site_id; optional figures stay absent, values exact to the last bit.
TEST_P(StoreConformanceTest, SitesUpsertBySiteIdAndReadBackByOperatorTechnologyAndId) {
  using geo::Technology;
  auto store = Open();
  auto none = store->Sites();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());

  const std::vector<geo::Site> first = {
      MakeSite("VT-BG0002-4G", "viettel", Technology::kLte, 21.30123456789, 106.30123456789, 35,
               120.5, 65, 1800, 61.25),
      MakeSite("VN-BG0001-3G", "vnpt", Technology::kUmts, 21.31, 106.31, 30, std::nullopt,
               std::nullopt, 2100, 58),
      MakeSite("VT-BG0001-3G", "viettel", Technology::kUmts, 21.32, 106.32, 42.75, 0, std::nullopt,
               2100, 58),
      MakeSite("VT-BG0001-4G", "viettel", Technology::kLte, 21.33, 106.33, 1, 360, 360, 6000, 0),
  };
  auto counts = store->UpsertSites(first);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 4u);
  EXPECT_EQ(counts->updated, 0u);
  auto sites = store->Sites();
  ASSERT_TRUE(sites.ok()) << sites.status().message();
  // viettel UMTS, viettel LTE (two, by id), vnpt UMTS.
  ExpectSameRows(*sites, std::vector{first[2], first[3], first[0], first[1]});

  // A re-import updates what it names (an azimuth removed is removed) and adds the rest; a site
  // id is unique over operators, so a site imported under another operator moves to it.
  const std::vector<geo::Site> second = {
      MakeSite("VT-BG0002-4G", "viettel", Technology::kNr, 21.4, 106.4, 50, std::nullopt,
               std::nullopt, 3500, 63),
      MakeSite("VN-BG0001-3G", "mobifone", Technology::kGsm, 21.31, 106.31, 30, 45, 90, 900, 55),
      MakeSite("AB-0001", "vietnamobile", Technology::kLte, 21.5, 106.5, 300, 359.75, 1, 100, 90),
  };
  counts = store->UpsertSites(second);
  ASSERT_TRUE(counts.ok()) << counts.status().message();
  EXPECT_EQ(counts->inserted, 1u);
  EXPECT_EQ(counts->updated, 2u);
  sites = store->Sites();
  ASSERT_TRUE(sites.ok()) << sites.status().message();
  // mobifone, vietnamobile, viettel (UMTS, LTE, NR): by bytes, "vietn" before "viett".
  ExpectSameRows(*sites, std::vector{second[1], second[2], first[2], first[3], second[0]});

  // The same again changes nothing but counts as updates; the sites survive a reopen.
  counts = store->UpsertSites(second);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->inserted, 0u);
  EXPECT_EQ(counts->updated, 3u);
  store.reset();
  auto reopened = Open();
  sites = reopened->Sites();
  ASSERT_TRUE(sites.ok()) << sites.status().message();
  ExpectSameRows(*sites, std::vector{second[1], second[2], first[2], first[3], second[0]});
  auto empty = reopened->UpsertSites({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->inserted + empty->updated, 0u);
}

TEST_P(StoreConformanceTest, SavedAnalysisIsTheLatestRunWithEveryGapField) {
  auto store = Open();
  auto latest = store->LatestRun();
  ASSERT_TRUE(latest.ok()) << latest.status().message();
  EXPECT_FALSE(latest->has_value());
  auto none = store->ListGaps({});
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->first.empty());
  EXPECT_EQ(none->second, 0u);

  // gap-a (viettel LTE), gap-b (common LTE, planned with a target date), gap-c (vnpt UMTS).
  const std::vector<geo::Gap> all = SampleGaps();
  const std::vector<geo::Gap> gaps(all.begin(), all.begin() + 3);
  AnalysisRun run = SampleRun(3);
  auto run_id = store->SaveAnalysis(run, gaps);
  ASSERT_TRUE(run_id.ok()) << run_id.status().message();
  EXPECT_GT(*run_id, 0);

  latest = store->LatestRun();
  ASSERT_TRUE(latest.ok()) << latest.status().message();
  ASSERT_TRUE(latest->has_value());
  run.run_id = *run_id;
  EXPECT_EQ(Fields(**latest), Fields(run));

  for (const geo::Gap& want : gaps) {
    auto got = store->GetGap(want.gap_id);
    ASSERT_TRUE(got.ok()) << want.gap_id << ": " << got.status().message();
    ExpectSameGap(*got, want);
  }

  auto unknown = store->GetGap("gap-z");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->GetGap("").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ListGapsFiltersByEachField) {
  auto store = Open();
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps()).ok());
  auto ids = [&](GapQuery q) { return ListIds(*store, q); };

  EXPECT_EQ(ids({}), IdsAndTotal({"gap-b", "gap-c", "gap-d", "gap-a", "gap-e"}, 5));
  EXPECT_EQ(ids(Query().Operator("viettel")), IdsAndTotal({"gap-d", "gap-a", "gap-e"}, 3));
  EXPECT_EQ(ids(Query().Operator("mobifone")), IdsAndTotal({}, 0));
  EXPECT_EQ(ids(Query().Tech(geo::Technology::kLte)), IdsAndTotal({"gap-b", "gap-d", "gap-a"}, 3));
  EXPECT_EQ(ids(Query().Tech(geo::Technology::kUmts)), IdsAndTotal({"gap-c"}, 1));
  EXPECT_EQ(ids(Query().Tech(geo::Technology::kGsm)), IdsAndTotal({}, 0));
  EXPECT_EQ(ids(Query().Kind(geo::GapKind::kCommon)), IdsAndTotal({"gap-b"}, 1));
  EXPECT_EQ(ids(Query().Kind(geo::GapKind::kOperator)),
            IdsAndTotal({"gap-c", "gap-d", "gap-a", "gap-e"}, 4));
  EXPECT_EQ(ids(Query().Status("planned")), IdsAndTotal({"gap-b"}, 1));
  EXPECT_EQ(ids(Query().Status("open")), IdsAndTotal({"gap-c", "gap-a", "gap-e"}, 3));
  EXPECT_EQ(ids(Query().MinScore(0.55)), IdsAndTotal({"gap-b", "gap-c", "gap-d"}, 3));
  EXPECT_EQ(ids(Query().MinScore(0.5500001)), IdsAndTotal({"gap-b", "gap-c"}, 2));
  EXPECT_EQ(ids(Query().Operator("viettel").Tech(geo::Technology::kLte).MinScore(0.5)),
            IdsAndTotal({"gap-d"}, 1));
}

TEST_P(StoreConformanceTest, ListGapsMatchesTheDistrictByFullOrShortNameOnly) {
  auto store = Open();
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps()).ok());
  auto ids = [&](const std::string& district) {
    return ListIds(*store, Query().District(district));
  };
  EXPECT_EQ(ids("Huyện Lục Ngạn"), IdsAndTotal({"gap-b", "gap-a"}, 2));
  EXPECT_EQ(ids("Lục Ngạn"), IdsAndTotal({"gap-b", "gap-a"}, 2));
  EXPECT_EQ(ids("Thành phố Bắc Giang"), IdsAndTotal({"gap-c"}, 1));
  EXPECT_EQ(ids("Bắc Giang"), IdsAndTotal({"gap-c"}, 1));
  EXPECT_EQ(ids("Lục Nam"), IdsAndTotal({"gap-e"}, 1));
  // Parts of a name are not a name.
  EXPECT_EQ(ids("Ngạn"), IdsAndTotal({}, 0));
  EXPECT_EQ(ids("Giang"), IdsAndTotal({}, 0));
  EXPECT_EQ(ids("phố Bắc Giang"), IdsAndTotal({}, 0));
  EXPECT_EQ(ids("Lục"), IdsAndTotal({}, 0));
  EXPECT_EQ(ids("Huyện Lục"), IdsAndTotal({}, 0));
  EXPECT_EQ(ids("Huyện"), IdsAndTotal({}, 0));
  EXPECT_EQ(ids("Lục Ngạn "), IdsAndTotal({}, 0));
}

TEST_P(StoreConformanceTest, ListGapsOrdersAndPages) {
  auto store = Open();
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps()).ok());
  auto ids = [&](GapQuery q) { return ListIds(*store, q); };

  EXPECT_EQ(ids(Query().Order(GapOrder::kScore)),
            IdsAndTotal({"gap-b", "gap-c", "gap-d", "gap-a", "gap-e"}, 5));
  EXPECT_EQ(ids(Query().Order(GapOrder::kArea)),
            IdsAndTotal({"gap-a", "gap-d", "gap-b", "gap-c", "gap-e"}, 5));
  EXPECT_EQ(ids(Query().Order(GapOrder::kRank)),
            IdsAndTotal({"gap-b", "gap-a", "gap-c", "gap-d", "gap-e"}, 5));
  // One row per place: gap-a is inside gap-b, which is listed.
  EXPECT_EQ(ids(Query().Order(GapOrder::kRank).Grouped()),
            IdsAndTotal({"gap-b", "gap-c", "gap-d", "gap-e"}, 4));
  EXPECT_EQ(ids(Query().Operator("viettel").WithCommon().Order(GapOrder::kTodo).Grouped()),
            IdsAndTotal({"gap-b", "gap-d", "gap-e"}, 3));
  // ... but never drops a gap whose common gap the filter leaves out.
  EXPECT_EQ(ids(Query().Operator("viettel").Order(GapOrder::kRank).Grouped()),
            IdsAndTotal({"gap-a", "gap-d", "gap-e"}, 3));
  EXPECT_EQ(ids(Query().Kind(geo::GapKind::kOperator).Order(GapOrder::kRank).Grouped()),
            IdsAndTotal({"gap-a", "gap-c", "gap-d", "gap-e"}, 4));
  EXPECT_EQ(ids(Query().Status("open").Order(GapOrder::kRank).Grouped()),
            IdsAndTotal({"gap-a", "gap-c", "gap-e"}, 3));
  EXPECT_EQ(ids(Query().District("Sơn Động").Order(GapOrder::kRank).Grouped()),
            IdsAndTotal({"gap-d"}, 1));

  // The total counts every match; the page is a window of the ordered matches.
  EXPECT_EQ(ids(Query().Page(1, 2)), IdsAndTotal({"gap-c", "gap-d"}, 5));
  EXPECT_EQ(ids(Query().Order(GapOrder::kArea).Page(3, 2)), IdsAndTotal({"gap-c", "gap-e"}, 5));
  EXPECT_EQ(ids(Query().Page(4, 2)), IdsAndTotal({"gap-e"}, 5));
  EXPECT_EQ(ids(Query().Page(5, 2)), IdsAndTotal({}, 5));
  EXPECT_EQ(ids(Query().Page(1000, 2)), IdsAndTotal({}, 5));
  EXPECT_EQ(ids(Query().Operator("viettel").Page(1, 1)), IdsAndTotal({"gap-a"}, 3));
  EXPECT_EQ(ids(Query().Page(0, UINT64_MAX)),
            IdsAndTotal({"gap-b", "gap-c", "gap-d", "gap-a", "gap-e"}, 5));
}

TEST_P(StoreConformanceTest, ListGapsReturnsGeometryOnlyWhenAsked) {
  auto store = Open();
  const std::vector<geo::Gap> saved = SampleGaps();
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), saved).ok());
  std::map<std::string, geo::Gap> by_id;
  for (const geo::Gap& g : saved) by_id[g.gap_id] = g;

  for (const bool with_geometry : {false, true}) {
    SCOPED_TRACE(with_geometry ? "with geometry" : "without geometry");
    auto list = store->ListGaps(Query().WithGeometry(with_geometry));
    ASSERT_TRUE(list.ok()) << list.status().message();
    ASSERT_EQ(list->first.size(), 5u);
    for (const geo::Gap& got : list->first) {
      ASSERT_TRUE(by_id.contains(got.gap_id)) << got.gap_id;
      ExpectSameGap(got, by_id[got.gap_id], with_geometry);
    }
  }
}

TEST_P(StoreConformanceTest, NewAnalysisReplacesGapsAndKeepsTheirFollowUp) {
  auto store = Open();
  std::vector<geo::Gap> first = SampleGaps();
  first[0].status = "planned";  // gap-a
  first[0].plan = "Viettel: trạm mới Q3";
  first[0].target_ms = kTargetMs;
  // gap-c stays open, without a plan or target date.
  auto first_id = store->SaveAnalysis(SampleRun(5), first);
  ASSERT_TRUE(first_id.ok()) << first_id.status().message();

  // The new run finds gap-a and gap-c again (with new figures and fresh follow-up fields), and
  // gap-f for the first time; gap-b, gap-d and gap-e are not found again. gap-b (planned) and
  // gap-d (in_progress) are not open, so they stay unchanged; gap-e (open) is gone.
  std::vector<geo::Gap> second = {
      MakeGap("gap-a", geo::GapKind::kOperator, "viettel", geo::Technology::kLte, 0.61, 870000,
              "Huyện Lục Ngạn", 1, 11),
      MakeGap("gap-c", geo::GapKind::kOperator, "vnpt", geo::Technology::kUmts, 0.33, 110000,
              "Thành phố Bắc Giang", 1, 13),
      MakeGap("gap-f", geo::GapKind::kCommon, "", geo::Technology::kNr, 0.48, 70000,
              "Huyện Yên Thế", 1, 16),
  };
  second[1].status = "done";
  second[1].plan = "should not replace the previous plan";
  second[1].target_ms = kTargetMs + 1;
  second[1].cleared_ms = kTargetMs + 3;
  second[1].status_note = "should not replace the previous note";
  second[2].status = "planned";
  second[2].plan = "MobiFone: phủ sóng 5G";
  second[2].target_ms = kTargetMs + 2;
  AnalysisRun run = SampleRun(3);
  run.started_ms += 86400000;
  run.finished_ms += 86400000;
  run.params_json = R"({"cell_size_m":50})";
  run.measurements = 7;
  auto second_id = store->SaveAnalysis(run, second);
  ASSERT_TRUE(second_id.ok()) << second_id.status().message();
  EXPECT_GT(*second_id, *first_id);

  auto latest = store->LatestRun();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  run.run_id = *second_id;
  EXPECT_EQ(Fields(**latest), Fields(run));

  EXPECT_EQ(ListIds(*store, {}), IdsAndTotal({"gap-b", "gap-a", "gap-d", "gap-f", "gap-c"}, 5));
  EXPECT_EQ(ListIds(*store, Query().Status("in_progress")), IdsAndTotal({"gap-d"}, 1));
  EXPECT_EQ(store->GetGap("gap-e").status().code(), StatusCode::kNotFound);

  // Figures come from the new run, follow-up from the previous one.
  geo::Gap want_a = second[0];
  want_a.status = "planned";
  want_a.plan = "Viettel: trạm mới Q3";
  want_a.target_ms = kTargetMs;
  geo::Gap want_c = second[1];
  want_c.status = "open";
  want_c.plan = "";
  want_c.target_ms = std::nullopt;
  want_c.cleared_ms = std::nullopt;
  want_c.status_note = "";
  for (const geo::Gap& want : {want_a, want_c, second[2], first[1], first[3]}) {
    auto got = store->GetGap(want.gap_id);
    ASSERT_TRUE(got.ok()) << want.gap_id << ": " << got.status().message();
    ExpectSameGap(*got, want);
  }
  EXPECT_EQ(ListIds(*store, Query().Status("planned")),
            IdsAndTotal({"gap-b", "gap-a", "gap-f"}, 3));
}

// --- Gap life cycle ---

std::vector<std::string> EventKeys(const std::vector<GapEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.type + " " + e.gap_id);
  return out;
}

std::vector<GapEvent> Events(Store& store, std::int64_t after = 0, std::uint64_t limit = 1000,
                             const std::string& gap_id = {}) {
  auto r = store.ListGapEvents(after, limit, gap_id);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : std::vector<GapEvent>{};
}

GapStateChange Change(std::string id, std::string from, std::string to, std::string type) {
  GapStateChange c;
  c.gap_id = std::move(id);
  c.expected_status = std::move(from);
  c.new_status = std::move(to);
  c.event.type = std::move(type);
  c.event.actor = "operator viettel (tok_abc)";
  return c;
}

TEST_P(StoreConformanceTest, EveryGapIdThePreviousRunDidNotHaveGetsANewEvent) {
  auto store = Open();
  EXPECT_TRUE(Events(*store).empty());
  auto first = SampleGaps();
  for (auto& g : first) {
    g.status = "open";
    g.plan.clear();
    g.target_ms.reset();
  }
  AnalysisRun run = SampleRun(5);
  ASSERT_TRUE(store->SaveAnalysis(run, first).ok());
  auto events = Events(*store);
  EXPECT_EQ(EventKeys(events), (std::vector<std::string>{"new gap-a", "new gap-b", "new gap-c",
                                                         "new gap-d", "new gap-e"}));
  for (std::size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(events[i].gap_id);
    if (i > 0) {
      EXPECT_GT(events[i].event_id, events[i - 1].event_id);
    }
    EXPECT_EQ(events[i].time_ms, run.finished_ms);
    EXPECT_EQ(events[i].from_status, "");
    EXPECT_EQ(events[i].to_status, "open");
    EXPECT_NE(events[i].actor.find("analysis run"), std::string::npos) << events[i].actor;
    EXPECT_EQ(events[i].operator_id, first[i].operator_id);
    EXPECT_EQ(events[i].tech, first[i].tech);
    EXPECT_EQ(events[i].kind, first[i].kind);
    EXPECT_EQ(events[i].district, first[i].district);
  }
  // A second run with gap-a again and gap-f for the first time: one more event.
  std::vector<geo::Gap> second = {
      first[0], MakeGap("gap-f", geo::GapKind::kCommon, "", geo::Technology::kNr, 0.48, 70000,
                        "Huyện Yên Thế", 1, 16)};
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(2), second).ok());
  auto more = Events(*store, events.back().event_id);
  EXPECT_EQ(EventKeys(more), std::vector<std::string>{"new gap-f"});
  EXPECT_EQ(Events(*store).size(), 6u);
}

TEST_P(StoreConformanceTest, UpdateGapStateIsACompareAndSetWithItsEvent) {
  auto store = Open();
  auto gaps = SampleGaps();
  gaps[0].status = "open";
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), gaps).ok());
  const std::int64_t after_new = Events(*store).back().event_id;

  GapStateChange plan = Change("gap-a", "open", "planned", "planned");
  plan.plan = "Trạm BTS mới";
  plan.target_ms = kTargetMs;
  plan.event.note = "Trạm BTS mới";
  plan.event.time_ms = 1720000000000;
  GapEvent stored;
  auto planned = store->UpdateGapState(plan, &stored);
  ASSERT_TRUE(planned.ok()) << planned.status().message();
  EXPECT_EQ(planned->status, "planned");
  EXPECT_EQ(planned->plan, "Trạm BTS mới");
  EXPECT_EQ(planned->target_ms, kTargetMs);
  EXPECT_FALSE(planned->cleared_ms.has_value());
  EXPECT_EQ(planned->wkb, gaps[0].wkb);
  EXPECT_GT(stored.event_id, after_new);
  EXPECT_EQ(stored.from_status, "open");
  EXPECT_EQ(stored.to_status, "planned");
  EXPECT_EQ(stored.operator_id, "viettel");
  EXPECT_EQ(stored.district, "Huyện Lục Ngạn");

  // The same change again: the gap is no longer open.
  auto again = store->UpdateGapState(plan);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("is planned, not open"), std::string::npos)
      << again.status().message();
  auto unknown = store->UpdateGapState(Change("gap-z", "open", "planned", "planned"));
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);

  GapStateChange clear = Change("gap-a", "planned", "cleared", "cleared");
  clear.plan = planned->plan;
  clear.target_ms = planned->target_ms;
  clear.cleared_ms = 1721000000000;
  clear.status_note = "BTS on air";
  ASSERT_TRUE(store->UpdateGapState(clear).ok());
  auto got = store->GetGap("gap-a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, "cleared");
  EXPECT_EQ(got->cleared_ms, 1721000000000);
  EXPECT_EQ(got->status_note, "BTS on air");
  EXPECT_EQ(got->plan, "Trạm BTS mới");

  auto events = Events(*store, after_new);
  ASSERT_EQ(EventKeys(events), (std::vector<std::string>{"planned gap-a", "cleared gap-a"}));
  EXPECT_EQ(events[0].event_id, stored.event_id);
  EXPECT_EQ(events[0].time_ms, 1720000000000);
  EXPECT_EQ(events[0].note, "Trạm BTS mới");
  EXPECT_EQ(events[0].actor, "operator viettel (tok_abc)");
  EXPECT_EQ(events[1].from_status, "planned");
  EXPECT_GT(events[1].time_ms, 0);
  // Filters: one gap's events, a limit.
  EXPECT_EQ(EventKeys(Events(*store, 0, 1000, "gap-a")),
            (std::vector<std::string>{"new gap-a", "planned gap-a", "cleared gap-a"}));
  EXPECT_EQ(EventKeys(Events(*store, 0, 2)), (std::vector<std::string>{"new gap-a", "new gap-b"}));
  EXPECT_TRUE(Events(*store, 0, 1000, "gap-z").empty());
}

TEST_P(StoreConformanceTest, ConcurrentCompareAndSetLetsExactlyOneWin) {
  auto store = Open();
  auto gaps = SampleGaps();
  gaps[0].status = "open";
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), gaps).ok());
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      GapStateChange c = Change("gap-a", "open", "planned", "planned");
      c.plan = "plan " + std::to_string(i);
      auto r = store->UpdateGapState(c);
      if (r.ok()) {
        ++wins;
      } else if (r.status().code() == StatusCode::kFailedPrecondition) {
        ++conflicts;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 7);
  EXPECT_EQ(Events(*store, 0, 1000, "gap-a").size(), 2u);  // new + one planned
}

TEST_P(StoreConformanceTest, UnmatchedGapsInTheLifeCycleStayUntilVerifiedOrReopened) {
  auto store = Open();
  auto gaps = SampleGaps();  // gap-b planned, gap-d in_progress
  for (auto& g : gaps) {
    if (g.gap_id == "gap-b" || g.gap_id == "gap-d") continue;
    g.status = "open";
  }
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), gaps).ok());
  GapStateChange clear = Change("gap-b", "planned", "cleared", "cleared");
  clear.cleared_ms = kTargetMs;
  ASSERT_TRUE(store->UpdateGapState(clear).ok());
  // Nothing is found again: only gap-b (cleared) and gap-d (not open) remain.
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(0), {}).ok());
  EXPECT_EQ(ListIds(*store, {}), IdsAndTotal({"gap-b", "gap-d"}, 2));
  auto b = store->GetGap("gap-b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->status, "cleared");
  EXPECT_EQ(b->cleared_ms, kTargetMs);
  EXPECT_EQ(b->wkb, gaps[1].wkb);
  EXPECT_EQ(b->n_cells, gaps[1].n_cells);
  // Verified, it still stays; reopened (open), the next run without it drops it.
  ASSERT_TRUE(store->UpdateGapState(Change("gap-b", "cleared", "verified", "verified")).ok());
  ASSERT_TRUE(store->UpdateGapState(Change("gap-d", "in_progress", "open", "reopened")).ok());
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(0), {}).ok());
  EXPECT_EQ(ListIds(*store, {}), IdsAndTotal({"gap-b"}, 1));
  // Carried gaps are not new: no `new` events after the first run's five.
  std::size_t news = 0;
  for (const auto& e : Events(*store)) news += e.type == "new";
  EXPECT_EQ(news, 5u);
}

TEST_P(StoreConformanceTest, GapEventsAndLifeCycleFieldsSurviveReopen) {
  {
    auto store = Open();
    auto gaps = SampleGaps();
    gaps[0].status = "open";
    ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), gaps).ok());
    GapStateChange plan = Change("gap-a", "open", "planned", "planned");
    plan.plan = "x";
    ASSERT_TRUE(store->UpdateGapState(plan).ok());
  }
  auto store = Open();
  EXPECT_EQ(Events(*store).size(), 6u);
  EXPECT_EQ(Events(*store).back().type, "planned");
  auto b = store->GetGap("gap-b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->cleared_ms, SampleGaps()[1].cleared_ms);
  EXPECT_EQ(b->status_note, SampleGaps()[1].status_note);
}

TEST_P(StoreConformanceTest, ManyRunsKeepTheLatestGapsAndFollowUp) {
  auto store = Open();
  std::int64_t previous = 0;
  for (int i = 1; i <= 7; ++i) {
    std::vector<geo::Gap> gaps = {
        MakeGap("gap-a", geo::GapKind::kOperator, "viettel", geo::Technology::kLte, 0.5, 1000,
                "Huyện Lục Ngạn", 1, i),
        MakeGap("gap-run-" + std::to_string(i), geo::GapKind::kCommon, "", geo::Technology::kLte,
                0.25, 2000, "Huyện Lục Ngạn", 1, 100 + i),
    };
    if (i == 1) gaps[0].status = "planned";
    auto id = store->SaveAnalysis(SampleRun(2), gaps);
    ASSERT_TRUE(id.ok()) << id.status().message();
    if (previous != 0) {
      EXPECT_EQ(*id, previous + 1);
    }
    previous = *id;
    auto latest = store->LatestRun();
    ASSERT_TRUE(latest.ok() && latest->has_value());
    EXPECT_EQ((*latest)->run_id, *id);
  }
  EXPECT_EQ(ListIds(*store, {}), IdsAndTotal({"gap-a", "gap-run-7"}, 2));
  EXPECT_EQ(store->GetGap("gap-run-6").status().code(), StatusCode::kNotFound);
  auto a = store->GetGap("gap-a");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->status, "planned");  // carried through every run
  EXPECT_EQ(a->n_cells, 10 + 7);    // figures of the latest run
}

TEST_P(StoreConformanceTest, RegistryAndAnalysisSurviveReopen) {
  const std::vector<geo::AdminArea> areas = {
      Area(geo::AreaLevel::kProvince, "221", "Tỉnh Bắc Giang", SquareMultiPolygonWkb(106, 21, 1)),
      Area(geo::AreaLevel::kDistrict, "22105", "Huyện Lục Ngạn",
           SquareMultiPolygonWkb(106.5, 21.3, .3)),
  };
  const std::vector<geo::School> schools = {MakeSchool(
      "BG-TH-001", "Trường Tiểu học Thị trấn Thắng", geo::SchoolLevel::kPrimary, "Huyện Hiệp Hòa",
      "Thị trấn Thắng", 21.353330123456789, 105.97912345678901, 612, 41)};
  const std::vector<geo::Household> households = {
      MakeHousehold("HH-0001", geo::HouseholdCategory::kNearPoor, 21.40123456789, 106.61234567891,
                    2, "Huyện Lục Ngạn", "Xã Tân Sơn")};
  const std::vector<geo::Gap> gaps = SampleGaps();
  AnalysisRun run = SampleRun(5);
  {
    auto store = Open();
    ASSERT_TRUE(store->UpsertAreas(areas).ok());
    ASSERT_TRUE(store->UpsertSchools(schools).ok());
    ASSERT_TRUE(store->UpsertHouseholds(households).ok());
    auto id = store->SaveAnalysis(run, gaps);
    ASSERT_TRUE(id.ok()) << id.status().message();
    run.run_id = *id;
  }
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto got_areas = store->Areas();
  ASSERT_TRUE(got_areas.ok());
  ExpectSameRows(*got_areas, areas);
  auto got_schools = store->Schools();
  ASSERT_TRUE(got_schools.ok());
  ExpectSameRows(*got_schools, schools);
  auto got_households = store->Households();
  ASSERT_TRUE(got_households.ok());
  ExpectSameRows(*got_households, households);
  auto latest = store->LatestRun();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(Fields(**latest), Fields(run));
  EXPECT_EQ(ListIds(*store, {}), IdsAndTotal({"gap-b", "gap-c", "gap-d", "gap-a", "gap-e"}, 5));
  for (const geo::Gap& want : gaps) {
    auto got = store->GetGap(want.gap_id);
    ASSERT_TRUE(got.ok()) << want.gap_id << ": " << got.status().message();
    ExpectSameGap(*got, want);
  }
}

TEST_P(StoreConformanceTest, OperatorToDoListPutsCommonGapsFirstThenByScore) {
  auto store = Open();
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps()).ok());
  auto ids = [&](GapQuery q) { return ListIds(*store, q); };
  // gap-b is the (only) common gap; viettel's own are gap-d, gap-a, gap-e by score.
  const auto todo = Query().Operator("viettel").IncludeCommon(true).Order(GapOrder::kTodo);
  EXPECT_EQ(ids(todo), IdsAndTotal({"gap-b", "gap-d", "gap-a", "gap-e"}, 4));
  // Common first even when it scores lowest of all.
  std::vector<geo::Gap> gaps = SampleGaps();
  for (geo::Gap& g : gaps) {
    if (g.kind == geo::GapKind::kCommon) g.score = -1;
  }
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), gaps).ok());
  EXPECT_EQ(ids(Query().Operator("vnpt").IncludeCommon(true).Order(GapOrder::kTodo)),
            IdsAndTotal({"gap-b", "gap-c"}, 2));
  // Without include_common: the operator's own gaps only, as before.
  EXPECT_EQ(ids(Query().Operator("vnpt").Order(GapOrder::kTodo)), IdsAndTotal({"gap-c"}, 1));
  // The other filters apply to the common gaps too.
  EXPECT_EQ(ids(Query().Operator("viettel").IncludeCommon(true).Tech(geo::Technology::kUmts)),
            IdsAndTotal({}, 0));
  EXPECT_EQ(ids(Query().Operator("vnpt").IncludeCommon(true).Kind(geo::GapKind::kOperator)),
            IdsAndTotal({"gap-c"}, 1));
  EXPECT_EQ(ids(Query().Operator("viettel").IncludeCommon(true).Order(GapOrder::kTodo).Page(1, 2)),
            IdsAndTotal({"gap-d", "gap-a"}, 4));
}

geo::SchoolCoverage Coverage(std::string school, std::string op, geo::Technology tech,
                             geo::CellClass indoor_class, std::int64_t samples, double median_dbm,
                             std::optional<double> nearest_good_m) {
  geo::SchoolCoverage c;
  c.school_id = std::move(school);
  c.operator_id = std::move(op);
  c.tech = tech;
  c.indoor_class = indoor_class;
  c.samples = samples;
  c.median_dbm = median_dbm;
  c.nearest_good_m = nearest_good_m;
  return c;
}

std::vector<geo::SchoolCoverage> SampleSchoolCoverage(double shift) {
  return {Coverage("BG-TH-001", "viettel", geo::Technology::kLte, geo::CellClass::kWeak, 12, -101.5,
                   0.0),
          Coverage("BG-TH-001", "vnpt", geo::Technology::kUmts, geo::CellClass::kUnmeasured, 0,
                   std::nan(""), std::nullopt),
          Coverage("BG-TH-002", "viettel", geo::Technology::kLte, geo::CellClass::kGood, 3, -80,
                   141.4213562373095 + shift)};
}

void ExpectSameCoverage(const std::vector<geo::SchoolCoverage>& got,
                        const std::vector<geo::SchoolCoverage>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].school_id, want[i].school_id) << i;
    EXPECT_EQ(got[i].operator_id, want[i].operator_id) << i;
    EXPECT_EQ(got[i].tech, want[i].tech) << i;
    EXPECT_EQ(got[i].indoor_class, want[i].indoor_class) << i;
    EXPECT_EQ(got[i].samples, want[i].samples) << i;
    EXPECT_EQ(std::isnan(got[i].median_dbm), std::isnan(want[i].median_dbm)) << i;
    if (!std::isnan(want[i].median_dbm)) {
      EXPECT_DOUBLE_EQ(got[i].median_dbm, want[i].median_dbm) << i;
    }
    EXPECT_EQ(got[i].nearest_good_m, want[i].nearest_good_m) << i;
    EXPECT_EQ(got[i].predicted_dbm, want[i].predicted_dbm) << i;
    EXPECT_EQ(got[i].sigma_db, want[i].sigma_db) << i;
    EXPECT_EQ(got[i].p_good_indoor, want[i].p_good_indoor) << i;
  }
}

TEST_P(StoreConformanceTest, SchoolCoverageIsStoredWithItsRunAndReadFromTheLatest) {
  auto store = Open();
  auto none = store->LatestSchoolCoverage();
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps(), SampleSchoolCoverage(0)).ok());
  auto first = store->LatestSchoolCoverage();
  ASSERT_TRUE(first.ok()) << first.status().message();
  ExpectSameCoverage(*first, SampleSchoolCoverage(0));  // ordered by school, operator, tech

  // A later run replaces them; a run without records has none.
  auto later = SampleSchoolCoverage(1);
  std::reverse(later.begin(), later.end());
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps(), later).ok());
  auto second = store->LatestSchoolCoverage();
  ASSERT_TRUE(second.ok());
  ExpectSameCoverage(*second, SampleSchoolCoverage(1));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps()).ok());
  auto empty = store->LatestSchoolCoverage();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), SampleGaps(), SampleSchoolCoverage(2)).ok());
  store.reset();
  auto reopened = Open();
  auto kept = reopened->LatestSchoolCoverage();
  ASSERT_TRUE(kept.ok());
  ExpectSameCoverage(*kept, SampleSchoolCoverage(2));
}

// The prediction's result fields (geo/gap.h, geo/school_coverage.h): every evidence, p_good and
// meas_share of gaps and the predicted figures of school coverage are stored with the run, read
// back exactly, carried with a gap in the life cycle, and survive a reopen.
TEST_P(StoreConformanceTest, PredictionFieldsOfGapsAndSchoolCoverageRoundTrip) {
  auto store = Open();
  std::vector<geo::Gap> gaps = SampleGaps();
  gaps[0].evidence = geo::Evidence::kPredicted;
  gaps[0].p_good = 0.123456789012345;
  gaps[0].meas_share = 0;
  gaps[1].evidence = geo::Evidence::kMixed;
  gaps[1].p_good = 1.0 / 3.0;
  gaps[1].meas_share = 0.625;
  gaps[2].evidence = geo::Evidence::kMeasured;
  gaps[2].p_good = 0;
  gaps[2].meas_share = 1;
  std::vector<geo::SchoolCoverage> coverage = SampleSchoolCoverage(0);
  coverage[1].predicted_dbm = -97.125;
  coverage[1].sigma_db = 7.5 + 1e-9;
  coverage[1].p_good_indoor = 0.0625;
  coverage[2].predicted_dbm = -80;  // only some of them
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(5), gaps, coverage).ok());
  for (const geo::Gap& want : gaps) {
    auto got = store->GetGap(want.gap_id);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSameGap(*got, want);
  }
  auto listed = store->ListGaps(Query().Order(GapOrder::kArea));
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  for (const geo::Gap& got : listed->first) {
    const auto want = std::find_if(gaps.begin(), gaps.end(),
                                   [&](const geo::Gap& g) { return g.gap_id == got.gap_id; });
    ASSERT_NE(want, gaps.end());
    ExpectSameGap(got, *want, /*with_wkb=*/false);
  }
  auto read = store->LatestSchoolCoverage();
  ASSERT_TRUE(read.ok()) << read.status().message();
  ExpectSameCoverage(*read, coverage);

  // gap-b is planned: a run without it carries it over with the fields of its last analysis.
  const std::vector<geo::Gap> later(gaps.begin() + 2, gaps.end());
  ASSERT_TRUE(store->SaveAnalysis(SampleRun(3), later).ok());
  auto carried = store->GetGap("gap-b");
  ASSERT_TRUE(carried.ok()) << carried.status().message();
  ExpectSameGap(*carried, gaps[1]);

  store.reset();
  auto reopened = Open();
  carried = reopened->GetGap("gap-b");
  ASSERT_TRUE(carried.ok()) << carried.status().message();
  ExpectSameGap(*carried, gaps[1]);
}

// Tokens keep every field, expiry and revocation included, and survive a reopen; a revocation
// happens once.
TEST_P(StoreConformanceTest, TokensKeepTheirExpiryAndRevocation) {
  auto store = Open();
  store::TokenRecord forever{
      "aaaaaaaaaaaa", std::string(32, 'h'), "viewer",    "", "a viewer", "covgapd",
      1000,           std::nullopt,         std::nullopt};
  store::TokenRecord month{"bbbbbbbbbbbb", std::string(32, 'k'),   "operator",
                           "viettel",      "viettel for December", "tok_aaaaaaaaaaaa",
                           2000,           std::nullopt,           std::int64_t{1640970000000}};
  ASSERT_TRUE(store->CreateToken(forever).ok());
  ASSERT_TRUE(store->CreateToken(month).ok());
  EXPECT_EQ(store->CreateToken(month).code(), StatusCode::kAlreadyExists);
  auto revoked = store->RevokeToken("aaaaaaaaaaaa", 3000);
  ASSERT_TRUE(revoked.ok() && revoked.value());
  revoked = store->RevokeToken("aaaaaaaaaaaa", 4000);
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(revoked.value()) << "revoked twice";
  store.reset();
  store = Open();
  auto found = store->FindToken("bbbbbbbbbbbb");
  ASSERT_TRUE(found.ok() && found->has_value()) << found.status().message();
  const store::TokenRecord& t = **found;
  EXPECT_EQ(t.secret_hash, month.secret_hash);
  EXPECT_EQ(t.role, "operator");
  EXPECT_EQ(t.operator_id, "viettel");
  EXPECT_EQ(t.label, "viettel for December");
  EXPECT_EQ(t.created_by, "tok_aaaaaaaaaaaa");
  EXPECT_EQ(t.created_ms, 2000);
  EXPECT_FALSE(t.revoked_ms.has_value());
  EXPECT_EQ(t.expires_ms, std::optional<std::int64_t>(1640970000000));
  auto all = store->ListTokens();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].token_id, "aaaaaaaaaaaa");
  EXPECT_EQ((*all)[0].revoked_ms, std::optional<std::int64_t>(3000));
  EXPECT_FALSE((*all)[0].expires_ms.has_value());
  auto none = store->FindToken("cccccccccccc");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreConformanceTest, FirstRunIsNoneInANewStore) {
  auto store = Open();
  auto first = store->FirstRun();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_FALSE(first->has_value());
}

// The progress report compares the latest run with the first: the first run's gaps survive the
// pruning of old runs and are read with GapQuery::run_id; pruned runs read empty, unknown runs
// are NOT_FOUND.
TEST_P(StoreConformanceTest, FirstRunKeepsItsGapsWhenOldRunsArePruned) {
  auto store = Open();
  std::vector<std::int64_t> ids;
  for (int i = 1; i <= 8; ++i) {
    std::vector<geo::Gap> gaps = {
        MakeGap("gap-a", geo::GapKind::kOperator, "viettel", geo::Technology::kLte, 0.5, 1000,
                "Huyện Lục Ngạn", 1, i),
        MakeGap("gap-run-" + std::to_string(i), geo::GapKind::kCommon, "", geo::Technology::kLte,
                0.25, 2000, "Huyện Lục Nam", 1, 100 + i),
    };
    if (i > 1) gaps[0].status = "verified";  // carried over from run 1's "open" anyway
    auto id = store->SaveAnalysis(SampleRun(2), gaps);
    ASSERT_TRUE(id.ok()) << id.status().message();
    ids.push_back(*id);
  }
  auto first = store->FirstRun();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->run_id, ids.front());
  auto latest = store->LatestRun();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->run_id, ids.back());

  GapQuery baseline;
  baseline.run_id = ids.front();
  baseline.with_geometry = true;
  auto got = store->ListGaps(baseline);
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_EQ(got->second, 2u);
  std::vector<std::string> names;
  for (const auto& g : got->first) names.push_back(g.gap_id);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"gap-a", "gap-run-1"}));
  for (const auto& g : got->first) {
    EXPECT_FALSE(g.wkb.empty());
    if (g.gap_id == "gap-a") {
      EXPECT_EQ(g.n_cells, 10 + 1);  // run 1's figures
    }
  }
  // Filters apply to the chosen run too.
  EXPECT_EQ(ListIds(*store, Query().Kind(geo::GapKind::kCommon).District("Lục Nam")),
            IdsAndTotal({"gap-run-8"}, 1));
  GapQuery common_first;
  common_first.run_id = ids.front();
  common_first.kind = geo::GapKind::kCommon;
  EXPECT_EQ(ListIds(*store, common_first), IdsAndTotal({"gap-run-1"}, 1));
  // run_id 0 is the latest.
  EXPECT_EQ(ListIds(*store, {}).second, 2u);
  // A pruned run (the second) has no gaps left; the last five keep theirs.
  GapQuery pruned;
  pruned.run_id = ids[1];
  EXPECT_EQ(ListIds(*store, pruned), IdsAndTotal({}, 0));
  GapQuery recent;
  recent.run_id = ids[ids.size() - 5];
  EXPECT_EQ(ListIds(*store, recent).second, 2u);
  // An unknown run is NOT_FOUND.
  GapQuery unknown;
  unknown.run_id = ids.back() + 100;
  EXPECT_EQ(store->ListGaps(unknown).status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StoreConformanceTest,
    ::testing::Values(StoreFactory{"sqlite",
                                   [](const std::string& dir) { return OpenSqliteStore(dir); },
                                   nullptr},
                      // One database per test (named after the test's directory), dropped and
                      // created before it; skipped without COVGAP_TEST_PG.
                      StoreFactory{"postgresql",
                                   [](const std::string& dir) {
                                     return OpenPostgresStore(PgConninfoFor(
                                         PgTestDatabaseName(fs::path(dir).filename().string())));
                                   },
                                   [](const std::string& dir) {
                                     if (PgAdminConninfo().empty()) GTEST_SKIP() << kPgSkipMessage;
                                     fs::create_directories(dir);  // for tests that look at files
                                     std::string error;
                                     const std::string conninfo = PgFreshDatabase(
                                         PgTestDatabaseName(fs::path(dir).filename().string()),
                                         &error);
                                     ASSERT_FALSE(conninfo.empty()) << error;
                                   }}),
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

// The tables and columns schema versions 4 to 6 added, dropped again: a version 3 store.
constexpr const char* kBackToVersion3 =
    "DROP TABLE sites; DROP TABLE gap_events; DROP TABLE school_coverage; "
    "ALTER TABLE gaps DROP COLUMN cleared_ms; ALTER TABLE gaps DROP COLUMN status_note; "
    "ALTER TABLE gaps DROP COLUMN evidence; ALTER TABLE gaps DROP COLUMN p_good; "
    "ALTER TABLE gaps DROP COLUMN meas_share; ALTER TABLE gaps DROP COLUMN grp_rank; "
    "ALTER TABLE gaps DROP COLUMN common_id; ALTER TABLE gaps DROP COLUMN contains; "
    "ALTER TABLE tokens DROP COLUMN expires_ms; "
    "PRAGMA user_version = 3;";

// A store of schema version 3 (before the life cycle, per-school coverage and sites) opens as
// version 6: its gaps keep every field, get no cleared date, an empty note and the binned
// evidence (measured, p_good 0, meas_share 1), and the life cycle works on them.
TEST(SqliteStore, SchemaVersion3IsMigratedWithItsGaps) {
  const std::string dir = ::testing::TempDir() + "/covgap_v3_migration";
  fs::remove_all(dir);
  auto gaps = SampleGaps();
  for (auto& g : gaps) {
    g.cleared_ms.reset();
    g.status_note.clear();
    g.evidence = geo::Evidence::kPredicted;  // dropped with its column: back to the defaults
    g.p_good = 0.5;
    g.meas_share = 0.25;
  }
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE(store.value()->SaveAnalysis(SampleRun(5), gaps).ok());
  }
  {  // Turn it back into version 3: no gap_events, no new gap columns.
    auto db = OpenSqlite(dir + "/covgap.sqlite", SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok()) << db.status().message();
    const Status done = Exec(db->get(), kBackToVersion3);
    EXPECT_TRUE(done.ok()) << done.message();
  }
  auto store = OpenSqliteStore(dir);
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (const geo::Gap& want : AsMigrated(gaps, true)) {
    auto got = store.value()->GetGap(want.gap_id);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSameGap(*got, want);
  }
  auto sites = store.value()->Sites();
  ASSERT_TRUE(sites.ok()) << sites.status().message();
  EXPECT_TRUE(sites->empty());
  auto events = store.value()->ListGapEvents(0, 100);
  ASSERT_TRUE(events.ok()) << events.status().message();
  EXPECT_TRUE(events->empty());
  GapStateChange clear;
  clear.gap_id = "gap-b";
  clear.expected_status = "planned";
  clear.new_status = "cleared";
  clear.cleared_ms = kTargetMs;
  clear.event.type = "cleared";
  auto cleared = store.value()->UpdateGapState(clear);
  ASSERT_TRUE(cleared.ok()) << cleared.status().message();
  EXPECT_EQ(cleared->cleared_ms, kTargetMs);
  store.value().reset();
  fs::remove_all(dir);
}

// A store of schema version 3 (before per-school coverage, sites and the province's rank)
// migrates straight to the current version at open.
TEST(SqliteStore, VersionThreeStoreMigratesToSixKeepingItsRuns) {
  const std::string dir = ::testing::TempDir() + "/covgap_migrate_test";
  fs::remove_all(dir);
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->SaveAnalysis(SampleRun(5), SampleGaps()).ok());
  }
  auto pragma = [&](const std::string& sql) {
    auto opened = OpenSqlite(dir + "/covgap.sqlite", SQLITE_OPEN_READWRITE);
    EXPECT_TRUE(opened.ok()) << opened.status().message();
    if (!opened.ok()) return std::int64_t{-1};
    sqlite3* db = opened->get();
    std::int64_t version = -1;
    EXPECT_EQ(sqlite3_exec(
                  db, sql.c_str(),
                  [](void* out, int, char** values, char**) {
                    *static_cast<std::int64_t*>(out) = std::atoll(values[0]);
                    return 0;
                  },
                  &version, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    return version;
  };
  EXPECT_EQ(pragma("PRAGMA user_version"), 7);
  pragma(std::string(kBackToVersion3) + " SELECT 0");
  EXPECT_EQ(pragma("PRAGMA user_version"), 3);
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status().message();
    auto kept = (*store)->ListGaps({});
    ASSERT_TRUE(kept.ok());
    EXPECT_EQ(kept->second, 5u);
    ASSERT_TRUE((*store)->SaveAnalysis(SampleRun(5), SampleGaps(), SampleSchoolCoverage(0)).ok());
    auto coverage = (*store)->LatestSchoolCoverage();
    ASSERT_TRUE(coverage.ok()) << coverage.status().message();
    EXPECT_EQ(coverage->size(), 3u);
    ASSERT_TRUE((*store)
                    ->UpsertSites({MakeSite("VT-1", "viettel", geo::Technology::kLte, 21.3, 106.3,
                                            30, std::nullopt, std::nullopt, 1800, 60)})
                    .ok());
  }
  EXPECT_EQ(pragma("PRAGMA user_version"), 7);
  fs::remove_all(dir);
}

// A store of schema version 5 (before sites and the prediction's fields) opens as version 6: its
// gaps read as binned results (measured, p_good 0, meas_share 1), its school coverage without
// predicted figures.
TEST(SqliteStore, VersionFiveRowsReadAsBinnedResults) {
  const std::string dir = ::testing::TempDir() + "/covgap_v5_migration";
  fs::remove_all(dir);
  auto coverage = SampleSchoolCoverage(0);
  for (auto& c : coverage) {
    c.predicted_dbm = -90;
    c.sigma_db = 8;
    c.p_good_indoor = 0.5;
  }
  {
    auto store = OpenSqliteStore(dir);
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_TRUE((*store)->SaveAnalysis(SampleRun(5), SampleGaps(), coverage).ok());
  }
  {
    auto db = OpenSqlite(dir + "/covgap.sqlite", SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok()) << db.status().message();
    const Status done = Exec(
        db->get(),
        "DROP TABLE sites; ALTER TABLE gaps DROP COLUMN evidence; ALTER TABLE gaps DROP COLUMN "
        "p_good; ALTER TABLE gaps DROP COLUMN meas_share; ALTER TABLE school_coverage DROP COLUMN "
        "predicted_dbm; ALTER TABLE school_coverage DROP COLUMN sigma_db; ALTER TABLE "
        "school_coverage DROP COLUMN p_good_indoor; ALTER TABLE gaps DROP COLUMN grp_rank; "
        "ALTER TABLE gaps DROP COLUMN common_id; ALTER TABLE gaps DROP COLUMN contains; "
        "ALTER TABLE tokens DROP COLUMN expires_ms; "
        "PRAGMA user_version = 5;");
    ASSERT_TRUE(done.ok()) << done.message();
  }
  auto store = OpenSqliteStore(dir);
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (const geo::Gap& want : AsMigrated(SampleGaps(), true)) {
    auto got = (*store)->GetGap(want.gap_id);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectSameGap(*got, want);
  }
  auto read = (*store)->LatestSchoolCoverage();
  ASSERT_TRUE(read.ok()) << read.status().message();
  ExpectSameCoverage(*read, SampleSchoolCoverage(0));
  auto sites = (*store)->Sites();
  ASSERT_TRUE(sites.ok()) << sites.status().message();
  EXPECT_TRUE(sites->empty());
  store->reset();
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
