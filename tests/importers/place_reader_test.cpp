#include "importers/place_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

namespace covgap::importers {
namespace {

std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// line -> code of every rejected row.
std::map<std::uint64_t, std::string> Codes(const std::vector<RowIssue>& issues) {
  std::map<std::uint64_t, std::string> out;
  for (const RowIssue& i : issues) out[i.row] = i.code;
  return out;
}

PlaceReadOptions InRegion(const geo::Region& region) {
  PlaceReadOptions options;
  options.region = region;
  return options;
}

const RowIssue* IssueAt(const std::vector<RowIssue>& issues, std::uint64_t row) {
  for (const RowIssue& i : issues) {
    if (i.row == row) return &i;
  }
  return nullptr;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SchoolsCsv, EveryRejectionCodeOnceAmongGoodRows) {
  const std::string path = WriteFile(
      "schools_codes.csv",
      "\xEF\xBB\xBFSchool_ID,Name,LEVEL,district,commune,Lat,Lon,students,students_nodev,note\r\n"
      // 2: good, generator style
      "BG-TH-001,Trường Tiểu học Thị trấn Thắng,primary,Huyện Hiệp Hòa,Thị trấn Thắng,21.353330,"
      "105.978370,371,18,x\r\n"
      // 3: good, quoted name with a comma and quotes, blanks trimmed, level in another case
      "BG-THCS-002,\"  Trường THCS \"\"Lê Lợi\"\", số 2 \",Lower_Secondary, Huyện Lục Ngạn ,"
      "Xã Kiên Lao,21.40,106.60,500,0,\r\n"
      "BG-TH-003,,primary,Huyện Yên Thế,Xã Đồng Kỳ,21.5,106.1,100,1,\r\n"                // 4
      "BG-TH-004,Trường A,primary,Huyện Yên Thế,Xã Đồng Kỳ,21.5x,106.1,100,1,\r\n"       // 5
      "BG-TH-005,Trường B,dai_hoc,Huyện Yên Thế,Xã Đồng Kỳ,21.5,106.1,100,1,\r\n"        // 6
      "BG-TH-006,Trường C,primary,Huyện Yên Thế,Xã Đồng Kỳ,21.5,106.1,100,-1,\r\n"       // 7
      "BG-TH-007,Trường D,primary,Huyện Yên Thế,Xã Đồng Kỳ,21.5,106.1,10,11,\r\n"        // 8
      "BG-TH-001,Trường E,primary,Huyện Yên Thế,Xã Đồng Kỳ,21.5,106.1,100,1,\r\n"        // 9
      "BG-TH-009,Trường F,primary,Huyện Yên Thế,Xã Đồng Kỳ,106.1,21.5,100,1,\r\n"        // 10
      "BG-TH-010,Trường G,primary,Huyện Yên Thế,Xã Đồng Kỳ,10.0,100.0,100,1,\r\n"        // 11
      "BG-TH-011,Trường H,primary\r\n"                                                   // 12
      "\r\n"                                                                             // 13
      "BG-TH-012,Tr\xB5\xEAng I,primary,Huyện Yên Thế,Xã Đồng Kỳ,21.5,106.1,100,1,\r\n"  // 14
      // 15: good; optional students empty, a whole count written as 7.0
      "BG-GDTX-013,Trung tâm GDTX Lục Nam,continuing_ed,Huyện Lục Nam,,21.33,106.38,,7.0,\r\n"
      // 16-17: good; a quoted name across two lines
      "BG-THPT-014,\"Trường THPT Sơn Động\nsố 3\",upper_secondary,Huyện Sơn Động,Thị trấn An "
      "Châu,21.33,106.85,900,120,\r\n"
      "BG-TH-015,Trường Tiểu học Đồng Việt,primary,Huyện Yên Dũng,Xã Đồng Việt,21.18,106.28,"
      "250,25,\r\n");  // 18

  auto result = ReadSchools(path);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const SchoolImport& got = *result;

  const std::map<std::uint64_t, std::string> expected = {
      {4, "missing_value"},        {5, "not_a_number"},           {6, "unknown_level"},
      {7, "negative_count"},       {8, "nodev_exceeds_students"}, {9, "duplicate_id"},
      {10, "coordinates_swapped"}, {11, "outside_region"},        {12, "wrong_column_count"},
      {14, "invalid_encoding"}};
  EXPECT_EQ(Codes(got.rejected), expected);
  EXPECT_EQ(got.rows_read, 15u);
  EXPECT_EQ(got.schools.size() + got.rejected.size(), got.rows_read);
  ASSERT_EQ(got.schools.size(), 5u);

  const geo::School& s0 = got.schools[0];
  EXPECT_EQ(s0.school_id, "BG-TH-001");
  EXPECT_EQ(s0.name, "Trường Tiểu học Thị trấn Thắng");
  EXPECT_EQ(s0.level, geo::SchoolLevel::kPrimary);
  EXPECT_EQ(s0.district, "Huyện Hiệp Hòa");
  EXPECT_EQ(s0.commune, "Thị trấn Thắng");
  EXPECT_DOUBLE_EQ(s0.lat, 21.35333);
  EXPECT_DOUBLE_EQ(s0.lon, 105.97837);
  EXPECT_EQ(s0.students, 371);
  EXPECT_EQ(s0.students_nodev, 18);

  const geo::School& s1 = got.schools[1];
  EXPECT_EQ(s1.name, "Trường THCS \"Lê Lợi\", số 2");
  EXPECT_EQ(s1.level, geo::SchoolLevel::kLowerSecondary);
  EXPECT_EQ(s1.district, "Huyện Lục Ngạn");
  EXPECT_EQ(s1.students_nodev, 0);

  const geo::School& s2 = got.schools[2];
  EXPECT_EQ(s2.level, geo::SchoolLevel::kContinuingEd);
  EXPECT_EQ(s2.students, 0);
  EXPECT_EQ(s2.students_nodev, 7);
  EXPECT_EQ(s2.commune, "");

  EXPECT_EQ(got.schools[3].name, "Trường THPT Sơn Động\nsố 3");
  EXPECT_EQ(got.schools[3].commune, "Thị trấn An Châu");
  EXPECT_EQ(got.schools[4].school_id, "BG-TH-015");

  EXPECT_TRUE(Contains(IssueAt(got.rejected, 4)->reason, "name"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 5)->reason, "21.5x"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 6)->reason,
                       "primary, lower_secondary, upper_secondary, continuing_ed"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 9)->reason, "line 2"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 10)->reason, "swapped"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 12)->reason, "3 fields"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 14)->reason, "UTF-8"));

  std::int64_t nodev = 0;
  for (const geo::School& s : got.schools) nodev += s.students_nodev;
  EXPECT_EQ(nodev, 18 + 0 + 7 + 120 + 25);
}

