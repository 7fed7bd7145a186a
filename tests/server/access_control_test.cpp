// Access control through a real gRPC server, in process, with bearer tokens turned on: the role x
// RPC table for every RPC and every kind of caller, operators limited to their own rows,
// revocation on the next call, secrets never stored or listed, the bootstrap token, the audit
// trail, the per-token ingestion rate limit, bounded and deadline-bound analyses, and household
// ids and positions never leaving covgapd through gaps or exports (docs/security.md).
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <ogr_api.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "covgap/v1/access.grpc.pb.h"
#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/measurement.grpc.pb.h"
#include "covgap/v1/prediction.grpc.pb.h"
#include "covgap/v1/report.grpc.pb.h"
#include "covgap/v1/schools.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"
#include "tests/support/utm_cells.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::system_clock;

// The authority token every test server starts with: id "boot0000", a 40-character secret.
constexpr char kBootstrapId[] = "boot0000";
constexpr char kBootstrapSecret[] = "0123456789abcdef0123456789abcdef01234567";
const std::string kBootstrap = std::string("cgp_") + kBootstrapId + "_" + kBootstrapSecret;

std::int64_t UnixMs(int year, unsigned month, unsigned day) {
  return geo::DaysFromCivil(year, month, day) * 86'400'000;
}

// The secret part of "cgp_<id>_<secret>".
std::string SecretOf(const std::string& token) {
  const auto first = token.find('_');
  const auto second = token.find('_', first + 1);
  return token.substr(second + 1);
}

// Every byte of every file under `dir`.
std::string BytesUnder(const fs::path& dir) {
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    all += out.str();
  }
  return all;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string RawDouble(double v) {
  std::string bytes(sizeof v, '\0');
  std::memcpy(bytes.data(), &v, sizeof v);
  return bytes;
}

v1::Measurement Row(const std::string& op, double lat, double lon, int dbm,
                    std::int64_t t = UnixMs(2021, 11, 1)) {
  v1::Measurement m;
  m.set_operator_id(op);
  m.set_tech(v1::LTE);
  m.set_lat(lat);
  m.set_lon(lon);
  m.set_signal_dbm(dbm);
  m.set_time_unix_ms(t);
  m.set_source(v1::DRIVE);
  return m;
}

v1::MeasurementBatch Batch(const std::string& id, const std::vector<std::string>& operators) {
  v1::MeasurementBatch batch;
  batch.set_batch_id(id);
  for (std::size_t i = 0; i < operators.size(); ++i) {
    *batch.add_measurements() = Row(operators[i], 21.3 + 0.001 * static_cast<double>(i), 106.3,
                                    -100 - static_cast<int>(i % 20));
  }
  return batch;
}

// A ClientContext with a 60 s deadline and, unless `authorization` is empty, that metadata.
std::unique_ptr<grpc::ClientContext> Context(const std::string& authorization) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(system_clock::now() + seconds(60));
  if (!authorization.empty()) ctx->AddMetadata("authorization", authorization);
  return ctx;
}
std::string Bearer(const std::string& token) { return "Bearer " + token; }

StatusOr<std::unique_ptr<CovgapServer>> StartServer(const fs::path& dir,
                                                    const ServerOptions& options) {
  auto store = store::OpenSqliteStore(dir.string());
  if (!store.ok()) return store.status();
  return CovgapServer::Start(std::move(store.value()), options);
}

ServerOptions AuthOptions(const std::string& bootstrap = kBootstrap) {
  ServerOptions options;  // in-process only
  options.auth_enabled = true;
  options.bootstrap_token = bootstrap;
  return options;
}

