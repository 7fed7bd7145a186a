#include "server/app/analysis_runner.h"

#include "geo/base/json_writer.h"
#include "geo/base/log.h"
#include "geo/base/time_format.h"
#include "server/analysis_inputs.h"

namespace covgap::server {

StatusOr<AnalysisOutcome> AnalysisRunner::Run(const Caller& caller, AnalysisOrder order,
                                              const Progress& progress) {
  const std::int64_t started = geo::NowUnixMs();
  AnalysisOutcome out;
  out.params = std::move(order.params);
  out.params.threads = threads_;
  geo::RankingWeights weights = ranking_weights_;
  for (const auto& [key, value] : order.ranking_weights) {
    if (Status s = geo::SetRankingWeight(weights, key, value); !s.ok()) return s;
  }

  struct Pending {
    std::atomic<int>& n;
    ~Pending() { --n; }
  } pending{pending_};
  if (++pending_ > 1 + max_waiting_) {
    return ResourceExhausted(
        "an analysis is running and another is waiting; try again when they finish");
  }
  // One analysis at a time over every covgapd sharing the store (Store::AcquireAnalysisLock).
  auto lease = store_.AcquireAnalysisLock(/*wait=*/false);
  if (!lease.ok()) return lease.status();
  std::unique_ptr<store::AnalysisLease> held = std::move(lease.value());
  if (!held) {
    progress("waiting for the running analysis to finish", 0.0);
    auto waited = store_.AcquireAnalysisLock(/*wait=*/true);
    if (!waited.ok()) return waited.status();
    held = std::move(waited.value());
  }
  auto inputs = LoadAnalysisInputs(store_);
  if (!inputs.ok()) return inputs.status();
  if (!order.method_given) out.params.method = DefaultMethod(inputs.value(), out.params);
  LogInfo("analysis started by " + order.requested_by + ": " + ParamsJson(out.params, weights));
  const geo::MeasurementSource source = StoredMeasurements(store_, out.params);
  auto result = geo::RunGapAnalysis(source, inputs.value(), out.params, weights, progress);
  if (!result.ok()) return result.status();
  out.result = std::move(result.value());

  // Stable identity: gaps that overlap the previous run's keep their ids (and so their status).
  store::GapQuery everything;
  everything.limit = UINT64_MAX >> 1;
  everything.with_geometry = true;
  auto previous = store_.ListGaps(everything);
  if (!previous.ok()) return previous.status();
  out.identity = geo::MatchGapIdentities(previous->first, out.result.gaps);

  out.run.started_ms = started;
  out.run.finished_ms = geo::NowUnixMs();
  out.run.params_json = ParamsJson(out.params, weights);
  out.run.summary_json = SummaryJson(out.result);
  out.run.measurements = out.result.grid_stats.in_window;
  auto run_id = store_.SaveAnalysis(out.run, out.result.gaps, out.result.schools);
  if (!run_id.ok()) return run_id.status();
  out.run_id = run_id.value();
  out.run.run_id = out.run_id;
  out.run.gaps = out.result.gaps.size();

  geo::JsonWriter details;
  details.BeginObject().Key("run_id").Number(out.run_id);
  details.Key("gaps").Number(static_cast<std::uint64_t>(out.result.gaps.size()));
  details.Key("measurements").Number(out.run.measurements).EndObject();
  audit_.Record(caller, "analysis.run", "run " + std::to_string(out.run_id), details.str());
  if (lifecycle_ != nullptr) {
    lifecycle_->NotifyWatchers();  // the run's `new` gap events
    // Verification of cleared gaps, with the default rule and the same code as VerifyGaps.
    auto verified = lifecycle_->Verify(caller, {}, geo::VerificationRule{},
                                       " (after analysis run " + std::to_string(out.run_id) + ")");
    if (!verified.ok()) {
      LogError("verification after analysis " + std::to_string(out.run_id) +
               " failed: " + verified.status().message());
    } else if (!verified->empty()) {
      LogInfo("verification after analysis " + std::to_string(out.run_id) + ": " +
              std::to_string(verified->size()) + " cleared or awaiting gaps checked");
    }
  }
  LogInfo("analysis " + std::to_string(out.run_id) +
          " stored: " + std::to_string(out.result.gaps.size()) + " gaps (" +
          std::to_string(out.identity.kept) + " kept their id, " +
          std::to_string(out.identity.fresh) + " new, " + std::to_string(out.identity.ended) +
          " ended) from " + std::to_string(out.run.measurements) + " measurements in " +
          std::to_string((out.run.finished_ms - out.run.started_ms) / 1000.0) + " s");
  return out;
}

}  // namespace covgap::server