TEST(SchoolsCsv, MissingRequiredColumnsAreNamed) {
  const std::string path =
      WriteFile("schools_missing.csv", "school_id,name,level,lon,students\nA,B,primary,106,1\n");
  auto result = ReadSchools(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status().message(), "lat, students_nodev"))
      << result.status().message();
}

TEST(SchoolsCsv, FileLevelErrors) {
  EXPECT_EQ(ReadSchools(::testing::TempDir() + "/no_such.csv").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(ReadSchools(WriteFile("empty.csv", "\xEF\xBB\xBF\r\n")).status().code(),
            StatusCode::kInvalidArgument);
  auto twice =
      ReadSchools(WriteFile("twice.csv", "school_id,name,level,lat,latitude,lon,students_nodev\n"));
  ASSERT_FALSE(twice.ok());
  EXPECT_TRUE(Contains(twice.status().message(),
                       "two columns match lat: 'lat' (column 4) and "
                       "'latitude' (column 5)"))
      << twice.status().message();
}

TEST(SchoolsCsv, HeaderOnlyGivesNothing) {
  auto result =
      ReadSchools(WriteFile("header_only.csv", "school_id,name,level,lat,lon,students_nodev"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->rows_read, 0u);
  EXPECT_TRUE(result->schools.empty());
}

TEST(SchoolsCsv, UnclosedQuoteSpoilsOnlyItsOwnLine) {
  auto result = ReadSchools(WriteFile("unclosed.csv",
                                      "school_id,name,level,lat,lon,students_nodev\n"
                                      "A,\"Trường A,primary,21.3,106.2,1\n"
                                      "B,Trường B,primary,21.3,106.2,1\n"
                                      "C,Trường C,primary,21.3,106.2,1\n"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->rows_read, 3u);
  ASSERT_EQ(result->schools.size(), 2u);
  EXPECT_EQ(result->schools[1].school_id, "C");
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].row, 2u);
  EXPECT_EQ(result->rejected[0].code, "wrong_column_count");
}

TEST(SchoolsCsv, CustomRegion) {
  const geo::Region bac_giang{105.85, 107.05, 21.1, 21.65};
  auto result = ReadSchools(WriteFile("region.csv",
                                      "school_id,name,level,lat,lon,students_nodev\n"
                                      "A,Trường ở Bắc Giang,primary,21.3,106.2,1\n"
                                      "B,Trường ở Hà Nội,primary,21.03,105.85,1\n"),
                            InRegion(bac_giang));
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->schools.size(), 1u);
  ASSERT_EQ(result->rejected.size(), 1u);
  EXPECT_EQ(result->rejected[0].code, "outside_region");
  EXPECT_EQ(result->rejected[0].row, 3u);
}

