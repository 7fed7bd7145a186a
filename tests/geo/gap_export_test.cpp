#include "geo/export/gap_export.h"

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"

namespace covgap::geo {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Fixtures: three gaps around x≈600000, y≈2360000 (EPSG:32648), in Lục Ngạn, Bắc Giang.

// 368 bytes of Vietnamese; a naive cut at 254 bytes would split "ạ" (byte 254 is a continuation).
const std::string kLongPlan =
    "Kế hoạch khắc phục: lắp đặt trạm BTS 4G mới tại thôn Khe Sâu, xã Dương Hưu, huyện Lục Ngạn; "
    "Kế hoạch khắc phục: lắp đặt trạm BTS 4G mới tại thôn Khe Sâu, xã Dương Hưu, huyện Lục Ngạn; "
    "Kế hoạch khắc phục: lắp đặt trạm BTS 4G mới tại thôn Khe Sâu, xã Dương Hưu, huyện Lục Ngạn.";

std::string ToIsoWkb(OGRGeometryH geometry) {
  std::string wkb(OGR_G_WkbSizeEx(geometry), '\0');
  EXPECT_EQ(OGR_G_ExportToIsoWkb(geometry, wkbNDR, reinterpret_cast<unsigned char*>(wkb.data())),
            OGRERR_NONE);
  return wkb;
}

OgrGeometryPtr FromWkt(const std::string& wkt) {
  char* text = const_cast<char*>(wkt.c_str());
  OGRGeometryH geometry = nullptr;
  EXPECT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &geometry), OGRERR_NONE) << wkt;
  return OgrGeometryPtr(geometry);
}

OgrGeometryPtr FromWkb(const std::string& wkb) {
  OGRGeometryH geometry = nullptr;
  EXPECT_EQ(OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &geometry, wkb.size()), OGRERR_NONE);
  return OgrGeometryPtr(geometry);
}

SrsPtr Srs(const std::string& definition) {
  auto srs = MakeSrs(definition);
  EXPECT_TRUE(srs.ok()) << definition;
  return std::move(srs).value();
}

// `geometry` (in `from`) transformed in place to `to`.
void Transform(OGRGeometryH geometry, const std::string& from, const std::string& to) {
  SrsPtr source = Srs(from);
  SrsPtr target = Srs(to);
  TransformPtr transform(OCTNewCoordinateTransformation(source.get(), target.get()));
  ASSERT_NE(transform, nullptr);
  ASSERT_EQ(OGR_G_Transform(geometry, transform.get()), OGRERR_NONE);
}

std::int64_t Ms(const char* iso) { return ParseIso8601(iso).value(); }

struct TestGap {
  Gap gap;
  std::string target_date;  // expected YYYY-MM-DD, empty for none
  std::string analysed_date;
};

