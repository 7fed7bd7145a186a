// The progress report on a hand-made scenario: two districts, four schools, two households,
// baseline and latest gaps of two operators and common gaps; every expected figure is worked out
// by hand in the comments.
#include "geo/report/progress_report.h"

#include <gtest/gtest.h>
#include <ogr_api.h>

#include <algorithm>
#include <iterator>
#include <sstream>

#include "geo/base/time_format.h"
#include "geo/report/report_render.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

namespace covgap::geo {
namespace {

std::string Wkb(const std::string& wkt) {
  OGRGeometryH raw = nullptr;
  char* text = const_cast<char*>(wkt.c_str());
  EXPECT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &raw), OGRERR_NONE) << wkt;
  const OgrGeometryPtr g(raw);
  std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g.get())), '\0');
  OGR_G_ExportToIsoWkb(g.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
  return wkb;
}

std::string Box(double minx, double miny, double maxx, double maxy) {
  auto s = [](double v) { return std::to_string(v); };
  return "POLYGON ((" + s(minx) + " " + s(miny) + "," + s(maxx) + " " + s(miny) + "," + s(maxx) +
         " " + s(maxy) + "," + s(minx) + " " + s(maxy) + "," + s(minx) + " " + s(miny) + "))";
}

// A 300 m square gap in EPSG:32648 centred on (lon, lat).
Gap GapAt(const std::string& id, GapKind kind, const std::string& op, Technology tech,
          const std::string& district, const std::string& status, double lon, double lat) {
  auto projector = PointProjector::Create("EPSG:32648");
  double x = 0, y = 0;
  (*projector)->Project(&lon, &lat, &x, &y, 1);
  Gap g;
  g.gap_id = id;
  g.kind = kind;
  g.operator_id = op;
  g.tech = tech;
  g.district = district;
  g.status = status;
  g.crs = "EPSG:32648";
  g.wkb = Wkb(Box(x - 150, y - 150, x + 150, y + 150));
  return g;
}

School MakeSchool(const std::string& id, const std::string& district, double lon, double lat,
                  std::int64_t students, std::int64_t nodev) {
  School s;
  s.school_id = id;
  s.name = id;
  s.district = district;
  s.lon = lon;
  s.lat = lat;
  s.students = students;
  s.students_nodev = nodev;
  return s;
}

SchoolCoverage Record(const std::string& school, const std::string& op, CellClass c) {
  SchoolCoverage r;
  r.school_id = school;
  r.operator_id = op;
  r.indoor_class = c;
  return r;
}

const ProgressRow& Row(const std::vector<ProgressRow>& rows, const std::string& key) {
  auto it = std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.key == key; });
  EXPECT_NE(it, rows.end()) << key;
  return *it;
}

class ProgressReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitGdal();
    // Districts: A = lon 106.0–106.5, B = lon 106.5–107.0, both lat 21.0–21.5.
    in.areas.push_back({AreaLevel::kDistrict, "A", "Huyện A", Wkb(Box(106.0, 21.0, 106.5, 21.5))});
    in.areas.push_back({AreaLevel::kDistrict, "B", "Huyện B", Wkb(Box(106.5, 21.0, 107.0, 21.5))});
    in.areas.push_back({AreaLevel::kProvince, "P", "Tỉnh P", Wkb(Box(106.0, 21.0, 107.0, 21.5))});
    // Schools: S1, S2 in A; S3 in B; S4 outside both areas, its field "A" names Huyện A.
    in.schools.push_back(MakeSchool("S1", "Huyện A", 106.1, 21.1, 300, 20));
    in.schools.push_back(MakeSchool("S2", "Huyện A", 106.2, 21.2, 200, 10));
    in.schools.push_back(MakeSchool("S3", "B", 106.7, 21.1, 100, 5));
    in.schools.push_back(MakeSchool("S4", "A", 107.5, 21.1, 50, 4));
    // Households: H1 about 52 m east of S1 (inside the same gaps), H2 in B.
    Household h1;
    h1.household_id = "H1";
    h1.lon = 106.1005;
    h1.lat = 21.1;
    h1.students_nodev = 2;
    h1.district = "Huyện A";
    Household h2 = h1;
    h2.household_id = "H2";
    h2.lon = 106.7;
    h2.lat = 21.3;
    h2.students_nodev = 3;
    h2.district = "Huyện B";
    in.households = {h1, h2};

    const auto kC = GapKind::kCommon;
    const auto kO = GapKind::kOperator;
    const auto kL = Technology::kLte;
    // Baseline: common gaps over S1 (twice, overlapping) and S3; viettel over S1 and S3; vnpt
    // twice over S2.
    in.baseline_gaps = {
        GapAt("bc1", kC, "", kL, "Huyện A", "open", 106.1, 21.1),
        GapAt("bc1b", kC, "", kL, "Huyện A", "open", 106.1003, 21.1),
        GapAt("bc2", kC, "", kL, "Huyện B", "open", 106.7, 21.1),
        GapAt("bv1", kO, "viettel", kL, "Huyện A", "open", 106.1, 21.1),
        GapAt("bv2", kO, "viettel", kL, "Huyện B", "open", 106.7, 21.1),
        GapAt("bm1", kO, "vnpt", kL, "Huyện A", "open", 106.2, 21.2),
        GapAt("bm2", kO, "vnpt", Technology::kUmts, "Huyện A", "open", 106.2002, 21.2),
    };
    // Latest.
    in.latest_gaps = {
        GapAt("c1", kC, "", kL, "Huyện A", "open", 106.1, 21.1),
        GapAt("c2", kC, "", kL, "Huyện B", "verified", 106.7, 21.1),
        GapAt("c3", kC, "", kL, "Huyện B", "open", 106.7, 21.3),
        GapAt("v1", kO, "viettel", kL, "Huyện A", "planned", 106.1, 21.1),
        GapAt("v2", kO, "viettel", Technology::kUmts, "A", "cleared", 106.1, 21.1),
        GapAt("v3", kO, "viettel", kL, "Huyện B", "verified", 106.7, 21.1),
        GapAt("m1", kO, "vnpt", kL, "Huyện A", "planned", 106.2, 21.2),
        GapAt("m2", kO, "vnpt", kL, "Huyện B", "planned", 106.7, 21.3),
        GapAt("m3", kO, "vnpt", Technology::kNr, "", "awaiting_measurement", 107.5, 21.1),
        GapAt("m4", kO, "vnpt", kL, "Huyện B", "open", 106.9, 21.45),
    };
    in.latest_gaps[3].target_ms = *ParseIso8601("2021-12-05");  // overdue
    in.latest_gaps[6].target_ms = *ParseIso8601("2021-12-31");  // after the deadline
    // m2: planned, no target.
    in.school_coverage = {
        Record("S1", "viettel", CellClass::kGood), Record("S1", "vnpt", CellClass::kWeak),
        Record("S2", "viettel", CellClass::kDead), Record("S2", "vnpt", CellClass::kUnmeasured),
        Record("S4", "vnpt", CellClass::kWeak),  // S3: no record (no data)
    };
    in.now_ms = *ParseIso8601("2021-12-10T15:00:00Z");
    in.deadline_ms = *ParseIso8601("2021-12-20");
    in.latest_run_id = 7;
    in.baseline_run_id = 1;
  }

  ProgressInputs in;
};

TEST_F(ProgressReportTest, StatusCountsPlansAndDaysLeft) {
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->days_left, 10);  // 10/12 -> 20/12
  // District A: v1 planned, v2 cleared ("A" names Huyện A), m1 planned.
  const ProgressRow& a = Row(r->districts, "Huyện A");
  EXPECT_EQ(a.gaps.open, 0);
  EXPECT_EQ(a.gaps.planned, 2);
  EXPECT_EQ(a.gaps.cleared, 1);
  EXPECT_EQ(a.gaps.verified, 0);
  EXPECT_EQ(a.overdue_plans, 1);         // v1
  EXPECT_EQ(a.plans_after_deadline, 1);  // m1
  EXPECT_EQ(a.plans_without_target, 0);
  // District B: v3 verified, m2 planned without target, m4 open.
  const ProgressRow& b = Row(r->districts, "Huyện B");
  EXPECT_EQ(b.gaps.open, 1);
  EXPECT_EQ(b.gaps.planned, 1);
  EXPECT_EQ(b.gaps.cleared, 0);
  EXPECT_EQ(b.gaps.verified, 1);
  EXPECT_EQ(b.plans_without_target, 1);
  EXPECT_EQ(b.overdue_plans, 0);
  // m3 has no district: awaiting_measurement counts as cleared; that row comes last.
  ASSERT_EQ(r->districts.size(), 3u);
  EXPECT_EQ(r->districts.back().key, "");
  EXPECT_EQ(r->districts.back().gaps.cleared, 1);
  // Operators.
  const ProgressRow& viettel = Row(r->operators, "viettel");
  EXPECT_EQ(viettel.gaps.planned, 1);
  EXPECT_EQ(viettel.gaps.cleared, 1);
  EXPECT_EQ(viettel.gaps.verified, 1);
  EXPECT_EQ(viettel.overdue_plans, 1);
  const ProgressRow& vnpt = Row(r->operators, "vnpt");
  EXPECT_EQ(vnpt.gaps.open, 1);
  EXPECT_EQ(vnpt.gaps.planned, 2);
  EXPECT_EQ(vnpt.gaps.cleared, 1);
  EXPECT_EQ(vnpt.plans_after_deadline, 1);
  EXPECT_EQ(vnpt.plans_without_target, 1);
  // Total: operator gaps only; common gaps apart (c1, c3 open; c2 verified).
  EXPECT_EQ(r->total.gaps.total(), 7);
  EXPECT_EQ(r->total.gaps.open, 1);
  EXPECT_EQ(r->total.gaps.planned, 3);
  EXPECT_EQ(r->total.gaps.cleared, 2);
  EXPECT_EQ(r->total.gaps.verified, 1);
  EXPECT_EQ(r->common_gaps.open, 2);
  EXPECT_EQ(r->common_gaps.verified, 1);
  EXPECT_EQ(r->common_gaps.total(), 3);
}

