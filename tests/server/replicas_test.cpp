// Several covgapd replicas on one store: a change made through replica A wakes the WatchGaps
// streams of replica B at once (not at B's next poll) and B serves it at once; two replicas
// starting together on an empty store create one bootstrap token, not two; an analysis waits
// while another replica holds the analysis lock.
//   ReplicasTest: two CovgapServers over one embedded store, each through its own store object
//     (tests/support/forwarding_store.h); a Bus stands in for the database's notifications.
//   PgReplicasTest: each server on its own PostgreSQL store on one fresh database (real
//     LISTEN/NOTIFY and advisory locks); skipped without COVGAP_TEST_PG.
// tests/e2e/replicas_test.py does it with covgapd processes on one PostgreSQL database.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "covgap/v1/access.grpc.pb.h"
#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/lifecycle.grpc.pb.h"
#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/covgap_server.h"
#include "server/store/postgres_store.h"
#include "server/store/sqlite_store.h"
#include "tests/store/pg_test_support.h"
#include "tests/support/forwarding_store.h"
#include "tests/support/utm_cells.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

const std::string kBootstrap = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";
const std::string kOtherBootstrap = "cgp_boot0001_0123456789abcdef0123456789abcdef01234567";

std::int64_t UnixMs(int year, unsigned month, unsigned day) {
  return geo::DaysFromCivil(year, month, day) * 86'400'000;
}

// The replicas' change notifications: each replica's store registers its callback; a change made
// through one replica's store calls every other replica's callback (from another thread, as a
// database notification would arrive).
class Bus {
 public:
  int Join(std::function<void()> callback) {
    std::lock_guard lock(mu_);
    callbacks_.push_back(std::move(callback));
    return static_cast<int>(callbacks_.size()) - 1;
  }
  void Changed(int from) {
    std::vector<std::function<void()>> others;
    {
      std::lock_guard lock(mu_);
      for (int i = 0; i < static_cast<int>(callbacks_.size()); ++i) {
        if (i != from && callbacks_[i]) others.push_back(callbacks_[i]);
      }
    }
    std::thread([others] {
      for (const auto& c : others) c();
    }).detach();
  }

 private:
  std::mutex mu_;
  std::vector<std::function<void()>> callbacks_;
};

// One replica's store object: over the shared store (not owned) with the Bus standing in for the
// database's notifications; or owning a store that has its own (PostgreSQL: bus = nullptr).
// Optionally lists the tokens slowly.
class ReplicaStore : public covgap::testing::ForwardingStore {
 public:
  ReplicaStore(store::Store& shared, Bus* bus, milliseconds list_tokens_delay = {})
      : ForwardingStore(shared), bus_(bus), list_tokens_delay_(list_tokens_delay) {}
  static std::unique_ptr<ReplicaStore> Owning(std::unique_ptr<store::Store> own,
                                              milliseconds list_tokens_delay = {}) {
    store::Store& target = *own;
    auto replica = std::make_unique<ReplicaStore>(target, nullptr, list_tokens_delay);
    replica->own_ = std::move(own);
    return replica;
  }

  void OnExternalChange(std::function<void()> changed) override {
    if (bus_) {
      id_ = bus_->Join(changed);
    } else {
      t_.OnExternalChange(changed);
    }
  }
  using ForwardingStore::SaveAnalysis;
  StatusOr<std::int64_t> SaveAnalysis(const store::AnalysisRun& run,
                                      const std::vector<geo::Gap>& gaps,
                                      const std::vector<geo::SchoolCoverage>& schools) override {
    auto r = t_.SaveAnalysis(run, gaps, schools);
    if (r.ok() && bus_) bus_->Changed(id_);
    return r;
  }
  StatusOr<geo::Gap> UpdateGapState(const store::GapStateChange& change,
                                    store::GapEvent* event_out = nullptr) override {
    auto r = t_.UpdateGapState(change, event_out);
    if (r.ok() && bus_) bus_->Changed(id_);
    return r;
  }
  // Widens the window between "no authority token yet" and creating one.
  StatusOr<std::vector<store::TokenRecord>> ListTokens() override {
    std::this_thread::sleep_for(list_tokens_delay_);
    return t_.ListTokens();
  }

 private:
  Bus* bus_;
  milliseconds list_tokens_delay_;
  int id_ = -1;
  std::unique_ptr<store::Store> own_;
};

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(system_clock::now() + seconds(60));
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

