// Per-school coverage: the school's cell judged indoors, and the exact nearest good cell.
#include "geo/gaps/school_coverage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

namespace covgap::geo {
namespace {

struct CellSpec {
  std::int32_t ix, iy;
  std::uint32_t n;
  double median;
};

// A grid of cell size 1 in "EPSG:4326" (identity), classed with the outdoor thresholds.
CoverageGrid Grid(std::string op, Technology tech, std::vector<CellSpec> specs,
                  const AnalysisParams& p) {
  CoverageGrid g;
  g.operator_id = std::move(op);
  g.tech = tech;
  std::sort(specs.begin(), specs.end(), [](const CellSpec& a, const CellSpec& b) {
    return CellKey(a.ix, a.iy) < CellKey(b.ix, b.iy);
  });
  for (const CellSpec& s : specs) {
    GridCell c;
    c.ix = s.ix;
    c.iy = s.iy;
    c.n = s.n;
    c.median = s.median;
    c.cls = Classify(s.n, s.median, p.min_samples, p.ThresholdsFor(tech));
    g.cells.push_back(c);
  }
  return g;
}

School At(std::string id, double x, double y) {
  School s;
  s.school_id = std::move(id);
  s.lon = x;
  s.lat = y;
  return s;
}

AnalysisParams Params() {
  AnalysisParams p;
  p.analysis_crs = "EPSG:4326";
  p.cell_size_m = 1;
  return p;  // min samples 3, LTE -105/-115, UMTS -95/-105, indoor margin 10 dB
}

TEST(SchoolCoverage, IndoorMarginUnmeasuredCellsExactNearestGoodAndWhiteZone) {
  const AnalysisParams p = Params();
  std::vector<CoverageGrid> grids;
  grids.push_back(Grid("viettel", Technology::kLte,
                       {{0, 0, 5, -100},     // good outdoors, only weak indoors (-95 needed)
                        {13, 10, 4, -80},    // good
                        {20, 0, 2, -70},     // too few samples: not good, not a nearest good cell
                        {3, 3, 3, -95},      // good indoors too
                        {30, 30, 6, -125}},  // dead
                       p));
  grids.push_back(Grid("vnpt", Technology::kUmts, {{3, 3, 8, -106}}, p));  // dead indoors
  const std::vector<School> schools = {
      At("A", 0.5, 0.5),    // viettel LTE (0,0): weak indoors
      At("B", 10.5, 10.5),  // unmeasured cell; nearest good (13,10), centre (13.5,10.5): 3 away
      At("C", 20.2, 0.9),   // a cell with 2 samples: unmeasured, samples and median kept
      At("D", 3.2, 3.7),    // good indoors for viettel LTE
      At("E", 30.5, 30.5),  // dead
  };
  auto out = ComputeSchoolCoverage(schools, grids, p);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), schools.size() * grids.size());
  auto rec = [&](std::size_t school, std::size_t grid) { return (*out)[school * 2 + grid]; };

  const SchoolCoverage a = rec(0, 0);
  EXPECT_EQ(a.school_id, "A");
  EXPECT_EQ(a.operator_id, "viettel");
  EXPECT_EQ(a.tech, Technology::kLte);
  EXPECT_EQ(a.indoor_class, CellClass::kWeak);
  EXPECT_EQ(a.samples, 5);
  EXPECT_DOUBLE_EQ(a.median_dbm, -100);
  ASSERT_TRUE(a.nearest_good_m.has_value());
  EXPECT_DOUBLE_EQ(*a.nearest_good_m, 0.0);  // its own cell's centre is good outdoors

  const SchoolCoverage b = rec(1, 0);
  EXPECT_EQ(b.indoor_class, CellClass::kUnmeasured);
  EXPECT_EQ(b.samples, 0);
  EXPECT_TRUE(std::isnan(b.median_dbm));
  ASSERT_TRUE(b.nearest_good_m.has_value());
  EXPECT_DOUBLE_EQ(*b.nearest_good_m, 3.0);

  const SchoolCoverage c = rec(2, 0);
  EXPECT_EQ(c.indoor_class, CellClass::kUnmeasured);
  EXPECT_EQ(c.samples, 2);
  EXPECT_DOUBLE_EQ(c.median_dbm, -70);
  ASSERT_TRUE(c.nearest_good_m.has_value());  // (13,10) centre: not the 2-sample cell
  EXPECT_DOUBLE_EQ(*c.nearest_good_m, std::hypot(13.5 - 20.2, 10.5 - 0.9));

  EXPECT_EQ(rec(3, 0).indoor_class, CellClass::kGood);
  EXPECT_EQ(rec(3, 1).indoor_class, CellClass::kDead);
  EXPECT_EQ(rec(3, 1).operator_id, "vnpt");
  EXPECT_FALSE(rec(3, 1).nearest_good_m.has_value());  // vnpt UMTS has no good cell at all
  EXPECT_EQ(rec(4, 0).indoor_class, CellClass::kDead);

  // White zone: measured, and no record of the school good indoors; no data: nothing classed.
  auto of = [&](std::size_t school) {
    return std::span<const SchoolCoverage>(out->data() + school * 2, 2);
  };
  EXPECT_TRUE(InWhiteZone(of(0)));  // weak indoors even though good outdoors
  EXPECT_EQ(ClassifySchool(of(1)), SchoolSignal::kNoData);  // no samples at all
  EXPECT_EQ(ClassifySchool(of(2)), SchoolSignal::kNoData);  // 2 samples: too few to class
  EXPECT_FALSE(InWhiteZone(of(1)));
  EXPECT_EQ(ClassifySchool(of(3)), SchoolSignal::kCovered);
  EXPECT_TRUE(InWhiteZone(of(4)));
  EXPECT_EQ(ClassifySchool({}), SchoolSignal::kNoData);  // not in the latest analysis