std::vector<TestGap> MakeGaps() {
  InitGdal();
  std::vector<TestGap> gaps(3);

  // Two cells in a row, given as a clockwise Polygon (the export promotes it).
  Gap& a = gaps[0].gap;
  a.gap_id = "viettel-LTE-600000-2360000";
  a.kind = GapKind::kOperator;
  a.operator_id = "viettel";
  a.tech = Technology::kLte;
  a.severity = 0.5;
  a.area_m2 = 20000;
  a.n_cells = 2;
  a.n_dead_cells = 1;
  a.n_samples = 3'000'000'000;  // beyond 32 bits, to exercise Integer64
  a.median_dbm = -112.5;
  a.min_dbm = -121;
  a.province = "Tỉnh Bắc Giang";
  a.district = "Huyện Lục Ngạn";
  a.commune = "Xã Dương Hưu";
  a.schools = 1;
  a.students_nodev = 37;
  a.poor_hh = 4;
  a.npoor_hh = 6;
  a.score = 3.14159265358979;
  a.rank = 1;
  a.grp_rank = 1;
  a.status = "planned";
  a.plan = "Lắp trạm BTS mới tại thôn Khe Sâu";
  a.target_ms = Ms("2022-03-31T23:30:00Z");  // 1 April in Hà Nội, 31 March in UTC
  a.analysed_ms = Ms("2021-12-01T08:00:00Z");
  // Evidence left at the defaults: a binned gap is measured, p_good 0, meas_share 1.
  a.crs = "EPSG:32648";
  a.wkb = ToIsoWkb(FromWkt("POLYGON ((600000 2360000,600000 2360100,600200 2360100,"
                           "600200 2360000,600000 2360000))")
                       .get());
  gaps[0].target_date = "2022-03-31";
  gaps[0].analysed_date = "2021-12-01";

  // An L of cells around a one-cell hole; a common gap with no operator, plan or target.
  Gap& b = gaps[1].gap;
  b.gap_id = "common-UMTS-601000-2361000";
  b.kind = GapKind::kCommon;
  b.tech = Technology::kUmts;
  b.severity = 1.0 / 3.0;
  b.area_m2 = 100000;
  b.n_cells = 10;
  b.n_dead_cells = 3;
  b.n_samples = 41;
  b.median_dbm = -101.25;
  b.min_dbm = -117;
  b.province = "Tỉnh Bắc Giang";
  b.district = "Huyện Sơn Động";
  b.commune = "Xã An Lạc";
  b.students_nodev = 12;
  b.poor_hh = 2;
  b.score = 0.875;
  b.rank = 3;
  b.grp_rank = 1;
  b.contains = "viettel,vnpt";  // the operators whose gaps lie wholly inside it
  b.status = "open";
  b.analysed_ms = Ms("2021-12-01T08:00:00Z");
  b.evidence = Evidence::kMixed;  // a hybrid gap: 6 of its 10 cells measured
  b.p_good = 0.125;
  b.meas_share = 0.6;
  b.crs = "EPSG:32648";
  b.wkb = ToIsoWkb(FromWkt("MULTIPOLYGON (((601000 2361000,601500 2361000,601500 2361100,"
                           "601300 2361100,601300 2361300,601000 2361300,601000 2361000),"
                           "(601100 2361100,601100 2361200,601200 2361200,601200 2361100,"
                           "601100 2361100)))")
                       .get());
  gaps[1].analysed_date = "2021-12-01";

  // One cell, stored in WGS84 lon/lat (gaps may come in different CRSs), with a long plan.
  Gap& c = gaps[2].gap;
  c.gap_id = "vnpt-NR-600500-2360500";
  c.kind = GapKind::kOperator;
  c.operator_id = "vnpt";
  c.tech = Technology::kNr;
  c.severity = 1;
  c.area_m2 = 10000;
  c.n_cells = 1;
  c.n_dead_cells = 1;
  c.n_samples = 5;
  c.median_dbm = -118;
  c.min_dbm = -125;
  c.province = "Tỉnh Bắc Giang";
  c.district = "Huyện Yên Thế";
  c.commune = "Xã Đồng Tiến";
  c.schools = 2;
  c.students_nodev = 80;
  c.npoor_hh = 9;
  c.score = 12.75;
  c.rank = 2;
  c.grp_rank = 1;
  c.common_id = "common-NR-600500-2360500";  // wholly inside a common gap
  c.status = "planned";
  c.plan = kLongPlan;
  c.target_ms = Ms("2022-06-30T12:00:00Z");
  c.analysed_ms = Ms("2021-12-02T00:00:00Z");
  c.evidence = Evidence::kPredicted;  // no cell measured: the prediction's gap
  c.p_good = 0.3125;
  c.meas_share = 0;
  c.crs = "EPSG:4326";
  OgrGeometryPtr cell = FromWkt(
      "POLYGON ((600500 2360500,600600 2360500,600600 2360600,600500 2360600,600500 2360500))");
  Transform(cell.get(), "EPSG:32648", "EPSG:4326");
  c.wkb = ToIsoWkb(cell.get());
  gaps[2].target_date = "2022-06-30";
  gaps[2].analysed_date = "2021-12-02";
  return gaps;
}

std::vector<Gap> JustGaps(const std::vector<TestGap>& gaps) {
  std::vector<Gap> out;
  for (const TestGap& g : gaps) out.push_back(g.gap);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expected layer: the field table of docs/exports.md, written out independently of the code.

struct Date {
  std::string iso;  // YYYY-MM-DD; empty for null
};
using Value = std::variant<std::monostate, std::string, std::int64_t, double, Date>;

Value Text(const std::string& s) { return s.empty() ? Value{} : Value{s}; }

struct ExpectedField {
  const char* name;
  OGRFieldType type;
  std::function<Value(const TestGap&)> value;
};

const std::vector<ExpectedField>& ExpectedFields() {
  static const std::vector<ExpectedField> fields = {
      {"gap_id", OFTString, [](const TestGap& t) { return Text(t.gap.gap_id); }},
      {"operator", OFTString, [](const TestGap& t) { return Text(t.gap.operator_id); }},
      {"tech", OFTString, [](const TestGap& t) { return Text(std::string(ToString(t.gap.tech))); }},
      {"kind", OFTString, [](const TestGap& t) { return Text(std::string(ToString(t.gap.kind))); }},
      {"severity", OFTReal, [](const TestGap& t) -> Value { return t.gap.severity; }},
      {"area_m2", OFTReal, [](const TestGap& t) -> Value { return t.gap.area_m2; }},
      {"n_cells", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.n_cells; }},
      {"n_samples", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.n_samples; }},
      {"median_dbm", OFTReal, [](const TestGap& t) -> Value { return t.gap.median_dbm; }},
      {"min_dbm", OFTInteger,
       [](const TestGap& t) -> Value { return std::int64_t{t.gap.min_dbm}; }},
      {"province", OFTString, [](const TestGap& t) { return Text(t.gap.province); }},
      {"district", OFTString, [](const TestGap& t) { return Text(t.gap.district); }},
      {"commune", OFTString, [](const TestGap& t) { return Text(t.gap.commune); }},
      {"schools", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.schools; }},
      {"stud_nodev", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.students_nodev; }},
      {"poor_hh", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.poor_hh; }},
      {"npoor_hh", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.npoor_hh; }},
      {"score", OFTReal, [](const TestGap& t) -> Value { return t.gap.score; }},
      {"rank", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.rank; }},
      {"status", OFTString, [](const TestGap& t) { return Text(t.gap.status); }},
      {"plan", OFTString, [](const TestGap& t) { return Text(t.gap.plan); }},
      {"target_dt", OFTDate, [](const TestGap& t) -> Value { return Date{t.target_date}; }},
      {"analysed", OFTDate, [](const TestGap& t) -> Value { return Date{t.analysed_date}; }},
      {"evidence", OFTString,
       [](const TestGap& t) { return Text(std::string(ToString(t.gap.evidence))); }},
      {"p_good", OFTReal, [](const TestGap& t) -> Value { return t.gap.p_good; }},
      {"meas_share", OFTReal, [](const TestGap& t) -> Value { return t.gap.meas_share; }},
      {"grp_rank", OFTInteger64, [](const TestGap& t) -> Value { return t.gap.grp_rank; }},
      {"common_id", OFTString, [](const TestGap& t) { return Text(t.gap.common_id); }},
      {"contains", OFTString, [](const TestGap& t) { return Text(t.gap.contains); }},
  };
  return fields;
}

