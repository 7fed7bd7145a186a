#include "importers/area_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "geo/spatial/gdal_handles.h"

namespace covgap::importers {
namespace {

namespace fs = std::filesystem;

std::string SourceDir() {
  if (const char* dir = std::getenv("COVGAP_SOURCE_DIR")) return dir;
  // Run by hand outside ctest: this file is <source>/tests/importers/area_reader_test.cpp.
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}

// A fresh, empty directory under the test temp dir.
std::string FreshDir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("area_reader_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string WriteText(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

struct LayerSpec {
  std::string name;
  OGRwkbGeometryType type = wkbPolygon;
  std::string srs;  // empty: no CRS
  std::vector<std::string> fields;
  std::vector<std::pair<std::string, std::vector<std::string>>> features;  // WKT, field values
};

// Writes layers with OGR, e.g. a Shapefile or a GeoPackage.
void WriteDataset(const char* driver_name, const std::string& path,
                  const std::vector<LayerSpec>& layers) {
  geo::InitGdal();
  GDALDriverH driver = GDALGetDriverByName(driver_name);
  ASSERT_NE(driver, nullptr) << driver_name;
  geo::DatasetPtr ds(GDALCreate(driver, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  ASSERT_TRUE(ds) << CPLGetLastErrorMsg();
  for (const LayerSpec& spec : layers) {
    geo::SrsPtr srs;
    if (!spec.srs.empty()) {
      auto made = geo::MakeSrs(spec.srs);
      ASSERT_TRUE(made.ok());
      srs = std::move(made.value());
    }
    const char* utf8[] = {"ENCODING=UTF-8", nullptr};  // the Shapefile default is ISO-8859-1
    OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), spec.name.c_str(), srs.get(), spec.type,
                                             const_cast<char**>(utf8));
    ASSERT_NE(layer, nullptr) << CPLGetLastErrorMsg();
    for (const std::string& f : spec.fields) {
      const geo::FieldDefnPtr defn(OGR_Fld_Create(f.c_str(), OFTString));
      ASSERT_EQ(OGR_L_CreateField(layer, defn.get(), TRUE), OGRERR_NONE);
    }
    for (const auto& [wkt, values] : spec.features) {
      geo::FeaturePtr feature(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
      for (std::size_t i = 0; i < values.size(); ++i) {
        OGR_F_SetFieldString(feature.get(), static_cast<int>(i), values[i].c_str());
      }
      OGRGeometryH g = nullptr;
      char* text = const_cast<char*>(wkt.c_str());
      ASSERT_EQ(OGR_G_CreateFromWkt(&text, nullptr, &g), OGRERR_NONE) << wkt;
      OGR_F_SetGeometryDirectly(feature.get(), g);
      ASSERT_EQ(OGR_L_CreateFeature(layer, feature.get()), OGRERR_NONE);
    }
  }
}

geo::OgrGeometryPtr FromWkb(const std::string& wkb) {
  OGRGeometryH g = nullptr;
  EXPECT_EQ(OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &g, wkb.size()), OGRERR_NONE);
  return geo::OgrGeometryPtr(g);
}

// Every vertex of a MultiPolygon.
std::vector<std::pair<double, double>> Vertices(OGRGeometryH multi) {
  std::vector<std::pair<double, double>> out;
  for (int p = 0; p < OGR_G_GetGeometryCount(multi); ++p) {
    OGRGeometryH polygon = OGR_G_GetGeometryRef(multi, p);
    for (int r = 0; r < OGR_G_GetGeometryCount(polygon); ++r) {
      OGRGeometryH ring = OGR_G_GetGeometryRef(polygon, r);
      for (int i = 0; i < OGR_G_GetPointCount(ring); ++i) {
        out.emplace_back(OGR_G_GetX(ring, i), OGR_G_GetY(ring, i));
      }
    }
  }
  return out;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Checks what every area must be: 2D MultiPolygon ISO WKB, little-endian, valid, in lon/lat.
void ExpectWellFormed(const geo::AdminArea& area) {
  ASSERT_GE(area.wkb.size(), 9u) << area.name;
  EXPECT_EQ(area.wkb[0], '\x01') << area.name;  // wkbNDR
  geo::OgrGeometryPtr g = FromWkb(area.wkb);
  ASSERT_TRUE(g) << area.name;
  EXPECT_EQ(OGR_G_GetGeometryType(g.get()), wkbMultiPolygon) << area.name;
  EXPECT_TRUE(OGR_G_IsValid(g.get())) << area.name;
  OGREnvelope env;
  OGR_G_GetEnvelope(g.get(), &env);
  EXPECT_GE(env.MinX, -180);
  EXPECT_LE(env.MaxX, 180);
  EXPECT_GE(env.MinY, -90);
  EXPECT_LE(env.MaxY, 90);
}

std::string GeoJson(const std::string& features) {
  return R"({"type":"FeatureCollection","features":[)" + features + "]}";
}

std::string Feature(const std::string& properties, const std::string& geometry) {
  return R"({"type":"Feature","properties":)" + properties + R"(,"geometry":)" + geometry + "}";
}

constexpr const char* kSquare =
    R"({"type":"Polygon","coordinates":[[[106.0,21.0],[106.1,21.0],[106.1,21.1],[106.0,21.1],[106.0,21.0]]]})";
constexpr const char* kSquare2 =
    R"({"type":"Polygon","coordinates":[[[106.2,21.0],[106.3,21.0],[106.3,21.1],[106.2,21.1],[106.2,21.0]]]})";

TEST(AreaReader, RealDistrictsOfBacGiang) {
  AreaReadOptions options;
  options.level = geo::AreaLevel::kDistrict;
  auto result = ReadAreas(SourceDir() + "/data/bacgiang/districts.geojson", options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->rows_read, 10u);
  EXPECT_TRUE(result->rejected.empty());
  EXPECT_TRUE(result->repaired.empty());
  EXPECT_EQ(result->name_field, "name");
  EXPECT_EQ(result->code_field, "level2_id");
  ASSERT_EQ(result->areas.size(), 10u);
  std::set<std::string> names;
  for (const geo::AdminArea& a : result->areas) {
    names.insert(a.name);
    EXPECT_EQ(a.level, geo::AreaLevel::kDistrict);
    ExpectWellFormed(a);
    if (a.name == "Thành phố Bắc Giang") {
      EXPECT_EQ(a.code, "213");
    }
    if (a.name == "Huyện Lục Ngạn") {
      EXPECT_EQ(a.code, "219");
    }
  }
  EXPECT_TRUE(names.contains("Huyện Lục Ngạn"));
  EXPECT_TRUE(names.contains("Thành phố Bắc Giang"));
  EXPECT_EQ(names.size(), 10u);
}

TEST(AreaReader, RealCommunesOfBacGiang) {
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  auto result = ReadAreas(SourceDir() + "/data/bacgiang/communes.geojson", options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->name_field, "commune_vn");
  EXPECT_EQ(result->code_field, "commune_id");
  EXPECT_TRUE(result->rejected.empty());
  ASSERT_EQ(result->areas.size(), 232u);
  std::set<std::string> codes;
  bool found = false;
  for (const geo::AdminArea& a : result->areas) {
    codes.insert(a.code);
    found |= a.name == "Phường Trần Phú" && a.code == "2210101";
    EXPECT_EQ(a.level, geo::AreaLevel::kCommune);
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(codes.size(), 232u);
  ExpectWellFormed(result->areas.front());
}

std::size_t Merged(const AreaImport& result) {
  std::size_t n = 0;
  for (const RowIssue& r : result.repaired) n += r.code == "merged";
  return n;
}

TEST(AreaReader, CommunesReadAsDistrictsAreDissolved) {
  AreaReadOptions options;
  options.level = geo::AreaLevel::kDistrict;
  auto result = ReadAreas(SourceDir() + "/data/bacgiang/communes.geojson", options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->name_field, "district_vn");
  EXPECT_EQ(result->code_field, "district_id");
  ASSERT_EQ(result->areas.size(), 10u);
  EXPECT_EQ(Merged(*result), 222u);
  EXPECT_EQ(result->areas.size() + result->rejected.size() + Merged(*result), result->rows_read);
  for (const geo::AdminArea& a : result->areas) ExpectWellFormed(a);
}

// UTM 48N coordinates of lon 106.2, lat 21.3 (cs2cs EPSG:4326 EPSG:32648).
constexpr double kUtmX = 624470.416375;
constexpr double kUtmY = 2355823.575568;

std::string UtmSquareWkt() {
  char wkt[256];
  std::snprintf(wkt, sizeof wkt, "POLYGON ((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f))",
                kUtmX, kUtmY, kUtmX + 1000, kUtmY, kUtmX + 1000, kUtmY + 1000, kUtmX, kUtmY + 1000,
                kUtmX, kUtmY);
  return wkt;
}

void ExpectVertexNear(const geo::AdminArea& area, double lon, double lat) {
  geo::OgrGeometryPtr g = FromWkb(area.wkb);
  ASSERT_TRUE(g);
  bool near = false;
  for (auto [x, y] : Vertices(g.get())) {
    near |= std::abs(x - lon) < 1e-6 && std::abs(y - lat) < 1e-6;
  }
  EXPECT_TRUE(near) << "no vertex near lon " << lon << ", lat " << lat;
}

TEST(AreaReader, ProjectedShapefileIsReprojectedToLonLat) {
  const std::string dir = FreshDir("utm");
  const std::string path = dir + "/huyen.shp";
  WriteDataset("ESRI Shapefile", path,
               {{"huyen",
                 wkbPolygon,
                 "EPSG:32648",
                 {"TEN_HUYEN", "MA"},
                 {{UtmSquareWkt(), {"Huyện Lục Nam", "218"}}}}});
  auto result = ReadAreas(path, {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->areas.size(), 1u);
  const geo::AdminArea& a = result->areas[0];
  EXPECT_EQ(result->name_field, "TEN_HUYEN");
  EXPECT_EQ(a.name, "Huyện Lục Nam");
  EXPECT_EQ(a.code, "218");
  ExpectWellFormed(a);
  ExpectVertexNear(a, 106.2, 21.3);
}

TEST(AreaReader, ZippedShapefile) {
  const std::string dir = FreshDir("zip");
  const std::string path = dir + "/xa.shp.zip";
  WriteDataset(
      "ESRI Shapefile", path,
      {{"xa", wkbPolygon, "EPSG:32648", {"ten_xa", "ma"}, {{UtmSquareWkt(), {"Xã Cẩm Lý", "7"}}}}});
  ASSERT_TRUE(fs::exists(path));
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  for (const std::string& p : {path, "/vsizip/" + path}) {
    auto result = ReadAreas(p, options);
    ASSERT_TRUE(result.ok()) << p << ": " << result.status().message();
    ASSERT_EQ(result->areas.size(), 1u);
    EXPECT_EQ(result->areas[0].name, "Xã Cẩm Lý");
    ExpectVertexNear(result->areas[0], 106.2, 21.3);
  }
}

TEST(AreaReader, SelfIntersectingPolygonIsRepairedAndReported) {
  const std::string dir = FreshDir("bowtie");
  const std::string path = WriteText(
      dir, "bowtie.geojson",
      GeoJson(
          Feature(
              R"({"name":"Xã Nơ","code":"X1"})",
              R"({"type":"Polygon","coordinates":[[[106.0,21.0],[106.1,21.1],[106.1,21.0],[106.0,21.1],[106.0,21.0]]]})") +
          "," +
          Feature(
              R"({"name":"Xã Thẳng","code":"X2"})",
              R"({"type":"Polygon","coordinates":[[[106.0,21.0],[106.5,21.5],[107.0,22.0],[106.0,21.0]]]})") +
          "," + Feature(R"({"name":"Xã Vuông","code":"X3"})", kSquare)));
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  auto result = ReadAreas(path, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->rows_read, 3u);
  ASSERT_EQ(result->areas.size(), 2u);
  EXPECT_EQ(result->areas[0].name, "Xã Nơ");
  EXPECT_EQ(result->areas[0].code, "X1");
  ExpectWellFormed(result->areas[0]);
  geo::OgrGeometryPtr g = FromWkb(result->areas[0].wkb);
  EXPECT_EQ(OGR_G_GetGeometryCount(g.get()), 2);  // two triangles
  EXPECT_NEAR(OGR_G_Area(g.get()), 0.005, 1e-9);

  ASSERT_EQ(result->repaired.size(), 1u);
  EXPECT_EQ(result->repaired[0].row, 1u);
  EXPECT_EQ(result->repaired[0].code, "invalid_geometry");
  EXPECT_TRUE(Contains(result->repaired[0].reason, "Self-intersection"))
      << result->repaired[0].reason;

  // A polygon collapsed onto a line has nothing polygonal left after make-valid.
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].row, 2u);
  EXPECT_EQ(result->rejected[0].code, "invalid_geometry");
}

TEST(AreaReader, NonPolygonAndEmptyFeaturesAreRejected) {
  const std::string dir = FreshDir("mixed");
  const std::string path = WriteText(
      dir, "mixed.geojson",
      GeoJson(Feature(R"({"name":"Trụ sở"})", R"({"type":"Point","coordinates":[106.0,21.0]})") +
              "," + Feature(R"({"name":"Không hình"})", "null") + "," +
              Feature(R"({"name":"Rỗng"})", R"({"type":"Polygon","coordinates":[]})") + "," +
              Feature(R"({"name":"Đường"})",
                      R"({"type":"LineString","coordinates":[[106.0,21.0],[106.1,21.1]]})") +
              "," + Feature(R"({"name":"Huyện Tốt"})", kSquare) + "," +
              Feature(R"({"name":"  "})", kSquare2)));
  auto result = ReadAreas(path, {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->rows_read, 6u);
  ASSERT_EQ(result->areas.size(), 1u);
  EXPECT_EQ(result->areas[0].name, "Huyện Tốt");
  EXPECT_EQ(result->areas[0].code, "huyen-tot");
  ExpectWellFormed(result->areas[0]);
  ExpectVertexNear(result->areas[0], 106.1, 21.1);
  const std::vector<std::pair<std::uint64_t, std::string>> expected = {{1, "not_a_polygon"},
                                                                       {2, "empty_geometry"},
                                                                       {3, "empty_geometry"},
                                                                       {4, "not_a_polygon"},
                                                                       {6, "missing_value"}};
  std::vector<std::pair<std::uint64_t, std::string>> got;
  for (const RowIssue& r : result->rejected) got.emplace_back(r.row, r.code);
  EXPECT_EQ(got, expected);
  EXPECT_TRUE(Contains(result->rejected[0].reason, "Point"));
}

TEST(AreaReader, PointLayerIsNotABoundary) {
  const std::string dir = FreshDir("points");
  const std::string path = WriteText(
      dir, "points.geojson",
      GeoJson(Feature(R"({"name":"A"})", R"({"type":"Point","coordinates":[106.0,21.0]})")));
  auto result = ReadAreas(path, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status().message(), "Point")) << result.status().message();
}

TEST(AreaReader, FirstPolygonLayerOfAGeoPackage) {
  const std::string dir = FreshDir("gpkg");
  const std::string path = dir + "/ranh_gioi.gpkg";
  WriteDataset("GPKG", path,
               {{"tru_so", wkbPoint, "EPSG:4326", {"name"}, {{"POINT (106 21)", {"UBND"}}}},
                {"tinh",
                 wkbMultiPolygon,
                 "EPSG:4326",
                 {"ten_tinh", "level1_id"},
                 {{"MULTIPOLYGON (((106 21,107 21,107 21.5,106 21.5,106 21)))",
                   {"Tỉnh Bắc Giang", "24"}}}}});
  AreaReadOptions options;
  options.level = geo::AreaLevel::kProvince;
  auto result = ReadAreas(path, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->layer, "tinh");
  ASSERT_EQ(result->areas.size(), 1u);
  EXPECT_EQ(result->areas[0].name, "Tỉnh Bắc Giang");
  EXPECT_EQ(result->areas[0].code, "24");
  EXPECT_EQ(result->areas[0].level, geo::AreaLevel::kProvince);
  ExpectVertexNear(result->areas[0], 107, 21.5);
}

TEST(AreaReader, NameFieldMustBeFoundOrGiven) {
  const std::string dir = FreshDir("noname");
  const std::string path =
      WriteText(dir, "noname.geojson",
                GeoJson(Feature(R"({"label":"Xã Tân Lập","dien_tich":12})", kSquare) + "," +
                        Feature(R"({"label":"Xã Tân Lập","dien_tich":13})", kSquare2) + "," +
                        Feature(R"({"label":"Thị trấn Đồi Ngô","dien_tich":14})", kSquare)));
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  auto missing = ReadAreas(path, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(missing.status().message(), "label, dien_tich"))
      << missing.status().message();
  EXPECT_TRUE(Contains(missing.status().message(), "--name-field"));

  options.name_field = "nope";
  auto wrong = ReadAreas(path, options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(Contains(wrong.status().message(), "label, dien_tich"));

  options.name_field = "LABEL";
  auto result = ReadAreas(path, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->areas.size(), 3u);
  EXPECT_EQ(result->code_field, "");
  EXPECT_EQ(result->areas[0].code, "xa-tan-lap");
  EXPECT_EQ(result->areas[1].code, "xa-tan-lap-2");
  EXPECT_EQ(result->areas[2].code, "thi-tran-doi-ngo");
  EXPECT_EQ(result->areas[2].name, "Thị trấn Đồi Ngô");

  options.code_field = "dien_tich";
  auto coded = ReadAreas(path, options);
  ASSERT_TRUE(coded.ok()) << coded.status().message();
  EXPECT_EQ(coded->areas[1].code, "13");
}

TEST(AreaReader, ShapefileWithoutPrjNeedsACrsWhenProjected) {
  const std::string dir = FreshDir("noprj");
  const std::string path = dir + "/xa.shp";
  WriteDataset("ESRI Shapefile", path,
               {{"xa",
                 wkbPolygon,
                 "",
                 {"ten_xa"},
                 {{"POLYGON ((600000 2360000,601000 2360000,601000 2361000,600000 2360000))",
                   {"Xã Nghĩa Phương"}}}}});
  ASSERT_FALSE(fs::exists(dir + "/xa.prj"));
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  auto result = ReadAreas(path, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status().message(), "CRS")) << result.status().message();
  EXPECT_TRUE(Contains(result.status().message(), "projected"));

  options.source_crs = "EPSG:32648";
  auto with_crs = ReadAreas(path, options);
  ASSERT_TRUE(with_crs.ok()) << with_crs.status().message();
  ASSERT_EQ(with_crs->areas.size(), 1u);
  ExpectWellFormed(with_crs->areas[0]);
}

TEST(AreaReader, ShapefileWithoutPrjInLonLatIsWgs84) {
  const std::string dir = FreshDir("noprj_lonlat");
  const std::string path = dir + "/xa.shp";
  WriteDataset("ESRI Shapefile", path,
               {{"xa",
                 wkbPolygon,
                 "",
                 {"ten_xa"},
                 {{"POLYGON ((106.2 21.3,106.3 21.3,106.3 21.4,106.2 21.3))", {"Xã A"}}}}});
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  auto result = ReadAreas(path, options);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->areas.size(), 1u);
  ExpectVertexNear(result->areas[0], 106.3, 21.4);
}

TEST(AreaReader, GeographicCrsWithProjectedNumbersIsRefused) {
  // GeoJSON is WGS84 by definition; metres in it mean the CRS is wrong.
  const std::string dir = FreshDir("geojson_metres");
  const std::string path = WriteText(
      dir, "metres.geojson",
      GeoJson(Feature(
          R"({"name":"A"})",
          R"({"type":"Polygon","coordinates":[[[600000,2360000],[601000,2360000],[601000,2361000],[600000,2360000]]]})")));
  auto result = ReadAreas(path, {});
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(result.status().message(), "CRS")) << result.status().message();
}

TEST(AreaReader, RepeatedCodeMergesPartsOrIsRejected) {
  const std::string dir = FreshDir("parts");
  const std::string path =
      WriteText(dir, "parts.geojson",
                GeoJson(Feature(R"({"name":"Xã Đảo","code":"D1"})", kSquare) + "," +
                        Feature(R"({"name":"Xã Đảo","code":"D1"})", kSquare2) + "," +
                        Feature(R"({"name":"Xã Khác","code":"D1"})", kSquare2)));
  auto result = ReadAreas(path, {});
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->areas.size(), 1u);
  geo::OgrGeometryPtr g = FromWkb(result->areas[0].wkb);
  EXPECT_EQ(OGR_G_GetGeometryCount(g.get()), 2);
  EXPECT_NEAR(OGR_G_Area(g.get()), 0.02, 1e-9);
  ExpectWellFormed(result->areas[0]);
  ASSERT_EQ(result->repaired.size(), 1u);
  EXPECT_EQ(result->repaired[0].row, 2u);
  EXPECT_EQ(result->repaired[0].code, "merged");
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].row, 3u);
  EXPECT_EQ(result->rejected[0].code, "duplicate_id");
  EXPECT_EQ(result->areas.size() + result->rejected.size() + Merged(*result), result->rows_read);
}

TEST(AreaReader, UnreadableSources) {
  EXPECT_EQ(ReadAreas(::testing::TempDir() + "/no_such.geojson", {}).status().code(),
            StatusCode::kNotFound);
  const std::string dir = FreshDir("garbage");
  auto result = ReadAreas(WriteText(dir, "notes.txt", "this is not a boundary\n"), {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace covgap::importers
