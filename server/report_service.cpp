#include "server/report_service.h"

#include "geo/base/time_format.h"
#include "geo/report/report_render.h"
#include "server/file_stream.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {

grpc::Status ReportService::BuildReport(grpc::ServerContext* context,
                                        const v1::BuildReportRequest* request,
                                        grpc::ServerWriter<v1::FileChunk>* writer) {
  auto caller = CheckCall(access_, *context, Rpc::kBuildReport);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  const std::string format_name = request->format().empty() ? "table" : request->format();
  auto format = geo::ParseReportFormat(format_name);
  if (!format) {
    return ToGrpcStatus(
        InvalidArgument("unknown report format '" + format_name + "' (table, json, csv, html)"));
  }
  const std::int64_t deadline =
      request->deadline_unix_ms() != 0 ? request->deadline_unix_ms() : default_deadline_ms_;
  if (deadline == 0) {
    return ToGrpcStatus(InvalidArgument(
        "no deadline: pass one (covgap report --deadline YYYY-MM-DD) or start covgapd with "
        "--deadline YYYY-MM-DD"));
  }
  auto in = LoadReportInputs(store_, coverage_);
  if (!in.ok()) return ToGrpcStatus(in.status());
  in->deadline_ms = deadline;
  in->now_ms = request->has_as_of_unix_ms() ? request->as_of_unix_ms() : geo::NowUnixMs();
  auto report = geo::BuildProgressReport(*in);
  if (!report.ok()) return ToGrpcStatus(report.status());
  auto text = geo::RenderReport(*format, *report, *in);
  if (!text.ok()) return ToGrpcStatus(text.status());

  const std::string name =
      "covgap-report-" + geo::FormatDate(in->now_ms) + std::string(geo::ReportExtension(*format));
  return StreamBytes(text.value(), name, *context, *writer);
}

}  // namespace covgap::server
