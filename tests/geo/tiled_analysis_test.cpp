// The partitioned (tiled) analysis gives exactly the one-piece result: hand-made grids whose gaps
// cross tile borders in every way, and random grids over many tile sizes and thread counts.
//
// As in gap_finder_test.cpp the "analysis CRS" is EPSG:4326 (PROJ's identity, lon/lat) with a cell
// size of 1 degree, so a sample at (ix + 0.5, iy + 0.5) lands in cell (ix, iy).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <set>

#include "geo/gaps/gap_analysis.h"
#include "geo/gaps/gap_finder.h"
#include "geo/grid/coverage_grid.h"

namespace covgap::geo {
namespace {

constexpr std::int64_t kAsOf = 1638316800000;  // 2021-12-01T00:00:00Z
constexpr std::int64_t kDay = 86400000;
constexpr int kGood = -80, kWeak = -110, kDead = -120;  // LTE: good >= -105, dead < -115

class Measurements {
 public:
  // n samples of `dbm` spread inside cell (ix, iy) of size `s`.
  void Cell(const std::string& op, Technology tech, int ix, int iy, int dbm, int n = 3,
            double s = 1.0) {
    Columns& c = columns_[{op, tech}];
    for (int k = 0; k < n; ++k) {
      const double fx = (ix + 0.2 + 0.6 * k / std::max(1, n - 1)) * s;
      const double fy = (iy + 0.5) * s;
      c.lon.push_back(static_cast<std::int32_t>(std::lround(fx * 1e7)));
      c.lat.push_back(static_cast<std::int32_t>(std::lround(fy * 1e7)));
      c.time.push_back(kAsOf - kDay);
      c.dbm.push_back(static_cast<std::int16_t>(dbm + k % 2));  // not all equal: real medians
    }
  }
  // Gap cells given as a picture, row 0 at the top; 'w' weak, 'd' dead, 'g' good, '.' none.
  void Picture(const std::string& op, int x0, int y_top, const std::vector<std::string>& rows) {
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (std::size_t c = 0; c < rows[r].size(); ++c) {
        const int ix = x0 + static_cast<int>(c), iy = y_top - static_cast<int>(r);
        switch (rows[r][c]) {
          case 'w':
            Cell(op, Technology::kLte, ix, iy, kWeak);
            break;
          case 'd':
            Cell(op, Technology::kLte, ix, iy, kDead);
            break;
          case 'g':
            Cell(op, Technology::kLte, ix, iy, kGood);
            break;
          default:
            break;
        }
      }
    }
  }
  MeasurementSource Source() const {
    return [this](const std::function<void(const MeasurementBlock&)>& visit) {
      for (const auto& [key, c] : columns_)
        visit({key.first, key.second, c.lat, c.lon, c.time, c.dbm});
      return Status();
    };
  }

