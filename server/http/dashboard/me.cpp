// GET /dashboard/api/me: who the token is (role, operator), the deadline covgapd was started
// with and the latest run, so the page can pick its panels before reading anything else.
#include "geo/base/time_format.h"
#include "server/http/dashboard/api_common.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_auth.h"
#include "server/http/ogc/documents.h"

namespace covgap::server::http::dashboard {

HttpResponse Me(DashboardContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.ogc.access, request, Rpc::kWhoAmI);
  if (!caller.ok()) return ApiError(caller.status());
  if (Status s = ogc::CheckParams(request, {}); !s.ok()) return ApiError(s);
  auto run = ctx.ogc.store.LatestRun();
  if (!run.ok()) return ApiError(run.status());
  geo::JsonWriter j;
  j.BeginObject();
  j.Key("role").String(ToString(caller->role));
  j.Key("operator_id").String(caller->operator_id);
  j.Key("caller").String(caller->Describe());
  j.Key("may_read_progress").Bool(Allowed(caller->role, Rpc::kBuildReport));
  j.Key("deadline");
  if (ctx.deadline_ms != 0) {
    j.String(geo::FormatDate(ctx.deadline_ms));
  } else {
    j.Null();
  }
  j.Key("latest_run");
  if (run->has_value()) {
    j.BeginObject()
        .Key("run_id")
        .Number((*run)->run_id)
        .Key("finished")
        .String(geo::FormatIso8601((*run)->finished_ms))
        .Key("gaps")
        .Number((*run)->gaps)
        .EndObject();
  } else {
    j.Null();
  }
  j.EndObject();
  return ogc::Json(j.str());
}

}  // namespace covgap::server::http::dashboard
