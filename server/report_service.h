// ReportService: the progress report (geo/progress_report.h) of the latest analysis against the
// first (baseline) one, rendered as table, JSON, CSV or HTML (geo/report_render.h) and streamed
// back in chunks. Counts only: the authority and viewers may call it. Its inputs are
// server/app/report_inputs.h (LoadReportInputs, SchoolCoverageSource).
#pragma once

#include <string>
#include <utility>

#include "covgap/v1/report.grpc.pb.h"
#include "geo/report/progress_report.h"
#include "server/access_control.h"
#include "server/app/report_inputs.h"
#include "server/store/store.h"

namespace covgap::server {

class ReportService final : public v1::ReportService::Service {
 public:
  // `default_deadline_ms`: covgapd's --deadline (0 = none: requests must name one).
  ReportService(store::Store& store, const AccessControl& access, std::int64_t default_deadline_ms,
                SchoolCoverageSource coverage)
      : store_(store),
        access_(access),
        default_deadline_ms_(default_deadline_ms),
        coverage_(std::move(coverage)) {}

  grpc::Status BuildReport(grpc::ServerContext* context, const v1::BuildReportRequest* request,
                           grpc::ServerWriter<v1::FileChunk>* writer) override;

 private:
  store::Store& store_;
  const AccessControl& access_;
  std::int64_t default_deadline_ms_;
  SchoolCoverageSource coverage_;
};

}  // namespace covgap::server
