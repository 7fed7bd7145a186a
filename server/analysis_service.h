// AnalysisService: runs an analysis (binned, predicted or hybrid: docs/prediction.md) on a
// snapshot of the stored measurements and sites (one read transaction), streams its progress and
// stores the run and its gaps atomically. One analysis runs at a time; `max_waiting` more may wait
// for it, any further request gets RESOURCE_EXHAUSTED. A call whose deadline passes or that is
// cancelled stops the analysis at its next stage and stores nothing.
#pragma once

#include <atomic>
#include <mutex>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/gaps/gap_attribution.h"
#include "server/access_control.h"
#include "server/audit_trail.h"
#include "server/gap_lifecycle.h"
#include "server/store/store.h"

namespace covgap::server {

class AnalysisService final : public v1::AnalysisService::Service {
 public:
  AnalysisService(store::Store& store, const AccessControl& access, AuditTrail& audit,
                  int max_waiting = 1, const geo::RankingWeights& ranking_weights = {},
                  GapLifecycle* lifecycle = nullptr, unsigned analysis_threads = 0)
      : store_(store),
        access_(access),
        audit_(audit),
        max_waiting_(max_waiting),
        ranking_weights_(ranking_weights),
        lifecycle_(lifecycle),
        analysis_threads_(analysis_threads) {}

  grpc::Status RunAnalysis(grpc::ServerContext* context, const v1::RunAnalysisRequest* request,
                           grpc::ServerWriter<v1::AnalysisProgress>* writer) override;
  grpc::Status GetLatestRun(grpc::ServerContext* context, const v1::GetLatestRunRequest* request,
                            v1::AnalysisRunInfo* response) override;

 private:
  store::Store& store_;
  const AccessControl& access_;
  AuditTrail& audit_;
  int max_waiting_;
  geo::RankingWeights ranking_weights_;  // the default for every run (covgapd --ranking-weights)
  std::atomic<int> pending_{0};          // running + waiting
  // When set: watchers are woken after a run is stored, and cleared or awaiting_measurement gaps
  // are verified with the default rule (docs/gaps.md "Life cycle and verification").
  GapLifecycle* lifecycle_ = nullptr;
  unsigned analysis_threads_ = 0;  // threads of a run; 0 = every core (covgapd --analysis-threads)
};

}  // namespace covgap::server