// The field types a reader may report for a written type. Shapefile and GeoPackage keep the
// types; GeoJSON readers guess 32 or 64 bits from the values; CSV has no types (read with
// AUTODETECT_TYPE, so integral reals look like integers); KML has no 64-bit integers or dates.
std::set<OGRFieldType> AcceptedTypes(ExportFormat format, OGRFieldType written) {
  switch (format) {
    case ExportFormat::kShapefile:
    case ExportFormat::kGeoPackage:
      return {written};
    case ExportFormat::kGeoJson:
      if (written == OFTInteger64) return {OFTInteger, OFTInteger64};
      return {written};
    case ExportFormat::kCsv:
      if (written == OFTInteger64) return {OFTInteger, OFTInteger64};
      if (written == OFTReal) return {OFTReal, OFTInteger, OFTInteger64};
      return {written};
    case ExportFormat::kKml:
      if (written == OFTInteger64) return {OFTReal};
      if (written == OFTDate) return {OFTString};
      return {written};
  }
  return {};
}

bool IsNullOrEmpty(OGRFeatureH feature, int index) {
  return !OGR_F_IsFieldSetAndNotNull(feature, index) ||
         std::string(OGR_F_GetFieldAsString(feature, index)).empty();
}

// The longest prefix of at most 254 bytes that ends on a character boundary.
std::string Utf8Prefix254(const std::string& s) {
  if (s.size() <= 254) return s;
  std::size_t cut = 254;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

void ExpectValue(ExportFormat format, OGRFeatureH feature, int index, const ExpectedField& field,
                 const Value& expected, const std::string& gap_id) {
  SCOPED_TRACE(std::string(field.name) + " of " + gap_id);
  if (std::holds_alternative<std::monostate>(expected)) {
    EXPECT_TRUE(IsNullOrEmpty(feature, index)) << OGR_F_GetFieldAsString(feature, index);
  } else if (const auto* text = std::get_if<std::string>(&expected)) {
    const std::string want = format == ExportFormat::kShapefile ? Utf8Prefix254(*text) : *text;
    EXPECT_EQ(OGR_F_GetFieldAsString(feature, index), want);  // byte for byte
  } else if (const auto* count = std::get_if<std::int64_t>(&expected)) {
    EXPECT_EQ(OGR_F_GetFieldAsInteger64(feature, index), *count);
  } else if (const auto* number = std::get_if<double>(&expected)) {
    const double got = OGR_F_GetFieldAsDouble(feature, index);
    EXPECT_NEAR(got, *number, 1e-9 * std::max(1.0, std::abs(*number)));
  } else if (const auto* date = std::get_if<Date>(&expected)) {
    if (date->iso.empty()) {
      EXPECT_TRUE(IsNullOrEmpty(feature, index)) << OGR_F_GetFieldAsString(feature, index);
      return;
    }
    OGRFieldDefnH defn = OGR_F_GetFieldDefnRef(feature, index);
    if (OGR_Fld_GetType(defn) == OFTDate) {
      int y = 0, m = 0, d = 0, hh = 0, mm = 0, tz = 0;
      float ss = 0;
      ASSERT_TRUE(OGR_F_GetFieldAsDateTimeEx(feature, index, &y, &m, &d, &hh, &mm, &ss, &tz));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
      EXPECT_EQ(buf, date->iso);
    } else {
      EXPECT_EQ(OGR_F_GetFieldAsString(feature, index), date->iso);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading back

// A fresh directory under the test temp dir.
std::string FreshDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("covgap_gap_export_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string OgrPath(ExportFormat format, const std::string& path, const std::string& layer) {
  if (format == ExportFormat::kShapefile) return "/vsizip/" + path + "/" + layer + ".shp";
  return path;
}

DatasetPtr OpenExport(ExportFormat format, const std::string& path,
                      const std::string& layer = "gaps") {
  const char* const csv_options[] = {"AUTODETECT_TYPE=YES", nullptr};
  return DatasetPtr(GDALOpenEx(OgrPath(format, path, layer).c_str(),
                               GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                               format == ExportFormat::kCsv ? csv_options : nullptr, nullptr));
}

std::string ReadAll(const std::string& vsi_path) {
  const VsiFile file(VSIFOpenL(vsi_path.c_str(), "rb"));
  if (file == nullptr) return "<missing>";
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = VSIFReadL(buf, 1, sizeof buf, file.get())) > 0;) out.append(buf, n);
  return out;
}

std::vector<std::string> ListDir(const std::string& vsi_dir) {
  std::vector<std::string> names;
  char** list = VSIReadDir(vsi_dir.c_str());
  for (char** p = list; p != nullptr && *p != nullptr; ++p) {
    if (std::string(*p) != "." && std::string(*p) != "..") names.emplace_back(*p);
  }
  CSLDestroy(list);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> LeftoverStaging() {
  std::vector<std::string> left;
  for (const std::string& name : ListDir("/vsimem/")) {
    if (name.rfind("covgap_export_", 0) == 0) left.push_back(name);
  }
  return left;
}

bool IsValidUtf8(const std::string& s) { return CPLIsUTF8(s.c_str(), static_cast<int>(s.size())); }

// ---------------------------------------------------------------------------------------------
// Round trip, per format and CRS

struct Case {
  ExportFormat format;
  std::string crs;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string crs = info.param.crs;
  std::replace(crs.begin(), crs.end(), ':', '_');
  return std::string(ToString(info.param.format)) + "_" + crs;
}

void PrintTo(const Case& c, std::ostream* os) { *os << ToString(c.format) << " " << c.crs; }

class GapExportRoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(GapExportRoundTrip, ReadsBackEveryFieldAndGeometry) {
  const Case& c = GetParam();
  const std::vector<TestGap> gaps = MakeGaps();
  const std::string dir = FreshDir(CaseName({c, 0}));
  const std::string path = dir + "/gaps" + std::string(DefaultExtension(c.format));

  ExportOptions options;
  options.format = c.format;
  options.target_crs = c.crs;
  const Status status = WriteGapExport(JustGaps(gaps), options, path);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{fs::path(path).filename().string()})
      << "no temporary files next to the export";
  EXPECT_TRUE(LeftoverStaging().empty());

  DatasetPtr dataset = OpenExport(c.format, path);
  ASSERT_NE(dataset, nullptr) << CPLGetLastErrorMsg();
  ASSERT_EQ(GDALDatasetGetLayerCount(dataset.get()), 1);
  OGRLayerH layer = GDALDatasetGetLayer(dataset.get(), 0);
  EXPECT_STREQ(OGR_L_GetName(layer), "gaps");
  ASSERT_EQ(OGR_L_GetFeatureCount(layer, TRUE), static_cast<GIntBig>(gaps.size()));

  // Fields: names, order and types.
  OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
  const auto& fields = ExpectedFields();
  if (c.format == ExportFormat::kShapefile || c.format == ExportFormat::kGeoPackage ||
      c.format == ExportFormat::kGeoJson) {
    EXPECT_EQ(OGR_FD_GetFieldCount(defn), static_cast<int>(fields.size()));
  }
  std::vector<int> index(fields.size(), -1);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    SCOPED_TRACE(fields[i].name);
    EXPECT_LE(std::string(fields[i].name).size(), 10u);
    index[i] = OGR_FD_GetFieldIndex(defn, fields[i].name);
    ASSERT_GE(index[i], 0);
    if (i > 0) {
      EXPECT_GT(index[i], index[i - 1]) << "fields keep their order";
    }
    const OGRFieldType type = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, index[i]));
    EXPECT_TRUE(AcceptedTypes(c.format, fields[i].type).count(type))
        << "read back as " << OGR_GetFieldTypeName(type);
  }

  // The layer's CRS is the requested one (CSV carries none).
  SrsPtr target = Srs(c.crs);
  if (c.format != ExportFormat::kCsv) {
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    ASSERT_NE(srs, nullptr);
    EXPECT_TRUE(OSRIsSame(srs, target.get()));
  }
  if (c.format == ExportFormat::kGeoPackage || c.format == ExportFormat::kGeoJson) {
    EXPECT_EQ(OGR_L_GetGeomType(layer), wkbMultiPolygon);
  }

  std::map<std::string, const TestGap*> by_id;
  for (const TestGap& g : gaps) by_id[g.gap.gap_id] = &g;
  OGR_L_ResetReading(layer);
  int seen = 0;
  for (FeaturePtr feature(OGR_L_GetNextFeature(layer)); feature;
       feature.reset(OGR_L_GetNextFeature(layer))) {
    const std::string id = OGR_F_GetFieldAsString(feature.get(), index[0]);
    ASSERT_TRUE(by_id.count(id)) << id;
    const TestGap& expected = *by_id[id];
    ++seen;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      ExpectValue(c.format, feature.get(), index[i], fields[i], fields[i].value(expected), id);
    }

    // Geometry: MultiPolygon (a shapefile cannot tell a one-part MultiPolygon from a Polygon),
    // valid, and the same place and area as the original once back in EPSG:32648.
    OGRGeometryH geometry = OGR_F_GetGeometryRef(feature.get());
    ASSERT_NE(geometry, nullptr) << id;
    const OGRwkbGeometryType type = wkbFlatten(OGR_G_GetGeometryType(geometry));
    if (c.format == ExportFormat::kShapefile) {
      EXPECT_TRUE(type == wkbMultiPolygon || type == wkbPolygon) << id;
    } else {
      EXPECT_EQ(type, wkbMultiPolygon) << id;
    }
    EXPECT_TRUE(OGR_G_IsValid(geometry)) << id;

    OgrGeometryPtr got(OGR_G_Clone(geometry));
    Transform(got.get(), c.crs, "EPSG:32648");
    OgrGeometryPtr original = FromWkb(expected.gap.wkb);
    Transform(original.get(), expected.gap.crs, "EPSG:32648");
    const double area = OGR_G_Area(original.get());
    EXPECT_NEAR(OGR_G_Area(got.get()), area, 0.005 * area) << id;
    OgrGeometryPtr c1(OGR_G_CreateGeometry(wkbPoint));
    OgrGeometryPtr c2(OGR_G_CreateGeometry(wkbPoint));
    ASSERT_EQ(OGR_G_Centroid(got.get(), c1.get()), OGRERR_NONE);
    ASSERT_EQ(OGR_G_Centroid(original.get(), c2.get()), OGRERR_NONE);
    EXPECT_LT(OGR_G_Distance(c1.get(), c2.get()), 1.0) << id << ": axis order or datum shift";
  }
  EXPECT_EQ(seen, static_cast<int>(gaps.size()));
}

