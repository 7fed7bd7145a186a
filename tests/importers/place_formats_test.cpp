// Schools, households and areas from the files people really have: XLSX and ODS with Vietnamese
// headers, Shapefiles in TCVN3 with a wrong .cpg, VN-2000 coordinates, GeoPackage, GeoJSON, KML.
// Every file is made here with GDAL (and iconv for TCVN3 text).
#include <gtest/gtest.h>
#include <iconv.h>

#include <cmath>
#include <fstream>
#include <map>

#include "geo/spatial/gdal_handles.h"
#include "importers/area_reader.h"
#include "importers/place_reader.h"
#include "tests/support/legacy_text.h"

namespace covgap::importers {
namespace {

using covgap::test_support::Project;
using covgap::test_support::ToTcvn3;

using geo::DatasetPtr;

std::string Tmp(const std::string& name) { return ::testing::TempDir() + "/" + name; }

struct Feature {
  std::map<std::string, std::string> text;  // field -> raw value (bytes as given)
  std::optional<std::pair<double, double>> point;
};

// Writes a layer with string fields (in `columns` order) and optional points.
void WriteLayer(const std::string& driver, const std::string& path,
                const std::vector<std::string>& columns, const std::vector<Feature>& features,
                const std::string& crs = "", std::vector<const char*> layer_options = {}) {
  geo::InitGdal();
  std::remove(path.c_str());
  GDALDriverH drv = GDALGetDriverByName(driver.c_str());
  ASSERT_NE(drv, nullptr) << driver;
  DatasetPtr ds(GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  ASSERT_TRUE(ds) << CPLGetLastErrorMsg();
  geo::SrsPtr srs;
  if (!crs.empty()) srs = std::move(geo::MakeSrs(crs).value());
  layer_options.push_back(nullptr);
  OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), "places", srs.get(),
                                           features.front().point ? wkbPoint : wkbNone,
                                           const_cast<char**>(layer_options.data()));
  ASSERT_NE(layer, nullptr) << CPLGetLastErrorMsg();
  for (const auto& c : columns) {
    const geo::FieldDefnPtr f(OGR_Fld_Create(c.c_str(), OFTString));
    OGR_L_CreateField(layer, f.get(), TRUE);
  }
  for (const auto& feature : features) {
    geo::FeaturePtr f(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
    for (std::size_t i = 0; i < columns.size(); ++i) {
      auto it = feature.text.find(columns[i]);
      if (it != feature.text.end())
        OGR_F_SetFieldString(f.get(), static_cast<int>(i), it->second.c_str());
    }
    if (feature.point) {
      OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
      OGR_G_SetPoint_2D(g, 0, feature.point->first, feature.point->second);
      OGR_F_SetGeometryDirectly(f.get(), g);
    }
    ASSERT_EQ(OGR_L_CreateFeature(layer, f.get()), OGRERR_NONE) << CPLGetLastErrorMsg();
  }
}

TEST(PlaceFormats, XlsxWithVietnameseHeadersAndAMapping) {
  const std::string path = Tmp("truong_hoc.xlsx");
  const std::vector<std::string> columns = {
      "Mã trường", "Tên trường", "Cấp học", "Số học sinh", "Số HS không có thiết bị",
      "Vĩ độ",     "Kinh độ"};
  WriteLayer("XLSX", path, columns,
             {{{{"Mã trường", "BG-TH-001"},
                {"Tên trường", "Trường Tiểu học Cấm Sơn"},
                {"Cấp học", "Tiểu học"},
                {"Số học sinh", "412"},
                {"Số HS không có thiết bị", "37"},
                {"Vĩ độ", "21.4501"},
                {"Kinh độ", "106.6203"}},
               std::nullopt},
              {{{"Mã trường", "BG-THCS-002"},
                {"Tên trường", "Trường THCS Lục Sơn"},
                {"Cấp học", "THCS"},
                {"Số học sinh", "300"},
                {"Số HS không có thiết bị", "12"},
                {"Vĩ độ", "21.31"},
                {"Kinh độ", "106.42"}},
               std::nullopt},
              {{{"Mã trường", "BG-X-003"},
                {"Tên trường", "Trường Đại học"},
                {"Cấp học", "Đại học"},
                {"Số học sinh", "9000"},
                {"Số HS không có thiết bị", "0"},
                {"Vĩ độ", "21.3"},
                {"Kinh độ", "106.2"}},
               std::nullopt}});
  // The Department's Vietnamese headers are known without a mapping, and the report says so.
  auto unmapped = ReadSchools(path);
  ASSERT_TRUE(unmapped.ok()) << unmapped.status().message();
  ASSERT_EQ(unmapped->schools.size(), 2u);
  EXPECT_EQ(unmapped->schools[0].students, 412);
  EXPECT_EQ(unmapped->schools[0].students_nodev, 37);
  EXPECT_EQ(DescribeColumnUse(unmapped->source.columns),
            "school_id \u2190 Mã trường, name \u2190 Tên trường, level \u2190 Cấp học, "
            "lat \u2190 Vĩ độ, lon \u2190 Kinh độ, students_nodev \u2190 Số HS không có thiết bị, "
            "students \u2190 Số học sinh");

  auto mapping = ParseColumnMapping(
      "# schools from the Sở GD&ĐT spreadsheet\n"
      "school_id = Mã trường\nname = Tên trường\nlevel = Cấp học\nstudents = Số học sinh\n"
      "students_nodev = Số HS không có thiết bị\n",
      PlaceKind::kSchools);
  ASSERT_TRUE(mapping.ok()) << mapping.status().message();
  PlaceReadOptions options;
  options.columns = mapping.value();
  auto read = ReadSchools(path, options);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->source.format, "XLSX");
  ASSERT_EQ(read->source.columns.size(), 7u);
  EXPECT_TRUE(read->source.columns[0].mapped);   // school_id
  EXPECT_FALSE(read->source.columns[3].mapped);  // lat: Vĩ độ, recognised
  ASSERT_EQ(read->schools.size(), 2u);
  const geo::School& s = read->schools[0];
  EXPECT_EQ(s.school_id, "BG-TH-001");
  EXPECT_EQ(s.name, "Trường Tiểu học Cấm Sơn");
  EXPECT_EQ(s.level, geo::SchoolLevel::kPrimary);
  EXPECT_EQ(s.students, 412);
  EXPECT_EQ(s.students_nodev, 37);
  EXPECT_DOUBLE_EQ(s.lat, 21.4501);
  EXPECT_DOUBLE_EQ(s.lon, 106.6203);
  EXPECT_EQ(read->schools[1].level, geo::SchoolLevel::kLowerSecondary);
  ASSERT_EQ(read->rejected.size(), 1u);
  EXPECT_EQ(read->rejected[0].code, "unknown_level");
  // Spreadsheet rows are numbered as the sheet shows them: the header is row 1.
  EXPECT_EQ(read->rejected[0].row, 4u);
  EXPECT_EQ(read->rows, (std::vector<std::uint64_t>{2, 3}));