fs::path TestDir(const std::string& suffix = "") {
  return fs::path(::testing::TempDir()) /
         ("covgap_acl_" +
          std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + suffix);
}

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    fs::remove_all(dir_);
    ASSERT_NO_FATAL_FAILURE(Start(AuthOptions()));
    ASSERT_TRUE(server_->bootstrap_token().has_value());
    ASSERT_EQ(*server_->bootstrap_token(), kBootstrap);
    ASSERT_NO_FATAL_FAILURE(viewer_ = CreateToken("viewer", "a viewer"));
    ASSERT_NO_FATAL_FAILURE(viettel_ = CreateToken("operator:viettel", "viettel's uploader"));
    ASSERT_NO_FATAL_FAILURE(vnpt_ = CreateToken("operator:vnpt", "vnpt's uploader"));
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  void Start(const ServerOptions& options) {
    server_.reset();
    auto server = StartServer(dir_, options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    auto channel = server_->InProcessChannel();
    measurements_ = v1::MeasurementService::NewStub(channel);
    registry_ = v1::RegistryService::NewStub(channel);
    analysis_ = v1::AnalysisService::NewStub(channel);
    gaps_ = v1::GapService::NewStub(channel);
    schools_ = v1::SchoolService::NewStub(channel);
    reports_ = v1::ReportService::NewStub(channel);
    access_ = v1::AccessService::NewStub(channel);
    prediction_ = v1::PredictionService::NewStub(channel);
  }

  // A new token made by the bootstrap authority; fails the test when refused.
  v1::CreateTokenResponse CreateToken(const std::string& role, const std::string& label) {
    v1::CreateTokenRequest request;
    request.set_role(role);
    request.set_label(label);
    v1::CreateTokenResponse response;
    auto ctx = Context(Bearer(kBootstrap));
    const grpc::Status status = access_->CreateToken(ctx.get(), request, &response);
    EXPECT_TRUE(status.ok()) << role << ": " << status.error_message();
    EXPECT_TRUE(response.secret_token().starts_with("cgp_" + response.token().token_id() + "_"))
        << response.secret_token();
    return response;
  }

  grpc::Status Revoke(const std::string& token_id, v1::RevokeTokenResponse* response = nullptr,
                      const std::string& as = kBootstrap) {
    v1::RevokeTokenRequest request;
    request.set_token_id(token_id);
    v1::RevokeTokenResponse ignored;
    auto ctx = Context(Bearer(as));
    return access_->RevokeToken(ctx.get(), request, response ? response : &ignored);
  }

  grpc::Status Ingest(const std::string& token, const std::vector<v1::MeasurementBatch>& batches,
                      v1::IngestSummary* summary) {
    auto ctx = Context(Bearer(token));
    auto writer = measurements_->Ingest(ctx.get(), summary);
    for (const auto& b : batches) {
      if (!writer->Write(b)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status GetStats(const std::string& token, v1::Stats* stats) {
    auto ctx = Context(Bearer(token));
    return measurements_->GetStats(ctx.get(), {}, stats);
  }
  std::uint64_t TotalMeasurements() {
    v1::Stats stats;
    const grpc::Status status = GetStats(kBootstrap, &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats.total();
  }

  grpc::Status RunAnalysis(const std::string& token, const v1::RunAnalysisRequest& request,
                           std::vector<v1::AnalysisProgress>* progress = nullptr) {
    auto ctx = Context(Bearer(token));
    auto reader = analysis_->RunAnalysis(ctx.get(), request);
    v1::AnalysisProgress p;
    while (reader->Read(&p)) {
      if (progress != nullptr) progress->push_back(p);
    }
    return reader->Finish();
  }

  grpc::Status GetLatestRun(const std::string& token, v1::AnalysisRunInfo* run) {
    auto ctx = Context(Bearer(token));
    return analysis_->GetLatestRun(ctx.get(), {}, run);
  }

  grpc::Status ListAudit(const std::string& token, std::uint32_t limit,
                         v1::ListAuditResponse* response) {
    v1::ListAuditRequest request;
    request.set_limit(limit);
    auto ctx = Context(Bearer(token));
    return access_->ListAudit(ctx.get(), request, response);
  }

  grpc::Status Export(const std::string& token, const std::string& format, std::string* file_name,
                      std::string* data) {
    v1::ExportGapsRequest request;
    request.set_format(format);
    auto ctx = Context(Bearer(token));
    auto reader = gaps_->ExportGaps(ctx.get(), request);
    v1::FileChunk chunk;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first) *file_name = chunk.file_name();
      first = false;
      *data += chunk.data();
    }
    return reader->Finish();
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::MeasurementService::Stub> measurements_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::AnalysisService::Stub> analysis_;
  std::unique_ptr<v1::GapService::Stub> gaps_;
  std::unique_ptr<v1::SchoolService::Stub> schools_;
  std::unique_ptr<v1::ReportService::Stub> reports_;
  std::unique_ptr<v1::PredictionService::Stub> prediction_;
  std::unique_ptr<v1::AccessService::Stub> access_;
  v1::CreateTokenResponse viewer_;
  v1::CreateTokenResponse viettel_;
  v1::CreateTokenResponse vnpt_;
};

// ---- 1. the role x RPC table ----

// What docs/security.md says each role may call, written out (not computed with Allowed()).
const std::set<std::string> kEveryRpc = {"MeasurementService.Ingest",
                                         "MeasurementService.GetStats",
                                         "RegistryService.Import",
                                         "RegistryService.ImportAreas",
                                         "RegistryService.ImportSchools",
                                         "RegistryService.ImportHouseholds",
                                         "AnalysisService.RunAnalysis",
                                         "AnalysisService.GetLatestRun",
                                         "GapService.ListGaps",
                                         "GapService.GetGap",
                                         "GapService.ExportGaps",
                                         "AccessService.CreateToken",
                                         "AccessService.ListTokens",
                                         "AccessService.RevokeToken",
                                         "AccessService.ListAudit",
                                         "SchoolService.ListSchools",
                                         "ReportService.BuildReport",
                                         "RegistryService.ListSites",
                                         "PredictionService.Validate",
                                         "PredictionService.PlanCampaign",
                                         "PredictionService.ExportCoverageRaster",
                                         "AccessService.WhoAmI",
                                         "RegistryService.GetRegistryStats"};
const std::map<std::string, std::set<std::string>> kAllowedByRole = {
    {"authority", kEveryRpc},
    // Import: an operator uploads its own sites only (the kind is checked on the spec:
    // tests/server/sites_test.cpp); here the upload has no spec.
    {"operator",
     {"MeasurementService.Ingest", "MeasurementService.GetStats", "RegistryService.Import",
      "AnalysisService.GetLatestRun", "GapService.ListGaps", "GapService.GetGap",
      "GapService.ExportGaps", "SchoolService.ListSchools", "RegistryService.ListSites",
      "PredictionService.Validate", "PredictionService.PlanCampaign",
      "PredictionService.ExportCoverageRaster", "AccessService.WhoAmI",
      "RegistryService.GetRegistryStats"}},
    {"viewer",
     {"MeasurementService.GetStats", "AnalysisService.GetLatestRun", "GapService.ListGaps",
      "GapService.GetGap", "GapService.ExportGaps", "SchoolService.ListSchools",
      "ReportService.BuildReport", "RegistryService.ListSites", "PredictionService.Validate",
      "PredictionService.ExportCoverageRaster", "AccessService.WhoAmI",
      "RegistryService.GetRegistryStats"}},
};

TEST_F(AccessControlTest, EveryRpcFollowsTheRoleTableForEveryKindOfCaller) {
  // Every RPC with a minimal request.
  using Call = std::function<grpc::Status(grpc::ClientContext*)>;
  const std::map<std::string, Call> calls = {
      {"MeasurementService.Ingest",
       [&](grpc::ClientContext* ctx) {
         v1::IngestSummary summary;
         auto writer = measurements_->Ingest(ctx, &summary);
         writer->WritesDone();
         return writer->Finish();
       }},
      {"MeasurementService.GetStats",
       [&](grpc::ClientContext* ctx) {
         v1::Stats stats;
         return measurements_->GetStats(ctx, {}, &stats);
       }},
      {"RegistryService.Import",
       [&](grpc::ClientContext* ctx) {
         v1::ImportReport report;
         auto writer = registry_->Import(ctx, &report);
         writer->WritesDone();
         return writer->Finish();
       }},
      {"RegistryService.ImportAreas",
       [&](grpc::ClientContext* ctx) {
         v1::ImportSummary summary;
         return registry_->ImportAreas(ctx, {}, &summary);
       }},
      {"RegistryService.ImportSchools",
       [&](grpc::ClientContext* ctx) {
         v1::ImportSummary summary;
         return registry_->ImportSchools(ctx, {}, &summary);
       }},
      {"RegistryService.ImportHouseholds",
       [&](grpc::ClientContext* ctx) {
         v1::ImportSummary summary;
         return registry_->ImportHouseholds(ctx, {}, &summary);
       }},
      {"AnalysisService.RunAnalysis",
       [&](grpc::ClientContext* ctx) {
         auto reader = analysis_->RunAnalysis(ctx, {});
         v1::AnalysisProgress p;
         while (reader->Read(&p)) {
         }
         return reader->Finish();
       }},
      {"AnalysisService.GetLatestRun",
       [&](grpc::ClientContext* ctx) {
         v1::AnalysisRunInfo run;
         return analysis_->GetLatestRun(ctx, {}, &run);
       }},
      {"GapService.ListGaps",
       [&](grpc::ClientContext* ctx) {
         v1::ListGapsResponse response;
         return gaps_->ListGaps(ctx, {}, &response);
       }},
      {"GapService.GetGap",
       [&](grpc::ClientContext* ctx) {
         v1::GetGapRequest request;
         request.set_gap_id("viettel-LTE-1_1");
         v1::Gap gap;
         return gaps_->GetGap(ctx, request, &gap);
       }},
      {"GapService.ExportGaps",
       [&](grpc::ClientContext* ctx) {
         auto reader = gaps_->ExportGaps(ctx, {});
         v1::FileChunk chunk;
         while (reader->Read(&chunk)) {
         }
         return reader->Finish();
       }},
      {"AccessService.CreateToken",
       [&](grpc::ClientContext* ctx) {
         v1::CreateTokenResponse response;
         return access_->CreateToken(ctx, {}, &response);
       }},
      {"AccessService.ListTokens",
       [&](grpc::ClientContext* ctx) {
         v1::ListTokensResponse response;
         return access_->ListTokens(ctx, {}, &response);
       }},
      {"AccessService.RevokeToken",
       [&](grpc::ClientContext* ctx) {
         v1::RevokeTokenResponse response;
         return access_->RevokeToken(ctx, {}, &response);
       }},
      {"AccessService.ListAudit",
       [&](grpc::ClientContext* ctx) {
         v1::ListAuditResponse response;
         return access_->ListAudit(ctx, {}, &response);
       }},
      {"AccessService.WhoAmI",
       [&](grpc::ClientContext* ctx) {
         v1::WhoAmIResponse response;
         return access_->WhoAmI(ctx, {}, &response);
       }},
      {"RegistryService.GetRegistryStats",
       [&](grpc::ClientContext* ctx) {
         v1::RegistryStats response;
         return registry_->GetRegistryStats(ctx, {}, &response);
       }},
      {"SchoolService.ListSchools",
       [&](grpc::ClientContext* ctx) {
         v1::ListSchoolsResponse response;
         return schools_->ListSchools(ctx, {}, &response);
       }},
      {"RegistryService.ListSites",
       [&](grpc::ClientContext* ctx) {
         v1::ListSitesResponse response;
         return registry_->ListSites(ctx, {}, &response);
       }},
      {"PredictionService.Validate",
       [&](grpc::ClientContext* ctx) {
         v1::ValidateResponse response;
         return prediction_->Validate(ctx, {}, &response);
       }},
      {"PredictionService.PlanCampaign",
       [&](grpc::ClientContext* ctx) {
         v1::CampaignResponse response;
         return prediction_->PlanCampaign(ctx, {}, &response);
       }},
      {"PredictionService.ExportCoverageRaster",
       [&](grpc::ClientContext* ctx) {
         auto reader = prediction_->ExportCoverageRaster(ctx, {});
         v1::FileChunk chunk;
         while (reader->Read(&chunk)) {
         }
         return reader->Finish();
       }},
      {"ReportService.BuildReport",
       [&](grpc::ClientContext* ctx) {
         auto reader = reports_->BuildReport(ctx, {});
         v1::FileChunk chunk;
         while (reader->Read(&chunk)) {
         }
         return reader->Finish();
       }},
  };

  // The table covers every method of every covgap service, and nothing else.
  std::set<std::string> methods;
  for (const char* service :
       {"covgap.v1.MeasurementService", "covgap.v1.RegistryService", "covgap.v1.AnalysisService",
        "covgap.v1.GapService", "covgap.v1.AccessService", "covgap.v1.SchoolService",
        "covgap.v1.ReportService", "covgap.v1.PredictionService"}) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    ASSERT_NE(descriptor, nullptr) << service;
    for (int i = 0; i < descriptor->method_count(); ++i) {
      methods.insert(descriptor->name() + "." + descriptor->method(i)->name());
    }
  }
  EXPECT_EQ(methods, kEveryRpc);
  std::set<std::string> called;
  for (const auto& [name, call] : calls) called.insert(name);
  ASSERT_EQ(called, kEveryRpc);

  struct Who {
    std::string name;
    std::string authorization;        // the metadata value; empty: none
    std::optional<std::string> role;  // nullopt: not authenticated
  };
  const std::string other_secret(48, 'e');
  const std::vector<Who> callers = {
      {"no token", "", std::nullopt},
      {"not a bearer token", "Basic " + kBootstrap, std::nullopt},
      {"bearer without a token", "Bearer ", std::nullopt},
      {"malformed token", "Bearer not-a-token", std::nullopt},
      {"malformed token (no secret separator)", "Bearer cgp_boot0000", std::nullopt},
      {"unknown token", Bearer("cgp_0123456789ab_" + other_secret), std::nullopt},
      {"wrong secret for the viewer's id",
       Bearer("cgp_" + viewer_.token().token_id() + "_" + other_secret), std::nullopt},
      {"wrong secret for the authority's id",
       Bearer(std::string("cgp_") + kBootstrapId + "_" + other_secret), std::nullopt},
      {"authority's secret with the viewer's id",
       Bearer("cgp_" + viewer_.token().token_id() + "_" + kBootstrapSecret), std::nullopt},
      {"authority", Bearer(kBootstrap), "authority"},
      {"viewer", Bearer(viewer_.secret_token()), "viewer"},
      {"operator viettel", Bearer(viettel_.secret_token()), "operator"},
  };

  for (const Who& caller : callers) {
    for (const auto& [rpc, call] : calls) {
      auto ctx = Context(caller.authorization);
      const grpc::Status status = call(ctx.get());
      const std::string where = caller.name + " calling " + rpc + ": " +
                                std::to_string(status.error_code()) + " " + status.error_message();
      if (!caller.role) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
      } else if (!kAllowedByRole.at(*caller.role).contains(rpc)) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
        EXPECT_TRUE(Contains(status.error_message(), *caller.role)) << where;
      } else {
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
      }
    }
  }
}

