// One analysis run as a use case, without gRPC (AnalysisService.RunAnalysis parses, calls Run and
// converts): admission (one running, `max_waiting` waiting, RESOURCE_EXHAUSTED beyond), the
// store-wide analysis lock, the inputs, the engine, stable gap identities, storing the run, the
// audit record, waking the watchers and verifying cleared gaps.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "geo/base/status.h"
#include "geo/gaps/gap_analysis.h"
#include "geo/gaps/gap_attribution.h"
#include "geo/gaps/gap_identity.h"
#include "server/audit_trail.h"
#include "server/gap_lifecycle.h"
#include "server/roles.h"
#include "server/store/store.h"

namespace covgap::server {

struct AnalysisOrder {
  geo::AnalysisParams params;  // as requested; `threads` is the runner's
  bool method_given = false;   // else the default method for the inputs (DefaultMethod)
  std::map<std::string, double> ranking_weights;  // overrides of the runner's defaults
  std::string requested_by;                       // for the log (the peer's address)
};

struct AnalysisOutcome {
  std::int64_t run_id = 0;
  store::AnalysisRun run;      // as stored
  geo::AnalysisParams params;  // as run (method resolved)
  geo::AnalysisResult result;
  geo::IdentityStats identity;
};

class AnalysisRunner {
 public:
  // `progress(stage, fraction)` returns false to stop the run (the client went away or its
  // deadline passed): nothing is stored then.
  using Progress = std::function<bool(std::string_view stage, double fraction)>;

  AnalysisRunner(store::Store& store, AuditTrail& audit, int max_waiting,
                 const geo::RankingWeights& ranking_weights, GapLifecycle* lifecycle,
                 unsigned threads)
      : store_(store),
        audit_(audit),
        max_waiting_(max_waiting),
        ranking_weights_(ranking_weights),
        lifecycle_(lifecycle),
        threads_(threads) {}

  // Errors: InvalidArgument (a bad ranking weight), ResourceExhausted (too many waiting),
  // Cancelled (progress said stop), the store's and the engine's.
  StatusOr<AnalysisOutcome> Run(const Caller& caller, AnalysisOrder order,
                                const Progress& progress);

 private:
  store::Store& store_;
  AuditTrail& audit_;
  int max_waiting_;
  geo::RankingWeights ranking_weights_;  // the default of every run (covgapd --ranking-weights)
  std::atomic<int> pending_{0};          // running + waiting
  GapLifecycle* lifecycle_;              // when set: wake watchers, verify cleared gaps
  unsigned threads_;                     // 0 = every core (covgapd --analysis-threads)
};

}  // namespace covgap::server