INSTANTIATE_TEST_SUITE_P(Formats, GapExportRoundTrip,
                         ::testing::Values(Case{ExportFormat::kShapefile, "EPSG:4326"},
                                           Case{ExportFormat::kShapefile, "EPSG:32648"},
                                           Case{ExportFormat::kShapefile, "EPSG:9214"},
                                           Case{ExportFormat::kGeoPackage, "EPSG:4326"},
                                           Case{ExportFormat::kGeoPackage, "EPSG:32648"},
                                           Case{ExportFormat::kGeoPackage, "EPSG:9214"},
                                           Case{ExportFormat::kGeoJson, "EPSG:4326"},
                                           Case{ExportFormat::kGeoJson, "EPSG:32648"},
                                           Case{ExportFormat::kCsv, "EPSG:4326"},
                                           Case{ExportFormat::kKml, "EPSG:4326"}),
                         CaseName);

// ---------------------------------------------------------------------------------------------
// Format specifics

Status Export(const std::vector<Gap>& gaps, ExportFormat format, const std::string& crs,
              const std::string& path) {
  ExportOptions options;
  options.format = format;
  options.target_crs = crs;
  return WriteGapExport(gaps, options, path);
}

// The evidence columns, spelled out: a binned gap is measured with p_good 0 and meas_share 1, and a
// predicted (or mixed) gap keeps its evidence text and figures, in every format.
TEST(GapExport, EvidenceColumnsInEveryFormat) {
  const std::vector<Gap> gaps = JustGaps(MakeGaps());
  ASSERT_EQ(gaps[0].evidence, Evidence::kMeasured);
  struct Want {
    std::string evidence;
    double p_good;
    double meas_share;
  };
  const std::map<std::string, Want> want = {{gaps[0].gap_id, {"measured", 0, 1}},
                                            {gaps[1].gap_id, {"mixed", 0.125, 0.6}},
                                            {gaps[2].gap_id, {"predicted", 0.3125, 0}}};
  const std::string dir = FreshDir("evidence");
  for (ExportFormat format : {ExportFormat::kShapefile, ExportFormat::kGeoPackage,
                              ExportFormat::kGeoJson, ExportFormat::kCsv, ExportFormat::kKml}) {
    SCOPED_TRACE(std::string(ToString(format)));
    const std::string path = dir + "/gaps" + std::string(DefaultExtension(format));
    ASSERT_TRUE(Export(gaps, format, "EPSG:4326", path).ok());
    DatasetPtr dataset = OpenExport(format, path);
    ASSERT_NE(dataset, nullptr);
    OGRLayerH layer = GDALDatasetGetLayer(dataset.get(), 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    const int id = OGR_FD_GetFieldIndex(defn, "gap_id");
    const int analysed = OGR_FD_GetFieldIndex(defn, "analysed");
    const int evidence = OGR_FD_GetFieldIndex(defn, "evidence");
    const int p_good = OGR_FD_GetFieldIndex(defn, "p_good");
    const int meas_share = OGR_FD_GetFieldIndex(defn, "meas_share");
    ASSERT_GE(analysed, 0);
    EXPECT_EQ(evidence, analysed + 1) << "appended after the older columns";
    EXPECT_EQ(p_good, evidence + 1);
    EXPECT_EQ(meas_share, p_good + 1);
    ASSERT_GE(meas_share, 0);
    int seen = 0;
    for (FeaturePtr f(OGR_L_GetNextFeature(layer)); f; f.reset(OGR_L_GetNextFeature(layer))) {
      const std::string gap_id = OGR_F_GetFieldAsString(f.get(), id);
      ASSERT_TRUE(want.count(gap_id)) << gap_id;
      const Want& w = want.at(gap_id);
      EXPECT_EQ(OGR_F_GetFieldAsString(f.get(), evidence), w.evidence) << gap_id;
      EXPECT_TRUE(OGR_F_IsFieldSetAndNotNull(f.get(), p_good)) << gap_id << ": 0 is not null";
      EXPECT_TRUE(OGR_F_IsFieldSetAndNotNull(f.get(), meas_share)) << gap_id;
      EXPECT_DOUBLE_EQ(OGR_F_GetFieldAsDouble(f.get(), p_good), w.p_good) << gap_id;
      EXPECT_DOUBLE_EQ(OGR_F_GetFieldAsDouble(f.get(), meas_share), w.meas_share) << gap_id;
      ++seen;
    }
    EXPECT_EQ(seen, 3);
  }
}

TEST(GapExport, ShapefileZipHoldsExactlyFiveMembersAndUtf8Cpg) {
  const std::string dir = FreshDir("shp_members");
  const std::string path = dir + "/export.zip";
  ExportOptions options;
  options.format = ExportFormat::kShapefile;
  options.layer_name = "gaps_lte";
  ASSERT_TRUE(WriteGapExport(JustGaps(MakeGaps()), options, path).ok());
  EXPECT_EQ(ListDir("/vsizip/" + path),
            (std::vector<std::string>{"gaps_lte.cpg", "gaps_lte.dbf", "gaps_lte.prj",
                                      "gaps_lte.shp", "gaps_lte.shx"}));
  EXPECT_EQ(ReadAll("/vsizip/" + path + "/gaps_lte.cpg"), "UTF-8");
  EXPECT_NE(ReadAll("/vsizip/" + path + "/gaps_lte.prj").find("WGS"), std::string::npos);
  DatasetPtr dataset = OpenExport(ExportFormat::kShapefile, path, "gaps_lte");
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(OGR_L_GetGeomType(GDALDatasetGetLayer(dataset.get(), 0)), wkbPolygon);
}

TEST(GapExport, ShapefileCutsLongStringsOnCharacterBoundaries) {
  ASSERT_GT(kLongPlan.size(), 254u);
  ASSERT_EQ(static_cast<unsigned char>(kLongPlan[254]) & 0xC0, 0x80) << "fixture splits a letter";
  std::vector<Gap> gaps = JustGaps(MakeGaps());
  // Decomposed Vietnamese (letter + combining marks): keep "ế" whole or not at all.
  const std::string nfd = std::string(253, 'a') + "e\xCC\x82\xCC\x81" + " tail";
  gaps[0].plan = nfd;
  gaps[1].plan = kLongPlan;

  const std::string path = FreshDir("shp_truncate") + "/gaps.zip";
  ASSERT_TRUE(Export(gaps, ExportFormat::kShapefile, "EPSG:32648", path).ok());
  DatasetPtr dataset = OpenExport(ExportFormat::kShapefile, path);
  ASSERT_NE(dataset, nullptr);
  OGRLayerH layer = GDALDatasetGetLayer(dataset.get(), 0);
  const int plan = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), "plan");
  std::map<std::string, std::string> plans;
  for (FeaturePtr f(OGR_L_GetNextFeature(layer)); f; f.reset(OGR_L_GetNextFeature(layer))) {
    plans[OGR_F_GetFieldAsString(f.get(), 0)] = OGR_F_GetFieldAsString(f.get(), plan);
  }
  const std::string& cut = plans[gaps[1].gap_id];
  EXPECT_LE(cut.size(), 254u);
  EXPECT_GE(cut.size(), 251u);
  EXPECT_TRUE(IsValidUtf8(cut));
  EXPECT_EQ(kLongPlan.compare(0, cut.size(), cut), 0) << "a prefix of the plan";
  EXPECT_EQ(plans[gaps[0].gap_id], std::string(253, 'a'));
  EXPECT_EQ(plans[gaps[2].gap_id], Utf8Prefix254(kLongPlan));
}

