// GET /dashboard/api/todo[?operator=ID][&tech=LTE|UMTS][&district=NAME]: the gaps of the latest
// run the caller may see, ranked, with the status each shows (ShownStatus) and its CRS84 bounding
// box (the table pans the map to it). Order: the province's list (rank) for the authority and
// viewers; an operator's to-do list (common gaps first, then by score, as `covgap gaps
// --operator`) when an operator is in scope: the caller's own operator, or the `operator` filter,
// which then keeps that operator's gaps and the common ones. An operator may filter only on
// itself. Every status is listed (the page puts verified gaps on the map, not in its table).
// Counts only: households, poor and near-poor, are numbers of the gap.
#include <algorithm>
#include <cstdint>

#include "geo/base/time_format.h"
#include "server/http/dashboard/api_common.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_auth.h"
#include "server/http/ogc/crs.h"
#include "server/http/ogc/documents.h"
#include "server/http/ogc/gap_scope.h"

namespace covgap::server::http::dashboard {
namespace {

void WriteOptionalDate(geo::JsonWriter& j, std::string_view key,
                       const std::optional<std::int64_t>& ms) {
  j.Key(key);
  if (ms) {
    j.String(geo::FormatDate(*ms));
  } else {
    j.Null();
  }
}

std::string_view LastEventType(const ogc::GapSnapshot& snapshot, const std::string& gap_id) {
  auto it = snapshot.last_event_type.find(gap_id);
  return it == snapshot.last_event_type.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

HttpResponse Todo(DashboardContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.ogc.access, request, Rpc::kListGaps);
  if (!caller.ok()) return ApiError(caller.status());
  if (Status s = ogc::CheckParams(request, {"operator", "tech", "district"}); !s.ok()) {
    return ApiError(s);
  }
  store::GapQuery query;
  query.limit = UINT64_MAX >> 1;
  query.order = store::GapOrder::kRank;
  const std::string op = request.Param("operator").value_or("");
  if (caller->role == Role::kOperator) {
    if (!op.empty() && op != caller->operator_id) {
      return ApiError(PermissionDenied(caller->Describe() + " may see only " + caller->operator_id +
                                       "'s and the common gaps, not " + op + "'s"));
    }
    query.operator_id = caller->operator_id;
  } else if (!op.empty()) {
    auto ops = ctx.ogc.store.Operators();
    if (!ops.ok()) return ApiError(ops.status());
    if (std::find(ops->begin(), ops->end(), op) == ops->end()) {
      return ApiError(InvalidArgument("no operator '" + op + "' is registered"));
    }
    query.operator_id = op;
  }
  if (!query.operator_id.empty()) {
    query.include_common = true;
    query.order = store::GapOrder::kTodo;
  }
  if (auto tech = request.Param("tech"); tech && !tech->empty()) {
    auto parsed = geo::ParseTechnology(*tech);
    if (!parsed)
      return ApiError(
          InvalidArgument("tech '" + *tech + "' is not a technology (LTE, UMTS, NR, GSM)"));
    query.tech = parsed;
  }
  query.district = request.Param("district").value_or("");

  auto snapshot = ctx.ogc.features.Gaps();
  if (!snapshot.ok()) return ApiError(snapshot.status());
  const std::int64_t run_id = (*snapshot)->run_id;
  geo::JsonWriter j;
  j.BeginObject().Key("run_id").Number(run_id);
  j.Key("order").String(query.order == store::GapOrder::kTodo ? "todo" : "rank");
  if (run_id == 0) {
    j.Key("gaps").BeginArray().EndArray().EndObject();
    return ogc::Json(j.str());
  }
  query.run_id = run_id;
  auto listed = ctx.ogc.store.ListGaps(query);
  if (!listed.ok()) return ApiError(listed.status());
  auto shapes = ctx.ogc.features.Shapes(run_id, ogc::DefaultCrs());
  if (!shapes.ok()) return ApiError(shapes.status());

  j.Key("gaps").BeginArray();
  for (const geo::Gap& g : listed->first) {
    if (!ogc::CallerSees(*caller, g)) continue;
    j.BeginObject();
    j.Key("gap_id").String(g.gap_id).Key("rank").Number(g.rank);
    j.Key("kind").String(geo::ToString(g.kind)).Key("operator_id").String(g.operator_id);
    j.Key("contains").String(g.contains).Key("tech").String(geo::ToString(g.tech));
    j.Key("district").String(g.district).Key("commune").String(g.commune);
    j.Key("status")
        .String(g.status)
        .Key("shown_status")
        .String(ShownStatus(g, LastEventType(**snapshot, g.gap_id)));
    j.Key("score").Number(g.score).Key("area_m2").Number(g.area_m2);
    j.Key("schools").Number(g.schools).Key("students_nodev").Number(g.students_nodev);
    j.Key("poor_hh").Number(g.poor_hh).Key("npoor_hh").Number(g.npoor_hh);
    j.Key("plan").String(g.plan);
    WriteOptionalDate(j, "target", g.target_ms);
    WriteOptionalDate(j, "cleared", g.cleared_ms);
    j.Key("status_note").String(g.status_note);
    j.Key("bbox");
    if (auto it = shapes.value()->find(g.gap_id); it != shapes.value()->end()) {
      j.BeginArray();
      for (double v : it->second.envelope) j.Number(v);
      j.EndArray();
    } else {
      j.Null();
    }
    j.EndObject();
  }
  j.EndArray().EndObject();
  return ogc::Json(j.str());
}

}  // namespace covgap::server::http::dashboard