  EXPECT_FALSE(ParseColumnMapping("school = Mã", PlaceKind::kSchools).ok());
  EXPECT_FALSE(ParseColumnMapping("no equals sign", PlaceKind::kSchools).ok());
}

TEST(PlaceFormats, OdsHouseholdsWithVietnameseCategories) {
  const std::string path = Tmp("ho_gia_dinh.ods");
  WriteLayer("ODS", path, {"household_id", "category", "lat", "lon", "students_nodev"},
             {{{{"household_id", "HH1"},
                {"category", "Hộ nghèo"},
                {"lat", "21.35"},
                {"lon", "106.7"},
                {"students_nodev", "2"}},
               std::nullopt},
              {{{"household_id", "HH2"},
                {"category", "Cận nghèo"},
                {"lat", "21.36"},
                {"lon", "106.71"},
                {"students_nodev", "1"}},
               std::nullopt},
              {{{"household_id", "HH3"},
                {"category", "rich"},
                {"lat", "21.36"},
                {"lon", "106.71"},
                {"students_nodev", "1"}},
               std::nullopt}});
  auto read = ReadHouseholds(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->households.size(), 2u);
  EXPECT_EQ(read->households[0].category, geo::HouseholdCategory::kPoor);
  EXPECT_EQ(read->households[1].category, geo::HouseholdCategory::kNearPoor);
  ASSERT_EQ(read->rejected.size(), 1u);
  EXPECT_EQ(read->rejected[0].code, "unknown_category");
}

TEST(PlaceFormats, Tcvn3ShapefileWithAWrongCpgInVn2000) {
  const std::string path = Tmp("schools_tcvn3.shp");
  const std::vector<std::pair<double, double>> lonlat = {{106.6203, 21.4501}, {106.85, 21.33}};
  const std::vector<std::string> names = {"Trường Tiểu học Cấm Sơn", "Trường THPT Sơn Động"};
  std::vector<Feature> features;
  for (int i = 0; i < 2; ++i) {
    features.push_back({{{"school_id", "S" + std::to_string(i)},
                         {"name", ToTcvn3(names[i])},
                         {"level", i == 0 ? "primary" : "upper_secondary"},
                         {"students_nodev", "5"}},
                        Project(lonlat[i].first, lonlat[i].second, "EPSG:9214")});
  }
  WriteLayer("ESRI Shapefile", path, {"school_id", "name", "level", "students_nodev"}, features,
             "EPSG:9214", {"ENCODING="});
  std::ofstream(Tmp("schools_tcvn3.cpg")) << "UTF-8";  // wrong: the text is TCVN3
  auto read = ReadSchools(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->source.encoding, "TCVN3");
  EXPECT_NE(read->source.encoding_note.find("UTF-8"), std::string::npos)
      << read->source.encoding_note;
  ASSERT_EQ(read->schools.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(read->schools[i].name, names[i]);  // UTF-8 NFC, byte-exact
    EXPECT_NEAR(read->schools[i].lon, lonlat[i].first, 1e-7);
    EXPECT_NEAR(read->schools[i].lat, lonlat[i].second, 1e-7);
  }
  // --encoding forces a decoding.
  PlaceReadOptions forced;
  forced.encoding = Encoding::kTcvn3;
  EXPECT_EQ(ReadSchools(path, forced)->schools[1].name, names[1]);
}

TEST(PlaceFormats, Vn2000XYColumnsNeedTheirCrs) {
  const auto [x, y] = Project(106.2, 21.27, "EPSG:9214");
  char row[200];
  std::snprintf(row, sizeof row, "A,Trường A,primary,%.3f,%.3f,3\n", x, y);
  const std::string path = Tmp("schools_vn2000.csv");
  std::ofstream(path) << "school_id,name,level,X,Y,students_nodev\n" << row;
  auto refused = ReadSchools(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("EPSG:9214"), std::string::npos);
  EXPECT_NE(refused.status().message().find("projected"), std::string::npos);
  PlaceReadOptions options;
  options.source_crs = "EPSG:9214";
  auto read = ReadSchools(path, options);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->schools.size(), 1u);
  EXPECT_NEAR(read->schools[0].lon, 106.2, 1e-7);
  EXPECT_NEAR(read->schools[0].lat, 21.27, 1e-7);
}