TEST(GapExport, OtherFormatsKeepLongStrings) {
  const std::vector<TestGap> gaps = MakeGaps();
  const std::string path = FreshDir("gpkg_long") + "/gaps.gpkg";
  ASSERT_TRUE(Export(JustGaps(gaps), ExportFormat::kGeoPackage, "EPSG:4326", path).ok());
  DatasetPtr dataset = OpenExport(ExportFormat::kGeoPackage, path);
  ASSERT_NE(dataset, nullptr);
  OGRLayerH layer = GDALDatasetGetLayer(dataset.get(), 0);
  OGR_L_SetAttributeFilter(layer, ("gap_id = '" + gaps[2].gap.gap_id + "'").c_str());
  FeaturePtr feature(OGR_L_GetNextFeature(layer));
  ASSERT_NE(feature, nullptr);
  EXPECT_EQ(OGR_F_GetFieldAsString(feature.get(),
                                   OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), "plan")),
            kLongPlan);
}

TEST(GapExport, GeoJsonIsRfc7946InWgs84AndNamesOtherCrs) {
  const std::vector<Gap> gaps = JustGaps(MakeGaps());
  const std::string dir = FreshDir("geojson_crs");
  ASSERT_TRUE(Export(gaps, ExportFormat::kGeoJson, "EPSG:4326", dir + "/wgs84.geojson").ok());
  ASSERT_TRUE(Export(gaps, ExportFormat::kGeoJson, "EPSG:32648", dir + "/utm.geojson").ok());
  EXPECT_EQ(ReadAll(dir + "/wgs84.geojson").find("\"crs\""), std::string::npos);
  EXPECT_NE(ReadAll(dir + "/wgs84.geojson").find("\"MultiPolygon\""), std::string::npos);
  // Right-hand rule (RFC 7946 3.1.6): exterior rings counter-clockwise, holes clockwise; the
  // first fixture gap comes in clockwise.
  DatasetPtr dataset = OpenExport(ExportFormat::kGeoJson, dir + "/wgs84.geojson");
  ASSERT_NE(dataset, nullptr);
  OGRLayerH layer = GDALDatasetGetLayer(dataset.get(), 0);
  int rings = 0;
  for (FeaturePtr f(OGR_L_GetNextFeature(layer)); f; f.reset(OGR_L_GetNextFeature(layer))) {
    OGRGeometryH multipolygon = OGR_F_GetGeometryRef(f.get());
    for (int p = 0; p < OGR_G_GetGeometryCount(multipolygon); ++p) {
      OGRGeometryH polygon = OGR_G_GetGeometryRef(multipolygon, p);
      for (int r = 0; r < OGR_G_GetGeometryCount(polygon); ++r) {
        OGRGeometryH ring = OGR_G_GetGeometryRef(polygon, r);
        double twice_area = 0;
        for (int i = 0; i + 1 < OGR_G_GetPointCount(ring); ++i) {
          twice_area += OGR_G_GetX(ring, i) * OGR_G_GetY(ring, i + 1) -
                        OGR_G_GetX(ring, i + 1) * OGR_G_GetY(ring, i);
        }
        EXPECT_EQ(twice_area > 0, r == 0) << OGR_F_GetFieldAsString(f.get(), 0) << " ring " << r;
        ++rings;
      }
    }
  }
  EXPECT_EQ(rings, 4);
  EXPECT_NE(ReadAll(dir + "/utm.geojson").find("urn:ogc:def:crs:EPSG::32648"), std::string::npos);
  // A CRS without an EPSG code cannot be named in GeoJSON.
  const Status status =
      Export(gaps, ExportFormat::kGeoJson,
             "+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
             "+units=m +no_defs",
             dir + "/custom.geojson");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  EXPECT_FALSE(fs::exists(dir + "/custom.geojson"));
}

