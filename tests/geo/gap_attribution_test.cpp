// Areas, schools and households joined to gaps, and the ranking model.
#include "geo/gaps/gap_attribution.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "geo/gaps/cell_polygon.h"
#include "geo/grid/coverage_grid.h"
#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

std::string WkbFromWkt(const std::string& wkt) {
  InitGdal();
  OGRGeometryH raw = nullptr;
  char* text = const_cast<char*>(wkt.c_str());
  EXPECT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &raw), OGRERR_NONE);
  OgrGeometryPtr g(raw);
  std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g.get())), '\0');
  OGR_G_ExportToIsoWkb(g.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
  return wkb;
}

AdminArea Area(AreaLevel level, const std::string& name, const std::string& wkt) {
  return AdminArea{level, name, name, WkbFromWkt(wkt)};
}

// A gap made of cells of size 1 in "EPSG:4326" (identity for these tests).
FoundGap GapOf(std::vector<CellIndex> cells, const std::string& id = "g") {
  FoundGap f;
  f.gap.gap_id = id;
  f.gap.crs = "EPSG:4326";
  f.gap.area_m2 = static_cast<double>(cells.size());
  f.gap.wkb = ToMultiPolygonWkb(TraceCells(cells), 1.0);
  for (const auto& c : cells) f.cells.push_back(CellKey(c.ix, c.iy));
  std::sort(f.cells.begin(), f.cells.end());
  return f;
}

TEST(AreaIndex, LargestOverlapWinsAndContainedGapsGoToTheirArea) {
  const std::vector<AdminArea> areas = {
      Area(AreaLevel::kProvince, "Tỉnh Bắc Giang", "POLYGON((0 0,10 0,10 10,0 10,0 0))"),
      Area(AreaLevel::kDistrict, "Huyện Tây", "POLYGON((0 0,5 0,5 10,0 10,0 0))"),
      Area(AreaLevel::kDistrict, "Huyện Đông", "POLYGON((5 0,10 0,10 10,5 10,5 0))"),
      Area(AreaLevel::kCommune, "Xã Một", "POLYGON((0 0,2 0,2 2,0 2,0 0))"),
  };
  auto index = AreaIndex::Build(areas, "EPSG:4326");
  ASSERT_TRUE(index.ok()) << index.status().message();

  // Across the district border: 2 cells west (x 3..5), 3 cells east (x 5..8).
  FoundGap across = GapOf({{3, 4}, {4, 4}, {5, 4}, {6, 4}, {7, 4}});
  index.value()->Attribute(across.gap);
  EXPECT_EQ(across.gap.province, "Tỉnh Bắc Giang");
  EXPECT_EQ(across.gap.district, "Huyện Đông");
  EXPECT_EQ(across.gap.commune, "");  // touches no commune

  FoundGap west = GapOf({{2, 4}, {3, 4}, {4, 4}, {5, 4}});  // 3 west, 1 east
  index.value()->Attribute(west.gap);
  EXPECT_EQ(west.gap.district, "Huyện Tây");

  FoundGap inside = GapOf({{0, 0}, {1, 1}, {0, 1}});
  index.value()->Attribute(inside.gap);
  EXPECT_EQ(inside.gap.district, "Huyện Tây");
  EXPECT_EQ(inside.gap.commune, "Xã Một");

  FoundGap outside = GapOf({{20, 20}});
  index.value()->Attribute(outside.gap);
  EXPECT_EQ(outside.gap.province, "");
  EXPECT_EQ(outside.gap.district, "");
}