TEST(PlaceFormats, PointGeometryFromGeoPackageGeoJsonAndKml) {
  for (const auto& [driver, file] :
       {std::pair{"GPKG", "households.gpkg"}, std::pair{"GeoJSON", "households.geojson"}}) {
    const std::string path = Tmp(file);
    WriteLayer(driver, path, {"household_id", "category", "students_nodev", "district"},
               {{{{"household_id", "H1"},
                  {"category", "poor"},
                  {"students_nodev", "3"},
                  {"district", "Huyện Sơn Động"}},
                 std::pair{106.85, 21.33}}},
               "EPSG:4326");
    auto read = ReadHouseholds(path);
    ASSERT_TRUE(read.ok()) << driver << ": " << read.status().message();
    ASSERT_EQ(read->households.size(), 1u)
        << driver << ": " << (read->rejected.empty() ? "" : read->rejected[0].reason);
    EXPECT_NEAR(read->households[0].lon, 106.85, 1e-9) << driver;
    EXPECT_NEAR(read->households[0].lat, 21.33, 1e-9) << driver;
    EXPECT_EQ(read->households[0].district, "Huyện Sơn Động") << driver;
  }
}

TEST(PlaceFormats, SitesFromAGeoPackageInUtmWithPointGeometry) {
  const std::string path = Tmp("sites.gpkg");
  const std::vector<std::pair<double, double>> lonlat = {
      {106.3012, 21.2987}, {106.85, 21.33}, {106.5, 21.4}};
  std::vector<Feature> features;
  features.push_back({{{"site_id", "VT-BG0001-4G"},
                       {"operator", "viettel"},
                       {"tech", "LTE"},
                       {"height_m", "45"},
                       {"azimuth_deg", "240"},
                       {"beamwidth_deg", "65"}},
                      Project(lonlat[0].first, lonlat[0].second, "EPSG:32648")});
  features.push_back({{{"site_id", "VN-BG0002-3G"}, {"operator", "vnpt"}, {"tech", "UMTS"}},
                      Project(lonlat[1].first, lonlat[1].second, "EPSG:32648")});
  features.push_back(
      {{{"site_id", "VN-BG0003-3G"}, {"operator", "vnpt"}, {"tech", "UMTS"}, {"eirp_dbm", "-3"}},
       Project(lonlat[2].first, lonlat[2].second, "EPSG:32648")});
  WriteLayer("GPKG", path,
             {"site_id", "operator", "tech", "height_m", "azimuth_deg", "beamwidth_deg", "band_mhz",
              "eirp_dbm"},
             features, "EPSG:32648");
  auto read = ReadSites(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->source.format, "GPKG");
  EXPECT_EQ(read->rows_read, 3u);
  ASSERT_EQ(read->sites.size(), 2u);
  ASSERT_EQ(read->rejected.size(), 1u);
  EXPECT_EQ(read->rejected[0].row, 3u);
  EXPECT_EQ(read->rejected[0].code, "out_of_range");
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(read->sites[i].lon, lonlat[i].first, 1e-7);  // reprojected from UTM 48N
    EXPECT_NEAR(read->sites[i].lat, lonlat[i].second, 1e-7);
  }
  EXPECT_EQ(read->sites[0].site_id, "VT-BG0001-4G");
  EXPECT_DOUBLE_EQ(read->sites[0].height_m, 45);
  EXPECT_EQ(read->sites[0].azimuth_deg, std::optional<double>(240));
  EXPECT_EQ(read->sites[0].beamwidth_deg, std::optional<double>(65));
  EXPECT_DOUBLE_EQ(read->sites[0].band_mhz, 1800);
  EXPECT_EQ(read->sites[1].tech, geo::Technology::kUmts);
  EXPECT_FALSE(read->sites[1].azimuth_deg.has_value());
  EXPECT_DOUBLE_EQ(read->sites[1].band_mhz, 2100);
  EXPECT_DOUBLE_EQ(read->sites[1].eirp_dbm, 58);
  EXPECT_DOUBLE_EQ(read->sites[1].height_m, 30);
}

