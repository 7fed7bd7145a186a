// The import of an uploaded file without gRPC: real importers on files in /vsimem/, a real SQLite
// store, ImportUpload (server/app/upload_import.h).
#include "server/app/upload_import.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "server/app/school_listing.h"
#include "tests/server/app/store_fixture.h"

namespace covgap::server {
namespace {

std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(std::getenv("COVGAP_SOURCE_DIR")) + "/" + relative,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class UploadImportTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    audit_ = std::make_unique<AuditTrail>(*store_);
  }
  void TearDown() override {
    audit_.reset();
    StoreFixture::TearDown();
  }

  StatusOr<importers::ImportReport> Import(const ImportOrder& order, const std::string& name,
                                           const std::string& content,
                                           const Caller& caller = {Role::kAuthority, "", "t"}) {
    UploadBuffer upload(64 << 20);
    if (Status s = upload.Add(name, content); !s.ok()) return s;
    upload.Finish();
    return ImportUpload(*store_, *audit_, geo::Region{}, caller, order, upload);
  }

  std::unique_ptr<AuditTrail> audit_;
};

TEST_F(UploadImportTest, SchoolsOutsideTheImportedProvinceAreRejectedTheRestStored) {
  ImportOrder areas;
  areas.kind = "areas";
  areas.level = 1;
  auto province = Import(areas, "province.geojson", ReadSource("data/bacgiang/province.geojson"));
  ASSERT_TRUE(province.ok()) << province.status().message();
  EXPECT_EQ(province->inserted, 1u);
  EXPECT_EQ(province->crs, "EPSG:4326");

  ImportOrder schools;
  schools.kind = "schools";
  auto read = Import(schools, "truong.csv",
                     "school_id,name,level,lat,lon,students,students_without_device\n"
                     "s1,Trường A,primary,21.30,106.40,300,12\n"
                     "s2,Trường Hà Nội,primary,21.03,105.85,500,3\n");  // Hà Nội: outside
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->rows_read, 2u);
  EXPECT_EQ(read->inserted, 1u);
  ASSERT_EQ(read->rejections.size(), 1u);
  EXPECT_EQ(read->rejections[0].code, "outside_province");
  EXPECT_EQ(read->rejections[0].row, 3u);
  bool mapped = false;
  for (const auto& c : read->columns) {
    mapped |= c.field == "students_nodev" && c.column == "students_without_device";
  }
  EXPECT_TRUE(mapped) << "the report says which column each field came from";
}

TEST_F(UploadImportTest, MessagesNameTheUploadedFileNotTheBuffer) {
  ImportOrder schools;
  schools.kind = "schools";
  auto refused = Import(schools, "truong.csv", "school_id,name\ns1,A\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(refused.status().message().starts_with("truong.csv: ")) << refused.status().message();
  EXPECT_EQ(refused.status().message().find("/vsimem/"), std::string::npos)
      << refused.status().message();

  schools.main_file = "other.csv";
  auto missing = Import(schools, "truong.csv", "x\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "main file 'other.csv' was not uploaded");

  ImportOrder unknown;
  unknown.kind = "roads";
  auto bad = Import(unknown, "r.csv", "x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown import kind 'roads' (areas, schools, households, sites)");
}

TEST_F(UploadImportTest, AnOperatorImportsOnlyItsOwnSites) {
  ImportOrder sites;
  sites.kind = "sites";
  auto read = Import(sites, "tram.csv",
                     "site_id,operator,tech,lat,lon,height_m,azimuth_deg,band_mhz,eirp_dbm\n"
                     "v1,viettel,LTE,21.30,106.40,30,0,1800,60\n"
                     "n1,vnpt,LTE,21.31,106.41,30,120,1800,60\n",
                     {Role::kOperator, "viettel", "t"});
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->inserted, 1u);
  ASSERT_EQ(read->rejections.size(), 1u);
  EXPECT_EQ(read->rejections[0].code, "not_your_operator");
}

TEST_F(UploadImportTest, SchoolListingNeedsARunAndFiltersByDistrict) {
  auto none = ListSchoolCoverage(*store_, *store_, "", false);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.status().message(), "no analysis has been run yet: run covgap analyse first");
  EXPECT_TRUE(DistrictMatches("Huyện Lục Ngạn", "Lục Ngạn"));
  EXPECT_TRUE(DistrictMatches("Thành phố Bắc Giang", "Bắc Giang"));
  EXPECT_TRUE(DistrictMatches("Huyện Lục Ngạn", ""));
  EXPECT_FALSE(DistrictMatches("Huyện Lục Nam", "Lục Ngạn"));
  EXPECT_FALSE(DistrictMatches("Huyện Lục Ngạn", "Ngạn"));
}

}  // namespace
}  // namespace covgap::server
