// GET /dashboard/api/gaps/{gapId}/history: one gap of the latest run (its figures, plan, dates and
// the status it shows) and its life-cycle events, oldest first, as `covgap gap history`
// (GapLifecycleService.GetGapHistory): NotFound for an unknown id, PermissionDenied for an
// operator asking about another operator's gap.
#include <cstdint>

#include "geo/base/time_format.h"
#include "server/http/dashboard/api_common.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_auth.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/gap_scope.h"

namespace covgap::server::http::dashboard {

HttpResponse GapHistory(DashboardContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.ogc.access, request, Rpc::kGetGapHistory);
  if (!caller.ok()) return ApiError(caller.status());
  if (Status s = ogc::CheckParams(request, {}); !s.ok()) return ApiError(s);
  const std::string& gap_id = request.path_params.at(0);
  auto gap = ctx.ogc.store.GetGap(gap_id);
  if (!gap.ok()) return ApiError(gap.status());
  if (!ogc::CallerSees(*caller, *gap)) {
    return ApiError(PermissionDenied(caller->Describe() + " may not read the history of gap " +
                                     gap_id + ": it is " + gap->operator_id + "'s"));
  }
  auto events = ctx.ogc.store.ListGapEvents(0, UINT64_MAX >> 1, gap_id);
  if (!events.ok()) return ApiError(events.status());
  const std::string last = events->empty() ? std::string() : events->back().type;

  const geo::Gap& g = *gap;
  geo::JsonWriter j;
  j.BeginObject().Key("gap").BeginObject();
  j.Key("gap_id").String(g.gap_id).Key("rank").Number(g.rank);
  j.Key("kind").String(geo::ToString(g.kind)).Key("operator_id").String(g.operator_id);
  j.Key("contains").String(g.contains).Key("tech").String(geo::ToString(g.tech));
  j.Key("district").String(g.district).Key("commune").String(g.commune);
  j.Key("status").String(g.status).Key("shown_status").String(ShownStatus(g, last));
  j.Key("score").Number(g.score).Key("area_m2").Number(g.area_m2);
  j.Key("median_dbm").Number(g.median_dbm).Key("evidence").String(geo::ToString(g.evidence));
  j.Key("schools").Number(g.schools).Key("students_nodev").Number(g.students_nodev);
  j.Key("poor_hh").Number(g.poor_hh).Key("npoor_hh").Number(g.npoor_hh);
  j.Key("plan").String(g.plan);
  j.Key("target");
  if (g.target_ms) {
    j.String(geo::FormatDate(*g.target_ms));
  } else {
    j.Null();
  }
  j.Key("status_note").String(g.status_note);
  j.EndObject();
  j.Key("events").BeginArray();
  for (const store::GapEvent& e : *events) {
    j.BeginObject();
    j.Key("event_id").Number(e.event_id).Key("time").String(geo::FormatIso8601(e.time_ms));
    j.Key("type").String(e.type).Key("from_status").String(e.from_status);
    j.Key("to_status").String(e.to_status).Key("actor").String(e.actor);
    j.Key("note").String(e.note);
    j.EndObject();
  }
  j.EndArray().EndObject();
  return ogc::Json(j.str());
}

}  // namespace covgap::server::http::dashboard
