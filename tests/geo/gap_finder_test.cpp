// The reference binned method on tiny hand-made grids.
//
// Grids are built in EPSG:4326 as the "analysis CRS" (PROJ's identity, lon/lat order) with a cell
// size of 1 degree, so a sample at lon 2.5, lat -0.5 lands in cell (2, -1) by hand arithmetic.
#include "geo/gaps/gap_finder.h"

#include <geos_c.h>
#include <gtest/gtest.h>

#include <map>

#include "geo/gaps/cell_polygon.h"
#include "geo/grid/coverage_grid.h"
#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

constexpr std::int64_t kAsOf = 1638316800000;  // 2021-12-01T00:00:00Z
constexpr std::int64_t kDay = 86400000;

struct Sample {
  double lon, lat;
  int dbm;
  std::int64_t time = kAsOf - kDay;
};

class Blocks {
 public:
  void Add(const std::string& op, Technology tech, const std::vector<Sample>& samples) {
    auto& c = columns_.emplace_back();
    c.op = op;
    c.tech = tech;
    for (const auto& s : samples) {
      c.lat.push_back(static_cast<std::int32_t>(std::lround(s.lat * 1e7)));
      c.lon.push_back(static_cast<std::int32_t>(std::lround(s.lon * 1e7)));
      c.time.push_back(s.time);
      c.dbm.push_back(static_cast<std::int16_t>(s.dbm));
    }
  }
  // n samples of `dbm` at the centre of cell (ix, iy).
  void Cell(const std::string& op, Technology tech, int ix, int iy, std::vector<int> dbms) {
    std::vector<Sample> s;
    for (int d : dbms) s.push_back({ix + 0.5, iy + 0.5, d});
    Add(op, tech, s);
  }
  std::vector<CoverageGrid> Build(AnalysisParams p) {
    GridBuilder builder(p);
    for (const auto& c : columns_) {
      builder.Add({c.op, c.tech, c.lat, c.lon, c.time, c.dbm});
    }
    auto grids = builder.Build();
    EXPECT_TRUE(grids.ok()) << grids.status().message();
    return grids.ok() ? std::move(grids.value()) : std::vector<CoverageGrid>{};
  }

 private:
  struct Columns {
    std::string op;
    Technology tech;
    std::vector<std::int32_t> lat, lon;
    std::vector<std::int64_t> time;
    std::vector<std::int16_t> dbm;
  };
  std::vector<Columns> columns_;
};

AnalysisParams Params() {
  AnalysisParams p;
  p.analysis_crs = "EPSG:4326";
  p.cell_size_m = 1;
  p.as_of_ms = kAsOf;
  return p;
}

std::vector<int> Repeat(int dbm, int n) {
  return std::vector<int>(static_cast<std::size_t>(n), dbm);
}

// Checks validity and returns the area of a WKB geometry with GEOS.
double GeosArea(const std::string& wkb, bool* valid = nullptr) {
  GeosContext ctx;
  const GeosGeometry g = GeosWkbReader(ctx.get()).Read(wkb);
  EXPECT_TRUE(g);
  if (valid) *valid = GEOSisValid_r(ctx.get(), g.get()) == 1;
  double area = 0;
  GEOSArea_r(ctx.get(), g.get(), &area);
  return area;
}

TEST(Median, OddAndEvenCounts) {
  const std::vector<std::int16_t> odd = {-120, -110, -100};
  const std::vector<std::int16_t> even = {-120, -111, -100, -90};
  EXPECT_EQ(MedianOfSorted(odd), -110);
  EXPECT_EQ(MedianOfSorted(even), -105.5);  // mean of the two middle values
}