// Dead viettel LTE cells (x, y) of the 100 m grid, three samples each.
v1::MeasurementBatch DeadCells(const std::vector<std::pair<int, int>>& cells) {
  v1::MeasurementBatch batch;
  batch.set_batch_id("dead");
  for (const auto& [x, y] : cells) {
    const auto [lon, lat] = covgap::testing::CellCentreLonLat(x, y);
    for (int i = 0; i < 3; ++i) {
      v1::Measurement* m = batch.add_measurements();
      m->set_operator_id("viettel");
      m->set_tech(v1::LTE);
      m->set_lat(lat + 0.0001 * (i - 1));
      m->set_lon(lon + 0.0001 * (i - 1));
      m->set_signal_dbm(-120 - i);
      m->set_time_unix_ms(UnixMs(2021, 6, 15) + i * 3'600'000);
      m->set_source(v1::DRIVE);
    }
  }
  return batch;
}

// The scenarios, over any way of giving each replica its own store object on one shared store.
class ReplicasTestBase : public ::testing::Test {
 protected:
  // A new store object on the shared store for one replica.
  virtual std::unique_ptr<store::Store> NewReplicaStore(milliseconds list_tokens_delay) = 0;
  // A store object for the test's own checks.
  virtual store::Store& Inspect() = 0;

  std::unique_ptr<CovgapServer> StartReplica(const std::string& bootstrap,
                                             milliseconds list_tokens_delay = {}) {
    ServerOptions options;
    options.auth_enabled = true;
    options.bootstrap_token = bootstrap;
    auto store = NewReplicaStore(list_tokens_delay);
    if (!store) return nullptr;
    auto server = CovgapServer::Start(std::move(store), options);
    EXPECT_TRUE(server.ok()) << server.status().message();
    return server.ok() ? std::move(server.value()) : nullptr;
  }

  void AChangeThroughOneReplicaWakesTheWatchOnTheOther();
  void TwoReplicasStartingTogetherCreateOneBootstrapToken();
  void AnAnalysisWaitsWhileAnotherStoreObjectHoldsTheLock();

  std::unique_ptr<CovgapServer> a_, b_;
};

// Two servers in one process over one embedded store, notifications through the Bus.
class ReplicasTest : public ReplicasTestBase {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_replicas_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    auto shared = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(shared.ok()) << shared.status().message();
    shared_ = std::move(shared.value());
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    shared_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<store::Store> NewReplicaStore(milliseconds list_tokens_delay) override {
    return std::make_unique<ReplicaStore>(*shared_, &bus_, list_tokens_delay);
  }
  store::Store& Inspect() override { return *shared_; }

  fs::path dir_;
  std::unique_ptr<store::Store> shared_;
  Bus bus_;
};

