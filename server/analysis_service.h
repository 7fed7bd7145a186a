// AnalysisService: runs an analysis (binned, predicted or hybrid: docs/prediction.md) on a
// snapshot of the stored measurements and sites (one read transaction), streams its progress and
// stores the run and its gaps atomically. One analysis runs at a time; `max_waiting` more may wait
// for it, any further request gets RESOURCE_EXHAUSTED. A call whose deadline passes or that is
// cancelled stops the analysis at its next stage and stores nothing.
#pragma once

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/gaps/gap_attribution.h"
#include "server/access_control.h"
#include "server/app/analysis_runner.h"
#include "server/audit_trail.h"
#include "server/gap_lifecycle.h"
#include "server/metrics.h"
#include "server/store/store.h"

namespace covgap::server {

class AnalysisService final : public v1::AnalysisService::Service {
 public:
  // `metrics` (may be null) gets each stored run's stage durations.
  AnalysisService(store::Store& store, const AccessControl& access, AuditTrail& audit,
                  int max_waiting = 1, const geo::RankingWeights& ranking_weights = {},
                  GapLifecycle* lifecycle = nullptr, unsigned analysis_threads = 0,
                  Metrics* metrics = nullptr)
      : store_(store),
        access_(access),
        runner_(store, audit, max_waiting, ranking_weights, lifecycle, analysis_threads),
        metrics_(metrics) {}

  grpc::Status RunAnalysis(grpc::ServerContext* context, const v1::RunAnalysisRequest* request,
                           grpc::ServerWriter<v1::AnalysisProgress>* writer) override;
  grpc::Status GetLatestRun(grpc::ServerContext* context, const v1::GetLatestRunRequest* request,
                            v1::AnalysisRunInfo* response) override;

 private:
  store::Store& store_;
  const AccessControl& access_;
  AnalysisRunner runner_;
  Metrics* metrics_;  // the use case (server/app/analysis_runner.h)
};

}  // namespace covgap::server