TEST_F(ProgressReportTest, StudentsInGapsCountEachPlaceOnce) {
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // Start, common gaps: bc1 and bc1b both hold S1 (20) and H1 (2): 22 once; bc2 holds S3 (5).
  EXPECT_EQ(Row(r->districts, "Huyện A").students_start, 22);
  EXPECT_EQ(Row(r->districts, "Huyện B").students_start, 5);
  EXPECT_EQ(r->total.students_start, 27);
  // Now: c1 holds S1 + H1 (22); c2 is verified (not counted); c3 holds H2 (3).
  EXPECT_EQ(Row(r->districts, "Huyện A").students_now, 22);
  EXPECT_EQ(Row(r->districts, "Huyện B").students_now, 3);
  EXPECT_EQ(r->total.students_now, 25);
  // viettel: start bv1 (22) + bv2 (5) = 27; now v1 and v2 both over S1 + H1: 22 once, v3
  // verified.
  EXPECT_EQ(Row(r->operators, "viettel").students_start, 27);
  EXPECT_EQ(Row(r->operators, "viettel").students_now, 22);
  // vnpt: start bm1 and bm2 (two technologies) over S2: 10 once; now m1 S2 (10) + m2 H2 (3)
  // + m3 S4 (4) + m4 nothing = 17.
  EXPECT_EQ(Row(r->operators, "vnpt").students_start, 10);
  EXPECT_EQ(Row(r->operators, "vnpt").students_now, 17);
}

TEST_F(ProgressReportTest, Readiness) {
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->readiness.size(), 2u);
  // A: S1 (good for viettel), S2 (dead + unmeasured: white zone), S4 (outside the areas, its
  // field names A; weak only: white zone).
  const ReadinessRow& a = r->readiness[0];
  EXPECT_EQ(a.district, "Huyện A");
  EXPECT_EQ(a.schools, 3);
  EXPECT_EQ(a.schools_white_zone, 2);
  EXPECT_EQ(a.schools_no_data, 0);
  EXPECT_EQ(a.schools_covered, 1);    // S1, measured good
  EXPECT_EQ(a.schools_uncertain, 0);  // a binned run predicts nothing
  EXPECT_EQ(a.students, 550);
  EXPECT_EQ(a.students_nodev, 34);
  EXPECT_EQ(a.students_white_zone, 250);
  EXPECT_EQ(a.students_nodev_white_zone, 14);
  // B: S3 has no coverage record: no data, which is not a white zone (its signal is unknown).
  const ReadinessRow& b = r->readiness[1];
  EXPECT_EQ(b.district, "Huyện B");
  EXPECT_EQ(b.schools, 1);
  EXPECT_EQ(b.schools_white_zone, 0);
  EXPECT_EQ(b.schools_no_data, 1);
  EXPECT_EQ(b.schools_covered, 0);
  EXPECT_EQ(b.schools_uncertain, 0);
  EXPECT_EQ(b.students, 100);
  EXPECT_EQ(b.students_white_zone, 0);
  EXPECT_EQ(b.students_nodev_white_zone, 0);
  EXPECT_EQ(r->readiness_total.schools, 4);
  EXPECT_EQ(r->readiness_total.schools_white_zone, 2);
  EXPECT_EQ(r->readiness_total.schools_no_data, 1);
  EXPECT_EQ(r->readiness_total.schools_covered, 1);
  EXPECT_EQ(r->readiness_total.schools_uncertain, 0);
  EXPECT_EQ(r->readiness_total.students, 650);
  EXPECT_EQ(r->readiness_total.students_nodev, 39);
  EXPECT_EQ(r->readiness_total.students_white_zone, 250);
  EXPECT_EQ(r->readiness_total.students_nodev_white_zone, 14);
}

