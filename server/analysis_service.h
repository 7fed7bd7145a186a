// AnalysisService: runs the reference binned analysis on a snapshot of the stored measurements
// (one read transaction), streams its progress and stores the run and its gaps atomically. One
// analysis runs at a time; a second request waits for the first to finish.
#pragma once

#include <mutex>

#include "covgap/v1/gaps.grpc.pb.h"
#include "server/store/store.h"

namespace covgap::server {

class AnalysisService final : public v1::AnalysisService::Service {
 public:
  explicit AnalysisService(store::Store& store) : store_(store) {}

  grpc::Status RunAnalysis(grpc::ServerContext* context, const v1::RunAnalysisRequest* request,
                           grpc::ServerWriter<v1::AnalysisProgress>* writer) override;
  grpc::Status GetLatestRun(grpc::ServerContext* context, const v1::GetLatestRunRequest* request,
                            v1::AnalysisRunInfo* response) override;

 private:
  store::Store& store_;
  std::mutex running_;
};

}  // namespace covgap::server