void ReplicasTestBase::AChangeThroughOneReplicaWakesTheWatchOnTheOther() {
  a_ = StartReplica(kBootstrap);
  b_ = StartReplica(kBootstrap);
  ASSERT_TRUE(a_ && b_);
  EXPECT_TRUE(a_->bootstrap_token().has_value());
  EXPECT_FALSE(b_->bootstrap_token().has_value()) << "B found A's bootstrap token";
  auto channel_a = a_->InProcessChannel();
  auto channel_b = b_->InProcessChannel();

  // Five dead viettel cells ingested and analysed through A.
  const std::vector<std::pair<int, int>> cells = {
      {6917, 23590}, {6930, 23600}, {6940, 23610}, {6950, 23620}, {6960, 23630}};
  {
    auto stub = v1::MeasurementService::NewStub(channel_a);
    v1::IngestSummary summary;
    auto ctx = Context(kBootstrap);
    auto writer = stub->Ingest(ctx.get(), &summary);
    ASSERT_TRUE(writer->Write(DeadCells(cells)));
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    ASSERT_EQ(summary.accepted(), 15u);
  }
  std::string viettel;
  {
    auto stub = v1::AccessService::NewStub(channel_a);
    v1::CreateTokenRequest request;
    request.set_role("operator:viettel");
    request.set_label("viettel");
    v1::CreateTokenResponse response;
    auto ctx = Context(kBootstrap);
    ASSERT_TRUE(stub->CreateToken(ctx.get(), request, &response).ok());
    viettel = response.secret_token();
  }

  // B's watch, opened before the analysis: it sees the analysis's `new` events made through A.
  auto life_b = v1::GapLifecycleService::NewStub(channel_b);
  std::mutex mu;
  std::condition_variable arrived;
  std::vector<std::pair<std::string, steady_clock::time_point>> seen;  // "type gap", arrival
  auto watch_ctx = Context(kBootstrap);
  auto reader = life_b->WatchGaps(watch_ctx.get(), v1::WatchGapsRequest());
  auto watching = std::async(std::launch::async, [&] {
    v1::GapEvent e;
    while (reader->Read(&e)) {
      {
        std::lock_guard lock(mu);
        seen.emplace_back(e.type() + " " + e.gap_id(), steady_clock::now());
      }
      arrived.notify_all();
    }
    return reader->Finish();
  });
  auto arrival = [&](const std::string& key) -> std::optional<steady_clock::time_point> {
    std::optional<steady_clock::time_point> when;
    std::unique_lock lock(mu);
    arrived.wait_for(lock, seconds(10), [&] {
      for (const auto& [k, t] : seen) {
        if (k == key) when = t;
      }
      return when.has_value();
    });
    return when;
  };

  {
    auto stub = v1::AnalysisService::NewStub(channel_a);
    v1::RunAnalysisRequest request;
    request.set_as_of_unix_ms(UnixMs(2021, 12, 1));
    request.set_window_days(365);
    auto ctx = Context(kBootstrap);
    auto run = stub->RunAnalysis(ctx.get(), request);
    v1::AnalysisProgress p;
    while (run->Read(&p)) {
    }
    ASSERT_TRUE(run->Finish().ok());
  }
  std::vector<std::string> gap_ids;
  for (const auto& [x, y] : cells) {
    gap_ids.push_back("viettel-LTE-" + std::to_string(x) + "_" + std::to_string(y));
    ASSERT_TRUE(arrival("new " + gap_ids.back())) << "B's watch missed the new gap";
  }

  // Each plan through A: B serves the new status at once, and B's watch has the event well
  // before its 200 ms poll would have found it. Without the wake-up a watch finds an event after
  // 100 ms on average, so five arrivals all within 80 ms would be chance once in a hundred.
  auto life_a = v1::GapLifecycleService::NewStub(channel_a);
  auto gaps_b = v1::GapService::NewStub(channel_b);
  std::vector<double> latencies_ms;
  for (const auto& id : gap_ids) {
    ASSERT_TRUE(b_->gap_events().AwaitIdle(1, seconds(10))) << "B's watch is not waiting again";
    v1::PlanGapRequest request;
    request.set_gap_id(id);
    request.set_action("Trạm BTS mới");
    request.set_target_unix_ms(UnixMs(2021, 12, 31));
    v1::Gap planned;
    auto ctx = Context(viettel);
    ASSERT_TRUE(life_a->PlanGap(ctx.get(), request, &planned).ok());
    const auto done = steady_clock::now();
    v1::GetGapRequest get;
    get.set_gap_id(id);
    v1::Gap through_b;
    auto get_ctx = Context(kBootstrap);
    ASSERT_TRUE(gaps_b->GetGap(get_ctx.get(), get, &through_b).ok());
    EXPECT_EQ(through_b.status(), "planned") << id << ": B does not show A's plan";
    const auto when = arrival("planned " + id);
    ASSERT_TRUE(when) << "B's watch never saw the plan of " << id;
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(std::max(*when, done) - done).count());
  }
  for (double ms : latencies_ms) {
    EXPECT_LT(ms, 80.0) << "B's watch was not woken by A's change (it waited for its poll)";
  }
  watch_ctx->TryCancel();
  watching.wait();
}

void ReplicasTestBase::TwoReplicasStartingTogetherCreateOneBootstrapToken() {
  // Each replica lists the tokens slowly, so both find none before either creates one: without
  // the store-wide lock both would create their own authority token.
  auto start_b = std::async(std::launch::async,
                            [&] { return StartReplica(kOtherBootstrap, milliseconds(200)); });
  a_ = StartReplica(kBootstrap, milliseconds(200));
  b_ = start_b.get();
  ASSERT_TRUE(a_ && b_);
  EXPECT_NE(a_->bootstrap_token().has_value(), b_->bootstrap_token().has_value())
      << "exactly one replica creates the bootstrap token";
  auto tokens = Inspect().ListTokens();
  ASSERT_TRUE(tokens.ok());
  int authorities = 0;
  for (const auto& t : tokens.value()) authorities += t.role == "authority" && !t.revoked_ms;
  EXPECT_EQ(authorities, 1);
  // The winner's token works through both replicas.
  const std::string winner =
      a_->bootstrap_token() ? *a_->bootstrap_token() : *b_->bootstrap_token();
  for (CovgapServer* replica : {a_.get(), b_.get()}) {
    auto stub = v1::AccessService::NewStub(replica->InProcessChannel());
    v1::ListTokensRequest request;
    v1::ListTokensResponse response;
    auto ctx = Context(winner);
    EXPECT_TRUE(stub->ListTokens(ctx.get(), request, &response).ok());
  }
}