TEST(SchoolsCsv, GeneratorShapedFileIsReadWhole) {
  std::string content = "school_id,name,level,district,commune,lat,lon,students,students_nodev\n";
  std::int64_t nodev = 0;
  const char* levels[] = {"primary", "lower_secondary", "upper_secondary", "continuing_ed"};
  for (int i = 0; i < 3000; ++i) {
    const int n = 100 + i % 900;
    nodev += n / 10;
    content += "BG-" + std::to_string(i) + ",Trường số " + std::to_string(i) + "," + levels[i % 4] +
               ",Huyện Lục Ngạn,Xã Kiên Lao," + std::to_string(21.2 + i % 40 * 0.01) + "," +
               std::to_string(106.0 + i % 90 * 0.01) + "," + std::to_string(n) + "," +
               std::to_string(n / 10) + "\n";
  }
  auto result = ReadSchools(WriteFile("many_schools.csv", content));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->rows_read, 3000u);
  EXPECT_TRUE(result->rejected.empty());
  std::int64_t got = 0;
  for (const geo::School& s : result->schools) got += s.students_nodev;
  EXPECT_EQ(got, nodev);
}

TEST(HouseholdsCsv, EveryRejectionCodeOnceAmongGoodRows) {
  const std::string path = WriteFile(
      "households_codes.csv",
      // Any column order; latitude/longitude aliases.
      "commune,district,students_nodev,longitude,latitude,category,household_id\n"
      "Xã Thanh Lâm,Huyện Lục Nam,1,106.320208,21.323615,poor,HH000001\n"             // 2
      "Xã An Hà,Huyện Lạng Giang,2,106.217806,21.405599,Near_Poor,HH000002\n"         // 3
      "Xã An Hà,Huyện Lạng Giang,2,106.2,21.4,poor,\n"                                // 4
      "Xã An Hà,Huyện Lạng Giang,two,106.2,21.4,poor,HH000004\n"                      // 5
      "Xã An Hà,Huyện Lạng Giang,2,106.2,21.4,very_poor,HH000005\n"                   // 6
      "Xã An Hà,Huyện Lạng Giang,-2,106.2,21.4,poor,HH000006\n"                       // 7
      "Xã An Hà,Huyện Lạng Giang,2,106.2,21.4,poor,HH000001\n"                        // 8
      "Xã An Hà,Huyện Lạng Giang,2,21.4,106.2,poor,HH000008\n"                        // 9
      "Xã An Hà,Huyện Lạng Giang,2,2.0,48.8,poor,HH000009\n"                          // 10
      "Xã An Hà,Huyện Lạng Giang,2,106.2,21.4,poor,HH000010,extra\n"                  // 11
      ",,3,106.3,21.3,covid_orphan,HH000011\n"                                        // 12
      "Xã Đông Phú,Huyện Lục Nam,1,106.439759,21.367274,other_difficulty,HH000012");  // 13

  auto result = ReadHouseholds(path);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const HouseholdImport& got = *result;
  const std::map<std::uint64_t, std::string> expected = {
      {4, "missing_value"},   {5, "not_a_number"},       {6, "unknown_category"},
      {7, "negative_count"},  {8, "duplicate_id"},       {9, "coordinates_swapped"},
      {10, "outside_region"}, {11, "wrong_column_count"}};
  EXPECT_EQ(Codes(got.rejected), expected);
  EXPECT_EQ(got.rows_read, 12u);
  EXPECT_EQ(got.households.size() + got.rejected.size(), got.rows_read);
  ASSERT_EQ(got.households.size(), 4u);

  const geo::Household& h0 = got.households[0];
  EXPECT_EQ(h0.household_id, "HH000001");
  EXPECT_EQ(h0.category, geo::HouseholdCategory::kPoor);
  EXPECT_DOUBLE_EQ(h0.lat, 21.323615);
  EXPECT_DOUBLE_EQ(h0.lon, 106.320208);
  EXPECT_EQ(h0.students_nodev, 1);
  EXPECT_EQ(h0.district, "Huyện Lục Nam");
  EXPECT_EQ(h0.commune, "Xã Thanh Lâm");
  EXPECT_EQ(got.households[1].category, geo::HouseholdCategory::kNearPoor);
  EXPECT_EQ(got.households[2].category, geo::HouseholdCategory::kCovidOrphan);
  EXPECT_EQ(got.households[2].district, "");
  EXPECT_EQ(got.households[3].category, geo::HouseholdCategory::kOtherDifficulty);
  EXPECT_EQ(got.households[3].commune, "Xã Đông Phú");

  EXPECT_TRUE(Contains(IssueAt(got.rejected, 4)->reason, "household_id"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 6)->reason,
                       "poor, near_poor, covid_orphan, other_difficulty"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 7)->reason, "negative"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 8)->reason, "HH000001"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 9)->reason, "swapped"));

  std::int64_t nodev = 0;
  for (const geo::Household& h : got.households) nodev += h.students_nodev;
  EXPECT_EQ(nodev, 1 + 2 + 3 + 1);
}

