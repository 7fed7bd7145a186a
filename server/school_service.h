// SchoolService: per-school coverage of the latest analysis (docs/gaps.md "Schools"): every
// school of the registry with its indoor class, median, samples and nearest good cell per
// operator and technology, whether it is in a white zone, and totals. Schools are public
// registry data, so every role may call it.
#pragma once

#include "covgap/v1/schools.grpc.pb.h"
#include "server/access_control.h"
#include "server/store/store.h"

namespace covgap::server {

class SchoolService final : public v1::SchoolService::Service {
 public:
  SchoolService(store::Store& store, const AccessControl& access)
      : store_(store), access_(access) {}

  grpc::Status ListSchools(grpc::ServerContext* context, const v1::ListSchoolsRequest* request,
                           v1::ListSchoolsResponse* response) override;

 private:
  store::Store& store_;
  const AccessControl& access_;
};

}  // namespace covgap::server
