// PredictionService (proto/covgap/v1/prediction.proto): gRPC in front of PredictionJobs —
// checks the caller, parses the request, runs the job and converts its answer.
#pragma once

#include "covgap/v1/prediction.grpc.pb.h"
#include "server/access_control.h"
#include "server/prediction_jobs.h"

namespace covgap::server {

class PredictionService final : public v1::PredictionService::Service {
 public:
  PredictionService(store::Store& store, std::string scratch_dir, const AccessControl& access,
                    unsigned threads = 0)
      : jobs_(store, std::move(scratch_dir), threads), access_(access) {}

  grpc::Status Validate(grpc::ServerContext* context, const v1::ValidateRequest* request,
                        v1::ValidateResponse* response) override;
  grpc::Status PlanCampaign(grpc::ServerContext* context, const v1::CampaignRequest* request,
                            v1::CampaignResponse* response) override;
  grpc::Status ExportCoverageRaster(grpc::ServerContext* context,
                                    const v1::CoverageRasterRequest* request,
                                    grpc::ServerWriter<v1::FileChunk>* writer) override;

 private:
  PredictionJobs jobs_;
  const AccessControl& access_;
};

}  // namespace covgap::server
