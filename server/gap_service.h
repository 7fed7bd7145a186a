// GapService: the gaps of the latest analysis — list (filter, order, page), read one, export
// (a file written with geo/gap_export.h, streamed back in chunks).
#pragma once

#include <string>

#include "covgap/v1/gaps.grpc.pb.h"
#include "server/access_control.h"
#include "server/store/store.h"

namespace covgap::server {

// INVALID_ARGUMENT for a filter naming an unknown technology or gap kind.
grpc::Status CheckFilter(store::Store& store, const v1::GapFilter& filter);

class GapService final : public v1::GapService::Service {
 public:
  GapService(store::Store& store, std::string scratch_dir, const AccessControl& access)
      : store_(store), scratch_dir_(std::move(scratch_dir)), access_(access) {}

  grpc::Status ListGaps(grpc::ServerContext* context, const v1::ListGapsRequest* request,
                        v1::ListGapsResponse* response) override;
  grpc::Status GetGap(grpc::ServerContext* context, const v1::GetGapRequest* request,
                      v1::Gap* response) override;
  grpc::Status ExportGaps(grpc::ServerContext* context, const v1::ExportGapsRequest* request,
                          grpc::ServerWriter<v1::FileChunk>* writer) override;

 private:
  // FAILED_PRECONDITION "no analysis has been run yet: …" when the store holds no run.
  grpc::Status RequireRun();

  store::Store& store_;
  std::string scratch_dir_;  // where export files are written before they are streamed
  const AccessControl& access_;
};

}  // namespace covgap::server
