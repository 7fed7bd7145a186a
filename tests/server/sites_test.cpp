// Operators' sites through a real gRPC server, in process, with tokens: RegistryService.Import of
// kind sites (an operator imports only its own operator's rows, every site names a registered
// operator, viewers import nothing, operators no other kind) and ListSites per role; and the
// prediction's result fields (evidence, p_good, meas_share on gaps; predicted figures on school
// coverage) on GetGap, ListGaps and ListSchools; WhoAmI and GetRegistryStats per role.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "covgap/v1/access.grpc.pb.h"
#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/schools.grpc.pb.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;

const std::string kBootstrap = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// row -> code of every rejected row.
std::map<std::uint64_t, std::string> Codes(const v1::ImportReport& report) {
  std::map<std::uint64_t, std::string> out;
  for (const auto& r : report.rejections()) out[r.row()] = r.code();
  return out;
}

std::vector<std::string> Ids(const v1::ListSitesResponse& response) {
  std::vector<std::string> ids;
  for (const auto& s : response.sites()) ids.push_back(s.site_id());
  return ids;
}

class SitesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_sites_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  void Start() {
    auto store = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ServerOptions options;  // in-process only
    options.auth_enabled = true;
    options.bootstrap_token = kBootstrap;
    auto server = CovgapServer::Start(std::move(store.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    auto channel = server_->InProcessChannel();
    registry_ = v1::RegistryService::NewStub(channel);
    gaps_ = v1::GapService::NewStub(channel);
    schools_ = v1::SchoolService::NewStub(channel);
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
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  // Uploads one CSV file as `kind` with `token`.
  grpc::Status Import(const std::string& token, const std::string& kind, const std::string& csv,
                      v1::ImportReport* report) {
    auto ctx = Context(token);
    auto writer = registry_->Import(ctx.get(), report);
    v1::ImportUpload spec;
    spec.mutable_spec()->set_kind(kind);
    v1::ImportUpload part;
    part.mutable_file()->set_file_name(kind + ".csv");
    part.mutable_file()->set_data(csv);
    if (writer->Write(spec)) writer->Write(part);
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status ListSites(const std::string& token, const std::string& op, v1::Technology tech,
                         v1::ListSitesResponse* response) {
    v1::ListSitesRequest request;
    request.set_operator_id(op);
    request.set_tech(tech);
    auto ctx = Context(token);
    return registry_->ListSites(ctx.get(), request, response);
  }

  // The site ids `token` sees with these filters; fails the test when the call fails.
  std::vector<std::string> SiteIds(const std::string& token, const std::string& op = "",
                                   v1::Technology tech = v1::TECHNOLOGY_UNSPECIFIED) {
    v1::ListSitesResponse response;
    const grpc::Status status = ListSites(token, op, tech, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return Ids(response);
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::GapService::Stub> gaps_;
  std::unique_ptr<v1::SchoolService::Stub> schools_;
  std::unique_ptr<v1::AccessService::Stub> access_;
  std::string viewer_, viettel_, vnpt_;
};

constexpr const char* kHeader =
    "site_id,operator,tech,lat,lon,height_m,azimuth_deg,band_mhz,eirp_dbm\n";

TEST_F(SitesTest, AnOperatorImportsItsOwnSitesAndOnlyThoseOfOtherOperatorsAreRejected) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string csv = std::string(kHeader) +
                          "VT-1,viettel,LTE,21.30,106.30,35,120,1800,61\n"  // 2
                          "VN-1,vnpt,UMTS,21.31,106.31,,,,\n"               // 3: vnpt's
                          "VT-2,Viettel,3G,21.32,106.32,,,,\n"              // 4: a name of viettel
                          "AC-1,acme,LTE,21.33,106.33,,,,\n"                // 5: nobody's
                          "VT-3,viettel,6G,21.34,106.34,,,,\n";             // 6: the reader's
  v1::ImportReport report;
  grpc::Status status = Import(viettel_, "sites", csv, &report);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(report.kind(), "sites");
  EXPECT_EQ(report.rows_read(), 5u);
  EXPECT_EQ(report.inserted(), 2u);
  EXPECT_EQ(report.updated(), 0u);
  EXPECT_EQ(report.rejected(), 3u);
  EXPECT_EQ(report.inserted() + report.updated() + report.rejected(), report.rows_read());
  const std::map<std::uint64_t, std::string> expected = {
      {3, "not_your_operator"}, {5, "not_your_operator"}, {6, "unknown_technology"}};
  EXPECT_EQ(Codes(report), expected);
  for (const auto& r : report.rejections()) {
    if (r.row() == 3) {
      EXPECT_TRUE(Contains(r.reason(), "viettel")) << r.reason();
      EXPECT_TRUE(Contains(r.reason(), "vnpt")) << r.reason();
    }
  }
  EXPECT_EQ(SiteIds(kBootstrap), (std::vector<std::string>{"VT-2", "VT-1"}));  // UMTS, then LTE

  // The same file again: viettel's two are updates; vnpt imports its own row of it.
  report.Clear();
  ASSERT_TRUE(Import(viettel_, "sites", csv, &report).ok());
  EXPECT_EQ(report.inserted(), 0u);
  EXPECT_EQ(report.updated(), 2u);
  report.Clear();
  ASSERT_TRUE(Import(vnpt_, "sites", csv, &report).ok());
  EXPECT_EQ(report.inserted(), 1u);
  EXPECT_EQ(Codes(report), (std::map<std::uint64_t, std::string>{{2, "not_your_operator"},
                                                                 {4, "not_your_operator"},
                                                                 {5, "not_your_operator"},
                                                                 {6, "unknown_technology"}}));

  // The authority imports any registered operator's sites; unregistered ones are rejected.
  report.Clear();
  ASSERT_TRUE(Import(kBootstrap, "sites", csv, &report).ok());
  EXPECT_EQ(report.inserted(), 0u);
  EXPECT_EQ(report.updated(), 3u);
  EXPECT_EQ(Codes(report), (std::map<std::uint64_t, std::string>{{5, "unknown_operator"},
                                                                 {6, "unknown_technology"}}));
  EXPECT_EQ(SiteIds(kBootstrap), (std::vector<std::string>{"VT-2", "VT-1", "VN-1"}));
}

TEST_F(SitesTest, ViewersImportNothingAndOperatorsNoOtherKind) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string sites = std::string(kHeader) + "VT-1,viettel,LTE,21.30,106.30,,,,\n";
  v1::ImportReport report;
  grpc::Status status = Import(viewer_, "sites", sites, &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "viewer")) << status.error_message();
  status =
      Import(viettel_, "schools",
             "school_id,name,level,lat,lon,students_nodev\nS1,A,primary,21.3,106.3,1\n", &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "only its own sites")) << status.error_message();
  EXPECT_TRUE(SiteIds(kBootstrap).empty());
  // A file of the wrong shape is refused as a whole, naming what is missing.
  status = Import(viettel_, "sites", "site_id,lat,lon\nVT-1,21.3,106.3\n", &report);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Contains(status.error_message(), "operator, tech")) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "sites.csv")) << status.error_message();
}