TEST(GapExport, CsvHasBomWktColumnAndIsoDates) {
  const std::string path = FreshDir("csv") + "/gaps.csv";
  ASSERT_TRUE(Export(JustGaps(MakeGaps()), ExportFormat::kCsv, "EPSG:4326", path).ok());
  const std::string text = ReadAll(path);
  EXPECT_EQ(text.rfind("\xEF\xBB\xBFWKT,gap_id,operator,tech,kind,severity,area_m2,", 0), 0u)
      << text.substr(0, 80);
  EXPECT_NE(text.find("2022-03-31"), std::string::npos);
  EXPECT_NE(text.find("Huyện Lục Ngạn"), std::string::npos);
  EXPECT_NE(text.find("\"MULTIPOLYGON ((("), std::string::npos);
}

TEST(GapExport, KmlRefusesProjectedCrs) {
  const std::string path = FreshDir("kml_utm") + "/gaps.kml";
  const Status status = Export(JustGaps(MakeGaps()), ExportFormat::kKml, "EPSG:32648", path);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("EPSG:4326"), std::string::npos) << status.message();
  EXPECT_FALSE(fs::exists(path));
}

TEST(GapExport, UnknownCrsIsInvalidArgument) {
  const std::string dir = FreshDir("bad_crs");
  for (ExportFormat format : {ExportFormat::kShapefile, ExportFormat::kGeoPackage}) {
    const Status status = Export(JustGaps(MakeGaps()), format, "EPSG:999999", dir + "/x");
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
    EXPECT_NE(status.message().find("EPSG:999999"), std::string::npos) << status.message();
  }
  std::vector<Gap> gaps = JustGaps(MakeGaps());
  gaps[1].crs = "EPSG:999999";
  const Status status = Export(gaps, ExportFormat::kGeoPackage, "EPSG:4326", dir + "/y");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  EXPECT_NE(status.message().find(gaps[1].gap_id), std::string::npos) << status.message();
  EXPECT_TRUE(ListDir(dir).empty());
  EXPECT_TRUE(LeftoverStaging().empty());
}