TEST(GridBuilder, MediansClassesAndMinSamples) {
  Blocks b;
  b.Cell("op", Technology::kLte, 0, 0, {-100, -130, -101});       // odd: median -101, good? no
  b.Cell("op", Technology::kLte, 1, 0, {-104, -106, -120, -90});  // even: median -105 -> good
  b.Cell("op", Technology::kLte, 2, 0, {-116, -114});             // 2 samples: unmeasured
  b.Cell("op", Technology::kLte, 3, 0, {-115, -115, -115});       // exactly dead threshold
  b.Cell("op", Technology::kLte, 4, 0, {-116, -116, -115});       // median -116: dead
  b.Cell("op", Technology::kLte, 5, 0, {-105, -105, -105});       // exactly good threshold
  const auto grids = b.Build(Params());
  ASSERT_EQ(grids.size(), 1u);
  const CoverageGrid& g = grids[0];
  ASSERT_EQ(g.cells.size(), 6u);
  EXPECT_EQ(g.Find(0, 0)->median, -101);
  EXPECT_EQ(g.Find(0, 0)->cls, CellClass::kGood);
  EXPECT_EQ(g.Find(1, 0)->median, -105);
  EXPECT_EQ(g.Find(1, 0)->cls, CellClass::kGood);
  EXPECT_EQ(g.Find(2, 0)->cls, CellClass::kUnmeasured);
  EXPECT_EQ(g.Find(3, 0)->cls, CellClass::kWeak);  // "dead" is strict <
  EXPECT_EQ(g.Find(4, 0)->cls, CellClass::kDead);
  EXPECT_EQ(g.Find(5, 0)->cls, CellClass::kGood);  // good is >=
  // Values of a cell are sorted.
  const auto v = g.ValuesOf(*g.Find(1, 0));
  EXPECT_EQ(std::vector<std::int16_t>(v.begin(), v.end()),
            (std::vector<std::int16_t>{-120, -106, -104, -90}));
}

TEST(GridBuilder, EvenMedianBetweenThresholdsAndMinSamplesParameter) {
  Blocks b;
  b.Cell("op", Technology::kLte, 0, 0, {-104, -106});  // median -105: good (>=)
  b.Cell("op", Technology::kLte, 1, 0, {-105, -106});  // median -105.5: weak
  AnalysisParams p = Params();
  p.min_samples = 2;
  const auto grids = b.Build(p);
  EXPECT_EQ(grids[0].Find(0, 0)->cls, CellClass::kGood);
  EXPECT_EQ(grids[0].Find(1, 0)->cls, CellClass::kWeak);
}

TEST(GridBuilder, UmtsThresholdsAndCustomThresholds) {
  Blocks b;
  b.Cell("op", Technology::kUmts, 0, 0, Repeat(-95, 3));   // good (>= -95)
  b.Cell("op", Technology::kUmts, 1, 0, Repeat(-105, 3));  // weak (not < -105)
  b.Cell("op", Technology::kUmts, 2, 0, Repeat(-106, 3));  // dead
  auto grids = b.Build(Params());
  EXPECT_EQ(grids[0].Find(0, 0)->cls, CellClass::kGood);
  EXPECT_EQ(grids[0].Find(1, 0)->cls, CellClass::kWeak);
  EXPECT_EQ(grids[0].Find(2, 0)->cls, CellClass::kDead);
  AnalysisParams p = Params();
  p.thresholds[Technology::kUmts] = {-90, -100};
  grids = b.Build(p);
  EXPECT_EQ(grids[0].Find(0, 0)->cls, CellClass::kWeak);
  EXPECT_EQ(grids[0].Find(1, 0)->cls, CellClass::kDead);
}

TEST(GridBuilder, NegativeCoordinatesAndCellEdges) {
  Blocks b;
  // On an edge a sample belongs to the cell whose lower edge it is: floor(x / s).
  b.Add("op", Technology::kLte,
        {{-0.5, -0.5, -100},
         {-1.0, -1.0, -100},
         {0.0, 0.0, -120},
         {-0.0000001, 0.0, -120},
         {2.0, -3.0, -90}});
  const auto grids = b.Build(Params());
  const CoverageGrid& g = grids[0];
  ASSERT_NE(g.Find(-1, -1), nullptr);
  EXPECT_EQ(g.Find(-1, -1)->n, 2u);  // (-0.5,-0.5) and (-1,-1)
  EXPECT_EQ(g.Find(0, 0)->n, 1u);
  EXPECT_EQ(g.Find(-1, 0)->n, 1u);  // just left of x = 0
  EXPECT_EQ(g.Find(2, -3)->n, 1u);
}

TEST(GridBuilder, EvidenceWindowExpiresOldSamplesAndIgnoresLaterOnes) {
  Blocks b;
  b.Add("op", Technology::kLte,
        {{0.5, 0.5, -120, kAsOf - 10 * kDay},  // inside a 30-day window
         {0.5, 0.5, -120, kAsOf - 30 * kDay},  // exactly at the window's start: kept
         {0.5, 0.5, -120, kAsOf - 31 * kDay},  // expired
         {0.5, 0.5, -120, kAsOf + 1}});        // after as-of: ignored
  AnalysisParams p = Params();
  p.window_days = 30;
  auto grids = b.Build(p);
  EXPECT_EQ(grids[0].Find(0, 0)->n, 2u);
  p.window_days = 0;  // no limit
  grids = b.Build(p);
  EXPECT_EQ(grids[0].Find(0, 0)->n, 3u);
}