 private:
  struct Columns {
    std::vector<std::int32_t> lat, lon;
    std::vector<std::int64_t> time;
    std::vector<std::int16_t> dbm;
  };
  std::map<std::pair<std::string, Technology>, Columns> columns_;
};

// A square area polygon (ISO WKB, little-endian) from (x0, y0) to (x1, y1).
std::string Square(double x0, double y0, double x1, double y1) {
  std::string wkb;
  auto put = [&](const void* p, std::size_t n) { wkb.append(static_cast<const char*>(p), n); };
  const std::uint8_t le = 1;
  const std::uint32_t type = 3, rings = 1, points = 5;
  put(&le, 1);
  put(&type, 4);
  put(&rings, 4);
  put(&points, 4);
  const double xy[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
  put(xy, sizeof xy);
  return wkb;
}

AnalysisInputs Inputs() {
  AnalysisInputs in;
  in.areas.push_back({AreaLevel::kDistrict, "west", "West", Square(-50, -50, 0.5, 50)});
  in.areas.push_back({AreaLevel::kDistrict, "east", "East", Square(0.5, -50, 50, 50)});
  for (int k = 0; k < 6; ++k) {
    School s;
    s.school_id = "s" + std::to_string(k);
    s.lon = -3.5 + 2.25 * k;
    s.lat = -2.5 + 1.5 * k;
    s.students = 100 + k;
    s.students_nodev = 10 + k;
    in.schools.push_back(s);
    Household h;
    h.household_id = "h" + std::to_string(k);
    h.category = HouseholdCategory::kPoor;
    h.lon = 4.5 - 1.75 * k;
    h.lat = -1.5 + 1.25 * k;
    h.students_nodev = 1 + k;
    in.households.push_back(h);
  }
  return in;
}

AnalysisParams Params(int tile_cells, unsigned threads) {
  AnalysisParams p;
  p.cell_size_m = 1;
  p.min_samples = 3;
  p.analysis_crs = "EPSG:4326";
  p.as_of_ms = kAsOf;
  p.tile_cells = tile_cells;
  p.threads = threads;
  return p;
}

AnalysisResult Analyse(const Measurements& m, AnalysisParams p) {
  auto r = RunGapAnalysis(m.Source(), Inputs(), p);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r.value()) : AnalysisResult{};
}

void ExpectSame(const AnalysisResult& one, const AnalysisResult& tiled, const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(one.gaps.size(), tiled.gaps.size());
  for (std::size_t i = 0; i < one.gaps.size(); ++i) {
    const Gap& a = one.gaps[i];
    const Gap& b = tiled.gaps[i];
    SCOPED_TRACE(a.gap_id);
    EXPECT_EQ(a.gap_id, b.gap_id);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.operator_id, b.operator_id);
    EXPECT_EQ(a.tech, b.tech);
    EXPECT_EQ(a.severity, b.severity);
    EXPECT_EQ(a.area_m2, b.area_m2);
    EXPECT_EQ(a.n_cells, b.n_cells);
    EXPECT_EQ(a.n_dead_cells, b.n_dead_cells);
    EXPECT_EQ(a.n_samples, b.n_samples);
    EXPECT_EQ(a.median_dbm, b.median_dbm);
    EXPECT_EQ(a.min_dbm, b.min_dbm);
    EXPECT_EQ(a.province, b.province);
    EXPECT_EQ(a.district, b.district);
    EXPECT_EQ(a.commune, b.commune);
    EXPECT_EQ(a.schools, b.schools);
    EXPECT_EQ(a.students_nodev, b.students_nodev);
    EXPECT_EQ(a.poor_hh, b.poor_hh);
    EXPECT_EQ(a.npoor_hh, b.npoor_hh);
    EXPECT_EQ(a.hardship_students, b.hardship_students);
    EXPECT_EQ(a.school_points, b.school_points);
    EXPECT_EQ(a.score, b.score);
    EXPECT_EQ(a.rank, b.rank);
    EXPECT_EQ(a.grp_rank, b.grp_rank);
    EXPECT_EQ(a.common_id, b.common_id);
    EXPECT_EQ(a.contains, b.contains);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.crs, b.crs);
    EXPECT_EQ(a.wkb, b.wkb) << "polygons differ";
  }
  ASSERT_EQ(one.grids.size(), tiled.grids.size());
  for (std::size_t i = 0; i < one.grids.size(); ++i) {
    const GridSummary& a = one.grids[i];
    const GridSummary& b = tiled.grids[i];
    EXPECT_EQ(a.operator_id, b.operator_id);
    EXPECT_EQ(a.tech, b.tech);
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(a.good, b.good);
    EXPECT_EQ(a.weak, b.weak);
    EXPECT_EQ(a.dead, b.dead);
    EXPECT_EQ(a.unmeasured, b.unmeasured);
    EXPECT_EQ(a.gaps, b.gaps);
  }
  EXPECT_EQ(one.grid_stats.measurements_read, tiled.grid_stats.measurements_read);
  EXPECT_EQ(one.grid_stats.in_window, tiled.grid_stats.in_window);
  EXPECT_EQ(one.grid_stats.unprojectable, tiled.grid_stats.unprojectable);
  ASSERT_EQ(one.schools.size(), tiled.schools.size());
  for (std::size_t i = 0; i < one.schools.size(); ++i) {
    const SchoolCoverage& a = one.schools[i];
    const SchoolCoverage& b = tiled.schools[i];
    EXPECT_EQ(a.school_id, b.school_id);
    EXPECT_EQ(a.operator_id, b.operator_id);
    EXPECT_EQ(a.indoor_class, b.indoor_class);
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_EQ(std::isnan(a.median_dbm), std::isnan(b.median_dbm));
    if (!std::isnan(a.median_dbm)) {
      EXPECT_EQ(a.median_dbm, b.median_dbm);
    }
    EXPECT_EQ(a.nearest_good_m, b.nearest_good_m);
  }
}