// A predicted record where the cell is not measured (hybrid run): P(good indoors) >= 0.8 is
// covered, inside (0.2, 0.8) uncertain, 0.2 and below a white zone; a measured good record covers
// whatever the prediction of another operator says.
SchoolCoverage Predicted(const std::string& school, const std::string& op, double p_good_indoor) {
  SchoolCoverage r = Record(school, op, p_good_indoor >= 0.8 ? CellClass::kGood : CellClass::kWeak);
  r.predicted_dbm = -100;
  r.sigma_db = 8;
  r.p_good_indoor = p_good_indoor;
  return r;
}

// The fixture's schools after a hybrid run: A holds S1 and S2 covered and S4 in a white zone, B
// holds S3 uncertain.
std::vector<SchoolCoverage> HybridCoverage() {
  return {
      Record("S1", "viettel", CellClass::kGood), Predicted("S1", "vnpt", 0.1),     // covered
      Record("S2", "viettel", CellClass::kDead), Predicted("S2", "vnpt", 0.8),     // covered (0.8)
      Predicted("S3", "viettel", 0.5),           Predicted("S3", "vnpt", 0.21),    // uncertain
      Record("S4", "vnpt", CellClass::kWeak),    Predicted("S4", "viettel", 0.2),  // white zone
  };
}

TEST_F(ProgressReportTest, ReadinessCountsPredictedSchoolsCoveredOrUncertain) {
  in.school_coverage = HybridCoverage();
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->readiness.size(), 2u);
  const ReadinessRow& a = r->readiness[0];
  EXPECT_EQ(a.district, "Huyện A");
  EXPECT_EQ(a.schools_covered, 2);
  EXPECT_EQ(a.schools_uncertain, 0);
  EXPECT_EQ(a.schools_white_zone, 1);
  EXPECT_EQ(a.schools_no_data, 0);
  EXPECT_EQ(a.students_white_zone, 50);  // S4 only
  const ReadinessRow& b = r->readiness[1];
  EXPECT_EQ(b.district, "Huyện B");
  EXPECT_EQ(b.schools_covered, 0);
  EXPECT_EQ(b.schools_uncertain, 1);
  EXPECT_EQ(b.schools_white_zone, 0);
  EXPECT_EQ(b.schools_no_data, 0);  // predicted: no longer unknown
  const ReadinessRow& t = r->readiness_total;
  EXPECT_EQ(t.schools_covered, 2);
  EXPECT_EQ(t.schools_uncertain, 1);
  EXPECT_EQ(t.schools_white_zone, 1);
  EXPECT_EQ(t.schools_no_data, 0);
  EXPECT_EQ(t.schools_covered + t.schools_uncertain + t.schools_white_zone + t.schools_no_data,
            t.schools);
}

TEST_F(ProgressReportTest, DaysLeftCountsCalendarDays) {
  EXPECT_EQ(DaysLeft(*ParseIso8601("2021-12-19T23:59:00Z"), *ParseIso8601("2021-12-20")), 1);
  EXPECT_EQ(DaysLeft(*ParseIso8601("2021-12-20T08:00:00Z"), *ParseIso8601("2021-12-20")), 0);
  EXPECT_EQ(DaysLeft(*ParseIso8601("2021-12-23T01:00:00Z"), *ParseIso8601("2021-12-20")), -3);
}

TEST_F(ProgressReportTest, UnreadableGapGeometryIsAnError) {
  in.latest_gaps[0].wkb = "junk";
  auto r = BuildProgressReport(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("c1"), std::string::npos);
}