TEST(PlaceFormats, KmlPlacemarksWithExtendedData) {
  const std::string path = Tmp("households.kml");
  std::ofstream(path) << R"(<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>households</name>
<Placemark><name>H1</name>
 <ExtendedData><Data name="household_id"><value>H1</value></Data>
  <Data name="category"><value>Hộ nghèo</value></Data>
  <Data name="students_nodev"><value>3</value></Data>
  <Data name="district"><value>Huyện Sơn Động</value></Data></ExtendedData>
 <Point><coordinates>106.85,21.33,0</coordinates></Point></Placemark>
</Folder></Document></kml>)";
  auto read = ReadHouseholds(path);
  ASSERT_TRUE(read.ok()) << read.status().message();
  ASSERT_EQ(read->households.size(), 1u)
      << (read->rejected.empty() ? "" : read->rejected[0].reason);
  EXPECT_EQ(read->households[0].category, geo::HouseholdCategory::kPoor);
  EXPECT_NEAR(read->households[0].lon, 106.85, 1e-9);
  EXPECT_EQ(read->households[0].district, "Huyện Sơn Động");
}

TEST(PlaceFormats, ShapefileWithoutPrjAndProjectedNumbersSaysWhatToPass) {
  const std::string path = Tmp("noprj_schools.shp");
  WriteLayer("ESRI Shapefile", path, {"school_id", "name", "level", "students_nodev"},
             {{{{"school_id", "A"}, {"name", "A"}, {"level", "primary"}, {"students_nodev", "1"}},
               std::pair{600000.0, 2360000.0}}});
  std::remove(Tmp("noprj_schools.prj").c_str());
  auto read = ReadSchools(path);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("--crs"), std::string::npos);
  PlaceReadOptions options;
  options.source_crs = "EPSG:32648";
  auto fixed = ReadSchools(path, options);
  ASSERT_TRUE(fixed.ok()) << fixed.status().message();
  EXPECT_EQ(fixed->schools.size(), 1u);
}

