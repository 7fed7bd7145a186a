// One file per family of spellings (docs/importing.md "Accepted column names") for every import
// kind, read by the real readers: covgap's export names, full English names, common variants,
// Shapefile (10-character) cuts, Vietnamese headers with and without diacritics. Then an
// ambiguous file and a refused one.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "importers/area_reader.h"
#include "importers/column_names.h"
#include "importers/drive_test_log.h"
#include "importers/place_reader.h"

namespace covgap::importers {
namespace {

struct Family {
  const char* name;
  const char* header;
};

std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ColumnSpellings, Schools) {
  const Family families[] = {
      {"export", "school_id,name,level,lat,lon,students_nodev,students"},
      {"english", "school_id,name,level,latitude,longitude,students_without_device,students"},
      {"variants", "school_code,school_name,education_level,lat,lng,no_device,num_students"},
      {"shapefile", "school_cod,school_nam,education_,latitude,longitude,students_w,num_studen"},
      {"vietnamese",
       "Mã trường,Tên trường,Cấp học,Vĩ độ,Kinh độ,Số HS không có thiết bị,Số học sinh"},
      {"ascii", "MA_TRUONG,ten truong,Cap Hoc,vi_do,KINH DO,so_hs_khong_co_thiet_bi,so hoc sinh"},
  };
  for (const Family& f : families) {
    SCOPED_TRACE(f.name);
    const std::string path =
        WriteFile(std::string("schools_") + f.name + ".csv",
                  std::string(f.header) + "\nBG-1,Trường Tiểu học A,Tiểu học,21.3,106.2,7,100\n");
    auto read = ReadSchools(path);
    ASSERT_TRUE(read.ok()) << read.status().message();
    ASSERT_EQ(read->schools.size(), 1u);
    const geo::School& s = read->schools[0];
    EXPECT_EQ(s.school_id, "BG-1");
    EXPECT_EQ(s.name, "Trường Tiểu học A");
    EXPECT_EQ(s.level, geo::SchoolLevel::kPrimary);
    EXPECT_DOUBLE_EQ(s.lat, 21.3);
    EXPECT_DOUBLE_EQ(s.lon, 106.2);
    EXPECT_EQ(s.students_nodev, 7);
    EXPECT_EQ(s.students, 100);
    // Every column was understood: the report lists all seven.
    EXPECT_EQ(read->source.columns.size(), 7u) << DescribeColumnUse(read->source.columns);
  }
}

TEST(ColumnSpellings, Households) {
  const Family families[] = {
      {"export", "household_id,category,lat,lon,students_nodev"},
      {"english", "household_id,category,latitude,longitude,students_without_device"},
      {"variants", "hh_id,household_type,lat,long,students_no_device"},
      {"shapefile", "household_,category,latitude,longitude,students_w"},
      {"vietnamese", "Mã hộ,Loại hộ,Vĩ độ,Kinh độ,HS không có thiết bị"},
      {"ascii", "ma_ho,LOAI_HO,vi do,kinh_do,hs_khong_co_thiet_bi"},
  };
  for (const Family& f : families) {
    SCOPED_TRACE(f.name);
    const std::string path = WriteFile(std::string("households_") + f.name + ".csv",
                                       std::string(f.header) + "\nHH-1,Hộ nghèo,21.3,106.2,2\n");
    auto read = ReadHouseholds(path);
    ASSERT_TRUE(read.ok()) << read.status().message();
    ASSERT_EQ(read->households.size(), 1u);
    const geo::Household& h = read->households[0];
    EXPECT_EQ(h.household_id, "HH-1");
    EXPECT_EQ(h.category, geo::HouseholdCategory::kPoor);
    EXPECT_DOUBLE_EQ(h.lat, 21.3);
    EXPECT_DOUBLE_EQ(h.lon, 106.2);
    EXPECT_EQ(h.students_nodev, 2);
    EXPECT_EQ(read->source.columns.size(), 5u) << DescribeColumnUse(read->source.columns);
  }
}

TEST(ColumnSpellings, Sites) {
  const Family families[] = {
      {"export", "site_id,operator,tech,lat,lon,height_m,azimuth_deg,band_mhz"},
      {"english",
       "site_id,operator,technology,latitude,longitude,antenna_height,azimuth,frequency_mhz"},
      {"variants", "site_code,carrier,rat,lat,lng,height,azimuth,band"},
      {"shapefile",
       "site_id,operator,technology,latitude,longitude,antenna_he,azimuth_de,frequency_"},
      {"vietnamese", "Mã trạm,Nhà mạng,Công nghệ,Vĩ độ,Kinh độ,Độ cao,Phương vị,Băng tần"},
      {"ascii", "ma_tram,nha mang,CONG_NGHE,vi_do,kinh_do,do_cao,phuong_vi,bang_tan"},
  };
  for (const Family& f : families) {
    SCOPED_TRACE(f.name);
    const std::string path =
        WriteFile(std::string("sites_") + f.name + ".csv",
                  std::string(f.header) + "\nVT-1,Viettel,4G,21.3,106.2,42,120,2100\n");
    auto read = ReadSites(path);
    ASSERT_TRUE(read.ok()) << read.status().message();
    ASSERT_EQ(read->sites.size(), 1u);
    const geo::Site& s = read->sites[0];
    EXPECT_EQ(s.site_id, "VT-1");
    EXPECT_EQ(s.operator_id, "viettel");
    EXPECT_EQ(s.tech, geo::Technology::kLte);
    EXPECT_DOUBLE_EQ(s.lat, 21.3);
    EXPECT_DOUBLE_EQ(s.height_m, 42);
    ASSERT_TRUE(s.azimuth_deg.has_value());
    EXPECT_DOUBLE_EQ(*s.azimuth_deg, 120);
    EXPECT_DOUBLE_EQ(s.band_mhz, 2100);
    EXPECT_EQ(read->source.columns.size(), 8u) << DescribeColumnUse(read->source.columns);
  }
}

TEST(ColumnSpellings, Measurements) {
  const Family families[] = {
      {"export", "operator,tech,lat,lon,signal_dbm,timestamp"},
      {"english", "operator_id,technology,latitude,longitude,signal_strength,datetime"},
      {"variants", "carrier,rat,lat,lng,signal,time"},
      {"shapefile", "operator,network_ty,latitude,longitude,signal_str,timestamp"},
      {"vietnamese", "Nhà mạng,Công nghệ,Vĩ độ,Kinh độ,Cường độ tín hiệu,Thời gian"},
      {"ascii", "nha_mang,cong nghe,VI_DO,kinh_do,cuong_do_tin_hieu,thoi_gian"},
  };
  for (const Family& f : families) {
    SCOPED_TRACE(f.name);
    const std::string path =
        WriteFile(std::string("measurements_") + f.name + ".csv",
                  std::string(f.header) + "\nviettel,LTE,21.3,106.2,-97,2021-11-30T08:15:00Z\n");
    // Detected as covgap's CSV by its header.
    auto reader =
        OpenMeasurementFile(path, MeasurementFormat::kAuto, OperatorMap::VietnamDefaults());
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    EXPECT_EQ((*reader)->format(), MeasurementFormat::kNative);
    EXPECT_EQ((*reader)->columns().size(), 6u);
    CsvMeasurementChunk chunk;
    ASSERT_TRUE((*reader)->Next(chunk, 10));
    ASSERT_EQ(chunk.rows.size(), 1u);
    ASSERT_FALSE(chunk.rows[0].rejection.has_value()) << chunk.rows[0].rejection->reason;
    const geo::Measurement& m = chunk.rows[0].measurement;
    EXPECT_EQ(m.operator_id, "viettel");
    EXPECT_EQ(m.tech, geo::Technology::kLte);
    EXPECT_DOUBLE_EQ(m.lat, 21.3);
    EXPECT_DOUBLE_EQ(m.lon, 106.2);
    EXPECT_EQ(m.signal_dbm, -97);
    EXPECT_EQ(m.time_ms, 1638260100000);
  }
}

// Drive-test CSVs share the table machinery: Vietnamese headers too, and the first of two
// columns for one meaning wins (apps log what they log) instead of refusing the file.
TEST(ColumnSpellings, DriveTestCsv) {
  const std::string path = WriteFile("drive_vi.csv",
                                     "Thời gian;Time;Vĩ độ;Kinh độ;Nhà mạng;RSRP\n"
                                     "2021-11-30 15:15:00;x;21.3;106.2;Viettel;-101\n");
  auto reader = OpenMeasurementFile(path, MeasurementFormat::kAuto, OperatorMap::VietnamDefaults());
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->format(), MeasurementFormat::kGenericCsv);
  EXPECT_EQ(DescribeColumnUse((*reader)->columns()),
            "timestamp \u2190 Thời gian, lat \u2190 Vĩ độ, lon \u2190 Kinh độ, "
            "operator \u2190 Nhà mạng, rsrp \u2190 RSRP");
  CsvMeasurementChunk chunk;
  ASSERT_TRUE((*reader)->Next(chunk, 10));
  ASSERT_EQ(chunk.rows.size(), 1u);
  ASSERT_FALSE(chunk.rows[0].rejection.has_value()) << chunk.rows[0].rejection->reason;
  EXPECT_EQ(chunk.rows[0].measurement.operator_id, "viettel");
  EXPECT_EQ(chunk.rows[0].measurement.signal_dbm, -101);
  EXPECT_EQ(chunk.rows[0].measurement.time_ms, 1638260100000);  // 15:15 +07:00 = 08:15Z
}

