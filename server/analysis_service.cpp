#include "server/analysis_service.h"

#include "geo/base/json_writer.h"
#include "geo/base/log.h"
#include "geo/base/time_format.h"
#include "geo/gaps/gap_analysis.h"
#include "geo/gaps/gap_identity.h"
#include "server/analysis_inputs.h"
#include "server/api/conversions.h"
#include "server/status_mapping.h"

namespace covgap::server {

grpc::Status AnalysisService::RunAnalysis(grpc::ServerContext* context,
                                          const v1::RunAnalysisRequest* request,
                                          grpc::ServerWriter<v1::AnalysisProgress>* writer) {
  auto caller = access_.Check(*context, Rpc::kRunAnalysis);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const std::int64_t started = geo::NowUnixMs();
  auto params = api::FromProto(*request, started);
  if (!params.ok()) return ToGrpcStatus(params.status());
  params->threads = analysis_threads_;
  geo::RankingWeights weights = ranking_weights_;
  for (const auto& [key, value] : request->ranking_weights()) {
    if (Status s = geo::SetRankingWeight(weights, key, value); !s.ok()) return ToGrpcStatus(s);
  }

  struct Pending {
    std::atomic<int>& n;
    ~Pending() { --n; }
  } pending{pending_};
  if (++pending_ > 1 + max_waiting_) {
    return {grpc::StatusCode::RESOURCE_EXHAUSTED,
            "an analysis is running and another is waiting; try again when they finish"};
  }
  // One analysis at a time over every covgapd sharing the store (Store::AcquireAnalysisLock).
  auto lease = store_.AcquireAnalysisLock(/*wait=*/false);
  if (!lease.ok()) return ToGrpcStatus(lease.status());
  std::unique_ptr<store::AnalysisLease> held = std::move(lease.value());
  if (!held) {
    v1::AnalysisProgress waiting;
    waiting.set_stage("waiting for the running analysis to finish");
    writer->Write(waiting);
    auto waited = store_.AcquireAnalysisLock(/*wait=*/true);
    if (!waited.ok()) return ToGrpcStatus(waited.status());
    held = std::move(waited.value());
  }
  auto inputs = LoadAnalysisInputs(store_);
  if (!inputs.ok()) return ToGrpcStatus(inputs.status());
  if (request->method().empty()) params->method = DefaultMethod(inputs.value(), params.value());
  LogInfo("analysis started by " + context->peer() + ": " + ParamsJson(params.value(), weights));
  const geo::MeasurementSource source = StoredMeasurements(store_, params.value());
  auto progress = [&](std::string_view stage, double fraction) {
    v1::AnalysisProgress p;
    p.set_stage(std::string(stage));
    p.set_fraction(fraction);
    writer->Write(p);
    return !context->IsCancelled();  // a passed deadline or a cancel stops the run
  };
  auto result = geo::RunGapAnalysis(source, inputs.value(), params.value(), weights, progress);
  if (!result.ok()) return ToGrpcStatus(result.status());

  // Stable identity: gaps that overlap the previous run's keep their ids (and so their status).
  store::GapQuery everything;
  everything.limit = UINT64_MAX >> 1;
  everything.with_geometry = true;
  auto previous = store_.ListGaps(everything);
  if (!previous.ok()) return ToGrpcStatus(previous.status());
  const geo::IdentityStats identity = geo::MatchGapIdentities(previous->first, result->gaps);

  store::AnalysisRun run;
  run.started_ms = started;
  run.finished_ms = geo::NowUnixMs();
  run.params_json = ParamsJson(params.value(), weights);
  run.summary_json = SummaryJson(result.value());
  run.measurements = result->grid_stats.in_window;
  auto run_id = store_.SaveAnalysis(run, result->gaps, result->schools);
  if (!run_id.ok()) return ToGrpcStatus(run_id.status());

  v1::AnalysisProgress last;
  last.set_stage("stored");
  last.set_fraction(1.0);
  v1::AnalysisRunInfo* info = last.mutable_run();
  info->set_run_id(run_id.value());
  info->set_started_unix_ms(run.started_ms);
  info->set_finished_unix_ms(run.finished_ms);
  info->set_measurements(run.measurements);
  info->set_gaps(result->gaps.size());
  info->set_params_json(run.params_json);
  info->set_summary_json(run.summary_json);
  info->set_method(std::string(geo::ToString(params->method)));
  info->set_as_of_unix_ms(params->as_of_ms);
  for (const auto& m : result->models) api::ToProto(m, *info->add_models());
  for (const auto& g : result->grids) {
    auto* out = info->add_grids();
    out->set_operator_id(g.operator_id);
    out->set_tech(api::ToProto(g.tech));
    out->set_samples(g.samples);
    out->set_good_cells(g.good);
    out->set_weak_cells(g.weak);
    out->set_dead_cells(g.dead);
    out->set_unmeasured_cells(g.unmeasured);
    out->set_gaps(g.gaps);
  }
  for (const auto& s : result->stages) {
    auto* out = info->add_stages();
    out->set_stage(s.stage);
    out->set_seconds(s.seconds);
  }
  writer->Write(last);
  geo::JsonWriter details;
  details.BeginObject().Key("run_id").Number(run_id.value());
  details.Key("gaps").Number(static_cast<std::uint64_t>(result->gaps.size()));
  details.Key("measurements").Number(run.measurements).EndObject();
  audit_.Record(caller.value(), "analysis.run", "run " + std::to_string(run_id.value()),
                details.str());
  if (lifecycle_ != nullptr) {
    lifecycle_->NotifyWatchers();  // the run's `new` gap events
    // Verification of cleared gaps, with the default rule and the same code as VerifyGaps.
    auto verified =
        lifecycle_->Verify(caller.value(), {}, geo::VerificationRule{},
                           " (after analysis run " + std::to_string(run_id.value()) + ")");
    if (!verified.ok()) {
      LogError("verification after analysis " + std::to_string(run_id.value()) +
               " failed: " + verified.status().message());
    } else if (!verified->empty()) {
      LogInfo("verification after analysis " + std::to_string(run_id.value()) + ": " +
              std::to_string(verified->size()) + " cleared or awaiting gaps checked");
    }
  }
  LogInfo("analysis " + std::to_string(run_id.value()) + " stored: " +
          std::to_string(result->gaps.size()) + " gaps (" + std::to_string(identity.kept) +
          " kept their id, " + std::to_string(identity.fresh) + " new, " +
          std::to_string(identity.ended) + " ended) from " + std::to_string(run.measurements) +
          " measurements in " + std::to_string((run.finished_ms - run.started_ms) / 1000.0) + " s");
  return grpc::Status::OK;
}

grpc::Status AnalysisService::GetLatestRun(grpc::ServerContext* context,
                                           const v1::GetLatestRunRequest*,
                                           v1::AnalysisRunInfo* response) {
  auto caller = access_.Check(*context, Rpc::kGetLatestRun);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto run = store_.LatestRun();
  if (!run.ok()) return ToGrpcStatus(run.status());
  if (!run.value())
    return {grpc::StatusCode::NOT_FOUND, "no analysis has been run yet: run covgap analyse first"};
  response->set_run_id(run.value()->run_id);
  response->set_started_unix_ms(run.value()->started_ms);
  response->set_finished_unix_ms(run.value()->finished_ms);
  response->set_measurements(run.value()->measurements);
  response->set_gaps(run.value()->gaps);
  response->set_params_json(run.value()->params_json);
  response->set_summary_json(run.value()->summary_json);
  const RunParams params = ReadRunParams(run.value()->params_json);
  response->set_method(params.method);
  response->set_as_of_unix_ms(params.as_of_ms);
  return grpc::Status::OK;
}

}  // namespace covgap::server