TEST(AreaFormats, Tcvn3BoundariesWithAWrongCpgAreDecoded) {
  geo::InitGdal();
  const std::string path = Tmp("huyen_tcvn3.shp");
  std::remove(path.c_str());
  DatasetPtr ds(GDALCreate(GDALGetDriverByName("ESRI Shapefile"), path.c_str(), 0, 0, 0,
                           GDT_Unknown, nullptr));
  auto srs = geo::MakeSrs("EPSG:4326");
  const char* options[] = {"ENCODING=", nullptr};
  OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), "huyen_tcvn3", srs->get(), wkbPolygon,
                                           const_cast<char**>(options));
  const geo::FieldDefnPtr f(OGR_Fld_Create("ten", OFTString));
  OGR_L_CreateField(layer, f.get(), TRUE);
  const std::vector<std::string> names = {"Huyện Lục Ngạn", "Huyện Sơn Động",
                                          "Thành phố Bắc Giang"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    geo::FeaturePtr feature(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
    OGR_F_SetFieldString(feature.get(), 0, ToTcvn3(names[i]).c_str());
    OGRGeometryH g = nullptr;
    std::string wkt = "POLYGON((106." + std::to_string(i) + " 21.3,106." + std::to_string(i) +
                      "5 21.3,106." + std::to_string(i) + "5 21.4,106." + std::to_string(i) +
                      " 21.4,106." + std::to_string(i) + " 21.3))";
    char* text = wkt.data();
    OGR_G_CreateFromWkt(&text, nullptr, &g);
    OGR_F_SetGeometryDirectly(feature.get(), g);
    ASSERT_EQ(OGR_L_CreateFeature(layer, feature.get()), OGRERR_NONE);
  }
  ds.reset();
  std::ofstream(Tmp("huyen_tcvn3.cpg")) << "UTF-8";
  AreaReadOptions read_options;
  read_options.level = geo::AreaLevel::kDistrict;
  auto read = ReadAreas(path, read_options);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->encoding, "TCVN3");
  ASSERT_EQ(read->areas.size(), 3u);
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(read->areas[i].name, names[i]);
  EXPECT_EQ(read->areas[0].code, "huyen-luc-ngan");
}

}  // namespace
}  // namespace covgap::importers
