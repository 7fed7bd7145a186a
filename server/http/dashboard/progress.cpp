// GET /dashboard/api/progress[?deadline=YYYY-MM-DD][&as_of=YYYY-MM-DD]: the progress report's
// figures against the deadline, the very document of `covgap report --format json`
// (geo/report/progress_report.h over server/app/report_inputs.h): gaps by status per district and
// operator, students in gaps at the start and now, overdue plans, school readiness, the first
// places to clear. The deadline is covgapd's --deadline unless the query names one. Counts only:
// the authority and viewers (Rpc::kBuildReport); FailedPrecondition before the first analysis.
#include "geo/base/time_format.h"
#include "geo/report/progress_report.h"
#include "geo/report/report_render.h"
#include "server/app/report_inputs.h"
#include "server/http/dashboard/api_common.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_auth.h"
#include "server/http/ogc/documents.h"

namespace covgap::server::http::dashboard {
namespace {

// A YYYY-MM-DD day as 00:00 UTC.
StatusOr<std::int64_t> Day(const std::string& name, const std::string& text) {
  auto ms = text.size() == 10 ? geo::ParseIso8601(text) : std::nullopt;
  if (!ms) return InvalidArgument(name + " must be a date YYYY-MM-DD, not '" + text + "'");
  return *ms;
}

}  // namespace

HttpResponse Progress(DashboardContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.ogc.access, request, Rpc::kBuildReport);
  if (!caller.ok()) return ApiError(caller.status());
  if (Status s = ogc::CheckParams(request, {"deadline", "as_of"}); !s.ok()) return ApiError(s);
  std::int64_t deadline = ctx.deadline_ms;
  if (auto v = request.Param("deadline")) {
    auto day = Day("deadline", *v);
    if (!day.ok()) return ApiError(day.status());
    deadline = *day;
  }
  if (deadline == 0) {
    return ApiError(FailedPrecondition(
        "no deadline: start covgapd with --deadline YYYY-MM-DD (or ask with ?deadline=)"));
  }
  std::int64_t now = geo::NowUnixMs();
  if (auto v = request.Param("as_of")) {
    auto day = Day("as_of", *v);
    if (!day.ok()) return ApiError(day.status());
    now = *day;
  }
  auto in = LoadReportInputs(ctx.ogc.store, ctx.coverage);
  if (!in.ok()) return ApiError(in.status());
  in->deadline_ms = deadline;
  in->now_ms = now;
  auto report = geo::BuildProgressReport(*in);
  if (!report.ok()) return ApiError(report.status());
  return ogc::Json(geo::RenderJson(*report));
}

}  // namespace covgap::server::http::dashboard
