// RegistryService.Import (file upload, client streaming) through a real gRPC server, in process:
// uploads sent in small chunks and reassembled in GDAL's /vsimem/, the real Bắc Giang boundaries,
// a schools CSV checked against the imported province, a TCVN3 Shapefile with a wrong .cpg in
// VN-2000 sent as separate files, an XLSX with Vietnamese headers and a column mapping, limits and
// protocol errors, and the in-memory buffers removed after every upload.
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gtest/gtest.h>
#include <iconv.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/model/gap.h"
#include "geo/spatial/gdal_handles.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"
#include "tests/support/legacy_text.h"

namespace covgap::server {
namespace {

using covgap::test_support::Project;
using covgap::test_support::ToTcvn3;

namespace fs = std::filesystem;

// The files of one upload, in the order they are sent: file name -> bytes.
using Files = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kSmallChunk = 7;  // odd and tiny: UTF-8 letters and lines split across parts
constexpr std::size_t kLargeChunk = 64 << 10;
constexpr const char* kBufferPrefix = "covgap-import-";

std::string ReadBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

fs::path SourceDir() {
  if (const char* dir = std::getenv("COVGAP_SOURCE_DIR")) return dir;
  // Run by hand outside ctest: this file is <source>/tests/server/import_service_test.cpp.
  return fs::path(__FILE__).parent_path().parent_path().parent_path();
}

// A file of data/bacgiang/ in the source tree.
std::string BacGiangData(const std::string& name) {
  const std::string bytes = ReadBytes(SourceDir() / "data" / "bacgiang" / name);
  EXPECT_FALSE(bytes.empty()) << name;
  return bytes;
}

struct Feature {
  std::vector<std::string> values;  // raw bytes, in column order
  std::optional<std::pair<double, double>> point;
};

// Writes one layer of string fields (and points, when the features have them) with GDAL.
void WriteLayer(const std::string& driver, const fs::path& path, const std::string& layer_name,
                const std::vector<std::string>& columns, const std::vector<Feature>& features,
                const std::string& crs, std::vector<const char*> layer_options) {
  geo::InitGdal();
  GDALDriverH drv = GDALGetDriverByName(driver.c_str());
  ASSERT_NE(drv, nullptr) << driver;
  geo::DatasetPtr ds(GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  ASSERT_TRUE(ds) << CPLGetLastErrorMsg();
  geo::SrsPtr srs;
  if (!crs.empty()) {
    auto made = geo::MakeSrs(crs);
    ASSERT_TRUE(made.ok()) << made.status().message();
    srs = std::move(made.value());
  }
  layer_options.push_back(nullptr);
  OGRLayerH layer = GDALDatasetCreateLayer(ds.get(), layer_name.c_str(), srs.get(),
                                           features.front().point ? wkbPoint : wkbNone,
                                           const_cast<char**>(layer_options.data()));
  ASSERT_NE(layer, nullptr) << CPLGetLastErrorMsg();
  for (const std::string& c : columns) {
    const geo::FieldDefnPtr f(OGR_Fld_Create(c.c_str(), OFTString));
    ASSERT_EQ(OGR_L_CreateField(layer, f.get(), TRUE), OGRERR_NONE) << c;
  }
  for (const Feature& feature : features) {
    geo::FeaturePtr f(OGR_F_Create(OGR_L_GetLayerDefn(layer)));
    for (std::size_t i = 0; i < feature.values.size(); ++i) {
      OGR_F_SetFieldString(f.get(), static_cast<int>(i), feature.values[i].c_str());
    }
    if (feature.point) {
      OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
      OGR_G_SetPoint_2D(g, 0, feature.point->first, feature.point->second);
      OGR_F_SetGeometryDirectly(f.get(), g);
    }
    ASSERT_EQ(OGR_L_CreateFeature(layer, f.get()), OGRERR_NONE) << CPLGetLastErrorMsg();
  }
}

// What the import handler keeps in /vsimem/ (the process-wide in-memory file system, shared with
// the in-process server): its covgap-import-N directories and the files in them.
std::vector<std::string> ImportBuffers() {
  std::vector<std::string> found;
  char** entries = VSIReadDirRecursive("/vsimem/");
  for (char** e = entries; e != nullptr && *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with(kBufferPrefix)) found.emplace_back(*e);
  }
  CSLDestroy(entries);
  std::sort(found.begin(), found.end());
  return found;
}

// The /vsimem/ path of the buffered upload file `name`, once the server has created it.
std::optional<std::string> BufferOf(const std::string& name) {
  for (const std::string& entry : ImportBuffers()) {
    if (entry.ends_with("/" + name)) return "/vsimem/" + entry;
  }
  return std::nullopt;
}

bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

std::uint64_t BufferSize(const std::string& path) {
  VSIStatBufL st;
  return VSIStatL(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

v1::ImportSpec AreasSpec(v1::AreaLevel level) {
  v1::ImportSpec spec;
  spec.set_kind("areas");
  spec.set_level(level);
  return spec;
}

v1::ImportSpec SchoolsSpec() {
  v1::ImportSpec spec;
  spec.set_kind("schools");
  return spec;
}

v1::ImportUpload SpecMessage(const v1::ImportSpec& spec) {
  v1::ImportUpload m;
  *m.mutable_spec() = spec;
  return m;
}

v1::ImportUpload PartMessage(const std::string& file_name, const std::string& data) {
  v1::ImportUpload m;
  m.mutable_file()->set_file_name(file_name);
  m.mutable_file()->set_data(data);
  return m;
}

// Header line 1; BG1 line 2 and BG2 line 5 in Bắc Giang; HN1 line 3 in Hà Nội (inside Vietnam,
// outside the province); X1 line 4 with a level that does not exist.
const std::string kSchoolsCsv =
    "school_id,name,level,lat,lon,students,students_nodev,district\n"
    "BG1,Trường Tiểu học Cấm Sơn,primary,21.4501,106.6203,412,37,Huyện Lục Ngạn\n"
    "HN1,Trường Tiểu học Hoàn Kiếm,primary,21.03,105.85,300,10,Quận Hoàn Kiếm\n"
    "X1,Trường Đại học,university,21.3,106.2,9000,0,Thành phố Bắc Giang\n"
    "BG2,Trường THCS Lục Sơn,THCS,21.31,106.42,300,12,Huyện Lục Nam\n";

class ImportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(SourceDir() / "data" / "bacgiang" / "province.geojson"))
        << "no data/bacgiang/ under " << SourceDir() << " (set COVGAP_SOURCE_DIR)";
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_import_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "files");
    ASSERT_NO_FATAL_FAILURE(Start());
  }

