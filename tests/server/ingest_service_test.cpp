// MeasurementService through a real gRPC server, in process.
#include <gtest/gtest.h>

#include <filesystem>

#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;

v1::Measurement Row(const std::string& op, v1::Technology tech, double lat, double lon, int dbm,
                    std::int64_t t = 1638260100000) {
  v1::Measurement m;
  m.set_operator_id(op);
  m.set_tech(tech);
  m.set_lat(lat);
  m.set_lon(lon);
  m.set_signal_dbm(dbm);
  m.set_time_unix_ms(t);
  m.set_source(v1::DRIVE);
  return m;
}

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_ingest_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    Start();
  }
  void Start() {
    auto store = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ServerOptions options;  // in-process only
    options.ingest_limits.max_rows_per_batch = 100;
    auto server = CovgapServer::Start(std::move(store.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    stub_ = v1::MeasurementService::NewStub(server_->InProcessChannel());
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  grpc::Status Ingest(const std::vector<v1::MeasurementBatch>& batches, v1::IngestSummary& out) {
    grpc::ClientContext ctx;
    auto writer = stub_->Ingest(&ctx, &out);
    for (const auto& b : batches) {
      if (!writer->Write(b)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  v1::Stats Stats() {
    grpc::ClientContext ctx;
    v1::Stats stats;
    EXPECT_TRUE(stub_->GetStats(&ctx, {}, &stats).ok());
    return stats;
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::MeasurementService::Stub> stub_;
};

TEST_F(IngestServiceTest, GoodRowsAreKeptAndBadRowsRejectedWithIndexAndReason) {
  v1::MeasurementBatch batch;
  batch.set_batch_id("b1");
  *batch.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -100);
  *batch.add_measurements() = Row("viettel", v1::LTE, 106.3, 21.3, -100);  // swapped
  *batch.add_measurements() = Row("vnpt", v1::UMTS, 21.3, 106.3, -95);
  *batch.add_measurements() = Row("acme", v1::LTE, 21.3, 106.3, -100);  // unknown operator
  *batch.add_measurements() = Row("vnpt", v1::TECHNOLOGY_UNSPECIFIED, 21.3, 106.3, -95);
  *batch.add_measurements() = Row("mobifone", v1::LTE, 21.3, 106.3, -150);  // out of range
  *batch.add_measurements() =
      Row("mobifone", v1::LTE, 21.3, 106.3, -100, geo::NowUnixMs() + 3600'000);  // future
  v1::IngestSummary summary;
  ASSERT_TRUE(Ingest({batch}, summary).ok());
  EXPECT_EQ(summary.accepted(), 2u);
  EXPECT_EQ(summary.rejected(), 5u);
  EXPECT_EQ(summary.duplicate(), 0u);
  ASSERT_EQ(summary.batches_size(), 1);
  EXPECT_EQ(summary.batches(0).accepted(), 2u);
  ASSERT_EQ(summary.rejections_size(), 5);
  const std::vector<std::pair<unsigned, std::string>> expected = {{1, "coordinates_swapped"},
                                                                  {3, "unknown_operator"},
                                                                  {4, "unknown_technology"},
                                                                  {5, "signal_out_of_range"},
                                                                  {6, "time_in_future"}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(summary.rejections(i).batch_id(), "b1");
    EXPECT_EQ(summary.rejections(i).index(), expected[i].first);
    EXPECT_EQ(summary.rejections(i).code(), expected[i].second);
    EXPECT_FALSE(summary.rejections(i).reason().empty());
  }
  EXPECT_NE(summary.rejections(0).reason().find("swapped"), std::string::npos);
  EXPECT_EQ(Stats().total(), 2u);
}

TEST_F(IngestServiceTest, ARepeatedBatchIdCountsAsDuplicateAndStoresNothing) {
  v1::MeasurementBatch batch;
  batch.set_batch_id("again");
  for (int i = 0; i < 10; ++i)
    *batch.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -90 - i);
  v1::IngestSummary first, second;
  ASSERT_TRUE(Ingest({batch}, first).ok());
  ASSERT_TRUE(Ingest({batch}, second).ok());
  EXPECT_EQ(first.accepted(), 10u);
  EXPECT_EQ(second.accepted(), 0u);
  EXPECT_EQ(second.duplicate(), 10u);
  EXPECT_EQ(second.batches(0).duplicate(), 10u);
  EXPECT_EQ(Stats().total(), 10u);
  EXPECT_EQ(Stats().batches(), 1u);
}

TEST_F(IngestServiceTest, ManyBatchesInOneCallAndAcrossRestart) {
  std::vector<v1::MeasurementBatch> batches(30);
  for (int b = 0; b < 30; ++b) {
    batches[b].set_batch_id("batch-" + std::to_string(b));
    for (int i = 0; i < 50; ++i) {
      *batches[b].add_measurements() = Row(b % 2 ? "vnpt" : "viettel", b % 3 ? v1::LTE : v1::UMTS,
                                           21.0 + i * 0.01, 106.0, -80 - i % 30);
    }
  }
  v1::IngestSummary summary;
  ASSERT_TRUE(Ingest(batches, summary).ok());
  EXPECT_EQ(summary.accepted(), 1500u);
  EXPECT_EQ(summary.batches_size(), 30);
  server_.reset();  // clean shutdown, then a new server on the same directory
  Start();
  EXPECT_EQ(Stats().total(), 1500u);
  v1::IngestSummary again;
  ASSERT_TRUE(Ingest(batches, again).ok());
  EXPECT_EQ(again.duplicate(), 1500u);
  EXPECT_EQ(Stats().total(), 1500u);
}

TEST_F(IngestServiceTest, InvalidBatchIdFailsTheCallButKeepsEarlierBatches) {
  v1::MeasurementBatch good, bad;
  good.set_batch_id("good");
  *good.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -100);
  bad.set_batch_id("has space");
  *bad.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -100);
  v1::IngestSummary summary;
  const grpc::Status status = Ingest({good, bad}, summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("batch_id"), std::string::npos);
  EXPECT_EQ(Stats().total(), 1u);
}

TEST_F(IngestServiceTest, OversizedBatchIsRefused) {
  v1::MeasurementBatch big;
  big.set_batch_id("big");
  for (int i = 0; i < 101; ++i)
    *big.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -100);
  v1::IngestSummary summary;
  const grpc::Status status = Ingest({big}, summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("limit"), std::string::npos);
  EXPECT_EQ(Stats().total(), 0u);
}

TEST_F(IngestServiceTest, StatsArePerOperatorAndTechnology) {
  v1::MeasurementBatch batch;
  batch.set_batch_id("s");
  *batch.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -100, 1000000000000);
  *batch.add_measurements() = Row("viettel", v1::LTE, 21.3, 106.3, -100, 1000000005000);
  *batch.add_measurements() = Row("viettel", v1::UMTS, 21.3, 106.3, -90);
  *batch.add_measurements() = Row("mobifone", v1::NR, 21.3, 106.3, -90);
  v1::IngestSummary summary;
  ASSERT_TRUE(Ingest({batch}, summary).ok());
  const v1::Stats stats = Stats();
  ASSERT_EQ(stats.counts_size(), 3);
  EXPECT_EQ(stats.counts(0).operator_id(), "mobifone");
  EXPECT_EQ(stats.counts(0).tech(), v1::NR);
  EXPECT_EQ(stats.counts(1).operator_id(), "viettel");
  EXPECT_EQ(stats.counts(1).tech(), v1::UMTS);
  EXPECT_EQ(stats.counts(2).tech(), v1::LTE);
  EXPECT_EQ(stats.counts(2).count(), 2u);
  EXPECT_EQ(stats.counts(2).first_time_unix_ms(), 1000000000000);
  EXPECT_EQ(stats.counts(2).last_time_unix_ms(), 1000000005000);
  EXPECT_EQ(stats.total(), 4u);
}

}  // namespace
}  // namespace covgap::server