TEST_F(SitesTest, ListSitesFiltersByOperatorAndTechnologyAndOperatorsSeeOnlyTheirOwn) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::ImportReport report;
  ASSERT_TRUE(Import(kBootstrap, "sites",
                     std::string(kHeader) + "VT-L1,viettel,LTE,21.30,106.30,35,120,1800,61\n"
                                            "VT-U1,viettel,UMTS,21.31,106.31,,,,\n"
                                            "VN-U1,vnpt,UMTS,21.32,106.32,,,,\n"
                                            "MF-N1,mobifone,NR,21.33,106.33,,,,\n",
                     &report)
                  .ok());
  ASSERT_EQ(report.inserted(), 4u);

  const std::vector<std::string> all = {"MF-N1", "VT-U1", "VT-L1", "VN-U1"};
  EXPECT_EQ(SiteIds(kBootstrap), all);
  EXPECT_EQ(SiteIds(viewer_), all);
  EXPECT_EQ(SiteIds(kBootstrap, "vnpt"), (std::vector<std::string>{"VN-U1"}));
  EXPECT_EQ(SiteIds(viewer_, "", v1::UMTS), (std::vector<std::string>{"VT-U1", "VN-U1"}));
  EXPECT_EQ(SiteIds(kBootstrap, "viettel", v1::LTE), (std::vector<std::string>{"VT-L1"}));
  EXPECT_TRUE(SiteIds(kBootstrap, "gmobile").empty());

  // An operator: its own sites only, filtered further by technology.
  EXPECT_EQ(SiteIds(viettel_), (std::vector<std::string>{"VT-U1", "VT-L1"}));
  EXPECT_EQ(SiteIds(viettel_, "viettel", v1::LTE), (std::vector<std::string>{"VT-L1"}));
  EXPECT_EQ(SiteIds(vnpt_), (std::vector<std::string>{"VN-U1"}));
  v1::ListSitesResponse response;
  const grpc::Status other = ListSites(viettel_, "vnpt", v1::TECHNOLOGY_UNSPECIFIED, &response);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other.error_message();
  EXPECT_EQ(response.sites_size(), 0);

  // Every field comes back; the default figures of a row that left them empty.
  response.Clear();
  ASSERT_TRUE(ListSites(viewer_, "viettel", v1::TECHNOLOGY_UNSPECIFIED, &response).ok());
  ASSERT_EQ(response.sites_size(), 2);
  const v1::Site& lte = response.sites(1);
  EXPECT_EQ(lte.site_id(), "VT-L1");
  EXPECT_EQ(lte.operator_id(), "viettel");
  EXPECT_EQ(lte.tech(), v1::LTE);
  EXPECT_DOUBLE_EQ(lte.lat(), 21.30);
  EXPECT_DOUBLE_EQ(lte.lon(), 106.30);
  EXPECT_DOUBLE_EQ(lte.height_m(), 35);
  ASSERT_TRUE(lte.has_azimuth_deg());
  EXPECT_DOUBLE_EQ(lte.azimuth_deg(), 120);
  EXPECT_FALSE(lte.has_beamwidth_deg());
  EXPECT_DOUBLE_EQ(lte.band_mhz(), 1800);
  EXPECT_DOUBLE_EQ(lte.eirp_dbm(), 61);
  const v1::Site& umts = response.sites(0);
  EXPECT_FALSE(umts.has_azimuth_deg());  // omni
  EXPECT_DOUBLE_EQ(umts.height_m(), 30);
  EXPECT_DOUBLE_EQ(umts.band_mhz(), 2100);
  EXPECT_DOUBLE_EQ(umts.eirp_dbm(), 58);
}

