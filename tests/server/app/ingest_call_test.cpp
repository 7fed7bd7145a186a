// One ingest call without gRPC: a real SQLite store, the group committer, IngestCall.
#include "server/app/ingest_call.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "geo/base/time_format.h"
#include "tests/server/app/store_fixture.h"

namespace covgap::server {
namespace {

class IngestCallTest : public StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    if (HasFatalFailure()) return;
    committer_ = std::make_unique<BatchCommitter>(*store_);
  }
  void TearDown() override {
    committer_.reset();
    StoreFixture::TearDown();
  }

  IngestCall Call(const Caller& caller, IngestRateLimiter& rate) {
    auto operators = store_->Operators();
    EXPECT_TRUE(operators.ok());
    std::vector<std::string> registered;
    if (operators.ok()) registered = operators.value();
    return IngestCall(*committer_, limits_, rate,
                      geo::MeasurementValidator(geo::ValidationRules{}, std::move(registered)),
                      caller);
  }

  static ReceivedRow Row(const std::string& op, int dbm) {
    ReceivedRow r;
    r.measurement.operator_id = op;
    r.measurement.tech = geo::Technology::kLte;
    r.measurement.lat = 21.3;
    r.measurement.lon = 106.2;
    r.measurement.signal_dbm = dbm;
    r.measurement.time_ms = geo::NowUnixMs() - geo::kMsPerDay;
    r.measurement.source = geo::Source::kDrive;
    return r;
  }

  IngestLimits limits_;
  std::unique_ptr<BatchCommitter> committer_;
};

TEST_F(IngestCallTest, AnOperatorsRowsForAnotherOperatorAreRejectedTheRestStored) {
  IngestRateLimiter rate(limits_);
  IngestCall call = Call({Role::kOperator, "viettel", "viettel-test"}, rate);
  ASSERT_TRUE(call.Check("b1", 3).ok());
  call.Submit("b1", {Row("viettel", -100), Row("vnpt", -100), Row("viettel", -90)});
  ASSERT_TRUE(call.Finish().ok());
  const geo::IngestReport& r = call.report();
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(r.rejected, 1u);
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].index, 1u);
  EXPECT_EQ(r.rejections[0].code, "operator_mismatch");
  auto stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total, 2u);

  // The same batch id again is a no-op whose rows count as duplicates.
  IngestCall again = Call({Role::kOperator, "viettel", "viettel-test"}, rate);
  ASSERT_TRUE(again.Check("b1", 3).ok());
  again.Submit("b1", {Row("viettel", -100), Row("vnpt", -100), Row("viettel", -90)});
  ASSERT_TRUE(again.Finish().ok());
  EXPECT_EQ(again.report().duplicate, 3u);
  ASSERT_EQ(again.report().batches.size(), 1u);
  EXPECT_EQ(again.report().batches[0].duplicate, 3u);
}

TEST_F(IngestCallTest, UnreadableRowsKeepTheirReason) {
  IngestRateLimiter rate(limits_);
  IngestCall call = Call({Role::kAuthority, "", "authority-test"}, rate);
  std::vector<ReceivedRow> rows = {Row("viettel", -100), Row("viettel", -100)};
  rows[1].unreadable = geo::Rejection{"tech_unknown", "no such technology"};
  ASSERT_TRUE(call.Check("b2", rows.size()).ok());
  call.Submit("b2", std::move(rows));
  ASSERT_TRUE(call.Finish().ok());
  ASSERT_EQ(call.report().rejections.size(), 1u);
  EXPECT_EQ(call.report().rejections[0].code, "tech_unknown");
  EXPECT_EQ(call.report().rejections[0].batch_id, "b2");
  EXPECT_EQ(call.report().accepted, 1u);
}

TEST_F(IngestCallTest, BadBatchesAndASpentRateAreRefused) {
  limits_.max_rows_per_batch = 10;
  limits_.rows_per_second_per_token = 1e-9;  // no refill within the test
  limits_.burst_rows_per_token = 8;
  IngestRateLimiter rate(limits_);
  IngestCall call = Call({Role::kAuthority, "", "authority-test"}, rate);
  Status s = call.Check("has space", 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no valid batch_id"), std::string::npos) << s.message();
  s = call.Check("big", 11);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "batch big has 11 rows; the limit is 10 per batch");
  s = call.Check("burst", 9);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("send smaller batches"), std::string::npos) << s.message();
  EXPECT_TRUE(call.Check("first", 5).ok());
  s = call.Check("second", 5);  // 3 rows left in the bucket
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("the batches before batch second are stored"), std::string::npos)
      << s.message();
  // Another token has its own bucket.
  IngestCall other = Call({Role::kAuthority, "", "other-test"}, rate);
  EXPECT_TRUE(other.Check("first", 8).ok());
}

}  // namespace
}  // namespace covgap::server