TEST_F(AccessControlTest, TheHealthServiceNeedsNoToken) {
  grpc::GenericStub stub(server_->InProcessChannel());
  grpc::Slice empty("");  // HealthCheckRequest{service: ""}: the server as a whole
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::ClientContext ctx;  // no authorization metadata
  ctx.set_deadline(system_clock::now() + seconds(30));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status status = done.get_future().get();
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // HealthCheckResponse{status: SERVING}
}

// ---- 2. operators ingest only their own rows ----

TEST_F(AccessControlTest, OperatorsIngestOnlyTheirOwnRowsAndTheAuthorityAnyOperatorsRows) {
  v1::IngestSummary summary;
  grpc::Status status = Ingest(viettel_.secret_token(),
                               {Batch("mixed", {"viettel", "vnpt", "viettel", "vnpt"})}, &summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.accepted(), 2u);
  EXPECT_EQ(summary.rejected(), 2u);
  ASSERT_EQ(summary.rejections_size(), 2);
  for (int i = 0; i < 2; ++i) {
    const v1::RejectedRow& r = summary.rejections(i);
    EXPECT_EQ(r.batch_id(), "mixed");
    EXPECT_EQ(r.index(), static_cast<unsigned>(2 * i + 1));
    EXPECT_EQ(r.code(), "operator_mismatch");
    EXPECT_TRUE(Contains(r.reason(), "viettel")) << r.reason();
    EXPECT_TRUE(Contains(r.reason(), "vnpt")) << r.reason();
  }
  v1::Stats stats;
  ASSERT_TRUE(GetStats(viewer_.secret_token(), &stats).ok());
  EXPECT_EQ(stats.total(), 2u);
  ASSERT_EQ(stats.counts_size(), 1);
  EXPECT_EQ(stats.counts(0).operator_id(), "viettel");

  // vnpt's token the other way round.
  v1::IngestSummary vnpt_summary;
  status = Ingest(vnpt_.secret_token(), {Batch("vnpt-own", {"vnpt", "viettel"})}, &vnpt_summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(vnpt_summary.accepted(), 1u);
  ASSERT_EQ(vnpt_summary.rejections_size(), 1);
  EXPECT_EQ(vnpt_summary.rejections(0).index(), 1u);
  EXPECT_EQ(vnpt_summary.rejections(0).code(), "operator_mismatch");

  // The authority may ingest anybody's rows.
  v1::IngestSummary authority_summary;
  status =
      Ingest(kBootstrap, {Batch("authority", {"viettel", "vnpt", "mobifone"})}, &authority_summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(authority_summary.accepted(), 3u);
  EXPECT_EQ(authority_summary.rejected(), 0u);
  EXPECT_EQ(TotalMeasurements(), 6u);
}

// ---- 3. revocation and secrets ----

TEST_F(AccessControlTest, ARevokedTokenStopsWorkingOnTheNextCall) {
  const std::string viewer = viewer_.secret_token();
  const std::string id = viewer_.token().token_id();
  v1::Stats stats;
  ASSERT_TRUE(GetStats(viewer, &stats).ok());

  v1::RevokeTokenResponse revoked;
  grpc::Status status = Revoke(id, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(revoked.token().token_id(), id);
  EXPECT_TRUE(revoked.token().has_revoked_unix_ms());

  status = GetStats(viewer, &stats);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "revoked")) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), id)) << status.error_message();

  // Twice: FAILED_PRECONDITION (also with the "tok_" prefix the CLI shows); unknown: NOT_FOUND.
  status = Revoke(id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  status = Revoke("tok_" + id);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  status = Revoke("ffffffffffff");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();

  // The other tokens still work; revoking with the "tok_" prefix works too.
  EXPECT_TRUE(GetStats(viettel_.secret_token(), &stats).ok());
  ASSERT_TRUE(Revoke("tok_" + vnpt_.token().token_id()).ok());
  EXPECT_EQ(GetStats(vnpt_.secret_token(), &stats).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(GetStats(kBootstrap, &stats).ok());
}

// A token with an expiry works until then and is refused afterwards with a message that says
// what to do; an expiry that has passed already is refused when the token is made.
TEST_F(AccessControlTest, AnExpiredTokenIsRefusedWithWhatToDo) {
  v1::CreateTokenRequest request;
  request.set_role("viewer");
  request.set_label("for a week");
  request.set_expires_unix_ms(geo::NowUnixMs() + 1500);
  v1::CreateTokenResponse made;
  {
    auto ctx = Context(Bearer(kBootstrap));
    ASSERT_TRUE(access_->CreateToken(ctx.get(), request, &made).ok());
  }
  EXPECT_EQ(made.token().expires_unix_ms(), request.expires_unix_ms());
  v1::Stats stats;
  ASSERT_TRUE(GetStats(made.secret_token(), &stats).ok());
  // Wait for the expiry itself (bounded), not for a guessed time.
  grpc::Status status;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((status = GetStats(made.secret_token(), &stats)).ok() &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(geo::NowUnixMs(), request.expires_unix_ms());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "expired on")) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "covgap token create")) << status.error_message();
  EXPECT_TRUE(GetStats(viewer_.secret_token(), &stats).ok()) << "tokens without expiry still work";

  request.set_expires_unix_ms(geo::NowUnixMs() - 1);
  auto ctx = Context(Bearer(kBootstrap));
  status = access_->CreateToken(ctx.get(), request, &made);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "not in the future")) << status.error_message();
}

