// The coverage prediction through a real gRPC server, in process, with tokens and a real SQLite
// store holding a synthetic district: Viettel LTE sites with drive tests along three roads (the
// truth a calibrated COST-231-Hata 6 dB worse than the textbook, with shadowing and noise), and
// VNPT LTE sites without a measurement. An analysis without a method is hybrid; Validate scores
// the calibrated model against the textbook baseline; PlanCampaign and ExportCoverageRaster
// answer for the caller's own operator only; every refusal says what to do.
#include <gdal.h>
#include <gtest/gtest.h>
#include <ogr_srs_api.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "covgap/v1/access.grpc.pb.h"
#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/prediction.grpc.pb.h"
#include "geo/prediction/propagation.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;

const std::string kBootstrap = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";
constexpr double kLon0 = 106.20, kLat0 = 21.30, kSpan = 0.06;  // ≈ 6 x 6.7 km
constexpr std::int64_t kAsOfMs = 1'640'000'000'000;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string PolygonWkb(double lon0, double lat0, double lon1, double lat1) {
  std::string wkb;
  auto put = [&](const void* p, std::size_t n) { wkb.append(static_cast<const char*>(p), n); };
  const std::uint8_t order = 1;
  const std::uint32_t type = 3, rings = 1, points = 5;
  put(&order, 1);
  put(&type, 4);
  put(&rings, 4);
  put(&points, 4);
  const double ring[5][2] = {{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}};
  for (const auto& pt : ring) put(pt, 16);
  return wkb;
}

geo::Site MakeSite(const std::string& op, int i, double dlon, double dlat) {
  geo::Site site;
  site.site_id = op + "-s" + std::to_string(i);
  site.operator_id = op;
  site.tech = geo::Technology::kLte;
  site.lon = kLon0 + dlon;
  site.lat = kLat0 + dlat;
  site.height_m = 30;
  site.band_mhz = 1800;
  site.eirp_dbm = 58;
  return site;
}

// Fills the store with the synthetic district (with or without sites).
void Populate(store::Store& store, bool with_sites) {
  ASSERT_TRUE(store.RegisterOperator("viettel", "Viettel").ok());
  ASSERT_TRUE(store.RegisterOperator("vnpt", "VNPT").ok());
  std::vector<geo::Site> viettel = {
      MakeSite("viettel", 0, 0.01, 0.01), MakeSite("viettel", 1, 0.05, 0.012),
      MakeSite("viettel", 2, 0.015, 0.05), MakeSite("viettel", 3, 0.048, 0.045)};
  std::vector<geo::Site> sites = viettel;
  sites.push_back(MakeSite("vnpt", 0, 0.03, 0.03));
  sites.push_back(MakeSite("vnpt", 1, 0.01, 0.05));
  if (with_sites) {
    ASSERT_TRUE(store.UpsertSites(sites).ok());
  }

  geo::AdminArea district;
  district.level = geo::AreaLevel::kDistrict;
  district.code = "D1";
  district.name = "Huyện Thử";
  district.wkb = PolygonWkb(kLon0, kLat0, kLon0 + kSpan, kLat0 + kSpan);
  geo::AdminArea commune = district;
  commune.level = geo::AreaLevel::kCommune;
  commune.code = "C1";
  commune.name = "Xã Thử";
  ASSERT_TRUE(store.UpsertAreas({district, commune}).ok());
  geo::School school;
  school.school_id = "S1";
  school.name = "Trường Tiểu học Thử";
  school.district = "Huyện Thử";
  school.commune = "Xã Thử";
  school.lat = kLat0 + 0.04;
  school.lon = kLon0 + 0.035;
  school.students = 300;
  school.students_nodev = 40;
  ASSERT_TRUE(store.UpsertSchools({school}).ok());

  geo::AnalysisParams params;
  auto layout = geo::prediction::SiteLayout::Build(viettel, params.analysis_crs);
  ASSERT_TRUE(layout.ok());
  geo::prediction::Calibration truth;
  truth.intercept_db = 6;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 4);
  auto proj = geo::PointProjector::Create(params.analysis_crs);
  ASSERT_TRUE(proj.ok());
  store::BatchToStore batch;
  batch.batch_id = "drive-1";
  for (int i = 0; i < 12000; ++i) {
    double lon = kLon0 + kSpan * std::pow(u(rng), 1.5);
    double lat = kLat0 + 0.012 + (i % 3) * 0.018 + 0.0003 * u(rng);
    double x = 0, y = 0;
    proj.value()->Project(&lon, &lat, &x, &y, 1);
    const double shadow = 6.0 * std::sin(x / 700.0) * std::cos(y / 900.0);
    const double v = layout.value()->Best(x, y, truth).dbm + shadow + noise(rng);
    geo::Measurement m;
    m.operator_id = "viettel";
    m.tech = geo::Technology::kLte;
    m.lat = std::round(lat * 1e7) / 1e7;
    m.lon = std::round(lon * 1e7) / 1e7;
    m.signal_dbm = static_cast<int>(std::clamp(std::lround(v), -140L, -44L));
    m.time_ms = kAsOfMs - 86'400'000;
    m.source = geo::Source::kDrive;
    batch.rows.push_back(m);
  }
  const store::BatchToStore* batches[] = {&batch};
  ASSERT_TRUE(store.CommitBatches(batches).ok());
}

class PredictionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_prediction_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  void Start(bool with_sites = true) {
    auto store = store::OpenSqliteStore((dir_ / "store").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ASSERT_NO_FATAL_FAILURE(Populate(*store.value(), with_sites));
    ServerOptions options;  // in-process only
    options.auth_enabled = true;
    options.bootstrap_token = kBootstrap;
    options.scratch_dir = dir_.string();
    options.analysis_threads = 2;
    auto server = CovgapServer::Start(std::move(store.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    auto channel = server_->InProcessChannel();
    prediction_ = v1::PredictionService::NewStub(channel);
    analysis_ = v1::AnalysisService::NewStub(channel);
    gaps_ = v1::GapService::NewStub(channel);
    access_ = v1::AccessService::NewStub(channel);
    viewer_ = CreateToken("viewer");
    viettel_ = CreateToken("operator:viettel");
    vnpt_ = CreateToken("operator:vnpt");
  }

  std::string CreateToken(const std::string& role) {
    v1::CreateTokenRequest request;
    request.set_role(role);
    v1::CreateTokenResponse response;
    auto ctx = Context(kBootstrap);
    const grpc::Status status = access_->CreateToken(ctx.get(), request, &response);
    EXPECT_TRUE(status.ok()) << role << ": " << status.error_message();
    return response.secret_token();
  }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  static v1::RunAnalysisRequest Analysis(const std::string& method = "") {
    v1::RunAnalysisRequest r;
    r.set_method(method);
    r.set_as_of_unix_ms(kAsOfMs);
    return r;
  }

  grpc::Status Validate(const std::string& token, v1::ValidateRequest request,
                        v1::ValidateResponse* response) {
    if (!request.has_analysis()) *request.mutable_analysis() = Analysis();
    auto ctx = Context(token);
    return prediction_->Validate(ctx.get(), request, response);
  }

  grpc::Status Campaign(const std::string& token, const std::string& op,
                        v1::CampaignResponse* response, const std::string& method = "") {
    v1::CampaignRequest request;
    *request.mutable_analysis() = Analysis(method);
    request.set_operator_id(op);
    request.set_budget_km(25);
    auto ctx = Context(token);
    return prediction_->PlanCampaign(ctx.get(), request, response);
  }

  // Streams a raster into `path`; returns the call's status and the first chunk's file name.
  grpc::Status Raster(const std::string& token, const std::string& op, v1::Technology tech,
                      const std::string& layer, const std::string& crs, const fs::path& path,
                      std::string* file_name) {
    v1::CoverageRasterRequest request;
    *request.mutable_analysis() = Analysis();
    request.set_operator_id(op);
    request.set_tech(tech);
    request.set_layer(layer);
    request.set_crs(crs);
    auto ctx = Context(token);
    auto reader = prediction_->ExportCoverageRaster(ctx.get(), request);
    std::ofstream out(path, std::ios::binary);
    v1::FileChunk chunk;
    while (reader->Read(&chunk)) {
      if (!chunk.file_name().empty()) *file_name = chunk.file_name();
      out << chunk.data();
    }
    return reader->Finish();
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::PredictionService::Stub> prediction_;
  std::unique_ptr<v1::AnalysisService::Stub> analysis_;
  std::unique_ptr<v1::GapService::Stub> gaps_;
  std::unique_ptr<v1::AccessService::Stub> access_;
  std::string viewer_, viettel_, vnpt_;
};

TEST_F(PredictionServiceTest, AnAnalysisWithoutAMethodIsHybridWhenSitesAndAreasAreImported) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (const std::string method : {"", "binned"}) {
    auto ctx = Context(kBootstrap);
    auto reader = analysis_->RunAnalysis(ctx.get(), Analysis(method));
    v1::AnalysisProgress message;
    v1::AnalysisRunInfo run;
    while (reader->Read(&message)) {
      if (message.has_run()) run = message.run();
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(run.method(), method.empty() ? "hybrid" : "binned");
    EXPECT_TRUE(
        Contains(run.params_json(), "\"method\":\"" + (method.empty() ? "hybrid" : method) + "\""))
        << run.params_json();
    if (method.empty()) {
      // One model per group with sites: Viettel calibrated (the truth is 6 dB worse than the
      // textbook), VNPT without a measurement on textbook parameters.
      ASSERT_EQ(run.models_size(), 2);
      for (const auto& m : run.models()) {
        if (m.operator_id() == "viettel") {
          EXPECT_TRUE(m.calibrated());
          EXPECT_NEAR(m.intercept_db(), 6, 2);
        } else {
          EXPECT_EQ(m.operator_id(), "vnpt");
          EXPECT_FALSE(m.calibrated());
        }
      }
      // Gaps away from the roads are predicted, and say so.
      v1::ListGapsRequest list;
      list.set_page_size(1000);
      v1::ListGapsResponse gaps;
      auto lctx = Context(kBootstrap);
      ASSERT_TRUE(gaps_->ListGaps(lctx.get(), list, &gaps).ok());
      bool predicted = false;
      for (const auto& g : gaps.gaps()) predicted |= g.evidence() != "measured";
      EXPECT_TRUE(predicted);
    } else {
      EXPECT_EQ(run.models_size(), 0);
    }
  }
}

TEST_F(PredictionServiceTest, ValidateScoresTheCalibratedModelAgainstTheTextbook) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ValidateRequest request;
  request.set_folds(4);
  request.set_block_km(1.5);
  v1::ValidateResponse response;
  const grpc::Status status = Validate(viewer_, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.method(), "hybrid");
  EXPECT_EQ(response.folds(), 4);
  EXPECT_DOUBLE_EQ(response.block_km(), 1.5);
  EXPECT_EQ(response.measurements(), 12000u);
  // VNPT has sites but no measurement: nothing to score.
  ASSERT_EQ(response.groups_size(), 1);
  const auto& g = response.groups(0);
  EXPECT_EQ(g.operator_id(), "viettel");
  EXPECT_EQ(g.sites(), 4u);
  EXPECT_GT(g.held_out_cells(), 100u);
  EXPECT_LE(g.model().cells(), g.held_out_cells());
  EXPECT_GT(g.model().cells(), g.held_out_cells() * 9 / 10);
  EXPECT_LT(g.model().rmse_db(), g.baseline().rmse_db());
  EXPECT_LT(std::abs(g.model().bias_db()), 2.0);
  EXPECT_GT(g.baseline().bias_db(), 3.0);  // the textbook is too optimistic by ≈ 6 dB
  EXPECT_GT(g.model().within_2sigma(), 0.8);
}

TEST_F(PredictionServiceTest, ValidateRefusesWhatItCannotScore) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ValidateResponse response;
  v1::ValidateRequest binned;
  *binned.mutable_analysis() = Analysis("binned");
  grpc::Status s = Validate(kBootstrap, binned, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(s.error_message(), "--method hybrid")) << s.error_message();
  v1::ValidateRequest one_fold;
  one_fold.set_folds(1);
  s = Validate(kBootstrap, one_fold, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(s.error_message(), "between 2 and 20")) << s.error_message();
  v1::ValidateRequest others;
  others.set_operator_id("viettel");
  s = Validate(vnpt_, others, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Contains(s.error_message(), "not_your_operator")) << s.error_message();
  // VNPT's own: sites but no measurement in the window.
  s = Validate(vnpt_, {}, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Contains(s.error_message(), "ingest drive tests")) << s.error_message();
}

TEST_F(PredictionServiceTest, ACampaignIsTheCallersOwnOrderedRouteWithinTheBudget) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::CampaignResponse plan;
  const grpc::Status status = Campaign(viettel_, "", &plan);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(plan.operator_id(), "viettel");
  ASSERT_GT(plan.waypoints_size(), 0);
  EXPECT_LE(plan.route_km(), 25.0);
  for (int i = 0; i < plan.waypoints_size(); ++i) {
    const auto& w = plan.waypoints(i);
    EXPECT_EQ(w.order(), static_cast<std::uint32_t>(i + 1));
    EXPECT_TRUE(w.kind() == "school" || w.kind() == "cell") << w.kind();
    EXPECT_GT(w.p_good(), 0.0);
    EXPECT_LT(w.p_good(), 1.0);
    EXPECT_GE(w.lon(), kLon0 - 0.01);
    EXPECT_LE(w.lon(), kLon0 + kSpan + 0.01);
  }