TEST(JoinPlaces, CountsSchoolsStudentsAndHouseholdsByCell) {
  std::vector<FoundGap> gaps = {GapOf({{0, 0}, {1, 0}}, "a"), GapOf({{5, 5}}, "b")};
  gaps[1].gap.operator_id = "other";  // another group: shares no cell map with "a"
  std::vector<School> schools(3);
  schools[0] = {"S1", "Trường Tiểu học A", SchoolLevel::kPrimary, "", "", 0.5, 1.5, 300, 40};
  schools[1] = {"S2", "Trường THCS B", SchoolLevel::kLowerSecondary, "", "", 0.5, 3.5, 300, 7};
  schools[2] = {"S3", "Trường THPT C", SchoolLevel::kUpperSecondary, "", "", 5.5, 5.5, 900, 3};
  std::vector<Household> households = {
      {"H1", HouseholdCategory::kPoor, 0.2, 0.2, 2, "", ""},
      {"H2", HouseholdCategory::kNearPoor, 0.7, 0.7, 1, "", ""},
      {"H3", HouseholdCategory::kCovidOrphan, 0.3, 1.3, 1, "", ""},
      {"H4", HouseholdCategory::kOtherDifficulty, 0.4, 1.4, 3, "", ""},
      {"H5", HouseholdCategory::kPoor, 9.5, 9.5, 2, "", ""},  // in no gap
  };
  AnalysisParams p;
  p.analysis_crs = "EPSG:4326";
  p.cell_size_m = 1;
  RankingWeights w;
  ASSERT_TRUE(JoinPlaces(gaps, schools, households, p, w).ok());
  const Gap& a = gaps[0].gap;
  EXPECT_EQ(a.schools, 1);
  EXPECT_EQ(a.students_nodev, 40 + 2 + 1 + 1 + 3);
  EXPECT_EQ(a.poor_hh, 1);
  EXPECT_EQ(a.npoor_hh, 1);
  EXPECT_DOUBLE_EQ(a.hardship_students, 40 * 1.0 + 2 * 2.0 + 1 * 1.5 + 1 * 3.0 + 3 * 1.0);
  const Gap& b = gaps[1].gap;
  EXPECT_EQ(b.schools, 1);
  EXPECT_EQ(b.students_nodev, 3);
  EXPECT_EQ(b.poor_hh, 0);
}