// The prediction's result fields reach the API: evidence, p_good and meas_share on GetGap and
// ListGaps; predicted_dbm, sigma_db and p_good_indoor on ListSchools, only where they are set.
TEST_F(SitesTest, GapsAndSchoolCoverageCarryThePredictionFields) {
  {
    auto store = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    geo::School school;
    school.school_id = "BG-TH-001";
    school.name = "Trường Tiểu học Cấm Sơn";
    school.lat = 21.45;
    school.lon = 106.62;
    ASSERT_TRUE((*store)->UpsertSchools({school}).ok());
    geo::Gap gap;
    gap.gap_id = "viettel-LTE-1";
    gap.operator_id = "viettel";
    gap.evidence = geo::Evidence::kMixed;
    gap.p_good = 0.25;
    gap.meas_share = 0.75;
    gap.crs = "EPSG:32648";
    gap.wkb = std::string(9, '\0');
    geo::SchoolCoverage measured;
    measured.school_id = "BG-TH-001";
    measured.operator_id = "viettel";
    measured.indoor_class = geo::CellClass::kWeak;
    measured.samples = 5;
    measured.median_dbm = -101;
    geo::SchoolCoverage predicted = measured;
    predicted.operator_id = "vnpt";
    predicted.samples = 0;
    predicted.median_dbm = std::nan("");
    predicted.predicted_dbm = -93.5;
    predicted.sigma_db = 7.25;
    predicted.p_good_indoor = 0.125;
    store::AnalysisRun run;
    run.params_json = "{}";
    run.summary_json = "{}";
    ASSERT_TRUE((*store)->SaveAnalysis(run, {gap}, {measured, predicted}).ok());
  }
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::GetGapRequest request;
  request.set_gap_id("viettel-LTE-1");
  v1::Gap gap;
  auto ctx = Context(viewer_);
  const grpc::Status got = gaps_->GetGap(ctx.get(), request, &gap);
  ASSERT_TRUE(got.ok()) << got.error_message();
  EXPECT_EQ(gap.evidence(), "mixed");
  EXPECT_DOUBLE_EQ(gap.p_good(), 0.25);
  EXPECT_DOUBLE_EQ(gap.meas_share(), 0.75);
  v1::ListGapsResponse listed;
  ctx = Context(viettel_);
  ASSERT_TRUE(gaps_->ListGaps(ctx.get(), {}, &listed).ok());
  ASSERT_EQ(listed.gaps_size(), 1);
  EXPECT_EQ(listed.gaps(0).evidence(), "mixed");
  EXPECT_DOUBLE_EQ(listed.gaps(0).p_good(), 0.25);

  v1::ListSchoolsResponse schools;
  ctx = Context(viewer_);
  const grpc::Status listed_schools = schools_->ListSchools(ctx.get(), {}, &schools);
  ASSERT_TRUE(listed_schools.ok()) << listed_schools.error_message();
  ASSERT_EQ(schools.schools_size(), 1);
  ASSERT_EQ(schools.schools(0).coverage_size(), 2);
  const v1::SchoolCoverage& m = schools.schools(0).coverage(0);
  EXPECT_EQ(m.operator_id(), "viettel");
  EXPECT_FALSE(m.has_predicted_dbm());
  EXPECT_FALSE(m.has_sigma_db());
  EXPECT_FALSE(m.has_p_good_indoor());
  const v1::SchoolCoverage& p = schools.schools(0).coverage(1);
  EXPECT_EQ(p.operator_id(), "vnpt");
  EXPECT_FALSE(p.has_median_dbm());
  ASSERT_TRUE(p.has_predicted_dbm() && p.has_sigma_db() && p.has_p_good_indoor());
  EXPECT_DOUBLE_EQ(p.predicted_dbm(), -93.5);
  EXPECT_DOUBLE_EQ(p.sigma_db(), 7.25);
  EXPECT_DOUBLE_EQ(p.p_good_indoor(), 0.125);
}