TEST_F(AccessControlTest, SecretsAreNeverListedNorStored) {
  ASSERT_TRUE(Revoke(vnpt_.token().token_id()).ok());
  // The Token message has no field that could carry a secret.
  const auto* token = v1::Token::descriptor();
  for (int i = 0; i < token->field_count(); ++i) {
    EXPECT_FALSE(Contains(token->field(i)->name(), "secret")) << token->field(i)->name();
    EXPECT_FALSE(Contains(token->field(i)->name(), "hash")) << token->field(i)->name();
  }

  v1::ListTokensResponse list;
  auto ctx = Context(Bearer(kBootstrap));
  ASSERT_TRUE(access_->ListTokens(ctx.get(), {}, &list).ok());
  ASSERT_EQ(list.tokens_size(), 4);
  std::map<std::string, v1::Token> by_id;
  for (const auto& t : list.tokens()) by_id[t.token_id()] = t;
  ASSERT_TRUE(by_id.contains(kBootstrapId));
  EXPECT_EQ(by_id[kBootstrapId].role(), "authority");
  EXPECT_EQ(by_id[viewer_.token().token_id()].role(), "viewer");
  EXPECT_EQ(by_id[viettel_.token().token_id()].role(), "operator");
  EXPECT_EQ(by_id[viettel_.token().token_id()].operator_id(), "viettel");
  EXPECT_EQ(by_id[viettel_.token().token_id()].label(), "viettel's uploader");
  EXPECT_EQ(by_id[viettel_.token().token_id()].created_by(), std::string("tok_") + kBootstrapId);
  EXPECT_TRUE(by_id[vnpt_.token().token_id()].has_revoked_unix_ms());
  EXPECT_FALSE(by_id[viewer_.token().token_id()].has_revoked_unix_ms());

  const std::vector<std::string> texts = {kBootstrap, viewer_.secret_token(),
                                          viettel_.secret_token(), vnpt_.secret_token()};
  const std::string listed = list.SerializeAsString();
  for (const std::string& text : texts) {
    EXPECT_FALSE(Contains(listed, SecretOf(text))) << text;
  }

  // The store holds the SHA-256 of each secret, never the secret or the token text: neither
  // while covgapd runs (WAL included) nor after a clean shutdown.
  for (const bool running : {true, false}) {
    if (!running) server_.reset();
    const std::string stored = BytesUnder(dir_);
    ASSERT_FALSE(stored.empty());
    for (const std::string& text : texts) {
      EXPECT_FALSE(Contains(stored, text)) << text << (running ? " (running)" : " (stopped)");
      EXPECT_FALSE(Contains(stored, SecretOf(text)))
          << text << (running ? " (running)" : " (stopped)");
      EXPECT_TRUE(Contains(stored, AccessControl::HashSecret(SecretOf(text))))
          << "no SHA-256 of " << text << (running ? " (running)" : " (stopped)");
    }
  }
}

