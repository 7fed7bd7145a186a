#include "server/analysis_service.h"

#include "geo/base/time_format.h"
#include "geo/gaps/gap_verification.h"
#include "server/analysis_inputs.h"
#include "server/api/conversions.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {

grpc::Status AnalysisService::RunAnalysis(grpc::ServerContext* context,
                                          const v1::RunAnalysisRequest* request,
                                          grpc::ServerWriter<v1::AnalysisProgress>* writer) {
  auto caller = CheckCall(access_, *context, Rpc::kRunAnalysis);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto params = api::FromProto(*request, geo::NowUnixMs());
  if (!params.ok()) return ToGrpcStatus(params.status());
  AnalysisOrder order;
  order.params = std::move(params.value());
  order.method_given = !request->method().empty();
  for (const auto& [key, value] : request->ranking_weights()) order.ranking_weights[key] = value;
  order.requested_by = context->peer();
  auto progress = [&](std::string_view stage, double fraction) {
    v1::AnalysisProgress p;
    api::ToProto(stage, fraction, p);
    writer->Write(p);
    return !context->IsCancelled();  // a passed deadline or a cancel stops the run
  };
  auto outcome = runner_.Run(caller.value(), std::move(order), progress);
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  if (metrics_ != nullptr) {
    metrics_->RecordAnalysis(
        outcome->result,
        static_cast<double>(outcome->run.finished_ms - outcome->run.started_ms) / 1000.0);
  }
  v1::AnalysisProgress last;
  api::ToStoredProgress(outcome->run, outcome->params, outcome->result, last);
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status AnalysisService::GetLatestRun(grpc::ServerContext* context,
                                           const v1::GetLatestRunRequest*,
                                           v1::AnalysisRunInfo* response) {
  auto caller = CheckCall(access_, *context, Rpc::kGetLatestRun);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto run = store_.LatestRun();
  if (!run.ok()) return ToGrpcStatus(run.status());
  if (!run.value()) {
    return ToGrpcStatus(NotFound("no analysis has been run yet: run covgap analyse first"));
  }
  const geo::AnalysisParams params = geo::AnalysisParamsFromJson(run.value()->params_json);
  api::ToProto(*run.value(), geo::ToString(params.method), params.as_of_ms, *response);
  return grpc::Status::OK;
}

}  // namespace covgap::server
