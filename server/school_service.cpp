#include "server/school_service.h"

#include "server/api/conversions.h"
#include "server/app/school_listing.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {

grpc::Status SchoolService::ListSchools(grpc::ServerContext* context,
                                        const v1::ListSchoolsRequest* request,
                                        v1::ListSchoolsResponse* response) {
  auto caller = CheckCall(access_, *context, Rpc::kListSchools);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  auto listing = ListSchoolCoverage(store_, store_, request->district(), request->uncovered_only());
  if (!listing.ok()) return ToGrpcStatus(listing.status());
  api::ToProto(listing.value(), *response);
  return grpc::Status::OK;
}

}  // namespace covgap::server
