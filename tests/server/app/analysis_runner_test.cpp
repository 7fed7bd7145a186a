// The analysis use case without gRPC: a real SQLite store in a temporary directory, the engine,
// AnalysisRunner (server/app/analysis_runner.h).
#include "server/app/analysis_runner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "geo/base/time_format.h"
#include "tests/server/app/store_fixture.h"

namespace covgap::server {
namespace {

class AnalysisRunnerTest : public StoreFixture {
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

  // A 300 m block of dead LTE cells for viettel (ten samples at -125 dBm per 100 m cell) around
  // Bắc Giang, measured the day before the analysis.
  void StoreDeadBlock() {
    store::BatchToStore batch;
    batch.batch_id = "dead-block";
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        for (int k = 0; k < 10; ++k) {
          geo::Measurement m;
          m.operator_id = "viettel";
          m.tech = geo::Technology::kLte;
          m.lat = 21.30 + i * 0.0009 + k * 1e-6;
          m.lon = 106.20 + j * 0.00097 + k * 1e-6;
          m.signal_dbm = -125;
          m.time_ms = kAsOf - geo::kMsPerDay;
          m.source = geo::Source::kDrive;
          batch.rows.push_back(m);
        }
      }
    }
    const store::BatchToStore* batches[] = {&batch};
    ASSERT_TRUE(store_->CommitBatches(batches).ok());
  }

  AnalysisOrder Binned() const {
    AnalysisOrder order;
    order.params.method = geo::AnalysisMethod::kBinned;
    order.params.as_of_ms = kAsOf;
    order.method_given = true;
    order.requested_by = "test";
    return order;
  }

  static constexpr std::int64_t kAsOf = 1'639'958'400'000;  // 2021-12-20
  const Caller authority_{Role::kAuthority, "", "runner-test"};
  std::unique_ptr<AuditTrail> audit_;
};

TEST_F(AnalysisRunnerTest, ARunIsStoredWithItsGapsAndKeepsTheirIdsNextTime) {
  ASSERT_NO_FATAL_FAILURE(StoreDeadBlock());
  AnalysisRunner runner(*store_, *audit_, 1, {}, nullptr, 1);
  std::vector<std::string> stages;
  auto progress = [&](std::string_view stage, double) {
    stages.emplace_back(stage);
    return true;
  };
  auto first = runner.Run(authority_, Binned(), progress);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->run_id, 1);
  EXPECT_FALSE(stages.empty());
  ASSERT_FALSE(first->result.gaps.empty());
  EXPECT_EQ(first->run.gaps, first->result.gaps.size());
  EXPECT_EQ(first->run.measurements, 90u);
  auto latest = store_->LatestRun();
  ASSERT_TRUE(latest.ok() && latest.value());
  EXPECT_EQ(latest.value()->run_id, 1);
  EXPECT_NE(latest.value()->params_json.find("\"method\":\"binned\""), std::string::npos)
      << latest.value()->params_json;

  auto second = runner.Run(authority_, Binned(), progress);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->run_id, 2);
  EXPECT_EQ(second->identity.kept, first->result.gaps.size());
  EXPECT_EQ(second->identity.fresh, 0u);
  ASSERT_EQ(second->result.gaps.size(), first->result.gaps.size());
  EXPECT_EQ(second->result.gaps[0].gap_id, first->result.gaps[0].gap_id);
}

TEST_F(AnalysisRunnerTest, AStoppedRunStoresNothing) {
  ASSERT_NO_FATAL_FAILURE(StoreDeadBlock());
  AnalysisRunner runner(*store_, *audit_, 1, {}, nullptr, 1);
  auto stopped = runner.Run(authority_, Binned(), [](std::string_view, double) { return false; });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), StatusCode::kCancelled) << stopped.status().message();
  auto latest = store_->LatestRun();
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest.value()) << "a stopped run was stored";
}

TEST_F(AnalysisRunnerTest, AnUnknownRankingWeightIsRefusedBeforeAnythingRuns) {
  AnalysisRunner runner(*store_, *audit_, 1, {}, nullptr, 1);
  AnalysisOrder order = Binned();
  order.ranking_weights["students"] = 2;
  bool ran = false;
  auto refused = runner.Run(authority_, std::move(order), [&](std::string_view, double) {
    ran = true;
    return true;
  });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("unknown ranking weight 'students'"), std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace covgap::server
