// /metrics after real traffic: measurements ingested and an analysis run through gRPC
// (in-process), then a scrape over HTTP on loopback, parsed as the Prometheus text format.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>

#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/time_format.h"
#include "geo/spatial/gdal_handles.h"
#include "server/covgap_server.h"
#include "server/http/http_server.h"
#include "server/http/metrics_handler.h"
#include "server/store/sqlite_store.h"

namespace covgap::server::http {
namespace {

namespace fs = std::filesystem;

constexpr char kAuthority[] = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";
constexpr char kViewer[] = "cgp_view0000_0123456789abcdef0123456789abcdef0123viewer";

v1::Measurement Row(double lat, double lon, int dbm) {
  v1::Measurement m;
  m.set_operator_id("viettel");
  m.set_tech(v1::LTE);
  m.set_lat(lat);
  m.set_lon(lon);
  m.set_signal_dbm(dbm);
  m.set_time_unix_ms(*geo::ParseIso8601("2021-11-01"));
  m.set_source(v1::DRIVE);
  return m;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

// "name{labels}" -> value, from the text exposition (comments skipped).
std::map<std::string, double> Parse(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    geo::InitGdal();
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_metrics_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    auto opened = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    auto viewer = AccessControl::TokenFromText(kViewer, "viewer", "test", "test");
    ASSERT_TRUE(viewer.ok());
    ASSERT_TRUE(opened.value()->CreateToken(viewer->record).ok());
    ServerOptions options;
    options.auth_enabled = true;
    options.bootstrap_token = kAuthority;
    options.store_dir = dir_.string();
    auto server = CovgapServer::Start(std::move(opened.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    HttpOptions http;
    http.address = "127.0.0.1:0";
    auto started = HttpServer::Start(
        http, {MetricsRoute(server_->metrics(), server_->store(), server_->access())});
    ASSERT_TRUE(started.ok()) << started.status().message();
    http_ = std::move(started.value());
    measurements_ = v1::MeasurementService::NewStub(server_->InProcessChannel());
    analysis_ = v1::AnalysisService::NewStub(server_->InProcessChannel());
  }
  void TearDown() override {
    if (http_) http_->Stop();
    server_.reset();
    fs::remove_all(dir_);
  }

  grpc::Status Ingest(const std::string& token, const v1::MeasurementBatch& batch) {
    auto ctx = Context(token);
    v1::IngestSummary summary;
    auto writer = measurements_->Ingest(ctx.get(), &summary);
    writer->Write(batch);
    writer->WritesDone();
    return writer->Finish();
  }

  httplib::Result Scrape(const std::string& token) {
    httplib::Client client("127.0.0.1", http_->port());
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client.Get("/metrics", headers);
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<v1::MeasurementService::Stub> measurements_;
  std::unique_ptr<v1::AnalysisService::Stub> analysis_;
};

TEST_F(MetricsTest, AScrapeAfterAnIngestAndAnAnalysisCountsWhatHappened) {
  // Twenty dead samples in one 100 m cell (a gap), one row outside the province (rejected).
  v1::MeasurementBatch batch;
  batch.set_batch_id("b1");
  for (int i = 0; i < 20; ++i) *batch.add_measurements() = Row(21.3, 106.3 + 1e-6 * i, -125);
  *batch.add_measurements() = Row(48.85, 2.35, -90);
  ASSERT_TRUE(Ingest(kAuthority, batch).ok());
  ASSERT_TRUE(Ingest(kAuthority, batch).ok());  // the same batch again: a duplicate
  EXPECT_EQ(Ingest("", batch).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  {
    v1::RunAnalysisRequest request;
    request.set_as_of_unix_ms(*geo::ParseIso8601("2021-12-01"));
    request.set_window_days(365);
    auto ctx = Context(kAuthority);
    auto reader = analysis_->RunAnalysis(ctx.get(), request);
    v1::AnalysisProgress p;
    while (reader->Read(&p)) {
    }
    ASSERT_TRUE(reader->Finish().ok());
  }

  auto res = Scrape(kViewer);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const auto m = Parse(res->body);
  auto at = [&](const std::string& key) {
    auto it = m.find(key);
    EXPECT_NE(it, m.end()) << key << " missing from\n" << res->body;
    return it == m.end() ? -1.0 : it->second;
  };
  EXPECT_EQ(at("covgap_ingest_rows_total{outcome=\"accepted\"}"), 20);
  EXPECT_EQ(at("covgap_ingest_rows_total{outcome=\"rejected\"}"), 1);
  EXPECT_EQ(at("covgap_ingest_rows_total{outcome=\"duplicate\"}"), 21);
  EXPECT_EQ(at("covgap_ingest_rejected_rows_total{reason=\"outside_region\"}"), 1);
  EXPECT_EQ(at("covgap_ingest_batches_total{outcome=\"stored\"}"), 1);
  EXPECT_EQ(at("covgap_ingest_batches_total{outcome=\"duplicate\"}"), 1);
  EXPECT_GE(at("covgap_commit_duration_seconds_count"), 1);
  EXPECT_EQ(at("covgap_analyses_total"), 1);
  EXPECT_EQ(at("covgap_analysis_duration_seconds_count{stage=\"total\"}"), 1);
  EXPECT_EQ(at("covgap_analysis_duration_seconds_count{stage=\"grid\"}"), 1);
  EXPECT_GE(at("covgap_gaps{status=\"open\"}"), 1);
  EXPECT_EQ(at("covgap_gaps{status=\"verified\"}"), 0);
  EXPECT_EQ(at("covgap_store_measurements"), 20);
  EXPECT_GT(at("covgap_store_bytes"), 0);
  EXPECT_EQ(
      at("covgap_grpc_calls_total{code=\"OK\",method=\"/covgap.v1.MeasurementService/Ingest\"}"),
      2);
  EXPECT_EQ(at("covgap_grpc_calls_total{code=\"UNAUTHENTICATED\",method=\"/covgap.v1."
               "MeasurementService/Ingest\"}"),
            1);
  EXPECT_EQ(at("covgap_grpc_call_duration_seconds_count{method=\"/covgap.v1.AnalysisService/"
               "RunAnalysis\"}"),
            1);

  auto anonymous = Scrape("");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
}

}  // namespace
}  // namespace covgap::server::http
