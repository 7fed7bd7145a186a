// Writes the HTML progress report of a synthetic scenario on the real Bắc Giang district
// boundaries, for the rendering check (tests/report/report_render_test.py): per district, gaps of
// every status (operator and common), schools (some in white zones), households.
// Usage: report_fixture DISTRICTS.geojson OUT.html
#include <ogr_api.h>

#include <cstdio>
#include <fstream>

#include "geo/base/time_format.h"
#include "geo/report/progress_report.h"
#include "geo/report/report_render.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"

using namespace covgap::geo;

namespace {

std::string ToWkb(OGRGeometryH g) {
  std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(g)), '\0');
  OGR_G_ExportToIsoWkb(g, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
  return wkb;
}

// A square gap of `side` metres centred on (x, y) in EPSG:32648.
std::string SquareWkb(double x, double y, double side) {
  char wkt[256];
  const double h = side / 2;
  std::snprintf(wkt, sizeof wkt, "POLYGON ((%f %f,%f %f,%f %f,%f %f,%f %f))", x - h, y - h, x + h,
                y - h, x + h, y + h, x - h, y + h, x - h, y - h);
  OGRGeometryH raw = nullptr;
  char* p = wkt;
  OGR_G_CreateFromWkt(&p, nullptr, &raw);
  const OgrGeometryPtr g(raw);
  return ToWkb(g.get());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: report_fixture DISTRICTS.geojson OUT.html\n");
    return 2;
  }
  InitGdal();
  DatasetPtr ds(GDALOpenEx(argv[1], GDAL_OF_VECTOR, nullptr, nullptr, nullptr));
  if (!ds) {
    std::fprintf(stderr, "report_fixture: cannot open %s\n", argv[1]);
    return 1;
  }
  auto projector = PointProjector::Create("EPSG:32648");
  if (!projector.ok()) return 1;
  ProgressInputs in;
  OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
  OGR_L_ResetReading(layer);
  int d = 0;
  const GapStatus kStatuses[] = {GapStatus::kOpen, GapStatus::kPlanned, GapStatus::kCleared,
                                 GapStatus::kAwaitingMeasurement, GapStatus::kVerified};
  for (FeaturePtr f(OGR_L_GetNextFeature(layer)); f; f.reset(OGR_L_GetNextFeature(layer)), ++d) {
    OGRGeometryH g = OGR_F_GetGeometryRef(f.get());
    AdminArea area;
    area.level = AreaLevel::kDistrict;
    area.name = OGR_F_GetFieldAsString(f.get(), OGR_F_GetFieldIndex(f.get(), "name"));
    area.code = std::to_string(d);
    area.wkb = ToWkb(g);
    in.areas.push_back(area);
    OgrGeometryPtr centre(OGR_G_PointOnSurface(g));
    double lon = OGR_G_GetX(centre.get(), 0), lat = OGR_G_GetY(centre.get(), 0);
    double x = 0, y = 0;
    (*projector)->Project(&lon, &lat, &x, &y, 1);
    // Five operator gaps (one per status) in a row, a common gap below them.
    for (int k = 0; k < 5; ++k) {
      Gap gap;
      gap.gap_id = "g" + std::to_string(d) + "-" + std::to_string(k);
      gap.kind = GapKind::kOperator;
      gap.operator_id = k % 2 ? "vnpt" : "viettel";
      gap.district = area.name;
      gap.status = std::string(ToString(kStatuses[(k + d) % 5]));
      if (gap.status == "planned")
        gap.target_ms = *ParseIso8601(d % 2 ? "2021-12-05" : "2022-01-15");
      gap.crs = "EPSG:32648";
      gap.wkb = SquareWkb(x + (k - 2) * 2200, y + 1500, 1800);
      in.latest_gaps.push_back(gap);
      Gap start = gap;
      start.status = "open";
      in.baseline_gaps.push_back(start);
    }
    Gap common;
    common.gap_id = "c" + std::to_string(d);
    common.kind = GapKind::kCommon;
    common.district = area.name;
    common.status = d % 3 ? "open" : "verified";
    common.crs = "EPSG:32648";
    common.wkb = SquareWkb(x, y - 1500, 2500);
    in.latest_gaps.push_back(common);
    common.status = "open";
    in.baseline_gaps.push_back(common);
    // Schools: one in the common gap, others around; every third in a white zone, the last one
    // predicted and uncertain, the others covered.
    for (int s = 0; s < 6; ++s) {
      School school;
      school.school_id = "s" + std::to_string(d) + "-" + std::to_string(s);
      school.name = "Trường " + school.school_id;
      school.district = area.name;
      school.lon = lon + (s - 2.5) * 0.02;
      school.lat = lat - (s % 2 ? 0.03 : -0.04);
      if (s == 0) {
        school.lon = lon;
        school.lat = lat - 0.0135;  // about 1.5 km south: inside the common gap
      }
      school.students = 300 + 40 * s;
      school.students_nodev = 10 + 3 * s + d;
      in.schools.push_back(school);
      SchoolCoverage c;
      c.school_id = school.school_id;
      c.operator_id = "viettel";
      c.indoor_class = s % 3 == 0 ? CellClass::kWeak : CellClass::kGood;
      if (s == 5) {  // not measured: predicted, P(good indoors) in the uncertain band
        c.indoor_class = CellClass::kWeak;
        c.predicted_dbm = -97;
        c.sigma_db = 8;
        c.p_good_indoor = 0.5;
      }
      in.school_coverage.push_back(c);
    }
    Household h;
    h.household_id = "h" + std::to_string(d);
    h.lon = lon;
    h.lat = lat - 0.013;
    h.students_nodev = 2;
    h.district = area.name;
    in.households.push_back(h);
  }
  in.now_ms = *ParseIso8601("2021-12-10T09:00:00Z");
  in.deadline_ms = *ParseIso8601("2021-12-20");
  in.latest_run_id = 4;
  in.baseline_run_id = 1;
  auto report = BuildProgressReport(in);
  if (!report.ok()) {
    std::fprintf(stderr, "report_fixture: %s\n", report.status().message().c_str());
    return 1;
  }
  MapStats stats;
  auto html = RenderHtml(*report, in, &stats);
  if (!html.ok()) {
    std::fprintf(stderr, "report_fixture: %s\n", html.status().message().c_str());
    return 1;
  }
  std::ofstream(argv[2], std::ios::binary) << *html;
  std::printf("%zu bytes, %zu gaps drawn, %zu skipped, %zu schools (%zu white zone)\n",
              html->size(), stats.gaps_drawn, stats.gaps_skipped, stats.schools,
              stats.white_zone_schools);
  return 0;
}