  void TearDown() override {
    Stop();
    // Every upload, good or bad, must leave nothing behind in /vsimem/.
    const std::vector<std::string> left = ImportBuffers();
    EXPECT_TRUE(left.empty()) << "left in /vsimem/: " << left.front();
    for (const std::string& entry : left) VSIRmdirRecursive(("/vsimem/" + entry).c_str());
    fs::remove_all(dir_);
  }

  void Start(std::uint64_t max_upload_bytes = 256ull << 20) {
    max_upload_bytes_ = max_upload_bytes;
    auto store = store::OpenSqliteStore((dir_ / "data").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ServerOptions options;  // in-process only
    options.max_upload_bytes = max_upload_bytes;
    auto server = CovgapServer::Start(std::move(store.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    registry_ = v1::RegistryService::NewStub(server_->InProcessChannel());
  }

  // Waits for running calls to finish and closes the store.
  void Stop() {
    registry_.reset();
    server_.reset();
  }

  // Sends the messages as they are, then half-closes.
  grpc::Status Send(const std::vector<v1::ImportUpload>& messages, v1::ImportReport* report) {
    grpc::ClientContext ctx;
    auto writer = registry_->Import(&ctx, report);
    for (const v1::ImportUpload& m : messages) {
      if (!writer->Write(m)) break;  // the server has answered already
    }
    writer->WritesDone();
    return writer->Finish();
  }

  // The spec, then every file in parts of `chunk` bytes (one empty part for an empty file).
  grpc::Status Upload(const v1::ImportSpec& spec, const Files& files, std::size_t chunk,
                      v1::ImportReport* report) {
    std::vector<v1::ImportUpload> messages = {SpecMessage(spec)};
    for (const auto& [name, bytes] : files) {
      std::size_t offset = 0;
      do {
        messages.push_back(PartMessage(name, bytes.substr(offset, chunk)));
        offset += chunk;
      } while (offset < bytes.size());
    }
    return Send(messages, report);
  }

  void ImportProvince() {
    v1::ImportReport report;
    const grpc::Status s =
        Upload(AreasSpec(v1::PROVINCE), {{"province.geojson", BacGiangData("province.geojson")}},
               kLargeChunk, &report);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(report.inserted() + report.updated(), 1u);
  }

  // What the store holds, read with the server stopped (then started again).
  template <typename T>
  std::vector<T> Stored(StatusOr<std::vector<T>> (store::RegistryStore::*read)()) {
    Stop();
    std::vector<T> rows;
    {
      auto store = store::OpenSqliteStore((dir_ / "data").string());
      EXPECT_TRUE(store.ok()) << store.status().message();
      if (store.ok()) {
        auto read_rows = ((*store.value()).*read)();
        EXPECT_TRUE(read_rows.ok()) << read_rows.status().message();
        if (read_rows.ok()) rows = std::move(read_rows.value());
      }
    }
    Start(max_upload_bytes_);
    return rows;
  }
  std::vector<geo::School> StoredSchools() {
    auto schools = Stored(&store::Store::Schools);
    std::sort(schools.begin(), schools.end(),
              [](const geo::School& a, const geo::School& b) { return a.school_id < b.school_id; });
    return schools;
  }
  std::vector<geo::AdminArea> StoredAreas() { return Stored(&store::Store::Areas); }

  fs::path dir_;
  std::uint64_t max_upload_bytes_ = 0;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
};

// ---- 1. boundaries ----

TEST_F(ImportServiceTest, RealBoundariesUploadedInTinyChunksAndUpdatedOnReupload) {
  const std::string province = BacGiangData("province.geojson");
  const std::string districts = BacGiangData("districts.geojson");

  v1::ImportReport p;
  grpc::Status s =
      Upload(AreasSpec(v1::PROVINCE), {{"province.geojson", province}}, kSmallChunk, &p);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(p.kind(), "areas");
  EXPECT_EQ(p.bytes(), province.size());
  EXPECT_EQ(p.rows_read(), 1u);
  EXPECT_EQ(p.inserted(), 1u);
  EXPECT_EQ(p.updated(), 0u);
  EXPECT_EQ(p.rejected(), 0u);
  EXPECT_EQ(p.repaired(), 0u);
  EXPECT_EQ(p.format(), "GeoJSON");
  EXPECT_EQ(p.layer(), "bacgiang_province");
  EXPECT_EQ(p.encoding(), "UTF-8");
  EXPECT_EQ(p.name_field(), "name");
  EXPECT_EQ(p.code_field(), "level1_id");
  EXPECT_EQ(p.crs(), "EPSG:4326");

  v1::ImportReport d;
  s = Upload(AreasSpec(v1::DISTRICT), {{"districts.geojson", districts}}, kSmallChunk, &d);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(d.bytes(), districts.size());
  EXPECT_EQ(d.rows_read(), 10u);
  EXPECT_EQ(d.inserted(), 10u);
  EXPECT_EQ(d.updated(), 0u);
  EXPECT_EQ(d.rejected(), 0u) << (d.rejections_size() ? d.rejections(0).reason() : "");
  EXPECT_EQ(d.repaired(), 0u);
  EXPECT_EQ(d.format(), "GeoJSON");
  EXPECT_EQ(d.encoding(), "UTF-8");
  EXPECT_EQ(d.name_field(), "name");
  EXPECT_EQ(d.code_field(), "level2_id");
  ASSERT_EQ(d.columns_size(), 2);
  EXPECT_EQ(d.columns(0).field() + " <- " + d.columns(0).column(), "name <- name");
  EXPECT_EQ(d.columns(1).field() + " <- " + d.columns(1).column(), "code <- level2_id");

  // The same file again, in other chunks: every district is updated, none new.
  v1::ImportReport again;
  s = Upload(AreasSpec(v1::DISTRICT), {{"districts.geojson", districts}}, 4093, &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.rows_read(), 10u);
  EXPECT_EQ(again.inserted(), 0u);
  EXPECT_EQ(again.updated(), 10u);

  // Reassembled byte for byte: the names come out as the file has them.
  const std::vector<geo::AdminArea> areas = StoredAreas();
  ASSERT_EQ(areas.size(), 11u);
  std::size_t provinces = 0, districts_found = 0;
  for (const geo::AdminArea& a : areas) {
    if (a.level == geo::AreaLevel::kProvince) {
      ++provinces;
      EXPECT_EQ(a.code, "24");
      EXPECT_EQ(a.name, "Tỉnh Bắc Giang");
    } else {
      ++districts_found;
      EXPECT_EQ(a.level, geo::AreaLevel::kDistrict);
      if (a.code == "213") {
        EXPECT_EQ(a.name, "Thành phố Bắc Giang");
      }
      if (a.code == "215") {
        EXPECT_EQ(a.name, "Huyện Yên Thế");
      }
    }
    EXPECT_FALSE(a.wkb.empty()) << a.code;
  }
  EXPECT_EQ(provinces, 1u);
  EXPECT_EQ(districts_found, 10u);
}

// ---- 2. schools from CSV, and the province check ----

TEST_F(ImportServiceTest, SchoolsCsvRejectsOutsideTheProvinceOnlyOnceItIsImported) {
  // No province yet: Hà Nội is in Vietnam, so it is accepted; only the unknown level is refused.
  v1::ImportReport first;
  grpc::Status s = Upload(SchoolsSpec(), {{"truong.csv", kSchoolsCsv}}, 5, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(first.kind(), "schools");
  EXPECT_EQ(first.bytes(), kSchoolsCsv.size());
  EXPECT_EQ(first.format(), "CSV");
  EXPECT_EQ(first.encoding(), "UTF-8");
  EXPECT_EQ(first.crs(), "columns in EPSG:4326");
  EXPECT_EQ(first.rows_read(), 4u);
  EXPECT_EQ(first.inserted(), 3u);
  EXPECT_EQ(first.updated(), 0u);
  EXPECT_EQ(first.rejected(), 1u);
  ASSERT_EQ(first.rejections_size(), 1);
  EXPECT_EQ(first.rejections(0).row(), 4u);  // the CSV line; the header is line 1
  EXPECT_EQ(first.rejections(0).code(), "unknown_level");
  EXPECT_TRUE(Contains(first.rejections(0).reason(), "university")) << first.rejections(0).reason();

  ASSERT_NO_FATAL_FAILURE(ImportProvince());

  // The same file with the province in the store: Hà Nội (line 3) is outside it now.
  v1::ImportReport second;
  s = Upload(SchoolsSpec(), {{"truong.csv", kSchoolsCsv}}, kSmallChunk, &second);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(second.rows_read(), 4u);
  EXPECT_EQ(second.inserted(), 0u);
  EXPECT_EQ(second.updated(), 2u);
  EXPECT_EQ(second.rejected(), 2u);
  ASSERT_EQ(second.rejections_size(), 2);
  EXPECT_EQ(second.rejections(0).row(), 3u);
  EXPECT_EQ(second.rejections(0).code(), "outside_province");
  EXPECT_TRUE(Contains(second.rejections(0).reason(), "Bắc Giang"))
      << second.rejections(0).reason();
  EXPECT_TRUE(Contains(second.rejections(0).reason(), "21.03")) << second.rejections(0).reason();
  EXPECT_EQ(second.rejections(1).row(), 4u);
  EXPECT_EQ(second.rejections(1).code(), "unknown_level");

  // A new school in Hà Nội is not stored now; one in Bắc Giang is.
  const std::string more =
      "school_id,name,level,lat,lon,students_nodev\n"
      "HN2,Trường THCS Ba Đình,THCS,21.035,105.84,4\n"
      "BG3,Trường THPT Sơn Động,THPT,21.33,106.85,9\n";
  v1::ImportReport third;
  s = Upload(SchoolsSpec(), {{"more.csv", more}}, kSmallChunk, &third);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(third.rows_read(), 2u);
  EXPECT_EQ(third.inserted(), 1u);
  EXPECT_EQ(third.updated(), 0u);
  ASSERT_EQ(third.rejections_size(), 1);
  EXPECT_EQ(third.rejections(0).row(), 2u);
  EXPECT_EQ(third.rejections(0).code(), "outside_province");

  // HN1 stays from the first upload (a later rejection does not delete it); HN2 never came in.
  const std::vector<geo::School> schools = StoredSchools();
  ASSERT_EQ(schools.size(), 4u);
  EXPECT_EQ(schools[0].school_id, "BG1");
  EXPECT_EQ(schools[0].name, "Trường Tiểu học Cấm Sơn");
  EXPECT_EQ(schools[0].level, geo::SchoolLevel::kPrimary);
  EXPECT_EQ(schools[0].district, "Huyện Lục Ngạn");
  EXPECT_EQ(schools[0].students, 412);
  EXPECT_EQ(schools[0].students_nodev, 37);
  EXPECT_DOUBLE_EQ(schools[0].lat, 21.4501);
  EXPECT_DOUBLE_EQ(schools[0].lon, 106.6203);
  EXPECT_EQ(schools[1].school_id, "BG2");
  EXPECT_EQ(schools[1].level, geo::SchoolLevel::kLowerSecondary);
  EXPECT_EQ(schools[2].school_id, "BG3");
  EXPECT_EQ(schools[2].level, geo::SchoolLevel::kUpperSecondary);
  EXPECT_EQ(schools[3].school_id, "HN1");
}

// ---- 3. a TCVN3 Shapefile in VN-2000 with a wrong .cpg, as separate files ----

TEST_F(ImportServiceTest, ShapefileAsSeparateFilesInTcvn3WithAWrongCpgAndVn2000) {
  ASSERT_NO_FATAL_FAILURE(ImportProvince());
  const std::vector<std::pair<double, double>> lonlat = {{106.6203, 21.4501}, {106.85, 21.33}};
  const std::vector<std::string> names = {"Trường Tiểu học Cấm Sơn", "Trường THPT Sơn Động"};
  std::vector<Feature> features;
  for (std::size_t i = 0; i < names.size(); ++i) {
    features.push_back({{"S" + std::to_string(i + 1), ToTcvn3(names[i]),
                         i == 0 ? "primary" : "upper_secondary", "5"},
                        Project(lonlat[i].first, lonlat[i].second, "EPSG:9214")});
  }
  const fs::path shp = dir_ / "files" / "truong.shp";
  // ENCODING= : GDAL writes the bytes as given (TCVN3) and no .cpg of its own.
  ASSERT_NO_FATAL_FAILURE(WriteLayer("ESRI Shapefile", shp, "truong",
                                     {"school_id", "name", "level", "students_n"}, features,
                                     "EPSG:9214", {"ENCODING="}));
  std::ofstream(dir_ / "files" / "truong.cpg") << "UTF-8";  // wrong: the text is TCVN3
  Files files;
  for (const char* ext : {".cpg", ".dbf", ".prj", ".shx", ".shp"}) {  // main file last
    const fs::path part = fs::path(shp).replace_extension(ext);
    ASSERT_TRUE(fs::exists(part)) << part;
    files.emplace_back(part.filename().string(), ReadBytes(part));
  }
  std::uint64_t total = 0;
  for (const auto& f : files) total += f.second.size();

  v1::ImportSpec spec = SchoolsSpec();
  spec.set_main_file("truong.shp");
  v1::ImportReport report;
  const grpc::Status s = Upload(spec, files, kSmallChunk, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(report.bytes(), total);
  EXPECT_EQ(report.format(), "ESRI Shapefile");
  EXPECT_EQ(report.layer(), "truong");
  EXPECT_EQ(report.encoding(), "TCVN3");
  EXPECT_TRUE(Contains(report.encoding_note(), ".cpg")) << report.encoding_note();
  EXPECT_TRUE(Contains(report.encoding_note(), "UTF-8")) << report.encoding_note();
  EXPECT_EQ(report.crs(), "reprojected to EPSG:4326");
  EXPECT_EQ(report.rows_read(), 2u);
  EXPECT_EQ(report.inserted(), 2u);
  EXPECT_EQ(report.rejected(), 0u)
      << (report.rejections_size() ? report.rejections(0).reason() : "");

  // Inside the province (else they would be rejected as outside_province), at the right places.
  const std::vector<geo::School> schools = StoredSchools();
  ASSERT_EQ(schools.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(schools[i].school_id, "S" + std::to_string(i + 1));
    EXPECT_EQ(schools[i].name, names[i]);  // decoded from TCVN3 to UTF-8 NFC, byte-exact
    EXPECT_EQ(schools[i].students_nodev, 5);
    EXPECT_NEAR(schools[i].lon, lonlat[i].first, 1e-7);
    EXPECT_NEAR(schools[i].lat, lonlat[i].second, 1e-7);
  }
  EXPECT_EQ(schools[0].level, geo::SchoolLevel::kPrimary);
  EXPECT_EQ(schools[1].level, geo::SchoolLevel::kUpperSecondary);
}

// ---- 4. an XLSX with Vietnamese headers ----

TEST_F(ImportServiceTest, XlsxWithVietnameseHeadersIsReadAndTheReportSaysHow) {
  const std::vector<std::string> columns = {
      "Mã trường", "Tên trường", "Cấp học", "Số học sinh", "Số HS không có thiết bị",
      "Vĩ độ",     "Kinh độ"};
  const fs::path path = dir_ / "files" / "truong_hoc.xlsx";
  ASSERT_NO_FATAL_FAILURE(WriteLayer(
      "XLSX", path, "Trường", columns,
      {{{"BG-TH-001", "Trường Tiểu học Cấm Sơn", "Tiểu học", "412", "37", "21.4501", "106.6203"},
        std::nullopt},
       {{"BG-THCS-002", "Trường THCS Lục Sơn", "THCS", "300", "12", "21.31", "106.42"},
        std::nullopt},
       {{"BG-X-003", "Trường Đại học", "Đại học", "9000", "0", "21.3", "106.2"}, std::nullopt}},
      "", {}));
  const std::string xlsx = ReadBytes(path);

  // The Department's headers are accepted names: no mapping needed, and the report names the
  // column read for each field.
  v1::ImportReport report;
  grpc::Status s = Upload(SchoolsSpec(), {{"truong_hoc.xlsx", xlsx}}, kSmallChunk, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(report.bytes(), xlsx.size());
  EXPECT_EQ(report.format(), "XLSX");
  EXPECT_EQ(report.encoding(), "UTF-8");
  EXPECT_EQ(report.rows_read(), 3u);
  EXPECT_EQ(report.inserted(), 2u);
  EXPECT_EQ(report.rejected(), 1u);
  ASSERT_EQ(report.rejections_size(), 1);
  EXPECT_EQ(report.rejections(0).row(), 4u);  // as the sheet numbers it: the header is row 1
  EXPECT_EQ(report.rejections(0).code(), "unknown_level");
  std::map<std::string, std::string> used;
  for (const auto& c : report.columns()) {
    used[c.field()] = c.column();
    EXPECT_FALSE(c.mapped()) << c.field();
  }
  EXPECT_EQ(used, (std::map<std::string, std::string>{{"school_id", "Mã trường"},
                                                      {"name", "Tên trường"},
                                                      {"level", "Cấp học"},
                                                      {"lat", "Vĩ độ"},
                                                      {"lon", "Kinh độ"},
                                                      {"students_nodev", "Số HS không có thiết bị"},
                                                      {"students", "Số học sinh"}}));

  const std::vector<geo::School> schools = StoredSchools();
  ASSERT_EQ(schools.size(), 2u);
  EXPECT_EQ(schools[0].school_id, "BG-TH-001");
  EXPECT_EQ(schools[0].name, "Trường Tiểu học Cấm Sơn");
  EXPECT_EQ(schools[0].level, geo::SchoolLevel::kPrimary);
  EXPECT_EQ(schools[0].students, 412);
  EXPECT_EQ(schools[0].students_nodev, 37);
  EXPECT_DOUBLE_EQ(schools[0].lat, 21.4501);
  EXPECT_DOUBLE_EQ(schools[0].lon, 106.6203);
  EXPECT_EQ(schools[1].school_id, "BG-THCS-002");
  EXPECT_EQ(schools[1].level, geo::SchoolLevel::kLowerSecondary);

  // Again with a mapping: updated, and the mapped fields are marked.
  v1::ImportSpec spec = SchoolsSpec();
  spec.set_columns("# Sở GD&ĐT spreadsheet\nschool_id = Mã trường\nstudents = Số học sinh\n");
  v1::ImportReport again;
  s = Upload(spec, {{"truong_hoc.xlsx", xlsx}}, kLargeChunk, &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.inserted(), 0u);
  EXPECT_EQ(again.updated(), 2u);
  ASSERT_EQ(again.columns_size(), 7);
  EXPECT_EQ(again.columns(0).field(), "school_id");
  EXPECT_TRUE(again.columns(0).mapped());
  EXPECT_FALSE(again.columns(1).mapped());

  // Headers that are no accepted name: refused, naming the columns the file has and the names
  // the missing field accepts.
  v1::ImportReport refused;
  s = Upload(
      SchoolsSpec(),
      {{"truong.csv", "school_id,name,level,lat,lon,HS chưa có máy\nA,B,primary,21.3,106.2,1\n"}},
      kSmallChunk, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(Contains(s.error_message(), "truong.csv")) << s.error_message();
  EXPECT_TRUE(Contains(s.error_message(), "missing required column(s): students_nodev"))
      << s.error_message();
  EXPECT_TRUE(Contains(s.error_message(), "HS chưa có máy")) << s.error_message();
  EXPECT_TRUE(Contains(s.error_message(), "students_without_device, ")) << s.error_message();
  EXPECT_TRUE(Contains(s.error_message(), "--columns")) << s.error_message();
}

// ---- 5. limits and protocol errors ----

// A schools CSV of exactly `size` bytes (the name is padded).
std::string SchoolsCsvOfSize(std::size_t size) {
  const std::string head = "school_id,name,level,lat,lon,students_nodev\nL1,";
  const std::string tail = ",primary,21.4501,106.6203,3\n";
  EXPECT_GT(size, head.size() + tail.size());
  return head + std::string(size - head.size() - tail.size(), 'n') + tail;
}

TEST_F(ImportServiceTest, UploadLargerThanTheLimitIsRefusedNamingTheLimit) {
  Stop();
  ASSERT_NO_FATAL_FAILURE(Start(1024));

  // Exactly the limit: accepted.
  v1::ImportReport at_limit;
  grpc::Status s = Upload(SchoolsSpec(), {{"a.csv", SchoolsCsvOfSize(1024)}}, 100, &at_limit);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(at_limit.bytes(), 1024u);
  EXPECT_EQ(at_limit.inserted(), 1u);

  // One byte more, in one file or over two: refused, and the message says what the limit is.
  for (const Files& files :
       {Files{{"b.csv", SchoolsCsvOfSize(1025)}},
        Files{{"c.csv", SchoolsCsvOfSize(600)}, {"d.csv", std::string(425, 'x')}}}) {
    v1::ImportReport report;
    s = Upload(SchoolsSpec(), files, 100, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_TRUE(Contains(s.error_message(), "limit")) << s.error_message();
    EXPECT_TRUE(Contains(s.error_message(), "1024 bytes") || Contains(s.error_message(), "1 KiB"))
        << "the limit (1024 bytes) is not named: " << s.error_message();
  }
  const std::vector<geo::School> schools = StoredSchools();
  ASSERT_EQ(schools.size(), 1u);
  EXPECT_EQ(schools[0].school_id, "L1");
}

TEST_F(ImportServiceTest, FileNamesThatAreNotPlainAreRefused) {
  for (const std::string name :
       {"dir/truong.csv", "../truong.csv", "..", ".", "/truong.csv", "dir\\truong.csv", ""}) {
    v1::ImportReport report;
    const grpc::Status s = Upload(SchoolsSpec(), {{name, kSchoolsCsv}}, kLargeChunk, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_TRUE(Contains(s.error_message(), "'" + name + "' is not a plain file name"))
        << s.error_message();
  }
  // A good file followed by a bad name: still refused as a whole.
  v1::ImportReport report;
  const grpc::Status s = Upload(
      SchoolsSpec(), {{"truong.csv", kSchoolsCsv}, {"../etc/passwd", "x"}}, kLargeChunk, &report);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(StoredSchools().empty());
}

TEST_F(ImportServiceTest, ProtocolErrorsAreInvalidArgument) {
  const auto expect_invalid = [&](const std::vector<v1::ImportUpload>& messages,
                                  const std::string& says, const std::string& what) {
    v1::ImportReport report;
    const grpc::Status s = Send(messages, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << what << ": " << s.error_message();
    EXPECT_TRUE(Contains(s.error_message(), says)) << what << ": " << s.error_message();
  };
  const v1::ImportUpload csv = PartMessage("truong.csv", kSchoolsCsv);
  expect_invalid({}, "starts with its spec", "empty stream");
  expect_invalid({csv}, "starts with its spec", "no spec first");
  expect_invalid({csv, SpecMessage(SchoolsSpec())}, "starts with its spec", "spec after the file");
  expect_invalid({SpecMessage(SchoolsSpec()), csv, SpecMessage(SchoolsSpec())},
                 "the spec may only come first", "a second spec");
  expect_invalid({SpecMessage(SchoolsSpec())}, "holds no file", "spec but no file");
  expect_invalid({SpecMessage(SchoolsSpec()), PartMessage("a.csv", "school_id,"),
                  PartMessage("b.csv", "x"), PartMessage("a.csv", "name\n")},
                 "'a.csv' must be sent one after the other", "interleaved files");

  v1::ImportSpec teachers;
  teachers.set_kind("teachers");
  expect_invalid({SpecMessage(teachers), csv}, "unknown import kind 'teachers'", "unknown kind");
  v1::ImportSpec no_kind;
  expect_invalid({SpecMessage(no_kind), csv}, "unknown import kind ''", "no kind");

  const v1::ImportUpload geojson =
      PartMessage("districts.geojson", BacGiangData("districts.geojson"));
  expect_invalid({SpecMessage(AreasSpec(v1::AREA_LEVEL_UNSPECIFIED)), geojson}, "needs a level",
                 "areas without level");
  expect_invalid({SpecMessage(AreasSpec(static_cast<v1::AreaLevel>(7))), geojson}, "needs a level",
                 "areas with a level out of range");

  v1::ImportSpec main_missing = SchoolsSpec();
  main_missing.set_main_file("truong.shp");
  expect_invalid({SpecMessage(main_missing), csv}, "main file 'truong.shp' was not uploaded",
                 "main_file not uploaded");

  v1::ImportSpec koi8 = SchoolsSpec();
  koi8.set_encoding("KOI8-R");
  expect_invalid({SpecMessage(koi8), csv}, "unknown encoding 'KOI8-R'", "unknown encoding");

  v1::ImportSpec bad_mapping = SchoolsSpec();
  bad_mapping.set_columns("teacher = Giáo viên");
  expect_invalid({SpecMessage(bad_mapping), csv}, "'teacher' is not a field", "bad mapping");

  // Nothing above was imported.
  EXPECT_TRUE(StoredSchools().empty());
  EXPECT_TRUE(StoredAreas().empty());
}

TEST_F(ImportServiceTest, AFileInNoFormatIsRefusedWithGdalsReasonAndNothingImported) {
  std::mt19937 rng(20211130);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
  for (const v1::ImportSpec& spec : {SchoolsSpec(), AreasSpec(v1::DISTRICT)}) {
    v1::ImportReport report;
    const grpc::Status s = Upload(spec, {{"x.gpkg", noise}}, kLargeChunk, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_TRUE(s.error_message().starts_with("x.gpkg: ")) << s.error_message();
    const std::string ours =
        "not a vector source GDAL can read (CSV, XLSX, ODS, Shapefile, GeoPackage, GeoJSON, KML)";
    const std::size_t at = s.error_message().find(ours);
    ASSERT_NE(at, std::string::npos) << s.error_message();
    // GDAL's own reason follows ours.
    const std::string gdal_says = s.error_message().substr(at + ours.size());
    EXPECT_TRUE(gdal_says.starts_with(": ") && gdal_says.size() > 2)
        << "no reason from GDAL in: " << s.error_message();
  }
  EXPECT_TRUE(StoredSchools().empty());
  EXPECT_TRUE(StoredAreas().empty());
}

// A cancelled upload is not an upload: what had arrived must not be imported.
TEST_F(ImportServiceTest, ACancelledUploadImportsNothing) {
  grpc::ClientContext ctx;
  v1::ImportReport report;
  auto writer = registry_->Import(&ctx, &report);
  ASSERT_TRUE(writer->Write(SpecMessage(SchoolsSpec())));
  ASSERT_TRUE(writer->Write(PartMessage("truong.csv", kSchoolsCsv)));
  // The whole file has reached the server; the client then cancels instead of finishing.
  ASSERT_TRUE(WaitFor([] {
    auto path = BufferOf("truong.csv");
    return path && BufferSize(*path) == kSchoolsCsv.size();
  }));
  ctx.TryCancel();
  const grpc::Status s = writer->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::CANCELLED) << s.error_message();
  const std::vector<geo::School> schools = StoredSchools();  // waits for the handler to end
  EXPECT_TRUE(schools.empty()) << schools.size()
                               << " schools imported from a cancelled upload, e.g. "
                               << schools.front().school_id;
}

// The client knows its file by its own name; the server's buffer path means nothing to it.
TEST_F(ImportServiceTest, ErrorMessagesNameTheUploadedFileNotTheServersBuffer) {
  std::mt19937 rng(1);
  std::string noise(1024, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
  const Files refused[] = {
      {{"x.gpkg", noise}},
      {{"thieu_cot.csv", "school_id,name\nA,B\n"}},
      {{"toa_do.csv", "school_id,name,level,X,Y,students_nodev\nA,B,primary,600000,2360000,1\n"}},
  };
  for (const Files& files : refused) {
    v1::ImportReport report;
    const grpc::Status s = Upload(SchoolsSpec(), files, kLargeChunk, &report);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_TRUE(s.error_message().starts_with(files[0].first + ": ")) << s.error_message();
    EXPECT_FALSE(Contains(s.error_message(), "/vsimem/")) << s.error_message();
  }
}

// Two uploads at the same time, of files with the same name, each get their own buffer.
TEST_F(ImportServiceTest, TwoUploadsAtOnceWithTheSameFileNameDoNotMix) {
  const std::string a =
      "school_id,name,level,lat,lon,students_nodev\n"
      "A1,Trường A1,primary,21.4501,106.6203,1\nA2,Trường A2,primary,21.31,106.42,2\n";
  const std::string b =
      "school_id,name,level,lat,lon,students_nodev\n"
      "B1,Trường B1,THCS,21.33,106.85,3\n";
  grpc::ClientContext ctx_a, ctx_b;
  v1::ImportReport report_a, report_b;
  auto writer_a = registry_->Import(&ctx_a, &report_a);
  auto writer_b = registry_->Import(&ctx_b, &report_b);
  ASSERT_TRUE(writer_a->Write(SpecMessage(SchoolsSpec())));
  ASSERT_TRUE(writer_b->Write(SpecMessage(SchoolsSpec())));
  const std::size_t longest = std::max(a.size(), b.size());
  for (std::size_t offset = 0; offset < longest; offset += kSmallChunk) {
    if (offset < a.size()) {
      ASSERT_TRUE(writer_a->Write(PartMessage("truong.csv", a.substr(offset, kSmallChunk))));
    }
    if (offset < b.size()) {
      ASSERT_TRUE(writer_b->Write(PartMessage("truong.csv", b.substr(offset, kSmallChunk))));
    }
  }
  ASSERT_TRUE(writer_a->WritesDone());
  ASSERT_TRUE(writer_b->WritesDone());
  const grpc::Status sa = writer_a->Finish();
  const grpc::Status sb = writer_b->Finish();
  ASSERT_TRUE(sa.ok()) << sa.error_message();
  ASSERT_TRUE(sb.ok()) << sb.error_message();
  EXPECT_EQ(report_a.bytes(), a.size());
  EXPECT_EQ(report_a.rows_read(), 2u);
  EXPECT_EQ(report_a.inserted(), 2u);
  EXPECT_EQ(report_b.bytes(), b.size());
  EXPECT_EQ(report_b.rows_read(), 1u);
  EXPECT_EQ(report_b.inserted(), 1u);
  const std::vector<geo::School> schools = StoredSchools();
  ASSERT_EQ(schools.size(), 3u);
  EXPECT_EQ(schools[0].name, "Trường A1");
  EXPECT_EQ(schools[1].name, "Trường A2");
  EXPECT_EQ(schools[2].name, "Trường B1");
}

// ---- 6. the in-memory buffers ----

TEST_F(ImportServiceTest, ImportBuffersInVsimemAreRemovedAfterEveryUpload) {
  // While an upload is open, its files are in /vsimem/covgap-import-N/ (which shows that the
  // checks below look in the right place).
  {
    grpc::ClientContext ctx;
    v1::ImportReport report;
    auto writer = registry_->Import(&ctx, &report);
    ASSERT_TRUE(writer->Write(SpecMessage(SchoolsSpec())));
    const std::size_t half = kSchoolsCsv.size() / 2;
    ASSERT_TRUE(writer->Write(PartMessage("truong.csv", kSchoolsCsv.substr(0, half))));
    std::optional<std::string> buffer;
    ASSERT_TRUE(WaitFor([&] {
      buffer = BufferOf("truong.csv");
      return buffer && BufferSize(*buffer) == half;
    })) << "the upload is not buffered in /vsimem/"
        << kBufferPrefix << "*/truong.csv";
    EXPECT_TRUE(buffer->starts_with(std::string("/vsimem/") + kBufferPrefix)) << *buffer;
    ASSERT_TRUE(writer->Write(PartMessage("truong.csv", kSchoolsCsv.substr(half))));
    ASSERT_TRUE(writer->WritesDone());
    const grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(report.inserted(), 3u);
    VSIStatBufL st;
    EXPECT_NE(VSIStatL(buffer->c_str(), &st), 0) << *buffer << " is still there";
    EXPECT_EQ(ImportBuffers(), std::vector<std::string>{});
  }

  // Every way an upload can end, each checked on its own.
  std::mt19937 rng(7);
  std::string noise(2048, '\0');
  for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
  v1::ImportSpec koi8 = SchoolsSpec();
  koi8.set_encoding("KOI8-R");
  v1::ImportSpec teachers;
  teachers.set_kind("teachers");
  v1::ImportSpec main_missing = SchoolsSpec();
  main_missing.set_main_file("truong.shp");
  const v1::ImportUpload csv = PartMessage("truong.csv", kSchoolsCsv);
  const std::vector<std::pair<std::string, std::vector<v1::ImportUpload>>> uploads = {
      {"good areas",
       {SpecMessage(AreasSpec(v1::DISTRICT)),
        PartMessage("districts.geojson", BacGiangData("districts.geojson"))}},
      {"good schools", {SpecMessage(SchoolsSpec()), csv}},
      {"not a format", {SpecMessage(SchoolsSpec()), PartMessage("x.gpkg", noise)}},
      {"missing column",
       {SpecMessage(SchoolsSpec()), PartMessage("bad.csv", "school_id,name\nA,B\n")}},
      {"a second spec", {SpecMessage(SchoolsSpec()), csv, SpecMessage(SchoolsSpec())}},
      {"bad name after a file", {SpecMessage(SchoolsSpec()), csv, PartMessage("../x", "x")}},
      {"interleaved", {SpecMessage(SchoolsSpec()), csv, PartMessage("b.csv", "x"), csv}},
      {"unknown kind", {SpecMessage(teachers), csv}},
      {"unknown encoding", {SpecMessage(koi8), csv}},
      {"main file missing", {SpecMessage(main_missing), csv}},
  };
  for (const auto& [what, messages] : uploads) {
    v1::ImportReport report;
    const grpc::Status s = Send(messages, &report);
    EXPECT_EQ(s.ok(), what.starts_with("good")) << what << ": " << s.error_message();
    EXPECT_EQ(ImportBuffers(), std::vector<std::string>{}) << "after: " << what;
  }

  // Over the limit.
  Stop();
  ASSERT_NO_FATAL_FAILURE(Start(1024));
  v1::ImportReport report;
  const grpc::Status s = Upload(SchoolsSpec(), {{"big.csv", SchoolsCsvOfSize(4000)}}, 100, &report);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(ImportBuffers(), std::vector<std::string>{}) << "after: over the limit";
}

}  // namespace
}  // namespace covgap::server