  // The search limit: beyond it there is no nearest good cell.
  auto near = ComputeSchoolCoverage({At("far", 60.5, 0.5)}, grids, p, 40.0);
  ASSERT_TRUE(near.ok());
  EXPECT_FALSE((*near)[0].nearest_good_m.has_value());
  auto reach = ComputeSchoolCoverage({At("far", 60.5, 0.5)}, grids, p, 60.0);
  ASSERT_TRUE(reach.ok());
  ASSERT_TRUE((*reach)[0].nearest_good_m.has_value());
  EXPECT_DOUBLE_EQ(*(*reach)[0].nearest_good_m, std::hypot(60.5 - 13.5, 0.5 - 10.5));
}

TEST(SchoolCoverage, IndoorMarginIsAParameter) {
  AnalysisParams p = Params();
  std::vector<CoverageGrid> grids = {Grid("viettel", Technology::kLte, {{0, 0, 5, -100}}, p)};
  p.indoor_margin_db = 5;  // -100 >= -105 + 5
  auto out = ComputeSchoolCoverage({At("A", 0.5, 0.5)}, grids, p);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)[0].indoor_class, CellClass::kGood);
}

TEST(SchoolCoverage, NearestGoodEqualsBruteForceOnRandomGrids) {
  const AnalysisParams p = Params();
  std::mt19937 rng(7);
  for (int round = 0; round < 30; ++round) {
    std::vector<CellSpec> specs;
    std::uniform_int_distribution<int> coord(-40, 40);
    std::set<std::pair<int, int>> used;
    const int n = 1 + round * 3;
    while (static_cast<int>(specs.size()) < n) {
      const int x = coord(rng), y = coord(rng);
      if (!used.insert({x, y}).second) continue;
      specs.push_back({x, y, 3, (rng() % 2) ? -90.0 : -120.0});
    }
    std::vector<CoverageGrid> grids = {Grid("op", Technology::kLte, specs, p)};
    std::vector<School> schools;
    std::uniform_real_distribution<double> pos(-60, 60);
    for (int i = 0; i < 50; ++i) schools.push_back(At("s" + std::to_string(i), pos(rng), pos(rng)));
    const double limit = 25;
    auto out = ComputeSchoolCoverage(schools, grids, p, limit);
    ASSERT_TRUE(out.ok());
    for (std::size_t i = 0; i < schools.size(); ++i) {
      std::optional<double> best;
      for (const auto& c : grids[0].cells) {
        if (c.cls != CellClass::kGood) continue;
        const double d = std::hypot(c.ix + 0.5 - schools[i].lon, c.iy + 0.5 - schools[i].lat);
        if (d <= limit && (!best || d < *best)) best = d;
      }
      ASSERT_EQ((*out)[i].nearest_good_m.has_value(), best.has_value()) << round << " " << i;
      if (best) {
        EXPECT_DOUBLE_EQ(*(*out)[i].nearest_good_m, *best) << round << " " << i;
      }
    }
  }
}

// ~1,500 schools x 8 grids of 250,000 cells each (10M samples give fewer measured cells per grid
// over Bắc Giang); a hole without good cells in the middle makes searches travel far.
TEST(SchoolCoverage, FastForFifteenHundredSchoolsAndEightGrids) {
  AnalysisParams p = Params();
  p.cell_size_m = 100;
  p.analysis_crs = "EPSG:32648";
  std::mt19937 rng(11);
  std::vector<CoverageGrid> grids;
  for (int g = 0; g < 8; ++g) {
    CoverageGrid grid;
    grid.operator_id = "op" + std::to_string(g % 4);
    grid.tech = g < 4 ? Technology::kLte : Technology::kUmts;
    const std::int32_t x0 = 6300, y0 = 23300;  // Bắc Giang in UTM 48N, 100 m cells
    for (std::int32_t ix = x0; ix < x0 + 500; ++ix) {
      for (std::int32_t iy = y0; iy < y0 + 500; ++iy) {
        GridCell c;
        c.ix = ix;
        c.iy = iy;
        c.n = 3;
        const bool hole = std::abs(ix - x0 - 250) < 80 && std::abs(iy - y0 - 250) < 80;
        c.median = !hole && rng() % 3 == 0 ? -80 : -120;
        c.cls = c.median > -100 ? CellClass::kGood : CellClass::kDead;
        grid.cells.push_back(c);
      }
    }
    grids.push_back(std::move(grid));
  }
  std::vector<School> schools;
  std::uniform_real_distribution<double> lon(106.35, 106.7), lat(21.1, 21.45);
  for (int i = 0; i < 1500; ++i) schools.push_back(At("s" + std::to_string(i), lon(rng), lat(rng)));
  const auto start = std::chrono::steady_clock::now();
  auto out = ComputeSchoolCoverage(schools, grids, p);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->size(), 1500u * 8u);
  std::size_t in_grid = 0, far = 0;
  for (const auto& c : out.value()) {
    in_grid += c.samples == 3;
    far += c.nearest_good_m.value_or(0) > 1000;  // from the hole
  }
  EXPECT_GT(in_grid, 8u * 1400u);  // the schools stand on the grids
  EXPECT_GT(far, 0u);
  std::printf("per-school coverage: 1,500 schools x 8 grids of 250,000 cells in %.3f s\n", seconds);
  EXPECT_LT(seconds, 2.0);
}

}  // namespace
}  // namespace covgap::geo