TEST(ScoreAndRank, HardshipThenSchoolsThenSeverityAndAreaPerGroup) {
  std::vector<Gap> gaps(5);
  auto make = [](Gap& g, std::string id, std::string op, double hardship, int schools,
                 double severity, double area) {
    g.gap_id = std::move(id);
    g.operator_id = std::move(op);
    g.hardship_students = hardship;
    g.schools = schools;
    g.school_points = 5.0 * schools;
    g.severity = severity;
    g.area_m2 = area;
  };
  make(gaps[0], "v-small", "viettel", 0, 0, 1.0, 10'000);   // 10 + 0.01
  make(gaps[1], "v-school", "viettel", 0, 1, 0.0, 10'000);  // 5 + 0.01
  make(gaps[2], "v-poor", "viettel", 12, 0, 0.0, 10'000);   // 12.01
  make(gaps[3], "v-big", "viettel", 0, 0, 0.0, 3'000'000);  // 3
  make(gaps[4], "m-one", "mobifone", 0, 0, 0.0, 10'000);
  ScoreAndRank(gaps, RankingWeights{});
  EXPECT_DOUBLE_EQ(gaps[2].score, 12.01);
  EXPECT_EQ(gaps[2].grp_rank, 1);  // hardship-weighted students first
  EXPECT_EQ(gaps[0].grp_rank, 2);  // all-dead gap
  EXPECT_EQ(gaps[1].grp_rank, 3);  // a school
  EXPECT_EQ(gaps[3].grp_rank, 4);  // large but empty
  EXPECT_EQ(gaps[4].grp_rank, 1);  // group ranks are per operator
  // The province's rank runs over every group: 1..5, no repeats.
  EXPECT_EQ(gaps[2].rank, 1);
  EXPECT_EQ(gaps[0].rank, 2);
  EXPECT_EQ(gaps[1].rank, 3);
  EXPECT_EQ(gaps[3].rank, 4);
  EXPECT_EQ(gaps[4].rank, 5);  // 0.01: last in the province although first of mobifone
}

// A common gap and the operator gaps wholly inside it are one place: one row of the province's
// list, one rank; an operator gap reaching outside the common gap is a row of its own.
TEST(ScoreAndRank, OperatorGapsInsideACommonGapShareItsRow) {
  auto gap = [](std::vector<CellIndex> cells, std::string id, GapKind kind, std::string op,
                Technology tech, double hardship) {
    FoundGap f = GapOf(std::move(cells), id);
    f.gap.kind = kind;
    f.gap.operator_id = std::move(op);
    f.gap.tech = tech;
    f.gap.hardship_students = hardship;
    return f;
  };
  std::vector<FoundGap> found = {
      gap({{0, 0}, {1, 0}, {2, 0}}, "common-UMTS-0_0", GapKind::kCommon, "", Technology::kUmts, 20),
      gap({{0, 0}, {1, 0}, {2, 0}}, "vnpt-UMTS-0_0", GapKind::kOperator, "vnpt", Technology::kUmts,
          20),
      // Viettel's part is its most urgent gap (a deeper signal, say): the row takes its score.
      gap({{1, 0}, {2, 0}}, "viettel-UMTS-1_0", GapKind::kOperator, "viettel", Technology::kUmts,
          35),
      // Reaches one cell beyond the common gap: its own row.
      gap({{2, 0}, {3, 0}}, "mobifone-UMTS-2_0", GapKind::kOperator, "mobifone", Technology::kUmts,
          30),
      // The same cells in another technology: not inside a UMTS common gap.
      gap({{0, 0}, {1, 0}}, "vnpt-LTE-0_0", GapKind::kOperator, "vnpt", Technology::kLte, 5),
  };
  GroupContainedGaps(found);
  EXPECT_EQ(found[0].gap.contains, "viettel,vnpt");
  EXPECT_EQ(found[1].gap.common_id, "common-UMTS-0_0");
  EXPECT_EQ(found[2].gap.common_id, "common-UMTS-0_0");
  EXPECT_EQ(found[3].gap.common_id, "");
  EXPECT_EQ(found[4].gap.common_id, "");

  std::vector<Gap> gaps;
  for (auto& f : found) gaps.push_back(f.gap);
  ScoreAndRank(gaps, RankingWeights{});
  EXPECT_EQ(gaps[0].rank, 1);  // the common place (20), its row scored by viettel's 35 ...
  EXPECT_EQ(gaps[1].rank, 1);  // ... with vnpt's gap inside it
  EXPECT_EQ(gaps[2].rank, 1);  // ... and viettel's
  EXPECT_EQ(gaps[3].rank, 2);  // mobifone's own place, 30: after the row scoring 35
  EXPECT_EQ(gaps[4].rank, 3);  // the next row is 3: no rank is skipped or repeated between rows
  // Group ranks are unchanged by the grouping.
  EXPECT_EQ(gaps[0].grp_rank, 1);
  EXPECT_EQ(gaps[1].grp_rank, 1);
  EXPECT_EQ(gaps[2].grp_rank, 1);
  EXPECT_EQ(gaps[4].grp_rank, 1);
}

// Two gaps equal in everything but what `vary` sets; true when `a` ranks above `b`.
bool RanksAbove(const std::function<void(Gap&)>& a, const std::function<void(Gap&)>& b,
                const RankingWeights& w = {}) {
  std::vector<Gap> gaps(2);
  gaps[0].gap_id = "a-wins-ties";  // ties go by id, to b: only the score can put a first
  gaps[1].gap_id = "z";
  for (Gap& g : gaps) {
    g.operator_id = "viettel";
    g.area_m2 = 10'000;
    g.median_dbm = -110;
    g.severity = 0.5;
  }
  b(gaps[0]);
  a(gaps[1]);
  ScoreAndRank(gaps, w);
  return gaps[1].rank == 1 && gaps[0].rank == 2 && gaps[1].grp_rank == 1 && gaps[0].grp_rank == 2;
}

RankingWeights DefaultWeights() { return {}; }

// The hardship-weighted count of one household of `category` with `students` students without a
// device inside a gap.
double HardshipOf(HouseholdCategory category, std::int64_t students) {
  std::vector<FoundGap> gaps = {GapOf({{0, 0}}, "g")};
  std::vector<Household> households = {{"H", category, 0.5, 0.5, students, "", ""}};
  AnalysisParams p;
  p.analysis_crs = "EPSG:4326";
  p.cell_size_m = 1;
  EXPECT_TRUE(JoinPlaces(gaps, {}, households, p, DefaultWeights()).ok());
  return gaps[0].gap.hardship_students;
}

TEST(RankingModel, HardshipOrderCovidOrphanPoorNearPoorOtherAtEqualCounts) {
  const double orphan = HardshipOf(HouseholdCategory::kCovidOrphan, 2);
  const double poor = HardshipOf(HouseholdCategory::kPoor, 2);
  const double near_poor = HardshipOf(HouseholdCategory::kNearPoor, 2);
  const double other = HardshipOf(HouseholdCategory::kOtherDifficulty, 2);
  EXPECT_GT(orphan, poor);
  EXPECT_GT(poor, near_poor);
  EXPECT_GT(near_poor, other);
  EXPECT_DOUBLE_EQ(orphan, 6.0);
  EXPECT_DOUBLE_EQ(other, 2.0);
  // And in the rank: the gap with the orphan's household comes first.
  EXPECT_TRUE(RanksAbove([&](Gap& g) { g.hardship_students = orphan; },
                         [&](Gap& g) { g.hardship_students = poor; }));
  EXPECT_TRUE(RanksAbove([&](Gap& g) { g.hardship_students = near_poor; },
                         [&](Gap& g) { g.hardship_students = other; }));
}

TEST(RankingModel, MeasuredGapOutranksAnEquallyBadPredictedOne) {
  EXPECT_TRUE(RanksAbove(
      [&](Gap& g) {
        g.hardship_students = 10;
        g.meas_share = 1.0;
      },
      [&](Gap& g) {
        g.hardship_students = 10;
        g.meas_share = 0.0;
        g.evidence = Evidence::kPredicted;
      }));
  // A predicted gap with far more people still comes first.
  EXPECT_TRUE(RanksAbove(
      [&](Gap& g) {
        g.hardship_students = 40;
        g.meas_share = 0.0;
      },
      [&](Gap& g) { g.hardship_students = 10; }));
}

TEST(RankingModel, LargeUpperSecondarySchoolOverSmallPrimary) {
  AnalysisParams p;
  p.analysis_crs = "EPSG:4326";
  p.cell_size_m = 1;
  std::vector<FoundGap> gaps = {GapOf({{0, 0}}, "upper"), GapOf({{5, 5}}, "primary")};
  gaps[1].gap.operator_id = "x";  // another group so both are ranked 1; compare the scores
  std::vector<School> schools = {
      {"U", "THPT", SchoolLevel::kUpperSecondary, "", "", 0.5, 0.5, 1200, 0},
      {"P", "Tiểu học", SchoolLevel::kPrimary, "", "", 5.5, 5.5, 150, 0}};
  ASSERT_TRUE(JoinPlaces(gaps, schools, {}, p, RankingWeights{}).ok());
  EXPECT_DOUBLE_EQ(gaps[0].gap.school_points, 6.0 + 0.01 * 1200);
  EXPECT_DOUBLE_EQ(gaps[1].gap.school_points, 5.0 + 0.01 * 150);
  const double upper = gaps[0].gap.school_points, primary = gaps[1].gap.school_points;
  EXPECT_TRUE(RanksAbove([&](Gap& g) { g.school_points = upper; },
                         [&](Gap& g) { g.school_points = primary; }));
  // Weighting the level alone (no size term) still puts the upper-secondary school first.
  RankingWeights no_size;
  no_size.per_enrolled_student = 0;
  std::vector<FoundGap> again = {GapOf({{0, 0}}, "upper"), GapOf({{5, 5}}, "primary")};
  again[1].gap.operator_id = "x";
  ASSERT_TRUE(JoinPlaces(again, schools, {}, p, no_size).ok());
  EXPECT_GT(again[0].gap.school_points, again[1].gap.school_points);
}

TEST(RankingModel, DeeperMedianFirstAtEqualDeadShare) {
  EXPECT_TRUE(RanksAbove([](Gap& g) { g.median_dbm = -125; }, [](Gap& g) { g.median_dbm = -112; }));
  // The term is the dB below the good threshold of the gap's own technology: UMTS -95.
  std::vector<Gap> gaps(1);
  gaps[0].tech = Technology::kUmts;
  gaps[0].median_dbm = -101;
  RankingWeights only_depth;
  for (const auto& [key, field] : RankingWeightKeys()) only_depth.*field = 0;
  only_depth.depth_per_db = 0.5;
  ScoreAndRank(gaps, only_depth);
  EXPECT_DOUBLE_EQ(gaps[0].score, 3.0);
  gaps[0].median_dbm = -90;  // above the threshold: no depth
  ScoreAndRank(gaps, only_depth);
  EXPECT_DOUBLE_EQ(gaps[0].score, 0.0);
  // A different threshold from the parameters moves it.
  AnalysisParams p;
  p.thresholds[Technology::kUmts] = {-85, -100};
  ScoreAndRank(gaps, only_depth, p);
  EXPECT_DOUBLE_EQ(gaps[0].score, 2.5);
}

TEST(RankingModel, DeadShareAndAreaEachMoveAGapUp) {
  EXPECT_TRUE(RanksAbove([](Gap& g) { g.severity = 0.9; }, [](Gap& g) { g.severity = 0.1; }));
  EXPECT_TRUE(RanksAbove([](Gap& g) { g.area_m2 = 2e6; }, [](Gap& g) { g.area_m2 = 1e6; }));
  // With a zero weight the term no longer counts: ties go by area, then id.
  RankingWeights no_dead;
  no_dead.dead_share = 0;
  EXPECT_FALSE(
      RanksAbove([](Gap& g) { g.severity = 0.9; }, [](Gap& g) { g.severity = 0.1; }, no_dead));
}

TEST(RankingWeightsFile, ParsesKeysCommentsAndBlankLines) {
  auto w = ParseRankingWeights(
      "# Bắc Giang 2026 weights\n\ncovid_orphan = 4   # the most\n  poor=2.5\r\n"
      "depth_per_db = 0\nper_km2 = 1e-1\n");
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_DOUBLE_EQ(w->covid_orphan, 4);
  EXPECT_DOUBLE_EQ(w->poor, 2.5);
  EXPECT_DOUBLE_EQ(w->depth_per_db, 0);
  EXPECT_DOUBLE_EQ(w->per_km2, 0.1);
  EXPECT_DOUBLE_EQ(w->near_poor, 1.5);  // untouched keys keep their defaults
  EXPECT_EQ(RankingWeightKeys().size(), 14u);
}

TEST(RankingWeightsFile, ErrorsNameTheLineAndListTheKeys) {
  auto unknown = ParseRankingWeights("poor = 2\n\norphan = 3\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("line 3"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("'orphan'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("covid_orphan, poor, near_poor"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("per_km2"), std::string::npos);

  auto bad_number = ParseRankingWeights("poor = 2\nnear_poor = 1.5x\n");
  ASSERT_FALSE(bad_number.ok());
  EXPECT_NE(bad_number.status().message().find("line 2"), std::string::npos);
  EXPECT_NE(bad_number.status().message().find("'1.5x'"), std::string::npos);

  auto empty_value = ParseRankingWeights("poor =\n");
  ASSERT_FALSE(empty_value.ok());
  EXPECT_NE(empty_value.status().message().find("line 1"), std::string::npos);

  auto negative = ParseRankingWeights("per_km2 = -1\n");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find(">= 0"), std::string::npos);

  auto no_equals = ParseRankingWeights("\npoor 2\n");
  ASSERT_FALSE(no_equals.ok());
  EXPECT_NE(no_equals.status().message().find("line 2"), std::string::npos);
  EXPECT_NE(no_equals.status().message().find("key = value"), std::string::npos);

  RankingWeights w;
  EXPECT_FALSE(SetRankingWeight(w, "poor", std::nan("")).ok());
  EXPECT_FALSE(SetRankingWeight(w, "nope", 1).ok());
  EXPECT_TRUE(SetRankingWeight(w, "poor", 0).ok());
  EXPECT_EQ(w.poor, 0);
}

}  // namespace
}  // namespace covgap::geo