TEST_F(ReplicasTest, AChangeThroughOneReplicaWakesTheWatchOnTheOtherAtOnce) {
  AChangeThroughOneReplicaWakesTheWatchOnTheOther();
}

TEST_F(ReplicasTest, TwoReplicasStartingTogetherOnAnEmptyStoreCreateOneBootstrapToken) {
  TwoReplicasStartingTogetherCreateOneBootstrapToken();
}

void ReplicasTestBase::AnAnalysisWaitsWhileAnotherStoreObjectHoldsTheLock() {
  a_ = StartReplica(kBootstrap);
  ASSERT_TRUE(a_);
  // Another replica's analysis, as far as the store is concerned: the lock held through another
  // store object.
  auto lease = Inspect().AcquireAnalysisLock(/*wait=*/false);
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  ASSERT_NE(lease.value(), nullptr);
  auto stub = v1::AnalysisService::NewStub(a_->InProcessChannel());
  std::mutex mu;
  std::vector<std::string> stages;
  auto ctx = Context(kBootstrap);
  v1::RunAnalysisRequest request;
  request.set_as_of_unix_ms(UnixMs(2021, 12, 1));
  auto run = std::async(std::launch::async, [&] {
    auto reader = stub->RunAnalysis(ctx.get(), request);
    v1::AnalysisProgress p;
    while (reader->Read(&p)) {
      std::lock_guard lock(mu);
      stages.push_back(p.stage());
    }
    return reader->Finish();
  });
  EXPECT_EQ(run.wait_for(milliseconds(700)), std::future_status::timeout)
      << "the analysis ran although the lock was held elsewhere";
  {
    std::lock_guard lock(mu);
    ASSERT_FALSE(stages.empty());
    EXPECT_EQ(stages.front(), "waiting for the running analysis to finish");
    EXPECT_EQ(stages.size(), 1u);
  }
  lease.value().reset();  // the other analysis ends
  ASSERT_EQ(run.wait_for(seconds(30)), std::future_status::ready);
  const grpc::Status status = run.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
  auto latest = Inspect().LatestRun();
  ASSERT_TRUE(latest.ok());
  EXPECT_TRUE(latest.value().has_value()) << "the analysis was stored once the lock was free";
}

TEST_F(ReplicasTest, AnAnalysisWaitsWhileAnotherReplicaHoldsTheLock) {
  AnAnalysisWaitsWhileAnotherStoreObjectHoldsTheLock();
}

// Two servers, each on its own PostgreSQL store object (own connections, LISTEN/NOTIFY, advisory
// locks) on one fresh database of the cluster named by COVGAP_TEST_PG; skipped without it.
class PgReplicasTest : public ReplicasTestBase {
 protected:
  void SetUp() override {
    if (store::PgAdminConninfo().empty()) GTEST_SKIP() << store::kPgSkipMessage;
    db_ = store::PgTestDatabaseName(
        std::string("replicas_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::string error;
    conninfo_ = store::PgFreshDatabase(db_, &error);
    ASSERT_FALSE(conninfo_.empty()) << error;
    auto inspect = store::OpenPostgresStore(conninfo_);
    ASSERT_TRUE(inspect.ok()) << inspect.status().message();
    inspect_ = std::move(inspect.value());
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    inspect_.reset();
    if (!db_.empty()) store::PgDropDatabase(db_);
  }
  std::unique_ptr<store::Store> NewReplicaStore(milliseconds list_tokens_delay) override {
    auto own = store::OpenPostgresStore(conninfo_);
    EXPECT_TRUE(own.ok()) << own.status().message();
    if (!own.ok()) return nullptr;
    return ReplicaStore::Owning(std::move(own.value()), list_tokens_delay);
  }
  store::Store& Inspect() override { return *inspect_; }

  std::string db_, conninfo_;
  std::unique_ptr<store::Store> inspect_;
};

TEST_F(PgReplicasTest, AChangeThroughOneReplicaWakesTheWatchOnTheOtherAtOnce) {
  AChangeThroughOneReplicaWakesTheWatchOnTheOther();
}

TEST_F(PgReplicasTest, TwoReplicasStartingTogetherOnAnEmptyDatabaseCreateOneBootstrapToken) {
  TwoReplicasStartingTogetherCreateOneBootstrapToken();
}

TEST_F(PgReplicasTest, AnAnalysisWaitsWhileAnotherReplicaHoldsTheLock) {
  AnAnalysisWaitsWhileAnotherStoreObjectHoldsTheLock();
}

}  // namespace
}  // namespace covgap::server