// Runs one piece, then every tile size in `tiles` with 1 and 2 threads, and compares.
AnalysisResult ExpectTiledSame(const Measurements& m, std::vector<int> tiles = {1, 2, 3, 7, 64}) {
  const AnalysisResult one = Analyse(m, Params(0, 1));
  for (int t : tiles) {
    for (unsigned threads : {1u, 2u}) {
      ExpectSame(one, Analyse(m, Params(t, threads)),
                 "tile " + std::to_string(t) + ", threads " + std::to_string(threads));
    }
  }
  return one;
}

const Gap* FindGap(const AnalysisResult& r, const std::string& id) {
  for (const Gap& g : r.gaps) {
    if (g.gap_id == id) return &g;
  }
  return nullptr;
}

TEST(TiledAnalysis, ComponentSpanningFourTilesIsOneGap) {
  Measurements m;
  // A 4x4 block of gap cells from (-2, -2) to (1, 1): with tiles of 2 it covers tiles (-1, -1),
  // (0, -1), (-1, 0) and (0, 0); with tiles of 3 also four tiles.
  m.Picture("A", -2, 1, {"wwdw", "wddw", "wwww", "dwww"});
  m.Picture("A", -3, 2, {"gggggg", "g....g", "g....g", "g....g", "g....g", "gggggg"});
  const AnalysisResult one = ExpectTiledSame(m);
  const Gap* g = FindGap(one, "A-LTE--2_-2");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->n_cells, 16);
  EXPECT_EQ(g->n_dead_cells, 4);
  // Seen with tiles of 2: the gap is still one gap.
  const AnalysisResult tiled = Analyse(m, Params(2, 2));
  const Gap* t = FindGap(tiled, "A-LTE--2_-2");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->n_cells, 16);
}

TEST(TiledAnalysis, UShapeWhoseArmsMeetOnlyInAnotherTile) {
  Measurements m;
  // Tiles of 3: the arms (columns 0 and 2, rows 3..5) are two components inside tile (0, 1);
  // they meet only through the base in row 2, in tile (0, 0). A second U has its arms in tiles
  // (1, 1) and (2, 1) and its base across tiles (1, 0) and (2, 0).
  m.Picture("A", 0, 5, {"wgw.wggw", "wgw.wggw", "wgw.wggw", "www.wwww"});
  const AnalysisResult one = ExpectTiledSame(m, {1, 2, 3, 4, 7, 64});
  ASSERT_NE(FindGap(one, "A-LTE-0_2"), nullptr);
  EXPECT_EQ(FindGap(one, "A-LTE-0_2")->n_cells, 9);
  ASSERT_NE(FindGap(one, "A-LTE-4_2"), nullptr);
  EXPECT_EQ(FindGap(one, "A-LTE-4_2")->n_cells, 10);
  EXPECT_EQ(Analyse(m, Params(3, 2)).gaps.size(), one.gaps.size());
}

TEST(TiledAnalysis, RingWithAHoleAcrossTileBorders) {
  Measurements m;
  // A ring around the good cell (3, 3): with tiles of 3 the ring covers four tiles and the hole
  // sits in tile (1, 1). A second ring around an unmeasured hole at (-1, 8).
  m.Picture("A", 2, 4, {"wdw", "wgw", "www"});
  m.Picture("A", -2, 9, {"www", "w.w", "wdw"});
  const AnalysisResult one = ExpectTiledSame(m);
  const Gap* g = FindGap(one, "A-LTE-2_2");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->n_cells, 8);
  // The polygon has a hole: MultiPolygon(1 polygon, 2 rings).
  ASSERT_GE(g->wkb.size(), 13u);
  std::uint32_t rings = 0;
  std::memcpy(&rings, g->wkb.data() + 9 + 5, 4);
  EXPECT_EQ(rings, 2u);
}

