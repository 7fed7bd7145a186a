#include "server/gap_service.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "geo/export/gap_export.h"
#include "server/analysis_inputs.h"
#include "server/api/conversions.h"
#include "server/file_stream.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

constexpr std::uint32_t kDefaultPageSize = 50;
constexpr std::uint32_t kMaxPageSize = 10000;

}  // namespace

grpc::Status CheckFilter(store::Store& store, const v1::GapFilter& f) {
  if (Status s = CheckOperator(store, f.operator_id()); !s.ok()) return ToGrpcStatus(s);
  if (f.tech() != v1::TECHNOLOGY_UNSPECIFIED && !api::FromProto(f.tech())) {
    return ToGrpcStatus(InvalidArgument("unknown technology in the filter"));
  }
  if (f.kind() != v1::GAP_KIND_UNSPECIFIED && !api::FromProto(f.kind())) {
    return ToGrpcStatus(InvalidArgument("unknown gap kind in the filter"));
  }
  return grpc::Status::OK;
}

grpc::Status GapService::ListGaps(grpc::ServerContext* context, const v1::ListGapsRequest* request,
                                  v1::ListGapsResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kListGaps);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (grpc::Status s = CheckFilter(store_, request->filter()); !s.ok()) return s;
  store::GapQuery query = api::FromProto(request->filter());
  query.order = request->order() == v1::GAP_ORDER_RANK   ? store::GapOrder::kRank
                : request->order() == v1::GAP_ORDER_AREA ? store::GapOrder::kArea
                : request->order() == v1::GAP_ORDER_TODO ? store::GapOrder::kTodo
                                                         : store::GapOrder::kScore;
  query.limit =
      request->page_size() == 0 ? kDefaultPageSize : std::min(request->page_size(), kMaxPageSize);
  if (!request->page_token().empty()) {
    // Tokens are the decimal offset of the next page; anything else was not issued here.
    const std::string& token = request->page_token();
    const bool digits = token.size() <= 18 && std::all_of(token.begin(), token.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (!digits) {
      return ToGrpcStatus(InvalidArgument("page_token is not one this server issued"));
    }
    query.offset = std::stoull(token);
  }
  query.with_geometry = request->with_geometry();
  auto gaps = store_.ListGaps(query);
  if (!gaps.ok()) return ToGrpcStatus(gaps.status());
  // An empty answer because nothing was analysed yet says so (checked only then: no extra read).
  if (gaps->second == 0 && query.run_id == 0) {
    if (grpc::Status s = RequireRun(); !s.ok()) return s;
  }
  api::ToProto(gaps->first, gaps->second, query, *response);
  return grpc::Status::OK;
}

grpc::Status GapService::RequireRun() {
  auto run = store_.LatestRun();
  if (!run.ok()) return ToGrpcStatus(run.status());
  if (!run.value()) {
    return ToGrpcStatus(
        FailedPrecondition("no analysis has been run yet: run covgap analyse first"));
  }
  return grpc::Status::OK;
}

grpc::Status GapService::GetGap(grpc::ServerContext* context, const v1::GetGapRequest* request,
                                v1::Gap* response) {
  auto caller = CheckCall(access_, *context, Rpc::kGetGap);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (grpc::Status s = RequireRun(); !s.ok()) return s;
  auto gap = store_.GetGap(request->gap_id());
  if (!gap.ok()) return ToGrpcStatus(gap.status());
  api::ToProto(gap.value(), true, *response);
  return grpc::Status::OK;
}

grpc::Status GapService::ExportGaps(grpc::ServerContext* context,
                                    const v1::ExportGapsRequest* request,
                                    grpc::ServerWriter<v1::FileChunk>* writer) {
  auto caller = CheckCall(access_, *context, Rpc::kExportGaps);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto format = geo::ParseExportFormat(request->format());
  if (!format) {
    return ToGrpcStatus(
        InvalidArgument("unknown export format '" + request->format() +
                        "': use shp, gpkg, geojson, csv or kml (tif: a coverage raster)"));
  }
  if (grpc::Status s = CheckFilter(store_, request->filter()); !s.ok()) return s;
  if (grpc::Status s = RequireRun(); !s.ok()) return s;
  store::GapQuery query = api::FromProto(request->filter());
  query.order = store::GapOrder::kRank;
  query.limit = UINT64_MAX >> 1;
  query.with_geometry = true;
  auto gaps = store_.ListGaps(query);
  if (!gaps.ok()) return ToGrpcStatus(gaps.status());

  geo::ExportOptions options;
  options.format = *format;
  if (!request->crs().empty()) options.target_crs = request->crs();
  const ScratchFile file(scratch_dir_, "export", std::string(geo::DefaultExtension(*format)));
  if (Status s = geo::WriteGapExport(gaps->first, options, file.path()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  return StreamFile(file.path(), "covgap-gaps" + std::string(geo::DefaultExtension(*format)),
                    *context, *writer);
}

}  // namespace covgap::server