TEST(GapFinder, CellsTouchingOnlyAtACornerAreDifferentGaps) {
  Blocks b;
  b.Cell("op", Technology::kLte, 0, 0, Repeat(-120, 3));
  b.Cell("op", Technology::kLte, 1, 1, Repeat(-110, 3));
  b.Cell("op", Technology::kLte, 1, 0, Repeat(-90, 3));  // good
  const auto grids = b.Build(Params());
  const auto gaps = FindOperatorGaps(grids[0], Params());
  ASSERT_EQ(gaps.size(), 2u);
  EXPECT_EQ(gaps[0].gap.n_cells, 1);
  EXPECT_EQ(gaps[1].gap.n_cells, 1);
  EXPECT_EQ(gaps[0].gap.severity, 1.0);  // dead
  EXPECT_EQ(gaps[1].gap.severity, 0.0);  // weak
}

TEST(GapFinder, RingAroundAGoodCellIsOneGapWithAHole) {
  Blocks b;
  for (int ix = 0; ix < 3; ++ix) {
    for (int iy = 0; iy < 3; ++iy) {
      b.Cell("op", Technology::kLte, ix, iy, Repeat(ix == 1 && iy == 1 ? -80 : -112, 3));
    }
  }
  const auto grids = b.Build(Params());
  const auto gaps = FindOperatorGaps(grids[0], Params());
  ASSERT_EQ(gaps.size(), 1u);
  const Gap& g = gaps[0].gap;
  EXPECT_EQ(g.n_cells, 8);
  EXPECT_EQ(g.area_m2, 8.0);
  EXPECT_EQ(g.n_samples, 24);
  EXPECT_EQ(g.median_dbm, -112);
  EXPECT_EQ(g.min_dbm, -112);
  bool valid = false;
  EXPECT_DOUBLE_EQ(GeosArea(g.wkb, &valid), 8.0);
  EXPECT_TRUE(valid);
  const auto polygons = TraceCells(
      std::vector<CellIndex>{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {2, 1}, {0, 2}, {1, 2}, {2, 2}});
  ASSERT_EQ(polygons.size(), 1u);
  EXPECT_EQ(polygons[0].holes.size(), 1u);
  EXPECT_EQ(polygons[0].shell.vertices.size(), 4u);  // collinear vertices dropped
}

TEST(GapFinder, GapMedianIsOverAllSamplesNotCellMedians) {
  Blocks b;
  b.Cell("op", Technology::kLte, 0, 0, {-130, -130, -110});  // median -130
  b.Cell("op", Technology::kLte, 1, 0, {-112, -111, -110});  // median -111
  const auto gaps = FindOperatorGaps(b.Build(Params())[0], Params());
  ASSERT_EQ(gaps.size(), 1u);
  // All six: -130 -130 -112 -111 -110 -110 -> (-112 + -111) / 2.
  EXPECT_EQ(gaps[0].gap.median_dbm, -111.5);
  EXPECT_EQ(gaps[0].gap.min_dbm, -130);
  EXPECT_DOUBLE_EQ(gaps[0].gap.severity, 0.5);
}

TEST(GapFinder, MinAreaDropsSmallGaps) {
  Blocks b;
  b.Cell("op", Technology::kLte, 0, 0, Repeat(-120, 3));
  b.Cell("op", Technology::kLte, 5, 5, Repeat(-120, 3));
  b.Cell("op", Technology::kLte, 6, 5, Repeat(-120, 3));
  AnalysisParams p = Params();
  p.min_area_m2 = 2;
  const auto gaps = FindOperatorGaps(b.Build(p)[0], p);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].gap.n_cells, 2);
}