// What to clear next: the province's rows (a common gap with the operator gaps inside it is one
// row) that are open or planned, lowest rank first.
TEST_F(ProgressReportTest, FirstPlacesAreTheProvinceRowsStillToClear) {
  auto set = [&](const std::string& id, std::int64_t rank, const std::string& common_id,
                 const std::string& contains) {
    for (Gap& g : in.latest_gaps) {
      if (g.gap_id != id) continue;
      g.rank = rank;
      g.common_id = common_id;
      g.contains = contains;
      g.students_nodev = 10 * rank;
    }
  };
  set("c1", 1, "", "viettel");
  set("v1", 1, "c1", "");
  set("m1", 2, "", "");
  set("c3", 3, "", "vnpt");
  set("m2", 3, "c3", "");
  set("c2", 4, "", "");  // verified: cleared for good
  set("v2", 5, "", "");  // cleared, awaiting its verification
  set("m4", 6, "", "");
  set("v3", 7, "", "");
  set("m3", 8, "", "");  // awaiting a measurement
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::vector<std::string> ids;
  for (const FirstPlace& p : r->first_places) ids.push_back(p.gap_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"c1", "m1", "c3", "m4"}));
  EXPECT_EQ(r->first_places[0].rank, 1);
  EXPECT_EQ(r->first_places[0].contains, "viettel");
  EXPECT_EQ(r->first_places[3].rank, 6);
  EXPECT_EQ(r->first_places[1].status, "planned");
  const std::string table = RenderTable(*r);
  EXPECT_NE(table.find("First places to clear"), std::string::npos) << table;
  EXPECT_NE(table.find("common: viettel"), std::string::npos) << table;
  const std::string csv = RenderCsv(*r);
  EXPECT_NE(csv.find("first_place,1,Huyện A,,common: viettel,LTE,0,10,open,,c1\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(RenderJson(*r).find("\"first_places\":[{\"rank\":1,\"gap_id\":\"c1\""),
            std::string::npos);
}

TEST_F(ProgressReportTest, TableJsonAndCsv) {
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok());
  const std::string table = RenderTable(*r);
  EXPECT_NE(table.find("days left 10"), std::string::npos) << table;
  EXPECT_NE(table.find("27 at the start, 25 now"), std::string::npos) << table;
  // Aligned: every line of the district table has the same length up to the last column.
  EXPECT_NE(table.find("Huyện A"), std::string::npos);

  const std::string json = RenderJson(*r);
  EXPECT_NE(json.find("\"days_left\":10"), std::string::npos) << json;
  EXPECT_NE(json.find("\"district\":\"Huyện B\""), std::string::npos);
  EXPECT_NE(json.find("\"students_now\":17"), std::string::npos);

  const std::string csv = RenderCsv(*r);
  // Five sections, each with one header line starting "section,".
  std::size_t headers = 0;
  for (std::size_t p = 0; (p = csv.find("section,", p)) != std::string::npos; ++p) ++headers;
  EXPECT_EQ(headers, 5u);
  EXPECT_NE(csv.find("district,Huyện A,0,2,1,0,3,22,22,1,1,0\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("operator,vnpt,1,2,1,0,4,10,17,0,1,1\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("readiness_total,,4,2,1,1,0,650,39,250,14\r\n"), std::string::npos) << csv;
}

