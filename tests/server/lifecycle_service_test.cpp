// The gap life cycle through a real in-process gRPC server with access control on: plans and
// clearances by the owning operator only, verification by re-measurement (awaiting, verified,
// reopened) and after every analysis, the audit trail, gap history, WatchGaps (order, operator
// visibility) and a shutdown that an open watch does not hold up.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "covgap/v1/access.grpc.pb.h"
#include "covgap/v1/gaps.grpc.pb.h"
#include "covgap/v1/lifecycle.grpc.pb.h"
#include "covgap/v1/measurement.grpc.pb.h"
#include "geo/base/time_format.h"
#include "server/covgap_server.h"
#include "server/store/sqlite_store.h"
#include "tests/support/utm_cells.h"

namespace covgap::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

const std::string kBootstrap = "cgp_boot0000_0123456789abcdef0123456789abcdef01234567";

std::int64_t UnixMs(int year, unsigned month, unsigned day) {
  return geo::DaysFromCivil(year, month, day) * 86'400'000;
}

// Cells of the 100 m grid in EPSG:32648 (Bắc Giang): A and B viettel's, C vnpt's.
constexpr int kAx = 6917, kAy = 23590;
constexpr int kBx = 6930, kBy = 23600;
constexpr int kCx = 6940, kCy = 23610;
const std::string kGapA = "viettel-LTE-6917_23590";
const std::string kGapB = "viettel-LTE-6930_23600";
const std::string kGapC = "vnpt-LTE-6940_23610";

using covgap::testing::CellCentreLonLat;