TEST(GapFinder, CommonGapsUseTheBestMeasuredOperator) {
  Blocks b;
  // Cell 0: A dead, B good -> covered. Cell 1: A dead, B weak -> weak.
  // Cell 2: A dead, B unmeasured (2 samples) -> A decides: dead. Cell 3: only B, dead.
  b.Cell("a", Technology::kLte, 0, 0, Repeat(-120, 3));
  b.Cell("b", Technology::kLte, 0, 0, Repeat(-90, 3));
  b.Cell("a", Technology::kLte, 1, 0, Repeat(-120, 3));
  b.Cell("b", Technology::kLte, 1, 0, Repeat(-110, 3));
  b.Cell("a", Technology::kLte, 2, 0, Repeat(-120, 3));
  b.Cell("b", Technology::kLte, 2, 0, Repeat(-60, 2));
  b.Cell("b", Technology::kLte, 3, 0, Repeat(-125, 3));
  const auto grids = b.Build(Params());
  ASSERT_EQ(grids.size(), 2u);
  const CoverageGrid merged = MergeForCommonGaps({&grids[0], &grids[1]});
  EXPECT_EQ(merged.Find(0, 0)->cls, CellClass::kGood);
  EXPECT_EQ(merged.Find(1, 0)->cls, CellClass::kWeak);
  EXPECT_EQ(merged.Find(2, 0)->cls, CellClass::kDead);
  EXPECT_EQ(merged.Find(3, 0)->cls, CellClass::kDead);
  const auto gaps = FindCommonGaps(merged, Params());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].gap.kind, GapKind::kCommon);
  EXPECT_EQ(gaps[0].gap.n_cells, 3);
  EXPECT_DOUBLE_EQ(gaps[0].gap.severity, 2.0 / 3.0);
  EXPECT_EQ(gaps[0].gap.gap_id, "common-LTE-1_0");
  // Samples of the operators that measured the cells: 3 + 3 (cell 1), 3 (cell 2), 3 (cell 3).
  EXPECT_EQ(gaps[0].gap.n_samples, 12);
  // Operator a alone has one 3-cell gap (cells 0..2); b has cells 1 and 3 (not connected).
  EXPECT_EQ(FindOperatorGaps(grids[0], Params()).size(), 1u);
  EXPECT_EQ(FindOperatorGaps(grids[1], Params()).size(), 2u);
}

TEST(GapFinder, GapIdsAreDeterministic) {
  Blocks b;
  b.Cell("viettel", Technology::kUmts, -3, 7, Repeat(-110, 3));
  const auto gaps = FindOperatorGaps(b.Build(Params())[0], Params());
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].gap.gap_id, "viettel-UMTS--3_7");
  EXPECT_EQ(gaps[0].gap.crs, "EPSG:4326");
}

// Random grids: every component traced is a valid polygon whose area and shape equal the GEOS
// union of its squares.
TEST(CellPolygon, RandomGridsEqualTheUnionOfSquares) {
  GeosContext ctx;
  const GeosWkbReader reader(ctx.get());
  std::uint32_t seed = 12345;
  auto rnd = [&] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int trial = 0; trial < 200; ++trial) {
    const int w = 3 + static_cast<int>(rnd() % 8), h = 3 + static_cast<int>(rnd() % 8);
    const unsigned density = 35 + rnd() % 45;
    std::vector<CellIndex> cells;
    for (int x = 0; x < w; ++x) {
      for (int y = 0; y < h; ++y) {
        if (rnd() % 100 < density) cells.push_back({x - 4, y - 2});
      }
    }
    if (cells.empty()) continue;
    const std::string wkb = ToMultiPolygonWkb(TraceCells(cells), 10.0);
    const GeosGeometry traced = reader.Read(wkb);
    ASSERT_TRUE(traced);
    const GeosString reason(GEOSisValidReason_r(ctx.get(), traced.get()), {ctx.get()});
    EXPECT_EQ(GEOSisValid_r(ctx.get(), traced.get()), 1)
        << "trial " << trial << ": " << reason.get();
    std::vector<GEOSGeometry*> squares;
    for (const auto& c : cells) {
      GEOSGeometry* box = GEOSGeom_createRectangle_r(ctx.get(), c.ix * 10.0, c.iy * 10.0,
                                                     c.ix * 10.0 + 10, c.iy * 10.0 + 10);
      squares.push_back(box);
    }
    const GeosGeometry collection = Own(
        ctx.get(), GEOSGeom_createCollection_r(ctx.get(), GEOS_GEOMETRYCOLLECTION, squares.data(),
                                               static_cast<unsigned>(squares.size())));
    const GeosGeometry reference = Own(ctx.get(), GEOSUnaryUnion_r(ctx.get(), collection.get()));
    double a = 0, r = 0;
    GEOSArea_r(ctx.get(), traced.get(), &a);
    GEOSArea_r(ctx.get(), reference.get(), &r);
    EXPECT_DOUBLE_EQ(a, 100.0 * static_cast<double>(cells.size()));
    EXPECT_DOUBLE_EQ(a, r);
    const GeosGeometry sym =
        Own(ctx.get(), GEOSSymDifference_r(ctx.get(), traced.get(), reference.get()));
    double d = 0;
    GEOSArea_r(ctx.get(), sym.get(), &d);
    EXPECT_EQ(d, 0.0) << "trial " << trial;
  }
}

}  // namespace
}  // namespace covgap::geo