TEST(TiledAnalysis, DiagonalContactAcrossATileCornerDoesNotMerge) {
  Measurements m;
  // Tiles of 3: (2, 2) and (3, 3) touch only at the corner shared by four tiles; (5, 0) and
  // (6, 1) only at a vertex on a vertical tile border.
  m.Picture("A", 2, 3, {".w", "w."});
  m.Picture("A", 5, 1, {".d", "d."});
  const AnalysisResult one = ExpectTiledSame(m);
  EXPECT_EQ(one.gaps.size(), 8u);  // 4 operator gaps + 4 common gaps, one cell each
  for (const char* id : {"A-LTE-2_2", "A-LTE-3_3", "A-LTE-5_0", "A-LTE-6_1"}) {
    ASSERT_NE(FindGap(one, id), nullptr) << id;
    EXPECT_EQ(FindGap(one, id)->n_cells, 1) << id;
  }
}

TEST(TiledAnalysis, TileWithoutSamplesBetweenGaps) {
  Measurements m;
  // Tiles of 3: gaps in tiles (0, 0) and (2, 0) touching the empty tile (1, 0) on both sides,
  // and one gap reaching into tile (0, 1) above, across a border whose far side is empty.
  m.Picture("A", 0, 3, {"w........", "www...www", "..w...w..", "..w...w.."});
  // Another operator: common gaps need both to be bad where both measured.
  m.Picture("B", 0, 2, {"ggw...www", "..w...wgg"});
  ExpectTiledSame(m);
}

TEST(TiledAnalysis, SeveralOperatorsAndTechnologiesWithMinimumArea) {
  Measurements m;
  m.Picture("A", -4, 3, {"ww.dd..", "wwgdd.w", "..wwwww", "d.w...w"});
  m.Picture("B", -3, 2, {"wwwgg", "ddw.w", "g.wdd"});
  for (int x = -5; x < 5; ++x) m.Cell("A", Technology::kNr, x, x % 3, kDead);
  AnalysisParams one_piece = Params(0, 1);
  one_piece.min_area_m2 = 2;  // single cells are dropped
  const AnalysisResult one = Analyse(m, one_piece);
  for (int t : {1, 2, 3, 5}) {
    AnalysisParams p = one_piece;
    p.tile_cells = t;
    p.threads = 2;
    ExpectSame(one, Analyse(m, p), "tile " + std::to_string(t));
  }
}

TEST(TiledAnalysis, TilesHoldTheOnePieceCells) {
  Measurements m;
  m.Picture("A", -4, 3, {"ww.dd..", "wwgdd.w", "..wwwww", "d.w...w"});
  AnalysisParams p = Params(3, 2);
  GridBuilder a(p), b(p);
  auto visit = [&](GridBuilder& builder) {
    return m.Source()([&](const MeasurementBlock& blk) { builder.Add(blk); });
  };
  ASSERT_TRUE(visit(a).ok());
  ASSERT_TRUE(visit(b).ok());
  auto one = a.Build();
  auto tiled = b.BuildTiled();
  ASSERT_TRUE(one.ok() && tiled.ok());
  ASSERT_EQ(one->size(), 1u);
  ASSERT_EQ(tiled->size(), 1u);
  const TiledGrid& tg = tiled->front();
  for (std::size_t t = 0; t < tg.tiles.size(); ++t) {
    for (const GridCell& c : tg.tiles[t].cells) {
      EXPECT_EQ(TileOf(c.ix, 3), tg.tile_xy[t].first);
      EXPECT_EQ(TileOf(c.iy, 3), tg.tile_xy[t].second);
      const GridCell* o = one->front().Find(c.ix, c.iy);
      ASSERT_NE(o, nullptr);
      EXPECT_EQ(o->n, c.n);
      EXPECT_EQ(o->median, c.median);
      EXPECT_EQ(o->cls, c.cls);
      const auto va = one->front().ValuesOf(*o);
      const auto vb = tg.tiles[t].ValuesOf(c);
      EXPECT_TRUE(std::equal(va.begin(), va.end(), vb.begin(), vb.end()));
    }
  }
  EXPECT_EQ(tg.cells(), one->front().cells.size());
  EXPECT_EQ(tg.samples(), one->front().samples());
}

