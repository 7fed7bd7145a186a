// RegistryService: imports of administrative areas, schools and households as rows. Each row is
// checked (server/api/conversions.h); rejected rows come back with their index and reason, the
// rest are upserted by id in one transaction.
#pragma once

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/measurement_rules.h"
#include "server/store/store.h"

namespace covgap::server {

class RegistryService final : public v1::RegistryService::Service {
 public:
  RegistryService(store::Store& store, geo::Region region) : store_(store), region_(region) {}

  grpc::Status ImportAreas(grpc::ServerContext* context, const v1::ImportAreasRequest* request,
                           v1::ImportSummary* response) override;
  grpc::Status ImportSchools(grpc::ServerContext* context, const v1::ImportSchoolsRequest* request,
                             v1::ImportSummary* response) override;
  grpc::Status ImportHouseholds(grpc::ServerContext* context,
                                const v1::ImportHouseholdsRequest* request,
                                v1::ImportSummary* response) override;

 private:
  store::Store& store_;
  geo::Region region_;
};

}  // namespace covgap::server