TEST(HouseholdsCsv, MissingRequiredColumnsAreNamed) {
  auto result = ReadHouseholds(
      WriteFile("households_missing.csv", "household_id,lat,lon,district\nH,21,106,X\n"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(result.status().message(), "category, students_nodev"))
      << result.status().message();
}

// ---------------------------------------------------------------- sites

TEST(SitesCsv, EveryRejectionCodeOnceAmongGoodRowsWithTheDefaults) {
  const std::string path = WriteFile(
      "sites_codes.csv",
      "site_id,operator,tech,lat,lon,height_m,azimuth_deg,band_mhz,eirp_dbm,beamwidth_deg\n"
      // 2: good, every figure given
      "VT-BG0001-4G,viettel,LTE,21.300000,106.300000,35,120,1800,61.5,65\n"
      // 3: good, the optional figures empty: defaults by technology, omni; a name of the operator
      "VN-BG0002-3G,VinaPhone,3G,21.31,106.31,,,,,\n"
      ",viettel,LTE,21.3,106.3,30,,,,\n"                     // 4: no site id
      "VT-X5,,LTE,21.3,106.3,30,,,,\n"                       // 5: no operator
      "VT-BG0001-4G,viettel,LTE,21.3,106.3,30,,,,\n"         // 6: duplicate
      "VT-X7,viettel,6G,21.3,106.3,30,,,,\n"                 // 7: unknown technology
      "VT-X8,viettel,LTE,21.3a,106.3,30,,,,\n"               // 8: lat not a number
      "VT-X9,viettel,LTE,21.3,106.3,tall,,,,\n"              // 9: height not a number
      "VT-X10,viettel,LTE,21.3,106.3,400,,,,\n"              // 10: height above 300 m
      "VT-X11,viettel,LTE,21.3,106.3,30,361,,,\n"            // 11: azimuth above 360
      "VT-X12,viettel,LTE,21.3,106.3,30,90,,,0\n"            // 12: beamwidth below 1
      "VT-X13,viettel,LTE,21.3,106.3,30,,50,,\n"             // 13: band below 100 MHz
      "VT-X14,viettel,LTE,21.3,106.3,30,,,95,\n"             // 14: EIRP above 90 dBm
      "VT-X15,viettel,LTE,106.3,21.3,30,,,,\n"               // 15: lat and lon exchanged
      "VT-X16,viettel,LTE,10.0,100.0,30,,,,\n"               // 16: outside Vietnam
      "MF-BG0003-5G,MobiFone,NR,21.32,106.32,300,0,,,360\n"  // 17: good, the range ends
      "AC-BG0004-2G,Acme,GSM,21.33,106.33,1,360,6000,0,1\n"  // 18: good, the other range ends
      "VT-X19,viettel,LTE,21.3,106.3\n");                    // 19: too few fields

  auto result = ReadSites(path);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const SiteImport& got = *result;
  const std::map<std::uint64_t, std::string> expected = {
      {4, "missing_value"},      {5, "missing_value"},      {6, "duplicate_id"},
      {7, "unknown_technology"}, {8, "not_a_number"},       {9, "not_a_number"},
      {10, "out_of_range"},      {11, "out_of_range"},      {12, "out_of_range"},
      {13, "out_of_range"},      {14, "out_of_range"},      {15, "coordinates_swapped"},
      {16, "outside_region"},    {19, "wrong_column_count"}};
  EXPECT_EQ(Codes(got.rejected), expected);
  EXPECT_EQ(got.rows_read, 18u);
  EXPECT_EQ(got.sites.size() + got.rejected.size(), got.rows_read);
  ASSERT_EQ(got.sites.size(), 4u);
  EXPECT_EQ(got.rows, (std::vector<std::uint64_t>{2, 3, 17, 18}));

  const geo::Site& full = got.sites[0];
  EXPECT_EQ(full.site_id, "VT-BG0001-4G");
  EXPECT_EQ(full.operator_id, "viettel");
  EXPECT_EQ(full.tech, geo::Technology::kLte);
  EXPECT_DOUBLE_EQ(full.lat, 21.3);
  EXPECT_DOUBLE_EQ(full.lon, 106.3);
  EXPECT_DOUBLE_EQ(full.height_m, 35);
  EXPECT_EQ(full.azimuth_deg, std::optional<double>(120));
  EXPECT_EQ(full.beamwidth_deg, std::optional<double>(65));
  EXPECT_DOUBLE_EQ(full.band_mhz, 1800);
  EXPECT_DOUBLE_EQ(full.eirp_dbm, 61.5);

  const geo::Site& defaults = got.sites[1];
  EXPECT_EQ(defaults.operator_id, "vnpt");  // VinaPhone is VNPT's brand
  EXPECT_EQ(defaults.tech, geo::Technology::kUmts);
  EXPECT_DOUBLE_EQ(defaults.height_m, 30);
  EXPECT_FALSE(defaults.azimuth_deg.has_value());  // omni
  EXPECT_FALSE(defaults.beamwidth_deg.has_value());
  EXPECT_DOUBLE_EQ(defaults.band_mhz, 2100);
  EXPECT_DOUBLE_EQ(defaults.eirp_dbm, 58);

  const geo::Site& nr = got.sites[2];
  EXPECT_EQ(nr.operator_id, "mobifone");
  EXPECT_EQ(nr.tech, geo::Technology::kNr);
  EXPECT_EQ(nr.azimuth_deg, std::optional<double>(0));  // north, not omni
  EXPECT_DOUBLE_EQ(nr.band_mhz, 3500);
  EXPECT_DOUBLE_EQ(nr.eirp_dbm, 63);
  // An operator nobody registered is the reader's to pass on (covgapd rejects it).
  EXPECT_EQ(got.sites[3].operator_id, "acme");
  EXPECT_EQ(got.sites[3].tech, geo::Technology::kGsm);
  EXPECT_DOUBLE_EQ(got.sites[3].band_mhz, 6000);

  EXPECT_TRUE(Contains(IssueAt(got.rejected, 4)->reason, "site_id"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 5)->reason, "operator"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 6)->reason, "line 2"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 7)->reason, "'6G'"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 7)->reason, "LTE"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 9)->reason, "height_m"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 10)->reason, "1-300 m"))
      << IssueAt(got.rejected, 10)->reason;
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 11)->reason, "azimuth_deg"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 12)->reason, "beamwidth_deg"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 13)->reason, "100-6000 MHz"));
  EXPECT_TRUE(Contains(IssueAt(got.rejected, 14)->reason, "0-90 dBm"));
}