TEST(TiledAnalysis, TileOfIsFloorDivision) {
  EXPECT_EQ(TileOf(0, 3), 0);
  EXPECT_EQ(TileOf(2, 3), 0);
  EXPECT_EQ(TileOf(3, 3), 1);
  EXPECT_EQ(TileOf(-1, 3), -1);
  EXPECT_EQ(TileOf(-3, 3), -1);
  EXPECT_EQ(TileOf(-4, 3), -2);
  EXPECT_EQ(TileOf(-7, 1), -7);
}

TEST(TiledAnalysis, NegativeTileCellsIsRejected) {
  Measurements m;
  m.Cell("A", Technology::kLte, 0, 0, kWeak);
  auto r = RunGapAnalysis(m.Source(), Inputs(), Params(-1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tile cells"), std::string::npos);
}

// Far-apart clusters with small tiles: many empty tiles, so tiles are found by sorting (the
// sparse partition) instead of a dense tile table.
TEST(TiledAnalysis, FarApartClustersUseTheSparsePartition) {
  Measurements m;
  const double s = 0.01;  // degrees: clusters 30,000 cells apart
  for (int k = 0; k < 3; ++k) {
    const int x0 = -15000 + 15000 * k, y0 = -3000 + 3000 * k;
    for (int dx = 0; dx < 4; ++dx) {
      for (int dy = 0; dy < 3; ++dy) {
        m.Cell("A", Technology::kLte, x0 + dx, y0 + dy, (dx + dy) % 3 == 0 ? kGood : kWeak, 3, s);
      }
    }
  }
  AnalysisParams p = Params(0, 1);
  p.cell_size_m = s;
  const AnalysisResult one = Analyse(m, p);
  EXPECT_EQ(one.gaps.size(), 12u);  // two diagonal bands per cluster, operator and common
  for (int t : {1, 2, 3}) {
    p.tile_cells = t;
    p.threads = 2;
    ExpectSame(one, Analyse(m, p), "tile " + std::to_string(t));
  }
}

TEST(TiledAnalysis, RandomGridsEqualOnePiece) {
  std::mt19937 rng(20261127);
  for (int round = 0; round < 12; ++round) {
    Measurements m;
    const int w = 4 + static_cast<int>(rng() % 30), h = 4 + static_cast<int>(rng() % 30);
    const int x0 = -static_cast<int>(rng() % 20), y0 = -static_cast<int>(rng() % 20);
    const double bad_share = 0.3 + 0.5 * (rng() % 100) / 100.0;
    for (const char* op : {"A", "B", "C"}) {
      for (Technology tech : {Technology::kLte, Technology::kNr}) {
        if (rng() % 4 == 0) continue;
        for (int x = x0; x < x0 + w; ++x) {
          for (int y = y0; y < y0 + h; ++y) {
            if (rng() % 5 == 0) continue;  // no samples
            const double u = (rng() % 1000) / 1000.0;
            const int dbm = u < bad_share / 2 ? kDead : u < bad_share ? kWeak : kGood;
            const int n = 1 + static_cast<int>(rng() % 5);  // 1-2 samples: unmeasured
            m.Cell(op, tech, x, y, dbm - static_cast<int>(rng() % 4), n);
          }
        }
      }
    }
    SCOPED_TRACE("round " + std::to_string(round));
    const AnalysisResult one = ExpectTiledSame(m);
    EXPECT_FALSE(one.gaps.empty());
  }
}

}  // namespace
}  // namespace covgap::geo