TEST(GapExport, BadGeometryFailsAndLeavesTheOldFile) {
  const std::string path = FreshDir("bad_geometry") + "/gaps.gpkg";
  std::ofstream(path) << "previous export";
  std::vector<Gap> gaps = JustGaps(MakeGaps());
  gaps[2].wkb = ToIsoWkb(FromWkt("LINESTRING (600000 2360000,600100 2360000)").get());
  Status status = Export(gaps, ExportFormat::kGeoPackage, "EPSG:4326", path);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  EXPECT_NE(status.message().find("Line String"), std::string::npos) << status.message();
  gaps[2].wkb = "not wkb";
  status = Export(gaps, ExportFormat::kGeoPackage, "EPSG:4326", path);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
  EXPECT_EQ(ReadAll(path), "previous export");
  EXPECT_EQ(ListDir(fs::path(path).parent_path().string()), std::vector<std::string>{"gaps.gpkg"});
}

TEST(GapExport, OverwritesAnExistingFile) {
  const std::string path = FreshDir("overwrite") + "/gaps.zip";
  std::ofstream(path) << "stale";
  ASSERT_TRUE(Export(JustGaps(MakeGaps()), ExportFormat::kShapefile, "EPSG:4326", path).ok());
  DatasetPtr dataset = OpenExport(ExportFormat::kShapefile, path);
  ASSERT_NE(dataset, nullptr);
  EXPECT_EQ(OGR_L_GetFeatureCount(GDALDatasetGetLayer(dataset.get(), 0), TRUE), 3);
}