// Covered and uncertain schools sit next to the white-zone and no-data schools in every format.
TEST_F(ProgressReportTest, EveryFormatShowsCoveredAndUncertainSchools) {
  in.school_coverage = HybridCoverage();
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok()) << r.status().message();

  const std::string table = RenderTable(*r);
  const std::size_t readiness = table.find("Student readiness");
  ASSERT_NE(readiness, std::string::npos) << table;
  const std::string readiness_table = table.substr(readiness);
  EXPECT_NE(readiness_table.find("schools  schools_white_zone  schools_no_data  schools_covered  "
                                 "schools_uncertain  students"),
            std::string::npos)
      << readiness_table;
  // The TOTAL row: the figures in the header's order, right-aligned under it (same length).
  const std::size_t header_end = readiness_table.find('\n', readiness_table.find("District"));
  const std::string header_line = readiness_table.substr(
      readiness_table.find("District"), header_end - readiness_table.find("District"));
  const std::size_t total = readiness_table.find("TOTAL");
  ASSERT_NE(total, std::string::npos) << readiness_table;
  const std::string total_line =
      readiness_table.substr(total, readiness_table.find('\n', total) - total);
  std::istringstream cells(total_line);
  std::vector<std::string> got{std::istream_iterator<std::string>(cells), {}};
  EXPECT_EQ(got,
            (std::vector<std::string>{"TOTAL", "4", "1", "0", "2", "1", "650", "39", "50", "4"}));
  EXPECT_EQ(total_line.size(), header_line.size()) << readiness_table;

  const std::string json = RenderJson(*r);
  EXPECT_NE(json.find("\"district\":\"Huyện B\",\"schools\":1,\"schools_white_zone\":0,"
                      "\"schools_no_data\":0,\"schools_covered\":0,\"schools_uncertain\":1,"
                      "\"students\":100"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"readiness_total\":{\"district\":\"\",\"schools\":4,"
                      "\"schools_white_zone\":1,\"schools_no_data\":0,\"schools_covered\":2,"
                      "\"schools_uncertain\":1,"),
            std::string::npos)
      << json;

  const std::string csv = RenderCsv(*r);
  EXPECT_NE(csv.find("section,district,schools,schools_white_zone,schools_no_data,"
                     "schools_covered,schools_uncertain,students,students_nodev,"
                     "students_white_zone,students_nodev_white_zone\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("readiness,Huyện A,3,1,0,2,0,550,34,50,4\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("readiness,Huyện B,1,0,0,0,1,100,5,0,0\r\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("readiness_total,,4,1,0,2,1,650,39,50,4\r\n"), std::string::npos) << csv;

  auto html = RenderHtml(*r, in);
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_NE(html->find("Trường vùng trắng sóng / <span class=\"en\">White-zone schools</span></th>"
                       "<th>Trường có sóng / <span class=\"en\">Covered schools</span></th>"
                       "<th>Trường chưa chắc có sóng / <span class=\"en\">Uncertain schools"
                       "</span></th>"),
            std::string::npos)
      << *html;
  EXPECT_NE(html->find("<tr class=\"total\"><td class=\"k\">Toàn tỉnh / Province</td>"
                       "<td>4</td><td>1</td><td>2</td><td>1</td><td>650</td>"),
            std::string::npos)
      << *html;
  EXPECT_NE(html->find("(0.2, 0.8)"), std::string::npos) << "the note says the band";
}

TEST_F(ProgressReportTest, HtmlIsSelfContainedEscapedAndMapped) {
  in.areas[0].name = "Huyện <A&\"x\">";
  auto r = BuildProgressReport(in);
  ASSERT_TRUE(r.ok());
  MapStats stats;
  auto html = RenderHtml(*r, in, &stats);
  ASSERT_TRUE(html.ok()) << html.status().message();
  EXPECT_EQ(html->find("<A&"), std::string::npos);
  EXPECT_NE(html->find("Huyện &lt;A&amp;&quot;x&quot;&gt;"), std::string::npos);
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_EQ(html->find("href="), std::string::npos);
  EXPECT_EQ(html->find("src="), std::string::npos);
  EXPECT_EQ(html->find("@import"), std::string::npos);
  EXPECT_NE(html->find("@page { size: A4"), std::string::npos);
  EXPECT_NE(html->find("Huyện / <span class=\"en\">District</span>"), std::string::npos);
  // Drawn: every gap except the one open operator gap (m4).
  EXPECT_EQ(stats.gaps_drawn, 9u);
  EXPECT_EQ(stats.gaps_skipped, 1u);
  EXPECT_EQ(stats.schools, 4u);
  EXPECT_EQ(stats.white_zone_schools, 2u);  // S2 and S4; S3 (no record) is drawn as no data
  EXPECT_NE(html->find("r=\"1.4\" fill=\"#fff\" stroke=\"#888\""), std::string::npos);
  for (GapStatus s :
       {GapStatus::kOpen, GapStatus::kPlanned, GapStatus::kCleared, GapStatus::kVerified}) {
    EXPECT_NE(html->find("fill=\"" + std::string(StatusColour(s)) + "\""), std::string::npos);
  }
}

TEST(ReportFormatTest, ParsesNames) {
  EXPECT_EQ(ParseReportFormat("html"), ReportFormat::kHtml);
  EXPECT_EQ(ParseReportFormat("csv"), ReportFormat::kCsv);
  EXPECT_EQ(ParseReportFormat("pdf"), std::nullopt);
  EXPECT_EQ(HtmlEscape("a<b>&'\""), "a&lt;b&gt;&amp;&#39;&quot;");
}

}  // namespace
}  // namespace covgap::geo