// `n` LTE samples of `op` in cell (x, y) at `dbm`, on `day`.
v1::MeasurementBatch Samples(const std::string& batch_id, const std::string& op, int x, int y,
                             int dbm, std::int64_t day, int n = 3) {
  const auto [lon, lat] = CellCentreLonLat(x, y);
  v1::MeasurementBatch batch;
  batch.set_batch_id(batch_id);
  for (int i = 0; i < n; ++i) {
    v1::Measurement* m = batch.add_measurements();
    m->set_operator_id(op);
    m->set_tech(v1::LTE);
    m->set_lat(lat + 0.0001 * (i - 1));
    m->set_lon(lon + 0.0001 * (i - 1));
    m->set_signal_dbm(dbm - i);
    m->set_time_unix_ms(day + i * 3'600'000);
    m->set_source(v1::DRIVE);
  }
  return batch;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(system_clock::now() + seconds(60));
  ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class LifecycleServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("covgap_life_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    auto store = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    ServerOptions options;
    options.auth_enabled = true;
    options.bootstrap_token = kBootstrap;
    auto server = CovgapServer::Start(std::move(store.value()), options);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server.value());
    auto channel = server_->InProcessChannel();
    measurements_ = v1::MeasurementService::NewStub(channel);
    analysis_ = v1::AnalysisService::NewStub(channel);
    gaps_ = v1::GapService::NewStub(channel);
    access_ = v1::AccessService::NewStub(channel);
    life_ = v1::GapLifecycleService::NewStub(channel);
    viewer_ = CreateToken("viewer");
    viettel_ = CreateToken("operator:viettel");
    vnpt_ = CreateToken("operator:vnpt");
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  std::string CreateToken(const std::string& role) {
    v1::CreateTokenRequest request;
    request.set_role(role);
    request.set_label(role);
    v1::CreateTokenResponse response;
    auto ctx = Context(kBootstrap);
    const grpc::Status status = access_->CreateToken(ctx.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.secret_token();
  }

  void Ingest(const std::vector<v1::MeasurementBatch>& batches) {
    v1::IngestSummary summary;
    auto ctx = Context(kBootstrap);
    auto writer = measurements_->Ingest(ctx.get(), &summary);
    for (const auto& b : batches) ASSERT_TRUE(writer->Write(b));
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(summary.rejected(), 0u) << summary.DebugString();
  }

  void Analyse(std::int64_t as_of = UnixMs(2021, 12, 1), int window_days = 365) {
    v1::RunAnalysisRequest request;
    request.set_as_of_unix_ms(as_of);
    request.set_window_days(window_days);
    auto ctx = Context(kBootstrap);
    auto reader = analysis_->RunAnalysis(ctx.get(), request);
    v1::AnalysisProgress p;
    while (reader->Read(&p)) {
    }
    const grpc::Status status = reader->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Dead cells A and B of viettel and C of vnpt, measured in June 2021, analysed.
  void ThreeGaps() {
    ASSERT_NO_FATAL_FAILURE(Ingest({Samples("a", "viettel", kAx, kAy, -120, UnixMs(2021, 6, 15)),
                                    Samples("b", "viettel", kBx, kBy, -121, UnixMs(2021, 6, 15)),
                                    Samples("c", "vnpt", kCx, kCy, -122, UnixMs(2021, 6, 15))}));
    ASSERT_NO_FATAL_FAILURE(Analyse());
    for (const auto& id : {kGapA, kGapB, kGapC}) {
      v1::Gap gap;
      ASSERT_TRUE(GetGap(id, &gap).ok()) << id;
      ASSERT_EQ(gap.status(), "open");
    }
  }

  grpc::Status GetGap(const std::string& id, v1::Gap* gap) {
    v1::GetGapRequest request;
    request.set_gap_id(id);
    auto ctx = Context(kBootstrap);
    return gaps_->GetGap(ctx.get(), request, gap);
  }
  std::string StatusOf(const std::string& id) {
    v1::Gap gap;
    const grpc::Status s = GetGap(id, &gap);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return gap.status();
  }

  grpc::Status Plan(const std::string& token, const std::string& id, v1::Gap* out = nullptr) {
    v1::PlanGapRequest request;
    request.set_gap_id(id);
    request.set_action("Trạm BTS mới tại xã An Lạc");
    request.set_target_unix_ms(UnixMs(2021, 12, 31));
    v1::Gap ignored;
    auto ctx = Context(token);
    return life_->PlanGap(ctx.get(), request, out ? out : &ignored);
  }
  grpc::Status Clear(const std::string& token, const std::string& id,
                     std::int64_t when = UnixMs(2021, 12, 15), v1::Gap* out = nullptr) {
    v1::ClearGapRequest request;
    request.set_gap_id(id);
    request.set_note("BTS on air");
    request.set_cleared_unix_ms(when);
    v1::Gap ignored;
    auto ctx = Context(token);
    return life_->ClearGap(ctx.get(), request, out ? out : &ignored);
  }
  grpc::Status Reopen(const std::string& token, const std::string& id) {
    v1::ReopenGapRequest request;
    request.set_gap_id(id);
    request.set_reason("complaints from the commune");
    v1::Gap ignored;
    auto ctx = Context(token);
    return life_->ReopenGap(ctx.get(), request, &ignored);
  }
  grpc::Status Verify(const std::string& token, const std::vector<std::string>& ids,
                      v1::VerifyGapsResponse* response) {
    v1::VerifyGapsRequest request;
    for (const auto& id : ids) request.add_gap_ids(id);
    auto ctx = Context(token);
    return life_->VerifyGaps(ctx.get(), request, response);
  }
  std::map<std::string, v1::GapVerification> VerifyAll() {
    v1::VerifyGapsResponse response;
    const grpc::Status s = Verify(kBootstrap, {}, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, v1::GapVerification> out;
    for (const auto& r : response.results()) out[r.gap_id()] = r;
    return out;
  }
  grpc::Status History(const std::string& token, const std::string& id,
                       v1::GetGapHistoryResponse* out) {
    v1::GetGapHistoryRequest request;
    request.set_gap_id(id);
    auto ctx = Context(token);
    return life_->GetGapHistory(ctx.get(), request, out);
  }
  std::vector<std::string> AuditActions() {
    v1::ListAuditRequest request;
    request.set_limit(1000);
    v1::ListAuditResponse response;
    auto ctx = Context(kBootstrap);
    EXPECT_TRUE(access_->ListAudit(ctx.get(), request, &response).ok());
    std::vector<std::string> out;
    for (const auto& e : response.entries()) {
      if (e.action().starts_with("gap.")) out.push_back(e.action() + " " + e.target());
    }
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  }

  fs::path dir_;
  std::unique_ptr<CovgapServer> server_;
  std::unique_ptr<v1::MeasurementService::Stub> measurements_;
  std::unique_ptr<v1::AnalysisService::Stub> analysis_;
  std::unique_ptr<v1::GapService::Stub> gaps_;
  std::unique_ptr<v1::AccessService::Stub> access_;
  std::unique_ptr<v1::GapLifecycleService::Stub> life_;
  std::string viewer_, viettel_, vnpt_;
};

TEST_F(LifecycleServiceTest, OnlyTheOwningOperatorPlansAndClears) {
  ASSERT_NO_FATAL_FAILURE(ThreeGaps());
  // Clearing before planning is refused with what to do.
  grpc::Status s = Clear(viettel_, kGapA);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Contains(s.error_message(), "file a plan first: covgap gap plan " + kGapA))
      << s.error_message();
  // Another operator, the viewer and the authority may not plan viettel's gap.
  for (const std::string& who : {vnpt_, viewer_, kBootstrap}) {
    s = Plan(who, kGapA);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
  EXPECT_EQ(StatusOf(kGapA), "open");

  v1::Gap planned;
  s = Plan(viettel_, kGapA, &planned);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(planned.status(), "planned");
  EXPECT_EQ(planned.plan(), "Trạm BTS mới tại xã An Lạc");
  EXPECT_EQ(planned.target_unix_ms(), UnixMs(2021, 12, 31));
  ASSERT_TRUE(Plan(viettel_, kGapA).ok());  // a re-plan

  for (const std::string& who : {vnpt_, viewer_, kBootstrap}) {
    s = Clear(who, kGapA);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  }
  s = Clear(viettel_, kGapA, geo::NowUnixMs() + 86'400'000);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(Contains(s.error_message(), "future")) << s.error_message();
  v1::Gap cleared;
  s = Clear(viettel_, kGapA, UnixMs(2021, 12, 15), &cleared);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(cleared.status(), "cleared");
  EXPECT_EQ(cleared.cleared_unix_ms(), UnixMs(2021, 12, 15));
  EXPECT_EQ(cleared.status_note(), "BTS on air");
  s = Plan(viettel_, kGapA);  // a cleared gap is not planned again
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  // Unknown gap.
  EXPECT_EQ(Plan(viettel_, "viettel-LTE-1_1").error_code(), grpc::StatusCode::NOT_FOUND);
  // A common gap: any operator may plan it, and the event records which one did.
  const std::string common = "common-LTE-" + std::to_string(kAx) + "_" + std::to_string(kAy);
  ASSERT_TRUE(Plan(vnpt_, common).ok());
  EXPECT_EQ(Plan(viewer_, common).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetGapHistoryResponse common_history;
  ASSERT_TRUE(History(viettel_, common, &common_history).ok());
  ASSERT_EQ(common_history.events_size(), 2);
  EXPECT_TRUE(Contains(common_history.events(1).actor(), "operator vnpt"))
      << common_history.events(1).actor();

  EXPECT_EQ(AuditActions(),
            (std::vector<std::string>{"gap.plan gap " + kGapA, "gap.plan gap " + kGapA,
                                      "gap.clear gap " + kGapA, "gap.plan gap " + common}));
  // History: viettel and the viewer read it, vnpt may not.
  v1::GetGapHistoryResponse history;
  ASSERT_TRUE(History(viettel_, kGapA, &history).ok());
  std::vector<std::string> types;
  for (const auto& e : history.events()) types.push_back(e.type());
  EXPECT_EQ(types, (std::vector<std::string>{"new", "planned", "planned", "cleared"}));
  EXPECT_TRUE(Contains(history.events(3).actor(), "operator viettel"));
  EXPECT_TRUE(History(viewer_, kGapA, &history).ok());
  EXPECT_EQ(History(vnpt_, kGapA, &history).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(History(vnpt_, "no-such-gap", &history).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(LifecycleServiceTest, VerificationAwaitsThenVerifiesOrReopensOnNewMeasurements) {
  ASSERT_NO_FATAL_FAILURE(ThreeGaps());
  for (const auto& id : {kGapA, kGapB}) {
    ASSERT_TRUE(Plan(viettel_, id).ok());
    ASSERT_TRUE(Clear(viettel_, id).ok());
  }
  // Only the authority verifies and reopens.
  v1::VerifyGapsResponse response;
  EXPECT_EQ(Verify(viettel_, {}, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Verify(viewer_, {}, &response).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reopen(viettel_, kGapA).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A named gap that is not cleared is refused.
  grpc::Status s = Verify(kBootstrap, {kGapC}, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();

  // No samples after 2021-12-15 yet (the June samples do not count).
  auto results = VerifyAll();
  ASSERT_EQ(results.size(), 2u);
  for (const auto& id : {kGapA, kGapB}) {
    EXPECT_EQ(results[id].status(), "awaiting_measurement") << id;
    EXPECT_EQ(results[id].previous_status(), "cleared");
    EXPECT_EQ(results[id].samples(), 0);
    EXPECT_EQ(results[id].needed(), 1);  // 0.01 km² x 3 per km², at least 1
    EXPECT_EQ(StatusOf(id), "awaiting_measurement");
  }
  EXPECT_EQ(results[kGapA].reason(),
            "0 samples after 2021-12-15, 1 needed: 3 per km² over 0.01 km²");

  // Good samples in A and still-bad samples in B, in January 2022.
  ASSERT_NO_FATAL_FAILURE(Ingest({Samples("a2", "viettel", kAx, kAy, -85, UnixMs(2022, 1, 10)),
                                  Samples("b2", "viettel", kBx, kBy, -118, UnixMs(2022, 1, 10))}));
  results = VerifyAll();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[kGapA].status(), "verified");
  EXPECT_EQ(results[kGapA].samples(), 3);
  EXPECT_EQ(results[kGapA].good_cells(), 1);
  EXPECT_EQ(results[kGapB].status(), "open");
  EXPECT_EQ(results[kGapB].good_cells(), 0);
  EXPECT_EQ(results[kGapB].measured_cells(), 1);
  EXPECT_TRUE(Contains(results[kGapB].reason(), "0 of 1 measured cells good"))
      << results[kGapB].reason();
  EXPECT_EQ(StatusOf(kGapA), "verified");
  v1::Gap b;
  ASSERT_TRUE(GetGap(kGapB, &b).ok());
  EXPECT_EQ(b.status(), "open");
  EXPECT_EQ(b.status_note(), results[kGapB].reason());
  EXPECT_TRUE(VerifyAll().empty());  // nothing cleared or awaiting is left

  // The authority reopens the verified gap.
  ASSERT_TRUE(Reopen(kBootstrap, kGapA).ok());
  EXPECT_EQ(StatusOf(kGapA), "open");
  EXPECT_EQ(Reopen(kBootstrap, kGapA).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  const auto audit = AuditActions();
  EXPECT_EQ(std::count(audit.begin(), audit.end(), "gap.verify gap " + kGapA), 2);
  EXPECT_EQ(std::count(audit.begin(), audit.end(), "gap.verify gap " + kGapB), 2);
  EXPECT_EQ(audit.back(), "gap.reopen gap " + kGapA);
  v1::GetGapHistoryResponse history;
  ASSERT_TRUE(History(kBootstrap, kGapB, &history).ok());
  std::vector<std::string> types;
  for (const auto& e : history.events()) types.push_back(e.type());
  EXPECT_EQ(types, (std::vector<std::string>{"new", "planned", "cleared", "awaiting_measurement",
                                             "reopened"}));
}

TEST_F(LifecycleServiceTest, EveryAnalysisVerifiesClearedGapsAndKeepsThemIfNotFoundAgain) {
  ASSERT_NO_FATAL_FAILURE(ThreeGaps());
  ASSERT_TRUE(Plan(viettel_, kGapA).ok());
  ASSERT_TRUE(Clear(viettel_, kGapA).ok());
  ASSERT_NO_FATAL_FAILURE(Ingest({Samples("a2", "viettel", kAx, kAy, -80, UnixMs(2022, 1, 10))}));
  // A window of January 2022 only: the June samples expired, A's cell is good now, so the
  // analysis finds neither A nor B. B (open) ends; A (cleared) is carried into the run and
  // verified by the run itself.
  ASSERT_NO_FATAL_FAILURE(Analyse(UnixMs(2022, 2, 1), 30));
  v1::Gap b;
  EXPECT_EQ(GetGap(kGapB, &b).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(StatusOf(kGapA), "verified");
  v1::GetGapHistoryResponse history;
  ASSERT_TRUE(History(kBootstrap, kGapA, &history).ok());
  ASSERT_GE(history.events_size(), 1);
  EXPECT_EQ(history.events(history.events_size() - 1).type(), "verified");
  EXPECT_TRUE(Contains(history.events(history.events_size() - 1).actor(), "after analysis run 2"))
      << history.events(history.events_size() - 1).actor();
}

// The role table of docs/security.md for the six life-cycle RPCs, written out: which callers get
// PERMISSION_DENIED before the RPC looks at its request (requests name an unknown gap).
TEST_F(LifecycleServiceTest, EveryLifecycleRpcFollowsTheRoleTable) {
  using Call = std::function<grpc::Status(const std::string&)>;
  const std::map<std::string, Call> calls = {
      {"PlanGap", [&](const std::string& t) { return Plan(t, "no-such-gap"); }},
      {"ClearGap", [&](const std::string& t) { return Clear(t, "no-such-gap"); }},
      {"ReopenGap", [&](const std::string& t) { return Reopen(t, "no-such-gap"); }},
      {"VerifyGaps",
       [&](const std::string& t) {
         v1::VerifyGapsResponse r;
         return Verify(t, {"no-such-gap"}, &r);
       }},
      {"GetGapHistory",
       [&](const std::string& t) {
         v1::GetGapHistoryResponse r;
         return History(t, "no-such-gap", &r);
       }},
      {"WatchGaps",
       [&](const std::string& t) {
         auto ctx = Context(t);
         ctx->set_deadline(system_clock::now() + milliseconds(300));
         auto reader = life_->WatchGaps(ctx.get(), {});
         v1::GapEvent e;
         while (reader->Read(&e)) {
         }
         return reader->Finish();
       }},
  };
  const std::map<std::string, std::set<std::string>> allowed = {
      {"authority", {"ReopenGap", "VerifyGaps", "GetGapHistory", "WatchGaps"}},
      {"operator", {"PlanGap", "ClearGap", "GetGapHistory", "WatchGaps"}},
      {"viewer", {"GetGapHistory", "WatchGaps"}},
  };
  const std::map<std::string, std::string> tokens = {
      {"authority", kBootstrap}, {"operator", viettel_}, {"viewer", viewer_}};
  for (const auto& [role, token] : tokens) {
    for (const auto& [rpc, call] : calls) {
      const grpc::Status s = call(token);
      const std::string where = role + " calling " + rpc + ": " + std::to_string(s.error_code()) +
                                " " + s.error_message();
      if (allowed.at(role).contains(rpc)) {
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << where;
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << where;
      }
    }
    const grpc::Status s = calls.at("PlanGap")("cgp_nobody00_" + std::string(40, 'x'));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
}

// Reads a watch stream into `events` until it ends.
struct Watch {
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientReader<v1::GapEvent>> reader;
  std::mutex mu;
  std::condition_variable arrived;
  std::vector<v1::GapEvent> events;
  std::future<grpc::Status> done;

  Watch(v1::GapLifecycleService::Stub& stub, const std::string& token, std::int64_t after = 0) {
    ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    v1::WatchGapsRequest request;
    request.set_after_event_id(after);
    reader = stub.WatchGaps(ctx.get(), request);
    done = std::async(std::launch::async, [this] {
      v1::GapEvent e;
      while (reader->Read(&e)) {
        {
          std::lock_guard lock(mu);
          events.push_back(e);
        }
        arrived.notify_all();
      }
      return reader->Finish();
    });
  }
  std::vector<std::string> Keys() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.type() + " " + e.gap_id());
    return out;
  }
  // Waits (up to 10 s) until `n` events have arrived.
  bool WaitFor(std::size_t n) {
    std::unique_lock lock(mu);
    return arrived.wait_for(lock, seconds(10), [&] { return events.size() >= n; });
  }
};

TEST_F(LifecycleServiceTest, WatchGapsFollowsEveryChangeInOrderAndOperatorsSeeOnlyTheirOwn) {
  Watch all(*life_, kBootstrap);
  Watch vnpt(*life_, vnpt_);
  ASSERT_NO_FATAL_FAILURE(ThreeGaps());
  // Each dead cell is also a common gap (one operator measured it): six new gaps.
  ASSERT_TRUE(all.WaitFor(6)) << "new events did not arrive";
  ASSERT_TRUE(Plan(viettel_, kGapA).ok());
  ASSERT_TRUE(all.WaitFor(7));  // the watch woke for the plan, before anything else happened
  ASSERT_TRUE(Clear(viettel_, kGapA).ok());
  ASSERT_TRUE(Plan(viettel_, kGapB).ok());
  ASSERT_TRUE(Clear(viettel_, kGapB).ok());
  ASSERT_NO_FATAL_FAILURE(Ingest({Samples("a2", "viettel", kAx, kAy, -85, UnixMs(2022, 1, 10)),
                                  Samples("b2", "viettel", kBx, kBy, -118, UnixMs(2022, 1, 10))}));
  for (const std::string& id : {kGapA, kGapB}) {  // one at a time: the order of events is fixed
    v1::VerifyGapsResponse response;
    ASSERT_TRUE(Verify(kBootstrap, {id}, &response).ok());
  }
  ASSERT_TRUE(Plan(vnpt_, kGapC).ok());
  ASSERT_TRUE(all.WaitFor(13));
  const std::vector<std::string> want = {"new common-LTE-6917_23590",
                                         "new common-LTE-6930_23600",
                                         "new common-LTE-6940_23610",
                                         "new " + kGapA,
                                         "new " + kGapB,
                                         "new " + kGapC,
                                         "planned " + kGapA,
                                         "cleared " + kGapA,
                                         "planned " + kGapB,
                                         "cleared " + kGapB,
                                         "verified " + kGapA,
                                         "reopened " + kGapB,
                                         "planned " + kGapC};
  std::vector<std::string> got = all.Keys();
  // new events are in id order; A and B were verified one after the other.
  EXPECT_EQ(got, want);
  // A sentinel vnpt sees: a watch sends events in id order, so once it arrives nothing else vnpt
  // could have been sent is still on its way.
  const std::string sentinel = "common-LTE-6917_23590";
  ASSERT_TRUE(Plan(vnpt_, sentinel).ok());
  ASSERT_TRUE(vnpt.WaitFor(6));
  EXPECT_EQ(vnpt.Keys(),
            (std::vector<std::string>{"new common-LTE-6917_23590", "new common-LTE-6930_23600",
                                      "new common-LTE-6940_23610", "new " + kGapC,
                                      "planned " + kGapC, "planned " + sentinel}));

  // A late watcher replays from a given event id.
  std::int64_t fourth = 0;
  {
    std::lock_guard lock(all.mu);
    fourth = all.events[3].event_id();
  }
  Watch late(*life_, viewer_, fourth);
  ASSERT_TRUE(late.WaitFor(want.size() - 4 + 1));
  std::vector<std::string> replayed(want.begin() + 4, want.end());
  replayed.push_back("planned " + sentinel);
  EXPECT_EQ(late.Keys(), replayed);

  // An operator may not watch another operator's gaps.
  {
    auto ctx = Context(vnpt_);
    v1::WatchGapsRequest request;
    request.set_operator_id("viettel");
    auto reader = life_->WatchGaps(ctx.get(), request);
    v1::GapEvent e;
    EXPECT_FALSE(reader->Read(&e));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  // Cancelling ends a watch at once.
  const auto t0 = steady_clock::now();
  late.ctx->TryCancel();
  EXPECT_EQ(late.done.get().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_LT(steady_clock::now() - t0, seconds(2));
  all.ctx->TryCancel();
  vnpt.ctx->TryCancel();
  all.done.wait();
  vnpt.done.wait();
}

TEST_F(LifecycleServiceTest, ShutdownWithAnOpenWatchReturnsPromptly) {
  Watch watch(*life_, viewer_);
  ASSERT_TRUE(server_->gap_events().AwaitIdle(1, seconds(10))) << "the watch never waited";
  const auto t0 = steady_clock::now();
  server_->Shutdown(seconds(30));
  EXPECT_LT(steady_clock::now() - t0, seconds(3)) << "the open watch held up the shutdown";
  ASSERT_EQ(watch.done.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_NE(watch.done.get().error_code(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace covgap::server
