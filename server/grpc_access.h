// The gRPC side of access control: takes the bearer token out of a call's `authorization`
// metadata and checks it with AccessControl::CheckToken.
#pragma once

#include <grpcpp/grpcpp.h>

#include "geo/base/status.h"
#include "server/access_control.h"
#include "server/roles.h"

namespace covgap::server {

// UNAUTHENTICATED without the metadata or when it is not "Bearer <token>"; else CheckToken's.
StatusOr<Caller> CheckCall(const AccessControl& access, const grpc::ServerContext& context,
                           Rpc rpc);

}  // namespace covgap::server