// ---- 4. bootstrap ----

TEST(AccessControlBootstrapTest, TheFirstStartCreatesOneAuthorityTokenAndRestartsNone) {
  const fs::path dir = TestDir();
  fs::remove_all(dir);
  auto list_tokens = [](CovgapServer& server, const std::string& token,
                        v1::ListTokensResponse* out) {
    auto stub = v1::AccessService::NewStub(server.InProcessChannel());
    auto ctx = Context(Bearer(token));
    return stub->ListTokens(ctx.get(), {}, out);
  };
  {
    auto server = StartServer(dir, AuthOptions());
    ASSERT_TRUE(server.ok()) << server.status().message();
    ASSERT_TRUE(server.value()->bootstrap_token().has_value());
    EXPECT_EQ(*server.value()->bootstrap_token(), kBootstrap);
    v1::ListTokensResponse list;
    const grpc::Status status = list_tokens(*server.value(), kBootstrap, &list);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(list.tokens_size(), 1);
    EXPECT_EQ(list.tokens(0).token_id(), kBootstrapId);
    EXPECT_EQ(list.tokens(0).role(), "authority");
    EXPECT_FALSE(list.tokens(0).has_revoked_unix_ms());
  }
  for (const std::string& given :
       {kBootstrap, std::string(""), "cgp_another0_" + std::string(40, 'a')}) {
    auto server = StartServer(dir, AuthOptions(given));
    ASSERT_TRUE(server.ok()) << server.status().message();
    EXPECT_FALSE(server.value()->bootstrap_token().has_value()) << given;
    v1::ListTokensResponse list;
    ASSERT_TRUE(list_tokens(*server.value(), kBootstrap, &list).ok());
    EXPECT_EQ(list.tokens_size(), 1) << given;
    if (!given.empty() && given != kBootstrap) {
      EXPECT_EQ(list_tokens(*server.value(), given, &list).error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
    }
  }
  fs::remove_all(dir);
}

TEST(AccessControlBootstrapTest, WithoutAGivenTextTheBootstrapTokenIsRandom) {
  const fs::path dir = TestDir();
  fs::remove_all(dir);
  {
    auto server = StartServer(dir, AuthOptions(""));
    ASSERT_TRUE(server.ok()) << server.status().message();
    ASSERT_TRUE(server.value()->bootstrap_token().has_value());
    const std::string token = *server.value()->bootstrap_token();
    EXPECT_TRUE(token.starts_with("cgp_")) << token;
    EXPECT_GE(SecretOf(token).size(), 32u) << token;
    auto stub = v1::AccessService::NewStub(server.value()->InProcessChannel());
    v1::ListTokensResponse list;
    auto ctx = Context(Bearer(token));
    ASSERT_TRUE(stub->ListTokens(ctx.get(), {}, &list).ok());
    EXPECT_EQ(list.tokens_size(), 1);
  }
  fs::remove_all(dir);
}

TEST(AccessControlBootstrapTest, AMalformedBootstrapTokenFailsTheStart) {
  // Each start runs in a child process (re-executed, so gRPC's threads are no problem there): a
  // failed Start that crashes fails this test without taking the rest of the run with it.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  int n = 0;
  for (const std::string& bad :
       {std::string("not-a-token"), std::string("cgp_boot0000_tooshort"),
        "cgp__" + std::string(40, 'a'), "CGP_boot0000_" + std::string(40, 'a'),
        "cgp_boot0000" + std::string(40, 'a')}) {
    const fs::path dir = TestDir("_" + std::to_string(++n));
    fs::remove_all(dir);
    EXPECT_EXIT(
        {
          auto server = StartServer(dir, AuthOptions(bad));
          if (server.ok()) {
            std::fprintf(stderr, "started with a malformed bootstrap token\n");
            std::_Exit(1);
          }
          std::fprintf(stderr, "refused: %s\n", server.status().message().c_str());
          std::_Exit(0);
        },
        ::testing::ExitedWithCode(0), "refused: .*cgp_")
        << bad;
    fs::remove_all(dir);
  }
}

TEST(AccessControlBootstrapTest, WithoutAccessControlNoTokenIsMade) {
  const fs::path dir = TestDir();
  fs::remove_all(dir);
  {
    ServerOptions options;
    options.bootstrap_token = kBootstrap;
    auto server = StartServer(dir, options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    EXPECT_FALSE(server.value()->bootstrap_token().has_value());
  }
  fs::remove_all(dir);
}

// ---- 5. the audit trail ----

TEST_F(AccessControlTest, TheAuditTrailRecordsTokensImportsAndAnalysesNewestFirst) {
  const v1::CreateTokenResponse second = CreateToken("authority", "second authority");
  const v1::CreateTokenResponse temporary = CreateToken("viewer", "temporary");
  ASSERT_TRUE(Revoke(temporary.token().token_id()).ok());

  // The second authority imports a tiny schools CSV.
  {
    const std::string csv =
        "school_id,name,level,lat,lon,students,students_nodev,district\n"
        "BG1,Trường Tiểu học Cấm Sơn,primary,21.4501,106.6203,412,37,Huyện Lục Ngạn\n";
    auto ctx = Context(Bearer(second.secret_token()));
    v1::ImportReport report;
    auto writer = registry_->Import(ctx.get(), &report);
    v1::ImportUpload spec;
    spec.mutable_spec()->set_kind("schools");
    ASSERT_TRUE(writer->Write(spec));
    v1::ImportUpload file;
    file.mutable_file()->set_file_name("truong.csv");
    file.mutable_file()->set_data(csv);
    ASSERT_TRUE(writer->Write(file));
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(report.inserted(), 1u);
  }
  std::vector<v1::AnalysisProgress> progress;
  const grpc::Status run = RunAnalysis(kBootstrap, {}, &progress);
  ASSERT_TRUE(run.ok()) << run.error_message();
  ASSERT_FALSE(progress.empty());
  const std::int64_t run_id = progress.back().run().run_id();

  v1::ListAuditResponse audit;
  grpc::Status status = ListAudit(kBootstrap, 0, &audit);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // SetUp made 3 tokens; then 2 more, a revocation, an import and an analysis.
  ASSERT_EQ(audit.entries_size(), 8);
  const std::string boot = std::string("authority (tok_") + kBootstrapId + ")";
  struct Expected {
    std::string action, actor, target;
  };
  const std::vector<Expected> expected = {
      {"analysis.run", boot, "run " + std::to_string(run_id)},
      {"import.schools", "authority (tok_" + second.token().token_id() + ")", "truong.csv"},
      {"token.revoke", boot, "tok_" + temporary.token().token_id()},
      {"token.create", boot, "tok_" + temporary.token().token_id()},
      {"token.create", boot, "tok_" + second.token().token_id()},
      {"token.create", boot, "tok_" + vnpt_.token().token_id()},
      {"token.create", boot, "tok_" + viettel_.token().token_id()},
      {"token.create", boot, "tok_" + viewer_.token().token_id()},
  };
  for (int i = 0; i < audit.entries_size(); ++i) {
    const v1::AuditEntry& e = audit.entries(i);
    EXPECT_EQ(e.action(), expected[i].action) << i;
    EXPECT_EQ(e.actor(), expected[i].actor) << i;
    EXPECT_EQ(e.target(), expected[i].target) << i;
    EXPECT_GT(e.time_unix_ms(), 0) << i;
    if (i > 0) {
      EXPECT_LT(e.id(), audit.entries(i - 1).id()) << i;
      EXPECT_LE(e.time_unix_ms(), audit.entries(i - 1).time_unix_ms()) << i;
    }
    // The audit trail names tokens by id only, never by their secret.
    const std::vector<const v1::CreateTokenResponse*> tokens = {&second, &temporary, &viewer_,
                                                                &viettel_, &vnpt_};
    for (const v1::CreateTokenResponse* t : tokens) {
      EXPECT_FALSE(Contains(e.SerializeAsString(), SecretOf(t->secret_token()))) << i;
    }
  }
  EXPECT_TRUE(Contains(audit.entries(1).details_json(), "\"inserted\":1"))
      << audit.entries(1).details_json();
  EXPECT_TRUE(Contains(audit.entries(3).details_json(), "viewer"))
      << audit.entries(3).details_json();
  EXPECT_TRUE(Contains(audit.entries(0).details_json(), "run_id"))
      << audit.entries(0).details_json();

  v1::ListAuditResponse newest;
  ASSERT_TRUE(ListAudit(second.secret_token(), 2, &newest).ok());
  ASSERT_EQ(newest.entries_size(), 2);
  EXPECT_EQ(newest.entries(0).action(), "analysis.run");
  EXPECT_EQ(newest.entries(1).action(), "import.schools");

  v1::ListAuditResponse denied;
  status = ListAudit(viewer_.secret_token(), 0, &denied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(denied.entries_size(), 0);
  status = ListAudit(viettel_.secret_token(), 0, &denied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
}

// ---- 6. the ingestion rate limit ----

TEST_F(AccessControlTest, TheIngestionRateLimitIsPerTokenAndKeepsEarlierBatches) {
  ServerOptions options = AuthOptions();
  options.ingest_limits.rows_per_second_per_token = 100;
  options.ingest_limits.burst_rows_per_token = 100;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  const std::vector<std::string> eighty(80, "viettel");

  v1::IngestSummary first;
  grpc::Status status = Ingest(viettel_.secret_token(), {Batch("first", eighty)}, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.accepted(), 80u);

  v1::IngestSummary second;
  status = Ingest(viettel_.secret_token(), {Batch("second", eighty)}, &second);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "rate limit")) << status.error_message();
  EXPECT_EQ(TotalMeasurements(), 80u);  // the first batch stays stored, the second is not

  // Another token has its own bucket.
  v1::IngestSummary other;
  status =
      Ingest(vnpt_.secret_token(), {Batch("vnpt", std::vector<std::string>(80, "vnpt"))}, &other);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(other.accepted(), 80u);
  EXPECT_EQ(TotalMeasurements(), 160u);
}

// ---- 7. bounded and deadline-bound analyses ----
//
// On the in-process transport a server's Write completes only when the client reads the
// message, so a client that stops reading holds its analysis between two stages: that makes
// "an analysis is running" deterministic here. The test checks this premise (no run is stored
// while the client does not read) before relying on it.

v1::RunAnalysisRequest SmallRequest() {
  v1::RunAnalysisRequest r;
  r.set_as_of_unix_ms(UnixMs(2021, 12, 1));
  r.set_window_days(365);
  return r;
}

TEST_F(AccessControlTest, WithNoWaitingRoomASecondConcurrentAnalysisIsRefused) {
  ServerOptions options = AuthOptions();
  options.max_waiting_analyses = 0;
  ASSERT_NO_FATAL_FAILURE(Start(options));
  v1::IngestSummary summary;
  ASSERT_TRUE(Ingest(kBootstrap, {Batch("some", {"viettel", "vnpt", "viettel"})}, &summary).ok());

  auto held_ctx = Context(Bearer(kBootstrap));
  auto held = analysis_->RunAnalysis(held_ctx.get(), SmallRequest());
  v1::AnalysisProgress p;
  ASSERT_TRUE(held->Read(&p));  // the first stage: the analysis is running
  std::this_thread::sleep_for(milliseconds(200));
  v1::AnalysisRunInfo latest;
  ASSERT_EQ(GetLatestRun(kBootstrap, &latest).error_code(), grpc::StatusCode::NOT_FOUND)
      << "the held analysis finished although its client stopped reading";

  std::vector<v1::AnalysisProgress> refused_progress;
  grpc::Status status = RunAnalysis(kBootstrap, SmallRequest(), &refused_progress);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_TRUE(refused_progress.empty());

  while (held->Read(&p)) {
  }
  status = held->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(p.has_run());
  // The slot is free again.
  status = RunAnalysis(kBootstrap, SmallRequest());
  EXPECT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(GetLatestRun(kBootstrap, &latest).ok());
  EXPECT_EQ(latest.run_id(), 2);
}

TEST_F(AccessControlTest, OneAnalysisWaitsAndAThirdIsRefused) {
  // Default: one running, one waiting.
  v1::IngestSummary summary;
  ASSERT_TRUE(Ingest(kBootstrap, {Batch("some", {"viettel", "vnpt", "viettel"})}, &summary).ok());

  auto running_ctx = Context(Bearer(kBootstrap));
  auto running = analysis_->RunAnalysis(running_ctx.get(), SmallRequest());
  v1::AnalysisProgress p;
  ASSERT_TRUE(running->Read(&p));
  EXPECT_EQ(p.stage(), "reading measurements");

  auto waiting_ctx = Context(Bearer(kBootstrap));
  auto waiting = analysis_->RunAnalysis(waiting_ctx.get(), SmallRequest());
  v1::AnalysisProgress w;
  ASSERT_TRUE(waiting->Read(&w));
  EXPECT_TRUE(Contains(w.stage(), "waiting")) << w.stage();

  const grpc::Status third = RunAnalysis(kBootstrap, SmallRequest());
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << third.error_message();

  while (running->Read(&p)) {
  }
  ASSERT_TRUE(running->Finish().ok());
  EXPECT_EQ(p.run().run_id(), 1);
  while (waiting->Read(&w)) {
  }
  ASSERT_TRUE(waiting->Finish().ok());
  EXPECT_EQ(w.run().run_id(), 2);
}

TEST_F(AccessControlTest, AnAnalysisPastItsDeadlineStoresNoRun) {
  v1::IngestSummary summary;
  ASSERT_TRUE(Ingest(kBootstrap, {Batch("some", {"viettel", "vnpt", "viettel"})}, &summary).ok());
  auto run_with_deadline = [&](system_clock::time_point deadline, bool read) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", Bearer(kBootstrap));
    ctx.set_deadline(deadline);
    auto reader = analysis_->RunAnalysis(&ctx, SmallRequest());
    v1::AnalysisProgress p;
    if (read) {
      while (reader->Read(&p)) {
      }
    }
    // Unread, the server blocks on its progress writes until the deadline cancels the call;
    // Finish waits for that.
    return reader->Finish();
  };
  v1::AnalysisRunInfo latest;

  // Already past: nothing stored.
  grpc::Status status = run_with_deadline(system_clock::now() - seconds(1), true);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // Runs are stored one at a time under the analysis lock, so the next run's id says whether
  // the cancelled one stored anything (no waiting for a guessed time).
  ASSERT_TRUE(RunAnalysis(kBootstrap, SmallRequest()).ok());
  ASSERT_TRUE(GetLatestRun(kBootstrap, &latest).ok());
  ASSERT_EQ(latest.run_id(), 1);

  // A deadline of a few milliseconds that passes while the analysis is under way (its client
  // does not read, so it cannot finish first): the previous run stays the latest.
  status = run_with_deadline(system_clock::now() + milliseconds(20), false);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // And a new analysis runs normally afterwards (the cancelled one released its slot); being
  // run 2, it shows that the cancelled one stored nothing.
  ASSERT_TRUE(RunAnalysis(kBootstrap, SmallRequest()).ok());
  ASSERT_TRUE(GetLatestRun(kBootstrap, &latest).ok());
  EXPECT_EQ(latest.run_id(), 2);
}

// ---- 8. household privacy ----

using covgap::testing::CellCentreLonLat;

// `v` cut to 4 decimals, then the digits `tail` appended: 21.31234242 for 21.3123…, "4242".
double Distinctive(double v, int tail) { return std::trunc(v * 1e4) / 1e4 + tail * 1e-8; }

struct SecretHousehold {
  std::string id;
  double lat;
  double lon;
};

// The ways a household's id or position could appear in bytes.
std::vector<std::pair<std::string, std::string>> Needles(const std::vector<SecretHousehold>& hs) {
  std::vector<std::pair<std::string, std::string>> needles = {{"SECRET", "the ids' common part"}};
  for (const auto& h : hs) {
    needles.push_back({h.id, "household id"});
    const std::vector<std::pair<std::string, double>> coordinates = {{"lat", h.lat},
                                                                     {"lon", h.lon}};
    for (const auto& [name, v] : coordinates) {
      char text[64];
      std::snprintf(text, sizeof text, "%.8f", v);
      needles.push_back({text, h.id + " " + name + " as text"});
      std::snprintf(text, sizeof text, "%.17g", v);
      needles.push_back({text, h.id + " " + name + " as %.17g"});
      needles.push_back({RawDouble(v), h.id + " " + name + " as a double"});
      const auto e7 = static_cast<std::int32_t>(std::lround(v * 1e7));
      needles.push_back({std::string(reinterpret_cast<const char*>(&e7), sizeof e7),
                         h.id + " " + name + " in 1e-7 degrees"});
    }
  }
  return needles;
}

void ExpectNoHousehold(const std::string& bytes, const std::vector<SecretHousehold>& hs,
                       const std::string& where) {
  for (const auto& [needle, what] : Needles(hs)) {
    EXPECT_FALSE(Contains(bytes, needle)) << where << " holds the " << what;
  }
}

struct GapCounts {
  std::string poor_hh, npoor_hh, stud_nodev, schools;
};

// The counts of every gap in an exported file (read with GDAL from memory), by gap id.
std::map<std::string, GapCounts> ReadExport(const std::string& bytes, const std::string& format) {
  static int counter = 0;
  geo::InitGdal();
  const std::string ext = format == "shp" ? ".zip" : "." + format;
  const std::string mem = "/vsimem/acl_export_" + std::to_string(++counter) + ext;
  geo::CloseVsiFile(geo::VsiFile(
      VSIFileFromMemBuffer(mem.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                           bytes.size(), FALSE)));
  std::string open = mem;
  if (format == "shp") open = "/vsizip/" + mem + "/gaps.shp";
  std::map<std::string, GapCounts> out;
  {
    geo::DatasetPtr ds(
        GDALOpenEx(open.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
    EXPECT_TRUE(ds) << format << ": " << open;
    if (ds) {
      OGRLayerH layer = GDALDatasetGetLayer(ds.get(), 0);
      OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
      auto field = [&](const char* name) {
        const int i = OGR_FD_GetFieldIndex(defn, name);
        EXPECT_GE(i, 0) << format << " has no field " << name;
        return i;
      };
      const int id = field("gap_id"), poor = field("poor_hh"), npoor = field("npoor_hh"),
                nodev = field("stud_nodev"), schools = field("schools");
      OGR_L_ResetReading(layer);
      while (geo::FeaturePtr f{OGR_L_GetNextFeature(layer)}) {
        if (id < 0 || poor < 0 || npoor < 0 || nodev < 0 || schools < 0) break;
        out[OGR_F_GetFieldAsString(f.get(), id)] = {
            OGR_F_GetFieldAsString(f.get(), poor), OGR_F_GetFieldAsString(f.get(), npoor),
            OGR_F_GetFieldAsString(f.get(), nodev), OGR_F_GetFieldAsString(f.get(), schools)};
      }
    }
  }
  VSIUnlink(mem.c_str());
  return out;
}

// Every member of a zip, uncompressed, concatenated.
std::string Unzipped(const std::string& zip) {
  const std::string mem = "/vsimem/acl_unzip.zip";
  geo::CloseVsiFile(geo::VsiFile(VSIFileFromMemBuffer(
      mem.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(zip.data())), zip.size(), FALSE)));
  std::string all;
  char** names = VSIReadDir(("/vsizip/" + mem).c_str());
  EXPECT_GE(CSLCount(names), 5);
  for (char** n = names; n != nullptr && *n != nullptr; ++n) {
    GByte* raw = nullptr;
    vsi_l_offset size = 0;
    const std::string member = "/vsizip/" + mem + "/" + *n;
    EXPECT_TRUE(VSIIngestFile(nullptr, member.c_str(), &raw, &size, -1)) << member;
    const geo::VsiBuffer data(raw);
    if (data != nullptr) all.append(reinterpret_cast<const char*>(data.get()), size);
  }
  CSLDestroy(names);
  VSIUnlink(mem.c_str());
  return all;
}

TEST_F(AccessControlTest, HouseholdIdsAndPositionsNeverLeaveThroughGapsOrExports) {
  // A dead viettel LTE cell (6917, 23590) in Sơn Động, with a school and two households in it.
  constexpr int kX = 6917, kY = 23590;
  const auto [lon, lat] = CellCentreLonLat(kX, kY);
  const std::vector<SecretHousehold> households = {
      {"HH-SECRET-42", Distinctive(lat, 4242), Distinctive(lon, 4242)},
      {"HH-SECRET-43", Distinctive(lat, 7373), Distinctive(lon, 3737)}};
  {
    v1::ImportHouseholdsRequest request;
    const char* categories[] = {"poor", "near_poor"};
    const int nodev[] = {3, 5};
    for (std::size_t i = 0; i < households.size(); ++i) {
      v1::Household* h = request.add_households();
      h->set_household_id(households[i].id);
      h->set_category(categories[i]);
      h->set_lat(households[i].lat);
      h->set_lon(households[i].lon);
      h->set_students_nodev(nodev[i]);
      h->set_district("Huyện Sơn Động");
    }
    // The needles are right: the request that brings the households in holds them.
    for (const auto& h : households) {
      EXPECT_TRUE(Contains(request.SerializeAsString(), h.id));
      EXPECT_TRUE(Contains(request.SerializeAsString(), RawDouble(h.lat)));
      EXPECT_TRUE(Contains(request.SerializeAsString(), RawDouble(h.lon)));
    }
    v1::ImportSummary summary;
    auto ctx = Context(Bearer(kBootstrap));
    const grpc::Status status = registry_->ImportHouseholds(ctx.get(), request, &summary);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(summary.inserted(), 2u) << summary.DebugString();
  }
  {
    v1::ImportSchoolsRequest request;
    v1::School* s = request.add_schools();
    s->set_school_id("SCH-7");
    s->set_name("Trường Tiểu học An Lạc");
    s->set_level("primary");
    s->set_district("Huyện Sơn Động");
    s->set_lat(lat + 0.0001);
    s->set_lon(lon - 0.0001);
    s->set_students(70);
    s->set_students_nodev(7);
    v1::ImportSummary summary;
    auto ctx = Context(Bearer(kBootstrap));
    const grpc::Status status = registry_->ImportSchools(ctx.get(), request, &summary);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(summary.inserted(), 1u) << summary.DebugString();
  }
  {
    v1::MeasurementBatch batch;
    batch.set_batch_id("dead-cell");
    const double offsets[][2] = {{0, 0}, {-0.0002, 0.0002}, {0.0002, -0.0002}};
    for (int i = 0; i < 3; ++i) {
      *batch.add_measurements() = Row("viettel", lat + offsets[i][0], lon + offsets[i][1], -120 - i,
                                      UnixMs(2021, 6, 15) + i * 3'600'000);
    }
    v1::IngestSummary summary;
    const grpc::Status status = Ingest(viettel_.secret_token(), {batch}, &summary);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(summary.accepted(), 3u);
  }
  ASSERT_TRUE(RunAnalysis(kBootstrap, SmallRequest()).ok());
  const std::string gap_id = "viettel-LTE-" + std::to_string(kX) + "_" + std::to_string(kY);

  for (const auto& [role, token] :
       std::vector<std::pair<std::string, std::string>>{{"viewer", viewer_.secret_token()},
                                                        {"operator", viettel_.secret_token()},
                                                        {"authority", kBootstrap}}) {
    SCOPED_TRACE(role);
    {
      v1::GetGapRequest request;
      request.set_gap_id(gap_id);
      v1::Gap gap;
      auto ctx = Context(Bearer(token));
      const grpc::Status status = gaps_->GetGap(ctx.get(), request, &gap);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(gap.poor_hh(), 1);
      EXPECT_EQ(gap.npoor_hh(), 1);
      EXPECT_EQ(gap.schools(), 1);
      EXPECT_EQ(gap.stud_nodev(), 15);  // 7 at the school + 3 + 5 in the households
      EXPECT_FALSE(gap.wkb().empty());
      ExpectNoHousehold(gap.SerializeAsString(), households, "GetGap");
    }
    {
      v1::ListGapsRequest request;
      request.set_with_geometry(true);
      request.set_page_size(1000);
      v1::ListGapsResponse response;
      auto ctx = Context(Bearer(token));
      const grpc::Status status = gaps_->ListGaps(ctx.get(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_GE(response.gaps_size(), 1);
      bool found = false;
      for (const v1::Gap& g : response.gaps()) {
        EXPECT_FALSE(g.wkb().empty()) << g.gap_id();
        if (g.gap_id() != gap_id) continue;
        found = true;
        EXPECT_EQ(g.poor_hh(), 1);
        EXPECT_EQ(g.stud_nodev(), 15);
      }
      EXPECT_TRUE(found) << gap_id;
      ExpectNoHousehold(response.SerializeAsString(), households, "ListGaps");
    }
    {
      v1::AnalysisRunInfo run;
      ASSERT_TRUE(GetLatestRun(token, &run).ok());
      ExpectNoHousehold(run.SerializeAsString(), households, "GetLatestRun");
    }
    for (const std::string format : {"shp", "gpkg", "geojson", "csv", "kml"}) {
      SCOPED_TRACE(format);
      std::string file_name, data;
      const grpc::Status status = Export(token, format, &file_name, &data);
      ASSERT_TRUE(status.ok()) << status.error_message();
      ASSERT_FALSE(data.empty());
      ExpectNoHousehold(data, households, "the " + format + " export");
      if (format == "shp") ExpectNoHousehold(Unzipped(data), households, "the unzipped shp");
      const auto counts = ReadExport(data, format);
      ASSERT_TRUE(counts.contains(gap_id)) << format;
      EXPECT_EQ(counts.at(gap_id).poor_hh, "1");
      EXPECT_EQ(counts.at(gap_id).npoor_hh, "1");
      EXPECT_EQ(counts.at(gap_id).schools, "1");
      EXPECT_EQ(counts.at(gap_id).stud_nodev, "15");
    }
  }
}

}  // namespace
}  // namespace covgap::server
