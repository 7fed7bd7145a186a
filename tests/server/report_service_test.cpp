// ReportService.BuildReport through a real in-process gRPC server with tokens: who may call it,
// every format, the deadline (request or covgapd's default), the baseline run surviving the
// pruning of old runs, and no household id in any format (docs/report.md, docs/security.md).
#include <gtest/gtest.h>
#include <ogr_api.h>

#include <chrono>
#include <filesystem>

#include "covgap/v1/report.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "geo/spatial/point_projector.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"
#include "tests/support/test_geometry.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;
using test_support::SquareAround;
using test_support::Wkb;

constexpr char kAuthority[] = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";
constexpr char kViewer[] = "cgp_view0000_0123456789abcdef0123456789abcdef0123viewer";
constexpr char kOperator[] = "cgp_oper0000_0123456789abcdef0123456789abcdef0123operat";

// A 400 m square common or operator gap around (lon, lat), in EPSG:32648.
geo::Gap GapAround(const std::string& id, geo::GapKind kind, const std::string& op,
                   const std::string& status, double lon, double lat) {
  geo::Gap g;
  g.gap_id = id;
  g.kind = kind;
  g.operator_id = op;
  g.district = "Huyện Lục Ngạn";
  g.status = status;
  g.crs = "EPSG:32648";
  g.wkb = SquareAround(lon, lat);
  return g;
}

class ReportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    geo::InitGdal();
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_report_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // Seeds the store (registry, `runs` analyses, tokens) and starts the server on it.
  void Start(int runs, std::int64_t default_deadline_ms = 0) {
    auto opened = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store::Store& s = *opened.value();
    for (auto [text, role] : {std::pair{kViewer, "viewer"}, {kOperator, "operator:viettel"}}) {
      auto t = AccessControl::TokenFromText(text, role, "test", "test");
      ASSERT_TRUE(t.ok()) << t.status().message();
      ASSERT_TRUE(s.CreateToken(t->record).ok());
    }
    geo::AdminArea district;
    district.level = geo::AreaLevel::kDistrict;
    district.code = "LN";
    district.name = "Huyện Lục Ngạn";
    district.wkb = Wkb("POLYGON ((106.5 21.2,106.9 21.2,106.9 21.5,106.5 21.5,106.5 21.2))");
    ASSERT_TRUE(s.UpsertAreas({district}).ok());
    geo::School school;
    school.school_id = "TH-01";
    school.name = "Trường Tiểu học Tân Sơn";
    school.district = "Lục Ngạn";
    school.lon = 106.7;
    school.lat = 21.3;
    school.students = 400;
    school.students_nodev = 31;
    ASSERT_TRUE(s.UpsertSchools({school}).ok());
    geo::Household household;
    household.household_id = "HH-SECRET-0042";
    household.category = geo::HouseholdCategory::kPoor;
    household.lon = 106.7005;
    household.lat = 21.3;
    household.students_nodev = 2;
    household.district = "Huyện Lục Ngạn";
    ASSERT_TRUE(s.UpsertHouseholds({household}).ok());
    // Run 1 (the baseline): a common gap over the school and the household. Later runs: a
    // verified common gap there (another id: the store carries a status over by id), a viettel
    // gap planned elsewhere.
    for (int run = 1; run <= runs; ++run) {
      std::vector<geo::Gap> gaps;
      if (run == 1) {
        gaps.push_back(GapAround("common-1", geo::GapKind::kCommon, "", "open", 106.7, 21.3));
      } else {
        gaps.push_back(GapAround("common-2", geo::GapKind::kCommon, "", "verified", 106.7, 21.3));
        gaps.push_back(
            GapAround("viettel-1", geo::GapKind::kOperator, "viettel", "planned", 106.8, 21.4));
        gaps.back().target_ms = *geo::ParseIso8601("2021-12-05");
      }
      store::AnalysisRun r;
      r.started_ms = r.finished_ms = *geo::ParseIso8601("2021-12-01");
      r.params_json = "{}";
      r.summary_json = "{}";
      ASSERT_TRUE(s.SaveAnalysis(r, gaps).ok());
    }
    ServerOptions options;
    options.auth_enabled = true;
    options.bootstrap_token = kAuthority;
    options.report_deadline_ms = default_deadline_ms;
    options.school_coverage = [](store::Store&) -> StatusOr<std::vector<geo::SchoolCoverage>> {
      geo::SchoolCoverage c;
      c.school_id = "TH-01";
      c.operator_id = "viettel";
      c.indoor_class = geo::CellClass::kWeak;  // no operator good indoors: white zone
      return std::vector<geo::SchoolCoverage>{c};
    };
    auto server = CovgapServer::Start(std::move(opened.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    stub_ = v1::ReportService::NewStub(server_->InProcessChannel());
  }

  grpc::Status Build(const std::string& token, const std::string& format, std::string* data,
                     std::string* file_name = nullptr, std::int64_t deadline_ms = -1) {
    v1::BuildReportRequest request;
    request.set_format(format);
    request.set_deadline_unix_ms(deadline_ms >= 0 ? deadline_ms : *geo::ParseIso8601("2021-12-20"));
    request.set_as_of_unix_ms(*geo::ParseIso8601("2021-12-10T08:00:00Z"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    auto reader = stub_->BuildReport(&ctx, request);
    v1::FileChunk chunk;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first && file_name) *file_name = chunk.file_name();
      first = false;
      *data += chunk.data();
    }
    return reader->Finish();
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::ReportService::Stub> stub_;
};

TEST_F(ReportServiceTest, AuthorityAndViewerMayBuildItOperatorsAndStrangersMayNot) {
  ASSERT_NO_FATAL_FAILURE(Start(2));
  std::string data;
  EXPECT_TRUE(Build(kAuthority, "table", &data).ok());
  data.clear();
  EXPECT_TRUE(Build(kViewer, "table", &data).ok());
  EXPECT_NE(data.find("days left 10"), std::string::npos) << data;
  data.clear();
  EXPECT_EQ(Build(kOperator, "table", &data).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Build("", "table", &data).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ReportServiceTest, EveryFormatWithItsFileNameAndNoHouseholdId) {
  ASSERT_NO_FATAL_FAILURE(Start(2));
  for (const auto& [format, ext, marker] : {std::tuple{"table", ".txt", "By district"},
                                            {"json", ".json", "\"baseline_run_id\":1"},
                                            {"csv", ".csv", "section,district,open"},
                                            {"html", ".html", "<!DOCTYPE html>"}}) {
    SCOPED_TRACE(format);
    std::string data, name;
    const grpc::Status status = Build(kViewer, format, &data, &name);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(name, std::string("covgap-report-2021-12-10") + ext);
    EXPECT_NE(data.find(marker), std::string::npos) << data.substr(0, 400);
    EXPECT_EQ(data.find("HH-SECRET-0042"), std::string::npos);
  }
}

TEST_F(ReportServiceTest, FiguresCompareTheFirstRunWithTheLatestAfterPruning) {
  ASSERT_NO_FATAL_FAILURE(Start(8));  // runs 2..3 lose their gaps; run 1 keeps them
  std::string json;
  ASSERT_TRUE(Build(kAuthority, "json", &json).ok());
  // Start: school (31) and household (2) in the common gap of run 1; now it is verified.
  EXPECT_NE(json.find("\"baseline_run_id\":1"), std::string::npos) << json;
  EXPECT_NE(json.find("\"latest_run_id\":8"), std::string::npos) << json;
  EXPECT_NE(json.find("\"students_start\":33,\"students_now\":0"), std::string::npos) << json;
  // viettel's plan: target 2021-12-05 passed by 2021-12-10.
  EXPECT_NE(json.find("\"overdue_plans\":1"), std::string::npos) << json;
  // Readiness: the school is in a white zone (coverage source), 31 without a device.
  EXPECT_NE(json.find("\"schools_white_zone\":1"), std::string::npos) << json;
  // A binned run: measured, not covered, and nothing predicted so nothing uncertain.
  EXPECT_NE(json.find("\"readiness_total\":{\"district\":\"\",\"schools\":1,"
                      "\"schools_white_zone\":1,\"schools_no_data\":0,\"schools_covered\":0,"
                      "\"schools_uncertain\":0,"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"students_nodev_white_zone\":31"), std::string::npos) << json;
}

TEST_F(ReportServiceTest, DeadlineFromTheRequestOrTheServerDefault) {
  ASSERT_NO_FATAL_FAILURE(Start(1));
  std::string data;
  const grpc::Status none = Build(kAuthority, "table", &data, nullptr, 0);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(none.error_message().find("--deadline"), std::string::npos);
  server_.reset();
  fs::remove_all(dir_);
  ASSERT_NO_FATAL_FAILURE(Start(1, *geo::ParseIso8601("2021-12-31")));
  data.clear();
  ASSERT_TRUE(Build(kAuthority, "table", &data, nullptr, 0).ok());
  EXPECT_NE(data.find("deadline 2021-12-31, days left 21"), std::string::npos) << data;
}

TEST_F(ReportServiceTest, BadFormatAndNoAnalysisAreClearErrors) {
  ASSERT_NO_FATAL_FAILURE(Start(0));
  std::string data;
  const grpc::Status no_run = Build(kAuthority, "table", &data);
  EXPECT_EQ(no_run.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(no_run.error_message().find("no analysis"), std::string::npos);
  const grpc::Status pdf = Build(kAuthority, "pdf", &data);
  EXPECT_EQ(pdf.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(pdf.error_message().find("table, json, csv, html"), std::string::npos);
}

}  // namespace
}  // namespace covgap::server