TEST(SitesCsv, VietnameseHeadersWithAndWithoutDiacritics) {
  for (const auto& [file, header] :
       {std::pair{"tram_dau.csv",
                  "Mã trạm,Nhà mạng,Công nghệ,Vĩ độ,Kinh độ,Độ cao,Phương vị,Băng tần,EIRP"},
        std::pair{"tram_khong_dau.csv",
                  "ma_tram,nha_mang,cong_nghe,vi_do,kinh_do,do_cao,phuong_vi,bang_tan,eirp"}}) {
    const std::string path =
        WriteFile(file, std::string(header) + "\nVT-BG0001-4G,Viettel,4G,21.3,106.3,42,270,,\n");
    auto result = ReadSites(path);
    ASSERT_TRUE(result.ok()) << file << ": " << result.status().message();
    ASSERT_EQ(result->sites.size(), 1u) << file;
    const geo::Site& s = result->sites[0];
    EXPECT_EQ(s.site_id, "VT-BG0001-4G") << file;
    EXPECT_EQ(s.operator_id, "viettel") << file;
    EXPECT_EQ(s.tech, geo::Technology::kLte) << file;
    EXPECT_DOUBLE_EQ(s.lat, 21.3) << file;
    EXPECT_DOUBLE_EQ(s.lon, 106.3) << file;
    EXPECT_DOUBLE_EQ(s.height_m, 42) << file;
    EXPECT_EQ(s.azimuth_deg, std::optional<double>(270)) << file;
    EXPECT_DOUBLE_EQ(s.band_mhz, 1800) << file;
    EXPECT_DOUBLE_EQ(s.eirp_dbm, 60) << file;
  }
}

