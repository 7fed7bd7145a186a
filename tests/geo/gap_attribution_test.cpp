// Areas, schools and households joined to gaps, and the ranking model.
#include "geo/gap_attribution.h"

#include <gtest/gtest.h>

#include "geo/cell_polygon.h"
#include "geo/coverage_grid.h"
#include "geo/gdal_handles.h"

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
  EXPECT_EQ(gaps[2].rank, 1);  // hardship-weighted students first
  EXPECT_EQ(gaps[0].rank, 2);  // all-dead gap
  EXPECT_EQ(gaps[1].rank, 3);  // a school
  EXPECT_EQ(gaps[3].rank, 4);  // large but empty
  EXPECT_EQ(gaps[4].rank, 1);  // ranks are per operator
}

}  // namespace
}  // namespace covgap::geo