  grpc::Status s = Campaign(kBootstrap, "", &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(s.error_message(), "--operator")) << s.error_message();
  s = Campaign(vnpt_, "viettel", &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = Campaign(viewer_, "viettel", &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  s = Campaign(kBootstrap, "viettel", &plan, "binned");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = Campaign(kBootstrap, "mobifone", &plan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Contains(s.error_message(), "covgap import sites")) << s.error_message();
}

TEST_F(PredictionServiceTest, ARasterIsACogGdalOpensInTheAskedCrs) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const fs::path path = dir_ / "p_good.tif";
  std::string name;
  const grpc::Status status = Raster(viettel_, "", v1::LTE, "p_good", "EPSG:4326", path, &name);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(name, "covgap-viettel-LTE-p_good.tif");
  GDALAllRegister();
  const geo::DatasetPtr owned(GDALOpen(path.c_str(), GA_ReadOnly));
  ASSERT_NE(owned, nullptr);
  GDALDatasetH ds = owned.get();
  const char* layout = GDALGetMetadataItem(ds, "LAYOUT", "IMAGE_STRUCTURE");
  ASSERT_NE(layout, nullptr);
  EXPECT_STREQ(layout, "COG");
  const geo::SrsPtr srs(OSRNewSpatialReference(GDALGetProjectionRef(ds)));
  ASSERT_NE(srs, nullptr);
  EXPECT_STREQ(OSRGetAuthorityCode(srs.get(), nullptr), "4326");
  GDALRasterBandH band = GDALGetRasterBand(ds, 1);
  int has_nodata = 0;
  GDALGetRasterNoDataValue(band, &has_nodata);
  EXPECT_TRUE(has_nodata);
  double minmax[2] = {0, 0};
  ASSERT_EQ(GDALComputeRasterMinMax(band, FALSE, minmax), CE_None);
  EXPECT_GE(minmax[0], 0.0);
  EXPECT_LE(minmax[1], 1.0);
  EXPECT_GT(minmax[1], minmax[0]);

  // No file is left behind in the scratch directory.
  for (const auto& entry : fs::directory_iterator(dir_)) {
    EXPECT_FALSE(Contains(entry.path().filename().string(), "raster-")) << entry.path();
  }

  EXPECT_EQ(Raster(viettel_, "", v1::LTE, "height", "", path, &name).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Raster(viettel_, "", v1::TECHNOLOGY_UNSPECIFIED, "rsrp", "", path, &name).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Raster(vnpt_, "viettel", v1::LTE, "rsrp", "", path, &name).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // VNPT's sites alone give a textbook raster: a prediction, no measurement needed.
  EXPECT_TRUE(Raster(vnpt_, "", v1::LTE, "class", "", path, &name).ok());
}

TEST_F(PredictionServiceTest, WithoutSitesEveryJobSaysToImportThem) {
  ASSERT_NO_FATAL_FAILURE(Start(/*with_sites=*/false));
  v1::ValidateResponse response;
  const grpc::Status s = Validate(kBootstrap, {}, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Contains(s.error_message(), "covgap import sites FILE")) << s.error_message();
  // And an analysis without a method stays binned.
  auto ctx = Context(kBootstrap);
  auto reader = analysis_->RunAnalysis(ctx.get(), Analysis());
  v1::AnalysisProgress message;
  v1::AnalysisRunInfo run;
  while (reader->Read(&message)) {
    if (message.has_run()) run = message.run();
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(run.method(), "binned");
}

}  // namespace
}  // namespace covgap::server