TEST(SitesCsv, AColumnMappingNamesOtherHeaders) {
  const std::string path = WriteFile("tram_map.csv",
                                     "Số hiệu trạm,Đơn vị,Loại,Vĩ độ,Kinh độ\n"
                                     "VT-1,viettel,LTE,21.3,106.3\n");
  auto unmapped = ReadSites(path);
  ASSERT_FALSE(unmapped.ok());
  EXPECT_EQ(unmapped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(unmapped.status().message(), "site_id, operator, tech"))
      << unmapped.status().message();
  auto mapping = ParseColumnMapping("site_id = Số hiệu trạm\noperator = Đơn vị\ntech = Loại\n",
                                    PlaceKind::kSites);
  ASSERT_TRUE(mapping.ok()) << mapping.status().message();
  PlaceReadOptions options;
  options.columns = *mapping;
  auto mapped = ReadSites(path, options);
  ASSERT_TRUE(mapped.ok()) << mapped.status().message();
  ASSERT_EQ(mapped->sites.size(), 1u);
  EXPECT_EQ(mapped->sites[0].site_id, "VT-1");
  // Site fields are not school fields.
  EXPECT_FALSE(ParseColumnMapping("school_id = Mã", PlaceKind::kSites).ok());
  auto unknown = ParseColumnMapping("azimuth = Hướng", PlaceKind::kSites);
  ASSERT_FALSE(unknown.ok());
  EXPECT_TRUE(Contains(unknown.status().message(), "azimuth_deg")) << unknown.status().message();
}

}  // namespace
}  // namespace covgap::importers
