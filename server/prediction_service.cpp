#include "server/prediction_service.h"

#include "geo/base/time_format.h"
#include "server/api/conversions.h"
#include "server/file_stream.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

// An operator token's operator; "" for the authority and viewers.
std::string CallerOperator(const Caller& caller) {
  return caller.role == Role::kOperator ? caller.operator_id : std::string();
}

StatusOr<std::optional<geo::Technology>> OptionalTech(v1::Technology tech) {
  if (tech == v1::TECHNOLOGY_UNSPECIFIED) return std::optional<geo::Technology>();
  auto t = api::FromProto(tech);
  if (!t) return InvalidArgument("unknown technology");
  return std::optional<geo::Technology>(*t);
}

}  // namespace

grpc::Status PredictionService::Validate(grpc::ServerContext* context,
                                         const v1::ValidateRequest* request,
                                         v1::ValidateResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kValidatePrediction);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto params = api::FromProto(request->analysis(), geo::NowUnixMs());
  if (!params.ok()) return ToGrpcStatus(params.status());
  auto tech = OptionalTech(request->tech());
  if (!tech.ok()) return ToGrpcStatus(tech.status());
  auto options = api::FromProto(*request);
  if (!options.ok()) return ToGrpcStatus(options.status());
  auto report = jobs_.Validate(CallerOperator(caller.value()), params.value(),
                               !request->analysis().method().empty(), options.value(),
                               request->operator_id(), tech.value());
  if (!report.ok()) return ToGrpcStatus(report.status());
  api::ToProto(report.value(), *response);
  return grpc::Status::OK;
}

grpc::Status PredictionService::PlanCampaign(grpc::ServerContext* context,
                                             const v1::CampaignRequest* request,
                                             v1::CampaignResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kPlanCampaign);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto params = api::FromProto(request->analysis(), geo::NowUnixMs());
  if (!params.ok()) return ToGrpcStatus(params.status());
  auto tech = OptionalTech(request->tech());
  if (!tech.ok()) return ToGrpcStatus(tech.status());
  auto options = api::FromProto(*request);
  if (!options.ok()) return ToGrpcStatus(options.status());
  auto plan = jobs_.Campaign(CallerOperator(caller.value()), params.value(),
                             !request->analysis().method().empty(), options.value(),
                             request->operator_id(), tech.value());
  if (!plan.ok()) return ToGrpcStatus(plan.status());
  api::ToProto(plan.value(), *response);
  return grpc::Status::OK;
}

grpc::Status PredictionService::ExportCoverageRaster(grpc::ServerContext* context,
                                                     const v1::CoverageRasterRequest* request,
                                                     grpc::ServerWriter<v1::FileChunk>* writer) {
  auto caller = CheckCall(access_, *context, Rpc::kExportCoverageRaster);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto params = api::FromProto(request->analysis(), geo::NowUnixMs());
  if (!params.ok()) return ToGrpcStatus(params.status());
  auto tech = OptionalTech(request->tech());
  if (!tech.ok()) return ToGrpcStatus(tech.status());
  const auto layer =
      geo::prediction::ParseRasterLayer(request->layer().empty() ? "p_good" : request->layer());
  if (!layer) {
    return ToGrpcStatus(InvalidArgument("unknown raster layer '" + request->layer() +
                                        "' (rsrp, sigma, p_good, class)"));
  }
  auto file = jobs_.Raster(CallerOperator(caller.value()), params.value(),
                           !request->analysis().method().empty(), request->operator_id(),
                           tech.value(), *layer, request->crs());
  if (!file.ok()) return ToGrpcStatus(file.status());
  const ScratchFile owned(file->path);
  return StreamFile(owned.path(), file->file_name, *context, *writer);
}

}  // namespace covgap::server