TEST(GapExport, EmptyExportHasTheLayerAndFields) {
  const std::string path = FreshDir("empty") + "/gaps.gpkg";
  ASSERT_TRUE(Export({}, ExportFormat::kGeoPackage, "EPSG:9214", path).ok());
  DatasetPtr dataset = OpenExport(ExportFormat::kGeoPackage, path);
  ASSERT_NE(dataset, nullptr);
  OGRLayerH layer = GDALDatasetGetLayer(dataset.get(), 0);
  EXPECT_EQ(OGR_L_GetFeatureCount(layer, TRUE), 0);
  EXPECT_EQ(OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(layer)),
            static_cast<int>(ExpectedFields().size()));
}

TEST(GapExport, RejectsBadLayerNames) {
  const std::string dir = FreshDir("layer_name");
  for (const char* name : {"", "../gaps", "a/b", "c:d"}) {
    ExportOptions options;
    options.format = ExportFormat::kShapefile;
    options.layer_name = name;
    EXPECT_EQ(WriteGapExport(JustGaps(MakeGaps()), options, dir + "/x.zip").code(),
              StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(ExportFormat, ParsesAndPrintsEveryFormat) {
  const std::map<ExportFormat, std::string> extensions = {{ExportFormat::kShapefile, ".zip"},
                                                          {ExportFormat::kGeoPackage, ".gpkg"},
                                                          {ExportFormat::kGeoJson, ".geojson"},
                                                          {ExportFormat::kCsv, ".csv"},
                                                          {ExportFormat::kKml, ".kml"}};
  for (const auto& [format, extension] : extensions) {
    EXPECT_EQ(ParseExportFormat(ToString(format)), format);
    EXPECT_EQ(DefaultExtension(format), extension);
  }
  EXPECT_EQ(ParseExportFormat("shp"), ExportFormat::kShapefile);
  EXPECT_EQ(ParseExportFormat("GPKG"), ExportFormat::kGeoPackage);
  EXPECT_EQ(ParseExportFormat("GeoJSON"), ExportFormat::kGeoJson);
  EXPECT_EQ(ParseExportFormat("csv"), ExportFormat::kCsv);
  EXPECT_EQ(ParseExportFormat("kml"), ExportFormat::kKml);
  for (const char* bad : {"", "xlsx", "shapefile", " shp", "kmz"}) {
    EXPECT_FALSE(ParseExportFormat(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace covgap::geo
