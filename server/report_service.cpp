#include "server/report_service.h"

#include "geo/base/time_format.h"
#include "geo/report/report_render.h"
#include "server/file_stream.h"
#include "server/grpc_access.h"
#include "server/status_mapping.h"

namespace covgap::server {
namespace {

StatusOr<std::vector<geo::Gap>> AllGaps(store::Store& store, std::int64_t run_id) {
  store::GapQuery query;
  query.run_id = run_id;
  query.order = store::GapOrder::kRank;
  query.limit = UINT64_MAX >> 1;
  query.with_geometry = true;
  auto gaps = store.ListGaps(query);
  if (!gaps.ok()) return gaps.status();
  return std::move(gaps->first);
}

}  // namespace

StatusOr<geo::ProgressInputs> LoadReportInputs(store::Store& store,
                                               const SchoolCoverageSource& coverage) {
  geo::ProgressInputs in;
  auto latest = store.LatestRun();
  if (!latest.ok()) return latest.status();
  if (!latest->has_value()) {
    return FailedPrecondition("no analysis has been run yet: run covgap analyse first");
  }
  auto first = store.FirstRun();
  if (!first.ok()) return first.status();
  in.latest_run_id = (*latest)->run_id;
  in.baseline_run_id = first->has_value() ? (*first)->run_id : in.latest_run_id;
  auto latest_gaps = AllGaps(store, in.latest_run_id);
  if (!latest_gaps.ok()) return latest_gaps.status();
  in.latest_gaps = std::move(latest_gaps.value());
  if (in.baseline_run_id == in.latest_run_id) {
    in.baseline_gaps = in.latest_gaps;
  } else {
    auto baseline_gaps = AllGaps(store, in.baseline_run_id);
    if (!baseline_gaps.ok()) return baseline_gaps.status();
    in.baseline_gaps = std::move(baseline_gaps.value());
  }
  auto areas = store.Areas();
  if (!areas.ok()) return areas.status();
  in.areas = std::move(areas.value());
  auto schools = store.Schools();
  if (!schools.ok()) return schools.status();
  in.schools = std::move(schools.value());
  auto households = store.Households();
  if (!households.ok()) return households.status();
  in.households = std::move(households.value());
  if (coverage) {
    auto records = coverage(store);
    if (!records.ok()) return records.status();
    in.school_coverage = std::move(records.value());
  }
  return in;
}

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
