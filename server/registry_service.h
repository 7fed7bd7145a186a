// RegistryService: imports of administrative areas, schools, households and operators' sites;
// the list of sites.
//
// Import (client streaming) takes an uploaded file — any format the importers read — into GDAL's
// in-memory file system (/vsimem/), reads it there with the importers (formats, encodings, CRS),
// checks schools and households against the province boundary when one is imported, upserts the
// good rows by id in one transaction and reports every rejected or repaired row with its number
// and reason. Uploads are limited to `max_upload_bytes`. ImportAreas/ImportSchools/
// ImportHouseholds take rows directly (checked by server/api/conversions.h). Sites (kind sites)
// may also be uploaded by an operator's token, which imports only its own operator's rows; every
// site must name a registered operator. ListSites: all sites for the authority and viewers, an
// operator's own for it.
#pragma once

#include <cstdint>

#include "covgap/v1/gaps.grpc.pb.h"
#include "geo/model/measurement_rules.h"
#include "server/access_control.h"
#include "server/audit_trail.h"
#include "server/store/store.h"

namespace covgap::server {

class RegistryService final : public v1::RegistryService::Service {
 public:
  RegistryService(store::Store& store, geo::Region region, std::uint64_t max_upload_bytes,
                  const AccessControl& access, AuditTrail& audit)
      : store_(store),
        region_(region),
        max_upload_bytes_(max_upload_bytes),
        access_(access),
        audit_(audit) {}

  grpc::Status Import(grpc::ServerContext* context, grpc::ServerReader<v1::ImportUpload>* reader,
                      v1::ImportReport* report) override;

  grpc::Status ImportAreas(grpc::ServerContext* context, const v1::ImportAreasRequest* request,
                           v1::ImportSummary* response) override;
  grpc::Status ImportSchools(grpc::ServerContext* context, const v1::ImportSchoolsRequest* request,
                             v1::ImportSummary* response) override;
  grpc::Status ImportHouseholds(grpc::ServerContext* context,
                                const v1::ImportHouseholdsRequest* request,
                                v1::ImportSummary* response) override;
  grpc::Status ListSites(grpc::ServerContext* context, const v1::ListSitesRequest* request,
                         v1::ListSitesResponse* response) override;
  // Counts of what is imported (covgap doctor): households for the authority only, an
  // operator's own sites only.
  grpc::Status GetRegistryStats(grpc::ServerContext* context,
                                const v1::GetRegistryStatsRequest* request,
                                v1::RegistryStats* response) override;

 private:
  store::Store& store_;
  geo::Region region_;
  std::uint64_t max_upload_bytes_;
  const AccessControl& access_;
  AuditTrail& audit_;
};

}  // namespace covgap::server