TEST(ColumnSpellings, DistrictBoundaries) {
  const Family families[] = {
      {"export", R"("name":"Huyện Lục Ngạn","level2_id":"205")"},
      {"english", R"("district_name":"Huyện Lục Ngạn","district_code":"205")"},
      {"vietnamese", R"("Tên huyện":"Huyện Lục Ngạn","Mã huyện":"205")"},
      {"ascii", R"("TEN_HUYEN":"Huyện Lục Ngạn","ma_huyen":"205")"},
      {"shapefile", R"("district_n":"Huyện Lục Ngạn","district_c":"205")"},
  };
  for (const Family& f : families) {
    SCOPED_TRACE(f.name);
    const std::string path = WriteFile(
        std::string("districts_") + f.name + ".geojson",
        std::string(R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{)") +
            f.header +
            R"(},"geometry":{"type":"Polygon","coordinates":[[[106.5,21.3],[106.6,21.3],)"
            R"([106.6,21.4],[106.5,21.4],[106.5,21.3]]]}}]})");
    AreaReadOptions options;
    options.level = geo::AreaLevel::kDistrict;
    auto read = ReadAreas(path, options);
    ASSERT_TRUE(read.ok()) << read.status().message();
    ASSERT_EQ(read->areas.size(), 1u);
    EXPECT_EQ(read->areas[0].name, "Huyện Lục Ngạn");
    EXPECT_EQ(read->areas[0].code, "205");
    ASSERT_EQ(read->columns.size(), 2u);
    EXPECT_EQ(read->columns[0].field, "name");
    EXPECT_EQ(read->columns[1].field, "code");
  }
}

// The issue's file: both spellings of one field in one header.
TEST(ColumnSpellings, AnAmbiguousFileIsRefusedNamingBothColumns) {
  const std::string path = WriteFile("schools_ambiguous.csv",
                                     "school_id,name,level,lat,lon,students_nodev,"
                                     "students_without_device\nBG-1,A,primary,21.3,106.2,1,2\n");
  auto read = ReadSchools(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  const std::string& m = read.status().message();
  EXPECT_TRUE(Contains(m, path + ": two columns match students_nodev: 'students_nodev' (column 6) "
                                 "and 'students_without_device' (column 7)"))
      << m;
  EXPECT_TRUE(Contains(m, "--columns")) << m;
  // Said which one: read.
  PlaceReadOptions options;
  options.columns = {{"students_nodev", "students_without_device"}};
  auto settled = ReadSchools(path, options);
  ASSERT_TRUE(settled.ok()) << settled.status().message();
  EXPECT_EQ(settled->schools[0].students_nodev, 2);
}

TEST(ColumnSpellings, ARefusedFileListsTheAcceptedNames) {
  const std::string path = WriteFile(
      "households_refused.csv", "household_id,category,lat,lon,so_em\nHH-1,poor,21.3,106.2,2\n");
  auto read = ReadHouseholds(path);
  ASSERT_FALSE(read.ok());
  const std::string& m = read.status().message();
  EXPECT_TRUE(Contains(m, "missing required column(s): students_nodev")) << m;
  EXPECT_TRUE(Contains(m, "the file has: household_id, category, lat, lon, so_em")) << m;
  for (const std::string& name :
       ColumnsOf(ImportKind::kHouseholds)
           .fields[ColumnsOf(ImportKind::kHouseholds).IndexOf("students_nodev")]
           .spellings) {
    EXPECT_TRUE(Contains(m, name)) << name << " not in: " << m;
  }
  EXPECT_TRUE(Contains(m, "Name other columns with a column mapping (--columns FILE).")) << m;
  // Boundaries say how to name the field there.
  const std::string areas = WriteFile(
      "areas_refused.geojson",
      R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{"label":"X"},)"
      R"("geometry":{"type":"Polygon","coordinates":[[[106,21],[107,21],[107,22],[106,21]]]}}]})");
  AreaReadOptions options;
  options.level = geo::AreaLevel::kCommune;
  auto refused = ReadAreas(areas, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Contains(refused.status().message(), "ten_xa, tên xã")) << refused.status().message();
  EXPECT_TRUE(Contains(refused.status().message(), "--name-field")) << refused.status().message();
}

}  // namespace
}  // namespace covgap::importers
