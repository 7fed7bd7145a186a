// The one mapping from covgap::Status to grpc::Status (codes are the same numbers).
#pragma once

#include <grpcpp/support/status.h>

#include "geo/base/status.h"

namespace covgap::server {

inline grpc::Status ToGrpcStatus(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return {static_cast<grpc::StatusCode>(s.code()), s.message()};
}

}  // namespace covgap::server