// covgap doctor's two questions: who am I (any role), and what is imported (counts; households
// only to the authority, an operator's own sites only).
TEST_F(SitesTest, WhoAmIAndRegistryStatsAnswerEachRoleWhatItMaySee) {
  ASSERT_NO_FATAL_FAILURE(Start());
  v1::WhoAmIResponse me;
  auto ctx = Context(viettel_);
  ASSERT_TRUE(access_->WhoAmI(ctx.get(), {}, &me).ok());
  EXPECT_EQ(me.role(), "operator");
  EXPECT_EQ(me.operator_id(), "viettel");
  EXPECT_TRUE(viettel_.starts_with("cgp_" + me.token_id().substr(4) + "_")) << me.token_id();
  EXPECT_GT(me.created_unix_ms(), 0);
  auto allowed = [&](const std::string& rpc) {
    for (const auto& r : me.allowed_rpcs())
      if (r == rpc) return true;
    return false;
  };
  EXPECT_TRUE(allowed("Ingest"));
  EXPECT_FALSE(allowed("RunAnalysis"));
  me.Clear();
  ctx = Context(kBootstrap);
  ASSERT_TRUE(access_->WhoAmI(ctx.get(), {}, &me).ok());
  EXPECT_EQ(me.role(), "authority");
  EXPECT_TRUE(me.operator_id().empty());
  ctx = Context("cgp_nobody00_0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(access_->WhoAmI(ctx.get(), {}, &me).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Empty registry: zero everywhere, the registered operators listed.
  v1::RegistryStats stats;
  ctx = Context(kBootstrap);
  ASSERT_TRUE(registry_->GetRegistryStats(ctx.get(), {}, &stats).ok());
  EXPECT_EQ(stats.districts() + stats.schools() + stats.sites_size(), 0u);
  ASSERT_TRUE(stats.has_households());
  EXPECT_EQ(stats.households(), 0u);
  EXPECT_GE(stats.operators_size(), 3);

  v1::ImportReport report;
  ASSERT_TRUE(Import(kBootstrap, "sites",
                     std::string(kHeader) + "VT-1,viettel,LTE,21.30,106.30,,,,\n"
                                            "VT-2,viettel,LTE,21.31,106.30,,,,\n"
                                            "VN-1,vnpt,UMTS,21.32,106.30,,,,\n",
                     &report)
                  .ok());
  EXPECT_EQ(report.inserted(), 3u);
  ASSERT_TRUE(Import(kBootstrap, "schools",
                     "school_id,name,level,lat,lon,students_nodev\nS1,A,primary,21.3,106.3,1\n"
                     "S2,B,primary,21.4,106.3,2\n",
                     &report)
                  .ok());
  ASSERT_TRUE(Import(kBootstrap, "households",
                     "household_id,lat,lon,category,students_nodev\nH1,21.3,106.3,poor,1\n",
                     &report)
                  .ok());

  stats.Clear();
  ctx = Context(kBootstrap);
  ASSERT_TRUE(registry_->GetRegistryStats(ctx.get(), {}, &stats).ok());
  EXPECT_EQ(stats.schools(), 2u);
  EXPECT_EQ(stats.households(), 1u);
  ASSERT_EQ(stats.sites_size(), 2);
  EXPECT_EQ(stats.sites(0).operator_id(), "viettel");
  EXPECT_EQ(stats.sites(0).count(), 2u);
  EXPECT_EQ(stats.sites(1).operator_id(), "vnpt");

  stats.Clear();
  ctx = Context(viettel_);
  ASSERT_TRUE(registry_->GetRegistryStats(ctx.get(), {}, &stats).ok());
  EXPECT_EQ(stats.schools(), 2u);
  EXPECT_FALSE(stats.has_households()) << "households are counted for the authority only";
  ASSERT_EQ(stats.sites_size(), 1) << "an operator sees its own sites only";
  EXPECT_EQ(stats.sites(0).operator_id(), "viettel");

  stats.Clear();
  ctx = Context(viewer_);
  ASSERT_TRUE(registry_->GetRegistryStats(ctx.get(), {}, &stats).ok());
  EXPECT_FALSE(stats.has_households());
  EXPECT_EQ(stats.sites_size(), 2);
}

}  // namespace
}  // namespace covgap::server
